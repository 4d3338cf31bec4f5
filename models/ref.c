/*
 * ref.c — reference inference, integer and float64; see ref.h for what it computes.
 *
 * Data layout. Every site is stored channel-last, [y][x][c] (index (y·W + x)·C + c), so the C
 * output channels of one position are contiguous. A population's spikes of one timestep are a
 * list grouped by position: for each position with at least one spike, its (y, x) and the
 * ascending list of its spiking channels. Integer weights are [c_in][ky][kx][stride] rows
 * padded to SPK_QUANT_LANES (quant.h), so one spike at (c, y, x) and one output position
 * (oy, ox) make one row addition acc[oy][ox][0..stride) += w[c][ky][kx][0..stride). The engine
 * adds its own int16 copy of the CONV and LINEAR rows (w16; weights have at most 16 bits), half
 * the bytes of the quantizer's int32 ones for the load-bound row additions to read.
 *
 * The hot loop (spk_rowadd, models/rowadd.h) adds the rows of all spiking channels of one input
 * position into one output row, 32 lanes at a time, keeping the accumulators in registers
 * across the channels: one load per weight lane, one load and store of the accumulator per
 * (position, tap) instead of per spike. Receptive-field bounds are tables computed once per
 * CONV (conv_ranges), so a spike costs no division. The arithmetic of doc/semantics.md (LIF,
 * requantization) is models/semantics.h's, shared with the chip image's executor.
 *
 * Nothing here allocates after spk_ref_create(); running an image touches only the flat
 * arrays made there.
 */
#include "config.h"

#include "models/ref.h"
#include "models/rowadd.h"
#include "models/semantics.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output positions [lo, hi) whose receptive field holds one input coordinate. */
struct range {
	uint16_t lo, hi;
};

struct spikes {
	uint32_t n_pos;		/* positions with a spike */
	uint32_t n;		/* spikes */
	uint16_t *py, *px;	/* [positions] */
	uint32_t *begin;	/* [positions + 1]: spikes of group g are ch[begin[g] .. begin[g+1]) */
	uint32_t *ch;		/* [neurons] */
};

struct pop_state {
	int64_t *vi;		/* integer membranes [neurons], channel-last */
	double *vf;		/* float membranes */
	int64_t *th2;		/* integer mode: 2·θ per channel */
	struct spikes s;
};

struct spk_ref {
	const struct spk_model *m;
	const struct spk_qmodel *q;	/* NULL in float mode */
	uint32_t T;
	int64_t **site_i;		/* [n_sites][H·W·C] */
	double **site_f;
	struct pop_state *pops;
	struct range **ry, **rx;	/* [n_ops]: CONV receptive-field tables */
	double **wd;			/* float mode, [n_ops]: CONV weights as double (the
					   float32 values converted once; the inner loop then
					   vectorises: same sums, in the same order) */
	int16_t **w16;			/* integer mode, [n_ops]: CONV and LINEAR rows as int16
					   (weights have at most 16 bits, quant.h): the rows the
					   row additions load, in half the bytes of qo->w */
	int32_t *acc32;			/* CONV/LINEAR int32 accumulator */
	int64_t *enc_i;			/* encoder contribution of the current image */
	double *enc_f;
	double *xnorm;			/* float mode: the normalised image [C][H][W] */
	int64_t *kv;			/* ATTN: counts [C][d] */
	int64_t *sum_i;			/* spatial-mean sums / LINEAR scores scratch */
	double *sum_f;
	int64_t *score_i;		/* [classes] */
	double *score_f;
	uint32_t *ids;			/* spike-hook scratch */
	spk_ref_spike_fn hook;
	void *hook_ctx;
	struct spk_ref_stats st;
	bool avx2;			/* CONV rows added eight lanes at a time (models/rowadd.h) */
};

/* ---- creation -------------------------------------------------------------------------- */

static struct range *conv_ranges(uint32_t in, uint32_t out, uint32_t kernel, uint32_t stride,
				 uint32_t pad)
{
	struct range *r = malloc(in * sizeof(*r));

	if (r == NULL)
		return NULL;
	for (uint32_t y = 0; y < in; y++) {
		uint32_t lo, hi;

		spk_sem_reach(y, kernel, stride, pad, 0, out, &lo, &hi);
		r[y].lo = (uint16_t)lo;
		r[y].hi = (uint16_t)hi;
	}
	return r;
}

void spk_ref_destroy(struct spk_ref *r)
{
	const struct spk_model *m;

	if (r == NULL)
		return;
	m = r->m;
	if (r->site_i != NULL)
		for (uint32_t s = 0; s < m->n_sites; s++)
			free(r->site_i[s]);
	if (r->site_f != NULL)
		for (uint32_t s = 0; s < m->n_sites; s++)
			free(r->site_f[s]);
	if (r->pops != NULL) {
		for (uint32_t p = 0; p < m->n_pops; p++) {
			struct pop_state *ps = &r->pops[p];

			free(ps->vi);
			free(ps->vf);
			free(ps->th2);
			free(ps->s.py);
			free(ps->s.px);
			free(ps->s.begin);
			free(ps->s.ch);
		}
	}
	if (r->ry != NULL)
		for (uint32_t i = 0; i < m->n_ops; i++)
			free(r->ry[i]);
	if (r->rx != NULL)
		for (uint32_t i = 0; i < m->n_ops; i++)
			free(r->rx[i]);
	if (r->wd != NULL)
		for (uint32_t i = 0; i < m->n_ops; i++)
			free(r->wd[i]);
	free(r->wd);
	if (r->w16 != NULL)
		for (uint32_t i = 0; i < m->n_ops; i++)
			free(r->w16[i]);
	free(r->w16);
	free(r->site_i);
	free(r->site_f);
	free(r->pops);
	free(r->ry);
	free(r->rx);
	free(r->acc32);
	free(r->enc_i);
	free(r->enc_f);
	free(r->xnorm);
	free(r->kv);
	free(r->sum_i);
	free(r->sum_f);
	free(r->score_i);
	free(r->score_f);
	free(r->ids);
	free(r->st.pop_spikes);
	free(r->st.op_sops);
	free(r->st.op_attn);
	free(r->st.op_dense);
	free(r);
}

static int alloc_pop(struct spk_ref *r, uint32_t p)
{
	const struct spk_model *m = r->m;
	const struct spk_pop *pop = &m->pops[p];
	const struct spk_site *s = &m->sites[pop->site];
	struct pop_state *ps = &r->pops[p];
	size_t neurons = spk_model_pop_neurons(m, p);
	size_t positions = pop->kind == SPK_POP_MEAN ? 1 : (size_t)s->height * s->width;

	if (r->q != NULL) {
		ps->vi = calloc(neurons, sizeof(*ps->vi));
		ps->th2 = malloc(s->channels * sizeof(*ps->th2));
		if (ps->vi == NULL || ps->th2 == NULL)
			return -ENOMEM;
		for (uint32_t c = 0; c < s->channels; c++)
			ps->th2[c] = 2 * r->q->theta[p][c];
	} else {
		ps->vf = calloc(neurons, sizeof(*ps->vf));
		if (ps->vf == NULL)
			return -ENOMEM;
	}
	ps->s.py = malloc(positions * sizeof(*ps->s.py));
	ps->s.px = malloc(positions * sizeof(*ps->s.px));
	ps->s.begin = calloc(positions + 1, sizeof(*ps->s.begin));
	ps->s.ch = malloc(neurons * sizeof(*ps->s.ch));
	if (ps->s.py == NULL || ps->s.px == NULL || ps->s.begin == NULL || ps->s.ch == NULL)
		return -ENOMEM;
	return 0;
}

/* A copy of n integer weights as int16; NULL when out of memory. */
static int16_t *rows16(const int32_t *w, size_t n)
{
	int16_t *v = malloc(n * sizeof(*v));

	if (v == NULL)
		return NULL;
	for (size_t k = 0; k < n; k++) {
		assert(w[k] >= INT16_MIN && w[k] <= INT16_MAX);
		v[k] = (int16_t)w[k];
	}
	return v;
}

/* Sizes a scratch buffer for the largest of its users. */
static void grow(size_t *have, size_t want)
{
	if (want > *have)
		*have = want;
}

struct spk_ref *spk_ref_create(const struct spk_model *m, const struct spk_qmodel *q,
			       uint32_t time_steps, char *err, size_t errlen)
{
	struct spk_ref *r = calloc(1, sizeof(*r));
	size_t acc = SPK_QUANT_LANES, kv = 1, sum = 1, ids = 1;

	if (r == NULL)
		goto out_nomem;
	r->m = m;
	r->q = q;
	r->T = time_steps ? time_steps : m->time_steps;
	r->avx2 = spk_cpu_avx2();
	r->st.time_steps = r->T;
	r->pops = calloc(m->n_pops, sizeof(*r->pops));
	r->ry = calloc(m->n_ops, sizeof(*r->ry));
	r->rx = calloc(m->n_ops, sizeof(*r->rx));
	if (q == NULL && (r->wd = calloc(m->n_ops, sizeof(*r->wd))) == NULL)
		goto out_nomem;
	if (q != NULL && (r->w16 = calloc(m->n_ops, sizeof(*r->w16))) == NULL)
		goto out_nomem;
	r->st.pop_spikes = calloc(m->n_pops, sizeof(uint64_t));
	r->st.op_sops = calloc(m->n_ops, sizeof(uint64_t));
	r->st.op_attn = calloc(m->n_ops, sizeof(uint64_t));
	r->st.op_dense = calloc(m->n_ops, sizeof(uint64_t));
	if (q != NULL)
		r->site_i = calloc(m->n_sites, sizeof(*r->site_i));
	else
		r->site_f = calloc(m->n_sites, sizeof(*r->site_f));
	if (r->pops == NULL || r->ry == NULL || r->rx == NULL || r->st.pop_spikes == NULL ||
	    r->st.op_sops == NULL || r->st.op_attn == NULL || r->st.op_dense == NULL ||
	    (r->site_i == NULL && r->site_f == NULL))
		goto out_nomem;
	for (uint32_t s = 0; s < m->n_sites; s++) {
		size_t n = spk_model_site_size(m, s);

		if (q != NULL ? (r->site_i[s] = calloc(n, sizeof(int64_t))) == NULL
			      : (r->site_f[s] = calloc(n, sizeof(double))) == NULL)
			goto out_nomem;
		grow(&ids, n);
		grow(&sum, m->sites[s].channels);
	}
	for (uint32_t p = 0; p < m->n_pops; p++)
		if (alloc_pop(r, p) < 0)
			goto out_nomem;
	for (uint32_t i = 0; i < m->n_ops; i++) {
		const struct spk_op *op = &m->ops[i];
		uint32_t stride = q != NULL ? q->ops[i].stride : op->c_out;

		switch (op->type) {
		case SPK_OP_ENCODER:
			r->st.enc_macs = (uint64_t)op->kernel * op->kernel * op->h_out * op->w_out *
					 op->c_in * op->c_out;
			grow(&acc, stride);
			break;
		case SPK_OP_CONV:
			r->st.op_dense[i] = (uint64_t)op->kernel * op->kernel * op->h_out *
					    op->w_out * op->c_in * op->c_out;
			r->ry[i] = conv_ranges(op->h_in, op->h_out, op->kernel, op->stride, op->pad);
			r->rx[i] = conv_ranges(op->w_in, op->w_out, op->kernel, op->stride, op->pad);
			if (r->ry[i] == NULL || r->rx[i] == NULL)
				goto out_nomem;
			if (q == NULL) {
				size_t nw = (size_t)op->c_in * op->kernel * op->kernel * op->c_out;

				if ((r->wd[i] = malloc(nw * sizeof(double))) == NULL)
					goto out_nomem;
				for (size_t k = 0; k < nw; k++)
					r->wd[i][k] = op->weight[k];
			} else if ((r->w16[i] = rows16(q->ops[i].w, (size_t)op->c_in * op->kernel *
						       op->kernel * stride)) == NULL) {
				goto out_nomem;
			}
			grow(&acc, (size_t)op->h_out * op->w_out * stride);
			break;
		case SPK_OP_ATTN: {
			uint64_t d = op->c_out / op->heads;

			r->st.op_dense[i] = 2 * (uint64_t)op->h_out * op->w_out * d * d * op->heads;
			grow(&kv, (size_t)op->c_out * d);
			break;
		}
		case SPK_OP_LINEAR:
			r->st.op_dense[i] = (uint64_t)op->c_in * m->classes;
			grow(&acc, stride);
			if (q != NULL &&
			    (r->w16[i] = rows16(q->ops[i].w, (size_t)op->c_in * stride)) == NULL)
				goto out_nomem;
			break;
		case SPK_OP_FIRE:
			break;
		}
	}
	{
		const struct spk_op *enc = &m->ops[0];
		size_t n = spk_model_site_size(m, enc->dst_site);

		if (q != NULL) {
			r->enc_i = malloc(n * sizeof(*r->enc_i));
			r->acc32 = malloc(acc * sizeof(*r->acc32));
			r->sum_i = malloc(sum * sizeof(*r->sum_i));
			r->score_i = calloc(m->classes, sizeof(*r->score_i));
			if (r->enc_i == NULL || r->acc32 == NULL || r->sum_i == NULL ||
			    r->score_i == NULL)
				goto out_nomem;
		} else {
			r->enc_f = malloc(n * sizeof(*r->enc_f));
			r->xnorm = malloc((size_t)m->in_channels * m->in_height * m->in_width *
					  sizeof(*r->xnorm));
			r->sum_f = malloc(sum * sizeof(*r->sum_f));
			r->score_f = calloc(m->classes, sizeof(*r->score_f));
			if (r->enc_f == NULL || r->xnorm == NULL || r->sum_f == NULL ||
			    r->score_f == NULL)
				goto out_nomem;
		}
		r->kv = malloc(kv * sizeof(*r->kv));
		r->ids = malloc(ids * sizeof(*r->ids));
		if (r->kv == NULL || r->ids == NULL)
			goto out_nomem;
	}
	return r;
out_nomem:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "out of memory for the reference inference's state");
	spk_ref_destroy(r);
	return NULL;
}

void spk_ref_set_spike_hook(struct spk_ref *r, spk_ref_spike_fn fn, void *ctx)
{
	r->hook = fn;
	r->hook_ctx = ctx;
}

const struct spk_ref_stats *spk_ref_get_stats(const struct spk_ref *r)
{
	return &r->st;
}

const int64_t *spk_ref_membranes(const struct spk_ref *r, uint32_t pop)
{
	return r->pops[pop].vi;
}

const int64_t *spk_ref_scores(const struct spk_ref *r)
{
	return r->score_i;
}

const int64_t *spk_ref_encoder_out(const struct spk_ref *r)
{
	return r->q != NULL ? r->enc_i : NULL;
}

/* ---- ENCODER --------------------------------------------------------------------------- */

static void encoder_int(struct spk_ref *r, const uint8_t *img)
{
	const struct spk_op *op = &r->m->ops[0];
	const struct spk_qop *qo = &r->q->ops[0];
	const uint32_t k = op->kernel, cs = qo->stride, C = op->c_out;
	int32_t *restrict acc = r->acc32;

	for (uint32_t oy = 0; oy < op->h_out; oy++) {
		for (uint32_t ox = 0; ox < op->w_out; ox++) {
			int64_t *e = r->enc_i + ((size_t)oy * op->w_out + ox) * C;

			memset(acc, 0, cs * sizeof(*acc));
			for (uint32_t ci = 0; ci < op->c_in; ci++) {
				for (uint32_t ky = 0; ky < k; ky++) {
					int64_t iy = (int64_t)oy * op->stride + ky - op->pad;

					if (iy < 0 || iy >= op->h_in)
						continue;
					for (uint32_t kx = 0; kx < k; kx++) {
						int64_t ix = (int64_t)ox * op->stride + kx - op->pad;
						const int32_t *restrict w;
						int32_t d;

						if (ix < 0 || ix >= op->w_in)
							continue;
						d = (int32_t)img[((size_t)ci * op->h_in + iy) *
								 op->w_in + ix] - qo->zero[ci];
						if (d == 0)
							continue;
						w = qo->w + (((size_t)ci * k + ky) * k + kx) * cs;
						for (uint32_t o = 0; o < cs; o++)
							acc[o] += w[o] * d;
					}
				}
			}
			for (uint32_t o = 0; o < C; o++)
				e[o] = spk_sem_requant(acc[o], qo->mult[o], qo->ebias[o]);
		}
	}
}

static void encoder_float(struct spk_ref *r, const double *img)
{
	const struct spk_model *m = r->m;
	const struct spk_op *op = &m->ops[0];
	const uint32_t k = op->kernel, C = op->c_out;
	size_t plane = (size_t)op->h_in * op->w_in;

	for (uint32_t ci = 0; ci < op->c_in; ci++)
		for (size_t i = 0; i < plane; i++)
			r->xnorm[ci * plane + i] = (img[ci * plane + i] / 255.0 - m->mean[ci]) /
						   m->std[ci];
	for (uint32_t oy = 0; oy < op->h_out; oy++) {
		for (uint32_t ox = 0; ox < op->w_out; ox++) {
			double *e = r->enc_f + ((size_t)oy * op->w_out + ox) * C;

			for (uint32_t o = 0; o < C; o++)
				e[o] = op->bias[o];
			for (uint32_t ci = 0; ci < op->c_in; ci++) {
				for (uint32_t ky = 0; ky < k; ky++) {
					int64_t iy = (int64_t)oy * op->stride + ky - op->pad;

					if (iy < 0 || iy >= op->h_in)
						continue;
					for (uint32_t kx = 0; kx < k; kx++) {
						int64_t ix = (int64_t)ox * op->stride + kx - op->pad;
						const float *w;
						double x;

						if (ix < 0 || ix >= op->w_in)
							continue;
						x = r->xnorm[ci * plane + (size_t)iy * op->w_in + ix];
						w = op->weight + (((size_t)ci * k + ky) * k + kx) * C;
						for (uint32_t o = 0; o < C; o++)
							e[o] += (double)w[o] * x;
					}
				}
			}
		}
	}
}

/* ---- FIRE ------------------------------------------------------------------------------ */

static void fire_int(struct spk_ref *r, uint32_t p)
{
	const struct spk_pop *pop = &r->m->pops[p];
	const struct spk_site *s = &r->m->sites[pop->site];
	struct pop_state *ps = &r->pops[p];
	const int64_t *restrict x = r->site_i[pop->site];
	int64_t *restrict v = ps->vi;
	const int64_t *restrict th2 = ps->th2;
	const int64_t vmin = r->q->vmin, vmax = r->q->vmax;
	const uint32_t C = s->channels;
	struct spikes *sp = &ps->s;
	uint32_t n = 0, g = 0;

	if (pop->kind == SPK_POP_MEAN) {
		size_t hw = (size_t)s->height * s->width;
		int64_t *restrict sum = r->sum_i;

		memset(sum, 0, C * sizeof(*sum));
		for (size_t pos = 0; pos < hw; pos++)
			for (uint32_t c = 0; c < C; c++)
				sum[c] += x[pos * C + c];
		x = sum;
		for (uint32_t c = 0; c < C; c++)
			if (spk_sem_lif(&v[c], x[c], th2[c], vmin, vmax))
				sp->ch[n++] = c;
		if (n > 0) {
			sp->py[0] = sp->px[0] = 0;
			sp->begin[0] = 0;
			g = 1;
		}
	} else {
		for (uint32_t y = 0; y < s->height; y++) {
			for (uint32_t xx = 0; xx < s->width; xx++) {
				size_t base = ((size_t)y * s->width + xx) * C;
				uint32_t start = n;

				for (uint32_t c = 0; c < C; c++)
					if (spk_sem_lif(&v[base + c], x[base + c], th2[c], vmin,
							vmax))
						sp->ch[n++] = c;
				if (n > start) {
					sp->py[g] = (uint16_t)y;
					sp->px[g] = (uint16_t)xx;
					sp->begin[g++] = start;
				}
			}
		}
	}
	sp->begin[g] = n;
	sp->n_pos = g;
	sp->n = n;
	r->st.pop_spikes[p] += n;
}

static void fire_float(struct spk_ref *r, uint32_t p)
{
	const struct spk_pop *pop = &r->m->pops[p];
	const struct spk_site *s = &r->m->sites[pop->site];
	struct pop_state *ps = &r->pops[p];
	const double *x = r->site_f[pop->site];
	double *v = ps->vf;
	const double th = pop->threshold;
	const uint32_t C = s->channels;
	struct spikes *sp = &ps->s;
	uint32_t n = 0, g = 0;

	if (pop->kind == SPK_POP_MEAN) {
		size_t hw = (size_t)s->height * s->width;
		double *sum = r->sum_f;

		for (uint32_t c = 0; c < C; c++)
			sum[c] = 0;
		for (size_t pos = 0; pos < hw; pos++)
			for (uint32_t c = 0; c < C; c++)
				sum[c] += x[pos * C + c];
		for (uint32_t c = 0; c < C; c++) {
			double h = (v[c] + sum[c] / (double)hw) * 0.5;

			if (h >= th) {
				v[c] = 0;
				sp->ch[n++] = c;
			} else {
				v[c] = h;
			}
		}
		if (n > 0) {
			sp->py[0] = sp->px[0] = 0;
			sp->begin[0] = 0;
			g = 1;
		}
	} else {
		for (uint32_t y = 0; y < s->height; y++) {
			for (uint32_t xx = 0; xx < s->width; xx++) {
				size_t base = ((size_t)y * s->width + xx) * C;
				uint32_t start = n;

				for (uint32_t c = 0; c < C; c++) {
					double h = (v[base + c] + x[base + c]) * 0.5;

					if (h >= th) {
						v[base + c] = 0;
						sp->ch[n++] = c;
					} else {
						v[base + c] = h;
					}
				}
				if (n > start) {
					sp->py[g] = (uint16_t)y;
					sp->px[g] = (uint16_t)xx;
					sp->begin[g++] = start;
				}
			}
		}
	}
	sp->begin[g] = n;
	sp->n_pos = g;
	sp->n = n;
	r->st.pop_spikes[p] += n;
}

static int report_spikes(struct spk_ref *r, uint32_t t, uint32_t p)
{
	const struct spk_pop *pop = &r->m->pops[p];
	const struct spk_site *s = &r->m->sites[pop->site];
	const struct spikes *sp = &r->pops[p].s;
	const size_t hw = (size_t)s->height * s->width;
	uint32_t n = 0;

	for (uint32_t g = 0; g < sp->n_pos; g++) {
		for (uint32_t k = sp->begin[g]; k < sp->begin[g + 1]; k++) {
			uint32_t c = sp->ch[k];

			r->ids[n++] = pop->kind == SPK_POP_MEAN ? c :
				(uint32_t)(c * hw + (size_t)sp->py[g] * s->width + sp->px[g]);
		}
	}
	return r->hook(r->hook_ctx, t, p, r->ids, n);
}

/* ---- CONV ------------------------------------------------------------------------------ */

/* One CONV in integers; wide: with spk_rowadd8() (a function compiled for AVX2 only). */
static inline __attribute__((always_inline)) void conv_int_with(struct spk_ref *r, uint32_t i,
								 bool wide)
{
	const struct spk_op *op = &r->m->ops[i];
	const struct spk_qop *qo = &r->q->ops[i];
	const struct spikes *sp = &r->pops[op->src_pop].s;
	const struct range *ry = r->ry[i], *rx = r->rx[i];
	const uint32_t k = op->kernel, stride = op->stride, pad = op->pad, cs = qo->stride;
	const uint32_t wo = op->w_out, C = op->c_out;
	const size_t cstride = (size_t)k * k * cs, npos = (size_t)op->h_out * wo;
	int32_t *restrict acc = r->acc32;
	int64_t *restrict site = r->site_i[op->dst_site];
	const int32_t *restrict bias = qo->bias;
	uint64_t taps = 0;

	memset(acc, 0, npos * cs * sizeof(*acc));
	for (uint32_t g = 0; g < sp->n_pos; g++) {
		const uint32_t y = sp->py[g], x = sp->px[g];
		const uint32_t b = sp->begin[g], nch = sp->begin[g + 1] - b;
		const struct range yr = ry[y], xr = rx[x];

		if (yr.lo >= yr.hi || xr.lo >= xr.hi)
			continue;
		taps += (uint64_t)(yr.hi - yr.lo) * (xr.hi - xr.lo) * nch;
		for (uint32_t oy = yr.lo; oy < yr.hi; oy++) {
			const uint32_t ky = y + pad - oy * stride;

			for (uint32_t ox = xr.lo; ox < xr.hi; ox++) {
				const uint32_t kx = x + pad - ox * stride;

				int32_t *a = acc + ((size_t)oy * wo + ox) * cs;
				const int16_t *w = r->w16[i] + ((size_t)ky * k + kx) * cs;

				if (wide)
					spk_rowadd8(a, w, cstride, sp->ch + b, nch, cs);
				else
					spk_rowadd(a, w, cstride, sp->ch + b, nch, cs);
			}
		}
	}
	r->st.op_sops[i] += taps * C;
	for (size_t pos = 0; pos < npos; pos++) {
		const int32_t *restrict a = acc + pos * cs;
		int64_t *restrict o = site + pos * C;

		for (uint32_t c = 0; c < C; c++)
			o[c] += (int64_t)a[c] + bias[c];
	}
}

static void conv_int(struct spk_ref *r, uint32_t i)
{
	conv_int_with(r, i, false);
}

SPK_TARGET_AVX2 static void conv_int_avx2(struct spk_ref *r, uint32_t i)
{
	conv_int_with(r, i, true);
}

static void conv_float(struct spk_ref *r, uint32_t i)
{
	const struct spk_op *op = &r->m->ops[i];
	const struct spikes *sp = &r->pops[op->src_pop].s;
	const struct range *ry = r->ry[i], *rx = r->rx[i];
	const uint32_t k = op->kernel, stride = op->stride, pad = op->pad;
	const uint32_t wo = op->w_out, C = op->c_out;
	const size_t cstride = (size_t)k * k * C, npos = (size_t)op->h_out * wo;
	double *site = r->site_f[op->dst_site];
	uint64_t taps = 0;

	for (uint32_t g = 0; g < sp->n_pos; g++) {
		const uint32_t y = sp->py[g], x = sp->px[g];
		const uint32_t b = sp->begin[g], e = sp->begin[g + 1];
		const struct range yr = ry[y], xr = rx[x];

		if (yr.lo >= yr.hi || xr.lo >= xr.hi)
			continue;
		taps += (uint64_t)(yr.hi - yr.lo) * (xr.hi - xr.lo) * (e - b);
		for (uint32_t oy = yr.lo; oy < yr.hi; oy++) {
			const uint32_t ky = y + pad - oy * stride;

			for (uint32_t ox = xr.lo; ox < xr.hi; ox++) {
				const uint32_t kx = x + pad - ox * stride;
				double *restrict o = site + ((size_t)oy * wo + ox) * C;
				const double *tap = r->wd[i] + ((size_t)ky * k + kx) * C;

				spk_rowadd_f64(o, tap, cstride, sp->ch + b, e - b, C);
			}
		}
	}
	r->st.op_sops[i] += taps * C;
	for (size_t pos = 0; pos < npos; pos++)
		for (uint32_t c = 0; c < C; c++)
			site[pos * C + c] += (double)op->bias[c];
}

/* ---- ATTN ------------------------------------------------------------------------------ */

/* KV[c_k][j] = Σ_n K[n][c_k] · V[n][h·d + j] for c_k in head h; returns the additions made. */
static uint64_t attn_kv(struct spk_ref *r, const struct spk_op *op)
{
	const struct spikes *K = &r->pops[op->k_pop].s, *V = &r->pops[op->v_pop].s;
	const uint32_t W = op->w_out, d = op->c_out / op->heads;
	int64_t *kv = r->kv;
	uint32_t gk = 0, gv = 0;
	uint64_t adds = 0;

	memset(kv, 0, (size_t)op->c_out * d * sizeof(*kv));
	while (gk < K->n_pos && gv < V->n_pos) {
		uint32_t nk = (uint32_t)K->py[gk] * W + K->px[gk];
		uint32_t nv = (uint32_t)V->py[gv] * W + V->px[gv];
		uint32_t vb, ve, hb, he, head = UINT32_MAX;

		if (nk < nv) {
			gk++;
			continue;
		}
		if (nv < nk) {
			gv++;
			continue;
		}
		vb = V->begin[gv];
		ve = V->begin[gv + 1];
		hb = he = vb;
		for (uint32_t s = K->begin[gk]; s < K->begin[gk + 1]; s++) {
			const uint32_t ck = K->ch[s], h = ck / d;
			int64_t *row = kv + (size_t)ck * d;

			if (h != head) {	/* V spikes of this head: channels [h·d, (h+1)·d) */
				head = h;
				hb = he > hb ? he : hb;
				while (hb < ve && V->ch[hb] < h * d)
					hb++;
				he = hb;
				while (he < ve && V->ch[he] < (h + 1) * d)
					he++;
			}
			for (uint32_t j = hb; j < he; j++)
				row[V->ch[j] - h * d]++;
			adds += he - hb;
		}
		gk++;
		gv++;
	}
	return adds;
}

static void attn(struct spk_ref *r, uint32_t i)
{
	const struct spk_op *op = &r->m->ops[i];
	const struct spikes *Q = &r->pops[op->q_pop].s;
	const uint32_t W = op->w_out, C = op->c_out, d = C / op->heads;
	uint64_t adds = attn_kv(r, op);

	for (uint32_t g = 0; g < Q->n_pos; g++) {
		size_t base = ((size_t)Q->py[g] * W + Q->px[g]) * C;

		for (uint32_t s = Q->begin[g]; s < Q->begin[g + 1]; s++) {
			const uint32_t cq = Q->ch[s], h0 = cq / d * d;
			const int64_t *restrict row = r->kv + (size_t)cq * d;

			if (r->q != NULL) {
				int64_t *restrict o = r->site_i[op->dst_site] + base + h0;

				for (uint32_t j = 0; j < d; j++)
					o[j] += row[j];
			} else {
				double *restrict o = r->site_f[op->dst_site] + base + h0;

				for (uint32_t j = 0; j < d; j++)
					o[j] += op->scale * (double)row[j];
			}
		}
		adds += (uint64_t)(Q->begin[g + 1] - Q->begin[g]) * d;
	}
	r->st.op_attn[i] += adds;
}

/* ---- LINEAR ---------------------------------------------------------------------------- */

static void linear_int(struct spk_ref *r, uint32_t i)
{
	const struct spk_op *op = &r->m->ops[i];
	const struct spk_qop *qo = &r->q->ops[i];
	const struct spikes *sp = &r->pops[op->src_pop].s;
	const uint32_t classes = r->m->classes;

	memset(r->acc32, 0, qo->stride * sizeof(*r->acc32));
	spk_rowadd(r->acc32, r->w16[i], qo->stride, sp->ch, sp->n, qo->stride);
	for (uint32_t k = 0; k < classes; k++)
		r->score_i[k] += qo->ebias[k] + r->acc32[k];
	r->st.op_sops[i] += (uint64_t)sp->n * classes;
}

static void linear_float(struct spk_ref *r, uint32_t i)
{
	const struct spk_op *op = &r->m->ops[i];
	const struct spikes *sp = &r->pops[op->src_pop].s;
	const uint32_t classes = r->m->classes;

	for (uint32_t k = 0; k < classes; k++) {
		double l = op->bias[k];

		for (uint32_t s = 0; s < sp->n; s++)
			l += (double)op->weight[(size_t)sp->ch[s] * classes + k];
		r->score_f[k] += l;
	}
	r->st.op_sops[i] += (uint64_t)sp->n * classes;
}

/* ---- one image ------------------------------------------------------------------------- */

int spk_ref_run(struct spk_ref *r, const uint8_t *u8, const double *f64, double *logits)
{
	const struct spk_model *m = r->m;
	const bool integer = r->q != NULL;
	const struct spk_op *enc = &m->ops[0];
	const size_t enc_n = spk_model_site_size(m, enc->dst_site);
	int best = 0;

	for (uint32_t p = 0; p < m->n_pops; p++) {
		size_t n = spk_model_pop_neurons(m, p);

		if (integer)
			memset(r->pops[p].vi, 0, n * sizeof(int64_t));
		else
			for (size_t k = 0; k < n; k++)
				r->pops[p].vf[k] = 0;
	}
	if (integer) {
		memset(r->score_i, 0, m->classes * sizeof(*r->score_i));
		encoder_int(r, u8);
	} else {
		for (uint32_t k = 0; k < m->classes; k++)
			r->score_f[k] = 0;
		encoder_float(r, f64);
	}
	for (uint32_t t = 0; t < r->T; t++) {
		for (uint32_t s = 0; s < m->n_sites; s++) {
			size_t n = spk_model_site_size(m, s);

			if (integer)
				memset(r->site_i[s], 0, n * sizeof(int64_t));
			else
				for (size_t k = 0; k < n; k++)
					r->site_f[s][k] = 0;
		}
		for (uint32_t i = 0; i < m->n_ops; i++) {
			const struct spk_op *op = &m->ops[i];

			switch (op->type) {
			case SPK_OP_ENCODER:
				if (integer) {
					int64_t *site = r->site_i[op->dst_site];

					for (size_t k = 0; k < enc_n; k++)
						site[k] += r->enc_i[k];
				} else {
					double *site = r->site_f[op->dst_site];

					for (size_t k = 0; k < enc_n; k++)
						site[k] += r->enc_f[k];
				}
				break;
			case SPK_OP_FIRE:
				if (integer)
					fire_int(r, op->pop);
				else
					fire_float(r, op->pop);
				if (r->hook != NULL) {
					int rc = report_spikes(r, t, op->pop);

					if (rc < 0)
						return rc;
				}
				break;
			case SPK_OP_CONV:
				if (integer && r->avx2)
					conv_int_avx2(r, i);
				else if (integer)
					conv_int(r, i);
				else
					conv_float(r, i);
				break;
			case SPK_OP_ATTN:
				attn(r, i);
				break;
			case SPK_OP_LINEAR:
				if (integer)
					linear_int(r, i);
				else
					linear_float(r, i);
				break;
			}
		}
	}
	for (uint32_t k = 0; k < m->classes; k++) {
		if (integer) {
			logits[k] = (double)r->score_i[k] * r->q->ops[m->n_ops - 1].head_scale /
				    r->T;
			if (r->score_i[k] > r->score_i[best])
				best = (int)k;
		} else {
			logits[k] = r->score_f[k] / r->T;
			if (logits[k] > logits[best])
				best = (int)k;
		}
	}
	r->st.images++;
	return best;
}
