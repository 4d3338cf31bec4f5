/*
 * noc.c — the network on chip, event-driven (see noc.h; the contract is doc/architecture.md
 * §2–5).
 *
 * Which routers are evaluated. A router is evaluated in cycle x only if it may act in x: its
 * oldest flit in some input is ready (ready <= x) and could leave, or its NI is sending. Each
 * router with work is scheduled for one cycle (sched_at) in a timing wheel of P + 2 buckets,
 * rounded up to a power of two — every cycle a router can be scheduled for lies in
 * [now, now + P + 1] — and rescheduled after each evaluation from what it reports
 * (spk_router_out.next, spk_router_one.next). Cycles with an empty bucket are jumped over; an
 * empty wheel is an idle network.
 *
 * Blocked routers sleep. A router that granted nothing although some head flits were ready
 * (no credit, or the output owned by another packet) would do exactly the same in every later
 * cycle until a credit reaches an output its ready heads request, or another head flit becomes
 * ready (spk_router_out.wake): nothing else can change its state. So it is not rescheduled for
 * x + 1 but for its wake cycle, and a credit on a requested output (from a neighbour's grant,
 * or the unit's ejection credits) schedules it for the cycle after; the stall cycles it slept
 * through (its ready heads, every cycle) are added when it is next evaluated, or when the
 * statistics are read. A multicast head that sent some of its copies did act (the router is
 * not blocked; it tries its other outputs in the next cycle); one that sent none requests every
 * output it still owes that no worm holds, and those are all in blk_want, so a credit on any of
 * them wakes the router (an owned one frees when the owner's tail passes, which needs the
 * owner's flits, whose arrival schedules the router). A flit written behind another one does
 * not schedule its router: it cannot act before the one ahead leaves. An NI without credit
 * waits for its router to grant the local input, which the flits there schedule.
 *
 * Refused injections. A unit whose packet was refused may sleep until its NI can take one
 * (spk_noc_ni_ready(), SPK_NOC_STOP_AT_NI_READY): only an evaluated router's NI changes, so
 * after each cycle the refused tiles among the evaluated routers whose NI is free are listed.
 *
 * One cycle x: one pass over the routers of bucket x (read in place: nothing is scheduled into
 * it during x), each router in turn
 *   1. evaluated: the NI writes its next flit into the router's local input (ready x + P) if it
 *      holds a credit (a packet's head flit is written by spk_noc_inject() itself, so a
 *      one-flit packet costs no evaluation in its injection cycle), then the router decides
 *      and commits its own state — inline (spk_router_eval_one()) when one input holds flits,
 *      the common case, else spk_router_eval();
 *   2. committed: flits sent on links are written straight into the downstream input buffers
 *      with ready = x + 1 + P (spk_router_write(): the link register and buffer write of the
 *      contract, with nothing observable in between), credits go to the upstream routers or
 *      NIs, ejected tail flits become deliveries with arrival cycle x + 1;
 *   3. rescheduled.
 * Then the credits held back (below) and the ejection credits the units gave back in cycle x
 * are added. This is the contract's two-phase cycle, every router deciding from the state of
 * the cycle's start, although routers are committed one by one: a credit for a router still to
 * be evaluated in x is held back until the pass ends, and a flit written into such a router's
 * buffer is not ready before x + 1 + P, so it requests nothing in x (eval_cycle() has the
 * details). The order of a bucket never changes a result; deliveries of a cycle are sorted by
 * tile.
 *
 * Memory layout: what an evaluation reads of a router lies in its router record (router.h), the
 * head slots of its buffers and its tile record here (NI, schedule, blocked state), one 64-byte
 * line each. The per-hop cost is instructions: one pass per cycle, the one-input case inline,
 * no copy of a router's outputs; the router, link and delivered flit counts are read off the
 * per-link counts when statistics are taken.
 *
 * Packets live in a table with a free list, sized for the most packets the network can hold:
 * every packet in flight has a flit in an input buffer (n·5·B) or in its NI (n). Flits carry
 * only the table index, destination and head/tail marks.
 *
 * Multicast ([noc] multicast = tree). spk_noc_add_group() writes the group's XY tree into the
 * routers' group tables (router.h) and keeps the members, sorted by tile, for the NIs' group
 * tables. A multicast packet is one flit carrying its group number; the routers fork it, and
 * each copy ejected at a member's router is delivered with that member's translation (a binary
 * search in the group's members). The packet stays in the table until its last copy is
 * delivered (pkt_copies counts the copies still to deliver), which keeps the table's bound: a
 * copy not yet delivered is represented by a flit still in some input buffer (a multicast flit
 * stays at the head of its buffer until every copy it owes has left it), so every packet in
 * the table still has a flit in a buffer or its NI.
 */
#include "config.h"

#include "sim/noc.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORTS SPK_ROUTER_PORTS
#define NO_PACKET UINT32_MAX

/* What the network keeps per tile besides its router's state. */
struct tile {
	/* Scheduling: the cycle the router is evaluated in, or UINT64_MAX, and its place in
	 * that cycle's bucket. */
	uint64_t sched_at;
	/* Blocked: evaluated in cycle blk_since, the router granted nothing although blk_stalls
	 * head flits were ready. Until a credit reaches one of the outputs in blk_want or another
	 * head flit becomes ready it would do the same in every cycle, so it sleeps, and its
	 * stall cycles are counted when it wakes (or read: pending_stalls()). UINT64_MAX: not
	 * blocked. */
	uint64_t blk_since;
	/* The network interface. */
	uint64_t ni_sent_q;		/* last cycle the NI sent a flit (one per cycle) */
	uint64_t ni_refused_at;		/* cycle of the last refused injection, or UINT64_MAX */
	uint32_t ni_pkt_q;		/* packet being sent, or NO_PACKET */
	int32_t ni_credit_q;		/* free slots in the router's local input */
	uint32_t bucket_pos;
	uint32_t eject_pending;		/* ejection credits given back in cycle now, added at
					   its end */
	uint32_t eject_cap;		/* the unit's input capacity (0 = unlimited) */
	uint16_t ni_next_q;		/* the packet's next flit */
	uint8_t blk_stalls, blk_want;
	uint8_t ni_waiting;		/* 1: refused, not yet reported ready */
};

_Static_assert(sizeof(struct tile) == 64, "a tile's record is one cache line");

/* A port of a router: a credit held back for output `port` of router r, or a buffer whose peak
 * occupancy is checked at the end of the cycle (eval_cycle()). */
struct port_ref {
	uint32_t r;
	uint32_t port;
};

/* A multicast group as the NIs see it. */
struct mc_group {
	uint32_t src;			/* the only tile that may send it */
	uint32_t n;			/* members */
	size_t first;			/* its first member in spk_noc.member */
};

struct spk_noc {
	struct spk_noc_config cfg;
	struct spk_router rt;
	uint32_t n;			/* tiles */
	uint64_t now;			/* next cycle to evaluate */
	spk_noc_router_fn router_fn;	/* spk_noc_set_router_hook(), NULL: off */
	void *router_ctx;
	int32_t step[PORTS];		/* tile index of the neighbour across port o, minus ours */

	/* Packet table. */
	struct spk_packet *pkt;		/* [pkt_cap] */
	uint64_t *pkt_inject;		/* [pkt_cap] cycle the NI accepted it */
	uint32_t *pkt_copies;		/* [pkt_cap] multicast: copies still to deliver */
	uint32_t *pkt_free;		/* [pkt_cap] stack of free slots */
	uint32_t pkt_cap, n_free;

	/* Each tile's NI, scheduling and blocked state, one 64-byte record per tile (struct tile):
	 * an evaluation touches this line, the router's record and its head slots. */
	struct tile *tile;		/* [n] */
	uint32_t *ni_ready;		/* [n] tiles reported ready after the last evaluated cycle */
	uint32_t n_ready;
	bool gap_refusals;		/* SPK_NOC_STOP_AT_NI_READY seen: count slept-through offers */

	/* Timing wheel: bucket b holds the routers scheduled for the one cycle c with
	 * c mod wheel == b among [now, now + wheel). */
	uint32_t wheel;			/* P + 2 rounded up to a power of two (a mask, no division) */
	uint32_t wheel_mask;		/* wheel − 1 */
	uint32_t *bucket;		/* [wheel·n] router ids */
	uint32_t *bucket_len;		/* [wheel] */
	uint32_t n_sched;		/* routers scheduled */

	/* Credits for routers of the same cycle not yet evaluated, held back until every router
	 * of the cycle is, and input buffers written before their router's evaluation whose
	 * occupancy may be a new peak, checked after it (eval_cycle()). */
	struct port_ref *held_credit;	/* [n·4] */
	struct port_ref *peak_check;	/* [n·4] (router, input) */
	uint32_t n_held_credits, n_peak_checks;

	uint32_t *pending_tiles;	/* [n] tiles with eject_pending > 0 */
	uint32_t n_pending;

	/* Deliveries not yet collected: [deliv_read, deliv_len). */
	struct spk_noc_delivery *deliv;
	size_t deliv_read, deliv_len, deliv_cap;

	/* Multicast groups 1..n_groups: group g's source and members (sorted by tile) are
	 * group[g − 1] and member[group[g − 1].first ...]. */
	struct mc_group *group;
	struct spk_noc_member *member;
	size_t n_members;

	/* Statistics. */
	struct spk_noc_stats st;
	uint64_t *link_count;		/* [n·5] */
	uint64_t *ni_refused;		/* [n] offers each tile's NI refused (inject_refused) */
};

int spk_noc_config_from_arch(struct spk_noc_config *cfg, const struct spk_arch *a)
{
	memset(cfg, 0, sizeof(*cfg));
	/* Both multicast modes: with tree, the caller registers its groups (spk_noc_add_group). */
	cfg->mesh_x = (uint32_t)a->chip.mesh_x;
	cfg->mesh_y = (uint32_t)a->chip.mesh_y;
	cfg->buffer_flits = (uint32_t)a->noc.buffer_flits;
	cfg->router_stages = (uint32_t)a->noc.router_stages;
	cfg->flit_bits = (uint32_t)a->noc.flit_bits;
	cfg->eject_flits = (uint32_t)a->core.input_fifo;
	return 0;
}

uint32_t spk_noc_packet_flits(uint32_t flit_bits, enum spk_packet_kind kind)
{
	assert(flit_bits >= 1);
	if (kind == SPK_PACKET_GRADED)
		return 1 + (SPK_GRADED_VALUE_BITS + flit_bits - 1) / flit_bits;
	return 1;
}

/*
 * Test hook SPK_TEST_ROUTE_RING (tests/cli/sim.sh): unicast packets follow one ring through
 * every tile instead of XY (router.h's rt->ring), a cyclic channel dependency that deadlocks
 * the network under load. The ring: row 0 east from column 1, each row then back west to
 * column 1 and on south, and from the last row's column 1 up column 0 to (0,0); it needs an
 * even mesh_y and mesh_x >= 2 (the hook is ignored otherwise). 0, or -1 out of memory.
 */
static int test_ring(struct spk_router *rt)
{
	const char *on = getenv("SPK_TEST_ROUTE_RING");
	uint32_t X = rt->mesh_x, Y = rt->mesh_y;

	if (on == NULL || *on == '\0' || X < 2 || Y % 2 != 0)
		return 0;
	rt->ring = malloc(rt->n);
	if (rt->ring == NULL)
		return -1;
	for (uint32_t t = 0; t < rt->n; t++) {
		uint32_t x = t % X, y = t / X;

		if (x == 0)
			rt->ring[t] = y > 0 ? SPK_PORT_NORTH : SPK_PORT_EAST;
		else if (y % 2 == 0)
			rt->ring[t] = x < X - 1 ? SPK_PORT_EAST : SPK_PORT_SOUTH;
		else
			rt->ring[t] = x > 1 ? SPK_PORT_WEST : y < Y - 1 ? SPK_PORT_SOUTH :
								 SPK_PORT_WEST;
	}
	return 0;
}

struct spk_noc *spk_noc_create(const struct spk_noc_config *cfg)
{
	struct spk_noc *noc;
	uint32_t n;

	assert(cfg->mesh_x >= 1 && cfg->mesh_y >= 1 &&
	       (uint64_t)cfg->mesh_x * cfg->mesh_y <= 65536);
	assert(cfg->buffer_flits >= 1 && cfg->buffer_flits <= 1024);
	assert(cfg->router_stages >= 1 && cfg->router_stages <= 1024);
	noc = calloc(1, sizeof(*noc));
	if (noc == NULL)
		return NULL;
	noc->cfg = *cfg;
	n = noc->n = cfg->mesh_x * cfg->mesh_y;
	for (unsigned o = 0; o < PORTS; o++)
		noc->step[o] = (int32_t)spk_router_neighbour(cfg->mesh_x, cfg->mesh_x, o) -
			       (int32_t)cfg->mesh_x;
	if (spk_router_init(&noc->rt, cfg->mesh_x, cfg->mesh_y, cfg->buffer_flits,
			    cfg->router_stages) < 0)
		goto out_free_noc;
	if (test_ring(&noc->rt) < 0)
		goto out_free_noc;
	noc->pkt_cap = n * (PORTS * cfg->buffer_flits + 1);
	noc->wheel = 1;
	while (noc->wheel < cfg->router_stages + 2)
		noc->wheel *= 2;
	noc->wheel_mask = noc->wheel - 1;
	noc->pkt = malloc((size_t)noc->pkt_cap * sizeof(*noc->pkt));
	noc->pkt_inject = malloc((size_t)noc->pkt_cap * sizeof(*noc->pkt_inject));
	noc->pkt_copies = malloc((size_t)noc->pkt_cap * sizeof(*noc->pkt_copies));
	noc->pkt_free = malloc((size_t)noc->pkt_cap * sizeof(*noc->pkt_free));
	noc->tile = aligned_alloc(64, (n * sizeof(*noc->tile) + 63) / 64 * 64);
	noc->ni_ready = malloc(n * sizeof(*noc->ni_ready));
	noc->bucket = malloc((size_t)noc->wheel * n * sizeof(*noc->bucket));
	noc->bucket_len = calloc(noc->wheel, sizeof(*noc->bucket_len));
	noc->held_credit = malloc((size_t)n * (PORTS - 1) * sizeof(*noc->held_credit));
	noc->peak_check = malloc((size_t)n * (PORTS - 1) * sizeof(*noc->peak_check));
	noc->pending_tiles = malloc(n * sizeof(*noc->pending_tiles));
	noc->deliv_cap = n;
	noc->deliv = malloc(noc->deliv_cap * sizeof(*noc->deliv));
	noc->link_count = calloc((size_t)n * PORTS, sizeof(*noc->link_count));
	noc->ni_refused = calloc(n, sizeof(*noc->ni_refused));
	if (noc->pkt == NULL || noc->pkt_inject == NULL || noc->pkt_copies == NULL ||
	    noc->pkt_free == NULL ||
	    noc->tile == NULL || noc->ni_ready == NULL || noc->bucket == NULL ||
	    noc->bucket_len == NULL || noc->held_credit == NULL ||
	    noc->peak_check == NULL ||
	    noc->pending_tiles == NULL || noc->deliv == NULL || noc->link_count == NULL ||
	    noc->ni_refused == NULL)
		goto out_free_all;
	memset(noc->tile, 0, n * sizeof(*noc->tile));
	for (uint32_t i = 0; i < noc->pkt_cap; i++)
		noc->pkt_free[i] = noc->pkt_cap - 1 - i;
	noc->n_free = noc->pkt_cap;
	for (uint32_t t = 0; t < n; t++) {
		noc->tile[t].ni_pkt_q = NO_PACKET;
		noc->tile[t].ni_credit_q = (int32_t)cfg->buffer_flits;
		noc->tile[t].sched_at = UINT64_MAX;
		noc->tile[t].ni_sent_q = UINT64_MAX;
		noc->tile[t].blk_since = UINT64_MAX;
		noc->tile[t].ni_refused_at = UINT64_MAX;
		spk_noc_set_eject_capacity(noc, t, cfg->eject_flits);
	}
	return noc;

out_free_all:
	spk_noc_destroy(noc);
	return NULL;
out_free_noc:
	free(noc);
	return NULL;
}

void spk_noc_destroy(struct spk_noc *noc)
{
	if (noc == NULL)
		return;
	spk_router_fini(&noc->rt);
	free(noc->pkt);
	free(noc->pkt_inject);
	free(noc->pkt_copies);
	free(noc->group);
	free(noc->member);
	free(noc->pkt_free);
	free(noc->tile);
	free(noc->ni_ready);
	free(noc->bucket);
	free(noc->bucket_len);
	free(noc->held_credit);
	free(noc->peak_check);
	free(noc->pending_tiles);
	free(noc->deliv);
	free(noc->link_count);
	free(noc->ni_refused);
	free(noc);
}

/* Members by tile. */
static int member_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct spk_noc_member *)a)->tile;
	uint32_t y = ((const struct spk_noc_member *)b)->tile;

	return x < y ? -1 : x > y;
}

int spk_noc_add_group(struct spk_noc *noc, uint32_t src, const struct spk_noc_member *m, size_t n,
		      uint32_t *id)
{
	struct spk_noc_member *mem, *sorted;
	struct mc_group *grp;
	uint16_t g;
	int err;

	assert(noc->st.packets_injected == 0 && "groups are registered before traffic starts");
	if (n == 0 || src >= noc->n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (m[i].tile >= noc->n)
			return -EINVAL;
	if (noc->rt.n_groups >= SPK_ROUTER_MAX_GROUPS)
		return -ENOSPC;
	mem = realloc(noc->member, (noc->n_members + n) * sizeof(*mem));
	if (mem == NULL)
		return -ENOMEM;
	noc->member = mem;
	sorted = mem + noc->n_members;
	memcpy(sorted, m, n * sizeof(*m));
	qsort(sorted, n, sizeof(*sorted), member_cmp);
	for (size_t i = 1; i < n; i++)
		if (sorted[i].tile == sorted[i - 1].tile)
			return -EINVAL;
	grp = realloc(noc->group, ((size_t)noc->rt.n_groups + 1) * sizeof(*grp));
	if (grp == NULL)
		return -ENOMEM;
	noc->group = grp;
	err = spk_router_add_group(&noc->rt, &g);
	if (err < 0)
		return err;
	grp[g - 1].src = src;
	grp[g - 1].n = (uint32_t)n;
	grp[g - 1].first = noc->n_members;
	noc->n_members += n;
	for (size_t i = 0; i < n; i++)
		spk_router_group_path(&noc->rt, g, src, sorted[i].tile);
	*id = g;
	return 0;
}

void spk_noc_set_router_hook(struct spk_noc *noc, spk_noc_router_fn fn, void *ctx)
{
	noc->router_fn = fn;
	noc->router_ctx = ctx;
}

void spk_noc_set_eject_capacity(struct spk_noc *noc, uint32_t tile, uint32_t flits)
{
	assert(tile < noc->n && flits <= INT32_MAX);
	noc->tile[tile].eject_cap = flits;
	spk_router_set_local_credit(&noc->rt, tile, flits);
}

uint64_t spk_noc_now(const struct spk_noc *noc)
{
	return noc->now;
}

/*
 * Makes router r be evaluated in cycle c (now <= c < now + wheel), unless it already is earlier.
 * Inline: it is called several times per hop, and often has nothing to do.
 */
static inline void schedule(struct spk_noc *noc, uint32_t r, uint64_t c)
{
	uint64_t old = noc->tile[r].sched_at;
	uint32_t b;

	if (old <= c)
		return;
	assert(c - noc->now < noc->wheel);	/* now <= c < now + wheel */
	if (old != UINT64_MAX) {
		/* Take it out of its later bucket (the last entry fills the hole). */
		uint32_t ob = (uint32_t)old & noc->wheel_mask, i = noc->tile[r].bucket_pos;
		uint32_t last = noc->bucket[(size_t)ob * noc->n + --noc->bucket_len[ob]];

		noc->bucket[(size_t)ob * noc->n + i] = last;
		noc->tile[last].bucket_pos = i;
	} else {
		noc->n_sched++;
	}
	b = (uint32_t)c & noc->wheel_mask;
	noc->tile[r].bucket_pos = noc->bucket_len[b];
	noc->bucket[(size_t)b * noc->n + noc->bucket_len[b]++] = r;
	noc->tile[r].sched_at = c;
}

/* schedule() for a router that is not scheduled (sched_at == UINT64_MAX). */
static inline void schedule_idle(struct spk_noc *noc, struct tile *t, uint32_t r, uint64_t c)
{
	uint32_t b = (uint32_t)c & noc->wheel_mask;

	assert(c - noc->now < noc->wheel);	/* now <= c < now + wheel */
	noc->n_sched++;
	t->bucket_pos = noc->bucket_len[b];
	noc->bucket[(size_t)b * noc->n + noc->bucket_len[b]++] = r;
	t->sched_at = c;
}

/*
 * A credit reached output o of router r in the cycle now: a router blocked on that output wakes
 * in now + 1 (a credit for an output no ready head requests changes nothing it can do: a head
 * held behind an owned output waits for the owner's flits, whose arrival schedules it).
 */
static inline void credit_wake(struct spk_noc *noc, uint32_t r, unsigned o)
{
	if (noc->tile[r].blk_since != UINT64_MAX && (noc->tile[r].blk_want >> o & 1u))
		schedule(noc, r, noc->now + 1);
}

/* The NI of tile r drives its next flit onto the local input in cycle x, if it has credit. */
static void ni_send(struct spk_noc *noc, uint32_t r, uint64_t x)
{
	uint32_t slot = noc->tile[r].ni_pkt_q;
	const struct spk_packet *p;
	struct spk_flit f;
	uint16_t k;

	if (slot == NO_PACKET || noc->tile[r].ni_credit_q <= 0 || noc->tile[r].ni_sent_q == x)
		return;
	noc->tile[r].ni_sent_q = x;
	p = &noc->pkt[slot];
	k = noc->tile[r].ni_next_q;
	f.pkt = slot;
	f.dst = (uint16_t)(p->mc != 0 ? p->mc : p->dst);
	f.flags = (uint8_t)((k == 0 ? SPK_FLIT_HEAD : 0) | (k + 1 == p->flits ? SPK_FLIT_TAIL : 0) |
			    (p->mc != 0 ? SPK_FLIT_MC : 0));
	f.unused = 0;
	/* Written at the end of x with ready x + P: it cannot leave in x, so writing it before
	 * this cycle's grants is the same; the credit guarantees the slot. */
	spk_router_accept(&noc->rt, r, SPK_PORT_LOCAL, f, x + noc->cfg.router_stages);
	noc->tile[r].ni_credit_q--;
	if (k + 1 == p->flits)
		noc->tile[r].ni_pkt_q = NO_PACKET;
	else
		noc->tile[r].ni_next_q = (uint16_t)(k + 1);
}

bool spk_noc_can_inject(const struct spk_noc *noc, uint32_t tile)
{
	assert(tile < noc->n);
	return noc->tile[tile].ni_pkt_q == NO_PACKET && noc->tile[tile].ni_credit_q > 0;
}

int spk_noc_inject(struct spk_noc *noc, const struct spk_packet *p)
{
	struct tile *t;
	struct spk_flit f;
	uint32_t slot;

	assert(p->src < noc->n);
	assert(p->flits >= 1 && p->flits <= SPK_NOC_MAX_FLITS);
	if (p->mc == 0) {
		assert(p->dst < noc->n);
		/* A unit frees its input only for whole packets: a longer one could never
		 * arrive. */
		assert((noc->tile[p->dst].eject_cap == 0 ||
			p->flits <= noc->tile[p->dst].eject_cap) &&
		       "packet longer than the destination unit's input capacity");
	} else {
		/* Only one-flit spikes and tokens are multicast, by their group's source. */
		assert(p->mc <= noc->rt.n_groups && noc->group[p->mc - 1].src == p->src);
		assert(p->flits == 1 &&
		       (p->kind == SPK_PACKET_SPIKE || p->kind == SPK_PACKET_TOKEN));
	}
	t = &noc->tile[p->src];
	if (t->ni_refused_at != UINT64_MAX) {
		/* offered again after a refusal: count the offers of the cycles slept through */
		uint64_t since = t->ni_refused_at;

		if (noc->gap_refusals && noc->now > since) {
			noc->st.inject_refused += noc->now - since - 1;
			noc->ni_refused[p->src] += noc->now - since - 1;
		}
		t->ni_refused_at = UINT64_MAX;
	}
	if (t->ni_pkt_q != NO_PACKET || t->ni_credit_q <= 0) {	/* spk_noc_can_inject() */
		noc->st.inject_refused++;
		noc->ni_refused[p->src]++;
		t->ni_refused_at = noc->now;
		t->ni_waiting = 1;
		return -EAGAIN;
	}
	assert(noc->n_free > 0 && "packet table full: its size bound is wrong");
	slot = noc->pkt_free[--noc->n_free];
	noc->pkt[slot] = *p;
	noc->pkt_inject[slot] = noc->now;
	if (p->mc != 0)
		noc->pkt_copies[slot] = noc->group[p->mc - 1].n;
	noc->st.packets_injected++;
	noc->st.flits_injected += p->flits;
	/* The head flit goes onto the local input in this cycle (the NI has the credit), as
	 * ni_send() would send it; the NI keeps the packet only if more flits follow. */
	f.pkt = slot;
	f.dst = (uint16_t)(p->mc != 0 ? p->mc : p->dst);
	f.flags = (uint8_t)(SPK_FLIT_HEAD | (p->flits == 1 ? SPK_FLIT_TAIL : 0) |
			    (p->mc != 0 ? SPK_FLIT_MC : 0));
	f.unused = 0;
	spk_router_accept(&noc->rt, p->src, SPK_PORT_LOCAL, f, noc->now + noc->cfg.router_stages);
	t->ni_credit_q--;
	t->ni_sent_q = noc->now;
	if (p->flits > 1) {
		t->ni_pkt_q = slot;
		t->ni_next_q = 1;
		schedule(noc, p->src, noc->now + 1);
	} else {
		schedule(noc, p->src, noc->now + noc->cfg.router_stages);
	}
	return 0;
}

void spk_noc_eject_credit(struct spk_noc *noc, uint32_t tile, uint32_t flits)
{
	assert(tile < noc->n && noc->tile[tile].eject_cap > 0);
	if (flits == 0)
		return;
	if (noc->tile[tile].eject_pending == 0)
		noc->pending_tiles[noc->n_pending++] = tile;
	noc->tile[tile].eject_pending += flits;
}

/* Adds the ejection credits given back in the cycle just ended. */
static void apply_eject_credits(struct spk_noc *noc)
{
	for (uint32_t i = 0; i < noc->n_pending; i++) {
		uint32_t t = noc->pending_tiles[i];
		int32_t *c = &noc->rt.node[t].credit_q[SPK_PORT_LOCAL];

		*c += (int32_t)noc->tile[t].eject_pending;
		assert((uint32_t)*c <= noc->tile[t].eject_cap && "more ejection credit returned than taken");
		noc->tile[t].eject_pending = 0;
		credit_wake(noc, t, SPK_PORT_LOCAL);
	}
	noc->n_pending = 0;
}

/* Group g's member at tile t (the member NI's group table). */
static const struct spk_noc_member *group_member(const struct spk_noc *noc, uint32_t g,
						 uint32_t t)
{
	const struct spk_noc_member *m = noc->member + noc->group[g - 1].first;
	size_t lo = 0, hi = noc->group[g - 1].n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m[mid].tile < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	assert(lo < noc->group[g - 1].n && m[lo].tile == t && "multicast copy at a non-member");
	return &m[lo];
}

/*
 * Records the packet whose tail flit left router r's local output in cycle x; a multicast
 * packet's copy for member r, translated by r's NI.
 */
static void deliver(struct spk_noc *noc, uint32_t slot, uint32_t r, uint64_t x)
{
	const struct spk_packet *p = &noc->pkt[slot];
	struct spk_noc_delivery *d;
	uint64_t lat;
	uint32_t sx = noc->rt.tile_x[p->src], sy = noc->rt.tile_y[p->src];
	uint32_t dx = noc->rt.tile_x[r], dy = noc->rt.tile_y[r];

	if (noc->deliv_len == noc->deliv_cap) {
		size_t cap = noc->deliv_cap * 2;
		struct spk_noc_delivery *nd = realloc(noc->deliv, cap * sizeof(*nd));

		/* Deliveries are the caller's data: losing one would be silent corruption. */
		if (nd == NULL)
			abort();
		noc->deliv = nd;
		noc->deliv_cap = cap;
	}
	d = &noc->deliv[noc->deliv_len++];
	d->pkt = *p;
	if (p->mc != 0) {
		const struct spk_noc_member *m = group_member(noc, p->mc, r);

		d->pkt.dst = r;
		d->pkt.axon = p->kind == SPK_PACKET_SPIKE ? m->axon_base + p->axon : m->route;
	}
	d->inject_cycle = noc->pkt_inject[slot];
	d->arrival_cycle = x + 1;
	lat = d->arrival_cycle - d->inject_cycle;
	noc->st.packets_delivered++;
	noc->st.latency_sum += lat;
	if (lat > noc->st.latency_max)
		noc->st.latency_max = lat;
	noc->st.hops += (sx > dx ? sx - dx : dx - sx) + (sy > dy ? sy - dy : dy - sy);
	/* a multicast packet stays until its last copy is delivered */
	if (p->mc == 0 || --noc->pkt_copies[slot] == 0)
		noc->pkt_free[noc->n_free++] = slot;
}

/* Deliveries of one cycle in tile order (at most one per tile: insertion sort is enough). */
static void sort_deliveries(struct spk_noc_delivery *d, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct spk_noc_delivery v = d[i];
		size_t j = i;

		while (j > 0 && d[j - 1].pkt.dst > v.pkt.dst) {
			d[j] = d[j - 1];
			j--;
		}
		d[j] = v;
	}
}

/* Sorts a few tile ids (insertion sort). */
static void sort_u32(uint32_t *a, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		uint32_t v = a[i], j = i;

		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

/*
 * Flit f leaves router r on output `port` in cycle x. To the unit: a tail flit is a delivery.
 * On a link: written into the neighbour's input buffer with ready x + 1 + P. The neighbour may
 * still be evaluated in x after this (eval_cycle() explains why that is the same): then whether
 * the buffer reached a new peak is checked after that evaluation, when it has popped what it
 * pops in x. Always inline (once per hop; GCC keeps it out of line otherwise).
 */
static inline __attribute__((always_inline)) void send_flit(struct spk_noc *noc, uint32_t r,
							   unsigned port, struct spk_flit f, uint64_t x)
{
	uint32_t nb = r + (uint32_t)noc->step[port];
	unsigned in = spk_router_opposite(port);

	noc->link_count[(size_t)r * PORTS + port]++;
	if (port == SPK_PORT_LOCAL) {
		if (f.flags & SPK_FLIT_TAIL)
			deliver(noc, f.pkt, r, x);
		return;
	}
	/* behind another flit it cannot act before that one leaves, and the router is scheduled
	 * for that one (or sleeps blocked on it) */
	if (noc->rt.node[nb].count_q[in] == 0)
		schedule(noc, nb, x + 1 + noc->cfg.router_stages);
	if (spk_router_write(&noc->rt, nb, in, f, x + 1 + noc->cfg.router_stages, false) >
	    noc->rt.buf_peak) {
		if (noc->tile[nb].sched_at == x) {
			struct port_ref *h = &noc->peak_check[noc->n_peak_checks++];

			h->r = nb;
			h->port = in;
		} else {
			noc->rt.buf_peak = noc->rt.node[nb].count_q[in];
		}
	}
}

/* A flit left input `port` of router r in cycle x: one credit to its sender. */
static inline void return_credit(struct spk_noc *noc, uint32_t r, unsigned port, uint64_t x)
{
	uint32_t up;
	unsigned o;

	if (port == SPK_PORT_LOCAL) {
		noc->tile[r].ni_credit_q++;
		return;
	}
	up = r + (uint32_t)noc->step[port];
	o = spk_router_opposite(port);
	if (noc->tile[up].sched_at == x) {
		struct port_ref *h = &noc->held_credit[noc->n_held_credits++];

		h->r = up;
		h->port = o;
		return;
	}
	spk_router_credit(&noc->rt, up, o);
	credit_wake(noc, up, o);
}

/*
 * Evaluates cycle noc->now for the routers scheduled in it, and commits it. Each router is
 * evaluated, committed and rescheduled in one go, which is the same as evaluating every router
 * before committing any (two-phase) because nothing a router sends in x can change what another
 * router does in x:
 *  - a credit for a router still to be evaluated in x is held back until every router is;
 *  - a flit is written into the downstream buffer at once. A router evaluated after the write
 *    sees it as a head flit that is not ready (ready x + 1 + P), or not at all (behind
 *    another flit): it requests nothing, and its next cycle counts the flit's ready cycle if
 *    the flit is (or becomes, by a pop) its head — the cycle the write would schedule it for
 *    if it came after the evaluation. Only the buffer's peak occupancy must be taken after
 *    that router's pops (send_flit()).
 */
static void eval_cycle(struct spk_noc *noc)
{
	const uint64_t x = noc->now;
	uint32_t b = (uint32_t)x & noc->wheel_mask, n_cur = noc->bucket_len[b];
	/* Every cycle scheduled during x lies in (x, x + wheel): bucket b stays as it is. */
	const uint32_t *cur = noc->bucket + (size_t)b * noc->n;
	size_t deliv0 = noc->deliv_len;

	noc->n_ready = 0;
	noc->bucket_len[b] = 0;
	noc->n_sched -= n_cur;
	noc->st.cycles_evaluated++;
	noc->st.router_evals += n_cur;

	for (uint32_t i = 0; i < n_cur; i++) {
		uint32_t r = cur[i];
		struct tile *t = &noc->tile[r];
		struct spk_router_one one;
		struct spk_router_out o;
		uint64_t next;

		/* 1. Evaluate: registered state and the router's own buffers only. */
		t->sched_at = UINT64_MAX;
		if (t->blk_since != UINT64_MAX) {
			/* it stalled the same way in every cycle it slept through */
			noc->st.stall_cycles += (x - t->blk_since - 1) * t->blk_stalls;
			t->blk_since = UINT64_MAX;
		}
		if (t->ni_pkt_q != NO_PACKET)
			ni_send(noc, r, x);
		/* The router's decisions and own state, then 2. commit: flits onto links and out
		 * to the unit, credits upstream. */
		if (spk_router_eval_one(&noc->rt, r, x, &one)) {
			/* one input: one flit (or copies of it) sent, its credit if it left */
			noc->st.stall_cycles += one.stalls;
			next = one.next;
			if (__builtin_expect(one.valid != 0, 1)) {
				if (__builtin_expect(noc->router_fn != NULL, 0))
					noc->router_fn(noc->router_ctx, r, x,
						       (uint32_t)__builtin_popcount(one.valid));
				for (unsigned valid = one.valid; valid != 0; valid &= valid - 1)
					send_flit(noc, r, (unsigned)__builtin_ctz(valid), one.flit, x);
				if (one.left)
					return_credit(noc, r, one.in, x);
			} else if (one.stalls != 0) {
				/* granted nothing: sleeps until a credit or a new ready head */
				t->blk_since = x;
				t->blk_stalls = one.stalls;
				t->blk_want = one.want;
				next = one.wake;
			}
		} else {
			spk_router_eval(&noc->rt, r, x, NULL, &o);
			noc->st.stall_cycles += o.stalls;
			next = o.next;
			if (o.valid == 0 && o.stalls != 0) {
				t->blk_since = x;
				t->blk_stalls = o.stalls;
				t->blk_want = o.want;
				next = o.wake;
			}
			if (__builtin_expect(noc->router_fn != NULL, 0) && o.valid != 0)
				noc->router_fn(noc->router_ctx, r, x, (uint32_t)__builtin_popcount(o.valid));
			for (unsigned valid = o.valid; valid != 0; valid &= valid - 1) {
				unsigned port = (unsigned)__builtin_ctz(valid);

				send_flit(noc, r, port, o.flit[port], x);
			}
			for (unsigned credit = o.credit; credit != 0; credit &= credit - 1)
				return_credit(noc, r, (unsigned)__builtin_ctz(credit), x);
		}

		/*
		 * 3. Reschedule: when the router can act next (a blocked one: when another head
		 * flit becomes ready, unless a credit wakes it first); x + 1 while its NI has a flit
		 * to send and the credit for it (without credit the NI waits for this router to
		 * grant its local input, which needs a ready flit there: the router is scheduled
		 * for that). It is not scheduled now: its evaluation took it off, and only routers
		 * evaluated after it (or the credits held back) can schedule it again in x.
		 */
		if (t->ni_pkt_q != NO_PACKET && t->ni_credit_q > 0)
			next = x + 1;
		if (next != UINT64_MAX)
			schedule_idle(noc, t, r, next);
		/* only an evaluated router's NI changes: report the refused ones it freed */
		if (t->ni_waiting && spk_noc_can_inject(noc, r)) {
			t->ni_waiting = 0;
			noc->ni_ready[noc->n_ready++] = r;
		}
	}

	/* What was held back for routers evaluated after their senders. */
	for (uint32_t i = 0; i < noc->n_peak_checks; i++) {
		const struct port_ref *h = &noc->peak_check[i];

		if (noc->rt.node[h->r].count_q[h->port] > noc->rt.buf_peak)
			noc->rt.buf_peak = noc->rt.node[h->r].count_q[h->port];
	}
	for (uint32_t i = 0; i < noc->n_held_credits; i++) {
		const struct port_ref *h = &noc->held_credit[i];

		spk_router_credit(&noc->rt, h->r, h->port);
		credit_wake(noc, h->r, h->port);
	}
	noc->n_peak_checks = noc->n_held_credits = 0;
	apply_eject_credits(noc);
	noc->now = x + 1;
	if (noc->n_ready > 1)
		sort_u32(noc->ni_ready, noc->n_ready);
	if (noc->deliv_len - deliv0 > 1)
		sort_deliveries(noc->deliv + deliv0, noc->deliv_len - deliv0);
}

/* The earliest scheduled cycle, UINT64_MAX if none. */
static uint64_t first_scheduled(const struct spk_noc *noc)
{
	if (noc->n_sched == 0)
		return UINT64_MAX;
	for (uint64_t c = noc->now; ; c++)
		if (noc->bucket_len[(uint32_t)c & noc->wheel_mask] > 0)
			return c;
}

int spk_noc_run(struct spk_noc *noc, uint64_t until, unsigned flags)
{
	if (flags & SPK_NOC_STOP_AT_NI_READY)
		noc->gap_refusals = true;
	noc->n_ready = 0;
	while (noc->now < until) {
		uint64_t c = first_scheduled(noc);
		size_t before;

		if (c > noc->now) {
			/* Nothing happens before c: jump (credits given in `now` first; they may
			 * wake a blocked router in now + 1). */
			apply_eject_credits(noc);
			c = first_scheduled(noc);
			noc->now = c < until ? c : until;
			continue;
		}
		before = noc->deliv_len;
		eval_cycle(noc);
		if ((flags & SPK_NOC_STOP_AT_DELIVERY) && noc->deliv_len > before)
			break;
		if ((flags & SPK_NOC_STOP_AT_NI_READY) && noc->n_ready > 0)
			break;
	}
	return 0;
}

uint64_t spk_noc_next_cycle(const struct spk_noc *noc)
{
	uint64_t c = first_scheduled(noc);

	/* Ejection credits given in `now` wake a blocked router in now + 1. */
	if (c > noc->now + 1)
		for (uint32_t i = 0; i < noc->n_pending; i++) {
			uint32_t t = noc->pending_tiles[i];

			if (noc->tile[t].blk_since != UINT64_MAX && (noc->tile[t].blk_want & 1u))
				return noc->now + 1;
		}
	return c;
}

/* Stall cycles of the blocked routers that slept through cycles before now. */
static uint64_t pending_stalls(const struct spk_noc *noc)
{
	uint64_t s = 0;

	for (uint32_t r = 0; r < noc->n; r++)
		if (noc->tile[r].blk_since != UINT64_MAX && noc->now > noc->tile[r].blk_since + 1)
			s += (noc->now - noc->tile[r].blk_since - 1) * noc->tile[r].blk_stalls;
	return s;
}

const uint32_t *spk_noc_ni_ready(const struct spk_noc *noc, size_t *n)
{
	*n = noc->n_ready;
	return noc->ni_ready;
}

bool spk_noc_idle(const struct spk_noc *noc)
{
	return noc->n_free == noc->pkt_cap;
}

size_t spk_noc_pending(const struct spk_noc *noc)
{
	return noc->deliv_len - noc->deliv_read;
}

size_t spk_noc_collect(struct spk_noc *noc, struct spk_noc_delivery *out, size_t max)
{
	size_t k = noc->deliv_len - noc->deliv_read;

	if (k == 0)
		return 0;
	if (k > max)
		k = max;
	memcpy(out, noc->deliv + noc->deliv_read, k * sizeof(*out));
	noc->deliv_read += k;
	if (noc->deliv_read == noc->deliv_len)
		noc->deliv_read = noc->deliv_len = 0;
	return k;
}

void spk_noc_get_stats(const struct spk_noc *noc, struct spk_noc_stats *st)
{
	*st = noc->st;
	st->stall_cycles += pending_stalls(noc);
	st->cycles = noc->now;
	st->buffer_peak = noc->rt.buf_peak;
	st->busiest_link = 0;
	st->busiest_link_flits = 0;
	/* every flit or copy leaving a router output is counted once, in link_count */
	st->router_flits = st->link_flits = st->flits_delivered = 0;
	for (size_t i = 0; i < (size_t)noc->n * PORTS; i++) {
		st->router_flits += noc->link_count[i];
		if (i % PORTS == SPK_PORT_LOCAL)
			st->flits_delivered += noc->link_count[i];
		else
			st->link_flits += noc->link_count[i];
		if (i % PORTS != SPK_PORT_LOCAL && noc->link_count[i] > st->busiest_link_flits) {
			st->busiest_link_flits = noc->link_count[i];
			st->busiest_link = (uint32_t)i;
		}
	}
}

const uint64_t *spk_noc_link_counts(const struct spk_noc *noc)
{
	return noc->link_count;
}

const uint64_t *spk_noc_ni_refused(const struct spk_noc *noc)
{
	return noc->ni_refused;
}

static const char *const kind_names[] = { "spike", "graded", "token", "release" };
static const char *const port_names[] = { "local", "east", "west", "north", "south" };

size_t spk_noc_describe_blocked(const struct spk_noc *noc, uint32_t max_lines, char *buf,
				size_t len)
{
	const struct spk_router *rt = &noc->rt;
	size_t used = 0, lines = 0, blocked = 0;

#define SAY(...)                                                                                  \
	do {                                                                                      \
		int k_ = snprintf(buf + used, used < len ? len - used : 0, __VA_ARGS__);         \
		if (k_ > 0)                                                                       \
			used += (size_t)k_;                                                       \
	} while (0)
	if (len > 0)
		buf[0] = '\0';
	for (uint32_t t = 0; t < noc->n; t++) {
		const struct tile *tl = &noc->tile[t];

		if (tl->eject_cap > 0 && rt->node[t].credit_q[SPK_PORT_LOCAL] <= 0) {
			blocked++;
			if (lines < max_lines) {
				SAY("  tile (%u,%u): its unit's input is full (%u flits): the unit takes "
				    "nothing\n", t % rt->mesh_x, t / rt->mesh_x, tl->eject_cap);
				lines++;
			}
		}
		if (tl->ni_pkt_q != NO_PACKET || tl->ni_waiting) {
			blocked++;
			if (lines < max_lines) {
				SAY("  tile (%u,%u) network interface: %s\n", t % rt->mesh_x, t / rt->mesh_x,
				    tl->ni_pkt_q != NO_PACKET ?
				    "a packet half injected, no credit into its router" :
				    "its unit's packet refused, waiting to be told it may offer again");
				lines++;
			}
		}
	}
	for (uint32_t r = 0; r < noc->n; r++) {
		const struct spk_router_node *nd = &rt->node[r];

		for (unsigned p = 0; p < PORTS; p++) {
			const struct spk_router_slot *sl;
			const struct spk_packet *pk;
			unsigned o;

			if (nd->count_q[p] == 0)
				continue;
			blocked++;
			if (lines >= max_lines)
				continue;
			sl = &rt->slot[((size_t)r * PORTS + p) * rt->buffer_flits + nd->head_q[p]];
			pk = &noc->pkt[sl->flit_q.pkt];
			o = (sl->flit_q.flags & SPK_FLIT_MC) != 0 ? SPK_ROUTER_NONE :
			    (sl->flit_q.flags & SPK_FLIT_HEAD) != 0 ?
			    spk_router_xy(rt->mesh_x, r, sl->flit_q.dst) :
			    nd->route_q[p];
			SAY("  router (%u,%u) input %s holds %u flit%s; its head, of a %s packet from (%u,%u) "
			    "to (%u,%u)", nd->x, nd->y, port_names[p], nd->count_q[p],
			    nd->count_q[p] == 1 ? "" : "s", pk->kind < 4 ? kind_names[pk->kind] : "?", pk->src % rt->mesh_x,
			    pk->src / rt->mesh_x, pk->dst % rt->mesh_x, pk->dst / rt->mesh_x);
			if (pk->mc != 0)
				SAY(" (multicast group %u)", pk->mc);
			if (o < PORTS)
				SAY(", wants output %s (%d credits, %s)\n", port_names[o],
				    nd->credit_q[o], nd->owner_q[o] == SPK_ROUTER_NONE ? "free" :
				    nd->owner_q[o] == p ? "held by this input" : "held by another input");
			else
				SAY("\n");
			lines++;
		}
	}
	if (blocked > lines)
		SAY("  ... and %zu more\n", blocked - lines);
#undef SAY
	return blocked;
}

double spk_noc_energy_pj(const struct spk_noc_stats *st, const struct spk_arch_energy *e)
{
	return (double)st->router_flits * e->router_pj + (double)st->link_flits * e->link_pj;
}
