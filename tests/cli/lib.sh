# lib.sh — helpers for the shell tests (sourced). Each test runs "$SPIKECHIP", counts its own
# checks and exits non-zero on the first failure, naming what was expected.
set -u
: "${SPIKECHIP:?SPIKECHIP must point at the built binary (run through make check)}"
: "${TOP_SRCDIR:?TOP_SRCDIR must be set (run through make check)}"
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/spktest.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT
T_CHECKS=0

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_status N CMD...: runs CMD, stdout -> $T_TMP/out, stderr -> $T_TMP/err, checks status.
expect_status() {
	want=$1; shift
	T_CHECKS=$((T_CHECKS + 1))
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	got=$?
	[ "$got" = "$want" ] || { cat "$T_TMP/out" "$T_TMP/err" >&2; fail "'$*' exited $got, expected $want"; }
}

# expect_grep FILE REGEX: the file ($T_TMP/out or $T_TMP/err) matches the extended regex.
expect_grep() {
	T_CHECKS=$((T_CHECKS + 1))
	grep -Eq -- "$2" "$T_TMP/$1" || { cat "$T_TMP/$1" >&2; fail "$1 does not match /$2/"; }
}

done_checks() { echo "ok: $T_CHECKS checks"; }
