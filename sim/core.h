/*
 * core.h — the synapse core: the C model of the tile that holds pieces of sites, integrates
 * incoming spikes through shared conv kernels, fires its populations and sends their spikes
 * (doc/architecture.md §6 and §9 are the contract, doc/semantics.md §3 the arithmetic). This
 * header also declares what every unit model shares (the attention unit, encoder and readout
 * include it): the port to the tile's network interface, the incoming-route table, the energy
 * event counts.
 *
 * How the chip top uses a unit. A unit is created from a plain configuration struct (the top
 * fills it from the chip image, mapper/image.h) and then lives on cycles:
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

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- What every unit shares ------------------------------------------------------------------ */

/*
 * A unit's side of its tile's network interface, for one evaluated cycle (doc/architecture.md
 * §4). send offers a packet in the current cycle: 0 if the NI took it, -EAGAIN if it refused
 * (the unit offers it again in a later cycle). credit returns input-FIFO space freed in the
 * current cycle (usable by the network from the next). spike, if not NULL, observes every
 * spike fired (population, global step, neuron id (c·H + y)·W + x of the population).
 */
struct spk_unit_port {
	int (*send)(void *ctx, const struct spk_packet *p);
	void (*credit)(void *ctx, uint32_t flits);
	void (*spike)(void *ctx, uint32_t pop, uint64_t step, uint32_t neuron);
	void *ctx;
};

/* Energy events of doc/architecture.md §10 that the units count (the NoC counts flits). */
struct spk_unit_events {
	uint64_t sops;			/* weights added because a spike arrived (head rows too) */
	uint64_t graded_adds;		/* graded values added into an element */
	uint64_t neuron_updates;	/* neurons updated in a fire phase (a mean's elements too) */
	uint64_t packets_out;		/* packets built and accepted by the NI */
	uint64_t attention_ops;		/* KV and Q·KV additions */
	uint64_t encoder_macs;		/* encoder multiply-accumulates (dense count) */
};

/* Dynamic energy of the counted events, pJ (doc/architecture.md §10). */
double spk_unit_energy_pj(const struct spk_unit_events *ev, const struct spk_arch_energy *e,
			  int weight_bits);

/* sum += ev, field by field. */
void spk_unit_events_add(struct spk_unit_events *sum, const struct spk_unit_events *ev);

/* What an incoming route brings (the kind of the source's routing-table entry). */
enum spk_in_kind {
	SPK_IN_SPIKE = 1,		/* spikes of a population, from one source block */
	SPK_IN_ATTN = 2,		/* graded attention outputs added into one piece */
	SPK_IN_ENCODER = 3,		/* graded encoder outputs for one piece's register, per image */
	SPK_IN_MEAN = 4,		/* partial sums of a spatial-mean population (readout) */
};

/*
 * An incoming route: a routing-table entry of some tile (this one included) whose destination is
 * this tile. Its index in the unit's table is what tokens on it carry; src_tile and src_route
 * (the entry's index at its source) are where and what its releases go.
 */
struct spk_unit_in_route {
	enum spk_in_kind kind;
	uint32_t src_tile;
	uint32_t src_route;
	uint32_t pop;			/* SPIKE, MEAN: the population (image index) */
	/* SPIKE: axon of the source block's element 0, and the block: channels [c0, c0 +
	 * channels) x rows [y0, y0 + rows) x all `width` columns of the population; its element
	 * e is ((c − c0)·rows + (y − y0))·width + x. */
	uint32_t axon_base;
	uint32_t c0, channels, y0, rows, width;
	uint32_t piece;			/* ATTN, ENCODER: the local piece it writes */
	uint32_t phase;			/* ATTN: the phase (step index) of its ATTN step */
};

/*
 * An outgoing route (a routing-table entry), in table order. What `source` names and how a
 * packet's axon is formed depend on the unit:
 *   core (SPIKE / MEAN)  source = local reader; spike axon = axon_base + element index in the
 *                        reader's piece; partial-sum axon = axon_base + channel (site channel)
 *   attention (ATTN)     source = local op;  \  the block [c0, c1) x [y0, y1) of the output it
 *   encoder (ENCODER)    source = 0;         /  carries; value (c, y, x) goes to axon_base +
 *                        ((c − pc0)·prows + (y − py0))·width + x of the destination piece
 * dst_route is the route's index among the destination's incoming routes (token payload).
 */
struct spk_unit_route {
	uint32_t source;
	uint32_t dst_tile;
	uint32_t dst_route;
	uint32_t axon_base;
	uint32_t c0, c1, y0, y1;	/* ATTN, ENCODER */
	uint32_t pc0, py0, prows;	/* ATTN, ENCODER: the destination piece's first channel,
					   first row and rows */
};

/*
 * The input FIFO every unit has: [core] input_fifo flits of packets, each with its arrival
 * cycle. Pushing more than the credits allow is a broken invariant (asserted); popping gives
 * the packet's flits back through the port.
 */
struct spk_unit_fifo_slot {
	struct spk_packet pkt;
	uint64_t arrival;
};

struct spk_unit_fifo {
	struct spk_unit_fifo_slot *slot;	/* [cap] ring: every packet is at least one flit */
	uint32_t cap;			/* flits */
	uint32_t head, len, flits;
	uint32_t peak;			/* most flits held */
};

int spk_unit_fifo_init(struct spk_unit_fifo *f, uint32_t cap_flits);	/* 0 or -ENOMEM */
void spk_unit_fifo_fini(struct spk_unit_fifo *f);

/* Ring index i (< 2·cap) wrapped into [0, cap): no division on the hot paths. */
static inline uint32_t spk_ring_wrap(uint32_t i, uint32_t cap)
{
	return i >= cap ? i - cap : i;
}

/* Appends a packet arriving in cycle arrival (not before the last one's). Inline: once per
 * packet delivered. */
static inline void spk_unit_fifo_push(struct spk_unit_fifo *f, const struct spk_packet *p,
				      uint64_t arrival)
{
	assert(p->flits >= 1 && f->flits + p->flits <= f->cap);
	assert(f->len == 0 ||
	       f->slot[spk_ring_wrap(f->head + f->len - 1, f->cap)].arrival <= arrival);
	struct spk_unit_fifo_slot *sl = &f->slot[spk_ring_wrap(f->head + f->len++, f->cap)];

	sl->pkt = *p;
	sl->arrival = arrival;
	f->flits += p->flits;
	if (f->flits > f->peak)
		f->peak = f->flits;
}

/* Removes the head packet and returns its credits through port (in the current cycle). */
static inline void spk_unit_fifo_pop(struct spk_unit_fifo *f, const struct spk_unit_port *port)
{
	uint32_t flits = f->slot[f->head].pkt.flits;

	assert(f->len > 0);
	f->head = spk_ring_wrap(f->head + 1, f->cap);
	f->len--;
	f->flits -= flits;
	if (port->credit != NULL)
		port->credit(port->ctx, flits);
}

/* The head packet if it has arrived by cycle x, else NULL. */
static inline const struct spk_unit_fifo_slot *spk_unit_fifo_ready(const struct spk_unit_fifo *f,
								   uint64_t x)
{
	if (f->len == 0 || f->slot[f->head].arrival > x)
		return NULL;
	return &f->slot[f->head];
}

/* The cycle the head packet arrives, UINT64_MAX when empty. */
static inline uint64_t spk_unit_fifo_next(const struct spk_unit_fifo *f)
{
	return f->len == 0 ? UINT64_MAX : f->slot[f->head].arrival;
}

/*
 * Pending releases of a unit's incoming routes, sent in the order they became due, one per
 * cycle, before anything else the unit sends. A route has at most one release pending (it
 * cannot close another step before it is released), so the ring holds one per route.
 */
struct spk_unit_release {
	uint32_t route;			/* incoming route */
	uint64_t step;			/* step (image, for ENCODER routes) released */
};

struct spk_unit_releases {
	struct spk_unit_release *r;	/* [cap] ring */
	uint32_t cap, head, len;
};

int spk_unit_releases_init(struct spk_unit_releases *rl, uint32_t routes);	/* 0 / -ENOMEM */
void spk_unit_releases_fini(struct spk_unit_releases *rl);
void spk_unit_releases_push(struct spk_unit_releases *rl, uint32_t route, uint64_t step);

/*
 * Offers the oldest pending release of the incoming routes `in` to the NI of `tile`. Returns 1 if
 * it went, 0 if none is pending, -EAGAIN if the NI refused it; counts packets_out.
 */
int spk_unit_releases_send(struct spk_unit_releases *rl, const struct spk_unit_in_route *in,
			   uint32_t tile, const struct spk_unit_port *port,
			   struct spk_unit_events *ev);

/* ---- The synapse core -------------------------------------------------------------------------- */

/* A block of one site hosted here: channels x rows x all columns (mapper/image.h "piece"). */
struct spk_core_piece {
	uint32_t c0, channels;		/* site channels [c0, c0 + channels) */
	uint32_t y0, rows;		/* site rows [y0, y0 + rows) */
	uint32_t height, width;		/* the whole site's rows and columns */
	uint32_t acc_axon;		/* graded axon of element 0's accumulator (adds) */
	uint32_t enc_axon;		/* graded axon of element 0's encoder register (writes),
					   UINT32_MAX when the ENCODER does not write the site */
	uint32_t enc_phase;		/* the ENCODER step's phase, when enc_axon is set */
};

/* The kernels of one CONV step for one piece's channels (mapper/image.h "projection"). */
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

/* Steps fired by reader r so far (the next step it fires). */
uint64_t spk_core_reader_steps(const struct spk_core *c, uint32_t r);

#endif
