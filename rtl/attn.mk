# %D%/attn.mk — the attn's RTL (rtl/attn*.sv), its Verilated builds and lock-step tests
# (tests/rtl/attn_lockstep*). Included by the top Makefile.am after rtl/local.mk.
RTL_ATTN_SV = %D%/attn.sv
dist_rtl_DATA += $(RTL_ATTN_SV)
EXTRA_DIST += tests/rtl/attn_lockstep.sh

# The loader: struct spk_attn_config -> the load port (the lock-step test, the co-simulation).
noinst_LTLIBRARIES += %D%/librtlattn.la
%C%_librtlattn_la_SOURCES = %D%/attn_load.cpp %D%/attn_load.h

# The lock-step build's parameters: small, so that the output queue and the input FIFO fill
# (back-pressure) and Lanes = 3 rounds up; -G for Verilator, -DATTN_<name> for the test.
RTL_ATTN_PARAMS = MaxOps=3 MaxTokens=16 MaxChannels=8 Lanes=3 OutputQueue=6 FifoFlits=6 \
	InRoutes=12 MaxRoutes=12
RTL_ATTN_PRESET = default
RTL_EXTRA_attn = $(addprefix -G,$(RTL_ATTN_PARAMS))
RTL_EXTRA_attn_mutant = $(RTL_EXTRA_attn) +define+SPK_MUTANT_ATTN_KWALK
rtl/obj/attn/spk_noc_pkg.sv rtl/obj/attn_mutant/spk_noc_pkg.sv: \
		rtl/pkg/$(RTL_ATTN_PRESET)/spk_noc_pkg.sv
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp rtl/pkg/$(RTL_ATTN_PRESET)/spk_noc_pkg.sv $@
rtl/obj/%/Vattn__ALL.a: rtl/obj/%/spk_noc_pkg.sv $(RTL_ATTN_SV) $(RTL_SHELL_SV) %D%/rtl.vlt
	$(AM_V_GEN)$(VERILATOR) $(RTL_VFLAGS) $(RTL_EXTRA_$*) --Mdir rtl/obj/$* --prefix Vattn \
		$(srcdir)/%D%/rtl.vlt rtl/obj/$*/spk_noc_pkg.sv \
		$(addprefix $(srcdir)/,$(RTL_SHELL_SV) $(RTL_ATTN_SV)) --top-module attn && \
		cd rtl/obj/$* && $(MAKE) -f Vattn.mk Vattn__ALL.a $(RTL_VMAKE)

RTL_ATTN_CPPFLAGS = -Irtl/pkg/$(RTL_ATTN_PRESET) $(RTL_LOCKSTEP_CPPFLAGS) \
	$(addprefix -DATTN_,$(RTL_ATTN_PARAMS))
check_PROGRAMS += tests/rtl/attn_lockstep tests/rtl/attn_lockstep_mutant
tests_rtl_attn_lockstep_SOURCES = tests/rtl/attn_lockstep.cpp
tests_rtl_attn_lockstep_CPPFLAGS = -Irtl/obj/attn $(RTL_ATTN_CPPFLAGS)
tests_rtl_attn_lockstep_LDADD = rtl/obj/attn/Vattn__ALL.a %D%/librtlattn.la $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_attn_lockstep_OBJECTS): rtl/obj/attn/Vattn__ALL.a \
	rtl/pkg/$(RTL_ATTN_PRESET)/spk_noc_pkg.h
tests_rtl_attn_lockstep_mutant_SOURCES = tests/rtl/attn_lockstep.cpp
tests_rtl_attn_lockstep_mutant_CPPFLAGS = -Irtl/obj/attn_mutant $(RTL_ATTN_CPPFLAGS) \
	-DSPK_MUTANT_ATTN_KWALK
tests_rtl_attn_lockstep_mutant_LDADD = rtl/obj/attn_mutant/Vattn__ALL.a %D%/librtlattn.la \
	$(RTL_LOCKSTEP_LIBS)
$(tests_rtl_attn_lockstep_mutant_OBJECTS): rtl/obj/attn_mutant/Vattn__ALL.a \
	rtl/pkg/$(RTL_ATTN_PRESET)/spk_noc_pkg.h

TESTS += tests/rtl/attn_lockstep.sh
CHECK_RTL_TESTS += tests/rtl/attn_lockstep.sh

# Gate level (rtl/local.mk "Gate-level lock-step"): the lock-step build's sizes and its mutant
# synthesised by yosys (ABC's default script), the netlists run by the lock-step test
# (tests/rtl/gates_lockstep.sh, make check-rtl).
RTL_GATES += attn_g attn_g_mutant
RTL_GATES_UNIT_attn_g = attn
RTL_GATES_PARAMS_attn_g = $(RTL_ATTN_PARAMS)
RTL_GATES_UNIT_attn_g_mutant = attn
RTL_GATES_PARAMS_attn_g_mutant = $(RTL_ATTN_PARAMS)
RTL_GATES_DEFINE_attn_g_mutant = --define SPK_MUTANT_ATTN_KWALK
EXTRA_PROGRAMS += tests/rtl/attn_lockstep_gates tests/rtl/attn_lockstep_gates_mutant
RTL_GATES_BINS += tests/rtl/attn_lockstep_gates tests/rtl/attn_lockstep_gates_mutant
tests_rtl_attn_lockstep_gates_SOURCES = tests/rtl/attn_lockstep.cpp
tests_rtl_attn_lockstep_gates_CPPFLAGS = -Irtl/obj/gates_attn_g $(RTL_ATTN_CPPFLAGS)
tests_rtl_attn_lockstep_gates_LDADD = rtl/obj/gates_attn_g/gates.a %D%/librtlattn.la \
	$(RTL_LOCKSTEP_LIBS)
$(tests_rtl_attn_lockstep_gates_OBJECTS): rtl/obj/gates_attn_g/gates.a \
	rtl/pkg/$(RTL_ATTN_PRESET)/spk_noc_pkg.h
tests_rtl_attn_lockstep_gates_mutant_SOURCES = tests/rtl/attn_lockstep.cpp
tests_rtl_attn_lockstep_gates_mutant_CPPFLAGS = -Irtl/obj/gates_attn_g_mutant $(RTL_ATTN_CPPFLAGS) \
	-DSPK_MUTANT_ATTN_KWALK
tests_rtl_attn_lockstep_gates_mutant_LDADD = rtl/obj/gates_attn_g_mutant/gates.a \
	%D%/librtlattn.la $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_attn_lockstep_gates_mutant_OBJECTS): rtl/obj/gates_attn_g_mutant/gates.a \
	rtl/pkg/$(RTL_ATTN_PRESET)/spk_noc_pkg.h

# The chip's attention unit (`spikechip sim --rtl attn`, rtl/rtl_units.cpp): the default preset's
# lanes, queue and FIFO, one op of up to 49 tokens x 32 channels (the tiny test model's; the
# shipped model's 128 channels make a model Verilator takes over ten minutes to compile, see
# doc/rtl.md "Co-simulation of the units": build one with
# `make RTL_ATTN_CHIP_PARAMS='MaxOps=1 MaxTokens=49 MaxChannels=128 ...'` after `make clean-rtl`).
RTL_ATTN_CHIP_PARAMS = MaxOps=1 MaxTokens=49 MaxChannels=32 Lanes=16 OutputQueue=64 \
	FifoFlits=64 InRoutes=64 MaxRoutes=16
RTL_EXTRA_attn_chip = $(addprefix -G,$(RTL_ATTN_CHIP_PARAMS))
rtl/obj/attn_chip/spk_noc_pkg.sv: rtl/pkg/$(RTL_ATTN_PRESET)/spk_noc_pkg.sv
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp rtl/pkg/$(RTL_ATTN_PRESET)/spk_noc_pkg.sv $@
RTL_UNIT_CPPFLAGS += -Irtl/obj/attn_chip $(addprefix -DATTN_,$(RTL_ATTN_CHIP_PARAMS))
RTL_UNIT_DEPS += rtl/obj/attn_chip/Vattn__ALL.a
RTL_UNIT_LIBS += rtl/obj/attn_chip/Vattn__ALL.a rtl/librtlattn.la
