# sim_resume.sh — `spikechip sim --resume DIR`: the tiny fixture model on the default chip, six
# Fashion-MNIST test images in segments of two, checked spike for spike and traced. A run that
# keeps its segments in DIR, a run that takes all of them from DIR, one that finds one missing
# (and runs it over two processes), and one that extends the run by a segment all give the JSON
# report (but the simulator's speed fields and resumed_segments), text report (but its
# simulator and resumed lines) and trace bytes of a plain run. A run stopped part-way (SIGTERM
# after its 13th of 40 segments, raised by the SPK_TEST_STOP hook so that it always happens) goes
# on from where it stopped to the same report. A
# corrupt or truncated result file, one of another run (other segments, arch, images,
# unchecked for a checked run, untraced for a traced one), a missing part trace and a --resume
# that is not a directory exit 2 naming the file and what is wrong, with no report written.
# `spikechip run --resume` passes the option through.
# Skipped (77) without the fixture model or the dataset.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
IMG="$T_TMP/tiny.spki"
D="$T_TMP/done"

expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"
expect_status 0 "$SPIKECHIP" sim --help
expect_grep out '--resume DIR'
expect_status 0 "$SPIKECHIP" run --help
expect_grep out '--resume DIR'

# same_json A B: $T_TMP/A.json and B.json are the same report but for the simulator's speed
# fields and resumed_segments.
same_json() {
	T_CHECKS=$((T_CHECKS + 1))
	"$PY" - "$T_TMP/$1.json" "$T_TMP/$2.json" <<'PYEOF' || fail "$2: JSON report differs from $1's"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for r in (a, b):
    for k in ("sim_wall_s", "sim_sops_per_s", "sim_cycles_per_s", "resumed_segments"):
        del r[k]
assert a == b, [k for k in a if a[k] != b.get(k)]
PYEOF
}

# same_report NAME: $T_TMP/NAME.{json,txt,spkt} equal the plain run's (plain.*).
same_report() {
	T_CHECKS=$((T_CHECKS + 1))
	grep -v -e '^simulator ' -e '^resumed ' "$T_TMP/$1.txt" >"$T_TMP/$1.cut"
	cmp -s "$T_TMP/plain.cut" "$T_TMP/$1.cut" ||
		{ diff "$T_TMP/plain.cut" "$T_TMP/$1.cut" >&2; fail "$1: text report differs"; }
	same_json plain "$1"
	if [ -e "$T_TMP/$1.spkt" ]; then
		T_CHECKS=$((T_CHECKS + 1))
		cmp -s "$T_TMP/plain.spkt" "$T_TMP/$1.spkt" || fail "$1: trace bytes differ"
	fi
}

# sim NAME ARGS...: the six images, checked and traced, report to NAME.{txt,json,spkt}.
sim() {
	name=$1; shift
	expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 6 --segment 2 --check \
		--json "$T_TMP/$name.json" --trace "$T_TMP/$name.spkt" "$@"
	cp "$T_TMP/out" "$T_TMP/$name.txt"
}

# resumed NAME K: NAME's JSON says K segments were resumed.
resumed() {
	T_CHECKS=$((T_CHECKS + 1))
	"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(r["resumed_segments"] != int(sys.argv[2]))' \
		"$T_TMP/$1.json" "$2" || fail "$1: resumed_segments is not $2"
}

sim plain
grep -v -e '^simulator ' "$T_TMP/plain.txt" >"$T_TMP/plain.cut"
resumed plain 0

# --- fresh directory: every segment simulated and kept ---------------------------------------
sim fresh --resume "$D"
same_report fresh
resumed fresh 0
expect_grep out '^resumed +0 of 3 segments from '
T_CHECKS=$((T_CHECKS + 1))
[ "$(ls "$D" | tr '\n' ' ')" = "seg-00000.spkr seg-00000.spkt seg-00001.spkr seg-00001.spkt seg-00002.spkr seg-00002.spkt " ] ||
	{ ls -la "$D" >&2; fail "the --resume directory does not hold one result and part trace per segment"; }

# --- everything done: nothing simulated, the same report -------------------------------------
sim again --resume "$D"
same_report again
resumed again 3
expect_grep out '^resumed +3 of 3 segments from '
expect_grep err '3 of 3 segments already done, simulating the other 0'

# --- one segment missing, two processes -------------------------------------------------------
rm "$D/seg-00001.spkr"
sim hole --resume "$D" --jobs 2
same_report hole
resumed hole 2

# --- an unchecked, untraced run may take checked results; a longer run adds a segment --------
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 6 --segment 2 --resume "$D" --json "$T_TMP/nc.json"
resumed nc 3
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 8 --segment 2 --check \
	--json "$T_TMP/plain8.json"
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 8 --segment 2 --check \
	--json "$T_TMP/long.json" --resume "$D"
resumed long 3
same_json plain8 long

# --- bad result files and directories: exit 2, the file and the problem named, no report -----
bad() {
	expect_status 2 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 6 --segment 2 --check \
		--json "$T_TMP/bad.json" "$@"
	T_CHECKS=$((T_CHECKS + 1))
	[ ! -e "$T_TMP/bad.json" ] || fail "a refused run wrote its report"
}
cp "$D/seg-00000.spkr" "$T_TMP/keep.spkr"
printf '\377' | dd of="$D/seg-00000.spkr" bs=1 seek=40 conv=notrunc 2>/dev/null
bad --resume "$D"
expect_grep err "seg-00000.spkr: payload at byte 32 does not decompress|seg-00000.spkr: payload CRC mismatch"
expect_grep err 'remove it to simulate segment 0 again'
head -c 20 "$T_TMP/keep.spkr" >"$D/seg-00000.spkr"
bad --resume "$D"
expect_grep err 'seg-00000.spkr: truncated: 20 bytes, shorter than the 32-byte header'
head -c 50 "$T_TMP/keep.spkr" >"$D/seg-00000.spkr"
bad --resume "$D"
expect_grep err 'seg-00000.spkr: truncated: the header announces [0-9]+ payload bytes'
cp "$T_TMP/keep.spkr" "$D/seg-00000.spkr"
bad --resume "$D" --segment 3
expect_grep err 'seg-00000.spkr: not a result of this run: it is segment 0 of a run in segments of 2 images, not segment 0 of segments of 3'
expect_grep err 'give --resume another directory'
arch_variant "$TOP_SRCDIR/arch/default.ini" hot.ini energy.router_pj=4
bad --resume "$D" --arch "$T_TMP/hot.ini"
expect_grep err 'seg-00000.spkr: not a result of this run: it was run with another arch file'
bad --resume "$D" --data "$FM/train-images-idx3-ubyte.gz" --labels "$FM/train-labels-idx1-ubyte.gz"
expect_grep err 'seg-00000.spkr: not a result of this run: it was run on other images'
expect_status 0 "$SPIKECHIP" sim "$IMG" --images 2 --segment 2 --resume "$T_TMP/unchecked"
bad --resume "$T_TMP/unchecked"
expect_grep err 'seg-00000.spkr: not a result of this run: it was run without --check'
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 2 --segment 2 --check \
	--resume "$T_TMP/untraced"
bad --resume "$T_TMP/untraced" --trace "$T_TMP/bad.spkt"
expect_grep err 'seg-00000.spkr: not a result of this run: it was run without --trace'
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/bad.spkt" ] || fail "a refused run wrote its trace"
rm "$D/seg-00002.spkt"
bad --resume "$D" --trace "$T_TMP/bad.spkt"
expect_grep err "seg-00002.spkt: segment 2's part trace is missing"
: >"$T_TMP/file"
bad --resume "$T_TMP/file"
expect_grep err 'file: --resume needs a directory'
bad --resume "$T_TMP/no/such/dir"
expect_grep err 'dir: cannot create the --resume directory'

# --- stopped part-way by SIGTERM, then resumed: the report of an uninterrupted run -------------
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 40 --segment 1 --check \
	--json "$T_TMP/plain40.json"
# SIGTERM after the 13th segment's result (a test hook: util/util.h spk_test_stop), so the run
# is interrupted for certain, part-way
SPK_TEST_STOP=segment:12 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 40 --segment 1 --check \
	--resume "$T_TMP/int" --json "$T_TMP/int.json" >"$T_TMP/out" 2>"$T_TMP/err"
got=$?
n=$(ls "$T_TMP/int" | grep -c 'spkr$')
T_CHECKS=$((T_CHECKS + 1))
[ "$got" = 143 ] || { cat "$T_TMP/err" >&2; fail "the interrupted run exited $got, not by SIGTERM"; }
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/int.json" ] || fail "an interrupted run wrote its report"
T_CHECKS=$((T_CHECKS + 1))
[ "$n" = 13 ] || fail "the interrupted run kept $n segment results, expected 13"
T_CHECKS=$((T_CHECKS + 1))
! ls "$T_TMP/int" | grep -q tmp || { ls "$T_TMP/int" >&2; fail "temporary files left in the --resume directory"; }
expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 40 --segment 1 --check \
	--json "$T_TMP/int.json" --resume "$T_TMP/int"
resumed int "$n"
same_json plain40 int

# --- spikechip run passes --resume to sim -----------------------------------------------------
expect_status 0 "$SPIKECHIP" run --model "$MODEL" --images 2 --jobs 1 --resume "$T_TMP/run"
expect_status 0 "$SPIKECHIP" run --model "$MODEL" --images 2 --jobs 1 --resume "$T_TMP/run"
expect_grep out '^resumed +1 of 1 segments from '

done_checks
