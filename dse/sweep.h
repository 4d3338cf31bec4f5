/*
 * sweep.h — running a sweep's points and merging their results (doc/dse.md).
 *
 * The output directory DIR of a sweep:
 *   DIR/sweep.ini          a copy of the sweep file; a second run must be given the same file
 *   DIR/images/KEY.spki    chip images, one per distinct mapping (model, seed, the recorded arch
 *                          parameters, [noc] multicast): points equal in all of these share one;
 *                          KEY.map.json its mapping report, KEY.nofit the message of a model
 *                          that does not fit, KEY.key the text KEY hashes
 *   DIR/work/K/            point K's architecture file, simulation log and --resume segments
 *   DIR/points/K.json      point K's result, written atomically once the point is done: its
 *                          status (ok, invalid, infeasible, mismatch, failed), message, values
 *                          and metrics. A point is done exactly when this file exists.
 *   DIR/results.csv, DIR/results.json   every point, merged in point order
 *
 * A point runs the stages as the commands do: the architecture (base + the point's values,
 * spk_arch_check), `spikechip map` (once per image), `spikechip sim --check --resume`, each in
 * this process with its output going to the point's log. So a killed sweep loses at most the
 * segments in flight, and running it again computes only what is missing. Every figure of
 * the results depends only on the sweep file, never on --jobs, the backend or interruptions,
 * except wall_s (the point's time), which the merged files keep last.
 */
#ifndef SPK_DSE_SWEEP_H
#define SPK_DSE_SWEEP_H

#include "dse/spec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pareto objectives (--pareto). */
enum spk_sweep_objective {
	SPK_OBJ_ENERGY,		/* energy per image, minimised */
	SPK_OBJ_LATENCY,	/* mean latency in µs, minimised */
	SPK_OBJ_ACCURACY,	/* maximised */
	SPK_OBJ_AREA,		/* chip area in mm² (rtl/rtl_area.h), minimised */
	SPK_OBJ_COUNT
};

/*
 * Creates DIR (and its sub-directories) for s, or checks that an existing DIR was made for the
 * same sweep file (byte for byte). 0, or -1 with the message in err.
 */
int spk_sweep_prepare_dir(const struct spk_sweep_spec *s, const char *dir, char *err,
			  size_t errlen);

/* Whether point k is done (DIR/points/K.json exists). */
bool spk_sweep_point_done(const char *dir, uint32_t k);

/*
 * Maps point k's image if it is not in DIR/images yet (an invalid point has none). 0 (mapped,
 * already there, does not fit: recorded) or -1 with the message in err (the sweep cannot go on).
 */
int spk_sweep_map_point(const struct spk_sweep_spec *s, const char *dir, uint32_t k, char *err,
			size_t errlen);

/*
 * Runs point k to its result file (mapping first if needed), simulating over sim_jobs
 * processes. 0 when the result is recorded, whatever its status; -1 with the message in err
 * when it could not be.
 */
int spk_sweep_run_point(const struct spk_sweep_spec *s, const char *dir, uint32_t k,
			uint32_t sim_jobs, char *err, size_t errlen);

/* One line about point k's recorded result: "ok: accuracy 85.0 %, 1.56 M cycles, ...". */
void spk_sweep_point_summary(const char *dir, uint32_t k, char *buf, size_t len);

/* The image key of point k ("" for an invalid point): for grouping points by mapping. */
void spk_sweep_point_image_key(const struct spk_sweep_spec *s, uint32_t k, char *key,
			       size_t len);

/*
 * Merges every recorded point into DIR/results.csv and DIR/results.json, marking the
 * non-dominated points among those with status ok for the objectives in pareto[] (n_pareto of
 * them; none: no column is filled), and prints the front to stdout. Returns the number of
 * points still missing (the merged files then hold the others), or -1 with the message in err.
 */
int spk_sweep_merge(const struct spk_sweep_spec *s, const char *dir,
		    const enum spk_sweep_objective *pareto, uint32_t n_pareto, bool quiet,
		    char *err, size_t errlen);

/*
 * Estimates what one point needs by running the first valid point of every distinct image on
 * one image in a child process: the peak resident memory and seconds per image, the largest
 * over the images. 0 or -1 with the message in err.
 */
int spk_sweep_estimate(const struct spk_sweep_spec *s, const char *dir, uint64_t *rss_bytes,
		       double *seconds_per_image, char *err, size_t errlen);

#endif
