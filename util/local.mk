# %D%/ — helpers shared by all modules: errors, strict number parsing, data-file lookup,
# temporary and atomic output files, the JSON writer, the progress bar, the RNG, byte order and
# the header + zlib envelope of the binary files, INI files with line numbers (libinih).
noinst_LTLIBRARIES += %D%/libutil.la
%C%_libutil_la_SOURCES = %D%/util.c %D%/util.h %D%/filecrc.c %D%/tmpfiles.c %D%/tmpfiles.h \
	%D%/outfile.c %D%/outfile.h %D%/jsonw.c %D%/jsonw.h %D%/progress.c %D%/progress.h \
	%D%/container.c %D%/container.h %D%/le.h %D%/rng.h %D%/divisor.h %D%/ini.c %D%/ini.h
%C%_libutil_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSPK_PKGDATADIR='"$(pkgdatadir)"' -DSPK_SRCDIR='"$(abs_top_srcdir)"'
%C%_libutil_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS) $(INIH_CFLAGS)

# The binary files' envelope and byte order (cmocka).
check_PROGRAMS += tests/unit/test_container
tests_unit_test_container_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_container_LDADD = %D%/libutil.la $(CMOCKA_LIBS) $(ZLIB_LIBS)
TESTS += tests/unit/test_container
