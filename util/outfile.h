/*
 * outfile.h — an output file written atomically: everything goes to `PATH.tmp.<pid>`, and only
 * a successful commit renames it over PATH (doc/formats.md). A reader therefore never sees a
 * partial JSON report, logits file or model file, and a command that fails half-way leaves
 * whatever PATH held before untouched.
 *
 * Ownership: the caller allocates struct spk_outfile; open() fills it, and exactly one of
 * commit() or abort() must follow (both release everything; abort() of a never-opened or
 * zeroed struct is a no-op).
 *
 * Errors: a file that cannot be created, written or renamed is the user's environment, so the
 * functions return a negative errno and write "PATH: what" into the caller's buffer.
 */
#ifndef SPK_OUTFILE_H
#define SPK_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

struct spk_outfile {
	FILE *f;		/* write here between open and commit */
	char *path;
	char *tmp;
};

int spk_outfile_open(struct spk_outfile *o, const char *path, char *err, size_t errlen);

/* Flushes, closes and renames; on failure removes the temporary file. */
int spk_outfile_commit(struct spk_outfile *o, char *err, size_t errlen);

/* Closes and removes the temporary file. */
void spk_outfile_abort(struct spk_outfile *o);

/* The whole of buf[0..len) to path, atomically: open, one write, commit. 0 or a negative
 * errno with "PATH: what" in err. */
int spk_outfile_write(const char *path, const void *buf, size_t len, char *err, size_t errlen);

#endif
