# %D%/ — the spikechip binary: subcommand dispatch, and the `run` pipeline driver.
bin_PROGRAMS += spikechip
spikechip_SOURCES = %D%/spikechip.c %D%/commands.h %D%/run.c
# Convenience libraries, most dependent first.
spikechip_LDADD = sim/libsim.la mapper/libmapper.la models/libmodels.la traces/libtraces.la arch/libarch.la util/libutil.la $(INIH_LIBS) $(ZLIB_LIBS) -lm
