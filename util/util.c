/*
 * util.c — see util.h. Nothing here allocates or keeps state.
 */
#include "config.h"

#include "util/util.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int spk_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void spk_error(const char *fmt, ...)
{
	va_list ap;

	fputs("spikechip: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int spk_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int spk_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int spk_opt_fail(const char *cmd, int c, const char *opt)
{
	if (c == ':')
		spk_error("%s: option '%s' needs a value", cmd, opt);
	else
		spk_error("%s: unknown option '%s'; see 'spikechip %s --help'", cmd, opt, cmd);
	return SPK_EXIT_USAGE;
}

int spk_opt_images(const char *cmd, const char *name, const char *arg, uint32_t *out)
{
	long v;

	if (spk_parse_long(arg, 1, UINT32_MAX, &v) < 0) {
		spk_error("%s: %s '%s' is not a number of images (1 or more)", cmd, name, arg);
		return SPK_EXIT_USAGE;
	}
	*out = (uint32_t)v;
	return 0;
}

int spk_opt_extra(const char *cmd, const char *arg)
{
	if (arg == NULL)
		return 0;
	spk_error("%s: unexpected argument '%s'; see 'spikechip %s --help'", cmd, arg, cmd);
	return SPK_EXIT_USAGE;
}

int spk_opt_labels(const char *cmd, const char *data, const char *labels)
{
	if (labels == NULL || data != NULL)
		return 0;
	spk_error("%s: --labels needs --data (the default data set has its own labels)", cmd);
	return SPK_EXIT_USAGE;
}

int spk_data_path(const char *rel, char *buf, size_t len)
{
	const char *env = getenv("SPIKECHIP_DATA");
	const char *dirs[3];
	int n = 0;

	if (env != NULL && *env != '\0')
		dirs[n++] = env;
	dirs[n++] = SPK_PKGDATADIR;
	dirs[n++] = SPK_SRCDIR;
	for (int i = 0; i < n; i++) {
		snprintf(buf, len, "%s/%s", dirs[i], rel);
		if (access(buf, R_OK) == 0)
			return 0;
	}
	return -1;
}

int spk_read_file(const char *path, size_t max, const char *what, uint8_t **buf, size_t *len,
		  char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;
	int e = 0;

	*buf = NULL;
	*len = 0;
	if (f == NULL) {
		e = errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		e = errno;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
		goto out;
	}
	if ((unsigned long)n > max) {
		e = EFBIG;
		snprintf(err, errlen, "%s: %ld bytes is too large for %s", path, n, what);
		goto out;
	}
	b = malloc(n > 0 ? (size_t)n : 1);
	if (b == NULL) {
		e = ENOMEM;
		snprintf(err, errlen, "%s: out of memory reading %ld bytes", path, n);
		goto out;
	}
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		e = ferror(f) && errno != 0 ? errno : EIO;
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 ferror(f) ? strerror(e) : "unexpected end of file");
		free(b);
		goto out;
	}
	*buf = b;
	*len = (size_t)n;
out:
	fclose(f);
	return -e;
}

double spk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void spk_test_stop(const char *what, uint64_t k)
{
	const char *v = getenv("SPK_TEST_STOP");
	size_t n = strlen(what);
	char *end;
	unsigned long long at;

	if (v == NULL || strncmp(v, what, n) != 0 || v[n] != ':')
		return;
	at = strtoull(v + n + 1, &end, 10);
	if (end == v + n + 1 || at != k)
		return;
	fflush(stdout);
	raise(strcmp(end, ":KILL") == 0 ? SIGKILL : SIGTERM);
}
