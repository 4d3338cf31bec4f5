/*
 * rtl_area.h — the area of a chip at 45 nm (doc/rtl.md "Area"): `spikechip arch show --area`
 * and `spikechip sweep --pareto area`.
 *
 * The chip's area is the sum over its blocks of memory and logic. Memory is the SRAM the
 * architecture names (synapse and neuron memory, routing tables, KV counters, encoder weights),
 * in bits, times [area] sram_um2_per_bit. Logic is yosys's: the network's (router and NI) is
 * synthesised for the architecture itself; a unit's is the synthesis recorded in
 * rtl/unit_logic.txt (one configuration per unit kind, whose gate netlist passed its lock-step
 * test; it does not follow the architecture's parameters), since a unit takes from minutes to
 * hours to synthesise. Both are counted in NAND2 equivalents times [area] nand2_um2.
 *
 * The architecture's package (rtl_params.h) is written into a temporary directory and
 * rtl/area.sh synthesises the router and the NI with yosys (the same script as `make area`).
 * A synthesis takes about half a minute, so its result is cached: under
 * $XDG_CACHE_HOME/spikechip (or ~/.cache/spikechip), in a file named by the CRC-32 of the
 * package, the RTL sources and the script, so that any change to them synthesises again.
 *
 * Ownership: struct spk_rtl_area is a plain value.
 */
#ifndef SPK_RTL_AREA_H
#define SPK_RTL_AREA_H

#include "arch/arch.h"
#include "util/jsonw.h"

#include <stddef.h>

struct spk_rtl_area {
	double router_nand2, ni_nand2;		/* NAND2 equivalents */
	double router_um2, ni_um2;		/* 45 nm, µm² */
	unsigned long router_cells, ni_cells;
	int cached;				/* 1: read from the cache */
};

/* The NAND2_X1 area of the NanGate 45 nm Open Cell Library, µm² (rtl/area.sh uses the same). */
#define SPK_RTL_NAND2_UM2 0.798

/*
 * Synthesises (or reads from the cache) the network of architecture a. Returns 0, or a negative
 * errno with the reason in err: an architecture the RTL does not support (the parameter named),
 * yosys or the RTL sources missing, a failed synthesis.
 */
int spk_rtl_area(const struct spk_arch *a, struct spk_rtl_area *out, char *err, size_t errlen);

/* The blocks of a chip, in the order reports list them. */
enum spk_area_block {
	SPK_AREA_CORE, SPK_AREA_ATTN, SPK_AREA_ENCODER, SPK_AREA_READOUT, SPK_AREA_NETWORK,
	SPK_AREA_BLOCKS
};

/* The memories the architecture names, in the order reports list them. */
enum spk_area_memory {
	SPK_MEM_SYNAPSE, SPK_MEM_NEURON, SPK_MEM_ROUTES, SPK_MEM_KV, SPK_MEM_ENC_WEIGHTS,
	SPK_AREA_MEMORIES
};

struct spk_area_block_figures {
	const char *name;		/* "synapse core", "attention unit", ... */
	const char *key;		/* its JSON key: "core", "attn", "encoder", "readout", "network" */
	int count;			/* how many the chip has (tiles; the network: one per tile) */
	double sram_bits;		/* memory of one, bits */
	double logic_nand2;		/* logic of one, NAND2 equivalents; < 0: not known */
	double sram_um2, logic_um2;	/* one's memory and logic area (logic 0 when not known) */
	char logic_from[320];		/* where the logic figure comes from */
};

struct spk_chip_area {
	struct spk_area_block_figures block[SPK_AREA_BLOCKS];
	double memory_bits[SPK_AREA_MEMORIES];	/* per block that holds it */
	double sram_mm2, logic_mm2, total_mm2;	/* the whole chip */
	int logic_unknown;			/* blocks whose logic is not known (not counted) */
	struct spk_rtl_area network;		/* the network's synthesis */
};

/* The names of the memories (enum spk_area_memory), for reports. */
extern const char *const spk_area_memory_names[SPK_AREA_MEMORIES];

/*
 * The area of every block of architecture a and of the whole chip. The network is synthesised
 * (or read from the cache) as spk_rtl_area() does; the units' logic is read from
 * rtl/unit_logic.txt. Returns 0, or a negative errno with the reason in err.
 */
int spk_chip_area(const struct spk_arch *a, struct spk_chip_area *out, char *err, size_t errlen);

/* Writes ca as one JSON object (the "area" of `arch show --area --json`). */
void spk_chip_area_json(struct spk_jsonw *j, const struct spk_arch *a,
			const struct spk_chip_area *ca);

#endif
