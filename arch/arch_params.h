/*
 * arch_params.h — the table of architecture parameters: for each one its section and key, type,
 * unit, default, range (or choices), one-line meaning and the field of struct spk_arch it fills.
 *
 * This table is the single source of truth (STYLE.md: parameters are data). The loader reads
 * values through it, `spikechip arch show` prints through it and `spikechip arch doc` generates
 * doc/arch-file.md from it, so a parameter is added by adding a field to struct spk_arch and one
 * row to spk_arch_params[] in arch_params.c. The rules that tie parameters together are a table too.
 *
 * Everything here is constant; no function allocates.
 */
#ifndef SPK_ARCH_PARAMS_H
#define SPK_ARCH_PARAMS_H

#include "arch/arch.h"

#include <stdbool.h>
#include <stddef.h>

enum spk_param_type {
	SPK_PARAM_INT,		/* int field; decimal integer in [min_int, max_int] */
	SPK_PARAM_REAL,		/* double field; finite decimal number in [min_real, max_real] */
	SPK_PARAM_ENUM,		/* enum field; one of choices[], stored as its index */
	SPK_PARAM_TEXT,		/* char[size] field; free text, shorter than size */
};

struct spk_arch_section {
	const char *name;	/* as written between [ ] */
	const char *meaning;	/* one line, for doc/arch-file.md */
};

struct spk_arch_param {
	const char *section;
	const char *key;
	enum spk_param_type type;
	const char *unit;		/* "" when there is none */
	size_t offset;			/* of the field in struct spk_arch */
	size_t size;			/* of the field */
	long def_int;			/* INT: default; ENUM: index of the default choice */
	long min_int, max_int;		/* INT */
	double def_real, min_real, max_real;	/* REAL */
	const char *const *choices;	/* ENUM: NULL-terminated; index = enum value */
	const char *def_text;		/* TEXT */
	const char *meaning;		/* one line, for `arch show` and doc/arch-file.md */
};

/*
 * A rule that ties several parameters together. When it fails, the message names the parameter
 * among params[] that the file set last (the line where the file became inconsistent).
 */
struct spk_arch_rule {
	const char *text;		/* the rule in words, for doc/arch-file.md */
	const char *params[6];		/* "section.key" of each parameter involved, NULL-terminated */
	/* true if the rule holds; otherwise writes the problem into why. */
	bool (*holds)(const struct spk_arch *a, char *why, size_t len);
};

extern const struct spk_arch_section spk_arch_sections[];
extern const size_t spk_arch_n_sections;
extern const struct spk_arch_param spk_arch_params[];
extern const size_t spk_arch_n_params;
extern const struct spk_arch_rule spk_arch_rules[];
extern const size_t spk_arch_n_rules;

/* The row for section/key, or NULL. */
const struct spk_arch_param *spk_arch_param_find(const char *section, const char *key);

/* The row named "section.key", or NULL. */
const struct spk_arch_param *spk_arch_param_find_dotted(const char *dotted);

/* The section named name, or NULL. */
const struct spk_arch_section *spk_arch_section_find(const char *name);

/*
 * Writes a parameter's value in a's text form (the form a file would give it: reals in the
 * shortest form that reads back exactly) into buf.
 */
void spk_arch_param_format(const struct spk_arch_param *p, const struct spk_arch *a,
			   char *buf, size_t len);

/* Writes the default value, and the range or choices, of p in text form. */
void spk_arch_param_format_default(const struct spk_arch_param *p, char *buf, size_t len);
void spk_arch_param_format_range(const struct spk_arch_param *p, char *buf, size_t len);

#endif
