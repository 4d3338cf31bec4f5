# %D%/ — helpers shared by all modules (errors, strict number parsing, data-file lookup).
noinst_LTLIBRARIES += %D%/libutil.la
%C%_libutil_la_SOURCES = %D%/util.c %D%/util.h %D%/tmpfiles.c %D%/tmpfiles.h
%C%_libutil_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSPK_PKGDATADIR='"$(pkgdatadir)"' -DSPK_SRCDIR='"$(abs_top_srcdir)"'
