#!/bin/sh
# cli.sh — the dispatcher: help, version, unknown commands and options, `run` stage.
. "$TOP_SRCDIR/tests/cli/lib.sh"

expect_status 0 "$SPIKECHIP" --version
expect_grep out '^spikechip [0-9]+\.[0-9]+\.[0-9]+$'
expect_status 0 "$SPIKECHIP" --help
expect_grep out '^usage: spikechip'
expect_grep out '^  arch '
expect_status 0 "$SPIKECHIP" help
expect_grep out '^commands:'
expect_status 0 "$SPIKECHIP" help arch
expect_grep out 'usage: spikechip arch'
expect_status 0 "$SPIKECHIP" help run
expect_grep out 'usage: spikechip run'
expect_status 2 "$SPIKECHIP"
expect_grep err '^usage: spikechip'
expect_status 2 "$SPIKECHIP" frobnicate
expect_grep err "'frobnicate' is not a spikechip command"
expect_status 2 "$SPIKECHIP" help frobnicate
expect_grep err "'frobnicate' is not a spikechip command"
expect_status 2 "$SPIKECHIP" --frobnicate
expect_grep err "unknown option '--frobnicate'"
expect_status 2 "$SPIKECHIP" run --frobnicate
expect_grep err "unknown option '--frobnicate'"
expect_status 2 "$SPIKECHIP" run --arch
expect_grep err "needs a value"
expect_status 2 "$SPIKECHIP" run extra
expect_grep err "unexpected argument 'extra'"

# run: arch -> map -> cycle-accurate sim checked against the integer reference.
expect_status 0 env SPIKECHIP_DATA="$TOP_SRCDIR" "$SPIKECHIP" run --images 3 --json "$T_TMP/run.json"
expect_grep out 'stage 1 of 3'
expect_grep out 'stage 3 of 3'
expect_grep out 'spike for spike equal to the integer reference \(0 mismatches\)'
expect_grep out 'stage 2 of 3 — compile .*/models/fmnist_t4\.spkm$'
T_CHECKS=$((T_CHECKS + 1))
! grep -q 'random-weight' "$T_TMP/out" || fail "run used the stand-in model, not the shipped one"
expect_grep out '^pJ/SOP'
T_CHECKS=$((T_CHECKS + 1))
grep -q '"mismatches": *0' "$T_TMP/run.json" || fail "run --json: no \"mismatches\": 0 in $T_TMP/run.json"
expect_status 0 env SPIKECHIP_DATA="$TOP_SRCDIR" "$SPIKECHIP" run --images 2 --arch default \
	--model "$TOP_SRCDIR/tests/data/fixtures/tiny-fmnist-t2.spkm"
expect_grep out '2 images of'
# A chip too small for the model: the mapper's capacity error, exit 3.
expect_status 3 env SPIKECHIP_DATA="$TOP_SRCDIR" "$SPIKECHIP" run --images 2 --arch small
expect_grep err 'does not fit'
expect_status 2 "$SPIKECHIP" run --images 0
expect_grep err "--images '0' is not a number of images"
expect_status 2 "$SPIKECHIP" run --model "$T_TMP/missing.spkm"
expect_grep err 'missing.spkm'
expect_status 2 "$SPIKECHIP" run --arch "$T_TMP/missing.ini"
expect_grep err 'missing.ini'
done_checks
