/*
 * test_encoder.c — unit tests of the encoder (sim/encoder.c) against doc/architecture.md §8, §9
 * and doc/semantics.md §4: hand-computed cycles (one element per cycle at macs = K; several per
 * cycle; the marker after the last element; the next image waiting for the routes' releases),
 * a one-entry output queue holding the MAC array, idleness, MAC counts, and bit-exact outputs
 * against a direct computation of the requantized conv on random configurations.
 */
#include "config.h"

#include "sim/encoder.h"
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

static void enc_deliver(void *u, const struct spk_packet *p, uint64_t a)
{
	spk_encoder_deliver(u, p, a);
}

static void enc_eval(void *u, uint64_t x, const struct spk_unit_port *port)
{
	spk_encoder_eval(u, x, port);
}

static uint64_t enc_next(const void *u)
{
	return spk_encoder_next_cycle(u);
}

static struct spk_encoder *make(const struct spk_encoder_config *cfg)
{
	char err[256];
	struct spk_encoder *e = spk_encoder_create(cfg, err, sizeof(err));

	if (e == NULL)
		fail_msg("spk_encoder_create: %s", err);
	return e;
}

/*
 * A 1x1 conv of a 1-channel 2x2 image into 2 channels, weights 1 and 2, multiplier 1.0, no
 * bias: E = pixel x weight. One route covers everything (tile 4, axon 200 + element).
 */
struct small {
	int16_t w[2];
	int32_t zero[1];
	int64_t mult[2], bias[2];
	struct spk_unit_route route;
	struct spk_encoder_config cfg;
};

static void small_init(struct small *s, uint32_t macs, uint32_t queue)
{
	memset(s, 0, sizeof(*s));
	s->w[0] = 1;
	s->w[1] = 2;
	s->mult[0] = s->mult[1] = INT64_C(1) << 24;
	s->route = (struct spk_unit_route){ .source = 0, .dst_tile = 4, .dst_route = 0,
					    .axon_base = 200, .c0 = 0, .c1 = 2, .y0 = 0, .y1 = 2,
					    .pc0 = 0, .py0 = 0, .prows = 2 };
	s->cfg = (struct spk_encoder_config){
		.tile = 1, .macs = macs, .input_fifo = 4, .output_queue = queue, .flit_bits = 32,
		.c_in = 1, .h_in = 2, .w_in = 2, .kernel = 1, .stride = 1, .pad = 0, .h_out = 2,
		.w_out = 2, .c0 = 0, .channels = 2, .w = s->w, .zero = s->zero, .mult = s->mult,
		.bias = s->bias, .n_routes = 1, .routes = &s->route };
}

static const uint8_t px[4] = { 0, 3, 5, 0 };	/* E: channel 0 {0 3 5 0}, channel 1 {0 6 10 0} */

struct want {
	uint64_t cycle;
	int kind;
	uint32_t axon;
	int32_t value;
	uint8_t tag;
};

static void expect_sent(const struct harness *h, size_t from, const struct want *w, size_t n)
{
	if (h->n_sent != from + n)
		fail_msg("%zu packets sent, expected %zu", h->n_sent, from + n);
	for (size_t i = 0; i < n; i++) {
		const struct h_rec *r = &h->sent[from + i];

		if (r->cycle != w[i].cycle || r->p.kind != w[i].kind || r->p.axon != w[i].axon ||
		    r->p.value != w[i].value || r->p.tag != w[i].tag || r->p.dst != 4)
			fail_msg("packet %zu: cycle %llu kind %d axon %u value %d tag %u, expected "
				 "cycle %llu kind %d axon %u value %d tag %u", i,
				 (unsigned long long)r->cycle, r->p.kind, r->p.axon, r->p.value,
				 r->p.tag, (unsigned long long)w[i].cycle, w[i].kind, w[i].axon,
				 w[i].value, w[i].tag);
	}
}

/*
 * macs = K = 1: element e completes in cycle 5 + e; the non-zero ones (1, 2, 5, 6) are pushed
 * then and sent the cycle after; the marker completes with element 7 (cycle 12), the token
 * goes in 13. The second image, in from cycle 6, waits for the release of the first (token in
 * 13, release back in 15, counted from 16) and then, at macs = 1, takes the same 8 cycles.
 */
static void test_cycles(void **state)
{
	(void)state;
	for (int dense = 0; dense < 2; dense++) {
		struct small s;
		struct spk_encoder *e;
		struct harness h;
		struct spk_encoder_stats st;

		small_init(&s, 1, 8);
		e = make(&s.cfg);
		assert_int_equal(spk_encoder_next_cycle(e), UINT64_MAX);
		h_init(&h, e, 4, enc_deliver, enc_eval, enc_next);
		h.dense = dense;
		h.auto_release = true;
		h.release_delay = 2;
		assert_true(spk_encoder_can_take_image(e));
		assert_int_equal(spk_encoder_image_in(e, px, 5), 0);
		assert_false(spk_encoder_can_take_image(e));
		assert_int_equal(spk_encoder_image_in(e, px, 5), -EAGAIN);
		assert_int_equal(spk_encoder_next_cycle(e), 5);
		h.now = 5;
		h_run(&h, 6);		/* started in 5: the port is free again */
		assert_true(spk_encoder_can_take_image(e));
		assert_int_equal(spk_encoder_image_in(e, px, 6), 0);
		h_settle(&h, 1000);
		static const struct want w[] = {
			{ 7, SPK_PACKET_GRADED, 201, 3, 0 },
			{ 8, SPK_PACKET_GRADED, 202, 5, 0 },
			{ 11, SPK_PACKET_GRADED, 205, 6, 0 },
			{ 12, SPK_PACKET_GRADED, 206, 10, 0 },
			{ 13, SPK_PACKET_TOKEN, 0, 0, 0 },
			{ 18, SPK_PACKET_GRADED, 201, 3, 1 },
			{ 19, SPK_PACKET_GRADED, 202, 5, 1 },
			{ 22, SPK_PACKET_GRADED, 205, 6, 1 },
			{ 23, SPK_PACKET_GRADED, 206, 10, 1 },
			{ 24, SPK_PACKET_TOKEN, 0, 0, 1 },
		};
		expect_sent(&h, 0, w, 10);
		assert_int_equal(h.sent[0].p.flits, 2);
		spk_encoder_get_stats(e, &st);
		assert_int_equal(st.ev.encoder_macs, 16);
		assert_int_equal(st.ev.packets_out, 10);
		assert_int_equal(st.images, 2);
		assert_int_equal(st.outputs, 8);
		assert_int_equal(st.compute_cycles, 16);
		assert_int_equal(st.stall_cycles, 0);
		assert_int_equal(st.packets_in, 2);	/* the two releases */
		assert_true(spk_encoder_quiet(e));
		assert_int_equal(spk_encoder_next_cycle(e), UINT64_MAX);
		if (!dense)	/* 5–8, 10–13, 15–19, 21–24, 26: no evaluation for zero outputs */
			assert_int_equal(h.evals, 4 + 4 + 5 + 4 + 1);
		h_fini(&h);
		spk_encoder_destroy(e);
	}
}

/* macs = 3: elements 0–2 complete in the start cycle, 3–5 in the next, 6–7 and the marker in
 * the third; the queue takes them as they come. */
static void test_cycles_wide(void **state)
{
	struct small s;
	struct spk_encoder *e;
	struct harness h;
	struct spk_encoder_stats st;

	(void)state;
	small_init(&s, 3, 8);
	e = make(&s.cfg);
	h_init(&h, e, 4, enc_deliver, enc_eval, enc_next);
	assert_int_equal(spk_encoder_image_in(e, px, 0), 0);
	h_settle(&h, 1000);
	static const struct want w[] = {
		{ 1, SPK_PACKET_GRADED, 201, 3, 0 },	/* pushed in 0 with element 2 */
		{ 2, SPK_PACKET_GRADED, 202, 5, 0 },
		{ 3, SPK_PACKET_GRADED, 205, 6, 0 },	/* pushed in 1 */
		{ 4, SPK_PACKET_GRADED, 206, 10, 0 },	/* pushed in 2 with the marker */
		{ 5, SPK_PACKET_TOKEN, 0, 0, 0 },
	};
	expect_sent(&h, 0, w, 5);
	spk_encoder_get_stats(e, &st);
	assert_int_equal(st.ev.encoder_macs, 8);
	assert_int_equal(st.compute_cycles, 3);
	assert_int_equal(st.queue_peak, 3);	/* after cycle 2: 202 left, 206 and the marker */
	h_fini(&h);
	spk_encoder_destroy(e);
}

/*
 * macs = 8: every element completes in the start cycle 5, but the queue holds one entry: one
 * item goes in 5; a cycle that starts with the queue full (6, 8, 10, 12) pushes nothing, the
 * ones in between push the next; the MAC array holds from 6 to 13.
 */
static void test_queue_backpressure(void **state)
{
	(void)state;
	for (int dense = 0; dense < 2; dense++) {
		struct small s;
		struct spk_encoder *e;
		struct harness h;
		struct spk_encoder_stats st;

		small_init(&s, 8, 1);
		e = make(&s.cfg);
		h_init(&h, e, 4, enc_deliver, enc_eval, enc_next);
		h.dense = dense;
		assert_int_equal(spk_encoder_image_in(e, px, 5), 0);
		h_settle(&h, 1000);
		static const struct want w[] = {
			{ 6, SPK_PACKET_GRADED, 201, 3, 0 },
			{ 8, SPK_PACKET_GRADED, 202, 5, 0 },
			{ 10, SPK_PACKET_GRADED, 205, 6, 0 },
			{ 12, SPK_PACKET_GRADED, 206, 10, 0 },
			{ 14, SPK_PACKET_TOKEN, 0, 0, 0 },
		};
		expect_sent(&h, 0, w, 5);
		spk_encoder_get_stats(e, &st);
		assert_int_equal(st.stall_cycles, 8);
		assert_int_equal(st.compute_cycles, 1);
		h_fini(&h);
		spk_encoder_destroy(e);
	}
}

static void test_bad_config(void **state)
{
	struct small s;
	char err[256];

	(void)state;
	small_init(&s, 1, 8);
	s.route.y1 = 1;
	s.route.prows = 1;
	assert_null(spk_encoder_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "channel 0 row 1 has no route"));
	small_init(&s, 1, 8);
	s.route.c1 = 3;
	assert_null(spk_encoder_create(&s.cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "route 0: block outside"));
	small_init(&s, 0, 8);
	assert_null(spk_encoder_create(&s.cfg, err, sizeof(err)));
}

/* ---- random configurations against doc/semantics.md §4 ----------------------------------------- */

struct scenario {
	struct spk_rng rng;
	uint32_t c_in, h_in, w_in, k, stride, pad, h_out, w_out, C, c0, g;
	int16_t *w;		/* [g][c_in][k][k]: the model's layout, for the naive computation */
	int16_t *wl;		/* [c_in][k][k][g]: the encoder's */
	int32_t zero[3];
	int64_t *mult, *bias;
	uint8_t *px;		/* [2][c_in·h_in·w_in] */
	struct spk_unit_route routes[4];
	struct spk_encoder_config cfg;
	uint32_t delay;
};

static uint32_t rnd(struct scenario *sc, uint32_t n)
{
	return spk_rng_below(&sc->rng, n);
}

static void scenario_init(struct scenario *sc, uint64_t seed)
{
	static const uint32_t ks[] = { 1, 3, 5, 7 };
	uint32_t n_routes = 0, split;
	size_t nw;

	memset(sc, 0, sizeof(*sc));
	spk_rng_seed(&sc->rng, seed);
	sc->c_in = rnd(sc, 3) + 1;
	sc->k = ks[rnd(sc, 4)];
	sc->stride = rnd(sc, 2) + 1;
	sc->pad = rnd(sc, sc->k / 2 + 1);
	sc->h_in = sc->k + rnd(sc, 6);
	sc->w_in = sc->k + rnd(sc, 6);
	sc->h_out = (sc->h_in + 2 * sc->pad - sc->k) / sc->stride + 1;
	sc->w_out = (sc->w_in + 2 * sc->pad - sc->k) / sc->stride + 1;
	sc->C = rnd(sc, 6) + 1;
	sc->c0 = rnd(sc, sc->C);
	sc->g = rnd(sc, sc->C - sc->c0) + 1;
	nw = (size_t)sc->g * sc->c_in * sc->k * sc->k;
	sc->w = malloc(nw * sizeof(*sc->w));
	sc->wl = malloc(nw * sizeof(*sc->wl));
	sc->mult = malloc(sc->g * sizeof(*sc->mult));
	sc->bias = malloc(sc->g * sizeof(*sc->bias));
	sc->px = malloc(2 * (size_t)sc->c_in * sc->h_in * sc->w_in);
	for (size_t i = 0; i < nw; i++)
		sc->w[i] = (int16_t)((int32_t)rnd(sc, 255) - 127);
	for (uint32_t o = 0; o < sc->g; o++)
		for (uint32_t i = 0; i < sc->c_in * sc->k * sc->k; i++)
			sc->wl[i * sc->g + o] = sc->w[o * sc->c_in * sc->k * sc->k + i];
	for (uint32_t i = 0; i < sc->c_in; i++)
		sc->zero[i] = (int32_t)rnd(sc, 256);
	for (uint32_t o = 0; o < sc->g; o++) {
		sc->mult[o] = rnd(sc, 4) == 0 ? (int64_t)rnd(sc, 1u << 31) : rnd(sc, 1u << 20);
		sc->bias[o] = (int64_t)rnd(sc, 2001) - 1000;
	}
	for (size_t i = 0; i < 2 * (size_t)sc->c_in * sc->h_in * sc->w_in; i++)
		sc->px[i] = rnd(sc, 3) == 0 ? (uint8_t)sc->zero[i / (sc->h_in * sc->w_in) %
								sc->c_in] : (uint8_t)rnd(sc, 256);
	/* routes: by channel halves and row halves, to two or four pieces */
	split = sc->h_out > 1 && rnd(sc, 2) ? rnd(sc, sc->h_out - 1) + 1 : sc->h_out;
	for (uint32_t cpart = 0; cpart < 2; cpart++) {
		uint32_t cs = sc->g > 1 ? sc->c0 + sc->g / 2 : sc->c0 + sc->g;
		uint32_t c0 = cpart == 0 ? sc->c0 : cs, c1 = cpart == 0 ? cs : sc->c0 + sc->g;

		if (c0 >= c1)
			continue;
		for (uint32_t ypart = 0; ypart < 2; ypart++) {
			uint32_t y0 = ypart == 0 ? 0 : split, y1 = ypart == 0 ? split : sc->h_out;

			if (y0 >= y1)
				continue;
			sc->routes[n_routes] = (struct spk_unit_route){
				.source = 0, .dst_tile = 10 + n_routes, .dst_route = n_routes,
				.axon_base = 10000 * (n_routes + 1), .c0 = c0, .c1 = c1, .y0 = y0,
				.y1 = y1, .pc0 = c0 - (c0 > 0), .py0 = y0, .prows = y1 - y0 };
			n_routes++;
		}
	}
	sc->delay = rnd(sc, 5);
	sc->cfg = (struct spk_encoder_config){
		.tile = 1, .macs = rnd(sc, 4) == 0 ? 1000 : rnd(sc, 64) + 1,
		.input_fifo = rnd(sc, 3) + 2, .output_queue = rnd(sc, 4) + 1, .flit_bits = 32,
		.c_in = sc->c_in, .h_in = sc->h_in, .w_in = sc->w_in, .kernel = sc->k,
		.stride = sc->stride, .pad = sc->pad, .h_out = sc->h_out, .w_out = sc->w_out,
		.c0 = sc->c0, .channels = sc->g, .w = sc->wl, .zero = sc->zero, .mult = sc->mult,
		.bias = sc->bias, .n_routes = n_routes, .routes = sc->routes };
}

static void scenario_fini(struct scenario *sc)
{
	free(sc->w);
	free(sc->wl);
	free(sc->mult);
	free(sc->bias);
	free(sc->px);
}

/* E[o][y][x] of image img, straight from doc/semantics.md §4 (padded pixels count as zero). */
static int64_t naive_e(const struct scenario *sc, uint32_t img, uint32_t o, uint32_t y,
		       uint32_t x)
{
	const uint8_t *p = sc->px + (size_t)img * sc->c_in * sc->h_in * sc->w_in;
	int64_t acc = 0, prod, q;

	for (uint32_t i = 0; i < sc->c_in; i++)
		for (uint32_t ky = 0; ky < sc->k; ky++)
			for (uint32_t kx = 0; kx < sc->k; kx++) {
				int64_t iy = (int64_t)y * sc->stride + ky - sc->pad;
				int64_t ix = (int64_t)x * sc->stride + kx - sc->pad;
				int64_t v = sc->zero[i];

				if (iy >= 0 && ix >= 0 && iy < sc->h_in && ix < sc->w_in)
					v = p[(i * sc->h_in + iy) * sc->w_in + ix];
				acc += sc->w[((o * sc->c_in + i) * sc->k + ky) * sc->k + kx] *
				       (v - sc->zero[i]);
			}
	prod = acc * sc->mult[o] + (INT64_C(1) << 23);
	q = prod / (INT64_C(1) << 24);
	if (prod % (INT64_C(1) << 24) != 0 && prod < 0)
		q--;		/* floor */
	return q + sc->bias[o];
}

static void test_random_vs_naive(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 150; seed++) {
		struct harness h[2];

		for (int dense = 0; dense < 2; dense++) {
			struct scenario sc;
			struct spk_encoder *e;
			struct spk_encoder_stats st;
			size_t sent = 0, n_out;
			int64_t *got;

			scenario_init(&sc, seed);
			n_out = (size_t)sc.g * sc.h_out * sc.w_out;
			got = malloc(n_out * sizeof(*got));
			e = make(&sc.cfg);
			h_init(&h[dense], e, sc.cfg.input_fifo, enc_deliver, enc_eval, enc_next);
			h[dense].dense = dense;
			h[dense].auto_release = true;
			h[dense].release_delay = sc.delay;
			for (uint32_t img = 0; img < 2; img++) {
				size_t tokens = 0;

				assert_int_equal(spk_encoder_image_in(e, sc.px + (size_t)img * sc.c_in *
								      sc.h_in * sc.w_in,
								      h[dense].now + img), 0);
				h_settle(&h[dense], 1000000);
				memset(got, 0, n_out * sizeof(*got));
				for (; sent < h[dense].n_sent; sent++) {
					const struct spk_packet *p = &h[dense].sent[sent].p;
					const struct spk_unit_route *r = &sc.routes[p->dst - 10];
					uint32_t el, c, y, x;

					assert_int_equal(p->tag, img & 1);
					if (p->kind == SPK_PACKET_TOKEN) {
						assert_int_equal(p->axon, r->dst_route);
						tokens++;
						continue;
					}
					assert_int_equal(p->kind, SPK_PACKET_GRADED);
					el = p->axon - r->axon_base;
					c = r->pc0 + el / (r->prows * sc.w_out);
					y = r->py0 + el % (r->prows * sc.w_out) / sc.w_out;
					x = el % sc.w_out;
					assert_true(c >= r->c0 && c < r->c1 && y >= r->y0 && y < r->y1);
					assert_int_not_equal(p->value, 0);
					got[((c - sc.c0) * sc.h_out + y) * sc.w_out + x] = p->value;
				}
				assert_int_equal(tokens, sc.cfg.n_routes);
				for (uint32_t o = 0; o < sc.g; o++)
					for (uint32_t y = 0; y < sc.h_out; y++)
						for (uint32_t x = 0; x < sc.w_out; x++) {
							int64_t v = naive_e(&sc, img, o, y, x);

							if (v > INT32_MAX)
								v = INT32_MAX;
							if (v < INT32_MIN)
								v = INT32_MIN;
							assert_int_equal(got[(o * sc.h_out + y) *
									     sc.w_out + x], v);
						}
			}
			spk_encoder_get_stats(e, &st);
			assert_int_equal(st.ev.encoder_macs,
					 2 * n_out * sc.k * sc.k * sc.c_in);	/* dense */
			assert_int_equal(st.images, 2);
			assert_int_equal(st.ev.packets_out, h[dense].n_sent);
			assert_true(spk_encoder_quiet(e));
			free(got);
			spk_encoder_destroy(e);
			scenario_fini(&sc);
		}
		assert_int_equal(h[0].n_sent, h[1].n_sent);
		for (size_t i = 0; i < h[0].n_sent; i++) {
			assert_int_equal(h[0].sent[i].cycle, h[1].sent[i].cycle);
			assert_int_equal(h[0].sent[i].p.axon, h[1].sent[i].p.axon);
			assert_int_equal(h[0].sent[i].p.value, h[1].sent[i].p.value);
		}
		assert_true(h[0].evals <= h[1].evals);
		h_fini(&h[0]);
		h_fini(&h[1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_cycles_wide),
		cmocka_unit_test(test_queue_backpressure),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_random_vs_naive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
