# %D%/ — libFuzzer harnesses of every file reader (doc/robustness.md): the model file, the chip
# image, the architecture INI, IDX data sets (plain and gzip), the spike trace and the segment
# result file, and the sweep file. Built by clang (configure's FUZZ_CC) with ASan + UBSan
# straight from the readers' sources, not from the gcc-built libraries, and never by `make` or
# `make check`:
#
#   make check-fuzz-smoke   per harness: every input of regress/, the seeds of corpus/, then
#                           FUZZ_SMOKE_SECONDS of fuzzing (.ci/run runs it)
#   make fuzz               per harness, one after the other: FUZZ_SECONDS of fuzzing on one core
#
# FUZZ_READERS picks harnesses (make fuzz FUZZ_READERS=idx FUZZ_SECONDS=60). What the fuzzer
# grows and finds stays in the build directory (tests/fuzz/work/).
FUZZ_READERS = model image arch idx trace segfile sweep
FUZZ_SECONDS = 1200
FUZZ_SMOKE_SECONDS = 10
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1 -std=gnu11 \
	-Wall -Wextra
FUZZ_CPPFLAGS = -I$(top_srcdir) -I$(top_builddir) -DSPK_PKGDATADIR='"$(pkgdatadir)"' \
	-DSPK_SRCDIR='"$(abs_top_srcdir)"'
FUZZ_UTIL = util/util.c util/container.c util/tmpfiles.c util/outfile.c util/filecrc.c util/ini.c
FUZZ_ARCH = arch/arch.c arch/arch_params.c
fuzz_model_SRC = %D%/fuzz_model.c models/model.c $(FUZZ_UTIL)
fuzz_image_SRC = %D%/fuzz_image.c image/format.c image/image.c image/mc.c image/validate.c \
	$(FUZZ_ARCH) $(FUZZ_UTIL)
fuzz_arch_SRC = %D%/fuzz_arch.c $(FUZZ_ARCH) $(FUZZ_UTIL)
fuzz_idx_SRC = %D%/fuzz_idx.c data/idx.c $(FUZZ_UTIL)
fuzz_trace_SRC = %D%/fuzz_trace.c traces/trace.c $(FUZZ_UTIL)
fuzz_segfile_SRC = %D%/fuzz_segfile.c sim/segfile.c $(FUZZ_UTIL)
fuzz_sweep_SRC = %D%/fuzz_sweep.c dse/spec.c $(FUZZ_ARCH) $(FUZZ_UTIL)
FUZZ_LINK_LIBS = $(INIH_LIBS) $(ZLIB_LIBS) -lm
FUZZ_BINS = $(FUZZ_READERS:%=%D%/fuzz_%)

# One rule per harness, from the source tree; any header change rebuilds all. fuzz_link
# (sources, flags): the flags default to FUZZ_FLAGS.
FUZZ_DEPS = $(wildcard $(top_srcdir)/*/*.h) $(top_srcdir)/%D%/fuzz.h
fuzz_link = $(AM_V_CCLD)if test "x$(FUZZ_CC)" = xno; then \
	echo "$@: no clang with libFuzzer: apt-get install clang-14 libclang-rt-14-dev," \
	"then configure" >&2; \
	exit 1; fi; $(MKDIR_P) $(@D) && \
	$(FUZZ_CC) $(or $(2),$(FUZZ_FLAGS)) $(FUZZ_CPPFLAGS) -o $@ $(1:%=$(top_srcdir)/%) $(FUZZ_LINK_LIBS)
%D%/fuzz_model: $(fuzz_model_SRC:%=$(top_srcdir)/%) $(FUZZ_DEPS)
	$(call fuzz_link,$(fuzz_model_SRC))
%D%/fuzz_image: $(fuzz_image_SRC:%=$(top_srcdir)/%) $(FUZZ_DEPS)
	$(call fuzz_link,$(fuzz_image_SRC))
%D%/fuzz_arch: $(fuzz_arch_SRC:%=$(top_srcdir)/%) $(FUZZ_DEPS)
	$(call fuzz_link,$(fuzz_arch_SRC))
%D%/fuzz_idx: $(fuzz_idx_SRC:%=$(top_srcdir)/%) $(FUZZ_DEPS)
	$(call fuzz_link,$(fuzz_idx_SRC))
%D%/fuzz_trace: $(fuzz_trace_SRC:%=$(top_srcdir)/%) $(FUZZ_DEPS)
	$(call fuzz_link,$(fuzz_trace_SRC))
%D%/fuzz_segfile: $(fuzz_segfile_SRC:%=$(top_srcdir)/%) $(FUZZ_DEPS)
	$(call fuzz_link,$(fuzz_segfile_SRC))
%D%/fuzz_sweep: $(fuzz_sweep_SRC:%=$(top_srcdir)/%) $(FUZZ_DEPS)
	$(call fuzz_link,$(fuzz_sweep_SRC))

fuzz-build: $(FUZZ_BINS)
check-fuzz-smoke: $(FUZZ_BINS)
	$(AM_V_at)$(SHELL) $(top_srcdir)/%D%/run.sh smoke $(FUZZ_SMOKE_SECONDS) $(top_srcdir) \
		$(top_builddir) $(FUZZ_READERS)
fuzz: $(FUZZ_BINS)
	$(AM_V_at)$(SHELL) $(top_srcdir)/%D%/run.sh long $(FUZZ_SECONDS) $(top_srcdir) \
		$(top_builddir) $(FUZZ_READERS)
.PHONY: fuzz fuzz-build check-fuzz-smoke

# The generator of the binary formats' seeds (its header says when to run it); built on demand.
make_seeds_SRC = %D%/make_seeds.c mapper/assign.c mapper/emit.c mapper/map.c \
	mapper/partition.c mapper/place.c mapper/route.c mapper/traffic.c mapper/scotch.c \
	models/model.c models/model_build.c \
	models/quant.c image/format.c image/image.c image/mc.c image/validate.c sim/segfile.c \
	$(FUZZ_ARCH) $(FUZZ_UTIL)
MAKE_SEEDS_FLAGS = -fsanitize=address,undefined -g -O1 -std=gnu11 -Wall -Wextra
%D%/make_seeds: $(make_seeds_SRC:%=$(top_srcdir)/%) $(FUZZ_DEPS)
	$(call fuzz_link,$(make_seeds_SRC),$(MAKE_SEEDS_FLAGS) $(SCOTCH_CFLAGS)) $(SCOTCH_LIBS)

# The grown corpus and the findings (work/) outlive `make clean`: they are what the next run
# starts from.
CLEANFILES += $(FUZZ_BINS) %D%/make_seeds
EXTRA_DIST += %D%/fuzz.h %D%/run.sh %D%/make_seeds.c %D%/corpus %D%/regress \
	$(FUZZ_READERS:%=%D%/fuzz_%.c)
