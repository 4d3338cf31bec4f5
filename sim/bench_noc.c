/*
 * bench_noc.c — `make bench`: how fast the NoC model simulates, and the network's latency against
 * offered load under uniform random traffic (doc/architecture.md §11; results in sim/README.md).
 *
 * Traffic, as BookSim's "uniform" pattern with a Bernoulli injection process: every tile creates
 * a packet with probability `rate` per cycle into an unbounded source queue, for a uniformly
 * random other tile. Latency is counted from creation (source queueing included, as BookSim
 * does) to arrival; network latency from injection. Warm-up cycles first, then packets created
 * during the measurement window are tagged and the run continues (traffic still flowing) until
 * every tagged packet has arrived; if they do not within a bound, or a source queue overflows,
 * the load is past saturation.
 *
 * Sources are woken through the event queue (sim/sched.h) at their next creation (geometric
 * gaps) or to retry a refused injection, so the harness, like the NoC, costs nothing while idle.
 *
 * Columns: offered and accepted load (flits per cycle per tile), mean latency from creation and
 * network latency (cycles), the worst latency, mean hops, whether the load is past saturation;
 * then speed per CPU second (of this process, so that a busy machine does not skew it):
 * simulated cycles, delivered flits and flit-router passages (the NoC's unit of work), and
 * routers evaluated per simulated cycle.
 *
 * Tree multicast ([noc] multicast = tree, doc/architecture.md §2-4): with a fifth argument K >= 1,
 * every tile owns one multicast group of K distinct random other tiles (seeded, the same for
 * every load), and each created packet is one one-flit injection forked by the routers and
 * delivered once per member. Offered load is then injected packets per cycle per tile times K
 * (the flits the members receive), accepted load the delivered copies, and latency and hops are
 * per delivered copy (the contract's counts). Compare with unicast traffic at the same offered
 * load: the source-replicated equivalent of a K-member multicast is K unicast packets.
 *
 * Usage: bench_noc [mesh_side [flits [router_stages [buffer_flits [multicast_members]]]]]
 *        (default 8 1 2 4 0: unicast)
 */
#include "config.h"

#include "sim/noc.h"
#include "sim/sched.h"
#include "util/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QCAP 4096u			/* source queue per tile, packets */
#define MEASURED (UINT64_C(1) << 63)	/* id flag: created in the measurement window */

struct result {
	double offered, accepted;	/* flits per cycle per tile */
	double lat, net_lat, mean_hops;	/* means over measured packets */
	uint64_t lat_max, measured;
	bool saturated;
	double seconds;
	uint64_t cycles, flits, hops, evals, cycles_evaluated;
};

/* CPU time of this process: speed figures stay meaningful on a shared machine. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Cycles until the next creation of a Bernoulli(rate) process: geometric, >= 1. */
static uint64_t gap(struct spk_rng *rng, double rate)
{
	double u = 1.0 - spk_rng_double(rng);	/* (0, 1] */

	if (rate >= 1.0)
		return 1;
	return 1 + (uint64_t)floor(log(u) / log(1.0 - rate));
}

/*
 * Registers one group of k distinct random tiles other than t for every tile t (k < tiles), its
 * members drawn by a partial Fisher-Yates shuffle. Exits on an error (a harness, not a model).
 */
static void add_groups(struct spk_noc *noc, uint32_t n, uint32_t k, uint64_t seed)
{
	struct spk_noc_member *m = calloc(k, sizeof(*m));
	uint32_t *pool = malloc(n * sizeof(*pool)), id;
	struct spk_rng rng;

	if (m == NULL || pool == NULL) {
		fprintf(stderr, "bench_noc: out of memory\n");
		exit(1);
	}
	spk_rng_seed(&rng, seed);
	for (uint32_t t = 0; t < n; t++) {
		uint32_t len = 0;

		for (uint32_t u = 0; u < n; u++)
			if (u != t)
				pool[len++] = u;
		for (uint32_t j = 0; j < k; j++) {
			uint32_t pick = j + spk_rng_below(&rng, len - j), v = pool[pick];

			pool[pick] = pool[j];
			pool[j] = v;
			m[j].tile = v;
		}
		if (spk_noc_add_group(noc, t, m, k, &id) < 0 || id != t + 1) {
			fprintf(stderr, "bench_noc: cannot add the multicast group of tile %u\n", t);
			exit(1);
		}
	}
	free(m);
	free(pool);
}

static void run(uint32_t side, uint16_t flits, uint32_t P, uint32_t B, uint32_t members,
		double rate, uint64_t warmup, uint64_t window, uint64_t seed, struct result *res)
{
	const uint32_t n = side * side;
	struct spk_noc_config cfg = {
		.mesh_x = side, .mesh_y = side, .buffer_flits = B, .router_stages = P,
		.flit_bits = 32, .eject_flits = 0,
	};
	struct spk_noc *noc = spk_noc_create(&cfg);
	struct spk_sched sched;
	struct spk_rng rng;
	uint64_t *q = malloc((size_t)n * QCAP * sizeof(*q));	/* creation cycles (| MEASURED) */
	uint32_t *qh = calloc(n, sizeof(*qh)), *ql = calloc(n, sizeof(*ql));
	uint64_t *next_create = malloc(n * sizeof(*next_create));
	struct spk_noc_delivery dv[256];
	uint64_t tagged = 0, arrived = 0, lat_sum = 0, net_sum = 0, hop_sum = 0, lat_max = 0;
	uint64_t win_flits = 0, limit = warmup + 20 * window;
	struct spk_noc_stats st;
	bool overflow = false;
	double t0;

	if (noc == NULL || q == NULL || qh == NULL || ql == NULL || next_create == NULL ||
	    spk_sched_init(&sched, n, n) < 0) {
		fprintf(stderr, "bench_noc: out of memory\n");
		exit(1);
	}
	if (members > 0)
		add_groups(noc, n, members, 12345);
	spk_rng_seed(&rng, seed);
	for (uint32_t t = 0; t < n; t++) {
		next_create[t] = gap(&rng, rate) - 1;
		spk_sched_wake(&sched, t, next_create[t], 0);
	}

	t0 = now_s();
	while (!overflow) {
		uint64_t c = spk_sched_next_cycle(&sched);
		struct spk_sched_event ev;
		size_t k;

		if (c >= limit || (c >= warmup + window && arrived == tagged))
			break;
		spk_noc_run(noc, c, 0);
		while ((k = spk_noc_collect(noc, dv, 256)) > 0) {
			for (size_t j = 0; j < k; j++) {
				uint64_t id = dv[j].pkt.id, created = id & ~MEASURED;
				uint64_t a = dv[j].arrival_cycle;

				if (a >= warmup && a < warmup + window)
					win_flits += dv[j].pkt.flits;
				if (!(id & MEASURED))
					continue;
				arrived++;
				lat_sum += a - created;
				net_sum += a - dv[j].inject_cycle;
				if (a - created > lat_max)
					lat_max = a - created;
				hop_sum += (uint64_t)abs((int)(dv[j].pkt.src % side) - (int)(dv[j].pkt.dst % side)) +
					   (uint64_t)abs((int)(dv[j].pkt.src / side) - (int)(dv[j].pkt.dst / side));
			}
		}
		while (spk_sched_next_cycle(&sched) == c) {
			uint32_t t;

			spk_sched_pop(&sched, &ev);
			t = ev.target;
			while (next_create[t] <= c) {
				uint64_t id = next_create[t];

				if (ql[t] - qh[t] == QCAP) {
					overflow = true;
					break;
				}
				if (id >= warmup && id < warmup + window) {
					id |= MEASURED;
					tagged += members > 0 ? members : 1;	/* copies to deliver */
				}
				q[(size_t)t * QCAP + ql[t]++ % QCAP] = id;
				next_create[t] += gap(&rng, rate);
			}
			if (qh[t] != ql[t]) {
				struct spk_packet pk = {
					.src = t, .flits = flits,
					.id = q[(size_t)t * QCAP + qh[t] % QCAP],
				};

				if (members > 0) {
					pk.mc = t + 1;		/* the tile's group (add_groups) */
					pk.kind = SPK_PACKET_SPIKE;
				} else {
					pk.dst = spk_rng_below(&rng, n - 1);
					if (pk.dst >= t)
						pk.dst++;
				}
				if (spk_noc_inject(noc, &pk) == 0)
					qh[t]++;
			}
			spk_sched_wake(&sched, t, qh[t] != ql[t] ? c + 1 : next_create[t], 0);
		}
	}
	res->seconds = now_s() - t0;
	spk_noc_get_stats(noc, &st);
	res->offered = rate * flits * (members > 0 ? members : 1);
	res->accepted = (double)win_flits / (double)window / n;
	res->measured = arrived;
	res->lat = arrived ? (double)lat_sum / (double)arrived : 0;
	res->net_lat = arrived ? (double)net_sum / (double)arrived : 0;
	res->mean_hops = arrived ? (double)hop_sum / (double)arrived : 0;
	res->lat_max = lat_max;
	res->saturated = overflow || arrived < tagged;
	res->cycles = st.cycles;
	res->flits = st.flits_delivered;
	res->hops = st.router_flits;
	res->evals = st.router_evals;
	res->cycles_evaluated = st.cycles_evaluated;
	spk_sched_fini(&sched);
	spk_noc_destroy(noc);
	free(q);
	free(qh);
	free(ql);
	free(next_create);
}

int main(int argc, char **argv)
{
	static const double rates[] = { 0.001, 0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.275, 0.3,
					0.325, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9 };
	uint32_t side = argc > 1 ? (uint32_t)atoi(argv[1]) : 8;
	uint16_t flits = (uint16_t)(argc > 2 ? atoi(argv[2]) : 1);
	uint32_t P = argc > 3 ? (uint32_t)atoi(argv[3]) : 2;
	uint32_t B = argc > 4 ? (uint32_t)atoi(argv[4]) : 4;
	uint32_t K = argc > 5 ? (uint32_t)atoi(argv[5]) : 0;
	const uint64_t warmup = 2000, window = 20000;
	double tot_s = 0, tot_cycles = 0, tot_flits = 0, tot_hops = 0;

	if (side < 2 || side > 256 || flits < 1 || flits > 64 || P < 1 || P > 16 || B < 1 ||
	    B > 1024 || argc > 6 || K >= side * side || (K > 0 && flits != 1)) {
		fprintf(stderr, "usage: bench_noc [mesh_side 2..256 [flits 1..64 [router_stages 1..16 "
			"[buffer_flits 1..1024 [multicast_members 0..tiles-1, with 1-flit packets]]]]]\n");
		return 2;
	}
	if (K > 0)
		printf("NoC: %ux%u mesh, router_stages %u, buffer_flits %u, tree multicast: each tile "
		       "sends 1-flit packets to its own group of %u random tiles, Bernoulli sources; "
		       "load, latency and hops per delivered copy\n", side, side, P, B, K);
	else
		printf("NoC: %ux%u mesh, router_stages %u, buffer_flits %u, %u-flit packets, uniform "
		       "random traffic, Bernoulli sources\n", side, side, P, B, flits);
	printf("zero-load latency (H+1)(P+1)+F-1, mean over uniform pairs: %.2f cycles\n",
	       ((2.0 * (side * side - 1) / (3.0 * side)) * side * side / (side * side - 1) + 1) *
	       (P + 1) + flits - 1);
	printf("%8s %9s %9s %9s %7s %6s %4s %9s %8s %9s %8s\n", "offered", "accepted", "latency",
	       "net_lat", "max", "hops", "sat", "Mcycle/s", "Mflit/s", "Mrouter/s", "evals/c");
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct result r;

		/* offered load in delivered flits per cycle per tile; a source creates at most
		 * one packet per cycle */
		double rate = rates[i] / (K > 0 ? K : 1);

		if (rate * flits > 1.0)
			break;
		run(side, flits, P, B, K, rate, warmup, window, 1 + i, &r);
		printf("%8.3f %9.4f %9.2f %9.2f %7llu %6.2f %4s %9.3f %8.3f %9.3f %8.2f\n",
		       r.offered, r.accepted, r.lat, r.net_lat, (unsigned long long)r.lat_max,
		       r.mean_hops, r.saturated ? "yes" : "no", r.cycles / r.seconds / 1e6,
		       r.flits / r.seconds / 1e6, r.hops / r.seconds / 1e6,
		       r.cycles ? (double)r.evals / (double)r.cycles : 0);
		tot_s += r.seconds;
		tot_cycles += (double)r.cycles;
		tot_flits += (double)r.flits;
		tot_hops += (double)r.hops;
		if (r.saturated)
			break;
	}
	printf("total: %.0f cycles, %.0f flits, %.0f flit-router passages in %.2f s "
	       "of CPU (%.3f Mcycle/s, %.3f Mflit/s, %.3f Mrouter/s)\n", tot_cycles, tot_flits, tot_hops,
	       tot_s, tot_cycles / tot_s / 1e6, tot_flits / tot_s / 1e6, tot_hops / tot_s / 1e6);
	return 0;
}
