# sweep.sh — `spikechip sweep` (doc/dse.md) on tests/data/sweep/tiny.ini (12 points of the tiny
# fixture, 2 images each: 4 simulated, 4 infeasible, 4 invalid):
#   - every point's status and message; the simulated points' figures equal to those of
#     `spikechip map` + `spikechip sim --json` run by hand on the same architecture, p50/p99
#     recomputed from sim's per-image latencies;
#   - one image per distinct mapping (4 points share 2 images);
#   - the Pareto column equal to the non-dominated set computed here, and the printed front;
#   - resumable and deterministic: killed after 5 points (SPK_TEST_STOP) and run again, only the
#     missing points run, and the merged files equal a --jobs 1 run's byte for byte (wall_s
#     aside);
#   - --point, --merge with points missing, another sweep file in the same directory, --list.
# The sweep file's own errors are rows of doc/errors.md (tests/cli/errors.sh).
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
SPEC="$TOP_SRCDIR/tests/data/sweep/tiny.ini"

expect_status 0 "$SPIKECHIP" sweep --help
expect_grep out '^usage: spikechip sweep SPEC --out DIR'
expect_status 0 "$SPIKECHIP" --help
expect_grep out '^  sweep +design-space exploration'

# --- --list: the grid, first axis slowest, the zip group as one axis ------------------------------
expect_status 0 "$SPIKECHIP" sweep "$SPEC" --list
expect_grep out '12 points \(grid 12\), 2 images each'
expect_grep out '^    0  core\.adders=8 noc\.multicast=source chip\.mesh_x=12 chip\.mesh_y=12 core\.membrane_bits=16$'
expect_grep out '^    4  core\.adders=8 noc\.multicast=tree chip\.mesh_x=5 chip\.mesh_y=5 core\.membrane_bits=16$'
expect_grep out '^   11  core\.adders=32 noc\.multicast=tree chip\.mesh_x=12 chip\.mesh_y=12 core\.membrane_bits=4  \[invalid: .*narrower than weight_bits'

# --- ranges, sampling (nothing run) ---------------------------------------------------------------
cat >"$T_TMP/ranges.ini" <<EOF
[sweep]
model = $MODEL
images = 1
sample = 5
sample_seed = 7
[axes]
core.neuron_updates = 4..16:x2
noc.buffer_flits = 1..7:3
core.adders = 8..10
EOF
expect_status 0 "$SPIKECHIP" sweep "$T_TMP/ranges.ini" --list
expect_grep out '5 points drawn \(grid 27\), 1 images each'
cp "$T_TMP/out" "$T_TMP/draw1"
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/draw1" <<'PYEOF' || fail "the drawn points are not 5 distinct grid points in order"
import itertools, re, sys
grid = [f"core.neuron_updates={a} noc.buffer_flits={b} core.adders={c}"
        for a, b, c in itertools.product([4, 8, 16], [1, 4, 7], [8, 9, 10])]
rows = [re.match(r"^ *([0-9]+)  (.*)$", l).groups()
        for l in open(sys.argv[1]).read().splitlines()[1:]]
idx = [grid.index(label) for _, label in rows]
assert [int(k) for k, _ in rows] == list(range(5))
assert len(set(idx)) == 5 and idx == sorted(idx), idx
PYEOF
expect_status 0 "$SPIKECHIP" sweep "$T_TMP/ranges.ini" --list
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/out" "$T_TMP/draw1" || fail "the same sweep file drew other points"
sed 's/^sample_seed = 7$/sample_seed = 8/' "$T_TMP/ranges.ini" >"$T_TMP/ranges8.ini"
expect_status 0 "$SPIKECHIP" sweep "$T_TMP/ranges8.ini" --list
T_CHECKS=$((T_CHECKS + 1))
! cmp -s "$T_TMP/out" "$T_TMP/draw1" || fail "another sample_seed drew the same points"

# --- the whole sweep, two at a time --------------------------------------------------------------
expect_status 0 "$SPIKECHIP" sweep "$SPEC" --out "$T_TMP/a" --jobs 2 --pareto energy,latency
expect_grep out '12 points \(0 done before\), 2 images each, 2 at a time; 4 chip images to map'
expect_grep out '12 points: 4 ok, 4 invalid, 4 infeasible, 0 mismatch, 0 failed, 0 missing'
expect_grep out '^Pareto front \(energy, latency\):'
cp "$T_TMP/out" "$T_TMP/a.out"
T_CHECKS=$((T_CHECKS + 1))
n=$(ls "$T_TMP/a/images/"*.spki | wc -l)
[ "$n" = 2 ] || fail "4 simulated points of 2 mappings made $n chip images"

# point 9 by hand: the same architecture file, map and sim
arch_variant "$TOP_SRCDIR/arch/default.ini" p9.ini core.adders=32 noc.multicast=tree
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/p9.ini" --out "$T_TMP/p9.spki" \
	--report "$T_TMP/p9-map.json"
expect_status 0 "$SPIKECHIP" sim "$T_TMP/p9.spki" --arch "$T_TMP/p9.ini" --model "$MODEL" \
	--images 2 --check --json "$T_TMP/p9-sim.json"

T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/a" "$T_TMP/p9-sim.json" "$T_TMP/p9-map.json" "$T_TMP/a.out" <<'PYEOF' || fail "the sweep's results are wrong (see above)"
import csv, json, math, sys
d, simf, mapf, outf = sys.argv[1:5]
res = json.load(open(d + "/results.json"))
rows = list(csv.DictReader(open(d + "/results.csv")))
assert res["points"] == 12 and res["missing"] == 0 and len(rows) == 12, "12 points"
assert [r["point"] for r in res["results"]] == list(range(12))
want = {}
for k in range(12):
    shape = k % 3
    want[k] = ["ok", "infeasible", "invalid"][shape]
for r, row in zip(res["results"], rows):
    k = r["point"]
    assert r["status"] == want[k] == row["status"], (k, r["status"], want[k])
    if want[k] == "invalid":
        assert "membrane_bits (4) is narrower than weight_bits (8)" in r["message"], r["message"]
        assert r["metrics"] is None and r["image"] is None
    if want[k] == "infeasible":
        assert "does not fit: synapse cores" in r["message"], r["message"]
        assert "needs 20 synapse cores, the chip has 15" in r["message"], r["message"]
    if want[k] == "ok":
        m = r["metrics"]
        assert m["images"] == 2 and m["mismatches"] == 0 and r["message"] == ""
        assert m["energy_uj_per_image"] > 0 and m["latency_mean_cycles"] > 0
        # the CSV holds the JSON's figures
        assert math.isclose(float(row["energy_uj_per_image"]), m["energy_uj_per_image"], rel_tol=1e-9)
        assert row["core.adders"] == r["values"]["core.adders"]
# point 9 = the hand-made run
s, mp, m = json.load(open(simf)), json.load(open(mapf)), res["results"][9]["metrics"]
assert res["results"][9]["values"] == {"core.adders": "32", "noc.multicast": "tree",
    "chip.mesh_x": "12", "chip.mesh_y": "12", "core.membrane_bits": "16"}
lat = sorted(s["per_image"]["latency_cycles"])
def rank(q): return lat[max(1, math.ceil(q * len(lat))) - 1]
checks = {
    "energy_uj_per_image": s["energy_uj_per_image"],
    "dynamic_uj_per_image": s["energy_dynamic_uj_per_image"],
    "static_uj_per_image": s["energy_breakdown_uj_per_image"]["static"],
    "weight_reads_uj": s["energy_breakdown_uj_per_image"]["weight_reads"],
    "latency_mean_cycles": s["latency_cycles_mean"],
    "latency_p50_cycles": rank(0.5), "latency_p99_cycles": rank(0.99),
    "latency_p99_us": rank(0.99) / s["clock_mhz"],
    "throughput_images_per_s": s["throughput_images_per_s"],
    "pj_per_sop": s["pj_per_sop"], "sops_per_image": s["sops_per_image"],
    "tiles_used": mp["tiles_used"], "synapse_kib_used": mp["synapse_bytes_used"] / 1024,
    "noc_stall_share": s["noc"]["stall_cycles"] / (s["noc"]["stall_cycles"] + s["noc"]["router_flits"]),
}
for k, v in checks.items():
    assert m[k] == v, (k, m[k], v)
# Pareto: the non-dominated ok points in (energy, latency in us), computed here
ok = [r for r in res["results"] if r["status"] == "ok"]
def dom(a, b):
    x = (a["metrics"]["energy_uj_per_image"], a["metrics"]["latency_mean_us"])
    y = (b["metrics"]["energy_uj_per_image"], b["metrics"]["latency_mean_us"])
    return all(p <= q for p, q in zip(x, y)) and x != y
front = {r["point"] for r in ok if not any(dom(o, r) for o in ok)}
assert front, "an empty front"
for r, row in zip(res["results"], rows):
    assert r["pareto"] == (r["point"] in front), (r["point"], r["pareto"])
    assert row["pareto"] == ("1" if r["point"] in front else "0")
printed = set()
lines = open(outf).read().split("Pareto front")[1].splitlines()[2:]
for l in lines:
    if l.strip():
        printed.add(int(l.split()[0]))
assert printed == front, (printed, front)
PYEOF

# --- killed after 5 points, run again: only the missing ones; the same bytes as --jobs 1 -----------
expect_status 0 "$SPIKECHIP" sweep "$SPEC" --out "$T_TMP/b" --jobs 1 --pareto energy,latency
T_CHECKS=$((T_CHECKS + 1))
SPK_TEST_STOP=point:5 "$SPIKECHIP" sweep "$SPEC" --out "$T_TMP/c" --jobs 2 --pareto energy,latency \
	>"$T_TMP/c.out" 2>&1
rc=$?
[ "$rc" = 143 ] || { cat "$T_TMP/c.out"; fail "the stopped sweep exited $rc, not 143 (SIGTERM)"; }
T_CHECKS=$((T_CHECKS + 1))
done_before=$(ls "$T_TMP/c/points" | wc -l)
[ "$done_before" -ge 5 ] && [ "$done_before" -lt 12 ] && [ ! -e "$T_TMP/c/results.csv" ] ||
	fail "after the stop: $done_before points recorded, expected 5..11 and no results"
expect_status 0 "$SPIKECHIP" sweep "$SPEC" --out "$T_TMP/c" --jobs 2 --pareto energy,latency
expect_grep out "12 points \($done_before done before\)"
T_CHECKS=$((T_CHECKS + 1))
ran=$(grep -c '^\[ *[0-9]*/[0-9]*\] point ' "$T_TMP/out")
[ "$ran" = $((12 - done_before)) ] || fail "the second run ran $ran points, not $((12 - done_before))"
for d in a c; do
	T_CHECKS=$((T_CHECKS + 1))
	sed 's/,[^,]*$//' "$T_TMP/b/results.csv" >"$T_TMP/b.csv"
	sed 's/,[^,]*$//' "$T_TMP/$d/results.csv" >"$T_TMP/$d.csv"
	cmp "$T_TMP/b.csv" "$T_TMP/$d.csv" || fail "results.csv of $d differs from --jobs 1's"
	T_CHECKS=$((T_CHECKS + 1))
	grep -v '"wall_s"' "$T_TMP/b/results.json" >"$T_TMP/b.json"
	grep -v '"wall_s"' "$T_TMP/$d/results.json" >"$T_TMP/$d.json"
	cmp "$T_TMP/b.json" "$T_TMP/$d.json" || fail "results.json of $d differs from --jobs 1's"
done
# ... and the comparison sees a changed figure
T_CHECKS=$((T_CHECKS + 1))
sed 's/,ok,8,/,ok,9,/' "$T_TMP/c.csv" >"$T_TMP/c2.csv"
! cmp -s "$T_TMP/b.csv" "$T_TMP/c2.csv" || fail "the comparison does not see a changed value"

# --- --point, --merge with points missing, a second sweep file in one directory ------------------
expect_status 0 "$SPIKECHIP" sweep "$SPEC" --out "$T_TMP/d" --point 3
expect_grep out '^point 3 core\.adders=8 noc\.multicast=tree .*: ok: '
expect_status 0 "$SPIKECHIP" sweep "$SPEC" --out "$T_TMP/d" --point 2
expect_grep out '^point 2 .*: invalid: '
expect_status 1 "$SPIKECHIP" sweep "$SPEC" --out "$T_TMP/d" --merge
expect_grep err '10 of 12 points are missing from '
T_CHECKS=$((T_CHECKS + 1))
[ "$(wc -l <"$T_TMP/d/results.csv")" = 3 ] || fail "a partial merge should hold 2 points"
T_CHECKS=$((T_CHECKS + 1))
# every column up to the metrics (the Pareto column depends on the other points)
grep '^3,' "$T_TMP/d/results.csv" | cut -d, -f1-35 >"$T_TMP/d3"
grep '^3,' "$T_TMP/b.csv" | cut -d, -f1-35 | cmp - "$T_TMP/d3" ||
	fail "--point 3 differs from the full run's point 3"
expect_status 2 "$SPIKECHIP" sweep "$TOP_SRCDIR/tests/data/sweep/four.ini" --out "$T_TMP/d"
expect_grep err "holds the results of another sweep file"

echo "sweep.sh: $T_CHECKS checks passed"
