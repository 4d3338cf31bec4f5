/*
 * profile.h — measured firing rates for the mapper (`spikechip map --profile RESULT.json`):
 * the per-population rates of a `spikechip ref --json` report (doc/reference.md: every FIRE
 * entry of "layers" names its "population", its "neurons" and its "firing_rate", spikes per
 * neuron and timestep), in place of the assumed uniform SPK_MAP_RATE_BP. Placement then
 * weighs each reader's spikes by what the network was measured to send.
 *
 * The profile must be of the model being mapped: every population of the model must be in
 * it, with the same neuron count, and it may hold no other population. Otherwise (or when
 * the file is no such report) it is the user's bad input: a message naming the file and,
 * where one is to blame, the population.
 */
#ifndef SPK_PROFILE_H
#define SPK_PROFILE_H

#include "models/model.h"

#include <stddef.h>
#include <stdint.h>

/* Fills rate_bp[n_pops] (basis points, rounded) from the report at path for model m (read
 * from model_path, named in messages). 0, or -EINVAL with the reason in err ("PATH: ..."). */
int spk_profile_load(const char *path, const struct spk_model *m, const char *model_path,
		     uint32_t *rate_bp, char *err, size_t errlen);

#endif
