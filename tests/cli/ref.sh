# ref.sh — `spikechip ref` end to end on the fixture model (tests/data/fixtures) and a few
# Fashion-MNIST test images: usage errors, bad inputs (no output file left behind), the
# integer and float reports, JSON and logits files, the trace, determinism, and a golden
# comparison of the integer reference against tests/data/ref (REF_GOLDEN_UPDATE=1 rewrites it;
# see tests/data/ref/README.md).
# Skipped (77) without the fixture model or the dataset.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
FIXTURE="$TOP_SRCDIR/tests/data/fixtures/tiny-fmnist-t2.fixture"
GOLDEN="$TOP_SRCDIR/tests/data/ref/tiny-fmnist-t2-int.txt"

# --- usage --------------------------------------------------------------------------------
expect_status 0 "$SPIKECHIP" ref --help
expect_grep out '^usage: spikechip ref --model FILE'
expect_status 0 "$SPIKECHIP" help ref
expect_grep out 'logits FILE'
expect_status 0 "$SPIKECHIP" --help
expect_grep out '^  ref +reference inference'
expect_status 2 "$SPIKECHIP" ref
expect_grep err 'ref: --model FILE is required'
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" --bogus
expect_grep err "ref: unknown option '--bogus'"
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" --images 0
expect_grep err "ref: --images '0' is not a number of images"
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" --time-steps two
expect_grep err "ref: --time-steps 'two'"
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" --images
expect_grep err "ref: option '--images' needs a value"
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" --labels x.idx
expect_grep err 'ref: --labels needs --data'
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" extra
expect_grep err "ref: unexpected argument 'extra'"

# --- bad inputs: a clear message naming the file, exit 2, no output written ------------------
expect_status 2 "$SPIKECHIP" ref --model "$T_TMP/none.spkm" --json "$T_TMP/bad.json"
expect_grep err "none.spkm: cannot open: No such file"
head -c 100 "$MODEL" >"$T_TMP/cut.spkm"
expect_status 2 "$SPIKECHIP" ref --model "$T_TMP/cut.spkm" --json "$T_TMP/bad.json" \
	--logits "$T_TMP/bad-logits.json"
expect_grep err "cut.spkm: truncated: the header announces [0-9]+ payload bytes"
printf 'XXXXXXXX' | dd of="$T_TMP/cut.spkm" conv=notrunc 2>/dev/null
expect_status 2 "$SPIKECHIP" ref --model "$T_TMP/cut.spkm"
expect_grep err "cut.spkm: not a model file"
printf '[core]\nweight_bits = 99\n' >"$T_TMP/bad.ini"
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" --arch "$T_TMP/bad.ini" --json "$T_TMP/bad.json"
expect_grep err 'bad.ini:2: .*weight_bits'
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" --data "$T_TMP/none.idx"
expect_grep err 'none.idx: cannot open'
printf '\0\0\10\3\0\0\0\1\0\0\0\2\0\0\0\2abcd' >"$T_TMP/small.idx"
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" --data "$T_TMP/small.idx" --json "$T_TMP/bad.json"
expect_grep err 'small.idx: images are 1x2x2, model .* expects 1x28x28'
printf '\0\0\10\1\0\0\0\1\1' >"$T_TMP/one.idx"
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" --data "$FM/t10k-images-idx3-ubyte.gz" \
	--labels "$T_TMP/one.idx"
expect_grep err 'one.idx: 1 labels for 10000 images'
expect_status 2 "$SPIKECHIP" ref --model "$MODEL" --images 2 --json "$T_TMP/no/such/dir.json"
expect_grep err 'no/such/dir.json: cannot create'
T_CHECKS=$((T_CHECKS + 1))
for f in bad.json bad-logits.json; do
	[ ! -e "$T_TMP/$f" ] || fail "$f was written by a failed run"
done
ls "$T_TMP" | grep -q '\.tmp\.' && fail "a temporary file was left behind"

# --- the integer reference (default) -------------------------------------------------------
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --images 4 --json "$T_TMP/int.json" \
	--logits "$T_TMP/int-logits.json" --trace "$T_TMP/int.spkt"
expect_grep out '^spikechip ref: integer reference \(8-bit weights, 16-bit membranes; arch .*default\.ini\)'
expect_grep out 't10k-images-idx3-ubyte.gz: 4 images'
expect_grep out '^accuracy +[0-9.]+ % \([0-4] of 4\)'
expect_grep out '^time .* images/s, [0-9.]+ G SOP/s'
expect_grep out '^per image +spikes .* SOPs .* attention ops .* dense ops .* encoder MACs'
expect_grep out '^energy +paper formula \(45 nm\): 4.6 pJ x .* MACs \+ 0.9 pJ x .* ops = [0-9.]+ uJ/image'
expect_grep out '^ +0  ENCODER downsample1_1'
expect_grep out '^ +[0-9]+  ATTN +block3.0.attn'
expect_grep out '^ +[0-9]+  LINEAR +head'
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/int.json" "$T_TMP/int-logits.json" <<'EOF' || fail "integer JSON outputs"
import json, sys
r = json.load(open(sys.argv[1]))
logits = json.load(open(sys.argv[2]))
for k in ("accuracy", "images", "sops_per_image", "dense_ops_per_image", "encoder_macs_per_image",
          "energy_paper_uj_per_image", "layers", "firing_rate", "spikes_per_image",
          "attention_ops_per_image", "time_steps", "mode", "weight_bits", "membrane_bits"):
    assert k in r, k
assert r["mode"] == "integer" and r["images"] == 4 and r["time_steps"] == 2, r
assert r["weight_bits"] == 8 and r["membrane_bits"] == 16
assert 0 <= r["accuracy"] <= 1
assert len(r["layers"]) == 155 and r["layers"][0]["op"] == "ENCODER"
fires = [l for l in r["layers"] if l["op"] == "FIRE"]
assert len(fires) == 77 and all(0 <= l["firing_rate"] <= 1 for l in fires)
assert abs(sum(l["spikes_per_image"] for l in fires) - r["spikes_per_image"]) < 1e-6 * r["spikes_per_image"]
sops = sum(l.get("sops_per_image", 0) for l in r["layers"])
assert abs(sops - r["sops_per_image"]) < 1e-6 * sops and sops > 0
assert r["dense_ops_per_image"] >= r["sops_per_image"]
e = 4.6e-6 * r["encoder_macs_per_image"] + 0.9e-6 * (r["sops_per_image"] + r["attention_ops_per_image"])
assert abs(e - r["energy_paper_uj_per_image"]) < 1e-9 * e
assert len(logits) == 4 and all(len(l) == 10 for l in logits)
EOF
expect_status 0 "$SPIKECHIP" trace stats "$T_TMP/int.spkt"
expect_grep out 'producer: ref-int'
expect_grep out 'images: 4'

# same inputs, same outputs
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --images 4 --logits "$T_TMP/int-logits2.json" \
	--trace "$T_TMP/int2.spkt"
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/int-logits.json" "$T_TMP/int-logits2.json" || fail "integer logits differ between runs"
expect_status 0 "$SPIKECHIP" trace diff "$T_TMP/int.spkt" "$T_TMP/int2.spkt"

# golden: integer scores (as logits) and per-population spike counts of images 0..3
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/int.json" "$T_TMP/int-logits.json" >"$T_TMP/golden.txt" <<'EOF' || fail "golden extraction"
import json, sys
r = json.load(open(sys.argv[1]))
for i, l in enumerate(json.load(open(sys.argv[2]))):
    print("logits", i, " ".join(repr(v) for v in l))
for l in r["layers"]:
    if l["op"] == "FIRE":
        print("spikes", l["population"], round(l["spikes_per_image"] * r["images"]))
    elif "sops_per_image" in l or "attention_ops_per_image" in l:
        print("work", l["name"], round(l.get("sops_per_image", l.get("attention_ops_per_image")) * r["images"]))
print("correct", r["correct"])
EOF
if [ -n "${REF_GOLDEN_UPDATE:-}" ]; then
	cp "$T_TMP/golden.txt" "$GOLDEN"
else
	# a missing golden fails (it is part of the test, not optional)
	[ -f "$GOLDEN" ] || fail "the golden file $GOLDEN is missing"
	diff "$GOLDEN" "$T_TMP/golden.txt" >"$T_TMP/golden.diff" ||
		{ head -20 "$T_TMP/golden.diff" >&2; fail "integer reference differs from $GOLDEN"; }
fi

# 4-bit weights, 12-bit membranes through an arch file
printf '[core]\nweight_bits = 4\nmembrane_bits = 12\n' >"$T_TMP/w4.ini"
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --images 2 --arch "$T_TMP/w4.ini"
expect_grep out 'integer reference \(4-bit weights, 12-bit membranes; arch .*w4.ini\)'

# --time-steps, explicit --data/--labels, --data without labels
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --images 2 --time-steps 3 --json "$T_TMP/t3.json" \
	--data "$FM/t10k-images-idx3-ubyte.gz" --labels "$FM/t10k-labels-idx1-ubyte.gz"
expect_grep out 'T 3,'
T_CHECKS=$((T_CHECKS + 1))
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["time_steps"] == 3 and r["images"] == 2' \
	"$T_TMP/t3.json" || fail "--time-steps 3 not in the JSON"
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --images 1 --data "$FM/t10k-images-idx3-ubyte.gz"
expect_grep out '^accuracy +unknown \(no labels\)'

# --- the float reference: the fixture's logits ---------------------------------------------
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --float --images 4 --logits "$T_TMP/float.json" \
	--trace "$T_TMP/float.spkt"
expect_grep out '^spikechip ref: float64 reference'
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP/float.json" "$FIXTURE" <<'EOF' || fail "float logits differ from the fixture"
import json, sys
got = json.load(open(sys.argv[1]))
want = {}
img = None
for line in open(sys.argv[2]):
    w = line.split()
    if w and w[0] == "image":
        img = int(w[2])
    elif w and w[0] == "logits":
        want[img] = [float(v) for v in w[1:]]
for i, l in enumerate(got):
    for a, b in zip(l, want[i]):
        assert abs(a - b) <= 1e-4 * max(abs(b), 1e-3), (i, a, b)
EOF
expect_status 0 "$SPIKECHIP" trace stats "$T_TMP/float.spkt"
expect_grep out 'producer: ref-float'

# models/weight_bits.sh: one float row and one row per width, each with an accuracy.
T_CHECKS=$((T_CHECKS + 1))
SPIKECHIP="$SPIKECHIP" sh "$TOP_SRCDIR/models/weight_bits.sh" "$MODEL" 3 4 8 > "$T_TMP/wb.md" ||
	fail "weight_bits.sh failed"
T_CHECKS=$((T_CHECKS + 1))
[ "$(grep -cE '^\| (float64 \| — |4 bits \| 16 bits |8 bits \| 16 bits )\| [0-9.]+ % \|' "$T_TMP/wb.md")" = 3 ] ||
	fail "weight_bits.sh table: $(cat "$T_TMP/wb.md")"

# Interrupted (SIGTERM) while writing: the temporary files go, nothing is left behind. The
# signal comes after image 2 of 5, from the SPK_TEST_STOP hook (util/util.h), when the JSON,
# logits and trace temporaries are open: always part-way, no race with the run's end.
mkdir "$T_TMP/sig"
SPK_TEST_STOP=image:2 "$SPIKECHIP" ref --model "$MODEL" --images 5 --json "$T_TMP/sig/r.json" \
	--logits "$T_TMP/sig/r.logits" --trace "$T_TMP/sig/r.spkt" >/dev/null 2>&1
st=$?
T_CHECKS=$((T_CHECKS + 1))
[ $st = 143 ] || fail "ref interrupted by SIGTERM exited $st, expected death by the signal (143)"
T_CHECKS=$((T_CHECKS + 1))
[ -z "$(ls "$T_TMP/sig")" ] || fail "SIGTERM left files behind: $(ls "$T_TMP/sig")"
# and without the hook's signal the same run writes all three
expect_status 0 env SPK_TEST_STOP=image:7 "$SPIKECHIP" ref --model "$MODEL" --images 5 \
	--json "$T_TMP/sig/r.json" --logits "$T_TMP/sig/r.logits" --trace "$T_TMP/sig/r.spkt"
T_CHECKS=$((T_CHECKS + 1))
[ "$(ls "$T_TMP/sig" | wc -l)" = 3 ] || fail "ref wrote $(ls "$T_TMP/sig") instead of its 3 files"

done_checks
