/*
 * model.c — the model-file reader (doc/formats.md "Model file"); see model.h.
 *
 * The reader is a bounds-checked cursor over the decompressed payload. Every field is read
 * through rd_u32/rd_f64/... which fail on the first byte past the end, so a truncated payload
 * becomes a message naming the record being read, never an overrun. Counts that size an
 * allocation (sites, populations, operations, weights, channels) are compared with the bytes
 * actually left before anything is allocated, so a corrupt count cannot make us allocate
 * gigabytes. After the structure is read, the program is checked as a whole: one ENCODER
 * first, one LINEAR last, every population fired once and before any reader, every FIRE after
 * a writer of its site, shapes chained.
 *
 * Error messages are "FILE: where: what", where "where" names the header field, the byte
 * offset or the record: "site 3 ('s')", "pop 7 ('p')", "op 12 (CONV 'block3.q')".
 */
#include "config.h"

#include "models/model.h"
#include "util/container.h"
#include "util/le.h"
#include "util/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Smallest encoding of each record, to bound counts before allocating. */
#define SITE_MIN_BYTES 16u	/* str (empty) + 3 u32 */
#define POP_MIN_BYTES 20u	/* str + 2 u32 + f64 */
#define OP_MIN_BYTES 12u	/* u32 type + str + u32 (FIRE) */

struct rd {
	const uint8_t *p;	/* decompressed payload */
	size_t n;		/* its size */
	size_t off;		/* next byte to read */
	const char *file;
	char *err;
	size_t errlen;
	char where[320];	/* the record being read, "" in the preamble */
};

/* The envelope (util/container.h); the writer is models/model_build.c. */
const struct spk_container spk_model_format = {
	.magic = SPK_MODEL_MAGIC,
	.version = SPK_MODEL_VERSION,
	.what = "a model file",
	.max_raw = SPK_MODEL_MAX_RAW,
	.max_file = (size_t)SPK_MODEL_MAX_RAW + SPK_MODEL_HEADER_BYTES + (SPK_MODEL_MAX_RAW >> 2),
	.level = Z_BEST_COMPRESSION,
};

static void set_err(char *err, size_t errlen, const char *file, const char *where,
		    const char *fmt, va_list ap)
{
	int k;

	if (err == NULL || errlen == 0)
		return;
	if (where != NULL && where[0] != '\0')
		k = snprintf(err, errlen, "%s: %s: ", file, where);
	else
		k = snprintf(err, errlen, "%s: ", file);
	if (k >= 0 && (size_t)k < errlen)
		vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
}

static int fail(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_err(r->err, r->errlen, r->file, r->where, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void ferr(char *err, size_t errlen, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void ferr(char *err, size_t errlen, const char *file, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_err(err, errlen, file, NULL, fmt, ap);
	va_end(ap);
}

static int need(struct rd *r, size_t bytes, const char *what)
{
	if (r->n - r->off >= bytes)
		return 0;
	return fail(r, "payload truncated at byte %zu reading %s (%zu bytes needed, %zu left)",
		    r->off, what, bytes, r->n - r->off);
}

static int rd_u32(struct rd *r, uint32_t *v, const char *what)
{
	if (need(r, 4, what) < 0)
		return -EINVAL;
	*v = spk_le32_get(r->p + r->off);
	r->off += 4;
	return 0;
}

static int rd_f64(struct rd *r, double *v, const char *what)
{
	uint64_t u;

	if (need(r, 8, what) < 0)
		return -EINVAL;
	u = spk_le64_get(r->p + r->off);
	memcpy(v, &u, sizeof(*v));
	r->off += 8;
	return 0;
}

static float f32_at(const uint8_t *b)
{
	uint32_t u = spk_le32_get(b);
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static int rd_str(struct rd *r, char **out, const char *what)
{
	uint32_t len;
	char *s;

	if (rd_u32(r, &len, what) < 0)
		return -EINVAL;
	if (len > SPK_MODEL_MAX_STR)
		return fail(r, "%s is %u bytes long (at most %u)", what, len, SPK_MODEL_MAX_STR);
	if (need(r, len, what) < 0)
		return -EINVAL;
	if (memchr(r->p + r->off, '\0', len) != NULL)
		return fail(r, "%s contains a NUL byte", what);
	s = malloc((size_t)len + 1);
	if (s == NULL)
		return fail(r, "out of memory");
	memcpy(s, r->p + r->off, len);
	s[len] = '\0';
	r->off += len;
	*out = s;
	return 0;
}

/* a·b·c·d elements of elem bytes must lie within the bytes left; sets *count. */
static int rd_count(struct rd *r, const uint32_t dims[4], size_t elem, size_t *count,
		    const char *what)
{
	uint64_t c = 1;

	for (int i = 0; i < 4; i++) {
		c *= dims[i];
		if (c > r->n)	/* the payload is at most 1 GiB: no overflow on the next step */
			return fail(r, "%s (%ux%ux%ux%u values) needs more than the %zu bytes left",
				    what, dims[0], dims[1], dims[2], dims[3], r->n - r->off);
	}
	*count = (size_t)c;
	return need(r, (size_t)c * elem, what);
}

/* Reads f32 weights stored [d0][d1][d2][d3] into out[d1][d2][d3][d0] (or as is if !transpose). */
static int rd_weights(struct rd *r, uint32_t d0, uint32_t d1, uint32_t d2, uint32_t d3,
		      float **out, const char *what)
{
	const uint32_t dims[4] = { d0, d1, d2, d3 };
	size_t count, inner = (size_t)d1 * d2 * d3;
	const uint8_t *b;
	float *w;

	if (rd_count(r, dims, 4, &count, what) < 0)
		return -EINVAL;
	w = malloc(count > 0 ? count * sizeof(*w) : 1);
	if (w == NULL)
		return fail(r, "out of memory for %s (%zu values)", what, count);
	b = r->p + r->off;
	for (size_t o = 0; o < d0; o++) {
		for (size_t j = 0; j < inner; j++) {
			float v = f32_at(b + 4 * (o * inner + j));

			if (!isfinite(v)) {
				free(w);
				return fail(r, "%s has a non-finite value (%g) at [%zu][%zu]",
					    what, (double)v, o, j);
			}
			w[j * d0 + o] = v;
		}
	}
	r->off += count * 4;
	*out = w;
	return 0;
}

static int rd_bias(struct rd *r, uint32_t n, float **out)
{
	return rd_weights(r, n, 1, 1, 1, out, "bias");
}

const char *spk_op_type_name(enum spk_op_type t)
{
	switch (t) {
	case SPK_OP_ENCODER: return "ENCODER";
	case SPK_OP_FIRE: return "FIRE";
	case SPK_OP_CONV: return "CONV";
	case SPK_OP_ATTN: return "ATTN";
	case SPK_OP_LINEAR: return "LINEAR";
	}
	return "?";
}

size_t spk_model_site_size(const struct spk_model *m, uint32_t site)
{
	const struct spk_site *s = &m->sites[site];

	return (size_t)s->channels * s->height * s->width;
}

size_t spk_model_pop_neurons(const struct spk_model *m, uint32_t pop)
{
	const struct spk_pop *p = &m->pops[pop];

	if (p->kind == SPK_POP_MEAN)
		return m->sites[p->site].channels;
	return spk_model_site_size(m, p->site);
}

void spk_model_destroy(struct spk_model *m)
{
	if (m == NULL)
		return;
	free(m->config);
	free(m->dataset);
	free(m->mean);
	free(m->std);
	if (m->sites != NULL)
		for (uint32_t i = 0; i < m->n_sites; i++)
			free(m->sites[i].name);
	if (m->pops != NULL)
		for (uint32_t i = 0; i < m->n_pops; i++)
			free(m->pops[i].name);
	if (m->ops != NULL) {
		for (uint32_t i = 0; i < m->n_ops; i++) {
			free(m->ops[i].name);
			free(m->ops[i].weight);
			free(m->ops[i].bias);
		}
	}
	free(m->sites);
	free(m->pops);
	free(m->ops);
	free(m);
}

static void set_where(struct rd *r, const char *kind, uint32_t i, const char *type,
		      const char *name)
{
	if (type != NULL)
		snprintf(r->where, sizeof(r->where), "%s %u (%s '%.200s')", kind, i, type, name);
	else if (name != NULL)
		snprintf(r->where, sizeof(r->where), "%s %u ('%.200s')", kind, i, name);
	else
		snprintf(r->where, sizeof(r->where), "%s %u", kind, i);
}

static int parse_preamble(struct rd *r, struct spk_model *m)
{
	uint32_t dims[4];
	size_t count;

	snprintf(r->where, sizeof(r->where), "preamble");
	if (rd_str(r, &m->config, "config") < 0 || rd_str(r, &m->dataset, "dataset") < 0)
		return -EINVAL;
	if (rd_u32(r, &m->time_steps, "time_steps") < 0 ||
	    rd_u32(r, &m->in_channels, "in_channels") < 0 ||
	    rd_u32(r, &m->in_height, "in_height") < 0 ||
	    rd_u32(r, &m->in_width, "in_width") < 0 ||
	    rd_u32(r, &m->classes, "classes") < 0)
		return -EINVAL;
	if (m->time_steps < 1)
		return fail(r, "time_steps is 0 (at least 1)");
	if (m->in_channels < 1 || m->in_height < 1 || m->in_width < 1 ||
	    m->in_height > SPK_MODEL_MAX_DIM || m->in_width > SPK_MODEL_MAX_DIM ||
	    (uint64_t)m->in_channels * m->in_height * m->in_width > SPK_MODEL_MAX_NEURONS)
		return fail(r, "input shape %ux%ux%u is empty or too large", m->in_channels,
			    m->in_height, m->in_width);
	if (m->classes < 1)
		return fail(r, "classes is 0 (at least 1)");
	dims[0] = m->in_channels;
	dims[1] = 2;
	dims[2] = dims[3] = 1;
	if (rd_count(r, dims, 8, &count, "mean and std") < 0)
		return -EINVAL;
	m->mean = malloc(m->in_channels * sizeof(*m->mean));
	m->std = malloc(m->in_channels * sizeof(*m->std));
	if (m->mean == NULL || m->std == NULL)
		return fail(r, "out of memory");
	for (uint32_t c = 0; c < m->in_channels; c++)
		if (rd_f64(r, &m->mean[c], "mean") < 0)
			return -EINVAL;
	for (uint32_t c = 0; c < m->in_channels; c++) {
		if (rd_f64(r, &m->std[c], "std") < 0)
			return -EINVAL;
		if (!isfinite(m->mean[c]))
			return fail(r, "mean[%u] is not finite", c);
		if (!(m->std[c] > 0) || !isfinite(m->std[c]))
			return fail(r, "std[%u] = %g (must be finite and > 0)", c, m->std[c]);
	}
	if (rd_f64(r, &m->float_accuracy, "float_accuracy") < 0)
		return -EINVAL;
	if (!isnan(m->float_accuracy) && !(m->float_accuracy >= 0 && m->float_accuracy <= 1))
		return fail(r, "float_accuracy %g is outside [0, 1] (NaN if not measured)",
			    m->float_accuracy);
	if (rd_u32(r, &m->n_sites, "n_sites") < 0 || rd_u32(r, &m->n_pops, "n_pops") < 0 ||
	    rd_u32(r, &m->n_ops, "n_ops") < 0)
		return -EINVAL;
	if ((uint64_t)m->n_sites * SITE_MIN_BYTES + (uint64_t)m->n_pops * POP_MIN_BYTES +
	    (uint64_t)m->n_ops * OP_MIN_BYTES > r->n - r->off)
		return fail(r, "n_sites %u, n_pops %u, n_ops %u need more than the %zu bytes left",
			    m->n_sites, m->n_pops, m->n_ops, r->n - r->off);
	m->sites = calloc(m->n_sites ? m->n_sites : 1, sizeof(*m->sites));
	m->pops = calloc(m->n_pops ? m->n_pops : 1, sizeof(*m->pops));
	m->ops = calloc(m->n_ops ? m->n_ops : 1, sizeof(*m->ops));
	if (m->sites == NULL || m->pops == NULL || m->ops == NULL)
		return fail(r, "out of memory");
	return 0;
}

static int parse_site(struct rd *r, struct spk_model *m, uint32_t i)
{
	struct spk_site *s = &m->sites[i];

	set_where(r, "site", i, NULL, NULL);
	if (rd_str(r, &s->name, "name") < 0)
		return -EINVAL;
	set_where(r, "site", i, NULL, s->name);
	if (rd_u32(r, &s->channels, "channels") < 0 || rd_u32(r, &s->height, "height") < 0 ||
	    rd_u32(r, &s->width, "width") < 0)
		return -EINVAL;
	if (s->channels < 1 || s->height < 1 || s->width < 1)
		return fail(r, "empty shape %ux%ux%u", s->channels, s->height, s->width);
	if (s->height > SPK_MODEL_MAX_DIM || s->width > SPK_MODEL_MAX_DIM ||
	    (uint64_t)s->channels * s->height * s->width > SPK_MODEL_MAX_NEURONS)
		return fail(r, "shape %ux%ux%u is too large (at most %u per side, %u in all)",
			    s->channels, s->height, s->width, SPK_MODEL_MAX_DIM,
			    SPK_MODEL_MAX_NEURONS);
	return 0;
}

static int parse_pop(struct rd *r, struct spk_model *m, uint32_t i)
{
	struct spk_pop *p = &m->pops[i];
	uint32_t kind;

	set_where(r, "pop", i, NULL, NULL);
	if (rd_str(r, &p->name, "name") < 0)
		return -EINVAL;
	set_where(r, "pop", i, NULL, p->name);
	if (rd_u32(r, &p->site, "site") < 0 || rd_u32(r, &kind, "kind") < 0 ||
	    rd_f64(r, &p->threshold, "threshold") < 0)
		return -EINVAL;
	if (p->site >= m->n_sites)
		return fail(r, "site %u out of range (%u sites)", p->site, m->n_sites);
	if (kind != SPK_POP_NEURON && kind != SPK_POP_MEAN)
		return fail(r, "kind %u unknown (0 = per neuron, 1 = spatial mean)", kind);
	p->kind = (enum spk_pop_kind)kind;
	if (!isfinite(p->threshold) || !(p->threshold > 0))
		return fail(r, "threshold %g must be finite and > 0", p->threshold);
	return 0;
}

static int check_pop_index(struct rd *r, const struct spk_model *m, const char *field,
			   uint32_t pop)
{
	if (pop >= m->n_pops)
		return fail(r, "%s %u out of range (%u populations)", field, pop, m->n_pops);
	return 0;
}

static int check_site_index(struct rd *r, const struct spk_model *m, const char *field,
			    uint32_t site)
{
	if (site >= m->n_sites)
		return fail(r, "%s %u out of range (%u sites)", field, site, m->n_sites);
	return 0;
}

/* A spiking input must come from a population fired earlier in the list. */
static int check_fired(struct rd *r, const struct spk_model *m, const bool *fired,
		       const char *field, uint32_t pop)
{
	if (!fired[pop])
		return fail(r, "%s %u ('%.200s') is read before its FIRE", field, pop,
			    m->pops[pop].name);
	return 0;
}

/* Output size (in + 2·pad − kernel)/stride + 1 must match the destination. */
static int check_out(struct rd *r, const char *dim, uint32_t in, uint32_t kernel,
		     uint32_t stride, uint32_t pad, uint32_t out, const char *site)
{
	uint64_t span = (uint64_t)in + 2 * (uint64_t)pad;

	if (span < kernel)
		return fail(r, "kernel %u is larger than the padded input %s %llu", kernel, dim,
			    (unsigned long long)span);
	if ((span - kernel) / stride + 1 != out)
		return fail(r, "output %s %llu (input %u, kernel %u, stride %u, pad %u) does not "
			    "match site '%.200s' %s %u", dim,
			    (unsigned long long)((span - kernel) / stride + 1), in, kernel,
			    stride, pad, site, dim, out);
	return 0;
}

static int parse_conv_geometry(struct rd *r, struct spk_op *op)
{
	if (rd_u32(r, &op->kernel, "kernel") < 0 || rd_u32(r, &op->stride, "stride") < 0 ||
	    rd_u32(r, &op->pad, "pad") < 0)
		return -EINVAL;
	if (op->kernel < 1 || op->kernel > SPK_MODEL_MAX_DIM)
		return fail(r, "kernel %u out of range 1..%u", op->kernel, SPK_MODEL_MAX_DIM);
	if (op->stride < 1 || op->stride > SPK_MODEL_MAX_DIM)
		return fail(r, "stride %u out of range 1..%u", op->stride, SPK_MODEL_MAX_DIM);
	if (op->pad > SPK_MODEL_MAX_DIM)
		return fail(r, "pad %u out of range 0..%u", op->pad, SPK_MODEL_MAX_DIM);
	return 0;
}

static void set_out_site(const struct spk_model *m, struct spk_op *op)
{
	const struct spk_site *d = &m->sites[op->dst_site];

	op->c_out = d->channels;
	op->h_out = d->height;
	op->w_out = d->width;
}

static void set_in_pop(const struct spk_model *m, struct spk_op *op, uint32_t pop)
{
	const struct spk_site *s = &m->sites[m->pops[pop].site];

	op->c_in = s->channels;
	op->h_in = s->height;
	op->w_in = s->width;
}

struct prog_state {
	bool *fired;		/* [n_pops] */
	bool *written;		/* [n_sites] */
	uint32_t n_encoder, n_linear;
};

static int parse_op(struct rd *r, struct spk_model *m, uint32_t i, struct prog_state *st)
{
	struct spk_op *op = &m->ops[i];
	uint32_t type;
	const char *tn;

	set_where(r, "op", i, NULL, NULL);
	if (rd_u32(r, &type, "type") < 0)
		return -EINVAL;
	if (type < SPK_OP_ENCODER || type > SPK_OP_LINEAR)
		return fail(r, "type %u unknown (1 ENCODER, 2 FIRE, 3 CONV, 4 ATTN, 5 LINEAR)",
			    type);
	op->type = (enum spk_op_type)type;
	tn = spk_op_type_name(op->type);
	snprintf(r->where, sizeof(r->where), "op %u (%s)", i, tn);
	if (rd_str(r, &op->name, "name") < 0)
		return -EINVAL;
	set_where(r, "op", i, tn, op->name);
	if (st->n_linear > 0)
		return fail(r, "operation after the LINEAR head (LINEAR must be the last)");
	if (i == 0 && op->type != SPK_OP_ENCODER)
		return fail(r, "the first operation must be the ENCODER");

	switch (op->type) {
	case SPK_OP_ENCODER:
		if (++st->n_encoder > 1)
			return fail(r, "a second ENCODER (exactly one, the first operation)");
		if (rd_u32(r, &op->dst_site, "dst_site") < 0 ||
		    check_site_index(r, m, "dst_site", op->dst_site) < 0 ||
		    parse_conv_geometry(r, op) < 0)
			return -EINVAL;
		op->c_in = m->in_channels;
		op->h_in = m->in_height;
		op->w_in = m->in_width;
		set_out_site(m, op);
		if (check_out(r, "height", op->h_in, op->kernel, op->stride, op->pad, op->h_out,
			      m->sites[op->dst_site].name) < 0 ||
		    check_out(r, "width", op->w_in, op->kernel, op->stride, op->pad, op->w_out,
			      m->sites[op->dst_site].name) < 0)
			return -EINVAL;
		if (rd_weights(r, op->c_out, op->c_in, op->kernel, op->kernel, &op->weight,
			       "weight") < 0 || rd_bias(r, op->c_out, &op->bias) < 0)
			return -EINVAL;
		st->written[op->dst_site] = true;
		break;
	case SPK_OP_FIRE: {
		const struct spk_pop *p;

		if (rd_u32(r, &op->pop, "pop") < 0 || check_pop_index(r, m, "pop", op->pop) < 0)
			return -EINVAL;
		p = &m->pops[op->pop];
		if (st->fired[op->pop])
			return fail(r, "population %u ('%.200s') is fired a second time", op->pop,
				    p->name);
		if (!st->written[p->site])
			return fail(r, "population %u ('%.200s') reads site %u ('%.200s'), which no "
				    "earlier operation writes", op->pop, p->name, p->site,
				    m->sites[p->site].name);
		st->fired[op->pop] = true;
		break;
	}
	case SPK_OP_CONV:
		if (rd_u32(r, &op->src_pop, "src_pop") < 0 ||
		    check_pop_index(r, m, "src_pop", op->src_pop) < 0 ||
		    rd_u32(r, &op->dst_site, "dst_site") < 0 ||
		    check_site_index(r, m, "dst_site", op->dst_site) < 0 ||
		    parse_conv_geometry(r, op) < 0 ||
		    check_fired(r, m, st->fired, "src_pop", op->src_pop) < 0)
			return -EINVAL;
		if (m->pops[op->src_pop].kind != SPK_POP_NEURON)
			return fail(r, "src_pop %u ('%.200s') is a spatial-mean population (only "
				    "LINEAR reads those)", op->src_pop, m->pops[op->src_pop].name);
		set_in_pop(m, op, op->src_pop);
		set_out_site(m, op);
		if (check_out(r, "height", op->h_in, op->kernel, op->stride, op->pad, op->h_out,
			      m->sites[op->dst_site].name) < 0 ||
		    check_out(r, "width", op->w_in, op->kernel, op->stride, op->pad, op->w_out,
			      m->sites[op->dst_site].name) < 0)
			return -EINVAL;
		if (rd_weights(r, op->c_out, op->c_in, op->kernel, op->kernel, &op->weight,
			       "weight") < 0 || rd_bias(r, op->c_out, &op->bias) < 0)
			return -EINVAL;
		st->written[op->dst_site] = true;
		break;
	case SPK_OP_ATTN: {
		const struct spk_site *d;
		const char *fields[3] = { "q_pop", "k_pop", "v_pop" };
		uint32_t pops[3];

		for (int k = 0; k < 3; k++)
			if (rd_u32(r, &pops[k], fields[k]) < 0 ||
			    check_pop_index(r, m, fields[k], pops[k]) < 0)
				return -EINVAL;
		op->q_pop = pops[0];
		op->k_pop = pops[1];
		op->v_pop = pops[2];
		if (rd_u32(r, &op->dst_site, "dst_site") < 0 ||
		    check_site_index(r, m, "dst_site", op->dst_site) < 0 ||
		    rd_u32(r, &op->heads, "heads") < 0 || rd_f64(r, &op->scale, "scale") < 0)
			return -EINVAL;
		d = &m->sites[op->dst_site];
		for (int k = 0; k < 3; k++) {
			const struct spk_pop *p = &m->pops[pops[k]];
			const struct spk_site *s = &m->sites[p->site];

			if (check_fired(r, m, st->fired, fields[k], pops[k]) < 0)
				return -EINVAL;
			if (p->kind != SPK_POP_NEURON)
				return fail(r, "%s %u ('%.200s') is a spatial-mean population",
					    fields[k], pops[k], p->name);
			if (s->channels != d->channels || s->height != d->height ||
			    s->width != d->width)
				return fail(r, "%s %u ('%.200s') has shape %ux%ux%u, dst_site "
					    "'%.200s' has %ux%ux%u", fields[k], pops[k], p->name,
					    s->channels, s->height, s->width, d->name,
					    d->channels, d->height, d->width);
		}
		if (op->heads < 1 || d->channels % op->heads != 0)
			return fail(r, "heads %u does not divide the %u channels", op->heads,
				    d->channels);
		if (!isfinite(op->scale) || !(op->scale > 0))
			return fail(r, "scale %g must be finite and > 0", op->scale);
		set_in_pop(m, op, op->q_pop);
		set_out_site(m, op);
		st->written[op->dst_site] = true;
		break;
	}
	case SPK_OP_LINEAR:
		st->n_linear++;
		if (rd_u32(r, &op->src_pop, "src_pop") < 0 ||
		    check_pop_index(r, m, "src_pop", op->src_pop) < 0 ||
		    check_fired(r, m, st->fired, "src_pop", op->src_pop) < 0)
			return -EINVAL;
		if (m->pops[op->src_pop].kind != SPK_POP_MEAN)
			return fail(r, "src_pop %u ('%.200s') must be a spatial-mean (kind 1) "
				    "population", op->src_pop, m->pops[op->src_pop].name);
		op->c_in = m->sites[m->pops[op->src_pop].site].channels;
		op->h_in = op->w_in = 1;
		op->c_out = m->classes;
		op->h_out = op->w_out = 1;
		if (rd_weights(r, m->classes, op->c_in, 1, 1, &op->weight, "weight") < 0 ||
		    rd_bias(r, m->classes, &op->bias) < 0)
			return -EINVAL;
		break;
	}
	return 0;
}

static int parse_payload(struct rd *r, struct spk_model *m)
{
	struct prog_state st = { 0 };
	int rc = -EINVAL;

	if (parse_preamble(r, m) < 0)
		return -EINVAL;
	for (uint32_t i = 0; i < m->n_sites; i++)
		if (parse_site(r, m, i) < 0)
			return -EINVAL;
	for (uint32_t i = 0; i < m->n_pops; i++)
		if (parse_pop(r, m, i) < 0)
			return -EINVAL;
	st.fired = calloc(m->n_pops ? m->n_pops : 1, sizeof(*st.fired));
	st.written = calloc(m->n_sites ? m->n_sites : 1, sizeof(*st.written));
	if (st.fired == NULL || st.written == NULL) {
		fail(r, "out of memory");
		goto out_free;
	}
	for (uint32_t i = 0; i < m->n_ops; i++)
		if (parse_op(r, m, i, &st) < 0)
			goto out_free;
	r->where[0] = '\0';
	if (st.n_encoder == 0) {
		fail(r, "no ENCODER operation (exactly one, the first)");
		goto out_free;
	}
	if (st.n_linear == 0) {
		fail(r, "no LINEAR operation (exactly one, the last)");
		goto out_free;
	}
	for (uint32_t p = 0; p < m->n_pops; p++) {
		if (!st.fired[p]) {
			set_where(r, "pop", p, NULL, m->pops[p].name);
			fail(r, "never fired (every population has exactly one FIRE)");
			goto out_free;
		}
	}
	if (r->off != r->n) {
		fail(r, "%zu unread bytes at the end of the payload (byte %zu of %zu)",
		     r->n - r->off, r->off, r->n);
		goto out_free;
	}
	rc = 0;
out_free:
	free(st.written);
	free(st.fired);
	return rc;
}

struct spk_model *spk_model_parse(const void *file, size_t len, const char *name,
				  char *err, size_t errlen)
{
	struct rd r = { .file = name, .err = err, .errlen = errlen };
	struct spk_model *m = NULL;
	uint8_t *raw;
	size_t raw_len;
	uint32_t crc;

	if (spk_container_unwrap(&spk_model_format, file, len, name, &raw, &raw_len, &crc, err,
				 errlen) < 0)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		ferr(err, errlen, name, "out of memory");
		goto out_free_raw;
	}
	m->payload_crc32 = crc;
	r.p = raw;
	r.n = raw_len;
	if (parse_payload(&r, m) < 0) {
		/* n_* may count records never read: destroy walks only what was allocated. */
		spk_model_destroy(m);
		m = NULL;
	}
out_free_raw:
	free(raw);
	return m;
}

struct spk_model *spk_model_load(const char *path, char *err, size_t errlen)
{
	struct spk_model *m;
	uint8_t *buf;
	size_t size;

	if (spk_read_file(path, spk_model_format.max_file, spk_model_format.what, &buf, &size,
			  err, errlen) < 0)
		return NULL;
	m = spk_model_parse(buf, size, path, err, errlen);
	free(buf);
	return m;
}
