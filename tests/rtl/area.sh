# area.sh — yosys synthesises the default preset's router and NI (rtl/area.sh, `make area`): a
# positive cell and NAND2-equivalent count for each, the same in two runs.
. "$TOP_SRCDIR/tests/cli/lib.sh"

Y=${YOSYS:-yosys}
expect_status 0 sh "$TOP_SRCDIR/rtl/area.sh" "$Y" "$TOP_SRCDIR/rtl" "$TOP_BUILDDIR/rtl/pkg" default
cp "$T_TMP/out" "$T_TMP/first"
cat "$T_TMP/first"
expect_grep out '^default +router +[1-9][0-9]* +[1-9][0-9]* +[1-9][0-9.]*$'
expect_grep out '^default +ni +[1-9][0-9]* +[1-9][0-9]* +[1-9][0-9.]*$'
expect_status 0 sh "$TOP_SRCDIR/rtl/area.sh" "$Y" "$TOP_SRCDIR/rtl" "$TOP_BUILDDIR/rtl/pkg" default
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_TMP/first" "$T_TMP/out" || fail "two syntheses gave different counts"
done_checks
