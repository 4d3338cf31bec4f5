# %D%/ — the cycle-accurate chip: component models in C, the event scheduler (later: the
# synapse core, attention unit, encoder, readout, chip top, SystemC layer, energy reports).
# The contract every model honours is doc/architecture.md.
noinst_LTLIBRARIES += %D%/libsim.la
%C%_libsim_la_SOURCES = %D%/router.c %D%/router.h %D%/noc.c %D%/noc.h \
	%D%/sched.c %D%/sched.h %D%/rng.h \
	%D%/core.c %D%/core.h %D%/attn.c %D%/attn.h %D%/encoder.c %D%/encoder.h \
	%D%/readout.c %D%/readout.h
EXTRA_DIST += %D%/README.md

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

# `make bench`: NoC simulation speed and latency against offered load (8x8, uniform random).
EXTRA_PROGRAMS += %D%/bench_noc
%C%_bench_noc_LDADD = sim/libsim.la arch/libarch.la util/libutil.la $(INIH_LIBS) -lm
CLEANFILES += %D%/bench_noc$(EXEEXT)
bench: bench-noc
bench-noc: %D%/bench_noc$(EXEEXT)
	./%D%/bench_noc$(EXEEXT)
	./%D%/bench_noc$(EXEEXT) 8 2
.PHONY: bench-noc
