/*
 * jsonw.h — a small streaming JSON writer for reports (no dependency): objects, arrays, keys,
 * strings (escaped), integers, reals (shortest "%.17g" form that reads back exactly; NaN and
 * infinities become null), booleans and null, pretty-printed with two-space indentation.
 * An array opened with spk_jsonw_array_inline() stays on one line (lists of numbers).
 * Every report of spikechip (ref, map, sim) writes through it, so they share one layout.
 *
 * Inside an object, the spk_jsonw_key_*() helpers write a key and its value in one call
 * ("key": value): spk_jsonw_key_str() writes null for a NULL string.
 *
 * Ownership: the caller allocates struct spk_jsonw over a FILE it owns; the writer keeps no
 * other resource. Misuse (a key outside an object, unbalanced ends, nesting beyond
 * SPK_JSONW_DEPTH) is a programming error and asserts. Write errors are left on the FILE
 * (check ferror() when committing it).
 */
#ifndef SPK_JSONW_H
#define SPK_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SPK_JSONW_DEPTH 16

struct spk_jsonw {
	FILE *f;
	int depth;
	bool first[SPK_JSONW_DEPTH];	/* no element written yet at this level */
	bool is_object[SPK_JSONW_DEPTH];
	bool is_inline[SPK_JSONW_DEPTH];
	bool after_key;			/* a key was written: the value follows on its line */
};

void spk_jsonw_init(struct spk_jsonw *j, FILE *f);
void spk_jsonw_object(struct spk_jsonw *j);
void spk_jsonw_array(struct spk_jsonw *j);
void spk_jsonw_array_inline(struct spk_jsonw *j);
void spk_jsonw_end(struct spk_jsonw *j);	/* closes the innermost object or array */
void spk_jsonw_key(struct spk_jsonw *j, const char *key);
void spk_jsonw_string(struct spk_jsonw *j, const char *s);
void spk_jsonw_int(struct spk_jsonw *j, int64_t v);
void spk_jsonw_uint(struct spk_jsonw *j, uint64_t v);
void spk_jsonw_real(struct spk_jsonw *j, double v);
void spk_jsonw_bool(struct spk_jsonw *j, bool v);
void spk_jsonw_null(struct spk_jsonw *j);

/* A key and its value, in one call (inside an object). */
void spk_jsonw_key_str(struct spk_jsonw *j, const char *key, const char *v);	/* NULL: null */
void spk_jsonw_key_int(struct spk_jsonw *j, const char *key, int64_t v);
void spk_jsonw_key_uint(struct spk_jsonw *j, const char *key, uint64_t v);
void spk_jsonw_key_real(struct spk_jsonw *j, const char *key, double v);
void spk_jsonw_key_bool(struct spk_jsonw *j, const char *key, bool v);
void spk_jsonw_key_null(struct spk_jsonw *j, const char *key);

/* Ends the document with a newline; asserts that every container was closed. */
void spk_jsonw_finish(struct spk_jsonw *j);

#endif
