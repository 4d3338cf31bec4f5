/*
 * test_map_partition.c — the partition pass (mapper/partition.h) on the tiny fixture model over
 * chips of several core sizes: every site element lies in exactly one piece, every core holds
 * no more neuron slots, synapse bytes or (estimated) routes than the arch allows — recounted
 * naively from the model, not from the pass's own bookkeeping —, pieces sit in disjoint slot
 * ranges, and too-small cores fail with the right resource. Both splits; the auto split bands
 * sites on small cores and sends fewer packets (counted from the routing tables), and keeps a
 * residual write-back it cannot prove causal at its fewest bands (built models).
 */
#include "config.h"

#include "arch/arch.h"
#include "mapper/map.h"
#include "mapper/partition.h"
#include "image/image.h"
#include "models/model_build.h"

#include <math.h>
#include "models/model.h"
#include "models/quant.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "map_fixture.h"

/* Slots per element, from the model alone. */
static uint64_t naive_spe(const struct spk_model *m, uint32_t s)
{
	uint32_t readers = 0, means = 0;
	bool enc = false;

	for (uint32_t p = 0; p < m->n_pops; p++)
		if (m->pops[p].site == s && m->pops[p].kind == SPK_POP_MEAN)
			means++;
		else if (m->pops[p].site == s)
			readers++;
	for (uint32_t i = 0; i < m->n_ops; i++)
		if (m->ops[i].type == SPK_OP_ENCODER && m->ops[i].dst_site == s)
			enc = true;
	return ((readers <= 1 && means == 0) ? 1 : 1 + readers) + enc;
}

/* Synapse bytes of g channels of site s, from the model alone. */
static uint64_t naive_bytes(const struct spk_model *m, uint32_t s, uint32_t g, int wb)
{
	uint64_t bits = 0, words = 0;

	for (uint32_t i = 0; i < m->n_ops; i++)
		if (m->ops[i].type == SPK_OP_CONV && m->ops[i].dst_site == s) {
			bits += (uint64_t)m->ops[i].c_in * m->ops[i].kernel * m->ops[i].kernel * wb;
			words++;
		}
	for (uint32_t p = 0; p < m->n_pops; p++)
		if (m->pops[p].site == s && m->pops[p].kind == SPK_POP_NEURON)
			words++;
	return (g * bits + 7) / 8 + 4 * g * words;
}

static void check_split(const struct spk_model *m, const struct spk_arch *a,
			enum spk_map_split split)
{
	char err[512];
	struct spk_qmodel *q = spk_quant_create(m, a->core.weight_bits, a->core.membrane_bits, err,
						sizeof(err));
	struct spk_map *map;
	uint64_t *slots, *bytes, *routes;

	assert_non_null(q);
	map = spk_map_create(m, q, a, 1);
	assert_non_null(map);
	map->split = split;
	if (spk_partition_run(map) != 0) {
		spk_map_fail_message(map, err, sizeof(err));
		fail_msg("%s", err);
	}
	slots = calloc(map->n_nodes, sizeof(*slots));
	bytes = calloc(map->n_nodes, sizeof(*bytes));
	routes = calloc(map->n_nodes, sizeof(*routes));
	assert_true(slots != NULL && bytes != NULL && routes != NULL);
	assert_true(map->n_cores <= map->n_syn);

	/* every element of every read or written site is in exactly one piece */
	for (uint32_t s = 0; s < m->n_sites; s++) {
		const struct spk_site *st = &m->sites[s];
		uint8_t *seen = calloc((size_t)st->channels * st->height, 1);

		assert_non_null(seen);
		for (uint32_t i = 0; i < map->n_pieces; i++) {
			const struct spk_map_piece *p = &map->pieces[i];

			if (p->site != s)
				continue;
			assert_true(p->c0 < p->c1 && p->c1 <= st->channels);
			assert_true(p->y0 < p->y1 && p->y1 <= st->height);
			for (uint32_t c = p->c0; c < p->c1; c++)
				for (uint32_t y = p->y0; y < p->y1; y++)
					seen[(size_t)c * st->height + y]++;
		}
		for (size_t k = 0; k < (size_t)st->channels * st->height; k++)
			assert_int_equal(seen[k], 1);
		free(seen);
	}
	/* naive recount per core */
	for (uint32_t i = 0; i < map->n_pieces; i++) {
		const struct spk_map_piece *p = &map->pieces[i];
		uint64_t elems = (uint64_t)(p->c1 - p->c0) * (p->y1 - p->y0) * m->sites[p->site].width;

		assert_true(p->node < map->n_cores);
		assert_int_equal(map->nodes[p->node].kind, SPK_TILE_CORE);
		assert_int_equal(map->nodes[p->node].items[p->local], i);
		slots[p->node] += elems * naive_spe(m, p->site);
		bytes[p->node] += naive_bytes(m, p->site, p->c1 - p->c0, a->core.weight_bits);
		routes[p->node] += p->est_routes;
	}
	for (uint32_t n = 0; n < map->n_cores; n++) {
		const struct spk_map_node *nd = &map->nodes[n];
		uint32_t next = 0;

		assert_true(nd->used);
		assert_true(slots[n] <= (uint64_t)a->core.neurons);
		assert_true(bytes[n] <= (uint64_t)a->core.synapse_kib * 1024);
		assert_int_equal(slots[n], nd->slots);
		assert_int_equal(bytes[n], nd->bytes);
		if (nd->n_items > 1)
			assert_true(routes[n] <= (uint64_t)a->core.route_entries);
		/* disjoint, consecutive slot ranges */
		for (uint32_t k = 0; k < nd->n_items; k++) {
			const struct spk_map_piece *p = &map->pieces[nd->items[k]];

			assert_int_equal(p->slot_base, next);
			next += p->slots;
		}
	}
	for (uint32_t n = map->n_cores; n < map->n_nodes; n++)
		assert_false(map->nodes[n].used);
	free(slots);
	free(bytes);
	free(routes);
	spk_map_destroy(map);
	spk_quant_destroy(q);
}

/* Both splits keep every invariant. */
static void check_partition(const struct spk_model *m, const struct spk_arch *a)
{
	check_split(m, a, SPK_SPLIT_CHANNELS);
	check_split(m, a, SPK_SPLIT_AUTO);
}

/* Expected spike packets per timestep of a compiled map: Σ of its spike routes' weights. */
static uint64_t spike_packets(const struct spk_arch *a, enum spk_map_split split,
			      uint32_t *max_bands)
{
	char err[512];
	struct spk_qmodel *q = spk_quant_create(model, a->core.weight_bits, a->core.membrane_bits,
						err, sizeof(err));
	struct spk_map *map = spk_map_create(model, q, a, 1);
	uint64_t n = 0;

	assert_non_null(map);
	map->split = split;
	assert_int_equal(spk_map_compile(map), 0);
	assert_true(map->split_chosen == (split == SPK_SPLIT_AUTO));
	for (uint32_t i = 0; i < map->n_routes; i++)
		if (map->routes[i].kind == SPK_ROUTE_SPIKE)
			n += map->routes[i].weight;
	*max_bands = 0;
	for (uint32_t s = 0; s < model->n_sites; s++)
		if (map->sites[s].bands > *max_bands)
			*max_bands = map->sites[s].bands;
	spk_map_destroy(map);
	spk_quant_destroy(q);
	return n;
}

/*
 * The auto split cuts sites into row bands on small cores and sends fewer spike packets than
 * channel groups alone (counted from the routing tables, not the pass's own estimate); where
 * bands would not lower them (the default chip) it keeps the channel split's pieces.
 */
static void test_auto_split(void **state)
{
	struct spk_arch a;
	uint32_t bc, ba;
	uint64_t pc, pa;

	(void)state;
	arch_with(&a, "chip", "mesh_x", "40", "chip", "mesh_y", "30", "core", "neurons", "256",
		  "core", "synapse_kib", "8", "core", "route_entries", "1024", "attention",
		  "units", "4", "attention", "kv_kib", "2", "encoder", "units", "3", NULL);
	pc = spike_packets(&a, SPK_SPLIT_CHANNELS, &bc);
	pa = spike_packets(&a, SPK_SPLIT_AUTO, &ba);
	assert_true(ba > bc);
	assert_true(pa < pc * 8 / 10);
	arch_with(&a, NULL);
	pc = spike_packets(&a, SPK_SPLIT_CHANNELS, &bc);
	pa = spike_packets(&a, SPK_SPLIT_AUTO, &ba);
	assert_true(pa <= pc);
}

/*
 * A residual stream X (8 x 16 x 16, written by the encoder) whose reader r1 feeds a 1x1 conv to
 * S1; with two hops S1's population writes back into X through a 7x7 conv, with three hops it
 * goes on through a 1x1 conv to S2 first, whose population writes back. A second reader of X
 * and a mean and head close the model.
 */
static struct spk_model *residual_model(int hops)
{
	const double mean = 0.3, std = 0.35;
	struct spk_model_build *b = spk_model_build_create("res", "", 1, 1, 16, 16, 10, &mean,
							   &std, NAN);
	float *w = calloc(8 * 8 * 49, sizeof(float)), bias[8] = { 0 }, hw[80], hb[10] = { 0 };
	char err[256];
	struct spk_model *m;
	uint32_t x, s1, s2, r1, r2, q1, q2, mp, src;

	assert_true(b != NULL && w != NULL);
	for (size_t i = 0; i < 8 * 8 * 49; i++)
		w[i] = (float)((i * 7919) % 13) / 8.0f - 0.75f;
	for (size_t i = 0; i < 80; i++)
		hw[i] = (float)(i % 5) - 2.0f;
	x = spk_model_build_site(b, "x", 8, 16, 16);
	s1 = spk_model_build_site(b, "s1", 8, 16, 16);
	s2 = hops == 3 ? spk_model_build_site(b, "s2", 8, 16, 16) : 0;
	r1 = spk_model_build_pop(b, "r1", x, SPK_POP_NEURON, 1.0);
	q1 = spk_model_build_pop(b, "q1", s1, SPK_POP_NEURON, 1.0);
	q2 = hops == 3 ? spk_model_build_pop(b, "q2", s2, SPK_POP_NEURON, 1.0) : 0;
	r2 = spk_model_build_pop(b, "r2", x, SPK_POP_NEURON, 1.0);
	mp = spk_model_build_pop(b, "m", x, SPK_POP_MEAN, 1.0);
	spk_model_build_encoder(b, "enc", x, 3, 1, 1, 8, w, bias);
	spk_model_build_fire(b, "r1", r1);
	spk_model_build_conv(b, "a", r1, s1, 1, 1, 0, 8, 8, w, bias);
	spk_model_build_fire(b, "q1", q1);
	src = q1;
	if (hops == 3) {
		spk_model_build_conv(b, "b", q1, s2, 1, 1, 0, 8, 8, w, bias);
		spk_model_build_fire(b, "q2", q2);
		src = q2;
	}
	spk_model_build_conv(b, "back", src, x, 7, 1, 3, 8, 8, w, bias);
	spk_model_build_fire(b, "r2", r2);
	spk_model_build_fire(b, "m", mp);
	spk_model_build_linear(b, "head", mp, 8, hw, hb);
	m = spk_model_build_model(b, "res", err, sizeof(err));
	if (m == NULL)
		fail_msg("%s", err);
	free(w);
	spk_model_build_destroy(b);
	return m;
}

/* Bands per site of m mapped with the auto split onto 256-neuron cores. */
static void auto_bands(const struct spk_model *m, uint32_t *bands)
{
	struct spk_arch a;
	char err[512];
	struct spk_qmodel *q;
	struct spk_map *map;

	arch_with(&a, "chip", "mesh_x", "16", "chip", "mesh_y", "16", "core", "neurons", "256",
		  "core", "neuron_updates", "4", "core", "route_entries", "1024", "attention",
		  "units", "1", NULL);
	q = spk_quant_create(m, a.core.weight_bits, a.core.membrane_bits, err, sizeof(err));
	if (q == NULL)
		fail_msg("%s", err);
	map = spk_map_create(m, q, &a, 1);
	assert_non_null(map);
	map->split = SPK_SPLIT_AUTO;
	assert_int_equal(spk_partition_run(map), 0);
	assert_true(map->split_chosen);
	for (uint32_t s = 0; s < m->n_sites; s++)
		bands[s] = map->sites[s].bands;
	spk_map_destroy(map);
	spk_quant_destroy(q);
}

/*
 * Phase causality: with two hops the route pass covers the write-back and the auto split bands
 * the stream's neighbour; with three (not proven) the write-back's site and the stream keep their
 * fewest bands (the stream: 4, its rows of 16 x 4 slots on 256-neuron cores; s2: 1).
 */
static void test_auto_split_causality(void **state)
{
	struct spk_model *m2 = residual_model(2), *m3 = residual_model(3);
	uint32_t b2[3], b3[3];

	(void)state;
	auto_bands(m2, b2);
	auto_bands(m3, b3);
	assert_true(b2[1] > 1);		/* s1 banded: the split is at work */
	assert_true(b3[1] > 1);
	assert_int_equal(b3[0], 4);	/* x */
	assert_int_equal(b3[2], 1);	/* s2 */
	spk_model_destroy(m2);
	spk_model_destroy(m3);
}

static void test_default_chip(void **state)
{
	struct spk_arch a;

	(void)state;
	arch_with(&a, NULL);
	check_partition(model, &a);
}

static void test_small_cores(void **state)
{
	struct spk_arch a;

	(void)state;
	/* 512 slots: stage-1 streams (14 columns x 5 slots) are cut into row bands */
	arch_with(&a, "chip", "mesh_x", "32", "chip", "mesh_y", "32", "core", "neurons", "512",
		  "core", "synapse_kib", "16", "core", "route_entries", "4096", NULL);
	check_partition(model, &a);
	/* few synapses: channel groups are bounded by synapse memory, not neurons */
	arch_with(&a, "chip", "mesh_x", "16", "chip", "mesh_y", "16", "core", "synapse_kib", "4",
		  "core", "weight_bits", "4", NULL);
	check_partition(model, &a);
	/* a small routing table splits packing */
	arch_with(&a, "core", "route_entries", "8", NULL);
	check_partition(model, &a);
}

static void test_bands_and_groups(void **state)
{
	struct spk_arch a;
	char err[512];
	struct spk_qmodel *q;
	struct spk_map *map;
	bool banded = false, grouped = false;

	(void)state;
	arch_with(&a, "chip", "mesh_x", "32", "chip", "mesh_y", "32", "core", "neurons", "512",
		  "core", "route_entries", "4096", NULL);
	q = spk_quant_create(model, 8, 16, err, sizeof(err));
	assert_non_null(q);
	map = spk_map_create(model, q, &a, 1);
	assert_int_equal(spk_partition_run(map), 0);
	for (uint32_t s = 0; s < model->n_sites; s++) {
		banded |= map->sites[s].bands > 1;
		grouped |= map->sites[s].groups > 1;
		assert_int_equal(map->sites[s].n_pieces, map->sites[s].groups * map->sites[s].bands);
	}
	assert_true(banded && grouped);
	spk_map_destroy(map);
	spk_quant_destroy(q);
}

static void expect_fail(const struct spk_model *m, const struct spk_arch *a, const char *resource,
			const char *fix)
{
	char err[512];
	struct spk_qmodel *q = spk_quant_create(m, a->core.weight_bits, a->core.membrane_bits, err,
						sizeof(err));
	struct spk_map *map = spk_map_create(m, q, a, 1);

	assert_non_null(map);
	assert_int_equal(spk_partition_run(map), -ENOSPC);
	spk_map_fail_message(map, err, sizeof(err));
	assert_string_equal(map->fail.resource, resource);
	assert_true(map->fail.needed > map->fail.available);
	if (strstr(err, fix) == NULL)
		fail_msg("'%s' does not mention '%s'", err, fix);
	spk_map_destroy(map);
	spk_quant_destroy(q);
}

static void test_failures(void **state)
{
	struct spk_arch a;

	(void)state;
	/* one row of the first stream: 14 columns x 5 slots = 70 */
	arch_with(&a, "core", "neurons", "64", "core", "neuron_updates", "8", NULL);
	expect_fail(model, &a, "neurons", "[core] neurons >= 70");
	arch_with(&a, "core", "synapse_kib", "1", NULL);
	expect_fail(model, &a, "synapse memory", "[core] synapse_kib >= ");
	arch_with(&a, "chip", "mesh_x", "4", "chip", "mesh_y", "4", "attention", "units", "2",
		  NULL);
	expect_fail(model, &a, "synapse cores (mesh too small)", "mesh_x x mesh_y >= ");
}

static void test_conv_rows(void **state)
{
	uint32_t lo, hi;

	(void)state;
	/* 3x3 stride 1 pad 1 over 14 rows: input rows 4..6 reach output rows 3..7 */
	assert_true(spk_partition_conv_rows(4, 7, 3, 1, 1, 14, &lo, &hi));
	assert_int_equal(lo, 3);
	assert_int_equal(hi, 7);
	/* clipped at both ends */
	assert_true(spk_partition_conv_rows(0, 14, 7, 1, 3, 14, &lo, &hi));
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 13);
	/* stride 2: naive recount over every pair */
	for (uint32_t k = 1; k <= 7; k += 2)
		for (uint32_t s = 1; s <= 2; s++)
			for (uint32_t y0 = 0; y0 < 14; y0++)
				for (uint32_t y1 = y0 + 1; y1 <= 14; y1++) {
					uint32_t pad = k / 2, out = (14 + 2 * pad - k) / s + 1;
					int64_t nlo = -1, nhi = -1;
					bool any;

					for (uint32_t oy = 0; oy < out; oy++)
						for (uint32_t y = y0; y < y1; y++)
							if ((int64_t)y >= (int64_t)oy * s - pad &&
							    (int64_t)y <= (int64_t)oy * s - pad + k - 1) {
								if (nlo < 0)
									nlo = oy;
								nhi = oy;
							}
					any = spk_partition_conv_rows(y0, y1, k, s, pad, out, &lo, &hi);
					assert_int_equal(any, nlo >= 0);
					if (any) {
						assert_int_equal(lo, nlo);
						assert_int_equal(hi, nhi);
					}
				}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_rows),
		cmocka_unit_test(test_default_chip),
		cmocka_unit_test(test_small_cores),
		cmocka_unit_test(test_bands_and_groups),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_auto_split),
		cmocka_unit_test(test_auto_split_causality),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
