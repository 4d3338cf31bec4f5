/*
 * router.h — the mesh router: the C model of one 5-port, input-queued wormhole router with XY
 * routing, credit flow control, round-robin switch allocation and a `router_stages` pipeline
 * (doc/architecture.md §3, whose words and field names this follows; rtl/router.sv will mirror
 * it port for port).
 *
 * The state of all routers of a mesh lives in one struct spk_router: a 64-byte record per router
 * r (credits, buffer heads and counts, owners, round-robin pointers, routes) and one array of
 * input-buffer slots, so that the network (sim/noc.c) can evaluate any subset of routers in any
 * order. spk_router_eval() is one router's cycle: it reads the
 * router's registered state and the flits arriving on its input links this cycle, decides the
 * grants, and commits the router's own next state; what must cross to a neighbour (flits on
 * output links, credits for the upstream senders) comes back in struct spk_router_out for the
 * caller to deliver at the end of the cycle. Because a router's eval reads only its own state
 * and its own inputs, and the caller applies cross-router effects after every router of the
 * cycle has been evaluated, the order of evaluation never matters (two-phase semantics).
 *
 * Credits arriving from downstream are added by the caller through spk_router_credit() at the
 * end of the cycle in which they were sent, which makes them usable in the next cycle exactly as
 * the contract says (one cycle of credit latency).
 *
 * The network (sim/noc.c) evaluates routers in its own cycle loop, a few per hop, so the common
 * case is inline here: spk_router_eval_one() is spk_router_eval() for a router with exactly one
 * occupied input (no arbitration), and spk_router_write()/spk_router_accept() write a flit
 * into an input buffer. tests/unit/test_router.c checks the inline case against
 * spk_router_eval() on random states.
 *
 * Tree multicast ([noc] multicast = tree): every router holds a group table, an output mask per
 * multicast group (the outputs the XY paths from the group's source to its members use at that
 * router), filled through spk_router_add_group()/spk_router_group_path() before traffic starts.
 * A multicast flit (SPK_FLIT_MC, one-flit packets only) carries its group number in dst; at the
 * head of input p it requests every output it still has to be sent on, each granting output
 * sends a copy, and the flit leaves the buffer (one credit upstream) in the cycle its last
 * output grants it. The outputs still to serve are kept in route_q[p] (a one-flit packet never
 * needs a route), marked SPK_ROUTER_MC_LEFT.
 *
 * Ownership: the caller allocates struct spk_router and calls spk_router_init()/_fini().
 * Assumes a checked architecture (sizes within the arch table's ranges).
 */
#ifndef SPK_ROUTER_H
#define SPK_ROUTER_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPK_ROUTER_PORTS 5

/* Ports, in arbitration order. */
enum spk_port {
	SPK_PORT_LOCAL = 0,		/* to and from the tile's unit (its network interface) */
	SPK_PORT_EAST = 1,		/* x + 1 */
	SPK_PORT_WEST = 2,		/* x - 1 */
	SPK_PORT_NORTH = 3,		/* y - 1 */
	SPK_PORT_SOUTH = 4,		/* y + 1 */
};

#define SPK_ROUTER_NONE 0xffu		/* owner_q: output has no owner */

/* Flit flags. */
#define SPK_FLIT_HEAD 1u
#define SPK_FLIT_TAIL 2u
#define SPK_FLIT_MC 4u			/* multicast: dst is a group; always HEAD | TAIL too */

/*
 * route_q[p] of an input whose multicast head flit has sent some of its copies: this mark and
 * the outputs still to serve (bits 0..4). Without the mark, a multicast head has all of its
 * group's outputs still to serve (route_q values 0..4 of unicast packets never carry it).
 */
#define SPK_ROUTER_MC_LEFT 0x80u

/* Multicast groups a mesh can hold: group numbers 1..SPK_ROUTER_MAX_GROUPS fit a flit's dst. */
#define SPK_ROUTER_MAX_GROUPS 65535u

/*
 * A flit as a router sees it. The payload stays with the network (pkt names it); a router needs
 * only the destination (for XY routing of head flits, or the group of a multicast flit) and the
 * flags.
 */
struct spk_flit {
	uint32_t pkt;			/* packet slot in the network's packet table */
	uint16_t dst;			/* destination tile; with SPK_FLIT_MC, the group (>= 1) */
	uint8_t flags;			/* SPK_FLIT_HEAD | SPK_FLIT_TAIL | SPK_FLIT_MC */
	uint8_t unused;
};

/* One input-buffer slot: a flit and the cycle from which it may leave. */
struct spk_router_slot {
	uint64_t ready_q;
	struct spk_flit flit_q;
};

/*
 * One router's registered state but its buffers (doc/architecture.md §3 "State"), in one 64-byte
 * record: an evaluation reads this line and the head slots of its non-empty inputs, nothing else
 * (the simulator's cost per hop is mostly cache misses).
 */
struct spk_router_node {
	int32_t credit_q[SPK_ROUTER_PORTS];	/* free slots downstream of each output */
	uint16_t head_q[SPK_ROUTER_PORTS];	/* index of each input buffer's oldest flit */
	uint16_t count_q[SPK_ROUTER_PORTS];	/* flits held by each input buffer */
	uint8_t owner_q[SPK_ROUTER_PORTS];	/* input holding each output, or SPK_ROUTER_NONE */
	uint8_t rr_q[SPK_ROUTER_PORTS];		/* round-robin pointer of each output */
	uint8_t route_q[SPK_ROUTER_PORTS];	/* output taken by the packet at each input;
						   for a multicast head, SPK_ROUTER_MC_LEFT |
						   the outputs it still has to be sent on
						   (doc: left_q) */
	uint8_t occ_q;				/* bit p: input buffer p is not empty */
	uint8_t credit_inf;			/* bit o: output o never runs out of credit (an
						   ideal sink) */
	uint16_t x, y;				/* the router's tile (constant) */
};

/* The routers of one mesh: a record per router, and their input buffers. */
struct spk_router {
	uint32_t n;			/* routers (tiles) */
	uint32_t mesh_x, mesh_y;
	uint32_t buffer_flits;		/* B */
	uint32_t stages;		/* P */
	struct spk_router_node *node;	/* [n] */
	struct spk_router_slot *slot;	/* [n·5·B] input p of router r: ring of B slots from
					   (r·5 + p)·B */
	/* Constant tables: the coordinates of each tile (head flits' destinations). */
	uint16_t *tile_x, *tile_y;	/* [n] */
	/* The group tables of all routers: mc_mask[(g − 1)·n + r] is group g's output mask at
	 * router r (bit o: output o), for g = 1..n_groups. */
	uint8_t *mc_mask;
	uint32_t n_groups;
	/* Observation (not state): the most flits ever held by one input buffer. */
	uint32_t buf_peak;
	/*
	 * Test hook SPK_TEST_ROUTE_RING (sim/noc.c, tests/cli/sim.sh): [n] the output toward the
	 * next tile of one ring through every tile, taken instead of XY by every unicast packet
	 * not yet at its destination, so that the channels depend on each other in a cycle and the
	 * network deadlocks under load (the deadlock report's test). NULL: XY routing.
	 */
	uint8_t *ring;
};

/* The flits arriving on a router's input links in one cycle. */
struct spk_router_in {
	uint8_t valid;			/* bit p: a flit arrives on input p */
	struct spk_flit flit[SPK_ROUTER_PORTS];
};

/* What one router's cycle sends to its neighbours and its unit. */
struct spk_router_out {
	uint8_t valid;			/* bit o: a flit leaves on output o */
	uint8_t credit;			/* bit p: a flit left input p: one credit to its sender */
	uint8_t stalls;			/* inputs whose ready head flit did not leave the
					   buffer (a multicast flit that sent only some of
					   its copies included) */
	uint8_t want;			/* bit o: a ready head flit requested output o (a
					   multicast head requests each output it still owes
					   that has no owner) */
	struct spk_flit flit[SPK_ROUTER_PORTS];
	uint64_t next;			/* earliest cycle this router can act again on what it holds
					 * (UINT64_MAX when its buffers are empty) */
	uint64_t wake;			/* earliest cycle > this one in which a head flit that is
					 * not ready in this cycle becomes ready (UINT64_MAX: none).
					 * A router that granted nothing is in the same state in
					 * every later cycle until then, or until a credit arrives */
};

/*
 * Sets up the routers of a mesh_x × mesh_y mesh with B-flit input buffers and a P-cycle
 * pipeline: empty buffers, every output with B credits (the local output too: see
 * spk_router_set_local_credit()), no owners, round-robin pointers at the local port.
 * Returns 0 or -ENOMEM.
 */
int spk_router_init(struct spk_router *rt, uint32_t mesh_x, uint32_t mesh_y,
		    uint32_t buffer_flits, uint32_t stages);
void spk_router_fini(struct spk_router *rt);

/* Sets the credits of router r's local output (its unit's input capacity); 0 = unlimited. */
void spk_router_set_local_credit(struct spk_router *rt, uint32_t r, uint32_t flits);

/*
 * Adds a multicast group with an empty mask at every router; *g = its number (1, 2, ...).
 * Returns 0, -ENOSPC beyond SPK_ROUTER_MAX_GROUPS groups, or -ENOMEM. Not while multicast
 * flits are in the routers (it reallocates the table).
 */
int spk_router_add_group(struct spk_router *rt, uint16_t *g);

/*
 * Adds the XY path from tile src to tile dst to group g's tree: at every router on the path the
 * output the path takes, and the local output at dst.
 */
void spk_router_group_path(struct spk_router *rt, uint16_t g, uint32_t src, uint32_t dst);

/* Group g's output mask at router r. */
static inline unsigned spk_router_group_mask(const struct spk_router *rt, uint16_t g, uint32_t r)
{
	return rt->mc_mask[(size_t)(g - 1u) * rt->n + r];
}

/* The output a head flit for dst takes at router here (XY dimension order). */
static inline unsigned spk_router_xy(uint32_t mesh_x, uint32_t here, uint32_t dst)
{
	uint32_t hx = here % mesh_x, hy = here / mesh_x;
	uint32_t dx = dst % mesh_x, dy = dst / mesh_x;

	if (dx > hx)
		return SPK_PORT_EAST;
	if (dx < hx)
		return SPK_PORT_WEST;
	if (dy > hy)
		return SPK_PORT_SOUTH;
	if (dy < hy)
		return SPK_PORT_NORTH;
	return SPK_PORT_LOCAL;
}

/* The port on the neighbour that faces output o (east <-> west, north <-> south). */
static inline unsigned spk_router_opposite(unsigned o)
{
	static const uint8_t opp[SPK_ROUTER_PORTS] = {
		SPK_PORT_LOCAL, SPK_PORT_WEST, SPK_PORT_EAST, SPK_PORT_SOUTH, SPK_PORT_NORTH
	};
	return opp[o];
}

/* The tile on the other side of port o of tile r; assumes the port leads inside the mesh. */
static inline uint32_t spk_router_neighbour(uint32_t mesh_x, uint32_t r, unsigned o)
{
	switch (o) {
	case SPK_PORT_EAST: return r + 1;
	case SPK_PORT_WEST: return r - 1;
	case SPK_PORT_NORTH: return r - mesh_x;
	case SPK_PORT_SOUTH: return r + mesh_x;
	default: return r;
	}
}

/*
 * Router r's cycle `cycle`: requests, round-robin switch allocation, switch traversal (granted
 * flits leave, their credits go back upstream; a multicast flit sends a copy on each granting
 * output and leaves with its last copy), then the flits in `in` are written into the
 * input buffers with ready = cycle + P. Commits r's own state; fills *out. Asserts that no
 * buffer overflows (a sender without credit is a broken invariant).
 */
void spk_router_eval(struct spk_router *rt, uint32_t r, uint64_t cycle,
		     const struct spk_router_in *in, struct spk_router_out *out);

/* What one router's cycle did, when one input holds flits (spk_router_eval_one()). */
struct spk_router_one {
	uint8_t valid;			/* bit o: the flit (a copy of it) leaves on output o */
	uint8_t in;			/* the input */
	uint8_t left;			/* 1: the flit left the buffer (one credit upstream) */
	uint8_t stalls, want;		/* as in struct spk_router_out */
	struct spk_flit flit;		/* the flit that leaves */
	uint64_t next, wake;		/* as in struct spk_router_out */
};

/* spk_router_eval_one() for a ready multicast head flit f at input p, the only occupied one:
 * requests, grants (a copy per granting output) and what is left to send. */
static inline void spk_router_eval_one_mc(struct spk_router *rt, uint32_t r,
					  struct spk_router_node *nd, unsigned p, struct spk_flit f,
					  struct spk_router_one *res)
{
	unsigned left, req = 0, valid = 0;

	assert(f.dst >= 1 && f.dst <= rt->n_groups);
	left = nd->route_q[p] & SPK_ROUTER_MC_LEFT ? nd->route_q[p] & 0x1fu :
	       spk_router_group_mask(rt, f.dst, r);
	assert(left != 0 && "multicast flit off its group's tree");
	for (unsigned m = left; m != 0; m &= m - 1) {
		unsigned o = (unsigned)__builtin_ctz(m);

		if (nd->owner_q[o] == SPK_ROUTER_NONE)
			req |= 1u << o;
	}
	res->want = (uint8_t)req;
	for (unsigned m = req; m != 0; m &= m - 1) {
		unsigned o = (unsigned)__builtin_ctz(m);

		if (nd->credit_inf >> o & 1u) {
			/* unlimited */
		} else if (nd->credit_q[o] > 0) {
			nd->credit_q[o]--;
		} else {
			continue;
		}
		nd->rr_q[o] = (uint8_t)(p + 1 == SPK_ROUTER_PORTS ? 0 : p + 1);
		valid |= 1u << o;
	}
	if (valid != 0) {
		left &= ~valid;
		nd->route_q[p] = (uint8_t)(left != 0 ? SPK_ROUTER_MC_LEFT | left : 0);
	}
	res->valid = (uint8_t)valid;
	res->left = left == 0;
}

/*
 * Router r's cycle `cycle` in the common case, inline for the network's cycle loop: exactly one
 * input holds flits. Then there is nothing to arbitrate (the one request for an output wins
 * whatever its round-robin pointer), so this is spk_router_eval() without link inputs, reduced
 * to one input: the same decisions and state, and in *res what *out would say (the flit, or
 * the copies of a multicast flit, sent on the outputs of res->valid; one credit back from input
 * res->in if the flit left the buffer). Returns false, having changed nothing, if no input or
 * several hold flits: the caller then calls spk_router_eval().
 */
static inline bool spk_router_eval_one(struct spk_router *rt, uint32_t r, uint64_t cycle,
				       struct spk_router_one *res)
{
	struct spk_router_node *nd = &rt->node[r];
	const unsigned occ = nd->occ_q;
	const uint32_t B = rt->buffer_flits;
	struct spk_router_slot *buf, *sl;
	struct spk_flit f;
	unsigned p, o, h;

	if (occ == 0 || (occ & (occ - 1)) != 0)
		return false;
	p = (unsigned)__builtin_ctz(occ);
	buf = rt->slot + ((size_t)r * SPK_ROUTER_PORTS + p) * B;
	h = nd->head_q[p];
	sl = &buf[h];
	f = sl->flit_q;
	res->in = (uint8_t)p;
	res->flit = f;
	if (sl->ready_q > cycle) {
		/* not ready: no request */
		res->valid = 0;
		res->left = 0;
		res->stalls = 0;
		res->want = 0;
		res->next = res->wake = sl->ready_q;
		return true;
	}
	if (__builtin_expect((f.flags & SPK_FLIT_MC) != 0, 0)) {
		spk_router_eval_one_mc(rt, r, nd, p, f, res);
		if (!res->left) {
			/* copies still to send: the flit stays, ready */
			res->stalls = 1;
			res->next = cycle + 1;
			res->wake = UINT64_MAX;
			return true;
		}
		goto pop;	/* its last copy went: it leaves the buffer */
	}
	if (f.flags & SPK_FLIT_HEAD) {
		unsigned dx = rt->tile_x[f.dst], dy = rt->tile_y[f.dst];

		o = dx > nd->x ? SPK_PORT_EAST : dx < nd->x ? SPK_PORT_WEST :
		    dy > nd->y ? SPK_PORT_SOUTH : dy < nd->y ? SPK_PORT_NORTH : SPK_PORT_LOCAL;
		if (__builtin_expect(rt->ring != NULL, 0) && o != SPK_PORT_LOCAL)
			o = rt->ring[r];
		res->want = nd->owner_q[o] == SPK_ROUTER_NONE ? (uint8_t)(1u << o) : 0;
	} else {
		o = nd->route_q[p];
		assert(nd->owner_q[o] == p);
		res->want = (uint8_t)(1u << o);
	}
	if (res->want == 0 || (nd->credit_q[o] <= 0 && !(nd->credit_inf >> o & 1u))) {
		/* output owned by another packet, or no credit: a stall */
		res->valid = 0;
		res->left = 0;
		res->stalls = 1;
		res->next = cycle + 1;
		res->wake = UINT64_MAX;
		return true;
	}
	/* granted: the flit leaves, one credit upstream */
	if (!(nd->credit_inf >> o & 1u))
		nd->credit_q[o]--;
	if (f.flags & SPK_FLIT_HEAD) {
		nd->rr_q[o] = (uint8_t)(p + 1 == SPK_ROUTER_PORTS ? 0 : p + 1);
		if (!(f.flags & SPK_FLIT_TAIL)) {
			nd->owner_q[o] = (uint8_t)p;
			nd->route_q[p] = (uint8_t)o;
		}
	} else if (f.flags & SPK_FLIT_TAIL) {
		nd->owner_q[o] = SPK_ROUTER_NONE;
	}
	res->valid = (uint8_t)(1u << o);
	res->left = 1;
pop:
	res->stalls = 0;
	h = h + 1 == B ? 0 : h + 1;
	nd->head_q[p] = (uint16_t)h;
	if (--nd->count_q[p] == 0) {
		nd->occ_q = 0;
		res->next = res->wake = UINT64_MAX;
	} else if (buf[h].ready_q <= cycle) {
		res->next = cycle + 1;
		res->wake = UINT64_MAX;
	} else {
		res->next = res->wake = buf[h].ready_q;
	}
	return true;
}

/*
 * Writes flit f into input p of router r, leaving from cycle `ready` on. The network uses this
 * instead of spk_router_eval()'s link inputs: a flit sent in cycle x is written at the end of x
 * with ready = x + 1 + P, which is the contract's link register (cycle x + 1) followed by the
 * buffer write (ready = (x + 1) + P) with nothing observable in between — the flit cannot leave
 * earlier either way, and the sender's credit guarantees the slot. Asserts the slot is free.
 * Returns the flits input p now holds. Inline: the network calls it once per hop.
 *
 * The buffer's occupancy is checked against buf_peak here only if `peak`: a network that
 * writes a flit before the router's own evaluation of the same cycle (which may pop a flit
 * from that buffer) checks it after that evaluation instead.
 */
static inline unsigned spk_router_write(struct spk_router *rt, uint32_t r, unsigned p,
					struct spk_flit f, uint64_t ready, bool peak)
{
	const uint32_t B = rt->buffer_flits;
	struct spk_router_node *nd = &rt->node[r];
	unsigned t = nd->head_q[p] + nd->count_q[p];
	struct spk_router_slot *sl =
		&rt->slot[((size_t)r * SPK_ROUTER_PORTS + p) * B + (t >= B ? t - B : t)];
	unsigned count = nd->count_q[p] + 1u;

	assert(count <= B && "router input buffer overflow: a sender had no credit");
	sl->flit_q = f;
	sl->ready_q = ready;
	nd->count_q[p] = (uint16_t)count;
	if (peak && count > rt->buf_peak)
		rt->buf_peak = count;
	nd->occ_q |= (uint8_t)(1u << p);
	return count;
}

/* spk_router_write() with the peak check: the flit is written at the end of its cycle. */
static inline void spk_router_accept(struct spk_router *rt, uint32_t r, unsigned p,
				     struct spk_flit f, uint64_t ready)
{
	(void)spk_router_write(rt, r, p, f, ready, true);
}

/* One credit back to output o of router r (a flit left the buffer downstream). */
static inline void spk_router_credit(struct spk_router *rt, uint32_t r, unsigned o)
{
	rt->node[r].credit_q[o]++;
}

/* True if router r holds no flit. */
static inline bool spk_router_empty(const struct spk_router *rt, uint32_t r)
{
	return rt->node[r].occ_q == 0;
}

#endif
