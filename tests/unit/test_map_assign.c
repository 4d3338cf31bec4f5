/*
 * test_map_assign.c — the assign pass (mapper/assign.h) on the tiny fixture (8 ATTN ops: six
 * of 2 heads x 12x12 counters, two of 2 x 16x16): one op per unit when units suffice, KV
 * regions packed within kv_kib otherwise (recounted from the ops' shapes), the encoder split by
 * channel over its units, the head on the readout; and the failures for too few units, too
 * little KV memory and too little encoder weight memory.
 */
#include "config.h"

#include "arch/arch.h"
#include "mapper/assign.h"
#include "mapper/map.h"
#include "models/model.h"
#include "models/model_build.h"
#include "models/quant.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "map_fixture.h"

struct run {
	struct spk_qmodel *q;
	struct spk_map *map;
	int rc;
	char msg[512];
};

static void run_assign(struct run *r, const struct spk_arch *a)
{
	char err[256];

	r->q = spk_quant_create(model, a->core.weight_bits, a->core.membrane_bits, err,
				sizeof(err));
	assert_non_null(r->q);
	r->map = spk_map_create(model, r->q, a, 1);
	assert_non_null(r->map);
	r->rc = spk_assign_run(r->map);
	if (r->rc != 0)
		spk_map_fail_message(r->map, r->msg, sizeof(r->msg));
}

static void done(struct run *r)
{
	spk_map_destroy(r->map);
	spk_quant_destroy(r->q);
}

/* KV bytes of an ATTN op, recounted from its shape. */
static uint64_t kv(const struct spk_op *op, int bits)
{
	uint64_t d = op->c_out / op->heads;

	return (op->heads * d * d * (uint64_t)bits + 7) / 8;
}

static void check_units(const struct run *r, const struct spk_arch *a)
{
	const struct spk_map *map = r->map;
	uint32_t ops = 0;

	for (uint32_t u = 0; u < map->n_attn; u++) {
		const struct spk_map_node *n = &map->nodes[map->attn_first + u];
		uint64_t used = 0;

		assert_int_equal(n->kind, SPK_TILE_ATTENTION);
		for (uint32_t k = 0; k < n->n_items; k++) {
			assert_int_equal(model->ops[n->items[k]].type, SPK_OP_ATTN);
			assert_int_equal(map->op_node[n->items[k]], map->attn_first + u);
			if (k > 0)
				assert_true(n->items[k - 1] < n->items[k]);
			used += kv(&model->ops[n->items[k]], a->attention.counter_bits);
		}
		assert_int_equal(used, n->bytes);
		assert_true(used <= (uint64_t)a->attention.kv_kib * 1024);
		assert_int_equal(n->used, n->n_items > 0);
		ops += n->n_items;
	}
	assert_int_equal(ops, 8);
}

static void test_one_op_per_unit(void **state)
{
	struct spk_arch a;
	struct run r;

	(void)state;
	arch_with(&a, NULL);
	run_assign(&r, &a);
	assert_int_equal(r.rc, 0);
	check_units(&r, &a);
	for (uint32_t u = 0; u < 8; u++)
		assert_int_equal(r.map->nodes[r.map->attn_first + u].n_items, 1);
	/* encoder: all 4 channels on the one unit; head on the readout */
	assert_int_equal(r.map->nodes[r.map->enc_first].c0, 0);
	assert_int_equal(r.map->nodes[r.map->enc_first].c1, 4);
	assert_int_equal(r.map->op_node[model->n_ops - 1], r.map->readout_first);
	done(&r);
}

static void test_packed(void **state)
{
	struct spk_arch a;
	struct run r;

	(void)state;
	/* 3 units of 2 KiB hold 6 x 576 + 2 x 1024 bytes (first-fit decreasing) */
	arch_with(&a, "attention", "units", "3", "attention", "kv_kib", "2", "encoder", "units",
		  "3", NULL);
	run_assign(&r, &a);
	assert_int_equal(r.rc, 0);
	check_units(&r, &a);
	/* encoder: 4 channels over 3 units, balanced */
	assert_int_equal(r.map->nodes[r.map->enc_first + 0].c1 - r.map->nodes[r.map->enc_first].c0,
			 1);
	assert_int_equal(r.map->nodes[r.map->enc_first + 2].c1, 4);
	for (uint32_t u = 0; u < 3; u++)
		assert_true(r.map->nodes[r.map->enc_first + u].used);
	done(&r);
}

static void test_failures(void **state)
{
	struct spk_arch a;
	struct run r;

	(void)state;
	arch_with(&a, "attention", "units", "2", "attention", "kv_kib", "1", NULL);
	run_assign(&r, &a);
	assert_int_equal(r.rc, -ENOSPC);
	assert_string_equal(r.map->fail.resource, "attention units");
	assert_int_equal(r.map->fail.available, 2);
	assert_non_null(strstr(r.msg, "[attention] units >= "));
	done(&r);

	arch_with(&a, "attention", "kv_kib", "1", "attention", "counter_bits", "32", NULL);
	run_assign(&r, &a);
	assert_int_equal(r.rc, -ENOSPC);
	assert_string_equal(r.map->fail.resource, "attention KV memory");
	assert_non_null(strstr(r.msg, "[attention] kv_kib >= 2"));
	done(&r);

	arch_with(&a, "attention", "units", "0", NULL);
	run_assign(&r, &a);
	assert_int_equal(r.rc, -ENOSPC);
	assert_string_equal(r.map->fail.resource, "attention units");
	done(&r);
}

/* A minimal valid model: a wide ENCODER into a site read only by the spatial mean and the head. */
static struct spk_model *wide_encoder(uint32_t C)
{
	const double mean = 0.3, std = 0.35;
	struct spk_model_build *b = spk_model_build_create("wide", "", 1, 1, 28, 28, 10, &mean,
							   &std, NAN);
	float *w = calloc((size_t)C * 49, sizeof(float)), *bias = calloc(C, sizeof(float));
	float *hw = calloc((size_t)10 * C, sizeof(float)), hb[10] = { 0 };
	char err[256];
	struct spk_model *m;
	uint32_t s, p;

	assert_true(b != NULL && w != NULL && bias != NULL && hw != NULL);
	for (size_t i = 0; i < (size_t)C * 49; i++)
		w[i] = (float)((i * 7919) % 13) - 6.0f;
	for (size_t i = 0; i < (size_t)10 * C; i++)
		hw[i] = (float)(i % 5) - 2.0f;
	s = spk_model_build_site(b, "enc", C, 14, 14);
	p = spk_model_build_pop(b, "lif", s, 1, 1.0);
	spk_model_build_encoder(b, "enc", s, 7, 2, 3, C, w, bias);
	spk_model_build_fire(b, "lif", p);
	spk_model_build_linear(b, "head", p, C, hw, hb);
	m = spk_model_build_model(b, "wide", err, sizeof(err));
	if (m == NULL)
		fail_msg("%s", err);
	free(w);
	free(bias);
	free(hw);
	spk_model_build_destroy(b);
	return m;
}

static void test_encoder(void **state)
{
	struct spk_model *m = wide_encoder(64), *keep = model;
	struct spk_arch a;
	struct run r;

	(void)state;
	model = m;
	/* 64 channels x 49 weights of 8 bits + 4 + 12 x 64 = 3908 bytes on one unit */
	arch_with(&a, "encoder", "weight_kib", "1", "attention", "units", "0", NULL);
	run_assign(&r, &a);
	assert_int_equal(r.rc, -ENOSPC);
	assert_string_equal(r.map->fail.resource, "encoder weight memory");
	assert_int_equal(r.map->fail.needed, 3908);
	assert_int_equal(r.map->fail.needed, spk_assign_encoder_bytes(r.map, 64));
	assert_non_null(strstr(r.msg, "[encoder] weight_kib >= 4, or [encoder] units >= 4"));
	done(&r);
	/* four units of 16 channels fit */
	arch_with(&a, "encoder", "weight_kib", "1", "encoder", "units", "4", "attention", "units",
		  "0", NULL);
	run_assign(&r, &a);
	assert_int_equal(r.rc, 0);
	for (uint32_t u = 0; u < 4; u++) {
		const struct spk_map_node *n = &r.map->nodes[r.map->enc_first + u];

		assert_int_equal(n->c0, 16 * u);
		assert_int_equal(n->c1, 16 * (u + 1));
		assert_true(n->bytes <= 1024);
	}
	done(&r);
	model = keep;
	spk_model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_op_per_unit),
		cmocka_unit_test(test_packed),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_encoder),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
