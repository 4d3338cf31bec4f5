/*
 * place.c — placement on the mesh; see place.h.
 *
 * The routes become an undirected weighted graph over nodes (compressed adjacency lists, a
 * pair's weights in both directions summed), so the cost change of moving or swapping nodes is
 * a walk over their neighbours. The random draws are the splitmix64 stream of util/rng.h
 * (spk_rng_splitmix), seeded with --seed: same seed, same placement, on every machine.
 */
#include "config.h"

#include "mapper/place.h"
#include "mapper/traffic.h"
#include "util/rng.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct edge {
	uint32_t a, b;
	uint64_t w;
};

struct pctx {
	struct spk_map *map;
	uint32_t W, H;
	uint32_t *off;		/* [n_nodes + 1] */
	uint32_t *nb;		/* neighbours */
	uint64_t *w;		/* their weights */
	uint32_t *pos;		/* node -> tile (UINT32_MAX: not placed) */
	uint32_t *occ;		/* tile -> node (UINT32_MAX: free) */
	uint64_t rng;		/* splitmix64 state */
};

uint32_t spk_place_hops(const struct spk_map *map, uint32_t t1, uint32_t t2)
{
	uint32_t W = (uint32_t)map->arch.chip.mesh_x;
	int32_t dx = (int32_t)(t1 % W) - (int32_t)(t2 % W);
	int32_t dy = (int32_t)(t1 / W) - (int32_t)(t2 / W);

	return (uint32_t)((dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy));
}

uint64_t spk_place_cost(const struct spk_map *map)
{
	uint64_t c = 0;

	for (uint32_t i = 0; i < map->n_nodes; i++) {
		const struct spk_map_node *n = &map->nodes[i];

		for (uint32_t k = 0; k < n->n_routes; k++) {
			const struct spk_map_route *r = &map->routes[n->first_route + k];

			c += r->weight * spk_place_hops(map, n->tile, map->nodes[r->dst].tile);
		}
	}
	return c;
}

static int cmp_edge(const void *x, const void *y)
{
	const struct edge *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

static int build_graph(struct pctx *c)
{
	struct spk_map *map = c->map;
	struct edge *e = malloc(((size_t)2 * map->n_routes + 1) * sizeof(*e));
	size_t n = 0, m = 0;

	if (e == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < map->n_nodes; i++) {
		const struct spk_map_node *nd = &map->nodes[i];

		for (uint32_t k = 0; k < nd->n_routes; k++) {
			const struct spk_map_route *r = &map->routes[nd->first_route + k];

			if (r->dst == i || r->weight == 0)
				continue;
			e[n++] = (struct edge){ i, r->dst, r->weight };
			e[n++] = (struct edge){ r->dst, i, r->weight };
		}
	}
	qsort(e, n, sizeof(*e), cmp_edge);
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && e[m - 1].a == e[i].a && e[m - 1].b == e[i].b)
			e[m - 1].w += e[i].w;
		else
			e[m++] = e[i];
	}
	c->off = calloc(map->n_nodes + 1, sizeof(*c->off));
	c->nb = malloc((m + 1) * sizeof(*c->nb));
	c->w = malloc((m + 1) * sizeof(*c->w));
	if (c->off == NULL || c->nb == NULL || c->w == NULL) {
		free(e);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m; i++) {
		c->off[e[i].a + 1]++;
		c->nb[i] = e[i].b;
		c->w[i] = e[i].w;
	}
	for (uint32_t i = 0; i < map->n_nodes; i++)
		c->off[i + 1] += c->off[i];
	free(e);
	return 0;
}

static uint32_t dist(const struct pctx *c, uint32_t t1, uint32_t t2)
{
	int32_t dx = (int32_t)(t1 % c->W) - (int32_t)(t2 % c->W);
	int32_t dy = (int32_t)(t1 / c->W) - (int32_t)(t2 / c->W);

	return (uint32_t)((dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy));
}

/* Cost of node u's edges if u sat at tile t (placed neighbours only; `skip` excluded). */
static uint64_t node_cost(const struct pctx *c, uint32_t u, uint32_t t, uint32_t skip)
{
	uint64_t s = 0;

	for (uint32_t k = c->off[u]; k < c->off[u + 1]; k++) {
		uint32_t v = c->nb[k];

		if (v != skip && c->pos[v] != UINT32_MAX)
			s += c->w[k] * dist(c, t, c->pos[v]);
	}
	return s;
}

static void put(struct pctx *c, uint32_t u, uint32_t t)
{
	c->pos[u] = t;
	c->occ[t] = u;
}

/* Up to `want` free tiles nearest to (x, y), in ring order; returns how many. */
static uint32_t nearest_free(const struct pctx *c, int32_t x, int32_t y, uint32_t *out,
			     uint32_t want)
{
	uint32_t n = 0;
	int32_t maxd = (int32_t)(c->W + c->H);

	for (int32_t d = 0; d <= maxd && n < want; d++) {
		for (int32_t dy = -d; dy <= d; dy++) {
			int32_t dx = d - (dy < 0 ? -dy : dy);

			for (int s = 0; s < (dx == 0 ? 1 : 2); s++) {
				int32_t px = x + (s == 0 ? dx : -dx), py = y + dy;
				uint32_t t;

				if (px < 0 || py < 0 || px >= (int32_t)c->W || py >= (int32_t)c->H)
					continue;
				t = (uint32_t)py * c->W + (uint32_t)px;
				if (c->occ[t] == UINT32_MAX && n < want)
					out[n++] = t;
			}
		}
	}
	return n;
}

static int construct(struct pctx *c, const uint32_t *used, uint32_t n_used)
{
	struct spk_map *map = c->map;
	uint32_t cand[SPK_PLACE_CANDIDATES], last = UINT32_MAX;

	for (uint32_t k = 0; k < n_used; k++) {
		uint32_t u = used[k], n, best = 0;
		uint64_t sw = 0, sx = 0, sy = 0, best_cost = UINT64_MAX;
		int32_t x, y;

		for (uint32_t j = c->off[u]; j < c->off[u + 1]; j++) {
			uint32_t t = c->pos[c->nb[j]];

			if (t == UINT32_MAX)
				continue;
			sw += c->w[j];
			sx += c->w[j] * (t % c->W);
			sy += c->w[j] * (t / c->W);
		}
		if (sw > 0) {
			x = (int32_t)((sx + sw / 2) / sw);
			y = (int32_t)((sy + sw / 2) / sw);
		} else if (last != UINT32_MAX) {
			x = (int32_t)(last % c->W);
			y = (int32_t)(last / c->W);
		} else {
			x = (int32_t)(c->W / 2);
			y = (int32_t)(c->H / 2);
		}
		n = nearest_free(c, x, y, cand, SPK_PLACE_CANDIDATES);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t cost = node_cost(c, u, cand[i], UINT32_MAX);

			if (cost < best_cost) {
				best_cost = cost;
				best = cand[i];
			}
		}
		put(c, u, best);
		last = best;
	}
	/* Unused nodes: the remaining tiles, in order. */
	for (uint32_t u = 0, t = 0; u < map->n_nodes; u++) {
		if (c->pos[u] != UINT32_MAX)
			continue;
		while (c->occ[t] != UINT32_MAX)
			t++;
		put(c, u, t);
	}
	return 0;
}

/* The next trial: a used node a and a tile pb near one of its neighbours (now and then
 * anywhere); the same draws whatever the cost. */
static void pick(struct pctx *c, const uint32_t *used, uint32_t n_used, uint32_t *a_out,
		 uint32_t *pb_out)
{
	uint32_t a = used[spk_rng_splitmix(&c->rng) % n_used], pb;
	uint64_t r = spk_rng_splitmix(&c->rng);

	if (c->off[a + 1] > c->off[a] && (r & 3) != 0) {
		uint32_t deg = c->off[a + 1] - c->off[a];
		uint32_t v = c->nb[c->off[a] + (uint32_t)((r >> 2) % deg)];
		int32_t x = (int32_t)(c->pos[v] % c->W) + (int32_t)((r >> 32) % 5) - 2;
		int32_t y = (int32_t)(c->pos[v] / c->W) + (int32_t)((r >> 40) % 5) - 2;

		x = x < 0 ? 0 : x >= (int32_t)c->W ? (int32_t)c->W - 1 : x;
		y = y < 0 ? 0 : y >= (int32_t)c->H ? (int32_t)c->H - 1 : y;
		pb = (uint32_t)y * c->W + (uint32_t)x;
	} else {
		pb = (uint32_t)((r >> 2) % c->map->n_nodes);
	}
	*a_out = a;
	*pb_out = pb;
}

static const uint64_t improve_budget = UINT64_C(300000000);

/* Swaps under the pairwise cost (source replication, Σ weight x hops): the change of a swap is
 * a walk over the two nodes' neighbours. */
static void improve(struct pctx *c, const uint32_t *used, uint32_t n_used)
{
	struct spk_map *map = c->map;
	uint64_t edges = c->off[map->n_nodes], trials = 64 * (uint64_t)n_used;
	uint64_t avg = n_used ? edges / n_used + 1 : 1;

	if (trials * 2 * avg > improve_budget)
		trials = improve_budget / (2 * avg);
	for (uint64_t it = 0; it < trials; it++) {
		uint32_t a, pa, pb, b;
		int64_t delta;

		pick(c, used, n_used, &a, &pb);
		pa = c->pos[a];
		if (pb == pa)
			continue;
		b = c->occ[pb];
		delta = (int64_t)node_cost(c, a, pb, b) - (int64_t)node_cost(c, a, pa, b) +
			(int64_t)node_cost(c, b, pa, a) - (int64_t)node_cost(c, b, pb, a);
		if (delta < 0) {
			put(c, a, pb);
			put(c, b, pa);
			map->place_moves++;
		}
	}
}

static uint64_t max_load(const uint64_t *load, uint32_t n)
{
	uint64_t m = 0;

	for (uint32_t l = 0; l < n; l++)
		if (load[l] > m)
			m = load[l];
	return m;
}

/*
 * Swaps under the flow cost (mapper/traffic.h): with SPK_COST_TREE a reader's spikes cost their
 * XY tree (tree multicast), and with SPK_COST_MAXLINK (links loaded as the chip routes) a swap must not raise the busiest link's load and is
 * kept when it lowers it, or keeps it and lowers the sum. A swap re-costs every flow the two
 * nodes send or receive. Same draws as improve(): with source replication and the sum, both
 * keep the same swaps.
 */
static int improve_flows(struct pctx *c, const uint32_t *used, uint32_t n_used)
{
	struct spk_map *map = c->map;
	const bool ml = map->cost_kind == SPK_COST_MAXLINK;
	const uint32_t L = 4 * map->n_nodes;
	struct spk_traffic t;
	uint32_t *stamp = NULL, *list = NULL, gen = 0;
	uint64_t *load = NULL, work = 0, trials = 64 * (uint64_t)n_used, cur_max = 0;
	int rc = spk_traffic_init(&t, map, map->tree && map->cost_kind != SPK_COST_SUM);

	if (rc < 0)
		return rc;
	rc = -ENOMEM;
	stamp = calloc(t.n_flows + 1, sizeof(*stamp));
	list = malloc((t.n_flows + 1) * sizeof(*list));
	load = ml ? calloc(L, sizeof(*load)) : NULL;
	if (stamp == NULL || list == NULL || (ml && load == NULL))
		goto out_free;
	if (ml) {
		for (uint32_t f = 0; f < t.n_flows; f++)
			spk_traffic_flow_load(&t, f, c->pos, 1, load);
		cur_max = max_load(load, L);
	}
	/* work of a trial: the destinations of the flows of two nodes (+ the links, maxlink) */
	for (uint32_t k = 0; k < n_used; k++)
		for (uint32_t j = t.node_off[used[k]]; j < t.node_off[used[k] + 1]; j++)
			work += t.flows[t.node_flows[j]].n_routes + 1;
	work = 2 * (work / n_used + 1) * (ml ? (c->W + c->H) / 2 + 4 : 1) + (ml ? L : 0);
	if (trials * work > improve_budget)
		trials = improve_budget / work;
	for (uint64_t it = 0; it < trials; it++) {
		uint32_t a, pa, pb, b, n = 0;
		uint64_t before = 0, after = 0, new_max = 0;
		bool keep;

		pick(c, used, n_used, &a, &pb);
		pa = c->pos[a];
		if (pb == pa)
			continue;
		b = c->occ[pb];
		if (++gen == 0) {
			memset(stamp, 0, t.n_flows * sizeof(*stamp));
			gen = 1;
		}
		for (int side = 0; side < 2; side++) {
			uint32_t u = side ? b : a;

			for (uint32_t j = t.node_off[u]; j < t.node_off[u + 1]; j++) {
				uint32_t f = t.node_flows[j];

				if (stamp[f] != gen) {
					stamp[f] = gen;
					list[n++] = f;
				}
			}
		}
		for (uint32_t i = 0; i < n; i++) {
			before += t.flows[list[i]].weight * spk_traffic_flow_links(&t, list[i], c->pos);
			if (ml)
				spk_traffic_flow_load(&t, list[i], c->pos, -1, load);
		}
		put(c, a, pb);
		put(c, b, pa);
		for (uint32_t i = 0; i < n; i++) {
			after += t.flows[list[i]].weight * spk_traffic_flow_links(&t, list[i], c->pos);
			if (ml)
				spk_traffic_flow_load(&t, list[i], c->pos, 1, load);
		}
		if (ml) {
			new_max = max_load(load, L);
			keep = new_max < cur_max || (new_max == cur_max && after < before);
		} else {
			keep = after < before;
		}
		if (keep) {
			map->place_moves++;
			cur_max = new_max;
			continue;
		}
		if (ml)
			for (uint32_t i = 0; i < n; i++)
				spk_traffic_flow_load(&t, list[i], c->pos, -1, load);
		put(c, a, pa);
		put(c, b, pb);
		if (ml)
			for (uint32_t i = 0; i < n; i++)
				spk_traffic_flow_load(&t, list[i], c->pos, 1, load);
	}
	rc = 0;
out_free:
	free(stamp);
	free(list);
	free(load);
	spk_traffic_fini(&t);
	return rc;
}

/* Program order of nodes: by the first op each serves, then by index. */
static bool node_before(const struct spk_map *map, uint32_t a, uint32_t b)
{
	if (map->nodes[a].order != map->nodes[b].order)
		return map->nodes[a].order < map->nodes[b].order;
	return a < b;
}

int spk_place_run(struct spk_map *map)
{
	struct pctx c = { .map = map };
	uint32_t *used = NULL, n_used = 0;
	int rc = -ENOMEM;

	c.W = (uint32_t)map->arch.chip.mesh_x;
	c.H = (uint32_t)map->arch.chip.mesh_y;
	c.rng = UINT64_C(0x5370696b65636869) ^ map->seed;
	c.pos = malloc(map->n_nodes * sizeof(*c.pos));
	c.occ = malloc(map->n_nodes * sizeof(*c.occ));
	used = malloc(map->n_nodes * sizeof(*used));
	if (c.pos == NULL || c.occ == NULL || used == NULL || build_graph(&c) < 0)
		goto out_free;
	for (uint32_t i = 0; i < map->n_nodes; i++) {
		c.pos[i] = c.occ[i] = UINT32_MAX;
		if (map->nodes[i].used)
			used[n_used++] = i;
	}
	/* program order (insertion sort: stable, and nodes come nearly sorted) */
	for (uint32_t i = 1; i < n_used; i++) {
		uint32_t x = used[i], j = i;

		while (j > 0 && node_before(map, x, used[j - 1])) {
			used[j] = used[j - 1];
			j--;
		}
		used[j] = x;
	}
	if (map->placer == SPK_PLACER_SCOTCH) {
		rc = spk_place_scotch(map, c.off, c.nb, c.w, used, n_used, c.pos);
		if (rc < 0)
			goto out_free;
		for (uint32_t i = 0; i < map->n_nodes; i++)
			c.occ[c.pos[i]] = i;
		rc = -ENOMEM;
	} else {
		construct(&c, used, n_used);
	}
	for (uint32_t i = 0; i < map->n_nodes; i++) {
		map->nodes[i].tile = c.pos[i];
		map->tile_node[c.pos[i]] = i;
		map->tile_initial[i] = c.pos[i];
	}
	map->cost_constructive = spk_place_cost(map);
	if (n_used > 0 && map->cost_kind != SPK_COST_SUM) {
		rc = improve_flows(&c, used, n_used);
		if (rc < 0)
			goto out_free;
		rc = -ENOMEM;
	} else if (n_used > 0) {
		improve(&c, used, n_used);
	}
	for (uint32_t i = 0; i < map->n_nodes; i++) {
		map->nodes[i].tile = c.pos[i];
		map->tile_node[c.pos[i]] = i;
	}
	map->cost = spk_place_cost(map);
	rc = 0;
out_free:
	free(used);
	free(c.pos);
	free(c.occ);
	free(c.off);
	free(c.nb);
	free(c.w);
	return rc;
}

void spk_place_random(const struct spk_map *map, uint32_t *pos)
{
	uint64_t rng = UINT64_C(0x72616e646f6d2121) ^ map->seed;

	for (uint32_t i = 0; i < map->n_nodes; i++)
		pos[i] = i;
	for (uint32_t i = map->n_nodes; i > 1; i--) {
		uint32_t j = (uint32_t)(spk_rng_splitmix(&rng) % i), x = pos[i - 1];

		pos[i - 1] = pos[j];
		pos[j] = x;
	}
}
