/*
 * bench_ref.c — `make bench` for the reference inference: SOPs per second of the integer and
 * float64 engines on one core.
 *
 *   bench_ref [MODEL.spkm] [IMAGES]
 *
 * Without a model it builds a synthetic Meta-SpikeFormer-like network with realistic widths
 * (28x28 input, widths 32/64/96, a dense 7x7 merged SepConv, 4x MLP, 8-head attention at 7x7)
 * and random weights; the firing rate it lands on is printed with the speed, since SOP/s
 * depends on the layer widths more than on the rate. Images are Fashion-MNIST test images
 * when the set is installed, random pixels otherwise. Not a test: nothing is asserted.
 */
#include "config.h"

#include "data/idx.h"
#include "models/model.h"
#include "models/model_build.h"
#include "models/quant.h"
#include "models/ref.h"
#include "models/ref_report.h"
#include "util/util.h"

#include <math.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t seed = 12345;

static double frnd(void)
{
	seed = seed * 1664525u + 1013904223u;
	return (double)(seed >> 8) / (double)(1u << 24) * 2 - 1;
}

struct syn {
	struct spk_model_build *b;
	uint32_t c[64], h[64], w[64], n_sites, n_pops;
	float *wt, bias[1024];
};

static uint32_t site(struct syn *s, uint32_t c, uint32_t h, uint32_t w)
{
	char name[16];

	snprintf(name, sizeof(name), "s%u", s->n_sites);
	s->c[s->n_sites] = c;
	s->h[s->n_sites] = h;
	s->w[s->n_sites] = w;
	spk_model_build_site(s->b, name, c, h, w);
	return s->n_sites++;
}

static uint32_t pop(struct syn *s, uint32_t st, uint32_t kind, double th)
{
	char name[16];

	snprintf(name, sizeof(name), "p%u", s->n_pops);
	spk_model_build_pop(s->b, name, st, kind, th);
	spk_model_build_fire(s->b, name, s->n_pops);
	return s->n_pops++;
}

static void conv(struct syn *s, uint32_t p, uint32_t src, uint32_t dst, uint32_t k,
		 uint32_t stride)
{
	size_t n = (size_t)s->c[dst] * s->c[src] * k * k;
	double g = 2.0 / sqrt((double)s->c[src] * k * k);

	for (size_t i = 0; i < n; i++)
		s->wt[i] = (float)(frnd() * g);
	for (uint32_t o = 0; o < s->c[dst]; o++)
		s->bias[o] = (float)(0.2 + 0.2 * frnd());
	spk_model_build_conv(s->b, "conv", p, dst, k, stride, k / 2, s->c[src], s->c[dst], s->wt,
			     s->bias);
}

static struct spk_model *synthetic(void)
{
	static const double mean[1] = { 0.29 }, std[1] = { 0.35 };
	struct syn s = { 0 };
	uint32_t st, p, a, q, k, v, at, qp, kp, vp, ap;
	struct spk_model *m;
	char err[512];

	s.wt = malloc(sizeof(float) * 400000);
	s.b = spk_model_build_create("bench", "fashion-mnist", 4, 1, 28, 28, 10, mean, std, NAN);
	st = site(&s, 32, 14, 14);
	for (int i = 0; i < 32 * 9; i++)
		s.wt[i] = (float)(frnd() * 0.5);
	for (int o = 0; o < 32; o++)
		s.bias[o] = (float)(0.3 * frnd());
	spk_model_build_encoder(s.b, "enc", st, 3, 2, 1, 32, s.wt, s.bias);
	p = pop(&s, st, 0, 1.0);
	for (int blk = 0; blk < 2; blk++) {		/* conv blocks at 14x14, width 32 */
		a = site(&s, 64, 14, 14);
		conv(&s, p, st, a, 1, 1);
		p = pop(&s, a, 0, 1.0);
		conv(&s, p, a, st, 7, 1);		/* merged dw 7x7 + pw: dense 7x7 64 -> 32 */
		p = pop(&s, st, 0, 1.0);
		a = site(&s, 128, 14, 14);
		conv(&s, p, st, a, 3, 1);
		p = pop(&s, a, 0, 1.0);
		conv(&s, p, a, st, 3, 1);
		p = pop(&s, st, 0, 1.0);
	}
	a = site(&s, 96, 7, 7);				/* downsample to 7x7, width 96 */
	conv(&s, p, st, a, 3, 2);
	st = a;
	p = pop(&s, st, 0, 1.0);
	for (int blk = 0; blk < 4; blk++) {		/* transformer blocks */
		q = site(&s, 96, 7, 7);
		k = site(&s, 96, 7, 7);
		v = site(&s, 96, 7, 7);
		at = site(&s, 96, 7, 7);
		conv(&s, p, st, q, 3, 1);
		qp = pop(&s, q, 0, 1.0);
		conv(&s, p, st, k, 3, 1);
		kp = pop(&s, k, 0, 1.0);
		conv(&s, p, st, v, 3, 1);
		vp = pop(&s, v, 0, 1.0);
		spk_model_build_attn(s.b, "attn", qp, kp, vp, at, 8, 0.125);
		ap = pop(&s, at, 0, 0.5);
		conv(&s, ap, at, st, 3, 1);
		p = pop(&s, st, 0, 1.0);
		a = site(&s, 384, 7, 7);
		conv(&s, p, st, a, 1, 1);
		p = pop(&s, a, 0, 1.0);
		conv(&s, p, a, st, 1, 1);
		p = pop(&s, st, 0, 1.0);
	}
	p = pop(&s, st, 1, 0.3);
	for (int i = 0; i < 960; i++)
		s.wt[i] = (float)frnd();
	spk_model_build_linear(s.b, "head", p, 96, s.wt, s.bias);
	m = spk_model_build_model(s.b, "synthetic", err, sizeof(err));
	if (m == NULL)
		fprintf(stderr, "bench_ref: synthetic model: %s\n", err);
	free(s.wt);
	spk_model_build_destroy(s.b);
	return m;
}

static void bench(const char *what, const struct spk_model *m, const struct spk_qmodel *q,
		  const struct spk_dataset *ds, uint32_t images)
{
	size_t npix = (size_t)m->in_channels * m->in_height * m->in_width;
	uint8_t *u8 = malloc(npix);
	double *f64 = malloc(npix * sizeof(double)), *logits = malloc(m->classes * sizeof(double));
	char err[256];
	struct spk_ref *r = spk_ref_create(m, q, 0, err, sizeof(err));
	struct spk_ref_totals t;
	double t0, el;

	if (r == NULL || u8 == NULL || f64 == NULL || logits == NULL) {
		fprintf(stderr, "bench_ref: out of memory\n");
		exit(1);
	}
	t0 = spk_now();
	for (uint32_t i = 0; i < images; i++) {
		if (ds->n > 0) {
			spk_dataset_image_u8(ds, i % ds->n, u8);
		} else {
			for (size_t k = 0; k < npix; k++)
				u8[k] = (uint8_t)((frnd() + 1) * 127.9);
		}
		for (size_t k = 0; k < npix; k++)
			f64[k] = u8[k];
		spk_ref_run(r, u8, f64, logits);
	}
	el = spk_now() - t0;
	spk_ref_get_totals(m, spk_ref_get_stats(r), &t);
	printf("%-26s %-7s %5u images  %7.2f M SOP/image  rate %5.2f %%  %7.1f images/s  "
	       "%6.3f G SOP/s\n", what, q ? "integer" : "float", images, t.sops_per_image * 1e-6,
	       100 * t.firing_rate, images / el, t.sops_per_image * images / el * 1e-9);
	spk_ref_destroy(r);
	free(logits);
	free(f64);
	free(u8);
}

int main(int argc, char **argv)
{
	struct spk_dataset ds = { 0 };
	struct spk_model *m;
	struct spk_qmodel *q;
	char err[1024];
	uint32_t images = argc > 2 ? (uint32_t)atoi(argv[2]) : 40;

	if (spk_dataset_load(&ds, SPK_DATASET_DEFAULT_IMAGES, NULL, 1000, err, sizeof(err)) < 0)
		memset(&ds, 0, sizeof(ds));
	m = argc > 1 ? spk_model_load(argv[1], err, sizeof(err)) : synthetic();
	if (m == NULL) {
		fprintf(stderr, "bench_ref: %s\n", err);
		return 1;
	}
	if (ds.n > 0 && (ds.height != m->in_height || ds.width != m->in_width ||
			 ds.channels != m->in_channels))
		spk_dataset_fini(&ds);
	q = spk_quant_create(m, 8, 16, err, sizeof(err));
	if (q == NULL) {
		fprintf(stderr, "bench_ref: %s\n", err);
		return 1;
	}
	bench(argc > 1 ? argv[1] : "synthetic 32/64/96", m, q, &ds, images);
	bench(argc > 1 ? argv[1] : "synthetic 32/64/96", m, NULL, &ds, images / 4 + 1);
	spk_quant_destroy(q);
	spk_model_destroy(m);
	spk_dataset_fini(&ds);
	{
		struct rusage ru;

		if (getrusage(RUSAGE_SELF, &ru) == 0)
			printf("%-26s peak memory (max RSS) %.1f MB\n", "", ru.ru_maxrss / 1024.0);
	}
	return 0;
}
