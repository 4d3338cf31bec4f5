# %D%/core.mk — the core's RTL (rtl/core*.sv), its Verilated builds and lock-step tests
# (tests/rtl/core_lockstep*). Included by the top Makefile.am after rtl/local.mk.
RTL_CORE_SV = %D%/core.sv %D%/sram_1r1w.sv
dist_rtl_DATA += $(RTL_CORE_SV)

# The loader: a struct spk_core_config as writes of the core's load port (rtl/core_load.h), for
# the lock-step test and the chip co-simulation.
noinst_LTLIBRARIES += %D%/librtlcore.la
%C%_librtlcore_la_SOURCES = %D%/core_load.cpp %D%/core_load.h

# The lock-step builds: the default preset's package and a small core (the tables sized for the
# test's random configurations). core and core_mutant: a small FIFO and queue (back-pressure),
# 4 adders, 4 neuron updates, 10-bit membranes; core_b: the smallest FIFO a graded packet
# allows, 3 adders and 3 neuron updates (not powers of two), 7-bit membranes; core_p: the
# default preset's engines (64-flit FIFO, 64-entry queue, 16 adders, 8 neuron updates, 16-bit
# membranes) with larger pieces. The sizes are tests/rtl/core_lockstep.cpp's kParams
# (SPK_CORE_TEST_SIZES, SPK_CORE_TEST_TABLES): change both together.
RTL_CORE_TABLES_G = -GPieces=3 -GProjs=4 -GReaders=6 -GInRoutes=8 -GRoutes=12
RTL_CORE_G_core = -GFifoFlits=8 -GQueueEntries=6 -GAdders=4 -GNeuronUpdates=4 -GMembraneBits=10 \
	$(RTL_CORE_TABLES_G) -GAccWords=48 -GMemWords=128 -GWeightWords=256 -GChanWords=32
RTL_CORE_G_core_mutant = $(RTL_CORE_G_core)
RTL_CORE_G_core_b = -GFifoFlits=5 -GQueueEntries=4 -GAdders=3 -GNeuronUpdates=3 -GMembraneBits=7 \
	$(RTL_CORE_TABLES_G) -GAccWords=48 -GMemWords=128 -GWeightWords=256 -GChanWords=32
RTL_CORE_G_core_p = -GFifoFlits=64 -GQueueEntries=64 -GAdders=16 -GNeuronUpdates=8 \
	-GMembraneBits=16 $(RTL_CORE_TABLES_G) -GAccWords=192 -GMemWords=512 -GWeightWords=4096 \
	-GChanWords=32
rtl/obj/core/spk_noc_pkg.sv rtl/obj/core_mutant/spk_noc_pkg.sv rtl/obj/core_b/spk_noc_pkg.sv \
		rtl/obj/core_p/spk_noc_pkg.sv: rtl/pkg/default/spk_noc_pkg.sv
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp rtl/pkg/default/spk_noc_pkg.sv $@
rtl/obj/%/Vcore__ALL.a: rtl/obj/%/spk_noc_pkg.sv $(RTL_CORE_SV) $(RTL_SHELL_SV) %D%/rtl.vlt
	$(AM_V_GEN)$(VERILATOR) $(RTL_VFLAGS) --assert $(RTL_CORE_G_$*) $(RTL_EXTRA_$*) --Mdir rtl/obj/$* \
		--prefix Vcore $(srcdir)/%D%/rtl.vlt rtl/obj/$*/spk_noc_pkg.sv \
		$(srcdir)/%D%/unit_shell.sv $(addprefix $(srcdir)/,$(RTL_CORE_SV)) --top-module core && \
		cd rtl/obj/$* && $(MAKE) -f Vcore.mk Vcore__ALL.a $(RTL_VMAKE)
# The mutant: the membrane saturates one bit early; the lock-step test must catch it.
RTL_EXTRA_core_mutant = +define+SPK_MUTANT_CORE_SAT

RTL_CORE_LIBS = %D%/librtlcore.la $(RTL_LOCKSTEP_LIBS)
check_PROGRAMS += tests/rtl/core_lockstep tests/rtl/core_lockstep_mutant
tests_rtl_core_lockstep_SOURCES = tests/rtl/core_lockstep.cpp
tests_rtl_core_lockstep_CPPFLAGS = -Irtl/obj/core -Irtl/pkg/default $(RTL_LOCKSTEP_CPPFLAGS)
tests_rtl_core_lockstep_LDADD = rtl/obj/core/Vcore__ALL.a $(RTL_CORE_LIBS)
$(tests_rtl_core_lockstep_OBJECTS): rtl/obj/core/Vcore__ALL.a rtl/pkg/default/spk_noc_pkg.h
tests_rtl_core_lockstep_mutant_SOURCES = tests/rtl/core_lockstep.cpp
tests_rtl_core_lockstep_mutant_CPPFLAGS = -Irtl/obj/core_mutant -Irtl/pkg/default \
	$(RTL_LOCKSTEP_CPPFLAGS)
tests_rtl_core_lockstep_mutant_LDADD = rtl/obj/core_mutant/Vcore__ALL.a $(RTL_CORE_LIBS)
$(tests_rtl_core_lockstep_mutant_OBJECTS): rtl/obj/core_mutant/Vcore__ALL.a \
	rtl/pkg/default/spk_noc_pkg.h

tests_rtl_core_lockstep_b_SOURCES = tests/rtl/core_lockstep.cpp
tests_rtl_core_lockstep_b_CPPFLAGS = -Irtl/obj/core_b -Irtl/pkg/default \
	'-DSPK_CORE_TEST_SIZES=5, 4, 3, 3, 7' $(RTL_LOCKSTEP_CPPFLAGS)
tests_rtl_core_lockstep_b_LDADD = rtl/obj/core_b/Vcore__ALL.a $(RTL_CORE_LIBS)
$(tests_rtl_core_lockstep_b_OBJECTS): rtl/obj/core_b/Vcore__ALL.a rtl/pkg/default/spk_noc_pkg.h
check_PROGRAMS += tests/rtl/core_lockstep_b
tests_rtl_core_lockstep_p_SOURCES = tests/rtl/core_lockstep.cpp
tests_rtl_core_lockstep_p_CPPFLAGS = -Irtl/obj/core_p -Irtl/pkg/default \
	'-DSPK_CORE_TEST_SIZES=64, 64, 16, 8, 16' '-DSPK_CORE_TEST_TABLES=192, 512, 4096, 32' \
	$(RTL_LOCKSTEP_CPPFLAGS)
tests_rtl_core_lockstep_p_LDADD = rtl/obj/core_p/Vcore__ALL.a $(RTL_CORE_LIBS)
$(tests_rtl_core_lockstep_p_OBJECTS): rtl/obj/core_p/Vcore__ALL.a rtl/pkg/default/spk_noc_pkg.h
check_PROGRAMS += tests/rtl/core_lockstep_p

# Gate level (rtl/local.mk "Gate-level lock-step"): the core build's sizes and its mutant
# synthesised by yosys (ABC's fast script: the default one had not mapped the core's 407k nodes
# after 25 minutes), the netlists run by the lock-step test (tests/rtl/gates_lockstep.sh, make
# check-rtl).
RTL_GATES += core_g core_g_mutant
RTL_GATES_UNIT_core_g = core
RTL_GATES_PARAMS_core_g = FifoFlits=8 QueueEntries=6 Adders=4 NeuronUpdates=4 MembraneBits=10 \
	Pieces=3 Projs=4 Readers=6 InRoutes=8 Routes=12 AccWords=48 MemWords=128 WeightWords=256 \
	ChanWords=32
RTL_GATES_FAST_core_g = --fast
RTL_GATES_UNIT_core_g_mutant = core
RTL_GATES_FAST_core_g_mutant = --fast
RTL_GATES_PARAMS_core_g_mutant = $(RTL_GATES_PARAMS_core_g)
RTL_GATES_DEFINE_core_g_mutant = --define SPK_MUTANT_CORE_SAT
EXTRA_PROGRAMS += tests/rtl/core_lockstep_gates tests/rtl/core_lockstep_gates_mutant
RTL_GATES_BINS += tests/rtl/core_lockstep_gates tests/rtl/core_lockstep_gates_mutant
tests_rtl_core_lockstep_gates_SOURCES = tests/rtl/core_lockstep.cpp
tests_rtl_core_lockstep_gates_CPPFLAGS = -Irtl/obj/gates_core_g -Irtl/pkg/default \
	$(RTL_LOCKSTEP_CPPFLAGS)
tests_rtl_core_lockstep_gates_LDADD = rtl/obj/gates_core_g/gates.a $(RTL_CORE_LIBS)
$(tests_rtl_core_lockstep_gates_OBJECTS): rtl/obj/gates_core_g/gates.a rtl/pkg/default/spk_noc_pkg.h
tests_rtl_core_lockstep_gates_mutant_SOURCES = tests/rtl/core_lockstep.cpp
tests_rtl_core_lockstep_gates_mutant_CPPFLAGS = -Irtl/obj/gates_core_g_mutant -Irtl/pkg/default \
	$(RTL_LOCKSTEP_CPPFLAGS)
tests_rtl_core_lockstep_gates_mutant_LDADD = rtl/obj/gates_core_g_mutant/gates.a $(RTL_CORE_LIBS)
$(tests_rtl_core_lockstep_gates_mutant_OBJECTS): rtl/obj/gates_core_g_mutant/gates.a \
	rtl/pkg/default/spk_noc_pkg.h

TESTS += tests/rtl/core_lockstep.sh
EXTRA_DIST += tests/rtl/core_lockstep.sh
CHECK_RTL_TESTS += tests/rtl/core_lockstep.sh


# The chip's synapse cores (`spikechip sim --rtl core`, rtl/rtl_units.cpp): the default preset's
# engines (64-flit FIFO, 64-entry queue, 16 adders, 8 neuron updates, 16-bit membranes) and its
# memories (8192 accumulators and membranes; 131072 16-bit weight words, what 128 KiB holds at
# 8 bits), tables of 8 pieces, 16 projections, 16 readers, 64 incoming and 64 outgoing routes:
# enough for every core of the tiny test model and of the shipped model on the default chip
# (most used: 6 pieces, 15 projections and readers, 34 incoming and 41 outgoing routes, 7840
# elements, 122080 weights). -G for Verilator, CORE_* for rtl_units.cpp.
RTL_CORE_CHIP_PARAMS = FifoFlits=64 QueueEntries=64 Adders=16 NeuronUpdates=8 MembraneBits=16 \
	Pieces=8 Projs=16 Readers=16 InRoutes=64 Routes=64 AccWords=8192 MemWords=8192 \
	WeightWords=131072 ChanWords=256
RTL_CORE_G_core_chip = $(addprefix -G,$(RTL_CORE_CHIP_PARAMS))
rtl/obj/core_chip/spk_noc_pkg.sv: rtl/pkg/default/spk_noc_pkg.sv
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp rtl/pkg/default/spk_noc_pkg.sv $@
RTL_UNIT_CPPFLAGS += -Irtl/obj/core_chip $(addprefix -DCORE_,$(RTL_CORE_CHIP_PARAMS))
RTL_UNIT_DEPS += rtl/obj/core_chip/Vcore__ALL.a
RTL_UNIT_LIBS += rtl/obj/core_chip/Vcore__ALL.a rtl/librtlcore.la
