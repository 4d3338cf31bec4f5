/*
 * spec.c — reading a sweep file and enumerating its points; see spec.h.
 */
#include "config.h"

#include "dse/spec.h"
#include "arch/arch_params.h"
#include "util/ini.h"
#include "util/rng.h"
#include "util/util.h"

#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sweep files are short; anything much larger is the wrong file. */
#define MAX_FILE_BYTES (1 << 20)
#define MAX_VALUES 4096

struct loader {
	struct spk_ini ini;
	struct spk_sweep_spec *s;
	char dir[PATH_MAX];		/* the sweep file's directory */
	int sweep_line, axes_line;	/* header lines, 0 = not seen */
	int model_line, images_line, sample_line;
	enum { IN_NONE, IN_SWEEP, IN_AXES, IN_ZIP } in;
	bool seen[8];			/* [sweep] keys given */
};

#define fail_at(ld, ...) spk_ini_fail(&(ld)->ini, __VA_ARGS__)

static const char *const sweep_keys[] = {
	"arch", "model", "images", "data", "labels", "seed", "sample", "sample_seed", NULL
};

static char *trim(char *p)
{
	char *end;

	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return p;
}

static void on_header(struct spk_ini *ini, const char *name, void *user)
{
	struct loader *ld = user;
	struct spk_sweep_spec *s = ld->s;
	char tmp[128];
	const char *zname;

	spk_fmt(tmp, sizeof(tmp), "%s", name);
	name = trim(tmp);
	if (strcmp(name, "sweep") == 0 || strcmp(name, "axes") == 0) {
		int *line = name[0] == 's' ? &ld->sweep_line : &ld->axes_line;

		if (*line > 0) {
			fail_at(ld, ini->lineno, "section [%s] given twice (first on line %d)", name,
				*line);
			return;
		}
		*line = ini->lineno;
		ld->in = name[0] == 's' ? IN_SWEEP : IN_AXES;
		return;
	}
	if (strncmp(name, "zip", 3) != 0 || (name[3] != '\0' && name[3] != ' ')) {
		fail_at(ld, ini->lineno, "unknown section [%s]; sections are [sweep] [axes] "
			"[zip NAME]", name);
		return;
	}
	zname = trim((char *)name + 3);
	for (uint32_t i = 0; i < s->n_axes; i++) {
		if (s->axes[i].n_params == 0 || strncmp(s->axes[i].name, "zip", 3) != 0)
			continue;
		if (strcmp(s->axes[i].name + 3 + (s->axes[i].name[3] == ' '), zname) == 0) {
			fail_at(ld, ini->lineno, "section [%s] given twice (first on line %d)", name,
				s->axes[i].line);
			return;
		}
	}
	if (s->n_axes > 0 && strncmp(s->axes[s->n_axes - 1].name, "zip", 3) == 0 &&
	    s->axes[s->n_axes - 1].n_params == 0) {
		fail_at(ld, s->axes[s->n_axes - 1].line, "[%s] has no parameters",
			s->axes[s->n_axes - 1].name);
		return;
	}
	if (s->n_axes == SPK_SWEEP_MAX_AXES) {
		fail_at(ld, ini->lineno, "more than %d axes", SPK_SWEEP_MAX_AXES);
		return;
	}
	spk_fmt(s->axes[s->n_axes].name, sizeof(s->axes[0].name), "zip%s%s",
		 *zname != '\0' ? " " : "", zname);
	s->axes[s->n_axes].line = ini->lineno;
	s->n_axes++;
	ld->in = IN_ZIP;
}

/* path as given, relative to the sweep file's directory, else as spk_data_path() finds it. */
static int resolve_path(struct loader *ld, const char *key, const char *value, char *out,
			size_t len)
{
	char buf[PATH_MAX];

	if (value[0] == '/') {
		spk_fmt(out, len, "%s", value);
	} else {
		spk_fmt(buf, sizeof(buf), "%s/%s", ld->dir, value);
		if (access(buf, F_OK) == 0)
			spk_fmt(out, len, "%s", buf);
		else if (spk_data_path(value, out, len) < 0)
			spk_fmt(out, len, "%s", buf);
	}
	if (access(out, R_OK) != 0) {
		fail_at(ld, ld->ini.lineno, "%s = %s: cannot open %s: %s", key, value, out,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_u64(struct loader *ld, const char *key, const char *value, uint64_t lo,
		     uint64_t hi, uint64_t *out)
{
	long v;

	if (spk_parse_long(value, (long)lo, (long)hi, &v) != 0) {
		fail_at(ld, ld->ini.lineno, "%s = %s: expected an integer in %llu..%llu", key,
			value, (unsigned long long)lo, (unsigned long long)hi);
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

static int add_value(struct loader *ld, struct spk_sweep_param *p, const char *v)
{
	char **nv;

	if (p->n_values == MAX_VALUES) {
		fail_at(ld, ld->ini.lineno, "[%s] %s: more than %d values", p->section, p->key,
			MAX_VALUES);
		return -1;
	}
	nv = realloc(p->values, (p->n_values + 1) * sizeof(*nv));
	if (nv == NULL || (nv[p->n_values] = strdup(v)) == NULL) {
		if (nv != NULL)
			p->values = nv;
		fail_at(ld, ld->ini.lineno, "out of memory");
		return -1;
	}
	p->values = nv;
	p->n_values++;
	return 0;
}

/* "A..B", "A..B:S" or "A..B:xF" of an integer parameter: its values. */
static int expand_range(struct loader *ld, struct spk_sweep_param *p, const char *item,
			const char *dots)
{
	char a[64], b[64], *colon;
	long lo, hi, step = 1, factor = 0, v;
	char num[32];

	spk_fmt(a, sizeof(a), "%.*s", (int)(dots - item), item);
	spk_fmt(b, sizeof(b), "%s", dots + 2);
	colon = strchr(b, ':');
	if (colon != NULL) {
		*colon++ = '\0';
		if (*colon == 'x' ? spk_parse_long(colon + 1, 2, 1 << 20, &factor) != 0 :
				    spk_parse_long(colon, 1, 1L << 40, &step) != 0) {
			fail_at(ld, ld->ini.lineno, "[%s] %s: '%s': a range's step is ':N' (N >= 1) "
				"or ':xF' (F >= 2)", p->section, p->key, item);
			return -1;
		}
	}
	if (spk_parse_long(trim(a), -(1L << 40), 1L << 40, &lo) != 0 ||
	    spk_parse_long(trim(b), -(1L << 40), 1L << 40, &hi) != 0 || hi < lo ||
	    (factor > 0 && lo < 1)) {
		fail_at(ld, ld->ini.lineno, "[%s] %s: '%s' is not a range A..B of integers with "
			"A <= B%s", p->section, p->key, item, factor > 0 ? " and A >= 1" : "");
		return -1;
	}
	for (v = lo; v <= hi; v = factor > 0 ? v * factor : v + step) {
		spk_fmt(num, sizeof(num), "%ld", v);
		if (add_value(ld, p, num) < 0)
			return -1;
	}
	return 0;
}

/* One "section.key = values" line of [axes] or a zip group. */
static int add_param(struct loader *ld, const char *name, const char *value)
{
	struct spk_sweep_spec *s = ld->s;
	const struct spk_arch_param *ap = spk_arch_param_find_dotted(name);
	struct spk_sweep_axis *ax;
	struct spk_sweep_param *p, *np;
	struct spk_arch scratch;
	char buf[4096], why[512], *item, *save = NULL;

	if (ap == NULL) {
		fail_at(ld, ld->ini.lineno, "'%s' is not an architecture parameter (section.key, "
			"e.g. core.adders; see spikechip arch doc)", name);
		return -1;
	}
	for (uint32_t i = 0; i < s->n_axes; i++)
		for (uint32_t j = 0; j < s->axes[i].n_params; j++)
			if (strcmp(s->axes[i].params[j].section, ap->section) == 0 &&
			    strcmp(s->axes[i].params[j].key, ap->key) == 0) {
				fail_at(ld, ld->ini.lineno, "%s is varied twice (first on line %d)",
					name, s->axes[i].params[j].line);
				return -1;
			}
	if (ld->in == IN_AXES) {
		if (s->n_axes == SPK_SWEEP_MAX_AXES) {
			fail_at(ld, ld->ini.lineno, "more than %d axes", SPK_SWEEP_MAX_AXES);
			return -1;
		}
		ax = &s->axes[s->n_axes++];
		spk_fmt(ax->name, sizeof(ax->name), "%s.%s", ap->section, ap->key);
		ax->line = ld->ini.lineno;
	} else {
		ax = &s->axes[s->n_axes - 1];
	}
	np = realloc(ax->params, (ax->n_params + 1) * sizeof(*np));
	if (np == NULL) {
		fail_at(ld, ld->ini.lineno, "out of memory");
		return -1;
	}
	ax->params = np;
	p = &ax->params[ax->n_params++];
	memset(p, 0, sizeof(*p));
	spk_fmt(p->section, sizeof(p->section), "%s", ap->section);
	spk_fmt(p->key, sizeof(p->key), "%s", ap->key);
	p->line = ld->ini.lineno;

	spk_fmt(buf, sizeof(buf), "%s", value);
	for (item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		const char *dots;

		item = trim(item);
		if (*item == '\0') {
			fail_at(ld, ld->ini.lineno, "[%s] %s: an empty value in the list", p->section,
				p->key);
			return -1;
		}
		dots = strstr(item, "..");
		if (dots != NULL && ap->type == SPK_PARAM_INT) {
			if (expand_range(ld, p, item, dots) < 0)
				return -1;
		} else if (add_value(ld, p, item) < 0) {
			return -1;
		}
	}
	if (p->n_values == 0) {
		fail_at(ld, ld->ini.lineno, "[%s] %s: no values", p->section, p->key);
		return -1;
	}
	/* Every value alone against the parameter's row. */
	for (uint32_t v = 0; v < p->n_values; v++) {
		spk_arch_init_defaults(&scratch);
		if (spk_arch_set(&scratch, p->section, p->key, p->values[v], why, sizeof(why)) < 0) {
			fail_at(ld, ld->ini.lineno, "%s", why);
			return -1;
		}
		for (uint32_t w = 0; w < v && ld->in == IN_AXES; w++)
			if (strcmp(p->values[w], p->values[v]) == 0) {
				fail_at(ld, ld->ini.lineno, "[%s] %s: %s is given twice", p->section,
					p->key, p->values[v]);
				return -1;
			}
	}
	if (ax->n_params > 1 && p->n_values != ax->n_values) {
		fail_at(ld, ld->ini.lineno, "[%s]: %s has %u values, %s.%s %u; the parameters of "
			"a zip group have one length", ax->name, name, p->n_values,
			ax->params[0].section, ax->params[0].key, ax->n_values);
		return -1;
	}
	ax->n_values = p->n_values;
	return 0;
}

static int add_models(struct loader *ld, const char *value)
{
	struct spk_sweep_spec *s = ld->s;
	char buf[8192], *item, *save = NULL;

	spk_fmt(buf, sizeof(buf), "%s", value);
	for (item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char path[PATH_MAX], **nm;

		item = trim(item);
		if (*item == '\0') {
			fail_at(ld, ld->ini.lineno, "model: an empty value in the list");
			return -1;
		}
		if (resolve_path(ld, "model", item, path, sizeof(path)) < 0)
			return -1;
		for (uint32_t i = 0; i < s->n_models; i++)
			if (strcmp(s->models[i], path) == 0) {
				fail_at(ld, ld->ini.lineno, "model: %s is given twice", item);
				return -1;
			}
		nm = realloc(s->models, (s->n_models + 1) * sizeof(*nm));
		if (nm == NULL || (nm[s->n_models] = strdup(path)) == NULL) {
			if (nm != NULL)
				s->models = nm;
			fail_at(ld, ld->ini.lineno, "out of memory");
			return -1;
		}
		s->models = nm;
		s->n_models++;
	}
	return 0;
}

static int sweep_key(struct loader *ld, const char *key, const char *value)
{
	struct spk_sweep_spec *s = ld->s;
	char why[1024];
	uint64_t v;
	size_t k;

	for (k = 0; sweep_keys[k] != NULL; k++)
		if (strcmp(key, sweep_keys[k]) == 0)
			break;
	if (sweep_keys[k] == NULL) {
		fail_at(ld, ld->ini.lineno, "[sweep] %s: unknown key; [sweep] has arch, model, "
			"images, data, labels, seed, sample, sample_seed", key);
		return -1;
	}
	if (ld->seen[k]) {
		fail_at(ld, ld->ini.lineno, "[sweep] %s: given twice", key);
		return -1;
	}
	ld->seen[k] = true;
	if (*value == '\0') {
		fail_at(ld, ld->ini.lineno, "[sweep] %s: missing value", key);
		return -1;
	}
	switch (k) {
	case 0:		/* arch */
		if (strchr(value, '/') == NULL && strstr(value, ".ini") == NULL) {
			spk_arch_resolve(value, s->arch, sizeof(s->arch));
		} else if (resolve_path(ld, "arch", value, s->arch, sizeof(s->arch)) < 0) {
			return -1;
		}
		if (spk_arch_load(&s->base, s->arch, why, sizeof(why)) < 0) {
			fail_at(ld, ld->ini.lineno, "arch = %s: %s", value, why);
			return -1;
		}
		return 0;
	case 1:
		ld->model_line = ld->ini.lineno;
		return add_models(ld, value);
	case 2:
		ld->images_line = ld->ini.lineno;
		if (parse_u64(ld, "images", value, 1, 10000000, &v) < 0)
			return -1;
		s->images = (uint32_t)v;
		return 0;
	case 3:
		return resolve_path(ld, "data", value, s->data, sizeof(s->data));
	case 4:
		return resolve_path(ld, "labels", value, s->labels, sizeof(s->labels));
	case 5:
		return parse_u64(ld, "seed", value, 0, (1ULL << 62), &s->seed);
	case 6:
		ld->sample_line = ld->ini.lineno;
		if (parse_u64(ld, "sample", value, 0, SPK_SWEEP_MAX_POINTS, &v) < 0)
			return -1;
		s->sample = (uint32_t)v;
		return 0;
	default:
		return parse_u64(ld, "sample_seed", value, 0, (1ULL << 62), &s->sample_seed);
	}
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct loader *ld = user;
	char v[8192];

	(void)section;
	if (key == NULL)
		return 1;
	spk_fmt(v, sizeof(v), "%s", value);
	switch (ld->in) {
	case IN_NONE:
		fail_at(ld, ld->ini.lineno, "'%s' is outside any section; sections are [sweep] "
			"[axes] [zip NAME]", key);
		return 0;
	case IN_SWEEP:
		return sweep_key(ld, key, trim(v)) == 0;
	default:
		if (*trim(v) == '\0') {
			fail_at(ld, ld->ini.lineno, "%s: missing values", key);
			return 0;
		}
		return add_param(ld, key, trim(v)) == 0;
	}
}

/* Floyd's sampling of n distinct indices below grid, then sorted. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int draw_sample(struct spk_sweep_spec *s)
{
	uint64_t cap = 1, *set, n = s->sample;
	struct spk_rng rng;

	while (cap < 4 * n)
		cap <<= 1;
	set = malloc(cap * sizeof(*set));
	if (set == NULL)
		return -1;
	memset(set, 0xff, cap * sizeof(*set));
	spk_rng_seed(&rng, s->sample_seed);
	for (uint64_t j = s->grid - n, k = 0; j < s->grid; j++, k++) {
		uint64_t t = spk_rng_next(&rng) % (j + 1), pick = t, h;
		bool have = false;

		for (h = (t * 0x9E3779B97F4A7C15ULL) & (cap - 1); set[h] != UINT64_MAX;
		     h = (h + 1) & (cap - 1))
			if (set[h] == t) {
				have = true;
				break;
			}
		if (have) {
			pick = j;
			for (h = (j * 0x9E3779B97F4A7C15ULL) & (cap - 1); set[h] != UINT64_MAX;
			     h = (h + 1) & (cap - 1))
				;
		}
		set[h] = pick;
		s->points[k] = pick;
	}
	free(set);
	qsort(s->points, n, sizeof(*s->points), cmp_u64);
	return 0;
}

struct spk_sweep_spec *spk_sweep_spec_load(const char *path, char *err, size_t errlen)
{
	struct spk_sweep_spec *s = calloc(1, sizeof(*s));
	struct loader ld;
	char dirbuf[PATH_MAX];

	if (s == NULL) {
		spk_fmt(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	spk_fmt(s->path, sizeof(s->path), "%s", path);
	if (spk_ini_read_file(path, MAX_FILE_BYTES, "a sweep file", &s->text, &s->text_len, err,
			      errlen) < 0) {
		free(s);
		return NULL;
	}
	memset(&ld, 0, sizeof(ld));
	ld.s = s;
	spk_fmt(dirbuf, sizeof(dirbuf), "%s", path);
	spk_fmt(ld.dir, sizeof(ld.dir), "%s", dirname(dirbuf));
	ld.ini.text = s->text;
	ld.ini.len = s->text_len;
	ld.ini.on_header = on_header;
	ld.ini.user = &ld;
	s->seed = 1;
	s->sample_seed = 1;
	spk_arch_resolve("default", s->arch, sizeof(s->arch));

	if (spk_ini_parse(&ld.ini, on_key, &ld) < 0)
		goto fail;
	if (s->n_axes > 0 && s->axes[s->n_axes - 1].n_params == 0) {
		fail_at(&ld, s->axes[s->n_axes - 1].line, "[%s] has no parameters",
			s->axes[s->n_axes - 1].name);
		goto fail;
	}
	if (ld.sweep_line == 0) {
		fail_at(&ld, 0, "no [sweep] section; it names at least the model and the images");
		goto fail;
	}
	if (s->n_models == 0) {
		fail_at(&ld, ld.sweep_line, "[sweep] has no model = FILE");
		goto fail;
	}
	if (s->images == 0) {
		fail_at(&ld, ld.sweep_line, "[sweep] has no images = N");
		goto fail;
	}
	if (!ld.seen[0]) {	/* the default base: load it here, with no line to blame */
		char why[1024];

		if (spk_arch_load(&s->base, s->arch, why, sizeof(why)) < 0) {
			fail_at(&ld, ld.sweep_line, "the default architecture: %s", why);
			goto fail;
		}
	}
	if (s->labels[0] != '\0' && s->data[0] == '\0') {
		fail_at(&ld, ld.sweep_line, "[sweep] labels without data");
		goto fail;
	}
	s->grid = s->n_models;
	for (uint32_t i = 0; i < s->n_axes; i++) {
		s->grid *= s->axes[i].n_values;
		if (s->grid > (1ULL << 40)) {
			fail_at(&ld, s->axes[i].line, "the grid has more than 2^40 points");
			goto fail;
		}
	}
	if (s->sample > s->grid) {
		fail_at(&ld, ld.sample_line, "sample = %u is more than the grid's %llu points",
			s->sample, (unsigned long long)s->grid);
		goto fail;
	}
	if (s->sample == 0 && s->grid > SPK_SWEEP_MAX_POINTS) {
		fail_at(&ld, ld.sweep_line, "the grid has %llu points, more than %u; draw some with "
			"sample = N", (unsigned long long)s->grid, SPK_SWEEP_MAX_POINTS);
		goto fail;
	}
	s->n_points = s->sample > 0 ? s->sample : (uint32_t)s->grid;
	s->points = malloc(s->n_points * sizeof(*s->points));
	if (s->points == NULL) {
		fail_at(&ld, 0, "out of memory");
		goto fail;
	}
	if (s->sample == 0) {
		for (uint32_t k = 0; k < s->n_points; k++)
			s->points[k] = k;
	} else if (draw_sample(s) < 0) {
		fail_at(&ld, 0, "out of memory");
		goto fail;
	}
	return s;
fail:
	spk_ini_error(&ld.ini, path, err, errlen);
	spk_sweep_spec_free(s);
	return NULL;
}

void spk_sweep_spec_free(struct spk_sweep_spec *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; i < s->n_axes; i++) {
		for (uint32_t j = 0; j < s->axes[i].n_params; j++) {
			for (uint32_t v = 0; v < s->axes[i].params[j].n_values; v++)
				free(s->axes[i].params[j].values[v]);
			free(s->axes[i].params[j].values);
		}
		free(s->axes[i].params);
	}
	for (uint32_t m = 0; m < s->n_models; m++)
		free(s->models[m]);
	free(s->models);
	free(s->points);
	free(s->text);
	free(s);
}

void spk_sweep_point_indices(const struct spk_sweep_spec *s, uint32_t k, uint32_t *model,
			     uint32_t *idx)
{
	uint64_t g = s->points[k];

	for (uint32_t i = s->n_axes; i-- > 0;) {
		idx[i] = (uint32_t)(g % s->axes[i].n_values);
		g /= s->axes[i].n_values;
	}
	*model = (uint32_t)g;
}

int spk_sweep_point_arch(const struct spk_sweep_spec *s, uint32_t k, struct spk_arch *a,
			 char *err, size_t errlen)
{
	uint32_t idx[SPK_SWEEP_MAX_AXES], model;

	spk_sweep_point_indices(s, k, &model, idx);
	*a = s->base;
	for (uint32_t i = 0; i < s->n_axes; i++)
		for (uint32_t j = 0; j < s->axes[i].n_params; j++) {
			const struct spk_sweep_param *p = &s->axes[i].params[j];

			/* Checked alone when the file was read: cannot fail here. */
			if (spk_arch_set(a, p->section, p->key, p->values[idx[i]], err, errlen) < 0)
				return -1;
		}
	return spk_arch_check(a, err, errlen) < 0 ? -1 : 0;
}

void spk_sweep_point_label(const struct spk_sweep_spec *s, uint32_t k, char *buf, size_t len)
{
	uint32_t idx[SPK_SWEEP_MAX_AXES], model;
	size_t used = 0;

	spk_sweep_point_indices(s, k, &model, idx);
	buf[0] = '\0';
	if (s->n_models > 1) {
		char tmp[PATH_MAX];
		int n;

		spk_fmt(tmp, sizeof(tmp), "%s", s->models[model]);
		n = snprintf(buf, len, "model=%s", basename(tmp));
		used = n > 0 ? (size_t)n : 0;
	}
	for (uint32_t i = 0; i < s->n_axes && used < len; i++)
		for (uint32_t j = 0; j < s->axes[i].n_params && used < len; j++) {
			const struct spk_sweep_param *p = &s->axes[i].params[j];
			int n = snprintf(buf + used, len - used, "%s%s.%s=%s", used > 0 ? " " : "",
					 p->section, p->key, p->values[idx[i]]);

			if (n < 0)
				break;
			used += (size_t)n;
		}
}
