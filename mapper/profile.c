/*
 * profile.c — firing rates from a `spikechip ref --json` report; see profile.h.
 *
 * Read with jansson. The report is matched to the model by population name: each model
 * population is looked up among the report's FIRE entries (a linear scan; models have tens
 * to a few hundred populations), and every FIRE entry must name a model population.
 */
#include "config.h"

#include "mapper/profile.h"
#include "util/util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* The FIRE entry of population `name` in layers, or NULL. */
static json_t *find_pop(json_t *layers, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(layers, i, e) {
		const char *op = json_string_value(json_object_get(e, "op"));
		const char *pop = json_string_value(json_object_get(e, "population"));

		if (op != NULL && strcmp(op, "FIRE") == 0 && pop != NULL && strcmp(pop, name) == 0)
			return e;
	}
	return NULL;
}

int spk_profile_load(const char *path, const struct spk_model *m, const char *model_path,
		     uint32_t *rate_bp, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je), *layers, *e;
	size_t i, fires = 0;
	int rc = -EINVAL;

	if (root == NULL) {
		if (je.line < 1)
			spk_fmt(err, errlen, "%s: cannot read the profile: %s", path, je.text);
		else
			spk_fmt(err, errlen, "%s:%d: not a JSON report: %s", path, je.line, je.text);
		return -EINVAL;
	}
	layers = json_object_get(root, "layers");
	if (!json_is_array(layers)) {
		spk_fmt(err, errlen, "%s: no per-population firing rates (a \"layers\" array with "
			"FIRE entries, as 'spikechip ref --json' writes)", path);
		goto out;
	}
	json_array_foreach(layers, i, e) {
		const char *op = json_string_value(json_object_get(e, "op"));
		const char *pop = json_string_value(json_object_get(e, "population"));
		bool known = false;

		if (op == NULL || strcmp(op, "FIRE") != 0)
			continue;
		fires++;
		for (uint32_t p = 0; pop != NULL && p < m->n_pops && !known; p++)
			known = strcmp(m->pops[p].name, pop) == 0;
		if (!known) {
			spk_fmt(err, errlen, "%s: population '%s' is not in %s (a profile of another "
				"model?)", path, pop != NULL ? pop : "(unnamed)", model_path);
			goto out;
		}
	}
	if (fires == 0) {
		spk_fmt(err, errlen, "%s: no per-population firing rates (a \"layers\" array with "
			"FIRE entries, as 'spikechip ref --json' writes)", path);
		goto out;
	}
	for (uint32_t p = 0; p < m->n_pops; p++) {
		json_t *pe = find_pop(layers, m->pops[p].name);
		json_t *rate = pe != NULL ? json_object_get(pe, "firing_rate") : NULL;
		json_t *neurons = pe != NULL ? json_object_get(pe, "neurons") : NULL;
		double r;

		if (pe == NULL) {
			spk_fmt(err, errlen, "%s: population '%s' of %s is missing (a profile of "
				"another model?)", path, m->pops[p].name, model_path);
			goto out;
		}
		if (json_is_integer(neurons) &&
		    (json_int_t)spk_model_pop_neurons(m, p) != json_integer_value(neurons)) {
			spk_fmt(err, errlen, "%s: population '%s' has %lld neurons, in %s %zu (a "
				"profile of another model?)", path, m->pops[p].name,
				(long long)json_integer_value(neurons), model_path,
				spk_model_pop_neurons(m, p));
			goto out;
		}
		r = json_number_value(rate);
		if (!json_is_number(rate) || !(r >= 0 && r <= 1)) {
			spk_fmt(err, errlen, "%s: population '%s': \"firing_rate\" is not a number in "
				"[0, 1]", path, m->pops[p].name);
			goto out;
		}
		rate_bp[p] = (uint32_t)lround(r * 10000.0);
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
