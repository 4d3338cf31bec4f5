# errors.sh — the catalogue of refusals (doc/errors.md) is true: every row of its tables is run
# (spikechip with the row's arguments, placeholders filled in), and exits with the row's status,
# says the row's message on stderr (literally), and leaves the output directory empty (no
# output and no temporary file). The catalogue must hold at least 40 rows.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
DOC="$TOP_SRCDIR/doc/errors.md"
ARCH="$TOP_SRCDIR/tests/data/arch"
SHIPPED="$TOP_SRCDIR/models/fmnist_t4.spkm"
SWEEP="$TOP_SRCDIR/tests/data/sweep"
PROFILES="$TOP_SRCDIR/tests/data/profile"
BAD="$T_TMP/bad"
OUT="$T_TMP/outdir"
mkdir "$BAD" "$OUT"

# --- the fixtures the rows name -----------------------------------------------------------------
IMG="$T_TMP/tiny.spki"
TREE="$T_TMP/tree.spki"
TRACE="$T_TMP/tiny.spkt"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"
sed 's/^multicast = source$/multicast = tree/' "$TOP_SRCDIR/arch/default.ini" >"$T_TMP/tree.ini"
sed 's/^flit_bits = 32$/flit_bits = 24/' "$T_TMP/tree.ini" >"$BAD/narrow.ini"
expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch "$T_TMP/tree.ini" --out "$TREE"
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 1 --trace "$TRACE"
head -c 1000 "$IMG" >"$BAD/cut.spki"
head -c 1000 "$MODEL" >"$BAD/cut.spkm"
head -c 1000 "$TRACE" >"$BAD/cut.spkt"
for f in text.spki text.spkm text.spkt text.idx text.ports afile; do
	echo "this is not what it claims to be" >"$BAD/$f"
done
"$PY" - "$BAD" <<'PYEOF' || fail "writing the IDX fixtures"
import struct, sys
d = sys.argv[1]
# two 1x20x20 uint8 images (a shape the 28x28 model does not take), labels of value 50
open(d + "/wide.idx", "wb").write(struct.pack(">BBBBIIII", 0, 0, 8, 4, 2, 1, 20, 20) + bytes(800))
open(d + "/labels50.idx", "wb").write(struct.pack(">BBBBI", 0, 0, 8, 1, 10000) + bytes([50]) * 10000)
PYEOF

# --- every row ------------------------------------------------------------------------------------
"$PY" - "$DOC" >"$T_TMP/rows" <<'PYEOF' || fail "cannot read the rows of $DOC"
import re, sys
rows = 0
for line in open(sys.argv[1]):
    m = re.match(r"^\| `spikechip ?(.*)` \| (\d) \| `(.*)` \|$", line.rstrip("\n"))
    if m:
        # tab-separated: arguments, status, message
        print("\t".join(m.groups()))
        rows += 1
sys.exit(0 if rows else 1)
PYEOF
n=$(wc -l <"$T_TMP/rows")
T_CHECKS=$((T_CHECKS + 1))
[ "$n" -ge 40 ] || fail "doc/errors.md lists $n refusals, fewer than 40"
# check_row ARGS (row_status, row_msg set): 0 if spikechip ARGS exits row_status, says row_msg
# (unless empty) on stderr and leaves $OUT empty; otherwise 1, saying why on stderr. $OUT is
# emptied either way.
check_row() {
	eval "set -- $1"
	"$SPIKECHIP" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	got=$?
	ok=0
	if [ "$got" != "$row_status" ]; then
		echo "exited $got, expected $row_status" >&2
		ok=1
	elif [ -n "$row_msg" ] && ! grep -qF -- "$row_msg" "$T_TMP/err"; then
		cat "$T_TMP/err" >&2
		echo "stderr does not say: $row_msg" >&2
		ok=1
	elif [ -n "$(ls -A "$OUT")" ]; then
		echo "left $(ls -A "$OUT") in \$OUT" >&2
		ok=1
	fi
	rm -rf "${OUT:?}"/* "$OUT"/.[!.]* 2>/dev/null
	return $ok
}
while IFS='	' read -r args row_status row_msg; do
	T_CHECKS=$((T_CHECKS + 1))
	check_row "$args" || fail "spikechip $args: see above"
done <"$T_TMP/rows"
# The runner is trusted only if it catches a wrong status, a wrong message and a left output.
row_status=0 row_msg="x"
T_CHECKS=$((T_CHECKS + 1))
! check_row 'frob' 2>/dev/null || fail "check_row missed a wrong status"
row_status=2 row_msg="a message spikechip never says"
T_CHECKS=$((T_CHECKS + 1))
! check_row 'frob' 2>/dev/null || fail "check_row missed a wrong message"
row_status=0 row_msg=""
T_CHECKS=$((T_CHECKS + 1))
! check_row 'ref --model $MODEL --images 1 --json $OUT/r.json' 2>/dev/null ||
	fail "check_row missed an output left in \$OUT"
T_CHECKS=$((T_CHECKS + 1))
check_row 'ref --model $MODEL --images 1' 2>/dev/null || fail "check_row refused a good row"
echo "$n refusals checked"

done_checks
