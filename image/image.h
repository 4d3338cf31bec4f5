/*
 * image.h — the chip image (`.spki`, doc/formats.md "Chip image"): what `spikechip map`
 * compiles a quantized model into, and what the simulator loads. It holds, per tile of the
 * mesh, the tile's kind and everything its memories contain — neuron ranges and thresholds,
 * quantized conv kernels and biases, attention KV regions, encoder weights, the readout's head —
 * and its routing table; plus the arch parameters it was compiled for (spk_image_check_arch()
 * rejects an image built for another chip) and the identity of the model.
 *
 * The execution model an image describes (doc/mapper.md, "What a chip image means"):
 *   - The network is a program of **steps** (the model file's operations, without weights) run
 *     once per timestep in order; a step's position is its phase. A FIRE sees exactly the
 *     contributions of the steps before it in this timestep.
 *   - A synapse core hosts **pieces**. A piece is a block of one site: channels [c0, c1) x rows
 *     [y0, y1) x all columns. The core keeps the site's running value (the accumulator) for
 *     those elements, the membranes of every per-neuron population that reads the site (for the
 *     same elements), and, when the ENCODER writes the site, a register holding the encoder's
 *     per-image output. Every CONV writing the site has a **projection** on that core: the
 *     kernels of the piece's output channels, w[c_in][k][k][c1-c0], and their biases.
 *   - An incoming spike of population p, neuron (c, y, x), is offered to every projection on
 *     the core whose step reads p: it adds kernel rows (the piece's channels) to every output
 *     position of the piece in its receptive field, at that step's phase.
 *   - Routing tables are per tile: entry = (kind, source, local, destination tile, ...). A
 *     SPIKE entry sends every spike of population `source` from local piece `local` to the
 *     destination tile (source replication; with tree multicast, one packet per group of
 *     entries, spk_image_mc_groups()); a MEAN entry sends the piece's per-channel partial
 *     sums of its site to the readout; ATTN and ENCODER entries send graded values of one step
 *     to the destination tile's piece `dst_piece`, for the neurons in [c0,c1) x [y0,y1).
 *
 * Ownership: spk_image_load()/spk_image_parse() return an image owned by the caller, freed with
 * spk_image_destroy(); every pointer inside belongs to it. The mapper builds an image with
 * spk_image_alloc() and fills it field by field, then spk_image_write() serialises it.
 *
 * Errors by whose fault: a truncated, corrupt or newer file is the user's: the loader returns NULL
 * with "FILE: where: what" in err (byte offset or record, e.g. "tile 12 (3,1): piece 0: c1 40 >
 * channels 32") and never crashes on any input. Everything downstream trusts a loaded image:
 * every index is in range and every size matches (see the constraints in doc/formats.md).
 */
#ifndef SPK_IMAGE_H
#define SPK_IMAGE_H

#include "arch/arch.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPK_IMAGE_MAGIC "SPKIMAGE"
#define SPK_IMAGE_VERSION 1u
#define SPK_IMAGE_HEADER_BYTES 32u	/* SPK_CONTAINER_HEADER_BYTES */
#define SPK_IMAGE_MAX_RAW (1u << 30)	/* payload_raw_bytes limit */
#define SPK_IMAGE_MAX_ARCH 64u		/* arch parameters recorded */

/* Step types: the model file's op types (doc/formats.md). */
enum spk_step_type {
	SPK_STEP_ENCODER = 1,
	SPK_STEP_FIRE = 2,
	SPK_STEP_CONV = 3,
	SPK_STEP_ATTN = 4,
	SPK_STEP_LINEAR = 5,
};

/* What a tile is (its hardware unit). */
enum spk_tile_kind {
	SPK_TILE_CORE = 1,		/* synapse core */
	SPK_TILE_ATTENTION = 2,		/* attention unit */
	SPK_TILE_ENCODER = 3,		/* encoder (first-layer MAC unit) */
	SPK_TILE_READOUT = 4,		/* readout: spatial mean populations and the head */
};

enum spk_route_kind {
	SPK_ROUTE_SPIKE = 1,		/* spikes of pop `source` from local piece `local` */
	SPK_ROUTE_MEAN = 2,		/* partial sums of local piece `local` for mean pop `source` */
	SPK_ROUTE_ATTN = 3,		/* graded outputs of ATTN step `source` (local op `local`) */
	SPK_ROUTE_ENCODER = 4,		/* graded outputs of the ENCODER step `source`, once per image */
};

struct spk_image_site {
	char *name;
	uint32_t channels, height, width;
};

struct spk_image_pop {
	char *name;
	uint32_t site;
	uint32_t kind;			/* 0: per neuron; 1: spatial mean (hosted by the readout) */
	uint32_t neurons;		/* C·H·W, or C for kind 1 (derived) */
};

struct spk_image_step {
	enum spk_step_type type;
	char *name;
	uint32_t pop;			/* FIRE */
	uint32_t src_pop;		/* CONV, LINEAR */
	uint32_t q_pop, k_pop, v_pop;	/* ATTN */
	uint32_t dst_site;		/* ENCODER, CONV, ATTN */
	uint32_t kernel, stride, pad;	/* ENCODER, CONV */
	uint32_t heads;			/* ATTN */
	/* Derived shapes: input (image or source site) and output (destination site / classes). */
	uint32_t c_in, h_in, w_in;
	uint32_t c_out, h_out, w_out;
};

/*
 * A block of one site on a synapse core. Its neuron slots, from slot_base, hold in this order
 * (each block (c1−c0)·(y1−y0)·width entries, index ((c−c0)·(y1−y0) + (y−y0))·width + x):
 * the accumulator when it is separate (several readers, or a mean reader), the membrane of each
 * per-neuron reader (site_readers order), then the encoder register when the ENCODER writes the
 * site. A site read by exactly one per-neuron population and nothing else keeps accumulator and
 * membrane in one slot.
 */
struct spk_image_piece {
	uint32_t site;
	uint32_t c0, c1, y0, y1;
	uint32_t slot_base, slots;
	int64_t *theta;			/* [n_readers][c1−c0]: θ of each per-neuron reader */
};

/* The kernels of one CONV step for the output channels of one piece. */
struct spk_image_proj {
	uint32_t step;			/* a CONV step whose dst_site is the piece's site */
	uint32_t piece;			/* local piece index */
	int16_t *w;			/* [c_in][k][k][c1−c0] */
	int32_t *bias;			/* [c1−c0] */
};

struct spk_image_route {
	enum spk_route_kind kind;
	uint32_t source;		/* SPIKE, MEAN: population; ATTN, ENCODER: step */
	uint32_t local;			/* SPIKE, MEAN: local piece; ATTN: local op; ENCODER: 0 */
	uint32_t dst_tile;
	uint32_t dst_piece;		/* ATTN, ENCODER: piece on dst_tile; else UINT32_MAX */
	uint32_t c0, c1, y0, y1;	/* ATTN, ENCODER: the destination piece's block; else 0 */
};

/* One ATTN step on an attention unit; its KV counters live at kv_base (bytes). */
struct spk_image_attn {
	uint32_t step;
	uint32_t kv_base, kv_bytes;	/* heads·d·d counters of counter_bits */
};

/* The encoder's share of the ENCODER step: output channels [c0, c1). */
struct spk_image_encoder {
	uint32_t step;
	uint32_t c0, c1;
	int16_t *w;			/* [c_in][k][k][c1−c0] integer weights on (pixel − zero) */
	int32_t *zero;			/* [c_in] zero points */
	int64_t *mult;			/* [c1−c0] requantization multipliers (2^-24 units) */
	int64_t *bias;			/* [c1−c0] round(bias/σ) */
};

/* A spatial-mean population on the readout: its θ per channel (doc/semantics.md §3). */
struct spk_image_mean {
	uint32_t pop;
	int64_t *theta;			/* [channels] */
};

struct spk_image_head {
	uint32_t step;			/* the LINEAR step */
	int16_t *w;			/* [c_in][classes] */
	int64_t *bias;			/* [classes] */
	double scale;			/* σ_h: logits = score·scale/T */
};

struct spk_image_tile {
	enum spk_tile_kind kind;
	uint32_t x, y;			/* position (derived from the index) */
	uint32_t n_routes;
	struct spk_image_route *routes;
	/* SPK_TILE_CORE */
	uint32_t n_pieces, n_projs;
	struct spk_image_piece *pieces;
	struct spk_image_proj *projs;
	/* SPK_TILE_ATTENTION */
	uint32_t n_attn;
	struct spk_image_attn *attn;
	/* SPK_TILE_ENCODER (NULL when this encoder is unused) */
	struct spk_image_encoder *encoder;
	/* SPK_TILE_READOUT */
	uint32_t n_means;
	struct spk_image_mean *means;
	struct spk_image_head *head;	/* NULL when unused */
};

struct spk_image_arch_param {
	char *name;			/* "section.key", e.g. "core.neurons" */
	int64_t value;
};

struct spk_image {
	/* Model identity. */
	char *model_config;
	char *model_dataset;
	uint32_t model_crc32;		/* CRC-32 of the whole model file (as traces record it) */
	uint32_t time_steps;
	uint32_t in_channels, in_height, in_width;
	uint32_t classes;
	/* The arch parameters the image was compiled for. */
	uint32_t n_arch;
	struct spk_image_arch_param *arch;
	uint32_t seed;			/* placement seed */
	/* Frequently used arch values (from arch[]). */
	uint32_t mesh_x, mesh_y;
	int weight_bits, membrane_bits, counter_bits;
	/* The network. */
	uint32_t n_sites, n_pops, n_steps;
	struct spk_image_site *sites;
	struct spk_image_pop *pops;
	struct spk_image_step *steps;
	/* Derived: per site its per-neuron readers (pop indices, model order) and whether the
	 * ENCODER writes it. */
	uint32_t *n_site_readers;
	uint32_t **site_readers;
	bool *site_encoder;
	/* Tiles, index y·mesh_x + x. */
	uint32_t n_tiles;
	struct spk_image_tile *tiles;
};

/* Reads and validates a chip image. NULL with "FILE: ..." in err on failure (err may be NULL). */
struct spk_image *spk_image_load(const char *path, char *err, size_t errlen);

/* The file's envelope (util/container.h): magic, version, limits, zlib level. */
struct spk_container;
extern const struct spk_container spk_image_format;

/* As spk_image_load, from the bytes of a whole file in memory; name stands for the file. */
struct spk_image *spk_image_parse(const void *file, size_t len, const char *name, char *err,
				  size_t errlen);

void spk_image_destroy(struct spk_image *img);

/*
 * 0 if the image was compiled for an architecture whose mapping parameters (the ones recorded in
 * the image: mesh, core sizes and widths, attention, encoder) equal a's; otherwise -EINVAL with
 * "compiled for [core] neurons = 8192, the architecture has 4096" in err. Timing and energy
 * parameters may differ: they do not change the mapping.
 */
int spk_image_check_arch(const struct spk_image *img, const struct spk_arch *a, char *err,
			 size_t errlen);

/* The value of a recorded arch parameter ("core.neurons"); false if not recorded. */
bool spk_image_arch_value(const struct spk_image *img, const char *name, int64_t *value);

/* The tile at (x, y); NULL outside the mesh. */
const struct spk_image_tile *spk_image_tile_at(const struct spk_image *img, uint32_t x, uint32_t y);

/* The neurons of a piece's block: (c1−c0)·(y1−y0)·width. */
size_t spk_image_piece_size(const struct spk_image *img, const struct spk_image_piece *p);

/*
 * Neuron slots a piece needs: its block size times (separate accumulator ? 1 : 0) + readers +
 * (encoder register ? 1 : 0), with accumulator and membrane sharing a slot for a site with one
 * per-neuron reader and no mean reader. Also what the mapper counts.
 */
uint32_t spk_image_slots_per_element(uint32_t n_readers, uint32_t n_means, bool encoder);

/*
 * Graded axon of a piece's element 0 (doc/architecture.md §2 "Axons"): the neuron-memory address of
 * its accumulator (slot_base), or with enc of its encoder register (the piece's last slot block).
 */
uint32_t spk_image_piece_axon(const struct spk_image *img, const struct spk_image_piece *p,
			      bool enc);

/* The readout tile t's axon base of mean population pop (means laid out in table order, one axon
 * per site channel); UINT32_MAX if t does not host pop. */
uint32_t spk_image_mean_axon(const struct spk_image *img, const struct spk_image_tile *t,
			     uint32_t pop);

/*
 * Tree multicast ([noc] multicast = tree; doc/architecture.md §6 "Multicast groups"). The
 * SPIKE routes of each reader (local piece, source population) of a synapse core are grouped in
 * routing-table order: a route joins the reader's first group that has no route to its
 * destination tile yet, else opens a new group; a group thus never has two members on one tile.
 * Group ids count from 1 chip-wide in (tile, opening route) order. Every other route (MEAN,
 * ATTN, ENCODER) stays unicast: route_group 0. The mapper's payload check and the chip top
 * (which registers the groups with the NoC and gives each core its routes' groups) both use
 * this one function.
 */
struct spk_image_mc_group {
	uint32_t tile;			/* source tile (a synapse core) */
	uint32_t first, n;		/* its members: member[first .. first + n) */
	uint32_t max_elem;		/* the largest element index its spikes carry (source piece
					   size − 1) */
};

struct spk_image_mc {
	uint32_t n_groups;		/* G */
	struct spk_image_mc_group *groups;	/* [G]: group id g >= 1 is groups[g − 1] */
	uint32_t *member;		/* routing-table indices (at the group's tile) of each
					   group's members, in table order */
	uint32_t **route_group;		/* [n_tiles][n_routes]: each entry's group, 0 = unicast */
	uint32_t *flat_;		/* storage of route_group (and member) */
};

/* Computes the groups of every tile into mc (caller-allocated, spk_image_mc_fini() frees what
 * it holds). 0, or -ENOMEM. Trusts a checked image (duplicate routes are grouped too). */
int spk_image_mc_groups(const struct spk_image *img, struct spk_image_mc *mc);
void spk_image_mc_fini(struct spk_image_mc *mc);

/* Address bits A of a tree-mode head flit: max(⌈log2 mesh_x⌉ + ⌈log2 mesh_y⌉, ⌈log2(G + 1)⌉). */
uint32_t spk_image_mc_address_bits(uint32_t mesh_x, uint32_t mesh_y, uint32_t groups);

/* The most multicast groups a chip can have (16-bit group ids). */
#define SPK_IMAGE_MC_MAX_GROUPS 65535u

/*
 * In tree mode, the head flit is kind (2 bits), M (1), address (A bits), tag (1) and a payload
 * of flit_bits − 4 − A bits. 0 if every payload the chip sends fits: each unicast packet's axon
 * or route index (graded axons, tokens of unicast routes, releases) and each multicast spike's
 * element index; and G <= 65535. Otherwise -ENOSPC with a message that names the arch option
 * to change ([noc] flit_bits, or [noc] multicast). Source mode is not checked here.
 */
int spk_image_check_mc_payload(const struct spk_image *img, const struct spk_arch *a,
			       const struct spk_image_mc *mc, char *err, size_t errlen);

/* "core", "attention", "encoder", "readout" ("?" otherwise). */
const char *spk_image_tile_kind_name(enum spk_tile_kind k);

/* "ENCODER", "FIRE", ... */
const char *spk_image_step_type_name(enum spk_step_type t);

/* Allocation for builders: an image with n_tiles zeroed tiles; NULL on out of memory. */
struct spk_image *spk_image_alloc(void);

/*
 * Computes the derived fields (step shapes, pop sizes, site readers, tile positions, mesh and
 * widths from arch[]) of an image a builder filled in, and checks it as the loader would.
 * 0, or -EINVAL with "where: what" in err (a builder bug: callers assert on it).
 */
int spk_image_finish(struct spk_image *img, char *err, size_t errlen);

/*
 * Writes the image atomically (FILE.tmp.<pid>, then rename). Same image, same bytes.
 * 0, or a negative errno with "PATH: what" in err.
 */
int spk_image_write(const struct spk_image *img, const char *path, char *err, size_t errlen);

/* The whole file in memory (header + compressed payload): a malloc'd buffer, or NULL. */
void *spk_image_serialize(const struct spk_image *img, size_t *len, char *err, size_t errlen);

#endif
