# energy_shipped.sh — `spikechip energy` on the shipped model (models/fmnist_t4.spkm), 20
# Fashion-MNIST test images with labels, on the default chip and on its tree-multicast variant:
# every count, energy row, accuracy and per-tile flit count equals `spikechip sim`'s over the same
# images; the executor (--counter executor) counts what the integer reference's run counts. In
# SPK_SLOW_TESTS (tests/local.mk): .ci/run's sanitizer pass and distcheck leave it out.
. "$TOP_SRCDIR/tests/cli/lib.sh"

MODEL="$TOP_SRCDIR/models/fmnist_t4.spkm"
FM="${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"
[ -f "$MODEL" ] || { echo "SKIP: no shipped model $MODEL"; exit 77; }
[ -r "$FM/t10k-images-idx3-ubyte.gz" ] || { echo "SKIP: no Fashion-MNIST in $FM"; exit 77; }
DATA="--data $FM/t10k-images-idx3-ubyte.gz --labels $FM/t10k-labels-idx1-ubyte.gz"

sed 's/^multicast = source$/multicast = tree/' "$TOP_SRCDIR/arch/default.ini" >"$T_TMP/tree.ini"
T_CHECKS=$((T_CHECKS + 1))
grep -q '^multicast = tree$' "$T_TMP/tree.ini" || fail "sed did not make a tree variant"
for a in default "$T_TMP/tree.ini"; do
	expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$a" --out "$T_TMP/m.spki"
	# shellcheck disable=SC2086
	expect_status 0 "$SPIKECHIP" sim "$T_TMP/m.spki" --arch "$a" --model "$MODEL" --images 20 \
		$DATA --json "$T_TMP/sim.json"
	# shellcheck disable=SC2086
	expect_status 0 "$SPIKECHIP" energy "$T_TMP/m.spki" --arch "$a" --model "$MODEL" \
		--images 20 $DATA --json "$T_TMP/energy.json"
	expect_grep out '^accuracy +[0-9.]+ % \([0-9]+ of 20\)'
	energy_equals_sim "$T_TMP/sim.json" "$T_TMP/energy.json"
	# shellcheck disable=SC2086
	expect_status 0 "$SPIKECHIP" energy "$T_TMP/m.spki" --arch "$a" --model "$MODEL" \
		--images 20 $DATA --json "$T_TMP/exec.json" --counter executor
	same_counts "$T_TMP/energy.json" "$T_TMP/exec.json"
done

done_checks
