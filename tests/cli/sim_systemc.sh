# sim_systemc.sh — `spikechip sim --engine systemc`: the tiny fixture model on the default chip
# runs two Fashion-MNIST test images through the SystemC kernel and through the native loop;
# the JSON reports are identical (all but the engine's name and the simulator's own speed), so
# are the text reports (all but the `simulator` line) and the spike traces (`trace diff`); the
# SystemC run passes --check; a run of two one-image segments (the SystemC elaboration reused
# in one process) equals the native one; a bad --engine exits 2 naming the option; the SystemC
# banner never appears. The watchdog (--max-cycles N) stops both engines at the same cycle: a
# limit of the run's last cycle stops it (exit 1, the cycle and the images out named, no report
# written), one more lets it finish with the same report. Skipped (77) without the fixture model
# or the dataset.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
IMG="$T_TMP/tiny.spki"
unset SYSTEMC_DISABLE_COPYRIGHT_MESSAGE		# spikechip silences the banner itself

expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"

# --- bad values: exit 2, the option named -------------------------------------------------
for v in bogus SystemC ""; do
	expect_status 2 "$SPIKECHIP" sim "$IMG" --engine "$v"
	expect_grep err "sim: --engine '$v' is not an engine \(native or systemc\)"
done
expect_status 0 "$SPIKECHIP" sim --help
expect_grep out '--engine E +native \(default\), or systemc'

# --- two images, both engines: same report and trace ----------------------------------------
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/native.json" \
	--trace "$T_TMP/native.spkt"
expect_grep out '^simulator +native engine'
cp "$T_TMP/out" "$T_TMP/native.txt"
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/systemc.json" \
	--trace "$T_TMP/systemc.spkt" --engine systemc
expect_grep out '^simulator +systemc engine'
cp "$T_TMP/out" "$T_TMP/systemc.txt"
grep -qi 'copyright\|SystemC 2\.' "$T_TMP/out" "$T_TMP/err" && fail "the SystemC banner appeared"
T_CHECKS=$((T_CHECKS + 1))
grep -v '^simulator ' "$T_TMP/native.txt" >"$T_TMP/native.cut"
grep -v '^simulator ' "$T_TMP/systemc.txt" >"$T_TMP/systemc.cut"
cmp -s "$T_TMP/native.cut" "$T_TMP/systemc.cut" ||
	{ diff "$T_TMP/native.cut" "$T_TMP/systemc.cut" >&2; fail "text reports differ"; }

# JSON: equal but for the engine and the simulator's speed; the engine field names the engine
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/native.json" "$T_TMP/systemc.json" <<'PYEOF' || fail "JSON reports differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["engine"] == "native" and b["engine"] == "systemc", (a["engine"], b["engine"])
assert a["images"] == 2 and a["cycles"] > 0 and a["noc"]["packets"] > 0
for r in (a, b):
    for k in ("engine", "sim_wall_s", "sim_sops_per_s", "sim_cycles_per_s"):
        del r[k]
bad = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
if bad:
    for k in bad:
        print(k, a.get(k), b.get(k), file=sys.stderr)
    sys.exit(1)
PYEOF
expect_status 0 "$SPIKECHIP" trace diff "$T_TMP/native.spkt" "$T_TMP/systemc.spkt"
expect_grep out 'traces are identical'

# --- checked spike for spike against the integer reference ------------------------------------
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 2 --check --engine systemc
expect_grep out 'check +spike for spike equal to the integer reference \(0 mismatches\)'

# --- segments: one elaboration, rebound to a fresh chip per segment -------------------------
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --segment 1 --json "$T_TMP/seg-n.json"
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --segment 1 --json "$T_TMP/seg-s.json" \
	--engine systemc
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/seg-n.json" "$T_TMP/seg-s.json" <<'PYEOF' || fail "segmented JSON reports differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    for k in ("engine", "sim_wall_s", "sim_sops_per_s", "sim_cycles_per_s"):
        del r[k]
assert a == b, [k for k in a if a[k] != b.get(k)]
PYEOF

# --- spikechip run passes the engine on (and refuses a bad one before any work) ----------------
expect_status 2 "$SPIKECHIP" run --engine verilog
expect_grep err "run: --engine 'verilog' is not an engine \(native or systemc\)"
# --- the watchdog: both engines stop at cycle N; N + 1 is enough -------------------------
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2
last=$(sed -n 's/^simulated time *\([0-9]*\) cycles.*/\1/p' "$T_TMP/out")
for e in native systemc; do
	expect_status 1 "$SPIKECHIP" sim "$IMG" --images 2 --engine "$e" \
		--max-cycles $((last - 1)) --json "$T_TMP/mc.json"
	expect_grep err "stopped at cycle $((last - 1)) \(--max-cycles\) with 1 of 2 images out"
	expect_status 1 "$SPIKECHIP" sim "$IMG" --images 2 --engine "$e" --max-cycles 1000
	expect_grep err 'stopped at cycle 1000 \(--max-cycles\) with 0 of 2 images out'
	expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --engine "$e" --max-cycles "$last"
	expect_grep out "^simulated time +$last cycles"
done
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/mc.json" ] || fail "a run the watchdog stopped wrote its report"
expect_status 2 "$SPIKECHIP" sim "$IMG" --max-cycles 0
expect_grep err "sim: --max-cycles '0' is not a number of cycles \(1 or more\)"

expect_status 0 "$SPIKECHIP" run --model "$MODEL" --images 2 --jobs 1 --engine systemc
expect_grep out '^simulator +systemc engine'
expect_grep out 'spike for spike equal to the integer reference \(0 mismatches\)'

done_checks
