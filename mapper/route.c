/*
 * route.c — routing tables; see route.h.
 *
 * Distinct destinations of one (piece, population) are collected with a mark array over nodes
 * (stamped with a generation counter, so it is never cleared) and emitted in ascending node
 * order, which makes the tables independent of the order consumers are visited in.
 */
#include "config.h"

#include "mapper/route.h"
#include "mapper/partition.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rctx {
	struct spk_map *map;
	uint32_t *mark;		/* [n_nodes]: generation that last saw the node */
	uint32_t gen;
	uint32_t *dst;		/* destinations of the current source */
	uint32_t n_dst;
};

static int add_route(struct spk_map *map, const struct spk_map_route *r)
{
	if (map->n_routes == map->cap_routes) {
		uint32_t cap = map->cap_routes ? 2 * map->cap_routes : 1024;
		struct spk_map_route *n = realloc(map->routes, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		map->routes = n;
		map->cap_routes = cap;
	}
	map->routes[map->n_routes++] = *r;
	return 0;
}

static void see(struct rctx *c, uint32_t node)
{
	if (c->mark[node] != c->gen) {
		c->mark[node] = c->gen;
		c->dst[c->n_dst++] = node;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int core_routes(struct rctx *c, uint32_t node)
{
	struct spk_map *map = c->map;
	const struct spk_map_node *n = &map->nodes[node];

	for (uint32_t l = 0; l < n->n_items; l++) {
		const struct spk_map_piece *p = &map->pieces[n->items[l]];
		const struct spk_map_site *st = &map->sites[p->site];
		uint64_t elems = spk_map_piece_elems(map, p);

		for (uint32_t r = 0; r < st->n_readers; r++) {
			uint32_t pop = st->readers[r];

			c->gen++;
			c->n_dst = 0;
			for (uint32_t k = 0; k < map->n_pop_consumers[pop]; k++) {
				uint32_t opi = map->pop_consumers[pop][k];
				const struct spk_op *op = &map->m->ops[opi];
				const struct spk_map_site *d;
				uint32_t lo, hi;

				if (op->type == SPK_OP_ATTN) {
					see(c, map->op_node[opi]);
					continue;
				}
				if (!spk_partition_reach(map, pop, op, p->y0, p->y1, &lo, &hi))
					continue;
				d = &map->sites[op->dst_site];
				for (uint32_t j = 0; j < d->n_pieces; j++) {
					const struct spk_map_piece *q = &map->pieces[d->first_piece + j];

					if (q->y0 <= hi && q->y1 > lo)
						see(c, q->node);
				}
			}
			qsort(c->dst, c->n_dst, sizeof(*c->dst), cmp_u32);
			for (uint32_t k = 0; k < c->n_dst; k++) {
				struct spk_map_route rt = {
					.kind = SPK_ROUTE_SPIKE, .source = pop, .local = l,
					.dst = c->dst[k], .dst_piece = UINT32_MAX,
					.weight = elems * spk_map_pop_rate(map, pop),
				};

				if (add_route(map, &rt) < 0)
					return -ENOMEM;
			}
		}
		for (uint32_t r = 0; r < st->n_means; r++) {
			struct spk_map_route rt = {
				.kind = SPK_ROUTE_MEAN, .source = st->means[r], .local = l,
				.dst = map->readout_first, .dst_piece = UINT32_MAX,
				.weight = (uint64_t)(p->c1 - p->c0) * SPK_MAP_WEIGHT_UNIT,
			};

			if (add_route(map, &rt) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Entries of a unit that sends graded values of op `opi` to the pieces of its destination. */
static int graded_routes(struct spk_map *map, enum spk_route_kind kind, uint32_t opi,
			 uint32_t local, uint32_t c0, uint32_t c1, uint64_t pct)
{
	const struct spk_map_site *d = &map->sites[map->m->ops[opi].dst_site];

	for (uint32_t j = 0; j < d->n_pieces; j++) {
		uint32_t pi = d->first_piece + j;
		const struct spk_map_piece *q = &map->pieces[pi];
		struct spk_map_route rt = {
			.kind = kind, .source = opi, .local = local, .dst = q->node,
			.dst_piece = pi, .c0 = q->c0 > c0 ? q->c0 : c0, .c1 = q->c1 < c1 ? q->c1 : c1,
			.y0 = q->y0, .y1 = q->y1,
		};

		if (rt.c0 >= rt.c1)
			continue;
		rt.weight = (uint64_t)(rt.c1 - rt.c0) * (rt.y1 - rt.y0) *
			    map->m->sites[q->site].width * pct;
		if (add_route(map, &rt) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A short description of what a node hosts, for messages. */
static void describe(const struct spk_map *map, uint32_t node, char *buf, size_t len)
{
	const struct spk_map_node *n = &map->nodes[node];

	switch (n->kind) {
	case SPK_TILE_CORE: {
		const struct spk_map_piece *p = &map->pieces[n->items[0]];

		snprintf(buf, len, "the synapse core holding layer '%s' (site '%s', channels "
			 "%u..%u, rows %u..%u%s)", spk_map_site_layer(map, p->site),
			 map->m->sites[p->site].name, p->c0, p->c1 - 1, p->y0, p->y1 - 1,
			 n->n_items > 1 ? ", and more" : "");
		break;
	}
	case SPK_TILE_ATTENTION:
		snprintf(buf, len, "the attention unit of '%s'", map->m->ops[n->items[0]].name);
		break;
	case SPK_TILE_ENCODER:
		snprintf(buf, len, "the encoder unit of channels %u..%u", n->c0, n->c1 - 1);
		break;
	case SPK_TILE_READOUT:
		snprintf(buf, len, "the readout");
		break;
	}
}

int spk_route_run(struct spk_map *map)
{
	struct rctx c = { .map = map };
	uint32_t worst = UINT32_MAX;
	int rc = -ENOMEM;

	c.mark = calloc(map->n_nodes, sizeof(*c.mark));
	c.dst = malloc(map->n_nodes * sizeof(*c.dst));
	if (c.mark == NULL || c.dst == NULL)
		goto out_free;
	for (uint32_t i = 0; i < map->n_nodes; i++) {
		struct spk_map_node *n = &map->nodes[i];

		n->first_route = map->n_routes;
		if (!n->used)
			continue;
		switch (n->kind) {
		case SPK_TILE_CORE:
			rc = core_routes(&c, i);
			break;
		case SPK_TILE_ATTENTION:
			rc = 0;
			for (uint32_t k = 0; k < n->n_items && rc == 0; k++)
				rc = graded_routes(map, SPK_ROUTE_ATTN, n->items[k], k, 0, UINT32_MAX,
						   SPK_MAP_RATE_BP);
			break;
		case SPK_TILE_ENCODER:
			rc = graded_routes(map, SPK_ROUTE_ENCODER, 0, 0, n->c0, n->c1,
					   SPK_MAP_WEIGHT_UNIT / map->m->time_steps);
			break;
		case SPK_TILE_READOUT:
			rc = 0;
			break;
		}
		if (rc < 0)
			goto out_free;
		n->n_routes = map->n_routes - n->first_route;
		if (worst == UINT32_MAX || n->n_routes > map->nodes[worst].n_routes)
			worst = i;
	}
	rc = 0;
	if (worst != UINT32_MAX && map->nodes[worst].n_routes > (uint32_t)map->arch.core.route_entries) {
		char what[400], fix[96];

		describe(map, worst, what, sizeof(what));
		snprintf(fix, sizeof(fix), "[core] route_entries >= %u", map->nodes[worst].n_routes);
		rc = spk_map_nofit(map, "route entries", "entries", map->nodes[worst].n_routes,
				   (uint64_t)map->arch.core.route_entries, fix, "%s", what);
	}
out_free:
	free(c.mark);
	free(c.dst);
	return rc;
}
