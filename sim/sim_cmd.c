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
 *
 * This file holds the options, the inputs, the per-image hook (--check, --trace) and the run;
 * the segments, jobs and --resume are sim_segments.c, the reports sim_report.c (sim_cmd.h is
 * what the three share).
 */
#include "config.h"

#include "sim/sim_cmd.h"
#include "cli/commands.h"
#include "data/idx.h"
#include "models/model.h"
#include "models/quant.h"
#include "rtl/rtl_ports.h"
#include "sim/systemc/sc_chip.h"
#include "sim/timeline.h"
#include "util/outfile.h"
#include "util/util.h"

#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * --rtl-tiles LIST: tile numbers and ranges (0-11,40) of a chip of n tiles, into a sorted list
 * without repeats (*out, *n_out; the caller frees *out).
 */
static int parse_tiles(const char *arg, uint32_t n, uint32_t **out, uint32_t *n_out)
{
	uint8_t *on = calloc(n + 1, 1);
	const char *p = arg;
	uint32_t k = 0;

	if (on == NULL)
		return -ENOMEM;
	do {
		size_t len = strcspn(p, ",");
		char part[32], *dash;
		long lo, hi;

		if (len == 0 || len >= sizeof(part))
			goto bad;
		memcpy(part, p, len);
		part[len] = '\0';
		dash = strchr(part, '-');
		if (dash != NULL)
			*dash = '\0';
		if (spk_parse_long(part, 0, (long)n - 1, &lo) < 0 ||
		    spk_parse_long(dash != NULL ? dash + 1 : part, lo, (long)n - 1, &hi) < 0)
			goto bad;
		for (long t = lo; t <= hi; t++)
			on[t] = 1;
		p += len;
	} while (*p++ == ',');
	*out = malloc((n + 1) * sizeof(**out));
	if (*out == NULL) {
		free(on);
		return -ENOMEM;
	}
	for (uint32_t t = 0; t < n; t++)
		if (on[t])
			(*out)[k++] = t;
	*n_out = k;
	free(on);
	return 0;
bad:
	spk_error("sim: --rtl-tiles '%s': not a list of tiles 0..%u (numbers and ranges a-b, "
		  "comma-separated)", arg, n - 1);
	free(on);
	return -EINVAL;
}

/*
 * --rtl BLOCKS: a comma-separated list of block names (noc, core, attn, encoder, readout) or all;
 * core=PATH.sv names one's own core (its path into byo[len]).
 */
static int parse_rtl(const char *arg, unsigned *blocks, char *byo, size_t len)
{
	static const struct {
		const char *name;
		unsigned bits;
	} names[] = {
		{ "noc", SPK_RTL_NOC },
		{ "core", SPK_RTL_CORE },
		{ "readout", SPK_RTL_READOUT },
		{ "attn", SPK_RTL_ATTN },
		{ "encoder", SPK_RTL_ENCODER },
		{ "all", SPK_RTL_NOC | SPK_RTL_UNITS },
	};
	const char *p = arg;

	*blocks = 0;
	do {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0)
				break;
		if (n > 5 && strncmp(p, "core=", 5) == 0) {
			if (n - 5 >= len) {
				spk_error("sim: --rtl '%s': the path of core= is too long", arg);
				return -1;
			}
			memcpy(byo, p + 5, n - 5);
			byo[n - 5] = '\0';
			*blocks |= SPK_RTL_CORE;
		} else if (i < sizeof(names) / sizeof(names[0])) {
			*blocks |= names[i].bits;
		} else {
			spk_error("sim: --rtl '%s': '%.*s' is not an RTL block (noc, core, attn, encoder, readout, all)",
				  arg, (int)n, p);
			return -1;
		}
		p += n;
	} while (*p++ == ',');
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

static void sim_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip sim IMAGE [--arch FILE] [--model FILE] [--images N]\n"
		"                     [--data IDX [--labels IDX]] [--check] [--trace FILE]\n"
		"                     [--json FILE] [--segment S] [--jobs N] [--resume DIR]\n"
		"                     [--engine native|systemc] [--rtl BLOCKS [--rtl-tiles LIST]]\n"
		"                     [--wave FILE.fst [--wave-from C] [--wave-to C]]\n"
		"                     [--record-ports TILE FILE] [--max-cycles N]\n"
		"                     [--timeline FILE.json [--timeline-routers]\n"
		"                      [--timeline-from C] [--timeline-to C]] [--critical-path]\n"
		"\n"
		"Runs a chip image (.spki, from 'spikechip map') cycle by cycle over a data set and\n"
		"reports accuracy, latency, throughput, SOPs, energy per image and its breakdown,\n"
		"the NoC's traffic and the simulator's speed (doc/simulator.md).\n"
		"\n"
		"options:\n"
		"  --arch FILE        architecture for timing and energy (INI file, or a preset name:\n"
		"                     default, loihi, efficient...); its mapping parameters must be\n"
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
		"  --rtl BLOCKS       with --engine systemc: run these blocks as Verilated RTL\n"
		"                     (rtl/, doc/rtl.md); BLOCKS is a comma-separated list of: noc\n"
		"                     (the routers and network interfaces), core (the synapse\n"
		"                     cores), attn (the attention units), encoder, readout, or all;\n"
		"                     core=PATH.sv: one's own core (built by 'make byo', doc/rtl.md)\n"
		"                     The report is the native engine's\n"
		"  --rtl-tiles LIST   with --rtl: only the units of these tiles run in RTL (tile\n"
		"                     numbers and ranges, e.g. 0-11,40; default: every tile)\n"
		"  --wave FILE.fst    with --rtl: write an FST waveform of the RTL blocks (GTKWave)\n"
		"  --wave-from C      first cycle of the waveform (default 0)\n"
		"  --wave-to C        cycle after the last one of the waveform (default: 10000 cycles\n"
		"                     after --wave-from; an image is millions of cycles)\n"
		"  --max-cycles N     stop a segment that reaches cycle N with images still in\n"
		"                     flight (exit 1, nothing written): a watchdog for chips that\n"
		"                     never finish (default: none)\n"
		"  --record-ports TILE FILE\n"
		"                     with --engine systemc: record the port traffic of the C model\n"
		"                     of tile TILE's synapse core or attention unit into FILE, for\n"
		"                     'spikechip rtl replay FILE' (doc/rtl.md)\n"
		"  --timeline FILE.json\n"
		"                     write what every unit did in which cycle (receive, fire and\n"
		"                     send work by layer and timestep, queue occupancy) in the\n"
		"                     Chrome trace-event format that Perfetto (ui.perfetto.dev) and\n"
		"                     chrome://tracing open; one unit of its time axis is one cycle.\n"
		"                     One segment, native engine, one job (doc/report.md)\n"
		"  --timeline-routers also a track per router (cycles in which it forwarded flits)\n"
		"  --timeline-from C  first cycle of the timeline (default 0)\n"
		"  --timeline-to C    cycle after its last one (default: the end of the run); an\n"
		"                     image is millions of cycles, and a busy chip writes about\n"
		"                     100 bytes per unit and cycle: bound it\n"
		"  --critical-path    for each image, follow the chain of waits that set the cycle\n"
		"                     its class came out and report what its cycles went to, by\n"
		"                     unit, layer and cause (top 5 in the text report, all in the\n"
		"                     JSON; native engine, one job; doc/report.md)\n"
		"  -h, --help         show this help\n"
		"\n"
		"exit status: 0 done (and checked); 1 the chip diverged from the reference, or a value\n"
		"did not fit the chip's widths; 2 a bad option or input file.\n",
		SPK_FMNIST_DIR, SIM_SEGMENT_DEFAULT);
}

/* --timeline and --critical-path: what they take. 0 or exit status 2 with the message. */
static int check_report_opts(struct sim_opts *o)
{
	const char *what = o->timeline != NULL ? "--timeline" : "--critical-path";

	if ((o->timeline_routers || o->timeline_window) && o->timeline == NULL) {
		spk_error("sim: %s needs --timeline FILE.json", o->timeline_routers ?
			  "--timeline-routers" : "--timeline-from/--timeline-to");
		return SPK_EXIT_USAGE;
	}
	if (o->timeline != NULL && o->timeline_to <= o->timeline_from) {
		spk_error("sim: --timeline-to %llu is not after --timeline-from %llu",
			  (unsigned long long)o->timeline_to, (unsigned long long)o->timeline_from);
		return SPK_EXIT_USAGE;
	}
	if (o->timeline == NULL && !o->critical_path)
		return 0;
	if (o->systemc) {
		spk_error("sim: %s follows the native engine's units: not with --engine systemc",
			  what);
		return SPK_EXIT_USAGE;
	}
	if (o->jobs > 1 || o->resume != NULL) {
		spk_error("sim: %s records one process's run: it takes neither --jobs N > 1 nor "
			  "--resume", what);
		return SPK_EXIT_USAGE;
	}
	return 0;
}

/* Long options without a short letter. */
enum {
	OPT_TIMELINE = 256,
	OPT_TIMELINE_ROUTERS,
	OPT_TIMELINE_FROM,
	OPT_TIMELINE_TO,
	OPT_CRITICAL_PATH,
};

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
		{ "rtl", required_argument, NULL, 'r' },
		{ "rtl-tiles", required_argument, NULL, 'L' },
		{ "wave", required_argument, NULL, 'w' },
		{ "record-ports", required_argument, NULL, 'P' },
		{ "max-cycles", required_argument, NULL, 'M' },
		{ "wave-from", required_argument, NULL, 'f' },
		{ "wave-to", required_argument, NULL, 'T' },
		{ "timeline", required_argument, NULL, OPT_TIMELINE },
		{ "timeline-routers", no_argument, NULL, OPT_TIMELINE_ROUTERS },
		{ "timeline-from", required_argument, NULL, OPT_TIMELINE_FROM },
		{ "timeline-to", required_argument, NULL, OPT_TIMELINE_TO },
		{ "critical-path", no_argument, NULL, OPT_CRITICAL_PATH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	long v;
	int sc;

	o->jobs = 1;
	o->segment = SIM_SEGMENT_DEFAULT;
	o->timeline_to = UINT64_MAX;
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
		case 'r':
			if (parse_rtl(optarg, &o->rtl, o->byo_core, sizeof(o->byo_core)) != 0)
				return SPK_EXIT_USAGE;
			break;
		case 'L': o->rtl_tiles = optarg; break;
		case OPT_TIMELINE: o->timeline = optarg; break;
		case OPT_TIMELINE_ROUTERS: o->timeline_routers = true; break;
		case OPT_CRITICAL_PATH: o->critical_path = true; break;
		case OPT_TIMELINE_FROM:
		case OPT_TIMELINE_TO:
			if (spk_parse_long(optarg, 0, LONG_MAX, &v) < 0) {
				spk_error("sim: %s '%s' is not a cycle number", c == OPT_TIMELINE_FROM ?
					  "--timeline-from" : "--timeline-to", optarg);
				return SPK_EXIT_USAGE;
			}
			*(c == OPT_TIMELINE_FROM ? &o->timeline_from : &o->timeline_to) = (uint64_t)v;
			o->timeline_window = true;
			break;
		case 'w': o->wave = optarg; break;
		case 'M':
			if (spk_parse_long(optarg, 1, LONG_MAX, &v) < 0) {
				spk_error("sim: --max-cycles '%s' is not a number of cycles (1 or more)",
					  optarg);
				return SPK_EXIT_USAGE;
			}
			o->max_cycles = (uint64_t)v;
			break;
		case 'P':
			/* two arguments: TILE FILE */
			if (optind >= argc || argv[optind][0] == '-') {
				spk_error("sim: --record-ports takes a tile and a file: --record-ports "
					  "TILE FILE");
				return SPK_EXIT_USAGE;
			}
			o->record_tile = optarg;
			o->record_file = argv[optind++];
			break;
		case 'f':
		case 'T':
			if (spk_parse_long(optarg, 0, LONG_MAX, &v) < 0) {
				spk_error("sim: %s '%s' is not a cycle number", c == 'f' ? "--wave-from" :
					  "--wave-to", optarg);
				return SPK_EXIT_USAGE;
			}
			*(c == 'f' ? &o->wave_from : &o->wave_to) = (uint64_t)v;
			o->wave_window = true;
			if (c == 'T' && v == 0) {
				spk_error("sim: --wave-to 0 leaves no cycle to record");
				return SPK_EXIT_USAGE;
			}
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
	if (o->rtl != 0 && !o->systemc) {
		spk_error("sim: --rtl needs --engine systemc (the RTL runs inside the SystemC engine)");
		return SPK_EXIT_USAGE;
	}
	if (o->rtl_tiles != NULL && (o->rtl & SPK_RTL_UNITS) == 0) {
		spk_error("sim: --rtl-tiles chooses the tiles whose units run in RTL: give --rtl "
			  "with a unit (core, attn, encoder, readout, all)");
		return SPK_EXIT_USAGE;
	}
	if ((o->wave != NULL || o->wave_window) && o->rtl == 0) {
		spk_error("sim: --wave%s records RTL blocks: give --rtl BLOCKS",
			  o->wave != NULL ? "" : "-from/--wave-to");
		return SPK_EXIT_USAGE;
	}
	if (o->record_tile != NULL && !o->systemc) {
		spk_error("sim: --record-ports records a unit's ports in the SystemC engine: give "
			  "--engine systemc");
		return SPK_EXIT_USAGE;
	}
	if (o->record_tile != NULL && (o->jobs > 1 || o->resume != NULL)) {
		spk_error("sim: --record-ports records one process's runs: it takes neither --jobs "
			  "N > 1 nor --resume");
		return SPK_EXIT_USAGE;
	}
	if (o->byo_core[0] != '\0' && o->resume != NULL) {
		spk_error("sim: --rtl core=%s: not with --resume (each segment is run with the C "
			  "models too, for their cycles)", o->byo_core);
		return SPK_EXIT_USAGE;
	}
	if (o->wave_window && o->wave == NULL) {
		spk_error("sim: --wave-from/--wave-to need --wave FILE.fst");
		return SPK_EXIT_USAGE;
	}
	if (o->wave != NULL) {
		if (o->wave_to == 0)
			o->wave_to = o->wave_from + 10000;
		if (o->wave_to <= o->wave_from) {
			spk_error("sim: --wave-to %llu is not after --wave-from %llu",
				  (unsigned long long)o->wave_to, (unsigned long long)o->wave_from);
			return SPK_EXIT_USAGE;
		}
	}
	return check_report_opts(o);
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

int spk_sim_image_hook(void *ctx, uint32_t i, const struct spk_chip_result *res)
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

spk_trace_writer *spk_sim_open_trace(const char *path, const struct spk_image *img)
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

/*
 * The inputs `spikechip sim` and `spikechip energy` share: the chip image o->image, the
 * architecture o->arch (a preset name or file, resolved into arch_buf; the shipped default when
 * NULL), which must have the image's mapping parameters, and the model o->model if given, which
 * must be the one the image was compiled from. 0, or -1 with the message printed (exit 2).
 */
int spk_sim_open_inputs(struct sim_opts *o, const char *cmd, char *arch_buf, size_t arch_len,
			struct spk_arch *arch, struct spk_image **img, struct spk_model **m)
{
	char err[ERRLEN];

	*img = spk_image_load(o->image, err, sizeof(err));
	if (*img == NULL) {
		spk_error("%s", err);
		return -1;
	}
	if (o->arch == NULL) {
		if (spk_data_path("arch/default.ini", arch_buf, arch_len) < 0) {
			spk_error("%s: the default architecture is missing (looked for '%s'); "
				  "give one with --arch", cmd, arch_buf);
			return -1;
		}
		o->arch = arch_buf;
	} else {
		spk_arch_resolve(o->arch, arch_buf, arch_len);
		o->arch = arch_buf;
	}
	if (spk_arch_load(arch, o->arch, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return -1;
	}
	if (spk_image_check_arch(*img, arch, err, sizeof(err)) < 0) {
		spk_error("%s: built for another architecture than %s: %s", o->image, o->arch, err);
		return -1;
	}
	if (o->model != NULL) {
		uint32_t crc = 0;

		*m = spk_model_load(o->model, err, sizeof(err));
		if (*m == NULL) {
			spk_error("%s", err);
			return -1;
		}
		if (spk_file_crc32(o->model, &crc, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			return -1;
		}
		if ((*img)->model_crc32 != 0 && crc != (*img)->model_crc32) {
			spk_error("%s: not the model %s was compiled from (CRC-32 %08x, the image "
				  "records %08x)", o->model, o->image, crc, (*img)->model_crc32);
			return -1;
		}
		if ((*m)->n_pops != (*img)->n_pops || (*m)->classes != (*img)->classes) {
			spk_error("%s: populations or classes differ from %s", o->model, o->image);
			return -1;
		}
	}
	return 0;
}

/* The data set: through the model when there is one, else checked against the image's input. */
int spk_sim_load_data(struct spk_dataset *ds, struct sim_opts *o, const struct spk_model *m,
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

/*
 * Bytes of memory this machine has available now: /proc/meminfo's MemAvailable, or the test
 * hook SPK_TEST_MEMORY_AVAILABLE; 0 if unknown (no check then).
 */
static uint64_t memory_available(void)
{
	const char *hook = getenv("SPK_TEST_MEMORY_AVAILABLE");
	char line[256];
	uint64_t kib = 0;
	FILE *f;

	if (hook != NULL && *hook != '\0')
		return strtoull(hook, NULL, 10);
	f = fopen("/proc/meminfo", "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kib) == 1)
			break;
	fclose(f);
	return kib * 1024;
}

/*
 * Refuses a run whose chips would not fit in memory: every process (--jobs) builds its own chip
 * (spk_chip_memory_bytes()). 0, or 2 with the message printed.
 */
static int check_memory(const struct sim_opts *o, const struct spk_image *img,
			const struct spk_arch *a)
{
	const uint64_t per = spk_chip_memory_bytes(img, a), have = memory_available();
	const uint64_t jobs = o->jobs > 0 ? o->jobs : 1, need = per * jobs;

	if (have == 0 || need <= have)
		return 0;
	spk_error("%s: simulating this chip needs about %.1f MiB of memory (%.1f MiB per process, "
		  "%" PRIu64 " process%s), more than the %.1f MiB available: use fewer --jobs, or a "
		  "machine with more memory", o->image, need / 1048576.0, per / 1048576.0, jobs,
		  jobs == 1 ? "" : "es", have / 1048576.0);
	return SPK_EXIT_USAGE;
}

/* Which blocks run in RTL, for the report: "network, 1 readout". */
/*
 * --rtl core=PATH.sv: this spikechip if it was built with that core (`make byo`, doc/rtl.md
 * "Bring your own unit"), else the one built for it, in the build directory keyed by the file's
 * CRC-32 (rtl/byo/XXXXXXXX/spikechip beside this binary's build directory), which is executed
 * with the same arguments. Returns 0 to go on here, or an exit status (no build for the core).
 */
static int byo_dispatch(const struct sim_opts *o, int argc, char **argv)
{
	char err[ERRLEN], exe[PATH_MAX], path[PATH_MAX + 64], *slash;
	uint32_t crc = 0, mine;	/* spk_file_crc32() goes on from *crc */
	ssize_t len;

	if (spk_file_crc32(o->byo_core, &crc, err, sizeof(err)) < 0) {
		spk_error("sim: --rtl core=: %s", err);
		return SPK_EXIT_USAGE;
	}
	if (spk_chip_systemc_byo_core(&mine) && mine == crc)
		return 0;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	/* a build of another core runs from BUILD/rtl/byo/XXXXXXXX/ */
	snprintf(path, sizeof(path), "%s%s/rtl/byo/%08x/spikechip", exe,
		 spk_chip_systemc_byo_core(&mine) ? "/../../.." : "", (unsigned)crc);
	if (access(path, X_OK) == 0) {
		char **args = calloc((size_t)argc + 2, sizeof(*args));

		if (args == NULL) {
			spk_error("sim: out of memory");
			return SPK_EXIT_FAIL;
		}
		args[0] = path;
		for (int i = 0; i < argc; i++)
			args[i + 1] = argv[i];
		fflush(NULL);
		execv(path, args);
		spk_error("sim: --rtl core=%s: cannot run %s: %s", o->byo_core, path,
			  strerror(errno));
		free(args);
		return SPK_EXIT_FAIL;
	}
	spk_error("sim: --rtl core=%s: no spikechip is built with this core (CRC-32 %08x) yet: "
		  "run 'make -C BUILD byo BYO_CORE_SV=%s' in the build directory (doc/rtl.md "
		  "\"Bring your own unit\")", o->byo_core, (unsigned)crc, o->byo_core);
	return SPK_EXIT_USAGE;
}

/* --record-ports TILE FILE: a tile of the image whose unit is a core or an attention unit. */
static int start_record(const struct sim_opts *o, const struct spk_image *img)
{
	long t;
	char err[ERRLEN];
	enum spk_tile_kind k;

	if (spk_parse_long(o->record_tile, 0, (long)img->n_tiles - 1, &t) < 0) {
		spk_error("sim: --record-ports '%s': not a tile of this chip (0..%u)", o->record_tile,
			  img->n_tiles - 1);
		return SPK_EXIT_USAGE;
	}
	k = img->tiles[t].kind;
	if (!spk_sim_tile_used(img, (uint32_t)t) ||
	    (k != SPK_TILE_CORE && k != SPK_TILE_ATTENTION)) {
		spk_error("sim: --record-ports %ld: tile %ld holds %s; port records are of synapse "
			  "cores and attention units", t, t,
			  !spk_sim_tile_used(img, (uint32_t)t) ? "no unit in use"
			  : k == SPK_TILE_ENCODER ? "the encoder" : "the readout");
		return SPK_EXIT_USAGE;
	}
	if ((o->rtl & (k == SPK_TILE_CORE ? SPK_RTL_CORE : SPK_RTL_ATTN)) &&
	    spk_chip_systemc_rtl_tile((uint32_t)t)) {
		spk_error("sim: --record-ports %ld: tile %ld runs in RTL; the record is of its C model "
			  "(leave it out of --rtl or --rtl-tiles)", t, t);
		return SPK_EXIT_USAGE;
	}
	if (spk_rtl_record_start((uint32_t)t, o->record_file, err, sizeof(err)) < 0) {
		spk_error("sim: --record-ports: %s", err);
		return SPK_EXIT_USAGE;
	}
	return 0;
}

static void rtl_describe(struct sim_run *run, const struct sim_opts *o,
			 const struct spk_image *img)
{
	static const struct {
		enum spk_tile_kind kind;
		unsigned bit;
		const char *one, *many;
	} kinds[] = {
		{ SPK_TILE_ENCODER, SPK_RTL_ENCODER, "encoder", "encoders" },
		{ SPK_TILE_CORE, SPK_RTL_CORE, "core", "cores" },
		{ SPK_TILE_ATTENTION, SPK_RTL_ATTN, "attention unit", "attention units" },
		{ SPK_TILE_READOUT, SPK_RTL_READOUT, "readout", "readouts" },
	};
	size_t n = 0;

	run->rtl_desc[0] = '\0';
	if (o->rtl & SPK_RTL_NOC)
		n += (size_t)snprintf(run->rtl_desc + n, sizeof(run->rtl_desc) - n, "network");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uint32_t units = 0;

		for (uint32_t t = 0; t < img->n_tiles; t++)
			if (img->tiles[t].kind == kinds[k].kind && (o->rtl & kinds[k].bit) &&
			    spk_sim_tile_used(img, t) && spk_chip_systemc_rtl_tile(t))
				units++;
		if (units > 0 && n < sizeof(run->rtl_desc))
			n += (size_t)snprintf(run->rtl_desc + n, sizeof(run->rtl_desc) - n,
					      "%s%u %s", n > 0 ? ", " : "", units,
					      units == 1 ? kinds[k].one : kinds[k].many);
	}
	if (run->rtl_desc[0] == '\0')
		snprintf(run->rtl_desc, sizeof(run->rtl_desc), "no block of this chip");
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
	struct spk_outfile json_out = { 0 }, tl_out = { 0 };
	struct sim_run run = { 0 };
	struct sim_summary sum = { 0 };
	uint8_t *pixels = NULL;
	int rc, ret = SPK_EXIT_USAGE;

	rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? SPK_EXIT_OK : rc;
	if (o.byo_core[0] != '\0' && (rc = byo_dispatch(&o, argc, argv)) != 0)
		return rc;
	if (spk_sim_open_inputs(&o, "sim", arch_buf, sizeof(arch_buf), &arch, &img, &m) < 0)
		goto out;
	if (o.rtl != 0 && spk_chip_systemc_rtl_check(&arch, o.rtl, err, sizeof(err)) < 0) {
		spk_error("sim: --rtl: %s: %s", o.arch != NULL ? o.arch : "the default arch", err);
		goto out;
	}
	spk_chip_systemc_set_rtl(o.rtl, o.wave, o.wave_from, o.wave_to);
	if (o.rtl_tiles != NULL) {
		uint32_t *tiles, n_tiles;

		if (parse_tiles(o.rtl_tiles, img->n_tiles, &tiles, &n_tiles) < 0)
			goto out;
		spk_chip_systemc_set_rtl_tiles(tiles, n_tiles);
		free(tiles);
	}
	if (spk_sim_load_data(&ds, &o, m, img) < 0)
		goto out;
	if (check_memory(&o, img, &arch) != 0)
		goto out;
	/* every segment builds its own chip; this one only checks that the image can be built */
	chip = spk_chip_create(img, &arch, err, sizeof(err));
	if (chip == NULL) {
		spk_error("%s: %s", o.image, err);
		goto out;
	}
	spk_chip_destroy(chip);
	chip = NULL;
	if (o.record_tile != NULL && start_record(&o, img) != 0)
		goto out;
	run.img = img;
	run.arch = &arch;
	run.n = ds.n;
	run.seg = o.segment;
	run.n_segs = (uint32_t)(((uint64_t)ds.n + o.segment - 1) / o.segment);
	run.jobs = o.jobs < run.n_segs ? o.jobs : run.n_segs;
	if (o.timeline != NULL && run.n_segs > 1) {
		spk_error("sim: --timeline records one segment (each starts again at cycle 0): give "
			  "--images N of at most --segment S (%u images in segments of %u here)",
			  ds.n, o.segment);
		goto out;
	}
	run.systemc = o.systemc;
	run.rtl = o.rtl != 0;
	run.byo = o.byo_core[0] != '\0';
	run.max_cycles = o.max_cycles;
	rtl_describe(&run, &o, img);
	run.image_bytes = spk_dataset_image_size(&ds);
	run.labels = ds.labels;
	run.show = isatty(STDERR_FILENO);
	pixels = malloc((size_t)ds.n * run.image_bytes);
	res = calloc(ds.n, sizeof(*res));
	run.res = res;
	run.link_sum = calloc((size_t)img->n_tiles * 5, sizeof(*run.link_sum));
	run.busy_sum = calloc(img->n_tiles, sizeof(*run.busy_sum));
	run.refused_sum = calloc(img->n_tiles, sizeof(*run.refused_sum));
	run.layer_words = (uint32_t)spk_chip_layer_words(img);
	run.layer_sum = calloc(run.layer_words, sizeof(*run.layer_sum));
	if (pixels == NULL || res == NULL || run.link_sum == NULL || run.busy_sum == NULL ||
	    run.refused_sum == NULL || run.layer_sum == NULL) {
		spk_error("sim: out of memory for %u images", ds.n);
		goto out;
	}
	for (uint32_t i = 0; i < ds.n; i++)
		spk_dataset_image_u8(&ds, i, pixels + (size_t)i * run.image_bytes);
	run.pixels = pixels;
	if (o.resume != NULL && (ret = spk_sim_open_resume(&run, &o)) != 0)
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
	if (o.trace != NULL && (run.trace_out = spk_sim_open_trace(o.trace, img)) == NULL)
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
	if (o.timeline != NULL) {
		if (spk_outfile_open(&tl_out, o.timeline, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			goto out;
		}
		run.tl = spk_timeline_create(tl_out.f, img, &arch, o.timeline_from, o.timeline_to,
					     o.timeline_routers);
		if (run.tl == NULL) {
			spk_error("sim: out of memory");
			goto out;
		}
	}
	if (o.critical_path && (run.cp = spk_critpath_create(img->n_tiles)) == NULL) {
		spk_error("sim: out of memory");
		goto out;
	}
	run.t0 = spk_now();
	spk_progress_init(&run.bar, run.n - run.done_images);
	{
		static const struct spk_jobs_ops ops = {
			.run = spk_sim_run_segment, .merge = spk_sim_merge_segment,
			.progress = spk_sim_jobs_progress,
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
	spk_sim_summarise(&sum, &run, img, &arch, res, ds.n);
	sum.cp = run.cp;
	sum.checked = o.check;
	sum.byo_core = run.byo ? o.byo_core : NULL;
	sum.mismatches = 0;
	sum.have_acc = ds.labels != NULL;
	for (uint32_t i = 0; ds.labels != NULL && i < ds.n; i++)
		run.correct += res[i].cls == ds.labels[i];
	sum.accuracy = (double)run.correct / ds.n;
	if (json_out.f != NULL) {
		struct spk_jsonw j;

		spk_jsonw_init(&j, json_out.f);
		spk_sim_report_json(&j, &sum, &o, img);
		spk_jsonw_finish(&j);
	}
	if (o.record_tile != NULL) {
		o.record_tile = NULL;
		if (spk_rtl_record_finish(true, err, sizeof(err)) < 0) {
			spk_error("sim: %s", err);
			ret = SPK_EXIT_FAIL;
			goto out;
		}
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
	if (run.tl != NULL) {
		if (spk_timeline_finish(run.tl) < 0) {
			spk_error("%s: cannot write the timeline", o.timeline);
			ret = SPK_EXIT_FAIL;
			goto out;
		}
		if (spk_outfile_commit(&tl_out, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			ret = SPK_EXIT_FAIL;
			goto out;
		}
	}
	spk_sim_report_text(stdout, &sum, &o, img);
	ret = SPK_EXIT_OK;
	if (sum.st.graded_clamped > 0 || sum.st.counter_overflows > 0) {
		spk_error("%s: the chip cannot hold this network's values: %llu graded values "
			  "clamped to 32 bits, %llu attention counts beyond %d bits", o.image,
			  (unsigned long long)sum.st.graded_clamped,
			  (unsigned long long)sum.st.counter_overflows, img->counter_bits);
		ret = SPK_EXIT_FAIL;
	}
out:
	if (o.record_tile != NULL)
		spk_rtl_record_finish(false, err, sizeof(err));
	spk_trace_writer_abort(run.trace_out);
	if (run.part_dir != NULL && run.resume == NULL)
		spk_sim_remove_part_dir(run.part_dir);
	free(run.part_dir);
	for (uint32_t k = 0; run.done != NULL && k < run.n_segs; k++)
		free(run.done[k]);
	free(run.done);
	free(run.busy_sum);
	free(run.refused_sum);
	free(run.layer_sum);
	free(run.link_sum);
	spk_outfile_abort(&json_out);
	spk_outfile_abort(&tl_out);
	spk_timeline_destroy(run.tl);
	spk_critpath_destroy(run.cp);
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
