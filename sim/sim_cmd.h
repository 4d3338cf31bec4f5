/*
 * sim_cmd.h — what the three files of `spikechip sim` share, and nobody else uses:
 *
 *   sim_cmd.c       options, loading and checking the inputs, the per-image hook (--check,
 *                   --trace), the run from start to commit;
 *   sim_segments.c  the run cut into segments: running one on a fresh chip, merging the results
 *                   in segment order (--jobs N), the part traces, --resume DIR;
 *   sim_report.c    the summary of a run and its two reports, text and JSON.
 *
 * struct sim_run is the whole run's state: the main file fills it, the segment functions
 * update it (they are sim/jobs.h's callbacks, with it as their context), the report reads it.
 */
#ifndef SPK_SIM_CMD_H
#define SPK_SIM_CMD_H

#include "arch/arch.h"
#include "image/image.h"
#include "models/ref.h"
#include "sim/chip.h"
#include "sim/critpath.h"
#include "sim/jobs.h"
#include "sim/segfile.h"
#include "traces/trace.h"
#include "util/jsonw.h"
#include "util/progress.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ERRLEN 1024

struct sim_opts {
	const char *image;
	const char *model;
	const char *arch;
	const char *data;
	const char *labels;
	const char *json;
	const char *trace;
	const char *resume;	/* --resume DIR */
	bool check;
	uint32_t images;	/* 0: all */
	uint32_t jobs;		/* processes (default 1) */
	uint32_t segment;	/* images per segment (default SIM_SEGMENT_DEFAULT) */
	bool systemc;		/* --engine systemc */
	unsigned rtl;		/* --rtl BLOCKS: SPK_RTL_* (sim/systemc/sc_chip.h) */
	const char *rtl_tiles;	/* --rtl-tiles LIST */
	const char *wave;	/* --wave FILE.fst */
	uint64_t wave_from, wave_to;	/* --wave-from, --wave-to */
	bool wave_window;	/* either given */
	uint64_t max_cycles;	/* --max-cycles N: the watchdog of every segment (0: none) */
	char byo_core[4096];	/* --rtl core=PATH.sv: one's own core (doc/rtl.md) */
	const char *record_tile;	/* --record-ports TILE FILE */
	const char *record_file;
	const char *timeline;		/* --timeline FILE.json */
	bool timeline_routers;		/* --timeline-routers */
	uint64_t timeline_from, timeline_to;	/* --timeline-from, --timeline-to (UINT64_MAX:
						   the end) */
	bool timeline_window;		/* either given */
	bool critical_path;		/* --critical-path */
};

/* What the image hook needs: the reference, the trace, progress. */
struct sim_run {
	const struct spk_image *img;
	struct spk_chip *chip;
	struct spk_ref *ref;
	spk_trace_writer *tw;
	const uint8_t *pixels;
	size_t image_bytes;
	const uint8_t *labels;
	uint8_t *golden;		/* [T][Σ neurons] one byte per neuron: reference spikes */
	uint64_t *off;			/* [n_pops] */
	uint64_t per_t;
	uint32_t n, correct;
	uint64_t mismatches;
	char divergence[512];
	bool show;
	double t0;
	struct spk_progress bar;	/* counts the images to simulate: not those taken from
					   --resume files */
	/* segments: this one's first image and progress handle; the whole run's shape */
	uint32_t base;
	struct spk_jobs_worker *worker;
	const struct spk_arch *arch;
	uint32_t seg, n_segs, jobs;
	bool systemc;			/* run through the SystemC engine */
	bool rtl;			/* with RTL blocks (--rtl) */
	char rtl_desc[96];		/* which: "network, 1 readout" */
	uint64_t max_cycles;		/* --max-cycles */
	bool byo;			/* the cores are one's own RTL (--rtl core=PATH.sv): each
					   segment is also run with the C models, for their cycles */
	uint64_t c_cycles;		/* those cycles, all segments */
	spk_trace_writer *trace_out;	/* the trace; segments write here, or to parts */
	char *part_dir;			/* jobs > 1 with a trace: the parts' directory */
	/* --resume: the directory, this run's key, the segments found done there */
	const char *resume;
	struct spk_segfile_key key;
	struct spk_segfile **done;	/* [n_segs]; NULL: to simulate */
	uint32_t n_done, done_images;
	uint64_t done_sops, done_cycles;	/* theirs (not this run's simulation speed) */
	/* merged in segment order by the parent */
	struct spk_chip_result *res;	/* [n] */
	struct spk_chip_stats total;
	uint64_t *link_sum;		/* [n_tiles·5] */
	uint64_t *busy_sum;		/* [n_tiles] */
	uint64_t *refused_sum;		/* [n_tiles] offers the tile's NI refused */
	uint32_t layer_words;		/* spk_chip_layer_words() of the image */
	uint64_t *layer_sum;		/* [layer_words] the per-layer counts, summed */
	bool layers_lost;		/* a segment kept none (RTL units): no per-layer figures */
	uint32_t seg_span_n;		/* steady-state intervals over all segments */
	uint64_t seg_span_cycles;
	struct spk_timeline *tl;	/* --timeline (one segment), or NULL */
	struct spk_critpath *cp;	/* --critical-path, or NULL */
};

/*
 * One segment's result, as a worker sends it: this, then res[n], links[n_links], busy[n_tiles],
 * refused[n_tiles], layers[layer_words]: the per-tile and per-layer counts as a segment result
 * file holds them (sim/segfile.h; layers[0], the images, is 0 when none were kept).
 */
struct seg_blob {
	uint32_t first, n;
	uint32_t n_links, n_tiles;
	uint32_t layer_words;
	struct spk_chip_stats st;
	uint64_t c_cycles;	/* sim_run.byo: the segment's cycles with the C models */
};

static inline size_t blob_len(uint32_t n, uint32_t n_tiles, uint32_t layer_words)
{
	return sizeof(struct seg_blob) + n * sizeof(struct spk_chip_result) +
	       ((size_t)n_tiles * SPK_SEGFILE_TILE_WORDS + layer_words) * sizeof(uint64_t);
}

/* ---- sim_cmd.c -------------------------------------------------------------------------------- */

struct spk_model;
struct spk_dataset;
int spk_sim_open_inputs(struct sim_opts *o, const char *cmd, char *arch_buf, size_t arch_len,
			struct spk_arch *arch, struct spk_image **img, struct spk_model **m);
/* The data set of o (--data, --labels, --images; the default test set), checked against the
 * model or the image's input shape. 0, or -1 with the message printed. */
int spk_sim_load_data(struct spk_dataset *ds, struct sim_opts *o, const struct spk_model *m,
		      const struct spk_image *img);

int spk_sim_image_hook(void *ctx, uint32_t i, const struct spk_chip_result *res);
spk_trace_writer *spk_sim_open_trace(const char *path, const struct spk_image *img);

/* ---- sim_segments.c --------------------------------------------------------------------------- */

void spk_sim_jobs_progress(void *ctx, uint64_t done);
int spk_sim_run_segment(void *ctx, struct spk_jobs_worker *w, uint32_t k, void **blobp,
			size_t *lenp, char *err, size_t errlen);
int spk_sim_merge_segment(void *ctx, uint32_t k, const void *blob, size_t len, char *err,
			  size_t errlen);
int spk_sim_open_resume(struct sim_run *r, const struct sim_opts *o);
void spk_sim_remove_part_dir(const char *dir);

/* ---- sim_report.c ----------------------------------------------------------------------------- */

struct sim_summary {
	uint32_t n;
	double clock_mhz;
	uint64_t lat_min, lat_max;
	double lat_mean;
	double interval;		/* steady-state cycles between class-outs */
	double throughput;		/* images/s */
	double wall;
	bool have_acc;
	double accuracy;
	uint64_t mismatches;
	bool checked;
	struct spk_chip_stats st;
	double paper_pj;
	double core_sop_pj;
	uint32_t busy_x, busy_y;
	const char *busy_dir;
	uint32_t unit_x, unit_y;	/* the busiest unit */
	const char *unit_kind;
	uint32_t seg, n_segs;		/* images per segment, segments */
	uint32_t jobs;
	bool systemc;
	bool rtl;		/* RTL blocks ran inside the SystemC engine */
	const char *rtl_desc;	/* which (sim_run.rtl_desc) */
	const char *byo_core;	/* one's own core (sim_opts.byo_core), or NULL */
	uint64_t c_cycles;	/* with byo_core: the same images' cycles with the C models */
	const struct spk_chip_result *res;	/* [n] per image: class, in and out cycles */
	const uint8_t *labels;		/* [n], or NULL */
	const uint64_t *busy;		/* [n_tiles] input-busy cycles per unit, whole run */
	const uint64_t *links;		/* [n_tiles·5] flits per router output, whole run */
	const uint64_t *refused;	/* [n_tiles] offers each NI refused, whole run */
	const uint64_t *layers;		/* spk_chip_layer_counts() of the whole run, or NULL */
	const struct spk_arch *arch;
	uint32_t refused_tile;		/* the NI that refused the most (refused[.] > 0) */
	/* --resume: segments taken from files; what this run simulated itself */
	const char *resume;
	uint32_t resumed;
	uint64_t sim_sops, sim_cycles;
	struct spk_critpath *cp;	/* --critical-path: every image's path, or NULL */
};

void spk_sim_summarise(struct sim_summary *s, const struct sim_run *r, const struct spk_image *img,
		       const struct spk_arch *a, const struct spk_chip_result *res, uint32_t n);
void spk_sim_report_text(FILE *f, const struct sim_summary *s, const struct sim_opts *o,
			 const struct spk_image *img);
void spk_sim_report_json(struct spk_jsonw *j, const struct sim_summary *s, const struct sim_opts *o,
			 const struct spk_image *img);

/*
 * The "events" object of a JSON report: every counted event over the whole run (the units'
 * events, the NoC's packets, flits and hops, the spikes). `spikechip sim` and `spikechip energy`
 * write the same object, so that the two can be compared count for count.
 */
void spk_sim_json_events(struct spk_jsonw *j, const struct spk_unit_events *ev,
			 const struct spk_noc_stats *noc, uint64_t spikes);

/* The energy rows per image (µJ), text (indented lines) and JSON (object `key`); the static row
 * only with_static. And a unit's six event counts as keys of the open JSON object. */
void spk_sim_text_breakdown(FILE *f, const struct spk_chip_energy *e, double n, bool with_static);
void spk_sim_json_breakdown(struct spk_jsonw *j, const char *key, const struct spk_chip_energy *e,
			    double n, bool with_static);
void spk_sim_json_unit_events(struct spk_jsonw *j, const struct spk_unit_events *ev);

/* The NoC's busiest tile-to-tile link (x, y, direction, flits; null if none), and a tile's
 * flits per router output (links[5]: local, east, west, north, south), as JSON keys. */
void spk_sim_json_busiest_link(struct spk_jsonw *j, const struct spk_image *img,
			       const struct spk_noc_stats *noc);
void spk_sim_json_flits_out(struct spk_jsonw *j, const uint64_t *links);

/*
 * Per layer (`spikechip sim` and `spikechip energy` write the same keys): a step's name as the
 * model file gives it (its type for an unnamed one); the dynamic energy of a step's events, its
 * NoC flits included (no static row); the paper's formula for events (pJ); and the keys of one
 * element of "layers": step, name, type, the unit events, spikes, router and link flits, the
 * energy and the paper's formula per image (over n images) and the energy's breakdown.
 */
struct spk_energy_step;
const char *spk_sim_step_name(const struct spk_image *img, uint32_t i);
void spk_sim_step_energy(struct spk_chip_energy *en, const struct spk_energy_step *s,
			 const struct spk_arch *a);
double spk_sim_paper_pj(const struct spk_unit_events *ev);
void spk_sim_json_layer_keys(struct spk_jsonw *j, const struct spk_image *img, uint32_t i,
			     const struct spk_energy_step *s, const struct spk_arch *a, double n);

/* Whether tile t of img has work (its unit is used by the image). */
bool spk_sim_tile_used(const struct spk_image *img, uint32_t t);

#endif
