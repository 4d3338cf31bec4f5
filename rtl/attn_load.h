// attn_load.h — the attention unit's configuration (struct spk_attn_config, sim/attn.h) as
// writes to rtl/attn.sv's load port, for the lock-step test and the chip co-simulation.
//
// The RTL holds what its parameters size (struct spk_rtl_attn_params: the module's parameters
// and the NoC's address and payload widths); spk_rtl_attn_load() refuses a configuration that
// does not fit them, naming what and by how much. The address map is rtl/attn.sv's header
// (doc/rtl.md "attn"). Write after reset, before traffic; every entry of every table is written
// (unused ones invalid), so a reload replaces the previous configuration.
#ifndef SPK_RTL_ATTN_LOAD_H
#define SPK_RTL_ATTN_LOAD_H

extern "C" {
#include "sim/attn.h"
}

#include <cstddef>
#include <cstdint>

// rtl/attn.sv's parameters and the NoC fields it writes (spk_noc_pkg)
struct spk_rtl_attn_params {
	uint32_t max_ops, max_tokens, max_channels;	// MaxOps, MaxTokens, MaxChannels
	uint32_t lanes, output_queue, fifo_flits;	// Lanes, OutputQueue, FifoFlits
	uint32_t in_routes, max_routes;			// InRoutes, MaxRoutes
	uint32_t mesh_x, mesh_y, y_bits;		// tile t -> address (t % mesh_x) << y_bits | t / mesh_x
	uint32_t addr_bits, payload_bits;		// AddrBits, PayloadBits
};

// Load-port address of word `word` of entry `index` of region `region` (rtl/attn.sv).
static inline uint32_t spk_rtl_attn_addr(uint32_t region, uint32_t index, uint32_t word)
{
	return region << 24 | index << 8 | word;
}

// Writes cfg through write(ctx, addr, data). 0, or -1 with a message in err (what does not fit).
int spk_rtl_attn_load(const struct spk_attn_config *cfg, const struct spk_rtl_attn_params *p,
		      void (*write)(void *ctx, uint32_t addr, uint64_t data), void *ctx, char *err,
		      size_t errlen);

#endif
