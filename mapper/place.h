/*
 * place.h — the place pass: every node (used or not) gets a tile of the mesh, so that the
 * expected traffic of the routing tables, weighted by hop count, is small (doc/mapper.md
 * "Place").
 *
 * Cost: Σ over routing entries of weight x Manhattan distance between source and destination
 * tiles — the link traversals of XY routing with source replication.
 *
 *   1. Constructive: used nodes in program order (the first op each serves); each goes to the
 *      free tile, among the SPK_PLACE_CANDIDATES nearest to the traffic-weighted centroid of its
 *      already placed neighbours, that adds the least cost (the first node: the mesh centre;
 *      a node without placed neighbours: next to the previous one). Unused nodes fill the
 *      remaining tiles in order.
 *      Or, with map->placer = SPK_PLACER_SCOTCH, Scotch maps the same weighted graph onto its
 *      2-D mesh target (spk_place_scotch(), mapper/scotch.c).
 *   2. Local improvement: seeded random swaps (a used node with the occupant of a tile near one
 *      of its neighbours, or now and then anywhere), kept when they lower the cost; the number
 *      of trials is proportional to the nodes, bounded in total work. With SPK_COST_TREE (tree
 *      multicast) a reader's spikes cost their XY tree's links, and with SPK_COST_MAXLINK a
 *      swap is kept when it lowers the busiest link's load, or keeps it and lowers the sum
 *      (the flows of mapper/traffic.h).
 * The placement before the swaps is kept in map->tile_initial (a baseline for the report).
 * Deterministic: same map and seed, same placement (integer costs, own RNG, Scotch in its
 * deterministic mode seeded from the seed).
 */
#ifndef SPK_PLACE_H
#define SPK_PLACE_H

#include "mapper/map.h"

#define SPK_PLACE_CANDIDATES 48u

/* 0, -ENOMEM or -EIO (Scotch failed). */
int spk_place_run(struct spk_map *map);

/*
 * Scotch's placement of the used nodes: the graph (CSR over all nodes: off[n_nodes + 1],
 * neighbours nb[], symmetric weights w[]) mapped onto a mesh_x x mesh_y mesh target; nodes
 * that land on a taken tile move to the nearest free one, in the order of used[] (n_used
 * of them, program order), and unused nodes fill the remaining tiles in order. Fills pos[node]
 * (a permutation of the tiles). 0, -ENOMEM or -EIO (Scotch failed; it printed why).
 */
int spk_place_scotch(const struct spk_map *map, const uint32_t *off, const uint32_t *nb,
		     const uint64_t *w, const uint32_t *used, uint32_t n_used, uint32_t *pos);

/* A uniformly random placement seeded by map->seed (a baseline): pos[node] = tile. */
void spk_place_random(const struct spk_map *map, uint32_t *pos);

/* Σ over routes of weight x hops, for the current placement. */
uint64_t spk_place_cost(const struct spk_map *map);

/* Manhattan distance between two tiles of the mesh. */
uint32_t spk_place_hops(const struct spk_map *map, uint32_t t1, uint32_t t2);

#endif
