// rtl_units.h — the units of a tile in RTL inside the SystemC engine: a Verilated unit behind
// the same module interface as the C models' wrappers (sim/systemc/sc_unit.h), so that
// `spikechip sim --engine systemc --rtl readout` runs the chip with those units in RTL and
// reports what the C models would (doc/rtl.md "Co-simulation").
//
// A unit module in RTL:
//   - restart(): resets the Verilated unit and loads its configuration through the load port,
//     from the C model's own copy (spk_readout_get_config(); rtl/readout_load.h), with the
//     unit held in reset; the C model itself is never evaluated;
//   - deliver() / eval(x): the packet that arrived in x goes onto the unit's rx port; the
//     unit's offer to the NI goes to the NI and the NI's answer back on tx_ready_i; the credits,
//     spikes and classes the unit gives out in x go where the C model's go; then the clock;
//   - next_cycle(): x + 1 while the unit is busy (busy_o), else nothing until a delivery: a
//     unit that is not busy changes no state, so skipping its cycles is exact;
//   - finish(): the unit's counters become the chip's statistics of that tile.
// The RTL is built with fixed parameters (rtl/readout.mk, "the chip's readout"); check() names
// the first that a chip's architecture does not match, before a run.
#ifndef SPK_RTL_UNITS_H
#define SPK_RTL_UNITS_H

#include "sim/systemc/sc_unit.h"

extern "C" {
#include "arch/arch.h"
#include "image/image.h"
}

#include <string>

namespace spk_rtl {

// The unit kinds in RTL (the --rtl names), as a mask of SPK_RTL_* of sim/systemc/sc_chip.h.
// Whether their RTL can run a chip of architecture a: false with the reason in why.
bool units_check(const spk_arch &a, unsigned blocks, std::string &why);

// The module of a unit of kind k in RTL (for the arguments: spk_sc::unit), or nullptr if the
// kind is not among blocks.
spk_sc::unit *make_unit(unsigned blocks, enum spk_tile_kind k, const char *name,
			const spk_sc::clock &clk, spk_sc::unit_observer &obs, void *model,
			const spk_unit_port *chip_port, bool feeds_control, uint32_t tile,
			const spk_arch &a);

// The load-port writes restart() makes into the chip build of a unit of kind k (core or
// attention unit) from its C model `model`: write(ctx, address, data) per word. 0, or -1 with
// the reason in why (the configuration does not fit the build, or another kind).
int load_writes(enum spk_tile_kind k, void *model, void (*write)(void *, uint32_t, uint64_t),
		void *ctx, std::string &why);

// Whether this build's RTL core is one's own (`make byo`, rtl/byo.mk: SPK_BYO_CORE_CRC), and the
// CRC-32 of its source file.
bool byo_core(uint32_t *crc);

// The chip build of unit kind k as "name=value ..." (the NoC package's fields and the unit's
// parameters): recorded with port traffic, so that a replay into another build is refused.
std::string build_id(enum spk_tile_kind k);

} // namespace spk_rtl

#endif
