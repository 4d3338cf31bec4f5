/*
 * validate.c — the semantic validation of a chip image: the network section (sites,
 * populations, the program of steps and their shapes), every tile's contents against it
 * (pieces, projections, attention ops, encoder, mean populations, head, routes), what refers
 * across tiles (routing destinations, duplicates), and the image against an architecture.
 *
 * One set of checks serves the reader and the mapper: the reader (format.c) runs them record
 * by record as it parses, before it allocates what a record sizes; spk_image_finish() runs the
 * same checks over an image the mapper built in memory, so an image that is written can be read.
 */
#include "config.h"

#include "arch/arch_params.h"
#include "image/image.h"
#include "image/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- checks shared by the reader and the builder ------------------------------------------- */

static int arch_int(struct ectx *e, struct spk_image *img, const char *name, int64_t lo,
		    int64_t hi, int64_t *out)
{
	if (!spk_image_arch_value(img, name, out))
		return efail(e, "arch parameter %s is not recorded", name);
	if (*out < lo || *out > hi)
		return efail(e, "arch parameter %s = %lld is outside %lld..%lld", name,
			     (long long)*out, (long long)lo, (long long)hi);
	return 0;
}

int check_arch(struct ectx *e, struct spk_image *img)
{
	int64_t v;

	where(e, "arch");
	for (uint32_t i = 0; i < img->n_arch; i++)
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(img->arch[i].name, img->arch[j].name) == 0)
				return efail(e, "parameter %s recorded twice", img->arch[i].name);
	if (arch_int(e, img, "chip.mesh_x", 1, 256, &v) < 0)
		return -EINVAL;
	img->mesh_x = (uint32_t)v;
	if (arch_int(e, img, "chip.mesh_y", 1, 256, &v) < 0)
		return -EINVAL;
	img->mesh_y = (uint32_t)v;
	if (arch_int(e, img, "core.weight_bits", 2, 16, &v) < 0)
		return -EINVAL;
	img->weight_bits = (int)v;
	if (arch_int(e, img, "core.membrane_bits", 2, 32, &v) < 0)
		return -EINVAL;
	img->membrane_bits = (int)v;
	if (arch_int(e, img, "attention.counter_bits", 2, 32, &v) < 0)
		return -EINVAL;
	img->counter_bits = (int)v;
	e->where[0] = '\0';
	return 0;
}

/* Output size of a conv: -1 if the input is smaller than the kernel. */
static int64_t conv_out(uint32_t in, uint32_t k, uint32_t s, uint32_t pad)
{
	int64_t span = (int64_t)in + 2 * (int64_t)pad;

	if (span < k || s == 0)
		return -1;
	return (span - k) / s + 1;
}

static int check_pop_ref(struct ectx *e, const struct spk_image *img, uint32_t p, const char *what,
			 uint32_t kind)
{
	if (p >= img->n_pops)
		return efail(e, "%s %u out of range (%u populations)", what, p, img->n_pops);
	if (img->pops[p].kind != kind)
		return efail(e, "%s %u ('%s') is of kind %u, expected %u", what, p,
			     img->pops[p].name, img->pops[p].kind, kind);
	return 0;
}

/* Checks the network section and derives step shapes, pop sizes and site readers. */
int check_network(struct ectx *e, struct spk_image *img)
{
	if (img->time_steps < 1 || img->time_steps > 65536 || img->in_channels < 1 ||
	    img->in_height < 1 || img->in_width < 1 || img->classes < 1 ||
	    img->in_height > MAX_DIM || img->in_width > MAX_DIM ||
	    (uint64_t)img->in_channels * img->in_height * img->in_width > MAX_SITE)
		return efail(e, "model shape T %u, input %ux%ux%u, %u classes is out of range",
			     img->time_steps, img->in_channels, img->in_height, img->in_width,
			     img->classes);
	for (uint32_t s = 0; s < img->n_sites; s++) {
		const struct spk_image_site *st = &img->sites[s];

		where(e, "site %u ('%s')", s, st->name);
		if (st->channels < 1 || st->height < 1 || st->width < 1 || st->height > MAX_DIM ||
		    st->width > MAX_DIM ||
		    (uint64_t)st->channels * st->height * st->width > MAX_SITE)
			return efail(e, "shape %ux%ux%u is out of range", st->channels, st->height,
				     st->width);
	}
	for (uint32_t p = 0; p < img->n_pops; p++) {
		struct spk_image_pop *pp = &img->pops[p];

		where(e, "pop %u ('%s')", p, pp->name);
		if (pp->site >= img->n_sites)
			return efail(e, "site %u out of range (%u sites)", pp->site, img->n_sites);
		if (pp->kind > 1)
			return efail(e, "kind %u is not 0 or 1", pp->kind);
		pp->neurons = pp->kind == 1 ? img->sites[pp->site].channels :
			(uint32_t)((uint64_t)img->sites[pp->site].channels *
				   img->sites[pp->site].height * img->sites[pp->site].width);
	}
	img->n_site_readers = calloc(img->n_sites ? img->n_sites : 1, sizeof(uint32_t));
	img->site_readers = calloc(img->n_sites ? img->n_sites : 1, sizeof(uint32_t *));
	img->site_encoder = calloc(img->n_sites ? img->n_sites : 1, sizeof(bool));
	if (img->n_site_readers == NULL || img->site_readers == NULL || img->site_encoder == NULL)
		return efail(e, "out of memory");
	for (uint32_t p = 0; p < img->n_pops; p++)
		if (img->pops[p].kind == 0)
			img->n_site_readers[img->pops[p].site]++;
	for (uint32_t s = 0; s < img->n_sites; s++) {
		img->site_readers[s] = malloc((img->n_site_readers[s] + 1) * sizeof(uint32_t));
		if (img->site_readers[s] == NULL)
			return efail(e, "out of memory");
		img->n_site_readers[s] = 0;
	}
	for (uint32_t p = 0; p < img->n_pops; p++)
		if (img->pops[p].kind == 0) {
			uint32_t s = img->pops[p].site;

			img->site_readers[s][img->n_site_readers[s]++] = p;
		}
	for (uint32_t i = 0; i < img->n_steps; i++) {
		struct spk_image_step *st = &img->steps[i];
		const struct spk_image_site *d;

		where(e, "step %u (%s '%s')", i, spk_image_step_type_name(st->type), st->name);
		if (st->type < SPK_STEP_ENCODER || st->type > SPK_STEP_LINEAR)
			return efail(e, "type %u is not 1..5", (unsigned)st->type);
		if (st->type == SPK_STEP_FIRE) {
			if (st->pop >= img->n_pops)
				return efail(e, "pop %u out of range (%u populations)", st->pop,
					     img->n_pops);
			continue;
		}
		if (st->type == SPK_STEP_LINEAR) {
			if (check_pop_ref(e, img, st->src_pop, "src_pop", 1) < 0)
				return -EINVAL;
			st->c_in = img->sites[img->pops[st->src_pop].site].channels;
			st->h_in = st->w_in = 1;
			st->c_out = img->classes;
			st->h_out = st->w_out = 1;
			continue;
		}
		if (st->dst_site >= img->n_sites)
			return efail(e, "dst_site %u out of range (%u sites)", st->dst_site,
				     img->n_sites);
		d = &img->sites[st->dst_site];
		st->c_out = d->channels;
		st->h_out = d->height;
		st->w_out = d->width;
		if (st->type == SPK_STEP_ATTN) {
			const uint32_t qkv[3] = { st->q_pop, st->k_pop, st->v_pop };

			for (int k = 0; k < 3; k++) {
				const struct spk_image_site *s;

				if (check_pop_ref(e, img, qkv[k], "q/k/v pop", 0) < 0)
					return -EINVAL;
				s = &img->sites[img->pops[qkv[k]].site];
				if (s->channels != d->channels || s->height != d->height ||
				    s->width != d->width)
					return efail(e, "pop %u's site is %ux%ux%u, dst_site %ux%ux%u",
						     qkv[k], s->channels, s->height, s->width,
						     d->channels, d->height, d->width);
			}
			if (st->heads < 1 || d->channels % st->heads != 0)
				return efail(e, "heads %u does not divide %u channels", st->heads,
					     d->channels);
			st->c_in = d->channels;
			st->h_in = d->height;
			st->w_in = d->width;
			continue;
		}
		/* ENCODER, CONV */
		if (st->type == SPK_STEP_ENCODER) {
			st->c_in = img->in_channels;
			st->h_in = img->in_height;
			st->w_in = img->in_width;
			img->site_encoder[st->dst_site] = true;
		} else {
			const struct spk_image_site *s;

			if (check_pop_ref(e, img, st->src_pop, "src_pop", 0) < 0)
				return -EINVAL;
			s = &img->sites[img->pops[st->src_pop].site];
			st->c_in = s->channels;
			st->h_in = s->height;
			st->w_in = s->width;
		}
		if (st->kernel < 1 || st->kernel > MAX_DIM || st->stride < 1 ||
		    st->stride > MAX_DIM || st->pad > MAX_DIM)
			return efail(e, "kernel %u, stride %u, pad %u out of range", st->kernel,
				     st->stride, st->pad);
		if (conv_out(st->h_in, st->kernel, st->stride, st->pad) != st->h_out ||
		    conv_out(st->w_in, st->kernel, st->stride, st->pad) != st->w_out)
			return efail(e, "input %ux%u through kernel %u stride %u pad %u does not "
				     "give the destination's %ux%u", st->h_in, st->w_in, st->kernel,
				     st->stride, st->pad, st->h_out, st->w_out);
		if ((uint64_t)st->c_in * st->kernel * st->kernel > MAX_SITE)
			return efail(e, "%u x %u x %u inputs per neuron is too many", st->c_in,
				     st->kernel, st->kernel);
		if (st->type == SPK_STEP_CONV &&
		    (uint64_t)st->c_in * st->kernel * st->kernel *
		    ((UINT64_C(1) << (img->weight_bits - 1)) - 1) > INT32_MAX)
			return efail(e, "%u x %u x %u inputs per neuron at %d-bit weights could "
				     "overflow the 32-bit accumulator", st->c_in, st->kernel,
				     st->kernel, img->weight_bits);
	}
	e->where[0] = '\0';
	return 0;
}

int check_piece(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
		const struct spk_image_piece *p)
{
	const struct spk_image_site *s;
	uint64_t want;
	int64_t neurons;

	where_tile(e, img, t, "piece", i);
	if (p->site >= img->n_sites)
		return efail(e, "site %u out of range (%u sites)", p->site, img->n_sites);
	s = &img->sites[p->site];
	if (p->c0 >= p->c1 || p->c1 > s->channels || p->y0 >= p->y1 || p->y1 > s->height)
		return efail(e, "block channels [%u, %u) x rows [%u, %u) is not inside site '%s' "
			     "(%ux%ux%u)", p->c0, p->c1, p->y0, p->y1, s->name, s->channels,
			     s->height, s->width);
	want = (uint64_t)(p->c1 - p->c0) * (p->y1 - p->y0) * s->width *
	       spk_image_slots_per_element(img->n_site_readers[p->site], site_means(img, p->site),
					   img->site_encoder[p->site]);
	if (p->slots != want)
		return efail(e, "%u neuron slots recorded, the block needs %llu", p->slots,
			     (unsigned long long)want);
	if (spk_image_arch_value(img, "core.neurons", &neurons) &&
	    (uint64_t)p->slot_base + p->slots > (uint64_t)neurons)
		return efail(e, "neuron slots [%u, %llu) exceed the core's %lld", p->slot_base,
			     (unsigned long long)p->slot_base + p->slots, (long long)neurons);
	return 0;
}

int check_proj(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
	       const struct spk_image_tile *tile, const struct spk_image_proj *pr)
{
	where_tile(e, img, t, "projection", i);
	if (pr->step >= img->n_steps || img->steps[pr->step].type != SPK_STEP_CONV)
		return efail(e, "step %u is not a CONV step", pr->step);
	if (pr->piece >= tile->n_pieces)
		return efail(e, "piece %u out of range (%u pieces)", pr->piece, tile->n_pieces);
	if (tile->pieces[pr->piece].site != img->steps[pr->step].dst_site)
		return efail(e, "step %u writes site %u, piece %u holds site %u", pr->step,
			     img->steps[pr->step].dst_site, pr->piece, tile->pieces[pr->piece].site);
	return 0;
}

int check_attn(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
	       const struct spk_image_attn *a)
{
	const struct spk_image_step *st;
	uint64_t d, bytes;
	int64_t kv_kib;

	where_tile(e, img, t, "attention op", i);
	if (a->step >= img->n_steps || img->steps[a->step].type != SPK_STEP_ATTN)
		return efail(e, "step %u is not an ATTN step", a->step);
	st = &img->steps[a->step];
	d = st->c_out / st->heads;
	bytes = (st->heads * d * d * (uint64_t)img->counter_bits + 7) / 8;
	if (a->kv_bytes != bytes)
		return efail(e, "kv_bytes %u, the step needs %llu", a->kv_bytes,
			     (unsigned long long)bytes);
	if (spk_image_arch_value(img, "attention.kv_kib", &kv_kib) &&
	    (uint64_t)a->kv_base + a->kv_bytes > (uint64_t)kv_kib * 1024)
		return efail(e, "KV region [%u, %llu) exceeds the unit's %lld KiB", a->kv_base,
			     (unsigned long long)a->kv_base + a->kv_bytes, (long long)kv_kib);
	return 0;
}

int check_encoder(struct ectx *e, const struct spk_image *img, uint32_t t,
		  const struct spk_image_encoder *en)
{
	where_tile(e, img, t, "encoder", 0);
	if (en->step >= img->n_steps || img->steps[en->step].type != SPK_STEP_ENCODER)
		return efail(e, "step %u is not the ENCODER step", en->step);
	if (en->c0 >= en->c1 || en->c1 > img->steps[en->step].c_out)
		return efail(e, "channels [%u, %u) not inside the encoder's %u", en->c0, en->c1,
			     img->steps[en->step].c_out);
	return 0;
}

int check_mean(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
	       const struct spk_image_mean *mn)
{
	where_tile(e, img, t, "mean population", i);
	return check_pop_ref(e, img, mn->pop, "pop", 1);
}

int check_head(struct ectx *e, const struct spk_image *img, uint32_t t,
	       const struct spk_image_head *h)
{
	where_tile(e, img, t, "head", 0);
	if (h->step >= img->n_steps || img->steps[h->step].type != SPK_STEP_LINEAR)
		return efail(e, "step %u is not the LINEAR step", h->step);
	if (!(h->scale > 0) || !isfinite(h->scale))
		return efail(e, "scale %g is not finite and positive", h->scale);
	return 0;
}

/*
 * Value ranges that keep every later sum exact in 64 bits (and one CONV's or the encoder's in
 * 32): what the quantizer produces always passes; a damaged file does not reach the executor.
 */
#define THETA_MAX (INT64_C(1) << 60)
#define ENC_BIAS_MAX (INT64_C(1) << 40)
#define HEAD_BIAS_MAX (INT64_C(1) << 46)
#define ZERO_MAX (1 << 21)

int check_thetas(struct ectx *e, const int64_t *th, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (th[i] < 1 || th[i] > THETA_MAX)
			return efail(e, "threshold [%zu] = %lld is outside 1..2^60", i,
				     (long long)th[i]);
	return 0;
}

int check_encoder_values(struct ectx *e, const struct spk_image *img,
			 const struct spk_image_encoder *en)
{
	const struct spk_image_step *st = &img->steps[en->step];
	const uint32_t g = en->c1 - en->c0;
	const int64_t qmax = (INT64_C(1) << (img->weight_bits - 1)) - 1;
	int64_t dev = 0;

	for (uint32_t i = 0; i < st->c_in; i++) {
		int64_t z = en->zero[i];

		if (z < -ZERO_MAX || z > ZERO_MAX)
			return efail(e, "zero point %u = %lld is outside ±2^21", i, (long long)z);
		if ((z < 0 ? -z : z) > dev)
			dev = z < 0 ? -z : z;
		if ((255 - z < 0 ? z - 255 : 255 - z) > dev)
			dev = 255 - z < 0 ? z - 255 : 255 - z;
	}
	if ((uint64_t)st->c_in * st->kernel * st->kernel * (uint64_t)qmax * (uint64_t)dev >
	    INT32_MAX)
		return efail(e, "%u x %u x %u taps at %d-bit weights and pixel deviations up to %lld "
			     "could overflow the 32-bit accumulator", st->c_in, st->kernel,
			     st->kernel, img->weight_bits, (long long)dev);
	for (uint32_t i = 0; i < g; i++) {
		if (en->mult[i] < 0 || en->mult[i] >= INT64_C(2147483647))
			return efail(e, "multiplier %u = %lld is outside 0..2^31-2", i,
				     (long long)en->mult[i]);
		if (en->bias[i] < -ENC_BIAS_MAX || en->bias[i] > ENC_BIAS_MAX)
			return efail(e, "bias %u = %lld is outside ±2^40", i, (long long)en->bias[i]);
	}
	return 0;
}

int check_head_values(struct ectx *e, const struct spk_image *img,
		      const struct spk_image_head *h)
{
	for (uint32_t k = 0; k < img->classes; k++)
		if (h->bias[k] < -HEAD_BIAS_MAX || h->bias[k] > HEAD_BIAS_MAX)
			return efail(e, "bias %u = %lld is outside ±2^46", k, (long long)h->bias[k]);
	return 0;
}

static bool within(uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
	return a0 < a1 && b0 <= a0 && a1 <= b1;
}

static int check_route(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
		       const struct spk_image_route *r)
{
	const struct spk_image_tile *tile = &img->tiles[t], *dst;
	const struct spk_image_piece *dp;

	where_tile(e, img, t, "route", i);
	if (r->dst_tile >= img->n_tiles)
		return efail(e, "destination tile %u out of range (%u tiles)", r->dst_tile,
			     img->n_tiles);
	dst = &img->tiles[r->dst_tile];
	switch (r->kind) {
	case SPK_ROUTE_SPIKE:
	case SPK_ROUTE_MEAN:
		if (tile->kind != SPK_TILE_CORE)
			return efail(e, "a %s tile has no pieces to send from",
				     spk_image_tile_kind_name(tile->kind));
		if (check_pop_ref(e, img, r->source, "source pop",
				  r->kind == SPK_ROUTE_SPIKE ? 0 : 1) < 0)
			return -EINVAL;
		if (r->local >= tile->n_pieces ||
		    tile->pieces[r->local].site != img->pops[r->source].site)
			return efail(e, "local piece %u does not hold site %u of pop %u", r->local,
				     img->pops[r->source].site, r->source);
		if (r->kind == SPK_ROUTE_MEAN && dst->kind != SPK_TILE_READOUT)
			return efail(e, "partial sums go to a %s tile, not a readout",
				     spk_image_tile_kind_name(dst->kind));
		if (r->kind == SPK_ROUTE_SPIKE && dst->kind != SPK_TILE_CORE &&
		    dst->kind != SPK_TILE_ATTENTION)
			return efail(e, "spikes go to a %s tile", spk_image_tile_kind_name(dst->kind));
		return 0;
	case SPK_ROUTE_ATTN:
	case SPK_ROUTE_ENCODER:
		if (r->kind == SPK_ROUTE_ATTN) {
			if (tile->kind != SPK_TILE_ATTENTION || r->local >= tile->n_attn ||
			    tile->attn[r->local].step != r->source)
				return efail(e, "ATTN route from step %u, local op %u: not an op of "
					     "this tile", r->source, r->local);
		} else if (tile->kind != SPK_TILE_ENCODER || tile->encoder == NULL ||
			   tile->encoder->step != r->source) {
			return efail(e, "ENCODER route from step %u: not this tile's encoder",
				     r->source);
		}
		if (dst->kind != SPK_TILE_CORE || r->dst_piece >= dst->n_pieces)
			return efail(e, "destination piece %u is not a piece of tile %u", r->dst_piece,
				     r->dst_tile);
		dp = &dst->pieces[r->dst_piece];
		if (dp->site != img->steps[r->source].dst_site)
			return efail(e, "destination piece holds site %u, step %u writes site %u",
				     dp->site, r->source, img->steps[r->source].dst_site);
		if (!within(r->c0, r->c1, dp->c0, dp->c1) || !within(r->y0, r->y1, dp->y0, dp->y1))
			return efail(e, "block [%u, %u) x [%u, %u) is not inside the destination "
				     "piece", r->c0, r->c1, r->y0, r->y1);
		if (r->kind == SPK_ROUTE_ENCODER &&
		    !(r->c0 >= tile->encoder->c0 && r->c1 <= tile->encoder->c1))
			return efail(e, "channels [%u, %u) are not the encoder's [%u, %u)", r->c0,
				     r->c1, tile->encoder->c0, tile->encoder->c1);
		return 0;
	}
	return efail(e, "kind %u is not 1..4", (unsigned)r->kind);
}

struct rkey {
	uint32_t kind, source, local, dst;
};

static int cmp_rkey(const void *x, const void *y)
{
	const struct rkey *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	if (a->local != b->local)
		return a->local < b->local ? -1 : 1;
	return a->dst < b->dst ? -1 : a->dst > b->dst;
}

/* A spike or partial sum reaches a destination at most once: no two SPIKE or MEAN entries of a
 * tile share (source, local piece, destination tile). */
static int check_duplicates(struct ectx *e, const struct spk_image *img, uint32_t t)
{
	const struct spk_image_tile *tile = &img->tiles[t];
	struct rkey *k = malloc((tile->n_routes + 1) * sizeof(*k));
	uint32_t n = 0;
	int rc = 0;

	if (k == NULL)
		return efail(e, "out of memory");
	for (uint32_t i = 0; i < tile->n_routes; i++) {
		const struct spk_image_route *r = &tile->routes[i];

		if (r->kind == SPK_ROUTE_SPIKE || r->kind == SPK_ROUTE_MEAN)
			k[n++] = (struct rkey){ r->kind, r->source, r->local,
						r->kind == SPK_ROUTE_MEAN ? 0 : r->dst_tile };
	}
	qsort(k, n, sizeof(*k), cmp_rkey);
	for (uint32_t i = 1; i < n && rc == 0; i++)
		if (cmp_rkey(&k[i - 1], &k[i]) == 0) {
			where_tile(e, img, t, NULL, 0);
			rc = efail(e, "two routing entries send pop %u of piece %u to %s %u",
				   k[i].source, k[i].local,
				   k[i].kind == SPK_ROUTE_MEAN ? "a readout, entry kind" : "tile",
				   k[i].kind == SPK_ROUTE_MEAN ? (uint32_t)SPK_ROUTE_MEAN : k[i].dst);
		}
	free(k);
	return rc;
}

/* Checks everything in the tiles (the builder path: the reader checks these as it parses). */
int check_tiles(struct ectx *e, const struct spk_image *img, bool contents)
{
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tile = &img->tiles[t];

		if (!contents)
			goto routes;
		where_tile(e, img, t, NULL, 0);
		if (tile->kind < SPK_TILE_CORE || tile->kind > SPK_TILE_READOUT)
			return efail(e, "kind %u is not 1..4", (unsigned)tile->kind);
		for (uint32_t i = 0; i < tile->n_pieces; i++) {
			const struct spk_image_piece *p = &tile->pieces[i];

			if (check_piece(e, img, t, i, p) < 0 ||
			    check_thetas(e, p->theta,
					 (size_t)img->n_site_readers[p->site] * (p->c1 - p->c0)) < 0)
				return -EINVAL;
		}
		for (uint32_t i = 0; i < tile->n_projs; i++)
			if (check_proj(e, img, t, i, tile, &tile->projs[i]) < 0)
				return -EINVAL;
		for (uint32_t i = 0; i < tile->n_attn; i++)
			if (check_attn(e, img, t, i, &tile->attn[i]) < 0)
				return -EINVAL;
		if (tile->encoder != NULL && (check_encoder(e, img, t, tile->encoder) < 0 ||
					      check_encoder_values(e, img, tile->encoder) < 0))
			return -EINVAL;
		for (uint32_t i = 0; i < tile->n_means; i++) {
			const struct spk_image_mean *mn = &tile->means[i];

			if (check_mean(e, img, t, i, mn) < 0 ||
			    check_thetas(e, mn->theta, img->pops[mn->pop].neurons) < 0)
				return -EINVAL;
		}
		if (tile->head != NULL && (check_head(e, img, t, tile->head) < 0 ||
					   check_head_values(e, img, tile->head) < 0))
			return -EINVAL;
routes:
		for (uint32_t i = 0; i < tile->n_routes; i++)
			if (check_route(e, img, t, i, &tile->routes[i]) < 0)
				return -EINVAL;
		if (check_duplicates(e, img, t) < 0)
			return -EINVAL;
	}
	e->where[0] = '\0';
	return 0;
}

int spk_image_finish(struct spk_image *img, char *err, size_t errlen)
{
	struct ectx e = { .err = err, .errlen = errlen };

	if (check_arch(&e, img) < 0 || check_network(&e, img) < 0)
		return -EINVAL;
	if (img->n_tiles != img->mesh_x * img->mesh_y)
		return efail(&e, "%u tiles for a %ux%u mesh", img->n_tiles, img->mesh_x,
			     img->mesh_y);
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		img->tiles[t].x = t % img->mesh_x;
		img->tiles[t].y = t / img->mesh_x;
	}
	return check_tiles(&e, img, true);
}

int spk_image_check_arch(const struct spk_image *img, const struct spk_arch *a, char *err,
			 size_t errlen)
{
	for (uint32_t i = 0; i < img->n_arch; i++) {
		const struct spk_arch_param *p = spk_arch_param_find_dotted(img->arch[i].name);
		int64_t have;

		if (p == NULL || p->type != SPK_PARAM_INT) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "the image records arch parameter '%s', which "
					 "this spikechip does not know (a newer image?)",
					 img->arch[i].name);
			return -EINVAL;
		}
		have = *(const int *)((const char *)a + p->offset);
		if (have != img->arch[i].value) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "compiled for [%s] %s = %lld, the architecture "
					 "has %lld", p->section, p->key,
					 (long long)img->arch[i].value, (long long)have);
			return -EINVAL;
		}
	}
	return 0;
}
