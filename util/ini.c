/*
 * ini.c — INI files through libinih with line numbers; see ini.h.
 */
#include "config.h"

#include "util/ini.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void spk_ini_fail(struct spk_ini *ini, int line, const char *fmt, ...)
{
	va_list ap;

	if (ini->failed)
		return;
	ini->failed = true;
	ini->err_line = line;
	va_start(ap, fmt);
	vsnprintf(ini->msg, sizeof(ini->msg), fmt, ap);
	va_end(ap);
}

/* inih's reader: hands out the next line, leading blanks stripped; NULL at the end or on error. */
static char *next_line(char *str, int num, void *stream)
{
	struct spk_ini *ini = stream;
	const char *p, *end, *nl;
	size_t n;

	if (ini->failed || ini->pos >= ini->len)
		return NULL;
	p = ini->text + ini->pos;
	nl = memchr(p, '\n', ini->len - ini->pos);
	end = nl != NULL ? nl : ini->text + ini->len;
	ini->pos = (size_t)(end - ini->text) + (nl != NULL ? 1 : 0);
	ini->lineno++;
	if (ini->lineno == 1 && end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;		/* UTF-8 byte order mark */
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\v' || *p == '\f'))
		p++;
	n = (size_t)(end - p);
	if (memchr(p, '\0', n) != NULL) {
		spk_ini_fail(ini, ini->lineno, "NUL byte in the line; this is not a text file");
		return NULL;
	}
	if (num < 2 || n > (size_t)num - 2) {
		spk_ini_fail(ini, ini->lineno, "line longer than %d characters", num - 2);
		return NULL;
	}
	memcpy(str, p, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	if (str[0] == '[' && ini->on_header != NULL) {
		const char *close = strchr(str, ']');

		if (close != NULL) {	/* inih reports a missing one */
			char name[128];
			size_t k = (size_t)(close - str - 1);

			snprintf(name, sizeof(name), "%.*s", (int)(k < sizeof(name) ? k : 0), str + 1);
			if (k >= sizeof(name))
				spk_ini_fail(ini, ini->lineno, "section name longer than %zu characters",
					     sizeof(name) - 1);
			else
				ini->on_header(ini, name, ini->user);
		}
	}
	return ini->failed ? NULL : str;
}

/* The text of line lineno (1-based), leading blanks stripped, for a syntax message. */
static void quote_line(const struct spk_ini *ini, int lineno, char *buf, size_t len)
{
	const char *p = ini->text, *end = ini->text + ini->len, *nl;

	for (int i = 1; i < lineno && p < end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		p = nl != NULL ? nl + 1 : end;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl != NULL)
		end = nl;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	snprintf(buf, len, "%.*s", (int)(end - p > 60 ? 60 : end - p), p);
}

int spk_ini_parse(struct spk_ini *ini, ini_handler handler, void *user)
{
	char quoted[64];
	int rc;

	ini->pos = 0;
	ini->lineno = 0;
	rc = ini_parse_stream(next_line, ini, handler, user);
	if (rc == -2) {
		ini->failed = false;
		spk_ini_fail(ini, 0, "out of memory while parsing");
	} else if (rc > 0 && (!ini->failed || rc < ini->err_line)) {
		/* A line inih could not parse, earlier than any error found by the callbacks. */
		quote_line(ini, rc, quoted, sizeof(quoted));
		ini->failed = false;
		if (quoted[0] == '[')
			spk_ini_fail(ini, rc, "section header without ']': '%s'", quoted);
		else
			spk_ini_fail(ini, rc, "expected 'key = value', '[section]' or a comment, "
				     "found '%s'", quoted);
	}
	return ini->failed ? -1 : 0;
}

void spk_ini_error(const struct spk_ini *ini, const char *name, char *err, size_t errlen)
{
	if (err == NULL || errlen == 0)
		return;
	if (ini->err_line > 0)
		snprintf(err, errlen, "%s:%d: %s", name, ini->err_line, ini->msg);
	else
		snprintf(err, errlen, "%s: %s", name, ini->msg);
}

int spk_ini_read_file(const char *path, size_t max, const char *what, char **text, size_t *len,
		      char *err, size_t errlen)
{
	char *buf;
	size_t n;
	FILE *f;
	int rc = 0;

	*text = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -EIO;
	}
	buf = malloc(max + 2);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		rc = -EIO;
	} else if (n > max) {
		snprintf(err, errlen, "%s: larger than %zu bytes; not %s", path, max, what);
		rc = -EINVAL;
	}
	fclose(f);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}
