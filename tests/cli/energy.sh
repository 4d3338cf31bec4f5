# energy.sh — the energy presets (doc/energy.md): `loihi` loads and passes `arch check`, shows
# its source, has the default chip's mapping parameters; the tiny fixture model mapped for
# `default` runs on `--arch loihi` with the same cycles, latencies, NoC traffic, spikes and
# classes (both checked against the integer reference) and a different energy, which is the
# counted events times Loihi's figures.
# Skipped (77) without the fixture model or the dataset.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture

expect_status 0 "$SPIKECHIP" arch check loihi
expect_grep out '/arch/loihi\.ini: ok$'
expect_status 0 "$SPIKECHIP" arch show loihi
expect_grep out 'Davies'
expect_grep out '^syn_add_pj = 23\.6'
expect_status 0 "$SPIKECHIP" arch --help
expect_grep out 'small, default, large, loihi'

[ -f "$MODEL" ] || { echo "SKIP: no fixture model $MODEL"; exit 77; }
[ -r "$FM/t10k-images-idx3-ubyte.gz" ] || { echo "SKIP: no Fashion-MNIST in $FM"; exit 77; }
IMG="$T_TMP/tiny.spki"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"
for a in default loihi; do
	expect_status 0 "$SPIKECHIP" sim "$IMG" --arch "$a" --model "$MODEL" --check --images 2 \
		--json "$T_TMP/$a.json" --trace "$T_TMP/$a.spkt"
	expect_grep out '\(0 mismatches\)'
done
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/default.spkt" "$T_TMP/loihi.spkt" || fail "loihi: other spikes than default"
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/default.json" "$T_TMP/loihi.json" <<'PYEOF' || fail "loihi: timing or energy wrong"
import json, sys
d, l = (json.load(open(p)) for p in sys.argv[1:])
def is_energy(k):
    return "energy" in k or k.startswith("pj_per_sop") or k.startswith("sim_") or \
        k.endswith("uj_per_image")
for k in d:
    if k == "layers":    # per layer: the counts equal, the energies not
        for a, b in zip(d[k], l[k]):
            for f in a:
                assert is_energy(f) or a[f] == b[f], f"layers[{a['step']}].{f}"
        assert len(d[k]) == len(l[k]) > 0
    elif not is_energy(k):
        assert d[k] == l[k], k
assert l["energy_uj_per_image"] != d["energy_uj_per_image"]
b, n = l["energy_breakdown_uj_per_image"], l["sops_per_image"]
assert abs(l["pj_per_sop_core"] - 23.6) < 1e-9
assert abs(b["synaptic_adds"] * 1e6 / n - 23.6) < 0.5    # graded adds are few
assert b["weight_reads"] == 0 and b["router_hops"] == 0
assert abs(b["attention"] * 1e6 - 23.6 * l["attention_ops_per_image"]) < 1e-6 * b["attention"] * 1e6
assert abs(b["links"] * 1e6 - 3.5 * l["noc"]["link_flits"] / l["images"]) < 1e-6 * b["links"] * 1e6
PYEOF

done_checks
