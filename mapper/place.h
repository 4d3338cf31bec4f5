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
 *   2. Local improvement: seeded random swaps (a used node with the occupant of a tile near one
 *      of its neighbours, or now and then anywhere), kept when they lower the cost; the number
 *      of trials is proportional to the nodes, bounded in total work.
 * Deterministic: same map and seed, same placement (integer costs, own RNG).
 */
#ifndef SPK_PLACE_H
#define SPK_PLACE_H

#include "mapper/map.h"

#define SPK_PLACE_CANDIDATES 48u

int spk_place_run(struct spk_map *map);

/* Σ over routes of weight x hops, for the current placement. */
uint64_t spk_place_cost(const struct spk_map *map);

/* Manhattan distance between two tiles of the mesh. */
uint32_t spk_place_hops(const struct spk_map *map, uint32_t t1, uint32_t t2);

#endif
