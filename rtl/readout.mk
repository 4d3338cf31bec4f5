# %D%/readout.mk — the readout's RTL (rtl/readout*.sv), its Verilated builds and lock-step tests
# (tests/rtl/readout_lockstep*). Included by the top Makefile.am after rtl/local.mk.
RTL_READOUT_SV = %D%/readout.sv
dist_rtl_DATA += $(RTL_READOUT_SV)
rtl_librtl_la_SOURCES += %D%/readout_load.c %D%/readout_load.h

# Lock-step models (tests/rtl/readout_lockstep.cpp): ro1 has the default preset's sizes, ro2 is
# small (a 4-flit FIFO, 3 populations, 3 neuron updates and 4 adders a cycle, 8-bit membranes:
# back-pressure, saturation, rows of several cycles); the mutant takes the highest class on ties.
RTL_RO_G_ro1 = -GFifoFlits=64 -GInRoutes=16 -GMaxMeans=2 -GMaxChannels=64 -GMaxClasses=16 \
	-GNeuronUpdates=8 -GAdders=16 -GMembraneBits=16
RTL_RO_D_ro1 = -DRO_FIFO=64 -DRO_ROUTES=16 -DRO_MEANS=2 -DRO_CHANNELS=64 -DRO_CLASSES=16 \
	-DRO_NU=8 -DRO_ADDERS=16 -DRO_MB=16
RTL_RO_G_ro2 = -GFifoFlits=4 -GInRoutes=12 -GMaxMeans=3 -GMaxChannels=24 -GMaxClasses=10 \
	-GNeuronUpdates=3 -GAdders=4 -GMembraneBits=8
RTL_RO_D_ro2 = -DRO_FIFO=4 -DRO_ROUTES=12 -DRO_MEANS=3 -DRO_CHANNELS=24 -DRO_CLASSES=10 \
	-DRO_NU=3 -DRO_ADDERS=4 -DRO_MB=8
RTL_RO_G_ro_mutant = $(RTL_RO_G_ro2) +define+SPK_MUTANT_READOUT_TIE
rtl/obj/ro1/spk_noc_pkg.sv rtl/obj/ro2/spk_noc_pkg.sv rtl/obj/ro_mutant/spk_noc_pkg.sv \
		rtl/obj/ro_chip/spk_noc_pkg.sv: \
		rtl/pkg/default/spk_noc_pkg.sv
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp rtl/pkg/default/spk_noc_pkg.sv $@
rtl/obj/ro%/Vreadout__ALL.a: rtl/obj/ro%/spk_noc_pkg.sv $(RTL_READOUT_SV) %D%/unit_shell.sv \
		%D%/rtl.vlt
	$(AM_V_GEN)$(VERILATOR) $(RTL_VFLAGS) $(RTL_RO_G_ro$*) --Mdir rtl/obj/ro$* --prefix Vreadout \
		$(srcdir)/%D%/rtl.vlt rtl/obj/ro$*/spk_noc_pkg.sv $(srcdir)/%D%/unit_shell.sv \
		$(srcdir)/%D%/readout.sv --top-module readout && cd rtl/obj/ro$* && \
		$(MAKE) -f Vreadout.mk Vreadout__ALL.a $(RTL_VMAKE)
check_PROGRAMS += tests/rtl/readout_lockstep_ro1 tests/rtl/readout_lockstep_ro2 \
	tests/rtl/readout_lockstep_mutant
tests_rtl_readout_lockstep_ro1_SOURCES = tests/rtl/readout_lockstep.cpp
tests_rtl_readout_lockstep_ro1_CPPFLAGS = -Irtl/obj/ro1 $(RTL_LOCKSTEP_CPPFLAGS) $(RTL_RO_D_ro1)
tests_rtl_readout_lockstep_ro1_LDADD = rtl/obj/ro1/Vreadout__ALL.a $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_readout_lockstep_ro1_OBJECTS): rtl/obj/ro1/Vreadout__ALL.a
tests_rtl_readout_lockstep_ro2_SOURCES = tests/rtl/readout_lockstep.cpp
tests_rtl_readout_lockstep_ro2_CPPFLAGS = -Irtl/obj/ro2 $(RTL_LOCKSTEP_CPPFLAGS) $(RTL_RO_D_ro2)
tests_rtl_readout_lockstep_ro2_LDADD = rtl/obj/ro2/Vreadout__ALL.a $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_readout_lockstep_ro2_OBJECTS): rtl/obj/ro2/Vreadout__ALL.a
tests_rtl_readout_lockstep_mutant_SOURCES = tests/rtl/readout_lockstep.cpp
tests_rtl_readout_lockstep_mutant_CPPFLAGS = -Irtl/obj/ro_mutant $(RTL_LOCKSTEP_CPPFLAGS) \
	$(RTL_RO_D_ro2)
tests_rtl_readout_lockstep_mutant_LDADD = rtl/obj/ro_mutant/Vreadout__ALL.a $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_readout_lockstep_mutant_OBJECTS): rtl/obj/ro_mutant/Vreadout__ALL.a
TESTS += tests/rtl/readout_lockstep.sh tests/rtl/sim_rtl_units.sh
EXTRA_DIST += tests/rtl/readout_lockstep.sh tests/rtl/sim_rtl_units.sh
CHECK_RTL_TESTS += tests/rtl/readout_lockstep.sh

# The chip's readout (`spikechip sim --rtl readout`, rtl/rtl_units.cpp): the default preset's
# sizes, room for the shipped model's readout (rtl_units.cpp refuses an architecture or a chip
# image it cannot hold, naming what does not fit).
RTL_RO_G_ro_chip = -GFifoFlits=64 -GInRoutes=128 -GMaxMeans=2 -GMaxChannels=512 \
	-GMaxClasses=16 -GNeuronUpdates=8 -GAdders=16 -GMembraneBits=16
RTL_RO_D_ro_chip = -DRO_FIFO=64 -DRO_ROUTES=128 -DRO_MEANS=2 -DRO_CHANNELS=512 \
	-DRO_CLASSES=16 -DRO_NU=8 -DRO_ADDERS=16 -DRO_MB=16
RTL_UNIT_CPPFLAGS += -Irtl/obj/ro_chip $(RTL_RO_D_ro_chip)
RTL_UNIT_DEPS += rtl/obj/ro_chip/Vreadout__ALL.a
RTL_UNIT_LIBS += rtl/obj/ro_chip/Vreadout__ALL.a

# Gate level (rtl/local.mk "Gate-level lock-step"): ro2 and its mutant synthesised by yosys, the
# netlists run by the lock-step test (tests/rtl/gates_lockstep.sh, make check-rtl).
RTL_GATES += ro2 ro_mutant
RTL_GATES_UNIT_ro2 = readout
RTL_GATES_PARAMS_ro2 = FifoFlits=4 InRoutes=12 MaxMeans=3 MaxChannels=24 MaxClasses=10 \
	NeuronUpdates=3 Adders=4 MembraneBits=8
RTL_GATES_UNIT_ro_mutant = readout
RTL_GATES_PARAMS_ro_mutant = $(RTL_GATES_PARAMS_ro2)
RTL_GATES_DEFINE_ro_mutant = --define SPK_MUTANT_READOUT_TIE
EXTRA_PROGRAMS += tests/rtl/readout_lockstep_gates tests/rtl/readout_lockstep_gates_mutant
RTL_GATES_BINS += tests/rtl/readout_lockstep_gates tests/rtl/readout_lockstep_gates_mutant
tests_rtl_readout_lockstep_gates_SOURCES = tests/rtl/readout_lockstep.cpp
tests_rtl_readout_lockstep_gates_CPPFLAGS = -Irtl/obj/gates_ro2 $(RTL_LOCKSTEP_CPPFLAGS) \
	$(RTL_RO_D_ro2)
tests_rtl_readout_lockstep_gates_LDADD = rtl/obj/gates_ro2/gates.a $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_readout_lockstep_gates_OBJECTS): rtl/obj/gates_ro2/gates.a
tests_rtl_readout_lockstep_gates_mutant_SOURCES = tests/rtl/readout_lockstep.cpp
tests_rtl_readout_lockstep_gates_mutant_CPPFLAGS = -Irtl/obj/gates_ro_mutant \
	$(RTL_LOCKSTEP_CPPFLAGS) $(RTL_RO_D_ro2)
tests_rtl_readout_lockstep_gates_mutant_LDADD = rtl/obj/gates_ro_mutant/gates.a \
	$(RTL_LOCKSTEP_LIBS)
$(tests_rtl_readout_lockstep_gates_mutant_OBJECTS): rtl/obj/gates_ro_mutant/gates.a
