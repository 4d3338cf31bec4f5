/*
 * noc_traffic.h — synthetic traffic on the network (sim/noc.h): the one harness behind
 * `spikechip noc` (sim/noc_cmd.c) and `make bench-noc` (sim/bench_noc.c). doc/noc.md is the
 * user's description; this header is the contract.
 *
 * A run offers one load (flits per cycle per tile) with a traffic pattern, a packet-size
 * distribution and an injection process, as BookSim does: every tile creates packets into an
 * unbounded-looking source queue (SPK_TRAFFIC_QUEUE packets; beyond that the load is past
 * saturation and the surplus is dropped), its NI injects the queue's head when the network
 * accepts it, and each destination takes every packet in its arrival cycle (the units' input
 * capacity plays no part: [core] input_fifo is ignored). Warm-up cycles first; packets created
 * in the measurement window are tagged, and the run goes on, traffic still flowing, until every
 * tagged packet has arrived or a drain limit is reached. Latency counts from creation (source
 * queueing included, as BookSim does), network latency from injection.
 *
 * A load is *saturated* when a source queue overflowed, when a tagged packet had not arrived by
 * the drain limit, when the tagged packets' mean latency exceeded sat_latency, or when their
 * 99th percentile exceeded sat_p99 (the command passes three times the pattern's mean and
 * maximum zero-load latency: the mean catches the network as a whole, the percentile a few
 * overloaded flows). spk_traffic_saturation() bisects on that predicate.
 *
 * Patterns (tile t = y·mesh_x + x, N tiles, b = log2 N; doc/noc.md has the table): uniform (any
 * other tile), transpose ((x, y) -> (y, x); square meshes), bitcomp, bitrev, shuffle (BookSim's
 * bit permutations of t: complement, reversal, rotation left by one; N a power of two), tornado
 * (each coordinate + ceil(k/2) - 1 mod k), neighbor (each coordinate + 1 mod k), hotspot (a
 * hotspot tile other than the source with probability hot_fraction, else uniform).
 * spk_traffic_check() refuses a pattern on a mesh where it is undefined.
 *
 * Multicast (members = K >= 1, uniform pattern, 1-flit packets): each tile sends every packet to
 * its own fixed group of K random other tiles (drawn from group_seed). With tree = true the
 * routers fork one injected packet along the XY tree ([noc] multicast = tree); otherwise the
 * source replicates it as K unicast packets. Loads, latency and hops are per delivered copy.
 *
 * Determinism: a run is a function of its configuration, its rate and its seed (one stream of
 * sim/rng.h draws, in event order). Speed figures (seconds) are the process's CPU time.
 *
 * Ownership: struct spk_traffic_config is the caller's (hot points to the caller's array); the
 * functions keep nothing between calls.
 */
#ifndef SPK_NOC_TRAFFIC_H
#define SPK_NOC_TRAFFIC_H

#include "sim/noc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum spk_traffic_pattern {
	SPK_TRAFFIC_UNIFORM = 0,
	SPK_TRAFFIC_TRANSPOSE,
	SPK_TRAFFIC_BITCOMP,
	SPK_TRAFFIC_BITREV,
	SPK_TRAFFIC_SHUFFLE,
	SPK_TRAFFIC_TORNADO,
	SPK_TRAFFIC_NEIGHBOR,
	SPK_TRAFFIC_HOTSPOT,
	SPK_TRAFFIC_N_PATTERNS
};

/* Packet sizes of one run, at most this many. */
#define SPK_TRAFFIC_MAX_SIZES 16
/* Source queue per tile, packets: beyond it the load is past saturation. */
#define SPK_TRAFFIC_QUEUE 1024u

struct spk_traffic_config {
	struct spk_noc_config noc;	/* the network (eject_flits ignored: sinks take all) */
	bool tree;			/* members > 0: routers fork ([noc] multicast = tree) */
	double router_pj, link_pj;	/* energy per router flit and link flit ([energy]) */
	enum spk_traffic_pattern pattern;
	double hot_fraction;		/* hotspot: probability of a hotspot destination */
	const uint32_t *hot;		/* hotspot: the hotspot tiles, distinct */
	uint32_t n_hot;
	uint32_t n_sizes;		/* packet sizes, 1..SPK_TRAFFIC_MAX_SIZES */
	uint16_t size[SPK_TRAFFIC_MAX_SIZES];	/* flits, distinct */
	double size_p[SPK_TRAFFIC_MAX_SIZES];	/* probabilities, summing to 1 */
	double burst_on, burst_off;	/* on/off injection: mean period lengths, cycles (>= 1);
					   burst_on == 0: Bernoulli */
	uint32_t members;		/* K: multicast group size (0: unicast) */
	uint64_t group_seed;		/* draws the groups */
	uint64_t warmup, measure;	/* cycles */
	uint64_t drain;			/* cycles after the window for tagged packets to arrive */
	double sat_latency;		/* mean latency above which a load is saturated (0: none) */
	double sat_p99;			/* p99 latency above which a load is saturated (0: none) */
};

/* The pattern's name ("uniform", ...), and the pattern of a name: 0 or -EINVAL. */
const char *spk_traffic_pattern_name(enum spk_traffic_pattern p);
int spk_traffic_pattern_parse(const char *name, enum spk_traffic_pattern *p);

/*
 * The configuration's consistency, beyond what the command's option parsing checks: the pattern
 * is defined on this mesh (transpose: square; bitcomp, bitrev, shuffle: a power-of-two number
 * of tiles), hotspot tiles inside the mesh, multicast only with the uniform pattern, 1-flit
 * packets and K < tiles. 0, or -EINVAL with the reason in err ("--pattern transpose needs a
 * square mesh; this one is 8x2").
 */
int spk_traffic_check(const struct spk_traffic_config *c, char *err, size_t errlen);

/* Mean packet size, flits. */
double spk_traffic_mean_flits(const struct spk_traffic_config *c);

/*
 * The highest load that can be offered, flits per cycle per tile: a tile creates at most one
 * packet per cycle (per on cycle) and its NI injects at most one flit per cycle.
 */
double spk_traffic_max_rate(const struct spk_traffic_config *c);

/*
 * The destination of a packet from tile src under a deterministic pattern (all but uniform and
 * hotspot); for the others, asserts.
 */
uint32_t spk_traffic_dest(const struct spk_traffic_config *c, uint32_t src);

/* What every packet of the pattern takes through an otherwise empty network. */
struct spk_traffic_zero {
	double latency;			/* mean latency, cycles (weighted by the pattern's
					   destination and size probabilities, per copy) */
	uint64_t latency_max;		/* over every packet probed */
	double hops;			/* mean Manhattan distance */
	double pj_per_flit;		/* NoC energy per delivered flit (per copy) */
	uint64_t packets;		/* packets probed */
	bool exact;			/* every (source, destination, size) probed; else a seeded
					   sample of SPK_TRAFFIC_PROBE_SAMPLES packets */
};

#define SPK_TRAFFIC_PROBE_SAMPLES 4096u

/*
 * Zero-load probe: every packet the pattern can create (each destination and size of every
 * source; every group), each injected alone into an empty network and run until it has
 * arrived; a sample when there are more than 2^18 of them. 0 or -ENOMEM.
 */
int spk_traffic_zero_load(const struct spk_traffic_config *c, struct spk_traffic_zero *z);

/*
 * The channel-load bound on throughput: with every tile offering 1 flit per cycle, the load of
 * every channel (each router output: links and ejection; each injection channel) under XY
 * routing, divided by its capacity (1 flit per cycle; min(1, B / (P + 2)) for the channels into
 * a router, doc/architecture.md §3). The bound is 1 / the largest of these: no load above it can
 * be sustained. *busy is that channel: tile·5 + output port (0 local), or 5·tiles + tile for an
 * injection channel. 0 or -ENOMEM.
 */
int spk_traffic_channel_bound(const struct spk_traffic_config *c, double *bound, double *load,
			      uint32_t *busy);

enum spk_traffic_sat {
	SPK_TRAFFIC_SAT_NO = 0,
	SPK_TRAFFIC_SAT_QUEUE,		/* a source queue overflowed */
	SPK_TRAFFIC_SAT_DRAIN,		/* tagged packets still out at the drain limit */
	SPK_TRAFFIC_SAT_LATENCY,	/* mean latency above sat_latency */
	SPK_TRAFFIC_SAT_P99,		/* p99 latency above sat_p99 */
};

/* "no", "queue", "drain", "latency", "p99". */
const char *spk_traffic_sat_name(enum spk_traffic_sat s);

struct spk_traffic_result {
	double rate;			/* offered load, flits/cycle/tile (delivered copies) */
	double accepted;		/* flits arriving in the window / window / tiles */
	double accepted_min;		/* the least of the tiles' own (flits of its packets
					   arriving in the window / window) */
	double latency, net_latency;	/* means over the tagged packets that arrived */
	uint64_t latency_p99, latency_max;
	double hops;			/* mean over the tagged packets that arrived */
	double pj_per_flit;		/* router and link energy of the window per flit
					   delivered in it */
	uint64_t tagged, arrived;	/* packets (copies) created in the window, arrived */
	enum spk_traffic_sat sat;
	double seconds;			/* CPU time of the run */
	uint64_t cycles, flits, router_flits, router_evals;	/* the whole run's */
};

/*
 * Runs one load (0 < rate <= spk_traffic_max_rate()) with the given seed. 0 or -ENOMEM. Asserts
 * a configuration spk_traffic_check() accepts.
 */
int spk_traffic_run(const struct spk_traffic_config *c, double rate, uint64_t seed,
		    struct spk_traffic_result *r);

/* Called after each run of spk_traffic_saturation(). */
typedef void spk_traffic_run_fn(void *ctx, const struct spk_traffic_result *r);

struct spk_traffic_sat_search {
	double throughput;		/* the highest load found unsaturated (0: none) */
	double accepted;		/* its accepted load */
	double saturated_at;		/* the lowest load found saturated (0: none up to max) */
	uint32_t runs;
};

/*
 * Locates the saturation throughput by bisection between lo (unsaturated, or 0) and hi
 * (saturated; or, if hi_known is false, the highest load to try, run first), until the bracket
 * is narrower than tol. Each run uses seed; fn (may be NULL) sees every run. 0 or -ENOMEM.
 */
int spk_traffic_saturation(const struct spk_traffic_config *c, double lo, double lo_accepted,
			   double hi, bool hi_known, double tol, uint64_t seed,
			   spk_traffic_run_fn *fn, void *ctx, struct spk_traffic_sat_search *s);

/* Bisection runs spk_traffic_saturation() makes at most for a bracket of width w (+1 for hi). */
uint32_t spk_traffic_saturation_runs(double w, double tol);

#endif
