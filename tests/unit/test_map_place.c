/*
 * test_map_place.c — the place pass (mapper/place.h) on the tiny fixture: the placement is a
 * permutation of the mesh (every node on its own tile), deterministic for a seed (twice the
 * same tiles, whatever else ran in between), the local improvement never makes the cost worse,
 * and the reported cost equals a naive recount of weight x Manhattan distance over every
 * routing entry. The same for Scotch's first placement (deterministic for a seed, within one
 * process and across the other placers' runs). The traffic model (mapper/traffic.h) against
 * naive recounts: a multicast tree's links are the distinct links of its members' XY paths,
 * link loads sum to the hop-traffic; with tree multicast and with --cost maxlink the swaps never
 * make their objective worse than the placement before them.
 */
#include "config.h"

#include "arch/arch.h"
#include "mapper/map.h"
#include "mapper/place.h"
#include "mapper/traffic.h"
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

static struct spk_map *compile_with(const struct spk_arch *a, uint32_t seed,
				    enum spk_map_placer placer, enum spk_map_cost cost)
{
	struct spk_map *map = spk_map_create(model, qmodel, a, seed);
	char err[512];

	assert_non_null(map);
	map->placer = placer;
	map->cost_kind = cost;
	if (spk_map_compile(map) != 0) {
		spk_map_fail_message(map, err, sizeof(err));
		fail_msg("%s", err);
	}
	return map;
}

static struct spk_map *compile(const struct spk_arch *a, uint32_t seed)
{
	return compile_with(a, seed, SPK_PLACER_GREEDY, SPK_COST_SUM);
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
	if (map->cost_kind == SPK_COST_SUM)
		assert_true(map->cost <= map->cost_constructive);
	free(seen);
}

/* node -> tile of the final placement */
static uint32_t *final_pos(const struct spk_map *map)
{
	uint32_t *pos = malloc(map->n_nodes * sizeof(*pos));

	assert_non_null(pos);
	for (uint32_t i = 0; i < map->n_nodes; i++)
		pos[i] = map->nodes[i].tile;
	return pos;
}

/* Naive: the distinct directed links of the XY paths from a flow's source to its members
 * (tree), or all of them counted per member (source replication). */
static uint64_t naive_links(const struct spk_map *map, const struct spk_traffic_flow *fl,
			    const uint32_t *pos, bool tree, uint8_t *seen)
{
	const uint32_t W = (uint32_t)map->arch.chip.mesh_x;
	uint64_t n = 0;

	memset(seen, 0, 4 * (size_t)map->n_nodes);
	for (uint32_t k = 0; k < fl->n_routes; k++) {
		uint32_t s = pos[fl->src], d = pos[map->routes[fl->first_route + k].dst];
		uint32_t x = s % W, y = s / W, dx = d % W, dy = d / W;

		while (x != dx || y != dy) {
			uint32_t l;

			if (x != dx) {
				l = 4 * (y * W + x) + (dx > x ? SPK_LINK_E : SPK_LINK_W);
				x = dx > x ? x + 1 : x - 1;
			} else {
				l = 4 * (y * W + x) + (dy > y ? SPK_LINK_S : SPK_LINK_N);
				y = dy > y ? y + 1 : y - 1;
			}
			if (!tree || !fl->group || !seen[l])
				n++;
			seen[l] = 1;
		}
	}
	return n;
}

/* The traffic model against naive recounts, for the final placement of map. */
static void check_traffic(const struct spk_map *map, bool tree)
{
	struct spk_traffic t;
	struct spk_traffic_stats chip;
	uint32_t *pos = final_pos(map);
	uint8_t *seen = malloc(4 * (size_t)map->n_nodes);
	uint64_t *load = calloc(4 * (size_t)map->n_nodes, sizeof(*load));
	uint64_t hop = 0, pairwise = 0, lsum = 0, lmax = 0;

	assert_non_null(seen);
	assert_non_null(load);
	assert_int_equal(spk_traffic_init(&t, map, tree), 0);
	for (uint32_t f = 0; f < t.n_flows; f++) {
		const struct spk_traffic_flow *fl = &t.flows[f];
		uint64_t n = naive_links(map, fl, pos, tree, seen);

		assert_int_equal(spk_traffic_flow_links(&t, f, pos), n);
		if (!tree || !fl->group)
			assert_int_equal(n, naive_links(map, fl, pos, false, seen));
		hop += fl->weight * n;
		pairwise += fl->weight * naive_links(map, fl, pos, false, seen);
		spk_traffic_flow_load(&t, f, pos, 1, load);
	}
	for (uint32_t l = 0; l < 4 * map->n_nodes; l++) {
		lsum += load[l];
		if (load[l] > lmax)
			lmax = load[l];
	}
	assert_int_equal(pairwise, spk_place_cost(map));
	assert_int_equal(lsum, hop);
	assert_int_equal(spk_traffic_measure(&t, pos, &chip, NULL), 0);
	assert_int_equal(chip.hop_traffic, hop);
	assert_int_equal(chip.max_link, lmax);
	if (tree)
		assert_true(hop <= pairwise);
	spk_traffic_fini(&t);
	free(pos);
	free(seen);
	free(load);
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

static void test_scotch(void **state)
{
	struct spk_arch a;
	struct spk_map *m1, *m2, *m3;

	(void)state;
	arch_with(&a, "chip", "mesh_x", "10", "chip", "mesh_y", "14", "core", "neurons", "4096",
		  NULL);
	m1 = compile_with(&a, 7, SPK_PLACER_SCOTCH, SPK_COST_SUM);
	m3 = compile_with(&a, 7, SPK_PLACER_GREEDY, SPK_COST_SUM);
	m2 = compile_with(&a, 7, SPK_PLACER_SCOTCH, SPK_COST_SUM);
	check_placement(m1);
	check_placement(m2);
	assert_memory_equal(m1->tile_initial, m2->tile_initial, m1->n_nodes * sizeof(uint32_t));
	assert_memory_equal(m1->tile_node, m2->tile_node, m1->n_nodes * sizeof(uint32_t));
	assert_int_equal(m1->cost, m2->cost);
	check_traffic(m1, false);
	spk_map_destroy(m1);
	spk_map_destroy(m2);
	spk_map_destroy(m3);
	/* a non-square mesh, nearly full */
	arch_with(&a, "chip", "mesh_x", "5", "chip", "mesh_y", "5", "core", "neurons", "16384",
		  NULL);
	m1 = compile_with(&a, 3, SPK_PLACER_SCOTCH, SPK_COST_SUM);
	check_placement(m1);
	spk_map_destroy(m1);
	arch_with(&a, "chip", "mesh_x", "64", "chip", "mesh_y", "3", "core", "neurons", "2048",
		  NULL);
	m1 = compile_with(&a, 1, SPK_PLACER_SCOTCH, SPK_COST_SUM);
	check_placement(m1);
	spk_map_destroy(m1);
}

/* Σ weight x links of every flow, for a placement (node -> tile) */
static uint64_t flow_cost(const struct spk_map *map, const uint32_t *pos, bool tree,
			  uint64_t *maxlink)
{
	struct spk_traffic t;
	struct spk_traffic_stats chip;

	assert_int_equal(spk_traffic_init(&t, map, tree), 0);
	assert_int_equal(spk_traffic_measure(&t, pos, &chip, NULL), 0);
	spk_traffic_fini(&t);
	*maxlink = chip.max_link;
	return chip.hop_traffic;
}

static void test_tree_and_maxlink(void **state)
{
	struct spk_arch a;
	struct spk_map *m;
	uint32_t *pos;
	uint64_t before, after, ml_before, ml_after;

	(void)state;
	arch_with(&a, "chip", "mesh_x", "10", "chip", "mesh_y", "14", "core", "neurons", "4096",
		  "noc", "multicast", "tree", NULL);
	for (int placer = 0; placer < 2; placer++) {
		m = compile_with(&a, 5, (enum spk_map_placer)placer, SPK_COST_TREE);
		assert_true(m->tree);
		check_placement(m);
		check_traffic(m, true);
		check_traffic(m, false);
		pos = final_pos(m);
		after = flow_cost(m, pos, true, &ml_after);
		before = flow_cost(m, m->tile_initial, true, &ml_before);
		assert_true(after <= before);
		free(pos);
		spk_map_destroy(m);
	}
	arch_with(&a, "chip", "mesh_x", "10", "chip", "mesh_y", "14", "core", "neurons", "4096",
		  NULL);
	m = compile_with(&a, 5, SPK_PLACER_GREEDY, SPK_COST_MAXLINK);
	check_placement(m);
	pos = final_pos(m);
	after = flow_cost(m, pos, false, &ml_after);
	before = flow_cost(m, m->tile_initial, false, &ml_before);
	assert_true(ml_after < ml_before || (ml_after == ml_before && after <= before));
	free(pos);
	spk_map_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hops),
		cmocka_unit_test(test_scotch),
		cmocka_unit_test(test_tree_and_maxlink),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_shapes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
