# readout_lockstep.sh — the readout's RTL (rtl/readout.sv) against its C model (sim/readout.c),
# cycle for cycle (doc/rtl.md "readout"): two parameter sets (ro1: the default preset's sizes;
# ro2: a 4-flit FIFO, 3 neuron updates and 4 adders a cycle, 8-bit membranes), two seeds,
# SPK_RTL_UNIT_CYCLES cycles each over a new random configuration every 10^4 cycles (10^5 in
# make check, 10^7 in make check-rtl); then the mutant (the argmax takes the highest class on
# ties) must be caught with a first-divergence report.
. "$TOP_SRCDIR/tests/cli/lib.sh"

cycles=${SPK_RTL_UNIT_CYCLES:-100000}
bin="$TOP_BUILDDIR/tests/rtl"

for c in ro1 ro2; do
	for seed in 1 2; do
		expect_status 0 "$bin/readout_lockstep_$c" --cycles "$cycles" --seed "$seed"
		expect_grep out "$cycles cycles in lock step"
		cat "$T_TMP/out"
	done
done

expect_status 1 "$bin/readout_lockstep_mutant" --cycles "$cycles"
expect_grep err '^readout_lockstep: first divergence at cycle [0-9]+ \(configuration [0-9]+\), signal class_o: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
expect_grep err '^  cycle [0-9]+:'
head -n 3 "$T_TMP/err"

expect_status 2 "$bin/readout_lockstep_ro1" --bogus
done_checks
