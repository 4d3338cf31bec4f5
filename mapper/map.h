/*
 * map.h — the mapping: what the compiler decides about a quantized network on a chip, built up
 * by its passes and read by the image emitter and the report (doc/mapper.md).
 *
 *   spk_map_create()     analyses the network: per site its readers, writers and needs
 *   spk_partition_run()  sites -> pieces (channel groups x row bands) -> synapse cores
 *   spk_assign_run()     ATTN ops -> attention units, encoder channels -> encoder units,
 *                        mean populations and the head -> the readout
 *   spk_route_run()      routing tables: per source piece/unit its destination nodes
 *   spk_place_run()      nodes -> mesh tiles, reducing hop-weighted expected traffic
 * spk_map_compile() runs the four passes in that order. Routing needs only which node hosts what,
 * so it runs before placement, which then minimises the traffic routing implies.
 *
 * Nodes are the chip's tiles before placement: synapse cores [0, n_syn) (the first n_cores
 * used), then attention units, encoders and readouts, as many of each as the arch has. After
 * placement node->tile and tile_node[] are a permutation of the mesh.
 *
 * A pass that finds the network does not fit returns -ENOSPC and fills map->fail: the
 * resource, the layer, needed vs available, and the arch parameter that would fix it
 * (spk_map_fail_message() words it). -ENOMEM is out of memory; -EIO, Scotch refused the
 * placement problem (it printed why). Anything else is a bug.
 *
 * Ownership: create/destroy; the map borrows the model and the quantized model.
 */
#ifndef SPK_MAP_H
#define SPK_MAP_H

#include "arch/arch.h"
#include "image/image.h"
#include "models/model.h"
#include "models/quant.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Firing rate assumed for traffic estimates (placement weights, expected link load) where no
 * profile gives a population's measured rate (spk_map.pop_rate), in basis points (1/10000). */
#define SPK_MAP_RATE_BP 1500u
/* Traffic weights are in 1/10000 of an event per timestep (rate in basis points x neurons). */
#define SPK_MAP_WEIGHT_UNIT 10000u

/* How nodes get their first tiles (doc/mapper.md "Place"); swaps refine both. */
enum spk_map_placer {
	SPK_PLACER_GREEDY,		/* constructive, in program order, near placed neighbours */
	SPK_PLACER_SCOTCH,		/* Scotch's graph mapping onto a 2-D mesh target */
};

/* What the swaps minimise. */
enum spk_map_cost {
	SPK_COST_SUM,			/* Σ events x hops, one path per destination (as with
					 * source replication) */
	SPK_COST_TREE,			/* with tree multicast: a reader's spikes cost the links
					 * of their XY tree (needs map->tree) */
	SPK_COST_MAXLINK,		/* the busiest link's load first, then the sum, links
					 * loaded as the chip routes (trees with tree multicast) */
};

/* How sites are cut into pieces (doc/mapper.md "Partition"). */
enum spk_map_split {
	SPK_SPLIT_CHANNELS,		/* channel groups, row bands only where one channel's
					 * rows overflow a core */
	SPK_SPLIT_AUTO,			/* per site the groups x bands with the fewest expected
					 * packets (bands that follow the image's rows) */
};

struct spk_map_site {
	uint32_t n_readers, *readers;	/* per-neuron (kind 0) populations reading it */
	uint32_t n_means, *means;	/* spatial-mean (kind 1) populations reading it */
	uint32_t n_writers, *writers;	/* CONV ops writing it, program order */
	uint32_t attn_op;		/* the ATTN op writing it, UINT32_MAX if none */
	bool encoder;			/* the ENCODER writes it */
	uint32_t first_op;		/* first op writing it; UINT32_MAX if none */
	uint32_t slots_per_elem;	/* neuron slots per element (spk_image_slots_per_element) */
	uint64_t kernel_bits;		/* synapse bits per output channel: Σ writers c_in·k²·wb */
	uint32_t param_words;		/* 32-bit words per output channel: a bias per writer, a θ
					 * per reader */
	uint32_t groups, bands;		/* partition: channel groups x row bands */
	uint32_t first_piece, n_pieces;	/* its pieces in map->pieces */
};

/* A block of a site: channels [c0, c1) x rows [y0, y1) x all columns. */
struct spk_map_piece {
	uint32_t site, c0, c1, y0, y1;
	uint32_t slots;			/* neuron slots */
	uint64_t syn_bytes;		/* synapse memory */
	uint32_t est_routes;		/* upper bound on its routing entries (for packing) */
	uint32_t node;			/* the synapse core hosting it */
	uint32_t local;			/* its index among that core's pieces */
	uint32_t slot_base;		/* its first neuron slot on the core */
};

struct spk_map_node {
	enum spk_tile_kind kind;
	bool used;
	uint32_t n_items, cap_items;
	uint32_t *items;		/* core: pieces; attention: ATTN ops (program order) */
	uint32_t slots;			/* core: neuron slots used */
	uint64_t bytes;			/* core: synapse memory; attention: KV memory; encoder:
					 * weight memory; readout: head and thresholds */
	uint32_t c0, c1;		/* encoder: its output channels */
	uint32_t order;			/* first op it serves (placement order) */
	uint32_t first_route, n_routes;	/* its entries in map->routes */
	uint32_t tile;			/* placement: y·mesh_x + x */
};

struct spk_map_route {
	enum spk_route_kind kind;
	uint32_t source;		/* SPIKE, MEAN: population; ATTN, ENCODER: op */
	uint32_t local;			/* SPIKE, MEAN: local piece; ATTN: local op; ENCODER: 0 */
	uint32_t dst;			/* destination node */
	uint32_t dst_piece;		/* ATTN, ENCODER: global piece index; else UINT32_MAX */
	uint32_t c0, c1, y0, y1;	/* ATTN, ENCODER: the block sent */
	uint64_t weight;		/* expected events per timestep, in 1/SPK_MAP_WEIGHT_UNIT */
};

struct spk_map_fail {
	const char *resource;		/* "neurons", "synapse memory", ... */
	char layer[400];		/* which layer (and where) */
	uint64_t needed, available;
	const char *unit;		/* "neuron slots", "bytes", "entries", ... */
	char fix[320];			/* the arch parameter(s) that would make it fit */
};

struct spk_map {
	const struct spk_model *m;	/* borrowed */
	const struct spk_qmodel *q;	/* borrowed */
	struct spk_arch arch;
	uint32_t seed;
	struct spk_map_site *sites;	/* [n_sites] */
	uint32_t **pop_consumers;	/* [n_pops]: CONV and ATTN ops reading the pop, ... */
	uint32_t *n_pop_consumers;
	uint32_t n_pieces, cap_pieces;
	struct spk_map_piece *pieces;
	uint32_t n_nodes;		/* = tiles */
	struct spk_map_node *nodes;
	uint32_t n_syn, n_cores;	/* synapse cores on the chip, and used */
	uint32_t attn_first, n_attn;	/* attention unit nodes */
	uint32_t enc_first, n_enc;	/* encoder nodes */
	uint32_t readout_first, n_readout;
	uint32_t *op_node;		/* [n_ops]: the attention unit of an ATTN, the readout of the
					 * LINEAR, UINT32_MAX otherwise */
	uint32_t *op_reader_before;	/* [n_ops]: for a CONV, the population reading its
					 * destination site that fires last before it in program
					 * order (phase causality, route.h), UINT32_MAX if none */
	uint32_t n_routes, cap_routes;
	struct spk_map_route *routes;
	uint32_t *tile_node;		/* [tiles]: placement */
	uint32_t *tile_initial;		/* [n_nodes]: node -> tile before the swaps (a baseline) */
	/* Placement settings: set between spk_map_create() and spk_map_compile(). */
	enum spk_map_placer placer;	/* default SPK_PLACER_GREEDY */
	enum spk_map_cost cost_kind;	/* default SPK_COST_SUM */
	enum spk_map_split split;	/* default SPK_SPLIT_CHANNELS (spikechip map: auto) */
	bool split_chosen;		/* the partition used the auto split (false: it did not
					 * pack, so the channel split was used) */
	bool tree;			/* [noc] multicast = tree: the chip sends a reader's spikes
					 * along XY trees (traffic is measured that way) */
	uint32_t *pop_rate;		/* [n_pops] measured firing rates in basis points, or NULL
					 * (SPK_MAP_RATE_BP for every population); owned */
	uint64_t cost_constructive;	/* Σ weight·hops after the constructive placement */
	uint64_t cost;			/* ... after local improvement */
	uint64_t place_moves;		/* improving swaps made */
	struct spk_map_fail fail;
};

/*
 * A mapping of q (quantized from m at the arch's widths) onto the chip a, seeded for placement.
 * Analyses the network; NULL on out of memory.
 */
struct spk_map *spk_map_create(const struct spk_model *m, const struct spk_qmodel *q,
			       const struct spk_arch *a, uint32_t seed);
void spk_map_destroy(struct spk_map *map);

/* Runs partition, assign, route and place. 0, -ENOSPC (map->fail says why), -ENOMEM or -EIO
 * (Scotch failed). */
int spk_map_compile(struct spk_map *map);

/* Records why the network does not fit; returns -ENOSPC. */
int spk_map_nofit(struct spk_map *map, const char *resource, const char *unit, uint64_t needed,
		  uint64_t available, const char *fix, const char *layer_fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* "does not fit: <resource>: <layer> needs N <unit>, the chip has M; fix: <fix>" */
void spk_map_fail_message(const struct spk_map *map, char *buf, size_t len);

/* The name of the layer that writes a site (its first writer), or the site's name. */
const char *spk_map_site_layer(const struct spk_map *map, uint32_t site);

/* Neurons of a piece's block. */
uint64_t spk_map_piece_elems(const struct spk_map *map, const struct spk_map_piece *p);

/* The firing rate assumed for population p, basis points. */
uint32_t spk_map_pop_rate(const struct spk_map *map, uint32_t p);

/* Adds an item to a node; -ENOMEM. */
int spk_map_node_add(struct spk_map_node *n, uint32_t item);

#endif
