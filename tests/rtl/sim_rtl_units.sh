# sim_rtl_units.sh — `spikechip sim --engine systemc --rtl attn|encoder|readout|all`: the chip with units in RTL, the synapse cores among them with all
# (Verilated units behind the SystemC engine's unit modules, rtl/rtl_units.cpp) gives the native
# engine's report. The tiny fixture model on the default chip, two Fashion-MNIST test images:
# the text report (all but the `simulator` line), the JSON report (all but the engine, RTL and
# speed fields) and the spike trace are identical with the attention units, the encoder, the
# readout in RTL, and with the network and all of them in RTL (`all`); --check passes; so does the
# shadow check (SPK_RTL_SHADOW: the C models beside the RTL units, every offer compared);
# --rtl-tiles keeps the readout in C when its tile is not listed; bad uses exit 2 and write
# nothing. With SPK_RTL_UNITS_IMAGES=N (make check-rtl: 20), N images with the whole chip in RTL
# (`--rtl all`, in segments of 10 over 2 processes) give the native report too, checked spike for
# spike against the integer reference. (`make check-rtl` also runs 20 images of the shipped
# model: sim_rtl_shipped.sh.)
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
IMG="$T_TMP/tiny.spki"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"

expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/native.json" \
	--trace "$T_TMP/native.spkt"
grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/native.txt"

for blocks in attn encoder readout all; do
	expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/$blocks.json" \
		--trace "$T_TMP/$blocks.spkt" --engine systemc --rtl "$blocks"
	grep '^simulator ' "$T_TMP/out" | tee "$T_TMP/$blocks.sim"
	grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/$blocks.txt"
	T_CHECKS=$((T_CHECKS + 1))
	cmp -s "$T_TMP/native.txt" "$T_TMP/$blocks.txt" ||
		{ diff "$T_TMP/native.txt" "$T_TMP/$blocks.txt" >&2; fail "--rtl $blocks: text reports differ"; }
	same_sim_json "$T_TMP/native.json" "$T_TMP/$blocks.json"
	expect_status 0 "$SPIKECHIP" trace diff "$T_TMP/native.spkt" "$T_TMP/$blocks.spkt"
	expect_grep out 'traces are identical'
done
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl readout
expect_grep out '^simulator +systemc\+RTL engine \(RTL: 1 readout\)'
cp "$T_TMP/all.sim" "$T_TMP/out"
expect_grep out '^simulator +systemc\+RTL engine \(RTL: network, 1 encoder, 20 cores, 8 attention units, 1 readout\)'
T_CHECKS=$((T_CHECKS + 1))
"$PY" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["rtl"] != "network, 1 encoder, 20 cores, 8 attention units, 1 readout")' \
	"$T_TMP/all.json" || fail "the JSON report does not name the RTL blocks"
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 1 --check --engine systemc \
	--rtl all
expect_grep out 'spike for spike equal to the integer reference \(0 mismatches\)'
expect_status 0 env SPK_RTL_SHADOW=1 "$SPIKECHIP" sim "$IMG" --images 4 --engine systemc \
	--rtl attn,encoder

# --rtl-tiles: only the listed tiles' units in RTL (tile 0 holds no readout here)
ro=$("$PY" -c 'import json,sys; print([i for i, t in enumerate(json.load(open(sys.argv[1]))["tiles"]) if t["kind"] == "readout"][0])' "$T_TMP/native.json" 2>/dev/null) ||
	fail "no readout tile in the JSON report"
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl readout --rtl-tiles "$ro"
expect_grep out '\(RTL: 1 readout\)'
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl readout --rtl-tiles 0
expect_grep out '\(RTL: no block of this chip\)'

# --- bad uses: exit 2, the option named, nothing written ---------------------------------
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl readout,bogus \
	--json "$T_TMP/x.json"
expect_grep err "sim: --rtl 'readout,bogus': 'bogus' is not an RTL block \(noc, core, attn, encoder, readout, all\)"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl readout \
	--rtl-tiles 3-x --json "$T_TMP/x.json"
expect_grep err "sim: --rtl-tiles '3-x': not a list of tiles 0\.\.143"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl noc --rtl-tiles 1 \
	--json "$T_TMP/x.json"
expect_grep err 'sim: --rtl-tiles chooses the tiles whose units run in RTL'
arch_variant "$TOP_SRCDIR/arch/default.ini" nu.ini core.neuron_updates=4
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/nu.ini" --out "$T_TMP/nu.spki"
expect_status 2 "$SPIKECHIP" sim "$T_TMP/nu.spki" --arch "$T_TMP/nu.ini" --images 1 \
	--engine systemc --rtl readout --json "$T_TMP/x.json"
expect_grep err 'sim: --rtl: .*nu\.ini: \[core\] neuron_updates = 4: the RTL readout was built for 8'
arch_variant "$TOP_SRCDIR/arch/default.ini" add.ini core.adders=8
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/add.ini" --out "$T_TMP/add.spki"
expect_status 2 "$SPIKECHIP" sim "$T_TMP/add.spki" --arch "$T_TMP/add.ini" --images 1 \
	--engine systemc --rtl core --json "$T_TMP/x.json"
expect_grep err 'sim: --rtl: .*add\.ini: \[core\] adders = 8: the RTL core was built for 16'
[ ! -e "$T_TMP/x.json" ] || fail "a refused run wrote its report"
T_CHECKS=$((T_CHECKS + 1))

# make check-rtl: the whole chip in RTL on more images
n=${SPK_RTL_UNITS_IMAGES:-0}
if [ "$n" -gt 0 ]; then
	seg="--segment 10 --jobs 2"
	expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images "$n" --check $seg \
		--json "$T_TMP/native_n.json"
	grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/native_n.txt"
	expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images "$n" --check $seg \
		--json "$T_TMP/all_n.json" --engine systemc --rtl all
	expect_grep out 'spike for spike equal to the integer reference \(0 mismatches\)'
	grep '^simulator ' "$T_TMP/out"
	grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/all_n.txt"
	T_CHECKS=$((T_CHECKS + 1))
	cmp -s "$T_TMP/native_n.txt" "$T_TMP/all_n.txt" ||
		{ diff "$T_TMP/native_n.txt" "$T_TMP/all_n.txt" >&2; fail "--rtl all, $n images: text reports differ"; }
	same_sim_json "$T_TMP/native_n.json" "$T_TMP/all_n.json"
fi
done_checks
