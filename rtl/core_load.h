/*
 * core_load.h — the loader of the synapse core's RTL (rtl/core.sv): turns the C model's
 * configuration (struct spk_core_config, sim/core.h) into the writes of the core's load port,
 * so that the RTL and spk_core_create() start from the same configuration. The lock-step test
 * (tests/rtl/core_lockstep.cpp) and the chip co-simulation use it.
 *
 * What it computes is what spk_core_create() derives at setup (the piece's readers in phase
 * order, the tokens each reader needs, the biases of the projections before it, the pieces each
 * incoming route writes, what a queue entry sends): the RTL holds the derived tables, not the
 * rules. The address map is in rtl/core.sv's header and doc/rtl.md "core".
 *
 * A configuration the RTL's parameters cannot hold (more pieces, elements, weights, routes ...
 * than the tables, other adders / neuron_updates / FIFO / queue / membrane widths than the
 * module's) is refused with a message naming what does not fit. The configuration itself is
 * assumed valid for spk_core_create() (call that first).
 */
#ifndef SPK_RTL_CORE_LOAD_H
#define SPK_RTL_CORE_LOAD_H

#include "sim/core.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The RTL core's module parameters (rtl/core.sv) and the NoC fields it addresses with. */
struct spk_rtl_core_params {
	uint32_t fifo_flits, queue_entries, adders, neuron_updates, membrane_bits;
	uint32_t pieces, projs, readers, in_routes, routes;
	uint32_t acc_words, mem_words, weight_words, chan_words;
	uint32_t mesh_x, y_bits;	/* tile t -> address (t % mesh_x) << y_bits | t / mesh_x */
	uint32_t addr_bits, payload_bits;	/* spk_noc_pkg AddrBits, PayloadBits */
};

/* Load-port tables (load address bits 31..28). */
enum spk_rtl_core_table {
	SPK_RTL_CORE_GLOBAL = 0, SPK_RTL_CORE_PIECE = 1, SPK_RTL_CORE_ELEM = 2,
	SPK_RTL_CORE_PROJ = 3, SPK_RTL_CORE_WEIGHT = 4, SPK_RTL_CORE_IN = 5,
	SPK_RTL_CORE_READER = 6, SPK_RTL_CORE_CHAN = 7, SPK_RTL_CORE_ROUTE = 8,
};

/* The load address of field `field` of entry `index` of table `table`. */
static inline uint32_t spk_rtl_core_addr(uint32_t table, uint32_t index, uint32_t field)
{
	return table << 28 | index << 4 | field;
}

/*
 * Writes cfg into the RTL core through write(ctx, address, data): every entry of the tables
 * with a valid bit (unused ones invalid), the accumulator elements and weights in use (the rest
 * is never read). 0, or -1 with a message in err when cfg does not fit p.
 */
int spk_rtl_core_load(const struct spk_core_config *cfg, const struct spk_rtl_core_params *p,
		      void (*write)(void *ctx, uint32_t addr, uint64_t data), void *ctx,
		      char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
