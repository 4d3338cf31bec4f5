/*
 * chip.h — the chip top: one loaded chip image (image/image.h) on one architecture, every tile's
 * unit (synapse core, attention unit, encoder, readout; sim/core.h and friends, each around the
 * shell of sim/unit.h) wired to the network (sim/noc.h) and driven event by event through the
 * scheduler (sim/sched.h). It is what `spikechip sim` runs; doc/architecture.md is the contract,
 * doc/simulator.md the user's view.
 *
 * What the top does (the unit models do the rest):
 *   - builds every unit's configuration from the image: pieces with their graded axons (the
 *     accumulator at slot_base, the encoder register in the piece's last slot block),
 *     projections (phase = step index), readers (the site's per-neuron readers, plus one mean
 *     reader per MEAN route), each tile's incoming routes in (source tile, entry index) order with
 *     the SPIKE axon ranges laid out one after another, and every routing entry's destination
 *     route index and axon base;
 *   - runs images: an image is put into every encoder's input port as soon as all of them can
 *     take one (images pipeline through the chip), and its class comes out of the readout;
 *   - drives the units: a packet is delivered in its arrival cycle and its unit evaluated in
 *     that cycle; otherwise a unit is evaluated only at its own next_cycle (a wake-up in the
 *     scheduler). The NoC runs between those cycles, stopping at each delivery. Time jumps over
 *     cycles in which nothing happens; an idle unit costs nothing. Within a cycle, evaluation
 *     order does not matter (two-phase units): the order is tile order through the scheduler's
 *     sequence numbers, so runs are deterministic.
 *   - counts: every unit's energy events, the NoC's flits, and per image the in-cycle, the
 *     class-out cycle and the predicted class.
 *
 * Spikes. Every unit reports what it fires as (population, global step, neuron); the top turns
 * the step into (image, timestep) and counts spikes per population. With recording on
 * (spk_chip_record()), it also keeps, per image in flight, one bit per (timestep, neuron); when an
 * image's class is out (every population has then fired for it) the image hook is called and may
 * read the image's spikes with spk_chip_image_spikes(). At most SPK_CHIP_IN_FLIGHT images are in
 * the chip at once (a new one is fed only when the oldest has come out that far behind): the
 * recording slots are allocated at create time and the run loop never allocates.
 *
 * Errors: a configuration a unit refuses, or an image for another architecture, makes create
 * return NULL with a message (the image's fault: it was checked by the loader, so this is a
 * mapper/top mismatch, reported rather than asserted). A run that stops making progress
 * (deadlock) returns -EDEADLK with a message.
 *
 * Ownership: spk_chip_create() copies what it needs from the image and the arch (both may be
 * freed afterwards); spk_chip_destroy() frees everything.
 */
#ifndef SPK_CHIP_H
#define SPK_CHIP_H

#include "arch/arch.h"
#include "image/image.h"
#include "sim/core.h"
#include "sim/noc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Images in flight at most (fed, class not out yet). */
#define SPK_CHIP_IN_FLIGHT 16u

/* What came out for one image. */
struct spk_chip_result {
	uint32_t cls;			/* predicted class */
	uint64_t in_cycle;		/* the cycle the image was put into the encoders */
	uint64_t out_cycle;		/* the cycle its class was out */
};

/* Energy per row of doc/architecture.md §10, pJ, over the whole run. */
struct spk_chip_energy {
	double syn_add;			/* synaptic and graded additions */
	double weight_read;		/* weight reads of the SOPs */
	double neuron;			/* neuron updates */
	double spike_out;		/* packets built (spike copies, graded, tokens, releases) */
	double router;			/* router flits */
	double link;			/* link flits */
	double attention;		/* attention ops */
	double encoder;			/* encoder MACs */
	double static_;			/* leakage of every tile for the simulated time */
	double dynamic;			/* everything but static */
	double total;
};

struct spk_chip_stats {
	uint32_t images;		/* images out */
	uint64_t cycles;		/* cycles simulated (the last class-out cycle + 1) */
	struct spk_unit_events ev;	/* the units' events, summed */
	uint64_t graded_clamped;	/* values that did not fit a graded event (error) */
	uint64_t counter_overflows;	/* attention counts beyond counter_bits (error) */
	uint64_t unit_evals;		/* unit evaluations (simulator cost) */
	uint64_t spikes;		/* spikes fired, all populations */
	uint32_t busiest_tile;		/* the unit whose input side worked the most cycles */
	uint64_t busiest_cycles;	/* those cycles (a core's or attention unit's receive
					   engine, the encoder's MAC array, the readout's packets) */
	struct spk_noc_stats noc;
	struct spk_chip_energy energy;
};

/*
 * About how many bytes spk_chip_create() allocates for img on a (a lower estimate: the units'
 * neuron memory, kernels and tables, the network's buffers and packet table), so that a command
 * can refuse a chip that would not fit in memory before it tries.
 */
uint64_t spk_chip_memory_bytes(const struct spk_image *img, const struct spk_arch *a);

/*
 * The energy of counted events (doc/architecture.md §10), every row: the units' events ev, the
 * NoC's flits in noc, static power of `tiles` tiles over `cycles` cycles (0: no static row), at
 * arch a's energies and clock. The one place that turns counts into energy: the chip's stats
 * and `spikechip energy` (sim/energy.h) both use it.
 */
void spk_chip_energy_of(struct spk_chip_energy *en, const struct spk_unit_events *ev,
			const struct spk_noc_stats *noc, const struct spk_arch *a, uint32_t tiles,
			uint64_t cycles);

/*
 * Called when an image's class is out (after the cycle it came out in). A negative return stops
 * the run: spk_chip_run() returns it.
 */
typedef int (*spk_chip_image_fn)(void *ctx, uint32_t image, const struct spk_chip_result *r);

struct spk_chip;

/* The chip for image img on architecture a. NULL with a message in err. */
struct spk_chip *spk_chip_create(const struct spk_image *img, const struct spk_arch *a, char *err,
				 size_t errlen);
void spk_chip_destroy(struct spk_chip *c);

/* Keep every image's spikes for spk_chip_image_spikes() (before the run). 0 or -ENOMEM. */
int spk_chip_record(struct spk_chip *c, bool on);

void spk_chip_set_image_hook(struct spk_chip *c, spk_chip_image_fn fn, void *ctx);

/*
 * A watchdog (before the run; 0: none, the default): a run that reaches cycle n with images
 * still in flight stops with -ETIME and "stopped at cycle n (--max-cycles): K of N images out"
 * in err. A chip that livelocks (packets that never arrive, a unit offered again forever) never
 * ends otherwise.
 */
void spk_chip_set_max_cycles(struct spk_chip *c, uint64_t n);

struct spk_timeline;
struct spk_critpath;

/*
 * Reports (before the run; NULL: off, the default): every unit's work, queue occupancy, every
 * image's in and out cycle and, if the timeline asks for routers, the routers' forwarded flits go
 * to timeline tl (sim/timeline.h); every unit's work to the critical-path recorder cp
 * (sim/critpath.h), which walks each image's path as it comes out (spk_chip_run() returns
 * -ENOMEM if it runs out of memory). Both stay the caller's. Native engine only: the SystemC
 * engine does not call them.
 */
void spk_chip_set_timeline(struct spk_chip *c, struct spk_timeline *tl);
void spk_chip_set_critpath(struct spk_chip *c, struct spk_critpath *cp);

/*
 * Runs n images of in_channels·in_height·in_width 8-bit pixels each, stored one after another,
 * from cycle 0 on a fresh chip state (a chip runs once). Results go to res[0..n). Returns 0, a
 * negative value the image hook returned, -EDEADLK or -ETIME (message in err) or -ENOMEM.
 */
int spk_chip_run(struct spk_chip *c, const uint8_t *pixels, uint32_t n,
		 struct spk_chip_result *res, char *err, size_t errlen);

/*
 * During the image hook of image `image` (recording on): the ids, ascending, of the neurons of
 * population pop that spiked at timestep t; their number in *n. Valid until the next call.
 */
const uint32_t *spk_chip_image_spikes(struct spk_chip *c, uint32_t image, uint32_t t,
				      uint32_t pop, size_t *n);

/* The statistics and energy so far. */
void spk_chip_get_stats(const struct spk_chip *c, struct spk_chip_stats *st);

/* Spikes per population so far ([n_pops], owned by the chip). */
const uint64_t *spk_chip_pop_spikes(const struct spk_chip *c);

/*
 * For merging runs (spikechip sim --jobs): flits per (tile, output port) so far, as
 * spk_noc_link_counts() ([n_tiles·5], owned by the chip), and every tile's input-side busy
 * cycles as spk_chip_get_stats() ranks them (busy[n_tiles], 0 for an empty tile).
 */
const uint64_t *spk_chip_link_counts(const struct spk_chip *c);
void spk_chip_get_unit_busy(const struct spk_chip *c, uint64_t *busy);

/*
 * The per-layer counts (`spikechip sim`'s "layers" and per-tile events), spk_chip_layer_words(img)
 * words for the chip's image img: first the raw counters of sim/energy.h (images, per tile its
 * SOPs and attention additions, per step its ops, per population its spikes, per routing entry
 * its data packets), which spk_energy_counts_of() turns into events per step and tile exactly as
 * `spikechip energy` attributes them; then per step its units' input-busy cycles (the figure
 * spk_chip_get_unit_busy() gives per tile, split by the layer each packet served) and one word
 * for busy cycles of no layer. Words of several runs add. 0, or -1 if RTL units ran in place of
 * C models (their counters are not kept).
 */
size_t spk_chip_layer_words(const struct spk_image *img);
int spk_chip_layer_counts(const struct spk_chip *c, const struct spk_image *img, uint64_t *w);

/* Offers each tile's NI refused so far, as spk_noc_ni_refused() ([n_tiles], owned by the chip). */
const uint64_t *spk_chip_ni_refused(const struct spk_chip *c);

#endif
