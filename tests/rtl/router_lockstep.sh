# router_lockstep.sh — the Verilated router against its C model, cycle for cycle (doc/rtl.md
# "Lock-step tests"): five configurations (tests/rtl/configs/c1..c5: router_stages 1-3,
# buffer_flits 2-8, flit_bits 16-64, unicast and tree multicast) each run SPK_RTL_CYCLES cycles
# of random traffic with back-pressure, multi-flit packets and multicast (10^5 in make check,
# 10^6 in make check-rtl) with two seeds; then the mutant (a round-robin pointer that never
# advances) must be caught with a first-divergence report.
. "$TOP_SRCDIR/tests/cli/lib.sh"

cycles=${SPK_RTL_CYCLES:-100000}
bin="$TOP_BUILDDIR/tests/rtl"
cfg="$TOP_SRCDIR/tests/rtl/configs"

for c in c1 c2 c3 c4 c5; do
	for seed in 1 2; do
		expect_status 0 "$bin/router_lockstep_$c" --arch "$cfg/$c.ini" --cycles "$cycles" \
			--seed "$seed"
		expect_grep out "$cycles cycles in lock step"
		cat "$T_TMP/out"
	done
done

# the checker bites: the stuck round-robin pointer diverges, and the report says where
expect_status 1 "$bin/router_lockstep_mutant_rr" --arch "$cfg/c2.ini" --cycles "$cycles"
expect_grep err '^router_lockstep: first divergence at cycle [0-9]+, port [a-z ]+, field .*: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
expect_grep err '^  cycle [0-9]+:'
head -n 3 "$T_TMP/err"

# bad use: no arch
expect_status 2 "$bin/router_lockstep_c1"
done_checks
