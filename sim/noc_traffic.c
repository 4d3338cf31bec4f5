/*
 * noc_traffic.c — synthetic traffic on the network: patterns, injection processes, the
 * measurement of one load, the zero-load probe, the channel-load bound and the bisection for
 * saturation (sim/noc_traffic.h is the contract, doc/noc.md the description).
 *
 * A run is event-driven like the network: every source is woken through the event queue
 * (sim/sched.h) at its next packet creation (geometric gaps for Bernoulli injection; geometric
 * on and off periods for bursty injection) or, while its queue holds packets, every cycle to
 * offer the head to its NI. The network is run up to the next such cycle (or a window boundary)
 * in one call, so an idle network and idle sources cost nothing. The destination of a packet is
 * drawn when its NI is first offered it, in event order, from the run's one random stream.
 */
#include "config.h"

#include "sim/noc_traffic.h"
#include "sim/sched.h"
#include "util/rng.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PORTS SPK_ROUTER_PORTS
/* A queue entry: creation cycle (bits 0..47), flits (48..58), tagged (63). */
#define E_CYCLE ((UINT64_C(1) << 48) - 1)
#define E_FLITS_SHIFT 48
#define E_TAGGED (UINT64_C(1) << 63)
/* More (source, destination, size) triples than this: the probe samples. */
#define PROBE_EXACT_MAX (1u << 18)

static const char *const pattern_names[SPK_TRAFFIC_N_PATTERNS] = {
	"uniform", "transpose", "bitcomp", "bitrev", "shuffle", "tornado", "neighbor", "hotspot",
};

const char *spk_traffic_pattern_name(enum spk_traffic_pattern p)
{
	assert(p < SPK_TRAFFIC_N_PATTERNS);
	return pattern_names[p];
}

int spk_traffic_pattern_parse(const char *name, enum spk_traffic_pattern *p)
{
	for (int i = 0; i < SPK_TRAFFIC_N_PATTERNS; i++)
		if (strcmp(name, pattern_names[i]) == 0) {
			*p = (enum spk_traffic_pattern)i;
			return 0;
		}
	return -EINVAL;
}

const char *spk_traffic_sat_name(enum spk_traffic_sat s)
{
	static const char *const names[] = { "no", "queue", "drain", "latency", "p99" };

	return names[s];
}

static uint32_t tiles(const struct spk_traffic_config *c)
{
	return c->noc.mesh_x * c->noc.mesh_y;
}

static bool pow2(uint32_t n)
{
	return n > 0 && (n & (n - 1)) == 0;
}

static uint32_t log2u(uint32_t n)
{
	uint32_t b = 0;

	while ((UINT32_C(1) << b) < n)
		b++;
	return b;
}

int spk_traffic_check(const struct spk_traffic_config *c, char *err, size_t errlen)
{
	const uint32_t n = tiles(c), mx = c->noc.mesh_x, my = c->noc.mesh_y;
	const char *name = spk_traffic_pattern_name(c->pattern);

	switch (c->pattern) {
	case SPK_TRAFFIC_TRANSPOSE:
		if (mx != my) {
			snprintf(err, errlen, "--pattern transpose needs a square mesh; this one is "
				 "%ux%u", mx, my);
			return -EINVAL;
		}
		break;
	case SPK_TRAFFIC_BITCOMP:
	case SPK_TRAFFIC_BITREV:
	case SPK_TRAFFIC_SHUFFLE:
		if (!pow2(n)) {
			snprintf(err, errlen, "--pattern %s needs a power-of-two number of tiles; this "
				 "mesh is %ux%u (%u tiles)", name, mx, my, n);
			return -EINVAL;
		}
		break;
	case SPK_TRAFFIC_HOTSPOT:
		for (uint32_t i = 0; i < c->n_hot; i++) {
			if (c->hot[i] >= n) {
				snprintf(err, errlen, "--hotspot: tile %u is outside the %ux%u mesh "
					 "(tiles 0..%u)", c->hot[i], mx, my, n - 1);
				return -EINVAL;
			}
			for (uint32_t j = 0; j < i; j++)
				if (c->hot[j] == c->hot[i]) {
					snprintf(err, errlen, "--hotspot: tile %u is given twice",
						 c->hot[i]);
					return -EINVAL;
				}
		}
		break;
	default:
		break;
	}
	if (c->members > 0) {
		if (c->pattern != SPK_TRAFFIC_UNIFORM) {
			snprintf(err, errlen, "--multicast sends to random groups: it takes no "
				 "--pattern (got %s)", name);
			return -EINVAL;
		}
		if (c->n_sizes != 1 || c->size[0] != 1) {
			snprintf(err, errlen, "--multicast sends 1-flit packets: it takes no --flits");
			return -EINVAL;
		}
		if (c->members >= n) {
			snprintf(err, errlen, "--multicast %u: groups are of other tiles, at most %u on "
				 "a %ux%u mesh", c->members, n - 1, mx, my);
			return -EINVAL;
		}
	}
	return 0;
}

double spk_traffic_mean_flits(const struct spk_traffic_config *c)
{
	double f = 0;

	for (uint32_t i = 0; i < c->n_sizes; i++)
		f += c->size_p[i] * c->size[i];
	return f;
}

/* Fraction of cycles in which a source may create packets. */
static double duty(const struct spk_traffic_config *c)
{
	return c->burst_on > 0 ? c->burst_on / (c->burst_on + c->burst_off) : 1.0;
}

/* Copies delivered per created packet. */
static uint32_t copies(const struct spk_traffic_config *c)
{
	return c->members > 0 ? c->members : 1;
}

double spk_traffic_max_rate(const struct spk_traffic_config *c)
{
	const double f = spk_traffic_mean_flits(c), k = copies(c);
	/* a creation per (on) cycle at most: rate = p·k·f with p <= duty */
	double m = duty(c) * k * f;
	/* the NI injects one flit per cycle: p·f flits (tree) or p·k·f (one packet per copy) */
	double ni = c->tree && c->members > 0 ? k : 1.0;

	return m < ni ? m : ni;
}

uint32_t spk_traffic_dest(const struct spk_traffic_config *c, uint32_t s)
{
	const uint32_t mx = c->noc.mesh_x, my = c->noc.mesh_y, n = mx * my, b = log2u(n);
	const uint32_t x = s % mx, y = s / mx;
	uint32_t d = 0;

	switch (c->pattern) {
	case SPK_TRAFFIC_TRANSPOSE:
		return x * mx + y;
	case SPK_TRAFFIC_BITCOMP:
		return ~s & (n - 1);
	case SPK_TRAFFIC_BITREV:
		for (uint32_t i = 0; i < b; i++)
			if (s & (UINT32_C(1) << i))
				d |= UINT32_C(1) << (b - 1 - i);
		return d;
	case SPK_TRAFFIC_SHUFFLE:
		return b == 0 ? s : ((s << 1) | (s >> (b - 1))) & (n - 1);
	case SPK_TRAFFIC_TORNADO:
		return ((y + (my + 1) / 2 - 1) % my) * mx + (x + (mx + 1) / 2 - 1) % mx;
	case SPK_TRAFFIC_NEIGHBOR:
		return ((y + 1) % my) * mx + (x + 1) % mx;
	default:
		assert(!"a random pattern has no single destination");
		return s;
	}
}

/* Whether the hotspot pattern has a hotspot tile other than s. */
static bool hot_other(const struct spk_traffic_config *c, uint32_t s)
{
	return c->n_hot > 1 || (c->n_hot == 1 && c->hot[0] != s);
}

/* A destination drawn for a packet from s (random patterns draw from rng). */
static uint32_t draw_dest(const struct spk_traffic_config *c, uint32_t s, struct spk_rng *rng)
{
	const uint32_t n = tiles(c);
	uint32_t d;

	if (c->pattern == SPK_TRAFFIC_HOTSPOT && hot_other(c, s) &&
	    spk_rng_double(rng) < c->hot_fraction) {
		bool self = false;
		uint32_t j;

		for (uint32_t i = 0; i < c->n_hot; i++)
			self |= c->hot[i] == s;
		j = spk_rng_below(rng, c->n_hot - self);
		for (uint32_t i = 0; i < c->n_hot; i++) {
			if (c->hot[i] == s)
				continue;
			if (j-- == 0)
				return c->hot[i];
		}
	}
	if (c->pattern == SPK_TRAFFIC_UNIFORM || c->pattern == SPK_TRAFFIC_HOTSPOT) {
		d = spk_rng_below(rng, n - 1);
		return d >= s ? d + 1 : d;
	}
	return spk_traffic_dest(c, s);
}

/*
 * The destinations of packets from s with their probabilities: d[0..k), w[0..k) (room for
 * tiles entries each). Returns k.
 */
static uint32_t dest_weights(const struct spk_traffic_config *c, uint32_t s, uint32_t *d,
			     double *w)
{
	const uint32_t n = tiles(c);
	uint32_t k = 0;

	if (c->pattern != SPK_TRAFFIC_UNIFORM && c->pattern != SPK_TRAFFIC_HOTSPOT) {
		d[0] = spk_traffic_dest(c, s);
		w[0] = 1;
		return 1;
	}
	for (uint32_t t = 0; t < n; t++) {
		if (t == s)
			continue;
		d[k] = t;
		w[k++] = 1.0 / (n - 1);
	}
	if (c->pattern == SPK_TRAFFIC_HOTSPOT && hot_other(c, s)) {
		uint32_t nh = 0;

		for (uint32_t i = 0; i < c->n_hot; i++)
			nh += c->hot[i] != s;
		for (uint32_t i = 0; i < k; i++) {
			bool hot = false;

			w[i] *= 1 - c->hot_fraction;
			for (uint32_t j = 0; j < c->n_hot; j++)
				hot |= c->hot[j] == d[i];
			if (hot)
				w[i] += c->hot_fraction / nh;
		}
	}
	return k;
}

/* Every tile's multicast group of K distinct random other tiles, groups[t·K + j]. NULL: ENOMEM. */
static uint32_t *make_groups(const struct spk_traffic_config *c)
{
	const uint32_t n = tiles(c), k = c->members;
	uint32_t *g = malloc((size_t)n * k * sizeof(*g)), *pool = malloc(n * sizeof(*pool));
	struct spk_rng rng;

	if (g == NULL || pool == NULL) {
		free(g);
		free(pool);
		return NULL;
	}
	spk_rng_seed(&rng, c->group_seed);
	for (uint32_t t = 0; t < n; t++) {
		uint32_t len = 0;

		for (uint32_t u = 0; u < n; u++)
			if (u != t)
				pool[len++] = u;
		/* partial Fisher-Yates */
		for (uint32_t j = 0; j < k; j++) {
			uint32_t pick = j + spk_rng_below(&rng, len - j), v = pool[pick];

			pool[pick] = pool[j];
			pool[j] = v;
			g[(size_t)t * k + j] = v;
		}
	}
	free(pool);
	return g;
}

/* A network for the configuration, its groups registered (tree). NULL: ENOMEM. */
static struct spk_noc *make_noc(const struct spk_traffic_config *c, const uint32_t *groups)
{
	struct spk_noc_config cfg = c->noc;
	struct spk_noc_member *m;
	struct spk_noc *noc;
	uint32_t id;

	cfg.eject_flits = 0;
	noc = spk_noc_create(&cfg);
	if (noc == NULL || !(c->tree && c->members > 0))
		return noc;
	m = calloc(c->members, sizeof(*m));
	if (m == NULL)
		goto fail;
	for (uint32_t t = 0; t < tiles(c); t++) {
		for (uint32_t j = 0; j < c->members; j++)
			m[j].tile = groups[(size_t)t * c->members + j];
		if (spk_noc_add_group(noc, t, m, c->members, &id) < 0)
			goto fail;
		assert(id == t + 1);
	}
	free(m);
	return noc;
fail:
	free(m);
	spk_noc_destroy(noc);
	return NULL;
}

static uint32_t hops(const struct spk_traffic_config *c, uint32_t s, uint32_t d)
{
	const uint32_t mx = c->noc.mesh_x;
	int dx = (int)(s % mx) - (int)(d % mx), dy = (int)(s / mx) - (int)(d / mx);

	return (uint32_t)(abs(dx) + abs(dy));
}

/* --- zero-load probe ----------------------------------------------------------------------- */

struct probe {
	const struct spk_traffic_config *c;
	struct spk_noc *noc;
	double w_sum, lat_sum, hop_sum, flit_w, pj_sum;
	uint64_t lat_max, packets;
};

/*
 * Injects one packet (a copy set for tree multicast; members[] of a group when K > 0) alone,
 * runs the network until it is empty, and adds its copies to the sums with weight w.
 */
static void probe_one(struct probe *pr, uint32_t s, uint32_t d, uint16_t flits, uint32_t mc,
		      double w)
{
	struct spk_noc_stats a, b;
	struct spk_noc_delivery dv[64];
	struct spk_packet pk = { .src = s, .dst = d, .flits = flits, .mc = mc };
	double lat = 0, hop = 0;
	uint32_t n = 0;
	size_t k;

	spk_noc_get_stats(pr->noc, &a);
	if (spk_noc_inject(pr->noc, &pk) != 0)
		assert(!"an empty network refused a packet");
	while (!spk_noc_idle(pr->noc) || spk_noc_pending(pr->noc) > 0) {
		spk_noc_run(pr->noc, spk_noc_now(pr->noc) + 1000000, SPK_NOC_STOP_AT_DELIVERY);
		while ((k = spk_noc_collect(pr->noc, dv, 64)) > 0)
			for (size_t j = 0; j < k; j++) {
				uint64_t l = dv[j].arrival_cycle - dv[j].inject_cycle;

				lat += (double)l;
				hop += hops(pr->c, s, dv[j].pkt.dst);
				if (l > pr->lat_max)
					pr->lat_max = l;
				n++;
			}
	}
	spk_noc_get_stats(pr->noc, &b);
	pr->packets++;
	/* w per copy: a group's copies share the packet's weight */
	pr->w_sum += w * n;
	pr->lat_sum += w * lat;
	pr->hop_sum += w * hop;
	pr->flit_w += w * (double)(b.flits_delivered - a.flits_delivered);
	pr->pj_sum += w * ((double)(b.router_flits - a.router_flits) * pr->c->router_pj +
			   (double)(b.link_flits - a.link_flits) * pr->c->link_pj);
}

int spk_traffic_zero_load(const struct spk_traffic_config *c, struct spk_traffic_zero *z)
{
	const uint32_t n = tiles(c), k = c->members;
	uint32_t *groups = NULL, *d = malloc(n * sizeof(*d));
	double *w = malloc(n * sizeof(*w));
	struct probe pr = { .c = c };
	uint64_t triples = 0;
	int rc = -ENOMEM;

	if (k > 0 && (groups = make_groups(c)) == NULL)
		goto out;
	if (d == NULL || w == NULL || (pr.noc = make_noc(c, groups)) == NULL)
		goto out;
	for (uint32_t s = 0; s < n; s++)
		triples += (uint64_t)(k > 0 ? (c->tree ? 1 : k) : dest_weights(c, s, d, w) * c->n_sizes);
	z->exact = triples <= PROBE_EXACT_MAX;
	if (z->exact) {
		for (uint32_t s = 0; s < n; s++) {
			if (k > 0 && c->tree) {
				probe_one(&pr, s, 0, 1, s + 1, 1);
				continue;
			}
			if (k > 0) {
				for (uint32_t j = 0; j < k; j++)
					probe_one(&pr, s, groups[(size_t)s * k + j], 1, 0, 1);
				continue;
			}
			uint32_t nd = dest_weights(c, s, d, w);

			for (uint32_t i = 0; i < nd; i++)
				for (uint32_t f = 0; f < c->n_sizes; f++)
					if (w[i] * c->size_p[f] > 0)
						probe_one(&pr, s, d[i], c->size[f], 0,
							  w[i] * c->size_p[f]);
		}
	} else {
		struct spk_rng rng;

		spk_rng_seed(&rng, 1);
		for (uint32_t i = 0; i < SPK_TRAFFIC_PROBE_SAMPLES; i++) {
			uint32_t s = spk_rng_below(&rng, n), f = 0;
			double u = spk_rng_double(&rng);

			if (k > 0 && c->tree) {
				probe_one(&pr, s, 0, 1, s + 1, 1);
				continue;
			}
			if (k > 0) {
				probe_one(&pr, s, groups[(size_t)s * k + spk_rng_below(&rng, k)], 1,
					  0, 1);
				continue;
			}
			while (f + 1 < c->n_sizes && u >= c->size_p[f]) {
				u -= c->size_p[f];
				f++;
			}
			probe_one(&pr, s, draw_dest(c, s, &rng), c->size[f], 0, 1);
		}
	}
	z->latency = pr.lat_sum / pr.w_sum;
	z->latency_max = pr.lat_max;
	z->hops = pr.hop_sum / pr.w_sum;
	z->pj_per_flit = pr.flit_w > 0 ? pr.pj_sum / pr.flit_w : 0;
	z->packets = pr.packets;
	rc = 0;
out:
	spk_noc_destroy(pr.noc);
	free(groups);
	free(d);
	free(w);
	return rc;
}

/* --- channel-load bound -------------------------------------------------------------------- */

/*
 * Adds w to every output on the XY path from s to d (ejection at d included); with mark, only
 * to outputs not yet marked (a tree's union), marking them.
 */
static void add_path(const struct spk_traffic_config *c, double *load, uint8_t *mark,
		     uint32_t s, uint32_t d, double w)
{
	const uint32_t mx = c->noc.mesh_x;
	uint32_t x = s % mx, y = s / mx, dx = d % mx, dy = d / mx;

	for (;;) {
		uint32_t o = dx > x ? SPK_PORT_EAST : dx < x ? SPK_PORT_WEST :
			     dy > y ? SPK_PORT_SOUTH : dy < y ? SPK_PORT_NORTH : SPK_PORT_LOCAL;
		size_t i = (size_t)(y * mx + x) * PORTS + o;

		if (mark == NULL || !mark[i])
			load[i] += w;
		if (mark != NULL)
			mark[i] = 1;
		switch (o) {
		case SPK_PORT_EAST: x++; break;
		case SPK_PORT_WEST: x--; break;
		case SPK_PORT_SOUTH: y++; break;
		case SPK_PORT_NORTH: y--; break;
		default: return;
		}
	}
}

int spk_traffic_channel_bound(const struct spk_traffic_config *c, double *bound, double *load_max,
			      uint32_t *busy)
{
	const uint32_t n = tiles(c), k = c->members;
	/* a channel into a router: its credit loop (doc/architecture.md §3) */
	double cap_in = (double)c->noc.buffer_flits / (c->noc.router_stages + 2);
	double *load = calloc((size_t)n * (PORTS + 1), sizeof(*load));
	uint32_t *groups = NULL, *d = malloc(n * sizeof(*d));
	uint8_t *mark = NULL;
	double *w = malloc(n * sizeof(*w)), best = 0;
	int rc = -ENOMEM;

	if (cap_in > 1)
		cap_in = 1;
	if (load == NULL || d == NULL || w == NULL)
		goto out;
	if (k > 0 && ((groups = make_groups(c)) == NULL ||
		      (mark = malloc((size_t)n * PORTS)) == NULL))
		goto out;
	for (uint32_t s = 0; s < n; s++) {
		double *inj = &load[(size_t)n * PORTS + s];

		/* every tile offers 1 flit (delivered copy) per cycle */
		if (k > 0 && c->tree) {
			memset(mark, 0, (size_t)n * PORTS);
			for (uint32_t j = 0; j < k; j++)
				add_path(c, load, mark, s, groups[(size_t)s * k + j], 1.0 / k);
			*inj += 1.0 / k;
		} else if (k > 0) {
			for (uint32_t j = 0; j < k; j++)
				add_path(c, load, NULL, s, groups[(size_t)s * k + j], 1.0 / k);
			*inj += 1;
		} else {
			uint32_t nd = dest_weights(c, s, d, w);

			for (uint32_t i = 0; i < nd; i++)
				add_path(c, load, NULL, s, d[i], w[i]);
			*inj += 1;
		}
	}
	*busy = 0;
	for (size_t i = 0; i < (size_t)n * (PORTS + 1); i++) {
		/* links and injection channels feed a router's input; ejection does not */
		bool into = i >= (size_t)n * PORTS || i % PORTS != SPK_PORT_LOCAL;
		double l = load[i] / (into ? cap_in : 1.0);

		if (l > best + 1e-12) {
			best = l;
			*busy = (uint32_t)i;
		}
	}
	*load_max = best;
	*bound = best > 0 ? 1 / best : 0;
	rc = 0;
out:
	free(load);
	free(groups);
	free(mark);
	free(d);
	free(w);
	return rc;
}

/* --- one load ------------------------------------------------------------------------------ */

/* Cycles until the next success of a Bernoulli(p) process: geometric, >= 1. */
static uint64_t gap(struct spk_rng *rng, double p)
{
	double u = 1.0 - spk_rng_double(rng);	/* (0, 1] */
	double g;

	if (p >= 1.0)
		return 1;
	g = floor(log(u) / log(1.0 - p));
	return g >= 1e15 ? UINT64_C(1000000000000000) : 1 + (uint64_t)g;
}

struct source {
	uint64_t next;			/* cycle of the next creation */
	uint64_t left;			/* on/off: cycles left in the current period from `next`'s
					   search point */
	uint32_t head, len;		/* queue: oldest entry, entries */
	uint32_t rep;			/* source-replicated multicast: copies of the head sent */
	uint32_t dst;			/* the head's destination, drawn when first offered */
	bool on;			/* on/off: in an on period */
	bool drawn;			/* dst is drawn */
};

/* The first creation at or after cycle from (Bernoulli: p; on/off: p_on in on periods). */
static uint64_t next_creation(const struct spk_traffic_config *c, struct source *src,
			      struct spk_rng *rng, uint64_t from, double p)
{
	if (c->burst_on <= 0)
		return from + gap(rng, p) - 1;
	for (;;) {
		uint64_t g;

		if (src->on) {
			g = gap(rng, p);
			if (g <= src->left) {
				src->left -= g;
				return from + g - 1;
			}
			from += src->left;
			src->on = false;
			src->left = gap(rng, 1 / c->burst_off);
		} else {
			from += src->left;
			src->on = true;
			src->left = gap(rng, 1 / c->burst_on);
		}
	}
}

/* The run's state, freed by run_fini(). */
struct run {
	const struct spk_traffic_config *c;
	struct spk_noc *noc;
	struct spk_sched sched;
	bool sched_ok;
	struct spk_rng rng;
	struct source *src;
	uint64_t *q;			/* [tiles][SPK_TRAFFIC_QUEUE] entries */
	uint64_t *win_src;		/* per source: flits arriving in the window */
	uint64_t *hist;			/* latency histogram of tagged packets */
	size_t hist_len;
	uint32_t *groups;
};

static void run_fini(struct run *r)
{
	if (r->sched_ok)
		spk_sched_fini(&r->sched);
	spk_noc_destroy(r->noc);
	free(r->src);
	free(r->q);
	free(r->win_src);
	free(r->hist);
	free(r->groups);
}

static int hist_add(struct run *r, uint64_t l)
{
	if (l >= r->hist_len) {
		size_t len = r->hist_len ? r->hist_len : 256;
		uint64_t *h;

		while (len <= l)
			len *= 2;
		h = realloc(r->hist, len * sizeof(*h));
		if (h == NULL)
			return -ENOMEM;
		memset(h + r->hist_len, 0, (len - r->hist_len) * sizeof(*h));
		r->hist = h;
		r->hist_len = len;
	}
	r->hist[l]++;
	return 0;
}

/* CPU time of this process: speed figures stay meaningful on a shared machine. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int spk_traffic_run(const struct spk_traffic_config *c, double rate, uint64_t seed,
		    struct spk_traffic_result *res)
{
	const uint32_t n = tiles(c), k = copies(c);
	const bool mc_tree = c->members > 0 && c->tree, mc_src = c->members > 0 && !c->tree;
	const uint64_t W = c->warmup, E = c->warmup + c->measure, limit = E + c->drain;
	/* packets created per cycle per tile; in an on period */
	const double p = rate / (k * spk_traffic_mean_flits(c)), p_on = p / duty(c);
	struct spk_noc_delivery dv[256];
	struct spk_noc_stats st0 = { 0 }, st1 = { 0 }, st;
	uint64_t tagged = 0, arrived = 0, lat_sum = 0, net_sum = 0, hop_sum = 0, lat_max = 0;
	uint64_t win_flits = 0, boundary = W;
	bool overflow = false;
	struct run r = { .c = c };
	double t0 = cpu_s();
	int rc = -ENOMEM;

	assert(rate > 0 && p_on <= 1 + 1e-12);
	memset(res, 0, sizeof(*res));
	if (c->members > 0 && (r.groups = make_groups(c)) == NULL)
		goto out;
	r.noc = make_noc(c, r.groups);
	r.src = calloc(n, sizeof(*r.src));
	r.q = malloc((size_t)n * SPK_TRAFFIC_QUEUE * sizeof(*r.q));
	r.win_src = calloc(n, sizeof(*r.win_src));
	if (r.noc == NULL || r.src == NULL || r.q == NULL || r.win_src == NULL)
		goto out;
	if (spk_sched_init(&r.sched, n, n) < 0)
		goto out;
	r.sched_ok = true;
	spk_rng_seed(&r.rng, seed);
	for (uint32_t t = 0; t < n; t++) {
		struct source *s = &r.src[t];

		if (c->burst_on > 0) {
			s->on = spk_rng_double(&r.rng) < duty(c);
			s->left = gap(&r.rng, 1 / (s->on ? c->burst_on : c->burst_off));
		}
		s->next = next_creation(c, s, &r.rng, 0, c->burst_on > 0 ? p_on : p);
		spk_sched_wake(&r.sched, t, s->next, 0);
	}

	for (;;) {
		uint64_t ev_c = spk_sched_next_cycle(&r.sched), cyc = ev_c;
		size_t got;

		if (boundary < cyc)
			cyc = boundary;
		if (limit < cyc)
			cyc = limit;
		spk_noc_run(r.noc, cyc, 0);
		while ((got = spk_noc_collect(r.noc, dv, 256)) > 0) {
			for (size_t j = 0; j < got; j++) {
				const struct spk_packet *pk = &dv[j].pkt;
				uint64_t created = pk->id & E_CYCLE, a = dv[j].arrival_cycle;

				if (a >= W && a < E) {
					win_flits += pk->flits;
					r.win_src[pk->src] += pk->flits;
				}
				if (!(pk->id & E_TAGGED))
					continue;
				arrived++;
				lat_sum += a - created;
				net_sum += a - dv[j].inject_cycle;
				if (a - created > lat_max)
					lat_max = a - created;
				if (hist_add(&r, a - created) < 0)
					goto out;
				hop_sum += hops(c, pk->src, pk->dst);
			}
		}
		if (cyc == boundary) {
			spk_noc_get_stats(r.noc, boundary == W ? &st0 : &st1);
			boundary = boundary == W ? E : UINT64_MAX;
		}
		if (cyc >= E && (arrived == tagged || overflow))
			break;
		if (cyc >= limit)
			break;
		if (ev_c != cyc)
			continue;
		while (spk_sched_next_cycle(&r.sched) == cyc) {
			struct spk_sched_event ev;
			struct source *s;
			uint32_t t;

			spk_sched_pop(&r.sched, &ev);
			t = ev.target;
			s = &r.src[t];
			while (s->next <= cyc) {
				uint64_t e = s->next;
				double u = c->n_sizes > 1 ? spk_rng_double(&r.rng) : 0;
				uint32_t f = 0;

				while (f + 1 < c->n_sizes && u >= c->size_p[f]) {
					u -= c->size_p[f];
					f++;
				}
				if (s->len == SPK_TRAFFIC_QUEUE) {
					overflow = true;	/* dropped: past saturation */
				} else {
					if (e >= W && e < E) {
						e |= E_TAGGED;
						tagged += k;	/* copies to deliver */
					}
					e |= (uint64_t)c->size[f] << E_FLITS_SHIFT;
					r.q[(size_t)t * SPK_TRAFFIC_QUEUE +
					    (s->head + s->len) % SPK_TRAFFIC_QUEUE] = e;
					s->len++;
				}
				s->next = next_creation(c, s, &r.rng, s->next + 1,
							c->burst_on > 0 ? p_on : p);
			}
			if (s->len > 0) {
				uint64_t e = r.q[(size_t)t * SPK_TRAFFIC_QUEUE + s->head];
				struct spk_packet pk = {
					.src = t,
					.flits = (uint16_t)((e >> E_FLITS_SHIFT) & 0x7ff),
					.id = e & (E_CYCLE | E_TAGGED),
				};

				if (mc_tree) {
					pk.mc = t + 1;		/* the tile's group (make_noc) */
				} else if (mc_src) {
					pk.dst = r.groups[(size_t)t * k + s->rep];
				} else {
					if (!s->drawn) {
						s->dst = draw_dest(c, t, &r.rng);
						s->drawn = true;
					}
					pk.dst = s->dst;
				}
				if (spk_noc_inject(r.noc, &pk) == 0 && (!mc_src || ++s->rep == k)) {
					s->head = (s->head + 1) % SPK_TRAFFIC_QUEUE;
					s->len--;
					s->rep = 0;
					s->drawn = false;
				}
			}
			spk_sched_wake(&r.sched, t, s->len > 0 ? cyc + 1 : s->next, 0);
		}
	}
	res->seconds = cpu_s() - t0;
	spk_noc_get_stats(r.noc, &st);
	if (boundary != UINT64_MAX)	/* ended before E cannot happen: limit >= E */
		st1 = st;
	res->rate = rate;
	res->accepted = (double)win_flits / (double)c->measure / n;
	res->accepted_min = INFINITY;
	for (uint32_t t = 0; t < n; t++) {
		double a = (double)r.win_src[t] / (double)c->measure;

		if (a < res->accepted_min)
			res->accepted_min = a;
	}
	res->tagged = tagged;
	res->arrived = arrived;
	if (arrived > 0) {
		uint64_t want = (uint64_t)ceil(0.99 * (double)arrived), cum = 0;

		res->latency = (double)lat_sum / (double)arrived;
		res->net_latency = (double)net_sum / (double)arrived;
		res->hops = (double)hop_sum / (double)arrived;
		for (size_t l = 0; l < r.hist_len; l++) {
			cum += r.hist[l];
			if (cum >= want) {
				res->latency_p99 = l;
				break;
			}
		}
	}
	res->latency_max = lat_max;
	if (st1.flits_delivered > st0.flits_delivered)
		res->pj_per_flit = ((double)(st1.router_flits - st0.router_flits) * c->router_pj +
				    (double)(st1.link_flits - st0.link_flits) * c->link_pj) /
				   (double)(st1.flits_delivered - st0.flits_delivered);
	if (overflow)
		res->sat = SPK_TRAFFIC_SAT_QUEUE;
	else if (arrived < tagged)
		res->sat = SPK_TRAFFIC_SAT_DRAIN;
	else if (c->sat_latency > 0 && res->latency > c->sat_latency)
		res->sat = SPK_TRAFFIC_SAT_LATENCY;
	else if (c->sat_p99 > 0 && (double)res->latency_p99 > c->sat_p99)
		res->sat = SPK_TRAFFIC_SAT_P99;
	res->cycles = st.cycles;
	res->flits = st.flits_delivered;
	res->router_flits = st.router_flits;
	res->router_evals = st.router_evals;
	rc = 0;
out:
	run_fini(&r);
	return rc;
}

/* --- saturation ---------------------------------------------------------------------------- */

uint32_t spk_traffic_saturation_runs(double w, double tol)
{
	uint32_t runs = 1;

	while (w > tol && runs < 64) {
		w /= 2;
		runs++;
	}
	return runs;
}

int spk_traffic_saturation(const struct spk_traffic_config *c, double lo, double lo_accepted,
			   double hi, bool hi_known, double tol, uint64_t seed,
			   spk_traffic_run_fn *fn, void *ctx, struct spk_traffic_sat_search *s)
{
	struct spk_traffic_result r;

	memset(s, 0, sizeof(*s));
	s->throughput = lo;
	s->accepted = lo_accepted;
	if (!hi_known) {
		if (spk_traffic_run(c, hi, seed, &r) < 0)
			return -ENOMEM;
		s->runs++;
		if (fn != NULL)
			fn(ctx, &r);
		if (r.sat == SPK_TRAFFIC_SAT_NO) {
			s->throughput = hi;
			s->accepted = r.accepted;
			return 0;
		}
	}
	s->saturated_at = hi;
	while (hi - lo > tol) {
		double mid = (lo + hi) / 2;

		if (spk_traffic_run(c, mid, seed, &r) < 0)
			return -ENOMEM;
		s->runs++;
		if (fn != NULL)
			fn(ctx, &r);
		if (r.sat == SPK_TRAFFIC_SAT_NO) {
			lo = mid;
			s->throughput = mid;
			s->accepted = r.accepted;
		} else {
			hi = mid;
			s->saturated_at = mid;
		}
	}
	return 0;
}
