/*
 * quant.c — the quantizer of doc/semantics.md; see quant.h.
 *
 * Order of work: first the scale of every site (it depends on all the operations that write
 * it), then every operation's integers at its destination's scale, then every population's
 * thresholds at its source site's scale. Every conversion of a real to an integer goes through
 * to_int(), which rounds half away from zero and refuses a value outside the target range,
 * naming the record.
 */
#include "config.h"

#include "models/quant.h"
#include "models/semantics.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_I32 2147483647.0		/* 2^31 − 1 */
#define LIMIT_I62 4611686018427387904.0	/* 2^62: keeps every later 64-bit sum exact */

struct qctx {
	const struct spk_model *m;
	struct spk_qmodel *q;
	char *err;
	size_t errlen;
};

static int qfail(struct qctx *c, uint32_t op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int qfail(struct qctx *c, uint32_t op, const char *fmt, ...)
{
	va_list ap;
	int k = 0;

	if (c->err == NULL || c->errlen == 0)
		return -EINVAL;
	if (op != UINT32_MAX)
		k = snprintf(c->err, c->errlen, "op %u (%s '%.200s'): ", op,
			     spk_op_type_name(c->m->ops[op].type), c->m->ops[op].name);
	if (k >= 0 && (size_t)k < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

double spk_quant_round(double x)
{
	return round(x);	/* C round(): halfway cases away from zero */
}

static int32_t clamp_q(double x, int32_t qmax)
{
	double r = spk_quant_round(x);

	if (r > qmax)
		return qmax;
	if (r < -qmax)
		return -qmax;
	return (int32_t)r;
}

/* round(x) into *out if |round(x)| <= limit; false otherwise (NaN included). */
static bool to_int(double x, double limit, int64_t *out)
{
	double r = spk_quant_round(x);

	if (!(fabs(r) <= limit))
		return false;
	*out = (int64_t)r;
	return true;
}

static uint32_t pad_lanes(uint32_t n)
{
	return (n + SPK_QUANT_LANES - 1) / SPK_QUANT_LANES * SPK_QUANT_LANES;
}

void spk_quant_destroy(struct spk_qmodel *q)
{
	const struct spk_model *m;

	if (q == NULL)
		return;
	m = q->model;
	if (q->site_scale != NULL)
		for (uint32_t s = 0; s < m->n_sites; s++)
			free(q->site_scale[s]);
	if (q->theta != NULL)
		for (uint32_t p = 0; p < m->n_pops; p++)
			free(q->theta[p]);
	if (q->ops != NULL) {
		for (uint32_t i = 0; i < m->n_ops; i++) {
			struct spk_qop *o = &q->ops[i];

			free(o->w);
			free(o->bias);
			free(o->zero);
			free(o->mult);
			free(o->ebias);
			free(o->wscale);
		}
	}
	free(q->site_scale);
	free(q->theta);
	free(q->ops);
	free(q);
}

/* Largest |w'| per output channel of the encoder, w' = weight / (255·std[i]). */
static double enc_real_weight(const struct spk_model *m, const struct spk_op *op, size_t idx)
{
	/* idx into weight[c_in][k][k][c_out]: the input channel is the slowest index. */
	size_t per_in = (size_t)op->kernel * op->kernel * op->c_out;

	return (double)op->weight[idx] / (255.0 * m->std[idx / per_in]);
}

static int site_scales(struct qctx *c)
{
	const struct spk_model *m = c->m;
	struct spk_qmodel *q = c->q;
	bool *has_conv = calloc(m->n_sites, sizeof(*has_conv));
	uint32_t *attn_op = malloc(m->n_sites * sizeof(*attn_op));
	uint32_t *conv_op = malloc(m->n_sites * sizeof(*conv_op));
	int rc = -ENOMEM;

	if (has_conv == NULL || attn_op == NULL || conv_op == NULL) {
		qfail(c, UINT32_MAX, "out of memory");
		goto out_free;
	}
	for (uint32_t s = 0; s < m->n_sites; s++) {
		attn_op[s] = UINT32_MAX;
		q->site_scale[s] = calloc(m->sites[s].channels, sizeof(double));
		if (q->site_scale[s] == NULL) {
			qfail(c, UINT32_MAX, "out of memory");
			goto out_free;
		}
	}
	rc = -EINVAL;
	for (uint32_t i = 0; i < m->n_ops; i++) {
		const struct spk_op *op = &m->ops[i];
		double *sc = q->site_scale[op->dst_site];

		if (op->type == SPK_OP_CONV) {
			size_t rows = (size_t)op->c_in * op->kernel * op->kernel;

			if (attn_op[op->dst_site] != UINT32_MAX) {
				qfail(c, i, "writes site '%.200s', which ATTN op %u also writes (an "
				      "attention site has the fixed scale of its ATTN)",
				      m->sites[op->dst_site].name, attn_op[op->dst_site]);
				goto out_free;
			}
			has_conv[op->dst_site] = true;
			conv_op[op->dst_site] = i;
			for (size_t r = 0; r < rows; r++)
				for (uint32_t o = 0; o < op->c_out; o++)
					sc[o] = fmax(sc[o], fabs((double)op->weight[r * op->c_out + o]));
		} else if (op->type == SPK_OP_ATTN) {
			uint32_t prev = attn_op[op->dst_site];

			if (has_conv[op->dst_site]) {
				qfail(c, i, "writes site '%.200s', which CONV op %u also writes (an "
				      "attention site has the fixed scale of its ATTN)",
				      m->sites[op->dst_site].name, conv_op[op->dst_site]);
				goto out_free;
			}
			if (prev != UINT32_MAX && m->ops[prev].scale != op->scale) {
				qfail(c, i, "scale %g differs from that of ATTN op %u (%g) writing the "
				      "same site", op->scale, prev, m->ops[prev].scale);
				goto out_free;
			}
			attn_op[op->dst_site] = i;
		}
	}
	for (uint32_t s = 0; s < m->n_sites; s++) {
		double *sc = q->site_scale[s];

		for (uint32_t ch = 0; ch < m->sites[s].channels; ch++) {
			if (has_conv[s])
				sc[ch] = sc[ch] > 0 ? sc[ch] / q->qmax : 1.0;
			else if (attn_op[s] != UINT32_MAX)
				sc[ch] = m->ops[attn_op[s]].scale;
			else
				sc[ch] = 0;	/* encoder-only (filled below) or unwritten */
		}
	}
	/* Encoder-only site: the encoder's weight scale σ_e. */
	{
		const struct spk_op *op = &m->ops[0];
		double *sc = q->site_scale[op->dst_site];
		size_t n = (size_t)op->c_in * op->kernel * op->kernel * op->c_out;

		if (!has_conv[op->dst_site] && attn_op[op->dst_site] == UINT32_MAX) {
			for (size_t k = 0; k < n; k++) {
				uint32_t o = (uint32_t)(k % op->c_out);

				sc[o] = fmax(sc[o], fabs(enc_real_weight(m, op, k)));
			}
			for (uint32_t o = 0; o < op->c_out; o++)
				sc[o] = sc[o] > 0 ? sc[o] / q->qmax : 1.0;
		}
	}
	for (uint32_t s = 0; s < m->n_sites; s++)
		for (uint32_t ch = 0; ch < m->sites[s].channels; ch++)
			if (q->site_scale[s][ch] == 0)
				q->site_scale[s][ch] = 1.0;	/* unwritten site */
	rc = 0;
out_free:
	free(conv_op);
	free(attn_op);
	free(has_conv);
	return rc;
}

static int quant_conv(struct qctx *c, uint32_t i)
{
	const struct spk_op *op = &c->m->ops[i];
	struct spk_qop *qo = &c->q->ops[i];
	const double *sc = c->q->site_scale[op->dst_site];
	size_t rows = (size_t)op->c_in * op->kernel * op->kernel;

	if ((double)rows * c->q->qmax > LIMIT_I32)
		return qfail(c, i, "%zu inputs per neuron at %d-bit weights could overflow the "
			     "32-bit accumulator", rows, c->q->weight_bits);
	qo->stride = pad_lanes(op->c_out);
	qo->w = calloc(rows * qo->stride, sizeof(*qo->w));
	qo->bias = malloc(op->c_out * sizeof(*qo->bias));
	if (qo->w == NULL || qo->bias == NULL)
		return qfail(c, i, "out of memory");
	for (size_t r = 0; r < rows; r++)
		for (uint32_t o = 0; o < op->c_out; o++)
			qo->w[r * qo->stride + o] =
				clamp_q((double)op->weight[r * op->c_out + o] / sc[o], c->q->qmax);
	for (uint32_t o = 0; o < op->c_out; o++) {
		int64_t b;

		if (!to_int((double)op->bias[o] / sc[o], LIMIT_I32, &b))
			return qfail(c, i, "bias[%u] = %g is %g at the site's scale %g: beyond the "
				     "32-bit bias word", o, (double)op->bias[o],
				     (double)op->bias[o] / sc[o], sc[o]);
		qo->bias[o] = (int32_t)b;
	}
	return 0;
}

static int quant_encoder(struct qctx *c, uint32_t i)
{
	const struct spk_model *m = c->m;
	const struct spk_op *op = &m->ops[i];
	struct spk_qop *qo = &c->q->ops[i];
	const double *sc = c->q->site_scale[op->dst_site];
	size_t per_in = (size_t)op->kernel * op->kernel;
	size_t rows = op->c_in * per_in;
	double maxdev = 0;

	qo->stride = pad_lanes(op->c_out);
	qo->w = calloc(rows * qo->stride, sizeof(*qo->w));
	qo->zero = malloc(op->c_in * sizeof(*qo->zero));
	qo->mult = malloc(op->c_out * sizeof(*qo->mult));
	qo->ebias = malloc(op->c_out * sizeof(*qo->ebias));
	qo->wscale = calloc(op->c_out, sizeof(*qo->wscale));
	if (qo->w == NULL || qo->zero == NULL || qo->mult == NULL || qo->ebias == NULL ||
	    qo->wscale == NULL)
		return qfail(c, i, "out of memory");
	for (uint32_t ch = 0; ch < op->c_in; ch++) {
		int64_t z;

		if (!to_int(255.0 * m->mean[ch], LIMIT_I32 / 1024, &z))
			return qfail(c, i, "zero point 255·mean[%u] = %g is out of range", ch,
				     255.0 * m->mean[ch]);
		qo->zero[ch] = (int32_t)z;
		maxdev = fmax(maxdev, fmax(fabs((double)z), fabs(255.0 - (double)z)));
	}
	if ((double)rows * c->q->qmax * maxdev > LIMIT_I32)
		return qfail(c, i, "%zu taps at %d-bit weights and pixel deviations up to %g could "
			     "overflow the 32-bit accumulator", rows, c->q->weight_bits, maxdev);
	for (size_t r = 0; r < rows; r++)
		for (uint32_t o = 0; o < op->c_out; o++)
			qo->wscale[o] = fmax(qo->wscale[o],
					     fabs(enc_real_weight(m, op, r * op->c_out + o)));
	for (uint32_t o = 0; o < op->c_out; o++)
		qo->wscale[o] = qo->wscale[o] > 0 ? qo->wscale[o] / c->q->qmax : 1.0;
	for (size_t r = 0; r < rows; r++)
		for (uint32_t o = 0; o < op->c_out; o++)
			qo->w[r * qo->stride + o] =
				clamp_q(enc_real_weight(m, op, r * op->c_out + o) / qo->wscale[o],
					c->q->qmax);
	for (uint32_t o = 0; o < op->c_out; o++) {
		double ratio = qo->wscale[o] / sc[o];

		if (!to_int(ratio * (double)(1 << SPK_QUANT_R), LIMIT_I32 - 1, &qo->mult[o]) ||
		    qo->mult[o] >= 2147483647)
			return qfail(c, i, "requantization multiplier of channel %u (%g·2^%d) is not "
				     "below 2^31: the encoder's weight scale %g is too large for "
				     "site scale %g", o, ratio, SPK_QUANT_R, qo->wscale[o], sc[o]);
		if (!to_int((double)op->bias[o] / sc[o], LIMIT_I62, &qo->ebias[o]))
			return qfail(c, i, "bias[%u] = %g is out of range at the site's scale %g", o,
				     (double)op->bias[o], sc[o]);
	}
	return 0;
}

static int quant_linear(struct qctx *c, uint32_t i)
{
	const struct spk_model *m = c->m;
	const struct spk_op *op = &m->ops[i];
	struct spk_qop *qo = &c->q->ops[i];
	size_t n = (size_t)op->c_in * m->classes;
	double mx = 0;

	qo->stride = pad_lanes(m->classes);
	qo->w = calloc((size_t)op->c_in * qo->stride, sizeof(*qo->w));
	qo->ebias = malloc(m->classes * sizeof(*qo->ebias));
	if (qo->w == NULL || qo->ebias == NULL)
		return qfail(c, i, "out of memory");
	for (size_t k = 0; k < n; k++)
		mx = fmax(mx, fabs((double)op->weight[k]));
	qo->head_scale = mx > 0 ? mx / c->q->qmax : 1.0;
	for (uint32_t ch = 0; ch < op->c_in; ch++)
		for (uint32_t k = 0; k < m->classes; k++)
			qo->w[(size_t)ch * qo->stride + k] =
				clamp_q((double)op->weight[(size_t)ch * m->classes + k] /
					qo->head_scale, c->q->qmax);
	for (uint32_t k = 0; k < m->classes; k++)
		if (!to_int((double)op->bias[k] / qo->head_scale, LIMIT_I62 / 65536,
			    &qo->ebias[k]))
			return qfail(c, i, "bias[%u] = %g is out of range at the head's scale %g",
				     k, (double)op->bias[k], qo->head_scale);
	return 0;
}

static int quant_pop(struct qctx *c, uint32_t p)
{
	const struct spk_model *m = c->m;
	const struct spk_pop *pop = &m->pops[p];
	const struct spk_site *s = &m->sites[pop->site];
	const double *sc = c->q->site_scale[pop->site];
	double area = pop->kind == SPK_POP_MEAN ? (double)s->height * s->width : 1.0;

	c->q->theta[p] = malloc(s->channels * sizeof(int64_t));
	if (c->q->theta[p] == NULL)
		return qfail(c, UINT32_MAX, "out of memory");
	for (uint32_t ch = 0; ch < s->channels; ch++) {
		int64_t th;

		if (!to_int(pop->threshold * area / sc[ch], LIMIT_I62 / 4, &th)) {
			qfail(c, UINT32_MAX, "pop %u ('%.200s'): threshold %g is out of range at "
			      "scale %g of channel %u", p, pop->name, pop->threshold, sc[ch], ch);
			return -EINVAL;
		}
		c->q->theta[p][ch] = th < 1 ? 1 : th;
	}
	return 0;
}

struct spk_qmodel *spk_quant_create(const struct spk_model *m, int weight_bits,
				    int membrane_bits, char *err, size_t errlen)
{
	struct qctx c = { .m = m, .err = err, .errlen = errlen };
	struct spk_qmodel *q;
	int rc = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (weight_bits < 2 || weight_bits > 16) {
		qfail(&c, UINT32_MAX, "weight_bits %d is outside 2..16 (1-bit signed weights have "
		      "qmax 0)", weight_bits);
		return NULL;
	}
	if (membrane_bits < 2 || membrane_bits > 32) {
		qfail(&c, UINT32_MAX, "membrane_bits %d is outside 2..32", membrane_bits);
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	c.q = q;
	q->model = m;
	q->weight_bits = weight_bits;
	q->membrane_bits = membrane_bits;
	q->qmax = (int32_t)((1u << (weight_bits - 1)) - 1);
	q->vmax = spk_sem_vmax(membrane_bits);
	q->vmin = -q->vmax - 1;
	q->site_scale = calloc(m->n_sites, sizeof(*q->site_scale));
	q->theta = calloc(m->n_pops, sizeof(*q->theta));
	q->ops = calloc(m->n_ops, sizeof(*q->ops));
	if (q->site_scale == NULL || q->theta == NULL || q->ops == NULL) {
		qfail(&c, UINT32_MAX, "out of memory");
		goto out_destroy;
	}
	if (site_scales(&c) < 0)
		goto out_destroy;
	for (uint32_t i = 0; i < m->n_ops && rc == 0; i++) {
		switch (m->ops[i].type) {
		case SPK_OP_ENCODER:
			rc = quant_encoder(&c, i);
			break;
		case SPK_OP_CONV:
			rc = quant_conv(&c, i);
			break;
		case SPK_OP_LINEAR:
			rc = quant_linear(&c, i);
			break;
		case SPK_OP_FIRE:
		case SPK_OP_ATTN:
			break;
		}
	}
	for (uint32_t p = 0; p < m->n_pops && rc == 0; p++)
		rc = quant_pop(&c, p);
	if (rc < 0)
		goto out_destroy;
	return q;
out_destroy:
	spk_quant_destroy(q);
	return NULL;
}
