/*
 * assign.h — the assign pass: the operations that do not run on synapse cores get their units
 * (doc/mapper.md "Assign").
 *
 *   - ATTN ops -> attention units. An op needs heads·d·d KV counters of counter_bits; a unit
 *     holds several ops if their KV regions fit its kv_kib together (each op keeps its own
 *     region, so ops of different blocks never wait for each other's counters). With no more
 *     ops than units, each op gets its own unit; otherwise ops are packed first-fit decreasing.
 *   - The ENCODER -> encoder units, split by output channel (balanced) over min(units, C_out)
 *     units; each holds the integer weights of its channels, the zero points and a multiplier
 *     and bias per channel in weight_kib.
 *   - Spatial-mean populations and the LINEAR head -> the first readout unit.
 *
 * Fails (-ENOSPC) when one ATTN op's counters exceed kv_kib, when the ops need more units than
 * the chip has, or when an encoder unit's share exceeds weight_kib.
 */
#ifndef SPK_ASSIGN_H
#define SPK_ASSIGN_H

#include "mapper/map.h"

int spk_assign_run(struct spk_map *map);

/* KV counter bytes of an ATTN op at the arch's counter_bits. */
uint64_t spk_assign_kv_bytes(const struct spk_map *map, uint32_t op);

/* Encoder weight memory for g output channels. */
uint64_t spk_assign_encoder_bytes(const struct spk_map *map, uint32_t g);

#endif
