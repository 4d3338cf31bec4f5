/*
 * report.h — the mapping report of `spikechip map`: what went where and how full everything is,
 * as plain text (for people) and JSON (for scripts; doc/mapper.md lists the keys).
 *
 *   - totals: tiles used of total, neurons mapped, neuron slots, synapse memory, routing entries;
 *   - per population: its site's pieces and cores, neurons, synapse memory of the kernels that
 *     write its site (shared by the populations that read one stream), its routing entries;
 *   - per tile: kind, position, neuron slots, synapse / KV / weight memory, routing entries;
 *   - an ASCII map of the mesh (a symbol per layer group, see the legend);
 *   - expected traffic (mapper/traffic.h), per layer and for the chip: packets, hops per
 *     packet, hop-traffic and the busiest link, for the final placement and two fixed
 *     baselines: the placement before the swaps, and a random one (seeded);
 *   - traffic per link of the XY mesh: expected (the route weights, at the assumed firing
 *     rate) and, after --verify, measured by the executor (events per image);
 *   - the verification's outcome.
 *
 * Errors: each writer allocates what it needs before it writes anything, so a report is
 * written whole or not at all; it returns 0, or -ENOMEM (nothing written) for the caller to
 * report. Write errors are left on the FILE (the JSON goes through util/outfile.h).
 */
#ifndef SPK_MAP_REPORT_H
#define SPK_MAP_REPORT_H

#include "mapper/exec.h"
#include "mapper/map.h"
#include "util/jsonw.h"

#include <stdbool.h>
#include <stdio.h>

struct spk_map_report_info {
	const char *model_path, *arch_path, *image_path;
	const char *profile_path;	/* --profile, or NULL (assumed rates) */
	double map_seconds;		/* partition .. emit */
	size_t image_bytes;		/* size of the image file */
	/* --verify (images == 0: not run) */
	uint32_t verify_images;
	bool verify_passed;
	const char *verify_divergence;	/* first divergence, when it failed */
	double verify_seconds;
	bool verify_labelled;
	uint32_t verify_correct;	/* images the chip classified right */
	const struct spk_exec *exec;	/* measured traffic, or NULL */
};

int spk_map_report_text(FILE *f, const struct spk_map *map,
			const struct spk_map_report_info *info);
int spk_map_report_json(struct spk_jsonw *j, const struct spk_map *map,
			const struct spk_map_report_info *info);

#endif
