/*
 * readout_load.h — the configuration of a readout (struct spk_readout_config, sim/readout.h) as
 * writes on the load port of its RTL (rtl/readout.sv, whose header gives the address map). The
 * lock-step test (tests/rtl/readout_lockstep.cpp) and the chip co-simulation load the Verilated
 * readout with it.
 */
#ifndef SPK_READOUT_LOAD_H
#define SPK_READOUT_LOAD_H

#include "rtl/rtl_params.h"
#include "sim/readout.h"

#include <stddef.h>
#include <stdint.h>

/* The parameters the RTL readout was built with (its module parameters). */
struct spk_rtl_readout_params {
	uint32_t fifo_flits, in_routes, max_means, max_channels, max_classes;
	uint32_t neuron_updates, adders, membrane_bits;
};

/* One write on the load port. */
typedef void (*spk_rtl_load_fn)(void *ctx, uint32_t addr, uint64_t data);

/*
 * Writes cfg through write(ctx, addr, data) for a readout built with rp in a network with the
 * parameters np (the NoC addresses of the source tiles). Returns 0, or -EINVAL with a message in
 * err naming what does not fit the RTL (nothing written then).
 */
int spk_rtl_readout_load(const struct spk_readout_config *cfg,
			 const struct spk_rtl_readout_params *rp, const struct spk_rtl_params *np,
			 spk_rtl_load_fn write, void *ctx, char *err, size_t errlen);

#endif
