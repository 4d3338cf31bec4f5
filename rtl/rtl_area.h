/*
 * rtl_area.h — the logic area of an architecture's network by synthesis (doc/rtl.md "Area"):
 * `spikechip arch show --area`.
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

#endif
