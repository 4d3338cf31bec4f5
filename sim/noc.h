/*
 * noc.h — the network on chip: a mesh of routers (sim/router.h), the links between them and
 * each tile's network interface (NI), simulated cycle by cycle and event-driven
 * (doc/architecture.md §2–5 is the contract; §11 describes this model).
 *
 * How the chip uses it. The NoC has its own clock, `now`: the next cycle it will evaluate. In
 * cycle `now` a unit may hand its NI a packet (spk_noc_inject; refused with -EAGAIN while the NI
 * is busy or the router's local input has no credit — back-pressure) and give back ejection
 * credits (spk_noc_eject_credit). spk_noc_run() then evaluates cycles up to a limit; with
 * SPK_NOC_STOP_AT_DELIVERY it stops right after the first cycle that delivered a packet, so the
 * caller can act in the packet's arrival cycle (== spk_noc_now()). Delivered packets, with their
 * injection and arrival cycles, are taken with spk_noc_collect(). spk_noc_next_cycle() tells a
 * scheduler when the NoC next has work.
 *
 * Event-driven: a router is evaluated only in the cycles in which it can act (a flit at the
 * head of one of its inputs is ready and not blocked, or its NI is sending); every other cycle
 * is jumped over, and an empty network costs nothing. A blocked router sleeps until a credit
 * or a newly ready flit can change what it does, and its stall cycles are counted as if it had
 * been evaluated every cycle. The results are exactly those of evaluating every router
 * every cycle (tests/unit/test_noc.c checks it against such a naive model).
 *
 * Multicast ([noc] multicast = tree): before traffic starts the chip registers its multicast
 * groups (spk_noc_add_group: a source tile and its members); a one-flit packet with mc = a group
 * is then injected once, forked by the routers along the XY tree, and delivered once to every
 * member, translated by the member's NI (struct spk_noc_member). A network without groups is a
 * unicast network (multicast = source: the units replicate spikes themselves).
 *
 * Deterministic: evaluation order never matters (two-phase), and deliveries of one cycle are
 * reported in tile order.
 *
 * Memory: everything is allocated by spk_noc_create(): router state, a timing wheel of
 * router_stages + 2 cycles (rounded up to a power of two), a packet table sized for the most
 * packets the network can hold, and room for one cycle of deliveries; spk_noc_add_group() adds
 * the group tables (a byte per group and router, and the members). Running never allocates, except that the delivery list
 * grows if the caller lets deliveries pile up without collecting them.
 *
 * Ownership: spk_noc_create()/spk_noc_destroy().
 */
#ifndef SPK_NOC_H
#define SPK_NOC_H

#include "arch/arch.h"
#include "sim/router.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Packet kinds (doc/architecture.md §2). */
enum spk_packet_kind {
	SPK_PACKET_SPIKE = 0,
	SPK_PACKET_GRADED = 1,
	SPK_PACKET_TOKEN = 2,
	SPK_PACKET_RELEASE = 3,
};

/* Bits of a graded event's value. */
#define SPK_GRADED_VALUE_BITS 32

/* The largest packet the model accepts, in flits. */
#define SPK_NOC_MAX_FLITS 1024

struct spk_noc_config {
	uint32_t mesh_x, mesh_y;	/* tiles */
	uint32_t buffer_flits;		/* B: input buffer per router port, = credits */
	uint32_t router_stages;		/* P: router pipeline depth, cycles */
	uint32_t flit_bits;		/* flit width (packet sizes) */
	uint32_t eject_flits;		/* each unit's input capacity in flits; 0 = unlimited */
};

/*
 * A packet as units see it. The NoC carries a unicast packet untouched; a multicast packet is
 * delivered to each member as a copy whose dst and axon its NI rewrote (struct spk_noc_member),
 * everything else untouched.
 */
struct spk_packet {
	uint32_t src;			/* source tile */
	uint32_t dst;			/* destination tile */
	uint16_t flits;			/* length, 1..SPK_NOC_MAX_FLITS (spk_noc_packet_flits) */
	uint8_t kind;			/* enum spk_packet_kind */
	uint8_t tag;			/* step tag (s mod 2) */
	uint32_t axon;			/* payload: axon or route index */
	int32_t value;			/* graded value */
	uint32_t mc;			/* 0: unicast to dst. Else a multicast group
					   (spk_noc_add_group()) whose source is src: dst is
					   ignored, the packet must be one flit of kind SPIKE
					   or TOKEN, and each member tile gets a copy with
					   dst = that tile and axon translated by its NI
					   (mc kept) */
	uint64_t id;			/* the caller's, e.g. a sequence number */
};

/*
 * One member of a multicast group ([noc] multicast = tree, doc/architecture.md §2–4): a
 * destination tile and what its NI's group table turns a copy's payload into. A delivered copy
 * of a SPIKE packet has axon = axon_base + the injected axon (the element index in the source
 * piece); of a TOKEN packet, axon = route (the route's index among the destination's incoming
 * routes). Other kinds are never multicast.
 */
struct spk_noc_member {
	uint32_t tile;
	uint32_t axon_base;
	uint32_t route;
};

struct spk_noc_delivery {
	struct spk_packet pkt;
	uint64_t inject_cycle;		/* cycle the NI accepted it */
	uint64_t arrival_cycle;		/* first cycle the unit can use it (tail arrived) */
};

struct spk_noc_stats {
	uint64_t cycles;		/* now: cycles simulated */
	uint64_t cycles_evaluated;	/* cycles in which at least one router was evaluated */
	uint64_t router_evals;		/* router evaluations (sum of active routers per cycle) */
	/* A multicast packet is injected once and delivered once per member (each copy a
	 * delivered packet with its own latency and hops: doc/architecture.md §4 "Counts"). */
	uint64_t packets_injected, packets_delivered;
	uint64_t flits_injected, flits_delivered;
	uint64_t inject_refused;	/* spk_noc_inject calls refused (back-pressure) */
	uint64_t hops;			/* sum over delivered packets (copies) of the Manhattan
					   distance source -> destination */
	uint64_t router_flits;		/* flits and multicast copies leaving a router output
					   (energy: router_pj) */
	uint64_t link_flits;		/* of those, the ones over a tile-to-tile link (energy:
					   link_pj) */
	uint64_t latency_sum;		/* sum over delivered packets of arrival - inject */
	uint64_t latency_max;
	uint64_t stall_cycles;		/* input-buffer cycles with a ready head flit that stayed
					   in the buffer (a multicast flit that sent only some
					   of its copies included) */
	uint32_t buffer_peak;		/* most flits ever held by one input buffer (<= B) */
	uint32_t busiest_link;		/* tile·5 + output port of the busiest tile-to-tile link */
	uint64_t busiest_link_flits;	/* flits over it (0: no link used) */
};

/* Stop spk_noc_run() after the first cycle that delivered a packet. */
#define SPK_NOC_STOP_AT_DELIVERY 1u
/*
 * Stop spk_noc_run() also after the first cycle at whose end the NI of a tile whose injection
 * was refused can accept a packet again (spk_noc_ni_ready() lists them). Passing it says the
 * caller evaluates each such tile's unit in that cycle and lets a refused unit sleep until
 * then instead of offering its packet every cycle: from then on, a refused unit's next offer
 * at cycle y counts the cycles it slept through since its last refusal at x (y − x − 1) as
 * refused offers too, so inject_refused is what a unit offering every cycle would have got.
 */
#define SPK_NOC_STOP_AT_NI_READY 2u

struct spk_noc;

/*
 * The NoC parameters of a checked architecture. Returns 0 (both multicast modes: with tree, the
 * caller registers its groups; a negative error code is kept for what a future model may
 * refuse). eject_flits is set to [core] input_fifo.
 */
int spk_noc_config_from_arch(struct spk_noc_config *cfg, const struct spk_arch *a);

/* Flits of a packet of the given kind at flit_bits (doc/architecture.md §2). */
uint32_t spk_noc_packet_flits(uint32_t flit_bits, enum spk_packet_kind kind);

/* A network at cycle 0, empty, every NI idle. NULL if out of memory. Asserts a sane config. */
struct spk_noc *spk_noc_create(const struct spk_noc_config *cfg);
void spk_noc_destroy(struct spk_noc *noc);

/*
 * Registers a multicast group of n >= 1 members with distinct tiles, sent from tile src: the
 * routers fork its packets along the XY tree from src to the members (the union of the XY
 * paths), each member's NI translating the payload (struct spk_noc_member). Sets *id (>= 1, the
 * packets' mc) and returns 0; -EINVAL for n == 0, a tile outside the mesh or a repeated tile;
 * -ENOSPC beyond 65535 groups; -ENOMEM. Only before the first injection.
 */
int spk_noc_add_group(struct spk_noc *noc, uint32_t src, const struct spk_noc_member *m, size_t n,
		      uint32_t *id);

/*
 * A hook called for every router evaluation that sent flits: router (tile), cycle x, and the
 * flits (multicast copies) that left its outputs (the timeline, sim/timeline.h). NULL: off, the
 * default; off costs one predicted-false branch per router evaluation that sends.
 */
typedef void (*spk_noc_router_fn)(void *ctx, uint32_t router, uint64_t x, uint32_t flits);
void spk_noc_set_router_hook(struct spk_noc *noc, spk_noc_router_fn fn, void *ctx);

/* Overrides one tile's input capacity (flits, 0 = unlimited); only before its first delivery. */
void spk_noc_set_eject_capacity(struct spk_noc *noc, uint32_t tile, uint32_t flits);

/* The next cycle to evaluate. */
uint64_t spk_noc_now(const struct spk_noc *noc);

/*
 * Hands packet p to the NI of tile p->src in cycle now. Returns 0, or -EAGAIN (back-pressure:
 * the NI is still sending a packet, or the router's local input has no credit) — offer it again
 * in a later cycle. Asserts valid tiles, 1 <= flits <= SPK_NOC_MAX_FLITS, and that the packet fits
 * the destination unit's input capacity (units free whole packets: a longer one would never
 * arrive); for a multicast packet, a registered group whose source is p->src, one flit, and
 * kind SPIKE or TOKEN.
 */
int spk_noc_inject(struct spk_noc *noc, const struct spk_packet *p);

/* True if spk_noc_inject() at tile would be accepted in cycle now. */
bool spk_noc_can_inject(const struct spk_noc *noc, uint32_t tile);

/* The unit at tile freed `flits` of its input capacity in cycle now: usable from now + 1. */
void spk_noc_eject_credit(struct spk_noc *noc, uint32_t tile, uint32_t flits);

/*
 * Evaluates cycles now, now + 1, ... up to until - 1 (jumping over cycles with nothing to do),
 * leaving now == until; or, with SPK_NOC_STOP_AT_DELIVERY, stops after the first cycle that
 * delivered a packet (now == that packet's arrival cycle). Returns 0.
 */
int spk_noc_run(struct spk_noc *noc, uint64_t until, unsigned flags);

/*
 * The tiles whose injection was refused and whose NI can accept a packet from cycle now on (the
 * last evaluated cycle freed it), in tile order; *n of them. Valid until the next
 * spk_noc_run(). Owned by the NoC.
 */
const uint32_t *spk_noc_ni_ready(const struct spk_noc *noc, size_t *n);

/* The earliest cycle >= now at which the NoC has work; UINT64_MAX if it holds nothing. */
uint64_t spk_noc_next_cycle(const struct spk_noc *noc);

/* True if no packet is anywhere in the network (NIs included). */
bool spk_noc_idle(const struct spk_noc *noc);

/* Deliveries waiting to be collected. */
size_t spk_noc_pending(const struct spk_noc *noc);

/*
 * Moves up to max deliveries, oldest first (arrival cycle, then tile), into out. Returns how
 * many.
 */
size_t spk_noc_collect(struct spk_noc *noc, struct spk_noc_delivery *out, size_t max);

void spk_noc_get_stats(const struct spk_noc *noc, struct spk_noc_stats *st);

/*
 * Flits sent per (tile, output port), index tile·5 + port: ports 1..4 are the links to the
 * neighbours, port 0 counts flits ejected at the tile. tiles·5 entries, owned by the NoC.
 */
const uint64_t *spk_noc_link_counts(const struct spk_noc *noc);

/*
 * Offers of a packet that each tile's NI refused (back-pressure), the per-tile parts of
 * inject_refused. tiles entries, owned by the NoC.
 */
const uint64_t *spk_noc_ni_refused(const struct spk_noc *noc);

/*
 * What the network holds when nothing moves (the chip's deadlock report): every unit whose
 * input is full (it takes nothing), every network interface with a packet half injected or a
 * refused unit waiting, then every router input buffer with flits — the router, the input, the
 * head flit's packet kind, source and destination, the output it wants and that output's
 * credits and owner; at most max_lines lines, then "... and N more". Writes into buf (len bytes, NUL-terminated, cut if too short); returns the number of
 * blocked inputs and interfaces.
 */
size_t spk_noc_describe_blocked(const struct spk_noc *noc, uint32_t max_lines, char *buf,
				size_t len);

/* NoC dynamic energy of the counted events, pJ: router_flits·router_pj + link_flits·link_pj. */
double spk_noc_energy_pj(const struct spk_noc_stats *st, const struct spk_arch_energy *e);

#endif
