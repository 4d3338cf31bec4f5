/*
 * bench_noc.c — `make bench-noc`: how fast the NoC model simulates, and the network's latency
 * against offered load under uniform random traffic (doc/architecture.md §11; results in
 * sim/README.md). A thin wrapper around the traffic harness of `spikechip noc`
 * (sim/noc_traffic.h: patterns, injection, measurement, saturation; doc/noc.md): this program
 * adds what the command leaves out to keep its output deterministic, the speed of the model.
 *
 * Traffic: BookSim's "uniform" pattern with Bernoulli injection, warm-up 2000 cycles, 20 000
 * measured, a mesh with no arch file (the default preset's router unless told otherwise).
 * Columns: offered and accepted load (flits per cycle per tile), mean latency from creation and
 * network latency (cycles), the worst latency, mean hops, whether the load is past saturation
 * (mean or p99 latency above 3x the zero-load mean or maximum, or tagged packets not
 * drained); then speed per CPU second of this process: simulated cycles, delivered flits and
 * flit-router passages (the NoC's unit of work), and routers evaluated per simulated cycle.
 *
 * Tree multicast: with a fifth argument K >= 1, every tile owns one multicast group of K
 * distinct random other tiles, and each packet is one one-flit injection forked by the routers
 * and delivered once per member; loads, latency and hops are per delivered copy.
 *
 * Usage: bench_noc [mesh_side [flits [router_stages [buffer_flits [multicast_members]]]]]
 *        (default 8 1 2 4 0: unicast)
 */
#include "config.h"

#include "sim/noc_traffic.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static const double rates[] = { 0.001, 0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.275, 0.3,
					0.325, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9 };
	uint32_t side = argc > 1 ? (uint32_t)atoi(argv[1]) : 8;
	uint32_t flits = argc > 2 ? (uint32_t)atoi(argv[2]) : 1;
	uint32_t P = argc > 3 ? (uint32_t)atoi(argv[3]) : 2;
	uint32_t B = argc > 4 ? (uint32_t)atoi(argv[4]) : 4;
	uint32_t K = argc > 5 ? (uint32_t)atoi(argv[5]) : 0;
	struct spk_traffic_config c = {
		.noc = { .mesh_x = side, .mesh_y = side, .buffer_flits = B, .router_stages = P,
			 .flit_bits = 32 },
		.tree = true, .router_pj = 3, .link_pj = 1, .pattern = SPK_TRAFFIC_UNIFORM,
		.n_sizes = 1, .size = { (uint16_t)flits }, .size_p = { 1 }, .members = K,
		.group_seed = 12345, .warmup = 2000, .measure = 20000, .drain = 20000,
	};
	struct spk_traffic_zero z;
	double tot_s = 0, tot_cycles = 0, tot_flits = 0, tot_hops = 0;
	char err[256];

	if (side < 2 || side > 256 || flits < 1 || flits > 64 || P < 1 || P > 16 || B < 1 ||
	    B > 1024 || argc > 6 || K >= side * side || (K > 0 && flits != 1) ||
	    spk_traffic_check(&c, err, sizeof(err)) < 0) {
		fprintf(stderr, "usage: bench_noc [mesh_side 2..256 [flits 1..64 [router_stages 1..16 "
			"[buffer_flits 1..1024 [multicast_members 0..tiles-1, with 1-flit packets]]]]]\n");
		return 2;
	}
	if (spk_traffic_zero_load(&c, &z) < 0) {
		fprintf(stderr, "bench_noc: out of memory\n");
		return 1;
	}
	c.sat_latency = 3 * z.latency;
	c.sat_p99 = 3 * (double)z.latency_max;
	if (K > 0)
		printf("NoC: %ux%u mesh, router_stages %u, buffer_flits %u, tree multicast: each tile "
		       "sends 1-flit packets to its own group of %u random tiles, Bernoulli sources; "
		       "load, latency and hops per delivered copy\n", side, side, P, B, K);
	else
		printf("NoC: %ux%u mesh, router_stages %u, buffer_flits %u, %u-flit packets, uniform "
		       "random traffic, Bernoulli sources\n", side, side, P, B, flits);
	printf("zero-load latency (each packet alone, mean over the pattern): %.2f cycles, "
	       "%.2f hops\n", z.latency, z.hops);
	printf("%8s %9s %9s %9s %7s %6s %4s %9s %8s %9s %8s\n", "offered", "accepted", "latency",
	       "net_lat", "max", "hops", "sat", "Mcycle/s", "Mflit/s", "Mrouter/s", "evals/c");
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct spk_traffic_result r;

		if (rates[i] > spk_traffic_max_rate(&c))
			break;
		if (spk_traffic_run(&c, rates[i], 1 + i, &r) < 0) {
			fprintf(stderr, "bench_noc: out of memory\n");
			return 1;
		}
		printf("%8.3f %9.4f %9.2f %9.2f %7llu %6.2f %4s %9.3f %8.3f %9.3f %8.2f\n",
		       r.rate, r.accepted, r.latency, r.net_latency, (unsigned long long)r.latency_max,
		       r.hops, r.sat ? "yes" : "no", r.cycles / r.seconds / 1e6,
		       r.flits / r.seconds / 1e6, r.router_flits / r.seconds / 1e6,
		       r.cycles ? (double)r.router_evals / (double)r.cycles : 0);
		tot_s += r.seconds;
		tot_cycles += (double)r.cycles;
		tot_flits += (double)r.flits;
		tot_hops += (double)r.router_flits;
		if (r.sat)
			break;
	}
	printf("total: %.0f cycles, %.0f flits, %.0f flit-router passages in %.2f s "
	       "of CPU (%.3f Mcycle/s, %.3f Mflit/s, %.3f Mrouter/s)\n", tot_cycles, tot_flits, tot_hops,
	       tot_s, tot_cycles / tot_s / 1e6, tot_flits / tot_s / 1e6, tot_hops / tot_s / 1e6);
	return 0;
}
