# gates_lockstep.sh — the units' gate netlists against their C models, cycle for cycle (doc/rtl.md
# "Area"): yosys synthesised each configuration of RTL_GATES (rtl/area.sh --unit --netlist),
# Verilator built the netlist, and the unit's own lock-step test runs it for SPK_RTL_GATES_CYCLES
# cycles (10^5 unless set; 10^6 in make check-rtl, which builds the programs: make check does
# not synthesise) with two seeds. So yosys read the RTL as Verilator does, and the area of `make area` is that of a
# netlist equal to the C model. Then each gate-level mutant must be caught.
. "$TOP_SRCDIR/tests/cli/lib.sh"

cycles=${SPK_RTL_GATES_CYCLES:-100000}
bin="$TOP_BUILDDIR/tests/rtl"

for t in unit_shell_lockstep_gates readout_lockstep_gates core_lockstep_gates \
	attn_lockstep_gates; do
	for seed in 1 2; do
		expect_status 0 "$bin/$t" --cycles "$cycles" --seed "$seed"
		expect_grep out "$cycles cycles in lock step"
		echo "$t:"
		cat "$T_TMP/out"
	done
done
for seed in 1 2; do
	expect_status 0 "$bin/encoder_lockstep_gates" --arch "$TOP_SRCDIR/arch/default.ini" \
		--cycles "$cycles" --seed "$seed"
	expect_grep out "$cycles cycles in lock step"
	echo "encoder_lockstep_gates:"
	cat "$T_TMP/out"
done

# the synthesised mutants are caught: the shell sends a set's routes highest first, the readout's
# argmax takes the highest class on ties, the core's membranes saturate one bit early (seed 2, as
# in core_lockstep.sh), the encoder skips an element's last MAC, the attention unit's K walk
# stops one column short
expect_status 1 "$bin/unit_shell_lockstep_gates_mutant" --cycles "$cycles"
expect_grep err '^unit_shell_lockstep: first divergence at cycle [0-9]+, signal tx_(addr|payload)_o: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
head -n 3 "$T_TMP/err"
expect_status 1 "$bin/readout_lockstep_gates_mutant" --cycles "$cycles"
expect_grep err '^readout_lockstep: first divergence at cycle [0-9]+ \(configuration [0-9]+\), signal class_o: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
head -n 3 "$T_TMP/err"
expect_status 1 "$bin/core_lockstep_gates_mutant" --cycles "$cycles" --seed 2
expect_grep err '^core_lockstep: first divergence at cycle [0-9]+ of configuration [0-9]+, signal .*: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
head -n 3 "$T_TMP/err"
expect_status 1 "$bin/encoder_lockstep_gates_mutant" --arch "$TOP_SRCDIR/arch/default.ini" \
	--cycles "$cycles"
expect_grep err '^encoder_lockstep: first divergence at cycle [0-9]+, signal [a-z_]+: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
head -n 3 "$T_TMP/err"
expect_status 1 "$bin/attn_lockstep_gates_mutant" --cycles "$cycles" --seed 1
expect_grep err '^attn_lockstep: first divergence at cycle [0-9]+ \(configuration [0-9]+, [a-z-]+\), signal .*: expected \(C model\) 0x[0-9a-f]+, got \(RTL\) 0x[0-9a-f]+$'
head -n 3 "$T_TMP/err"
done_checks
