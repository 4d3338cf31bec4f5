/*
 * trace_cmd.c — `spikechip trace`: look into spike traces and compare them.
 *
 *   spikechip trace dump FILE [--image I] [--pop NAME]
 *   spikechip trace stats FILE
 *   spikechip trace diff A B [--max N]
 *
 * `diff` is the tool of validation rung 3 (doc/validation.md): the chip simulation must reproduce
 * the integer reference spike for spike. It walks both traces image by image (matched by
 * image index), timestep by timestep, population by population (in A's order; populations are
 * matched by name), and reports the first place where the spike sets differ together with the
 * smallest neuron id that is in one set and not the other; then a summary. Exit status 0 when
 * identical, 1 when they differ, 2 when an input is unreadable or the two traces do not
 * describe the same network (timesteps, population names or sizes).
 *
 * Output is line oriented so that it greps and diffs well; every command reads its files
 * through traces/trace.h, so every malformed file is a message naming file, image and byte
 * offset, and exit status 2.
 */
#include "config.h"

#include "cli/commands.h"
#include "traces/trace.h"
#include "util/util.h"

#include <assert.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BYTES 1024

static void usage(FILE *f)
{
	fputs("usage: spikechip trace <command> [<options>]\n"
	      "\n"
	      "Inspect and compare spike traces (.spkt: per image, timestep and population, the\n"
	      "ids of the neurons that spiked; format in doc/formats.md).\n"
	      "\n"
	      "commands:\n"
	      "  dump FILE [--image I] [--pop NAME]  print the spikes, one line per image,\n"
	      "                                      timestep and population\n"
	      "  stats FILE                          spikes and firing rate per population,\n"
	      "                                      spikes per image\n"
	      "  diff A B [--max N]                  compare two traces: the first divergence,\n"
	      "                                      then a summary\n"
	      "\n"
	      "'spikechip trace <command> --help' describes a command.\n"
	      "Exit status: 0 success (diff: identical), 1 diff: the traces differ,\n"
	      "2 bad option or unreadable/incompatible trace.\n", f);
}

static void dump_usage(FILE *f)
{
	fputs("usage: spikechip trace dump FILE [--image I] [--pop NAME]\n"
	      "\n"
	      "Prints the description of the trace as '#' lines, then one line per image,\n"
	      "timestep and population:\n"
	      "  image <I> t <T> <population> <count>: <ids, ascending>\n"
	      "\n"
	      "  --image I    only image index I (an error if the trace does not hold it)\n"
	      "  --pop NAME   only population NAME\n"
	      "  --help       show this text\n", f);
}

static void stats_usage(FILE *f)
{
	fputs("usage: spikechip trace stats FILE\n"
	      "\n"
	      "Prints the description of the trace; per population its neurons, spikes,\n"
	      "firing rate (spikes per neuron per timestep, over all images) and spikes per\n"
	      "image; then the spikes of every image.\n"
	      "\n"
	      "  --help       show this text\n", f);
}

static void diff_usage(FILE *f)
{
	fputs("usage: spikechip trace diff A B [--max N]\n"
	      "\n"
	      "Compares two traces of the same network (same timesteps, population names and\n"
	      "sizes) image by image. Prints the first divergence,\n"
	      "  first divergence: image <I>, timestep <T>, population <P>: neuron <N> spikes\n"
	      "  in A, not in B (A <a> spikes, B <b>)\n"
	      "(the neuron is the smallest id present in one trace and not the other), then a\n"
	      "summary of images compared, images differing and spikes in each. A warning is\n"
	      "printed when the traces record different model files.\n"
	      "\n"
	      "  --max N      print up to N divergences (default 1; 0: only the summary)\n"
	      "  --help       show this text\n"
	      "\n"
	      "Exit status: 0 identical, 1 different, 2 bad option, unreadable or incompatible\n"
	      "traces.\n", f);
}

/*
 * Parses argv (after the command name: argv[0] is "dump", "stats" or "diff") with getopt_long:
 * the options `opts` (each takes a value: --opt V or --opt=V), -h/--help, and the positional
 * arguments, at most max_pos, into pos; "--" ends the options. Returns 1 for --help, 0 on
 * success, -1 after printing an error.
 */
struct opt {
	const char *name;	/* without the leading "--" */
	const char *value;
};

#define MAX_OPTS 4

static int parse_args(const char *cmd, int argc, char **argv, struct opt *opts, size_t n_opts,
		      const char **pos, int max_pos, int *n_pos)
{
	struct option lo[MAX_OPTS + 2] = { { "help", no_argument, NULL, 'h' } };
	char who[32];
	int c;

	assert(n_opts <= MAX_OPTS);
	for (size_t k = 0; k < n_opts; k++)
		lo[k + 1] = (struct option){ opts[k].name, required_argument, NULL, 'a' + (int)k };
	snprintf(who, sizeof(who), "trace %s", cmd);
	*n_pos = 0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c >= 'a' && c < 'a' + (int)n_opts) {
			opts[c - 'a'].value = optarg;
			continue;
		}
		spk_opt_fail(who, c, argv[optind - 1]);
		return -1;
	}
	for (; optind < argc; optind++) {
		if (*n_pos == max_pos) {
			spk_error("trace %s: unexpected argument '%s'", cmd, argv[optind]);
			return -1;
		}
		pos[(*n_pos)++] = argv[optind];
	}
	return 0;
}

static spk_trace_reader *open_trace(const char *path)
{
	char err[ERR_BYTES];
	spk_trace_reader *r = spk_trace_reader_open(path, err, sizeof(err));

	if (r == NULL)
		spk_error("%s", err);
	return r;
}

static int load(spk_trace_reader *r, size_t k)
{
	int ret = spk_trace_reader_load(r, k);

	if (ret < 0)
		spk_error("%s", spk_trace_reader_error(r));
	return ret;
}

static void print_model_crc(FILE *f, uint32_t crc)
{
	if (crc == 0)
		fputs("unknown", f);
	else
		fprintf(f, "0x%08" PRIx32, crc);
}

/* ---- dump ------------------------------------------------------------------------------ */

static int dump_image(spk_trace_reader *r, size_t k, bool one_pop, uint32_t only_pop)
{
	uint32_t image = spk_trace_reader_image_index(r, k);

	if (load(r, k) < 0)
		return -1;
	for (uint32_t t = 0; t < spk_trace_reader_time_steps(r); t++) {
		for (uint32_t p = 0; p < spk_trace_reader_pops(r); p++) {
			const uint32_t *ids;
			size_t n;

			if (one_pop && p != only_pop)
				continue;
			ids = spk_trace_reader_spikes(r, t, p, &n);
			printf("image %" PRIu32 " t %" PRIu32 " %s %zu:", image, t,
			       spk_trace_reader_pop_name(r, p), n);
			for (size_t i = 0; i < n; i++)
				printf(" %" PRIu32, ids[i]);
			putchar('\n');
		}
	}
	return 0;
}

static int trace_dump(int argc, char **argv)
{
	struct opt opts[] = { { "image", NULL }, { "pop", NULL } };
	const char *pos[1];
	spk_trace_reader *r;
	uint32_t pop = 0;
	long image = -1;
	size_t k;
	int n_pos, ret;

	ret = parse_args("dump", argc, argv, opts, 2, pos, 1, &n_pos);
	if (ret != 0) {
		if (ret > 0)
			dump_usage(stdout);
		return ret > 0 ? SPK_EXIT_OK : SPK_EXIT_USAGE;
	}
	if (n_pos != 1) {
		dump_usage(stderr);
		return SPK_EXIT_USAGE;
	}
	if (opts[0].value != NULL &&
	    spk_parse_long(opts[0].value, 0, (long)UINT32_MAX, &image) < 0) {
		spk_error("trace dump: --image '%s' is not an image index (0..%" PRIu32 ")",
			  opts[0].value, UINT32_MAX);
		return SPK_EXIT_USAGE;
	}
	r = open_trace(pos[0]);
	if (r == NULL)
		return SPK_EXIT_USAGE;
	ret = SPK_EXIT_USAGE;
	if (opts[1].value != NULL && !spk_trace_reader_find_pop(r, opts[1].value, &pop)) {
		spk_error("%s: no population '%s' in this trace", pos[0], opts[1].value);
		goto out_close;
	}
	if (image >= 0 && !spk_trace_reader_find_image(r, (uint32_t)image, &k)) {
		spk_error("%s: image %ld is not in this trace", pos[0], image);
		goto out_close;
	}
	printf("# trace %s\n# producer %s, model crc32 ", pos[0], spk_trace_reader_producer(r));
	print_model_crc(stdout, spk_trace_reader_model_crc(r));
	printf(", %" PRIu32 " timesteps, %" PRIu32 " populations, %zu images, %" PRIu64
	       " spikes\n", spk_trace_reader_time_steps(r), spk_trace_reader_pops(r),
	       spk_trace_reader_images(r), spk_trace_reader_total_spikes(r));
	for (uint32_t p = 0; p < spk_trace_reader_pops(r); p++)
		printf("# population %" PRIu32 " %s %" PRIu32 " neurons\n", p,
		       spk_trace_reader_pop_name(r, p), spk_trace_reader_pop_size(r, p));
	if (image >= 0) {
		if (dump_image(r, k, opts[1].value != NULL, pop) < 0)
			goto out_close;
	} else {
		for (k = 0; k < spk_trace_reader_images(r); k++)
			if (dump_image(r, k, opts[1].value != NULL, pop) < 0)
				goto out_close;
	}
	ret = SPK_EXIT_OK;
out_close:
	spk_trace_reader_close(r);
	return ret;
}

/* ---- stats ----------------------------------------------------------------------------- */

static int trace_stats(int argc, char **argv)
{
	const char *pos[1];
	spk_trace_reader *r;
	uint64_t *pop_spikes, total_neurons = 0;
	uint32_t n_pops, steps;
	size_t images;
	int n_pos, ret;

	ret = parse_args("stats", argc, argv, NULL, 0, pos, 1, &n_pos);
	if (ret != 0) {
		if (ret > 0)
			stats_usage(stdout);
		return ret > 0 ? SPK_EXIT_OK : SPK_EXIT_USAGE;
	}
	if (n_pos != 1) {
		stats_usage(stderr);
		return SPK_EXIT_USAGE;
	}
	r = open_trace(pos[0]);
	if (r == NULL)
		return SPK_EXIT_USAGE;
	ret = SPK_EXIT_USAGE;
	n_pops = spk_trace_reader_pops(r);
	steps = spk_trace_reader_time_steps(r);
	images = spk_trace_reader_images(r);
	pop_spikes = calloc(n_pops, sizeof(*pop_spikes));
	if (pop_spikes == NULL) {
		spk_error("out of memory");
		goto out_close;
	}
	/* Read everything first, so a corrupt chunk fails before any table is printed. */
	for (size_t k = 0; k < images; k++) {
		if (load(r, k) < 0)
			goto out_free;
		for (uint32_t t = 0; t < steps; t++) {
			for (uint32_t p = 0; p < n_pops; p++) {
				size_t n;

				spk_trace_reader_spikes(r, t, p, &n);
				pop_spikes[p] += n;
			}
		}
	}

	printf("trace: %s\nproducer: %s\nmodel crc32: ", pos[0], spk_trace_reader_producer(r));
	print_model_crc(stdout, spk_trace_reader_model_crc(r));
	printf("\ntimesteps: %" PRIu32 "\nimages: %zu\nspikes: %" PRIu64 "\n\n", steps, images,
	       spk_trace_reader_total_spikes(r));
	printf("%-24s %10s %14s %10s %14s\n", "population", "neurons", "spikes", "rate",
	       "spikes/image");
	for (uint32_t p = 0; p <= n_pops; p++) {
		const char *name = p < n_pops ? spk_trace_reader_pop_name(r, p) : "total";
		uint64_t neurons = p < n_pops ? spk_trace_reader_pop_size(r, p) : total_neurons;
		uint64_t spikes = p < n_pops ? pop_spikes[p] : spk_trace_reader_total_spikes(r);

		printf("%-24s %10" PRIu64 " %14" PRIu64, name, neurons, spikes);
		if (images > 0)
			printf(" %10.6f %14.2f\n",
			       (double)spikes / ((double)neurons * steps * (double)images),
			       (double)spikes / (double)images);
		else
			printf(" %10s %14s\n", "-", "-");
		if (p < n_pops)
			total_neurons += neurons;
	}
	printf("\n%-10s %14s\n", "image", "spikes");
	for (size_t k = 0; k < images; k++)
		printf("%-10" PRIu32 " %14" PRIu32 "\n", spk_trace_reader_image_index(r, k),
		       spk_trace_reader_image_spikes(r, k));
	ret = SPK_EXIT_OK;
out_free:
	free(pop_spikes);
out_close:
	spk_trace_reader_close(r);
	return ret;
}

/* ---- diff ------------------------------------------------------------------------------ */

struct diff {
	spk_trace_reader *a, *b;
	uint32_t *b_pop;	/* B's population for each of A's */
	long max_report;
	long reported;
	uint64_t slots_differing;
};

static void report(struct diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(struct diff *d, const char *fmt, ...)
{
	va_list ap;

	if (d->reported >= d->max_report)
		return;
	fputs(d->reported == 0 ? "first divergence: " : "divergence: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	d->reported++;
}

/* Both traces must describe the same network; B's populations are matched to A's by name. */
static int check_compatible(struct diff *d, const char *pa, const char *pb)
{
	uint32_t n = spk_trace_reader_pops(d->a);

	if (spk_trace_reader_time_steps(d->a) != spk_trace_reader_time_steps(d->b)) {
		spk_error("%s and %s are not comparable: %" PRIu32 " timesteps vs %" PRIu32,
			  pa, pb, spk_trace_reader_time_steps(d->a),
			  spk_trace_reader_time_steps(d->b));
		return -1;
	}
	if (n != spk_trace_reader_pops(d->b)) {
		spk_error("%s and %s are not comparable: %" PRIu32 " populations vs %" PRIu32,
			  pa, pb, n, spk_trace_reader_pops(d->b));
		return -1;
	}
	for (uint32_t p = 0; p < n; p++) {
		const char *name = spk_trace_reader_pop_name(d->a, p);
		uint32_t q;

		if (!spk_trace_reader_find_pop(d->b, name, &q)) {
			spk_error("%s and %s are not comparable: population '%s' is not in %s",
				  pa, pb, name, pb);
			return -1;
		}
		if (spk_trace_reader_pop_size(d->a, p) != spk_trace_reader_pop_size(d->b, q)) {
			spk_error("%s and %s are not comparable: population '%s' has %" PRIu32
				  " neurons vs %" PRIu32, pa, pb, name,
				  spk_trace_reader_pop_size(d->a, p),
				  spk_trace_reader_pop_size(d->b, q));
			return -1;
		}
		d->b_pop[p] = q;
	}
	return 0;
}

/* Compares one image present in both; returns 1 if it differs, 0 if not, -1 on error. */
static int diff_image(struct diff *d, size_t ka, size_t kb)
{
	uint32_t image = spk_trace_reader_image_index(d->a, ka);
	int differs = 0;

	if (load(d->a, ka) < 0 || load(d->b, kb) < 0)
		return -1;
	for (uint32_t t = 0; t < spk_trace_reader_time_steps(d->a); t++) {
		for (uint32_t p = 0; p < spk_trace_reader_pops(d->a); p++) {
			size_t na, nb, i = 0, j = 0;
			const uint32_t *ia = spk_trace_reader_spikes(d->a, t, p, &na);
			const uint32_t *ib = spk_trace_reader_spikes(d->b, t, d->b_pop[p], &nb);

			while (i < na && j < nb && ia[i] == ib[j]) {
				i++;
				j++;
			}
			if (i == na && j == nb)
				continue;
			/* The smallest id in one set and not the other. */
			differs = 1;
			d->slots_differing++;
			if (j == nb || (i < na && ia[i] < ib[j]))
				report(d, "image %" PRIu32 ", timestep %" PRIu32 ", population %s: "
				       "neuron %" PRIu32 " spikes in A, not in B (A %zu spikes, B %zu)",
				       image, t, spk_trace_reader_pop_name(d->a, p), ia[i], na, nb);
			else
				report(d, "image %" PRIu32 ", timestep %" PRIu32 ", population %s: "
				       "neuron %" PRIu32 " spikes in B, not in A (A %zu spikes, B %zu)",
				       image, t, spk_trace_reader_pop_name(d->a, p), ib[j], na, nb);
		}
	}
	return differs;
}

static void print_side(const char *label, const char *path, const spk_trace_reader *r)
{
	printf("%s: %s (producer %s, model crc32 ", label, path, spk_trace_reader_producer(r));
	print_model_crc(stdout, spk_trace_reader_model_crc(r));
	printf(", %zu images, %" PRIu64 " spikes)\n", spk_trace_reader_images(r),
	       spk_trace_reader_total_spikes(r));
}

static int trace_diff(int argc, char **argv)
{
	struct opt opts[] = { { "max", NULL } };
	struct diff d = { .max_report = 1 };
	size_t ka = 0, kb = 0, na, nb;
	uint64_t compared = 0, differing = 0, only_a = 0, only_b = 0;
	uint32_t crc_a, crc_b;
	const char *pos[2];
	int n_pos, ret;

	ret = parse_args("diff", argc, argv, opts, 1, pos, 2, &n_pos);
	if (ret != 0) {
		if (ret > 0)
			diff_usage(stdout);
		return ret > 0 ? SPK_EXIT_OK : SPK_EXIT_USAGE;
	}
	if (n_pos != 2) {
		diff_usage(stderr);
		return SPK_EXIT_USAGE;
	}
	if (opts[0].value != NULL && spk_parse_long(opts[0].value, 0, 1L << 30, &d.max_report) < 0) {
		spk_error("trace diff: --max '%s' is not a count (0..%ld)", opts[0].value, 1L << 30);
		return SPK_EXIT_USAGE;
	}
	ret = SPK_EXIT_USAGE;
	d.a = open_trace(pos[0]);
	if (d.a == NULL)
		return ret;
	d.b = open_trace(pos[1]);
	if (d.b == NULL)
		goto out_close;
	d.b_pop = calloc(spk_trace_reader_pops(d.a), sizeof(*d.b_pop));
	if (d.b_pop == NULL) {
		spk_error("out of memory");
		goto out_close;
	}
	if (check_compatible(&d, pos[0], pos[1]) < 0)
		goto out_close;
	crc_a = spk_trace_reader_model_crc(d.a);
	crc_b = spk_trace_reader_model_crc(d.b);
	if (crc_a != 0 && crc_b != 0 && crc_a != crc_b)
		spk_error("warning: %s and %s were made from different model files (model crc32 "
			  "0x%08" PRIx32 " vs 0x%08" PRIx32 ")", pos[0], pos[1], crc_a, crc_b);
	print_side("A", pos[0], d.a);
	print_side("B", pos[1], d.b);

	na = spk_trace_reader_images(d.a);
	nb = spk_trace_reader_images(d.b);
	while (ka < na || kb < nb) {
		uint32_t ia = ka < na ? spk_trace_reader_image_index(d.a, ka) : 0;
		uint32_t ib = kb < nb ? spk_trace_reader_image_index(d.b, kb) : 0;
		int r;

		if (kb == nb || (ka < na && ia < ib)) {
			report(&d, "image %" PRIu32 " only in A", ia);
			only_a++;
			ka++;
			continue;
		}
		if (ka == na || ib < ia) {
			report(&d, "image %" PRIu32 " only in B", ib);
			only_b++;
			kb++;
			continue;
		}
		r = diff_image(&d, ka, kb);
		if (r < 0)
			goto out_close;
		compared++;
		differing += (uint64_t)r;
		ka++;
		kb++;
	}
	printf("images compared: %" PRIu64 " (only in A: %" PRIu64 ", only in B: %" PRIu64 ")\n",
	       compared, only_a, only_b);
	printf("images differing: %" PRIu64 "\n", differing);
	printf("(image, timestep, population) slots differing: %" PRIu64 "\n", d.slots_differing);
	printf("spikes: A %" PRIu64 ", B %" PRIu64 "\n", spk_trace_reader_total_spikes(d.a),
	       spk_trace_reader_total_spikes(d.b));
	if (differing == 0 && only_a == 0 && only_b == 0) {
		printf("traces are identical\n");
		ret = SPK_EXIT_OK;
	} else {
		printf("traces differ\n");
		ret = SPK_EXIT_FAIL;
	}
out_close:
	free(d.b_pop);
	spk_trace_reader_close(d.b);
	spk_trace_reader_close(d.a);
	return ret;
}

/* ---- dispatch -------------------------------------------------------------------------- */

int spk_trace_main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SPK_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return SPK_EXIT_OK;
	}
	if (strcmp(argv[1], "dump") == 0)
		return trace_dump(argc - 1, argv + 1);
	if (strcmp(argv[1], "stats") == 0)
		return trace_stats(argc - 1, argv + 1);
	if (strcmp(argv[1], "diff") == 0)
		return trace_diff(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		spk_error("trace: unknown option '%s'; see 'spikechip trace --help'", argv[1]);
	else
		spk_error("trace: '%s' is not a trace command (dump, stats, diff); see "
			  "'spikechip trace --help'", argv[1]);
	return SPK_EXIT_USAGE;
}
