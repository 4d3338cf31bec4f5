# timeline.sh — `spikechip sim --timeline` and `--critical-path` (doc/report.md) on the tiny
# fixture model, one Fashion-MNIST image on the default chip:
#   - the timeline is valid JSON (Python's json.load) in the Chrome trace-event format (a
#     traceEvents array of M, X, C and i events; otherData gives the clock); every span, counter
#     and instant lies inside the run (cycles [0, the report's cycles)) and, with
#     --timeline-from/--timeline-to, inside that window; the spans of category "busy" of each
#     unit sum to that unit's busy_cycles in the JSON report (tiles[]), which also shows that a
#     timeline dropping one span is caught: the same check fails on a copy with one busy span
#     removed; --timeline-routers adds router tracks; the report is the same with and without
#     the timeline;
#   - the critical path: every image's causes sum to its latency, contributors sum to the whole,
#     the text report lists the top 5; on hand-built chips whose bottleneck is known by
#     construction the top cause is that bottleneck: with [core] adders = 1, synaptic adds
#     (more than 90 % of the path); with adders = 1024 and the smallest input FIFO and router
#     buffers (input_fifo = 2, buffer_flits = 1), offers the NI refused (more than half);
#   - refusals, exit 2 and nothing written: --timeline with --jobs 2, with --resume, with
#     --engine systemc, with more images than one segment; --timeline-from without --timeline;
#     --timeline-to not after --timeline-from; --critical-path with --jobs 2.
# Skipped (77) without the fixture model or the dataset.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
IMG="$T_TMP/tiny.spki"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"

# check.py TIMELINE REPORT FROM TO|- [sum]: the timeline's structure and bounds, and with `sum`
# the busy spans of every unit against the report's busy_cycles.
cat >"$T_TMP/check.py" <<'EOF'
import json, sys
tl = json.load(open(sys.argv[1]))
rep = json.load(open(sys.argv[2]))
lo = int(sys.argv[3])
hi = None if sys.argv[4] == "-" else int(sys.argv[4])
ev = tl["traceEvents"]
assert tl["otherData"]["clock_mhz"] == rep["clock_mhz"], "clock"
kinds = {e["ph"] for e in ev}
assert kinds <= {"M", "X", "C", "i"} and "X" in kinds and "M" in kinds, kinds
names = {e["pid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
busy = {}
for e in ev:
    if e["ph"] == "M":
        continue
    ts, end = e["ts"], e["ts"] + e.get("dur", 0)
    if e["ph"] == "X":
        assert e["dur"] > 0 and e["pid"] in names, e
    if not (0 <= ts and end <= rep["cycles"]):
        sys.exit("outside the run (0..%d): %s" % (rep["cycles"], e))
    if ts < lo or (hi is not None and end > hi):
        sys.exit("outside the window: %s" % e)
    if e["ph"] == "X" and e["cat"] == "busy":
        busy[e["pid"]] = busy.get(e["pid"], 0) + e["dur"]
if len(sys.argv) > 5 and sys.argv[5] == "sum":
    for t, tile in enumerate(rep["tiles"]):
        if busy.get(t + 1, 0) != tile["busy_cycles"]:
            sys.exit("tile %d (%s): busy spans %d cycles, the report %d" %
                     (t, tile["kind"], busy.get(t + 1, 0), tile["busy_cycles"]))
    assert sum(busy.values()) > 0
routers = [n for n in names.values() if n.startswith("router")]
print("events %d units %d routers %d busy %d" %
      (len(ev), len(names) - len(routers), len(routers), sum(busy.values())))
EOF

# --- the whole run: bounds, and busy spans = the report's busy cycles -----------------------
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 1 --json "$T_TMP/plain.json"
cp "$T_TMP/out" "$T_TMP/plain.txt"
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 1 --json "$T_TMP/r.json" \
	--timeline "$T_TMP/tl.json"
T_CHECKS=$((T_CHECKS + 1))
grep -v '^simulator' "$T_TMP/out" >"$T_TMP/a.txt"
grep -v '^simulator' "$T_TMP/plain.txt" >"$T_TMP/b.txt"
cmp -s "$T_TMP/a.txt" "$T_TMP/b.txt" || fail "the text report changes with --timeline"
expect_status 0 "$PY" "$T_TMP/check.py" "$T_TMP/tl.json" "$T_TMP/r.json" 0 - sum
expect_grep out 'routers 0 busy [1-9]'

# the same check catches a timeline with one busy span left out
"$PY" - "$T_TMP/tl.json" "$T_TMP/drop.json" <<'EOF'
import json, sys
tl = json.load(open(sys.argv[1]))
ev = tl["traceEvents"]
i = next(k for k, e in enumerate(ev) if e["ph"] == "X" and e["cat"] == "busy")
del ev[i]
json.dump(tl, open(sys.argv[2], "w"))
EOF
expect_status 1 "$PY" "$T_TMP/check.py" "$T_TMP/drop.json" "$T_TMP/r.json" 0 - sum
expect_grep err 'busy spans [0-9]+ cycles, the report [0-9]+'

# --- a window, with routers -------------------------------------------------------------------
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 1 --json "$T_TMP/w.json" \
	--timeline "$T_TMP/tlw.json" --timeline-routers --timeline-from 100000 --timeline-to 120000
expect_status 0 "$PY" "$T_TMP/check.py" "$T_TMP/tlw.json" "$T_TMP/w.json" 100000 120000
expect_grep out 'units [1-9][0-9]* routers [1-9]'

# --- the critical path ------------------------------------------------------------------------
# cp.py REPORT: causes sum to each latency and contributors to the whole; prints the top cause
# and its share
cat >"$T_TMP/cp.py" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
cp = r["critical_path"]
lat = r["per_image"]["latency_cycles"]
assert cp["images"] == len(lat)
for im in cp["per_image"]:
    assert sum(im["by_cause"].values()) == lat[im["image"]] == im["latency_cycles"], im
assert cp["cycles"] == sum(lat) == sum(cp["by_cause"].values())
assert sum(c["cycles"] for c in cp["contributors"]) == cp["cycles"]
top = max(cp["by_cause"], key=lambda k: cp["by_cause"][k])
print("top %s %.3f" % (top, cp["by_cause"][top] / cp["cycles"]))
EOF
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --json "$T_TMP/cp.json" --critical-path
expect_grep out '^critical path +[0-9]+ cycles on the paths of 2 images'
T_CHECKS=$((T_CHECKS + 1))
[ "$(grep -A6 '^critical path' "$T_TMP/out" | grep -Ec '^ +[0-9]+ +[0-9.]+%')" = 5 ] ||
	fail "the text report does not list 5 contributors"
expect_grep out '^by cause +synaptic adds'
expect_status 0 "$PY" "$T_TMP/cp.py" "$T_TMP/cp.json"

# one adder per core: the synaptic additions set the pace
arch_variant "$TOP_SRCDIR/arch/default.ini" adders1.ini core.adders=1
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 1 --arch "$T_TMP/adders1.ini" \
	--json "$T_TMP/a1.json" --critical-path
expect_status 0 "$PY" "$T_TMP/cp.py" "$T_TMP/a1.json"
expect_grep out '^top synaptic_adds 0\.9'

# fast adders, the smallest input FIFO and router buffers: back-pressure sets the pace
arch_variant "$TOP_SRCDIR/arch/default.ini" fifo.ini core.adders=1024 core.input_fifo=2 \
	noc.buffer_flits=1
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 1 --arch "$T_TMP/fifo.ini" \
	--json "$T_TMP/f.json" --critical-path
expect_status 0 "$PY" "$T_TMP/cp.py" "$T_TMP/f.json"
expect_grep out '^top NI_refused 0\.[5-9]'

# --- refusals: exit 2, the option named, nothing written ------------------------------------
OUT="--json $T_TMP/bad.json --timeline $T_TMP/bad-tl.json"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 2 --segment 1 --jobs 2 $OUT
expect_grep err 'sim: --timeline records one process.s run: it takes neither --jobs N > 1 nor --resume'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --resume "$T_TMP/res" $OUT
expect_grep err 'sim: --timeline records one process.s run'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --engine systemc $OUT
expect_grep err 'sim: --timeline follows the native engine.s units: not with --engine systemc'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 2 --segment 1 $OUT
expect_grep err 'sim: --timeline records one segment .* give --images N of at most --segment S'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --timeline-from 5
expect_grep err 'sim: --timeline-from/--timeline-to needs --timeline FILE.json'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --timeline-routers
expect_grep err 'sim: --timeline-routers needs --timeline FILE.json'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 $OUT --timeline-from 10 --timeline-to 10
expect_grep err 'sim: --timeline-to 10 is not after --timeline-from 10'
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 1 --timeline-to x $OUT
expect_grep err "sim: --timeline-to 'x' is not a cycle number"
expect_status 2 "$SPIKECHIP" sim "$IMG" --images 2 --segment 1 --jobs 2 --critical-path
expect_grep err 'sim: --critical-path records one process.s run'
T_CHECKS=$((T_CHECKS + 1))
for f in bad.json bad-tl.json res; do
	[ ! -e "$T_TMP/$f" ] || fail "$f written by a refused run"
done
ls "$T_TMP" | grep -q '\.tmp\.' && fail "a temporary file was left behind"

done_checks
