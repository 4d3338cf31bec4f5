/*
 * test_readout.c — unit tests of the readout (sim/readout.c) against doc/architecture.md §8,
 * §9 and doc/semantics.md §3, §6: hand-computed cycles (partial sums, the fire at
 * neuron_updates per cycle, head rows at adders per cycle, releases, the class out the cycle
 * after the last head row, the lowest index winning a tie), idleness, energy counts, and scores,
 * classes and spikes against a naive computation on random configurations.
 */
#include "config.h"

#include "sim/readout.h"
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

static void ro_deliver(void *u, const struct spk_packet *p, uint64_t a)
{
	spk_readout_deliver(u, p, a);
}

static void ro_eval(void *u, uint64_t x, const struct spk_unit_port *port)
{
	spk_readout_eval(u, x, port);
}

static uint64_t ro_next(const void *u)
{
	return spk_readout_next_cycle(u);
}

struct classes {
	uint32_t n;
	uint64_t image[8], cycle[8];
	uint32_t cls[8];
	int64_t scores[8][16];
	uint32_t classes;
};

static void on_class(void *ctx, uint64_t image, uint32_t cls, uint64_t cycle,
		     const int64_t *scores)
{
	struct classes *c = ctx;

	assert_true(c->n < 8);
	c->image[c->n] = image;
	c->cls[c->n] = cls;
	c->cycle[c->n] = cycle;
	memcpy(c->scores[c->n], scores, c->classes * sizeof(*scores));
	c->n++;
}

static struct spk_readout *make(const struct spk_readout_config *cfg)
{
	char err[256];
	struct spk_readout *r = spk_readout_create(cfg, err, sizeof(err));

	if (r == NULL)
		fail_msg("spk_readout_create: %s", err);
	return r;
}

static struct spk_packet graded(uint32_t axon, int32_t v, uint8_t tag)
{
	return (struct spk_packet){ .src = 3, .dst = 9, .flits = 2, .kind = SPK_PACKET_GRADED,
				    .tag = tag, .axon = axon, .value = v };
}

static struct spk_packet token(uint32_t route, uint8_t tag)
{
	return (struct spk_packet){ .src = 3, .dst = 9, .flits = 1, .kind = SPK_PACKET_TOKEN,
				    .tag = tag, .axon = route };
}

/*
 * A mean population of 3 channels (θ 1, 5, 2; axons 50–52) fed by two MEAN routes, T = 2,
 * neuron_updates = 2; a head of 4 classes at adders = 2 (2 cycles a row).
 *   step 0: partial sums (3, 4, 1) + (1, 2, 2) = (4, 6, 3) arrive in 10 and are taken 10–15,
 *     tokens 16–17; fire 18–19: channel 0 spikes (4 >= 2), V = (0, 3, 1); releases in 20, 21;
 *     head row 0 in 20–21.
 *   step 1: (0, 8, 0) + (1, 0, 1): A = (1, 11, 2): channel 1 spikes; taken 30–37, fire 38–39,
 *     row 1 in 40–41; the class is out in 42. Scores: bias x 2 + rows 0 and 1 = (12, 7, 0, 12):
 *     a tie, class 0.
 */
static void test_cycles(void **state)
{
	static const int64_t theta[3] = { 1, 5, 2 };
	static const int16_t w[3 * 4] = { 10, 0, 0, 0, 0, 7, 0, 0, 0, 0, 9, 0 };
	static const int64_t bias[4] = { 1, 0, 0, 6 };
	static const int32_t sums[2][2][3] = { { { 3, 4, 1 }, { 1, 2, 2 } },
					       { { 0, 8, 0 }, { 1, 0, 1 } } };

	(void)state;
	for (int dense = 0; dense < 2; dense++) {
		struct spk_readout_mean mean = { .pop = 40, .phase = 30, .channels = 3,
						 .axon_base = 50, .theta = theta };
		struct spk_readout_head head = { .mean = 0, .classes = 4, .w = w, .bias = bias };
		struct spk_unit_in_route in[2] = {
			{ .kind = SPK_IN_MEAN, .src_tile = 3, .src_route = 7, .pop = 40 },
			{ .kind = SPK_IN_MEAN, .src_tile = 5, .src_route = 8, .pop = 40 },
		};
		struct classes cl = { .classes = 4 };
		struct spk_readout_config cfg = {
			.tile = 9, .time_steps = 2, .adders = 2, .neuron_updates = 2,
			.input_fifo = 16, .flit_bits = 32, .membrane_bits = 16, .n_means = 1,
			.means = &mean, .head = &head, .n_in = 2, .in = in, .class_out = on_class,
			.class_ctx = &cl };
		struct spk_readout *r = make(&cfg);
		struct harness h;
		struct spk_readout_stats st;
		struct spk_packet p;

		assert_int_equal(spk_readout_next_cycle(r), UINT64_MAX);
		h_init(&h, r, 16, ro_deliver, ro_eval, ro_next);
		h.dense = dense;
		for (uint32_t s = 0; s < 2; s++) {
			for (uint32_t k = 0; k < 2; k++)
				for (uint32_t c = 0; c < 3; c++) {
					p = graded(50 + c, sums[s][k][c], s);
					h_push(&h, &p, 10 + 20 * s);
				}
			for (uint32_t k = 0; k < 2; k++) {
				p = token(k, s);
				h_push(&h, &p, 10 + 20 * s);
			}
			h_settle(&h, 1000);
			assert_int_equal(spk_readout_mean_steps(r, 0), s + 1);
		}
		assert_int_equal(h.n_spikes, 2);
		assert_int_equal(h.spikes[0].pop, 40);
		assert_int_equal(h.spikes[0].step, 0);
		assert_int_equal(h.spikes[0].neuron, 0);
		assert_int_equal(h.spikes[0].cycle, 18);
		assert_int_equal(h.spikes[1].step, 1);
		assert_int_equal(h.spikes[1].neuron, 1);
		assert_int_equal(h.spikes[1].cycle, 38);
		assert_int_equal(h.n_sent, 4);
		static const uint64_t rel_at[] = { 20, 21, 40, 41 };
		for (int i = 0; i < 4; i++) {
			assert_int_equal(h.sent[i].cycle, rel_at[i]);
			assert_int_equal(h.sent[i].p.kind, SPK_PACKET_RELEASE);
			assert_int_equal(h.sent[i].p.dst, i % 2 ? 5 : 3);
			assert_int_equal(h.sent[i].p.axon, i % 2 ? 8 : 7);
			assert_int_equal(h.sent[i].p.tag, i / 2);
		}
		assert_int_equal(cl.n, 1);
		assert_int_equal(cl.image[0], 0);
		assert_int_equal(cl.cls[0], 0);
		assert_int_equal(cl.cycle[0], 42);
		static const int64_t want[4] = { 12, 7, 0, 12 };
		assert_memory_equal(cl.scores[0], want, sizeof(want));
		spk_readout_get_stats(r, &st);
		assert_int_equal(st.ev.sops, 8);
		assert_int_equal(st.ev.graded_adds, 12);
		assert_int_equal(st.ev.neuron_updates, 6);
		assert_int_equal(st.ev.packets_out, 4);
		assert_int_equal(st.head_cycles, 4);
		assert_int_equal(st.images, 1);
		assert_true(spk_readout_quiet(r));
		if (!dense)	/* 10–21, 30–42 */
			assert_int_equal(h.evals, 12 + 13);
		h_fini(&h);
		spk_readout_destroy(r);
	}
}

/* No spike in the last step: the class is out the cycle after the fire. */
static void test_class_without_spikes(void **state)
{
	static const int64_t theta[2] = { 100, 100 };
	static const int16_t w[2 * 3] = { 0 };
	static const int64_t bias[3] = { -1, 4, 4 };
	struct spk_readout_mean mean = { .pop = 2, .phase = 1, .channels = 2, .axon_base = 0,
					 .theta = theta };
	struct spk_readout_head head = { .mean = 0, .classes = 3, .w = w, .bias = bias };
	struct spk_unit_in_route in = { .kind = SPK_IN_MEAN, .src_tile = 1, .pop = 2 };
	struct classes cl = { .classes = 3 };
	struct spk_readout_config cfg = {
		.tile = 0, .time_steps = 1, .adders = 1, .neuron_updates = 1, .input_fifo = 4,
		.flit_bits = 32, .membrane_bits = 8, .n_means = 1, .means = &mean, .head = &head,
		.n_in = 1, .in = &in, .class_out = on_class, .class_ctx = &cl };
	struct spk_readout *r = make(&cfg);
	struct harness h;
	struct spk_packet p = token(0, 0);

	(void)state;
	h_init(&h, r, 4, ro_deliver, ro_eval, ro_next);
	h_push(&h, &p, 3);			/* taken 3, fire 4–5, class out 6 */
	p = token(0, 1);
	h_push(&h, &p, 20);			/* image 1: taken 20, fire 21–22, out 23 */
	h_settle(&h, 1000);
	assert_int_equal(cl.n, 2);
	assert_int_equal(cl.cycle[0], 6);
	assert_int_equal(cl.cls[0], 1);		/* 4 = 4: the lower index */
	assert_int_equal(cl.image[1], 1);
	assert_int_equal(cl.cycle[1], 23);
	assert_int_equal(cl.scores[1][1], 4);	/* scores start again for each image */
	h_fini(&h);
	spk_readout_destroy(r);
}

static void test_bad_config(void **state)
{
	static const int64_t theta[2] = { 1, 1 };
	struct spk_readout_mean mean = { .pop = 2, .phase = 1, .channels = 2, .axon_base = 0,
					 .theta = theta };
	struct spk_unit_in_route in = { .kind = SPK_IN_MEAN, .src_tile = 1, .pop = 3 };
	struct spk_readout_config cfg = {
		.tile = 0, .time_steps = 1, .adders = 1, .neuron_updates = 1, .input_fifo = 4,
		.flit_bits = 32, .membrane_bits = 8, .n_means = 1, .means = &mean, .n_in = 1,
		.in = &in };
	char err[256];

	(void)state;
	assert_null(spk_readout_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "incoming route 0: not a MEAN route of a population here"));
	in.pop = 2;
	cfg.input_fifo = 1;
	assert_null(spk_readout_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot hold a graded packet"));
}

/* ---- random configurations --------------------------------------------------------------------- */

static void test_random_vs_naive(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 150; seed++) {
		struct spk_rng rng;
		uint32_t C, K, T, routes, images = 3, mb;
		int64_t theta[12], bias[10];
		int16_t w[12 * 10];
		int32_t sums[3 * 3][4][12];
		struct harness h[2];
		struct classes cl[2];

		spk_rng_seed(&rng, seed);
		C = spk_rng_below(&rng, 12) + 1;
		K = spk_rng_below(&rng, 10) + 1;
		T = spk_rng_below(&rng, 3) + 1;
		routes = spk_rng_below(&rng, 4) + 1;
		mb = spk_rng_below(&rng, 2) ? 16 : 6;
		for (uint32_t c = 0; c < C; c++)
			theta[c] = spk_rng_below(&rng, 60) + 1;
		for (uint32_t k = 0; k < K; k++)
			bias[k] = (int64_t)spk_rng_below(&rng, 41) - 20;
		for (uint32_t i = 0; i < C * K; i++)
			w[i] = (int16_t)((int32_t)spk_rng_below(&rng, 255) - 127);
		for (uint32_t s = 0; s < images * T; s++)
			for (uint32_t r = 0; r < routes; r++)
				for (uint32_t c = 0; c < C; c++)
					sums[s][r][c] = (int32_t)spk_rng_below(&rng, 121) - 40;

		/* naive: doc/semantics.md §3 (spatial mean) and §6 */
		int64_t v[12] = { 0 }, score[10];
		int64_t vmax = (INT64_C(1) << (mb - 1)) - 1, vmin = -vmax - 1;
		uint32_t want_cls[3], n_spk = 0, spk_id[3 * 3 * 12];

		for (uint32_t i = 0; i < images; i++) {
			memset(score, 0, sizeof(score));
			for (uint32_t t = 0; t < T; t++) {
				uint32_t s = i * T + t;

				for (uint32_t k = 0; k < K; k++)
					score[k] += bias[k];
				for (uint32_t c = 0; c < C; c++) {
					int64_t x = 0, a;

					for (uint32_t r = 0; r < routes; r++)
						x += sums[s][r][c];
					a = (t == 0 ? 0 : v[c]) + x;
					if (a >= 2 * theta[c]) {
						v[c] = 0;
						spk_id[n_spk++] = s << 8 | c;
						for (uint32_t k = 0; k < K; k++)
							score[k] += w[c * K + k];
					} else {
						int64_t hh = a >= 0 ? a / 2 : -((-a + 1) / 2);

						v[c] = hh < vmin ? vmin : hh > vmax ? vmax : hh;
					}
				}
			}
			want_cls[i] = 0;
			for (uint32_t k = 1; k < K; k++)
				if (score[k] > score[want_cls[i]])
					want_cls[i] = k;
		}

		uint32_t adders = spk_rng_below(&rng, 6) + 1;
		uint32_t updates = spk_rng_below(&rng, 6) + 1;
		uint32_t fifo = spk_rng_below(&rng, 6) + 2;

		for (int dense = 0; dense < 2; dense++) {
			struct spk_readout_mean mean = { .pop = 5, .phase = 9, .channels = C,
							 .axon_base = 100, .theta = theta };
			struct spk_readout_head head = { .mean = 0, .classes = K, .w = w,
							 .bias = bias };
			struct spk_unit_in_route in[4];
			struct spk_readout_config cfg = {
				.tile = 0, .time_steps = T, .adders = adders,
				.neuron_updates = updates, .input_fifo = fifo, .flit_bits = 32,
				.membrane_bits = (int)mb, .n_means = 1, .means = &mean,
				.head = &head, .n_in = routes, .in = in, .class_out = on_class,
				.class_ctx = &cl[dense] };
			struct spk_readout *r;
			struct spk_readout_stats st;
			uint64_t sops = 0;

			memset(&cl[dense], 0, sizeof(cl[dense]));
			cl[dense].classes = K;
			for (uint32_t k = 0; k < routes; k++)
				in[k] = (struct spk_unit_in_route){ .kind = SPK_IN_MEAN,
								    .src_tile = 20 + k,
								    .src_route = k, .pop = 5 };
			r = make(&cfg);
			h_init(&h[dense], r, cfg.input_fifo, ro_deliver, ro_eval, ro_next);
			h[dense].dense = dense;
			for (uint32_t s = 0; s < images * T; s++) {
				struct spk_packet p;

				/* routes interleaved, each route's token after its sums */
				for (uint32_t c = 0; c < C; c++)
					for (uint32_t k = 0; k < routes; k++) {
						p = graded(100 + c, sums[s][k][c], s & 1);
						h_push(&h[dense], &p, h[dense].now + c / 2);
					}
				for (uint32_t k = 0; k < routes; k++) {
					p = token(k, s & 1);
					h_push(&h[dense], &p, h[dense].now + C / 2);
				}
				h_settle(&h[dense], 100000);
				assert_int_equal(spk_readout_mean_steps(r, 0), s + 1);
			}
			assert_int_equal(cl[dense].n, images);
			for (uint32_t i = 0; i < images; i++) {
				assert_int_equal(cl[dense].image[i], i);
				assert_int_equal(cl[dense].cls[i], want_cls[i]);
			}
			assert_int_equal(h[dense].n_spikes, n_spk);
			for (size_t i = 0; i < n_spk; i++) {
				assert_int_equal(h[dense].spikes[i].step << 8 |
						 h[dense].spikes[i].neuron, spk_id[i]);
				assert_int_equal(h[dense].spikes[i].pop, 5);
			}
			sops = (uint64_t)n_spk * K;
			spk_readout_get_stats(r, &st);
			assert_int_equal(st.ev.sops, sops);
			assert_int_equal(st.ev.graded_adds, (uint64_t)images * T * routes * C);
			assert_int_equal(st.ev.neuron_updates, (uint64_t)images * T * C);
			assert_int_equal(st.ev.packets_out, (uint64_t)images * T * routes);
			assert_true(spk_readout_quiet(r));
			spk_readout_destroy(r);
		}
		for (uint32_t i = 0; i < images; i++)
			assert_int_equal(cl[0].cycle[i], cl[1].cycle[i]);
		assert_int_equal(h[0].n_sent, h[1].n_sent);
		for (size_t i = 0; i < h[0].n_sent; i++)
			assert_int_equal(h[0].sent[i].cycle, h[1].sent[i].cycle);
		assert_true(h[0].evals <= h[1].evals);
		h_fini(&h[0]);
		h_fini(&h[1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_class_without_spikes),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_random_vs_naive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
