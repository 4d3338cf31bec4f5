/*
 * progress.c — the progress bar on stderr; see progress.h.
 */
#include "config.h"

#include "util/progress.h"
#include "util/util.h"

#include <stdio.h>

#define WIDTH 30

void spk_progress_init(struct spk_progress *p, uint32_t total)
{
	p->t0 = spk_now();
	p->last = 0;
	p->total = total;
}

void spk_progress_show(struct spk_progress *p, uint32_t done, bool final)
{
	const uint32_t total = p->total;
	double t = spk_now(), el = t - p->t0, rate = el > 0 ? done / el : 0;
	int fill = total ? (int)((double)done / total * WIDTH) : WIDTH;
	char eta[32] = "";

	if (!final && t - p->last < 0.1)
		return;
	p->last = t;
	if (rate > 0 && done < total) {
		long s = (long)((total - done) / rate + 0.5);

		snprintf(eta, sizeof(eta), "ETA %ldm%02lds", s / 60, s % 60);
	}
	fprintf(stderr, "\r[%.*s%s%*s] %u/%u  %.1f img/s  %-14s", fill,
		"==============================", fill < WIDTH ? ">" : "",
		fill < WIDTH ? WIDTH - fill - 1 : 0, "", done, total, rate, eta);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}
