/*
 * rtl_ports.h — recorded port traffic (doc/rtl.md "Recorded port traffic"): one unit's ports
 * as its C model saw them in a real chip run, written by `spikechip sim --engine systemc
 * --record-ports TILE FILE`, and replayed into the Verilated unit by `spikechip rtl replay
 * FILE`, which compares every output in every cycle with what the C model gave.
 *
 * What a record holds, per run (a segment of `spikechip sim`): the load-port writes that put
 * the unit's configuration into the RTL build this spikechip links (rtl/rtl_units.cpp), then one
 * line per cycle in which the SystemC engine evaluated the C model: the packet delivered, the
 * packet offered and the NI's answer, the input-FIFO flits freed, the spikes fired; at the end
 * of the run the C model's counters. Synapse cores and attention units (the units whose traffic
 * is all on the NI port); the file format is in doc/formats.md "Port records".
 */
#ifndef SPK_RTL_PORTS_H
#define SPK_RTL_PORTS_H

#ifdef __cplusplus
extern "C" {
#endif

#include "image/image.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Record the port traffic of tile's unit in the SystemC engine's runs that follow, into path
 * (written atomically at spk_rtl_record_finish()). 0, or -1 with "PATH: what" in err.
 */
int spk_rtl_record_start(uint32_t tile, const char *path, char *err, size_t errlen);

/*
 * After the runs: ok, the record is committed to its path (0, or -1 with a message in err:
 * the file could not be written, or the unit's configuration did not fit the RTL build);
 * not ok, the temporary file is removed (returns 0).
 */
int spk_rtl_record_finish(bool ok, char *err, size_t errlen);

/* `spikechip rtl`: replay (cli/commands.h). */
int spk_rtl_main(int argc, char **argv);

#ifdef __cplusplus
}

#include "sim/systemc/sc_unit.h"

namespace spk_rtl {

// The C model's module of tile's unit (kind k) with its port traffic recorded, if tile is the
// one spk_rtl_record_start() named; else nullptr (the caller builds the plain module).
spk_sc::unit *make_recorder(enum spk_tile_kind k, const char *name, const spk_sc::clock &clk,
			    spk_sc::unit_observer &obs, void *model,
			    const spk_unit_port *chip_port, bool feeds_control, uint32_t tile);

} // namespace spk_rtl
#endif

#endif
