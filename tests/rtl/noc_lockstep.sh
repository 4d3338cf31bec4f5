# noc_lockstep.sh — the RTL network (Verilated routers and NIs of the default preset, 12x12)
# against the C network, cycle for cycle through the SystemC engine's network interface
# (tests/rtl/noc_lockstep.cpp, doc/rtl.md): light and heavy random traffic, two seeds each;
# SPK_RTL_CYCLES cycles of traffic (2·10^4 in make check, more in make check-rtl).
. "$TOP_SRCDIR/tests/cli/lib.sh"

cycles=${SPK_RTL_NOC_CYCLES:-20000}
for load in 3 15; do
	for seed in 1 2; do
		expect_status 0 "$TOP_BUILDDIR/tests/rtl/noc_lockstep" --arch "$TOP_SRCDIR/arch/default.ini" \
			--cycles "$cycles" --seed "$seed" --load "$load"
		expect_grep out 'C and RTL equal$'
		cat "$T_TMP/out"
	done
done
# a chip of another NoC is refused, naming the parameter
arch_variant "$TOP_SRCDIR/arch/default.ini" b8.ini noc.buffer_flits=8
expect_status 2 "$TOP_BUILDDIR/tests/rtl/noc_lockstep" --arch "$T_TMP/b8.ini"
expect_grep err 'buffer_flits = 8: the RTL network was built for 4'
done_checks
