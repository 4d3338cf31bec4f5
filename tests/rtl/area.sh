# area.sh — yosys synthesises the default preset's router and NI (rtl/area.sh, `make area`): a
# positive cell and NAND2-equivalent count for each. `spikechip arch show --area`, which
# synthesises again on its own, gives the same network (two runs, one result), caches it (a
# second call reads the cache and prints the same), and its chip area (--json) equals the sum
# derived here from the architecture file and rtl/unit_logic.txt: memory bits from the [core],
# [attention] and [encoder] sizes, logic from the NAND2 counts. It refuses --json without
# --area, a corrupt rtl/unit_logic.txt (naming the file and line) and an architecture the RTL
# does not support, leaving no JSON behind.
. "$TOP_SRCDIR/tests/cli/lib.sh"

Y=${YOSYS:-yosys}
export XDG_CACHE_HOME="$T_TMP/cache"
expect_status 0 sh "$TOP_SRCDIR/rtl/area.sh" "$Y" "$TOP_SRCDIR/rtl" "$TOP_BUILDDIR/rtl/pkg" default
cp "$T_TMP/out" "$T_TMP/first"
cat "$T_TMP/first"
expect_grep out '^default +router +[1-9][0-9]* +[1-9][0-9]* +[1-9][0-9.]*$'
expect_grep out '^default +ni +[1-9][0-9]* +[1-9][0-9]* +[1-9][0-9.]*$'

expect_status 0 "$SPIKECHIP" arch show --area --json "$T_TMP/area.json" default
cp "$T_TMP/out" "$T_TMP/show1"
sed -n '/^; area at 45 nm/,$p' "$T_TMP/show1"
T_CHECKS=$((T_CHECKS + 1))
"${PYTHON:-python3}" - "$T_TMP/first" "$T_TMP/show1" "$T_TMP/area.json" \
	"$TOP_SRCDIR/arch/default.ini" "$TOP_SRCDIR/rtl/unit_logic.txt" <<'PYEOF' ||
import configparser, json, re, sys
first, show, js, ini, logic = sys.argv[1:]
rows = {l.split()[1]: l.split()[2:] for l in open(first) if l.startswith("default ")}
show = open(show).read()
area = json.load(open(js))["area"]
a = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
a.read(ini)
num = lambda s, k: float(a[s][k])
net = float(rows["router"][1]) + float(rows["ni"][1])
m = re.search(r"router (\d+) \+ NI (\d+) NAND2 eq\.", show)
assert m and (m.group(1), m.group(2)) == (rows["router"][1], rows["ni"][1]), (m, rows)
units = {l.split()[0]: l.split()[3] for l in open(logic) if l.strip() and l[0] != "#"}
tiles = num("chip", "mesh_x") * num("chip", "mesh_y")
attn, enc, ro = num("attention", "units"), num("encoder", "units"), num("chip", "readout_units")
expect = {  # block: (count, memory bits, logic NAND2 or None)
    "core": (tiles - attn - enc - ro,
             num("core", "synapse_kib") * 8192 + num("core", "neurons") * num("core", "membrane_bits")
             + num("core", "route_entries") * num("noc", "flit_bits"), units["core"]),
    "attn": (attn, num("attention", "kv_kib") * 8192, units["attn"]),
    "encoder": (enc, num("encoder", "weight_kib") * 8192, units["encoder"]),
    "readout": (ro, 0, units["readout"]),
    "network": (tiles, 0, net),
}
total = 0
for key, (count, bits, nand2) in expect.items():
    b = area["blocks"][key]
    nand2 = None if nand2 == "-" else float(nand2)
    assert b["count"] == count and b["memory_bits"] == bits and b["logic_nand2"] == nand2, (key, b)
    total += count * (bits * 1.211 + (nand2 or 0) * 0.798) / 1e6
assert abs(area["total_mm2"] - total) < 1e-9 * total, (area["total_mm2"], total)
assert area["blocks_without_logic"] == sum(1 for _, _, n in expect.values() if n == "-")
m = re.search(r"^;   chip +([\d.]+) +([\d.]+) +([\d.]+)  \(mm\^2\)$", show, re.M)
assert m and abs(float(m.group(3)) - total) < 1e-4, (m, total)
print("area: %.4f mm^2 derived, %.4f reported" % (total, area["total_mm2"]))
PYEOF
	fail "arch show --area differs from the area derived from the architecture"
T_CHECKS=$((T_CHECKS + 1))
ls "$XDG_CACHE_HOME"/spikechip/area-*.txt >/dev/null 2>&1 || fail "no cached result"
expect_status 0 "$SPIKECHIP" arch show --area default
T_CHECKS=$((T_CHECKS + 1))
sed 's/ (cached)$//' "$T_TMP/out" >"$T_TMP/show2"
cmp -s "$T_TMP/show1" "$T_TMP/show2" || fail "the cached result differs"
expect_grep out 'router [0-9]* \+ NI [0-9]* NAND2 eq\. \(cached\)$'

# --- a sweep with area as an objective: each ok point's area_mm2 is its architecture's
# `arch show --area` total; the front is the non-dominated set in (energy, area) computed here.
# The axes leave the network as it is, so its synthesis above is read from the cache.
use_tiny_fixture
cat >"$T_TMP/sweep.ini" <<EOF
[sweep]
arch = default
model = $MODEL
images = 1
[axes]
core.synapse_kib = 64, 128, 256
EOF
expect_status 0 "$SPIKECHIP" sweep "$T_TMP/sweep.ini" --out "$T_TMP/sw" --jobs 2 --pareto energy,area
cp "$T_TMP/out" "$T_TMP/sweep.out"
sed -n '/Pareto front/,$p' "$T_TMP/sweep.out"
T_CHECKS=$((T_CHECKS + 1))
for k in 0 1 2; do
	"$SPIKECHIP" arch show --area --json "$T_TMP/sw/area$k.json" "$T_TMP/sw/work/$k/arch.ini" \
		>/dev/null || fail "arch show --area of point $k"
done
"${PYTHON:-python3}" - "$T_TMP/sw" "$T_TMP/sweep.out" <<'PYEOF' || fail "the sweep's areas or front are wrong"
import csv, json, sys
d, out = sys.argv[1:]
res = json.load(open(d + "/results.json"))
rows = list(csv.DictReader(open(d + "/results.csv")))
assert res["pareto_objectives"] == ["energy", "area"], res["pareto_objectives"]
ok = [r for r in res["results"] if r["status"] == "ok"]
assert len(ok) == 3, [r["status"] for r in res["results"]]
for r, row in zip(res["results"], rows):
    want = json.load(open("%s/area%d.json" % (d, r["point"])))["area"]["total_mm2"]
    assert r["metrics"]["area_mm2"] == want, (r["point"], r["metrics"]["area_mm2"], want)
    assert abs(float(row["area_mm2"]) - want) <= 1e-9 * want, (row["area_mm2"], want)
areas = {r["metrics"]["area_mm2"] for r in ok}
assert len(areas) == 3, areas  # one per synapse_kib
def obj(r): return (r["metrics"]["energy_uj_per_image"], r["metrics"]["area_mm2"])
def dom(a, b): return all(p <= q for p, q in zip(obj(a), obj(b))) and obj(a) != obj(b)
front = {r["point"] for r in ok if not any(dom(o, r) for o in ok)}
assert front
for r in res["results"]:
    assert r["pareto"] == (r["point"] in front), (r["point"], r["pareto"], front)
lines = open(out).read().split("Pareto front")[1].splitlines()[2:]
assert {int(l.split()[0]) for l in lines if l.strip()} == front
PYEOF

expect_status 2 "$SPIKECHIP" arch show --json "$T_TMP/x.json" default
expect_grep err 'arch show: --json writes the area: give --area too'
mkdir -p "$T_TMP/data/rtl"
printf 'core core_g 10 20 a note\ncore core_g 10 20 again\n' >"$T_TMP/data/rtl/unit_logic.txt"
expect_status 2 env SPIKECHIP_DATA="$T_TMP/data" "$SPIKECHIP" arch show --area --json "$T_TMP/x.json" default
expect_grep err 'data/rtl/unit_logic.txt:2: .core. is given twice'
printf 'core core_g 10 lots a note\n' >"$T_TMP/data/rtl/unit_logic.txt"
expect_status 2 env SPIKECHIP_DATA="$T_TMP/data" "$SPIKECHIP" arch show --area --json "$T_TMP/x.json" default
expect_grep err 'data/rtl/unit_logic.txt:1: .lots. is not a NAND2 count'
arch_variant "$TOP_SRCDIR/arch/default.ini" wide.ini noc.flit_bits=128
expect_status 2 "$SPIKECHIP" arch show --area --json "$T_TMP/x.json" "$T_TMP/wide.ini"
expect_grep err 'arch show --area: the RTL does not support this architecture: \[noc\] flit_bits = 128: the RTL supports 8\.\.64'
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/x.json" ] || fail "a refused --json left $T_TMP/x.json behind"
expect_status 0 "$SPIKECHIP" arch show --help
expect_grep out '--area'
done_checks
