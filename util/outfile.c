/*
 * outfile.c — atomic output files (tmp + rename); see outfile.h.
 */
#include "config.h"

#include "util/outfile.h"
#include "util/tmpfiles.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void clear(struct spk_outfile *o)
{
	if (o->tmp != NULL)
		spk_tmpfile_drop(o->tmp);
	free(o->path);
	free(o->tmp);
	o->f = NULL;
	o->path = NULL;
	o->tmp = NULL;
}

int spk_outfile_open(struct spk_outfile *o, const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path) + 32;
	int e;

	o->f = NULL;
	o->path = strdup(path);
	o->tmp = malloc(n);
	if (o->path == NULL || o->tmp == NULL) {
		clear(o);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
	o->f = fopen(o->tmp, "wb");
	if (o->f == NULL) {
		e = errno;
		snprintf(err, errlen, "%s: cannot create '%s': %s", path, o->tmp, strerror(e));
		clear(o);
		return -e;
	}
	spk_tmpfile_add(o->tmp);
	return 0;
}

int spk_outfile_commit(struct spk_outfile *o, char *err, size_t errlen)
{
	int e = 0;

	errno = 0;
	if (ferror(o->f) || fflush(o->f) != 0)
		e = errno ? errno : EIO;
	if (fclose(o->f) != 0 && e == 0)
		e = errno ? errno : EIO;
	o->f = NULL;
	if (e != 0) {
		snprintf(err, errlen, "%s: write error: %s", o->path, strerror(e));
		goto out_remove;
	}
	if (rename(o->tmp, o->path) != 0) {
		e = errno;
		snprintf(err, errlen, "%s: cannot rename '%s' over it: %s", o->path, o->tmp,
			 strerror(e));
		goto out_remove;
	}
	clear(o);
	return 0;
out_remove:
	remove(o->tmp);
	clear(o);
	return -e;
}

void spk_outfile_abort(struct spk_outfile *o)
{
	if (o->f != NULL)
		fclose(o->f);
	if (o->tmp != NULL)
		remove(o->tmp);
	clear(o);
}

int spk_outfile_write(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
	struct spk_outfile o = { 0 };
	int rc = spk_outfile_open(&o, path, err, errlen);

	if (rc < 0)
		return rc;
	if (fwrite(buf, 1, len, o.f) != len) {
		rc = errno ? -errno : -EIO;
		snprintf(err, errlen, "%s: write error: %s", path, strerror(-rc));
		spk_outfile_abort(&o);
		return rc;
	}
	return spk_outfile_commit(&o, err, errlen);
}
