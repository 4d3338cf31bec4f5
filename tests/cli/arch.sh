#!/bin/sh
# arch.sh — `spikechip arch`: presets pass `check`, every malformed fixture is rejected with
# exit status 2 and a FILE:LINE: message at the line the fixture names, `show` prints the derived
# totals and reads back, `doc` equals the committed doc/arch-file.md, help and usage errors.
. "$TOP_SRCDIR/tests/cli/lib.sh"

DATA="$TOP_SRCDIR/tests/data/arch"
export SPIKECHIP_DATA="$TOP_SRCDIR"

# expect_fgrep FILE STRING: the file ($T_TMP/out or $T_TMP/err) contains the fixed string.
expect_fgrep() {
	T_CHECKS=$((T_CHECKS + 1))
	grep -Fq -- "$2" "$T_TMP/$1" || { cat "$T_TMP/$1" >&2; fail "$1 does not contain '$2'"; }
}

# Presets, by path and by name.
for p in small default large; do
	expect_status 0 "$SPIKECHIP" arch check "$TOP_SRCDIR/arch/$p.ini"
	expect_fgrep out "$TOP_SRCDIR/arch/$p.ini: ok"
	expect_status 0 "$SPIKECHIP" arch check "$p"
	expect_grep out "/arch/$p\.ini: ok$"
done
expect_status 0 "$SPIKECHIP" arch check "$DATA/good-syntax.ini"
expect_fgrep out "$DATA/good-syntax.ini: ok"

# Malformed files: "; expect-line: N" and "; expect: REGEX" head each fixture.
n_bad=0
for f in "$DATA"/bad-*.ini; do
	line=$(sed -n 's/^; expect-line: //p' "$f")
	msg=$(sed -n 's/^; expect: //p' "$f")
	[ -n "$line" ] && [ -n "$msg" ] || fail "$f lacks its expect-line/expect header"
	expect_status 2 "$SPIKECHIP" arch check "$f"
	expect_fgrep err "spikechip: $f:$line: "
	expect_grep err "$msg"
	[ "$(wc -l <"$T_TMP/err")" -eq 1 ] || { cat "$T_TMP/err" >&2; fail "$f: more than one line on stderr"; }
	[ ! -s "$T_TMP/out" ] || fail "$f: 'arch check' printed on stdout"
	expect_status 2 "$SPIKECHIP" arch show "$f"
	expect_fgrep err "$f:$line: "
	n_bad=$((n_bad + 1))
done
[ "$n_bad" -ge 10 ] || fail "only $n_bad malformed fixtures"

# Unreadable files.
expect_status 2 "$SPIKECHIP" arch check "$T_TMP/missing.ini"
expect_fgrep err "$T_TMP/missing.ini: cannot open: No such file or directory"
mkdir "$T_TMP/dir.ini"
expect_status 2 "$SPIKECHIP" arch check "$T_TMP/dir.ini"
expect_fgrep err "$T_TMP/dir.ini: cannot read: "
expect_status 2 "$SPIKECHIP" arch check nosuchpreset
expect_fgrep err "nosuchpreset: cannot open: "

# Several files: each good one says ok; any bad one makes the status 2.
expect_status 2 "$SPIKECHIP" arch check small "$DATA/bad-enum.ini" default
expect_grep out '/arch/small\.ini: ok$'
expect_grep out '/arch/default\.ini: ok$'
expect_fgrep err "bad-enum.ini:5: "

# show: provenance and derived totals.
expect_status 0 "$SPIKECHIP" arch show small
expect_grep out '^mesh_x = 4 +; line 6 +tiles$'
expect_grep out '^clock_mhz = 500 +; default +MHz$'
expect_grep out '^; derived totals$'
expect_grep out '^;   tiles +16 = 4 x 4: 12 synapse cores, 2 attention, 1 encoder, 1 readout$'
expect_grep out '^;   neurons +3072 \(12 cores x 256\)$'
expect_grep out '^;   synapse memory +192 KiB'
expect_grep out '^;   NoC bisection +32 Gbit/s per direction \(4 links x 16 bits x 500 MHz\)$'
expect_grep out '^;   static power +16 mW'
# Its output is an architecture file that resolves to the same values.
cp "$T_TMP/out" "$T_TMP/shown.ini"
expect_status 0 "$SPIKECHIP" arch check "$T_TMP/shown.ini"
expect_status 0 "$SPIKECHIP" arch show "$T_TMP/shown.ini"
sed -n 's/ *;.*//; /=/p' "$T_TMP/shown.ini" >"$T_TMP/values1"
sed -n 's/ *;.*//; /=/p' "$T_TMP/out" >"$T_TMP/values2"
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/values1" "$T_TMP/values2" || { diff "$T_TMP/values1" "$T_TMP/values2" >&2; fail "show output does not read back"; }
# No file: the default preset. Large: millions of neurons.
expect_status 0 "$SPIKECHIP" arch show
expect_grep out '^; .*/arch/default\.ini, resolved'
expect_grep out '^;   tiles +144 = 12 x 12'
expect_status 0 "$SPIKECHIP" arch show large
expect_grep out '^;   neurons +[0-9]{8,} '

# doc: the committed doc/arch-file.md is the generated output.
expect_status 0 "$SPIKECHIP" arch doc
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/out" "$TOP_SRCDIR/doc/arch-file.md" || {
	diff -u "$TOP_SRCDIR/doc/arch-file.md" "$T_TMP/out" >&2
	fail "doc/arch-file.md is stale: regenerate it with 'spikechip arch doc > doc/arch-file.md'"
}

# Help.
for h in --help -h help; do
	expect_status 0 "$SPIKECHIP" arch $h
	expect_grep out '^usage: spikechip arch <subcommand>'
done
for sub in show check doc; do
	expect_status 0 "$SPIKECHIP" arch $sub --help
	expect_grep out "^usage: spikechip arch $sub"
done

# Usage errors: exit status 2 and a message.
expect_status 2 "$SPIKECHIP" arch
expect_grep err '^usage: spikechip arch'
expect_status 2 "$SPIKECHIP" arch frobnicate
expect_grep err "'frobnicate' is not an arch subcommand"
expect_status 2 "$SPIKECHIP" arch --frobnicate
expect_grep err "unknown option '--frobnicate'"
for sub in show check doc; do
	expect_status 2 "$SPIKECHIP" arch $sub --frobnicate
	expect_grep err "arch $sub: unknown option '--frobnicate'"
done
expect_status 2 "$SPIKECHIP" arch check
expect_grep err 'no file given'
expect_status 2 "$SPIKECHIP" arch show small default
expect_grep err 'one file at a time'
expect_status 2 "$SPIKECHIP" arch doc extra
expect_grep err "unexpected argument 'extra'"
done_checks
