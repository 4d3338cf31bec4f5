/*
 * partition.h — the partition pass: cuts every site (with the populations that read it) into
 * pieces that fit a synapse core, then packs pieces onto cores (doc/mapper.md "Partition").
 *
 * A piece is channels [c0, c1) x rows [y0, y1) x all columns of one site. A site is cut into
 * output-channel groups — each core then stores the kernels of its channels once, for all
 * positions of its rows (weight sharing), and an incoming spike expands to one kernel row of the
 * local channels per output position in its receptive field — and into row bands: with
 * map->split = SPK_SPLIT_CHANNELS only when one channel over all rows needs more neuron slots
 * than a core has; with SPK_SPLIT_AUTO as many as lower the expected packets (a piece holding a
 * band of rows sends only to the bands its kernels reach), chosen per site. Bands replicate
 * their channels' kernels.
 * A residual stream's pieces hold its running value and the membranes of every population that
 * reads it, so no synapse is replicated per reader.
 *
 * Packing walks the pieces in program order and puts each on one of the last few cores opened if
 * neuron slots, synapse memory and an upper bound on routing entries allow, else on a new core.
 *
 * Fails (-ENOSPC, map->fail) when one row of one channel needs more neuron slots than a core
 * has ([core] neurons), when one output channel's kernels exceed a core's synapse memory
 * ([core] synapse_kib), or when the pieces need more cores than the mesh has.
 */
#ifndef SPK_PARTITION_H
#define SPK_PARTITION_H

#include "mapper/map.h"

/* Cores kept open for packing (program-order neighbours share a core). */
#define SPK_PARTITION_WINDOW 4u

int spk_partition_run(struct spk_map *map);

/* Synapse memory of a piece of g output channels of a site: kernels at weight_bits, rounded up
 * to bytes, plus a 32-bit word per channel for each writer's bias and each reader's θ. */
uint64_t spk_partition_bytes(const struct spk_map *map, uint32_t site, uint32_t g);

/*
 * Output rows [*lo, *hi] of a conv (kernel k, stride s, pad p, h_out rows) that input rows
 * [y0, y1) reach; false if none.
 */
bool spk_partition_conv_rows(uint32_t y0, uint32_t y1, uint32_t k, uint32_t s, uint32_t p,
			     uint32_t h_out, uint32_t *lo, uint32_t *hi);

/*
 * Input rows [*lo, *hi] (of h_in) of a conv whose reach includes some of output rows [y0, y1);
 * false if none.
 */
bool spk_partition_conv_inrows(uint32_t y0, uint32_t y1, uint32_t k, uint32_t s, uint32_t p,
			       uint32_t h_in, uint32_t *lo, uint32_t *hi);

/*
 * Rows [*lo, *hi] of the destination site of CONV op that a piece holding rows [y0, y1) of the
 * site population pop reads must send pop's spikes to: those the convolution reaches, and, for
 * phase causality, those whose own spikes come back to rows [y0, y1) through a later writer of
 * pop's site for which pop is the last reader before it (doc/mapper.md "Route"). false if none.
 */
bool spk_partition_reach(const struct spk_map *map, uint32_t pop, const struct spk_op *op,
			 uint32_t y0, uint32_t y1, uint32_t *lo, uint32_t *hi);

#endif
