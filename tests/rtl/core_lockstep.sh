# core_lockstep.sh — the Verilated synapse core against its C model, cycle for cycle (doc/rtl.md
# "core"): random configurations (pieces, shared kernels, per-neuron and mean readers, ATTN and
# ENCODER routes, unicast and tree-multicast sends), random traffic within the credits and
# random NI refusals, SPK_RTL_UNIT_CYCLES cycles (10^6 in make check, 10^7 in make check-rtl)
# with two seeds; then the mutant (the membrane saturating one bit early) must be caught with a
# first-divergence report.
. "$TOP_SRCDIR/tests/cli/lib.sh"

cycles=${SPK_RTL_UNIT_CYCLES:-1000000}
bin="$TOP_BUILDDIR/tests/rtl"

for t in core_lockstep core_lockstep_b core_lockstep_p; do
	for seed in 1 2; do
		expect_status 0 "$bin/$t" --cycles "$cycles" --seed "$seed"
		expect_grep out "$cycles cycles in lock step"
		echo "$t:"
		cat "$T_TMP/out"
	done
done

# the checker bites: the early saturation diverges, and the report says where
expect_status 1 "$bin/core_lockstep_mutant" --cycles "$cycles" --seed 2
expect_grep err '^core_lockstep: first divergence at cycle [0-9]+ of configuration [0-9]+, signal .*: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
expect_grep err '^  cycle [0-9]+:'
head -n 3 "$T_TMP/err"

# bad use
expect_status 2 "$bin/core_lockstep" --cycles
done_checks
