/*
 * ini.h — INI files through libinih, with line numbers in every message.
 *
 * Debian's libinih is built with inline ';' comments, multi-line values and a fixed line
 * buffer, and its handler gets no line number. So the caller holds the whole file in memory
 * and spk_ini_parse() hands it to ini_parse_stream() line by line through a reader that
 *   - counts lines, so the handler knows the line of the key it is given (ini->lineno);
 *   - strips leading blanks, so an indented "key = value" is a key of its own and never a
 *     continuation of the previous value (continuation lines are not part of our formats);
 *   - hands every "[section]" header to the caller (inih does not pass them to the handler);
 *   - refuses NUL bytes and lines that would not fit inih's buffer instead of letting inih
 *     split them.
 * inih reports a line it cannot parse (no '=', no ']') only by returning its number, so the
 * first error overall is the earlier of that line and the first one the callbacks reported.
 *
 * Users: the architecture file (arch/arch.c) and the sweep file (dse/spec.c).
 *
 * Ownership: struct spk_ini borrows text; nothing to free.
 */
#ifndef SPK_UTIL_INI_H
#define SPK_UTIL_INI_H

#include <ini.h>
#include <stdbool.h>
#include <stddef.h>

struct spk_ini {
	const char *text;		/* the whole file (need not be NUL-terminated) */
	size_t len;
	/* Called with each header line's name (between '[' and ']'); may call spk_ini_fail. */
	void (*on_header)(struct spk_ini *ini, const char *name, void *user);
	void *user;			/* for on_header */
	/* state: */
	size_t pos;			/* start of the next line */
	int lineno;			/* line last handed to inih */
	bool failed;
	int err_line;			/* line of the first error, 0 if no line applies */
	char msg[512];			/* the first error, without "FILE:LINE: " */
};

/* Records the first error (later ones are ignored). */
void spk_ini_fail(struct spk_ini *ini, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Parses ini->text, calling handler(user, section, key, value) for every key (ini->lineno is
 * its line). Returns 0, or -1 with ini->failed, err_line and msg set.
 */
int spk_ini_parse(struct spk_ini *ini, ini_handler handler, void *user);

/* "NAME:LINE: msg" (or "NAME: msg" when no line applies) of a failed parse. */
void spk_ini_error(const struct spk_ini *ini, const char *name, char *err, size_t errlen);

/*
 * Reads a whole text file of at most max bytes into a fresh NUL-terminated buffer (*text,
 * free()), its length in *len. what names the expected kind of file in the too-large message.
 * Returns 0, -EIO (cannot open or read) or -EINVAL (too large) with "PATH: problem" in err.
 */
int spk_ini_read_file(const char *path, size_t max, const char *what, char **text, size_t *len,
		      char *err, size_t errlen);

#endif
