/*
 * route.h — the route pass: the routing table of every node (doc/mapper.md "Route").
 *
 * Entries, per source node, in this order:
 *   - synapse core, per local piece, per per-neuron reader of its site (model order): one SPIKE
 *     entry per distinct destination node among the consumers of that population — the cores
 *     holding a piece of a CONV's destination site whose rows the piece's rows reach through
 *     the kernel, or whose own spikes come back to the piece through a later writer of its site
 *     (phase causality, spk_partition_reach()), and the attention unit of an ATTN reading it;
 *     then one MEAN entry per
 *     spatial-mean reader (partial sums to the readout);
 *   - attention unit, per ATTN op: one ATTN entry per piece of its destination site;
 *   - encoder unit: one ENCODER entry per destination piece sharing its channels.
 * Destinations are nodes here; placement turns them into tiles. Every entry carries the
 * expected events per timestep it causes (spikes at the population's rate, spk_map_pop_rate();
 * attention outputs at SPK_MAP_RATE_BP; one per channel for partial sums; the encoder's once
 * per image spread over T), which is what placement minimises.
 *
 * Fails (-ENOSPC) when some node needs more entries than [core] route_entries (the table of
 * every tile kind has that size); the message names the fullest node.
 */
#ifndef SPK_ROUTE_H
#define SPK_ROUTE_H

#include "mapper/map.h"

int spk_route_run(struct spk_map *map);

#endif
