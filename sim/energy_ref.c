/*
 * energy_ref.c — the executor's event counts from the reference's run; see energy_ref.h.
 *
 * How each count follows from the reference's spikes and values:
 *
 *   SPIKE entry   the spikes of its piece: a population's spikes are binned by the piece of
 *                 their site they fall in (a table over (channel, row)).
 *   CONV SOPs     on tile T, projection of piece P (g channels, output rows [y0, y1)) reading
 *                 population p: Σ over the spikes (c, y, x) of the pieces of p with a SPIKE
 *                 entry to T of g · ry_P(y) · rx(x), where ry_P and rx are the reach of one input
 *                 row and column (models/semantics.h spk_sem_reach(); rows clipped to P's,
 *                 columns to the site's, as every piece spans the full width). With spikes binned
 *                 per (piece, row) as Σ rx(x) — once per kernel geometry reading p — a projection
 *                 costs one multiply-add per (source piece, row), not per spike.
 *   ATTN          the attention unit's arithmetic on the Q, K and V spikes (mapper/exec.h
 *                 spk_exec_attention(), the executor's own): its additions, and per ATTN entry
 *                 the non-zero outputs in the entry's block.
 *   ENCODER entry the non-zero encoder outputs (the reference's, spk_ref_encoder_out()) in the
 *                 entry's block, once per image.
 *   MEAN entry    the piece's channels per timestep (partial sums are sent whatever their value).
 *   LINEAR        classes per spike of the mean population, on the readout that holds the head.
 */
#include "config.h"

#include "sim/energy_ref.h"

#include "mapper/exec.h"
#include "models/semantics.h"
#include "util/divisor.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rpiece {			/* a piece of a site */
	uint32_t tile, local;
	uint32_t y0, y1;
};

struct rsite {
	uint32_t n;		/* pieces */
	struct rpiece *piece;
	uint32_t *cy;		/* [C·H]: the piece (c, y) lies in, UINT32_MAX for none */
};

struct rroute {			/* entry k of tile `tile`, to tile dst */
	uint32_t tile, k, dst;
};

struct rproj {			/* a CONV projection reading the population */
	uint32_t tile, step, g, geom;
	uint16_t *ry;		/* [H]: output rows of the piece one input row reaches */
	uint32_t n_src;
	uint32_t *src;		/* site pieces whose spikes reach the tile */
};

struct rpop {
	const struct rsite *site;
	uint32_t C, H, W;
	struct spk_divisor wdiv, hdiv;
	uint32_t n_geom;
	uint16_t *rx;		/* [n_geom][W]: output columns one input column reaches */
	uint64_t *cnt;		/* [pieces] spikes this timestep */
	uint64_t *rows;		/* [pieces][n_geom][H]: Σ rx(x) of the spikes at row y */
	uint32_t *route_begin;	/* [pieces + 1] into routes */
	struct rroute *routes;	/* the SPIKE entries of each piece */
	uint32_t n_projs;
	struct rproj *projs;
	/* an attention input: this timestep's spikes */
	uint32_t *ids;
	size_t n_ids;
	uint64_t stamp;		/* tick of ids; 0: none */
	uint32_t n_attn;
	uint32_t *attn;		/* attention steps (indices into c->attn) it feeds */
	uint32_t n_linear;
	uint32_t *linear;	/* LINEAR steps reading it (a mean population) */
};

struct rattn {
	uint32_t step, tile;
	uint32_t C, N, d;
	uint32_t q, k, v;
};

struct spk_energy_ref {
	const struct spk_image *img;
	struct spk_ref *ref;
	struct rsite *sites;
	struct rpop *pops;
	uint32_t n_attn;
	struct rattn *attn;
	uint8_t *vb;
	int64_t *kv, *out;
	uint32_t readout;	/* the tile with the head, UINT32_MAX if none */
	uint64_t tick;		/* 1 + images run · T + t of the timestep being counted */
	uint64_t runs;
	double *logits;
	/* the counts */
	uint64_t **events;	/* [n_tiles][n_routes] */
	uint64_t *tile_sops, *tile_attn, *step_ops;
	spk_ref_spike_fn hook;
	void *hook_ctx;
};

void spk_energy_ref_destroy(struct spk_energy_ref *c)
{
	const struct spk_image *img;

	if (c == NULL)
		return;
	img = c->img;
	spk_ref_destroy(c->ref);
	if (c->sites != NULL)
		for (uint32_t s = 0; s < img->n_sites; s++) {
			free(c->sites[s].piece);
			free(c->sites[s].cy);
		}
	if (c->pops != NULL)
		for (uint32_t p = 0; p < img->n_pops; p++) {
			struct rpop *rp = &c->pops[p];

			free(rp->rx);
			free(rp->cnt);
			free(rp->rows);
			free(rp->route_begin);
			free(rp->routes);
			for (uint32_t j = 0; j < rp->n_projs; j++) {
				free(rp->projs[j].ry);
				free(rp->projs[j].src);
			}
			free(rp->projs);
			free(rp->ids);
			free(rp->attn);
			free(rp->linear);
		}
	if (c->events != NULL)
		for (uint32_t t = 0; t < img->n_tiles; t++)
			free(c->events[t]);
	free(c->sites);
	free(c->pops);
	free(c->attn);
	free(c->vb);
	free(c->kv);
	free(c->out);
	free(c->logits);
	free(c->events);
	free(c->tile_sops);
	free(c->tile_attn);
	free(c->step_ops);
	free(c);
}

static int append(uint32_t **a, uint32_t *n, uint32_t v)
{
	uint32_t *p = realloc(*a, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p[(*n)++] = v;
	*a = p;
	return 0;
}

/* Every site's pieces, in (tile, local) order, and the (channel, row) → piece table. */
static int make_sites(struct spk_energy_ref *c)
{
	const struct spk_image *img = c->img;

	for (uint32_t t = 0; t < img->n_tiles; t++)
		for (uint32_t l = 0; l < img->tiles[t].n_pieces; l++)
			c->sites[img->tiles[t].pieces[l].site].n++;
	for (uint32_t s = 0; s < img->n_sites; s++) {
		const struct spk_image_site *si = &img->sites[s];
		size_t cy = (size_t)si->channels * si->height;

		c->sites[s].piece = calloc(c->sites[s].n + 1, sizeof(struct rpiece));
		c->sites[s].cy = malloc((cy + 1) * sizeof(uint32_t));
		if (c->sites[s].piece == NULL || c->sites[s].cy == NULL)
			return -ENOMEM;
		memset(c->sites[s].cy, 0xff, (cy + 1) * sizeof(uint32_t));
		c->sites[s].n = 0;
	}
	for (uint32_t t = 0; t < img->n_tiles; t++)
		for (uint32_t l = 0; l < img->tiles[t].n_pieces; l++) {
			const struct spk_image_piece *p = &img->tiles[t].pieces[l];
			struct rsite *rs = &c->sites[p->site];
			uint32_t H = img->sites[p->site].height, j = rs->n++;

			rs->piece[j] = (struct rpiece){ .tile = t, .local = l, .y0 = p->y0, .y1 = p->y1 };
			for (uint32_t ch = p->c0; ch < p->c1; ch++)
				for (uint32_t y = p->y0; y < p->y1; y++)
					rs->cy[(size_t)ch * H + y] = j;
		}
	return 0;
}

/* The site piece of population p held by (tile, local), or UINT32_MAX. */
static uint32_t site_piece(const struct rsite *rs, uint32_t tile, uint32_t local)
{
	for (uint32_t j = 0; j < rs->n; j++)
		if (rs->piece[j].tile == tile && rs->piece[j].local == local)
			return j;
	return UINT32_MAX;
}

/* Column reach of one kernel geometry over the W input columns: its index in rp's tables. */
static int geometry(struct rpop *rp, const struct spk_image_step *st, uint32_t **keys,
		    uint32_t *geom)
{
	uint32_t key[4] = { st->kernel, st->stride, st->pad, st->w_out }, *k;
	uint16_t *rx;

	for (uint32_t g = 0; g < rp->n_geom; g++)
		if (memcmp(*keys + 4 * g, key, sizeof(key)) == 0) {
			*geom = g;
			return 0;
		}
	rx = realloc(rp->rx, (size_t)(rp->n_geom + 1) * rp->W * sizeof(*rx));
	if (rx == NULL)
		return -ENOMEM;
	rp->rx = rx;
	k = realloc(*keys, (size_t)(rp->n_geom + 1) * sizeof(key));
	if (k == NULL)
		return -ENOMEM;
	*keys = k;
	memcpy(k + 4 * rp->n_geom, key, sizeof(key));
	for (uint32_t x = 0; x < rp->W; x++) {
		uint32_t lo, hi;

		spk_sem_reach(x, st->kernel, st->stride, st->pad, 0, st->w_out, &lo, &hi);
		rx[(size_t)rp->n_geom * rp->W + x] = (uint16_t)(hi - lo);
	}
	*geom = rp->n_geom++;
	return 0;
}

/* The SPIKE entries of each of p's pieces, and the CONV projections reading p. */
static int make_pop(struct spk_energy_ref *c, uint32_t p)
{
	const struct spk_image *img = c->img;
	const struct spk_image_site *si = &img->sites[img->pops[p].site];
	struct rpop *rp = &c->pops[p];
	const struct rsite *rs = &c->sites[img->pops[p].site];
	uint32_t *keys = NULL, n_routes = 0;
	int rc = -ENOMEM;

	rp->site = rs;
	rp->C = si->channels;
	rp->H = si->height;
	rp->W = si->width;
	spk_divisor_init(&rp->wdiv, rp->W);
	spk_divisor_init(&rp->hdiv, rp->H);
	rp->route_begin = calloc(rs->n + 2, sizeof(*rp->route_begin));
	if (rp->route_begin == NULL)
		return -ENOMEM;
	/* routes, grouped by source piece (a counting pass, then a filling pass) */
	for (uint32_t pass = 0; pass < 2; pass++) {
		for (uint32_t t = 0; t < img->n_tiles; t++)
			for (uint32_t k = 0; k < img->tiles[t].n_routes; k++) {
				const struct spk_image_route *r = &img->tiles[t].routes[k];
				uint32_t j;

				if (r->kind != SPK_ROUTE_SPIKE || r->source != p)
					continue;
				j = site_piece(rs, t, r->local);
				if (j == UINT32_MAX)
					continue;
				if (pass == 0)
					rp->route_begin[j + 2]++;
				else
					rp->routes[rp->route_begin[j + 1]++] =
						(struct rroute){ .tile = t, .k = k,
							       .dst = r->dst_tile };
			}
		if (pass == 0) {
			for (uint32_t j = 0; j < rs->n; j++)
				rp->route_begin[j + 2] += rp->route_begin[j + 1];
			n_routes = rp->route_begin[rs->n + 1];
			rp->routes = malloc((n_routes + 1) * sizeof(*rp->routes));
			if (rp->routes == NULL)
				return -ENOMEM;
		}
	}
	/* projections: every CONV piece of a tile that p's spikes reach */
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tl = &img->tiles[t];

		for (uint32_t i = 0; i < tl->n_projs; i++) {
			const struct spk_image_proj *pr = &tl->projs[i];
			const struct spk_image_step *st = &img->steps[pr->step];
			const struct spk_image_piece *pc = &tl->pieces[pr->piece];
			struct rproj *q;

			if (st->src_pop != p)
				continue;
			q = realloc(rp->projs, (rp->n_projs + 1) * sizeof(*q));
			if (q == NULL)
				goto out;
			rp->projs = q;
			q = &rp->projs[rp->n_projs++];
			memset(q, 0, sizeof(*q));
			q->tile = t;
			q->step = pr->step;
			q->g = pc->c1 - pc->c0;
			if (geometry(rp, st, &keys, &q->geom) < 0)
				goto out;
			q->ry = malloc((rp->H + 1) * sizeof(*q->ry));
			if (q->ry == NULL)
				goto out;
			for (uint32_t y = 0; y < rp->H; y++) {
				uint32_t lo, hi;

				spk_sem_reach(y, st->kernel, st->stride, st->pad, pc->y0, pc->y1, &lo,
					      &hi);
				q->ry[y] = (uint16_t)(hi - lo);
			}
			for (uint32_t j = 0; j < rs->n; j++)
				for (uint32_t e = rp->route_begin[j]; e < rp->route_begin[j + 1]; e++)
					if (rp->routes[e].dst == t && append(&q->src, &q->n_src, j) < 0)
						goto out;
		}
	}
	rp->cnt = calloc(rs->n + 1, sizeof(*rp->cnt));
	rp->rows = calloc((size_t)rs->n * rp->n_geom * rp->H + 1, sizeof(*rp->rows));
	if (rp->cnt == NULL || rp->rows == NULL)
		goto out;
	rc = 0;
out:
	free(keys);
	return rc;
}

/* The attention steps; -ENOTSUP if a unit does not receive every piece of an input. */
static int make_attn(struct spk_energy_ref *c, char *err, size_t errlen)
{
	const struct spk_image *img = c->img;
	size_t nc = 1, cd = 1;

	c->attn = calloc(img->n_steps + 1, sizeof(*c->attn));
	if (c->attn == NULL)
		return -ENOMEM;
	for (uint32_t t = 0; t < img->n_tiles; t++)
		for (uint32_t a = 0; a < img->tiles[t].n_attn; a++) {
			const uint32_t i = img->tiles[t].attn[a].step;
			const struct spk_image_step *st = &img->steps[i];
			struct rattn *ra;
			bool seen = false;

			for (uint32_t k = 0; k < c->n_attn; k++)
				seen |= c->attn[k].step == i;
			if (seen)	/* the executor runs a step on its first tile */
				continue;
			ra = &c->attn[c->n_attn];
			*ra = (struct rattn){ .step = i, .tile = t, .C = st->c_out,
					      .N = st->h_out * st->w_out, .d = st->c_out / st->heads,
					      .q = st->q_pop, .k = st->k_pop, .v = st->v_pop };
			for (uint32_t w = 0; w < 3; w++) {
				uint32_t p = w == 0 ? ra->q : w == 1 ? ra->k : ra->v;
				struct rpop *rp = &c->pops[p];

				for (uint32_t j = 0; j < rp->site->n; j++) {
					bool reached = false;

					for (uint32_t e = rp->route_begin[j]; e < rp->route_begin[j + 1];
					     e++)
						reached |= rp->routes[e].dst == t;
					if (!reached) {
						snprintf(err, errlen, "the attention unit of step %s "
							 "(tile %u) does not receive every piece of %s",
							 st->name, t, img->pops[p].name);
						return -ENOTSUP;
					}
				}
				if (rp->ids == NULL) {
					rp->ids = malloc((img->pops[p].neurons + 1) * sizeof(uint32_t));
					if (rp->ids == NULL)
						return -ENOMEM;
				}
				if (append(&rp->attn, &rp->n_attn, c->n_attn) < 0)
					return -ENOMEM;
			}
			if ((size_t)ra->N * ra->C > nc)
				nc = (size_t)ra->N * ra->C;
			if ((size_t)ra->C * ra->d > cd)
				cd = (size_t)ra->C * ra->d;
			c->n_attn++;
		}
	c->vb = malloc(nc);
	c->kv = malloc(cd * sizeof(*c->kv));
	c->out = malloc(nc * sizeof(*c->out));
	return c->vb == NULL || c->kv == NULL || c->out == NULL ? -ENOMEM : 0;
}

static int on_spikes(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n);

int spk_energy_ref_create(const struct spk_image *img, const struct spk_model *m,
			  const struct spk_qmodel *q, struct spk_energy_ref **out, char *err,
			  size_t errlen)
{
	struct spk_energy_ref *c = calloc(1, sizeof(*c));
	int rc = -ENOMEM;

	*out = NULL;
	if (c == NULL)
		goto fail;
	c->img = img;
	c->readout = UINT32_MAX;
	c->ref = spk_ref_create(m, q, img->time_steps, err, errlen);
	if (c->ref == NULL) {
		spk_energy_ref_destroy(c);
		return -ENOMEM;
	}
	spk_ref_set_spike_hook(c->ref, on_spikes, c);
	c->sites = calloc(img->n_sites + 1, sizeof(*c->sites));
	c->pops = calloc(img->n_pops + 1, sizeof(*c->pops));
	c->logits = calloc(img->classes + 1, sizeof(*c->logits));
	c->events = calloc(img->n_tiles, sizeof(*c->events));
	c->tile_sops = calloc(img->n_tiles, sizeof(*c->tile_sops));
	c->tile_attn = calloc(img->n_tiles, sizeof(*c->tile_attn));
	c->step_ops = calloc(img->n_steps + 1, sizeof(*c->step_ops));
	if (c->sites == NULL || c->pops == NULL || c->logits == NULL || c->events == NULL ||
	    c->tile_sops == NULL || c->tile_attn == NULL || c->step_ops == NULL)
		goto fail;
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		c->events[t] = calloc(img->tiles[t].n_routes + 1, sizeof(uint64_t));
		if (c->events[t] == NULL)
			goto fail;
		if (img->tiles[t].head != NULL && c->readout == UINT32_MAX)
			c->readout = t;
	}
	if (make_sites(c) < 0)
		goto fail;
	for (uint32_t p = 0; p < img->n_pops; p++)
		if (img->pops[p].kind == 0 && make_pop(c, p) < 0)
			goto fail;
	for (uint32_t i = 0; i < img->n_steps; i++)
		if (img->steps[i].type == SPK_STEP_LINEAR &&
		    append(&c->pops[img->steps[i].src_pop].linear,
			   &c->pops[img->steps[i].src_pop].n_linear, i) < 0)
			goto fail;
	rc = make_attn(c, err, errlen);
	if (rc < 0) {
		if (rc == -ENOTSUP) {
			spk_energy_ref_destroy(c);
			return rc;
		}
		goto fail;
	}
	*out = c;
	return 0;
fail:
	snprintf(err, errlen, "out of memory for the energy counter");
	spk_energy_ref_destroy(c);
	return rc;
}

void spk_energy_ref_set_spike_hook(struct spk_energy_ref *c, spk_ref_spike_fn fn, void *ctx)
{
	c->hook = fn;
	c->hook_ctx = ctx;
}

/* ---- counting ------------------------------------------------------------------------------ */

/* The attention step's additions and the non-zero outputs along its ATTN entries. */
static void count_attn(struct spk_energy_ref *c, const struct rattn *ra)
{
	const struct spk_image_tile *tl = &c->img->tiles[ra->tile];
	const struct rpop *q = &c->pops[ra->q], *k = &c->pops[ra->k], *v = &c->pops[ra->v];
	const uint32_t W = c->img->steps[ra->step].w_out;
	uint64_t ops;

	ops = spk_exec_attention(ra->C, ra->N, ra->d, q->ids, q->n_ids, k->ids, k->n_ids, v->ids,
				 v->n_ids, c->vb, c->kv, c->out);
	c->tile_attn[ra->tile] += ops;
	c->step_ops[ra->step] += ops;
	for (uint32_t r = 0; r < tl->n_routes; r++) {
		const struct spk_image_route *rt = &tl->routes[r];
		uint64_t sent = 0;

		if (rt->kind != SPK_ROUTE_ATTN || rt->source != ra->step)
			continue;
		for (uint32_t y = rt->y0; y < rt->y1; y++)
			for (uint32_t x = 0; x < W; x++) {
				const int64_t *o = c->out + ((size_t)y * W + x) * ra->C;

				for (uint32_t ch = rt->c0; ch < rt->c1; ch++)
					sent += o[ch] != 0;
			}
		c->events[ra->tile][r] += sent;
	}
}

/* One FIRE of a per-neuron population: its entries' spikes, the SOPs of its readers. */
static void count_fire(struct spk_energy_ref *c, struct rpop *rp, const uint32_t *ids, size_t n)
{
	const struct rsite *rs = rp->site;
	const uint32_t H = rp->H, W = rp->W, ng = rp->n_geom;

	for (size_t s = 0; s < n; s++) {
		const uint32_t cy = spk_div_by(ids[s], &rp->wdiv), x = ids[s] - cy * W;
		const uint32_t y = cy - spk_div_by(cy, &rp->hdiv) * H, j = rs->cy[cy];
		uint64_t *row;

		if (j == UINT32_MAX)	/* a neuron no piece holds: the executor has none */
			continue;
		rp->cnt[j]++;
		row = rp->rows + (size_t)j * ng * H + y;
		for (uint32_t g = 0; g < ng; g++)
			row[(size_t)g * H] += rp->rx[(size_t)g * W + x];
	}
	for (uint32_t j = 0; j < rs->n; j++)
		for (uint32_t e = rp->route_begin[j]; e < rp->route_begin[j + 1]; e++)
			c->events[rp->routes[e].tile][rp->routes[e].k] += rp->cnt[j];
	for (uint32_t i = 0; i < rp->n_projs; i++) {
		const struct rproj *pr = &rp->projs[i];
		uint64_t sum = 0;

		for (uint32_t a = 0; a < pr->n_src; a++) {
			const struct rpiece *sp = &rs->piece[pr->src[a]];
			const uint64_t *row = rp->rows + ((size_t)pr->src[a] * ng + pr->geom) * H;

			for (uint32_t y = sp->y0; y < sp->y1; y++)
				sum += row[y] * pr->ry[y];
		}
		sum *= pr->g;
		c->tile_sops[pr->tile] += sum;
		c->step_ops[pr->step] += sum;
	}
	memset(rp->cnt, 0, rs->n * sizeof(*rp->cnt));
	memset(rp->rows, 0, (size_t)rs->n * ng * H * sizeof(*rp->rows));
}

static int on_spikes(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	struct spk_energy_ref *c = ctx;
	const struct spk_image *img = c->img;
	struct rpop *rp = &c->pops[pop];
	const uint64_t tick = 1 + c->runs * img->time_steps + t;

	if (img->pops[pop].kind == 1) {
		for (uint32_t k = 0; k < rp->n_linear && c->readout != UINT32_MAX; k++) {
			c->tile_sops[c->readout] += (uint64_t)n * img->classes;
			c->step_ops[rp->linear[k]] += (uint64_t)n * img->classes;
		}
	} else {
		count_fire(c, rp, ids, n);
	}
	if (rp->n_attn > 0) {
		memcpy(rp->ids, ids, n * sizeof(*ids));
		rp->n_ids = n;
		rp->stamp = tick;
		for (uint32_t k = 0; k < rp->n_attn; k++) {
			const struct rattn *ra = &c->attn[rp->attn[k]];

			if (c->pops[ra->q].stamp == tick && c->pops[ra->k].stamp == tick &&
			    c->pops[ra->v].stamp == tick)
				count_attn(c, ra);
		}
	}
	return c->hook != NULL ? c->hook(c->hook_ctx, t, pop, ids, n) : 0;
}

/* Per image: the encoder's non-zero outputs along its entries; the partial sums. */
static void count_image(struct spk_energy_ref *c)
{
	const struct spk_image *img = c->img;
	const int64_t *enc = spk_ref_encoder_out(c->ref);

	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tl = &img->tiles[t];

		for (uint32_t r = 0; r < tl->n_routes; r++) {
			const struct spk_image_route *rt = &tl->routes[r];

			if (rt->kind == SPK_ROUTE_MEAN) {
				const struct spk_image_piece *p = &tl->pieces[rt->local];

				c->events[t][r] += (uint64_t)(p->c1 - p->c0) * img->time_steps;
			} else if (rt->kind == SPK_ROUTE_ENCODER && tl->encoder != NULL) {
				const struct spk_image_step *st = &img->steps[tl->encoder->step];
				uint64_t nonzero = 0;

				for (uint32_t y = rt->y0; y < rt->y1; y++)
					for (uint32_t x = 0; x < st->w_out; x++) {
						const int64_t *e = enc + ((size_t)y * st->w_out + x) *
									 st->c_out;

						for (uint32_t ch = rt->c0; ch < rt->c1; ch++)
							nonzero += e[ch] != 0;
					}
				c->events[t][r] += nonzero;
			}
		}
	}
}

int spk_energy_ref_run(struct spk_energy_ref *c, const uint8_t *pixels)
{
	int cls = spk_ref_run(c->ref, pixels, NULL, c->logits);

	if (cls < 0)
		return cls;
	count_image(c);
	c->runs++;
	return cls;
}

uint64_t spk_energy_ref_route_events(const struct spk_energy_ref *c, uint32_t t, uint32_t k)
{
	return c->events[t][k];
}

uint64_t spk_energy_ref_tile_sops(const struct spk_energy_ref *c, uint32_t t)
{
	return c->tile_sops[t];
}

uint64_t spk_energy_ref_tile_attn_ops(const struct spk_energy_ref *c, uint32_t t)
{
	return c->tile_attn[t];
}

uint64_t spk_energy_ref_step_ops(const struct spk_energy_ref *c, uint32_t i)
{
	return c->step_ops[i];
}

void spk_energy_ref_clear_counts(struct spk_energy_ref *c)
{
	const struct spk_image *img = c->img;

	for (uint32_t t = 0; t < img->n_tiles; t++)
		memset(c->events[t], 0, img->tiles[t].n_routes * sizeof(uint64_t));
	memset(c->tile_sops, 0, img->n_tiles * sizeof(*c->tile_sops));
	memset(c->tile_attn, 0, img->n_tiles * sizeof(*c->tile_attn));
	memset(c->step_ops, 0, img->n_steps * sizeof(*c->step_ops));
}
