/*
 * model_build.c — model-file writer; see model_build.h.
 *
 * Three growing byte buffers (sites, populations, operations) are concatenated behind the
 * preamble when the payload is asked for, so records may be added in any order; the counts
 * n_sites/n_pops/n_ops are the numbers of records added.
 */
#include "config.h"

#include "models/model_build.h"
#include "models/model.h"
#include "util/container.h"
#include "util/le.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	uint8_t *p;
	size_t n, cap;
};

struct spk_model_build {
	struct buf pre, sites, pops, ops;
	uint32_t n_sites, n_pops, n_ops;
	uint32_t in_channels, classes;
	bool failed;
};

static void put(struct spk_model_build *b, struct buf *x, const void *bytes, size_t n)
{
	if (b->failed)
		return;
	if (x->n + n > x->cap) {
		size_t cap = x->cap ? x->cap : 256;
		uint8_t *p;

		while (cap < x->n + n)
			cap *= 2;
		p = realloc(x->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		x->p = p;
		x->cap = cap;
	}
	if (n > 0)
		memcpy(x->p + x->n, bytes, n);
	x->n += n;
}

static void put_u32(struct spk_model_build *b, struct buf *x, uint32_t v)
{
	uint8_t e[4];

	spk_le32_put(e, v);
	put(b, x, e, 4);
}

static void put_f64(struct spk_model_build *b, struct buf *x, double v)
{
	uint8_t e[8];

	spk_le64_put_f64(e, v);
	put(b, x, e, 8);
}

static void put_f32s(struct spk_model_build *b, struct buf *x, const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u;

		memcpy(&u, &v[i], sizeof(u));
		put_u32(b, x, u);
	}
}

static void put_str(struct spk_model_build *b, struct buf *x, const char *s)
{
	size_t n = strlen(s);

	put_u32(b, x, (uint32_t)n);
	put(b, x, s, n);
}

struct spk_model_build *spk_model_build_create(const char *config, const char *dataset,
					       uint32_t time_steps, uint32_t in_channels,
					       uint32_t in_height, uint32_t in_width,
					       uint32_t classes, const double *mean,
					       const double *std, double float_accuracy)
{
	struct spk_model_build *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->in_channels = in_channels;
	b->classes = classes;
	put_str(b, &b->pre, config);
	put_str(b, &b->pre, dataset);
	put_u32(b, &b->pre, time_steps);
	put_u32(b, &b->pre, in_channels);
	put_u32(b, &b->pre, in_height);
	put_u32(b, &b->pre, in_width);
	put_u32(b, &b->pre, classes);
	for (uint32_t c = 0; c < in_channels; c++)
		put_f64(b, &b->pre, mean[c]);
	for (uint32_t c = 0; c < in_channels; c++)
		put_f64(b, &b->pre, std[c]);
	put_f64(b, &b->pre, float_accuracy);
	return b;
}

void spk_model_build_destroy(struct spk_model_build *b)
{
	if (b == NULL)
		return;
	free(b->pre.p);
	free(b->sites.p);
	free(b->pops.p);
	free(b->ops.p);
	free(b);
}

uint32_t spk_model_build_site(struct spk_model_build *b, const char *name, uint32_t channels,
			      uint32_t height, uint32_t width)
{
	put_str(b, &b->sites, name);
	put_u32(b, &b->sites, channels);
	put_u32(b, &b->sites, height);
	put_u32(b, &b->sites, width);
	return b->n_sites++;
}

uint32_t spk_model_build_pop(struct spk_model_build *b, const char *name, uint32_t site,
			     uint32_t kind, double threshold)
{
	put_str(b, &b->pops, name);
	put_u32(b, &b->pops, site);
	put_u32(b, &b->pops, kind);
	put_f64(b, &b->pops, threshold);
	return b->n_pops++;
}

static void op_head(struct spk_model_build *b, uint32_t type, const char *name)
{
	put_u32(b, &b->ops, type);
	put_str(b, &b->ops, name);
}

uint32_t spk_model_build_encoder(struct spk_model_build *b, const char *name, uint32_t dst_site,
				 uint32_t kernel, uint32_t stride, uint32_t pad, uint32_t c_out,
				 const float *weight, const float *bias)
{
	op_head(b, SPK_OP_ENCODER, name);
	put_u32(b, &b->ops, dst_site);
	put_u32(b, &b->ops, kernel);
	put_u32(b, &b->ops, stride);
	put_u32(b, &b->ops, pad);
	put_f32s(b, &b->ops, weight, (size_t)c_out * b->in_channels * kernel * kernel);
	put_f32s(b, &b->ops, bias, c_out);
	return b->n_ops++;
}

uint32_t spk_model_build_fire(struct spk_model_build *b, const char *name, uint32_t pop)
{
	op_head(b, SPK_OP_FIRE, name);
	put_u32(b, &b->ops, pop);
	return b->n_ops++;
}

uint32_t spk_model_build_conv(struct spk_model_build *b, const char *name, uint32_t src_pop,
			      uint32_t dst_site, uint32_t kernel, uint32_t stride, uint32_t pad,
			      uint32_t c_in, uint32_t c_out, const float *weight,
			      const float *bias)
{
	op_head(b, SPK_OP_CONV, name);
	put_u32(b, &b->ops, src_pop);
	put_u32(b, &b->ops, dst_site);
	put_u32(b, &b->ops, kernel);
	put_u32(b, &b->ops, stride);
	put_u32(b, &b->ops, pad);
	put_f32s(b, &b->ops, weight, (size_t)c_out * c_in * kernel * kernel);
	put_f32s(b, &b->ops, bias, c_out);
	return b->n_ops++;
}

uint32_t spk_model_build_attn(struct spk_model_build *b, const char *name, uint32_t q_pop,
			      uint32_t k_pop, uint32_t v_pop, uint32_t dst_site, uint32_t heads,
			      double scale)
{
	op_head(b, SPK_OP_ATTN, name);
	put_u32(b, &b->ops, q_pop);
	put_u32(b, &b->ops, k_pop);
	put_u32(b, &b->ops, v_pop);
	put_u32(b, &b->ops, dst_site);
	put_u32(b, &b->ops, heads);
	put_f64(b, &b->ops, scale);
	return b->n_ops++;
}

uint32_t spk_model_build_linear(struct spk_model_build *b, const char *name, uint32_t src_pop,
				uint32_t c_in, const float *weight, const float *bias)
{
	op_head(b, SPK_OP_LINEAR, name);
	put_u32(b, &b->ops, src_pop);
	put_f32s(b, &b->ops, weight, (size_t)b->classes * c_in);
	put_f32s(b, &b->ops, bias, b->classes);
	return b->n_ops++;
}

void spk_model_build_raw(struct spk_model_build *b, const void *bytes, size_t n)
{
	put(b, &b->ops, bytes, n);
}

void *spk_model_build_payload(const struct spk_model_build *b, size_t *len)
{
	size_t n = b->pre.n + 12 + b->sites.n + b->pops.n + b->ops.n;
	uint8_t *p, *q;
	uint32_t counts[3] = { b->n_sites, b->n_pops, b->n_ops };

	if (b->failed)
		return NULL;
	p = malloc(n);
	if (p == NULL)
		return NULL;
	q = p;
	if (b->pre.n)
		memcpy(q, b->pre.p, b->pre.n);
	q += b->pre.n;
	for (int i = 0; i < 3; i++) {
		for (int k = 0; k < 4; k++)
			*q++ = (uint8_t)(counts[i] >> (8 * k));
	}
	if (b->sites.n)
		memcpy(q, b->sites.p, b->sites.n);
	q += b->sites.n;
	if (b->pops.n)
		memcpy(q, b->pops.p, b->pops.n);
	q += b->pops.n;
	if (b->ops.n)
		memcpy(q, b->ops.p, b->ops.n);
	*len = n;
	return p;
}

void *spk_model_file_wrap(const void *payload, size_t n, size_t *len)
{
	char err[256];

	return spk_container_wrap(&spk_model_format, payload, n, len, err, sizeof(err));
}

void *spk_model_build_file(const struct spk_model_build *b, size_t *len)
{
	size_t n;
	void *payload = spk_model_build_payload(b, &n);
	void *f;

	if (payload == NULL)
		return NULL;
	f = spk_model_file_wrap(payload, n, len);
	free(payload);
	return f;
}

struct spk_model *spk_model_build_model(const struct spk_model_build *b, const char *name,
					char *err, size_t errlen)
{
	size_t n;
	void *f = spk_model_build_file(b, &n);
	struct spk_model *m;

	if (f == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	m = spk_model_parse(f, n, name, err, errlen);
	free(f);
	return m;
}

int spk_model_build_write(const struct spk_model_build *b, const char *path, char *err,
			  size_t errlen)
{
	size_t n;
	void *payload = spk_model_build_payload(b, &n);
	int rc;

	if (payload == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	rc = spk_container_write(&spk_model_format, payload, n, path, err, errlen);
	free(payload);
	return rc;
}
