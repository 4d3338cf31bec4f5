# %D%/ — the chip image (.spki): the format the mapper writes and the simulator (and later the
# RTL flow) reads, below both. The image in memory (image.c), its bytes (format.c), the
# network's and tiles' semantic validation (validate.c), the tree-multicast groups (mc.c).
noinst_LTLIBRARIES += %D%/libimage.la
%C%_libimage_la_SOURCES = %D%/image.c %D%/image.h %D%/internal.h %D%/format.c %D%/validate.c \
	%D%/mc.c
EXTRA_DIST += %D%/README.md
%C%_libimage_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)

# The format, its validating reader and the multicast groups (images compiled by the mapper
# from the fixture model of map_fixture.h).
check_PROGRAMS += tests/unit/test_map_image
TESTS += tests/unit/test_map_image
tests_unit_test_map_image_CPPFLAGS = $(AM_CPPFLAGS) -DSPK_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_map_image_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_map_image_LDADD = mapper/libmapper.la %D%/libimage.la models/libmodels.la \
	traces/libtraces.la arch/libarch.la util/libutil.la $(CMOCKA_LIBS) $(INIH_LIBS) \
	$(ZLIB_LIBS) -lm
