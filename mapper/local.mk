# %D%/ — the compiler: quantized network + arch file -> partition, assign, route, place ->
# chip image (.spki, image/) and mapping report; the functional executor behind
# `spikechip map --verify` (doc/mapper.md).
EXTRA_DIST += %D%/README.md
noinst_LTLIBRARIES += %D%/libmapper.la
%C%_libmapper_la_SOURCES = %D%/map.c %D%/map.h \
	%D%/partition.c %D%/partition.h %D%/assign.c %D%/assign.h %D%/route.c %D%/route.h \
	%D%/place.c %D%/place.h %D%/emit.c %D%/emit.h %D%/exec.c %D%/exec.h \
	%D%/report.c %D%/report.h %D%/map_cmd.c %D%/traffic.c %D%/traffic.h %D%/scotch.c \
	%D%/profile.c %D%/profile.h
%C%_libmapper_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS) $(SCOTCH_CFLAGS) $(JANSSON_CFLAGS)
# libtool hands these on to whatever links the library (spikechip, the tests)
%C%_libmapper_la_LIBADD = $(SCOTCH_LIBS) $(JANSSON_LIBS)

# Unit tests (cmocka): one per pass and the executor (the image's own is in image/); they
# share the fixture model and arch_with() of map_fixture.h.
EXTRA_DIST += tests/unit/map_fixture.h
MAPPER_TEST_LIBS = mapper/libmapper.la image/libimage.la models/libmodels.la \
	traces/libtraces.la arch/libarch.la util/libutil.la $(CMOCKA_LIBS) $(INIH_LIBS) \
	$(ZLIB_LIBS) -lm
MAPPER_TEST_CPPFLAGS = $(AM_CPPFLAGS) -DSPK_SRCDIR='"$(abs_top_srcdir)"'
MAPPER_TESTS = tests/unit/test_map_partition tests/unit/test_map_assign \
	tests/unit/test_map_route tests/unit/test_map_place tests/unit/test_map_exec
check_PROGRAMS += $(MAPPER_TESTS)
TESTS += $(MAPPER_TESTS)
tests_unit_test_map_partition_CPPFLAGS = $(MAPPER_TEST_CPPFLAGS)
tests_unit_test_map_partition_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_map_partition_LDADD = $(MAPPER_TEST_LIBS)
tests_unit_test_map_assign_CPPFLAGS = $(MAPPER_TEST_CPPFLAGS)
tests_unit_test_map_assign_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_map_assign_LDADD = $(MAPPER_TEST_LIBS)
tests_unit_test_map_route_CPPFLAGS = $(MAPPER_TEST_CPPFLAGS)
tests_unit_test_map_route_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_map_route_LDADD = $(MAPPER_TEST_LIBS)
tests_unit_test_map_place_CPPFLAGS = $(MAPPER_TEST_CPPFLAGS)
tests_unit_test_map_place_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_map_place_LDADD = $(MAPPER_TEST_LIBS)
tests_unit_test_map_exec_CPPFLAGS = $(MAPPER_TEST_CPPFLAGS)
tests_unit_test_map_exec_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_map_exec_LDADD = $(MAPPER_TEST_LIBS)

# `spikechip map` end to end (tests/cli/map.sh): arch variants, --verify, no-fit errors,
# placers, costs and --profile; the bad profiles doc/errors.md's rows use.
TESTS += tests/cli/map.sh
EXTRA_DIST += tests/cli/map.sh tests/data/profile/other-model.json \
	tests/data/profile/tiny-missing-pop.json tests/data/profile/tiny-wrong-neurons.json \
	tests/data/profile/no-layers.json

# `make bench-map` (never part of `make check`): today's placement against Scotch's, with assumed
# and measured firing rates, on the shipped model (and the 55M layout with SPK_BENCH_55M=FILE).
EXTRA_DIST += %D%/bench_map.sh
bench: bench-map
bench-map: spikechip$(EXEEXT)
	$(SHELL) $(abs_top_srcdir)/%D%/bench_map.sh ./spikechip$(EXEEXT) $(abs_top_srcdir)
.PHONY: bench-map
