/*
 * readout.h — the readout: the C model of the tile that hosts the spatial-mean populations and
 * the classifier head (doc/architecture.md §8 "Readout" and §9 are the contract, doc/semantics.md
 * §3 and §6 the arithmetic).
 *
 * The synapse cores holding the last stream send, per step, one graded event per channel and
 * piece (the partial sums of the site at the mean population's phase) and a token per MEAN
 * route. The readout adds the partial sums into X[c] (1 cycle each, a graded add) and, when a
 * mean population has all its tokens for step s, fires:
 *   - its C neurons at [core] neuron_updates per cycle, starting in the first cycle in which the
 *     tokens are counted (the cycle after the last one was taken): A = V + X[c], S = A >= 2θ[c],
 *     V = S ? 0 : sat(A >> 1) (membranes reset at the first step of every image); X is cleared
 *     as it is read, and the population's MEAN routes become due for release in the last fire
 *     cycle (the partial sums of s + 1 may come while the head works);
 *   - then, if the head reads this population, one head row per spike in channel order,
 *     ceil(classes / adders) cycles each ([core] adders; each weight added is a SOP), into the
 *     image's scores, the biases added with no extra cycle;
 *   - after the last step of an image (s mod T = T − 1), the class with the largest score,
 *     lowest index on ties, is out in the cycle after the last head cycle (after the last fire
 *     cycle if no neuron spiked): the class_out hook reports it with that cycle.
 * Among populations ready to fire, the lowest phase, then the lowest step, goes first; the
 * engine does one at a time. Releases go out one per cycle through the NI; the readout sends
 * nothing else.
 *
 * How the chip top drives it and the ownership rules are the synapse core's (core.h); what the
 * units share is sim/unit.h.
 */
#ifndef SPK_READOUT_H
#define SPK_READOUT_H

#include "sim/unit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A spatial-mean population hosted here. */
struct spk_readout_mean {
	uint32_t pop;			/* population (image index) */
	uint32_t phase;			/* its FIRE step's index */
	uint32_t channels;		/* C */
	uint32_t axon_base;		/* graded axon of channel 0's partial sums */
	const int64_t *theta;		/* [channels] θ (times H·W, doc/semantics.md §3) */
};

/* The head: LINEAR over one mean population's spikes. */
struct spk_readout_head {
	uint32_t mean;			/* index into means */
	uint32_t classes;
	const int16_t *w;		/* [channels][classes] */
	const int64_t *bias;		/* [classes] */
};

/* Called when an image's class is out (cycle: the class-out cycle); scores [classes]. */
typedef void (*spk_readout_class_fn)(void *ctx, uint64_t image, uint32_t cls, uint64_t cycle,
				     const int64_t *scores);

struct spk_readout_config {
	uint32_t tile;
	uint32_t time_steps;		/* T */
	uint32_t adders;		/* [core] adders (head rows) */
	uint32_t neuron_updates;	/* [core] neuron_updates */
	uint32_t input_fifo;		/* [core] input_fifo, flits */
	uint32_t flit_bits;
	int membrane_bits;
	uint32_t n_means;
	const struct spk_readout_mean *means;
	const struct spk_readout_head *head;	/* NULL: no head on this readout */
	uint32_t n_in;
	const struct spk_unit_in_route *in;	/* MEAN routes (pop: the mean population) */
	spk_readout_class_fn class_out;
	void *class_ctx;
};

struct spk_readout_stats {
	struct spk_unit_events ev;	/* sops (head), graded_adds, neuron_updates, packets_out */
	uint64_t packets_in, graded_in, tokens_in;
	uint64_t fires;			/* (population, step) fires */
	uint64_t fire_cycles, head_cycles;
	uint64_t images;		/* classes out */
	uint64_t send_refused;
	uint32_t fifo_peak;
};

struct spk_readout;

struct spk_readout *spk_readout_create(const struct spk_readout_config *cfg, char *err,
				       size_t errlen);
void spk_readout_destroy(struct spk_readout *r);

/* What the input FIFO holds now (flits), and the releases due (the readout has no output queue;
 * timeline counters). */
void spk_readout_occupancy(const struct spk_readout *r, uint32_t *fifo_flits, uint32_t *queue);

void spk_readout_deliver(struct spk_readout *r, const struct spk_packet *p, uint64_t arrival);
void spk_readout_eval(struct spk_readout *r, uint64_t x, const struct spk_unit_port *port);
uint64_t spk_readout_next_cycle(const struct spk_readout *r);
bool spk_readout_quiet(const struct spk_readout *r);
void spk_readout_get_stats(const struct spk_readout *r, struct spk_readout_stats *st);

/*
 * The configuration the readout was created with, its arrays the readout's own copies (valid
 * while it lives): what the RTL readout is loaded with (rtl/readout_load.h).
 */
void spk_readout_get_config(const struct spk_readout *r, struct spk_readout_config *cfg);

/* The input side's busy cycles (one per packet) by layer, added into busy[]: each mean
 * population's partial sums and tokens to its FIRE step (as spk_core_layer_counts()). The head's
 * SOPs are the stats' ev.sops, all of the head's LINEAR step. */
void spk_readout_layer_busy(const struct spk_readout *r, uint32_t n_layers, uint64_t *busy);

/* Steps mean population m has fired. */
uint64_t spk_readout_mean_steps(const struct spk_readout *r, uint32_t m);

#endif
