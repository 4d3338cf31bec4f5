# %D%/unit_shell.mk — what the four units share in RTL (rtl/unit_shell.sv: input FIFO, releases,
# the send path to the NI; rtl/sram_1p.sv: the single-port memory wrapper), and its tests.
RTL_SHELL_SV = %D%/unit_shell.sv %D%/sram_1p.sv
dist_rtl_DATA += $(RTL_SHELL_SV)

# Lock-step test of the shell against sim/unit.h (tests/rtl/unit_shell_lockstep.cpp), two
# configurations (a 6-flit FIFO and 5 routes; the default 64-flit FIFO and 70 routes: masks
# wider than 64 bits) and the mutant (a set's routes sent highest first).
RTL_SHELL_CFGS = shell_s1 shell_s2 shell_mutant
RTL_SHELL_G_shell_s1 = -GFifoFlits=6 -GInRoutes=5
RTL_SHELL_G_shell_s2 = -GFifoFlits=64 -GInRoutes=70
RTL_SHELL_G_shell_mutant = -GFifoFlits=6 -GInRoutes=5 +define+SPK_MUTANT_SHELL_ORDER
rtl/obj/shell_s1/spk_noc_pkg.sv rtl/obj/shell_s2/spk_noc_pkg.sv rtl/obj/shell_mutant/spk_noc_pkg.sv: \
		rtl/pkg/default/spk_noc_pkg.sv
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp rtl/pkg/default/spk_noc_pkg.sv $@
rtl/obj/shell_%/Vunit_shell__ALL.a: rtl/obj/shell_%/spk_noc_pkg.sv %D%/unit_shell.sv %D%/rtl.vlt
	$(AM_V_GEN)$(VERILATOR) $(RTL_VFLAGS) $(RTL_SHELL_G_shell_$*) --Mdir rtl/obj/shell_$* \
		--prefix Vunit_shell $(srcdir)/%D%/rtl.vlt rtl/obj/shell_$*/spk_noc_pkg.sv \
		$(srcdir)/%D%/unit_shell.sv --top-module unit_shell && cd rtl/obj/shell_$* && \
		$(MAKE) -f Vunit_shell.mk Vunit_shell__ALL.a $(RTL_VMAKE)
check_PROGRAMS += tests/rtl/unit_shell_lockstep_s1 tests/rtl/unit_shell_lockstep_s2 \
	tests/rtl/unit_shell_lockstep_mutant
tests_rtl_unit_shell_lockstep_s1_SOURCES = tests/rtl/unit_shell_lockstep.cpp
tests_rtl_unit_shell_lockstep_s1_CPPFLAGS = -Irtl/obj/shell_s1 $(RTL_LOCKSTEP_CPPFLAGS) \
	-DSHELL_FIFO_FLITS=6 -DSHELL_IN_ROUTES=5
tests_rtl_unit_shell_lockstep_s1_LDADD = rtl/obj/shell_s1/Vunit_shell__ALL.a $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_unit_shell_lockstep_s1_OBJECTS): rtl/obj/shell_s1/Vunit_shell__ALL.a
tests_rtl_unit_shell_lockstep_s2_SOURCES = tests/rtl/unit_shell_lockstep.cpp
tests_rtl_unit_shell_lockstep_s2_CPPFLAGS = -Irtl/obj/shell_s2 $(RTL_LOCKSTEP_CPPFLAGS) \
	-DSHELL_FIFO_FLITS=64 -DSHELL_IN_ROUTES=70
tests_rtl_unit_shell_lockstep_s2_LDADD = rtl/obj/shell_s2/Vunit_shell__ALL.a $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_unit_shell_lockstep_s2_OBJECTS): rtl/obj/shell_s2/Vunit_shell__ALL.a
tests_rtl_unit_shell_lockstep_mutant_SOURCES = tests/rtl/unit_shell_lockstep.cpp
tests_rtl_unit_shell_lockstep_mutant_CPPFLAGS = -Irtl/obj/shell_mutant $(RTL_LOCKSTEP_CPPFLAGS) \
	-DSHELL_FIFO_FLITS=6 -DSHELL_IN_ROUTES=5
tests_rtl_unit_shell_lockstep_mutant_LDADD = rtl/obj/shell_mutant/Vunit_shell__ALL.a \
	$(RTL_LOCKSTEP_LIBS)
$(tests_rtl_unit_shell_lockstep_mutant_OBJECTS): rtl/obj/shell_mutant/Vunit_shell__ALL.a
TESTS += tests/rtl/unit_shell_lockstep.sh
EXTRA_DIST += tests/rtl/unit_shell_lockstep.sh
CHECK_RTL_TESTS += tests/rtl/unit_shell_lockstep.sh

# The units in RTL inside the SystemC engine (rtl/rtl_units.cpp, `spikechip sim --rtl`): each
# unit's fragment adds its chip model's include path and defines (RTL_UNIT_CPPFLAGS), its
# Verilated archive (RTL_UNIT_DEPS) and what to link (RTL_UNIT_LIBS).
RTL_UNIT_CPPFLAGS =
RTL_UNIT_DEPS =
noinst_LTLIBRARIES += %D%/librtlunits.la
%C%_librtlunits_la_SOURCES = %D%/rtl_units.cpp %D%/rtl_units.h %D%/rtl_ports.cpp %D%/rtl_ports.h
%C%_librtlunits_la_CPPFLAGS = $(AM_CPPFLAGS) -Irtl/pkg/$(RTL_NOC_PRESET) $(VERILATOR_CPPFLAGS) \
	$(RTL_UNIT_CPPFLAGS)
%C%_librtlunits_la_CXXFLAGS = $(AM_CXXFLAGS) $(SYSTEMC_CFLAGS)
$(%C%_librtlunits_la_OBJECTS): $(RTL_UNIT_DEPS) rtl/pkg/$(RTL_NOC_PRESET)/spk_noc_pkg.h
RTL_UNIT_LIBS = rtl/librtlunits.la
# Recorded port traffic (rtl/rtl_ports.cpp: sim --record-ports, rtl replay).
TESTS += tests/rtl/record_ports.sh
EXTRA_DIST += tests/rtl/record_ports.sh
CHECK_RTL_TESTS += tests/rtl/record_ports.sh

# Gate level (rtl/local.mk "Gate-level lock-step"): shell_s1 and its mutant synthesised by yosys,
# the netlists run by the lock-step test (tests/rtl/gates_lockstep.sh, make check-rtl).
RTL_GATES += shell_s1 shell_mutant
RTL_GATES_UNIT_shell_s1 = unit_shell
RTL_GATES_PARAMS_shell_s1 = FifoFlits=6 InRoutes=5
RTL_GATES_UNIT_shell_mutant = unit_shell
RTL_GATES_PARAMS_shell_mutant = $(RTL_GATES_PARAMS_shell_s1)
RTL_GATES_DEFINE_shell_mutant = --define SPK_MUTANT_SHELL_ORDER
EXTRA_PROGRAMS += tests/rtl/unit_shell_lockstep_gates tests/rtl/unit_shell_lockstep_gates_mutant
RTL_GATES_BINS += tests/rtl/unit_shell_lockstep_gates tests/rtl/unit_shell_lockstep_gates_mutant
tests_rtl_unit_shell_lockstep_gates_SOURCES = tests/rtl/unit_shell_lockstep.cpp
tests_rtl_unit_shell_lockstep_gates_CPPFLAGS = -Irtl/obj/gates_shell_s1 $(RTL_LOCKSTEP_CPPFLAGS) \
	-DSHELL_FIFO_FLITS=6 -DSHELL_IN_ROUTES=5
tests_rtl_unit_shell_lockstep_gates_LDADD = rtl/obj/gates_shell_s1/gates.a $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_unit_shell_lockstep_gates_OBJECTS): rtl/obj/gates_shell_s1/gates.a
tests_rtl_unit_shell_lockstep_gates_mutant_SOURCES = tests/rtl/unit_shell_lockstep.cpp
tests_rtl_unit_shell_lockstep_gates_mutant_CPPFLAGS = -Irtl/obj/gates_shell_mutant \
	$(RTL_LOCKSTEP_CPPFLAGS) -DSHELL_FIFO_FLITS=6 -DSHELL_IN_ROUTES=5
tests_rtl_unit_shell_lockstep_gates_mutant_LDADD = rtl/obj/gates_shell_mutant/gates.a \
	$(RTL_LOCKSTEP_LIBS)
$(tests_rtl_unit_shell_lockstep_gates_mutant_OBJECTS): rtl/obj/gates_shell_mutant/gates.a
