# %D%/ — Meta-SpikeFormer: the PyTorch side (training, export, the .spkm reader and float64
# executor), and in C the model-file reader, quantizer and reference inference.
# The shipped model, installed where `spikechip run` looks for it (util: spk_data_path).
shippedmodeldir = $(pkgdatadir)/models
dist_shippedmodel_DATA = %D%/fmnist_t4.spkm
EXTRA_DIST += %D%/README.md %D%/spikeformer.py %D%/idx.py %D%/train.py %D%/average.py %D%/export.py \
	%D%/spkm.py %D%/fixtures.py %D%/bench_torch.py %D%/weight_bits.sh %D%/compare_engines.py %D%/deps.py

# The C side of models/: model-file reader and writer, quantizer, reference inference (integer
# and float64) and `spikechip ref`.
noinst_LTLIBRARIES += %D%/libmodels.la
%C%_libmodels_la_SOURCES = %D%/model.c %D%/model.h %D%/model_build.c %D%/model_build.h \
	%D%/quant.c %D%/quant.h %D%/ref.c %D%/ref.h %D%/ref_report.c %D%/ref_report.h \
	%D%/ref_cmd.c %D%/rowadd.h %D%/semantics.h
%C%_libmodels_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)

# Unit tests (cmocka).
MODELS_TEST_LIBS = models/libmodels.la data/libdata.la traces/libtraces.la arch/libarch.la \
	util/libutil.la \
	$(CMOCKA_LIBS) $(INIH_LIBS) $(ZLIB_LIBS) -lm
check_PROGRAMS += tests/unit/test_model
tests_unit_test_model_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_model_LDADD = $(MODELS_TEST_LIBS)
TESTS += tests/unit/test_model
check_PROGRAMS += tests/unit/test_quant tests/unit/test_ref
tests_unit_test_quant_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_quant_LDADD = $(MODELS_TEST_LIBS)
tests_unit_test_ref_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_ref_LDADD = $(MODELS_TEST_LIBS)
TESTS += tests/unit/test_quant tests/unit/test_ref
check_PROGRAMS += tests/unit/test_ref_float
tests_unit_test_ref_float_CPPFLAGS = $(AM_CPPFLAGS) -DSPK_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_ref_float_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_ref_float_LDADD = $(MODELS_TEST_LIBS)
TESTS += tests/unit/test_ref_float
check_PROGRAMS += tests/unit/test_ref_report
tests_unit_test_ref_report_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_ref_report_LDADD = $(MODELS_TEST_LIBS)
TESTS += tests/unit/test_ref_report
check_PROGRAMS += tests/unit/test_rowadd
tests_unit_test_rowadd_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_rowadd_LDADD = $(CMOCKA_LIBS)
TESTS += tests/unit/test_rowadd

# The Python side (pytest, through tests/python/pytest.sh): the PyTorch model, idx.py,
# training and export.
# (.ci/run's sanitizer pass leaves it out with SPK_PYTHON_TESTS=: nothing of it is C)
SPK_PYTHON_TESTS = tests/python/pytest.sh
TESTS += $(SPK_PYTHON_TESTS)
EXTRA_DIST += tests/python/pytest.sh tests/python/test_model.py tests/python/test_export.py

# `spikechip ref` end to end, with its golden integer-reference output.
TESTS += tests/cli/ref.sh
EXTRA_DIST += tests/cli/ref.sh tests/data/ref/README.md tests/data/ref/tiny-fmnist-t2-int.txt \
	tests/data/ref/derive_float.py
# `make check-golden`: the float line of tests/data/ref/fmnist-t4-200.txt derived again by
# PyTorch float64, independently of the C code (tests/data/ref/README.md; a few minutes).
check-golden:
	$(PYTHON) $(abs_top_srcdir)/tests/data/ref/derive_float.py $(abs_top_srcdir)
.PHONY: check-golden

# `make bench`: SOP/s of the reference inference, synthetic wide layers and the fixture model.
EXTRA_PROGRAMS = models/bench_ref
models_bench_ref_LDADD = models/libmodels.la data/libdata.la traces/libtraces.la \
	arch/libarch.la util/libutil.la $(INIH_LIBS) $(ZLIB_LIBS) -lm
CLEANFILES += models/bench_ref$(EXEEXT)
# (the top Makefile.am sets BENCH_TARGETS after the fragments: add a prerequisite instead)
bench: bench-ref
bench-ref: models/bench_ref$(EXEEXT)
	./models/bench_ref$(EXEEXT)
	./models/bench_ref$(EXEEXT) $(top_srcdir)/tests/data/fixtures/tiny-fmnist-t2.spkm 200
	if test -f $(top_srcdir)/models/fmnist_t4.spkm; then \
	  ./models/bench_ref$(EXEEXT) $(top_srcdir)/models/fmnist_t4.spkm 500; fi
# PyTorch float inference of the shipped model, folded and unfolded (models/bench_torch.py).
bench: bench-torch
bench-torch:
	if test -f $(top_srcdir)/models/fmnist_t4.spkm; then \
	  ck=$(top_srcdir)/models/runs/fmnist_t4v4/best.pt; test -f $$ck || ck=; \
	  $(PYTHON) $(top_srcdir)/models/bench_torch.py --model $(top_srcdir)/models/fmnist_t4.spkm \
	    $${ck:+--checkpoint $$ck} --images 512 --batch-size 64 --threads 2; \
	else echo "bench-torch: models/fmnist_t4.spkm not found, skipped"; fi
.PHONY: bench-ref bench-torch
