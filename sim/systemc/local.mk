# %D%/ — the SystemC engine of the chip top (`spikechip sim --engine systemc`): one SC_MODULE per
# unit, network interface and the NoC, wrapping the C models of sim/ (doc/simulator.md, "The
# SystemC engine"). C++17 (Debian's libsystemc is built for it); linked into spikechip only.
noinst_LTLIBRARIES += %D%/libsimsc.la
%C%_libsimsc_la_SOURCES = %D%/sc_chip.cpp %D%/sc_chip.h %D%/sc_clock.h \
	%D%/sc_noc.cpp %D%/sc_noc.h %D%/sc_network.h %D%/sc_unit.cpp %D%/sc_unit.h sim/chip_engine.h
%C%_libsimsc_la_CXXFLAGS = $(AM_CXXFLAGS) $(SYSTEMC_CFLAGS)

# Both engines give the same report and trace (tests/cli/sim_systemc.sh).
TESTS += tests/cli/sim_systemc.sh
EXTRA_DIST += tests/cli/sim_systemc.sh

# The unit wrapper, network interfaces and NoC module against the native loop over the same
# traffic (a SystemC testbench: libsystemc's main() calls its sc_main()).
check_PROGRAMS += tests/unit/test_sc_noc
tests_unit_test_sc_noc_SOURCES = tests/unit/test_sc_noc.cpp
tests_unit_test_sc_noc_CXXFLAGS = $(AM_CXXFLAGS) $(SYSTEMC_CFLAGS)
tests_unit_test_sc_noc_LDADD = sim/systemc/libsimsc.la sim/libsim.la arch/libarch.la \
	util/libutil.la $(INIH_LIBS) $(SYSTEMC_LIBS)
TESTS += tests/unit/test_sc_noc
