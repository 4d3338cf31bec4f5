# encoder_lockstep.sh — the Verilated encoder against its C model, cycle for cycle (doc/rtl.md
# "encoder"): SPK_RTL_UNIT_CYCLES cycles (10^5 in make check, 10^7 in make check-rtl) over eight
# random configurations (the default preset's stem first), two seeds, for the default sizes and
# a small build (encoder_s: 8 lanes, 512 pixels and weights); then the mutant (an
# element's last MAC skipped) must be caught with a first-divergence report.
. "$TOP_SRCDIR/tests/cli/lib.sh"

cycles=${SPK_RTL_UNIT_CYCLES:-100000}
bin="$TOP_BUILDDIR/tests/rtl"
arch="$TOP_SRCDIR/arch/default.ini"

for t in encoder_lockstep encoder_lockstep_s; do
	for seed in 1 2; do
		expect_status 0 "$bin/$t" --arch "$arch" --cycles "$cycles" --seed "$seed"
		expect_grep out "$cycles cycles in lock step"
		echo "$t:"
		cat "$T_TMP/out"
	done
done

# the checker bites: the skipped MAC diverges, and the report says where
expect_status 1 "$bin/encoder_lockstep_mutant" --arch "$arch" --cycles "$cycles"
expect_grep err '^encoder_lockstep: first divergence at cycle [0-9]+, signal [a-z_]+: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
expect_grep err '^  cycle [0-9]+:'
head -n 3 "$T_TMP/err"

# bad use: no arch
expect_status 2 "$bin/encoder_lockstep"
done_checks
