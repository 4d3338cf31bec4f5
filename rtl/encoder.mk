# %D%/encoder.mk — the encoder's RTL (rtl/encoder*.sv), its Verilated builds and lock-step tests
# (tests/rtl/encoder_lockstep*). Included by the top Makefile.am after rtl/local.mk.
RTL_ENCODER_SV = %D%/encoder.sv
dist_rtl_DATA += $(RTL_ENCODER_SV)

# The encoder's configuration as load-port writes (encoder_load.h), for the lock-step test and
# the chip co-simulation.
noinst_LTLIBRARIES += %D%/librtlencoder.la
%C%_librtlencoder_la_SOURCES = %D%/encoder_load.cpp %D%/encoder_load.h

# The default preset's encoder, and the mutant (an element's last MAC skipped) that the
# lock-step test must catch; encoder_s, a small one (8 lanes, 512 pixels and weights, 16
# channels, 8 routes, a 16-entry queue), whose
# test draws configurations that fit it (SPK_ENCODER_TEST_SIZES, tests/rtl/encoder_lockstep.cpp:
# change both together).
RTL_ENCODER_SIZES_S = Macs=8 MaxPixels=512 PixBanks=3 MaxWeights=512 MaxCin=2 MaxChannels=16 \
	Routes=8 OutQueue=16
RTL_ENCODER_G_encoder_s = $(addprefix -G,$(RTL_ENCODER_SIZES_S))
rtl/obj/encoder/spk_noc_pkg.sv rtl/obj/encoder_mutant/spk_noc_pkg.sv \
		rtl/obj/encoder_s/spk_noc_pkg.sv: rtl/pkg/default/spk_noc_pkg.sv
	$(AM_V_GEN)$(MKDIR_P) $(@D) && cp rtl/pkg/default/spk_noc_pkg.sv $@
rtl/obj/%/Vencoder__ALL.a: rtl/obj/%/spk_noc_pkg.sv $(RTL_SHELL_SV) $(RTL_ENCODER_SV) %D%/rtl.vlt
	$(AM_V_GEN)$(VERILATOR) $(RTL_VFLAGS) $(RTL_ENCODER_G_$*) $(RTL_EXTRA_$*) --Mdir rtl/obj/$* \
		--prefix Vencoder \
		$(srcdir)/%D%/rtl.vlt rtl/obj/$*/spk_noc_pkg.sv \
		$(addprefix $(srcdir)/,$(RTL_SHELL_SV) $(RTL_ENCODER_SV)) --top-module encoder && \
		cd rtl/obj/$* && $(MAKE) -f Vencoder.mk Vencoder__ALL.a $(RTL_VMAKE)
RTL_EXTRA_encoder_mutant = +define+SPK_MUTANT_ENCODER_LAST_MAC

# Lock-step test: the Verilated encoder against sim/encoder.c (tests/rtl/encoder_lockstep.cpp).
check_PROGRAMS += tests/rtl/encoder_lockstep tests/rtl/encoder_lockstep_mutant
tests_rtl_encoder_lockstep_SOURCES = tests/rtl/encoder_lockstep.cpp
tests_rtl_encoder_lockstep_CPPFLAGS = -Irtl/obj/encoder $(RTL_LOCKSTEP_CPPFLAGS)
tests_rtl_encoder_lockstep_LDADD = rtl/obj/encoder/Vencoder__ALL.a %D%/librtlencoder.la \
	$(RTL_LOCKSTEP_LIBS)
$(tests_rtl_encoder_lockstep_OBJECTS): rtl/obj/encoder/Vencoder__ALL.a
tests_rtl_encoder_lockstep_mutant_SOURCES = tests/rtl/encoder_lockstep.cpp
tests_rtl_encoder_lockstep_mutant_CPPFLAGS = -Irtl/obj/encoder_mutant $(RTL_LOCKSTEP_CPPFLAGS)
tests_rtl_encoder_lockstep_mutant_LDADD = rtl/obj/encoder_mutant/Vencoder__ALL.a \
	%D%/librtlencoder.la $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_encoder_lockstep_mutant_OBJECTS): rtl/obj/encoder_mutant/Vencoder__ALL.a
RTL_ENCODER_TEST_SIZES_S = '-DSPK_ENCODER_TEST_SIZES=8, 512, 3, 512, 2, 16, 8, 16'
check_PROGRAMS += tests/rtl/encoder_lockstep_s
tests_rtl_encoder_lockstep_s_SOURCES = tests/rtl/encoder_lockstep.cpp
tests_rtl_encoder_lockstep_s_CPPFLAGS = -Irtl/obj/encoder_s $(RTL_LOCKSTEP_CPPFLAGS) \
	$(RTL_ENCODER_TEST_SIZES_S)
tests_rtl_encoder_lockstep_s_LDADD = rtl/obj/encoder_s/Vencoder__ALL.a %D%/librtlencoder.la \
	$(RTL_LOCKSTEP_LIBS)
$(tests_rtl_encoder_lockstep_s_OBJECTS): rtl/obj/encoder_s/Vencoder__ALL.a

# Gate level (rtl/local.mk "Gate-level lock-step"): encoder_s's sizes and its mutant synthesised
# by yosys (without resource sharing, rtl/area.sh --noshare), the netlists run by the lock-step
# test (tests/rtl/gates_lockstep.sh, make check-rtl).
RTL_GATES += encoder_g encoder_g_mutant
RTL_GATES_UNIT_encoder_g = encoder
RTL_GATES_PARAMS_encoder_g = $(RTL_ENCODER_SIZES_S)
RTL_GATES_FAST_encoder_g = --fast --noshare
RTL_GATES_UNIT_encoder_g_mutant = encoder
RTL_GATES_PARAMS_encoder_g_mutant = $(RTL_ENCODER_SIZES_S)
RTL_GATES_FAST_encoder_g_mutant = --fast --noshare
RTL_GATES_DEFINE_encoder_g_mutant = --define SPK_MUTANT_ENCODER_LAST_MAC
EXTRA_PROGRAMS += tests/rtl/encoder_lockstep_gates tests/rtl/encoder_lockstep_gates_mutant
RTL_GATES_BINS += tests/rtl/encoder_lockstep_gates tests/rtl/encoder_lockstep_gates_mutant
tests_rtl_encoder_lockstep_gates_SOURCES = tests/rtl/encoder_lockstep.cpp
tests_rtl_encoder_lockstep_gates_CPPFLAGS = -Irtl/obj/gates_encoder_g $(RTL_LOCKSTEP_CPPFLAGS) \
	$(RTL_ENCODER_TEST_SIZES_S)
tests_rtl_encoder_lockstep_gates_LDADD = rtl/obj/gates_encoder_g/gates.a %D%/librtlencoder.la \
	$(RTL_LOCKSTEP_LIBS)
$(tests_rtl_encoder_lockstep_gates_OBJECTS): rtl/obj/gates_encoder_g/gates.a
tests_rtl_encoder_lockstep_gates_mutant_SOURCES = tests/rtl/encoder_lockstep.cpp
tests_rtl_encoder_lockstep_gates_mutant_CPPFLAGS = -Irtl/obj/gates_encoder_g_mutant \
	$(RTL_LOCKSTEP_CPPFLAGS) $(RTL_ENCODER_TEST_SIZES_S)
tests_rtl_encoder_lockstep_gates_mutant_LDADD = rtl/obj/gates_encoder_g_mutant/gates.a \
	%D%/librtlencoder.la $(RTL_LOCKSTEP_LIBS)
$(tests_rtl_encoder_lockstep_gates_mutant_OBJECTS): rtl/obj/gates_encoder_g_mutant/gates.a

TESTS += tests/rtl/encoder_lockstep.sh
EXTRA_DIST += tests/rtl/encoder_lockstep.sh
CHECK_RTL_TESTS += tests/rtl/encoder_lockstep.sh

# The chip's encoder (`spikechip sim --rtl encoder`, rtl/rtl_units.cpp): the lock-step model,
# built with rtl/encoder.sv's default parameters (the default preset's).
RTL_UNIT_CPPFLAGS += -Irtl/obj/encoder
RTL_UNIT_DEPS += rtl/obj/encoder/Vencoder__ALL.a
RTL_UNIT_LIBS += rtl/obj/encoder/Vencoder__ALL.a rtl/librtlencoder.la
