/*
 * test_quant.c — the quantizer (models/quant.h) on models small enough to quantize by hand.
 * Every expected integer below is worked out in its comment from doc/semantics.md; the
 * weights are chosen away from rounding ties, except where a tie is the point (round half
 * away from zero).
 */
#include "config.h"

#include "models/model.h"
#include "models/model_build.h"
#include "models/quant.h"

#include <math.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
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
	struct spk_model *m = spk_model_build_model(b, "q.spkm", err, sizeof(err));

	if (m == NULL)
		fail_msg("%s", err);
	spk_model_build_destroy(b);
	return m;
}

static void near(double got, double want)
{
	if (!(fabs(got - want) <= 1e-12 * fabs(want)))
		fail_msg("got %.17g, want %.17g", got, want);
}

/*
 * in 1x2x2, 2 classes. s0 "enc" 2x2x2 written only by the 1x1 encoder; p0 reads it.
 * s1 "res" 2x2x2 written by two 1x1 CONVs from p0; p1 is its spatial mean; LINEAR p1.
 */
static struct spk_model *model_a(void)
{
	const float we[2] = { 0.51f, -0.255f }, be[2] = { 0.1f, -0.2f };
	const float wa[4] = { 0.6f, -0.25f, 0.07f, 0.2f }, ba[2] = { 0.02f, -0.011f };
	const float wb[4] = { -1.0f, 0.3f, 0.05f, 0.0f }, bb[2] = { 0, 0 };
	const float wl[4] = { 0.5f, -1.27f, 0.254f, 0.0f }, bl[2] = { 0.013f, -0.026f };
	struct spk_model_build *b = spk_model_build_create("a", "", 1, 1, 2, 2, 2, mean1, std1,
							   NAN);

	spk_model_build_site(b, "enc", 2, 2, 2);
	spk_model_build_site(b, "res", 2, 2, 2);
	spk_model_build_pop(b, "p0", 0, 0, 1.0);
	spk_model_build_pop(b, "p1", 1, 1, 1.0);
	spk_model_build_encoder(b, "enc", 0, 1, 1, 0, 2, we, be);
	spk_model_build_fire(b, "f0", 0);
	spk_model_build_conv(b, "a", 0, 1, 1, 1, 0, 2, 2, wa, ba);
	spk_model_build_conv(b, "b", 0, 1, 1, 1, 0, 2, 2, wb, bb);
	spk_model_build_fire(b, "f1", 1);
	spk_model_build_linear(b, "head", 1, 2, wl, bl);
	return load(b);
}

static void test_round(void **state)
{
	(void)state;
	assert_true(spk_quant_round(2.5) == 3);
	assert_true(spk_quant_round(-2.5) == -3);
	assert_true(spk_quant_round(127.5) == 128);
	assert_true(spk_quant_round(-0.4) == 0);
}

static void test_model_a(void **state)
{
	struct spk_model *m = model_a();
	struct spk_qmodel *q = spk_quant_create(m, 8, 16, err, sizeof(err));
	const struct spk_qop *enc, *ca, *cb, *lin;
	/* w' = w / (255·0.25) = w / 63.75; σ_e = |w'| / 127 */
	double se0 = (double)0.51f / 63.75 / 127, se1 = (double)0.255f / 63.75 / 127;

	(void)state;
	if (q == NULL)
		fail_msg("%s", err);
	assert_int_equal(q->qmax, 127);
	assert_int_equal(q->vmax, 32767);
	assert_int_equal(q->vmin, -32768);

	/* §4: zero point round(127.5) = 128; we = ±127; encoder-only site: σ = σ_e, M = 2^24 */
	enc = &q->ops[0];
	assert_int_equal(enc->zero[0], 128);
	assert_int_equal(enc->stride, 8);
	assert_int_equal(enc->w[0], 127);
	assert_int_equal(enc->w[1], -127);
	for (int k = 2; k < 8; k++)
		assert_int_equal(enc->w[k], 0);		/* padding lanes */
	near(enc->wscale[0], se0);
	near(enc->wscale[1], se1);
	near(q->site_scale[0][0], se0);
	near(q->site_scale[0][1], se1);
	assert_int_equal(enc->mult[0], 1 << 24);
	assert_int_equal(enc->mult[1], 1 << 24);
	/* bias/σ: 0.1·63.75·127/0.51 = 1587.5 (f32 0.1 is a hair above: 1588); −0.2 → −6350 */
	assert_int_equal(enc->ebias[0], 1588);
	assert_int_equal(enc->ebias[1], -6350);

	/* §3: θ = round(1/σ): 1/se0 = 15875, 1/se1 = 31750 */
	assert_int_equal(q->theta[0][0], 15875);
	assert_int_equal(q->theta[0][1], 31750);

	/* §1: σ[res][0] = max(0.6, 0.25, 1.0, 0.3)/127, σ[res][1] = max(0.07, 0.2, 0.05, 0)/127 */
	near(q->site_scale[1][0], 1.0 / 127);
	near(q->site_scale[1][1], (double)0.2f / 127);
	/* §2, weights [i][o] (1x1): a: 0.6·127 = 76.2 → 76, −0.25·127 = −31.75 → −32,
	 * 0.07·127/0.2 = 44.45 → 44, 0.2 → 127 */
	ca = &q->ops[2];
	assert_int_equal(ca->w[0 * 8 + 0], 76);
	assert_int_equal(ca->w[1 * 8 + 0], -32);
	assert_int_equal(ca->w[0 * 8 + 1], 44);
	assert_int_equal(ca->w[1 * 8 + 1], 127);
	/* bias: 0.02·127 = 2.54 → 3; −0.011·127/0.2 = −6.985 → −7 */
	assert_int_equal(ca->bias[0], 3);
	assert_int_equal(ca->bias[1], -7);
	/* b: −1 → −127, 0.3·127 = 38.1 → 38, 0.05·635 = 31.75 → 32, 0 */
	cb = &q->ops[3];
	assert_int_equal(cb->w[0 * 8 + 0], -127);
	assert_int_equal(cb->w[1 * 8 + 0], 38);
	assert_int_equal(cb->w[0 * 8 + 1], 32);
	assert_int_equal(cb->w[1 * 8 + 1], 0);

	/* spatial mean over H·W = 4: θ = round(1·4/σ): 508 and 4·127/0.2 = 2540 */
	assert_int_equal(q->theta[1][0], 508);
	assert_int_equal(q->theta[1][1], 2540);

	/* §6: σ_h = 1.27/127 = 0.01; wh[c][k]: 50, 25.4 → 25 / −127, 0; bh: 1.3 → 1, −2.6 → −3 */
	lin = &q->ops[5];
	near(lin->head_scale, (double)1.27f / 127);
	assert_int_equal(lin->w[0 * 8 + 0], 50);
	assert_int_equal(lin->w[0 * 8 + 1], 25);
	assert_int_equal(lin->w[1 * 8 + 0], -127);
	assert_int_equal(lin->w[1 * 8 + 1], 0);
	assert_int_equal(lin->ebias[0], 1);
	assert_int_equal(lin->ebias[1], -3);
	spk_quant_destroy(q);

	/* 4-bit weights: qmax 7. a: 0.6·7 = 4.2 → 4; θ[p0] = round(7/(0.008·…)) */
	q = spk_quant_create(m, 4, 8, err, sizeof(err));
	if (q == NULL)
		fail_msg("%s", err);
	assert_int_equal(q->qmax, 7);
	assert_int_equal(q->vmax, 127);
	assert_int_equal(q->vmin, -128);
	assert_int_equal(q->ops[2].w[0], 4);
	assert_int_equal(q->ops[0].w[0], 7);
	spk_quant_destroy(q);

	assert_null(spk_quant_create(m, 1, 16, err, sizeof(err)));
	assert_non_null(strstr(err, "weight_bits 1 is outside 2..16"));
	assert_null(spk_quant_create(m, 8, 40, err, sizeof(err)));
	assert_non_null(strstr(err, "membrane_bits 40 is outside 2..32"));
	spk_model_destroy(m);
}

/*
 * Attention: ENCODER -> s0, p0; ATTN(p0, p0, p0) -> s1, p1 (θ 0.5); a 1x1 CONV from p1 back
 * into s0 (so s0 is written by the encoder and a CONV: the encoder requantizes); p2 the mean
 * of s0; LINEAR. With attn_conflict, the CONV writes s1 instead, which must be refused.
 */
static struct spk_model *model_b(bool attn_conflict)
{
	const float we[2] = { 0.51f, -0.255f }, be[2] = { 0, 0 };
	const float wc[4] = { 0.8f, 0.0f, 0.0f, 0.4f }, bc[2] = { 0, 0 };
	const float wl[2] = { 1, 1 }, bl[1] = { 0 };
	struct spk_model_build *b = spk_model_build_create("b", "", 1, 1, 2, 2, 1, mean1, std1,
							   NAN);

	spk_model_build_site(b, "s0", 2, 2, 2);
	spk_model_build_site(b, "s1", 2, 2, 2);
	spk_model_build_pop(b, "p0", 0, 0, 1.0);
	spk_model_build_pop(b, "p1", 1, 0, 0.5);
	spk_model_build_pop(b, "p2", 0, 1, 1.0);
	spk_model_build_encoder(b, "enc", 0, 1, 1, 0, 2, we, be);
	spk_model_build_fire(b, "f0", 0);
	spk_model_build_attn(b, "attn", 0, 0, 0, 1, 2, 0.125);
	spk_model_build_fire(b, "f1", 1);
	spk_model_build_conv(b, "proj", 1, attn_conflict ? 1 : 0, 1, 1, 0, 2, 2, wc, bc);
	spk_model_build_fire(b, "f2", 2);
	spk_model_build_linear(b, "head", 2, 2, wl, bl);
	return load(b);
}

static void test_attention_and_requantization(void **state)
{
	struct spk_model *m = model_b(false);
	struct spk_qmodel *q = spk_quant_create(m, 8, 16, err, sizeof(err));

	(void)state;
	if (q == NULL)
		fail_msg("%s", err);
	/* §1: an ATTN site has the scale 1/8 in every channel; θ = round(0.5·8) = 4 */
	assert_true(q->site_scale[1][0] == 0.125 && q->site_scale[1][1] == 0.125);
	assert_int_equal(q->theta[1][0], 4);
	assert_int_equal(q->theta[1][1], 4);
	/* §1: s0 has CONV writers: σ = {0.8/127, 0.4/127}; p0's θ = round(127/0.8) = 159 (158.75) */
	near(q->site_scale[0][0], (double)0.8f / 127);
	assert_int_equal(q->theta[0][0], 159);
	/* §4: M = round(σ_e/σ·2^24) = round(0.01·2^24) = 167772 (167772.16) in both channels */
	assert_int_equal(q->ops[0].mult[0], 167772);
	assert_int_equal(q->ops[0].mult[1], 167772);
	/* spatial mean of s0 (2x2): θ = round(4/σ) = round(4·127/0.8) = 635 */
	assert_int_equal(q->theta[2][0], 635);
	spk_quant_destroy(q);
	spk_model_destroy(m);

	m = model_b(true);
	assert_null(spk_quant_create(m, 8, 16, err, sizeof(err)));
	assert_non_null(strstr(err, "op 4 (CONV 'proj'): writes site 's1', which ATTN op 2 also "
				    "writes"));
	spk_model_destroy(m);
}

/* A bias that does not fit the 32-bit bias word, and an encoder multiplier ≥ 2^31. */
static void test_range_errors(void **state)
{
	const float we[1] = { 1.0f }, be[1] = { 0 }, tiny[1] = { 1e-6f }, hugeb[1] = { 1e6f };
	const float wl[1] = { 1 }, bl[1] = { 0 };
	struct spk_model_build *b;
	struct spk_model *m;

	(void)state;
	/* CONV weight 1e-6 → σ = 1e-6/127; bias 1e6 → 1.27e14 at that scale */
	b = spk_model_build_create("c", "", 1, 1, 1, 1, 1, mean1, std1, NAN);
	spk_model_build_site(b, "s0", 1, 1, 1);
	spk_model_build_site(b, "s1", 1, 1, 1);
	spk_model_build_pop(b, "p0", 0, 0, 1.0);
	spk_model_build_pop(b, "p1", 1, 1, 1.0);
	spk_model_build_encoder(b, "enc", 0, 1, 1, 0, 1, we, be);
	spk_model_build_fire(b, "f0", 0);
	spk_model_build_conv(b, "c", 0, 1, 1, 1, 0, 1, 1, tiny, hugeb);
	spk_model_build_fire(b, "f1", 1);
	spk_model_build_linear(b, "head", 1, 1, wl, bl);
	m = load(b);
	assert_null(spk_quant_create(m, 8, 16, err, sizeof(err)));
	assert_non_null(strstr(err, "op 2 (CONV 'c'): bias[0] = 1e+06"));
	assert_non_null(strstr(err, "beyond the 32-bit bias word"));
	spk_model_destroy(m);

	/* encoder site also written by a CONV of tiny weights: σ_e/σ ≈ 2e5 → M ≥ 2^31 */
	b = spk_model_build_create("d", "", 1, 1, 1, 1, 1, mean1, std1, NAN);
	spk_model_build_site(b, "s0", 1, 1, 1);
	spk_model_build_pop(b, "p0", 0, 0, 1.0);
	spk_model_build_pop(b, "p1", 0, 1, 1.0);
	spk_model_build_encoder(b, "enc", 0, 1, 1, 0, 1, we, be);
	spk_model_build_fire(b, "f0", 0);
	spk_model_build_conv(b, "c", 0, 0, 1, 1, 0, 1, 1, tiny, be);
	spk_model_build_fire(b, "f1", 1);
	spk_model_build_linear(b, "head", 1, 1, wl, bl);
	m = load(b);
	assert_null(spk_quant_create(m, 8, 16, err, sizeof(err)));
	assert_non_null(strstr(err, "op 0 (ENCODER 'enc'): requantization multiplier of channel 0"));
	spk_model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round),
		cmocka_unit_test(test_model_a),
		cmocka_unit_test(test_attention_and_requantization),
		cmocka_unit_test(test_range_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
