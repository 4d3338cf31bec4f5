/*
 * jsonw.c — streaming JSON writer; see jsonw.h.
 *
 * Each value first writes its separator: nothing after a key, else ",\n" + indentation
 * (or ", " inside an inline array) unless it is the first element of its container.
 */
#include "config.h"

#include "util/jsonw.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void spk_jsonw_init(struct spk_jsonw *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

static void indent(struct spk_jsonw *j)
{
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Separator before a value (or before a key, in an object). */
static void before_value(struct spk_jsonw *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	assert(j->depth == 0 || !j->is_object[j->depth]);	/* objects need a key first */
	if (j->depth == 0)
		return;
	if (!j->first[j->depth])
		fputc(',', j->f);
	if (j->is_inline[j->depth]) {
		if (!j->first[j->depth])
			fputc(' ', j->f);
	} else {
		indent(j);
	}
	j->first[j->depth] = false;
}

static void open_container(struct spk_jsonw *j, char c, bool object, bool inl)
{
	before_value(j);
	fputc(c, j->f);
	assert(j->depth + 1 < SPK_JSONW_DEPTH);
	j->depth++;
	j->first[j->depth] = true;
	j->is_object[j->depth] = object;
	j->is_inline[j->depth] = inl || (j->depth > 1 && j->is_inline[j->depth - 1]);
}

void spk_jsonw_object(struct spk_jsonw *j)
{
	open_container(j, '{', true, false);
}

void spk_jsonw_array(struct spk_jsonw *j)
{
	open_container(j, '[', false, false);
}

void spk_jsonw_array_inline(struct spk_jsonw *j)
{
	open_container(j, '[', false, true);
}

void spk_jsonw_end(struct spk_jsonw *j)
{
	bool object = j->is_object[j->depth], empty = j->first[j->depth];
	bool inl = j->is_inline[j->depth];

	assert(j->depth > 0 && !j->after_key);
	j->depth--;
	if (!empty && !inl)
		indent(j);
	fputc(object ? '}' : ']', j->f);
}

static void put_string(struct spk_jsonw *j, const char *s);

void spk_jsonw_key(struct spk_jsonw *j, const char *key)
{
	assert(j->depth > 0 && j->is_object[j->depth] && !j->after_key);
	if (!j->first[j->depth])
		fputc(',', j->f);
	if (j->is_inline[j->depth]) {
		if (!j->first[j->depth])
			fputc(' ', j->f);
	} else {
		indent(j);
	}
	j->first[j->depth] = false;
	put_string(j, key);
	fputs(": ", j->f);
	j->after_key = true;	/* the value follows without a separator */
}

void spk_jsonw_string(struct spk_jsonw *j, const char *s)
{
	before_value(j);
	put_string(j, s);
}

static void put_string(struct spk_jsonw *j, const char *s)
{
	fputc('"', j->f);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"': fputs("\\\"", j->f); break;
		case '\\': fputs("\\\\", j->f); break;
		case '\n': fputs("\\n", j->f); break;
		case '\r': fputs("\\r", j->f); break;
		case '\t': fputs("\\t", j->f); break;
		default:
			if (*p < 0x20)
				fprintf(j->f, "\\u%04x", *p);
			else
				fputc(*p, j->f);
		}
	}
	fputc('"', j->f);
}

void spk_jsonw_int(struct spk_jsonw *j, int64_t v)
{
	before_value(j);
	fprintf(j->f, "%" PRId64, v);
}

void spk_jsonw_uint(struct spk_jsonw *j, uint64_t v)
{
	before_value(j);
	fprintf(j->f, "%" PRIu64, v);
}

void spk_jsonw_real(struct spk_jsonw *j, double v)
{
	char buf[40];

	before_value(j);
	if (!isfinite(v)) {
		fputs("null", j->f);
		return;
	}
	/* The shortest of %.15g..%.17g that reads back to the same double. */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, j->f);
}

void spk_jsonw_bool(struct spk_jsonw *j, bool v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->f);
}

void spk_jsonw_null(struct spk_jsonw *j)
{
	before_value(j);
	fputs("null", j->f);
}

void spk_jsonw_key_str(struct spk_jsonw *j, const char *key, const char *v)
{
	spk_jsonw_key(j, key);
	if (v != NULL)
		spk_jsonw_string(j, v);
	else
		spk_jsonw_null(j);
}

void spk_jsonw_key_int(struct spk_jsonw *j, const char *key, int64_t v)
{
	spk_jsonw_key(j, key);
	spk_jsonw_int(j, v);
}

void spk_jsonw_key_uint(struct spk_jsonw *j, const char *key, uint64_t v)
{
	spk_jsonw_key(j, key);
	spk_jsonw_uint(j, v);
}

void spk_jsonw_key_real(struct spk_jsonw *j, const char *key, double v)
{
	spk_jsonw_key(j, key);
	spk_jsonw_real(j, v);
}

void spk_jsonw_key_bool(struct spk_jsonw *j, const char *key, bool v)
{
	spk_jsonw_key(j, key);
	spk_jsonw_bool(j, v);
}

void spk_jsonw_key_null(struct spk_jsonw *j, const char *key)
{
	spk_jsonw_key(j, key);
	spk_jsonw_null(j);
}

void spk_jsonw_finish(struct spk_jsonw *j)
{
	assert(j->depth == 0 && !j->after_key);
	fputc('\n', j->f);
}
