/*
 * core.h — the synapse core: the C model of the tile that holds pieces of sites, integrates
 * incoming spikes through shared conv kernels, fires its populations and sends their spikes
 * (doc/architecture.md §6 and §9 are the contract, doc/semantics.md §3 the arithmetic). What
 * it shares with the other units (the port to the NI, input FIFO, releases, route tables,
 * energy event counts) is sim/unit.h.
 *
 * How the chip top uses a unit. A unit is created from a plain configuration struct (the top
 * fills it from the chip image, image/image.h) and then lives on cycles:
 *   - spk_core_deliver(c, pkt, arrival): a packet the NoC delivered; it enters the input FIFO in
 *     its arrival cycle. The NoC only delivers what the unit's credits allow, so the FIFO never
 *     overflows (an assert).
 *   - spk_core_eval(c, x, port): cycle x of the unit. It offers packets to the NI through
 *     port->send (accepted or refused in the same cycle: back-pressure), gives back input-FIFO
 *     credits through port->credit, and reports fired spikes through port->spike (for traces).
 *   - spk_core_next_cycle(c): the next cycle in which the unit has something to do if nothing
 *     else arrives; UINT64_MAX when it is idle until a delivery. The top must evaluate the unit in
 *     that cycle and in the arrival cycle of every delivery, and may skip every other cycle:
 *     evaluating a cycle with nothing to do is harmless, skipping one with work is a top bug
 *     (asserted). Cycles only go forward.
 * An idle unit therefore costs nothing; a busy one costs one evaluation per cycle in which one of
 * its engines acts, except that a multi-cycle spike integration is done in its first cycle and
 * the unit sleeps until it ends (nothing observes the additions before the next packet).
 *
 * Two-phase. eval(x) computes every engine's next state from the state registered at the end of
 * x − 1 and commits at its end: the fire engine sees the queue occupancy, token counters and
 * releases of x − 1; entries it queues are sent from x + 1; additions, tokens and releases the
 * receive engine takes in x count from x + 1.
 *
 * Sending (doc/architecture.md §6). An output-queue entry goes out as one packet per route of
 * its reader, in routing-table order (source replication); with tree multicast (route_mc), as
 * one packet per multicast group instead (a spike carries the element index, the NoC's group
 * tables add each member's axon base; an end-of-step marker is one multicast token per group),
 * the reader's unicast routes keeping their packets.
 *
 * Addressing (the payload of a head flit, doc/architecture.md §2 "Axons"): a spike's axon is the
 * incoming route's axon_base plus the source neuron's element index in its source block; a
 * graded event's axon is a neuron-memory address of this core (a piece's acc_axon or enc_axon
 * plus the element index); a token names an incoming route by its index here; a release names
 * one of this core's routing-table entries by its index.
 *
 * Ownership: spk_core_create() copies everything in the configuration (the caller's arrays may
 * be freed afterwards) and allocates all state; eval, deliver and next_cycle never allocate.
 * spk_core_destroy() frees it. A configuration the model cannot honour (an index out of range,
 * overlapping axon ranges, readers out of phase order) makes create return NULL with a message:
 * a chip-top bug, reported rather than asserted because configurations come from files.
 */
#ifndef SPK_CORE_H
#define SPK_CORE_H

#include "arch/arch.h"
#include "sim/noc.h"
#include "sim/unit.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The synapse core -------------------------------------------------------------------------- */

/* A block of one site hosted here: channels x rows x all columns (image/image.h "piece"). */
struct spk_core_piece {
	uint32_t c0, channels;		/* site channels [c0, c0 + channels) */
	uint32_t y0, rows;		/* site rows [y0, y0 + rows) */
	uint32_t height, width;		/* the whole site's rows and columns */
	uint32_t acc_axon;		/* graded axon of element 0's accumulator (adds) */
	uint32_t enc_axon;		/* graded axon of element 0's encoder register (writes),
					   UINT32_MAX when the ENCODER does not write the site */
	uint32_t enc_phase;		/* the ENCODER step's phase, when enc_axon is set */
};

/* The kernels of one CONV step for one piece's channels (image/image.h "projection"). */
struct spk_core_proj {
	uint32_t piece;			/* local piece written */
	uint32_t phase;			/* the CONV step's index */
	uint32_t pop;			/* the population read */
	uint32_t c_in, h_in, w_in;	/* its shape */
	uint32_t kernel, stride, pad;
	const int16_t *w;		/* [c_in][kernel][kernel][piece channels] */
	const int32_t *bias;		/* [piece channels] */
};

/* A population reading a piece at a phase: per-neuron (LIF, membranes here) or spatial mean
 * (partial sums to the readout). A piece's readers are listed in phase order. */
struct spk_core_reader {
	uint32_t piece;
	uint32_t phase;			/* the FIRE step's index */
	uint32_t pop;			/* population (image index): reported with spikes */
	bool mean;			/* spatial-mean reader */
	const int64_t *theta;		/* [piece channels] θ (per-neuron readers; NULL for a mean) */
};

struct spk_core_config {
	uint32_t tile;			/* this tile (packet source) */
	uint32_t time_steps;		/* T: membranes reset and the encoder register turns over
					   every T steps */
	uint32_t adders;		/* [core] adders */
	uint32_t neuron_updates;	/* [core] neuron_updates */
	uint32_t input_fifo;		/* [core] input_fifo, flits */
	uint32_t output_queue;		/* [core] output_queue, entries */
	uint32_t flit_bits;		/* [noc] flit_bits (packet lengths) */
	int membrane_bits;		/* [core] membrane_bits */
	uint32_t n_pieces;
	const struct spk_core_piece *pieces;
	uint32_t n_projs;
	const struct spk_core_proj *projs;
	uint32_t n_readers;
	const struct spk_core_reader *readers;
	uint32_t n_in;
	const struct spk_unit_in_route *in;	/* SPIKE, ATTN and ENCODER routes */
	uint32_t n_routes;
	const struct spk_unit_route *routes;	/* SPIKE (per-neuron reader) and MEAN (mean reader) */
	/* Tree multicast ([noc] multicast = tree): the NoC multicast group (spk_noc_add_group())
	 * of each route, 0 for a unicast one; NULL: every route unicast (source replication).
	 * Only a per-neuron reader's routes may share a group, one per destination tile. */
	const uint32_t *route_mc;		/* [n_routes] */
};

/* Counters beyond the energy events: what the core did and where it waited. */
struct spk_core_stats {
	struct spk_unit_events ev;
	uint64_t packets_in;		/* packets taken from the input FIFO */
	uint64_t spikes_in, graded_in, tokens_in, releases_in;
	uint64_t receive_busy;		/* cycles the receive engine worked */
	uint64_t fires;			/* (reader, step) fires completed */
	uint64_t fire_cycles;		/* cycles the fire engine updated a group */
	uint64_t fire_stalls;		/* cycles a group waited for output-queue space */
	uint64_t spikes_out;		/* spikes fired (per-neuron readers) */
	uint64_t send_refused;		/* packets the NI refused (offered again later) */
	uint64_t graded_clamped;	/* partial sums beyond 32 bits, sent clamped (an error the
					   chip top reports: the value does not fit a graded event) */
	uint32_t fifo_peak;		/* most flits in the input FIFO */
	uint32_t queue_peak;		/* most entries in the output queue */
};

struct spk_core;

/* A core at cycle 0, empty, every route released. NULL with a message in err on a bad config
 * or out of memory. */
struct spk_core *spk_core_create(const struct spk_core_config *cfg, char *err, size_t errlen);
void spk_core_destroy(struct spk_core *c);

/* A packet delivered to this tile; it enters the input FIFO in cycle arrival (>= the last
 * evaluated cycle + 1). Asserts that it fits the FIFO (the network's credits guarantee it). */
void spk_core_deliver(struct spk_core *c, const struct spk_packet *p, uint64_t arrival);

/* Cycle x of the core (x greater than the last evaluated cycle). */
void spk_core_eval(struct spk_core *c, uint64_t x, const struct spk_unit_port *port);

/* The next cycle with work, UINT64_MAX when idle until a delivery. */
uint64_t spk_core_next_cycle(const struct spk_core *c);

/*
 * NI wake-ups (off by default). On: the caller promises to evaluate the core in the first cycle
 * in which its NI can accept a packet again after a refusal (the NoC's SPK_NOC_STOP_AT_NI_READY
 * and spk_noc_ni_ready()). A core whose packet was refused then sleeps until that cycle (or
 * until other work) instead of offering the packet every cycle, and counts the offers of the
 * cycles it slept through as refused (send_refused): every count and cycle is what a core
 * evaluated every cycle gives. Off: a core with something to send wants every cycle.
 */
void spk_core_set_ni_wake(struct spk_core *c, bool on);

/* True if nothing is in flight in the core: empty FIFO and queue, no fire, no pending release. */
bool spk_core_quiet(const struct spk_core *c);

void spk_core_get_stats(const struct spk_core *c, struct spk_core_stats *st);

/* What the input FIFO (flits) and the output queue (entries) hold now (timeline counters). */
void spk_core_occupancy(const struct spk_core *c, uint32_t *fifo_flits, uint32_t *queue);

/*
 * The configuration the core was created with, its arrays the core's own copies (valid while it
 * lives): what the RTL core is loaded with (rtl/core_load.h).
 */
void spk_core_get_config(const struct spk_core *c, struct spk_core_config *cfg);

/*
 * What the core did, by layer (the per-layer figures of `spikechip sim`'s JSON report), added
 * into the caller's arrays: ops[phase] += the SOPs of each projection (phase: its CONV step);
 * busy[layer] += the receive engine's busy cycles of the packets each layer's work brought (a
 * spike or token: the first projection reading its route, or its ATTN or ENCODER step; a graded
 * event: the step that wrote it; a release: the reader's FIRE step), busy[n_layers] those of
 * packets with no layer; route_ev[k] += data packets (spikes, partial sums) accepted on routing
 * entry k (a multicast group's at its first route), tokens and releases not counted. The busy
 * cycles sum to the stats' receive_busy.
 */
void spk_core_layer_counts(const struct spk_core *c, uint32_t n_layers, uint64_t *ops,
			   uint64_t *busy, uint64_t *route_ev);

/* Steps fired by reader r so far (the next step it fires). */
uint64_t spk_core_reader_steps(const struct spk_core *c, uint32_t r);

#endif
