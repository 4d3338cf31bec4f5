/*
 * test_map_route.c — the route pass (mapper/route.h): on the tiny fixture over several chips,
 * every (source, destination) pair the model implies has its routing entry, and no entry is
 * superfluous. The pairs are recounted naively: for each CONV, every (input row, output row)
 * pair its kernel connects, from every piece holding the input row to every piece holding the
 * output row; Q, K and V pieces to their attention unit; the attention unit and the encoder to
 * every piece of the site they write; mean-population pieces to the readout; and, for phase
 * causality, from every piece of a site to the pieces whose spikes come back to it through a later
 * writer (from the piece's last reader before that writer, when a conv of that reader writes the
 * pieces' site). Both splits (channel groups; auto, with bands that follow the rows). Tables
 * respect route_entries, and a too-small table fails naming it.
 */
#include "config.h"

#include "arch/arch.h"
#include "mapper/assign.h"
#include "mapper/map.h"
#include "mapper/partition.h"
#include "mapper/route.h"
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

/* Does node src have an entry of this kind, source and local index to dst? */
static bool has_route(const struct spk_map *map, uint32_t src, enum spk_route_kind kind,
		      uint32_t source, uint32_t local, uint32_t dst, uint32_t dst_piece)
{
	const struct spk_map_node *n = &map->nodes[src];

	for (uint32_t k = 0; k < n->n_routes; k++) {
		const struct spk_map_route *r = &map->routes[n->first_route + k];

		if (r->kind == kind && r->source == source && r->local == local && r->dst == dst &&
		    (dst_piece == UINT32_MAX || r->dst_piece == dst_piece))
			return true;
	}
	return false;
}

/* implied[(src node · n_pops + pop) · n_nodes + dst] for SPIKE pairs, to find extra entries */
/* Does input row range [y0, y1) reach output rows [oy0, oy1) through op's kernel? (naive) */
static bool rows_reach(const struct spk_op *op, uint32_t y0, uint32_t y1, uint32_t oy0,
		       uint32_t oy1)
{
	for (uint32_t y = y0; y < y1; y++)
		for (uint32_t oy = oy0; oy < oy1; oy++)
			if ((int64_t)y >= (int64_t)oy * op->stride - op->pad &&
			    (int64_t)y < (int64_t)oy * op->stride - op->pad + op->kernel)
				return true;
	return false;
}

/* The population reading op's destination site that fires last before op, or UINT32_MAX. */
static uint32_t naive_reader_before(const struct spk_model *m, uint32_t opi)
{
	uint32_t r = UINT32_MAX;

	for (uint32_t i = 0; i < opi; i++)
		if (m->ops[i].type == SPK_OP_FIRE && m->pops[m->ops[i].pop].kind == SPK_POP_NEURON &&
		    m->pops[m->ops[i].pop].site == m->ops[opi].dst_site)
			r = m->ops[i].pop;
	return r;
}

static void check_routes(const struct spk_arch *a, enum spk_map_split split)
{
	const struct spk_model *m = model;
	char err[512];
	struct spk_qmodel *q = spk_quant_create(m, a->core.weight_bits, a->core.membrane_bits, err,
						sizeof(err));
	struct spk_map *map;
	uint8_t *implied;
	uint64_t pairs = 0, spike_routes = 0;

	assert_non_null(q);
	map = spk_map_create(m, q, a, 1);
	assert_non_null(map);
	map->split = split;
	if (spk_map_compile(map) != 0) {
		spk_map_fail_message(map, err, sizeof(err));
		fail_msg("%s", err);
	}
	implied = calloc((size_t)map->n_pieces * m->n_pops * map->n_nodes, 1);
	assert_non_null(implied);
	for (uint32_t i = 0; i < m->n_ops; i++) {
		const struct spk_op *op = &m->ops[i];

		if (op->type == SPK_OP_CONV) {
			uint32_t src = m->pops[op->src_pop].site;

			for (uint32_t sp = 0; sp < map->n_pieces; sp++) {
				const struct spk_map_piece *p = &map->pieces[sp];

				if (p->site != src)
					continue;
				for (uint32_t dp = 0; dp < map->n_pieces; dp++) {
					const struct spk_map_piece *d = &map->pieces[dp];

					if (d->site != op->dst_site ||
					    !rows_reach(op, p->y0, p->y1, d->y0, d->y1))
						continue;
					pairs++;
					if (!has_route(map, p->node, SPK_ROUTE_SPIKE, op->src_pop, p->local,
						       d->node, UINT32_MAX))
						fail_msg("no route for op %u '%s': piece %u -> piece %u", i,
							 op->name, sp, dp);
					implied[((size_t)sp * m->n_pops + op->src_pop) * map->n_nodes +
						d->node] = 1;
				}
			}
		} else if (op->type == SPK_OP_ATTN) {
			const uint32_t qkv[3] = { op->q_pop, op->k_pop, op->v_pop };
			uint32_t unit = map->op_node[i];

			assert_int_equal(map->nodes[unit].kind, SPK_TILE_ATTENTION);
			for (int k = 0; k < 3; k++)
				for (uint32_t sp = 0; sp < map->n_pieces; sp++) {
					const struct spk_map_piece *p = &map->pieces[sp];

					if (p->site != m->pops[qkv[k]].site)
						continue;
					pairs++;
					assert_true(has_route(map, p->node, SPK_ROUTE_SPIKE, qkv[k],
							      p->local, unit, UINT32_MAX));
					implied[((size_t)sp * m->n_pops + qkv[k]) * map->n_nodes + unit] = 1;
				}
			/* the unit's entries: one per destination piece, with its whole block */
			for (uint32_t dp = 0; dp < map->n_pieces; dp++) {
				const struct spk_map_piece *d = &map->pieces[dp];
				const struct spk_map_node *u = &map->nodes[unit];
				bool found = false;

				if (d->site != op->dst_site)
					continue;
				for (uint32_t k = 0; k < u->n_routes; k++) {
					const struct spk_map_route *r = &map->routes[u->first_route + k];

					if (r->kind == SPK_ROUTE_ATTN && r->source == i &&
					    r->dst_piece == dp && r->dst == d->node && r->c0 == d->c0 &&
					    r->c1 == d->c1 && r->y0 == d->y0 && r->y1 == d->y1)
						found = true;
				}
				assert_true(found);
			}
		} else if (op->type == SPK_OP_ENCODER) {
			for (uint32_t dp = 0; dp < map->n_pieces; dp++) {
				const struct spk_map_piece *d = &map->pieces[dp];
				uint32_t covered = 0;

				if (d->site != op->dst_site)
					continue;
				/* every channel of the piece comes from exactly one encoder entry */
				for (uint32_t u = 0; u < map->n_enc; u++) {
					const struct spk_map_node *e = &map->nodes[map->enc_first + u];

					for (uint32_t k = 0; k < e->n_routes; k++) {
						const struct spk_map_route *r = &map->routes[e->first_route + k];

						if (r->kind == SPK_ROUTE_ENCODER && r->dst_piece == dp) {
							assert_int_equal(r->dst, d->node);
							assert_true(r->c0 >= e->c0 && r->c1 <= e->c1);
							covered += r->c1 - r->c0;
						}
					}
				}
				assert_int_equal(covered, d->c1 - d->c0);
			}
		}
	}
	/*
	 * Phase causality: writer w of site X after X's reader r, fed by population qp of site S;
	 * when a conv c takes r's spikes to S, every piece of S whose spikes reach a piece of X
	 * through w hears from that piece (r's spikes), so it fires only after r has there.
	 */
	for (uint32_t w = 0; w < m->n_ops; w++) {
		const struct spk_op *ow = &m->ops[w];
		uint32_t r = ow->type == SPK_OP_CONV ? naive_reader_before(m, w) : UINT32_MAX;
		uint32_t S = ow->type == SPK_OP_CONV ? m->pops[ow->src_pop].site : 0;

		if (r == UINT32_MAX)
			continue;
		for (uint32_t c = 0; c < m->n_ops; c++) {
			const struct spk_op *oc = &m->ops[c];

			if (oc->type != SPK_OP_CONV || oc->src_pop != r || oc->dst_site != S)
				continue;
			for (uint32_t xp = 0; xp < map->n_pieces; xp++) {
				const struct spk_map_piece *x = &map->pieces[xp];

				if (x->site != ow->dst_site)
					continue;
				for (uint32_t sp = 0; sp < map->n_pieces; sp++) {
					const struct spk_map_piece *sj = &map->pieces[sp];

					if (sj->site != S || !rows_reach(ow, sj->y0, sj->y1, x->y0, x->y1))
						continue;
					pairs++;
					if (!has_route(map, x->node, SPK_ROUTE_SPIKE, r, x->local, sj->node,
						       UINT32_MAX))
						fail_msg("phase causality: no route for '%s' from piece %u "
							 "to piece %u (it writes back through '%s')",
							 m->pops[r].name, xp, sp, ow->name);
					implied[((size_t)xp * m->n_pops + r) * map->n_nodes + sj->node] = 1;
				}
			}
		}
	}
	for (uint32_t p = 0; p < m->n_pops; p++) {
		if (m->pops[p].kind != SPK_POP_MEAN)
			continue;
		for (uint32_t sp = 0; sp < map->n_pieces; sp++)
			if (map->pieces[sp].site == m->pops[p].site)
				assert_true(has_route(map, map->pieces[sp].node, SPK_ROUTE_MEAN, p,
						      map->pieces[sp].local, map->readout_first,
						      UINT32_MAX));
	}
	/* no superfluous spike entries, none twice; tables within their size */
	for (uint32_t n = 0; n < map->n_nodes; n++) {
		const struct spk_map_node *nd = &map->nodes[n];

		assert_true(nd->n_routes <= (uint32_t)a->core.route_entries);
		for (uint32_t k = 0; k < nd->n_routes; k++) {
			const struct spk_map_route *r = &map->routes[nd->first_route + k];
			uint32_t sp;

			if (r->kind != SPK_ROUTE_SPIKE)
				continue;
			spike_routes++;
			sp = nd->items[r->local];
			assert_true(implied[((size_t)sp * m->n_pops + r->source) * map->n_nodes +
					    r->dst]);
			for (uint32_t j = 0; j < k; j++) {
				const struct spk_map_route *o = &map->routes[nd->first_route + j];

				assert_false(o->kind == r->kind && o->source == r->source &&
					     o->local == r->local && o->dst == r->dst);
			}
		}
	}
	assert_true(pairs >= spike_routes && spike_routes > 0);
	free(implied);
	spk_map_destroy(map);
	spk_quant_destroy(q);
}

static void test_default(void **state)
{
	struct spk_arch a;

	(void)state;
	arch_with(&a, NULL);
	check_routes(&a, SPK_SPLIT_CHANNELS);
	check_routes(&a, SPK_SPLIT_AUTO);
}

static void test_banded(void **state)
{
	struct spk_arch a;

	(void)state;
	arch_with(&a, "chip", "mesh_x", "32", "chip", "mesh_y", "32", "core", "neurons", "512",
		  "core", "route_entries", "4096", "encoder", "units", "3", NULL);
	check_routes(&a, SPK_SPLIT_CHANNELS);
	check_routes(&a, SPK_SPLIT_AUTO);
	arch_with(&a, "chip", "mesh_x", "40", "chip", "mesh_y", "40", "core", "neurons", "256",
		  "core", "neuron_updates", "4", "core", "route_entries", "4096", "attention",
		  "units", "3", "attention", "kv_kib", "4", NULL);
	check_routes(&a, SPK_SPLIT_CHANNELS);
	check_routes(&a, SPK_SPLIT_AUTO);
}

static void test_table_too_small(void **state)
{
	struct spk_arch a;
	char err[512];
	struct spk_qmodel *q;
	struct spk_map *map;

	(void)state;
	arch_with(&a, "chip", "mesh_x", "32", "chip", "mesh_y", "32", "core", "neurons", "512",
		  "core", "route_entries", "4", NULL);
	q = spk_quant_create(model, 8, 16, err, sizeof(err));
	map = spk_map_create(model, q, &a, 1);
	assert_int_equal(spk_map_compile(map), -ENOSPC);
	spk_map_fail_message(map, err, sizeof(err));
	assert_string_equal(map->fail.resource, "route entries");
	assert_int_equal(map->fail.available, 4);
	assert_non_null(strstr(err, "[core] route_entries >= "));
	spk_map_destroy(map);
	spk_quant_destroy(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_banded),
		cmocka_unit_test(test_table_too_small),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
