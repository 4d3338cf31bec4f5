# unit_shell_lockstep.sh — the units' shared shell (rtl/unit_shell.sv) against sim/unit.h, cycle
# for cycle (doc/rtl.md "unit_shell"): two configurations, two seeds, SPK_RTL_UNIT_CYCLES cycles
# each (10^5 in make check, 10^7 in make check-rtl); then the mutant (a set's routes sent
# highest first) must be caught with a first-divergence report.
. "$TOP_SRCDIR/tests/cli/lib.sh"

cycles=${SPK_RTL_UNIT_CYCLES:-100000}
bin="$TOP_BUILDDIR/tests/rtl"

for c in s1 s2; do
	for seed in 1 2; do
		expect_status 0 "$bin/unit_shell_lockstep_$c" --cycles "$cycles" --seed "$seed"
		expect_grep out "$cycles cycles in lock step"
		cat "$T_TMP/out"
	done
done

expect_status 1 "$bin/unit_shell_lockstep_mutant" --cycles "$cycles"
expect_grep err '^unit_shell_lockstep: first divergence at cycle [0-9]+, signal tx_(addr|payload)_o: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
expect_grep err '^  cycle [0-9]+:'
head -n 3 "$T_TMP/err"

expect_status 2 "$bin/unit_shell_lockstep_s1" --bogus
done_checks
