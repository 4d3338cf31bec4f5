#!/bin/sh
# run.sh — runs the libFuzzer harnesses one after the other (tests/fuzz/local.mk calls it;
# doc/robustness.md says what each harness covers and what the runs found).
#
#   run.sh smoke SECONDS SRCDIR BUILDDIR READER...   every regression input of the reader, then
#                                                   its seeds and SECONDS of fuzzing
#   run.sh long  SECONDS SRCDIR BUILDDIR READER...   SECONDS of fuzzing per reader
#
# One fuzzing process at a time, on one core (-fork=1 in long runs: one worker, restarted after a
# finding so that a run lasts its SECONDS). The corpus the fuzzer grows, its findings and the
# logs go to BUILDDIR/tests/fuzz/work/ (not tracked); only the seeds (SRCDIR/tests/fuzz/corpus/)
# and the regression inputs (SRCDIR/tests/fuzz/regress/) are. Exits 1 when any harness found
# something, naming the input to keep under regress/ once the reader is fixed.
set -u
mode=$1 seconds=$2 src=$3 build=$4
shift 4
status=0

# The longest input worth trying per format: a few headers and tables more than the seeds.
max_len() {
	case $1 in
	arch|model|sweep) echo 8192 ;;
	image) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

for r in "$@"; do
	bin=$build/tests/fuzz/fuzz_$r
	work=$build/tests/fuzz/work/$r
	art=$build/tests/fuzz/work/$r-findings
	log=$build/tests/fuzz/work/$r-$mode.log
	mkdir -p "$work" "$art" || exit 1
	common="-rss_limit_mb=2048 -timeout=10 -max_len=$(max_len "$r") -print_final_stats=1"
	if [ "$mode" = smoke ]; then
		# A regression input may not make the reader allocate more than 32 MiB.
		set -- "$src"/tests/fuzz/regress/"$r"/*
		if [ -f "$1" ]; then
			if ! "$bin" -rss_limit_mb=2048 -malloc_limit_mb=32 -timeout=10 "$@" \
				>"$log" 2>&1; then
				tail -n 40 "$log"
				echo "fuzz_$r: FAIL: a regression input of tests/fuzz/regress/$r fails again"
				status=1
				continue
			fi
			nreg=$#
		else
			nreg=0
		fi
		# shellcheck disable=SC2086
		"$bin" $common -max_total_time="$seconds" -artifact_prefix="$art/" \
			"$work" "$src/tests/fuzz/corpus/$r" >>"$log" 2>&1
		rc=$?
	else
		nreg=-
		# shellcheck disable=SC2086
		"$bin" $common -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
			-max_total_time="$seconds" -artifact_prefix="$art/" \
			"$work" "$src/tests/fuzz/corpus/$r" >"$log" 2>&1
		rc=$?
	fi
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	found=$(find "$art" -type f | wc -l)
	if [ "$rc" != 0 ] || [ "$found" != 0 ]; then
		grep -E 'ERROR|runtime error|SUMMARY' "$log" | head -n 20
		echo "fuzz_$r: FAIL: $found finding(s) in $art (log: $log)"
		status=1
	else
		echo "fuzz_$r: ok: $nreg regression input(s); ${last:-no stats} (log: $log)"
	fi
done
exit $status
