/*
 * test_router.c — unit tests of one router's cycle (sim/router.c) through its port-level
 * interface, as an RTL testbench would drive rtl/router.sv: XY routing, the P-cycle pipeline,
 * credits (none: no grant, a stall; returned: one per flit that left), round-robin arbitration,
 * wormhole ownership of an output until the tail, the registered-state-only decisions (a flit
 * never leaves in the cycle it arrives), and multicast forks (group tables along the XY tree; a
 * copy per granting output, the flit leaving with its last copy). doc/architecture.md §3 is the
 * contract. The network's inline fast path for a router with one occupied input
 * (spk_router_eval_one()) is checked against spk_router_eval() on random states.
 */
#include "config.h"

#include "sim/router.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* A 3x3 mesh; the router under test is the middle one (tile 4), which has all five ports. */
#define MID 4u

static struct spk_flit flit(uint32_t pkt, uint16_t dst, uint8_t flags)
{
	struct spk_flit f = { .pkt = pkt, .dst = dst, .flags = flags };

	return f;
}

static void put(struct spk_router_in *in, unsigned port, struct spk_flit f)
{
	in->valid |= (uint8_t)(1u << port);
	in->flit[port] = f;
}

static void test_xy_route(void **state)
{
	(void)state;
	for (uint32_t mx = 1; mx <= 5; mx++) {
		for (uint32_t my = 1; my <= 4; my++) {
			for (uint32_t h = 0; h < mx * my; h++) {
				for (uint32_t d = 0; d < mx * my; d++) {
					unsigned o = spk_router_xy(mx, h, d);
					uint32_t hx = h % mx, hy = h / mx, dx = d % mx, dy = d / mx;

					if (hx != dx) {
						assert_int_equal(o, dx > hx ? SPK_PORT_EAST : SPK_PORT_WEST);
					} else if (hy != dy) {
						assert_int_equal(o, dy > hy ? SPK_PORT_SOUTH : SPK_PORT_NORTH);
					} else {
						assert_int_equal(o, SPK_PORT_LOCAL);
					}
					if (o != SPK_PORT_LOCAL) {
						uint32_t nb = spk_router_neighbour(mx, h, o);

						/* one step closer, and the way back faces us */
						assert_true(nb < mx * my);
						assert_int_equal(spk_router_neighbour(mx, nb,
								 spk_router_opposite(o)), h);
					}
				}
			}
		}
	}
}

/* A flit arriving in cycle x leaves in cycle x + P, towards its XY output, returning a credit. */
static void test_pipeline_and_credit(void **state)
{
	(void)state;
	for (uint32_t P = 1; P <= 4; P++) {
		struct spk_router rt;
		struct spk_router_in in = { 0 };
		struct spk_router_out out;

		assert_int_equal(spk_router_init(&rt, 3, 3, 4, P), 0);
		put(&in, SPK_PORT_WEST, flit(7, 5, SPK_FLIT_HEAD | SPK_FLIT_TAIL));	/* to (2,1) */
		spk_router_eval(&rt, MID, 10, &in, &out);
		assert_int_equal(out.valid, 0);
		assert_int_equal(out.credit, 0);
		assert_int_equal(out.next, 10 + P);
		assert_false(spk_router_empty(&rt, MID));
		for (uint64_t x = 11; x < 10 + P; x++) {
			spk_router_eval(&rt, MID, x, NULL, &out);
			assert_int_equal(out.valid, 0);
			assert_int_equal(out.stalls, 0);
		}
		spk_router_eval(&rt, MID, 10 + P, NULL, &out);
		assert_int_equal(out.valid, 1u << SPK_PORT_EAST);
		assert_int_equal(out.flit[SPK_PORT_EAST].pkt, 7);
		assert_int_equal(out.credit, 1u << SPK_PORT_WEST);
		assert_int_equal(rt.node[MID].credit_q[SPK_PORT_EAST], 3);
		assert_int_equal(out.next, UINT64_MAX);
		assert_true(spk_router_empty(&rt, MID));
		spk_router_fini(&rt);
	}
}

/* No credit: nothing leaves, the ready flit stalls; one credit back: it leaves next cycle. */
static void test_no_credit_stalls(void **state)
{
	struct spk_router rt;
	struct spk_router_in in = { 0 };
	struct spk_router_out out;

	(void)state;
	assert_int_equal(spk_router_init(&rt, 3, 3, 2, 1), 0);
	rt.node[MID].credit_q[SPK_PORT_SOUTH] = 0;
	put(&in, SPK_PORT_NORTH, flit(1, 7, SPK_FLIT_HEAD | SPK_FLIT_TAIL));	/* to (1,2) */
	spk_router_eval(&rt, MID, 0, &in, &out);
	for (uint64_t x = 1; x < 5; x++) {
		spk_router_eval(&rt, MID, x, NULL, &out);
		assert_int_equal(out.valid, 0);
		assert_int_equal(out.stalls, 1);
		assert_int_equal(out.next, x + 1);
	}
	spk_router_credit(&rt, MID, SPK_PORT_SOUTH);
	spk_router_eval(&rt, MID, 5, NULL, &out);
	assert_int_equal(out.valid, 1u << SPK_PORT_SOUTH);
	assert_int_equal(out.stalls, 0);
	assert_int_equal(rt.node[MID].credit_q[SPK_PORT_SOUTH], 0);
	spk_router_fini(&rt);
}

/* Four inputs always holding a flit for the local output are served in turn. */
static void test_round_robin(void **state)
{
	struct spk_router rt;
	struct spk_router_in in = { 0 };
	struct spk_router_out out;
	static const unsigned ins[] = { SPK_PORT_EAST, SPK_PORT_WEST, SPK_PORT_NORTH,
					SPK_PORT_SOUTH };
	unsigned served[5] = { 0 }, last = 99;

	(void)state;
	assert_int_equal(spk_router_init(&rt, 3, 3, 4, 1), 0);
	spk_router_set_local_credit(&rt, MID, 0);	/* an ideal sink */
	for (uint64_t x = 0; x < 400; x++) {
		memset(&in, 0, sizeof(in));
		/* refill every input that has room (a sender with credit) */
		for (unsigned i = 0; i < 4; i++)
			if (rt.node[MID].count_q[ins[i]] < 3)
				put(&in, ins[i], flit(ins[i], MID, SPK_FLIT_HEAD | SPK_FLIT_TAIL));
		spk_router_eval(&rt, MID, x, &in, &out);
		if (out.valid) {
			unsigned p = out.flit[SPK_PORT_LOCAL].pkt;

			assert_int_equal(out.valid, 1u << SPK_PORT_LOCAL);
			assert_int_equal(out.credit, 1u << p);
			/* round robin over E W N S: each winner is followed by the next port */
			if (last != 99)
				assert_int_equal(p, last == SPK_PORT_SOUTH ? SPK_PORT_EAST : last + 1);
			last = p;
			served[p]++;
		}
	}
	for (unsigned i = 1; i < 4; i++)
		assert_true(served[ins[i]] + 1 >= served[ins[0]] &&
			    served[ins[0]] + 1 >= served[ins[i]]);
	assert_true(served[SPK_PORT_EAST] > 90);
	assert_int_equal(rt.buf_peak, 3);
	spk_router_fini(&rt);
}

/* A multi-flit packet owns its output until its tail passes; a head from elsewhere waits. */
static void test_wormhole(void **state)
{
	struct spk_router rt;
	struct spk_router_in in = { 0 };
	struct spk_router_out out;

	(void)state;
	assert_int_equal(spk_router_init(&rt, 3, 3, 4, 1), 0);
	/* cycle 0: head of a 3-flit packet A on west, a 1-flit packet B on north; both for east */
	put(&in, SPK_PORT_WEST, flit(1, 5, SPK_FLIT_HEAD));
	put(&in, SPK_PORT_NORTH, flit(2, 5, SPK_FLIT_HEAD | SPK_FLIT_TAIL));
	spk_router_eval(&rt, MID, 0, &in, &out);
	assert_int_equal(out.valid, 0);
	/* cycle 1: round robin starts at the local port, so west (2) wins over north (3) */
	memset(&in, 0, sizeof(in));
	put(&in, SPK_PORT_WEST, flit(1, 5, 0));
	spk_router_eval(&rt, MID, 1, &in, &out);
	assert_int_equal(out.valid, 1u << SPK_PORT_EAST);
	assert_int_equal(out.flit[SPK_PORT_EAST].pkt, 1);
	assert_int_equal(rt.node[MID].owner_q[SPK_PORT_EAST], SPK_PORT_WEST);
	assert_int_equal(out.stalls, 1);		/* B lost */
	/* cycle 2: A's body leaves; B still waits although round robin now favours it */
	memset(&in, 0, sizeof(in));
	put(&in, SPK_PORT_WEST, flit(1, 5, SPK_FLIT_TAIL));
	spk_router_eval(&rt, MID, 2, &in, &out);
	assert_int_equal(out.flit[SPK_PORT_EAST].pkt, 1);
	assert_int_equal(out.flit[SPK_PORT_EAST].flags, 0);
	assert_int_equal(out.stalls, 1);
	/* cycle 3: A's tail leaves and frees the output */
	spk_router_eval(&rt, MID, 3, NULL, &out);
	assert_int_equal(out.flit[SPK_PORT_EAST].flags, SPK_FLIT_TAIL);
	assert_int_equal(rt.node[MID].owner_q[SPK_PORT_EAST], SPK_ROUTER_NONE);
	/* cycle 4: B */
	spk_router_eval(&rt, MID, 4, NULL, &out);
	assert_int_equal(out.flit[SPK_PORT_EAST].pkt, 2);
	assert_int_equal(out.credit, 1u << SPK_PORT_NORTH);
	assert_int_equal(rt.node[MID].credit_q[SPK_PORT_EAST], 0);
	assert_true(spk_router_empty(&rt, MID));
	spk_router_fini(&rt);
}

/* Different outputs are granted in the same cycle; a flit never leaves the cycle it arrives. */
static void test_parallel_outputs(void **state)
{
	struct spk_router rt;
	struct spk_router_in in = { 0 };
	struct spk_router_out out;

	(void)state;
	assert_int_equal(spk_router_init(&rt, 3, 3, 4, 1), 0);
	put(&in, SPK_PORT_LOCAL, flit(1, 1, SPK_FLIT_HEAD | SPK_FLIT_TAIL));	/* north */
	put(&in, SPK_PORT_EAST, flit(2, 3, SPK_FLIT_HEAD | SPK_FLIT_TAIL));	/* west */
	put(&in, SPK_PORT_NORTH, flit(3, 7, SPK_FLIT_HEAD | SPK_FLIT_TAIL));	/* south */
	put(&in, SPK_PORT_SOUTH, flit(4, 4, SPK_FLIT_HEAD | SPK_FLIT_TAIL));	/* local */
	put(&in, SPK_PORT_WEST, flit(5, 5, SPK_FLIT_HEAD | SPK_FLIT_TAIL));	/* east */
	spk_router_eval(&rt, MID, 0, &in, &out);
	assert_int_equal(out.valid, 0);
	spk_router_eval(&rt, MID, 1, NULL, &out);
	assert_int_equal(out.valid, 0x1f);
	assert_int_equal(out.credit, 0x1f);
	assert_int_equal(out.flit[SPK_PORT_NORTH].pkt, 1);
	assert_int_equal(out.flit[SPK_PORT_WEST].pkt, 2);
	assert_int_equal(out.flit[SPK_PORT_SOUTH].pkt, 3);
	assert_int_equal(out.flit[SPK_PORT_LOCAL].pkt, 4);
	assert_int_equal(out.flit[SPK_PORT_EAST].pkt, 5);
	spk_router_fini(&rt);
}

/* Group tables: the union of the XY paths from the source, a local bit at each member. */
static void test_group_tree(void **state)
{
	struct spk_router rt;
	uint16_t g1, g2;

	(void)state;
	assert_int_equal(spk_router_init(&rt, 4, 4, 4, 2), 0);
	/* source (1,1) = 5; members 7 (3,1), 13 (1,3), 15 (3,3) and the source itself */
	assert_int_equal(spk_router_add_group(&rt, &g1), 0);
	assert_int_equal(g1, 1);
	spk_router_group_path(&rt, g1, 5, 7);
	spk_router_group_path(&rt, g1, 5, 13);
	spk_router_group_path(&rt, g1, 5, 15);
	spk_router_group_path(&rt, g1, 5, 5);
	assert_int_equal(spk_router_add_group(&rt, &g2), 0);
	assert_int_equal(g2, 2);
	spk_router_group_path(&rt, g2, 0, 1);
	for (uint32_t r = 0; r < 16; r++) {
		unsigned expect = 0;

		switch (r) {
		case 5: expect = 1u << SPK_PORT_LOCAL | 1u << SPK_PORT_EAST | 1u << SPK_PORT_SOUTH;
			break;
		case 6: expect = 1u << SPK_PORT_EAST; break;
		case 7: expect = 1u << SPK_PORT_LOCAL | 1u << SPK_PORT_SOUTH; break;
		case 9: expect = 1u << SPK_PORT_SOUTH; break;
		case 11: expect = 1u << SPK_PORT_SOUTH; break;
		case 13: case 15: expect = 1u << SPK_PORT_LOCAL; break;
		}
		assert_int_equal(spk_router_group_mask(&rt, g1, r), expect);
		assert_int_equal(spk_router_group_mask(&rt, g2, r),
				 r == 0 ? 1u << SPK_PORT_EAST : r == 1 ? 1u << SPK_PORT_LOCAL : 0);
	}
	spk_router_fini(&rt);
}

/*
 * A multicast flit forks east and south at the middle router. South has no credit: the east copy
 * leaves, the flit stays at the head (no credit upstream, a stall, the unicast flit behind it
 * waits) and is not sent east again; when a credit comes back the south copy leaves, and only
 * then does the flit leave its buffer (one credit upstream). The unicast flit goes next.
 */
static void test_multicast_fork(void **state)
{
	struct spk_router rt;
	struct spk_router_in in = { 0 };
	struct spk_router_out out;
	const unsigned E = 1u << SPK_PORT_EAST, S = 1u << SPK_PORT_SOUTH;
	uint16_t g;

	(void)state;
	assert_int_equal(spk_router_init(&rt, 3, 3, 4, 1), 0);
	assert_int_equal(spk_router_add_group(&rt, &g), 0);
	spk_router_group_path(&rt, g, 3, 5);	/* (0,1) -> (2,1): east through MID */
	spk_router_group_path(&rt, g, 3, 7);	/* (0,1) -> (1,2): south at MID */
	assert_int_equal(spk_router_group_mask(&rt, g, MID), E | S);
	rt.node[MID].credit_q[SPK_PORT_SOUTH] = 0;
	put(&in, SPK_PORT_WEST, flit(9, g, SPK_FLIT_HEAD | SPK_FLIT_TAIL | SPK_FLIT_MC));
	spk_router_eval(&rt, MID, 0, &in, &out);
	assert_int_equal(out.valid, 0);
	/* cycle 1: the east copy; a unicast flit for the north arrives behind */
	memset(&in, 0, sizeof(in));
	put(&in, SPK_PORT_WEST, flit(10, 1, SPK_FLIT_HEAD | SPK_FLIT_TAIL));
	spk_router_eval(&rt, MID, 1, &in, &out);
	assert_int_equal(out.valid, E);
	assert_int_equal(out.flit[SPK_PORT_EAST].pkt, 9);
	assert_int_equal(out.flit[SPK_PORT_EAST].dst, g);
	assert_int_equal(out.flit[SPK_PORT_EAST].flags,
			 SPK_FLIT_HEAD | SPK_FLIT_TAIL | SPK_FLIT_MC);
	assert_int_equal(out.credit, 0);
	assert_int_equal(out.stalls, 1);
	assert_int_equal(out.next, 2);
	assert_int_equal(rt.node[MID].count_q[SPK_PORT_WEST], 2);
	assert_int_equal(rt.node[MID].credit_q[SPK_PORT_EAST], 3);
	assert_int_equal(rt.node[MID].rr_q[SPK_PORT_EAST], SPK_PORT_WEST + 1);
	/* cycles 2..4: south still without credit; east is not sent again */
	for (uint64_t x = 2; x < 5; x++) {
		spk_router_eval(&rt, MID, x, NULL, &out);
		assert_int_equal(out.valid, 0);
		assert_int_equal(out.credit, 0);
		assert_int_equal(out.stalls, 1);
		assert_int_equal(out.want, S);
		assert_int_equal(rt.node[MID].credit_q[SPK_PORT_EAST], 3);
	}
	/* cycle 5: a credit came back: the south copy, and the flit leaves */
	spk_router_credit(&rt, MID, SPK_PORT_SOUTH);
	spk_router_eval(&rt, MID, 5, NULL, &out);
	assert_int_equal(out.valid, S);
	assert_int_equal(out.flit[SPK_PORT_SOUTH].pkt, 9);
	assert_int_equal(out.credit, 1u << SPK_PORT_WEST);
	assert_int_equal(out.stalls, 0);
	assert_int_equal(rt.node[MID].count_q[SPK_PORT_WEST], 1);
	assert_int_equal(rt.node[MID].credit_q[SPK_PORT_SOUTH], 0);
	/* cycle 6: the unicast flit behind it */
	spk_router_eval(&rt, MID, 6, NULL, &out);
	assert_int_equal(out.valid, 1u << SPK_PORT_NORTH);
	assert_int_equal(out.flit[SPK_PORT_NORTH].pkt, 10);
	assert_int_equal(out.credit, 1u << SPK_PORT_WEST);
	assert_true(spk_router_empty(&rt, MID));
	/* the next multicast flit of the group starts again from the group's whole mask */
	rt.node[MID].credit_q[SPK_PORT_SOUTH] = 4;
	memset(&in, 0, sizeof(in));
	put(&in, SPK_PORT_WEST, flit(11, g, SPK_FLIT_HEAD | SPK_FLIT_TAIL | SPK_FLIT_MC));
	spk_router_eval(&rt, MID, 7, &in, &out);
	spk_router_eval(&rt, MID, 8, NULL, &out);
	assert_int_equal(out.valid, E | S);
	assert_int_equal(out.credit, 1u << SPK_PORT_WEST);
	assert_int_equal(out.stalls, 0);
	assert_true(spk_router_empty(&rt, MID));
	spk_router_fini(&rt);
}

/*
 * Per output, a multicast request arbitrates like any other: the local input's multicast flit
 * wants east and south, the north input's south and local; south goes to one of them per cycle
 * (round robin), the other outputs at once, and each flit leaves once it has won all of its.
 */
static void test_multicast_contention(void **state)
{
	struct spk_router rt;
	struct spk_router_in in = { 0 };
	struct spk_router_out out;
	const unsigned E = 1u << SPK_PORT_EAST, S = 1u << SPK_PORT_SOUTH;
	uint16_t ga, gb;

	(void)state;
	assert_int_equal(spk_router_init(&rt, 3, 3, 4, 1), 0);
	assert_int_equal(spk_router_add_group(&rt, &ga), 0);	/* from MID */
	spk_router_group_path(&rt, ga, MID, 5);
	spk_router_group_path(&rt, ga, MID, 7);
	assert_int_equal(spk_router_add_group(&rt, &gb), 0);	/* from (1,0), through MID */
	spk_router_group_path(&rt, gb, 1, 7);
	spk_router_group_path(&rt, gb, 1, 4);
	assert_int_equal(spk_router_group_mask(&rt, gb, MID), S | 1u << SPK_PORT_LOCAL);
	/* local input: ga (east, south); north input: gb (south, local) */
	put(&in, SPK_PORT_LOCAL, flit(1, ga, SPK_FLIT_HEAD | SPK_FLIT_TAIL | SPK_FLIT_MC));
	put(&in, SPK_PORT_NORTH, flit(2, gb, SPK_FLIT_HEAD | SPK_FLIT_TAIL | SPK_FLIT_MC));
	spk_router_eval(&rt, MID, 0, &in, &out);
	/* cycle 1: east and local go uncontended; south: round robin from local picks ga */
	spk_router_eval(&rt, MID, 1, NULL, &out);
	assert_int_equal(out.valid, E | S | 1u << SPK_PORT_LOCAL);
	assert_int_equal(out.flit[SPK_PORT_SOUTH].pkt, 1);
	assert_int_equal(out.flit[SPK_PORT_LOCAL].pkt, 2);
	assert_int_equal(out.credit, 1u << SPK_PORT_LOCAL);	/* ga done */
	assert_int_equal(out.stalls, 1);			/* gb still owes south */
	/* cycle 2: gb's south copy; it leaves */
	spk_router_eval(&rt, MID, 2, NULL, &out);
	assert_int_equal(out.valid, S);
	assert_int_equal(out.flit[SPK_PORT_SOUTH].pkt, 2);
	assert_int_equal(out.credit, 1u << SPK_PORT_NORTH);
	assert_int_equal(out.stalls, 0);
	assert_true(spk_router_empty(&rt, MID));
	spk_router_fini(&rt);
}

/* A small deterministic generator for the random states below. */
static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005u + 1442695040888963407u;
	return (uint32_t)(*s >> 33);
}

/*
 * spk_router_eval_one() against spk_router_eval() (no link inputs): random routers of a 4x4
 * mesh with one occupied input (unicast heads, body and tail flits of a worm, multicast heads of
 * random groups, some with copies already sent), random credits, owners, round-robin pointers
 * and ready cycles. Both must leave the same state and report the same flits, credit, stalls,
 * requests and next cycles; with no or several occupied inputs the fast path declines.
 */
static void test_eval_one_matches(void **state)
{
	uint64_t seed = 12345;
	unsigned fast = 0, mc = 0, granted = 0;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		const uint32_t B = 1 + rnd(&seed) % 4, P = 1 + rnd(&seed) % 3, n = 16;
		const uint64_t cycle = 100;
		struct spk_router a, b;
		uint32_t r = rnd(&seed) % n;
		unsigned p = rnd(&seed) % SPK_ROUTER_PORTS, k = 1 + rnd(&seed) % B;
		struct spk_router_node *nd;
		struct spk_router_one one;
		struct spk_router_out out;
		unsigned kind = rnd(&seed) % 4;
		size_t slots = (size_t)n * SPK_ROUTER_PORTS * B;

		assert_int_equal(spk_router_init(&a, 4, 4, B, P), 0);
		for (int g = 0; g < 4; g++) {
			uint16_t id;
			uint32_t src = rnd(&seed) % n;

			assert_int_equal(spk_router_add_group(&a, &id), 0);
			for (int m = 0; m < 3; m++)
				spk_router_group_path(&a, id, src, rnd(&seed) % n);
		}
		nd = &a.node[r];
		for (unsigned o = 0; o < SPK_ROUTER_PORTS; o++) {
			nd->credit_q[o] = (int32_t)(rnd(&seed) % (B + 1));
			nd->rr_q[o] = (uint8_t)(rnd(&seed) % SPK_ROUTER_PORTS);
			nd->owner_q[o] = rnd(&seed) % 3 == 0 ?
					 (uint8_t)((p + 1 + rnd(&seed) % 4) % SPK_ROUTER_PORTS) :
					 SPK_ROUTER_NONE;
		}
		if (rnd(&seed) % 4 == 0)
			nd->credit_inf = 1u << SPK_PORT_LOCAL;
		nd->head_q[p] = (uint16_t)(rnd(&seed) % B);
		for (unsigned i = 0; i < k; i++) {
			struct spk_flit f = flit(i, (uint16_t)(rnd(&seed) % n), 0);
			uint64_t ready = cycle - 2 + rnd(&seed) % 5;

			if (i == 0 && kind == 1) {
				/* a worm's body or tail flit at the head: its packet owns route_q[p] */
				unsigned o = rnd(&seed) % SPK_ROUTER_PORTS;

				nd->route_q[p] = (uint8_t)o;
				nd->owner_q[o] = (uint8_t)p;
				f.flags = rnd(&seed) % 2 ? SPK_FLIT_TAIL : 0;
			} else if (i == 0 && kind == 2) {
				/* a multicast head of a group whose tree passes here */
				uint16_t g = (uint16_t)(1 + rnd(&seed) % a.n_groups);
				unsigned mask = spk_router_group_mask(&a, g, r);

				if (mask == 0) {
					f.flags = SPK_FLIT_HEAD | SPK_FLIT_TAIL;
				} else {
					f = flit(i, g, SPK_FLIT_HEAD | SPK_FLIT_TAIL | SPK_FLIT_MC);
					mc++;
					/* copies already sent to some outputs */
					if (rnd(&seed) % 2 && (mask & (mask - 1)) != 0)
						nd->route_q[p] = (uint8_t)(SPK_ROUTER_MC_LEFT |
									   (mask & (mask - 1)));
				}
			} else {
				/* a unicast head (one flit, or the first of a worm), or a flit
				 * behind the head */
				f.flags = (uint8_t)((i == 0 ? SPK_FLIT_HEAD : 0) |
						    (rnd(&seed) % 2 ? SPK_FLIT_TAIL : 0));
			}
			spk_router_accept(&a, r, p, f, ready);
		}
		/* the same state in b */
		assert_int_equal(spk_router_init(&b, 4, 4, B, P), 0);
		for (uint32_t g = 0; g < a.n_groups; g++) {
			uint16_t id;

			assert_int_equal(spk_router_add_group(&b, &id), 0);
		}
		memcpy(b.mc_mask, a.mc_mask, (size_t)a.n_groups * n);
		memcpy(b.node, a.node, n * sizeof(*a.node));
		memcpy(b.slot, a.slot, slots * sizeof(*a.slot));
		b.buf_peak = a.buf_peak;

		assert_true(spk_router_eval_one(&a, r, cycle, &one));
		spk_router_eval(&b, r, cycle, NULL, &out);
		fast++;
		assert_memory_equal(&a.node[r], &b.node[r], sizeof(a.node[r]));
		assert_memory_equal(a.slot, b.slot, slots * sizeof(*a.slot));
		assert_int_equal(one.valid, out.valid);
		assert_int_equal(one.left ? 1u << one.in : 0u, out.credit);
		assert_int_equal(one.stalls, out.stalls);
		assert_int_equal(one.want, out.want);
		assert_int_equal(one.next, out.next);
		assert_int_equal(one.wake, out.wake);
		for (unsigned o = 0; o < SPK_ROUTER_PORTS; o++) {
			if (!(one.valid >> o & 1u))
				continue;
			granted++;
			assert_int_equal(one.flit.pkt, out.flit[o].pkt);
			assert_int_equal(one.flit.dst, out.flit[o].dst);
			assert_int_equal(one.flit.flags, out.flit[o].flags);
		}
		/* no occupied input, or a second one: declined, nothing changed */
		if (a.node[r].occ_q == 0) {
			assert_false(spk_router_eval_one(&a, r, cycle, &one));
		} else {
			unsigned q = (p + 1) % SPK_ROUTER_PORTS;

			spk_router_accept(&a, r, q, flit(99, 0, SPK_FLIT_HEAD | SPK_FLIT_TAIL), cycle);
			memcpy(b.node, a.node, n * sizeof(*a.node));
			assert_false(spk_router_eval_one(&a, r, cycle, &one));
			assert_memory_equal(a.node, b.node, n * sizeof(*a.node));
		}
		spk_router_fini(&a);
		spk_router_fini(&b);
	}
	/* the random states reached every case */
	assert_true(mc > 1000 && granted > 5000 && fast == 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xy_route),
		cmocka_unit_test(test_pipeline_and_credit),
		cmocka_unit_test(test_no_credit_stalls),
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_wormhole),
		cmocka_unit_test(test_parallel_outputs),
		cmocka_unit_test(test_group_tree),
		cmocka_unit_test(test_multicast_fork),
		cmocka_unit_test(test_multicast_contention),
		cmocka_unit_test(test_eval_one_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
