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
 * coordinates come from tables (no division). Nothing allocates.
 */
#include "config.h"

#include "sim/router.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PORTS SPK_ROUTER_PORTS

int spk_router_init(struct spk_router *rt, uint32_t mesh_x, uint32_t mesh_y,
		    uint32_t buffer_flits, uint32_t stages)
{
	size_t n = (size_t)mesh_x * mesh_y, q = n * PORTS;

	assert(mesh_x >= 1 && mesh_y >= 1 && n <= 65536);
	assert(buffer_flits >= 1 && buffer_flits <= 65535 && stages >= 1);
	memset(rt, 0, sizeof(*rt));
	rt->n = (uint32_t)n;
	rt->mesh_x = mesh_x;
	rt->mesh_y = mesh_y;
	rt->buffer_flits = buffer_flits;
	rt->stages = stages;
	rt->buf_flit_q = calloc(q * buffer_flits, sizeof(*rt->buf_flit_q));
	rt->buf_ready_q = calloc(q * buffer_flits, sizeof(*rt->buf_ready_q));
	rt->buf_head_q = calloc(q, sizeof(*rt->buf_head_q));
	rt->buf_count_q = calloc(q, sizeof(*rt->buf_count_q));
	rt->held_q = calloc(n, sizeof(*rt->held_q));
	rt->credit_q = calloc(q, sizeof(*rt->credit_q));
	rt->credit_inf = calloc(q, sizeof(*rt->credit_inf));
	rt->owner_q = malloc(q * sizeof(*rt->owner_q));
	rt->rr_q = calloc(q, sizeof(*rt->rr_q));
	rt->route_q = calloc(q, sizeof(*rt->route_q));
	rt->occ_q = calloc(n, sizeof(*rt->occ_q));
	rt->tile_x = malloc(n * sizeof(*rt->tile_x));
	rt->tile_y = malloc(n * sizeof(*rt->tile_y));
	if (rt->occ_q == NULL || rt->tile_x == NULL || rt->tile_y == NULL ||
	    rt->buf_flit_q == NULL || rt->buf_ready_q == NULL || rt->buf_head_q == NULL ||
	    rt->buf_count_q == NULL || rt->held_q == NULL || rt->credit_q == NULL ||
	    rt->credit_inf == NULL || rt->owner_q == NULL || rt->rr_q == NULL ||
	    rt->route_q == NULL) {
		spk_router_fini(rt);
		return -ENOMEM;
	}
	for (size_t t = 0; t < n; t++) {
		rt->tile_x[t] = (uint16_t)(t % mesh_x);
		rt->tile_y[t] = (uint16_t)(t / mesh_x);
	}
	for (size_t i = 0; i < q; i++) {
		rt->credit_q[i] = (int32_t)buffer_flits;
		rt->owner_q[i] = SPK_ROUTER_NONE;
	}
	return 0;
}

void spk_router_fini(struct spk_router *rt)
{
	free(rt->buf_flit_q);
	free(rt->buf_ready_q);
	free(rt->buf_head_q);
	free(rt->buf_count_q);
	free(rt->held_q);
	free(rt->credit_q);
	free(rt->credit_inf);
	free(rt->owner_q);
	free(rt->rr_q);
	free(rt->route_q);
	free(rt->occ_q);
	free(rt->tile_x);
	free(rt->tile_y);
	memset(rt, 0, sizeof(*rt));
}

void spk_router_set_local_credit(struct spk_router *rt, uint32_t r, uint32_t flits)
{
	size_t q = (size_t)r * PORTS + SPK_PORT_LOCAL;

	assert(r < rt->n && flits <= INT32_MAX);
	rt->credit_inf[q] = flits == 0;
	rt->credit_q[q] = (int32_t)flits;
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
	const size_t q0 = (size_t)r * PORTS;
	uint16_t *head = rt->buf_head_q + q0, *count = rt->buf_count_q + q0;
	struct spk_flit *flit = rt->buf_flit_q + q0 * B;
	uint64_t *ready = rt->buf_ready_q + q0 * B;
	int32_t *credit = rt->credit_q + q0;
	const uint8_t *inf = rt->credit_inf + q0;
	uint8_t *owner = rt->owner_q + q0, *rr = rt->rr_q + q0, *route = rt->route_q + q0;
	const unsigned hx = rt->tile_x[r], hy = rt->tile_y[r];
	unsigned occ = rt->occ_q[r];
	unsigned reqm[PORTS] = { 0 };	/* inputs requesting each output */
	unsigned ready_mask = 0, want = 0, grants = 0;
	uint64_t next = UINT64_MAX, wake = UINT64_MAX;

	out->valid = 0;
	out->credit = 0;

	/* 1. Requests: ready head flits, from registered state only. */
	for (unsigned m = occ; m != 0; m &= m - 1) {
		unsigned p = (unsigned)__builtin_ctz(m);
		size_t i = (size_t)p * B + head[p];
		unsigned o;

		if (ready[i] > cycle)
			continue;
		ready_mask |= 1u << p;
		if (flit[i].flags & SPK_FLIT_HEAD) {
			unsigned dx = rt->tile_x[flit[i].dst], dy = rt->tile_y[flit[i].dst];

			o = dx > hx ? SPK_PORT_EAST : dx < hx ? SPK_PORT_WEST :
			    dy > hy ? SPK_PORT_SOUTH : dy < hy ? SPK_PORT_NORTH : SPK_PORT_LOCAL;
			if (owner[o] != SPK_ROUTER_NONE)
				continue;	/* another packet holds the output */
		} else {
			o = route[p];
			assert(owner[o] == p);
		}
		reqm[o] |= 1u << p;
		want |= 1u << o;
	}

	out->want = (uint8_t)want;

	/*
	 * 2. Switch allocation and 3. traversal. A held output is requested only by its owner
	 * (head flits do not request it), so "owner, else round robin" is one pick. Each input
	 * requests one output, so grants never conflict and can be committed output by output.
	 */
	for (; want != 0; want &= want - 1) {
		unsigned o = (unsigned)__builtin_ctz(want);
		unsigned p;
		size_t i;
		struct spk_flit f;

		if (credit[o] <= 0 && !inf[o])
			continue;
		p = rr_pick(reqm[o], rr[o]);
		grants++;
		i = (size_t)p * B + head[p];
		f = flit[i];
		head[p] = (uint16_t)(head[p] + 1u == B ? 0 : head[p] + 1u);
		if (--count[p] == 0)
			occ &= ~(1u << p);
		if (!inf[o])
			credit[o]--;
		if (f.flags & SPK_FLIT_HEAD) {
			rr[o] = (uint8_t)(p + 1 == PORTS ? 0 : p + 1);
			if (!(f.flags & SPK_FLIT_TAIL)) {
				owner[o] = (uint8_t)p;
				route[p] = (uint8_t)o;
			}
		} else if (f.flags & SPK_FLIT_TAIL) {
			owner[o] = SPK_ROUTER_NONE;
		}
		out->valid |= (uint8_t)(1u << o);
		out->flit[o] = f;
		out->credit |= (uint8_t)(1u << p);
	}
	/* Ready heads that do not leave: lost arbitration, output owned, or no credit. */
	out->stalls = (uint8_t)(popcount5[ready_mask] - grants);
	rt->held_q[r] -= grants;

	/* 4. Buffer write: flits on the input links, ready P cycles later. */
	if (in != NULL && in->valid != 0) {
		for (unsigned m = in->valid; m != 0; m &= m - 1) {
			unsigned p = (unsigned)__builtin_ctz(m);
			unsigned t = head[p] + count[p];
			size_t i = (size_t)p * B + (t >= B ? t - B : t);

			assert(count[p] < B && "router input buffer overflow: a sender had no credit");
			flit[i] = in->flit[p];
			ready[i] = cycle + rt->stages;
			count[p]++;
			occ |= 1u << p;
			if (count[p] > rt->buf_peak)
				rt->buf_peak = count[p];
		}
		rt->held_q[r] += popcount5[in->valid & 0x1f];
	}
	rt->occ_q[r] = (uint8_t)occ;

	/*
	 * When this router can next act on what it holds: its earliest ready head flit (next), and
	 * the earliest head flit that is not ready yet (wake: what a router that granted nothing
	 * waits for, besides credits).
	 */
	for (unsigned m = occ; m != 0; m &= m - 1) {
		unsigned p = (unsigned)__builtin_ctz(m);
		uint64_t rdy = ready[(size_t)p * B + head[p]];

		if (rdy <= cycle)
			next = cycle + 1;
		else if (rdy < wake)
			wake = rdy;
	}
	out->next = next < wake ? next : wake;
	out->wake = wake;
}

void spk_router_accept(struct spk_router *rt, uint32_t r, unsigned p, const struct spk_flit *f,
		       uint64_t ready)
{
	const uint32_t B = rt->buffer_flits;
	const size_t q = (size_t)r * PORTS + p;
	unsigned t = rt->buf_head_q[q] + rt->buf_count_q[q];
	size_t i = q * B + (t >= B ? t - B : t);

	assert(rt->buf_count_q[q] < B && "router input buffer overflow: a sender had no credit");
	rt->buf_flit_q[i] = *f;
	rt->buf_ready_q[i] = ready;
	if (++rt->buf_count_q[q] > rt->buf_peak)
		rt->buf_peak = rt->buf_count_q[q];
	rt->occ_q[r] |= (uint8_t)(1u << p);
	rt->held_q[r]++;
}
