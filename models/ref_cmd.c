/*
 * ref_cmd.c — `spikechip ref`: reference inference of a model file over a dataset, in the
 * integers of doc/semantics.md (the default; the golden model of the chip) or in float64
 * (--float; the model as trained). It prints accuracy, activity and the paper's energy
 * estimate (ref_report.h), and can write the same as JSON, the logits of every image and a
 * spike trace for `spikechip trace diff`.
 *
 * Order of work: parse options, load and check every input (model, arch, dataset, labels),
 * quantize, open every output (each written to a temporary file), run the images, then
 * commit the outputs. Any failure before the commit aborts every output, so a failed run
 * never leaves a partial or stale-looking file behind.
 *
 * Progress (images done, rate, ETA) goes to stderr only when stderr is a terminal.
 */
#include "config.h"

#include "arch/arch.h"
#include "cli/commands.h"
#include "data/idx.h"
#include "models/model.h"
#include "models/quant.h"
#include "models/ref.h"
#include "models/ref_report.h"
#include "traces/trace.h"
#include "util/jsonw.h"
#include "util/outfile.h"
#include "util/progress.h"
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

struct ref_opts {
	const char *model;
	const char *arch;
	const char *data;
	const char *labels;
	const char *json;
	const char *trace;
	const char *logits;
	bool use_float;
	uint32_t images;	/* 0: all */
	uint32_t time_steps;	/* 0: the model's */
};

static void ref_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip ref --model FILE [--arch FILE] [--float] [--images N]\n"
		"                     [--data IDX [--labels IDX]] [--time-steps T]\n"
		"                     [--json FILE] [--trace FILE] [--logits FILE]\n"
		"\n"
		"Reference inference of a model file over a dataset: exactly the integer semantics\n"
		"of doc/semantics.md (the golden model of the chip), or float64 with --float. Prints\n"
		"accuracy, spikes and firing rates, SOPs, dense capacity, encoder MACs and the\n"
		"paper's energy estimate, per operation and in total (doc/reference.md).\n"
		"\n"
		"options:\n"
		"  --model FILE       model file (.spkm) to run (required)\n"
		"  --arch FILE        chip architecture giving weight and membrane widths\n"
		"                     (default: the shipped arch/default.ini; integer mode only)\n"
		"  --float            float64 execution of the model as exported, no quantization\n"
		"  --images N         run the first N images (default: all)\n"
		"  --data IDX         images, IDX uint8 or float32, gzip or plain\n"
		"                     (default: Fashion-MNIST test set in %s)\n"
		"  --labels IDX       labels for --data (without it, accuracy is not reported)\n"
		"  --time-steps T     timesteps per image (default: the model's)\n"
		"  --json FILE        write the report as JSON\n"
		"  --trace FILE       write every spike to a trace (.spkt) for 'spikechip trace'\n"
		"  --logits FILE      write the logits, one JSON array of floats per image\n"
		"  -h, --help         show this help\n",
		SPK_FMNIST_DIR);
}

static int parse_opts(int argc, char **argv, struct ref_opts *o)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "arch", required_argument, NULL, 'a' },
		{ "float", no_argument, NULL, 'f' },
		{ "images", required_argument, NULL, 'n' },
		{ "data", required_argument, NULL, 'd' },
		{ "labels", required_argument, NULL, 'l' },
		{ "time-steps", required_argument, NULL, 'T' },
		{ "json", required_argument, NULL, 'j' },
		{ "trace", required_argument, NULL, 't' },
		{ "logits", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 'a': o->arch = optarg; break;
		case 'f': o->use_float = true; break;
		case 'd': o->data = optarg; break;
		case 'l': o->labels = optarg; break;
		case 'j': o->json = optarg; break;
		case 't': o->trace = optarg; break;
		case 'L': o->logits = optarg; break;
		case 'n':
			if (spk_opt_images("ref", "--images", optarg, &o->images))
				return SPK_EXIT_USAGE;
			break;
		case 'T':
			if (spk_parse_long(optarg, 1, SPK_TRACE_MAX_STEPS, &v) < 0) {
				spk_error("ref: --time-steps '%s' is not a number of timesteps (1..%d)",
					  optarg, SPK_TRACE_MAX_STEPS);
				return SPK_EXIT_USAGE;
			}
			o->time_steps = (uint32_t)v;
			break;
		case 'h':
			ref_usage(stdout);
			return -1;
		default:
			return spk_opt_fail("ref", c, argv[optind - 1]);
		}
	}
	if (spk_opt_extra("ref", optind < argc ? argv[optind] : NULL))
		return SPK_EXIT_USAGE;
	if (o->model == NULL) {
		spk_error("ref: --model FILE is required; see 'spikechip ref --help'");
		return SPK_EXIT_USAGE;
	}
	if (spk_opt_labels("ref", o->data, o->labels))
		return SPK_EXIT_USAGE;
	return 0;
}

static int trace_hook(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	return spk_trace_writer_add(ctx, t, pop, ids, n);
}

static spk_trace_writer *open_trace(const struct ref_opts *o, const struct spk_model *m,
				    uint32_t T)
{
	char err[ERRLEN];
	const char **names = malloc(m->n_pops * sizeof(*names));
	uint32_t *sizes = malloc(m->n_pops * sizeof(*sizes));
	spk_trace_writer *w = NULL;
	uint32_t crc = 0;

	if (names == NULL || sizes == NULL) {
		spk_error("ref: out of memory");
		goto out_free;
	}
	if (spk_file_crc32(o->model, &crc, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		goto out_free;
	}
	for (uint32_t p = 0; p < m->n_pops; p++) {
		names[p] = m->pops[p].name;
		sizes[p] = (uint32_t)spk_model_pop_neurons(m, p);
	}
	w = spk_trace_writer_create(o->trace, o->use_float ? "ref-float" : "ref-int", crc, T,
				    m->n_pops, names, sizes, err, sizeof(err));
	if (w == NULL)
		spk_error("%s", err);
out_free:
	free(sizes);
	free(names);
	return w;
}

static int open_out(struct spk_outfile *f, const char *path)
{
	char err[ERRLEN];

	if (path == NULL)
		return 0;
	if (spk_outfile_open(f, path, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return -1;
	}
	return 0;
}

static int commit_out(struct spk_outfile *f)
{
	char err[ERRLEN];

	if (f->f == NULL)
		return 0;
	if (spk_outfile_commit(f, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return -1;
	}
	return 0;
}

int spk_ref_main(int argc, char **argv)
{
	struct ref_opts o = { 0 };
	char err[ERRLEN], arch_buf[PATH_MAX];
	struct spk_arch arch;
	struct spk_dataset ds = { 0 };
	struct spk_model *m = NULL;
	struct spk_qmodel *q = NULL;
	struct spk_ref *r = NULL;
	spk_trace_writer *tw = NULL;
	struct spk_outfile json_out = { 0 }, logits_out = { 0 };
	struct spk_jsonw lj;
	struct spk_ref_run_info info = { 0 };
	uint8_t *img8 = NULL;
	double *imgf = NULL, *logits = NULL, t0;
	struct spk_progress bar;
	bool show = isatty(STDERR_FILENO);
	uint32_t T;
	int rc, ret = SPK_EXIT_USAGE;

	rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? SPK_EXIT_OK : rc;

	m = spk_model_load(o.model, err, sizeof(err));
	if (m == NULL) {
		spk_error("%s", err);
		goto out;
	}
	T = o.time_steps ? o.time_steps : m->time_steps;

	if (!o.use_float) {
		if (o.arch == NULL) {
			if (spk_data_path("arch/default.ini", arch_buf, sizeof(arch_buf)) < 0) {
				spk_error("ref: the default architecture is missing (looked for '%s'); "
					  "give one with --arch", arch_buf);
				goto out;
			}
			o.arch = arch_buf;
		}
		if (spk_arch_load(&arch, o.arch, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			goto out;
		}
		q = spk_quant_create(m, arch.core.weight_bits, arch.core.membrane_bits, err,
				     sizeof(err));
		if (q == NULL) {
			spk_error("%s: cannot quantize for %s: %s", o.model, o.arch, err);
			goto out;
		}
	}

	if (spk_dataset_load_for_model(&ds, m->in_channels, m->in_height, m->in_width, o.model,
				       &o.data, &o.labels, o.images, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		goto out;
	}
	if (ds.labels != NULL) {
		for (uint32_t i = 0; i < ds.n; i++) {
			if (ds.labels[i] >= m->classes) {
				spk_error("%s: label %u of image %u is not below the model's %u classes",
					  o.labels, ds.labels[i], i, m->classes);
				goto out;
			}
		}
	}

	r = spk_ref_create(m, q, T, err, sizeof(err));
	img8 = malloc(spk_dataset_image_size(&ds));
	imgf = malloc(spk_dataset_image_size(&ds) * sizeof(*imgf));
	logits = malloc(m->classes * sizeof(*logits));
	if (r == NULL || img8 == NULL || imgf == NULL || logits == NULL) {
		spk_error("ref: out of memory");
		goto out;
	}
	if (o.trace != NULL) {
		tw = open_trace(&o, m, T);
		if (tw == NULL)
			goto out;
		spk_ref_set_spike_hook(r, trace_hook, tw);
	}
	if (open_out(&json_out, o.json) < 0 || open_out(&logits_out, o.logits) < 0)
		goto out;
	if (logits_out.f != NULL) {
		spk_jsonw_init(&lj, logits_out.f);
		spk_jsonw_array(&lj);
	}

	t0 = spk_now();
	spk_progress_init(&bar, ds.n);
	for (uint32_t i = 0; i < ds.n; i++) {
		int pred;

		if (q != NULL)
			spk_dataset_image_u8(&ds, i, img8);
		else
			spk_dataset_image_f64(&ds, i, imgf);
		if (tw != NULL && spk_trace_writer_begin_image(tw, i) < 0)
			goto out_trace_err;
		pred = spk_ref_run(r, img8, imgf, logits);
		if (pred < 0 || (tw != NULL && spk_trace_writer_end_image(tw) < 0))
			goto out_trace_err;
		if (ds.labels != NULL && (uint32_t)pred == ds.labels[i])
			info.correct++;
		if (logits_out.f != NULL) {
			spk_jsonw_array_inline(&lj);
			for (uint32_t k = 0; k < m->classes; k++)
				spk_jsonw_real(&lj, logits[k]);
			spk_jsonw_end(&lj);
		}
		if (show)
			spk_progress_show(&bar, i + 1, i + 1 == ds.n);
		spk_test_stop("image", i);
	}
	info.seconds = spk_now() - t0;
	info.model_path = o.model;
	info.arch_path = o.arch;
	info.data_path = o.data;
	info.integer = q != NULL;
	info.weight_bits = q != NULL ? q->weight_bits : 0;
	info.membrane_bits = q != NULL ? q->membrane_bits : 0;
	info.labelled = ds.labels != NULL;

	if (logits_out.f != NULL) {
		spk_jsonw_end(&lj);
		spk_jsonw_finish(&lj);
	}
	if (json_out.f != NULL) {
		struct spk_jsonw j;

		spk_jsonw_init(&j, json_out.f);
		spk_ref_report_json(&j, m, spk_ref_get_stats(r), &info);
		spk_jsonw_finish(&j);
	}
	if (tw != NULL) {
		spk_trace_writer *w = tw;

		tw = NULL;
		if (spk_trace_writer_close(w, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			goto out;
		}
	}
	if (commit_out(&json_out) < 0 || commit_out(&logits_out) < 0)
		goto out;
	spk_ref_report_text(stdout, m, spk_ref_get_stats(r), &info);
	ret = SPK_EXIT_OK;
	goto out;

out_trace_err:
	if (show)
		fputc('\n', stderr);
	spk_error("%s", spk_trace_writer_error(tw));
out:
	spk_trace_writer_abort(tw);
	spk_outfile_abort(&json_out);
	spk_outfile_abort(&logits_out);
	free(logits);
	free(imgf);
	free(img8);
	spk_ref_destroy(r);
	spk_dataset_fini(&ds);
	spk_quant_destroy(q);
	spk_model_destroy(m);
	return ret;
}
