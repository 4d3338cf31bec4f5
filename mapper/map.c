/*
 * map.c — the mapping's data and the analysis every pass starts from; see map.h.
 *
 * The analysis walks the op list once: for every site, who writes it (the ENCODER, CONVs, an
 * ATTN), who reads it (per-neuron and spatial-mean populations), how many neuron slots each of
 * its elements needs and how many synapse bits each of its output channels needs; for every
 * population, which CONV and ATTN ops consume its spikes; for every CONV, the population reading
 * its destination site that fires last before it (phase causality).
 */
#include "config.h"

#include "mapper/map.h"
#include "mapper/assign.h"
#include "mapper/partition.h"
#include "mapper/place.h"
#include "mapper/route.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int spk_map_node_add(struct spk_map_node *n, uint32_t item)
{
	if (n->n_items == n->cap_items) {
		uint32_t cap = n->cap_items ? 2 * n->cap_items : 4;
		uint32_t *p = realloc(n->items, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		n->items = p;
		n->cap_items = cap;
	}
	n->items[n->n_items++] = item;
	return 0;
}

static int push(uint32_t **a, uint32_t *n, uint32_t v)
{
	uint32_t *p = realloc(*a, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p[(*n)++] = v;
	*a = p;
	return 0;
}

void spk_map_destroy(struct spk_map *map)
{
	if (map == NULL)
		return;
	if (map->sites != NULL) {
		for (uint32_t s = 0; s < map->m->n_sites; s++) {
			free(map->sites[s].readers);
			free(map->sites[s].means);
			free(map->sites[s].writers);
		}
	}
	if (map->pop_consumers != NULL)
		for (uint32_t p = 0; p < map->m->n_pops; p++)
			free(map->pop_consumers[p]);
	if (map->nodes != NULL)
		for (uint32_t i = 0; i < map->n_nodes; i++)
			free(map->nodes[i].items);
	free(map->pop_consumers);
	free(map->n_pop_consumers);
	free(map->sites);
	free(map->pieces);
	free(map->nodes);
	free(map->op_node);
	free(map->op_reader_before);
	free(map->routes);
	free(map->tile_node);
	free(map->tile_initial);
	free(map->pop_rate);
	free(map);
}

static int analyse(struct spk_map *map)
{
	const struct spk_model *m = map->m;
	const uint64_t wb = (uint64_t)map->arch.core.weight_bits;
	uint32_t *last = malloc((m->n_sites + 1) * sizeof(*last));	/* last reader per site */

	if (last == NULL)
		return -ENOMEM;
	for (uint32_t s = 0; s < m->n_sites; s++)
		last[s] = UINT32_MAX;
	for (uint32_t i = 0; i < m->n_ops; i++) {
		const struct spk_op *op = &m->ops[i];

		map->op_reader_before[i] = UINT32_MAX;
		if (op->type == SPK_OP_FIRE && m->pops[op->pop].kind != SPK_POP_MEAN)
			last[m->pops[op->pop].site] = op->pop;
		else if (op->type == SPK_OP_CONV)
			map->op_reader_before[i] = last[op->dst_site];
	}
	free(last);

	for (uint32_t s = 0; s < m->n_sites; s++) {
		map->sites[s].attn_op = UINT32_MAX;
		map->sites[s].first_op = UINT32_MAX;
	}
	for (uint32_t p = 0; p < m->n_pops; p++) {
		struct spk_map_site *st = &map->sites[m->pops[p].site];

		if (m->pops[p].kind == SPK_POP_MEAN) {
			if (push(&st->means, &st->n_means, p) < 0)
				return -ENOMEM;
		} else if (push(&st->readers, &st->n_readers, p) < 0) {
			return -ENOMEM;
		}
	}
	for (uint32_t i = 0; i < m->n_ops; i++) {
		const struct spk_op *op = &m->ops[i];
		struct spk_map_site *st;

		map->op_node[i] = UINT32_MAX;
		switch (op->type) {
		case SPK_OP_ENCODER:
		case SPK_OP_CONV:
		case SPK_OP_ATTN:
			st = &map->sites[op->dst_site];
			if (st->first_op == UINT32_MAX)
				st->first_op = i;
			if (op->type == SPK_OP_ENCODER) {
				st->encoder = true;
			} else if (op->type == SPK_OP_ATTN) {
				st->attn_op = i;
				if (push(&map->pop_consumers[op->q_pop], &map->n_pop_consumers[op->q_pop],
					 i) < 0 ||
				    push(&map->pop_consumers[op->k_pop], &map->n_pop_consumers[op->k_pop],
					 i) < 0 ||
				    push(&map->pop_consumers[op->v_pop], &map->n_pop_consumers[op->v_pop],
					 i) < 0)
					return -ENOMEM;
			} else {
				if (push(&st->writers, &st->n_writers, i) < 0 ||
				    push(&map->pop_consumers[op->src_pop],
					 &map->n_pop_consumers[op->src_pop], i) < 0)
					return -ENOMEM;
				st->kernel_bits += (uint64_t)op->c_in * op->kernel * op->kernel * wb;
			}
			break;
		case SPK_OP_FIRE:
		case SPK_OP_LINEAR:
			break;
		}
	}
	for (uint32_t s = 0; s < m->n_sites; s++) {
		struct spk_map_site *st = &map->sites[s];

		st->slots_per_elem = spk_image_slots_per_element(st->n_readers, st->n_means,
								 st->encoder);
		st->param_words = st->n_writers + st->n_readers;
	}
	return 0;
}

struct spk_map *spk_map_create(const struct spk_model *m, const struct spk_qmodel *q,
			       const struct spk_arch *a, uint32_t seed)
{
	struct spk_map *map = calloc(1, sizeof(*map));
	uint32_t tiles = (uint32_t)a->chip.mesh_x * (uint32_t)a->chip.mesh_y, k = 0;

	if (map == NULL)
		return NULL;
	map->m = m;
	map->q = q;
	map->arch = *a;
	map->seed = seed;
	map->n_nodes = tiles;
	map->n_attn = (uint32_t)a->attention.units;
	map->n_enc = (uint32_t)a->encoder.units;
	map->n_readout = (uint32_t)a->chip.readout_units;
	map->n_syn = tiles - map->n_attn - map->n_enc - map->n_readout;
	map->attn_first = map->n_syn;
	map->enc_first = map->attn_first + map->n_attn;
	map->readout_first = map->enc_first + map->n_enc;
	map->sites = calloc(m->n_sites, sizeof(*map->sites));
	map->pop_consumers = calloc(m->n_pops, sizeof(*map->pop_consumers));
	map->n_pop_consumers = calloc(m->n_pops, sizeof(*map->n_pop_consumers));
	map->nodes = calloc(tiles, sizeof(*map->nodes));
	map->op_node = calloc(m->n_ops, sizeof(*map->op_node));
	map->op_reader_before = calloc(m->n_ops, sizeof(*map->op_reader_before));
	map->tile_node = calloc(tiles, sizeof(*map->tile_node));
	map->tile_initial = calloc(tiles, sizeof(*map->tile_initial));
	map->tree = a->noc.multicast == SPK_MULTICAST_TREE;
	if (map->tile_initial == NULL || map->sites == NULL || map->pop_consumers == NULL || map->n_pop_consumers == NULL ||
	    map->nodes == NULL || map->op_node == NULL || map->op_reader_before == NULL ||
	    map->tile_node == NULL)
		goto out_destroy;
	for (uint32_t i = 0; i < map->n_syn; i++)
		map->nodes[k++].kind = SPK_TILE_CORE;
	for (uint32_t i = 0; i < map->n_attn; i++)
		map->nodes[k++].kind = SPK_TILE_ATTENTION;
	for (uint32_t i = 0; i < map->n_enc; i++)
		map->nodes[k++].kind = SPK_TILE_ENCODER;
	for (uint32_t i = 0; i < map->n_readout; i++)
		map->nodes[k++].kind = SPK_TILE_READOUT;
	for (uint32_t i = 0; i < tiles; i++)
		map->nodes[i].tile = UINT32_MAX;
	if (analyse(map) < 0)
		goto out_destroy;
	return map;
out_destroy:
	spk_map_destroy(map);
	return NULL;
}

int spk_map_compile(struct spk_map *map)
{
	int rc = spk_partition_run(map);

	if (rc == 0)
		rc = spk_assign_run(map);
	if (rc == 0)
		rc = spk_route_run(map);
	if (rc == 0)
		rc = spk_place_run(map);
	return rc;
}

int spk_map_nofit(struct spk_map *map, const char *resource, const char *unit, uint64_t needed,
		  uint64_t available, const char *fix, const char *layer_fmt, ...)
{
	struct spk_map_fail *f = &map->fail;
	va_list ap;

	f->resource = resource;
	f->unit = unit;
	f->needed = needed;
	f->available = available;
	snprintf(f->fix, sizeof(f->fix), "%s", fix);
	va_start(ap, layer_fmt);
	vsnprintf(f->layer, sizeof(f->layer), layer_fmt, ap);
	va_end(ap);
	return -ENOSPC;
}

void spk_map_fail_message(const struct spk_map *map, char *buf, size_t len)
{
	const struct spk_map_fail *f = &map->fail;

	snprintf(buf, len, "does not fit: %s: %s needs %llu %s, the chip has %llu; it would fit "
		 "with %s", f->resource, f->layer, (unsigned long long)f->needed, f->unit,
		 (unsigned long long)f->available, f->fix);
}

const char *spk_map_site_layer(const struct spk_map *map, uint32_t site)
{
	uint32_t op = map->sites[site].first_op;

	return op != UINT32_MAX ? map->m->ops[op].name : map->m->sites[site].name;
}

uint32_t spk_map_pop_rate(const struct spk_map *map, uint32_t p)
{
	return map->pop_rate != NULL ? map->pop_rate[p] : SPK_MAP_RATE_BP;
}

uint64_t spk_map_piece_elems(const struct spk_map *map, const struct spk_map_piece *p)
{
	return (uint64_t)(p->c1 - p->c0) * (p->y1 - p->y0) * map->m->sites[p->site].width;
}
