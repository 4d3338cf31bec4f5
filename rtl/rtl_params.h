/*
 * rtl_params.h — the parameters of the RTL network (rtl/, doc/rtl.md) derived from an
 * architecture file, and the SystemVerilog package that carries them (`spk_noc_pkg`).
 *
 * The RTL is written once, against the names of one package; an architecture becomes RTL by
 * writing that package (`spikechip arch rtl-params FILE`, and the build for the presets). Every
 * width the routers and network interfaces use is derived here, in C, once, so that the C models,
 * the co-simulation adapters and the RTL agree on the head-flit layout of doc/architecture.md §2:
 *
 *   unicast network (multicast = source), from the most significant bit:
 *       kind (2) | x (XBits) | y (YBits) | tag (1) | payload (PayloadBits)
 *   tree multicast network (multicast = tree):
 *       kind (2) | M (1) | address (AddrBits) | tag (1) | payload (PayloadBits)
 *     where the address of a unicast packet (M = 0) is x·2^YBits + y and of a multicast
 *     packet (M = 1) its group number 1..MaxGroups.
 *
 * The RTL supports a subset of what the architecture table allows (spk_rtl_params_from_arch()
 * names the parameter and the range when an architecture falls outside it): a mesh of 2..64
 * tiles a side (every address field at least one bit wide), flits of 8..64 bits (the co-simulation
 * moves a flit in one 64-bit word), buffers of 1..64 flits, 1..16 router stages, an ejection
 * capacity ([core] input_fifo) of 1..65535 flits.
 *
 * Ownership: struct spk_rtl_params is a plain value.
 */
#ifndef SPK_RTL_PARAMS_H
#define SPK_RTL_PARAMS_H

#include "arch/arch.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct spk_rtl_params {
	uint32_t mesh_x, mesh_y;	/* tiles */
	uint32_t x_bits, y_bits;	/* ⌈log2 mesh_x⌉, ⌈log2 mesh_y⌉ */
	uint32_t flit_bits;
	uint32_t buffer_flits;		/* B */
	uint32_t router_stages;		/* P */
	uint32_t eject_flits;		/* each unit's input capacity ([core] input_fifo) */
	uint32_t multicast;		/* 1: tree multicast (group tables, M bit) */
	uint32_t max_groups;		/* group-table entries (tree only; groups 1..max_groups) */
	uint32_t group_bits;		/* ⌈log2(max_groups + 1)⌉ (tree only, else 1) */
	uint32_t addr_bits;		/* unicast: x_bits + y_bits; tree: max of that and group_bits */
	uint32_t payload_bits;		/* flit_bits − 3 − addr_bits − multicast */
	uint32_t graded_flits;		/* 1 + ⌈32 / flit_bits⌉ */
	uint32_t credit_bits;		/* width of a credit counter: holds max(B, eject_flits) */
	uint32_t count_bits;		/* width of a buffer's occupancy: holds B */
};

/* The RTL's supported ranges (the header comment). */
#define SPK_RTL_MESH_MIN 2
#define SPK_RTL_MESH_MAX 64
#define SPK_RTL_FLIT_MIN 8
#define SPK_RTL_FLIT_MAX 64
#define SPK_RTL_BUFFER_MAX 64
#define SPK_RTL_STAGES_MAX 16
#define SPK_RTL_EJECT_MAX 65535
#define SPK_RTL_GROUPS_MAX 65535

/* ⌈log2 n⌉ for n >= 1 (0 for n = 1). */
uint32_t spk_rtl_clog2(uint64_t n);

/*
 * The RTL parameters of a checked architecture, with max_groups group-table entries for a tree
 * network (0: the default, 2^(x_bits + y_bits) − 1, the most groups the unicast address width
 * holds; ignored for a source network). Returns 0, or -EINVAL with "[section] key = value: the
 * RTL supports ..." in why when the architecture is outside the RTL's ranges or the head flit
 * leaves no payload bit.
 */
int spk_rtl_params_from_arch(struct spk_rtl_params *p, const struct spk_arch *a,
			     uint32_t max_groups, char *why, size_t len);

/*
 * The FlitBits of a head flit (the layout of the header comment): kind, multicast bit (tree
 * networks only), address (unicast: x·2^y_bits + y; multicast: the group), tag, payload.
 */
static inline uint64_t spk_rtl_head_data(const struct spk_rtl_params *p, unsigned kind, unsigned mc,
					 uint64_t addr, unsigned tag, uint64_t payload)
{
	uint64_t pmask = p->payload_bits >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << p->payload_bits) - 1;
	uint64_t v = (uint64_t)kind << (p->flit_bits - 2);

	if (p->multicast)
		v |= (uint64_t)mc << (p->flit_bits - 3);
	return v | addr << (p->payload_bits + 1) | (uint64_t)tag << p->payload_bits | (payload & pmask);
}

/* One parameter of an architecture and the value an RTL block was built with. */
struct spk_rtl_field {
	const char *name;		/* "[section] key" */
	long want, have;
};

/*
 * 0 if every field's want equals its have; else -EINVAL with "NAME = WANT: the RTL BLOCK built
 * for HAVE" in why for the first that differs (the co-simulation's refusals); block names the
 * block with its verb: "network was", "units were".
 */
int spk_rtl_fields_check(const struct spk_rtl_field *f, size_t n, const char *block, char *why,
			 size_t len);

/* The address of a unicast packet for tile (x, y). */
static inline uint64_t spk_rtl_tile_addr(const struct spk_rtl_params *p, uint32_t x, uint32_t y)
{
	return (uint64_t)x << p->y_bits | y;
}

/*
 * Writes the SystemVerilog package spk_noc_pkg for p to f; `source` (the architecture file) is
 * named (without its directory) in its header. Returns 0, or -EIO if writing failed.
 */
int spk_rtl_params_write_pkg(FILE *f, const struct spk_rtl_params *p, const char *source);

/*
 * Writes the same parameters as a C header defining SPK_NOC_PKG_INIT, an initializer of struct
 * spk_rtl_params in field order, for the C++ that drives Verilated blocks built with the
 * package (the co-simulation checks a chip's architecture against it). 0 or -EIO.
 */
int spk_rtl_params_write_header(FILE *f, const struct spk_rtl_params *p, const char *source);

#endif
