/*
 * router.c — one router's cycle (doc/architecture.md §3; the API and the state layout are in
 * router.h).
 *
 * The cycle is computed in two steps, as the RTL will be: first every decision is taken from the
 * registered state alone (which input requests which output, which request each output grants),
 * then the router's own registers are updated (buffers popped and written, credits spent, owners
 * and round-robin pointers moved). Flits arriving this cycle are written after the grants, so a
 * flit can never leave in the cycle it arrives (its ready cycle is at least one later anyway).
 *
 * Requests are kept as one bit mask of inputs per output, so round-robin arbitration is a rotate
 * and a count-trailing-zeros, and only non-empty inputs and requested outputs are visited;
 * coordinates come from tables (no division). A router's state is one 64-byte record plus its
 * buffer slots (router.h), so an evaluation touches few cache lines. Nothing allocates. The
 * one-input case, most evaluations in the network, is spk_router_eval_one() in router.h.
 *
 * Multicast costs unicast traffic one predicted-false branch in the requests and one in the
 * grants. A multicast head requests several outputs, so the grants of one input are no longer
 * one per cycle: its outputs still to serve are tracked in a local copy (left[p]) while the
 * outputs are granted one by one, and the flit is popped by the grant that empties it. The
 * group's mask is read when the flit is first evaluated at the head, which is the contract's
 * "left_q = mask[g] when the flit reaches the head" (nothing can read it in between).
 */
#include "config.h"

#include "sim/router.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PORTS SPK_ROUTER_PORTS

_Static_assert(sizeof(struct spk_router_node) == 64, "a router's record is one cache line");

int spk_router_init(struct spk_router *rt, uint32_t mesh_x, uint32_t mesh_y,
		    uint32_t buffer_flits, uint32_t stages)
{
	size_t n = (size_t)mesh_x * mesh_y, q = n * PORTS;
	size_t slot_bytes = (q * buffer_flits * sizeof(*rt->slot) + 63) / 64 * 64;

	assert(mesh_x >= 1 && mesh_y >= 1 && n <= 65536);
	assert(buffer_flits >= 1 && buffer_flits <= 65535 && stages >= 1);
	memset(rt, 0, sizeof(*rt));
	rt->n = (uint32_t)n;
	rt->mesh_x = mesh_x;
	rt->mesh_y = mesh_y;
	rt->buffer_flits = buffer_flits;
	rt->stages = stages;
	/* cache-line aligned: a record is one line, a 4-flit buffer's slots one line */
	rt->node = aligned_alloc(64, n * sizeof(*rt->node));
	rt->slot = aligned_alloc(64, slot_bytes);
	rt->tile_x = malloc(n * sizeof(*rt->tile_x));
	rt->tile_y = malloc(n * sizeof(*rt->tile_y));
	if (rt->node == NULL || rt->slot == NULL || rt->tile_x == NULL || rt->tile_y == NULL) {
		spk_router_fini(rt);
		return -ENOMEM;
	}
	memset(rt->node, 0, n * sizeof(*rt->node));
	memset(rt->slot, 0, slot_bytes);
	for (size_t t = 0; t < n; t++) {
		struct spk_router_node *nd = &rt->node[t];

		rt->tile_x[t] = nd->x = (uint16_t)(t % mesh_x);
		rt->tile_y[t] = nd->y = (uint16_t)(t / mesh_x);
		for (unsigned p = 0; p < PORTS; p++) {
			nd->credit_q[p] = (int32_t)buffer_flits;
			nd->owner_q[p] = SPK_ROUTER_NONE;
		}
	}
	return 0;
}

void spk_router_fini(struct spk_router *rt)
{
	free(rt->node);
	free(rt->slot);
	free(rt->tile_x);
	free(rt->tile_y);
	free(rt->mc_mask);
	free(rt->ring);
	memset(rt, 0, sizeof(*rt));
}

int spk_router_add_group(struct spk_router *rt, uint16_t *g)
{
	uint8_t *m;

	if (rt->n_groups >= SPK_ROUTER_MAX_GROUPS)
		return -ENOSPC;
	m = realloc(rt->mc_mask, (size_t)(rt->n_groups + 1) * rt->n);
	if (m == NULL)
		return -ENOMEM;
	memset(m + (size_t)rt->n_groups * rt->n, 0, rt->n);
	rt->mc_mask = m;
	*g = (uint16_t)++rt->n_groups;
	return 0;
}

void spk_router_group_path(struct spk_router *rt, uint16_t g, uint32_t src, uint32_t dst)
{
	uint8_t *mask = rt->mc_mask + (size_t)(g - 1u) * rt->n;
	uint32_t r = src;

	assert(g >= 1 && g <= rt->n_groups && src < rt->n && dst < rt->n);
	for (;;) {
		unsigned o = spk_router_xy(rt->mesh_x, r, dst);

		mask[r] |= (uint8_t)(1u << o);
		if (o == SPK_PORT_LOCAL)
			break;
		r = spk_router_neighbour(rt->mesh_x, r, o);
	}
}

void spk_router_set_local_credit(struct spk_router *rt, uint32_t r, uint32_t flits)
{
	struct spk_router_node *nd = &rt->node[r];

	assert(r < rt->n && flits <= INT32_MAX);
	if (flits == 0)
		nd->credit_inf |= 1u << SPK_PORT_LOCAL;
	else
		nd->credit_inf &= (uint8_t)~(1u << SPK_PORT_LOCAL);
	nd->credit_q[SPK_PORT_LOCAL] = (int32_t)flits;
}

/* Bits set in a 5-bit mask (no popcount instruction on baseline x86-64). */
static const uint8_t popcount5[32] = {
	0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 1, 2, 2, 3, 2, 3, 3, 4, 2, 3, 3, 4, 3, 4, 4, 5
};

/* The first input of `mask` at or after round-robin position `from` (mask != 0). */
static unsigned rr_pick(unsigned mask, unsigned from)
{
	unsigned rot = ((mask >> from) | (mask << (PORTS - from))) & ((1u << PORTS) - 1);
	unsigned p = (unsigned)__builtin_ctz(rot) + from;

	return p >= PORTS ? p - PORTS : p;
}

void spk_router_eval(struct spk_router *rt, uint32_t r, uint64_t cycle,
		     const struct spk_router_in *in, struct spk_router_out *out)
{
	const uint32_t B = rt->buffer_flits;
	struct spk_router_node *nd = &rt->node[r];
	struct spk_router_slot *slot = rt->slot + (size_t)r * PORTS * B;
	const unsigned inf = nd->credit_inf;
	unsigned occ = nd->occ_q;
	unsigned reqm[PORTS] = { 0 };	/* inputs requesting each output */
	unsigned left[PORTS];		/* multicast heads: outputs still to serve */
	unsigned ready_mask = 0, want = 0, leaves = 0;
	uint64_t next = UINT64_MAX, wake = UINT64_MAX;

	out->valid = 0;
	out->credit = 0;

	/* 1. Requests: ready head flits, from registered state only. */
	for (unsigned m = occ; m != 0; m &= m - 1) {
		unsigned p = (unsigned)__builtin_ctz(m);
		const struct spk_router_slot *sl = &slot[(size_t)p * B + nd->head_q[p]];
		unsigned o;

		if (sl->ready_q > cycle)
			continue;
		ready_mask |= 1u << p;
		if (sl->flit_q.flags & SPK_FLIT_MC) {
			/* every output still to serve that no packet holds */
			unsigned req = 0;

			assert(sl->flit_q.dst >= 1 && sl->flit_q.dst <= rt->n_groups);
			left[p] = nd->route_q[p] & SPK_ROUTER_MC_LEFT ? nd->route_q[p] & 0x1fu :
				  spk_router_group_mask(rt, sl->flit_q.dst, r);
			assert(left[p] != 0 && "multicast flit off its group's tree");
			for (unsigned m2 = left[p]; m2 != 0; m2 &= m2 - 1) {
				o = (unsigned)__builtin_ctz(m2);
				if (nd->owner_q[o] == SPK_ROUTER_NONE) {
					reqm[o] |= 1u << p;
					req |= 1u << o;
				}
			}
			want |= req;
			continue;
		}
		if (sl->flit_q.flags & SPK_FLIT_HEAD) {
			unsigned dx = rt->tile_x[sl->flit_q.dst], dy = rt->tile_y[sl->flit_q.dst];

			o = dx > nd->x ? SPK_PORT_EAST : dx < nd->x ? SPK_PORT_WEST :
			    dy > nd->y ? SPK_PORT_SOUTH : dy < nd->y ? SPK_PORT_NORTH : SPK_PORT_LOCAL;
			if (__builtin_expect(rt->ring != NULL, 0) && o != SPK_PORT_LOCAL)
				o = rt->ring[r];
			if (nd->owner_q[o] != SPK_ROUTER_NONE)
				continue;	/* another packet holds the output */
		} else {
			o = nd->route_q[p];
			assert(nd->owner_q[o] == p);
		}
		reqm[o] |= 1u << p;
		want |= 1u << o;
	}

	out->want = (uint8_t)want;

	/*
	 * 2. Switch allocation and 3. traversal. A held output is requested only by its owner
	 * (head flits do not request it), so "owner, else round robin" is one pick. A unicast
	 * input requests one output; a multicast one may win several, and leaves with the grant
	 * that empties its left[p] (outputs are granted one by one, so that is its last grant of
	 * the cycle). So grants can be committed output by output.
	 */
	for (; want != 0; want &= want - 1) {
		unsigned o = (unsigned)__builtin_ctz(want);
		bool unlimited = inf >> o & 1u;
		unsigned p;
		struct spk_flit f;

		if (nd->credit_q[o] <= 0 && !unlimited)
			continue;
		p = rr_pick(reqm[o], nd->rr_q[o]);
		f = slot[(size_t)p * B + nd->head_q[p]].flit_q;
		if (!unlimited)
			nd->credit_q[o]--;
		out->valid |= (uint8_t)(1u << o);
		out->flit[o] = f;
		if (f.flags & SPK_FLIT_HEAD) {
			nd->rr_q[o] = (uint8_t)(p + 1 == PORTS ? 0 : p + 1);
			if (f.flags & SPK_FLIT_MC) {
				/* a copy: the flit stays until its last output grants it */
				left[p] &= ~(1u << o);
				nd->route_q[p] = (uint8_t)(left[p] != 0 ? SPK_ROUTER_MC_LEFT | left[p] : 0);
				if (left[p] != 0)
					continue;
			} else if (!(f.flags & SPK_FLIT_TAIL)) {
				nd->owner_q[o] = (uint8_t)p;
				nd->route_q[p] = (uint8_t)o;
			}
		} else if (f.flags & SPK_FLIT_TAIL) {
			nd->owner_q[o] = SPK_ROUTER_NONE;
		}
		leaves++;
		nd->head_q[p] = (uint16_t)(nd->head_q[p] + 1u == B ? 0 : nd->head_q[p] + 1u);
		if (--nd->count_q[p] == 0)
			occ &= ~(1u << p);
		out->credit |= (uint8_t)(1u << p);
	}
	/* Ready heads that did not leave the buffer: lost arbitration, output owned, no credit,
	 * or a multicast flit with copies still to send. */
	out->stalls = (uint8_t)(popcount5[ready_mask] - leaves);

	/* 4. Buffer write: flits on the input links, ready P cycles later. */
	if (in != NULL && in->valid != 0) {
		for (unsigned m = in->valid; m != 0; m &= m - 1) {
			unsigned p = (unsigned)__builtin_ctz(m);
			unsigned t = nd->head_q[p] + nd->count_q[p];
			struct spk_router_slot *sl = &slot[(size_t)p * B + (t >= B ? t - B : t)];

			assert(nd->count_q[p] < B && "router input buffer overflow: a sender had no credit");
			sl->flit_q = in->flit[p];
			sl->ready_q = cycle + rt->stages;
			nd->count_q[p]++;
			occ |= 1u << p;
			if (nd->count_q[p] > rt->buf_peak)
				rt->buf_peak = nd->count_q[p];
		}
	}
	nd->occ_q = (uint8_t)occ;

	/*
	 * When this router can next act on what it holds: its earliest ready head flit (next), and
	 * the earliest head flit that is not ready yet (wake: what a router that granted nothing
	 * waits for, besides credits).
	 */
	for (unsigned m = occ; m != 0; m &= m - 1) {
		unsigned p = (unsigned)__builtin_ctz(m);
		uint64_t rdy = slot[(size_t)p * B + nd->head_q[p]].ready_q;

		if (rdy <= cycle)
			next = cycle + 1;
		else if (rdy < wake)
			wake = rdy;
	}
	out->next = next < wake ? next : wake;
	out->wake = wake;
}
