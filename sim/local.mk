# %D%/ — the cycle-accurate chip: component models in C, the event scheduler, the chip top and
# `spikechip sim` (later: the SystemC layer).
# The contract every model honours is doc/architecture.md.
noinst_LTLIBRARIES += %D%/libsim.la
%C%_libsim_la_SOURCES = %D%/router.c %D%/router.h %D%/noc.c %D%/noc.h \
	%D%/sched.c %D%/sched.h \
	%D%/unit.c %D%/unit.h %D%/core.c %D%/core.h %D%/attn.c %D%/attn.h %D%/encoder.c %D%/encoder.h \
	%D%/readout.c %D%/readout.h %D%/chip.c %D%/chip.h %D%/jobs.c %D%/jobs.h \
	%D%/timeline.c %D%/timeline.h %D%/critpath.c %D%/critpath.h \
	%D%/segfile.c %D%/segfile.h \
	%D%/sim_cmd.c %D%/sim_cmd.h %D%/sim_segments.c %D%/sim_report.c \
	%D%/energy.c %D%/energy.h %D%/energy_cmd.c %D%/energy_ref.c %D%/energy_ref.h \
	%D%/noc_traffic.c %D%/noc_traffic.h %D%/noc_cmd.c
EXTRA_DIST += %D%/README.md
include %D%/systemc/local.mk

# Unit tests (cmocka).
SIM_TEST_LIBS = sim/libsim.la arch/libarch.la util/libutil.la $(CMOCKA_LIBS) $(INIH_LIBS)
check_PROGRAMS += tests/unit/test_router tests/unit/test_noc tests/unit/test_sched \
	tests/unit/test_core tests/unit/test_attn tests/unit/test_encoder tests/unit/test_readout
tests_unit_test_router_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_router_LDADD = $(SIM_TEST_LIBS)
tests_unit_test_noc_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_noc_LDADD = $(SIM_TEST_LIBS)
tests_unit_test_sched_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_sched_LDADD = $(SIM_TEST_LIBS)
tests_unit_test_core_SOURCES = tests/unit/test_core.c tests/unit/test_core_harness.h
tests_unit_test_core_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_core_LDADD = $(SIM_TEST_LIBS)
tests_unit_test_attn_SOURCES = tests/unit/test_attn.c tests/unit/test_core_harness.h
tests_unit_test_attn_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_attn_LDADD = $(SIM_TEST_LIBS)
tests_unit_test_encoder_SOURCES = tests/unit/test_encoder.c tests/unit/test_core_harness.h
tests_unit_test_encoder_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_encoder_LDADD = $(SIM_TEST_LIBS)
tests_unit_test_readout_SOURCES = tests/unit/test_readout.c tests/unit/test_core_harness.h
tests_unit_test_readout_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_readout_LDADD = $(SIM_TEST_LIBS)
TESTS += tests/unit/test_router tests/unit/test_noc tests/unit/test_sched tests/unit/test_core \
	tests/unit/test_attn tests/unit/test_encoder tests/unit/test_readout

# The chip top against the integer reference (tiny fixture compiled by the mapper).
check_PROGRAMS += tests/unit/test_chip
tests_unit_test_chip_CPPFLAGS = $(AM_CPPFLAGS) -DSPK_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_chip_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_chip_LDADD = sim/libsim.la mapper/libmapper.la image/libimage.la \
	models/libmodels.la traces/libtraces.la arch/libarch.la util/libutil.la $(CMOCKA_LIBS) \
	$(INIH_LIBS) $(ZLIB_LIBS) -lm
TESTS += tests/unit/test_chip

# `spikechip sim` end to end (tests/cli/sim.sh): --check, trace diff, JSON, bad inputs.
TESTS += tests/cli/sim.sh
EXTRA_DIST += tests/cli/sim.sh
# --timeline and --critical-path (tests/cli/timeline.sh, doc/report.md).
TESTS += tests/cli/timeline.sh
EXTRA_DIST += tests/cli/timeline.sh

# Energy accounting with the energy presets (doc/energy.md): the tiny fixture on loihi against
# default, same cycles and spikes, the counted events times Loihi's figures.
TESTS += tests/cli/energy.sh
EXTRA_DIST += tests/cli/energy.sh

# `spikechip energy` (tests/cli/energy_cmd.sh): the tiny fixture, 20 images, both multicast
# modes: every count equal to sim's; --sample against sim --segment 1; bad inputs.
TESTS += tests/cli/energy_cmd.sh
EXTRA_DIST += tests/cli/energy_cmd.sh

# Tree multicast end to end (tests/cli/sim_tree.sh): --check, the same spikes as source
# replication from fewer packets, SystemC = native, the tree-mode payload check in map and sim.
TESTS += tests/cli/sim_tree.sh
EXTRA_DIST += tests/cli/sim_tree.sh

# Segments over worker processes: the runner (sim/jobs.c), and `spikechip sim --jobs N` giving
# the same report and trace for every N (tests/cli/sim_jobs.sh).
check_PROGRAMS += tests/unit/test_jobs
tests_unit_test_jobs_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_jobs_LDADD = $(SIM_TEST_LIBS)
TESTS += tests/unit/test_jobs tests/cli/sim_jobs.sh
EXTRA_DIST += tests/cli/sim_jobs.sh

# Stopping and going on: segment result files (tests/unit/test_segfile.c) and `spikechip sim
# --resume DIR` giving the report and trace of an uninterrupted run (tests/cli/sim_resume.sh).
check_PROGRAMS += tests/unit/test_segfile
tests_unit_test_segfile_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_segfile_LDADD = sim/libsim.la util/libutil.la $(CMOCKA_LIBS) $(ZLIB_LIBS) -lm
TESTS += tests/unit/test_segfile tests/cli/sim_resume.sh
EXTRA_DIST += tests/cli/sim_resume.sh


# `spikechip noc` (tests/cli/noc.sh): zero-load latency of every pattern against
# doc/architecture.md's formula, no load above the channel-load bound, determinism, refusals.
TESTS += tests/cli/noc.sh
EXTRA_DIST += tests/cli/noc.sh

# `make bench`: NoC simulation speed and latency against offered load (8x8, uniform random;
# unicast 1 and 2 flits, tree multicast to groups of 4).
EXTRA_PROGRAMS += %D%/bench_noc
%C%_bench_noc_LDADD = sim/libsim.la arch/libarch.la util/libutil.la $(INIH_LIBS) -lm
CLEANFILES += %D%/bench_noc$(EXEEXT)
bench: bench-noc
bench-noc: %D%/bench_noc$(EXEEXT)
	./%D%/bench_noc$(EXEEXT)
	./%D%/bench_noc$(EXEEXT) 8 2
	./%D%/bench_noc$(EXEEXT) 8 1 2 4 4
.PHONY: bench-noc

# `make bench`: the native chip simulation against the integer reference on the same images
# (sim/bench_chip.c, doc/performance.md): SOPs/s, their ratio, s/image, peak RSS. The shipped
# model if present, else the tiny fixture; SPK_BENCH_MODEL=FILE and SPK_BENCH_IMAGES=N override.
EXTRA_PROGRAMS += %D%/bench_chip
CLEANFILES += %D%/bench_chip$(EXEEXT)
bench: bench-chip
bench-chip: %D%/bench_chip$(EXEEXT) spikechip$(EXEEXT)
	./%D%/bench_chip$(EXEEXT) ./spikechip$(EXEEXT) $(abs_top_srcdir)
.PHONY: bench-chip

# `make bench`: the energy counter (spikechip energy) against the integer reference on the same
# images, twice in alternation (sim/bench_energy.sh, doc/energy.md).
EXTRA_DIST += %D%/bench_energy.sh
bench: bench-energy
bench-energy: spikechip$(EXEEXT)
	$(SHELL) $(abs_top_srcdir)/%D%/bench_energy.sh ./spikechip$(EXEEXT) $(abs_top_srcdir)
.PHONY: bench-energy
