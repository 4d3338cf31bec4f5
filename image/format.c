/*
 * format.c — the chip image's bytes (doc/formats.md "Chip image"): the serialiser, the
 * validating reader, and the envelope both go through (util/container.h).
 *
 * The reader is a bounds-checked cursor over the decompressed payload (as models/model.c):
 * every count is compared with the bytes left before anything is allocated, so a corrupt count
 * cannot make it allocate gigabytes, and a truncated payload is a message naming the record. It
 * parses the network section, checks it (validate.c) and derives what the tiles need (step
 * shapes, site readers), then parses tile by tile, checking each record as it goes; once all
 * tiles are in, it checks what refers across tiles.
 */
#include "config.h"

#include "image/image.h"
#include "image/internal.h"
#include "util/container.h"
#include "util/le.h"
#include "util/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---------------------------------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t n, cap;
	bool oom;
};

static void *wgrow(struct wbuf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (b->cap - b->n < n) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap - b->n < n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	b->n += n;
	return b->p + b->n - n;
}

static void put_u32(struct wbuf *b, uint32_t v)
{
	uint8_t *p = wgrow(b, 4);

	if (p != NULL)
		spk_le32_put(p, v);
}

static void put_u64(struct wbuf *b, uint64_t v)
{
	uint8_t *p = wgrow(b, 8);

	if (p != NULL)
		spk_le64_put(p, v);
}

static void put_i64(struct wbuf *b, int64_t v)
{
	put_u64(b, (uint64_t)v);
}

static void put_f64(struct wbuf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	put_u64(b, u);
}

static void put_str(struct wbuf *b, const char *s)
{
	size_t n = strlen(s);
	uint8_t *p;

	put_u32(b, (uint32_t)n);
	p = wgrow(b, n);
	if (p != NULL)
		memcpy(p, s, n);
}

static void put_i32s(struct wbuf *b, const int32_t *v, size_t n)
{
	uint8_t *p = wgrow(b, 4 * n);

	if (p != NULL)
		for (size_t i = 0; i < n; i++)
			spk_le32_put(p + 4 * i, (uint32_t)v[i]);
}

static void put_i64s(struct wbuf *b, const int64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_i64(b, v[i]);
}

static void put_weights(struct wbuf *b, const struct spk_image *img, const int16_t *w, size_t n)
{
	size_t wb = wbytes(img);
	uint8_t *p = wgrow(b, wb * n);

	if (p == NULL)
		return;
	if (wb == 1) {
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)(int8_t)w[i];
	} else {
		for (size_t i = 0; i < n; i++) {
			p[2 * i] = (uint8_t)((uint16_t)w[i]);
			p[2 * i + 1] = (uint8_t)((uint16_t)w[i] >> 8);
		}
	}
}

static void put_step(struct wbuf *b, const struct spk_image_step *st)
{
	put_u32(b, (uint32_t)st->type);
	put_str(b, st->name);
	switch (st->type) {
	case SPK_STEP_ENCODER:
		put_u32(b, st->dst_site);
		put_u32(b, st->kernel);
		put_u32(b, st->stride);
		put_u32(b, st->pad);
		break;
	case SPK_STEP_FIRE:
		put_u32(b, st->pop);
		break;
	case SPK_STEP_CONV:
		put_u32(b, st->src_pop);
		put_u32(b, st->dst_site);
		put_u32(b, st->kernel);
		put_u32(b, st->stride);
		put_u32(b, st->pad);
		break;
	case SPK_STEP_ATTN:
		put_u32(b, st->q_pop);
		put_u32(b, st->k_pop);
		put_u32(b, st->v_pop);
		put_u32(b, st->dst_site);
		put_u32(b, st->heads);
		break;
	case SPK_STEP_LINEAR:
		put_u32(b, st->src_pop);
		break;
	}
}

static void put_tile(struct wbuf *b, const struct spk_image *img, const struct spk_image_tile *t)
{
	put_u32(b, (uint32_t)t->kind);
	put_u32(b, t->n_routes);
	for (uint32_t i = 0; i < t->n_routes; i++) {
		const struct spk_image_route *r = &t->routes[i];

		put_u32(b, (uint32_t)r->kind);
		put_u32(b, r->source);
		put_u32(b, r->local);
		put_u32(b, r->dst_tile);
		put_u32(b, r->dst_piece);
		put_u32(b, r->c0);
		put_u32(b, r->c1);
		put_u32(b, r->y0);
		put_u32(b, r->y1);
	}
	switch (t->kind) {
	case SPK_TILE_CORE:
		put_u32(b, t->n_pieces);
		for (uint32_t i = 0; i < t->n_pieces; i++) {
			const struct spk_image_piece *p = &t->pieces[i];

			put_u32(b, p->site);
			put_u32(b, p->c0);
			put_u32(b, p->c1);
			put_u32(b, p->y0);
			put_u32(b, p->y1);
			put_u32(b, p->slot_base);
			put_u32(b, p->slots);
			put_i64s(b, p->theta, (size_t)img->n_site_readers[p->site] * (p->c1 - p->c0));
		}
		put_u32(b, t->n_projs);
		for (uint32_t i = 0; i < t->n_projs; i++) {
			const struct spk_image_proj *pr = &t->projs[i];
			const struct spk_image_step *st = &img->steps[pr->step];
			const struct spk_image_piece *p = &t->pieces[pr->piece];
			size_t g = p->c1 - p->c0;

			put_u32(b, pr->step);
			put_u32(b, pr->piece);
			put_weights(b, img, pr->w, (size_t)st->c_in * st->kernel * st->kernel * g);
			put_i32s(b, pr->bias, g);
		}
		break;
	case SPK_TILE_ATTENTION:
		put_u32(b, t->n_attn);
		for (uint32_t i = 0; i < t->n_attn; i++) {
			put_u32(b, t->attn[i].step);
			put_u32(b, t->attn[i].kv_base);
			put_u32(b, t->attn[i].kv_bytes);
		}
		break;
	case SPK_TILE_ENCODER:
		put_u32(b, t->encoder != NULL);
		if (t->encoder != NULL) {
			const struct spk_image_encoder *en = t->encoder;
			const struct spk_image_step *st = &img->steps[en->step];
			size_t g = en->c1 - en->c0;

			put_u32(b, en->step);
			put_u32(b, en->c0);
			put_u32(b, en->c1);
			put_weights(b, img, en->w, (size_t)st->c_in * st->kernel * st->kernel * g);
			put_i32s(b, en->zero, st->c_in);
			put_i64s(b, en->mult, g);
			put_i64s(b, en->bias, g);
		}
		break;
	case SPK_TILE_READOUT:
		put_u32(b, t->n_means);
		for (uint32_t i = 0; i < t->n_means; i++) {
			const struct spk_image_mean *mn = &t->means[i];

			put_u32(b, mn->pop);
			put_i64s(b, mn->theta, img->sites[img->pops[mn->pop].site].channels);
		}
		put_u32(b, t->head != NULL);
		if (t->head != NULL) {
			const struct spk_image_step *st = &img->steps[t->head->step];

			put_u32(b, t->head->step);
			put_weights(b, img, t->head->w, (size_t)st->c_in * img->classes);
			put_i64s(b, t->head->bias, img->classes);
			put_f64(b, t->head->scale);
		}
		break;
	}
}

static void put_payload(struct wbuf *b, const struct spk_image *img)
{
	put_str(b, img->model_config);
	put_str(b, img->model_dataset);
	put_u32(b, img->model_crc32);
	put_u32(b, img->time_steps);
	put_u32(b, img->in_channels);
	put_u32(b, img->in_height);
	put_u32(b, img->in_width);
	put_u32(b, img->classes);
	put_u32(b, img->n_arch);
	for (uint32_t i = 0; i < img->n_arch; i++) {
		put_str(b, img->arch[i].name);
		put_i64(b, img->arch[i].value);
	}
	put_u32(b, img->seed);
	put_u32(b, img->n_sites);
	put_u32(b, img->n_pops);
	put_u32(b, img->n_steps);
	for (uint32_t i = 0; i < img->n_sites; i++) {
		put_str(b, img->sites[i].name);
		put_u32(b, img->sites[i].channels);
		put_u32(b, img->sites[i].height);
		put_u32(b, img->sites[i].width);
	}
	for (uint32_t i = 0; i < img->n_pops; i++) {
		put_str(b, img->pops[i].name);
		put_u32(b, img->pops[i].site);
		put_u32(b, img->pops[i].kind);
	}
	for (uint32_t i = 0; i < img->n_steps; i++)
		put_step(b, &img->steps[i]);
	put_u32(b, img->n_tiles);
	for (uint32_t t = 0; t < img->n_tiles; t++)
		put_tile(b, img, &img->tiles[t]);
}

/* The envelope (util/container.h). Level 1: weights of random-looking integers gain little
 * from higher levels. */
const struct spk_container spk_image_format = {
	.magic = SPK_IMAGE_MAGIC,
	.version = SPK_IMAGE_VERSION,
	.what = "a chip image",
	.max_raw = SPK_IMAGE_MAX_RAW,
	.max_file = (size_t)SPK_IMAGE_MAX_RAW + (SPK_IMAGE_MAX_RAW >> 4),
	.level = 1,
};

void *spk_image_serialize(const struct spk_image *img, size_t *len, char *err, size_t errlen)
{
	struct wbuf b = { 0 };
	uint8_t *file = NULL;

	put_payload(&b, img);
	if (b.oom)
		snprintf(err, errlen, "out of memory serialising the image");
	else
		file = spk_container_wrap(&spk_image_format, b.p, b.n, len, err, errlen);
	free(b.p);
	return file;
}

int spk_image_write(const struct spk_image *img, const char *path, char *err, size_t errlen)
{
	struct wbuf b = { 0 };
	int rc;

	put_payload(&b, img);
	if (b.oom) {
		snprintf(err, errlen, "%s: out of memory serialising the image", path);
		rc = -ENOMEM;
	} else {
		rc = spk_container_write(&spk_image_format, b.p, b.n, path, err, errlen);
	}
	free(b.p);
	return rc;
}

/* ---- reader ---------------------------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n, off;
	struct ectx *e;
};

static int need(struct rd *r, uint64_t bytes, const char *what)
{
	if (r->n - r->off >= bytes)
		return 0;
	return efail(r->e, "payload truncated at byte %zu reading %s (%llu bytes needed, %zu "
		     "left)", r->off, what, (unsigned long long)bytes, r->n - r->off);
}

static int rd_u32(struct rd *r, uint32_t *v, const char *what)
{
	if (need(r, 4, what) < 0)
		return -EINVAL;
	*v = spk_le32_get(r->p + r->off);
	r->off += 4;
	return 0;
}

static int rd_i64(struct rd *r, int64_t *v, const char *what)
{
	uint64_t u;

	if (need(r, 8, what) < 0)
		return -EINVAL;
	u = spk_le64_get(r->p + r->off);
	*v = (int64_t)u;
	r->off += 8;
	return 0;
}

static int rd_f64(struct rd *r, double *v, const char *what)
{
	int64_t u;

	if (rd_i64(r, &u, what) < 0)
		return -EINVAL;
	memcpy(v, &u, sizeof(*v));
	return 0;
}

static int rd_str(struct rd *r, char **out, const char *what)
{
	uint32_t len;
	char *s;

	if (rd_u32(r, &len, what) < 0)
		return -EINVAL;
	if (len > MAX_STR)
		return efail(r->e, "%s is %u bytes long (at most %u)", what, len, MAX_STR);
	if (need(r, len, what) < 0)
		return -EINVAL;
	if (memchr(r->p + r->off, '\0', len) != NULL)
		return efail(r->e, "%s contains a NUL byte", what);
	s = malloc((size_t)len + 1);
	if (s == NULL)
		return efail(r->e, "out of memory");
	memcpy(s, r->p + r->off, len);
	s[len] = '\0';
	r->off += len;
	*out = s;
	return 0;
}

/* A count of records of at least min_bytes each: no more than the bytes left allow. */
static int rd_count(struct rd *r, uint32_t *n, size_t min_bytes, const char *what)
{
	if (rd_u32(r, n, what) < 0)
		return -EINVAL;
	if ((uint64_t)*n * min_bytes > r->n - r->off)
		return efail(r->e, "%s %u needs at least %llu bytes, %zu left", what, *n,
			     (unsigned long long)*n * min_bytes, r->n - r->off);
	return 0;
}

static void *rd_calloc(struct rd *r, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		efail(r->e, "out of memory");
	return p;
}

static int rd_i32s(struct rd *r, int32_t **out, size_t n, const char *what)
{
	if (need(r, 4 * (uint64_t)n, what) < 0)
		return -EINVAL;
	*out = rd_calloc(r, n, sizeof(int32_t));
	if (*out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		(*out)[i] = (int32_t)spk_le32_get(r->p + r->off + 4 * i);
	r->off += 4 * n;
	return 0;
}

static int rd_i64s(struct rd *r, int64_t **out, size_t n, const char *what)
{
	if (need(r, 8 * (uint64_t)n, what) < 0)
		return -EINVAL;
	*out = rd_calloc(r, n, sizeof(int64_t));
	if (*out == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		rd_i64(r, &(*out)[i], what);
	return 0;
}

static int rd_weights(struct rd *r, const struct spk_image *img, int16_t **out, uint64_t n,
		      const char *what)
{
	size_t wb = wbytes(img);
	int32_t qmax = (int32_t)((1u << (img->weight_bits - 1)) - 1);
	const uint8_t *p;

	if (need(r, wb * n, what) < 0)
		return -EINVAL;
	*out = rd_calloc(r, (size_t)n, sizeof(int16_t));
	if (*out == NULL)
		return -ENOMEM;
	p = r->p + r->off;
	for (size_t i = 0; i < n; i++) {
		int16_t v = wb == 1 ? (int16_t)(int8_t)p[i] :
			(int16_t)(uint16_t)(p[2 * i] | p[2 * i + 1] << 8);

		if (v > qmax || v < -qmax)
			return efail(r->e, "%s [%zu] = %d is outside ±%d (%d-bit weights)", what, i,
				     v, qmax, img->weight_bits);
		(*out)[i] = v;
	}
	r->off += wb * n;
	return 0;
}

static int rd_step(struct rd *r, struct spk_image_step *st)
{
	uint32_t type, *f[5];
	const char *names[5];
	int n = 0;

	if (rd_u32(r, &type, "type") < 0 || rd_str(r, &st->name, "name") < 0)
		return -EINVAL;
	st->type = (enum spk_step_type)type;
	switch (type) {
	case SPK_STEP_ENCODER:
		f[n] = &st->dst_site; names[n++] = "dst_site";
		f[n] = &st->kernel; names[n++] = "kernel";
		f[n] = &st->stride; names[n++] = "stride";
		f[n] = &st->pad; names[n++] = "pad";
		break;
	case SPK_STEP_FIRE:
		f[n] = &st->pop; names[n++] = "pop";
		break;
	case SPK_STEP_CONV:
		f[n] = &st->src_pop; names[n++] = "src_pop";
		f[n] = &st->dst_site; names[n++] = "dst_site";
		f[n] = &st->kernel; names[n++] = "kernel";
		f[n] = &st->stride; names[n++] = "stride";
		f[n] = &st->pad; names[n++] = "pad";
		break;
	case SPK_STEP_ATTN:
		f[n] = &st->q_pop; names[n++] = "q_pop";
		f[n] = &st->k_pop; names[n++] = "k_pop";
		f[n] = &st->v_pop; names[n++] = "v_pop";
		f[n] = &st->dst_site; names[n++] = "dst_site";
		f[n] = &st->heads; names[n++] = "heads";
		break;
	case SPK_STEP_LINEAR:
		f[n] = &st->src_pop; names[n++] = "src_pop";
		break;
	default:
		return efail(r->e, "type %u is not 1..5", type);
	}
	for (int i = 0; i < n; i++)
		if (rd_u32(r, f[i], names[i]) < 0)
			return -EINVAL;
	return 0;
}

static int rd_core(struct rd *r, struct spk_image *img, uint32_t t, struct spk_image_tile *tile)
{
	if (rd_count(r, &tile->n_pieces, 28, "piece count") < 0)
		return -EINVAL;
	tile->pieces = rd_calloc(r, tile->n_pieces, sizeof(*tile->pieces));
	if (tile->pieces == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tile->n_pieces; i++) {
		struct spk_image_piece *p = &tile->pieces[i];

		where_tile(r->e, img, t, "piece", i);
		if (rd_u32(r, &p->site, "site") < 0 || rd_u32(r, &p->c0, "c0") < 0 ||
		    rd_u32(r, &p->c1, "c1") < 0 || rd_u32(r, &p->y0, "y0") < 0 ||
		    rd_u32(r, &p->y1, "y1") < 0 || rd_u32(r, &p->slot_base, "slot_base") < 0 ||
		    rd_u32(r, &p->slots, "slots") < 0)
			return -EINVAL;
		if (check_piece(r->e, img, t, i, p) < 0 ||
		    rd_i64s(r, &p->theta, (size_t)img->n_site_readers[p->site] * (p->c1 - p->c0),
			    "thresholds") < 0 ||
		    check_thetas(r->e, p->theta,
				 (size_t)img->n_site_readers[p->site] * (p->c1 - p->c0)) < 0)
			return -EINVAL;
	}
	where_tile(r->e, img, t, NULL, 0);
	if (rd_count(r, &tile->n_projs, 8, "projection count") < 0)
		return -EINVAL;
	tile->projs = rd_calloc(r, tile->n_projs, sizeof(*tile->projs));
	if (tile->projs == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tile->n_projs; i++) {
		struct spk_image_proj *pr = &tile->projs[i];
		const struct spk_image_step *st;
		uint64_t g;

		where_tile(r->e, img, t, "projection", i);
		if (rd_u32(r, &pr->step, "step") < 0 || rd_u32(r, &pr->piece, "piece") < 0 ||
		    check_proj(r->e, img, t, i, tile, pr) < 0)
			return -EINVAL;
		st = &img->steps[pr->step];
		g = tile->pieces[pr->piece].c1 - tile->pieces[pr->piece].c0;
		if (rd_weights(r, img, &pr->w, (uint64_t)st->c_in * st->kernel * st->kernel * g,
			       "weights") < 0 ||
		    rd_i32s(r, &pr->bias, (size_t)g, "biases") < 0)
			return -EINVAL;
	}
	return 0;
}

static int rd_attention(struct rd *r, struct spk_image *img, uint32_t t,
			struct spk_image_tile *tile)
{
	if (rd_count(r, &tile->n_attn, 12, "attention op count") < 0)
		return -EINVAL;
	tile->attn = rd_calloc(r, tile->n_attn, sizeof(*tile->attn));
	if (tile->attn == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tile->n_attn; i++) {
		struct spk_image_attn *a = &tile->attn[i];

		where_tile(r->e, img, t, "attention op", i);
		if (rd_u32(r, &a->step, "step") < 0 || rd_u32(r, &a->kv_base, "kv_base") < 0 ||
		    rd_u32(r, &a->kv_bytes, "kv_bytes") < 0 || check_attn(r->e, img, t, i, a) < 0)
			return -EINVAL;
	}
	return 0;
}

static int rd_encoder(struct rd *r, struct spk_image *img, uint32_t t,
		      struct spk_image_tile *tile)
{
	struct spk_image_encoder *en;
	const struct spk_image_step *st;
	uint32_t used;
	uint64_t g;

	if (rd_u32(r, &used, "encoder used flag") < 0)
		return -EINVAL;
	if (used > 1)
		return efail(r->e, "encoder used flag %u is not 0 or 1", used);
	if (!used)
		return 0;
	en = tile->encoder = rd_calloc(r, 1, sizeof(*en));
	if (en == NULL)
		return -ENOMEM;
	where_tile(r->e, img, t, "encoder", 0);
	if (rd_u32(r, &en->step, "step") < 0 || rd_u32(r, &en->c0, "c0") < 0 ||
	    rd_u32(r, &en->c1, "c1") < 0 || check_encoder(r->e, img, t, en) < 0)
		return -EINVAL;
	st = &img->steps[en->step];
	g = en->c1 - en->c0;
	if (rd_weights(r, img, &en->w, (uint64_t)st->c_in * st->kernel * st->kernel * g,
		       "weights") < 0 ||
	    rd_i32s(r, &en->zero, st->c_in, "zero points") < 0 ||
	    rd_i64s(r, &en->mult, (size_t)g, "multipliers") < 0 ||
	    rd_i64s(r, &en->bias, (size_t)g, "biases") < 0)
		return -EINVAL;
	if (check_encoder_values(r->e, img, en) < 0)
		return -EINVAL;
	return 0;
}

static int rd_readout(struct rd *r, struct spk_image *img, uint32_t t,
		      struct spk_image_tile *tile)
{
	uint32_t has_head;

	if (rd_count(r, &tile->n_means, 4, "mean population count") < 0)
		return -EINVAL;
	tile->means = rd_calloc(r, tile->n_means, sizeof(*tile->means));
	if (tile->means == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tile->n_means; i++) {
		struct spk_image_mean *mn = &tile->means[i];

		where_tile(r->e, img, t, "mean population", i);
		if (rd_u32(r, &mn->pop, "pop") < 0 || check_mean(r->e, img, t, i, mn) < 0 ||
		    rd_i64s(r, &mn->theta, img->sites[img->pops[mn->pop].site].channels,
			    "thresholds") < 0 ||
		    check_thetas(r->e, mn->theta, img->pops[mn->pop].neurons) < 0)
			return -EINVAL;
	}
	where_tile(r->e, img, t, NULL, 0);
	if (rd_u32(r, &has_head, "head flag") < 0)
		return -EINVAL;
	if (has_head > 1)
		return efail(r->e, "head flag %u is not 0 or 1", has_head);
	if (has_head) {
		struct spk_image_head *h = tile->head = rd_calloc(r, 1, sizeof(*h));

		if (h == NULL)
			return -ENOMEM;
		where_tile(r->e, img, t, "head", 0);
		if (rd_u32(r, &h->step, "step") < 0)
			return -EINVAL;
		if (h->step >= img->n_steps || img->steps[h->step].type != SPK_STEP_LINEAR)
			return efail(r->e, "step %u is not the LINEAR step", h->step);
		if (rd_weights(r, img, &h->w, (uint64_t)img->steps[h->step].c_in * img->classes,
			       "weights") < 0 ||
		    rd_i64s(r, &h->bias, img->classes, "biases") < 0 ||
		    rd_f64(r, &h->scale, "scale") < 0 || check_head(r->e, img, t, h) < 0 ||
		    check_head_values(r->e, img, h) < 0)
			return -EINVAL;
	}
	return 0;
}

static int rd_tile(struct rd *r, struct spk_image *img, uint32_t t)
{
	struct spk_image_tile *tile = &img->tiles[t];
	uint32_t kind;

	where_tile(r->e, img, t, NULL, 0);
	tile->x = t % img->mesh_x;
	tile->y = t / img->mesh_x;
	if (rd_u32(r, &kind, "kind") < 0)
		return -EINVAL;
	if (kind < SPK_TILE_CORE || kind > SPK_TILE_READOUT)
		return efail(r->e, "kind %u is not 1..4", kind);
	tile->kind = (enum spk_tile_kind)kind;
	if (rd_count(r, &tile->n_routes, 36, "route count") < 0)
		return -EINVAL;
	tile->routes = rd_calloc(r, tile->n_routes, sizeof(*tile->routes));
	if (tile->routes == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tile->n_routes; i++) {
		struct spk_image_route *rt = &tile->routes[i];
		uint32_t k;

		where_tile(r->e, img, t, "route", i);
		if (rd_u32(r, &k, "kind") < 0 || rd_u32(r, &rt->source, "source") < 0 ||
		    rd_u32(r, &rt->local, "local") < 0 || rd_u32(r, &rt->dst_tile, "dst_tile") < 0 ||
		    rd_u32(r, &rt->dst_piece, "dst_piece") < 0 || rd_u32(r, &rt->c0, "c0") < 0 ||
		    rd_u32(r, &rt->c1, "c1") < 0 || rd_u32(r, &rt->y0, "y0") < 0 ||
		    rd_u32(r, &rt->y1, "y1") < 0)
			return -EINVAL;
		rt->kind = (enum spk_route_kind)k;
	}
	where_tile(r->e, img, t, NULL, 0);
	switch (tile->kind) {
	case SPK_TILE_CORE:
		return rd_core(r, img, t, tile);
	case SPK_TILE_ATTENTION:
		return rd_attention(r, img, t, tile);
	case SPK_TILE_ENCODER:
		return rd_encoder(r, img, t, tile);
	case SPK_TILE_READOUT:
		return rd_readout(r, img, t, tile);
	}
	return -EINVAL;
}

static int rd_payload(struct rd *r, struct spk_image *img)
{
	struct ectx *e = r->e;

	where(e, "model identity");
	if (rd_str(r, &img->model_config, "model config") < 0 ||
	    rd_str(r, &img->model_dataset, "model dataset") < 0 ||
	    rd_u32(r, &img->model_crc32, "model_crc32") < 0 ||
	    rd_u32(r, &img->time_steps, "time_steps") < 0 ||
	    rd_u32(r, &img->in_channels, "in_channels") < 0 ||
	    rd_u32(r, &img->in_height, "in_height") < 0 ||
	    rd_u32(r, &img->in_width, "in_width") < 0 || rd_u32(r, &img->classes, "classes") < 0)
		return -EINVAL;
	where(e, "arch");
	if (rd_count(r, &img->n_arch, 12, "arch parameter count") < 0)
		return -EINVAL;
	if (img->n_arch > SPK_IMAGE_MAX_ARCH)
		return efail(e, "%u arch parameters (at most %u)", img->n_arch, SPK_IMAGE_MAX_ARCH);
	img->arch = rd_calloc(r, img->n_arch, sizeof(*img->arch));
	if (img->arch == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < img->n_arch; i++) {
		where(e, "arch parameter %u", i);
		if (rd_str(r, &img->arch[i].name, "name") < 0 ||
		    rd_i64(r, &img->arch[i].value, "value") < 0)
			return -EINVAL;
	}
	where(e, "network");
	if (rd_u32(r, &img->seed, "seed") < 0 || rd_count(r, &img->n_sites, 16, "site count") < 0)
		return -EINVAL;
	img->sites = rd_calloc(r, img->n_sites, sizeof(*img->sites));
	if (img->sites == NULL || rd_count(r, &img->n_pops, 12, "population count") < 0)
		return -EINVAL;
	img->pops = rd_calloc(r, img->n_pops, sizeof(*img->pops));
	if (img->pops == NULL || rd_count(r, &img->n_steps, 12, "step count") < 0)
		return -EINVAL;
	img->steps = rd_calloc(r, img->n_steps, sizeof(*img->steps));
	if (img->steps == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < img->n_sites; i++) {
		where(e, "site %u", i);
		if (rd_str(r, &img->sites[i].name, "name") < 0 ||
		    rd_u32(r, &img->sites[i].channels, "channels") < 0 ||
		    rd_u32(r, &img->sites[i].height, "height") < 0 ||
		    rd_u32(r, &img->sites[i].width, "width") < 0)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < img->n_pops; i++) {
		where(e, "pop %u", i);
		if (rd_str(r, &img->pops[i].name, "name") < 0 ||
		    rd_u32(r, &img->pops[i].site, "site") < 0 ||
		    rd_u32(r, &img->pops[i].kind, "kind") < 0)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < img->n_steps; i++) {
		where(e, "step %u", i);
		if (rd_step(r, &img->steps[i]) < 0)
			return -EINVAL;
	}
	e->where[0] = '\0';
	if (check_arch(e, img) < 0 || check_network(e, img) < 0)
		return -EINVAL;
	where(e, "tiles");
	if (rd_u32(r, &img->n_tiles, "tile count") < 0)
		return -EINVAL;
	if (img->n_tiles != img->mesh_x * img->mesh_y)
		return efail(e, "%u tiles for the %ux%u mesh the image was compiled for",
			     img->n_tiles, img->mesh_x, img->mesh_y);
	img->tiles = rd_calloc(r, img->n_tiles, sizeof(*img->tiles));
	if (img->tiles == NULL)
		return -ENOMEM;
	for (uint32_t t = 0; t < img->n_tiles; t++)
		if (rd_tile(r, img, t) < 0)
			return -EINVAL;
	e->where[0] = '\0';
	if (r->off != r->n)
		return efail(e, "%zu bytes left over after the last tile (payload byte %zu)",
			     r->n - r->off, r->off);
	return check_tiles(e, img, false);
}

struct spk_image *spk_image_parse(const void *file, size_t len, const char *name, char *err,
				  size_t errlen)
{
	struct ectx e = { .file = name, .err = err, .errlen = errlen };
	struct spk_image *img = NULL;
	uint8_t *raw;
	size_t rawlen;
	struct rd r;

	if (spk_container_unwrap(&spk_image_format, file, len, name, &raw, &rawlen, NULL, err,
				 errlen) < 0)
		return NULL;
	img = spk_image_alloc();
	if (img == NULL) {
		efail(&e, "out of memory");
		goto out_free;
	}
	r = (struct rd){ .p = raw, .n = rawlen, .e = &e };
	if (rd_payload(&r, img) < 0) {
		spk_image_destroy(img);
		img = NULL;
	}
out_free:
	free(raw);
	return img;
}

struct spk_image *spk_image_load(const char *path, char *err, size_t errlen)
{
	struct spk_image *img;
	uint8_t *buf;
	size_t len;

	if (spk_read_file(path, spk_image_format.max_file, spk_image_format.what, &buf, &len, err,
			  errlen) < 0)
		return NULL;
	img = spk_image_parse(buf, len, path, err, errlen);
	free(buf);
	return img;
}
