# %D%/byo.mk — bring your own RTL (doc/rtl.md "Bring your own unit"): a spikechip whose synapse
# cores are a user's SystemVerilog instead of rtl/core.sv. Included by the top Makefile.am.
#
#   make byo BYO_CORE_SV=PATH.sv
#
# Verilates PATH.sv (a module `core` with rtl/core.sv's ports, parameters and load map) with the
# chip build's parameters (rtl/core.mk, core_chip) into rtl/byo/CRC/, CRC being the file's
# CRC-32, and links rtl/byo/CRC/spikechip: spikechip with that core. `spikechip sim --engine
# systemc --rtl core=PATH.sv` then runs it (the plain spikechip finds the build by the CRC).
# The user's Verilator warnings are shown, not fatal.
BYO_CORE_SV =
BYO_CXX = $(CXX) $(DEFS) $(DEFAULT_INCLUDES) $(INCLUDES) -I$$d \
	$(filter-out -Irtl/obj/core_chip,$(rtl_librtlunits_la_CPPFLAGS)) $(CPPFLAGS) \
	$(AM_CXXFLAGS) $(CXXFLAGS) $(SYSTEMC_CFLAGS)
BYO_LIBS = $(filter-out rtl/librtlunits.la rtl/obj/core_chip/Vcore__ALL.a,$(spikechip_LDADD))
byo: spikechip$(EXEEXT) %D%/spk-rtl-pkg$(EXEEXT) rtl/pkg/default/spk_noc_pkg.sv
	@if test -z "$(BYO_CORE_SV)"; then \
		echo "make byo: give BYO_CORE_SV=PATH.sv, a core with rtl/core.sv's ports (doc/rtl.md)" >&2; \
		exit 2; fi
	@crc=`%D%/spk-rtl-pkg --crc "$(BYO_CORE_SV)"` || exit 2; d=rtl/byo/$$crc; \
	echo "make byo: $(BYO_CORE_SV) (CRC-32 $$crc) -> $$d/spikechip"; \
	$(MKDIR_P) $$d && cp rtl/pkg/default/spk_noc_pkg.sv $$d/ && \
	$(VERILATOR) $(RTL_VFLAGS) -Wno-fatal $(RTL_CORE_G_core_chip) --Mdir $$d --prefix Vcore \
		$(srcdir)/%D%/rtl.vlt $$d/spk_noc_pkg.sv $(srcdir)/%D%/unit_shell.sv $(srcdir)/%D%/sram_1r1w.sv \
		"$(BYO_CORE_SV)" \
		--top-module core && \
	(cd $$d && $(MAKE) -f Vcore.mk Vcore__ALL.a $(RTL_VMAKE)) && \
	$(BYO_CXX) -DSPK_BYO_CORE_CRC=0x$$crc -c $(srcdir)/%D%/rtl_units.cpp -o $$d/rtl_units.o && \
	$(BYO_CXX) -c $(srcdir)/%D%/rtl_ports.cpp -o $$d/rtl_ports.o && \
	$(LIBTOOL) --silent --tag=CXX --mode=link $(CXXLD) $(AM_CXXFLAGS) $(CXXFLAGS) $(AM_LDFLAGS) \
		$(LDFLAGS) -o $$d/spikechip $(spikechip_OBJECTS) $$d/rtl_units.o $$d/rtl_ports.o \
		$$d/Vcore__ALL.a $(BYO_LIBS) $(LIBS) && \
	echo "make byo: built $$d/spikechip; run: spikechip sim IMAGE --engine systemc --rtl core=$(BYO_CORE_SV)"
.PHONY: byo

# The example (rtl/examples/core_decode_stage.patch: rtl/core.sv with a decode stage before the
# spike walk), built for tests/rtl/byo_core.sh.
rtl/examples/core_decode_stage.sv: $(srcdir)/%D%/core.sv $(srcdir)/%D%/examples/core_decode_stage.patch
	$(AM_V_GEN)$(MKDIR_P) $(@D) && patch -s -o $@.tmp $(srcdir)/%D%/core.sv \
		$(srcdir)/%D%/examples/core_decode_stage.patch && mv $@.tmp $@
rtl/examples/core_decode_stage.stamp: rtl/examples/core_decode_stage.sv spikechip$(EXEEXT) \
		$(srcdir)/%D%/rtl_units.cpp $(srcdir)/%D%/rtl_ports.cpp
	$(AM_V_GEN)$(MAKE) $(AM_MAKEFLAGS) byo BYO_CORE_SV=rtl/examples/core_decode_stage.sv >/dev/null && touch $@
check_DATA = rtl/examples/core_decode_stage.stamp
EXTRA_DIST += %D%/examples/core_decode_stage.patch %D%/examples/README.md
TESTS += tests/rtl/byo_core.sh
EXTRA_DIST += tests/rtl/byo_core.sh
CLEANFILES += rtl/examples/core_decode_stage.sv rtl/examples/core_decode_stage.stamp