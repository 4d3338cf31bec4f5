# sim_rtl.sh — `spikechip sim --engine systemc --rtl noc`: the chip with its network in RTL
# (Verilated routers and NIs, rtl/rtl_noc.cpp) gives the native engine's report. The tiny
# fixture model on the default chip, two Fashion-MNIST test images: the text report (all but the
# `simulator` line), the JSON report (all but the engine and speed fields) and the spike trace
# are identical; --check passes; a waveform of a cycle window reads back with fst2vcd and holds
# the routers' and NIs' ports in that window only; bad uses exit 2 and write nothing.
# (`make check-rtl` runs 20 images of the shipped model: tests/rtl/sim_rtl_shipped.sh.)
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
IMG="$T_TMP/tiny.spki"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"

expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/native.json" \
	--trace "$T_TMP/native.spkt"
grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/native.txt"
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/rtl.json" \
	--trace "$T_TMP/rtl.spkt" --engine systemc --rtl noc
expect_grep out '^simulator +systemc\+RTL engine'
grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/rtl.txt"
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/native.txt" "$T_TMP/rtl.txt" ||
	{ diff "$T_TMP/native.txt" "$T_TMP/rtl.txt" >&2; fail "text reports differ"; }
same_sim_json "$T_TMP/native.json" "$T_TMP/rtl.json"
T_CHECKS=$((T_CHECKS + 1))
"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(not (a["images"] == 2 and a["noc"]["stall_cycles"] > 0))' \
	"$T_TMP/rtl.json" || fail "the run did not stall the network"
expect_status 0 "$SPIKECHIP" trace diff "$T_TMP/native.spkt" "$T_TMP/rtl.spkt"
expect_grep out 'traces are identical'
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 2 --check --engine systemc \
	--rtl noc
expect_grep out 'spike for spike equal to the integer reference \(0 mismatches\)'

# --- waveforms: cycles [2000, 2100) of the first image -----------------------------------
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl noc \
	--wave "$T_TMP/w.fst" --wave-from 2000 --wave-to 2100
T_CHECKS=$((T_CHECKS + 1))
"${FST2VCD:-fst2vcd}" "$T_TMP/w.fst" >"$T_TMP/w.vcd" 2>/dev/null || fail "fst2vcd cannot read the waveform"
for sig in 'scope module t5_5_router' 'scope module t5_5_ni' 'var wire 5 .* out_valid_o \[4:0\]' \
	'var wire 1 .* tx_ready_o' 'var wire 32 .* rx_id_o \[31:0\]'; do
	T_CHECKS=$((T_CHECKS + 1))
	grep -Eq "\\\$$sig" "$T_TMP/w.vcd" || fail "the waveform has no '$sig'"
done
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/w.vcd" <<'PYEOF' || fail "waveform times outside [2000, 2100) cycles"
import sys
times = [int(l[1:]) for l in open(sys.argv[1]) if l.startswith('#')]
assert len(times) > 10, times
# cycle x is at 10x (clock low) and 10x + 5 (after its edge)
assert min(times) >= 20000 and max(times) <= 20995, (min(times), max(times))
assert max(times) >= 20500, max(times)   # the network is busy through the window
PYEOF

# --- bad uses: exit 2, the option named, nothing written ---------------------------------
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl bogus --json "$T_TMP/x.json"
expect_grep err "sim: --rtl 'bogus': 'bogus' is not an RTL block \(noc, core, attn, encoder, readout, all\)"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --rtl noc --json "$T_TMP/x.json"
expect_grep err 'sim: --rtl needs --engine systemc'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --wave "$T_TMP/x.fst"
expect_grep err 'sim: --wave records RTL blocks: give --rtl BLOCKS'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl noc --wave "$T_TMP/x.fst" \
	--wave-from 10 --wave-to 5
expect_grep err 'sim: --wave-to 5 is not after --wave-from 10'
arch_variant "$TOP_SRCDIR/arch/default.ini" b8.ini noc.buffer_flits=8
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --arch "$T_TMP/b8.ini" --engine systemc \
	--rtl noc --json "$T_TMP/x.json" --wave "$T_TMP/x.fst"
expect_grep err 'buffer_flits = 8: the RTL network was built for 4'
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/x.json" ] && [ ! -e "$T_TMP/x.fst" ] || fail "a refused run left output behind"
expect_status 0 "$SPIKECHIP" sim --help
expect_grep out '--rtl BLOCKS +with --engine systemc'
done_checks
