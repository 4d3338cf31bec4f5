/*
 * energy.h — the chip's dynamic energy without its cycles (`spikechip energy`, doc/energy.md
 * "Energy without cycles").
 *
 * Every dynamic energy event of doc/architecture.md §10 is fixed by the spikes and the chip
 * image, not by timing: which packets a unit builds, the XY path (or tree) each one takes, the
 * weights a spike adds, the neurons a fire phase updates, the attention and encoder arithmetic.
 * So they are counted here from a functional run — either the image's own (mapper/exec.h: its
 * tiles, routes and memories, checked spike for spike against the integer reference by
 * `spikechip map --verify`) or the integer reference's, whose spikes and values give the same
 * per-route and per-tile counts at the reference's speed (sim/energy_ref.h) — and the counting
 * rules of the units' C models:
 *
 *   - a synapse core: the SOPs of its projections; one neuron update per element of each piece,
 *     per reader (per-neuron populations and the mean readers of its MEAN routes) and timestep;
 *     one graded add per attention output it receives; packets: one per spike per send (route,
 *     or multicast group in tree mode), a partial sum per channel per MEAN route, a token per
 *     send per timestep, a release per incoming route that writes a piece per timestep (ENCODER
 *     routes: per image);
 *   - an attention unit: one op per (K, V) pair and d per Q spike; packets: its non-zero outputs,
 *     a token per ATTN route per timestep, a release per Q/K/V route per timestep;
 *   - an encoder: k²·C_in MACs per output element (dense); packets: its non-zero outputs and a
 *     token per route, per image;
 *   - the readout: the head's SOPs (classes per spike), one graded add per partial sum, one
 *     neuron update per channel of each mean population per timestep, a release per MEAN route
 *     per timestep;
 *   - the network: a unicast packet of F flits over H hops is F·(H + 1) router flits and F·H
 *     link flits along its XY path (releases on the path back); a multicast packet (tree mode)
 *     is one flit per edge of its XY tree plus one per member.
 *
 * The totals equal `spikechip sim`'s count for count (tests/cli/energy_cmd.sh, tests/cli/energy_shipped.sh); static energy
 * and latency need the cycles and are not here (spikechip energy --sample runs the cycle
 * simulator on a sample for those).
 *
 * Ownership: spk_energy_create()/spk_energy_destroy(); the counter borrows the image and the
 * arch, which must outlive it. Running an image allocates nothing.
 */
#ifndef SPK_ENERGY_H
#define SPK_ENERGY_H

#include "arch/arch.h"
#include "image/image.h"
#include "sim/chip.h"
#include "sim/noc.h"
#include "sim/unit.h"

#include <stddef.h>
#include <stdint.h>

struct spk_energy;

/* What one step of the model (a layer) costs: its events, and the network's flits of the packets
 * it sends (a population's spikes, tokens and releases belong to its FIRE step). */
struct spk_energy_step {
	struct spk_unit_events ev;
	uint64_t router_flits, link_flits;
	uint64_t spikes;		/* FIRE: spikes of the population */
};

/* Everything counted over the images run so far. Arrays are owned by the counter. */
struct spk_energy_counts {
	uint32_t images;
	uint64_t spikes;		/* all populations */
	struct spk_unit_events ev;	/* the units' events, summed */
	struct spk_noc_stats noc;	/* packets, flits, hops, router and link flits, the
					   busiest link; timing fields 0 */
	const struct spk_unit_events *tile_ev;	/* [n_tiles] */
	const uint64_t *links;		/* [n_tiles·5] flits per (tile, output port), as
					   spk_noc_link_counts() */
	const struct spk_energy_step *step;	/* [n_steps] */
};

/* A counter for image img on arch a (its [noc] multicast chooses the packets). NULL with a
 * message in err (out of memory, or a tree-mode image whose payloads do not fit). */
struct spk_energy *spk_energy_create(const struct spk_image *img, const struct spk_arch *a,
				     char *err, size_t errlen);
void spk_energy_destroy(struct spk_energy *e);

/*
 * A counter that runs images through the integer reference instead of the executor: the same
 * counts (sim/energy_ref.h), at the reference's speed. It takes rc (destroyed with the counter,
 * or here on failure). NULL with a message in err.
 */
struct spk_energy_ref;
struct spk_energy *spk_energy_create_ref(const struct spk_image *img, const struct spk_arch *a,
					 struct spk_energy_ref *rc, char *err, size_t errlen);

/*
 * A counter without the executor: it runs no image, and turns raw counters that the cycle
 * simulator filled (spk_chip_layer_counts()) into counts with spk_energy_counts_of(): the one
 * place that attributes events to steps and tiles. NULL with a message in err.
 */
struct spk_energy *spk_energy_create_counter(const struct spk_image *img,
					     const struct spk_arch *a, char *err, size_t errlen);

/*
 * The raw counters' layout (spk_energy_raw_words() of them): [0] images; per tile t, its SOPs
 * at spk_energy_raw_tile(t) and its attention additions at the next word; per step i, its ops
 * at spk_energy_raw_step(img, i) (SOPs of a CONV or LINEAR step, additions of an ATTN step); per
 * population p, its spikes at spk_energy_raw_pop(img, p); then per tile and routing entry in
 * table order, from spk_energy_raw_routes(img), the data packets (spikes, graded values; not
 * tokens or releases) the entry carried (a multicast group's at its first entry).
 */
static inline size_t spk_energy_raw_tile(uint32_t t)
{
	return 1 + 2 * (size_t)t;
}

static inline size_t spk_energy_raw_step(const struct spk_image *img, uint32_t i)
{
	return 1 + 2 * (size_t)img->n_tiles + i;
}

static inline size_t spk_energy_raw_pop(const struct spk_image *img, uint32_t p)
{
	return spk_energy_raw_step(img, img->n_steps) + p;
}

static inline size_t spk_energy_raw_routes(const struct spk_image *img)
{
	return spk_energy_raw_pop(img, img->n_pops);
}

/* The raw counters' length for img. */
size_t spk_energy_raw_size(const struct spk_image *img);

/* Runs one image (in_channels × in_height × in_width pixels); returns its class. */
int spk_energy_run(struct spk_energy *e, const uint8_t *pixels);

/*
 * Over processes (spikechip energy --jobs N): what the images run here since the last take
 * counted, as spk_energy_raw_words() plain counters (take zeroes them here), and adding such
 * counters, from this or another counter of the same image, into the totals.
 */
size_t spk_energy_raw_words(const struct spk_energy *e);
void spk_energy_take(struct spk_energy *e, uint64_t *raw);
void spk_energy_add(struct spk_energy *e, const uint64_t *raw);

/* The counts of every image run here or added so far (valid until the next call or destroy);
 * NULL if out of memory. */
const struct spk_energy_counts *spk_energy_counts(struct spk_energy *e);

/* The counts of raw counters (e.g. one image's, from spk_energy_take()) alone, leaving the
 * totals as they are; valid until the next call or destroy. */
const struct spk_energy_counts *spk_energy_counts_of(struct spk_energy *e, const uint64_t *raw);

#endif
