/*
 * test_ref_report.c — the JSON writer (util/jsonw.h) byte for byte, and the report's totals
 * (models/ref_report.h) on statistics made up by hand: per-image averages, the firing rate
 * over all neurons and timesteps, dense ops times T, and the paper's energy formula.
 */
#include "config.h"

#include "models/model.h"
#include "models/model_build.h"
#include "models/ref_report.h"
#include "util/jsonw.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void test_jsonw(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct spk_jsonw j;

	(void)state;
	assert_non_null(f);
	spk_jsonw_init(&j, f);
	spk_jsonw_object(&j);
	spk_jsonw_key(&j, "s");
	spk_jsonw_string(&j, "a\"b\\c\n\x01é");
	spk_jsonw_key(&j, "n");
	spk_jsonw_real(&j, 0.1);
	spk_jsonw_key(&j, "third");
	spk_jsonw_real(&j, 1.0 / 3.0);
	spk_jsonw_key(&j, "nan");
	spk_jsonw_real(&j, NAN);
	spk_jsonw_key(&j, "i");
	spk_jsonw_int(&j, -42);
	spk_jsonw_key(&j, "u");
	spk_jsonw_uint(&j, UINT64_MAX);
	spk_jsonw_key(&j, "row");
	spk_jsonw_array_inline(&j);
	spk_jsonw_real(&j, 1);
	spk_jsonw_real(&j, 2.5);
	spk_jsonw_end(&j);
	spk_jsonw_key(&j, "empty");
	spk_jsonw_array(&j);
	spk_jsonw_end(&j);
	spk_jsonw_key(&j, "list");
	spk_jsonw_array(&j);
	spk_jsonw_object(&j);
	spk_jsonw_key(&j, "b");
	spk_jsonw_bool(&j, true);
	spk_jsonw_key(&j, "z");
	spk_jsonw_null(&j);
	spk_jsonw_end(&j);
	spk_jsonw_end(&j);
	spk_jsonw_end(&j);
	spk_jsonw_finish(&j);
	fclose(f);
	assert_string_equal(buf,
		"{\n"
		"  \"s\": \"a\\\"b\\\\c\\n\\u0001é\",\n"
		"  \"n\": 0.1,\n"
		"  \"third\": 0.3333333333333333,\n"
		"  \"nan\": null,\n"
		"  \"i\": -42,\n"
		"  \"u\": 18446744073709551615,\n"
		"  \"row\": [1, 2.5],\n"
		"  \"empty\": [],\n"
		"  \"list\": [\n"
		"    {\n"
		"      \"b\": true,\n"
		"      \"z\": null\n"
		"    }\n"
		"  ]\n"
		"}\n");
	free(buf);
}

/* Two populations (8 neurons and 2 channels), four ops; statistics of 2 images at T 3. */
static void test_totals(void **state)
{
	static const double mean[1] = { 0.5 }, std[1] = { 0.25 };
	const float w[8] = { 0 }, b[4] = { 0 };
	struct spk_model_build *bd = spk_model_build_create("t", "", 3, 1, 2, 2, 2, mean, std, NAN);
	uint64_t pop_spikes[2] = { 30, 6 }, sops[5] = { 0, 0, 100, 0, 40 };
	uint64_t attn[5] = { 0 }, dense[5] = { 0, 0, 64, 0, 4 };
	struct spk_ref_stats st = { .images = 2, .time_steps = 3, .pop_spikes = pop_spikes,
				    .op_sops = sops, .op_attn = attn, .op_dense = dense,
				    .enc_macs = 1000 };
	struct spk_ref_totals t;
	struct spk_model *m;
	char err[256];

	(void)state;
	spk_model_build_site(bd, "s0", 2, 2, 2);
	spk_model_build_site(bd, "s1", 2, 2, 2);
	spk_model_build_pop(bd, "p0", 0, 0, 1.0);
	spk_model_build_pop(bd, "p1", 1, 1, 1.0);
	spk_model_build_encoder(bd, "enc", 0, 1, 1, 0, 2, w, b);
	spk_model_build_fire(bd, "f0", 0);
	spk_model_build_conv(bd, "c", 0, 1, 1, 1, 0, 2, 2, w, b);
	spk_model_build_fire(bd, "f1", 1);
	spk_model_build_linear(bd, "head", 1, 2, w, b);
	m = spk_model_build_model(bd, "t.spkm", err, sizeof(err));
	if (m == NULL)
		fail_msg("%s", err);
	spk_model_build_destroy(bd);

	spk_ref_get_totals(m, &st, &t);
	assert_int_equal(t.neurons, 10);
	assert_true(t.spikes_per_image == 18);			/* 36 / 2 */
	assert_true(fabs(t.firing_rate - 36.0 / (10 * 3 * 2)) < 1e-15);
	assert_true(t.sops_per_image == 70);			/* 140 / 2 */
	assert_true(t.dense_ops_per_image == 68 * 3);		/* per timestep · T */
	assert_true(t.encoder_macs_per_image == 1000);
	assert_true(fabs(t.energy_paper_uj_per_image - (4.6 * 1000 + 0.9 * 70) * 1e-6) < 1e-15);
	spk_model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonw),
		cmocka_unit_test(test_totals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
