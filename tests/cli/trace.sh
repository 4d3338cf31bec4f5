#!/bin/sh
# trace.sh — `spikechip trace dump | stats | diff` on small traces made from text by the
# test-only tests/unit/test_trace_gen, and on the committed tests/data/traces/small.spkt
# (so that a future reader still reads version-1 files and prints them the same way).
. "$TOP_SRCDIR/tests/cli/lib.sh"

GEN="$TOP_BUILDDIR/tests/unit/test_trace_gen"
DATA="$TOP_SRCDIR/tests/data/traces"
[ -x "$GEN" ] || fail "$GEN not built (run through make check)"

# gen OUT < description: writes a trace or fails the test.
gen() { "$GEN" "$1" || fail "test_trace_gen $1 failed"; }

# expect_golden FILE: $T_TMP/out equals the committed reference.
expect_golden() {
	T_CHECKS=$((T_CHECKS + 1))
	diff -u "$1" "$T_TMP/out" >&2 || fail "output differs from $1"
}

# --- help and usage errors --------------------------------------------------------------
expect_status 0 "$SPIKECHIP" trace --help
expect_grep out '^usage: spikechip trace'
expect_status 0 "$SPIKECHIP" help trace
expect_grep out '^  diff A B'
for cmd in dump stats diff; do
	expect_status 0 "$SPIKECHIP" trace $cmd --help
	expect_grep out "^usage: spikechip trace $cmd"
	expect_status 2 "$SPIKECHIP" trace $cmd --frobnicate
	expect_grep err "unknown option '--frobnicate'"
	expect_status 2 "$SPIKECHIP" trace $cmd
	expect_grep err "^usage: spikechip trace $cmd"
done
expect_status 2 "$SPIKECHIP" trace
expect_grep err '^usage: spikechip trace'
expect_status 2 "$SPIKECHIP" trace --frobnicate
expect_grep err "unknown option '--frobnicate'"
expect_status 2 "$SPIKECHIP" trace frobnicate
expect_grep err "'frobnicate' is not a trace command"
expect_status 2 "$SPIKECHIP" trace dump "$DATA/small.spkt" --image
expect_grep err "'--image' needs a value"
expect_status 2 "$SPIKECHIP" trace dump "$DATA/small.spkt" --image=-1
expect_grep err "is not an image index"
expect_status 2 "$SPIKECHIP" trace diff "$DATA/small.spkt" --max x "$DATA/small.spkt"
expect_grep err "--max 'x' is not a count"
expect_status 2 "$SPIKECHIP" trace stats "$DATA/small.spkt" extra
expect_grep err "unexpected argument 'extra'"

# --- dump and stats of the committed trace, against committed references ------------------
cd "$DATA" || fail "cannot cd to $DATA"
expect_status 0 "$SPIKECHIP" trace dump small.spkt
expect_golden "$DATA/small.dump"
expect_status 0 "$SPIKECHIP" trace stats small.spkt
expect_golden "$DATA/small.stats"
# "--" ends the options (getopt_long): what follows is a file, even if it looks like one
expect_status 0 "$SPIKECHIP" trace stats -- small.spkt
expect_golden "$DATA/small.stats"
cd "$T_TMP" || fail "cannot cd to $T_TMP"

expect_status 0 "$SPIKECHIP" trace dump "$DATA/small.spkt" --image 3 --pop head
expect_grep out '^image 3 t 2 head 2: 0 3$'
[ "$(grep -c '^image' "$T_TMP/out")" = 3 ] || fail "dump --image 3 --pop head: not 3 lines"
expect_status 0 "$SPIKECHIP" trace dump "$DATA/small.spkt" --pop=enc
[ "$(grep -c '^image .* enc ' "$T_TMP/out")" = 9 ] || fail "dump --pop=enc: not 9 lines"
expect_status 2 "$SPIKECHIP" trace dump "$DATA/small.spkt" --image 2
expect_grep err 'small.spkt: image 2 is not in this trace'
expect_status 2 "$SPIKECHIP" trace dump "$DATA/small.spkt" --pop nope
expect_grep err "small.spkt: no population 'nope'"

# --- diff ---------------------------------------------------------------------------------
# The writer reproduces the committed file's content from its description.
gen "$T_TMP/a.spkt" < "$DATA/small.txt"
expect_status 0 "$SPIKECHIP" trace diff "$T_TMP/a.spkt" "$DATA/small.spkt"
expect_grep out '^images compared: 3 \(only in A: 0, only in B: 0\)$'
expect_grep out '^images differing: 0$'
expect_grep out '^spikes: A 31, B 31$'
expect_grep out '^traces are identical$'

# B: image 3 gains neuron 5 in block1.lif at t 1 and loses head neuron 3 at t 2.
sed -e 's/^spikes 1 block1.lif 0 7$/spikes 1 block1.lif 0 5 7/' \
    -e 's/^spikes 2 head 0 3$/spikes 2 head 0/' \
    -e 's/^trace ref-int/trace sim/' "$DATA/small.txt" | gen "$T_TMP/b.spkt"
expect_status 1 "$SPIKECHIP" trace diff "$T_TMP/a.spkt" "$T_TMP/b.spkt"
expect_grep out '^A: .*a\.spkt \(producer ref-int, model crc32 0x1234abcd, 3 images, 31 spikes\)$'
expect_grep out '^B: .*b\.spkt \(producer sim, '
expect_grep out '^first divergence: image 3, timestep 1, population block1.lif: neuron 5 spikes in B, not in A \(A 2 spikes, B 3\)$'
[ "$(grep -c 'divergence:' "$T_TMP/out")" = 1 ] || fail "diff printed more than one divergence"
expect_grep out '^images compared: 3 '
expect_grep out '^images differing: 1$'
expect_grep out '^\(image, timestep, population\) slots differing: 2$'
expect_grep out '^spikes: A 31, B 31$'
expect_grep out '^traces differ$'
expect_status 1 "$SPIKECHIP" trace diff "$T_TMP/a.spkt" "$T_TMP/b.spkt" --max 10
expect_grep out '^divergence: image 3, timestep 2, population head: neuron 3 spikes in A, not in B \(A 2 spikes, B 1\)$'
expect_status 1 "$SPIKECHIP" trace diff "$T_TMP/a.spkt" "$T_TMP/b.spkt" --max 0
grep -q 'divergence' "$T_TMP/out" && fail "diff --max 0 printed a divergence"

# C: image 1 missing, image 0 recorded from another model: a warning, and "only in A".
sed -e '/^image 1$/d' -e 's/^trace ref-int 0x1234abcd/trace ref-int 0x99/' "$DATA/small.txt" \
	| gen "$T_TMP/c.spkt"
expect_status 1 "$SPIKECHIP" trace diff "$T_TMP/a.spkt" "$T_TMP/c.spkt"
expect_grep err 'warning: .* different model files \(model crc32 0x1234abcd vs 0x00000099\)'
expect_grep out '^first divergence: image 1 only in A$'
expect_grep out '^images compared: 2 \(only in A: 1, only in B: 0\)$'
expect_grep out '^images differing: 0$'

# Incompatible networks: exit 2.
sed -e 's/^trace ref-int 0x1234abcd 3$/trace ref-int 0x1234abcd 4/' "$DATA/small.txt" \
	| gen "$T_TMP/t4.spkt"
expect_status 2 "$SPIKECHIP" trace diff "$T_TMP/a.spkt" "$T_TMP/t4.spkt"
expect_grep err 'not comparable: 3 timesteps vs 4'
sed -e 's/^pop head 4$/pop head 5/' "$DATA/small.txt" | gen "$T_TMP/h5.spkt"
expect_status 2 "$SPIKECHIP" trace diff "$T_TMP/a.spkt" "$T_TMP/h5.spkt"
expect_grep err "population 'head' has 4 neurons vs 5"
sed -e 's/^pop head 4$/pop readout 4/' -e 's/ head / readout /' "$DATA/small.txt" \
	| gen "$T_TMP/r.spkt"
expect_status 2 "$SPIKECHIP" trace diff "$T_TMP/a.spkt" "$T_TMP/r.spkt"
expect_grep err "population 'head' is not in"

# --- bad files: exit 2, naming the file and the place -----------------------------------
head -c 100 "$T_TMP/a.spkt" > "$T_TMP/trunc.spkt"
for cmd in dump stats; do
	expect_status 2 "$SPIKECHIP" trace $cmd "$T_TMP/trunc.spkt"
	expect_grep err 'trunc\.spkt: (image [0-9]+, )?byte [0-9]+: truncated'
done
expect_status 2 "$SPIKECHIP" trace diff "$T_TMP/a.spkt" "$T_TMP/trunc.spkt"
expect_grep err 'trunc\.spkt: .*truncated'
expect_status 2 "$SPIKECHIP" trace diff "$T_TMP/missing.spkt" "$T_TMP/a.spkt"
expect_grep err 'cannot open .*missing\.spkt'
printf 'not a trace at all, just text\n' > "$T_TMP/text.spkt"
expect_status 2 "$SPIKECHIP" trace stats "$T_TMP/text.spkt"
expect_grep err 'text\.spkt: byte 0: not a spike trace'
# A damaged payload in the last chunk (a byte of its zlib checksum, just before the end
# record, inverted): the header checks pass, reading image 3 fails.
cp "$T_TMP/a.spkt" "$T_TMP/flip.spkt"
at=$(($(wc -c < "$T_TMP/flip.spkt") - 24 - 2))
byte=$(od -An -tu1 -j "$at" -N1 "$T_TMP/flip.spkt" | tr -d ' ')
printf "\\$(printf %o $((255 - byte)))" | dd of="$T_TMP/flip.spkt" bs=1 seek="$at" conv=notrunc 2>/dev/null
cmp -s "$T_TMP/a.spkt" "$T_TMP/flip.spkt" && fail "flip.spkt was not damaged"
expect_status 2 "$SPIKECHIP" trace dump "$T_TMP/flip.spkt"
expect_grep err 'flip\.spkt: image 3, byte [0-9]+: '
expect_status 2 "$SPIKECHIP" trace diff "$T_TMP/a.spkt" "$T_TMP/flip.spkt"
expect_grep err 'flip\.spkt: image 3, byte [0-9]+: '
done_checks
