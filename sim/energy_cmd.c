/*
 * energy_cmd.c — `spikechip energy IMAGE`: the dynamic energy of a mapped model from its spikes,
 * without simulating cycles (sim/energy.h counts; doc/energy.md "Energy without cycles"), and
 * with --sample K the latency and static energy estimated from K images run through the cycle
 * simulator. The report's energy rows and counts are `spikechip sim`'s, count for count.
 */
#include "config.h"

#include "cli/commands.h"
#include "data/idx.h"
#include "models/model.h"
#include "models/quant.h"
#include "models/ref_report.h"
#include "sim/energy.h"
#include "sim/energy_ref.h"
#include "sim/jobs.h"
#include "sim/sim_cmd.h"
#include "util/outfile.h"
#include "util/tmpfiles.h"
#include "util/util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


struct energy_opts {
	struct sim_opts s;		/* image, model, arch, data, labels, images, json */
	uint32_t sample;		/* --sample K (0: none) */
	uint32_t jobs;			/* --jobs N */
	long sample_offset;		/* --sample-offset O (-1: the middle of each stride) */
	bool executor;			/* --counter executor (or no --model) */
	bool reference;			/* --counter reference */
	char shown[PATH_MAX + 16];	/* the image as the report names it */
};

/* What --sample measured: per sampled image, alone on an empty chip. */
struct sample {
	uint32_t k, stride, offset;
	double lat_mean, lat_ci;	/* cycles */
	double static_mean, static_ci;	/* pJ per image */
};

static void energy_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip energy IMAGE|--model FILE [--arch FILE] [--images N]\n"
		"                        [--data IDX [--labels IDX]] [--json FILE]\n"
		"                        [--sample K [--sample-offset O]] [--jobs N]\n"
		"                        [--counter reference|executor]\n"
		"\n"
		"The dynamic energy of a chip image (.spki, from 'spikechip map') over a data set,\n"
		"without simulating cycles: every event the cycle simulator counts (SOPs, graded\n"
		"adds, neuron updates, packets, router and link flits, attention ops, encoder MACs)\n"
		"is counted from the image's spikes, with the simulator's rules; the counts and the\n"
		"dynamic energy equal 'spikechip sim's. Per image, per layer (beside the paper's\n"
		"formula), per tile and per link (doc/energy.md). Static energy and latency need the\n"
		"cycles: --sample K simulates K of the images and estimates them.\n"
		"Without IMAGE, --model FILE is first compiled onto --arch ('spikechip map', its\n"
		"report first) into a temporary image: from a model file to an energy figure in\n"
		"one command.\n"
		"\n"
		"options:\n"
		"  --model FILE       the model the image was compiled from (checked against the\n"
		"                     CRC the image records; the data set is read for its input);\n"
		"                     without IMAGE, the model to compile\n"
		"  --arch FILE        architecture for the energies and the multicast mode (INI file\n"
		"                     or a preset name, e.g. default or loihi); its mapping\n"
		"                     parameters must be those the image was compiled for (default:\n"
		"                     the shipped default)\n"
		"  --images N         the first N images (default: all)\n"
		"  --data IDX         images, IDX uint8 or float32, gzip or plain\n"
		"                     (default: Fashion-MNIST test set in %s)\n"
		"  --labels IDX       labels for --data (without it, accuracy is not reported)\n"
		"  --json FILE        write the report as JSON\n"
		"  --sample K         also run K images, spread evenly over the set, through the\n"
		"                     cycle simulator, each alone on an empty chip: mean latency and\n"
		"                     static energy per image with a 95 %% confidence interval\n"
		"                     (labelled as sampled)\n"
		"  --sample-offset O  which image of each stride of n/K images is sampled (0 to\n"
		"                     n/K - 1; default: the middle one); offsets give disjoint samples\n"
		"  --jobs N           count over N processes (default 1); the report is the same\n"
		"  --counter WHAT     what runs the images: 'reference', the integer reference of\n"
		"                     --model, whose spikes and values give every count at its\n"
		"                     speed (the default with --model); or 'executor', the chip\n"
		"                     image's own functional run (slower, the same counts; the\n"
		"                     default without --model)\n"
		"  -h, --help         show this help\n"
		"\n"
		"exit status: 0 done; 1 a sampled image failed in the cycle simulator; 2 a bad option\n"
		"or input file (nothing is written).\n",
		SPK_FMNIST_DIR);
}

static int parse_opts(int argc, char **argv, struct energy_opts *o)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "model", required_argument, NULL, 'm' },
		{ "images", required_argument, NULL, 'n' },
		{ "data", required_argument, NULL, 'd' },
		{ "labels", required_argument, NULL, 'l' },
		{ "json", required_argument, NULL, 'j' },
		{ "sample", required_argument, NULL, 's' },
		{ "sample-offset", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "counter", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	long v;

	o->sample_offset = -1;
	o->jobs = 1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': o->s.arch = optarg; break;
		case 'm': o->s.model = optarg; break;
		case 'd': o->s.data = optarg; break;
		case 'l': o->s.labels = optarg; break;
		case 'j': o->s.json = optarg; break;
		case 'n':
			if (spk_opt_images("energy", "--images", optarg, &o->s.images))
				return SPK_EXIT_USAGE;
			break;
		case 's':
			if (spk_parse_long(optarg, 2, UINT32_MAX, &v) < 0) {
				spk_error("energy: --sample '%s' is not a number of images (2 or more: "
					  "a confidence interval needs two)", optarg);
				return SPK_EXIT_USAGE;
			}
			o->sample = (uint32_t)v;
			break;
		case 'o':
			if (spk_parse_long(optarg, 0, UINT32_MAX, &v) < 0) {
				spk_error("energy: --sample-offset '%s' is not an image offset (0 or more)",
					  optarg);
				return SPK_EXIT_USAGE;
			}
			o->sample_offset = v;
			break;
		case 'J':
			if (spk_sim_opt_jobs("energy", optarg, &v) != 0)
				return SPK_EXIT_USAGE;
			o->jobs = (uint32_t)v;
			break;
		case 'c':
			if (strcmp(optarg, "reference") != 0 && strcmp(optarg, "executor") != 0) {
				spk_error("energy: --counter '%s' is neither 'reference' nor 'executor'",
					  optarg);
				return SPK_EXIT_USAGE;
			}
			o->executor = strcmp(optarg, "executor") == 0;
			o->reference = !o->executor;
			break;
		case 'h':
			energy_usage(stdout);
			return -1;
		default:
			return spk_opt_fail("energy", c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->s.image = argv[optind++];
	if (spk_opt_extra("energy", optind < argc ? argv[optind] : NULL))
		return SPK_EXIT_USAGE;
	if (o->s.image == NULL && o->s.model == NULL) {
		spk_error("energy: a chip image (.spki), or a model to compile (--model FILE), is "
			  "required; see 'spikechip energy --help'");
		return SPK_EXIT_USAGE;
	}
	if (o->reference && o->s.model == NULL) {
		spk_error("energy: --counter reference runs the model the image was compiled from: "
			  "give --model FILE");
		return SPK_EXIT_USAGE;
	}
	o->executor |= o->s.model == NULL;
	if (o->sample_offset >= 0 && o->sample == 0) {
		spk_error("energy: --sample-offset chooses the images of --sample: give --sample K");
		return SPK_EXIT_USAGE;
	}
	return spk_opt_labels("energy", o->s.data, o->s.labels) ? SPK_EXIT_USAGE : 0;
}

/* Student's t, two-sided 95 %, df degrees of freedom. */
static double t95(uint32_t df)
{
	static const double t[] = {
		0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
	};
	const double z = 1.959964;

	if (df < sizeof(t) / sizeof(t[0]))
		return t[df];
	/* Cornish-Fisher expansion: within 0.001 of the table from df = 30 on */
	return z + (z * z * z + z) / (4.0 * df) +
	       (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96.0 * df * df);
}

static void mean_ci(const double *v, uint32_t n, double *mean, double *ci)
{
	double s = 0, ss = 0;

	for (uint32_t i = 0; i < n; i++)
		s += v[i];
	*mean = s / n;
	for (uint32_t i = 0; i < n; i++)
		ss += (v[i] - *mean) * (v[i] - *mean);
	*ci = t95(n - 1) * sqrt(ss / (n - 1)) / sqrt((double)n);
}

/* --sample: K images, each alone on a fresh chip, through the cycle simulator. */
static int run_sample(struct sample *sm, const struct spk_image *img, const struct spk_arch *a,
		      const struct spk_dataset *ds, bool show)
{
	char err[1024];
	double *lat = calloc(sm->k, sizeof(*lat)), *stat = calloc(sm->k, sizeof(*stat));
	uint8_t *px = malloc(spk_dataset_image_size(ds));
	struct spk_progress bar;
	int rc = SPK_EXIT_FAIL;

	if (lat == NULL || stat == NULL || px == NULL) {
		spk_error("energy: out of memory for the sample");
		goto out;
	}
	spk_progress_init(&bar, sm->k);
	for (uint32_t j = 0; j < sm->k; j++) {
		uint32_t i = sm->offset + j * sm->stride;
		struct spk_chip *chip = spk_chip_create(img, a, err, sizeof(err));
		struct spk_chip_result res;
		struct spk_chip_stats st;

		if (chip == NULL) {
			spk_error("energy: --sample: %s", err);
			goto out;
		}
		spk_dataset_image_u8(ds, i, px);
		if (spk_chip_run(chip, px, 1, &res, err, sizeof(err)) < 0) {
			spk_error("energy: --sample: image %u of %u: %s", i, ds->n, err);
			spk_chip_destroy(chip);
			goto out;
		}
		spk_chip_get_stats(chip, &st);
		spk_chip_destroy(chip);
		lat[j] = (double)(res.out_cycle - res.in_cycle);
		stat[j] = st.energy.static_;
		if (show)
			spk_progress_show(&bar, j + 1, j + 1 == sm->k);
	}
	mean_ci(lat, sm->k, &sm->lat_mean, &sm->lat_ci);
	mean_ci(stat, sm->k, &sm->static_mean, &sm->static_ci);
	rc = 0;
out:
	free(lat);
	free(stat);
	free(px);
	return rc;
}

/* The count split into items of images over --jobs processes (sim/jobs.h). */
struct count_run {
	struct spk_energy *en;
	const struct spk_arch *arch;
	const struct spk_dataset *ds;
	uint32_t per_item;
	uint32_t correct;
	/* per image: class, dynamic energy (pJ), SOPs */
	uint32_t *cls;
	double *dyn;
	uint64_t *sops;
	struct spk_progress bar;
	bool show;
};

/* Words of item k's result: the number correct, the raw counts, per image class, energy, SOPs. */
static size_t item_words(const struct count_run *r, uint32_t n)
{
	return 1 + spk_energy_raw_words(r->en) + 3 * (size_t)n;
}

static void item_range(const struct count_run *r, uint32_t k, uint32_t *i0, uint32_t *n)
{
	*i0 = k * r->per_item;
	*n = *i0 + r->per_item < r->ds->n ? r->per_item : r->ds->n - *i0;
}

/* Item k: its images counted, one at a time, each image's own counts kept for its energy. */
static int count_item(void *ctx, struct spk_jobs_worker *w, uint32_t k, void **blobp,
		      size_t *lenp, char *err, size_t errlen)
{
	struct count_run *r = ctx;
	const size_t raw_words = spk_energy_raw_words(r->en);
	uint32_t i0, n;
	uint64_t *blob, *one, *per;
	uint8_t *px = malloc(spk_dataset_image_size(r->ds));

	item_range(r, k, &i0, &n);
	blob = calloc(item_words(r, n), sizeof(*blob));
	one = malloc(raw_words * sizeof(*one));
	if (blob == NULL || px == NULL || one == NULL) {
		free(blob);
		free(px);
		free(one);
		snprintf(err, errlen, "out of memory");
		return SPK_EXIT_FAIL;
	}
	per = blob + 1 + raw_words;
	for (uint32_t i = 0; i < n; i++) {
		const struct spk_energy_counts *c;
		struct spk_chip_energy en;
		int cls;

		spk_dataset_image_u8(r->ds, i0 + i, px);
		cls = spk_energy_run(r->en, px);
		if (r->ds->labels != NULL && cls == (int)r->ds->labels[i0 + i])
			blob[0]++;
		spk_energy_take(r->en, one);
		for (size_t j = 0; j < raw_words; j++)
			blob[1 + j] += one[j];
		c = spk_energy_counts_of(r->en, one);
		spk_chip_energy_of(&en, &c->ev, &c->noc, r->arch, 0, 0);
		per[3 * i] = (uint64_t)cls;
		memcpy(&per[3 * i + 1], &en.dynamic, sizeof(double));
		per[3 * i + 2] = c->ev.sops;
		spk_jobs_tick(w, 1);
	}
	free(px);
	free(one);
	*blobp = blob;
	*lenp = item_words(r, n) * sizeof(*blob);
	return 0;
}

static int count_merge(void *ctx, uint32_t k, const void *blob, size_t len, char *err,
		       size_t errlen)
{
	struct count_run *r = ctx;
	const uint64_t *b = blob, *per;
	uint32_t i0, n;

	item_range(r, k, &i0, &n);
	if (len != item_words(r, n) * sizeof(*b)) {
		snprintf(err, errlen, "item %u: a result of %zu bytes (a broken worker)", k, len);
		return SPK_EXIT_FAIL;
	}
	r->correct += (uint32_t)b[0];
	spk_energy_add(r->en, b + 1);
	per = b + 1 + spk_energy_raw_words(r->en);
	for (uint32_t i = 0; i < n; i++) {
		r->cls[i0 + i] = (uint32_t)per[3 * i];
		memcpy(&r->dyn[i0 + i], &per[3 * i + 1], sizeof(double));
		r->sops[i0 + i] = per[3 * i + 2];
	}
	return 0;
}

static void count_progress(void *ctx, uint64_t done)
{
	struct count_run *r = ctx;

	if (r->show)
		spk_progress_show(&r->bar, (uint32_t)done, done == r->ds->n);
}


struct report {
	const struct energy_opts *o;
	const struct spk_image *img;
	const struct spk_arch *a;
	const struct spk_energy_counts *c;
	struct spk_chip_energy en;
	const struct sample *sm;	/* NULL without --sample */
	bool have_acc;
	uint32_t correct;
	double wall;
	const struct count_run *cr;	/* per image */
	const uint8_t *labels;
};

static const char *const port_names[] = { "local", "east", "west", "north", "south" };

static void report_text(FILE *f, const struct report *r)
{
	const struct spk_energy_counts *c = r->c;
	const struct spk_chip_energy *e = &r->en;
	const struct spk_image *img = r->img;
	const double n = c->images;
	const uint64_t pk = c->noc.packets_delivered;

	fprintf(f, "spikechip energy     %s on %s (multicast %s): %u images, no cycles simulated\n",
		r->o->shown, r->o->s.arch,
		r->a->noc.multicast == SPK_MULTICAST_TREE ? "tree" : "source", c->images);
	if (r->have_acc)
		fprintf(f, "accuracy             %.2f %% (%u of %u)\n", 100.0 * r->correct / n,
			r->correct, c->images);
	fprintf(f, "per image            %.0f SOPs, %.0f attention ops, %.0f encoder MACs, "
		"%.0f spikes\n", c->ev.sops / n, c->ev.attention_ops / n, c->ev.encoder_macs / n,
		c->spikes / n);
	fprintf(f, "dynamic energy       %.4f uJ per image (static energy needs cycles: %s)\n",
		e->dynamic / n * 1e-6, r->sm != NULL ? "sampled below" : "--sample K");
	spk_sim_text_breakdown(f, e, n, false);
	{
		uint32_t lo = 0, hi = 0;

		for (uint32_t i = 1; i < c->images; i++) {
			lo = r->cr->dyn[i] < r->cr->dyn[lo] ? i : lo;
			hi = r->cr->dyn[i] > r->cr->dyn[hi] ? i : hi;
		}
		fprintf(f, "  per image          %.4f uJ (image %u) to %.4f uJ (image %u)\n",
			r->cr->dyn[lo] * 1e-6, lo, r->cr->dyn[hi] * 1e-6, hi);
	}
	fprintf(f, "pJ/SOP               %.3f dynamic (one synaptic op in a core: %.3f pJ)\n",
		c->ev.sops > 0 ? e->dynamic / (double)c->ev.sops : 0,
		r->a->energy.syn_add_pj + img->weight_bits * r->a->energy.weight_read_pj);
	fprintf(f, "paper's formula      %.4f uJ per image (4.6 pJ/MAC, 0.9 pJ/AC, 45 nm)\n",
		spk_sim_paper_pj(&c->ev) / n * 1e-6);
	fprintf(f, "NoC                  %.0f packets, %.0f flits, %.0f hops per image (%.2f hops "
		"per packet)\n", pk / n, c->noc.flits_delivered / n, c->noc.hops / n,
		pk > 0 ? (double)c->noc.hops / pk : 0);
	if (c->noc.busiest_link_flits > 0) {
		const struct spk_image_tile *t = &img->tiles[c->noc.busiest_link / 5];

		fprintf(f, "busiest link         (%u,%u) %s: %.0f flits per image\n", t->x, t->y,
			port_names[c->noc.busiest_link % 5], c->noc.busiest_link_flits / n);
	}
	if (r->sm != NULL) {
		const struct sample *sm = r->sm;
		double us = 1.0 / r->a->chip.clock_mhz;

		fprintf(f, "sampled              %u images (image %u and every %u-th after it), each "
			"alone on an empty chip; 95 %% confidence intervals:\n", sm->k, sm->offset,
			sm->stride);
		fprintf(f, "  latency            %.0f ± %.0f cycles (%.2f ± %.2f us)\n", sm->lat_mean,
			sm->lat_ci, sm->lat_mean * us, sm->lat_ci * us);
		fprintf(f, "  static energy      %.4f ± %.4f uJ per image\n", sm->static_mean * 1e-6,
			sm->static_ci * 1e-6);
		fprintf(f, "  total energy       %.4f ± %.4f uJ per image (dynamic counted, static "
			"sampled)\n", (e->dynamic / n + sm->static_mean) * 1e-6, sm->static_ci * 1e-6);
	}
	fprintf(f, "per layer            uJ per image: the paper's formula, the chip's dynamic "
		"energy and what it is made of\n");
	fprintf(f, "  %-4s %-22s %-7s %10s %10s %10s %10s %10s %10s\n", "step", "name", "type",
		"paper", "chip", "arith", "w.reads", "neurons", "network");
	for (uint32_t i = 0; i < img->n_steps; i++) {
		struct spk_chip_energy s;

		spk_sim_step_energy(&s, &c->step[i], r->a);
		fprintf(f, "  %-4u %-22.22s %-7s %10.4f %10.4f %10.4f %10.4f %10.4f %10.4f\n", i,
			spk_sim_step_name(img, i), spk_image_step_type_name(img->steps[i].type),
			spk_sim_paper_pj(&c->step[i].ev) / n * 1e-6, s.dynamic / n * 1e-6,
			(s.syn_add + s.attention + s.encoder) / n * 1e-6, s.weight_read / n * 1e-6,
			s.neuron / n * 1e-6, (s.spike_out + s.router + s.link) / n * 1e-6);
	}
	fprintf(f, "  (arith: additions, attention ops and encoder MACs at the chip's energies; "
		"network: packets built, router and link flits)\n");
	fprintf(f, "counter              %s: %.3f s, %.0f SOPs/s, %.1f images/s\n",
		r->o->executor ? "the image's executor" : "the integer reference", r->wall,
		r->wall > 0 ? (double)c->ev.sops / r->wall : 0, r->wall > 0 ? n / r->wall : 0);
}

/* "per_image": class, label (null without labels), dynamic energy (µJ) and SOPs of each image. */
static void json_per_image(struct spk_jsonw *j, const struct report *r)
{
	const uint32_t n = r->c->images;

	spk_jsonw_key(j, "per_image");
	spk_jsonw_object(j);
	spk_jsonw_key(j, "class");
	spk_jsonw_array_inline(j);
	for (uint32_t i = 0; i < n; i++)
		spk_jsonw_uint(j, r->cr->cls[i]);
	spk_jsonw_end(j);
	spk_jsonw_key(j, "label");
	if (r->labels != NULL) {
		spk_jsonw_array_inline(j);
		for (uint32_t i = 0; i < n; i++)
			spk_jsonw_uint(j, r->labels[i]);
		spk_jsonw_end(j);
	} else {
		spk_jsonw_null(j);
	}
	spk_jsonw_key(j, "energy_dynamic_uj");
	spk_jsonw_array_inline(j);
	for (uint32_t i = 0; i < n; i++)
		spk_jsonw_real(j, r->cr->dyn[i] * 1e-6);
	spk_jsonw_end(j);
	spk_jsonw_key(j, "sops");
	spk_jsonw_array_inline(j);
	for (uint32_t i = 0; i < n; i++)
		spk_jsonw_uint(j, r->cr->sops[i]);
	spk_jsonw_end(j);
	spk_jsonw_end(j);
}

static void report_json(struct spk_jsonw *j, const struct report *r)
{
	const struct spk_energy_counts *c = r->c;
	const struct spk_chip_energy *e = &r->en;
	const struct spk_image *img = r->img;
	const double n = c->images;

	spk_jsonw_object(j);
	spk_jsonw_key_str(j, "image_file", r->o->shown);
	spk_jsonw_key_str(j, "config", img->model_config);
	spk_jsonw_key_str(j, "arch", r->o->s.arch);
	spk_jsonw_key_str(j, "data", r->o->s.data);
	spk_jsonw_key_uint(j, "images", c->images);
	spk_jsonw_key(j, "accuracy");
	if (r->have_acc)
		spk_jsonw_real(j, (double)r->correct / n);
	else
		spk_jsonw_null(j);
	spk_jsonw_key_str(j, "multicast", r->a->noc.multicast == SPK_MULTICAST_TREE ? "tree" :
			  "source");
	spk_jsonw_key_str(j, "counter", r->o->executor ? "executor" : "reference");
	spk_jsonw_key_real(j, "sops_per_image", c->ev.sops / n);
	spk_jsonw_key_real(j, "attention_ops_per_image", c->ev.attention_ops / n);
	spk_jsonw_key_real(j, "encoder_macs_per_image", c->ev.encoder_macs / n);
	spk_jsonw_key_real(j, "spikes_per_image", c->spikes / n);
	spk_sim_json_breakdown(j, "energy_breakdown_uj_per_image", e, n, false);
	spk_jsonw_key_real(j, "energy_dynamic_uj_per_image", e->dynamic / n * 1e-6);
	spk_jsonw_key_real(j, "pj_per_sop", c->ev.sops > 0 ? e->dynamic / (double)c->ev.sops : 0);
	spk_jsonw_key_real(j, "pj_per_sop_core",
			   r->a->energy.syn_add_pj + img->weight_bits * r->a->energy.weight_read_pj);
	spk_jsonw_key_real(j, "paper_energy_uj_per_image", spk_sim_paper_pj(&c->ev) / n * 1e-6);
	spk_jsonw_key(j, "noc");
	spk_jsonw_object(j);
	spk_jsonw_key_uint(j, "packets", c->noc.packets_delivered);
	spk_jsonw_key_uint(j, "flits", c->noc.flits_delivered);
	spk_jsonw_key_uint(j, "hops", c->noc.hops);
	spk_jsonw_key_uint(j, "router_flits", c->noc.router_flits);
	spk_jsonw_key_uint(j, "link_flits", c->noc.link_flits);
	spk_sim_json_busiest_link(j, img, &c->noc);
	spk_jsonw_end(j);
	spk_sim_json_events(j, &c->ev, &c->noc, c->spikes);
	json_per_image(j, r);
	spk_jsonw_key(j, "sample");
	if (r->sm != NULL) {
		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "images", r->sm->k);
		spk_jsonw_key_uint(j, "first", r->sm->offset);
		spk_jsonw_key_uint(j, "stride", r->sm->stride);
		spk_jsonw_key_real(j, "latency_cycles_mean", r->sm->lat_mean);
		spk_jsonw_key_real(j, "latency_cycles_ci95", r->sm->lat_ci);
		spk_jsonw_key_real(j, "static_uj_per_image_mean", r->sm->static_mean * 1e-6);
		spk_jsonw_key_real(j, "static_uj_per_image_ci95", r->sm->static_ci * 1e-6);
		spk_jsonw_end(j);
	} else {
		spk_jsonw_null(j);
	}
	spk_jsonw_key(j, "layers");
	spk_jsonw_array(j);
	for (uint32_t i = 0; i < img->n_steps; i++) {
		spk_jsonw_object(j);
		spk_sim_json_layer_keys(j, img, i, &c->step[i], r->a, n);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_key(j, "tiles");
	spk_jsonw_array(j);
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const uint64_t *l = c->links + (size_t)t * 5;
		struct spk_noc_stats none = { 0 };
		struct spk_chip_energy te;

		spk_chip_energy_of(&te, &c->tile_ev[t], &none, r->a, 0, 0);
		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "x", img->tiles[t].x);
		spk_jsonw_key_uint(j, "y", img->tiles[t].y);
		spk_jsonw_key_str(j, "kind", spk_image_tile_kind_name(img->tiles[t].kind));
		spk_jsonw_key_bool(j, "used", spk_sim_tile_used(img, t));
		spk_sim_json_unit_events(j, &c->tile_ev[t]);
		spk_jsonw_key_real(j, "unit_energy_uj_per_image", te.dynamic / n * 1e-6);
		spk_sim_json_flits_out(j, l);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_key_real(j, "wall_s", r->wall);
	spk_jsonw_key_real(j, "sops_per_s", r->wall > 0 ? (double)c->ev.sops / r->wall : 0);
	spk_jsonw_end(j);
}

/*
 * No IMAGE: `spikechip map --model M --arch A` into a temporary image (removed at the end, or by
 * a signal: util/tmpfiles.h), which becomes o->s.image. 0, or map's exit status.
 */
static int compile(struct energy_opts *o, char *path, size_t len)
{
	const char *tmpdir = getenv("TMPDIR");
	char *map_argv[] = { "map", "--model", (char *)o->s.model, "--arch",
			     (char *)(o->s.arch != NULL ? o->s.arch : "default"), "--out", path, NULL };
	int fd, rc;

	snprintf(path, len, "%s/spikechip-energy-XXXXXX",
		 tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		spk_error("energy: cannot create a temporary chip image %s", path);
		path[0] = '\0';
		return SPK_EXIT_FAIL;
	}
	close(fd);
	spk_tmpfile_add(path);
	rc = spk_map_main(7, map_argv);
	fflush(stdout);
	if (rc != SPK_EXIT_OK) {
		unlink(path);
		spk_tmpfile_drop(path);
		path[0] = '\0';
		return rc;
	}
	printf("\n");
	o->s.image = path;
	snprintf(o->shown, sizeof(o->shown), "%s (compiled)", o->s.model);
	return 0;
}

/*
 * The counter: the integer reference's run (the model quantized as the image was: *q), or with
 * --counter executor the image's executor. NULL with a message in err.
 */
static struct spk_energy *make_counter(const struct energy_opts *o, const struct spk_image *img,
				       const struct spk_arch *a, const struct spk_model *m,
				       struct spk_qmodel **q, char *err, size_t errlen)
{
	struct spk_energy_ref *rc;
	size_t len;

	if (o->executor)
		return spk_energy_create(img, a, err, errlen);
	*q = spk_quant_create(m, img->weight_bits, img->membrane_bits, err, errlen);
	if (*q == NULL)
		return NULL;
	if (spk_energy_ref_create(img, m, *q, &rc, err, errlen) == -ENOTSUP) {
		len = strlen(err);
		snprintf(err + len, errlen - len, " (an image 'spikechip map' does not write; "
			 "--counter executor counts it)");
		return NULL;
	}
	return rc == NULL ? NULL : spk_energy_create_ref(img, a, rc, err, errlen);
}

int spk_energy_main(int argc, char **argv)
{
	struct energy_opts o = { 0 };
	char err[ERRLEN], arch_buf[PATH_MAX], tmp_image[PATH_MAX] = "";
	struct spk_arch arch;
	struct spk_image *img = NULL;
	struct spk_model *m = NULL;
	struct spk_dataset ds = { 0 };
	struct spk_energy *en = NULL;
	struct spk_qmodel *q = NULL;
	struct spk_outfile json_out = { 0 };
	struct report rep = { .o = &o };
	struct sample sm = { 0 };
	struct count_run cr = { 0 };
	struct spk_jobs_failure fail;
	static const struct spk_jobs_ops ops = {
		.run = count_item, .merge = count_merge, .progress = count_progress,
		.item_name = "batch of images",
	};
	bool show = isatty(STDERR_FILENO);
	double t0;
	int rc, ret = SPK_EXIT_USAGE;

	rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? SPK_EXIT_OK : rc;
	if (o.s.image == NULL && (ret = compile(&o, tmp_image, sizeof(tmp_image))) != 0)
		return ret;
	ret = SPK_EXIT_USAGE;
	if (o.shown[0] == '\0')
		snprintf(o.shown, sizeof(o.shown), "%s", o.s.image);
	if (spk_sim_open_inputs(&o.s, "energy", arch_buf, sizeof(arch_buf), &arch, &img, &m) < 0)
		goto out;
	if (spk_sim_load_data(&ds, &o.s, m, img) < 0)
		goto out;
	if (o.sample > 0) {
		sm.k = o.sample;
		if (sm.k > ds.n) {
			spk_error("energy: --sample %u is more than the %u images of the run", sm.k,
				  ds.n);
			goto out;
		}
		sm.stride = ds.n / sm.k;
		if (o.sample_offset >= (long)sm.stride) {
			spk_error("energy: --sample-offset %ld is not below the stride of %u images "
				  "(%u images / --sample %u)", o.sample_offset, sm.stride, ds.n, sm.k);
			goto out;
		}
		sm.offset = o.sample_offset >= 0 ? (uint32_t)o.sample_offset : sm.stride / 2;
	}
	en = make_counter(&o, img, &arch, m, &q, err, sizeof(err));
	if (en == NULL) {
		spk_error("%s: %s", o.s.image, err);
		goto out;
	}
	if (o.s.json != NULL && spk_outfile_open(&json_out, o.s.json, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		goto out;
	}
	ret = SPK_EXIT_FAIL;
	t0 = spk_now();
	cr.en = en;
	cr.arch = &arch;
	cr.ds = &ds;
	cr.cls = calloc(ds.n, sizeof(*cr.cls));
	cr.dyn = calloc(ds.n, sizeof(*cr.dyn));
	cr.sops = calloc(ds.n, sizeof(*cr.sops));
	if (cr.cls == NULL || cr.dyn == NULL || cr.sops == NULL) {
		spk_error("energy: out of memory for %u images", ds.n);
		goto out;
	}
	cr.show = show;
	/* a few items per process, so that uneven images even out */
	cr.per_item = (ds.n + o.jobs * 4 - 1) / (o.jobs * 4);
	spk_progress_init(&cr.bar, ds.n);
	if (spk_jobs_run((ds.n + cr.per_item - 1) / cr.per_item, o.jobs, &ops, &cr, &fail) < 0) {
		spk_error("%s: %s", o.s.image, fail.msg);
		ret = fail.status;
		goto out;
	}
	rep.wall = spk_now() - t0;
	rep.correct = cr.correct;
	rep.cr = &cr;
	rep.labels = ds.labels;
	if (o.sample > 0 && run_sample(&sm, img, &arch, &ds, show) != 0)
		goto out;
	rep.img = img;
	rep.a = &arch;
	rep.c = spk_energy_counts(en);
	if (rep.c == NULL) {
		spk_error("energy: out of memory");
		goto out;
	}
	rep.sm = o.sample > 0 ? &sm : NULL;
	rep.have_acc = ds.labels != NULL;
	spk_chip_energy_of(&rep.en, &rep.c->ev, &rep.c->noc, &arch, 0, 0);
	if (json_out.f != NULL) {
		struct spk_jsonw j;

		spk_jsonw_init(&j, json_out.f);
		report_json(&j, &rep);
		spk_jsonw_finish(&j);
		if (spk_outfile_commit(&json_out, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			goto out;
		}
	}
	report_text(stdout, &rep);
	ret = SPK_EXIT_OK;
out:
	spk_outfile_abort(&json_out);
	free(cr.cls);
	free(cr.dyn);
	free(cr.sops);
	spk_energy_destroy(en);
	spk_quant_destroy(q);
	spk_dataset_fini(&ds);
	spk_model_destroy(m);
	spk_image_destroy(img);
	if (tmp_image[0] != '\0') {
		unlink(tmp_image);
		spk_tmpfile_drop(tmp_image);
	}
	return ret;
}
