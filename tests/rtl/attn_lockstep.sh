# attn_lockstep.sh — the Verilated attention unit against its C model, cycle for cycle (doc/rtl.md
# "attn"): SPK_RTL_UNIT_CYCLES cycles (10^6 in make check, 10^7 in make check-rtl) of
# random configurations (one per 25,000 cycles: light load, back-pressure, counter_bits = 2,
# sparse spikes, mixed) with two seeds;
# then the mutant (a K spike's walk over V that stops one channel short) must be caught with a
# first-divergence report.
. "$TOP_SRCDIR/tests/cli/lib.sh"

cycles=${SPK_RTL_UNIT_CYCLES:-1000000}
bin="$TOP_BUILDDIR/tests/rtl"

for seed in 1 2; do
	expect_status 0 "$bin/attn_lockstep" --cycles "$cycles" --seed "$seed"
	expect_grep out "^attn_lockstep: $cycles cycles in lock step"
	cat "$T_TMP/out"
done

# the checker bites: the mutant diverges, and the report says where
expect_status 1 "$bin/attn_lockstep_mutant" --cycles "$cycles" --seed 1
expect_grep err '^attn_lockstep: first divergence at cycle [0-9]+ \(configuration [0-9]+, [a-z-]+\), signal .*: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
expect_grep err '^  cycle [0-9]+:'
head -n 3 "$T_TMP/err"

# bad use
expect_status 2 "$bin/attn_lockstep" --configs 1
done_checks
