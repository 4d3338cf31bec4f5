/*
 * map_cmd.c — `spikechip map`: compile a model file for a chip architecture into a chip image,
 * with a mapping report, and optionally verify the image against the integer reference.
 *
 * Order of work: parse options; load the model, the arch and (for --verify) the data; quantize;
 * run the passes (a network that does not fit is a message naming the resource, the layer,
 * needed vs available and the parameter to change, and exit status 3); emit the image; with
 * [noc] multicast = tree, check that every head flit's payload fits
 * (spk_image_check_mc_payload(), exit status 3 otherwise); serialise the image; with --verify,
 * parse the serialised bytes back (exactly what the file will hold) and run them, tile by tile, against the integer reference on N images, spike for spike. Only then
 * are the image and the JSON report committed (each written to a temporary file and renamed),
 * so a failure leaves no image behind. A divergence is exit status 1 (the report is written, the
 * image is not).
 */
#include "config.h"

#include "arch/arch.h"
#include "cli/commands.h"
#include "data/idx.h"
#include "image/image.h"
#include "mapper/emit.h"
#include "mapper/exec.h"
#include "mapper/map.h"
#include "mapper/profile.h"
#include "mapper/report.h"
#include "models/model.h"
#include "models/quant.h"
#include "models/ref.h"
#include "traces/trace.h"
#include "util/jsonw.h"
#include "util/outfile.h"
#include "util/util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERRLEN 1024

struct map_opts {
	const char *model;
	const char *arch;
	const char *out;
	const char *report;
	const char *data;
	const char *labels;
	const char *profile;	/* --profile: measured firing rates, or NULL */
	uint32_t verify;	/* images; 0: no verification */
	uint32_t seed;
	enum spk_map_placer placer;
	enum spk_map_cost cost;
	enum spk_map_split split;
};

static void map_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip map --model FILE --arch FILE --out IMAGE [--report FILE]\n"
		"                     [--verify N [--data IDX [--labels IDX]]] [--seed S]\n"
		"                     [--placer greedy|scotch] [--cost sum|tree|maxlink]\n"
		"                     [--profile RESULT.json] [--split channels|auto]\n"
		"\n"
		"Compiles a model file onto a chip architecture: partitions every layer into\n"
		"core-sized pieces, assigns attention, encoder and readout units, routes spikes and\n"
		"places everything on the mesh, then writes the chip image (.spki) and prints a\n"
		"mapping report (doc/mapper.md). A network that does not fit is reported with the\n"
		"resource, the layer, needed vs available and the parameter to change (exit 3).\n"
		"\n"
		"options:\n"
		"  --model FILE    model file (.spkm) to compile (required)\n"
		"  --arch FILE     chip architecture (INI file, or a preset name: small, default,\n"
		"                  large) (required)\n"
		"  --out IMAGE     chip image to write (required)\n"
		"  --report FILE   also write the mapping report as JSON\n"
		"  --verify N      run the image tile by tile on the first N images and require\n"
		"                  spike-for-spike equality with the integer reference (exit 1 and\n"
		"                  the first divergence otherwise)\n"
		"  --data IDX      images for --verify (default: Fashion-MNIST test set in %s)\n"
		"  --labels IDX    labels for --data (to report the chip's accuracy)\n"
		"  --seed S        placement seed (default 1); same inputs and seed, same image\n"
		"  --placer P      first placement before the swaps: greedy (constructive, the\n"
		"                  default) or scotch (Scotch's graph mapping onto the mesh)\n"
		"  --cost C        what the swaps minimise: sum (events x hops, one path per\n"
		"                  destination; the default), tree (with [noc] multicast = tree:\n"
		"                  a reader's spikes cost their XY tree's links) or maxlink (the\n"
		"                  busiest link's load first, then the sum)\n"
		"  --split S       how layers are cut into pieces: auto (per layer the channel\n"
		"                  groups x row bands that send the fewest expected packets;\n"
		"                  bands replicate kernels; the default) or channels (channel\n"
		"                  groups, row bands only where a channel's rows overflow a core)\n"
		"  --profile FILE  firing rates per population from a 'spikechip ref --json'\n"
		"                  report of this model (default: 15 %% everywhere)\n"
		"  -h, --help      show this help\n"
		"\n"
		"exit status: 0 mapped (and verified), 1 the image diverges from the reference,\n"
		"2 bad option or input file, 3 the model does not fit the chip.\n",
		SPK_FMNIST_DIR);
}

static int parse_opts(int argc, char **argv, struct map_opts *o)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "arch", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "report", required_argument, NULL, 'r' },
		{ "verify", required_argument, NULL, 'v' },
		{ "data", required_argument, NULL, 'd' },
		{ "labels", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "placer", required_argument, NULL, 'P' },
		{ "cost", required_argument, NULL, 'C' },
		{ "profile", required_argument, NULL, 'p' },
		{ "split", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	opterr = 0;
	optind = 1;
	o->seed = 1;
	o->split = SPK_SPLIT_AUTO;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 'a': o->arch = optarg; break;
		case 'o': o->out = optarg; break;
		case 'r': o->report = optarg; break;
		case 'd': o->data = optarg; break;
		case 'l': o->labels = optarg; break;
		case 'v':
			if (spk_opt_images("map", "--verify", optarg, &o->verify))
				return SPK_EXIT_USAGE;
			break;
		case 's':
			if (spk_parse_long(optarg, 0, UINT32_MAX, &v) < 0) {
				spk_error("map: --seed '%s' is not a number (0..%u)", optarg,
					  UINT32_MAX);
				return SPK_EXIT_USAGE;
			}
			o->seed = (uint32_t)v;
			break;
		case 'P':
			if (strcmp(optarg, "greedy") == 0) {
				o->placer = SPK_PLACER_GREEDY;
			} else if (strcmp(optarg, "scotch") == 0) {
				o->placer = SPK_PLACER_SCOTCH;
			} else {
				spk_error("map: --placer '%s' is not greedy or scotch", optarg);
				return SPK_EXIT_USAGE;
			}
			break;
		case 'C':
			if (strcmp(optarg, "sum") == 0) {
				o->cost = SPK_COST_SUM;
			} else if (strcmp(optarg, "tree") == 0) {
				o->cost = SPK_COST_TREE;
			} else if (strcmp(optarg, "maxlink") == 0) {
				o->cost = SPK_COST_MAXLINK;
			} else {
				spk_error("map: --cost '%s' is not sum, tree or maxlink", optarg);
				return SPK_EXIT_USAGE;
			}
			break;
		case 'S':
			if (strcmp(optarg, "channels") == 0) {
				o->split = SPK_SPLIT_CHANNELS;
			} else if (strcmp(optarg, "auto") == 0) {
				o->split = SPK_SPLIT_AUTO;
			} else {
				spk_error("map: --split '%s' is not channels or auto", optarg);
				return SPK_EXIT_USAGE;
			}
			break;
		case 'p': o->profile = optarg; break;
		case 'h':
			map_usage(stdout);
			return -1;
		default:
			return spk_opt_fail("map", c, argv[optind - 1]);
		}
	}
	if (spk_opt_extra("map", optind < argc ? argv[optind] : NULL))
		return SPK_EXIT_USAGE;
	if (o->model == NULL || o->arch == NULL || o->out == NULL) {
		spk_error("map: --model FILE, --arch FILE and --out IMAGE are required; see "
			  "'spikechip map --help'");
		return SPK_EXIT_USAGE;
	}
	if ((o->data != NULL || o->labels != NULL) && o->verify == 0) {
		spk_error("map: --data and --labels are for --verify N");
		return SPK_EXIT_USAGE;
	}
	if (spk_opt_labels("map", o->data, o->labels))
		return SPK_EXIT_USAGE;
	return 0;
}


/* ---- verification ------------------------------------------------------------------------- */

struct verify {
	const struct spk_model *m;
	uint32_t T;
	uint32_t *buf;		/* reference spikes: slot (t, pop) at off[t·P + pop] */
	size_t *off;
	uint32_t *count;
	uint32_t *scratch;	/* chip spikes of one slot (sorted on a divergence) */
	uint32_t *stamp;	/* [largest population]: gen where the reference spiked */
	uint32_t gen;
	uint32_t image;
	char divergence[512];
	bool diverged;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int ref_hook(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	struct verify *v = ctx;
	size_t slot = (size_t)t * v->m->n_pops + pop;
	uint32_t *dst = v->buf + v->off[slot];

	memcpy(dst, ids, n * sizeof(*ids));
	v->count[slot] = (uint32_t)n;
	return 0;
}

static int chip_hook(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	struct verify *v = ctx;
	size_t slot = (size_t)t * v->m->n_pops + pop, i = 0, j = 0;
	uint32_t *ref = v->buf + v->off[slot];
	uint32_t nr = v->count[slot];
	bool same = n == nr;

	/* the fast check: the same count, and every chip spike is a reference spike, once */
	if (same) {
		v->gen++;
		for (uint32_t k = 0; k < nr; k++)
			v->stamp[ref[k]] = v->gen;
		for (size_t k = 0; k < n && same; k++) {
			if (v->stamp[ids[k]] == v->gen)
				v->stamp[ids[k]] = 0;
			else
				same = false;
		}
		if (same)
			return 0;
	}
	qsort(ref, nr, sizeof(*ref), cmp_u32);
	memcpy(v->scratch, ids, n * sizeof(*ids));
	qsort(v->scratch, n, sizeof(*v->scratch), cmp_u32);
	while (i < nr && j < n && ref[i] == v->scratch[j]) {
		i++;
		j++;
	}
	if (i == nr && j == n)
		return 0;
	{
		bool in_ref = j == n || (i < nr && ref[i] < v->scratch[j]);
		uint32_t neuron = in_ref ? ref[i] : v->scratch[j];

		snprintf(v->divergence, sizeof(v->divergence),
			 "first divergence: image %u, timestep %u, population %s: neuron %u spikes "
			 "%s (reference %u spikes, chip %zu)", v->image, t, v->m->pops[pop].name,
			 neuron, in_ref ? "in the reference, not on the chip" :
			 "on the chip, not in the reference", nr, n);
	}
	v->diverged = true;
	return -1;
}

/*
 * Runs the first n images on the reference and on the image's executor. Returns 0 when they
 * agree on every spike and score, 1 on a divergence (message in v->divergence), or an exit
 * status for an input problem.
 */
static int run_verify(const struct map_opts *o, const struct spk_model *m,
		      const struct spk_qmodel *q, struct spk_exec *x,
		      struct spk_map_report_info *info, char *divergence, size_t divlen)
{
	char err[ERRLEN];
	const char *data = o->data, *labels = o->labels;
	struct spk_dataset ds = { 0 };
	struct verify v = { .m = m, .T = m->time_steps };
	struct spk_ref *r = NULL;
	uint8_t *pix = NULL;
	int64_t *score_chip = NULL;
	double *logits = NULL, t0;
	size_t total = 0, maxpop = 1;
	int ret = SPK_EXIT_USAGE;

	if (spk_dataset_load_for_model(&ds, m->in_channels, m->in_height, m->in_width, o->model,
				       &data, &labels, o->verify, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		goto out;
	}
	v.off = malloc((size_t)v.T * m->n_pops * sizeof(*v.off));
	v.count = calloc((size_t)v.T * m->n_pops, sizeof(*v.count));
	if (v.off == NULL || v.count == NULL)
		goto out_nomem;
	for (uint32_t t = 0; t < v.T; t++)
		for (uint32_t p = 0; p < m->n_pops; p++) {
			size_t n = spk_model_pop_neurons(m, p);

			v.off[(size_t)t * m->n_pops + p] = total;
			total += n;
			if (n > maxpop)
				maxpop = n;
		}
	v.buf = malloc((total + 1) * sizeof(*v.buf));
	v.scratch = malloc(maxpop * sizeof(*v.scratch));
	v.stamp = calloc(maxpop, sizeof(*v.stamp));
	pix = malloc(spk_dataset_image_size(&ds));
	logits = malloc(m->classes * sizeof(*logits));
	score_chip = malloc(m->classes * sizeof(*score_chip));
	r = spk_ref_create(m, q, 0, err, sizeof(err));
	if (v.buf == NULL || v.scratch == NULL || v.stamp == NULL || pix == NULL || logits == NULL ||
	    score_chip == NULL || r == NULL)
		goto out_nomem;
	spk_ref_set_spike_hook(r, ref_hook, &v);
	spk_exec_set_spike_hook(x, chip_hook, &v);
	info->verify_labelled = ds.labels != NULL;
	t0 = spk_now();
	for (uint32_t i = 0; i < ds.n; i++) {
		const int64_t *score_ref;
		int pred;

		v.image = i;
		spk_dataset_image_u8(&ds, i, pix);
		spk_ref_run(r, pix, NULL, logits);
		pred = spk_exec_run(x, pix, score_chip);
		info->verify_images = i + 1;
		if (pred < 0)
			break;
		score_ref = spk_ref_scores(r);
		for (uint32_t k = 0; k < m->classes && !v.diverged; k++) {
			if (score_ref[k] != score_chip[k]) {
				snprintf(v.divergence, sizeof(v.divergence),
					 "first divergence: image %u: class %u scores %lld on the chip, "
					 "%lld in the reference", i, k, (long long)score_chip[k],
					 (long long)score_ref[k]);
				v.diverged = true;
			}
		}
		if (v.diverged)
			break;
		if (ds.labels != NULL && (uint32_t)pred == ds.labels[i])
			info->verify_correct++;
	}
	info->verify_seconds = spk_now() - t0;
	info->verify_passed = !v.diverged;
	if (v.diverged) {
		snprintf(divergence, divlen, "%s", v.divergence);
		info->verify_divergence = divergence;
		ret = SPK_EXIT_FAIL;
	} else {
		ret = SPK_EXIT_OK;
	}
	goto out;
out_nomem:
	spk_error("map: out of memory for the verification");
out:
	spk_ref_destroy(r);
	free(score_chip);
	free(logits);
	free(pix);
	free(v.scratch);
	free(v.stamp);
	free(v.buf);
	free(v.count);
	free(v.off);
	spk_dataset_fini(&ds);
	return ret;
}

/* ---- the command -------------------------------------------------------------------------- */

static int write_file(const char *path, const void *bytes, size_t len)
{
	struct spk_outfile f = { 0 };
	char err[ERRLEN];

	if (spk_outfile_open(&f, path, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return -1;
	}
	if (fwrite(bytes, 1, len, f.f) != len) {
		spk_error("%s: cannot write: %s", path, strerror(errno));
		spk_outfile_abort(&f);
		return -1;
	}
	if (spk_outfile_commit(&f, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return -1;
	}
	return 0;
}

static int write_report(const char *path, const struct spk_map *map,
			const struct spk_map_report_info *info)
{
	struct spk_outfile f = { 0 };
	struct spk_jsonw j;
	char err[ERRLEN];

	if (spk_outfile_open(&f, path, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return -1;
	}
	spk_jsonw_init(&j, f.f);
	if (spk_map_report_json(&j, map, info) < 0) {
		spk_outfile_abort(&f);
		spk_error("%s: out of memory writing the mapping report", path);
		return -1;
	}
	spk_jsonw_finish(&j);
	if (spk_outfile_commit(&f, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return -1;
	}
	return 0;
}

int spk_map_main(int argc, char **argv)
{
	struct map_opts o = { 0 };
	char err[ERRLEN], arch_path[PATH_MAX], divergence[512];
	struct spk_arch arch;
	struct spk_model *m = NULL;
	struct spk_qmodel *q = NULL;
	struct spk_map *map = NULL;
	struct spk_image *img = NULL, *back = NULL;
	struct spk_exec *x = NULL;
	struct spk_map_report_info info = { 0 };
	void *file = NULL;
	size_t len = 0;
	uint32_t crc = 0;
	double t0;
	int rc, ret = SPK_EXIT_USAGE;

	rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? SPK_EXIT_OK : rc;
	spk_arch_resolve(o.arch, arch_path, sizeof(arch_path));
	m = spk_model_load(o.model, err, sizeof(err));
	if (m == NULL) {
		spk_error("%s", err);
		goto out;
	}
	if (spk_arch_load(&arch, arch_path, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		goto out;
	}
	if (spk_file_crc32(o.model, &crc, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		goto out;
	}
	q = spk_quant_create(m, arch.core.weight_bits, arch.core.membrane_bits, err, sizeof(err));
	if (q == NULL) {
		spk_error("%s: cannot quantize for %s: %s", o.model, arch_path, err);
		goto out;
	}

	t0 = spk_now();
	map = spk_map_create(m, q, &arch, o.seed);
	if (map == NULL) {
		spk_error("map: out of memory");
		goto out;
	}
	map->placer = o.placer;
	map->cost_kind = o.cost;
	map->split = o.split;
	if (o.cost == SPK_COST_TREE && !map->tree) {
		spk_error("map: --cost tree is for a chip with [noc] multicast = tree (%s has "
			  "source replication)", arch_path);
		goto out;
	}
	if (o.profile != NULL) {
		map->pop_rate = malloc((m->n_pops + 1) * sizeof(*map->pop_rate));
		if (map->pop_rate == NULL) {
			spk_error("map: out of memory");
			goto out;
		}
		if (spk_profile_load(o.profile, m, o.model, map->pop_rate, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			goto out;
		}
	}
	rc = spk_map_compile(map);
	if (rc == -ENOSPC) {
		spk_map_fail_message(map, err, sizeof(err));
		spk_error("%s onto %s: %s", o.model, arch_path, err);
		ret = SPK_EXIT_NOFIT;
		goto out;
	}
	if (rc == -EIO) {
		spk_error("map: Scotch could not place %s onto %s (its message is above)", o.model,
			  arch_path);
		goto out;
	}
	if (rc < 0) {
		spk_error("map: out of memory while mapping");
		goto out;
	}
	img = spk_emit_image(map, crc, err, sizeof(err));
	if (img == NULL) {
		spk_error("map: %s", err);
		goto out;
	}
	if (arch.noc.multicast == SPK_MULTICAST_TREE) {
		/* the head flit of a tree-multicast chip holds less payload */
		struct spk_image_mc mc;

		if (spk_image_mc_groups(img, &mc) < 0) {
			spk_error("map: out of memory while grouping routes");
			goto out;
		}
		rc = spk_image_check_mc_payload(img, &arch, &mc, err, sizeof(err));
		spk_image_mc_fini(&mc);
		if (rc == -ENOSPC) {
			spk_error("%s onto %s: does not fit: %s", o.model, arch_path, err);
			ret = SPK_EXIT_NOFIT;
			goto out;
		}
		if (rc < 0) {
			spk_error("map: %s", err);
			goto out;
		}
	}
	file = spk_image_serialize(img, &len, err, sizeof(err));
	if (file == NULL) {
		spk_error("%s: %s", o.out, err);
		goto out;
	}
	info.map_seconds = spk_now() - t0;
	info.model_path = o.model;
	info.arch_path = arch_path;
	info.image_path = o.out;
	info.image_bytes = len;
	info.profile_path = o.profile;

	ret = SPK_EXIT_OK;
	if (o.verify > 0) {
		back = spk_image_parse(file, len, o.out, err, sizeof(err));
		if (back == NULL) {
			spk_error("map: internal error: the image does not read back: %s", err);
			ret = SPK_EXIT_USAGE;
			goto out;
		}
		x = spk_exec_create(back, err, sizeof(err));
		if (x == NULL) {
			spk_error("map: %s", err);
			ret = SPK_EXIT_USAGE;
			goto out;
		}
		ret = run_verify(&o, m, q, x, &info, divergence, sizeof(divergence));
		if (ret != SPK_EXIT_OK && ret != SPK_EXIT_FAIL)
			goto out;
		info.exec = x;
	}
	if (ret == SPK_EXIT_OK && write_file(o.out, file, len) < 0) {
		ret = SPK_EXIT_USAGE;
		goto out;
	}
	if (o.report != NULL && write_report(o.report, map, &info) < 0) {
		if (ret == SPK_EXIT_OK)
			remove(o.out);
		ret = SPK_EXIT_USAGE;
		goto out;
	}
	if (ret == SPK_EXIT_FAIL)
		info.image_path = NULL;
	if (spk_map_report_text(stdout, map, &info) < 0) {
		spk_error("map: out of memory writing the mapping report");
		if (ret == SPK_EXIT_OK)
			remove(o.out);
		if (o.report != NULL)
			remove(o.report);
		ret = SPK_EXIT_USAGE;
		goto out;
	}
	if (ret == SPK_EXIT_FAIL)
		spk_error("map: %s (the image was not written)", info.verify_divergence);
out:
	spk_exec_destroy(x);
	spk_image_destroy(back);
	spk_image_destroy(img);
	free(file);
	spk_map_destroy(map);
	spk_quant_destroy(q);
	spk_model_destroy(m);
	return ret;
}
