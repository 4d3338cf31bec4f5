/*
 * test_map_place.c — the place pass (mapper/place.h) on the tiny fixture: the placement is a
 * permutation of the mesh (every node on its own tile), deterministic for a seed (twice the
 * same tiles, whatever else ran in between), the local improvement never makes the cost worse,
 * and the reported cost equals a naive recount of weight x Manhattan distance over every
 * routing entry.
 */
#include "config.h"

#include "arch/arch.h"
#include "mapper/map.h"
#include "mapper/place.h"
#include "models/model.h"
#include "models/quant.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "map_fixture.h"

static struct spk_map *compile(const struct spk_arch *a, uint32_t seed)
{
	struct spk_map *map = spk_map_create(model, qmodel, a, seed);
	char err[512];

	assert_non_null(map);
	if (spk_map_compile(map) != 0) {
		spk_map_fail_message(map, err, sizeof(err));
		fail_msg("%s", err);
	}
	return map;
}

static void check_placement(const struct spk_map *map)
{
	const uint32_t W = (uint32_t)map->arch.chip.mesh_x;
	uint8_t *seen = calloc(map->n_nodes, 1);
	uint64_t cost = 0;

	assert_non_null(seen);
	for (uint32_t i = 0; i < map->n_nodes; i++) {
		uint32_t t = map->nodes[i].tile;

		assert_true(t < map->n_nodes);
		assert_int_equal(seen[t], 0);
		seen[t] = 1;
		assert_int_equal(map->tile_node[t], i);
	}
	for (uint32_t i = 0; i < map->n_nodes; i++) {
		const struct spk_map_node *n = &map->nodes[i];

		for (uint32_t k = 0; k < n->n_routes; k++) {
			const struct spk_map_route *r = &map->routes[n->first_route + k];
			int dx = (int)(n->tile % W) - (int)(map->nodes[r->dst].tile % W);
			int dy = (int)(n->tile / W) - (int)(map->nodes[r->dst].tile / W);

			cost += r->weight * (uint64_t)(abs(dx) + abs(dy));
		}
	}
	assert_int_equal(cost, map->cost);
	assert_int_equal(cost, spk_place_cost(map));
	assert_true(map->cost <= map->cost_constructive);
	free(seen);
}

static void test_deterministic(void **state)
{
	struct spk_arch a;
	struct spk_map *m1, *m2, *m3;
	bool differs = false;

	(void)state;
	arch_with(&a, "chip", "mesh_x", "10", "chip", "mesh_y", "14", "core", "neurons", "4096",
		  NULL);
	m1 = compile(&a, 7);
	m3 = compile(&a, 8);
	m2 = compile(&a, 7);
	check_placement(m1);
	check_placement(m3);
	assert_memory_equal(m1->tile_node, m2->tile_node, m1->n_nodes * sizeof(uint32_t));
	assert_int_equal(m1->cost, m2->cost);
	for (uint32_t t = 0; t < m1->n_nodes; t++)
		differs |= m1->tile_node[t] != m3->tile_node[t];
	assert_true(differs);	/* the seed matters */
	spk_map_destroy(m1);
	spk_map_destroy(m2);
	spk_map_destroy(m3);
}

static void test_shapes(void **state)
{
	struct spk_arch a;
	struct spk_map *m;

	(void)state;
	arch_with(&a, NULL);
	m = compile(&a, 1);
	check_placement(m);
	assert_true(m->cost > 0);
	spk_map_destroy(m);
	arch_with(&a, "chip", "mesh_x", "64", "chip", "mesh_y", "3", "core", "neurons", "2048",
		  NULL);
	m = compile(&a, 1);
	check_placement(m);
	spk_map_destroy(m);
	arch_with(&a, "chip", "mesh_x", "5", "chip", "mesh_y", "5", "core", "neurons", "16384",
		  NULL);
	m = compile(&a, 3);
	check_placement(m);
	spk_map_destroy(m);
}

static void test_hops(void **state)
{
	struct spk_arch a;
	struct spk_map *m;

	(void)state;
	arch_with(&a, "chip", "mesh_x", "7", "chip", "mesh_y", "5", NULL);
	m = spk_map_create(model, qmodel, &a, 1);
	assert_int_equal(spk_place_hops(m, 0, 34), 6 + 4);
	assert_int_equal(spk_place_hops(m, 8, 8), 0);
	assert_int_equal(spk_place_hops(m, 13, 7), 6);
	spk_map_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hops),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_shapes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
