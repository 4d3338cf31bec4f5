/*
 * util.h — small helpers shared by every spikechip module: user-facing error messages, strict
 * number parsing for options and files, locating the data files that ship with spikechip
 * (arch presets, the shipped model), and the clock commands time their runs with.
 *
 * Errors by whose fault: these helpers report a *user's* mistake (bad option, bad file) as a
 * message on stderr and leave the exit status to the caller; broken invariants are asserts.
 */
#ifndef SPK_UTIL_H
#define SPK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses shared by all subcommands. */
enum {
	SPK_EXIT_OK = 0,
	SPK_EXIT_FAIL = 1,	/* the command ran, the answer is "no" (e.g. traces differ) */
	SPK_EXIT_USAGE = 2,	/* bad option, bad input file */
	SPK_EXIT_NOFIT = 3,	/* model does not fit the chip */
};

/* Prints "spikechip: <message>\n" on stderr. */
void spk_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * snprintf for text that may be cut without harm or whose cut is checked: file names built
 * from a directory the user gave, messages quoting other messages. Returns 0, or -1 if the
 * text was cut (buf then holds its beginning).
 */
int spk_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Strict parsing: the whole string must be a number within [lo, hi]. Return 0 or -1. */
int spk_parse_long(const char *s, long lo, long hi, long *out);
int spk_parse_double(const char *s, double lo, double hi, double *out);

/*
 * Finds a data file shipped with spikechip (e.g. "arch/default.ini"): $SPIKECHIP_DATA/<rel> if
 * that variable is set, else the installed copy under the package data directory, else the copy
 * in the source tree the binary was built from. Writes the path into buf; returns 0, or -1 if
 * no candidate exists (buf then holds the last candidate tried, for the error message).
 */
int spk_data_path(const char *rel, char *buf, size_t len);

/*
 * Subcommand option parsing (getopt_long with ":" leading the optstring, opterr = 0). Each
 * reports a user's mistake as "<cmd>: ..." and returns SPK_EXIT_USAGE, or returns 0.
 *
 * spk_opt_fail: getopt_long returned c (':' a missing value, anything else an unknown option)
 * for the argument opt (argv[optind - 1]); always returns SPK_EXIT_USAGE.
 * spk_opt_images: parses a number of images (1..UINT32_MAX) given to option name (e.g.
 * "--images") into *out.
 * spk_opt_extra: arg, if not NULL, is an argument left over after the options.
 * spk_opt_labels: --labels was given (labels != NULL) without --data (data == NULL).
 */
int spk_opt_fail(const char *cmd, int c, const char *opt);
int spk_opt_images(const char *cmd, const char *name, const char *arg, uint32_t *out);
int spk_opt_extra(const char *cmd, const char *arg);
int spk_opt_labels(const char *cmd, const char *data, const char *labels);

/*
 * Reads the whole file `path` into a malloc()ed buffer (*buf, *len bytes; the caller frees it),
 * refusing a file longer than `max` bytes as too large for `what` (e.g. "a model file").
 * Returns 0, or a negative errno with "PATH: cannot open: ...", "PATH: cannot read: ...",
 * "PATH: N bytes is too large for WHAT" or "PATH: out of memory reading N bytes" in err.
 */
/*
 * The CRC-32 (zlib's) of the file `path`'s bytes, continuing *crc: pass 0 for a file's own CRC,
 * or the CRC of what came before to cover several files as one stream. Returns 0, or -EIO with
 * "cannot open PATH: ..." or "cannot read PATH: ..." in err (*crc then unspecified). Identifies
 * a model, a chip image or an architecture in the files that refer to them.
 */
int spk_file_crc32(const char *path, uint32_t *crc, char *err, size_t errlen);

int spk_read_file(const char *path, size_t max, const char *what, uint8_t **buf, size_t *len,
		  char *err, size_t errlen);

/* Seconds on the monotonic clock: differences time a run (rates, ETAs, reports). */
double spk_now(void);

/*
 * A test hook, so that tests of interruption interrupt for certain: with SPK_TEST_STOP=WHAT:K in
 * the environment, spk_test_stop(WHAT, K) raises SIGTERM (SPK_TEST_STOP=WHAT:K:KILL: SIGKILL) in
 * the calling process, exactly as an outside kill at that point would; otherwise it does nothing.
 * The points: "image" (spikechip ref, after image K), "segment" (spikechip sim's parent, after
 * segment K is merged and its --resume result written), "worker" (a sim worker process, before
 * it runs segment K), "point" (spikechip sweep's parent, after K points are done).
 */
void spk_test_stop(const char *what, uint64_t k);

#endif
