# %D%/ fragment of the non-recursive build (see the top Makefile.am): the spike-trace format
# (doc/formats.md, "Spike trace"), its writer/reader and `spikechip trace`.
noinst_LTLIBRARIES += %D%/libtraces.la
%C%_libtraces_la_SOURCES = %D%/trace.c %D%/trace.h %D%/trace_cmd.c
%C%_libtraces_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)

check_PROGRAMS += tests/unit/test_trace tests/unit/test_trace_gen
tests_unit_test_trace_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_trace_LDADD = %D%/libtraces.la util/libutil.la $(CMOCKA_LIBS) $(ZLIB_LIBS)
tests_unit_test_trace_gen_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_trace_gen_LDADD = %D%/libtraces.la util/libutil.la $(ZLIB_LIBS)
TESTS += tests/unit/test_trace tests/cli/trace.sh

EXTRA_DIST += %D%/README.md tests/cli/trace.sh tests/data/traces/small.txt \
	tests/data/traces/small.spkt tests/data/traces/small.dump \
	tests/data/traces/small.stats
