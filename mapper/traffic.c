/*
 * traffic.c — expected traffic of a mapping; see traffic.h.
 *
 * A tree's links are counted without walking it: XY routing leaves the source along its row
 * to each member's column, then along the column, so the tree is the row segment between the
 * westmost and eastmost member columns, plus, per member column, the span to its northmost and
 * southmost member. Per-column extents live in scratch arrays stamped per call (never cleared).
 */
#include "config.h"

#include "mapper/traffic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t layer_of(const struct spk_map *map, const struct spk_map_route *r)
{
	if (r->kind == SPK_ROUTE_SPIKE || r->kind == SPK_ROUTE_MEAN)
		return r->source;
	return map->m->n_pops + r->source;
}

void spk_traffic_fini(struct spk_traffic *t)
{
	free(t->flows);
	free(t->node_off);
	free(t->node_flows);
	free(t->col_stamp);
	free(t->col_up);
	free(t->col_down);
	memset(t, 0, sizeof(*t));
}

int spk_traffic_init(struct spk_traffic *t, const struct spk_map *map, bool tree)
{
	uint32_t *mark = NULL, cap = map->n_routes + 1;
	int rc = -ENOMEM;

	memset(t, 0, sizeof(*t));
	t->map = map;
	t->tree = tree;
	t->W = (uint32_t)map->arch.chip.mesh_x;
	t->H = (uint32_t)map->arch.chip.mesh_y;
	t->n_layers = map->m->n_pops + map->m->n_ops;
	t->flows = malloc(cap * sizeof(*t->flows));
	t->node_off = calloc(map->n_nodes + 1, sizeof(*t->node_off));
	t->col_stamp = calloc(t->W, sizeof(*t->col_stamp));
	t->col_up = calloc(t->W, sizeof(*t->col_up));
	t->col_down = calloc(t->W, sizeof(*t->col_down));
	mark = malloc(map->n_nodes * sizeof(*mark));
	if (t->flows == NULL || t->node_off == NULL || t->col_stamp == NULL ||
	    t->col_up == NULL || t->col_down == NULL || mark == NULL)
		goto out_free;
	for (uint32_t i = 0; i < map->n_nodes; i++) {
		const struct spk_map_node *n = &map->nodes[i];

		for (uint32_t k = 0; k < n->n_routes; k++) {
			const struct spk_map_route *r = &map->routes[n->first_route + k];
			struct spk_traffic_flow *last = t->n_flows ? &t->flows[t->n_flows - 1] : NULL;

			if (r->kind == SPK_ROUTE_SPIKE && last != NULL && last->group &&
			    last->src == i) {
				const struct spk_map_route *p = &map->routes[n->first_route + k - 1];

				if (p->source == r->source && p->local == r->local) {
					last->n_routes++;
					continue;
				}
			}
			t->flows[t->n_flows++] = (struct spk_traffic_flow){
				.src = i, .first_route = n->first_route + k, .n_routes = 1,
				.layer = layer_of(map, r), .weight = r->weight,
				.group = r->kind == SPK_ROUTE_SPIKE,
			};
		}
	}
	/* the flows of every node, sender or receiver, each once */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t *fill = pass ? mark : NULL;

		if (pass) {
			for (uint32_t i = 0; i < map->n_nodes; i++)
				t->node_off[i + 1] += t->node_off[i];
			t->node_flows = malloc(((size_t)t->node_off[map->n_nodes] + 1) *
					       sizeof(*t->node_flows));
			if (t->node_flows == NULL)
				goto out_free;
			memcpy(mark, t->node_off, map->n_nodes * sizeof(*mark));
		}
		for (uint32_t f = 0; f < t->n_flows; f++) {
			const struct spk_traffic_flow *fl = &t->flows[f];
			uint32_t src = fl->src;

			if (pass)
				t->node_flows[fill[src]++] = f;
			else
				t->node_off[src + 1]++;
			for (uint32_t k = 0; k < fl->n_routes; k++) {
				uint32_t d = map->routes[fl->first_route + k].dst;

				if (d == src)
					continue;
				if (pass)
					t->node_flows[fill[d]++] = f;
				else
					t->node_off[d + 1]++;
			}
		}
	}
	rc = 0;
out_free:
	free(mark);
	if (rc < 0)
		spk_traffic_fini(t);
	return rc;
}

static uint32_t hops(const struct spk_traffic *t, uint32_t a, uint32_t b)
{
	int32_t dx = (int32_t)(a % t->W) - (int32_t)(b % t->W);
	int32_t dy = (int32_t)(a / t->W) - (int32_t)(b / t->W);

	return (uint32_t)((dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy));
}

/* The XY tree of group f: its row span [*xmin, *xmax] and, per member column off the source
 * row (stamped t->stamp in col_stamp), the spans col_up/col_down; returns its links. */
static uint64_t tree_extent(struct spk_traffic *t, const struct spk_traffic_flow *fl,
			    const uint32_t *pos, uint32_t *xmin, uint32_t *xmax)
{
	const struct spk_map *map = t->map;
	uint32_t s = pos[fl->src], sx = s % t->W, sy = s / t->W, st;
	uint64_t vert = 0;

	if (++t->stamp == 0) {		/* wrapped: 0 marks "unstamped" */
		memset(t->col_stamp, 0, t->W * sizeof(*t->col_stamp));
		t->stamp = 1;
	}
	st = t->stamp;

	*xmin = *xmax = sx;
	for (uint32_t k = 0; k < fl->n_routes; k++) {
		uint32_t d = pos[map->routes[fl->first_route + k].dst];
		uint32_t dx = d % t->W, dy = d / t->W;

		if (dx < *xmin)
			*xmin = dx;
		if (dx > *xmax)
			*xmax = dx;
		if (dy == sy)
			continue;
		if (t->col_stamp[dx] != st) {
			t->col_stamp[dx] = st;
			t->col_up[dx] = t->col_down[dx] = 0;
		}
		if (dy < sy && sy - dy > t->col_up[dx]) {
			vert += sy - dy - t->col_up[dx];
			t->col_up[dx] = sy - dy;
		} else if (dy > sy && dy - sy > t->col_down[dx]) {
			vert += dy - sy - t->col_down[dx];
			t->col_down[dx] = dy - sy;
		}
	}
	return vert + (*xmax - *xmin);
}

uint64_t spk_traffic_flow_links(struct spk_traffic *t, uint32_t f, const uint32_t *pos)
{
	const struct spk_traffic_flow *fl = &t->flows[f];
	uint32_t xmin, xmax;
	uint64_t s = 0;

	if (t->tree && fl->group)
		return tree_extent(t, fl, pos, &xmin, &xmax);
	for (uint32_t k = 0; k < fl->n_routes; k++)
		s += hops(t, pos[fl->src], pos[t->map->routes[fl->first_route + k].dst]);
	return s;
}

/* Adds w along the straight run of `len` links leaving tile (x, y) in direction dir. */
static void run(const struct spk_traffic *t, uint32_t x, uint32_t y, int dir, uint32_t len,
		uint64_t w, int sign, uint64_t *load)
{
	for (uint32_t i = 0; i < len; i++) {
		uint32_t link = 4 * (y * t->W + x) + (uint32_t)dir;

		if (sign > 0)
			load[link] += w;
		else
			load[link] -= w;
		switch (dir) {
		case SPK_LINK_E: x++; break;
		case SPK_LINK_W: x--; break;
		case SPK_LINK_N: y--; break;
		default: y++; break;
		}
	}
}

void spk_traffic_flow_load(struct spk_traffic *t, uint32_t f, const uint32_t *pos, int sign,
			   uint64_t *load)
{
	const struct spk_traffic_flow *fl = &t->flows[f];
	uint32_t s = pos[fl->src], sx = s % t->W, sy = s / t->W;

	if (t->tree && fl->group) {
		uint32_t xmin, xmax;

		tree_extent(t, fl, pos, &xmin, &xmax);
		run(t, sx, sy, SPK_LINK_E, xmax - sx, fl->weight, sign, load);
		run(t, sx, sy, SPK_LINK_W, sx - xmin, fl->weight, sign, load);
		for (uint32_t k = 0; k < fl->n_routes; k++) {
			uint32_t d = pos[t->map->routes[fl->first_route + k].dst], dx = d % t->W;

			/* each member column once (the first member seen in it unstamps it) */
			if (t->col_stamp[dx] != t->stamp)
				continue;
			t->col_stamp[dx] = 0;
			run(t, dx, sy, SPK_LINK_N, t->col_up[dx], fl->weight, sign, load);
			run(t, dx, sy, SPK_LINK_S, t->col_down[dx], fl->weight, sign, load);
		}
		return;
	}
	for (uint32_t k = 0; k < fl->n_routes; k++) {
		uint32_t d = pos[t->map->routes[fl->first_route + k].dst];
		uint32_t dx = d % t->W, dy = d / t->W;

		if (dx > sx)
			run(t, sx, sy, SPK_LINK_E, dx - sx, fl->weight, sign, load);
		else
			run(t, sx, sy, SPK_LINK_W, sx - dx, fl->weight, sign, load);
		if (dy > sy)
			run(t, dx, sy, SPK_LINK_S, dy - sy, fl->weight, sign, load);
		else
			run(t, dx, sy, SPK_LINK_N, sy - dy, fl->weight, sign, load);
	}
}

static void max_link(const uint64_t *load, uint32_t n, struct spk_traffic_stats *s)
{
	s->max_link = 0;
	s->max_link_id = UINT32_MAX;
	for (uint32_t l = 0; l < n; l++)
		if (load[l] > s->max_link) {
			s->max_link = load[l];
			s->max_link_id = l;
		}
}

int spk_traffic_measure(struct spk_traffic *t, const uint32_t *pos,
			struct spk_traffic_stats *chip, struct spk_traffic_stats *layers)
{
	const uint32_t L = 4 * t->map->n_nodes;
	uint64_t *all = calloc(L, sizeof(*all)), *one = NULL;
	uint32_t *order = NULL, *start = NULL;

	one = calloc(L, sizeof(*one));
	order = malloc((t->n_flows + 1) * sizeof(*order));
	start = calloc(t->n_layers + 1, sizeof(*start));
	if (all == NULL || one == NULL || order == NULL || start == NULL) {
		free(all);
		free(one);
		free(order);
		free(start);
		return -ENOMEM;
	}
	memset(chip, 0, sizeof(*chip));
	if (layers != NULL)
		memset(layers, 0, t->n_layers * sizeof(*layers));
	/* flows by layer (counting sort, stable) */
	for (uint32_t f = 0; f < t->n_flows; f++)
		start[t->flows[f].layer + 1]++;
	for (uint32_t l = 0; l < t->n_layers; l++)
		start[l + 1] += start[l];
	for (uint32_t f = 0; f < t->n_flows; f++)
		order[start[t->flows[f].layer]++] = f;
	for (uint32_t l = t->n_layers; l > 0; l--)
		start[l] = start[l - 1];
	start[0] = 0;
	for (uint32_t l = 0; l < t->n_layers; l++) {
		struct spk_traffic_stats s = { 0 };

		if (start[l] == start[l + 1])
			continue;
		for (uint32_t i = start[l]; i < start[l + 1]; i++) {
			uint32_t f = order[i];
			const struct spk_traffic_flow *fl = &t->flows[f];

			s.packets += fl->weight * (t->tree && fl->group ? 1 : fl->n_routes);
			s.deliveries += fl->weight * fl->n_routes;
			s.hop_traffic += fl->weight * spk_traffic_flow_links(t, f, pos);
			spk_traffic_flow_load(t, f, pos, 1, one);
		}
		max_link(one, L, &s);
		for (uint32_t k = 0; k < L; k++) {
			all[k] += one[k];
			one[k] = 0;
		}
		chip->packets += s.packets;
		chip->deliveries += s.deliveries;
		chip->hop_traffic += s.hop_traffic;
		if (layers != NULL)
			layers[l] = s;
	}
	max_link(all, L, chip);
	free(all);
	free(one);
	free(order);
	free(start);
	return 0;
}

const char *spk_traffic_layer_name(const struct spk_traffic *t, uint32_t l)
{
	const struct spk_model *m = t->map->m;

	return l < m->n_pops ? m->pops[l].name : m->ops[l - m->n_pops].name;
}

void spk_traffic_link_ends(const struct spk_traffic *t, uint32_t link, uint32_t *x1,
			   uint32_t *y1, uint32_t *x2, uint32_t *y2)
{
	uint32_t tile = link / 4;

	*x1 = *x2 = tile % t->W;
	*y1 = *y2 = tile / t->W;
	switch (link % 4) {
	case SPK_LINK_E: (*x2)++; break;
	case SPK_LINK_W: (*x2)--; break;
	case SPK_LINK_N: (*y2)--; break;
	default: (*y2)++; break;
	}
}
