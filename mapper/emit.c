/*
 * emit.c — the chip image of a mapping; see emit.h.
 */
#include "config.h"

#include "mapper/emit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The arch parameters the mapping depends on, recorded in the image. */
static const char *const recorded[] = {
	"chip.mesh_x", "chip.mesh_y", "chip.readout_units",
	"core.neurons", "core.synapse_kib", "core.weight_bits", "core.membrane_bits",
	"core.route_entries",
	"attention.units", "attention.kv_kib", "attention.counter_bits",
	"encoder.units", "encoder.weight_kib",
};

#define N_RECORDED (sizeof(recorded) / sizeof(recorded[0]))

const char *const *spk_emit_recorded_params(size_t *n)
{
	*n = N_RECORDED;
	return recorded;
}

static int64_t arch_value(const struct spk_arch *a, const char *name)
{
	if (strcmp(name, "chip.mesh_x") == 0) return a->chip.mesh_x;
	if (strcmp(name, "chip.mesh_y") == 0) return a->chip.mesh_y;
	if (strcmp(name, "chip.readout_units") == 0) return a->chip.readout_units;
	if (strcmp(name, "core.neurons") == 0) return a->core.neurons;
	if (strcmp(name, "core.synapse_kib") == 0) return a->core.synapse_kib;
	if (strcmp(name, "core.weight_bits") == 0) return a->core.weight_bits;
	if (strcmp(name, "core.membrane_bits") == 0) return a->core.membrane_bits;
	if (strcmp(name, "core.route_entries") == 0) return a->core.route_entries;
	if (strcmp(name, "attention.units") == 0) return a->attention.units;
	if (strcmp(name, "attention.kv_kib") == 0) return a->attention.kv_kib;
	if (strcmp(name, "attention.counter_bits") == 0) return a->attention.counter_bits;
	if (strcmp(name, "encoder.units") == 0) return a->encoder.units;
	return a->encoder.weight_kib;
}

static char *dup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

/* w[row][stride] -> out[row][g], channels [c0, c0 + g). */
static int16_t *slice(const int32_t *w, size_t rows, uint32_t stride, uint32_t c0, uint32_t g)
{
	int16_t *out = malloc((rows * g + 1) * sizeof(*out));

	if (out == NULL)
		return NULL;
	for (size_t r = 0; r < rows; r++)
		for (uint32_t c = 0; c < g; c++)
			out[r * g + c] = (int16_t)w[r * stride + c0 + c];
	return out;
}

static int emit_network(struct spk_image *img, const struct spk_map *map, uint32_t crc)
{
	const struct spk_model *m = map->m;

	img->model_config = dup(m->config);
	img->model_dataset = dup(m->dataset);
	img->model_crc32 = crc;
	img->time_steps = m->time_steps;
	img->in_channels = m->in_channels;
	img->in_height = m->in_height;
	img->in_width = m->in_width;
	img->classes = m->classes;
	img->seed = map->seed;
	img->n_arch = N_RECORDED;
	img->arch = calloc(N_RECORDED, sizeof(*img->arch));
	img->sites = calloc(m->n_sites, sizeof(*img->sites));
	img->pops = calloc(m->n_pops, sizeof(*img->pops));
	img->steps = calloc(m->n_ops, sizeof(*img->steps));
	if (img->model_config == NULL || img->model_dataset == NULL || img->arch == NULL ||
	    img->sites == NULL || img->pops == NULL || img->steps == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < N_RECORDED; i++) {
		img->arch[i].name = dup(recorded[i]);
		img->arch[i].value = arch_value(&map->arch, recorded[i]);
		if (img->arch[i].name == NULL)
			return -ENOMEM;
	}
	img->n_sites = m->n_sites;
	for (uint32_t s = 0; s < m->n_sites; s++) {
		img->sites[s].name = dup(m->sites[s].name);
		img->sites[s].channels = m->sites[s].channels;
		img->sites[s].height = m->sites[s].height;
		img->sites[s].width = m->sites[s].width;
		if (img->sites[s].name == NULL)
			return -ENOMEM;
	}
	img->n_pops = m->n_pops;
	for (uint32_t p = 0; p < m->n_pops; p++) {
		img->pops[p].name = dup(m->pops[p].name);
		img->pops[p].site = m->pops[p].site;
		img->pops[p].kind = m->pops[p].kind;
		if (img->pops[p].name == NULL)
			return -ENOMEM;
	}
	img->n_steps = m->n_ops;
	for (uint32_t i = 0; i < m->n_ops; i++) {
		const struct spk_op *op = &m->ops[i];
		struct spk_image_step *st = &img->steps[i];

		st->type = (enum spk_step_type)op->type;
		st->name = dup(op->name);
		if (st->name == NULL)
			return -ENOMEM;
		st->pop = op->pop;
		st->src_pop = op->src_pop;
		st->q_pop = op->q_pop;
		st->k_pop = op->k_pop;
		st->v_pop = op->v_pop;
		st->dst_site = op->dst_site;
		st->kernel = op->kernel;
		st->stride = op->stride;
		st->pad = op->pad;
		st->heads = op->heads;
	}
	return 0;
}

static int emit_core(struct spk_image_tile *t, const struct spk_map *map,
		     const struct spk_map_node *n)
{
	const struct spk_qmodel *q = map->q;
	uint32_t k = 0;

	t->n_pieces = n->n_items;
	t->pieces = calloc(n->n_items ? n->n_items : 1, sizeof(*t->pieces));
	if (t->pieces == NULL)
		return -ENOMEM;
	for (uint32_t l = 0; l < n->n_items; l++) {
		const struct spk_map_piece *p = &map->pieces[n->items[l]];
		const struct spk_map_site *st = &map->sites[p->site];
		struct spk_image_piece *ip = &t->pieces[l];
		uint32_t g = p->c1 - p->c0;

		*ip = (struct spk_image_piece){ .site = p->site, .c0 = p->c0, .c1 = p->c1,
						.y0 = p->y0, .y1 = p->y1, .slot_base = p->slot_base,
						.slots = p->slots };
		ip->theta = malloc(((size_t)st->n_readers * g + 1) * sizeof(*ip->theta));
		if (ip->theta == NULL)
			return -ENOMEM;
		for (uint32_t r = 0; r < st->n_readers; r++)
			memcpy(ip->theta + (size_t)r * g, q->theta[st->readers[r]] + p->c0,
			       g * sizeof(*ip->theta));
		t->n_projs += st->n_writers;
	}
	t->projs = calloc(t->n_projs ? t->n_projs : 1, sizeof(*t->projs));
	if (t->projs == NULL)
		return -ENOMEM;
	for (uint32_t l = 0; l < n->n_items; l++) {
		const struct spk_map_piece *p = &map->pieces[n->items[l]];
		const struct spk_map_site *st = &map->sites[p->site];
		uint32_t g = p->c1 - p->c0;

		for (uint32_t w = 0; w < st->n_writers; w++) {
			const uint32_t opi = st->writers[w];
			const struct spk_op *op = &map->m->ops[opi];
			const struct spk_qop *qo = &q->ops[opi];
			struct spk_image_proj *pr = &t->projs[k++];

			pr->step = opi;
			pr->piece = l;
			pr->w = slice(qo->w, (size_t)op->c_in * op->kernel * op->kernel, qo->stride,
				      p->c0, g);
			pr->bias = malloc(g * sizeof(*pr->bias));
			if (pr->w == NULL || pr->bias == NULL)
				return -ENOMEM;
			memcpy(pr->bias, qo->bias + p->c0, g * sizeof(*pr->bias));
		}
	}
	return 0;
}

static int emit_attention(struct spk_image_tile *t, const struct spk_map *map,
			  const struct spk_map_node *n)
{
	const struct spk_model *m = map->m;
	uint32_t base = 0;

	t->n_attn = n->n_items;
	t->attn = calloc(n->n_items ? n->n_items : 1, sizeof(*t->attn));
	if (t->attn == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < n->n_items; k++) {
		const struct spk_op *op = &m->ops[n->items[k]];
		uint64_t d = op->c_out / op->heads;
		uint32_t bytes = (uint32_t)((op->heads * d * d * (uint64_t)map->arch.attention.counter_bits
					     + 7) / 8);

		t->attn[k] = (struct spk_image_attn){ .step = n->items[k], .kv_base = base,
						      .kv_bytes = bytes };
		base += bytes;
	}
	return 0;
}

static int emit_encoder(struct spk_image_tile *t, const struct spk_map *map,
			const struct spk_map_node *n)
{
	const struct spk_op *op = &map->m->ops[0];
	const struct spk_qop *qo = &map->q->ops[0];
	struct spk_image_encoder *en;
	uint32_t g = n->c1 - n->c0;

	if (!n->used)
		return 0;
	en = t->encoder = calloc(1, sizeof(*en));
	if (en == NULL)
		return -ENOMEM;
	en->step = 0;
	en->c0 = n->c0;
	en->c1 = n->c1;
	en->w = slice(qo->w, (size_t)op->c_in * op->kernel * op->kernel, qo->stride, n->c0, g);
	en->zero = malloc(op->c_in * sizeof(*en->zero));
	en->mult = malloc(g * sizeof(*en->mult));
	en->bias = malloc(g * sizeof(*en->bias));
	if (en->w == NULL || en->zero == NULL || en->mult == NULL || en->bias == NULL)
		return -ENOMEM;
	memcpy(en->zero, qo->zero, op->c_in * sizeof(*en->zero));
	memcpy(en->mult, qo->mult + n->c0, g * sizeof(*en->mult));
	memcpy(en->bias, qo->ebias + n->c0, g * sizeof(*en->bias));
	return 0;
}

static int emit_readout(struct spk_image_tile *t, const struct spk_map *map,
			const struct spk_map_node *n)
{
	const struct spk_model *m = map->m;
	const uint32_t head = m->n_ops - 1;
	const struct spk_qop *qo = &map->q->ops[head];
	uint32_t k = 0;

	if (!n->used)
		return 0;
	for (uint32_t p = 0; p < m->n_pops; p++)
		if (m->pops[p].kind == SPK_POP_MEAN)
			t->n_means++;
	t->means = calloc(t->n_means ? t->n_means : 1, sizeof(*t->means));
	t->head = calloc(1, sizeof(*t->head));
	if (t->means == NULL || t->head == NULL)
		return -ENOMEM;
	for (uint32_t p = 0; p < m->n_pops; p++) {
		uint32_t C = m->sites[m->pops[p].site].channels;

		if (m->pops[p].kind != SPK_POP_MEAN)
			continue;
		t->means[k].pop = p;
		t->means[k].theta = malloc(C * sizeof(int64_t));
		if (t->means[k].theta == NULL)
			return -ENOMEM;
		memcpy(t->means[k].theta, map->q->theta[p], C * sizeof(int64_t));
		k++;
	}
	t->head->step = head;
	t->head->w = slice(qo->w, m->ops[head].c_in, qo->stride, 0, m->classes);
	t->head->bias = malloc(m->classes * sizeof(int64_t));
	if (t->head->w == NULL || t->head->bias == NULL)
		return -ENOMEM;
	memcpy(t->head->bias, qo->ebias, m->classes * sizeof(int64_t));
	t->head->scale = qo->head_scale;
	return 0;
}

static int emit_routes(struct spk_image_tile *t, const struct spk_map *map,
		       const struct spk_map_node *n)
{
	t->n_routes = n->n_routes;
	t->routes = calloc(n->n_routes ? n->n_routes : 1, sizeof(*t->routes));
	if (t->routes == NULL)
		return -ENOMEM;
	for (uint32_t k = 0; k < n->n_routes; k++) {
		const struct spk_map_route *r = &map->routes[n->first_route + k];
		struct spk_image_route *o = &t->routes[k];

		*o = (struct spk_image_route){ .kind = r->kind, .source = r->source,
					       .local = r->local,
					       .dst_tile = map->nodes[r->dst].tile,
					       .dst_piece = UINT32_MAX };
		if (r->dst_piece != UINT32_MAX) {
			o->dst_piece = map->pieces[r->dst_piece].local;
			o->c0 = r->c0;
			o->c1 = r->c1;
			o->y0 = r->y0;
			o->y1 = r->y1;
		}
	}
	return 0;
}

struct spk_image *spk_emit_image(const struct spk_map *map, uint32_t model_crc32, char *err,
				 size_t errlen)
{
	struct spk_image *img = spk_image_alloc();
	char why[512];
	int rc = -ENOMEM;

	if (img == NULL)
		goto out_nomem;
	if (emit_network(img, map, model_crc32) < 0)
		goto out_nomem;
	img->n_tiles = map->n_nodes;
	img->tiles = calloc(map->n_nodes, sizeof(*img->tiles));
	if (img->tiles == NULL)
		goto out_nomem;
	for (uint32_t t = 0; t < map->n_nodes; t++) {
		const struct spk_map_node *n = &map->nodes[map->tile_node[t]];
		struct spk_image_tile *it = &img->tiles[t];

		it->kind = n->kind;
		switch (n->kind) {
		case SPK_TILE_CORE:
			rc = emit_core(it, map, n);
			break;
		case SPK_TILE_ATTENTION:
			rc = emit_attention(it, map, n);
			break;
		case SPK_TILE_ENCODER:
			rc = emit_encoder(it, map, n);
			break;
		case SPK_TILE_READOUT:
			rc = emit_readout(it, map, n);
			break;
		}
		if (rc < 0 || emit_routes(it, map, n) < 0)
			goto out_nomem;
	}
	if (spk_image_finish(img, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "the chip image cannot hold this mapping: %s",
			 why);
		spk_image_destroy(img);
		return NULL;
	}
	return img;
out_nomem:
	snprintf(err, errlen, "out of memory building the chip image");
	spk_image_destroy(img);
	return NULL;
}
