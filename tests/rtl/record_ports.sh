# record_ports.sh — recorded port traffic (doc/rtl.md "Recorded port traffic"): `spikechip sim
# --engine systemc --record-ports TILE FILE` records a unit's ports as its C model saw them in a
# real chip run (the tiny fixture model on the default chip, Fashion-MNIST test images), and
# `spikechip rtl replay FILE` plays them into the Verilated unit, every output compared in every
# cycle and the counters at each run's end:
#   - the busiest synapse core (over 10^5 cycles) and an attention unit, 2 images: equal;
#   - a record of two runs (3 images in segments of 2): equal;
#   - the recording does not change the run (the report is the native engine's);
#   - the replay is not vacuous: records with one expected output changed (an offered packet,
#     a spike, the credits, a counter) or one delivered packet changed are caught (exit 1,
#     naming the cycle and the signal);
#   - bad records and bad uses: exit 2, a message naming the file or option, nothing written.
# SPK_RTL_RECORD_ALL=1 (make check-rtl): every core and attention unit of the chip.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
IMG="$T_TMP/tiny.spki"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/native.json"
grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/native.txt"

# the busiest core, the first attention unit, every used core and attention unit
tiles=$("$PY" -c '
import json, sys
t = json.load(open(sys.argv[1]))["tiles"]
u = [(i, x) for i, x in enumerate(t) if x["used"] and x["kind"] in ("core", "attention")]
core = max((x["busy_cycles"], i) for i, x in u if x["kind"] == "core")[1]
attn = [i for i, x in u if x["kind"] == "attention"][0]
print(core, attn, " ".join(str(i) for i, _ in u))' "$T_TMP/native.json") ||
	fail "no core or attention tile in the JSON report"
set -- $tiles
CORE=$1
ATTN=$2
shift 2
ALL="$*"

# replay_ok TILE [sim options]: record TILE's ports, replay them, expect every output equal
replay_ok() {
	t=$1
	shift
	expect_status 0 "$SPIKECHIP" sim "$IMG" --engine systemc --record-ports "$t" \
		"$T_TMP/t$t.ports" "$@"
	expect_status 0 "$SPIKECHIP" rtl replay "$T_TMP/t$t.ports"
	expect_grep out 'every output equal to the C model.s in every cycle, [0-9]+ counters equal'
	cat "$T_TMP/out"
}

replay_ok "$CORE" --images 2
cycles=$(sed -n 's/.* run, \([0-9]*\) cycles replayed.*/\1/p' "$T_TMP/out")
T_CHECKS=$((T_CHECKS + 1))
[ "${cycles:-0}" -ge 100000 ] || fail "core $CORE: only ${cycles:-0} cycles replayed (want >= 10^5)"
replay_ok "$ATTN" --images 2
expect_grep out "attention of tile $ATTN: 1 run"

# the recording leaves the run as it was
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --engine systemc --record-ports "$CORE" \
	"$T_TMP/again.ports"
grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/rec.txt"
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/native.txt" "$T_TMP/rec.txt" || fail "recording changed the report"
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/again.ports" "$T_TMP/t$CORE.ports" || fail "two recordings of one run differ"

# two runs in one record (segments)
replay_ok "$CORE" --images 3 --segment 2
expect_grep out "core of tile $CORE: 2 runs"

if [ -n "${SPK_RTL_RECORD_ALL:-}" ]; then
	for t in $ALL; do
		replay_ok "$t" --images 2
	done
fi

# --- the replay catches a changed record: exit 1, the cycle and the signal named ----------
REC="$T_TMP/t$ATTN.ports"
expect_status 0 "$SPIKECHIP" sim "$IMG" --engine systemc --record-ports "$CORE" \
	"$T_TMP/core.ports" --images 2
# mutate AWK-PROGRAM NAME SIGNAL: one change to the core's record must be caught
mutate() {
	awk "$1" "$T_TMP/core.ports" >"$T_TMP/$2.ports"
	T_CHECKS=$((T_CHECKS + 1))
	cmp -s "$T_TMP/core.ports" "$T_TMP/$2.ports" && fail "mutation $2 changed nothing"
	expect_status 1 "$SPIKECHIP" rtl replay "$T_TMP/$2.ports"
	expect_grep err "the RTL diverged from the C model in cycle [0-9]+, signal $3"
}
# the 100th offered packet's payload + 1
mutate '/^c .* o / && ++n == 100 { for (i = 1; i <= NF; i++) if ($i == "o") { $(i + 5)++; break } } 1' \
	offer 'tx_payload_o'
# the 50th spike's neuron + 1
mutate '/^c .* s / && ++n == 50 { for (i = 1; i <= NF; i++) if ($i == "s") { $(i + 3)++; break } } 1' \
	spike 'spike_neuron_o'
# the credits freed in the 30th cycle that frees some: one more
mutate '/^c .* f / && ++n == 30 { for (i = 1; i <= NF; i++) if ($i == "f") { $(i + 1)++; break } } 1' \
	credit 'rx_credit_o'
# the 200th delivered spike's axon + 1 (the RTL then works on another input than the C model)
mutate '/^c .* r 0 / && ++n == 200 { for (i = 1; i <= NF; i++) if ($i == "r") { $(i + 3)++; break } } 1' \
	input '(tx_|rx_credit|spike_|counter)'
# one SOP more in the counters
mutate '/^stats / { sub(/ sops=/, " sops=1") } 1' counter 'counter sops_o'

# --- bad records: exit 2, FILE:LINE and what --------------------------------------------
grep -v '^end$' "$REC" >"$T_TMP/trunc.ports"
expect_status 2 "$SPIKECHIP" rtl replay "$T_TMP/trunc.ports"
expect_grep err "trunc\.ports:[0-9]+: the record ends without its 'end' line \(truncated\?\)"
head -c 100000 "$REC" >"$T_TMP/cut.ports"
expect_status 2 "$SPIKECHIP" rtl replay "$T_TMP/cut.ports"
expect_grep err 'cut\.ports:[0-9]+: '
sed '3s/Lanes=[0-9]*/Lanes=3/' "$REC" >"$T_TMP/build.ports"
expect_status 2 "$SPIKECHIP" rtl replay "$T_TMP/build.ports"
expect_grep err 'build\.ports:3: recorded for another RTL build \(.*Lanes=3.*\) than this spikechip links'
sed '1s/.*/not a record/' "$REC" >"$T_TMP/magic.ports"
expect_status 2 "$SPIKECHIP" rtl replay "$T_TMP/magic.ports"
expect_grep err "magic\.ports:1: not a port record"
sed '0,/^c /s/^c \([0-9]*\)/c x\1/' "$REC" >"$T_TMP/num.ports"
expect_status 2 "$SPIKECHIP" rtl replay "$T_TMP/num.ports"
expect_grep err "num\.ports:[0-9]+: 'x[0-9]+' is not a number"
expect_status 2 "$SPIKECHIP" rtl replay "$T_TMP/missing.ports"
expect_grep err 'missing\.ports: cannot open'
expect_status 2 "$SPIKECHIP" rtl replay
expect_grep err 'rtl replay: give one port record FILE'
expect_status 2 "$SPIKECHIP" rtl bogus
expect_grep err "rtl: 'bogus' is not an rtl command \(replay\)"
expect_status 0 "$SPIKECHIP" rtl replay --help
expect_grep out 'usage: spikechip rtl replay FILE'

# --- bad uses of --record-ports: exit 2, nothing written --------------------------------
ro=$("$PY" -c 'import json,sys; print([i for i, t in enumerate(json.load(open(sys.argv[1]))["tiles"]) if t["kind"] == "readout"][0])' "$T_TMP/native.json")
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --record-ports "$ro" \
	"$T_TMP/x.ports"
expect_grep err "sim: --record-ports $ro: tile $ro holds the readout; port records are of synapse cores and attention units"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --record-ports 999 \
	"$T_TMP/x.ports"
expect_grep err "sim: --record-ports '999': not a tile of this chip \(0\.\.143\)"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --record-ports "$CORE" "$T_TMP/x.ports"
expect_grep err 'sim: --record-ports records a unit.s ports in the SystemC engine: give --engine systemc'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --record-ports "$CORE"
expect_grep err 'sim: --record-ports takes a tile and a file'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc --rtl core \
	--record-ports "$CORE" "$T_TMP/x.ports"
expect_grep err "sim: --record-ports $CORE: tile $CORE runs in RTL"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 4 --segment 2 --jobs 2 --engine systemc \
	--record-ports "$CORE" "$T_TMP/x.ports"
expect_grep err 'sim: --record-ports records one process.s runs'
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/x.ports" ] || fail "a refused run wrote its port record"
T_CHECKS=$((T_CHECKS + 1))
! ls "$T_TMP"/x.ports.tmp* >/dev/null 2>&1 || fail "a refused run left a temporary record"
done_checks
