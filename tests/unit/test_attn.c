/*
 * test_attn.c — unit tests of the attention unit (sim/attn.c) against doc/architecture.md §7, §9
 * and doc/semantics.md §5: hand-computed cycles (KV additions at `lanes` per cycle, the barrier,
 * Q·KV per token, outputs and the marker through the output queue, releases), a one-entry
 * output queue stalling the emit exactly, idleness, and bit-exact outputs and attention-op
 * counts against a naive computation on random configurations (one or two ops, several heads,
 * several steps, spikes in random order), evaluated sparsely and densely with the same records.
 */
#include "config.h"

#include "sim/attn.h"
#include "test_core_harness.h"
#include "util/rng.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void attn_deliver(void *u, const struct spk_packet *p, uint64_t a)
{
	spk_attn_deliver(u, p, a);
}

static void attn_eval(void *u, uint64_t x, const struct spk_unit_port *port)
{
	spk_attn_eval(u, x, port);
}

static uint64_t attn_next(const void *u)
{
	return spk_attn_next_cycle(u);
}

static struct spk_packet pkt(int kind, uint32_t axon, uint8_t tag)
{
	return (struct spk_packet){ .src = 1, .dst = 2, .flits = 1, .kind = (uint8_t)kind,
				    .tag = tag, .axon = axon };
}

static struct spk_attn *make(const struct spk_attn_config *cfg)
{
	char err[256];
	struct spk_attn *a = spk_attn_create(cfg, err, sizeof(err));

	if (a == NULL)
		fail_msg("spk_attn_create: %s", err);
	return a;
}

/*
 * One op: C = 2, one head (d = 2), 1 x 2 tokens; Q, K, V populations 1, 2, 3 on routes 0, 1, 2
 * (axons 0, 10, 20 + c·2 + n); one ATTN route to tile 6 (axon base 100). lanes = 1.
 */
struct small {
	struct spk_attn_op op;
	struct spk_unit_in_route in[3];
	struct spk_unit_route route;
	struct spk_attn_config cfg;
};

static void small_init(struct small *s, uint32_t queue)
{
	memset(s, 0, sizeof(*s));
	s->op = (struct spk_attn_op){ .phase = 5, .q_pop = 1, .k_pop = 2, .v_pop = 3,
				      .channels = 2, .heads = 1, .height = 1, .width = 2 };
	for (uint32_t i = 0; i < 3; i++)
		s->in[i] = (struct spk_unit_in_route){ .kind = SPK_IN_SPIKE, .src_tile = 10 + i,
						       .src_route = 20 + i, .pop = 1 + i,
						       .axon_base = 10 * i, .c0 = 0, .channels = 2,
						       .y0 = 0, .rows = 1, .width = 2 };
	s->route = (struct spk_unit_route){ .source = 0, .dst_tile = 6, .dst_route = 0,
					    .axon_base = 100, .c0 = 0, .c1 = 2, .y0 = 0, .y1 = 1,
					    .pc0 = 0, .py0 = 0, .prows = 1 };
	s->cfg = (struct spk_attn_config){ .tile = 2, .lanes = 1, .input_fifo = 16,
					   .output_queue = queue, .flit_bits = 32,
					   .counter_bits = 16, .n_ops = 1, .ops = &s->op, .n_in = 3,
					   .in = s->in, .n_routes = 1, .routes = &s->route };
}

/* Spikes V(0,0) K(0,0) K(1,0)... as (pop, channel, token). */
static void push_small_step(struct harness *h, uint64_t at)
{
	static const uint32_t sp[][3] = {
		{ 3, 0, 0 }, { 2, 0, 0 }, { 2, 1, 0 }, { 3, 1, 0 }, { 1, 0, 0 }, { 1, 1, 1 },
	};
	struct spk_packet p;

	for (size_t i = 0; i < 6; i++) {
		p = pkt(SPK_PACKET_SPIKE, 10 * (sp[i][0] - 1) + sp[i][1] * 2 + sp[i][2], 0);
		h_push(h, &p, at);
	}
	for (uint32_t r = 0; r < 3; r++) {
		p = pkt(SPK_PACKET_TOKEN, r, 0);
		h_push(h, &p, at);
	}
}

struct want {
	uint64_t cycle;
	int kind;
	uint32_t dst, axon;
	int32_t value;
};

static void expect_sent(const struct harness *h, const struct want *w, size_t n)
{
	if (h->n_sent != n)
		fail_msg("%zu packets sent, expected %zu", h->n_sent, n);
	for (size_t i = 0; i < n; i++) {
		const struct h_rec *r = &h->sent[i];

		if (r->cycle != w[i].cycle || r->p.kind != w[i].kind || r->p.dst != w[i].dst ||
		    r->p.axon != w[i].axon || r->p.value != w[i].value)
			fail_msg("packet %zu: cycle %llu kind %d dst %u axon %u value %d, expected "
				 "cycle %llu kind %d dst %u axon %u value %d", i,
				 (unsigned long long)r->cycle, r->p.kind, r->p.dst, r->p.axon,
				 r->p.value, (unsigned long long)w[i].cycle, w[i].kind, w[i].dst,
				 w[i].axon, w[i].value);
	}
}

/*
 * Received: V(0,0) in 10 (nothing to pair: 1 cycle), K(0,0) in 11 (1 addition), K(1,0) in 12
 * (1), V(1,0) in 13–14 (2 additions at 1 lane), Q(0,0) in 15, Q(1,1) in 16, the tokens in
 * 17–19. KV is all ones. The barrier computation starts in 20: token 0 (one Q spike: d = 2
 * additions, 20–21), its outputs O[0][0] = O[0][1] = 1 pushed in 22 and 23 (one lane), token 1
 * in 24–25, outputs in 26 and 27, the marker in 28 with the releases; sent one cycle after
 * each push, the releases before the token.
 */
static void test_cycles(void **state)
{
	(void)state;
	for (int dense = 0; dense < 2; dense++) {
		struct small s;
		struct spk_attn *a;
		struct harness h;
		struct spk_attn_stats st;

		small_init(&s, 8);
		a = make(&s.cfg);
		assert_int_equal(spk_attn_next_cycle(a), UINT64_MAX);
		h_init(&h, a, 16, attn_deliver, attn_eval, attn_next);
		h.dense = dense;
		push_small_step(&h, 10);
		h_settle(&h, 1000);
		static const struct want w[] = {
			{ 23, SPK_PACKET_GRADED, 6, 100, 1 },	/* O[0][0]: channel 0, x 0 */
			{ 24, SPK_PACKET_GRADED, 6, 102, 1 },	/* O[0][1] */
			{ 27, SPK_PACKET_GRADED, 6, 101, 1 },	/* O[1][0] */
			{ 28, SPK_PACKET_GRADED, 6, 103, 1 },	/* O[1][1] */
			{ 29, SPK_PACKET_RELEASE, 10, 20, 0 },
			{ 30, SPK_PACKET_RELEASE, 11, 21, 0 },
			{ 31, SPK_PACKET_RELEASE, 12, 22, 0 },
			{ 32, SPK_PACKET_TOKEN, 6, 0, 0 },
		};
		expect_sent(&h, w, 8);
		assert_int_equal(h.sent[0].p.flits, 2);
		spk_attn_get_stats(a, &st);
		assert_int_equal(st.ev.attention_ops, 4 + 4);	/* KV pairs + 2 Q spikes x d */
		assert_int_equal(st.ev.packets_out, 8);
		assert_int_equal(st.compute_cycles, 4);
		assert_int_equal(st.outputs, 4);
		assert_int_equal(st.receive_busy, 10);
		assert_int_equal(st.emit_stalls, 0);
		assert_int_equal(spk_attn_op_steps(a, 0), 1);
		assert_true(spk_attn_quiet(a));
		assert_int_equal(spk_attn_next_cycle(a), UINT64_MAX);
		if (!dense)	/* 10–13, 15–20 (14: V(1,0)'s second cycle), 22–24, 26–32 */
			assert_int_equal(h.evals, 4 + 6 + 3 + 7);
		h_fini(&h);
		spk_attn_destroy(a);
	}
}

/*
 * The same step with an output queue of one entry: a push in cycle x leaves the queue full at
 * the start of x + 1 (the send engine frees it only during that cycle), so every other emit
 * cycle stalls, and the marker waits for room too.
 */
static void test_queue_backpressure(void **state)
{
	(void)state;
	for (int dense = 0; dense < 2; dense++) {
		struct small s;
		struct spk_attn *a;
		struct harness h;
		struct spk_attn_stats st;

		small_init(&s, 1);
		a = make(&s.cfg);
		h_init(&h, a, 16, attn_deliver, attn_eval, attn_next);
		h.dense = dense;
		push_small_step(&h, 10);
		h_settle(&h, 1000);
		static const struct want w[] = {
			{ 23, SPK_PACKET_GRADED, 6, 100, 1 },
			{ 25, SPK_PACKET_GRADED, 6, 102, 1 },
			{ 28, SPK_PACKET_GRADED, 6, 101, 1 },
			{ 30, SPK_PACKET_GRADED, 6, 103, 1 },
			{ 32, SPK_PACKET_RELEASE, 10, 20, 0 },
			{ 33, SPK_PACKET_RELEASE, 11, 21, 0 },
			{ 34, SPK_PACKET_RELEASE, 12, 22, 0 },
			{ 35, SPK_PACKET_TOKEN, 6, 0, 0 },
		};
		expect_sent(&h, w, 8);
		spk_attn_get_stats(a, &st);
		assert_int_equal(st.emit_stalls, 3);		/* 23, 28, 30 */
		assert_int_equal(st.queue_peak, 1);
		h_fini(&h);
		spk_attn_destroy(a);
	}
}

/* The next step waits for the ATTN route's release of the previous one. */
static void test_release_gates(void **state)
{
	struct small s;
	struct spk_attn *a;
	struct harness h;
	struct spk_packet p;

	(void)state;
	small_init(&s, 8);
	a = make(&s.cfg);
	h_init(&h, a, 16, attn_deliver, attn_eval, attn_next);
	for (uint32_t r = 0; r < 3; r++) {	/* an empty step: only the marker */
		p = pkt(SPK_PACKET_TOKEN, r, 0);
		h_push(&h, &p, 0);
	}
	h_settle(&h, 100);
	assert_int_equal(spk_attn_op_steps(a, 0), 1);
	assert_int_equal(h.n_sent, 4);		/* marker pushed in 3: releases 4–6, token 7 */
	assert_int_equal(h.sent[3].cycle, 7);
	for (uint32_t r = 0; r < 3; r++) {
		p = pkt(SPK_PACKET_TOKEN, r, 1);
		h_push(&h, &p, 20);
	}
	h_settle(&h, 100);
	assert_int_equal(spk_attn_op_steps(a, 0), 1);
	assert_int_equal(spk_attn_next_cycle(a), UINT64_MAX);
	p = pkt(SPK_PACKET_RELEASE, 0, 0);
	h_push(&h, &p, 40);
	h_settle(&h, 100);
	assert_int_equal(spk_attn_op_steps(a, 0), 2);
	assert_int_equal(h.sent[h.n_sent - 1].cycle, 45);	/* start 41, releases 42–44 */
	h_fini(&h);
	spk_attn_destroy(a);
}

static void test_bad_config(void **state)
{
	struct small s;
	char err[256];

	(void)state;
	small_init(&s, 8);
	s.route.y1 = 0;
	assert_null(spk_attn_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "route 0: block outside"));
	small_init(&s, 8);
	s.route.c1 = 1;
	assert_null(spk_attn_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "output channel 1 row 0 has no route"));
	small_init(&s, 8);
	s.in[1].pop = 9;
	assert_null(spk_attn_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "no op here reads population 9"));
	small_init(&s, 8);
	s.op.heads = 3;
	assert_null(spk_attn_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "op 0: bad shape"));
	small_init(&s, 8);
	s.in[2].axon_base = 11;
	assert_null(spk_attn_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "overlapping axon ranges"));
}

/* ---- random configurations against doc/semantics.md §5 ----------------------------------------- */

#define STEPS 3

struct rop {
	uint32_t C, heads, d, H, W, N;
	uint8_t *q, *k, *v;		/* [STEPS][C·N], index c·N + n (population neuron order) */
	uint32_t in0;			/* first in-route (Q, K, V, each 1 or 2 routes) */
	uint32_t n_in[3];
	uint32_t route0, n_routes;
	uint32_t split_c;		/* output routes: channels [0, split_c) and [split_c, C) */
};

struct scenario {
	struct spk_rng rng;
	uint32_t n_ops;
	struct rop op[2];
	struct spk_attn_op ops[2];
	struct spk_unit_in_route in[12];
	struct spk_unit_route routes[4];
	struct spk_attn_config cfg;
	uint32_t delay;
};

static uint32_t rnd(struct scenario *sc, uint32_t n)
{
	return spk_rng_below(&sc->rng, n);
}

static void scenario_init(struct scenario *sc, uint64_t seed)
{
	uint32_t n_in = 0, n_routes = 0, axon = 0;

	memset(sc, 0, sizeof(*sc));
	spk_rng_seed(&sc->rng, seed);
	sc->n_ops = rnd(sc, 2) + 1;
	for (uint32_t i = 0; i < sc->n_ops; i++) {
		struct rop *o = &sc->op[i];
		size_t n;

		o->heads = rnd(sc, 3) + 1;
		o->d = rnd(sc, 4) + 1;
		o->C = o->heads * o->d;
		o->H = rnd(sc, 3) + 1;
		o->W = rnd(sc, 3) + 1;
		o->N = o->H * o->W;
		n = (size_t)STEPS * o->C * o->N;
		o->q = malloc(n);
		o->k = malloc(n);
		o->v = malloc(n);
		for (size_t j = 0; j < n; j++) {
			o->q[j] = rnd(sc, 100) < 40;
			o->k[j] = rnd(sc, 100) < 40;
			o->v[j] = rnd(sc, 100) < 40;
		}
		/* phases out of op order on purpose: op 1 goes first when both are ready */
		sc->ops[i] = (struct spk_attn_op){ .phase = 10 - 3 * i, .q_pop = 10 * i + 1,
						   .k_pop = 10 * i + 2, .v_pop = 10 * i + 3,
						   .channels = o->C, .heads = o->heads,
						   .height = o->H, .width = o->W };
		o->in0 = n_in;
		for (uint32_t role = 0; role < 3; role++) {
			/* one route, or two splitting the rows */
			uint32_t parts = o->H > 1 && rnd(sc, 2) ? 2 : 1;
			uint32_t split = parts == 2 ? rnd(sc, o->H - 1) + 1 : o->H;

			o->n_in[role] = parts;
			for (uint32_t p = 0; p < parts; p++) {
				uint32_t y0 = p == 0 ? 0 : split, y1 = p == 0 ? split : o->H;

				axon += rnd(sc, 5);
				sc->in[n_in] = (struct spk_unit_in_route){
					.kind = SPK_IN_SPIKE, .src_tile = 30 + n_in,
					.src_route = 40 + n_in, .pop = 10 * i + 1 + role,
					.axon_base = axon, .c0 = 0, .channels = o->C, .y0 = y0,
					.rows = y1 - y0, .width = o->W };
				axon += o->C * (y1 - y0) * o->W;
				n_in++;
			}
		}
		o->route0 = n_routes;
		o->split_c = o->C > 1 && rnd(sc, 2) ? rnd(sc, o->C - 1) + 1 : o->C;
		o->n_routes = o->split_c < o->C ? 2 : 1;
		for (uint32_t r = 0; r < o->n_routes; r++) {
			uint32_t c0 = r == 0 ? 0 : o->split_c, c1 = r == 0 ? o->split_c : o->C;

			/* the destination piece is one row larger than the block on top */
			sc->routes[n_routes] = (struct spk_unit_route){
				.source = i, .dst_tile = 50 + n_routes, .dst_route = n_routes,
				.axon_base = 1000 * (n_routes + 1), .c0 = c0, .c1 = c1, .y0 = 0,
				.y1 = o->H, .pc0 = c0, .py0 = 0, .prows = o->H + 1 };
			n_routes++;
		}
	}
	sc->delay = rnd(sc, 5);
	sc->cfg = (struct spk_attn_config){
		.tile = 2, .lanes = rnd(sc, 6) + 1, .input_fifo = rnd(sc, 4) + 2,
		.output_queue = rnd(sc, 4) + 1, .flit_bits = 32, .counter_bits = 16,
		.n_ops = sc->n_ops, .ops = sc->ops, .n_in = n_in, .in = sc->in,
		.n_routes = n_routes, .routes = sc->routes };
}

static void scenario_fini(struct scenario *sc)
{
	for (uint32_t i = 0; i < sc->n_ops; i++) {
		free(sc->op[i].q);
		free(sc->op[i].k);
		free(sc->op[i].v);
	}
}

/* The step's spikes of every op (random order, tokens after each route's spikes). */
static void push_step(struct scenario *sc, struct harness *h, uint32_t s)
{
	struct spk_packet buf[4096];
	size_t n = 0, nt = 0;
	struct spk_packet tok[12];

	for (uint32_t i = 0; i < sc->n_ops; i++) {
		const struct rop *o = &sc->op[i];
		uint32_t r = o->in0;

		for (uint32_t role = 0; role < 3; role++) {
			const uint8_t *bits = (role == 0 ? o->q : role == 1 ? o->k : o->v) +
					      (size_t)s * o->C * o->N;

			for (uint32_t p = 0; p < o->n_in[role]; p++, r++) {
				const struct spk_unit_in_route *ir = &sc->in[r];

				for (uint32_t c = 0; c < o->C; c++)
					for (uint32_t y = ir->y0; y < ir->y0 + ir->rows; y++)
						for (uint32_t x = 0; x < o->W; x++)
							if (bits[c * o->N + y * o->W + x])
								buf[n++] = pkt(SPK_PACKET_SPIKE,
									ir->axon_base +
									(c * ir->rows + y - ir->y0) *
									o->W + x, s & 1);
				tok[nt++] = pkt(SPK_PACKET_TOKEN, r, s & 1);
			}
		}
	}
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd(sc, (uint32_t)i);
		struct spk_packet t = buf[i - 1];

		buf[i - 1] = buf[j];
		buf[j] = t;
	}
	uint64_t at = h->now + rnd(sc, 3);

	for (size_t i = 0; i < n; i++)
		h_push(h, &buf[i], at + i / 4);
	for (size_t i = 0; i < nt; i++)
		h_push(h, &tok[i], at + n / 4);
}

/* Checks the graded events of step s (sent[from..to)) against Q (KᵀV), op by op. */
static void check_step(struct scenario *sc, const struct harness *h, size_t from, size_t to,
		       uint32_t s, uint64_t *ops_count)
{
	for (uint32_t i = 0; i < sc->n_ops; i++) {
		const struct rop *o = &sc->op[i];
		const size_t at = (size_t)s * o->C * o->N;
		int64_t *kv = calloc((size_t)o->C * o->d, sizeof(*kv));
		int64_t *want = calloc((size_t)o->C * o->N, sizeof(*want));
		int64_t *got = calloc((size_t)o->C * o->N, sizeof(*got));

		for (uint32_t hh = 0; hh < o->heads; hh++)
			for (uint32_t ii = 0; ii < o->d; ii++)
				for (uint32_t jj = 0; jj < o->d; jj++)
					for (uint32_t n = 0; n < o->N; n++)
						if (o->k[at + (hh * o->d + ii) * o->N + n] &&
						    o->v[at + (hh * o->d + jj) * o->N + n]) {
							kv[(hh * o->d + ii) * o->d + jj]++;
							(*ops_count)++;
						}
		for (uint32_t n = 0; n < o->N; n++)
			for (uint32_t c = 0; c < o->C; c++) {
				uint32_t h0 = c / o->d * o->d;

				if (!o->q[at + c * o->N + n])
					continue;
				*ops_count += o->d;
				for (uint32_t jj = 0; jj < o->d; jj++)
					want[(h0 + jj) * o->N + n] += kv[(size_t)c * o->d + jj];
			}
		for (size_t k = from; k < to; k++) {
			const struct spk_packet *p = &h->sent[k].p;
			uint32_t r;

			if (p->kind != SPK_PACKET_GRADED)
				continue;
			for (r = o->route0; r < o->route0 + o->n_routes; r++)
				if (sc->routes[r].dst_tile == p->dst)
					break;
			if (r == o->route0 + o->n_routes)
				continue;	/* another op's */
			const struct spk_unit_route *rt = &sc->routes[r];
			uint32_t e = p->axon - rt->axon_base, plane = rt->prows * o->W;
			uint32_t c = rt->pc0 + e / plane, y = e % plane / o->W, x = e % o->W;

			assert_true(c < rt->c1 && y < o->H);
			assert_int_equal(got[c * o->N + y * o->W + x], 0);	/* once */
			assert_int_not_equal(p->value, 0);
			got[c * o->N + y * o->W + x] = p->value;
		}
		assert_memory_equal(got, want, (size_t)o->C * o->N * sizeof(*got));
		free(kv);
		free(want);
		free(got);
	}
}

static void test_random_vs_naive(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 120; seed++) {
		struct harness h[2];

		for (int dense = 0; dense < 2; dense++) {
			struct scenario sc;
			struct spk_attn *a;
			struct spk_attn_stats st;
			uint64_t ops = 0;

			scenario_init(&sc, seed);
			a = make(&sc.cfg);
			h_init(&h[dense], a, sc.cfg.input_fifo, attn_deliver, attn_eval,
			       attn_next);
			h[dense].dense = dense;
			h[dense].auto_release = true;
			h[dense].release_delay = sc.delay;
			for (uint32_t s = 0; s < STEPS; s++) {
				size_t from = h[dense].n_sent;

				push_step(&sc, &h[dense], s);
				h_settle(&h[dense], 100000);
				for (uint32_t i = 0; i < sc.n_ops; i++)
					assert_int_equal(spk_attn_op_steps(a, i), s + 1);
				check_step(&sc, &h[dense], from, h[dense].n_sent, s, &ops);
			}
			spk_attn_get_stats(a, &st);
			assert_int_equal(st.ev.attention_ops, ops);
			assert_int_equal(st.ev.packets_out, h[dense].n_sent);
			assert_int_equal(st.counter_overflows, 0);
			assert_int_equal(st.steps, STEPS * sc.n_ops);
			assert_true(spk_attn_quiet(a));
			spk_attn_destroy(a);
			scenario_fini(&sc);
		}
		assert_int_equal(h[0].n_sent, h[1].n_sent);
		for (size_t i = 0; i < h[0].n_sent; i++) {
			assert_int_equal(h[0].sent[i].cycle, h[1].sent[i].cycle);
			assert_int_equal(h[0].sent[i].p.axon, h[1].sent[i].p.axon);
			assert_int_equal(h[0].sent[i].p.value, h[1].sent[i].p.value);
			assert_int_equal(h[0].sent[i].p.kind, h[1].sent[i].p.kind);
		}
		assert_true(h[0].evals <= h[1].evals);
		h_fini(&h[0]);
		h_fini(&h[1]);
	}
}

/* A counter beyond counter_bits is counted, the result stays exact. */
static void test_counter_overflow(void **state)
{
	struct small s;
	struct spk_attn *a;
	struct harness h;
	struct spk_attn_stats st;

	(void)state;
	small_init(&s, 8);
	s.cfg.counter_bits = 2;		/* counts up to 3 */
	a = make(&s.cfg);
	h_init(&h, a, 16, attn_deliver, attn_eval, attn_next);
	push_small_step(&h, 0);
	h_settle(&h, 1000);
	spk_attn_get_stats(a, &st);
	assert_int_equal(st.counter_overflows, 0);	/* all counts are 1 */
	h_fini(&h);
	spk_attn_destroy(a);
}

/*
 * The attention LIF: the unit's outputs go, as on the chip, into the piece of a synapse core
 * whose reader has θ = 4 (0.5 at the site's scale 1/8, doc/semantics.md §5); the core's spikes
 * equal LIF(Q·(KᵀV)) with 2θ = 8, over three steps of one image. The two benches are chained
 * by hand: the unit's packets are delivered to the core, the core's release back to the unit.
 */
static void core_deliver(void *u, const struct spk_packet *p, uint64_t a)
{
	spk_core_deliver(u, p, a);
}

static void core_eval(void *u, uint64_t x, const struct spk_unit_port *port)
{
	spk_core_eval(u, x, port);
}

static uint64_t core_next(const void *u)
{
	return spk_core_next_cycle(u);
}

static void test_attention_lif(void **state)
{
	enum { C = 4, HEADS = 2, D = 2, H = 4, W = 4, N = H * W, T = 3 };
	static const int64_t theta[C] = { 4, 4, 4, 4 };
	struct spk_attn_op op = { .phase = 4, .q_pop = 1, .k_pop = 2, .v_pop = 3, .channels = C,
				  .heads = HEADS, .height = H, .width = W };
	struct spk_unit_in_route ain[3];
	struct spk_unit_route aroute = { .source = 0, .dst_tile = 3, .dst_route = 0,
					 .axon_base = 40, .c0 = 0, .c1 = C, .y0 = 0, .y1 = H,
					 .pc0 = 0, .py0 = 0, .prows = H };
	struct spk_attn_config acfg = { .tile = 2, .lanes = 3, .input_fifo = 8,
					.output_queue = 4, .flit_bits = 32, .counter_bits = 16,
					.n_ops = 1, .ops = &op, .n_in = 3, .in = ain, .n_routes = 1,
					.routes = &aroute };
	struct spk_core_piece piece = { .c0 = 0, .channels = C, .y0 = 0, .rows = H, .height = H,
					.width = W, .acc_axon = 40, .enc_axon = UINT32_MAX };
	struct spk_core_reader reader = { .piece = 0, .phase = 5, .pop = 77, .theta = theta };
	struct spk_unit_in_route cin = { .kind = SPK_IN_ATTN, .src_tile = 2, .src_route = 0,
					 .piece = 0, .phase = 4 };
	struct spk_core_config ccfg = { .tile = 3, .time_steps = T, .adders = 4,
					.neuron_updates = 4, .input_fifo = 6, .output_queue = 8,
					.flit_bits = 32, .membrane_bits = 16, .n_pieces = 1,
					.pieces = &piece, .n_readers = 1, .readers = &reader,
					.n_in = 1, .in = &cin };
	struct spk_rng rng;
	struct spk_attn *a;
	struct spk_core *c;
	struct harness ha, hc;
	int64_t v[C * N] = { 0 };
	uint32_t want[T * C * N], n_want = 0;
	char err[256];

	(void)state;
	for (uint32_t i = 0; i < 3; i++)
		ain[i] = (struct spk_unit_in_route){ .kind = SPK_IN_SPIKE, .src_tile = 10 + i,
						     .src_route = i, .pop = 1 + i,
						     .axon_base = 100 * i, .channels = C, .rows = H,
						     .width = W };
	a = make(&acfg);
	c = spk_core_create(&ccfg, err, sizeof(err));
	assert_non_null(c);
	h_init(&ha, a, 8, attn_deliver, attn_eval, attn_next);
	h_init(&hc, c, 6, core_deliver, core_eval, core_next);
	spk_rng_seed(&rng, 7);
	for (uint32_t s = 0; s < T; s++) {
		uint8_t q[C * N], k[C * N], vv[C * N];
		int64_t kv[C * D] = { 0 }, o[C * N] = { 0 };
		size_t from = ha.n_sent;
		struct spk_packet p;

		for (uint32_t i = 0; i < C * N; i++) {
			q[i] = spk_rng_below(&rng, 100) < 60;
			k[i] = spk_rng_below(&rng, 100) < 60;
			vv[i] = spk_rng_below(&rng, 100) < 60;
		}
		for (uint32_t i = 0; i < C * N; i++) {	/* neuron id c·N + n is the axon offset */
			if (k[i]) {
				p = pkt(SPK_PACKET_SPIKE, 100 + i, s & 1);
				h_push(&ha, &p, ha.now);
			}
			if (vv[i]) {
				p = pkt(SPK_PACKET_SPIKE, 200 + i, s & 1);
				h_push(&ha, &p, ha.now);
			}
			if (q[i]) {
				p = pkt(SPK_PACKET_SPIKE, i, s & 1);
				h_push(&ha, &p, ha.now);
			}
		}
		for (uint32_t r = 0; r < 3; r++) {
			p = pkt(SPK_PACKET_TOKEN, r, s & 1);
			h_push(&ha, &p, ha.now);
		}
		h_settle(&ha, 10000);
		/* the unit's graded outputs and token, into the core */
		for (size_t i = from; i < ha.n_sent; i++)
			if (ha.sent[i].p.dst == 3)
				h_push(&hc, &ha.sent[i].p, hc.now);
		h_settle(&hc, 10000);
		assert_int_equal(spk_core_reader_steps(c, 0), s + 1);
		/* the core's release, back to the unit */
		assert_true(hc.n_sent > 0 && hc.sent[hc.n_sent - 1].p.kind == SPK_PACKET_RELEASE);
		h_push(&ha, &hc.sent[hc.n_sent - 1].p, ha.now);
		h_settle(&ha, 100);
		/* naive: O = Q (KᵀV) per head, then the LIF with 2θ = 8 */
		for (uint32_t hh = 0; hh < HEADS; hh++)
			for (uint32_t i = 0; i < D; i++)
				for (uint32_t j = 0; j < D; j++)
					for (uint32_t n = 0; n < N; n++)
						kv[(hh * D + i) * D + j] +=
							k[(hh * D + i) * N + n] & vv[(hh * D + j) * N + n];
		for (uint32_t n = 0; n < N; n++)
			for (uint32_t cq = 0; cq < C; cq++)
				if (q[cq * N + n])
					for (uint32_t j = 0; j < D; j++)
						o[(cq / D * D + j) * N + n] += kv[cq * D + j];
		for (uint32_t i = 0; i < C * N; i++) {
			int64_t x = (s == 0 ? 0 : v[i]) + o[i];

			if (x >= 8) {
				v[i] = 0;
				want[n_want++] = s << 16 | i;
			} else {
				v[i] = x >= 0 ? x / 2 : -((-x + 1) / 2);
			}
		}
	}
	assert_true(n_want > 0);
	assert_int_equal(hc.n_spikes, n_want);
	for (size_t i = 0; i < n_want; i++) {	/* the core fires in element order: c, y, x */
		assert_int_equal(hc.spikes[i].pop, 77);
		assert_int_equal(hc.spikes[i].step << 16 | hc.spikes[i].neuron, want[i]);
	}
	h_fini(&ha);
	h_fini(&hc);
	spk_attn_destroy(a);
	spk_core_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_queue_backpressure),
		cmocka_unit_test(test_release_gates),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_random_vs_naive),
		cmocka_unit_test(test_counter_overflow),
		cmocka_unit_test(test_attention_lif),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
