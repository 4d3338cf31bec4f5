/*
 * sim_cmd.c — `spikechip sim IMAGE`: runs a chip image cycle by cycle (sim/chip.h) over a data
 * set and reports what the chip did: accuracy, latency and throughput in cycles of the arch's
 * clock, SOPs, energy per image with its breakdown (doc/architecture.md §10), the NoC's
 * traffic, and how fast the simulator ran. doc/simulator.md explains every field.
 *
 * --check runs the integer reference (models/ref.h) on the same images, with the model the image
 * was compiled from (--model; its CRC must be the one the image records), and compares every
 * spike of every population and timestep and every class as images come out of the chip; the
 * first divergence stops the run (exit 1). --trace writes the chip's spikes as a trace that
 * `spikechip trace diff` compares with `spikechip ref --trace`. --engine systemc runs each chip
 * through the SystemC engine (sim/systemc/sc_chip.h) instead of the native loop: same results.
 *
 * Segments and jobs. The run is cut into segments of --segment S consecutive images (default
 * 100), each run on a fresh, empty chip: an image's latency depends on the images ahead of it
 * in the pipeline, so the segment, not the run, is the unit of independence. --jobs N runs the
 * segments over N processes (sim/jobs.h); the parent merges every segment's per-image results,
 * counts, energy, NoC and per-unit statistics in segment order, so the report (all but the
 * simulator's own speed) and the trace are the same bytes for every N. With --trace and N > 1,
 * each segment's spikes go to a part trace in a private directory next to the trace, which the
 * parent copies into the trace in order.
 *
 * Order of work, as `spikechip ref`: parse options, load and check every input (image, arch,
 * model, data set), build the chip, open the outputs (temporary files), run, then commit. A bad
 * input is exit 2 with a message naming it, before anything is written; a failed run leaves no
 * output behind.
 */
#include "config.h"

#include "arch/arch.h"
#include "cli/commands.h"
#include "data/idx.h"
#include "image/image.h"
#include "models/model.h"
#include "models/quant.h"
#include "models/ref.h"
#include "sim/chip.h"
#include "sim/jobs.h"
#include "sim/segfile.h"
#include "sim/systemc/sc_chip.h"
#include "traces/trace.h"
#include "util/jsonw.h"
#include "util/outfile.h"
#include "util/progress.h"
#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define ERRLEN 1024

/* The paper's energy formula (45 nm; doc/architecture.md §10). */
#define PAPER_MAC_PJ 4.6
#define PAPER_AC_PJ 0.9

/* Images per segment unless --segment says otherwise; the most --jobs. */
#define SIM_SEGMENT_DEFAULT 100u
#define SIM_JOBS_MAX 1024

int spk_sim_opt_jobs(const char *cmd, const char *arg, long *jobs)
{
	if (spk_parse_long(arg, 1, SIM_JOBS_MAX, jobs) < 0) {
		spk_error("%s: --jobs '%s' is not a number of processes (1 to %d)", cmd, arg,
			  SIM_JOBS_MAX);
		return SPK_EXIT_USAGE;
	}
	return 0;
}

int spk_sim_opt_engine(const char *cmd, const char *arg, int *systemc)
{
	if (strcmp(arg, "native") != 0 && strcmp(arg, "systemc") != 0) {
		spk_error("%s: --engine '%s' is not an engine (native or systemc)", cmd, arg);
		return SPK_EXIT_USAGE;
	}
	*systemc = strcmp(arg, "systemc") == 0;
	return 0;
}

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
	uint32_t seg_span_n;		/* steady-state intervals over all segments */
	uint64_t seg_span_cycles;
};

/*
 * One segment's result, as a worker sends it: this, then res[n], links[n_links], busy[n_tiles],
 * refused[n_tiles]: the per-tile counts as a segment result file holds them (sim/segfile.h).
 */
struct seg_blob {
	uint32_t first, n;
	uint32_t n_links, n_tiles;
	struct spk_chip_stats st;
};

static size_t blob_len(uint32_t n, uint32_t n_tiles)
{
	return sizeof(struct seg_blob) + n * sizeof(struct spk_chip_result) +
	       (size_t)n_tiles * SPK_SEGFILE_TILE_WORDS * sizeof(uint64_t);
}

static void sim_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip sim IMAGE [--arch FILE] [--model FILE] [--images N]\n"
		"                     [--data IDX [--labels IDX]] [--check] [--trace FILE]\n"
		"                     [--json FILE] [--segment S] [--jobs N] [--resume DIR]\n"
		"                     [--engine native|systemc]\n"
		"\n"
		"Runs a chip image (.spki, from 'spikechip map') cycle by cycle over a data set and\n"
		"reports accuracy, latency, throughput, SOPs, energy per image and its breakdown,\n"
		"the NoC's traffic and the simulator's speed (doc/simulator.md).\n"
		"\n"
		"options:\n"
		"  --arch FILE        architecture for timing and energy (INI file, or a preset name:\n"
		"                     small, default, large, loihi); its mapping parameters must be\n"
		"                     those the image was compiled for (default: the shipped\n"
		"                     default)\n"
		"  --model FILE       the model the image was compiled from (required by --check;\n"
		"                     checked against the CRC the image records)\n"
		"  --images N         run the first N images (default: all)\n"
		"  --data IDX         images, IDX uint8 or float32, gzip or plain\n"
		"                     (default: Fashion-MNIST test set in %s)\n"
		"  --labels IDX       labels for --data (without it, accuracy is not reported)\n"
		"  --check            compare every spike and class with the integer reference;\n"
		"                     stop at the first divergence (exit 1)\n"
		"  --trace FILE       write the chip's spikes to a trace (.spkt) for 'spikechip trace'\n"
		"  --json FILE        write the report as JSON\n"
		"  --segment S        run the images in segments of S (default %u), each from an\n"
		"                     empty chip: latencies and throughput are those of a segment\n"
		"  --jobs N           run the segments over N processes (default 1); the report\n"
		"                     and the trace are the same for every N\n"
		"  --resume DIR       keep every finished segment's result in DIR (created if\n"
		"                     missing), and take the ones already there instead of\n"
		"                     simulating them again: an interrupted run, repeated with the\n"
		"                     same DIR, goes on where it stopped, with the same report\n"
		"  --engine E         native (default), or systemc: the same chip run through the\n"
		"                     SystemC kernel, an SC_MODULE per block (same cycles, spikes\n"
		"                     and energy; slower)\n"
		"  -h, --help         show this help\n"
		"\n"
		"exit status: 0 done (and checked); 1 the chip diverged from the reference, or a value\n"
		"did not fit the chip's widths; 2 a bad option or input file.\n",
		SPK_FMNIST_DIR, SIM_SEGMENT_DEFAULT);
}

static int parse_opts(int argc, char **argv, struct sim_opts *o)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "model", required_argument, NULL, 'm' },
		{ "images", required_argument, NULL, 'n' },
		{ "data", required_argument, NULL, 'd' },
		{ "labels", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 'c' },
		{ "trace", required_argument, NULL, 't' },
		{ "json", required_argument, NULL, 'j' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "segment", required_argument, NULL, 'S' },
		{ "engine", required_argument, NULL, 'E' },
		{ "resume", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	long v;
	int sc;

	o->jobs = 1;
	o->segment = SIM_SEGMENT_DEFAULT;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': o->arch = optarg; break;
		case 'm': o->model = optarg; break;
		case 'd': o->data = optarg; break;
		case 'l': o->labels = optarg; break;
		case 'c': o->check = true; break;
		case 't': o->trace = optarg; break;
		case 'j': o->json = optarg; break;
		case 'R': o->resume = optarg; break;
		case 'n':
			if (spk_opt_images("sim", "--images", optarg, &o->images))
				return SPK_EXIT_USAGE;
			break;
		case 'S':
			if (spk_opt_images("sim", "--segment", optarg, &o->segment))
				return SPK_EXIT_USAGE;
			break;
		case 'J':
			if (spk_sim_opt_jobs("sim", optarg, &v) != 0)
				return SPK_EXIT_USAGE;
			o->jobs = (uint32_t)v;
			break;
		case 'E':
			if (spk_sim_opt_engine("sim", optarg, &sc) != 0)
				return SPK_EXIT_USAGE;
			o->systemc = sc != 0;
			break;
		case 'h':
			sim_usage(stdout);
			return -1;
		default:
			return spk_opt_fail("sim", c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->image = argv[optind++];
	if (spk_opt_extra("sim", optind < argc ? argv[optind] : NULL))
		return SPK_EXIT_USAGE;
	if (o->image == NULL) {
		spk_error("sim: a chip image (.spki) is required; see 'spikechip sim --help'");
		return SPK_EXIT_USAGE;
	}
	if (o->check && o->model == NULL) {
		spk_error("sim: --check needs --model FILE (the model the image was compiled from)");
		return SPK_EXIT_USAGE;
	}
	if (spk_opt_labels("sim", o->data, o->labels))
		return SPK_EXIT_USAGE;
	return 0;
}

static int ref_hook(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	struct sim_run *r = ctx;
	uint8_t *b = r->golden + t * r->per_t + r->off[pop];

	for (size_t k = 0; k < n; k++)
		b[ids[k]] = 1;
	return 0;
}

/* Compares image i's spikes with the reference; 0, or -1 with the divergence described. */
static int check_image(struct sim_run *r, uint32_t i, const struct spk_chip_result *res)
{
	const struct spk_image *img = r->img;
	double logits[1024];
	double *lg = img->classes <= 1024 ? logits : malloc(img->classes * sizeof(*lg));
	int cls;

	if (lg == NULL)
		return -ENOMEM;
	memset(r->golden, 0, r->per_t * img->time_steps);
	cls = spk_ref_run(r->ref, r->pixels + (size_t)(r->base + i) * r->image_bytes, NULL, lg);
	if (lg != logits)
		free(lg);
	if (cls < 0)
		return cls;
	for (uint32_t t = 0; t < img->time_steps; t++)
		for (uint32_t p = 0; p < img->n_pops; p++) {
			const uint8_t *b = r->golden + t * r->per_t + r->off[p];
			size_t n, want = 0, k;
			const uint32_t *ids = spk_chip_image_spikes(r->chip, i, t, p, &n);
			uint32_t first = UINT32_MAX;
			bool ref_side = false;

			for (k = 0; k < img->pops[p].neurons; k++)
				want += b[k];
			for (k = 0; k < n; k++)
				if (!b[ids[k]]) {
					first = ids[k];
					break;
				}
			if (want != n || first != UINT32_MAX) {
				/* the lowest neuron that differs */
				size_t j = 0;

				for (k = 0; k < img->pops[p].neurons; k++) {
					bool on_chip = j < n && ids[j] == k;

					if (on_chip)
						j++;
					if ((bool)b[k] != on_chip) {
						first = (uint32_t)k;
						ref_side = b[k];
						break;
					}
				}
				snprintf(r->divergence, sizeof(r->divergence),
					 "first divergence: image %u, timestep %u, population %s: "
					 "neuron %u spikes %s (reference %zu spikes, chip %zu)", r->base + i, t,
					 img->pops[p].name, first,
					 ref_side ? "in the reference, not on the chip" :
						    "on the chip, not in the reference", want, n);
				r->mismatches++;
				return -1;
			}
		}
	if ((uint32_t)cls != res->cls) {
		snprintf(r->divergence, sizeof(r->divergence),
			 "first divergence: image %u: class %u on the chip, %d in the reference",
			 r->base + i, res->cls, cls);
		r->mismatches++;
		return -1;
	}
	return 0;
}

static int trace_image(struct sim_run *r, uint32_t i)
{
	if (spk_trace_writer_begin_image(r->tw, r->base + i) < 0)
		return -1;
	for (uint32_t t = 0; t < r->img->time_steps; t++)
		for (uint32_t p = 0; p < r->img->n_pops; p++) {
			size_t n;
			const uint32_t *ids = spk_chip_image_spikes(r->chip, i, t, p, &n);

			if (n > 0 && spk_trace_writer_add(r->tw, t, p, ids, n) < 0)
				return -1;
		}
	return spk_trace_writer_end_image(r->tw);
}

static int image_hook(void *ctx, uint32_t i, const struct spk_chip_result *res)
{
	struct sim_run *r = ctx;
	int rc;

	if (r->ref != NULL && (rc = check_image(r, i, res)) < 0)
		return rc;
	if (r->tw != NULL && trace_image(r, i) < 0) {
		snprintf(r->divergence, sizeof(r->divergence), "%s", spk_trace_writer_error(r->tw));
		return -EIO;
	}
	spk_jobs_tick(r->worker, 1);
	return 0;
}

/* ---- segments ------------------------------------------------------------------------------- */

static spk_trace_writer *open_trace(const char *path, const struct spk_image *img);

/* The parent's progress bar over all jobs. */
static void jobs_progress(void *ctx, uint64_t done)
{
	struct sim_run *r = ctx;

	if (r->show)
		spk_progress_show(&r->bar, (uint32_t)done, done == r->n - r->done_images);
}

static void seg_range(const struct sim_run *r, uint32_t k, uint32_t *first, uint32_t *n)
{
	*first = k * r->seg;
	*n = r->n - *first < r->seg ? r->n - *first : r->seg;
}

/* Segment k's part trace (in the parts' directory) and result file (in the --resume one). */
static void seg_path(char *buf, size_t len, const char *dir, uint32_t k, const char *ext)
{
	snprintf(buf, len, "%s/seg-%05u.%s", dir, k, ext);
}

/* What segment k's result file must record to stand for segment k of this run. */
static void seg_key(const struct sim_run *r, uint32_t k, struct spk_segfile_key *key)
{
	*key = r->key;
	key->segment = k;
	seg_range(r, k, &key->first, &key->n);
	key->pixels_crc32 = (uint32_t)crc32(0L, r->pixels + (size_t)key->first * r->image_bytes,
					    (uInt)(key->n * r->image_bytes));
}

/*
 * The blob of a segment found done in the --resume directory, as run_segment() makes it. No
 * progress ticks: the progress bar counts the images to simulate.
 */
static int done_blob(struct sim_run *r, uint32_t k, void **blobp, size_t *lenp, char *err,
		     size_t errlen)
{
	const struct spk_segfile *s = r->done[k];
	uint32_t n = s->key.n, n_links = s->key.n_tiles * 5;
	size_t len = blob_len(n, s->key.n_tiles);
	struct seg_blob *b = malloc(len);
	struct spk_chip_result *res;

	if (b == NULL) {
		snprintf(err, errlen, "segment %u: out of memory", k);
		return SPK_EXIT_FAIL;
	}
	*b = (struct seg_blob){ .first = s->key.first, .n = n, .n_links = n_links,
				.n_tiles = s->key.n_tiles, .st = s->st };
	res = (struct spk_chip_result *)(b + 1);
	memcpy(res, s->res, n * sizeof(*res));
	memcpy(res + n, s->links, (size_t)s->key.n_tiles * SPK_SEGFILE_TILE_WORDS * sizeof(uint64_t));
	*blobp = b;
	*lenp = len;
	return 0;
}

/*
 * Runs segment k on a fresh chip (sim/jobs.h's run): its results, statistics, per-link
 * counts and per-unit busy cycles in one blob; its spikes to the trace or, in a worker, to
 * the segment's part trace. A divergence or a failed run is exit status 1 with the message.
 */
static int run_segment(void *ctx, struct spk_jobs_worker *w, uint32_t k, void **blobp,
		       size_t *lenp, char *err, size_t errlen)
{
	struct sim_run *r = ctx;
	const struct spk_image *img = r->img;
	uint32_t first, n, n_links = img->n_tiles * 5;
	struct spk_chip *chip;
	struct seg_blob *b;
	struct spk_chip_result *res;
	const uint8_t *px;
	size_t len;
	char cerr[ERRLEN] = "";
	int rc, ret = SPK_EXIT_FAIL;

	if (r->done != NULL && r->done[k] != NULL)
		return done_blob(r, k, blobp, lenp, err, errlen);
	seg_range(r, k, &first, &n);
	len = blob_len(n, img->n_tiles);
	b = calloc(1, len);
	chip = spk_chip_create(img, r->arch, cerr, sizeof(cerr));
	if (b == NULL || chip == NULL) {
		snprintf(err, errlen, "segment %u: %s", k, chip == NULL ? cerr : "out of memory");
		goto out;
	}
	if ((r->ref != NULL || r->trace_out != NULL) && spk_chip_record(chip, true) < 0) {
		snprintf(err, errlen, "segment %u: out of memory", k);
		goto out;
	}
	r->tw = r->trace_out;
	if (r->trace_out != NULL && r->part_dir != NULL) {
		char path[PATH_MAX];

		seg_path(path, sizeof(path), r->part_dir, k, "spkt");
		if ((r->tw = open_trace(path, img)) == NULL) {
			snprintf(err, errlen, "cannot write the part trace %s", path);
			goto out;
		}
	}
	r->chip = chip;
	r->base = first;
	r->worker = w;
	r->divergence[0] = '\0';
	spk_chip_set_image_hook(chip, image_hook, r);
	res = (struct spk_chip_result *)(b + 1);
	px = r->pixels + (size_t)first * r->image_bytes;
	rc = r->systemc ? spk_chip_run_systemc(chip, px, n, res, cerr, sizeof(cerr)) :
			  spk_chip_run(chip, px, n, res, cerr, sizeof(cerr));
	if (rc < 0) {
		snprintf(err, errlen, "%s", rc == -EDEADLK || rc == -EBUSY ? cerr : r->divergence[0] ?
			 r->divergence : strerror(-rc));
		goto out;
	}
	b->first = first;
	b->n = n;
	b->n_links = n_links;
	b->n_tiles = img->n_tiles;
	spk_chip_get_stats(chip, &b->st);
	memcpy(res + n, spk_chip_link_counts(chip), n_links * sizeof(uint64_t));
	spk_chip_get_unit_busy(chip, (uint64_t *)(res + n) + n_links);
	memcpy((uint64_t *)(res + n) + n_links + img->n_tiles, spk_chip_ni_refused(chip),
	       img->n_tiles * sizeof(uint64_t));
	if (r->tw != r->trace_out) {
		spk_trace_writer *tw = r->tw;

		r->tw = NULL;
		if (spk_trace_writer_close(tw, cerr, sizeof(cerr)) < 0) {
			snprintf(err, errlen, "%s", cerr);
			goto out;
		}
	}
	if (r->resume != NULL) {
		struct spk_segfile_key key;
		char path[PATH_MAX];

		seg_key(r, k, &key);
		seg_path(path, sizeof(path), r->resume, k, "spkr");
		if (spk_segfile_write(path, &key, &b->st, res, (const uint64_t *)(res + n), err,
				      errlen) < 0)
			goto out;
	}
	*blobp = b;
	*lenp = len;
	b = NULL;
	ret = 0;
out:
	if (r->tw != r->trace_out)
		spk_trace_writer_abort(r->tw);
	r->tw = NULL;
	r->chip = NULL;
	spk_chip_destroy(chip);
	free(b);
	return ret;
}

/* Copies a segment's part trace into the trace, image by image, and removes it. */
static int copy_part(struct sim_run *r, uint32_t k, char *err, size_t errlen)
{
	char path[PATH_MAX];
	spk_trace_reader *rd;
	int ret = SPK_EXIT_FAIL;

	seg_path(path, sizeof(path), r->part_dir, k, "spkt");
	rd = spk_trace_reader_open(path, err, errlen);
	if (rd == NULL)
		return SPK_EXIT_FAIL;
	for (size_t c = 0; c < spk_trace_reader_images(rd); c++) {
		if (spk_trace_reader_load(rd, c) < 0) {
			snprintf(err, errlen, "%s", spk_trace_reader_error(rd));
			goto out;
		}
		if (spk_trace_writer_begin_image(r->trace_out, spk_trace_reader_image_index(rd, c)) < 0)
			goto out_writer;
		for (uint32_t t = 0; t < r->img->time_steps; t++)
			for (uint32_t p = 0; p < r->img->n_pops; p++) {
				size_t n;
				const uint32_t *ids = spk_trace_reader_spikes(rd, t, p, &n);

				if (n > 0 && spk_trace_writer_add(r->trace_out, t, p, ids, n) < 0)
					goto out_writer;
			}
		if (spk_trace_writer_end_image(r->trace_out) < 0)
			goto out_writer;
	}
	ret = 0;
	goto out;
out_writer:
	snprintf(err, errlen, "%s", spk_trace_writer_error(r->trace_out));
out:
	spk_trace_reader_close(rd);
	if (r->resume == NULL)
		unlink(path);
	return ret;
}

static void add_noc(struct spk_noc_stats *s, const struct spk_noc_stats *a)
{
	s->cycles += a->cycles;
	s->cycles_evaluated += a->cycles_evaluated;
	s->router_evals += a->router_evals;
	s->packets_injected += a->packets_injected;
	s->packets_delivered += a->packets_delivered;
	s->flits_injected += a->flits_injected;
	s->flits_delivered += a->flits_delivered;
	s->inject_refused += a->inject_refused;
	s->hops += a->hops;
	s->router_flits += a->router_flits;
	s->link_flits += a->link_flits;
	s->latency_sum += a->latency_sum;
	s->latency_max = a->latency_max > s->latency_max ? a->latency_max : s->latency_max;
	s->stall_cycles += a->stall_cycles;
	s->buffer_peak = a->buffer_peak > s->buffer_peak ? a->buffer_peak : s->buffer_peak;
}

static void add_energy(struct spk_chip_energy *s, const struct spk_chip_energy *a)
{
	s->syn_add += a->syn_add;
	s->weight_read += a->weight_read;
	s->neuron += a->neuron;
	s->spike_out += a->spike_out;
	s->router += a->router;
	s->link += a->link;
	s->attention += a->attention;
	s->encoder += a->encoder;
	s->static_ += a->static_;
	s->dynamic += a->dynamic;
	s->total += a->total;
}

/*
 * Merges segment k (sim/jobs.h's merge, called in segment order): results into place, counts
 * and energies summed (in segment order, so the same doubles for every N), maxima kept, the
 * busiest link and unit recomputed from the summed per-link and per-unit counts, the segment's
 * steady-state class-out intervals added, its part trace copied.
 */
static int merge_segment(void *ctx, uint32_t k, const void *blob, size_t len, char *err,
			 size_t errlen)
{
	struct sim_run *r = ctx;
	const struct seg_blob *b = blob;
	const struct spk_chip_result *res = (const struct spk_chip_result *)(b + 1);
	const uint64_t *links = (const uint64_t *)(res + b->n), *busy = links + b->n_links;
	const uint64_t *refused = busy + b->n_tiles;
	struct spk_chip_stats *t = &r->total;
	uint32_t first, n;

	seg_range(r, k, &first, &n);
	if (len < sizeof(*b) || b->first != first || b->n != n || b->n_tiles != r->img->n_tiles ||
	    b->n_links != r->img->n_tiles * 5 ||
	    len != blob_len(n, b->n_tiles)) {
		snprintf(err, errlen, "internal error: segment %u's result is malformed", k);
		return SPK_EXIT_FAIL;
	}
	memcpy(r->res + first, res, n * sizeof(*res));
	t->images += b->st.images;
	t->cycles += b->st.cycles;
	spk_unit_events_add(&t->ev, &b->st.ev);
	t->graded_clamped += b->st.graded_clamped;
	t->counter_overflows += b->st.counter_overflows;
	t->unit_evals += b->st.unit_evals;
	t->spikes += b->st.spikes;
	add_noc(&t->noc, &b->st.noc);
	add_energy(&t->energy, &b->st.energy);
	t->noc.busiest_link = 0;
	t->noc.busiest_link_flits = 0;
	for (uint32_t i = 0; i < b->n_links; i++) {
		r->link_sum[i] += links[i];
		if (i % 5 != 0 && r->link_sum[i] > t->noc.busiest_link_flits) {
			t->noc.busiest_link_flits = r->link_sum[i];
			t->noc.busiest_link = i;
		}
	}
	t->busiest_tile = 0;
	t->busiest_cycles = 0;
	for (uint32_t i = 0; i < b->n_tiles; i++) {
		r->busy_sum[i] += busy[i];
		r->refused_sum[i] += refused[i];
		if (r->busy_sum[i] > t->busiest_cycles) {
			t->busiest_cycles = r->busy_sum[i];
			t->busiest_tile = i;
		}
	}
	/* steady state of the segment: its second half when it has one */
	if (n >= 2) {
		uint32_t i0 = n >= 4 ? n / 2 : 0;

		r->seg_span_cycles += res[n - 1].out_cycle - res[i0].out_cycle;
		r->seg_span_n += n - 1 - i0;
	}
	if (r->part_dir != NULL && r->trace_out != NULL)
		return copy_part(r, k, err, errlen);
	return 0;
}

/*
 * --resume DIR: creates DIR if missing, and takes every segment result file of this run found
 * there (with its part trace, when the run writes a trace). A file that is corrupt or the
 * result of another run is the user's to sort out: exit 2 naming it, nothing simulated.
 */
static int open_resume(struct sim_run *r, const struct sim_opts *o)
{
	char err[ERRLEN], path[PATH_MAX];
	struct stat sb;

	if (mkdir(o->resume, 0777) < 0 && errno != EEXIST) {
		spk_error("%s: cannot create the --resume directory: %s", o->resume,
			  strerror(errno));
		return SPK_EXIT_USAGE;
	}
	if (stat(o->resume, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		spk_error("%s: --resume needs a directory, and this is not one", o->resume);
		return SPK_EXIT_USAGE;
	}
	r->resume = o->resume;
	r->key.segment_images = o->segment;
	r->key.n_tiles = r->img->n_tiles;
	r->key.flags = (o->check ? SPK_SEGFILE_CHECKED : 0) | (o->trace ? SPK_SEGFILE_TRACED : 0) |
		       (o->systemc ? SPK_SEGFILE_SYSTEMC : 0);
	if (spk_trace_file_crc32(o->image, &r->key.image_crc32, err, sizeof(err)) < 0 ||
	    spk_trace_file_crc32(o->arch, &r->key.arch_crc32, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return SPK_EXIT_USAGE;
	}
	r->done = calloc(r->n_segs, sizeof(*r->done));
	if (r->done == NULL) {
		spk_error("sim: out of memory");
		return SPK_EXIT_USAGE;
	}
	for (uint32_t k = 0; k < r->n_segs; k++) {
		struct spk_segfile_key want;
		struct spk_segfile *s;

		seg_path(path, sizeof(path), o->resume, k, "spkr");
		if (access(path, F_OK) != 0)
			continue;
		s = spk_segfile_read(path, err, sizeof(err));
		if (s == NULL) {
			spk_error("%s; remove it to simulate segment %u again", err, k);
			return SPK_EXIT_USAGE;
		}
		r->done[k] = s;
		seg_key(r, k, &want);
		if (spk_segfile_match(&s->key, &want, err, sizeof(err)) < 0) {
			spk_error("%s: not a result of this run: %s; remove it, or give --resume "
				  "another directory", path, err);
			return SPK_EXIT_USAGE;
		}
		seg_path(path, sizeof(path), o->resume, k, "spkt");
		if (o->trace != NULL && access(path, R_OK) != 0) {
			spk_error("%s: segment %u's part trace is missing; remove its result "
				  "seg-%05u.spkr to simulate it again", path, k, k);
			return SPK_EXIT_USAGE;
		}
		r->n_done++;
		r->done_images += s->key.n;
		r->done_sops += s->st.ev.sops;
		r->done_cycles += s->st.cycles;
	}
	if (r->n_done > 0)
		fprintf(stderr, "sim: --resume %s: %u of %u segments already done, simulating the "
			"other %u\n", o->resume, r->n_done, r->n_segs, r->n_segs - r->n_done);
	return 0;
}

/* Removes the part traces' directory and whatever a stopped worker left in it. */
static void remove_part_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static spk_trace_writer *open_trace(const char *path, const struct spk_image *img)
{
	char err[ERRLEN];
	const char **names = malloc((img->n_pops + 1) * sizeof(*names));
	uint32_t *sizes = malloc((img->n_pops + 1) * sizeof(*sizes));
	spk_trace_writer *w = NULL;

	if (names == NULL || sizes == NULL) {
		spk_error("sim: out of memory");
		goto out_free;
	}
	for (uint32_t p = 0; p < img->n_pops; p++) {
		names[p] = img->pops[p].name;
		sizes[p] = img->pops[p].neurons;
	}
	w = spk_trace_writer_create(path, "sim", img->model_crc32, img->time_steps, img->n_pops,
				    names, sizes, err, sizeof(err));
	if (w == NULL)
		spk_error("%s", err);
out_free:
	free(sizes);
	free(names);
	return w;
}


/* The data set: through the model when there is one, else checked against the image's input. */
static int load_data(struct spk_dataset *ds, struct sim_opts *o, const struct spk_model *m,
		     const struct spk_image *img)
{
	char err[ERRLEN];

	if (m != NULL) {
		if (spk_dataset_load_for_model(ds, m->in_channels, m->in_height, m->in_width,
					       o->model, &o->data, &o->labels, o->images, err,
					       sizeof(err)) < 0) {
			spk_error("%s", err);
			return -1;
		}
	} else {
		if (o->data == NULL) {
			o->data = SPK_DATASET_DEFAULT_IMAGES;
			o->labels = SPK_DATASET_DEFAULT_LABELS;
		}
		if (spk_dataset_load(ds, o->data, o->labels, o->images, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			return -1;
		}
		if (ds->channels != img->in_channels || ds->height != img->in_height ||
		    ds->width != img->in_width) {
			spk_error("%s: images of %ux%ux%u, the chip image %s takes %ux%ux%u", o->data,
				  ds->channels, ds->height, ds->width, o->image, img->in_channels,
				  img->in_height, img->in_width);
			return -1;
		}
	}
	if (ds->n == 0) {
		spk_error("%s: no images", o->data);
		return -1;
	}
	if (ds->labels != NULL)
		for (uint32_t i = 0; i < ds->n; i++)
			if (ds->labels[i] >= img->classes) {
				spk_error("%s: label %u of image %u is not below the model's %u "
					  "classes", o->labels, ds->labels[i], i, img->classes);
				return -1;
			}
	return 0;
}

/* ---- the report ----------------------------------------------------------------------------- */

/* A router's outputs by port number (enum spk_port), as reports name them. */
static const char *const port_names[] = { "local", "east", "west", "north", "south" };

struct summary {
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
	const struct spk_chip_result *res;	/* [n] per image: class, in and out cycles */
	const uint8_t *labels;		/* [n], or NULL */
	const uint64_t *busy;		/* [n_tiles] input-busy cycles per unit, whole run */
	const uint64_t *links;		/* [n_tiles·5] flits per router output, whole run */
	const uint64_t *refused;	/* [n_tiles] offers each NI refused, whole run */
	uint32_t refused_tile;		/* the NI that refused the most (refused[.] > 0) */
	/* --resume: segments taken from files; what this run simulated itself */
	const char *resume;
	uint32_t resumed;
	uint64_t sim_sops, sim_cycles;
};

static void summarise(struct summary *s, const struct sim_run *r, const struct spk_image *img,
		      const struct spk_arch *a, const struct spk_chip_result *res, uint32_t n)
{
	uint64_t sum = 0;

	s->st = r->total;
	s->n = n;
	s->seg = r->seg;
	s->n_segs = r->n_segs;
	s->jobs = r->jobs;
	s->systemc = r->systemc;
	s->res = res;
	s->labels = r->labels;
	s->busy = r->busy_sum;
	s->links = r->link_sum;
	s->refused = r->refused_sum;
	s->refused_tile = 0;
	for (uint32_t t = 1; t < img->n_tiles; t++)
		if (s->refused[t] > s->refused[s->refused_tile])
			s->refused_tile = t;
	s->resume = r->resume;
	s->resumed = r->n_done;
	s->sim_sops = s->st.ev.sops - r->done_sops;
	s->sim_cycles = s->st.cycles - r->done_cycles;
	s->clock_mhz = a->chip.clock_mhz;
	s->lat_min = UINT64_MAX;
	s->lat_max = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t l = res[i].out_cycle - res[i].in_cycle;

		sum += l;
		s->lat_min = l < s->lat_min ? l : s->lat_min;
		s->lat_max = l > s->lat_max ? l : s->lat_max;
	}
	s->lat_mean = (double)sum / n;
	/* steady state: the second halves of the segments (merge_segment) */
	if (r->seg_span_n > 0)
		s->interval = (double)r->seg_span_cycles / r->seg_span_n;
	else
		s->interval = s->lat_mean;
	s->throughput = s->interval > 0 ? a->chip.clock_mhz * 1e6 / s->interval : 0;
	s->paper_pj = PAPER_MAC_PJ * (double)s->st.ev.encoder_macs +
		      PAPER_AC_PJ * (double)(s->st.ev.sops + s->st.ev.attention_ops);
	s->core_sop_pj = a->energy.syn_add_pj + img->weight_bits * a->energy.weight_read_pj;
	s->busy_x = (s->st.noc.busiest_link / 5) % img->mesh_x;
	s->busy_y = (s->st.noc.busiest_link / 5) / img->mesh_x;
	s->busy_dir = port_names[s->st.noc.busiest_link % 5];
	s->unit_x = img->tiles[s->st.busiest_tile].x;
	s->unit_y = img->tiles[s->st.busiest_tile].y;
	s->unit_kind = spk_image_tile_kind_name(img->tiles[s->st.busiest_tile].kind);
}

static double per_sop(double pj, uint64_t sops)
{
	return sops > 0 ? pj / (double)sops : 0;
}

/* Whether the compiler gave tile t's unit any work (an unused tile's unit stays idle). */
static bool tile_used(const struct spk_image *img, uint32_t t)
{
	const struct spk_image_tile *tl = &img->tiles[t];

	switch (tl->kind) {
	case SPK_TILE_CORE: return tl->n_pieces > 0;
	case SPK_TILE_ATTENTION: return tl->n_attn > 0;
	case SPK_TILE_ENCODER: return tl->encoder != NULL;
	case SPK_TILE_READOUT: return tl->n_means > 0;
	}
	return false;
}

/* A fraction of the simulated time. */
static double share(uint64_t cycles, const struct summary *s)
{
	return s->st.cycles > 0 ? (double)cycles / (double)s->st.cycles : 0;
}

/* Meshes up to this wide get the utilisation map in the text report (the JSON has every tile). */
#define UTIL_MAP_MAX_X 24u

/*
 * The mesh, row y = 0 first: per tile its unit's kind (C core, A attention, E encoder, R
 * readout) and the percentage of the simulated time its input side was busy; "-" unused.
 */
static void report_util_map(FILE *f, const struct summary *s, const struct spk_image *img)
{
	fprintf(f, "unit utilisation     %% of the simulated time each unit's input side was busy "
		"(C core, A attention, E encoder, R readout, - unused)\n");
	if (img->mesh_x > UTIL_MAP_MAX_X) {
		fprintf(f, "                     (a %ux%u mesh: every tile is in the JSON report, "
			"\"tiles\")\n", img->mesh_x, img->mesh_y);
		return;
	}
	fprintf(f, "      x");
	for (uint32_t x = 0; x < img->mesh_x; x++)
		fprintf(f, " %5u", x);
	fputc('\n', f);
	for (uint32_t y = 0; y < img->mesh_y; y++) {
		fprintf(f, "  y %3u", y);
		for (uint32_t x = 0; x < img->mesh_x; x++) {
			uint32_t t = y * img->mesh_x + x;
			double pc = 100 * share(s->busy[t], s);

			if (!tile_used(img, t))
				fprintf(f, "     -");
			else if (pc > 0 && pc < 0.5)
				fprintf(f, "  %c <1", "?CAER"[img->tiles[t].kind % 5]);
			else
				fprintf(f, "  %c%3.0f", "?CAER"[img->tiles[t].kind % 5], pc);
		}
		fputc('\n', f);
	}
}

/* Runs up to this many images list every image in the text report (all in the JSON). */
#define TEXT_IMAGES_MAX 20u

static void report_text_images(FILE *f, const struct summary *s)
{
	if (s->n > TEXT_IMAGES_MAX) {
		fprintf(f, "image results        class, label, in and out cycle and latency of "
			"every image: the JSON report (--json), \"per_image\"\n");
		return;
	}
	fprintf(f, "image results        image  class  label  correct      in cycle     out cycle"
		"      latency\n");
	for (uint32_t i = 0; i < s->n; i++) {
		const struct spk_chip_result *r = &s->res[i];
		char label[16] = "-";

		if (s->labels != NULL)
			snprintf(label, sizeof(label), "%u", s->labels[i]);
		fprintf(f, "                     %5u  %5u  %5s  %7s  %12llu  %12llu  %11llu\n", i,
			r->cls, label, s->labels == NULL ? "-" : s->labels[i] == r->cls ? "yes" : "no",
			(unsigned long long)r->in_cycle, (unsigned long long)r->out_cycle,
			(unsigned long long)(r->out_cycle - r->in_cycle));
	}
}

static void report_text(FILE *f, const struct summary *s, const struct sim_opts *o,
			const struct spk_image *img)
{
	const struct spk_chip_stats *st = &s->st;
	const struct spk_chip_energy *e = &st->energy;
	double n = s->n, us = 1.0 / s->clock_mhz;
	uint64_t pk = st->noc.packets_delivered;

	fprintf(f, "chip image %s (%s, %ux%u mesh, T=%u), %u images of %s\n", o->image,
		img->model_config, img->mesh_x, img->mesh_y, img->time_steps, s->n, o->data);
	if (s->have_acc)
		fprintf(f, "accuracy             %.2f %%\n", 100 * s->accuracy);
	if (s->checked)
		fprintf(f, "check                %s (%llu mismatches)\n",
			s->mismatches ? "FAILED" : "spike for spike equal to the integer reference",
			(unsigned long long)s->mismatches);
	fprintf(f, "latency              mean %.1f cycles (%.2f us), min %llu, max %llu\n",
		s->lat_mean, s->lat_mean * us, (unsigned long long)s->lat_min,
		(unsigned long long)s->lat_max);
	fprintf(f, "throughput           %.1f images/s (one every %.1f cycles at %.0f MHz)\n",
		s->throughput, s->interval, s->clock_mhz);
	fprintf(f, "simulated time       %llu cycles (%.3f ms), %u segment%s of up to %u images, "
		"each from an empty chip\n", (unsigned long long)st->cycles, st->cycles * us / 1e3,
		s->n_segs, s->n_segs == 1 ? "" : "s", s->seg);
	fprintf(f, "per image            %.0f SOPs, %.0f attention ops, %.0f encoder MACs, "
		"%.0f spikes\n", st->ev.sops / n, st->ev.attention_ops / n,
		st->ev.encoder_macs / n, st->spikes / n);
	fprintf(f, "energy per image     %.4f uJ (dynamic %.4f uJ, static %.4f uJ)\n",
		e->total / n * 1e-6, e->dynamic / n * 1e-6, e->static_ / n * 1e-6);
	fprintf(f, "  synaptic adds      %.4f uJ\n", e->syn_add / n * 1e-6);
	fprintf(f, "  weight reads       %.4f uJ\n", e->weight_read / n * 1e-6);
	fprintf(f, "  neuron updates     %.4f uJ\n", e->neuron / n * 1e-6);
	fprintf(f, "  spikes/packets out %.4f uJ\n", e->spike_out / n * 1e-6);
	fprintf(f, "  router hops        %.4f uJ\n", e->router / n * 1e-6);
	fprintf(f, "  links              %.4f uJ\n", e->link / n * 1e-6);
	fprintf(f, "  attention          %.4f uJ\n", e->attention / n * 1e-6);
	fprintf(f, "  encoder            %.4f uJ\n", e->encoder / n * 1e-6);
	fprintf(f, "  static             %.4f uJ\n", e->static_ / n * 1e-6);
	fprintf(f, "pJ/SOP               %.3f dynamic, %.3f total (one synaptic op in a core: "
		"%.3f pJ)\n", per_sop(e->dynamic, st->ev.sops), per_sop(e->total, st->ev.sops),
		s->core_sop_pj);
	fprintf(f, "paper's formula      %.4f uJ per image (4.6 pJ/MAC, 0.9 pJ/AC, 45 nm)\n",
		s->paper_pj / n * 1e-6);
	fprintf(f, "NoC                  %llu packets, %llu hops, latency mean %.1f max %llu "
		"cycles, %llu stall cycles\n", (unsigned long long)pk,
		(unsigned long long)st->noc.hops,
		pk ? (double)st->noc.latency_sum / pk : 0,
		(unsigned long long)st->noc.latency_max, (unsigned long long)st->noc.stall_cycles);
	if (st->noc.busiest_link_flits > 0)
		fprintf(f, "busiest link         (%u,%u) %s: %llu flits (%.1f %% of the simulated "
			"time)\n", s->busy_x, s->busy_y, s->busy_dir,
			(unsigned long long)st->noc.busiest_link_flits,
			100 * share(st->noc.busiest_link_flits, s));
	if (st->busiest_cycles > 0)
		fprintf(f, "busiest unit         %s (%u,%u): input busy %llu cycles (%.1f %% of the "
			"run)\n", s->unit_kind, s->unit_x, s->unit_y,
			(unsigned long long)st->busiest_cycles,
			st->cycles ? 100.0 * st->busiest_cycles / st->cycles : 0);
	if (s->refused[s->refused_tile] > 0) {
		const struct spk_image_tile *tl = &img->tiles[s->refused_tile];

		fprintf(f, "most held-back NI    %s (%u,%u): %llu offers refused (%.1f %% of the "
			"simulated time)\n", spk_image_tile_kind_name(tl->kind), tl->x, tl->y,
			(unsigned long long)s->refused[s->refused_tile],
			100 * share(s->refused[s->refused_tile], s));
	}
	report_util_map(f, s, img);
	report_text_images(f, s);
	fprintf(f, "simulator            %s engine, %.3f s, %.0f SOPs/s, %.0f cycles/s, %llu unit "
		"evaluations, %u job%s\n", s->systemc ? "systemc" : "native", s->wall,
		s->wall > 0 ? s->sim_sops / s->wall : 0,
		s->wall > 0 ? s->sim_cycles / s->wall : 0, (unsigned long long)st->unit_evals,
		s->jobs, s->jobs == 1 ? "" : "s");
	if (s->resume != NULL)
		fprintf(f, "resumed              %u of %u segments from %s (the speed above is that "
			"of the other %u)\n", s->resumed, s->n_segs, s->resume,
			s->n_segs - s->resumed);
}

/* One number per image, on one line. */
static void json_image_column(struct spk_jsonw *j, const struct summary *s, const char *key,
			      int col)
{
	spk_jsonw_key(j, key);
	spk_jsonw_array_inline(j);
	for (uint32_t i = 0; i < s->n; i++) {
		const struct spk_chip_result *r = &s->res[i];

		spk_jsonw_uint(j, col == 0 ? r->cls : col == 1 ? s->labels[i] : col == 2 ?
			       r->in_cycle : col == 3 ? r->out_cycle : r->out_cycle - r->in_cycle);
	}
	spk_jsonw_end(j);
}

/*
 * "per_image": columns of one number per image, in image order: the predicted class, the label
 * (null without labels), the in and class-out cycles within the image's segment, the latency.
 */
static void report_json_images(struct spk_jsonw *j, const struct summary *s)
{
	spk_jsonw_key(j, "per_image");
	spk_jsonw_object(j);
	json_image_column(j, s, "class", 0);
	if (s->labels != NULL) {
		json_image_column(j, s, "label", 1);
	} else {
		spk_jsonw_key_null(j, "label");
	}
	json_image_column(j, s, "in_cycle", 2);
	json_image_column(j, s, "out_cycle", 3);
	json_image_column(j, s, "latency_cycles", 4);
	spk_jsonw_end(j);
}

static void report_json(struct spk_jsonw *j, const struct summary *s, const struct sim_opts *o,
			const struct spk_image *img)
{
	const struct spk_chip_stats *st = &s->st;
	const struct spk_chip_energy *e = &st->energy;
	double n = s->n;
	uint64_t pk = st->noc.packets_delivered;

	spk_jsonw_object(j);
	spk_jsonw_key_str(j, "image_file", o->image);
	spk_jsonw_key_str(j, "config", img->model_config);
	spk_jsonw_key_str(j, "data", o->data);
	spk_jsonw_key_uint(j, "images", s->n);
	spk_jsonw_key(j, "accuracy");
	if (s->have_acc)
		spk_jsonw_real(j, s->accuracy);
	else
		spk_jsonw_null(j);
	spk_jsonw_key_bool(j, "checked", s->checked);
	spk_jsonw_key_uint(j, "mismatches", s->mismatches);
	spk_jsonw_key_real(j, "clock_mhz", s->clock_mhz);
	spk_jsonw_key_uint(j, "cycles", st->cycles);
	spk_jsonw_key_uint(j, "segment_images", s->seg);
	spk_jsonw_key_uint(j, "segments", s->n_segs);
	spk_jsonw_key_real(j, "latency_cycles_mean", s->lat_mean);
	spk_jsonw_key_uint(j, "latency_cycles_min", s->lat_min);
	spk_jsonw_key_uint(j, "latency_cycles_max", s->lat_max);
	spk_jsonw_key_real(j, "latency_us_mean", s->lat_mean / s->clock_mhz);
	spk_jsonw_key_real(j, "interval_cycles", s->interval);
	spk_jsonw_key_real(j, "throughput_images_per_s", s->throughput);
	spk_jsonw_key_real(j, "sops_per_image", st->ev.sops / n);
	spk_jsonw_key_real(j, "attention_ops_per_image", st->ev.attention_ops / n);
	spk_jsonw_key_real(j, "encoder_macs_per_image", st->ev.encoder_macs / n);
	spk_jsonw_key_real(j, "spikes_per_image", st->spikes / n);
	spk_jsonw_key_real(j, "energy_uj_per_image", e->total / n * 1e-6);
	spk_jsonw_key(j, "energy_breakdown_uj_per_image");
	spk_jsonw_object(j);
	spk_jsonw_key_real(j, "synaptic_adds", e->syn_add / n * 1e-6);
	spk_jsonw_key_real(j, "weight_reads", e->weight_read / n * 1e-6);
	spk_jsonw_key_real(j, "neuron_updates", e->neuron / n * 1e-6);
	spk_jsonw_key_real(j, "spikes", e->spike_out / n * 1e-6);
	spk_jsonw_key_real(j, "router_hops", e->router / n * 1e-6);
	spk_jsonw_key_real(j, "links", e->link / n * 1e-6);
	spk_jsonw_key_real(j, "attention", e->attention / n * 1e-6);
	spk_jsonw_key_real(j, "encoder", e->encoder / n * 1e-6);
	spk_jsonw_key_real(j, "static", e->static_ / n * 1e-6);
	spk_jsonw_end(j);
	spk_jsonw_key_real(j, "energy_dynamic_uj_per_image", e->dynamic / n * 1e-6);
	spk_jsonw_key_real(j, "pj_per_sop", per_sop(e->dynamic, st->ev.sops));
	spk_jsonw_key_real(j, "pj_per_sop_total", per_sop(e->total, st->ev.sops));
	spk_jsonw_key_real(j, "pj_per_sop_core", s->core_sop_pj);
	spk_jsonw_key_real(j, "paper_energy_uj_per_image", s->paper_pj / n * 1e-6);
	spk_jsonw_key(j, "noc");
	spk_jsonw_object(j);
	spk_jsonw_key_uint(j, "packets", pk);
	spk_jsonw_key_uint(j, "flits", st->noc.flits_delivered);
	spk_jsonw_key_uint(j, "hops", st->noc.hops);
	spk_jsonw_key_real(j, "latency_mean", pk ? (double)st->noc.latency_sum / pk : 0);
	spk_jsonw_key_uint(j, "latency_max", st->noc.latency_max);
	spk_jsonw_key_uint(j, "stall_cycles", st->noc.stall_cycles);
	spk_jsonw_key_uint(j, "inject_refused", st->noc.inject_refused);
	spk_jsonw_key_uint(j, "router_flits", st->noc.router_flits);
	spk_jsonw_key_uint(j, "link_flits", st->noc.link_flits);
	spk_jsonw_key(j, "busiest_link");
	if (st->noc.busiest_link_flits > 0) {
		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "x", s->busy_x);
		spk_jsonw_key_uint(j, "y", s->busy_y);
		spk_jsonw_key_str(j, "direction", s->busy_dir);
		spk_jsonw_key_uint(j, "flits", st->noc.busiest_link_flits);
		spk_jsonw_end(j);
	} else {
		spk_jsonw_null(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_key(j, "busiest_unit");
	spk_jsonw_object(j);
	spk_jsonw_key_str(j, "kind", s->unit_kind);
	spk_jsonw_key_uint(j, "x", s->unit_x);
	spk_jsonw_key_uint(j, "y", s->unit_y);
	spk_jsonw_key_uint(j, "busy_cycles", st->busiest_cycles);
	spk_jsonw_end(j);
	report_json_images(j, s);
	spk_jsonw_key(j, "tiles");
	spk_jsonw_array(j);
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const uint64_t *l = s->links + (size_t)t * 5;

		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "x", img->tiles[t].x);
		spk_jsonw_key_uint(j, "y", img->tiles[t].y);
		spk_jsonw_key_str(j, "kind", spk_image_tile_kind_name(img->tiles[t].kind));
		spk_jsonw_key_bool(j, "used", tile_used(img, t));
		spk_jsonw_key_uint(j, "busy_cycles", s->busy[t]);
		spk_jsonw_key_real(j, "utilisation", share(s->busy[t], s));
		spk_jsonw_key_uint(j, "ni_refused", s->refused[t]);
		spk_jsonw_key(j, "flits_out");
		spk_jsonw_object(j);
		for (unsigned p = 0; p < 5; p++) {
			spk_jsonw_key_uint(j, port_names[p], l[p]);
		}
		spk_jsonw_end(j);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_key_uint(j, "graded_clamped", st->graded_clamped);
	spk_jsonw_key_uint(j, "counter_overflows", st->counter_overflows);
	spk_jsonw_key_uint(j, "unit_evals", st->unit_evals);
	spk_jsonw_key_str(j, "engine", s->systemc ? "systemc" : "native");
	spk_jsonw_key_real(j, "sim_wall_s", s->wall);
	spk_jsonw_key_real(j, "sim_sops_per_s", s->wall > 0 ? s->sim_sops / s->wall : 0);
	spk_jsonw_key_real(j, "sim_cycles_per_s", s->wall > 0 ? s->sim_cycles / s->wall : 0);
	spk_jsonw_key_uint(j, "resumed_segments", s->resumed);
	spk_jsonw_end(j);
}

int spk_sim_main(int argc, char **argv)
{
	struct sim_opts o = { 0 };
	char err[ERRLEN], arch_buf[PATH_MAX];
	struct spk_arch arch;
	struct spk_image *img = NULL;
	struct spk_model *m = NULL;
	struct spk_qmodel *q = NULL;
	struct spk_dataset ds = { 0 };
	struct spk_chip *chip = NULL;
	struct spk_chip_result *res = NULL;
	struct spk_outfile json_out = { 0 };
	struct sim_run run = { 0 };
	struct summary sum = { 0 };
	uint8_t *pixels = NULL;
	int rc, ret = SPK_EXIT_USAGE;

	rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? SPK_EXIT_OK : rc;
	img = spk_image_load(o.image, err, sizeof(err));
	if (img == NULL) {
		spk_error("%s", err);
		goto out;
	}
	if (o.arch == NULL) {
		if (spk_data_path("arch/default.ini", arch_buf, sizeof(arch_buf)) < 0) {
			spk_error("sim: the default architecture is missing (looked for '%s'); "
				  "give one with --arch", arch_buf);
			goto out;
		}
		o.arch = arch_buf;
	} else {
		spk_arch_resolve(o.arch, arch_buf, sizeof(arch_buf));
		o.arch = arch_buf;
	}
	if (spk_arch_load(&arch, o.arch, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		goto out;
	}
	if (spk_image_check_arch(img, &arch, err, sizeof(err)) < 0) {
		spk_error("%s: built for another architecture than %s: %s", o.image, o.arch, err);
		goto out;
	}
	if (o.model != NULL) {
		uint32_t crc;

		m = spk_model_load(o.model, err, sizeof(err));
		if (m == NULL) {
			spk_error("%s", err);
			goto out;
		}
		if (spk_trace_file_crc32(o.model, &crc, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			goto out;
		}
		if (img->model_crc32 != 0 && crc != img->model_crc32) {
			spk_error("%s: not the model %s was compiled from (CRC-32 %08x, the image "
				  "records %08x)", o.model, o.image, crc, img->model_crc32);
			goto out;
		}
		if (m->n_pops != img->n_pops || m->classes != img->classes) {
			spk_error("%s: populations or classes differ from %s", o.model, o.image);
			goto out;
		}
	}
	if (load_data(&ds, &o, m, img) < 0)
		goto out;
	/* every segment builds its own chip; this one only checks that the image can be built */
	chip = spk_chip_create(img, &arch, err, sizeof(err));
	if (chip == NULL) {
		spk_error("%s: %s", o.image, err);
		goto out;
	}
	spk_chip_destroy(chip);
	chip = NULL;
	run.img = img;
	run.arch = &arch;
	run.n = ds.n;
	run.seg = o.segment;
	run.n_segs = (uint32_t)(((uint64_t)ds.n + o.segment - 1) / o.segment);
	run.jobs = o.jobs < run.n_segs ? o.jobs : run.n_segs;
	run.systemc = o.systemc;
	run.image_bytes = spk_dataset_image_size(&ds);
	run.labels = ds.labels;
	run.show = isatty(STDERR_FILENO);
	pixels = malloc((size_t)ds.n * run.image_bytes);
	res = calloc(ds.n, sizeof(*res));
	run.res = res;
	run.link_sum = calloc((size_t)img->n_tiles * 5, sizeof(*run.link_sum));
	run.busy_sum = calloc(img->n_tiles, sizeof(*run.busy_sum));
	run.refused_sum = calloc(img->n_tiles, sizeof(*run.refused_sum));
	if (pixels == NULL || res == NULL || run.link_sum == NULL || run.busy_sum == NULL ||
	    run.refused_sum == NULL) {
		spk_error("sim: out of memory for %u images", ds.n);
		goto out;
	}
	for (uint32_t i = 0; i < ds.n; i++)
		spk_dataset_image_u8(&ds, i, pixels + (size_t)i * run.image_bytes);
	run.pixels = pixels;
	if (o.resume != NULL && (ret = open_resume(&run, &o)) != 0)
		goto out;
	ret = SPK_EXIT_USAGE;
	if (o.check) {
		q = spk_quant_create(m, img->weight_bits, img->membrane_bits, err, sizeof(err));
		if (q == NULL) {
			spk_error("%s: cannot quantize: %s", o.model, err);
			goto out;
		}
		run.ref = spk_ref_create(m, q, img->time_steps, err, sizeof(err));
		run.off = calloc(img->n_pops, sizeof(*run.off));
		if (run.ref == NULL || run.off == NULL) {
			spk_error("sim: out of memory");
			goto out;
		}
		for (uint32_t p = 0; p < img->n_pops; p++) {
			run.off[p] = run.per_t;
			run.per_t += img->pops[p].neurons;
		}
		run.golden = calloc(run.per_t * img->time_steps, 1);
		if (run.golden == NULL) {
			spk_error("sim: out of memory");
			goto out;
		}
		spk_ref_set_spike_hook(run.ref, ref_hook, &run);
	}
	if (o.trace != NULL && (run.trace_out = open_trace(o.trace, img)) == NULL)
		goto out;
	if (o.trace != NULL && o.resume != NULL) {
		run.part_dir = strdup(o.resume);	/* the parts stay with the results */
		if (run.part_dir == NULL) {
			spk_error("sim: out of memory");
			goto out;
		}
	} else if (o.trace != NULL && run.jobs > 1) {
		size_t l = strlen(o.trace) + sizeof(".parts.XXXXXX");

		run.part_dir = malloc(l);
		if (run.part_dir == NULL) {
			spk_error("sim: out of memory");
			goto out;
		}
		snprintf(run.part_dir, l, "%s.parts.XXXXXX", o.trace);
		if (mkdtemp(run.part_dir) == NULL) {
			spk_error("%s: cannot create a directory for the part traces: %s",
				  run.part_dir, strerror(errno));
			free(run.part_dir);
			run.part_dir = NULL;
			goto out;
		}
	}
	if (o.json != NULL && spk_outfile_open(&json_out, o.json, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		goto out;
	}
	run.t0 = spk_now();
	spk_progress_init(&run.bar, run.n - run.done_images);
	{
		static const struct spk_jobs_ops ops = {
			.run = run_segment, .merge = merge_segment, .progress = jobs_progress,
			.item_name = "segment",
		};
		struct spk_jobs_failure fail;

		if (spk_jobs_run(run.n_segs, run.jobs, &ops, &run, &fail) < 0) {
			if (run.show)
				fputc('\n', stderr);
			ret = fail.status;
			spk_error("%s: %s", o.image, fail.msg);
			goto out;
		}
	}
	sum.wall = spk_now() - run.t0;
	summarise(&sum, &run, img, &arch, res, ds.n);
	sum.checked = o.check;
	sum.mismatches = 0;
	sum.have_acc = ds.labels != NULL;
	for (uint32_t i = 0; ds.labels != NULL && i < ds.n; i++)
		run.correct += res[i].cls == ds.labels[i];
	sum.accuracy = (double)run.correct / ds.n;
	if (json_out.f != NULL) {
		struct spk_jsonw j;

		spk_jsonw_init(&j, json_out.f);
		report_json(&j, &sum, &o, img);
		spk_jsonw_finish(&j);
	}
	if (run.trace_out != NULL) {
		spk_trace_writer *w = run.trace_out;

		run.trace_out = NULL;
		if (spk_trace_writer_close(w, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			ret = SPK_EXIT_FAIL;
			goto out;
		}
	}
	if (json_out.f != NULL && spk_outfile_commit(&json_out, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		ret = SPK_EXIT_FAIL;
		goto out;
	}
	report_text(stdout, &sum, &o, img);
	ret = SPK_EXIT_OK;
	if (sum.st.graded_clamped > 0 || sum.st.counter_overflows > 0) {
		spk_error("%s: the chip cannot hold this network's values: %llu graded values "
			  "clamped to 32 bits, %llu attention counts beyond %d bits", o.image,
			  (unsigned long long)sum.st.graded_clamped,
			  (unsigned long long)sum.st.counter_overflows, img->counter_bits);
		ret = SPK_EXIT_FAIL;
	}
out:
	spk_trace_writer_abort(run.trace_out);
	if (run.part_dir != NULL && run.resume == NULL)
		remove_part_dir(run.part_dir);
	free(run.part_dir);
	for (uint32_t k = 0; run.done != NULL && k < run.n_segs; k++)
		free(run.done[k]);
	free(run.done);
	free(run.busy_sum);
	free(run.refused_sum);
	free(run.link_sum);
	spk_outfile_abort(&json_out);
	free(run.golden);
	free(run.off);
	spk_ref_destroy(run.ref);
	free(res);
	free(pixels);
	spk_chip_destroy(chip);
	spk_dataset_fini(&ds);
	spk_quant_destroy(q);
	spk_model_destroy(m);
	spk_image_destroy(img);
	return ret;
}
