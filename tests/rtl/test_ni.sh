# test_ni.sh — directed tests of the network interface built for a tree-multicast network
# (tests/rtl/test_ni.cpp with tests/rtl/configs/c2.ini); the same tests catch a mutant NI whose
# multicast translation forgets the element index (SPK_MUTANT_NI_NO_INDEX).
. "$TOP_SRCDIR/tests/cli/lib.sh"
expect_status 0 "$TOP_BUILDDIR/tests/rtl/test_ni" "$TOP_SRCDIR/tests/rtl/configs/c2.ini"
expect_grep out '^test_ni: [0-9]+ checks, 0 failed$'
cat "$T_TMP/out"
expect_status 1 "$TOP_BUILDDIR/tests/rtl/test_ni_mutant" "$TOP_SRCDIR/tests/rtl/configs/c2.ini"
expect_grep err '^test_ni: multicast spike: axon = base \+ element: expected 0x3ff, got 0x3e8$'
done_checks
