# %D%/ — data sets: the IDX reader (images and labels, plain or gzip) every command that runs
# images uses (ref, map --verify, sim); later importers of other image sets live here too.
noinst_LTLIBRARIES += %D%/libdata.la
%C%_libdata_la_SOURCES = %D%/idx.c %D%/idx.h
%C%_libdata_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)

check_PROGRAMS += tests/unit/test_idx
tests_unit_test_idx_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_idx_LDADD = %D%/libdata.la util/libutil.la $(CMOCKA_LIBS) $(ZLIB_LIBS) -lm
TESTS += tests/unit/test_idx
