# sim_jobs.sh — `spikechip sim --segment S --jobs N`: the tiny fixture model on the default chip,
# six Fashion-MNIST test images in segments of two, checked spike for spike, run with one, two,
# three and four processes (four: more than the segments) gives the same JSON report (all but
# the simulator's own speed fields), the same text report (all but its `simulator` line) and
# the same trace bytes, equal to `spikechip ref --trace`; no part traces are left behind; a
# worker killed before its segment (SIGKILL raised by the SPK_TEST_STOP hook) is reported
# (exit 1) and leaves no report, trace or part behind; bad
# --jobs and --segment values exit 2 naming the option.
# Skipped (77) without the fixture model or the dataset.
. "$TOP_SRCDIR/tests/cli/lib.sh"

use_tiny_fixture
IMG="$T_TMP/tiny.spki"

expect_status 0 "$SPIKECHIP" map --model "$MODEL" --arch default --out "$IMG"

# --- bad values: exit 2, the option named -------------------------------------------------
for v in 0 -1 abc 1x 100000; do
	expect_status 2 "$SPIKECHIP" sim "$IMG" --jobs "$v"
	expect_grep err "sim: --jobs '$v' is not a number of processes"
done
for v in 0 -3 abc; do
	expect_status 2 "$SPIKECHIP" sim "$IMG" --segment "$v"
	expect_grep err "sim: --segment '$v' is not a number of images"
done
expect_status 2 "$SPIKECHIP" run --jobs abc
expect_grep err "run: --jobs 'abc' is not a number of processes"
expect_status 0 "$SPIKECHIP" run --help
expect_grep out '--jobs N'
expect_status 0 "$SPIKECHIP" sim --help
expect_grep out '--jobs N'
expect_grep out '--segment S'

# --- the same results for every N ----------------------------------------------------------
for j in 1 2 3 4; do
	expect_status 0 "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 6 --segment 2 --check \
		--jobs "$j" --json "$T_TMP/j$j.json" --trace "$T_TMP/j$j.spkt"
	expect_grep out 'check +spike for spike equal to the integer reference \(0 mismatches\)'
	expect_grep out '^simulated time .* 3 segments of up to 2 images'
	grep -v '^simulator ' "$T_TMP/out" >"$T_TMP/j$j.txt"
done
ls "$T_TMP" | grep -q 'parts' && fail "part traces left behind"
for j in 2 3 4; do
	T_CHECKS=$((T_CHECKS + 1))
	cmp -s "$T_TMP/j1.txt" "$T_TMP/j$j.txt" ||
		{ diff "$T_TMP/j1.txt" "$T_TMP/j$j.txt" >&2; fail "--jobs $j: text report differs"; }
	T_CHECKS=$((T_CHECKS + 1))
	cmp -s "$T_TMP/j1.spkt" "$T_TMP/j$j.spkt" || fail "--jobs $j: trace bytes differ"
	expect_status 0 "$SPIKECHIP" trace diff "$T_TMP/j1.spkt" "$T_TMP/j$j.spkt"
	expect_grep out 'traces are identical'
done
T_CHECKS=$((T_CHECKS + 1))
"$PY" - "$T_TMP"/j1.json "$T_TMP"/j2.json "$T_TMP"/j3.json "$T_TMP"/j4.json <<'PYEOF' || fail "JSON reports differ"
import json, sys
speed = ("sim_wall_s", "sim_sops_per_s", "sim_cycles_per_s")
rs = [json.load(open(p)) for p in sys.argv[1:]]
for r in rs:
    for k in speed:
        assert k in r, k
        del r[k]
for p, r in zip(sys.argv[2:], rs[1:]):
    assert r == rs[0], p
r = rs[0]
assert r["images"] == 6 and r["segments"] == 3 and r["segment_images"] == 2, r
assert r["mismatches"] == 0 and r["checked"] is True
PYEOF

# --- and equal to the reference's trace ----------------------------------------------------
expect_status 0 "$SPIKECHIP" ref --model "$MODEL" --images 6 --trace "$T_TMP/ref.spkt"
expect_status 0 "$SPIKECHIP" trace diff "$T_TMP/ref.spkt" "$T_TMP/j3.spkt"
expect_grep out 'traces are identical'

# --- a worker that dies: its segment is reported, exit 1, nothing written -------------------
# The worker that takes segment 5 kills itself with SIGKILL before running it (the SPK_TEST_STOP
# hook, util/util.h), as a crash or the OOM killer would: certain, and no /proc needed.
SPK_TEST_STOP=worker:5:KILL "$SPIKECHIP" sim "$IMG" --model "$MODEL" --images 12 --segment 1 \
	--check --jobs 2 --json "$T_TMP/dead.json" --trace "$T_TMP/dead.spkt" >"$T_TMP/out" 2>"$T_TMP/err"
got=$?
T_CHECKS=$((T_CHECKS + 1))
[ "$got" = 1 ] || { cat "$T_TMP/err" >&2; fail "a killed worker: exit $got, expected 1"; }
expect_grep err 'worker process [0-9]+ was killed by signal 9 \(Killed\) in segment 5$'
T_CHECKS=$((T_CHECKS + 1))
[ ! -e "$T_TMP/dead.json" ] && [ ! -e "$T_TMP/dead.spkt" ] &&
	! ls "$T_TMP" | grep -q -e parts -e tmp || { ls "$T_TMP" >&2; fail "a failed run left output behind"; }

done_checks
