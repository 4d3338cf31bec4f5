/*
 * test_ref.c — the reference inference (models/ref.h), integer and float64.
 *
 * Hand-computed cases first: the integer LIF (spike at A >= 2θ, floor halving of negative and
 * odd values, saturation at membrane_bits) on a one-neuron model, and spike-driven attention
 * (KV counts, Q·KV, the θ = 4 population, attention-op counts) on a one-row image.
 *
 * Then the event-driven engine is checked against a naive interpreter written here straight
 * from doc/semantics.md and doc/formats.md: dense loops over [c][y][x] arrays, every output
 * neuron summing its whole receptive field, integer weights recomputed from the float ones by
 * the formulas of the doc. Random models (random kernels, strides, pads, residual streams
 * written by several projections, attention blocks, spatial-mean head) and random images must
 * give the same spikes at every timestep in every population, the same scores, and the same
 * SOP and attention-op counts; the float64 engine must match the float64 naive interpreter.
 */
#include "config.h"

#include "models/model.h"
#include "models/model_build.h"
#include "models/quant.h"
#include "models/ref.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static char err[1024];
static const double mean1[1] = { 0.5 }, std1[1] = { 0.25 };

static struct spk_model *load(struct spk_model_build *b)
{
	struct spk_model *m = spk_model_build_model(b, "r.spkm", err, sizeof(err));

	if (m == NULL)
		fail_msg("%s", err);
	spk_model_build_destroy(b);
	return m;
}

/* ---- hand-computed cases --------------------------------------------------------------- */

/* Records, after every FIRE of population `watch`, its spikes and first membranes. */
struct watch {
	struct spk_ref *r;
	uint32_t pop;
	uint32_t neurons;	/* of pop, to read at most that many membranes */
	uint32_t spikes[8];	/* per timestep */
	int64_t v[8][12];	/* per timestep, first neurons' membranes */
	uint32_t ids[8][12];
};

static int watch_hook(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	struct watch *w = ctx;
	const int64_t *v;

	if (pop != w->pop || t >= 8)
		return 0;
	w->spikes[t] = (uint32_t)n;
	for (size_t k = 0; k < n && k < 12; k++)
		w->ids[t][k] = ids[k];
	v = spk_ref_membranes(w->r, pop);
	for (uint32_t k = 0; k < 12 && k < w->neurons; k++)
		w->v[t][k] = v[k];
	return 0;
}

/*
 * One pixel, 1x1 encoder of weight 0.51 (we = 127, zero point 128, M = 2^24, bias 0), so the
 * encoder adds E = 127·(p − 128) to the one neuron of p0 every timestep. θ is set exactly
 * through the threshold θ·σ_e.
 */
static struct spk_model *lif_model(int64_t theta, uint32_t T)
{
	const float we[1] = { 0.51f }, z[1] = { 0 }, one[1] = { 1 };
	double se = (double)0.51f / 63.75 / 127;
	struct spk_model_build *b = spk_model_build_create("lif", "", T, 1, 1, 1, 1, mean1, std1,
							   NAN);

	spk_model_build_site(b, "s0", 1, 1, 1);
	spk_model_build_site(b, "s1", 1, 1, 1);
	spk_model_build_pop(b, "p0", 0, 0, (double)theta * se);
	spk_model_build_pop(b, "p1", 1, 1, 1.0);
	spk_model_build_encoder(b, "enc", 0, 1, 1, 0, 1, we, z);
	spk_model_build_fire(b, "f0", 0);
	spk_model_build_conv(b, "c", 0, 1, 1, 1, 0, 1, 1, one, z);
	spk_model_build_fire(b, "f1", 1);
	spk_model_build_linear(b, "head", 1, 1, one, z);
	return load(b);
}

static void run_lif(int64_t theta, uint8_t pixel, int membrane_bits, struct watch *w)
{
	struct spk_model *m = lif_model(theta, 4);
	struct spk_qmodel *q = spk_quant_create(m, 8, membrane_bits, err, sizeof(err));
	double logit;

	if (q == NULL)
		fail_msg("%s", err);
	assert_int_equal(q->theta[0][0], theta);
	memset(w, 0, sizeof(*w));
	w->neurons = 1;
	w->r = spk_ref_create(m, q, 0, err, sizeof(err));
	assert_non_null(w->r);
	spk_ref_set_spike_hook(w->r, watch_hook, w);
	assert_int_equal(spk_ref_run(w->r, &pixel, NULL, &logit), 0);
	spk_ref_destroy(w->r);
	spk_quant_destroy(q);
	spk_model_destroy(m);
}

static void test_lif(void **state)
{
	struct watch w;

	(void)state;
	/* E = 127·72 = 9144, 2θ = 12700: 4572, spike (13716), 4572, spike */
	run_lif(6350, 200, 16, &w);
	assert_true(w.spikes[0] == 0 && w.spikes[1] == 1 && w.spikes[2] == 0 && w.spikes[3] == 1);
	assert_true(w.v[0][0] == 4572 && w.v[1][0] == 0 && w.v[2][0] == 4572 && w.v[3][0] == 0);

	/* 12-bit membranes saturate at 2047: 2047 + 9144 = 11191 < 12700, never a spike */
	run_lif(6350, 200, 12, &w);
	for (int t = 0; t < 4; t++) {
		assert_int_equal(w.spikes[t], 0);
		assert_int_equal(w.v[t][0], 2047);
	}

	/* E = 127·(1 − 128) = −16129: floor halving, −8065, −12097 (−24194/2), −14113 */
	run_lif(6350, 1, 16, &w);
	assert_int_equal(w.v[0][0], -8065);
	assert_int_equal(w.v[1][0], -12097);
	assert_int_equal(w.v[2][0], -14113);
	/* 14 bits: saturation at −8192 */
	run_lif(6350, 1, 14, &w);
	assert_int_equal(w.v[0][0], -8065);
	assert_int_equal(w.v[1][0], -8192);
	assert_int_equal(w.v[2][0], -8192);

	/* E = 381 (p = 131), 2θ = 572: V = 190 (floor of 190.5), A = 571 is no spike (rounding up
	 * would have made 572), V = 285, A = 666 spikes */
	run_lif(286, 131, 16, &w);
	assert_int_equal(w.v[0][0], 190);
	assert_int_equal(w.spikes[1], 0);
	assert_int_equal(w.v[1][0], 285);
	assert_int_equal(w.spikes[2], 1);
	assert_int_equal(w.v[2][0], 0);
}

/*
 * A 1x9 image; encoder weights +0.51 and −0.51 into two channels, p0 with θ = 1: a bright
 * pixel makes channel 0 spike, a dark one channel 1. ATTN(p0, p0, p0) into s1, p1 (θ 0.5,
 * i.e. 4 at scale 1/8).
 */
static struct spk_model *attn_model(uint32_t heads)
{
	const float we[2] = { 0.51f, -0.51f }, z[2] = { 0, 0 }, wl[2] = { 1, 1 }, bl[1] = { 0 };
	struct spk_model_build *b = spk_model_build_create("attn", "", 1, 1, 1, 9, 1, mean1,
							   std1, NAN);

	spk_model_build_site(b, "s0", 2, 1, 9);
	spk_model_build_site(b, "s1", 2, 1, 9);
	spk_model_build_pop(b, "p0", 0, 0, 1e-9);
	spk_model_build_pop(b, "p1", 1, 0, 0.5);
	spk_model_build_pop(b, "p2", 1, 1, 1.0);
	spk_model_build_encoder(b, "enc", 0, 1, 1, 0, 2, we, z);
	spk_model_build_fire(b, "f0", 0);
	spk_model_build_attn(b, "attn", 0, 0, 0, 1, heads, 0.125);
	spk_model_build_fire(b, "f1", 1);
	spk_model_build_fire(b, "f2", 2);
	spk_model_build_linear(b, "head", 2, 2, wl, bl);
	return load(b);
}

static void test_attention(void **state)
{
	/* tokens 0..7 bright (channel 0), token 8 dark (channel 1) */
	const uint8_t img[9] = { 255, 255, 255, 200, 255, 255, 255, 255, 0 };

	(void)state;
	for (uint32_t heads = 1; heads <= 2; heads++) {
		struct spk_model *m = attn_model(heads);
		struct spk_qmodel *q = spk_quant_create(m, 8, 16, err, sizeof(err));
		const struct spk_ref_stats *st;
		struct watch w = { .pop = 1, .neurons = 18 };
		double logit;

		if (q == NULL)
			fail_msg("%s", err);
		assert_int_equal(q->theta[1][0], 4);
		w.r = spk_ref_create(m, q, 0, err, sizeof(err));
		assert_non_null(w.r);
		spk_ref_set_spike_hook(w.r, watch_hook, &w);
		spk_ref_run(w.r, img, NULL, &logit);
		st = spk_ref_get_stats(w.r);
		assert_int_equal(st->pop_spikes[0], 9);
		/*
		 * KV[0][0] = 8 (eight tokens with K = V = channel 0), KV[1][1] = 1, cross terms 0
		 * (no token spikes in both channels). O[n][0] = 8 for the bright tokens: A = 8 ≥ 2θ,
		 * they spike; the dark token gets O[8][1] = 1: no spike, V = 0.
		 */
		assert_int_equal(w.spikes[0], 8);
		for (uint32_t k = 0; k < 8; k++)
			assert_int_equal(w.ids[0][k], k);	/* neuron (c 0, y 0, x k) */
		for (int k = 0; k < 12; k++)
			assert_int_equal(w.v[0][k], 0);
		/* additions: one KV pair per token (9), then d per Q spike: 9·2 (1 head), 9·1 */
		assert_int_equal(st->op_attn[2], heads == 1 ? 9 + 18 : 9 + 9);
		/* dense capacity 2·N·d²·heads: 2·9·4 = 72, 2·9·1·2 = 36 */
		assert_int_equal(st->op_dense[2], heads == 1 ? 72 : 36);
		spk_ref_destroy(w.r);
		spk_quant_destroy(q);
		spk_model_destroy(m);
	}
	/* The three-token case: 255, 0, 200: O = [2, 0], [0, 1], [2, 0], A < 8, V = floor(A/2) */
	{
		struct spk_model *m = attn_model(1);
		struct spk_qmodel *q = spk_quant_create(m, 8, 16, err, sizeof(err));
		const uint8_t img3[9] = { 255, 0, 200, 128, 128, 128, 128, 128, 128 };
		struct watch w = { .pop = 1, .neurons = 18 };
		double logit;

		assert_non_null(q);
		w.r = spk_ref_create(m, q, 0, err, sizeof(err));
		spk_ref_set_spike_hook(w.r, watch_hook, &w);
		spk_ref_run(w.r, img3, NULL, &logit);
		assert_int_equal(w.spikes[0], 0);
		/* channel-last: token 0 [1, 0], token 1 [0, 0] (1 >> 1), token 2 [1, 0] */
		assert_int_equal(w.v[0][0], 1);
		assert_int_equal(w.v[0][1], 0);
		assert_int_equal(w.v[0][2], 0);
		assert_int_equal(w.v[0][3], 0);
		assert_int_equal(w.v[0][4], 1);
		assert_int_equal(w.v[0][5], 0);
		spk_ref_destroy(w.r);
		spk_quant_destroy(q);
		spk_model_destroy(m);
	}
}

/* ---- random models ----------------------------------------------------------------------- */

static uint32_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return (rng_state >> 8) % n;
}

static double frnd(double lo, double hi)
{
	return lo + (hi - lo) * (double)rnd(1u << 20) / (double)(1u << 20);
}

struct gen {
	struct spk_model_build *b;
	uint32_t site_c[64], site_h[64], site_w[64];
	uint32_t n_sites, n_pops;
	float w[200000], bias[256];
};

static uint32_t gsite(struct gen *g, const char *name, uint32_t c, uint32_t h, uint32_t w)
{
	g->site_c[g->n_sites] = c;
	g->site_h[g->n_sites] = h;
	g->site_w[g->n_sites] = w;
	spk_model_build_site(g->b, name, c, h, w);
	return g->n_sites++;
}

static uint32_t gpop(struct gen *g, uint32_t site, uint32_t kind, double th)
{
	char name[32];

	snprintf(name, sizeof(name), "p%u", g->n_pops);
	spk_model_build_pop(g->b, name, site, kind, th);
	spk_model_build_fire(g->b, name, g->n_pops);
	return g->n_pops++;
}

static void fill(struct gen *g, size_t n, size_t fan_in, double gain)
{
	for (size_t i = 0; i < n; i++)
		g->w[i] = (float)(frnd(-1, 1) * gain / sqrt((double)fan_in));
}

/* CONV from pop (reading site src) into site dst, with a fresh random kernel. */
static void gconv(struct gen *g, uint32_t pop, uint32_t src, uint32_t dst, uint32_t k,
		  uint32_t s, uint32_t p)
{
	uint32_t ci = g->site_c[src], co = g->site_c[dst];

	fill(g, (size_t)co * ci * k * k, (size_t)ci * k * k, 2.5);
	for (uint32_t o = 0; o < co; o++)
		g->bias[o] = (float)frnd(-0.3, 0.5);
	spk_model_build_conv(g->b, "conv", pop, dst, k, s, p, ci, co, g->w, g->bias);
}

/*
 * Populations are added together with their FIRE (gpop), so the pops' order is the FIRE
 * order. `pop` always reads `stream`.
 */
static struct spk_model *random_model(uint32_t seed)
{
	static struct gen g;
	uint32_t C = 1 + rnd(3), H = 4 + rnd(7), W = 4 + rnd(7), classes = 2 + rnd(4);
	uint32_t k = 1 + 2 * rnd(3), s = 1 + rnd(2), p = rnd(k / 2 + 1);
	uint32_t stream, pop, blocks = 3 + rnd(4);
	double mean[3], std[3];

	rng_state = seed;
	memset(&g, 0, sizeof(g));
	for (uint32_t c = 0; c < 3; c++) {
		mean[c] = frnd(0.2, 0.6);
		std[c] = frnd(0.2, 0.5);
	}
	g.b = spk_model_build_create("random", "", 2 + rnd(3), C, H, W, classes, mean, std, NAN);
	if (H + 2 * p < k || W + 2 * p < k)
		p = k / 2;
	H = (H + 2 * p - k) / s + 1;
	W = (W + 2 * p - k) / s + 1;
	stream = gsite(&g, "enc", 2 + rnd(7), H, W);
	fill(&g, (size_t)g.site_c[stream] * C * k * k, (size_t)C * k * k, 3.0);
	for (uint32_t o = 0; o < g.site_c[stream]; o++)
		g.bias[o] = (float)frnd(-0.3, 0.6);
	spk_model_build_encoder(g.b, "enc", stream, k, s, p, g.site_c[stream], g.w, g.bias);
	pop = gpop(&g, stream, 0, frnd(0.3, 1.2));

	for (uint32_t blk = 0; blk < blocks; blk++) {
		uint32_t kind = rnd(3);

		if (kind == 0) {		/* a new stream through a strided/padded CONV */
			uint32_t h = g.site_h[stream], w = g.site_w[stream], ns;

			k = 1 + 2 * rnd(4);
			s = 1 + rnd(2);
			p = rnd(k / 2 + 1);
			if (h + 2 * p < k || w + 2 * p < k)
				k = 1, p = 0;
			ns = gsite(&g, "conv", 2 + rnd(9), (h + 2 * p - k) / s + 1,
				   (w + 2 * p - k) / s + 1);
			gconv(&g, pop, stream, ns, k, s, p);
			stream = ns;
			pop = gpop(&g, stream, 0, frnd(0.3, 1.2));
		} else if (kind == 1) {		/* residual: one more writer of the stream */
			k = 1 + 2 * rnd(2);
			gconv(&g, pop, stream, stream, k, 1, k / 2);
			pop = gpop(&g, stream, 0, frnd(0.3, 1.2));
		} else {			/* attention block, projected back into the stream */
			uint32_t c = g.site_c[stream], h = g.site_h[stream], w = g.site_w[stream];
			uint32_t heads = c % 2 == 0 && rnd(2) ? 2 : 1, qs, ks, vs, as;
			uint32_t qp, kp, vp, ap;

			qs = gsite(&g, "q", c, h, w);
			ks = gsite(&g, "k", c, h, w);
			vs = gsite(&g, "v", c, h, w);
			as = gsite(&g, "a", c, h, w);
			gconv(&g, pop, stream, qs, 1, 1, 0);
			qp = gpop(&g, qs, 0, frnd(0.2, 0.8));
			gconv(&g, pop, stream, ks, 1, 1, 0);
			kp = gpop(&g, ks, 0, frnd(0.2, 0.8));
			gconv(&g, pop, stream, vs, 3, 1, 1);
			vp = gpop(&g, vs, 0, frnd(0.2, 0.8));
			spk_model_build_attn(g.b, "attn", qp, kp, vp, as, heads, 0.125);
			ap = gpop(&g, as, 0, 0.5);
			gconv(&g, ap, as, stream, 1, 1, 0);
			pop = gpop(&g, stream, 0, frnd(0.3, 1.2));
		}
	}
	pop = gpop(&g, stream, 1, frnd(0.1, 0.5));
	fill(&g, (size_t)classes * g.site_c[stream], g.site_c[stream], 2.0);
	for (uint32_t o = 0; o < classes; o++)
		g.bias[o] = (float)frnd(-0.5, 0.5);
	spk_model_build_linear(g.b, "head", pop, g.site_c[stream], g.w, g.bias);
	return load(g.b);
}

/* ---- the naive interpreter ----------------------------------------------------------------- */

struct naive {
	const struct spk_model *m;
	const struct spk_qmodel *q;		/* NULL: float64 */
	int64_t **si;				/* sites [c][y][x] */
	double **sf;
	int64_t **vi;				/* membranes [c][y][x] or [c] */
	double **vf;
	uint8_t **spk;				/* spikes of the current timestep */
	uint64_t *sops, *attn, *pop_spikes;
	int64_t *score;
	double *logit;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t d = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? d - 1 : d;
}

/* doc/semantics.md §2, §6: the integer weight of one float weight at scale σ */
static int64_t wq(double w, double sigma, int32_t qmax)
{
	double r = round(w / sigma);

	return r > qmax ? qmax : r < -qmax ? -qmax : (int64_t)r;
}

/* the float weight[o][i][ky][kx] of the file, from the reader's [i][ky][kx][o] layout */
static double fw(const struct spk_op *op, uint32_t o, uint32_t i, uint32_t ky, uint32_t kx)
{
	return op->weight[(((size_t)i * op->kernel + ky) * op->kernel + kx) * op->c_out + o];
}

static void naive_encoder(struct naive *n, const uint8_t *img, const double *imgf,
			  int64_t *E, double *Ef)
{
	const struct spk_model *m = n->m;
	const struct spk_op *op = &m->ops[0];
	const uint32_t k = op->kernel;
	int32_t qmax = n->q ? n->q->qmax : 0;

	for (uint32_t o = 0; o < op->c_out; o++) {
		double se = 0, sigma = n->q ? n->q->site_scale[op->dst_site][o] : 1;
		int64_t M = 0, b = 0;

		if (n->q) {
			for (uint32_t i = 0; i < op->c_in; i++)
				for (uint32_t ky = 0; ky < k; ky++)
					for (uint32_t kx = 0; kx < k; kx++)
						se = fmax(se, fabs(fw(op, o, i, ky, kx) /
								   (255 * m->std[i])));
			se = se > 0 ? se / qmax : 1;
			M = (int64_t)round(se / sigma * (1 << 24));
			b = (int64_t)round(op->bias[o] / sigma);
		}
		for (uint32_t y = 0; y < op->h_out; y++) {
			for (uint32_t x = 0; x < op->w_out; x++) {
				int64_t acc = 0;
				double accf = op->bias[o];

				for (uint32_t i = 0; i < op->c_in; i++) {
					int64_t z = (int64_t)round(255 * m->mean[i]);

					for (uint32_t ky = 0; ky < k; ky++) {
						for (uint32_t kx = 0; kx < k; kx++) {
							int64_t iy = (int64_t)y * op->stride + ky - op->pad;
							int64_t ix = (int64_t)x * op->stride + kx - op->pad;
							size_t at;

							if (iy < 0 || ix < 0 || iy >= op->h_in ||
							    ix >= op->w_in)
								continue;
							at = ((size_t)i * op->h_in + iy) * op->w_in + ix;
							if (n->q)
								acc += wq(fw(op, o, i, ky, kx) /
									  (255 * m->std[i]), se, qmax) *
								       ((int64_t)img[at] - z);
							else
								accf += fw(op, o, i, ky, kx) *
									((imgf[at] / 255 - m->mean[i]) /
									 m->std[i]);
						}
					}
				}
				if (n->q)
					E[((size_t)o * op->h_out + y) * op->w_out + x] =
						floor_div(acc * M + (1 << 23), 1 << 24) + b;
				else
					Ef[((size_t)o * op->h_out + y) * op->w_out + x] = accf;
			}
		}
	}
}

static void naive_fire(struct naive *n, uint32_t p)
{
	const struct spk_model *m = n->m;
	const struct spk_pop *pop = &m->pops[p];
	const struct spk_site *s = &m->sites[pop->site];
	size_t hw = (size_t)s->height * s->width;
	bool mean = pop->kind == SPK_POP_MEAN;

	for (uint32_t c = 0; c < s->channels; c++) {
		for (size_t j = 0; j < (mean ? 1 : hw); j++) {
			size_t at = mean ? c : c * hw + j;
			int64_t X = 0;
			double Xf = 0;

			if (mean) {
				for (size_t l = 0; l < hw; l++) {
					if (n->q)
						X += n->si[pop->site][c * hw + l];
					else
						Xf += n->sf[pop->site][c * hw + l];
				}
				Xf /= (double)hw;
			} else if (n->q) {
				X = n->si[pop->site][at];
			} else {
				Xf = n->sf[pop->site][at];
			}
			if (n->q) {
				int64_t A = n->vi[p][at] + X, th = n->q->theta[p][c];
				int64_t lim = (int64_t)1 << (n->q->membrane_bits - 1);

				n->spk[p][at] = A >= 2 * th;
				n->vi[p][at] = n->spk[p][at] ? 0 : floor_div(A, 2);
				if (n->vi[p][at] > lim - 1)
					n->vi[p][at] = lim - 1;
				if (n->vi[p][at] < -lim)
					n->vi[p][at] = -lim;
			} else {
				double H = (n->vf[p][at] + Xf) / 2;

				n->spk[p][at] = H >= pop->threshold;
				n->vf[p][at] = n->spk[p][at] ? 0 : H;
			}
			n->pop_spikes[p] += n->spk[p][at];
		}
	}
}

static void naive_conv(struct naive *n, uint32_t i)
{
	const struct spk_op *op = &n->m->ops[i];
	const uint8_t *S = n->spk[op->src_pop];
	const uint32_t k = op->kernel;

	for (uint32_t o = 0; o < op->c_out; o++) {
		double sigma = n->q ? n->q->site_scale[op->dst_site][o] : 1;

		for (uint32_t y = 0; y < op->h_out; y++) {
			for (uint32_t x = 0; x < op->w_out; x++) {
				size_t at = ((size_t)o * op->h_out + y) * op->w_out + x;
				int64_t sum = n->q ? (int64_t)round(op->bias[o] / sigma) : 0;
				double sumf = op->bias[o];

				for (uint32_t c = 0; c < op->c_in; c++) {
					for (uint32_t ky = 0; ky < k; ky++) {
						for (uint32_t kx = 0; kx < k; kx++) {
							int64_t iy = (int64_t)y * op->stride + ky - op->pad;
							int64_t ix = (int64_t)x * op->stride + kx - op->pad;

							if (iy < 0 || ix < 0 || iy >= op->h_in ||
							    ix >= op->w_in ||
							    !S[((size_t)c * op->h_in + iy) * op->w_in + ix])
								continue;
							n->sops[i]++;
							if (n->q)
								sum += wq(fw(op, o, c, ky, kx), sigma,
									  n->q->qmax);
							else
								sumf += fw(op, o, c, ky, kx);
						}
					}
				}
				if (n->q)
					n->si[op->dst_site][at] += sum;
				else
					n->sf[op->dst_site][at] += sumf;
			}
		}
	}
}

static void naive_attn(struct naive *n, uint32_t i)
{
	const struct spk_op *op = &n->m->ops[i];
	const uint8_t *Q = n->spk[op->q_pop], *K = n->spk[op->k_pop], *V = n->spk[op->v_pop];
	const uint32_t d = op->c_out / op->heads, N = op->h_out * op->w_out;

	for (uint32_t h = 0; h < op->heads; h++) {
		for (uint32_t a = 0; a < d; a++) {
			for (uint32_t b = 0; b < d; b++) {
				int64_t kv = 0;

				for (uint32_t t = 0; t < N; t++)
					kv += K[(size_t)(h * d + a) * N + t] &
					      V[(size_t)(h * d + b) * N + t];
				n->attn[i] += (uint64_t)kv;	/* one addition per K·V pair */
				for (uint32_t t = 0; t < N; t++) {
					if (!Q[(size_t)(h * d + a) * N + t])
						continue;
					if (n->q)
						n->si[op->dst_site][(size_t)(h * d + b) * N + t] += kv;
					else
						n->sf[op->dst_site][(size_t)(h * d + b) * N + t] +=
							op->scale * (double)kv;
				}
			}
		}
		for (uint32_t a = 0; a < d; a++)
			for (uint32_t t = 0; t < N; t++)
				n->attn[i] += Q[(size_t)(h * d + a) * N + t] ? d : 0;
	}
}

static void naive_linear(struct naive *n, uint32_t i)
{
	const struct spk_model *m = n->m;
	const struct spk_op *op = &m->ops[i];
	double sh = 0;

	if (n->q) {
		for (size_t j = 0; j < (size_t)op->c_in * m->classes; j++)
			sh = fmax(sh, fabs(op->weight[j]));
		sh = sh > 0 ? sh / n->q->qmax : 1;
	}
	for (uint32_t c = 0; c < m->classes; c++) {
		int64_t L = n->q ? (int64_t)round(op->bias[c] / sh) : 0;
		double Lf = op->bias[c];

		for (uint32_t j = 0; j < op->c_in; j++) {
			if (!n->spk[op->src_pop][j])
				continue;
			n->sops[i]++;
			if (n->q)
				L += wq(op->weight[(size_t)j * m->classes + c], sh, n->q->qmax);
			else
				Lf += op->weight[(size_t)j * m->classes + c];
		}
		if (n->q)
			n->score[c] += L;
		else
			n->logit[c] += Lf;
	}
}

/* Spikes the engine reported, as bitmaps [t][pop][neuron] in the naive [c][y][x] order. */
struct capture {
	const struct spk_model *m;
	uint32_t T;
	uint8_t ***bits;
};

static int capture_hook(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	struct capture *c = ctx;

	for (size_t k = 0; k < n; k++) {
		assert_true(ids[k] < spk_model_pop_neurons(c->m, pop));
		assert_int_equal(c->bits[t][pop][ids[k]], 0);
		c->bits[t][pop][ids[k]] = 1;
	}
	return 0;
}

/* Runs one image in both and compares everything. */
static void compare_one(const struct spk_model *m, const struct spk_qmodel *q, uint32_t seed)
{
	const uint32_t T = m->time_steps;
	size_t npix = (size_t)m->in_channels * m->in_height * m->in_width;
	uint8_t *img = malloc(npix);
	double *imgf = malloc(npix * sizeof(double)), *logits = malloc(m->classes * sizeof(double));
	struct naive n = { .m = m, .q = q };
	struct capture cap = { .m = m, .T = T };
	struct spk_ref *r = spk_ref_create(m, q, 0, err, sizeof(err));
	const struct spk_ref_stats *st;
	size_t enc_n = spk_model_site_size(m, m->ops[0].dst_site);
	int64_t *E = calloc(enc_n, sizeof(int64_t));
	double *Ef = calloc(enc_n, sizeof(double));
	int pred, best = 0;

	assert_non_null(r);
	rng_state = seed;
	for (size_t k = 0; k < npix; k++) {
		img[k] = (uint8_t)rnd(256);
		imgf[k] = img[k];
	}
	n.si = calloc(m->n_sites, sizeof(*n.si));
	n.sf = calloc(m->n_sites, sizeof(*n.sf));
	for (uint32_t s = 0; s < m->n_sites; s++) {
		n.si[s] = calloc(spk_model_site_size(m, s), sizeof(int64_t));
		n.sf[s] = calloc(spk_model_site_size(m, s), sizeof(double));
	}
	n.vi = calloc(m->n_pops, sizeof(*n.vi));
	n.vf = calloc(m->n_pops, sizeof(*n.vf));
	n.spk = calloc(m->n_pops, sizeof(*n.spk));
	for (uint32_t p = 0; p < m->n_pops; p++) {
		n.vi[p] = calloc(spk_model_pop_neurons(m, p), sizeof(int64_t));
		n.vf[p] = calloc(spk_model_pop_neurons(m, p), sizeof(double));
		n.spk[p] = calloc(spk_model_pop_neurons(m, p), 1);
	}
	n.sops = calloc(m->n_ops, sizeof(uint64_t));
	n.attn = calloc(m->n_ops, sizeof(uint64_t));
	n.pop_spikes = calloc(m->n_pops, sizeof(uint64_t));
	n.score = calloc(m->classes, sizeof(int64_t));
	n.logit = calloc(m->classes, sizeof(double));
	cap.bits = calloc(T, sizeof(*cap.bits));
	for (uint32_t t = 0; t < T; t++) {
		cap.bits[t] = calloc(m->n_pops, sizeof(**cap.bits));
		for (uint32_t p = 0; p < m->n_pops; p++)
			cap.bits[t][p] = calloc(spk_model_pop_neurons(m, p), 1);
	}

	spk_ref_set_spike_hook(r, capture_hook, &cap);
	pred = spk_ref_run(r, img, imgf, logits);
	st = spk_ref_get_stats(r);

	naive_encoder(&n, img, imgf, E, Ef);
	for (uint32_t t = 0; t < T; t++) {
		for (uint32_t s = 0; s < m->n_sites; s++) {
			memset(n.si[s], 0, spk_model_site_size(m, s) * sizeof(int64_t));
			for (size_t k = 0; k < spk_model_site_size(m, s); k++)
				n.sf[s][k] = 0;
		}
		for (uint32_t i = 0; i < m->n_ops; i++) {
			const struct spk_op *op = &m->ops[i];

			switch (op->type) {
			case SPK_OP_ENCODER:
				for (size_t k = 0; k < enc_n; k++) {
					n.si[op->dst_site][k] += E[k];
					n.sf[op->dst_site][k] += Ef[k];
				}
				break;
			case SPK_OP_FIRE:
				naive_fire(&n, op->pop);
				if (memcmp(n.spk[op->pop], cap.bits[t][op->pop],
					   spk_model_pop_neurons(m, op->pop)) != 0)
					fail_msg("seed %u %s: spikes of pop %u ('%s') differ at t %u",
						 seed, q ? "int" : "float", op->pop,
						 m->pops[op->pop].name, t);
				break;
			case SPK_OP_CONV:
				naive_conv(&n, i);
				break;
			case SPK_OP_ATTN:
				naive_attn(&n, i);
				break;
			case SPK_OP_LINEAR:
				naive_linear(&n, i);
				break;
			}
		}
	}
	for (uint32_t c = 0; c < m->classes; c++) {
		if (q != NULL) {
			assert_int_equal(spk_ref_scores(r)[c], n.score[c]);
			if (n.score[c] > n.score[best])
				best = (int)c;
		} else {
			double want = n.logit[c] / T;

			if (!(fabs(logits[c] - want) <= 1e-9 * fmax(1, fabs(want))))
				fail_msg("seed %u float: logit %u is %.17g, naive %.17g", seed, c,
					 logits[c], want);
			if (want > n.logit[best] / T)
				best = (int)c;
		}
	}
	assert_int_equal(pred, best);
	for (uint32_t i = 0; i < m->n_ops; i++) {
		if (st->op_sops[i] != n.sops[i] || st->op_attn[i] != n.attn[i])
			fail_msg("seed %u op %u (%s): sops %llu/%llu attn %llu/%llu (ref/naive)",
				 seed, i, spk_op_type_name(m->ops[i].type),
				 (unsigned long long)st->op_sops[i], (unsigned long long)n.sops[i],
				 (unsigned long long)st->op_attn[i], (unsigned long long)n.attn[i]);
	}
	for (uint32_t p = 0; p < m->n_pops; p++)
		assert_int_equal(st->pop_spikes[p], n.pop_spikes[p]);

	for (uint32_t t = 0; t < T; t++) {
		for (uint32_t p = 0; p < m->n_pops; p++)
			free(cap.bits[t][p]);
		free(cap.bits[t]);
	}
	free(cap.bits);
	for (uint32_t s = 0; s < m->n_sites; s++) {
		free(n.si[s]);
		free(n.sf[s]);
	}
	for (uint32_t p = 0; p < m->n_pops; p++) {
		free(n.vi[p]);
		free(n.vf[p]);
		free(n.spk[p]);
	}
	free(n.si);
	free(n.sf);
	free(n.vi);
	free(n.vf);
	free(n.spk);
	free(n.sops);
	free(n.attn);
	free(n.pop_spikes);
	free(n.score);
	free(n.logit);
	free(E);
	free(Ef);
	spk_ref_destroy(r);
	free(logits);
	free(imgf);
	free(img);
}

static void test_against_naive(void **state)
{
	static const int widths[][2] = { { 8, 16 }, { 4, 10 }, { 16, 32 } };
	uint64_t spikes = 0, sops = 0, attn = 0;

	(void)state;
	for (uint32_t seed = 1; seed <= 60; seed++) {
		struct spk_model *m = random_model(seed);
		const int *wb = widths[seed % 3];
		struct spk_qmodel *q = spk_quant_create(m, wb[0], wb[1], err, sizeof(err));

		if (q == NULL)
			fail_msg("seed %u: %s", seed, err);
		for (uint32_t img = 0; img < 2; img++) {
			struct spk_ref *r;

			compare_one(m, q, seed * 100 + img);
			compare_one(m, NULL, seed * 100 + img);
			/* totals, to see below that the models are not trivially silent */
			r = spk_ref_create(m, q, 0, err, sizeof(err));
			{
				uint8_t px[3 * 10 * 10];
				double l[8];

				rng_state = seed * 100 + img;
				for (size_t k = 0; k < sizeof(px); k++)
					px[k] = (uint8_t)rnd(256);
				spk_ref_run(r, px, NULL, l);
			}
			for (uint32_t p = 0; p < m->n_pops; p++)
				spikes += spk_ref_get_stats(r)->pop_spikes[p];
			for (uint32_t i = 0; i < m->n_ops; i++) {
				sops += spk_ref_get_stats(r)->op_sops[i];
				attn += spk_ref_get_stats(r)->op_attn[i];
			}
			spk_ref_destroy(r);
		}
		spk_quant_destroy(q);
		spk_model_destroy(m);
	}
	print_message("random models: %llu spikes, %llu SOPs, %llu attention ops compared\n",
		      (unsigned long long)spikes, (unsigned long long)sops,
		      (unsigned long long)attn);
	assert_true(spikes > 10000 && sops > 100000 && attn > 1000);
}

/* Same input, same output; --time-steps overrides T; images are independent. */
static void test_determinism(void **state)
{
	struct spk_model *m = random_model(7);
	struct spk_qmodel *q = spk_quant_create(m, 8, 16, err, sizeof(err));
	struct spk_ref *r = spk_ref_create(m, q, 5, err, sizeof(err));
	uint8_t a[300], b[300];
	double la[8], lb[8], lc[8];

	(void)state;
	assert_non_null(r);
	assert_int_equal(spk_ref_get_stats(r)->time_steps, 5);
	for (int k = 0; k < 300; k++) {
		a[k] = (uint8_t)(k * 37);
		b[k] = (uint8_t)(k * 91 + 5);
	}
	spk_ref_run(r, a, NULL, la);
	spk_ref_run(r, b, NULL, lb);
	spk_ref_run(r, a, NULL, lc);
	assert_memory_equal(la, lc, m->classes * sizeof(double));
	assert_int_equal(spk_ref_get_stats(r)->images, 3);
	spk_ref_destroy(r);
	spk_quant_destroy(q);
	spk_model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lif),
		cmocka_unit_test(test_attention),
		cmocka_unit_test(test_against_naive),
		cmocka_unit_test(test_determinism),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
