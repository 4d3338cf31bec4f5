/*
 * arch.c — resolving an architecture file into struct spk_arch: defaults from the parameter
 * table, then the file's keys, then the rules between parameters.
 *
 * Parsing is libinih's, through util/ini.h, which gives every key its line number and hands
 * "[section]" headers to check_section_header() here.
 *
 * A value is checked against its row of the table (integer, real, choice, text; range) when it is
 * read; the rules are checked once the whole file is in, and a broken rule is reported on the
 * line of the parameter the file set last among those the rule ties together.
 */
#include "config.h"

#include "arch/arch.h"
#include "arch/arch_params.h"
#include "util/ini.h"
#include "util/util.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Architecture files are a few kilobytes; anything much larger is the wrong file. */
#define MAX_FILE_BYTES (1 << 20)

/* Everything the handlers share while one file is parsed. */
struct loader {
	struct spk_ini ini;		/* the text, the line, the first error */
	struct spk_arch *arch;
	int section_line[16];		/* per spk_arch_sections[] row: header line, 0 = not seen */
};

#define fail_at(ld, ...) spk_ini_fail(&(ld)->ini, __VA_ARGS__)

static size_t param_index(const struct spk_arch_param *p)
{
	return (size_t)(p - spk_arch_params);
}

int spk_arch_init_defaults(struct spk_arch *a)
{
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < spk_arch_n_params; i++) {
		const struct spk_arch_param *p = &spk_arch_params[i];
		char *field = (char *)a + p->offset;
		int v;

		switch (p->type) {
		case SPK_PARAM_INT:
		case SPK_PARAM_ENUM:
			v = (int)p->def_int;
			memcpy(field, &v, sizeof(v));
			break;
		case SPK_PARAM_REAL:
			memcpy(field, &p->def_real, sizeof(p->def_real));
			break;
		case SPK_PARAM_TEXT:
			snprintf(field, p->size, "%s", p->def_text);
			break;
		}
	}
	return 0;
}

/* An optional sign, then decimal digits only: an integer, whatever its size. */
static bool looks_integer(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Parses value by p's row into a's field. Returns 0, or -EINVAL with the problem in why. */
static int set_value(struct spk_arch *a, const struct spk_arch_param *p, const char *value,
		     char *why, size_t len)
{
	char *field = (char *)a + p->offset;
	char range[128];
	char *end;
	double d;
	long l;
	int v;

	switch (p->type) {
	case SPK_PARAM_INT:
		if (spk_parse_long(value, p->min_int, p->max_int, &l) == 0) {
			v = (int)l;
			memcpy(field, &v, sizeof(v));
			return 0;
		}
		if (!looks_integer(value)) {
			snprintf(why, len, "'%s' is not an integer", value);
			return -EINVAL;
		}
		break;
	case SPK_PARAM_REAL:
		if (spk_parse_double(value, p->min_real, p->max_real, &d) == 0) {
			memcpy(field, &d, sizeof(d));
			return 0;
		}
		(void)strtod(value, &end);
		if (end == value || *end != '\0') {
			snprintf(why, len, "'%s' is not a number", value);
			return -EINVAL;
		}
		break;
	case SPK_PARAM_ENUM:
		for (int i = 0; p->choices[i] != NULL; i++) {
			if (strcmp(value, p->choices[i]) == 0) {
				memcpy(field, &i, sizeof(i));
				return 0;
			}
		}
		spk_arch_param_format_range(p, range, sizeof(range));
		snprintf(why, len, "'%s' is not one of: %s", value, range);
		return -EINVAL;
	case SPK_PARAM_TEXT:
		if (strlen(value) >= p->size) {
			snprintf(why, len, "text longer than %zu characters", p->size - 1);
			return -EINVAL;
		}
		snprintf(field, p->size, "%s", value);
		return 0;
	}
	/* A number of the right type, outside the range. */
	spk_arch_param_format_range(p, range, sizeof(range));
	snprintf(why, len, "%s is out of range %s", value, range);
	return -EINVAL;
}

/* Writes "k1, k2, ..." of a section's keys into buf. */
static void list_keys(const char *section, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < spk_arch_n_params && used < len; i++) {
		int n;

		if (strcmp(spk_arch_params[i].section, section) != 0)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used > 0 ? ", " : "",
			     spk_arch_params[i].key);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void list_sections(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < spk_arch_n_sections && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s[%s]", i > 0 ? " " : "",
				 spk_arch_sections[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* A "[name]" line's name (util/ini.h's on_header). */
static void check_section_header(struct spk_ini *ini, const char *name, void *user)
{
	struct loader *ld = user;
	char all[128];
	const struct spk_arch_section *s = spk_arch_section_find(name);
	size_t idx;

	if (s == NULL) {
		list_sections(all, sizeof(all));
		fail_at(ld, ini->lineno, "unknown section [%s]; sections are %s", name, all);
		return;
	}
	idx = (size_t)(s - spk_arch_sections);
	assert(idx < sizeof(ld->section_line) / sizeof(ld->section_line[0]));
	if (ld->section_line[idx] > 0) {
		fail_at(ld, ini->lineno, "section [%s] given twice (first on line %d); "
			"give each section once", name, ld->section_line[idx]);
		return;
	}
	ld->section_line[idx] = ini->lineno;
}

/* inih's handler: one "key = value" of the file. Returns 1 if taken, 0 on error. */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct loader *ld = user;
	const struct spk_arch_param *p;
	char why[256];
	int line = ld->ini.lineno;
	size_t idx;

	if (key == NULL)	/* a section header, in inih builds that report them */
		return 1;
	if (*section == '\0') {
		list_sections(why, sizeof(why));
		fail_at(ld, line, "'%s' is outside any section; put it under one of %s",
			key, why);
		return 0;
	}
	if (spk_arch_section_find(section) == NULL) {
		fail_at(ld, line, "unknown section [%s]", section);
		return 0;
	}
	if (*key == '\0') {
		fail_at(ld, line, "[%s]: missing key name before '='", section);
		return 0;
	}
	p = spk_arch_param_find(section, key);
	if (p == NULL) {
		list_keys(section, why, sizeof(why));
		fail_at(ld, line, "[%s] %s: unknown key; [%s] has %s", section, key, section, why);
		return 0;
	}
	idx = param_index(p);
	if (ld->arch->src_line[idx] > 0) {
		fail_at(ld, line, "[%s] %s: given twice (first on line %d)", section, key,
			ld->arch->src_line[idx]);
		return 0;
	}
	if (*value == '\0') {
		fail_at(ld, line, "[%s] %s: missing value", section, key);
		return 0;
	}
	if (set_value(ld->arch, p, value, why, sizeof(why)) < 0) {
		fail_at(ld, line, "[%s] %s: %s", section, key, why);
		return 0;
	}
	ld->arch->src_line[idx] = line;
	return 1;
}

/*
 * Checks every rule; on the first broken one writes "[section] key: problem" into msg, naming
 * the involved parameter set last, and returns that parameter's line (0: all defaults) or -1 if
 * every rule holds.
 */
static int check_rules(const struct spk_arch *a, char *msg, size_t len)
{
	for (size_t r = 0; r < spk_arch_n_rules; r++) {
		const struct spk_arch_rule *rule = &spk_arch_rules[r];
		const struct spk_arch_param *blame = NULL;
		char why[256];
		int rank = -2;

		if (rule->holds(a, why, sizeof(why)))
			continue;
		/* Blame the last line of the file, else a caller's spk_arch_set, else the first. */
		for (size_t i = 0; rule->params[i] != NULL; i++) {
			const struct spk_arch_param *p = spk_arch_param_find_dotted(rule->params[i]);
			int l = a->src_line[param_index(p)];
			int r = l > 0 ? l : (l == SPK_ARCH_SET_BY_CALLER ? 0 : -1);

			if (r > rank) {
				blame = p;
				rank = r;
			}
		}
		snprintf(msg, len, "[%s] %s: %s", blame->section, blame->key, why);
		return rank > 0 ? rank : 0;
	}
	return -1;
}

/* Range checks of every field, for structs not built by the loader. */
static int check_ranges(const struct spk_arch *a, char *msg, size_t len)
{
	for (size_t i = 0; i < spk_arch_n_params; i++) {
		const struct spk_arch_param *p = &spk_arch_params[i];
		const char *field = (const char *)a + p->offset;
		char value[SPK_ARCH_TEXT_MAX + 32], range[128];
		bool ok = true;
		double d;
		int v;

		switch (p->type) {
		case SPK_PARAM_INT:
			memcpy(&v, field, sizeof(v));
			ok = v >= p->min_int && v <= p->max_int;
			break;
		case SPK_PARAM_REAL:
			memcpy(&d, field, sizeof(d));
			ok = isfinite(d) && d >= p->min_real && d <= p->max_real;
			break;
		case SPK_PARAM_ENUM:
			memcpy(&v, field, sizeof(v));
			ok = v >= 0;
			for (int c = 0; ok && c <= v; c++)
				ok = p->choices[c] != NULL;
			if (!ok) {
				snprintf(msg, len, "[%s] %s: %d is not a valid choice", p->section,
					 p->key, v);
				return -EINVAL;
			}
			break;
		case SPK_PARAM_TEXT:
			ok = memchr(field, '\0', p->size) != NULL;
			if (!ok) {
				snprintf(msg, len, "[%s] %s: text not terminated", p->section, p->key);
				return -EINVAL;
			}
			break;
		}
		if (!ok) {
			spk_arch_param_format(p, a, value, sizeof(value));
			spk_arch_param_format_range(p, range, sizeof(range));
			snprintf(msg, len, "[%s] %s: %s is out of range %s", p->section, p->key,
				 value, range);
			return -EINVAL;
		}
	}
	return 0;
}

int spk_arch_check(const struct spk_arch *a, char *err, size_t errlen)
{
	char msg[512];

	if (check_ranges(a, msg, sizeof(msg)) < 0 || check_rules(a, msg, sizeof(msg)) >= 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", msg);
		return -EINVAL;
	}
	return 0;
}

int spk_arch_set(struct spk_arch *a, const char *section, const char *key, const char *value,
		 char *err, size_t errlen)
{
	const struct spk_arch_param *p = spk_arch_param_find(section, key);
	char why[256];

	if (p == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "[%s] %s: unknown parameter", section, key);
		return -EINVAL;
	}
	if (set_value(a, p, value, why, sizeof(why)) < 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "[%s] %s: %s", section, key, why);
		return -EINVAL;
	}
	a->src_line[param_index(p)] = SPK_ARCH_SET_BY_CALLER;
	return 0;
}

/* Parses len bytes of text as the file name; the core of both loaders. */
static int load_text(struct spk_arch *a, const char *text, size_t len, const char *name,
		     char *err, size_t errlen)
{
	struct spk_arch tmp;
	struct loader ld;
	int line;

	spk_arch_init_defaults(&tmp);
	memset(&ld, 0, sizeof(ld));
	ld.arch = &tmp;
	ld.ini.text = text;
	ld.ini.len = len;
	ld.ini.on_header = check_section_header;
	ld.ini.user = &ld;

	if (spk_ini_parse(&ld.ini, on_key, &ld) == 0) {
		line = check_rules(&tmp, ld.ini.msg, sizeof(ld.ini.msg));
		if (line >= 0) {
			ld.ini.failed = true;
			ld.ini.err_line = line;
		}
	}
	if (ld.ini.failed) {
		spk_arch_init_defaults(a);
		spk_ini_error(&ld.ini, name, err, errlen);
		return -EINVAL;
	}
	*a = tmp;
	return 0;
}

int spk_arch_load_string(struct spk_arch *a, const char *text, const char *name,
			 char *err, size_t errlen)
{
	return load_text(a, text, strlen(text), name, err, errlen);
}

int spk_arch_load(struct spk_arch *a, const char *path, char *err, size_t errlen)
{
	char msg[1024], *buf;
	size_t len;
	int rc;

	spk_arch_init_defaults(a);
	rc = spk_ini_read_file(path, MAX_FILE_BYTES, "an architecture file", &buf, &len, msg,
			       sizeof(msg));
	if (rc == 0) {
		rc = load_text(a, buf, len, path, err, errlen);
		free(buf);
	} else if (err != NULL && errlen > 0) {
		snprintf(err, errlen, "%s", msg);
	}
	return rc;
}

void spk_arch_get_totals(const struct spk_arch *a, struct spk_arch_totals *t)
{
	double hz = a->chip.clock_mhz * 1e6;
	int narrow = a->chip.mesh_x < a->chip.mesh_y ? a->chip.mesh_x : a->chip.mesh_y;
	int wide = a->chip.mesh_x < a->chip.mesh_y ? a->chip.mesh_y : a->chip.mesh_x;

	t->tiles = a->chip.mesh_x * a->chip.mesh_y;
	t->synapse_cores = t->tiles - a->attention.units - a->encoder.units -
			   a->chip.readout_units;
	t->neurons = (long long)t->synapse_cores * a->core.neurons;
	t->synapse_kib = (long long)t->synapse_cores * a->core.synapse_kib;
	t->weights = t->synapse_kib * 8192 / a->core.weight_bits;
	t->peak_gsops = (double)t->synapse_cores * a->core.adders * hz / 1e9;
	/* Cutting across the longer dimension crosses one link per row (or column) of the other. */
	t->bisection_links = wide >= 2 ? narrow : 0;
	t->bisection_gbps = (double)t->bisection_links * a->noc.flit_bits * hz / 1e9;
	t->static_mw = t->tiles * a->energy.static_mw;
	t->sop_pj = a->energy.syn_add_pj + a->core.weight_bits * a->energy.weight_read_pj;
}

void spk_arch_resolve(const char *arg, char *path, size_t len)
{
	char rel[256];
	size_t n = strlen(arg);

	if (strchr(arg, '/') == NULL && !(n >= 4 && strcmp(arg + n - 4, ".ini") == 0) &&
	    access(arg, F_OK) != 0 && n < sizeof(rel) - 10) {
		snprintf(rel, sizeof(rel), "arch/%s.ini", arg);
		if (spk_data_path(rel, path, len) == 0)
			return;
	}
	snprintf(path, len, "%s", arg);
}
