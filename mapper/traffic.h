/*
 * traffic.h — the expected traffic of a mapping on the mesh, for a placement: packets, hops,
 * hop-traffic (packets x links crossed) and link loads, per layer and for the whole chip
 * (doc/mapper.md "Traffic"). The place pass minimises it; the report measures it for the
 * final placement and for fixed baselines (the placement before swaps, a random one).
 *
 * A **flow** is what one event of a source costs the NoC: the SPIKE entries of one reader and
 * one source piece (one spike goes to all of them: a multicast group with [noc] multicast =
 * tree), or a single MEAN, ATTN or ENCODER entry. Its weight is the route weight (expected
 * events per timestep, in 1/SPK_MAP_WEIGHT_UNIT). With source replication a flow sends one
 * packet per destination along its XY path; with tree multicast one packet along the union
 * of those paths (the XY tree: the source row to the farthest columns, then up and down each
 * column to the farthest member), so its links are the tree's edges.
 *
 * A **layer** is what sends a flow: the population of a SPIKE or MEAN entry, the ATTN op or
 * the ENCODER of a graded one (layer ids: populations [0, n_pops), ops n_pops + op).
 *
 * Links are numbered 4·tile + direction (SPK_LINK_E/W/N/S: the link leaving the tile that way;
 * y grows southwards, as in the report's mesh map).
 *
 * Ownership: caller-allocates + spk_traffic_init()/spk_traffic_fini(); the traffic borrows the
 * map, whose routes must not change while it lives. Not thread-safe (it keeps scratch).
 */
#ifndef SPK_TRAFFIC_H
#define SPK_TRAFFIC_H

#include "mapper/map.h"

#include <stdbool.h>
#include <stdint.h>

enum { SPK_LINK_E, SPK_LINK_W, SPK_LINK_N, SPK_LINK_S };

struct spk_traffic_flow {
	uint32_t src;			/* source node */
	uint32_t first_route, n_routes;	/* its entries in map->routes */
	uint32_t layer;
	uint64_t weight;		/* events per timestep, 1/SPK_MAP_WEIGHT_UNIT */
	bool group;			/* SPIKE entries of one reader (tree multicast applies) */
};

/* Figures of one layer or the chip for one placement; weights in 1/SPK_MAP_WEIGHT_UNIT. */
struct spk_traffic_stats {
	uint64_t packets;		/* packets injected per timestep */
	uint64_t deliveries;		/* packets x destinations (events delivered) */
	uint64_t hop_traffic;		/* Σ packets x links crossed (link traversals) */
	uint64_t max_link;		/* the busiest link's load */
	uint32_t max_link_id;		/* and the link (UINT32_MAX: no traffic) */
};

struct spk_traffic {
	const struct spk_map *map;
	bool tree;			/* cost flows as XY trees */
	uint32_t n_flows;
	struct spk_traffic_flow *flows;
	uint32_t *node_off, *node_flows;	/* [n_nodes + 1] CSR: the flows each node sends or
						 * receives (each flow once per node) */
	uint32_t n_layers;		/* n_pops + n_ops */
	uint32_t W, H;
	/* scratch */
	uint32_t *col_stamp, *col_up, *col_down, stamp;
};

/* Builds the flows of map's routes; tree: cost groups as XY trees. 0 or -ENOMEM. */
int spk_traffic_init(struct spk_traffic *t, const struct spk_map *map, bool tree);
void spk_traffic_fini(struct spk_traffic *t);

/* Links flow f crosses (Σ over its packets) when node n sits on tile pos[n]. */
uint64_t spk_traffic_flow_links(struct spk_traffic *t, uint32_t f, const uint32_t *pos);

/* Adds (sign > 0) or removes flow f's weight on every link it crosses, load[4·tiles]. */
void spk_traffic_flow_load(struct spk_traffic *t, uint32_t f, const uint32_t *pos, int sign,
			   uint64_t *load);

/* The figures of every layer (layers[n_layers], or NULL) and of the chip, for placement pos.
 * 0 or -ENOMEM. */
int spk_traffic_measure(struct spk_traffic *t, const uint32_t *pos,
			struct spk_traffic_stats *chip, struct spk_traffic_stats *layers);

/* The name of layer l (a population's, or an op's). */
const char *spk_traffic_layer_name(const struct spk_traffic *t, uint32_t l);

/* The two tiles of a link: (x1,y1) -> (x2,y2). */
void spk_traffic_link_ends(const struct spk_traffic *t, uint32_t link, uint32_t *x1,
			   uint32_t *y1, uint32_t *x2, uint32_t *y2);

#endif
