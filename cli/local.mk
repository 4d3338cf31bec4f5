# %D%/ — the spikechip binary: subcommand dispatch, and the `run` pipeline driver.
bin_PROGRAMS += spikechip
spikechip_SOURCES = %D%/spikechip.c %D%/commands.h %D%/run.c
# Convenience libraries, most dependent first.
spikechip_LDADD = report/libreport.la dse/libdse.la sim/libsim.la sim/systemc/libsimsc.la $(RTL_UNIT_LIBS) $(RTL_NOC_LIBS) mapper/libmapper.la image/libimage.la models/libmodels.la data/libdata.la traces/libtraces.la arch/libarch.la rtl/librtl.la util/libutil.la $(INIH_LIBS) $(JANSSON_LIBS) $(ZLIB_LIBS) $(SYSTEMC_LIBS) -lm -lpthread
# sim/systemc is C++: link with the C++ compiler (the automake manual's idiom for a program
# whose C++ comes from a convenience library).
nodist_EXTRA_spikechip_SOURCES = dummy.cpp

# The dispatcher: help, version, unknown commands and options, the `run` stages.
TESTS += tests/cli/cli.sh
EXTRA_DIST += tests/cli/cli.sh
