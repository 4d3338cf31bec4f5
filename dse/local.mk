# %D%/ — design-space exploration: the sweep file, running and merging a sweep's points, the
# local, GNU parallel and Slurm backends (`spikechip sweep`, doc/dse.md).
noinst_LTLIBRARIES += %D%/libdse.la
%C%_libdse_la_SOURCES = %D%/spec.c %D%/spec.h %D%/sweep.c %D%/sweep.h %D%/sweep_cmd.c
%C%_libdse_la_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS) $(JANSSON_CFLAGS) $(ZLIB_CFLAGS)
