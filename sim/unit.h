/*
 * unit.h — the shell every unit of a tile shares (synapse core sim/core.h, attention unit
 * sim/attn.h, encoder sim/encoder.h, readout sim/readout.h): what sits between a unit's own
 * engines and the tile's network interface (doc/architecture.md §4 and §6–9). The RTL is to
 * mirror it as one module that each unit instantiates; here it is one module the four C models
 * call:
 *
 *   - the port to the NI (struct spk_unit_port): a unit offers packets (accepted or refused in
 *     the same cycle: back-pressure), gives back input-FIFO credits and reports spikes;
 *   - the input FIFO (struct spk_unit_fifo): [core] input_fifo flits of delivered packets, each
 *     with its arrival cycle; spk_unit_fifo_deliver() is every unit's deliver();
 *   - the release bits (struct spk_unit_releases): one pending release per incoming route, sent
 *     before anything else the unit sends (flow control, §9);
 *   - the route tables: incoming (struct spk_unit_in_route) and outgoing (struct spk_unit_route)
 *     as the chip top fills them from the chip image;
 *   - the energy events the units count (struct spk_unit_events) and their energy;
 *   - what a unit that slept behind a refused packet owes its counters when it wakes
 *     (spk_unit_woken(); NI wake-ups, doc/performance.md).
 *
 * Cycle contract: as the units' (two-phase): a packet pushed in cycle x is visible from its
 * arrival cycle; credits popped in x are usable by the network from x + 1; a release queued in x
 * is offered from x + 1. Nothing here allocates after init; the inline functions are the units'
 * hot paths (one call per packet).
 *
 * Ownership: caller-allocates + _init/_fini for the FIFO and the releases.
 */
#ifndef SPK_UNIT_H
#define SPK_UNIT_H

#include "arch/arch.h"
#include "sim/noc.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A unit's side of its tile's network interface, for one evaluated cycle (doc/architecture.md
 * §4). send offers a packet in the current cycle: 0 if the NI took it, -EAGAIN if it refused
 * (the unit offers it again in a later cycle). credit returns input-FIFO space freed in the
 * current cycle (usable by the network from the next). spike, if not NULL, observes every
 * spike fired (population, global step, neuron id (c·H + y)·W + x of the population).
 */
struct spk_unit_work;

struct spk_unit_port {
	int (*send)(void *ctx, const struct spk_packet *p);
	void (*credit)(void *ctx, uint32_t flits);
	void (*spike)(void *ctx, uint32_t pop, uint64_t step, uint32_t neuron);
	void *ctx;
	/* If not NULL, observes every piece of engine work (spk_sim timeline and critical path,
	 * sim/timeline.h, sim/critpath.h); NULL costs the units one predicted-false branch. */
	void (*work)(void *ctx, const struct spk_unit_work *w);
};

/* A unit's three engines (doc/architecture.md §6–8), as work reports name them. */
enum spk_engine {
	SPK_ENGINE_RECEIVE = 0,		/* input side: packets taken from the FIFO */
	SPK_ENGINE_FIRE = 1,		/* fire / compute: neuron updates, Q·KV, MACs, head rows */
	SPK_ENGINE_SEND = 2,		/* packets offered to the NI */
};
#define SPK_ENGINES 3

/* What a piece of work was. */
enum spk_work_kind {
	SPK_WORK_SPIKE = 0,		/* receive: a spike's additions (SOPs, KV additions) */
	SPK_WORK_GRADED,		/* receive: a graded add or register write */
	SPK_WORK_TOKEN,			/* receive: a token counted */
	SPK_WORK_RELEASE,		/* receive: a release counted */
	SPK_WORK_FIRE,			/* fire: neuron updates (a group, or readout channels) */
	SPK_WORK_HEAD,			/* fire: the readout's head rows */
	SPK_WORK_ATTN,			/* fire: the attention unit's Q·KV additions and pushes */
	SPK_WORK_MAC,			/* fire: the encoder's MACs */
	SPK_WORK_SEND,			/* send: one packet accepted by the NI */
	SPK_WORK_REFUSED,		/* send: offers the NI refused */
};
#define SPK_WORK_KINDS 10

/*
 * One piece of engine work, cycles [start, start + cycles). busy: counted in the unit's
 * input-busy cycles (the report's busy_cycles: a core's or attention unit's receive engine,
 * the encoder's MAC array, the readout's packets), so a unit's busy work sums to that figure.
 */
struct spk_unit_work {
	uint64_t start, cycles;
	uint64_t step;			/* global step (the encoder: image · T); UINT64_MAX: none */
	uint32_t layer;			/* the image step (phase) it serves; UINT32_MAX: none */
	uint8_t engine;			/* enum spk_engine */
	uint8_t kind;			/* enum spk_work_kind */
	bool busy;
	const struct spk_packet *pkt;	/* receive: the packet taken; send: the one accepted */
	uint64_t arrival;		/* receive: that packet's arrival cycle */
};

/* Reports work through port->work (the callers check spk_unit_reporting() first: the cold
 * path, out of line). */
__attribute__((cold)) void spk_unit_report(const struct spk_unit_port *port, uint8_t engine,
					   uint8_t kind, uint64_t start, uint64_t cycles,
					   uint32_t layer, uint64_t step, bool busy,
					   const struct spk_packet *pkt, uint64_t arrival);

/* Whether work reports are on (the one predicted-false branch on the hot paths). */
static inline bool spk_unit_reporting(const struct spk_unit_port *port)
{
	return __builtin_expect(port->work != NULL, 0);
}

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

/*
 * The output queue's ring: which slot of a unit's own array of queue entries a push fills and
 * which one is the head (the entries themselves stay the unit's type: a core's names a reader
 * and a neuron, the attention unit's and the encoder's a route). The caller allocates the
 * entries, cap of them, and sets cap; head and len start at 0.
 */
struct spk_unit_queue {
	uint32_t head, len, cap;
};

/* The slot of a new last entry (asserts room); *peak keeps the most entries ever held. */
static inline uint32_t spk_unit_queue_push(struct spk_unit_queue *q, uint32_t *peak)
{
	uint32_t i;

	assert(q->len < q->cap);
	i = spk_ring_wrap(q->head + q->len++, q->cap);
	if (q->len > *peak)
		*peak = q->len;
	return i;
}

/* Removes the head entry. */
static inline void spk_unit_queue_pop(struct spk_unit_queue *q)
{
	assert(q->len > 0);
	q->head = spk_ring_wrap(q->head + 1, q->cap);
	q->len--;
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
 * Offers the oldest pending release of the incoming routes `in` to the NI of `tile` in cycle x.
 * Returns 1 if it went, 0 if none is pending, -EAGAIN if the NI refused it; counts packets_out
 * and reports the send through port->work (a refusal is the caller's to report).
 */
int spk_unit_releases_send(struct spk_unit_releases *rl, const struct spk_unit_in_route *in,
			   uint32_t tile, const struct spk_unit_port *port,
			   struct spk_unit_events *ev, uint64_t x);

/*
 * Every unit's deliver(): packet p arriving in cycle `arrival` enters the FIFO. When the FIFO
 * was empty, the unit's next cycle *next comes forward to the arrival, or to busy_until, the
 * end of the work in progress (a unit takes its next packet only then).
 */
static inline void spk_unit_fifo_deliver(struct spk_unit_fifo *f, const struct spk_packet *p,
					 uint64_t arrival, uint64_t busy_until, uint64_t *next)
{
	spk_unit_fifo_push(f, p, arrival);
	if (f->len == 1) {
		uint64_t t = arrival > busy_until ? arrival : busy_until;

		if (t < *next)
			*next = t;
	}
}

/*
 * A unit that slept after the NI refused its packet in cycle *blocked (NI wake-ups on) is
 * evaluated again in x: it would have offered the packet, and been refused, in every cycle in
 * between (added to *refused), and an emission that stalled behind its full output queue since
 * *stalled would have stalled in each (added to *stalls). Both marks are cleared.
 */
static inline void spk_unit_woken(uint64_t x, uint64_t *blocked, uint64_t *stalled,
				  uint64_t *refused, uint64_t *stalls)
{
	*refused += x - *blocked - 1;
	*blocked = UINT64_MAX;
	if (*stalled != UINT64_MAX) {
		*stalls += x - *stalled - 1;
		*stalled = UINT64_MAX;
	}
}

#endif
