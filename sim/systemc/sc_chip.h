/*
 * sc_chip.h — the SystemC engine of the chip top, callable from C: runs a chip built by
 * spk_chip_create() (sim/chip.h) through the SystemC kernel instead of the native event loop, with
 * the same results (cycles, spikes, energy, statistics). doc/simulator.md "The SystemC engine"
 * describes the modules, their ports and how an RTL block takes a module's place.
 *
 * The SystemC kernel elaborates once per process: the first run builds the modules for its chip's
 * layout, and later runs in the same process (fresh chips of the same image, e.g. the segments of
 * `spikechip sim`) reuse them, rebound to the new chip, from a later simulated time. A chip of
 * another layout after the first is refused (-EBUSY, message in err).
 */
#ifndef SPK_SC_CHIP_H
#define SPK_SC_CHIP_H

#ifdef __cplusplus
extern "C" {
#endif

#include "sim/chip.h"

#include <stddef.h>
#include <stdint.h>

/*
 * As spk_chip_run(): n images from cycle 0 on a fresh chip, results to res[0..n). Returns 0, a
 * negative value the image hook returned, -EDEADLK, -EBUSY (message in err) or -ENOMEM.
 */
int spk_chip_run_systemc(struct spk_chip *c, const uint8_t *pixels, uint32_t n,
			 struct spk_chip_result *res, char *err, size_t errlen);

/* Blocks that run as RTL (rtl/, doc/rtl.md): the network of routers and NIs, the readout, the attention
 * unit, the encoder, the synapse core. */
#define SPK_RTL_NOC 1u
#define SPK_RTL_READOUT 2u
#define SPK_RTL_ATTN 4u
#define SPK_RTL_ENCODER 8u
#define SPK_RTL_CORE 16u
/* the unit kinds that run in RTL in the chip */
#define SPK_RTL_UNITS (SPK_RTL_READOUT | SPK_RTL_ATTN | SPK_RTL_ENCODER | SPK_RTL_CORE)

/*
 * Which blocks later spk_chip_run_systemc() calls run as Verilated RTL (SPK_RTL_*, 0: none), and
 * an FST waveform file of those blocks over cycles [wave_from, wave_to) of each run (NULL: none;
 * a later run overwrites it). Checked when a run starts: a chip whose architecture the RTL was
 * not built for is refused then (-EINVAL, the parameter named in err).
 */
void spk_chip_systemc_set_rtl(unsigned blocks, const char *wave, uint64_t wave_from,
			      uint64_t wave_to);

/*
 * The tiles whose units later runs put in RTL (with a unit kind in the blocks of
 * spk_chip_systemc_set_rtl()): tiles[0..n), ascending; n = 0: every tile (the default).
 */
void spk_chip_systemc_set_rtl_tiles(const uint32_t *tiles, uint32_t n);

/*
 * Whether this spikechip links one's own RTL core instead of rtl/core.sv (`make byo`, doc/rtl.md
 * "Bring your own unit"), and the CRC-32 of its source file then.
 */
bool spk_chip_systemc_byo_core(uint32_t *crc);

/* Whether tile t's unit runs in RTL when its kind does (spk_chip_systemc_set_rtl_tiles()). */
bool spk_chip_systemc_rtl_tile(uint32_t t);

/*
 * 0 if the RTL blocks can run a chip of architecture a; else -EINVAL with "[section] key: ..."
 * in err (the parameter and what the RTL was built for).
 */
int spk_chip_systemc_rtl_check(const struct spk_arch *a, unsigned blocks, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
