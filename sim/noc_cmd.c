/*
 * noc_cmd.c — `spikechip noc`: synthetic traffic on the network of an architecture file
 * (doc/noc.md). The traffic, the measurement and the bisection are sim/noc_traffic.h's; this
 * file reads the options, prints what the network does at zero load (the probe, the energy per
 * flit, the channel-load bound), runs the loads asked for, and writes the table as text, CSV
 * and JSON.
 *
 * Every check that can refuse the command (options, the arch file, the pattern on this mesh,
 * rates above what the traffic can offer) runs before the first output file is opened; output
 * files are written atomically (util/outfile.h) at the end, so a refused or failed command
 * leaves no file behind. The output is a function of the options and the arch file: the same
 * seed gives the same bytes.
 */
#include "config.h"

#include "arch/arch.h"
#include "cli/commands.h"
#include "sim/noc_traffic.h"
#include "util/jsonw.h"
#include "util/outfile.h"
#include "util/progress.h"
#include "util/util.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERRLEN 1024
#define MAX_RATES 1000		/* --sweep points */
#define MAX_HOT 64		/* --hotspot tiles */
#define SAT_FACTOR 3.0		/* saturated: latency above 3x zero-load (mean; p99: max) */

struct noc_opts {
	const char *arch;
	const char *csv, *json;
	struct spk_traffic_config c;
	uint32_t hot[MAX_HOT];
	bool hot_given, fraction_given;
	double rates[MAX_RATES];
	uint32_t n_rates;
	bool sweep, saturation, default_sweep;
	double tol;
	bool tol_given;
	uint64_t seed;
	const char *flits_arg, *burst_arg;
};

/* One run as reported: the phase that asked for it and its result. */
struct row {
	const char *phase;		/* "rate", "sweep", "bisect" */
	struct spk_traffic_result r;
};

struct report {
	struct noc_opts *o;
	const char *arch_path;
	const struct spk_arch *a;
	struct spk_traffic_zero z;
	double bound, load;
	uint32_t busy;
	double max_rate;
	struct row *rows;
	uint32_t n_rows;
	const char *phase;
	struct spk_traffic_sat_search sat;
	bool sat_done;
	struct spk_progress bar;
	uint32_t bar_total;
	bool show;
};

static void noc_usage(FILE *f)
{
	fprintf(f,
		"usage: spikechip noc [--arch FILE] [--pattern NAME] [--flits N|N:W,...]\n"
		"                     [--burst ON,OFF] [--multicast K] [--rate R | --sweep RATES]\n"
		"                     [--saturation [--tolerance T]] [--warmup N] [--measure N]\n"
		"                     [--seed N] [--csv FILE] [--json FILE]\n"
		"\n"
		"Synthetic traffic on the network of an architecture (its mesh, router_stages,\n"
		"buffer_flits, multicast mode and router and link energies): every tile creates\n"
		"packets for the pattern's destinations at the offered load, and the network\n"
		"is simulated cycle by cycle. For each load: accepted load, mean and 99th\n"
		"percentile latency (from creation, source queueing included), network\n"
		"latency, hops, energy per flit, and whether the network is saturated. First,\n"
		"what the pattern takes at zero load (each packet alone in the network) and its\n"
		"channel-load bound. doc/noc.md describes the patterns and the measurement.\n"
		"\n"
		"options:\n"
		"  --arch FILE          architecture (INI file or a preset name: small, default,\n"
		"                       large, loihi; default: the shipped default)\n"
		"  --pattern NAME       uniform (default), transpose, bitcomp, bitrev, shuffle,\n"
		"                       tornado, neighbor, hotspot; transpose needs a square mesh,\n"
		"                       bitcomp, bitrev and shuffle a power-of-two number of tiles\n"
		"  --hotspot-fraction F hotspot: the probability (0 < F <= 1) that a packet goes to\n"
		"                       a hotspot tile (default 0.2); others go to any other tile\n"
		"  --hotspot T[,T...]   hotspot: the hotspot tiles (tile = y*mesh_x + x; default:\n"
		"                       the centre tile)\n"
		"  --flits N            packets of N flits (1..%u; default 1), or a distribution\n"
		"                       SIZE:WEIGHT,SIZE:WEIGHT,... (weights are normalised)\n"
		"  --burst ON,OFF       on/off injection: sources alternate on and off periods of\n"
		"                       geometric length with means ON and OFF cycles (>= 1), and\n"
		"                       create packets only when on (default: Bernoulli injection)\n"
		"  --multicast K        every tile sends 1-flit packets to its own group of K random\n"
		"                       tiles: forked by the routers with [noc] multicast = tree,\n"
		"                       K unicast packets from the source otherwise\n"
		"  --rate R             one offered load, flits/cycle/tile (delivered copies)\n"
		"  --sweep RATES        loads LO:HI:STEP or R1,R2,...; stops after the first\n"
		"                       saturated one (default without --rate and --saturation:\n"
		"                       20 loads up to the highest this traffic can offer)\n"
		"  --saturation         locate the saturation throughput by bisection (after the\n"
		"                       sweep or rate, if any, starting from what they found)\n"
		"  --tolerance T        width of the final bracket (default 0.005 flits/cycle/tile)\n"
		"  --warmup N           warm-up cycles (default 2000)\n"
		"  --measure N          measurement window, cycles (default 10000); tagged packets\n"
		"                       get as many cycles again to arrive\n"
		"  --seed N             random seed (default 1): the same seed, the same output\n"
		"  --csv FILE           write the runs as CSV\n"
		"  --json FILE          write the report as JSON\n"
		"  -h, --help           show this help\n"
		"\n"
		"A load is saturated when its mean latency exceeds 3x the zero-load mean, its\n"
		"99th percentile 3x the zero-load maximum, a tagged packet has not arrived at\n"
		"the end of the drain, or a source queue of %u packets overflowed.\n"
		"\n"
		"exit status: 0 done; 2 a bad option or arch file, or a pattern this mesh does\n"
		"not define (nothing is written).\n",
		SPK_NOC_MAX_FLITS, SPK_TRAFFIC_QUEUE);
}

/* --flits N or SIZE:WEIGHT,... into c. 0 or -1. */
static int parse_flits(const char *arg, struct spk_traffic_config *c)
{
	char buf[512], *save = NULL, *tok;
	double sum = 0;
	long v;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	c->n_sizes = 0;
	if (strchr(buf, ':') == NULL) {
		if (spk_parse_long(buf, 1, SPK_NOC_MAX_FLITS, &v) < 0)
			return -1;
		c->n_sizes = 1;
		c->size[0] = (uint16_t)v;
		c->size_p[0] = 1;
		return 0;
	}
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		double w;

		if (colon == NULL || c->n_sizes == SPK_TRAFFIC_MAX_SIZES)
			return -1;
		*colon = '\0';
		if (spk_parse_long(tok, 1, SPK_NOC_MAX_FLITS, &v) < 0 ||
		    spk_parse_double(colon + 1, 0, 1e9, &w) < 0 || !(w > 0))
			return -1;
		for (uint32_t i = 0; i < c->n_sizes; i++)
			if (c->size[i] == v)
				return -1;
		c->size[c->n_sizes] = (uint16_t)v;
		c->size_p[c->n_sizes++] = w;
		sum += w;
	}
	if (c->n_sizes == 0)
		return -1;
	for (uint32_t i = 0; i < c->n_sizes; i++)
		c->size_p[i] /= sum;
	return 0;
}

/* "A,B" as two doubles in [lo, hi]. 0 or -1. */
static int parse_pair(const char *arg, double lo, double hi, double *a, double *b)
{
	char buf[128], *comma;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	comma = strchr(buf, ',');
	if (comma == NULL)
		return -1;
	*comma = '\0';
	return spk_parse_double(buf, lo, hi, a) < 0 || spk_parse_double(comma + 1, lo, hi, b) < 0 ?
	       -1 : 0;
}

/* --sweep LO:HI:STEP or R1,R2,... into o->rates. 0 or -1. */
static int parse_sweep(const char *arg, struct noc_opts *o)
{
	char buf[4096], *save = NULL, *tok;
	double lo, hi, step;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	o->n_rates = 0;
	if (strchr(buf, ':') != NULL) {
		char *a = buf, *b = strchr(a, ':'), *s;

		*b++ = '\0';
		s = strchr(b, ':');
		if (s == NULL)
			return -1;
		*s++ = '\0';
		if (spk_parse_double(a, 0, 1e6, &lo) < 0 || spk_parse_double(b, 0, 1e6, &hi) < 0 ||
		    spk_parse_double(s, 0, 1e6, &step) < 0 || !(lo > 0) || !(step > 0) || hi < lo)
			return -1;
		for (uint32_t i = 0;; i++) {
			double r = lo + i * step;

			if (r > hi * (1 + 1e-9))
				break;
			if (o->n_rates == MAX_RATES)
				return -1;
			o->rates[o->n_rates++] = r;
		}
		return 0;
	}
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		double r;

		if (o->n_rates == MAX_RATES || spk_parse_double(tok, 0, 1e6, &r) < 0 || !(r > 0))
			return -1;
		o->rates[o->n_rates++] = r;
	}
	return o->n_rates > 0 ? 0 : -1;
}

/* --hotspot T,T,... into o->hot. 0 or -1. */
static int parse_hot(const char *arg, struct noc_opts *o)
{
	char buf[1024], *save = NULL, *tok;
	long v;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	o->c.n_hot = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (o->c.n_hot == MAX_HOT || spk_parse_long(tok, 0, INT32_MAX, &v) < 0)
			return -1;
		o->hot[o->c.n_hot++] = (uint32_t)v;
	}
	return o->c.n_hot > 0 ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct noc_opts *o)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, 'a' },
		{ "pattern", required_argument, NULL, 'p' },
		{ "hotspot-fraction", required_argument, NULL, 'F' },
		{ "hotspot", required_argument, NULL, 'H' },
		{ "flits", required_argument, NULL, 'f' },
		{ "burst", required_argument, NULL, 'b' },
		{ "multicast", required_argument, NULL, 'k' },
		{ "rate", required_argument, NULL, 'r' },
		{ "sweep", required_argument, NULL, 'S' },
		{ "saturation", no_argument, NULL, 'x' },
		{ "tolerance", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "measure", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "csv", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct spk_traffic_config *c = &o->c;
	bool rate_given = false;
	long v;
	int ch;

	c->pattern = SPK_TRAFFIC_UNIFORM;
	c->hot_fraction = 0.2;
	c->n_sizes = 1;
	c->size[0] = 1;
	c->size_p[0] = 1;
	c->warmup = 2000;
	c->measure = 10000;
	o->seed = 1;
	o->tol = 0.005;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': o->arch = optarg; break;
		case 'c': o->csv = optarg; break;
		case 'j': o->json = optarg; break;
		case 'p':
			if (spk_traffic_pattern_parse(optarg, &c->pattern) < 0) {
				spk_error("noc: --pattern '%s' is not a pattern (uniform, transpose, "
					  "bitcomp, bitrev, shuffle, tornado, neighbor, hotspot)",
					  optarg);
				return SPK_EXIT_USAGE;
			}
			break;
		case 'F':
			if (spk_parse_double(optarg, 0, 1, &c->hot_fraction) < 0 ||
			    !(c->hot_fraction > 0)) {
				spk_error("noc: --hotspot-fraction '%s' is not a probability "
					  "(0 < F <= 1)", optarg);
				return SPK_EXIT_USAGE;
			}
			o->fraction_given = true;
			break;
		case 'H':
			if (parse_hot(optarg, o) < 0) {
				spk_error("noc: --hotspot '%s' is not a list of tiles T,T,... (at most "
					  "%d)", optarg, MAX_HOT);
				return SPK_EXIT_USAGE;
			}
			o->hot_given = true;
			break;
		case 'f':
			if (parse_flits(optarg, c) < 0) {
				spk_error("noc: --flits '%s' is not a packet size (1..%u) or a list "
					  "SIZE:WEIGHT,... of distinct sizes with positive weights",
					  optarg, SPK_NOC_MAX_FLITS);
				return SPK_EXIT_USAGE;
			}
			o->flits_arg = optarg;
			break;
		case 'b':
			if (parse_pair(optarg, 1, 1e9, &c->burst_on, &c->burst_off) < 0) {
				spk_error("noc: --burst '%s' is not ON,OFF (mean on and off periods, "
					  "cycles, each 1 or more)", optarg);
				return SPK_EXIT_USAGE;
			}
			o->burst_arg = optarg;
			break;
		case 'k':
			if (spk_parse_long(optarg, 1, 65535, &v) < 0) {
				spk_error("noc: --multicast '%s' is not a group size (1..65535)",
					  optarg);
				return SPK_EXIT_USAGE;
			}
			c->members = (uint32_t)v;
			break;
		case 'r':
			if (spk_parse_double(optarg, 0, 1e6, &o->rates[0]) < 0 || !(o->rates[0] > 0)) {
				spk_error("noc: --rate '%s' is not a load (flits/cycle/tile, above 0)",
					  optarg);
				return SPK_EXIT_USAGE;
			}
			o->n_rates = 1;
			rate_given = true;
			break;
		case 'S':
			if (parse_sweep(optarg, o) < 0) {
				spk_error("noc: --sweep '%s' is not LO:HI:STEP or R1,R2,... (loads "
					  "above 0, at most %d)", optarg, MAX_RATES);
				return SPK_EXIT_USAGE;
			}
			o->sweep = true;
			break;
		case 'x': o->saturation = true; break;
		case 't':
			if (spk_parse_double(optarg, 0, 1e6, &o->tol) < 0 || !(o->tol > 0)) {
				spk_error("noc: --tolerance '%s' is not a load (above 0)", optarg);
				return SPK_EXIT_USAGE;
			}
			o->tol_given = true;
			break;
		case 'w':
			if (spk_parse_long(optarg, 0, 1000000000, &v) < 0) {
				spk_error("noc: --warmup '%s' is not a number of cycles (0..1e9)",
					  optarg);
				return SPK_EXIT_USAGE;
			}
			c->warmup = (uint64_t)v;
			break;
		case 'm':
			if (spk_parse_long(optarg, 1, 1000000000, &v) < 0) {
				spk_error("noc: --measure '%s' is not a number of cycles (1..1e9)",
					  optarg);
				return SPK_EXIT_USAGE;
			}
			c->measure = (uint64_t)v;
			break;
		case 's':
			if (spk_parse_long(optarg, 0, LONG_MAX, &v) < 0) {
				spk_error("noc: --seed '%s' is not a seed (0 or more)", optarg);
				return SPK_EXIT_USAGE;
			}
			o->seed = (uint64_t)v;
			break;
		case 'h':
			noc_usage(stdout);
			return -1;
		default:
			return spk_opt_fail("noc", ch, argv[optind - 1]);
		}
	}
	if (spk_opt_extra("noc", optind < argc ? argv[optind] : NULL))
		return SPK_EXIT_USAGE;
	if (rate_given && o->sweep) {
		spk_error("noc: give --rate or --sweep, not both");
		return SPK_EXIT_USAGE;
	}
	if ((o->hot_given || o->fraction_given) && c->pattern != SPK_TRAFFIC_HOTSPOT) {
		spk_error("noc: %s applies to --pattern hotspot", o->hot_given ? "--hotspot" :
			  "--hotspot-fraction");
		return SPK_EXIT_USAGE;
	}
	if (o->tol_given && !o->saturation) {
		spk_error("noc: --tolerance is the bisection's: give --saturation");
		return SPK_EXIT_USAGE;
	}
	if (c->members > 0 && o->flits_arg != NULL) {
		spk_error("noc: --multicast sends 1-flit packets: it takes no --flits");
		return SPK_EXIT_USAGE;
	}
	if (!rate_given && !o->sweep && !o->saturation) {
		o->sweep = true;
		o->default_sweep = true;
	}
	c->drain = c->measure;
	return 0;
}

static const char *const port_names[] = { "local", "east", "west", "north", "south" };

/* The channel spk_traffic_channel_bound() named. */
static void channel_name(const struct report *rp, char *buf, size_t len)
{
	uint32_t n = rp->o->c.noc.mesh_x * rp->o->c.noc.mesh_y;

	if (rp->busy >= 5 * n)
		snprintf(buf, len, "tile %u injection", rp->busy - 5 * n);
	else if (rp->busy % 5 == 0)
		snprintf(buf, len, "tile %u ejection", rp->busy / 5);
	else
		snprintf(buf, len, "tile %u %s", rp->busy / 5, port_names[rp->busy % 5]);
}

static void traffic_text(FILE *f, const struct report *rp)
{
	const struct noc_opts *o = rp->o;
	const struct spk_traffic_config *c = &o->c;

	fprintf(f, "traffic: %s", spk_traffic_pattern_name(c->pattern));
	if (c->pattern == SPK_TRAFFIC_HOTSPOT) {
		fprintf(f, " (fraction %g to tile%s", c->hot_fraction, c->n_hot > 1 ? "s" : "");
		for (uint32_t i = 0; i < c->n_hot; i++)
			fprintf(f, "%s%u", i ? "," : " ", c->hot[i]);
		fprintf(f, ")");
	}
	if (c->members > 0)
		fprintf(f, ", multicast to a group of %u random tiles per source (%s)", c->members,
			c->tree ? "tree: forked by the routers" : "source: one packet per member");
	fprintf(f, "; ");
	if (c->n_sizes == 1) {
		fprintf(f, "%u-flit packets", c->size[0]);
	} else {
		fprintf(f, "packets of");
		for (uint32_t i = 0; i < c->n_sizes; i++)
			fprintf(f, "%s %u (p %.4g)", i ? "," : "", c->size[i], c->size_p[i]);
		fprintf(f, " flits, mean %.4g", spk_traffic_mean_flits(c));
	}
	if (c->burst_on > 0)
		fprintf(f, "; on/off injection, mean on %g, off %g cycles", c->burst_on,
			c->burst_off);
	else
		fprintf(f, "; Bernoulli injection");
	fprintf(f, "; seed %llu\n", (unsigned long long)o->seed);
}

static void header_text(FILE *f, const struct report *rp)
{
	const struct spk_traffic_config *c = &rp->o->c;
	char ch[64];

	fprintf(f, "arch: %s (%ux%u mesh, router_stages %u, buffer_flits %u, flit_bits %u, "
		"multicast %s)\n", rp->arch_path, c->noc.mesh_x, c->noc.mesh_y,
		c->noc.router_stages, c->noc.buffer_flits, c->noc.flit_bits,
		c->tree ? "tree" : "source");
	traffic_text(f, rp);
	fprintf(f, "windows: warm-up %llu cycles, measure %llu, drain up to %llu\n",
		(unsigned long long)c->warmup, (unsigned long long)c->measure,
		(unsigned long long)c->drain);
	fprintf(f, "zero-load latency: %.4f cycles mean, %llu max, %.4f hops mean (each packet "
		"alone; %s %llu packets)\n", rp->z.latency, (unsigned long long)rp->z.latency_max,
		rp->z.hops, rp->z.exact ? "exact over" : "a sample of",
		(unsigned long long)rp->z.packets);
	fprintf(f, "energy per flit: %.4f pJ at zero load (router_pj %g, link_pj %g)\n",
		rp->z.pj_per_flit, c->router_pj, c->link_pj);
	channel_name(rp, ch, sizeof(ch));
	fprintf(f, "channel-load bound: %.4f flits/cycle/tile (channel load %.4f per unit load "
		"at %s)\n", rp->bound, rp->load, ch);
	fprintf(f, "highest load offered: %.4f flits/cycle/tile\n", rp->max_rate);
	fprintf(f, "saturated: mean latency above %.4f cycles or p99 above %.4f (%gx zero-load "
		"mean and max), a tagged packet out at the end of the drain, or a full source "
		"queue\n", c->sat_latency, c->sat_p99, SAT_FACTOR);
	fprintf(f, "\n%-6s %8s %9s %9s %9s %6s %6s %9s %6s %8s %s\n", "phase", "offered",
		"accepted", "min_acc", "latency", "p99", "max", "net_lat", "hops", "pJ/flit",
		"saturated");
	fflush(f);
}

static void row_text(FILE *f, const struct row *w)
{
	const struct spk_traffic_result *r = &w->r;

	fprintf(f, "%-6s %8.4f %9.4f %9.4f %9.2f %6llu %6llu %9.2f %6.2f %8.3f %s\n", w->phase,
		r->rate, r->accepted, r->accepted_min, r->latency,
		(unsigned long long)r->latency_p99, (unsigned long long)r->latency_max,
		r->net_latency, r->hops, r->pj_per_flit, spk_traffic_sat_name(r->sat));
	fflush(f);
}

static void sat_text(FILE *f, const struct report *rp)
{
	const struct spk_traffic_sat_search *s = &rp->sat;

	if (s->saturated_at == 0)
		fprintf(f, "\nsaturation throughput: not saturated at the highest load offered, "
			"%.4f flits/cycle/tile (accepted %.4f); %u runs\n", s->throughput,
			s->accepted, s->runs);
	else
		fprintf(f, "\nsaturation throughput: %.4f flits/cycle/tile (accepted %.4f); "
			"saturated at %.4f; %u runs, tolerance %g\n", s->throughput, s->accepted,
			s->saturated_at, s->runs, rp->o->tol);
}

/* Called after every run: keep, print, progress. */
static void on_run(void *ctx, const struct spk_traffic_result *r)
{
	struct report *rp = ctx;
	struct row *w = &rp->rows[rp->n_rows++];

	w->phase = rp->phase;
	w->r = *r;
	row_text(stdout, w);
	if (rp->show)
		spk_progress_show(&rp->bar, rp->n_rows < rp->bar_total ? rp->n_rows : rp->bar_total,
				  false);
}

static void write_csv(FILE *f, const struct report *rp)
{
	fprintf(f, "phase,offered,accepted,accepted_min,latency,latency_p99,latency_max,"
		"network_latency,hops,pj_per_flit,tagged,arrived,saturated\n");
	for (uint32_t i = 0; i < rp->n_rows; i++) {
		const struct spk_traffic_result *r = &rp->rows[i].r;

		fprintf(f, "%s,%.17g,%.17g,%.17g,%.17g,%llu,%llu,%.17g,%.17g,%.17g,%llu,%llu,%s\n",
			rp->rows[i].phase, r->rate, r->accepted, r->accepted_min, r->latency,
			(unsigned long long)r->latency_p99, (unsigned long long)r->latency_max,
			r->net_latency, r->hops, r->pj_per_flit, (unsigned long long)r->tagged,
			(unsigned long long)r->arrived, spk_traffic_sat_name(r->sat));
	}
}

static void write_json(struct spk_jsonw *j, const struct report *rp)
{
	const struct noc_opts *o = rp->o;
	const struct spk_traffic_config *c = &o->c;
	char ch[64];

	spk_jsonw_object(j);
	spk_jsonw_key_str(j, "arch", rp->arch_path);
	spk_jsonw_key_uint(j, "mesh_x", c->noc.mesh_x);
	spk_jsonw_key_uint(j, "mesh_y", c->noc.mesh_y);
	spk_jsonw_key_uint(j, "router_stages", c->noc.router_stages);
	spk_jsonw_key_uint(j, "buffer_flits", c->noc.buffer_flits);
	spk_jsonw_key_uint(j, "flit_bits", c->noc.flit_bits);
	spk_jsonw_key_str(j, "multicast", c->tree ? "tree" : "source");
	spk_jsonw_key_real(j, "router_pj", c->router_pj);
	spk_jsonw_key_real(j, "link_pj", c->link_pj);
	spk_jsonw_key_str(j, "pattern", spk_traffic_pattern_name(c->pattern));
	spk_jsonw_key(j, "hotspot");
	if (c->pattern == SPK_TRAFFIC_HOTSPOT) {
		spk_jsonw_object(j);
		spk_jsonw_key_real(j, "fraction", c->hot_fraction);
		spk_jsonw_key(j, "tiles");
		spk_jsonw_array_inline(j);
		for (uint32_t i = 0; i < c->n_hot; i++)
			spk_jsonw_uint(j, c->hot[i]);
		spk_jsonw_end(j);
		spk_jsonw_end(j);
	} else {
		spk_jsonw_null(j);
	}
	spk_jsonw_key(j, "flits");
	spk_jsonw_array(j);
	for (uint32_t i = 0; i < c->n_sizes; i++) {
		spk_jsonw_object(j);
		spk_jsonw_key_uint(j, "size", c->size[i]);
		spk_jsonw_key_real(j, "p", c->size_p[i]);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_key_real(j, "flits_mean", spk_traffic_mean_flits(c));
	spk_jsonw_key_str(j, "injection", c->burst_on > 0 ? "on-off" : "bernoulli");
	spk_jsonw_key(j, "burst");
	if (c->burst_on > 0) {
		spk_jsonw_object(j);
		spk_jsonw_key_real(j, "on", c->burst_on);
		spk_jsonw_key_real(j, "off", c->burst_off);
		spk_jsonw_end(j);
	} else {
		spk_jsonw_null(j);
	}
	spk_jsonw_key_uint(j, "multicast_members", c->members);
	spk_jsonw_key_uint(j, "seed", o->seed);
	spk_jsonw_key_uint(j, "warmup", c->warmup);
	spk_jsonw_key_uint(j, "measure", c->measure);
	spk_jsonw_key_uint(j, "drain", c->drain);
	spk_jsonw_key(j, "zero_load");
	spk_jsonw_object(j);
	spk_jsonw_key_real(j, "latency", rp->z.latency);
	spk_jsonw_key_uint(j, "latency_max", rp->z.latency_max);
	spk_jsonw_key_real(j, "hops", rp->z.hops);
	spk_jsonw_key_real(j, "pj_per_flit", rp->z.pj_per_flit);
	spk_jsonw_key_uint(j, "packets", rp->z.packets);
	spk_jsonw_key_bool(j, "exact", rp->z.exact);
	spk_jsonw_end(j);
	spk_jsonw_key(j, "channel_bound");
	spk_jsonw_object(j);
	spk_jsonw_key_real(j, "throughput", rp->bound);
	spk_jsonw_key_real(j, "channel_load", rp->load);
	channel_name(rp, ch, sizeof(ch));
	spk_jsonw_key_str(j, "channel", ch);
	spk_jsonw_end(j);
	spk_jsonw_key_real(j, "max_rate", rp->max_rate);
	spk_jsonw_key_real(j, "saturation_latency", c->sat_latency);
	spk_jsonw_key_real(j, "saturation_p99", c->sat_p99);
	spk_jsonw_key(j, "runs");
	spk_jsonw_array(j);
	for (uint32_t i = 0; i < rp->n_rows; i++) {
		const struct spk_traffic_result *r = &rp->rows[i].r;

		spk_jsonw_object(j);
		spk_jsonw_key_str(j, "phase", rp->rows[i].phase);
		spk_jsonw_key_real(j, "offered", r->rate);
		spk_jsonw_key_real(j, "accepted", r->accepted);
		spk_jsonw_key_real(j, "accepted_min", r->accepted_min);
		spk_jsonw_key_real(j, "latency", r->latency);
		spk_jsonw_key_uint(j, "latency_p99", r->latency_p99);
		spk_jsonw_key_uint(j, "latency_max", r->latency_max);
		spk_jsonw_key_real(j, "network_latency", r->net_latency);
		spk_jsonw_key_real(j, "hops", r->hops);
		spk_jsonw_key_real(j, "pj_per_flit", r->pj_per_flit);
		spk_jsonw_key_uint(j, "tagged", r->tagged);
		spk_jsonw_key_uint(j, "arrived", r->arrived);
		spk_jsonw_key_bool(j, "saturated", r->sat != SPK_TRAFFIC_SAT_NO);
		spk_jsonw_key_str(j, "why", r->sat != SPK_TRAFFIC_SAT_NO ?
				  spk_traffic_sat_name(r->sat) : NULL);
		spk_jsonw_end(j);
	}
	spk_jsonw_end(j);
	spk_jsonw_key(j, "saturation");
	if (rp->sat_done) {
		spk_jsonw_object(j);
		spk_jsonw_key_real(j, "throughput", rp->sat.throughput);
		spk_jsonw_key_real(j, "accepted", rp->sat.accepted);
		spk_jsonw_key(j, "saturated_at");
		if (rp->sat.saturated_at > 0)
			spk_jsonw_real(j, rp->sat.saturated_at);
		else
			spk_jsonw_null(j);
		spk_jsonw_key_real(j, "tolerance", o->tol);
		spk_jsonw_key_uint(j, "runs", rp->sat.runs);
		spk_jsonw_end(j);
	} else {
		spk_jsonw_null(j);
	}
	spk_jsonw_end(j);
}

/* Loads the arch, fills the network part of o->c. 0 or -1 (message printed). */
static int load_arch(struct noc_opts *o, char *path, size_t len, struct spk_arch *a)
{
	char err[ERRLEN];

	if (o->arch == NULL) {
		if (spk_data_path("arch/default.ini", path, len) < 0) {
			spk_error("noc: the default architecture is missing (looked for '%s'); give "
				  "one with --arch", path);
			return -1;
		}
	} else {
		spk_arch_resolve(o->arch, path, len);
	}
	if (spk_arch_load(a, path, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		return -1;
	}
	spk_noc_config_from_arch(&o->c.noc, a);
	o->c.tree = a->noc.multicast == SPK_MULTICAST_TREE;
	o->c.router_pj = a->energy.router_pj;
	o->c.link_pj = a->energy.link_pj;
	o->c.group_seed = o->seed;
	if (o->c.pattern == SPK_TRAFFIC_HOTSPOT && !o->hot_given) {
		o->hot[0] = (uint32_t)(a->chip.mesh_y / 2 * a->chip.mesh_x + a->chip.mesh_x / 2);
		o->c.n_hot = 1;
	}
	o->c.hot = o->hot;
	return 0;
}

/* Every rate asked for within what the traffic can offer. 0 or -1 (message printed). */
static int check_rates(const struct noc_opts *o, double max)
{
	for (uint32_t i = 0; i < o->n_rates; i++)
		if (o->rates[i] > max * (1 + 1e-9)) {
			spk_error("noc: %s %g is above the highest load this traffic can offer, %.4g "
				  "flits/cycle/tile (one packet per %scycle, one flit per cycle "
				  "from each NI)", o->sweep ? "--sweep: load" : "--rate", o->rates[i],
				  max, o->c.burst_on > 0 ? "on " : "");
			return -1;
		}
	return 0;
}

int spk_noc_main(int argc, char **argv)
{
	struct noc_opts *o = calloc(1, sizeof(*o));
	char err[ERRLEN], arch_path[PATH_MAX];
	struct spk_outfile csv_out = { 0 }, json_out = { 0 };
	struct spk_arch arch;
	struct report rp = { 0 };
	int rc, ret = SPK_EXIT_USAGE;

	if (o == NULL) {
		spk_error("noc: out of memory");
		return SPK_EXIT_FAIL;
	}
	rc = parse_opts(argc, argv, o);
	if (rc != 0) {
		free(o);
		return rc < 0 ? SPK_EXIT_OK : rc;
	}
	if (load_arch(o, arch_path, sizeof(arch_path), &arch) < 0)
		goto out;
	if (spk_traffic_check(&o->c, err, sizeof(err)) < 0) {
		spk_error("noc: %s: %s", arch_path, err);
		goto out;
	}
	rp.o = o;
	rp.arch_path = arch_path;
	rp.a = &arch;
	rp.max_rate = spk_traffic_max_rate(&o->c);
	if (o->default_sweep) {
		o->n_rates = 20;
		for (uint32_t i = 0; i < 20; i++)
			o->rates[i] = rp.max_rate * (i + 1) / 20;
	}
	if (check_rates(o, rp.max_rate) < 0)
		goto out;
	if (o->csv != NULL && spk_outfile_open(&csv_out, o->csv, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		goto out;
	}
	if (o->json != NULL && spk_outfile_open(&json_out, o->json, err, sizeof(err)) < 0) {
		spk_error("%s", err);
		goto out;
	}
	ret = SPK_EXIT_FAIL;
	rp.rows = calloc(MAX_RATES + 65, sizeof(*rp.rows));
	if (rp.rows == NULL || spk_traffic_zero_load(&o->c, &rp.z) < 0 ||
	    spk_traffic_channel_bound(&o->c, &rp.bound, &rp.load, &rp.busy) < 0) {
		spk_error("noc: out of memory");
		goto out;
	}
	o->c.sat_latency = SAT_FACTOR * rp.z.latency;
	o->c.sat_p99 = SAT_FACTOR * (double)rp.z.latency_max;
	header_text(stdout, &rp);

	rp.show = isatty(STDERR_FILENO);
	rp.bar_total = o->n_rates + (o->saturation ? spk_traffic_saturation_runs(rp.max_rate,
										  o->tol) : 0);
	spk_progress_init(&rp.bar, rp.bar_total);
	{
		double lo = 0, lo_acc = 0, hi = rp.max_rate;
		bool hi_known = false;

		rp.phase = o->sweep ? "sweep" : "rate";
		for (uint32_t i = 0; i < o->n_rates; i++) {
			struct spk_traffic_result r;

			if (spk_traffic_run(&o->c, o->rates[i], o->seed, &r) < 0) {
				spk_error("noc: out of memory");
				goto out;
			}
			on_run(&rp, &r);
			if (r.sat == SPK_TRAFFIC_SAT_NO) {
				if (r.rate > lo) {
					lo = r.rate;
					lo_acc = r.accepted;
				}
			} else {
				if (r.rate < hi || !hi_known) {
					hi = r.rate;
					hi_known = true;
				}
				if (o->sweep)
					break;
			}
		}
		if (o->saturation) {
			rp.phase = "bisect";
			if (spk_traffic_saturation(&o->c, lo, lo_acc, hi, hi_known, o->tol, o->seed,
						   on_run, &rp, &rp.sat) < 0) {
				spk_error("noc: out of memory");
				goto out;
			}
			rp.sat_done = true;
			sat_text(stdout, &rp);
		}
	}
	if (rp.show)
		spk_progress_show(&rp.bar, rp.bar_total, true);
	if (o->csv != NULL) {
		write_csv(csv_out.f, &rp);
		if (spk_outfile_commit(&csv_out, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			goto out;
		}
	}
	if (o->json != NULL) {
		struct spk_jsonw j;

		spk_jsonw_init(&j, json_out.f);
		write_json(&j, &rp);
		spk_jsonw_finish(&j);
		if (spk_outfile_commit(&json_out, err, sizeof(err)) < 0) {
			spk_error("%s", err);
			goto out;
		}
	}
	ret = SPK_EXIT_OK;
out:
	spk_outfile_abort(&csv_out);
	spk_outfile_abort(&json_out);
	free(rp.rows);
	free(o);
	return ret;
}
