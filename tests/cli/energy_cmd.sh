# energy_cmd.sh — `spikechip energy` (doc/energy.md "Energy without cycles"): the tiny fixture
# model, 20 Fashion-MNIST test images, source replication and tree multicast: every count the
# cycle simulator makes (`spikechip sim --json` over the same images) is the energy command's,
# field by field, and the comparison catches a changed count; the two counters (the integer
# reference's run, the default, and the image's executor) give the same report; --sample's latency and static
# energy are those of the sampled images run alone through `sim --segment 1`; bad options and
# inputs exit 2 and leave no file.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture

# changed REPORT.json CHANGE: $T_TMP/changed.json is REPORT with the Python statement CHANGE
# applied to it (as e).
changed() {
	"$PY" - "$1" "$T_TMP/changed.json" "$2" <<'PYEOF'
import json, sys
e = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(e, open(sys.argv[2], "w"))
PYEOF
}

expect_status 0 "$SPIKECHIP" energy --help
expect_grep out '^usage: spikechip energy IMAGE'
expect_status 0 "$SPIKECHIP" --help
expect_grep out '^  energy +dynamic energy'

# --- source replication and tree multicast: counted = simulated ----------------------------------
sed 's/^multicast = source$/multicast = tree/' "$TOP_SRCDIR/arch/default.ini" >"$T_TMP/tree.ini"
T_CHECKS=$((T_CHECKS + 1))
grep -q '^multicast = tree$' "$T_TMP/tree.ini" || fail "sed did not make a tree variant"
for mode in default tree; do
	a=$mode
	[ "$mode" = tree ] && a="$T_TMP/tree.ini"
	expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$a" --out "$T_TMP/$mode.spki"
	expect_status 0 "$SPIKECHIP" sim "$T_TMP/$mode.spki" --arch "$a" --model "$MODEL" \
		--images 20 --json "$T_TMP/$mode-sim.json"
	expect_status 0 "$SPIKECHIP" energy "$T_TMP/$mode.spki" --arch "$a" --model "$MODEL" \
		--images 20 --json "$T_TMP/$mode-energy.json"
	expect_grep out '^spikechip energy .*20 images, no cycles simulated'
	expect_grep out '^dynamic energy +[0-9.]+ uJ per image'
	expect_grep out '^  [0-9]+ +block3\.0\.attn +ATTN '
	energy_equals_sim "$T_TMP/$mode-sim.json" "$T_TMP/$mode-energy.json"
	expect_grep out '^counter +the integer reference: '
	expect_status 0 "$SPIKECHIP" energy "$T_TMP/$mode.spki" --arch "$a" --model "$MODEL" \
		--images 20 --json "$T_TMP/$mode-exec.json" --counter executor
	expect_grep out "^counter +the image's executor: "
	same_counts "$T_TMP/$mode-energy.json" "$T_TMP/$mode-exec.json"
done
# without --model the executor counts (the image alone): the same report
expect_status 0 "$SPIKECHIP" energy "$T_TMP/default.spki" --images 20 --json "$T_TMP/nomodel.json"
expect_grep out "^counter +the image's executor: "
same_counts "$T_TMP/default-energy.json" "$T_TMP/nomodel.json"
# ... a comparison that catches one tile's SOPs, one step's attention ops, one image's energy
for change in 'e["tiles"][7]["sops"] += 1' 'e["layers"][46]["attention_ops"] -= 1' \
	'e["per_image"]["energy_dynamic_uj"][3] *= 1.000001'; do
	changed "$T_TMP/default-exec.json" "$change"
	T_CHECKS=$((T_CHECKS + 1))
	if (same_counts "$T_TMP/default-energy.json" "$T_TMP/changed.json") 2>/dev/null; then
		fail "the counters' comparison did not catch: $change"
	fi
done
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/default-energy.json" "$T_TMP/tree-energy.json" <<'PYEOF' || fail "tree multicast counted no fewer packets"
import json, sys
s, t = (json.load(open(p)) for p in sys.argv[1:])
assert t["multicast"] == "tree" and s["multicast"] == "source"
assert t["events"]["sops"] == s["events"]["sops"] and t["events"]["spikes"] == s["events"]["spikes"]
assert t["events"]["packets_injected"] < s["events"]["packets_injected"]
PYEOF

# Per image: the images' SOPs sum to the total, and image 0's figures are those of a run of image 0
# alone (each image counted on its own).
expect_status 0 "$SPIKECHIP" energy "$T_TMP/default.spki" --model "$MODEL" --images 1 \
	--json "$T_TMP/first.json"
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/default-energy.json" "$T_TMP/first.json" <<'PYEOF' || fail "per-image figures wrong"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
p = a["per_image"]
assert len(p["class"]) == len(p["sops"]) == len(p["energy_dynamic_uj"]) == 20
assert sum(p["sops"]) == a["events"]["sops"]
assert abs(sum(p["energy_dynamic_uj"]) / 20 - a["energy_dynamic_uj_per_image"]) < 1e-9 * a["energy_dynamic_uj_per_image"]
assert p["sops"][0] == b["events"]["sops"] and p["class"][0] == b["per_image"]["class"][0]
assert p["energy_dynamic_uj"][0] == b["energy_dynamic_uj_per_image"]
assert len(set(p["energy_dynamic_uj"])) > 1        # images differ
PYEOF

# --jobs: the same report from three processes (the speed fields aside)
expect_status 0 "$SPIKECHIP" energy "$T_TMP/default.spki" --model "$MODEL" --images 20 --jobs 3 \
	--json "$T_TMP/jobs3.json"
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/default-energy.json" "$T_TMP/jobs3.json" <<'PYEOF' || fail "--jobs 3 changed the report"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for r in (a, b):
    del r["wall_s"], r["sops_per_s"]
assert a == b
PYEOF
expect_status 2 "$SPIKECHIP" energy "$T_TMP/default.spki" --jobs 0
expect_grep err "energy: --jobs '0'"

# No image: the model is compiled first (map's report, then the energy report), same counts, and
# the temporary image is gone afterwards.
mkdir "$T_TMP/tmpdir"
expect_status 0 env TMPDIR="$T_TMP/tmpdir" "$SPIKECHIP" energy --model "$MODEL" --images 20 \
	--json "$T_TMP/compiled.json"
expect_grep out '^spikechip map: .*tiny-fmnist-t2\.spkm onto '
expect_grep out '^spikechip energy +.*tiny-fmnist-t2\.spkm \(compiled\) on '
T_CHECKS=$((T_CHECKS + 1))
[ -z "$(ls -A "$T_TMP/tmpdir")" ] || fail "energy --model left $(ls "$T_TMP/tmpdir") behind"
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/default-energy.json" "$T_TMP/compiled.json" <<'PYEOF' || fail "the compiled model counted other events"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["events"] == b["events"] and a["tiles"] == b["tiles"] and a["layers"] == b["layers"]
PYEOF

# The comparison is trusted only if it catches a changed count: one event, one tile's flits.
for change in 'e["events"]["graded_adds"] += 1' 'e["tiles"][3]["flits_out"]["local"] += 1' \
	'e["layers"][5]["neuron_updates"] += 1'; do
	changed "$T_TMP/default-energy.json" "$change"
	T_CHECKS=$((T_CHECKS + 1))
	if (energy_equals_sim "$T_TMP/default-sim.json" "$T_TMP/changed.json") 2>/dev/null; then
		fail "the comparison did not catch: $change"
	fi
done

# --- --sample: the sampled images alone through the cycle simulator ------------------------------
expect_status 0 "$SPIKECHIP" sim "$T_TMP/default.spki" --model "$MODEL" --images 6 --segment 1 \
	--json "$T_TMP/seg1.json"
expect_status 0 "$SPIKECHIP" energy "$T_TMP/default.spki" --model "$MODEL" --images 6 \
	--sample 3 --json "$T_TMP/sample.json"
expect_grep out '^sampled +3 images \(image 1 and every 2-th after it\)'
expect_grep out '^  latency +[0-9]+ ± [0-9]+ cycles'
expect_status 0 "$SPIKECHIP" energy "$T_TMP/default.spki" --model "$MODEL" --images 6 \
	--sample 3 --sample-offset 0 --json "$T_TMP/sample0.json"
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/seg1.json" "$T_TMP/sample.json" "$T_TMP/sample0.json" "$TOP_SRCDIR/arch/default.ini" <<'PYEOF' || fail "--sample is not the sampled images' simulation"
import configparser, json, math, sys
s, a, b = (json.load(open(p)) for p in sys.argv[1:4])
ini = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
ini.read(sys.argv[4])
mw, mhz = float(ini["energy"]["static_mw"]), float(ini["chip"]["clock_mhz"])
tiles = int(ini["chip"]["mesh_x"]) * int(ini["chip"]["mesh_y"])
lat = s["per_image"]["latency_cycles"]
out = s["per_image"]["out_cycle"]
t95 = {2: 4.303}
for r, first in ((a, 1), (b, 0)):
    sm = r["sample"]
    idx = [first, first + 2, first + 4]
    assert (sm["images"], sm["first"], sm["stride"]) == (3, first, 2), sm
    l = [lat[i] for i in idx]
    m = sum(l) / 3
    sd = math.sqrt(sum((x - m) ** 2 for x in l) / 2)
    assert abs(sm["latency_cycles_mean"] - m) < 1e-9, (sm, m)
    assert abs(sm["latency_cycles_ci95"] - t95[2] * sd / math.sqrt(3)) < 1e-6 * max(1, m)
    # a segment of one image: static energy over cycles 0 .. its out cycle
    st = [mw * tiles * (out[i] + 1) / mhz * 1e3 * 1e-6 for i in idx]
    assert abs(sm["static_uj_per_image_mean"] - sum(st) / 3) < 1e-9 * sum(st), (sm, st)
assert a["events"] == b["events"]      # sampling leaves the counts alone
PYEOF

# --- bad options and inputs: exit 2, nothing written ----------------------------------------------
bad() {
	rm -f "$T_TMP/bad.json"
	expect_status 2 "$SPIKECHIP" energy "$@" --json "$T_TMP/bad.json"
	expect_grep err "$BAD_MSG"
	T_CHECKS=$((T_CHECKS + 1))
	[ ! -e "$T_TMP/bad.json" ] || fail "energy $* left $T_TMP/bad.json behind"
	T_CHECKS=$((T_CHECKS + 1))
	[ -z "$(ls "$T_TMP" | grep '^bad\.json\.')" ] || fail "energy $* left a temporary file"
}
BAD_MSG='a chip image \(\.spki\), or a model to compile \(--model FILE\), is required' bad \
	--images 2
BAD_MSG="/nonexistent\.spkm" bad --model "$T_TMP/nonexistent.spkm"
BAD_MSG="unknown option|unrecognized" bad "$T_TMP/default.spki" --frobnicate
BAD_MSG="--counter 'fast' is neither 'reference' nor 'executor'" bad "$T_TMP/default.spki" \
	--counter fast
BAD_MSG="--counter reference runs the model the image was compiled from: give --model" bad \
	"$T_TMP/default.spki" --counter reference
BAD_MSG="--sample '1' is not a number of images \(2 or more" bad "$T_TMP/default.spki" --sample 1
BAD_MSG="--sample-offset chooses the images of --sample" bad "$T_TMP/default.spki" \
	--sample-offset 1
BAD_MSG="--sample 5 is more than the 3 images of the run" bad "$T_TMP/default.spki" \
	--model "$MODEL" --images 3 --sample 5
BAD_MSG="--sample-offset 2 is not below the stride of 2 images" bad "$T_TMP/default.spki" \
	--model "$MODEL" --images 6 --sample 3 --sample-offset 2
BAD_MSG="not the model .* was compiled from \(CRC-32" bad "$T_TMP/default.spki" \
	--model "$TOP_SRCDIR/models/fmnist_t4.spkm" --images 2
BAD_MSG="built for another architecture than .*small.ini" bad "$T_TMP/default.spki" \
	--arch small --images 2
head -c 1000 "$T_TMP/default.spki" >"$T_TMP/cut.spki"
BAD_MSG="cut\.spki: " bad "$T_TMP/cut.spki" --images 2
BAD_MSG="--labels needs --data|--labels" bad "$T_TMP/default.spki" --labels "$T_TMP/x"
# a tree arch whose head flits cannot carry the payloads: refused as by sim
arch_variant "$T_TMP/tree.ini" narrow.ini noc.flit_bits=24
BAD_MSG="flit_bits = 24" bad "$T_TMP/tree.spki" --arch "$T_TMP/narrow.ini" --images 2

done_checks
