/*
 * exec.c — the functional executor of a chip image; see exec.h.
 *
 * State lives per piece, laid out channel-last within the piece's block (index
 * ((y−y0)·W + x)·g + (c−c0)), so a kernel row of the piece's g channels adds to g contiguous
 * accumulators. A projection accumulates one step's spikes in an int32 scratch (the quantizer
 * proved one CONV's contributions to a neuron fit) and widens them into the piece's int64
 * accumulator with its biases, as the reference does; sums are exact, so the order of spikes
 * never matters. The arithmetic itself (LIF, requantization, the row additions) is the
 * reference's own: models/semantics.h and models/rowadd.h.
 *
 * Every step has a precomputed work list (the pieces, projections or unit it runs on), so a
 * timestep touches only the tiles that take part in each step. Nothing here reads the model:
 * the image is the only input.
 */
#include "config.h"

#include "mapper/exec.h"
#include "models/rowadd.h"
#include "models/semantics.h"
#include "util/divisor.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kernel rows are padded to a multiple of this many weights (as the reference pads its rows,
 * models/quant.h), so that spk_rowadd() runs its vector loops only. */
#define SPK_EXEC_LANES 8u

struct range {
	uint32_t lo, hi;	/* output rows/columns [lo, hi) of the piece an input one reaches */
};

struct xpiece {
	const struct spk_image_piece *p;
	uint32_t tile, local;
	uint32_t g, W;
	size_t elems;
	int64_t *acc;		/* the site's running value */
	int64_t *v;		/* [n_readers][elems] membranes */
	int64_t *enc;		/* encoder register, or NULL */
	int64_t *th2;		/* [n_readers][g]: 2·θ */
};

struct xproj {
	uint32_t tile, piece;	/* piece: index into x->pieces */
	uint32_t step;
	uint32_t gp;		/* g rounded up to SPK_EXEC_LANES: the rows' stride */
	int16_t *w;		/* [c_in·k·k][gp], zero beyond g (the image's int16 weights) */
	int32_t *bias;		/* [g] */
	struct range *ry, *rx;	/* [h_in], [w_in] */
};

struct inbox {
	uint32_t n, cap;
	bool by_pos;		/* ids are in position order (sort_inbox()) this timestep */
	uint32_t *ids;		/* [cap = neurons of the population] */
};

struct xtile {
	int32_t *inbox_of;	/* [n_pops]: inbox index, −1 for none */
	uint64_t *events;	/* [n_routes] */
	uint64_t sops;		/* weights added for spikes (CONV taps, head rows) */
	uint64_t attn_ops;	/* KV and Q·KV additions */
};

struct worklist {
	uint32_t n;
	uint32_t *item;
};

struct spk_exec {
	const struct spk_image *img;
	struct xtile *tiles;
	uint32_t n_pieces, n_projs, n_inboxes;
	struct xpiece *pieces;
	struct xproj *projs;
	struct inbox *inboxes;
	struct worklist *work;	/* [n_steps] */
	uint64_t *step_ops;	/* [n_steps]: SOPs (CONV, LINEAR), additions (ATTN) */
	uint32_t *reader_index;	/* [n_pops]: index among its site's readers */
	uint32_t readout;	/* tile of the readout with the head, UINT32_MAX if none */
	int64_t **vmean;	/* [n_pops]: membranes of mean populations, NULL otherwise */
	int64_t *msum;		/* partial-sum accumulation [max channels] */
	uint32_t **mspikes;	/* [n_pops]: spikes of a mean population this timestep */
	uint32_t *n_mspikes;
	int32_t *acc32;		/* CONV scratch [max piece positions · gp] */
	uint8_t *vb;		/* ATTN: V spikes [N·C] */
	int64_t *kv, *out;	/* ATTN: counts [C·d], outputs [N·C] */
	int64_t *enc_out;	/* encoder outputs [h·w·g] */
	uint32_t *ids;		/* spikes of the current FIRE */
	uint32_t *sort_ids;	/* sort_inbox() scratch [max pop] */
	uint32_t *ch;		/* CONV: channels spiking at one position */
	uint32_t *sort_count;	/* sort_inbox() scratch [max plane + 1] (and ids_pos, ids_ch) */
	int64_t *scores;
	int64_t vmin, vmax;
	spk_exec_spike_fn hook;
	void *hook_ctx;
	bool avx2;		/* CONV rows added eight lanes at a time (models/rowadd.h) */
};

/* ---- helpers --------------------------------------------------------------------------------- */

static void ranges(struct range *r, uint32_t in, uint32_t k, uint32_t s, uint32_t pad,
		   uint32_t lo_clip, uint32_t hi_clip)
{
	for (uint32_t y = 0; y < in; y++)
		spk_sem_reach(y, k, s, pad, lo_clip, hi_clip, &r[y].lo, &r[y].hi);
}

/* ---- create / destroy ------------------------------------------------------------------------ */

void spk_exec_destroy(struct spk_exec *x)
{
	const struct spk_image *img;

	if (x == NULL)
		return;
	img = x->img;
	if (x->tiles != NULL)
		for (uint32_t t = 0; t < img->n_tiles; t++) {
			free(x->tiles[t].inbox_of);
			free(x->tiles[t].events);
		}
	if (x->pieces != NULL)
		for (uint32_t i = 0; i < x->n_pieces; i++) {
			free(x->pieces[i].acc);
			free(x->pieces[i].v);
			free(x->pieces[i].enc);
			free(x->pieces[i].th2);
		}
	if (x->projs != NULL)
		for (uint32_t i = 0; i < x->n_projs; i++) {
			free(x->projs[i].w);
			free(x->projs[i].bias);
			free(x->projs[i].ry);
			free(x->projs[i].rx);
		}
	if (x->inboxes != NULL)
		for (uint32_t i = 0; i < x->n_inboxes; i++)
			free(x->inboxes[i].ids);
	if (x->work != NULL)
		for (uint32_t i = 0; i < img->n_steps; i++)
			free(x->work[i].item);
	if (x->vmean != NULL)
		for (uint32_t p = 0; p < img->n_pops; p++)
			free(x->vmean[p]);
	if (x->mspikes != NULL)
		for (uint32_t p = 0; p < img->n_pops; p++)
			free(x->mspikes[p]);
	free(x->tiles);
	free(x->pieces);
	free(x->projs);
	free(x->inboxes);
	free(x->work);
	free(x->step_ops);
	free(x->reader_index);
	free(x->vmean);
	free(x->msum);
	free(x->mspikes);
	free(x->n_mspikes);
	free(x->acc32);
	free(x->vb);
	free(x->kv);
	free(x->out);
	free(x->enc_out);
	free(x->ids);
	free(x->sort_ids);
	free(x->ch);
	free(x->sort_count);
	free(x->scores);
	free(x);
}

static int work_add(struct worklist *w, uint32_t item)
{
	uint32_t *p = realloc(w->item, (w->n + 1) * sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p[w->n++] = item;
	w->item = p;
	return 0;
}

static void grow(size_t *have, size_t want)
{
	if (want > *have)
		*have = want;
}

static int make_pieces(struct spk_exec *x)
{
	const struct spk_image *img = x->img;
	uint32_t k = 0;

	for (uint32_t t = 0; t < img->n_tiles; t++)
		x->n_pieces += img->tiles[t].n_pieces;
	x->pieces = calloc(x->n_pieces + 1, sizeof(*x->pieces));
	if (x->pieces == NULL)
		return -ENOMEM;
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tile = &img->tiles[t];

		for (uint32_t l = 0; l < tile->n_pieces; l++) {
			const struct spk_image_piece *p = &tile->pieces[l];
			struct xpiece *xp = &x->pieces[k++];
			uint32_t nr = img->n_site_readers[p->site];

			xp->p = p;
			xp->tile = t;
			xp->local = l;
			xp->g = p->c1 - p->c0;
			xp->W = img->sites[p->site].width;
			xp->elems = spk_image_piece_size(img, p);
			xp->acc = calloc(xp->elems, sizeof(int64_t));
			xp->v = calloc(xp->elems * nr + 1, sizeof(int64_t));
			xp->th2 = malloc((xp->g * (size_t)nr + 1) * sizeof(int64_t));
			if (img->site_encoder[p->site])
				xp->enc = calloc(xp->elems, sizeof(int64_t));
			if (xp->acc == NULL || xp->v == NULL || xp->th2 == NULL ||
			    (img->site_encoder[p->site] && xp->enc == NULL))
				return -ENOMEM;
			for (size_t i = 0; i < (size_t)xp->g * nr; i++)
				xp->th2[i] = 2 * p->theta[i];
		}
	}
	return 0;
}

/* The global index of piece `local` of tile t. */
static uint32_t piece_index(const struct spk_exec *x, uint32_t t, uint32_t local)
{
	uint32_t lo = 0, hi = x->n_pieces;

	while (lo < hi) {	/* pieces are sorted by (tile, local) */
		uint32_t mid = (lo + hi) / 2;

		if (x->pieces[mid].tile < t || (x->pieces[mid].tile == t &&
						x->pieces[mid].local < local))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int make_projs(struct spk_exec *x, size_t *max_acc)
{
	const struct spk_image *img = x->img;
	uint32_t k = 0;

	for (uint32_t t = 0; t < img->n_tiles; t++)
		x->n_projs += img->tiles[t].n_projs;
	x->projs = calloc(x->n_projs + 1, sizeof(*x->projs));
	if (x->projs == NULL)
		return -ENOMEM;
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tile = &img->tiles[t];

		for (uint32_t i = 0; i < tile->n_projs; i++) {
			const struct spk_image_proj *pr = &tile->projs[i];
			const struct spk_image_step *st = &img->steps[pr->step];
			const struct spk_image_piece *p = &tile->pieces[pr->piece];
			struct xproj *xp = &x->projs[k++];
			size_t g = p->c1 - p->c0, rows = (size_t)st->c_in * st->kernel * st->kernel;
			size_t gp = (g + SPK_EXEC_LANES - 1) / SPK_EXEC_LANES * SPK_EXEC_LANES;

			xp->tile = t;
			xp->piece = piece_index(x, t, pr->piece);
			xp->step = pr->step;
			xp->gp = (uint32_t)gp;
			grow(max_acc, spk_image_piece_size(x->img, p) / g * gp);
			xp->w = calloc(rows * gp + 1, sizeof(*xp->w));
			xp->bias = malloc(g * sizeof(*xp->bias));
			xp->ry = malloc(st->h_in * sizeof(*xp->ry));
			xp->rx = malloc(st->w_in * sizeof(*xp->rx));
			if (xp->w == NULL || xp->bias == NULL || xp->ry == NULL || xp->rx == NULL)
				return -ENOMEM;
			for (size_t r = 0; r < rows; r++)
				for (size_t j = 0; j < g; j++)
					xp->w[r * gp + j] = pr->w[r * g + j];
			memcpy(xp->bias, pr->bias, g * sizeof(*xp->bias));
			ranges(xp->ry, st->h_in, st->kernel, st->stride, st->pad, p->y0, p->y1);
			ranges(xp->rx, st->w_in, st->kernel, st->stride, st->pad, 0, st->w_out);
			if (work_add(&x->work[pr->step], k - 1) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int make_inboxes(struct spk_exec *x)
{
	const struct spk_image *img = x->img;

	for (uint32_t t = 0; t < img->n_tiles; t++) {
		x->tiles[t].inbox_of = malloc((img->n_pops + 1) * sizeof(int32_t));
		x->tiles[t].events = calloc(img->tiles[t].n_routes + 1, sizeof(uint64_t));
		if (x->tiles[t].inbox_of == NULL || x->tiles[t].events == NULL)
			return -ENOMEM;
		for (uint32_t p = 0; p < img->n_pops; p++)
			x->tiles[t].inbox_of[p] = -1;
	}
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tile = &img->tiles[t];

		for (uint32_t k = 0; k < tile->n_routes; k++) {
			const struct spk_image_route *r = &tile->routes[k];
			struct inbox *ib;

			if (r->kind != SPK_ROUTE_SPIKE || x->tiles[r->dst_tile].inbox_of[r->source] >= 0)
				continue;
			ib = realloc(x->inboxes, (x->n_inboxes + 1) * sizeof(*ib));
			if (ib == NULL)
				return -ENOMEM;
			x->inboxes = ib;
			ib = &x->inboxes[x->n_inboxes];
			ib->n = 0;
			ib->cap = img->pops[r->source].neurons;
			ib->ids = malloc((img->pops[r->source].neurons + 1) * sizeof(uint32_t));
			if (ib->ids == NULL)
				return -ENOMEM;
			x->tiles[r->dst_tile].inbox_of[r->source] = (int32_t)x->n_inboxes++;
		}
	}
	return 0;
}

struct spk_exec *spk_exec_create(const struct spk_image *img, char *err, size_t errlen)
{
	struct spk_exec *x = calloc(1, sizeof(*x));
	size_t max_pop = 1, max_c = 1, attn_nc = 1, attn_cd = 1, enc = 1;
	size_t max_plane = 1, max_acc = 1;

	if (x == NULL)
		goto out_nomem;
	x->img = img;
	x->avx2 = spk_cpu_avx2();
	x->readout = UINT32_MAX;
	x->vmax = spk_sem_vmax(img->membrane_bits);
	x->vmin = -x->vmax - 1;
	x->tiles = calloc(img->n_tiles, sizeof(*x->tiles));
	x->work = calloc(img->n_steps + 1, sizeof(*x->work));
	x->step_ops = calloc(img->n_steps + 1, sizeof(*x->step_ops));
	x->reader_index = calloc(img->n_pops + 1, sizeof(*x->reader_index));
	x->vmean = calloc(img->n_pops + 1, sizeof(*x->vmean));
	x->mspikes = calloc(img->n_pops + 1, sizeof(*x->mspikes));
	x->n_mspikes = calloc(img->n_pops + 1, sizeof(*x->n_mspikes));
	x->scores = calloc(img->classes, sizeof(*x->scores));
	if (x->tiles == NULL || x->work == NULL || x->step_ops == NULL || x->reader_index == NULL ||
	    x->vmean == NULL ||
	    x->mspikes == NULL || x->n_mspikes == NULL || x->scores == NULL)
		goto out_nomem;
	for (uint32_t s = 0; s < img->n_sites; s++)
		for (uint32_t r = 0; r < img->n_site_readers[s]; r++)
			x->reader_index[img->site_readers[s][r]] = r;
	for (uint32_t p = 0; p < img->n_pops; p++) {
		grow(&max_pop, img->pops[p].neurons);
		grow(&max_plane, (size_t)img->sites[img->pops[p].site].height *
				 img->sites[img->pops[p].site].width);
		grow(&max_c, img->sites[img->pops[p].site].channels);
		if (img->pops[p].kind == 1) {
			x->vmean[p] = calloc(img->pops[p].neurons, sizeof(int64_t));
			x->mspikes[p] = malloc(img->pops[p].neurons * sizeof(uint32_t));
			if (x->vmean[p] == NULL || x->mspikes[p] == NULL)
				goto out_nomem;
		}
	}
	if (make_pieces(x) < 0 || make_projs(x, &max_acc) < 0 || make_inboxes(x) < 0)
		goto out_nomem;
	/* Work lists: FIRE and ENCODER run on the pieces of their site. */
	for (uint32_t i = 0; i < img->n_steps; i++) {
		const struct spk_image_step *st = &img->steps[i];
		uint32_t site;

		if (st->type == SPK_STEP_FIRE)
			site = img->pops[st->pop].site;
		else if (st->type == SPK_STEP_ENCODER)
			site = st->dst_site;
		else
			continue;
		for (uint32_t k = 0; k < x->n_pieces; k++)
			if (x->pieces[k].p->site == site && work_add(&x->work[i], k) < 0)
				goto out_nomem;
		if (st->type == SPK_STEP_ENCODER) {
			const struct spk_image_site *s = &img->sites[st->dst_site];

			grow(&enc, (size_t)s->channels * s->height * s->width);
		}
	}
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tile = &img->tiles[t];

		for (uint32_t k = 0; k < tile->n_attn; k++) {
			const struct spk_image_step *st = &img->steps[tile->attn[k].step];

			grow(&attn_nc, (size_t)st->c_out * st->h_out * st->w_out);
			grow(&attn_cd, (size_t)st->c_out * (st->c_out / st->heads));
			if (work_add(&x->work[tile->attn[k].step], t) < 0)
				goto out_nomem;
		}
		if (tile->head != NULL && x->readout == UINT32_MAX) {
			x->readout = t;
			if (work_add(&x->work[tile->head->step], t) < 0)
				goto out_nomem;
		}
	}
	x->msum = calloc(max_c, sizeof(*x->msum));
	x->acc32 = malloc(max_acc * sizeof(*x->acc32));
	x->vb = malloc(attn_nc);
	x->kv = malloc(attn_cd * sizeof(*x->kv));
	x->out = malloc(attn_nc * sizeof(*x->out));
	x->enc_out = malloc(enc * sizeof(*x->enc_out));
	x->ids = malloc(max_pop * sizeof(*x->ids));
	x->sort_ids = malloc(max_pop * sizeof(*x->sort_ids));
	x->sort_count = malloc((max_plane + 1) * sizeof(*x->sort_count));
	x->ch = malloc(max_c * sizeof(*x->ch));
	if (x->msum == NULL || x->acc32 == NULL || x->vb == NULL ||
	    x->kv == NULL || x->out == NULL || x->enc_out == NULL || x->ids == NULL || x->ch == NULL ||
	    x->sort_ids == NULL ||
	    x->sort_count == NULL)
		goto out_nomem;
	return x;
out_nomem:
	snprintf(err, errlen, "out of memory for the chip executor's state");
	spk_exec_destroy(x);
	return NULL;
}

void spk_exec_set_spike_hook(struct spk_exec *x, spk_exec_spike_fn fn, void *ctx)
{
	x->hook = fn;
	x->hook_ctx = ctx;
}

uint64_t spk_exec_route_events(const struct spk_exec *x, uint32_t t, uint32_t k)
{
	return x->tiles[t].events[k];
}

uint64_t spk_exec_tile_sops(const struct spk_exec *x, uint32_t t)
{
	return x->tiles[t].sops;
}

uint64_t spk_exec_tile_attn_ops(const struct spk_exec *x, uint32_t t)
{
	return x->tiles[t].attn_ops;
}

uint64_t spk_exec_step_ops(const struct spk_exec *x, uint32_t i)
{
	return x->step_ops[i];
}

void spk_exec_clear_counts(struct spk_exec *x)
{
	const struct spk_image *img = x->img;

	for (uint32_t t = 0; t < img->n_tiles; t++) {
		memset(x->tiles[t].events, 0, img->tiles[t].n_routes * sizeof(uint64_t));
		x->tiles[t].sops = 0;
		x->tiles[t].attn_ops = 0;
	}
	memset(x->step_ops, 0, img->n_steps * sizeof(*x->step_ops));
}

/* ---- steps ----------------------------------------------------------------------------------- */

static void run_encoders(struct spk_exec *x, const uint8_t *img8)
{
	const struct spk_image *img = x->img;

	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tile = &img->tiles[t];
		const struct spk_image_encoder *en = tile->encoder;
		const struct spk_image_step *st;
		uint32_t g, k;

		if (en == NULL)
			continue;
		st = &img->steps[en->step];
		g = en->c1 - en->c0;
		k = st->kernel;
		for (uint32_t oy = 0; oy < st->h_out; oy++) {
			for (uint32_t ox = 0; ox < st->w_out; ox++) {
				int64_t *e = x->enc_out + ((size_t)oy * st->w_out + ox) * g;

				for (uint32_t o = 0; o < g; o++) {
					int32_t acc = 0;

					for (uint32_t ci = 0; ci < st->c_in; ci++)
						for (uint32_t ky = 0; ky < k; ky++) {
							int64_t iy = (int64_t)oy * st->stride + ky - st->pad;

							if (iy < 0 || iy >= st->h_in)
								continue;
							for (uint32_t kx = 0; kx < k; kx++) {
								int64_t ix = (int64_t)ox * st->stride + kx -
									     st->pad;
								int32_t d;

								if (ix < 0 || ix >= st->w_in)
									continue;
								d = (int32_t)img8[((size_t)ci * st->h_in + iy) *
										  st->w_in + ix] - en->zero[ci];
								acc += en->w[(((size_t)ci * k + ky) * k + kx) * g +
									     o] * d;
							}
						}
					e[o] = spk_sem_requant(acc, en->mult[o], en->bias[o]);
				}
			}
		}
		/* send along the ENCODER entries into the destination pieces' registers */
		for (uint32_t r = 0; r < tile->n_routes; r++) {
			const struct spk_image_route *rt = &tile->routes[r];
			const struct xpiece *xp;
			uint64_t nonzero = 0;

			if (rt->kind != SPK_ROUTE_ENCODER)
				continue;
			xp = &x->pieces[piece_index(x, rt->dst_tile, rt->dst_piece)];
			for (uint32_t c = rt->c0; c < rt->c1; c++)
				for (uint32_t y = rt->y0; y < rt->y1; y++)
					for (uint32_t xx = 0; xx < st->w_out; xx++) {
						size_t li = ((size_t)(y - xp->p->y0) * xp->W + xx) * xp->g +
							    (c - xp->p->c0);
						int64_t v = x->enc_out[((size_t)y * st->w_out + xx) * g +
								       (c - en->c0)];

						xp->enc[li] = v;
						nonzero += v != 0;	/* the encoder sends these only */
					}
			x->tiles[t].events[r] += nonzero;
		}
	}
}

static void step_encoder(struct spk_exec *x, uint32_t i)
{
	const struct worklist *w = &x->work[i];

	for (uint32_t k = 0; k < w->n; k++) {
		struct xpiece *xp = &x->pieces[w->item[k]];

		for (size_t e = 0; e < xp->elems; e++)
			xp->acc[e] += xp->enc[e];
	}
}

/* Sends a piece's spikes (ids[0..n)) of pop along its tile's SPIKE entries. */
static void send_spikes(struct spk_exec *x, const struct xpiece *xp, uint32_t pop,
			const uint32_t *ids, uint32_t n)
{
	const struct spk_image_tile *tile = &x->img->tiles[xp->tile];

	for (uint32_t r = 0; r < tile->n_routes; r++) {
		const struct spk_image_route *rt = &tile->routes[r];
		struct inbox *ib;

		if (rt->kind != SPK_ROUTE_SPIKE || rt->source != pop || rt->local != xp->local)
			continue;
		ib = &x->inboxes[x->tiles[rt->dst_tile].inbox_of[pop]];
		/* a tile receives each spike once (the reader refuses duplicate entries) */
		if (n > ib->cap - ib->n)
			continue;
		memcpy(ib->ids + ib->n, ids, n * sizeof(*ids));
		ib->n += n;
		x->tiles[xp->tile].events[r] += n;
	}
}

static int fire_neurons(struct spk_exec *x, uint32_t t, uint32_t i, uint32_t pop)
{
	const struct spk_image *img = x->img;
	const struct spk_image_site *s = &img->sites[img->pops[pop].site];
	const struct worklist *w = &x->work[i];
	const uint32_t ri = x->reader_index[pop];
	uint32_t total = 0;

	for (uint32_t k = 0; k < w->n; k++) {
		struct xpiece *xp = &x->pieces[w->item[k]];
		const struct spk_image_piece *p = xp->p;
		int64_t *v = xp->v + (size_t)ri * xp->elems;
		const int64_t *th2 = xp->th2 + (size_t)ri * xp->g;
		uint32_t *ids = x->ids + total, n = 0;

		for (uint32_t y = p->y0; y < p->y1; y++) {
			for (uint32_t xx = 0; xx < xp->W; xx++) {
				size_t base = ((size_t)(y - p->y0) * xp->W + xx) * xp->g;

				for (uint32_t c = 0; c < xp->g; c++)
					if (spk_sem_lif(&v[base + c], xp->acc[base + c], th2[c], x->vmin,
							x->vmax))
						ids[n++] = ((p->c0 + c) * s->height + y) * s->width + xx;
			}
		}
		send_spikes(x, xp, pop, ids, n);
		total += n;
	}
	return x->hook != NULL ? x->hook(x->hook_ctx, t, pop, x->ids, total) : 0;
}

static int fire_mean(struct spk_exec *x, uint32_t t, uint32_t pop)
{
	const struct spk_image *img = x->img;
	const uint32_t C = img->pops[pop].neurons;
	int64_t *v = x->vmean[pop];
	const int64_t *theta = NULL;
	const struct spk_image_tile *ro = NULL;
	uint32_t n = 0;

	memset(x->msum, 0, C * sizeof(*x->msum));
	/* Partial sums from every piece with a MEAN entry for pop. */
	for (uint32_t k = 0; k < x->n_pieces; k++) {
		struct xpiece *xp = &x->pieces[k];
		const struct spk_image_tile *tile = &img->tiles[xp->tile];

		for (uint32_t r = 0; r < tile->n_routes; r++) {
			const struct spk_image_route *rt = &tile->routes[r];

			if (rt->kind != SPK_ROUTE_MEAN || rt->source != pop || rt->local != xp->local)
				continue;
			ro = &img->tiles[rt->dst_tile];
			for (size_t e = 0; e < xp->elems; e++)
				x->msum[xp->p->c0 + e % xp->g] += xp->acc[e];
			x->tiles[xp->tile].events[r] += xp->g;
		}
	}
	if (ro != NULL)
		for (uint32_t k = 0; k < ro->n_means; k++)
			if (ro->means[k].pop == pop)
				theta = ro->means[k].theta;
	if (theta != NULL) {
		for (uint32_t c = 0; c < C; c++)
			if (spk_sem_lif(&v[c], x->msum[c], 2 * theta[c], x->vmin, x->vmax))
				x->mspikes[pop][n++] = c;
	}
	x->n_mspikes[pop] = n;
	return x->hook != NULL ? x->hook(x->hook_ctx, t, pop, x->mspikes[pop], n) : 0;
}

/*
 * Puts an inbox's spikes in position order (a counting sort by position, stable), so that
 * step_conv() adds the rows of every channel that spiked at one input position in one call, as
 * the reference does, whichever source pieces sent them. Once per inbox and timestep.
 */
static void sort_inbox(struct spk_exec *x, struct inbox *ib, const struct spk_divisor *plane)
{
	uint32_t *count = x->sort_count, *out = x->sort_ids;
	const uint32_t P = plane->d;

	if (ib->by_pos)
		return;
	ib->by_pos = true;
	memset(count, 0, (P + 1) * sizeof(*count));
	for (uint32_t s = 0; s < ib->n; s++)
		count[ib->ids[s] - spk_div_by(ib->ids[s], plane) * P + 1]++;
	for (uint32_t p = 0; p < P; p++)
		count[p + 1] += count[p];
	for (uint32_t s = 0; s < ib->n; s++)
		out[count[ib->ids[s] - spk_div_by(ib->ids[s], plane) * P]++] = ib->ids[s];
	memcpy(ib->ids, out, ib->n * sizeof(*out));
}

/* One CONV step; wide: with spk_rowadd8() (a function compiled for AVX2 only). */
static inline __attribute__((always_inline)) void step_conv_with(struct spk_exec *x, uint32_t i,
								  bool wide)
{
	const struct spk_image *img = x->img;
	const struct spk_image_step *st = &img->steps[i];
	const struct worklist *w = &x->work[i];
	const uint32_t k = st->kernel, plane = st->h_in * st->w_in;
	struct spk_divisor pd;

	spk_divisor_init(&pd, plane);
	for (uint32_t j = 0; j < w->n; j++) {
		const struct xproj *pr = &x->projs[w->item[j]];
		struct xpiece *xp = &x->pieces[pr->piece];
		const uint32_t g = xp->g, gp = pr->gp, y0 = xp->p->y0, W = xp->W;
		const size_t cstride = (size_t)k * k * gp, positions = xp->elems / g;
		const int32_t inbox = x->tiles[pr->tile].inbox_of[st->src_pop];
		int32_t *restrict acc = x->acc32;
		uint64_t sops = 0;

		memset(acc, 0, positions * gp * sizeof(*acc));
		if (inbox >= 0) {
			struct inbox *ib = &x->inboxes[inbox];
			uint32_t *ch = x->ch;

			sort_inbox(x, ib, &pd);
			/* runs of spikes at one input position (sort_inbox() put them together) */
			for (uint32_t s = 0; s < ib->n;) {
				const uint32_t c0 = spk_div_by(ib->ids[s], &pd), pos = ib->ids[s] - c0 * plane;
				const uint32_t y = pos / st->w_in, xx = pos % st->w_in;
				const struct range ry = pr->ry[y], rx = pr->rx[xx];
				uint32_t n = 0;

				ch[n++] = c0;
				for (s++; s < ib->n && n < st->c_in; s++) {
					const uint32_t c = spk_div_by(ib->ids[s], &pd);

					if (ib->ids[s] - c * plane != pos)
						break;
					ch[n++] = c;
				}
				sops += (uint64_t)n * g * (ry.hi - ry.lo) * (rx.hi - rx.lo);
				for (uint32_t oy = ry.lo; oy < ry.hi; oy++) {
					const uint32_t ky = y + st->pad - oy * st->stride;

					for (uint32_t ox = rx.lo; ox < rx.hi; ox++) {
						const uint32_t kx = xx + st->pad - ox * st->stride;

						int32_t *a = acc + ((size_t)(oy - y0) * W + ox) * gp;
						const int16_t *wt = pr->w + ((size_t)ky * k + kx) * gp;

						if (wide)
							spk_rowadd8(a, wt, cstride, ch, n, gp);
						else
							spk_rowadd(a, wt, cstride, ch, n, gp);
					}
				}
			}
		}
		for (size_t q = 0; q < positions; q++)
			for (uint32_t o = 0; o < g; o++)
				xp->acc[q * g + o] += (int64_t)acc[q * gp + o] + pr->bias[o];
		x->tiles[pr->tile].sops += sops;
		x->step_ops[i] += sops;
	}
}

uint64_t spk_exec_attention(uint32_t C, uint32_t N, uint32_t d, const uint32_t *q, size_t nq,
			    const uint32_t *k, size_t nk, const uint32_t *v, size_t nv, uint8_t *vb,
			    int64_t *kv, int64_t *out)
{
	uint64_t ops = 0;

	memset(vb, 0, (size_t)N * C);
	memset(kv, 0, (size_t)C * d * sizeof(*kv));
	memset(out, 0, (size_t)N * C * sizeof(*out));
	/* V spikes as a bitmap [n][c]; K spikes then add V rows of their head: KV[ck][j]. */
	for (size_t s = 0; s < nv; s++)
		vb[(size_t)(v[s] % N) * C + v[s] / N] = 1;
	for (size_t s = 0; s < nk; s++) {
		uint32_t ck = k[s] / N, n = k[s] % N, h0 = ck / d * d;
		const uint8_t *vrow = vb + (size_t)n * C + h0;
		int64_t *row = kv + (size_t)ck * d;

		for (uint32_t j = 0; j < d; j++) {
			row[j] += vrow[j];
			ops += vrow[j];		/* one addition per (K, V) pair */
		}
	}
	ops += (uint64_t)nq * d;		/* a KV row per Q spike */
	for (size_t s = 0; s < nq; s++) {
		uint32_t cq = q[s] / N, n = q[s] % N, h0 = cq / d * d;
		const int64_t *row = kv + (size_t)cq * d;
		int64_t *o = out + (size_t)n * C + h0;

		for (uint32_t j = 0; j < d; j++)
			o[j] += row[j];
	}
	return ops;
}

static void step_conv(struct spk_exec *x, uint32_t i)
{
	step_conv_with(x, i, false);
}

SPK_TARGET_AVX2 static void step_conv_avx2(struct spk_exec *x, uint32_t i)
{
	step_conv_with(x, i, true);
}

static void step_attn(struct spk_exec *x, uint32_t i)
{
	const struct spk_image *img = x->img;
	const struct spk_image_step *st = &img->steps[i];
	const uint32_t C = st->c_out, N = st->h_out * st->w_out, d = C / st->heads;
	const uint32_t t = x->work[i].item[0];
	const struct spk_image_tile *tile = &img->tiles[t];
	const int32_t iq = x->tiles[t].inbox_of[st->q_pop], ik = x->tiles[t].inbox_of[st->k_pop];
	const int32_t iv = x->tiles[t].inbox_of[st->v_pop];
	static const uint32_t none[1];
	uint64_t ops;

	ops = spk_exec_attention(C, N, d, iq >= 0 ? x->inboxes[iq].ids : none,
				 iq >= 0 ? x->inboxes[iq].n : 0,
				 ik >= 0 ? x->inboxes[ik].ids : none, ik >= 0 ? x->inboxes[ik].n : 0,
				 iv >= 0 ? x->inboxes[iv].ids : none, iv >= 0 ? x->inboxes[iv].n : 0,
				 x->vb, x->kv, x->out);
	x->tiles[t].attn_ops += ops;
	x->step_ops[i] += ops;
	/* send the non-zero outputs along the ATTN entries of this step */
	for (uint32_t r = 0; r < tile->n_routes; r++) {
		const struct spk_image_route *rt = &tile->routes[r];
		struct xpiece *xp;
		uint64_t sent = 0;

		if (rt->kind != SPK_ROUTE_ATTN || rt->source != i)
			continue;
		xp = &x->pieces[piece_index(x, rt->dst_tile, rt->dst_piece)];
		for (uint32_t y = rt->y0; y < rt->y1; y++)
			for (uint32_t xx = 0; xx < st->w_out; xx++) {
				const int64_t *o = x->out + ((size_t)y * st->w_out + xx) * C;
				int64_t *a = xp->acc + ((size_t)(y - xp->p->y0) * xp->W + xx) * xp->g -
					     xp->p->c0;

				for (uint32_t c = rt->c0; c < rt->c1; c++)
					if (o[c] != 0) {
						a[c] += o[c];
						sent++;
					}
			}
		x->tiles[t].events[r] += sent;
	}
}

static void step_linear(struct spk_exec *x, uint32_t i)
{
	const struct spk_image *img = x->img;
	const struct spk_image_head *h;
	const uint32_t pop = img->steps[i].src_pop, K = img->classes;

	if (x->readout == UINT32_MAX)
		return;
	h = img->tiles[x->readout].head;
	for (uint32_t k = 0; k < K; k++)
		x->scores[k] += h->bias[k];
	x->tiles[x->readout].sops += (uint64_t)x->n_mspikes[pop] * K;
	x->step_ops[i] += (uint64_t)x->n_mspikes[pop] * K;
	for (uint32_t s = 0; s < x->n_mspikes[pop]; s++) {
		const int16_t *row = h->w + (size_t)x->mspikes[pop][s] * K;

		for (uint32_t k = 0; k < K; k++)
			x->scores[k] += row[k];
	}
}

int spk_exec_run(struct spk_exec *x, const uint8_t *pixels, int64_t *scores)
{
	const struct spk_image *img = x->img;
	int best = 0;

	for (uint32_t k = 0; k < x->n_pieces; k++)
		memset(x->pieces[k].v, 0,
		       x->pieces[k].elems * img->n_site_readers[x->pieces[k].p->site] *
		       sizeof(int64_t));
	for (uint32_t p = 0; p < img->n_pops; p++)
		if (x->vmean[p] != NULL)
			memset(x->vmean[p], 0, img->pops[p].neurons * sizeof(int64_t));
	memset(x->scores, 0, img->classes * sizeof(*x->scores));
	run_encoders(x, pixels);
	for (uint32_t t = 0; t < img->time_steps; t++) {
		for (uint32_t k = 0; k < x->n_pieces; k++)
			memset(x->pieces[k].acc, 0, x->pieces[k].elems * sizeof(int64_t));
		for (uint32_t k = 0; k < x->n_inboxes; k++) {
			x->inboxes[k].n = 0;
			x->inboxes[k].by_pos = false;
		}
		for (uint32_t p = 0; p < img->n_pops; p++)
			x->n_mspikes[p] = 0;
		for (uint32_t i = 0; i < img->n_steps; i++) {
			const struct spk_image_step *st = &img->steps[i];
			int rc = 0;

			switch (st->type) {
			case SPK_STEP_ENCODER:
				step_encoder(x, i);
				break;
			case SPK_STEP_FIRE:
				rc = img->pops[st->pop].kind == 1 ? fire_mean(x, t, st->pop) :
								    fire_neurons(x, t, i, st->pop);
				break;
			case SPK_STEP_CONV:
				if (x->avx2)
					step_conv_avx2(x, i);
				else
					step_conv(x, i);
				break;
			case SPK_STEP_ATTN:
				if (x->work[i].n > 0)
					step_attn(x, i);
				break;
			case SPK_STEP_LINEAR:
				step_linear(x, i);
				break;
			}
			if (rc < 0)
				return rc;
		}
	}
	for (uint32_t k = 0; k < img->classes; k++)
		if (x->scores[k] > x->scores[best])
			best = (int)k;
	if (scores != NULL)
		memcpy(scores, x->scores, img->classes * sizeof(*scores));
	return best;
}
