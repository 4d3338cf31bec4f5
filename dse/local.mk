# %D%/ — design-space exploration: the sweep file, running and merging a sweep's points, the
# local, GNU parallel and Slurm backends (`spikechip sweep`, doc/dse.md).
noinst_LTLIBRARIES += %D%/libdse.la
%C%_libdse_la_SOURCES = %D%/spec.c %D%/spec.h %D%/sweep.c %D%/sweep.h %D%/sweep_cmd.c
%C%_libdse_la_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS) $(JANSSON_CFLAGS) $(ZLIB_CFLAGS)

# tests/cli/sweep.sh: the tiny sweep (statuses, figures equal to map + sim by hand, shared
# images, the Pareto column, kill and resume to the same bytes, --point, --merge).
TESTS += tests/cli/sweep.sh
EXTRA_DIST += tests/cli/sweep.sh tests/data/sweep/tiny.ini tests/data/sweep/four.ini \
	tests/data/sweep/bad-section.ini tests/data/sweep/bad-param.ini \
	tests/data/sweep/bad-value.ini tests/data/sweep/bad-range.ini \
	tests/data/sweep/bad-zip.ini tests/data/sweep/bad-nomodel.ini \
	tests/data/sweep/bad-sample.ini tests/data/sweep/bad-twice.ini \
	tests/data/sweep/bad-model.ini

# tests/cli/sweep_cluster.sh: the 4-point sweep through GNU parallel and on a private
# single-node Slurm cluster (slurm-wlm, munge), each merged CSV equal to the local run's.
TESTS += tests/cli/sweep_cluster.sh
EXTRA_DIST += tests/cli/sweep_cluster.sh
