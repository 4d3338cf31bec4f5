# shipped.sh — the shipped model (models/fmnist_t4.spkm) end to end on Fashion-MNIST test images:
#   - the integer and float references on the first 200 images give the recorded accuracy, SOPs
#     and spikes (tests/data/ref/fmnist-t4-200.txt; regenerate it when the model changes, with
#     SHIPPED_GOLDEN_WRITE=1);
#   - it maps onto arch/default.ini and `map --verify 20` passes; it maps onto two chips of other
#     shapes derived from default.ini and `--verify 2` passes on each;
#   - 20 images through the default chip with `spikechip sim --check`: 0 mismatches, and the
#     chip's accuracy equals the reference's on those images.
# SHIPPED_MODEL overrides the model (the golden file is then not compared).
# Skipped (77) without the model or the dataset, or when SPIKECHIP_SKIP_SLOW is set (a
# developer's shortcut; .ci/run counts a skip as a failure and leaves this test out of its
# sanitizer pass and distcheck with SPK_SLOW_TESTS=, tests/local.mk, after its first pass ran it).
. "$TOP_SRCDIR/tests/cli/lib.sh"
[ -z "${SPIKECHIP_SKIP_SLOW:-}" ] || { echo "SKIP: SPIKECHIP_SKIP_SLOW is set"; exit 77; }

MODEL="${SHIPPED_MODEL:-$TOP_SRCDIR/models/fmnist_t4.spkm}"
GOLDEN="$TOP_SRCDIR/tests/data/ref/fmnist-t4-200.txt"
FM="${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"
[ -f "$MODEL" ] || { echo "SKIP: no shipped model $MODEL"; exit 77; }
[ -r "$FM/t10k-images-idx3-ubyte.gz" ] || { echo "SKIP: no Fashion-MNIST in $FM"; exit 77; }
PY="${PYTHON:-python3}"
DATA="--data $FM/t10k-images-idx3-ubyte.gz --labels $FM/t10k-labels-idx1-ubyte.gz"

# --- references on 200 images against the recorded figures ---------------------------------
# shellcheck disable=SC2086
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --images 200 $DATA --json "$T_TMP/int.json"
expect_grep out '^accuracy +[0-9.]+ % \([0-9]+ of 200\)'
# shellcheck disable=SC2086
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --float --images 200 $DATA --json "$T_TMP/float.json"
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/int.json" "$T_TMP/float.json" >"$T_TMP/figures.txt" <<'EOF' || fail "reading the JSON reports"
import json, sys
for mode, path in (("int", sys.argv[1]), ("float", sys.argv[2])):
    d = json.load(open(path))
    print(f"{mode} images {d['images']} correct {d['correct']} sops_per_image {d['sops_per_image']:.2f} "
          f"spikes_per_image {d['spikes_per_image']:.2f}")
EOF
if [ -n "${SHIPPED_GOLDEN_WRITE:-}" ]; then
	cp "$T_TMP/figures.txt" "$GOLDEN"
	echo "wrote $GOLDEN"
elif [ -z "${SHIPPED_MODEL:-}" ]; then
	T_CHECKS=$((T_CHECKS + 1))
	diff "$GOLDEN" "$T_TMP/figures.txt" >&2 || fail "reference figures differ from $GOLDEN"
fi

# --- the compiler: default chip and two other shapes, each verified --------------------------
# shellcheck disable=SC2086
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$T_TMP/default.spki" \
	--verify 20 $DATA
expect_grep out '^verify +20 images in .*: chip image = integer reference, spike for spike'
DEFAULT_INI="$TOP_SRCDIR/arch/default.ini"
arch_variant "$DEFAULT_INI" wide.ini chip.mesh_x=16 chip.mesh_y=16 core.neurons=4096
arch_variant "$DEFAULT_INI" tall.ini chip.mesh_x=8 chip.mesh_y=24 core.synapse_kib=256 attention.units=4
for v in wide tall; do
	# shellcheck disable=SC2086
	expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/$v.ini" --out "$T_TMP/$v.spki" \
		--verify 2 $DATA
	expect_grep out '^verify +2 images in .*: chip image = integer reference, spike for spike'
done

# --- the cycle-accurate chip, checked spike for spike ------------------------------------------
# shellcheck disable=SC2086
expect_status 0 "$SPIKECHIP" sim "$T_TMP/default.spki" --model "$MODEL" --images 20 $DATA --check \
	--json "$T_TMP/sim.json"
expect_grep out 'spike for spike equal to the integer reference \(0 mismatches\)'
# shellcheck disable=SC2086
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --images 20 $DATA --json "$T_TMP/int20.json"
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/sim.json" "$T_TMP/int20.json" <<'EOF' || fail "chip and reference accuracy differ"
import json, sys
sim, ref = (json.load(open(p)) for p in sys.argv[1:])
assert sim["mismatches"] == 0, sim["mismatches"]
assert sim["images"] == ref["images"] == 20, (sim["images"], ref["images"])
assert sim["accuracy"] == ref["accuracy"], (sim["accuracy"], ref["accuracy"])
assert sim["sops_per_image"] == ref["sops_per_image"], (sim["sops_per_image"], ref["sops_per_image"])
EOF

done_checks
