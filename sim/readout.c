/*
 * readout.c — the readout (see readout.h; the contract is doc/architecture.md §8 and §9).
 *
 * One engine fires one mean population at a time (FIRE: neuron_updates channels per cycle), then
 * adds the head rows of its spikes (HEAD: modelled as one stretch of cycles; the additions are
 * done when it starts, nothing observes the scores before the class is out). eval(x) runs send,
 * the engine, receive, in that order, so the engine sees token counters registered at the start
 * of x and partial sums taken in x count from x + 1, as in core.c.
 */
#include "config.h"

#include "sim/readout.h"

#include "models/semantics.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mean {
	struct spk_readout_mean cfg;	/* theta: the copy below */
	int64_t *theta;			/* [C] θ */
	int64_t *theta2;		/* [C] 2·θ */
	int64_t *v;			/* [C] membranes */
	int64_t *x;			/* [C] sum of the partial sums of the step */
	uint32_t *ins;			/* its MEAN routes */
	uint32_t n_ins;
	uint32_t tokens_q;
	uint64_t step_q;		/* steps fired */
	uint64_t packets;		/* partial sums and tokens taken (busy cycles, one each) */
};

struct spk_readout {
	struct spk_readout_config cfg;
	uint32_t T;
	int64_t vmin, vmax;
	struct mean *means;
	struct spk_unit_in_route *in;
	uint32_t *in_mean;		/* [n_in] mean of each incoming route */
	uint64_t *in_tokens_q;		/* [n_in] tokens received */
	int16_t *hw;			/* head weights [C][classes], or NULL */
	int32_t head_mean;		/* the mean the head reads, -1 without a head */
	uint32_t classes;
	int64_t *hb;			/* [classes] */
	struct spk_readout_head head;	/* the configuration's head, on hw and hb */
	struct spk_readout_mean *mcfg;	/* [n_means] the configuration's means (spk_readout_get_config) */
	int64_t *scores;		/* [classes] of the image in flight */
	uint32_t *spk;			/* [max C] spikes of the fire in progress */
	uint32_t n_spk;

	struct spk_unit_fifo fifo;
	uint64_t busy_until_q;

	int32_t mean_q;			/* mean firing, or -1 */
	uint32_t chan_q;		/* next channel to update */
	uint64_t engine_free_q;		/* first cycle the engine may start a fire */
	bool class_due;			/* a class is out in cycle engine_free_q */
	uint64_t class_image;
	uint32_t class_cls;
	int32_t pick_q;
	bool dirty;

	struct spk_unit_releases rel;
	bool started;
	uint64_t last_x, next_q;
	struct spk_readout_stats st;
};

void spk_readout_destroy(struct spk_readout *r)
{
	if (r == NULL)
		return;
	if (r->means != NULL)
		for (uint32_t i = 0; i < r->cfg.n_means; i++) {
			free(r->means[i].theta);
			free(r->means[i].theta2);
			free(r->means[i].v);
			free(r->means[i].x);
			free(r->means[i].ins);
		}
	free(r->means);
	free(r->mcfg);
	free(r->in);
	free(r->in_mean);
	free(r->in_tokens_q);
	free(r->hw);
	free(r->hb);
	free(r->scores);
	free(r->spk);
	spk_unit_fifo_fini(&r->fifo);
	spk_unit_releases_fini(&r->rel);
	free(r);
}

static void update_next(struct spk_readout *r, uint64_t x);

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); goto out_free; } while (0)
#define NOMEM() BAD("out of memory for the readout's state")

struct spk_readout *spk_readout_create(const struct spk_readout_config *cfg, char *err,
				       size_t errlen)
{
	struct spk_readout *r = calloc(1, sizeof(*r));
	char dummy[8];
	uint32_t max_c = 1;

	if (err == NULL) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (r == NULL) {
		snprintf(err, errlen, "out of memory for the readout's state");
		return NULL;
	}
	r->cfg = *cfg;
	r->head_mean = -1;
	if (cfg->time_steps == 0 || cfg->adders == 0 || cfg->neuron_updates == 0 ||
	    cfg->input_fifo == 0 || cfg->flit_bits == 0 || cfg->membrane_bits < 2 ||
	    cfg->membrane_bits > 62)
		BAD("bad sizes (time steps, adders, neuron updates, queues, widths)");
	if (spk_noc_packet_flits(cfg->flit_bits, SPK_PACKET_GRADED) > cfg->input_fifo)
		BAD("input_fifo (%u flits) cannot hold a graded packet", cfg->input_fifo);
	r->T = cfg->time_steps;
	r->vmax = spk_sem_vmax(cfg->membrane_bits);
	r->vmin = -r->vmax - 1;
	r->means = calloc(cfg->n_means + 1, sizeof(*r->means));
	r->in = calloc(cfg->n_in + 1, sizeof(*r->in));
	r->in_mean = calloc(cfg->n_in + 1, sizeof(*r->in_mean));
	r->in_tokens_q = calloc(cfg->n_in + 1, sizeof(*r->in_tokens_q));
	if (r->means == NULL || r->in == NULL || r->in_mean == NULL || r->in_tokens_q == NULL ||
	    spk_unit_fifo_init(&r->fifo, cfg->input_fifo) < 0 ||
	    spk_unit_releases_init(&r->rel, cfg->n_in) < 0)
		NOMEM();
	for (uint32_t i = 0; i < cfg->n_means; i++) {
		const struct spk_readout_mean *cm = &cfg->means[i];
		struct mean *m = &r->means[i];

		if (cm->channels == 0 || cm->theta == NULL ||
		    (uint64_t)cm->axon_base + cm->channels > UINT32_MAX)
			BAD("mean %u: no channels, thresholds or axons", i);
		for (uint32_t j = 0; j < i; j++)
			if (cm->axon_base < cfg->means[j].axon_base + cfg->means[j].channels &&
			    cfg->means[j].axon_base < cm->axon_base + cm->channels)
				BAD("means %u and %u: overlapping axon ranges", j, i);
		m->cfg = *cm;
		m->theta = malloc(cm->channels * sizeof(*m->theta));
		m->theta2 = malloc(cm->channels * sizeof(*m->theta2));
		m->v = calloc(cm->channels, sizeof(*m->v));
		m->x = calloc(cm->channels, sizeof(*m->x));
		if (m->theta == NULL || m->theta2 == NULL || m->v == NULL || m->x == NULL)
			NOMEM();
		for (uint32_t c = 0; c < cm->channels; c++) {
			m->theta[c] = cm->theta[c];
			m->theta2[c] = 2 * cm->theta[c];
		}
		m->cfg.theta = m->theta;
		if (cm->channels > max_c)
			max_c = cm->channels;
	}
	for (uint32_t i = 0; i < cfg->n_in; i++) {
		const struct spk_unit_in_route *ci = &cfg->in[i];
		uint32_t m;

		for (m = 0; m < cfg->n_means; m++)
			if (cfg->means[m].pop == ci->pop)
				break;
		if (ci->kind != SPK_IN_MEAN || m == cfg->n_means)
			BAD("incoming route %u: not a MEAN route of a population here", i);
		r->in[i] = *ci;
		r->in_mean[i] = m;
		uint32_t *p = realloc(r->means[m].ins, (r->means[m].n_ins + 1) * sizeof(*p));

		if (p == NULL)
			NOMEM();
		p[r->means[m].n_ins++] = i;
		r->means[m].ins = p;
	}
	if (cfg->head != NULL) {
		const struct spk_readout_head *h = cfg->head;
		size_t n;

		if (h->mean >= cfg->n_means || h->classes == 0 || h->w == NULL || h->bias == NULL)
			BAD("head: bad population, classes or weights");
		n = (size_t)cfg->means[h->mean].channels * h->classes;
		r->hw = malloc(n * sizeof(*r->hw));
		r->hb = malloc(h->classes * sizeof(*r->hb));
		r->scores = calloc(h->classes, sizeof(*r->scores));
		if (r->hw == NULL || r->hb == NULL || r->scores == NULL)
			NOMEM();
		memcpy(r->hw, h->w, n * sizeof(*r->hw));
		memcpy(r->hb, h->bias, h->classes * sizeof(*r->hb));
		r->head_mean = (int32_t)h->mean;
		r->classes = h->classes;
		r->head = *h;
		r->head.w = r->hw;
		r->head.bias = r->hb;
	}
	r->spk = malloc(max_c * sizeof(*r->spk));
	r->mcfg = calloc(cfg->n_means + 1, sizeof(*r->mcfg));
	if (r->spk == NULL || r->mcfg == NULL)
		NOMEM();
	for (uint32_t i = 0; i < cfg->n_means; i++)
		r->mcfg[i] = r->means[i].cfg;
	r->cfg.means = NULL;
	r->cfg.in = NULL;
	r->cfg.head = NULL;
	r->mean_q = -1;
	r->pick_q = -1;
	r->dirty = true;
	update_next(r, UINT64_MAX);
	return r;
out_free:
	spk_readout_destroy(r);
	return NULL;
}

#undef BAD
#undef NOMEM

/* ---- engine ------------------------------------------------------------------------------------ */

static int32_t pick(const struct spk_readout *r)
{
	int32_t best = -1;

	for (uint32_t i = 0; i < r->cfg.n_means; i++) {
		const struct mean *m = &r->means[i], *b = best < 0 ? NULL : &r->means[best];

		if (m->tokens_q < m->n_ins)
			continue;
		if (b == NULL || m->cfg.phase < b->cfg.phase ||
		    (m->cfg.phase == b->cfg.phase && m->step_q < b->step_q))
			best = (int32_t)i;
	}
	return best;
}

/* The fire of mean m for step s ended in cycle x: releases, head rows, the class. */
static void fire_done(struct spk_readout *r, uint32_t mi, uint64_t x,
		      const struct spk_unit_port *port)
{
	struct mean *m = &r->means[mi];
	const uint64_t s = m->step_q;
	uint64_t head = 0;

	for (uint32_t j = 0; j < m->n_ins; j++)
		spk_unit_releases_push(&r->rel, m->ins[j], s);
	m->step_q = s + 1;
	m->tokens_q = 0;
	r->mean_q = -1;
	r->dirty = true;
	r->st.fires++;
	if (r->head_mean == (int32_t)mi) {
		const uint32_t K = r->classes;

		for (uint32_t k = 0; k < K; k++)
			r->scores[k] += r->hb[k];
		for (uint32_t i = 0; i < r->n_spk; i++) {
			const int16_t *w = r->hw + (size_t)r->spk[i] * K;

			for (uint32_t k = 0; k < K; k++)
				r->scores[k] += w[k];
		}
		head = (uint64_t)r->n_spk * ((K + r->cfg.adders - 1) / r->cfg.adders);
		r->st.ev.sops += (uint64_t)r->n_spk * K;
		r->st.head_cycles += head;
		if (spk_unit_reporting(port) && head > 0)
			spk_unit_report(port, SPK_ENGINE_FIRE, SPK_WORK_HEAD, x + 1, head,
					m->cfg.phase, s, false, NULL, 0);
		if (s % r->T == r->T - 1) {
			uint32_t best = 0;

			for (uint32_t k = 1; k < K; k++)
				if (r->scores[k] > r->scores[best])
					best = k;
			r->class_due = true;
			r->class_image = s / r->T;
			r->class_cls = best;
		}
	}
	r->engine_free_q = x + 1 + head;
}

static void engine(struct spk_readout *r, uint64_t x, const struct spk_unit_port *port)
{
	struct mean *m;
	uint32_t c1;
	bool first_t;

	if (x < r->engine_free_q)
		return;
	if (r->class_due) {
		r->class_due = false;
		r->st.images++;
		if (r->cfg.class_out != NULL)
			r->cfg.class_out(r->cfg.class_ctx, r->class_image, r->class_cls, x,
					 r->scores);
		memset(r->scores, 0, r->classes * sizeof(*r->scores));
	}
	if (r->mean_q < 0) {
		if (r->pick_q < 0)
			return;
		r->mean_q = r->pick_q;
		r->pick_q = -1;
		r->chan_q = 0;
		r->n_spk = 0;
	}
	m = &r->means[r->mean_q];
	first_t = m->step_q % r->T == 0;
	c1 = r->chan_q + r->cfg.neuron_updates;
	if (c1 > m->cfg.channels)
		c1 = m->cfg.channels;
	for (uint32_t c = r->chan_q; c < c1; c++) {
		int64_t v = first_t ? 0 : m->v[c];	/* membranes start every image at 0 */

		if (spk_sem_lif(&v, m->x[c], m->theta2[c], r->vmin, r->vmax)) {
			r->spk[r->n_spk++] = c;
			if (port->spike != NULL)
				port->spike(port->ctx, m->cfg.pop, m->step_q, c);
		}
		m->v[c] = v;
		m->x[c] = 0;
	}
	r->st.ev.neuron_updates += c1 - r->chan_q;
	r->st.fire_cycles++;
	if (spk_unit_reporting(port))
		spk_unit_report(port, SPK_ENGINE_FIRE, SPK_WORK_FIRE, x, 1, m->cfg.phase, m->step_q,
				false, NULL, 0);
	r->chan_q = c1;
	if (c1 == m->cfg.channels)
		fire_done(r, (uint32_t)r->mean_q, x, port);
}

/* ---- receive ----------------------------------------------------------------------------------- */

static void receive(struct spk_readout *r, uint64_t x, const struct spk_unit_port *port)
{
	const struct spk_unit_fifo_slot *f = spk_unit_fifo_ready(&r->fifo, x);
	struct spk_packet pk;

	if (x < r->busy_until_q || f == NULL)
		return;
	pk = f->pkt;
	spk_unit_fifo_pop(&r->fifo, port);
	r->st.packets_in++;
	if (pk.kind == SPK_PACKET_GRADED) {
		uint32_t i;

		for (i = 0; i < r->cfg.n_means; i++)
			if (pk.axon >= r->means[i].cfg.axon_base &&
			    pk.axon < r->means[i].cfg.axon_base + r->means[i].cfg.channels)
				break;
		assert(i < r->cfg.n_means);	/* an axon no mean population covers */
		assert((int32_t)i != r->mean_q);	/* no partial sum while it fires */
		assert((r->means[i].step_q & 1) == pk.tag);
		r->means[i].x[pk.axon - r->means[i].cfg.axon_base] += pk.value;
		r->means[i].packets++;
		r->st.ev.graded_adds++;
		r->st.graded_in++;
		if (spk_unit_reporting(port))
			spk_unit_report(port, SPK_ENGINE_RECEIVE, SPK_WORK_GRADED, x, 1,
					r->means[i].cfg.phase, r->means[i].step_q, true, &pk,
					f->arrival);
	} else {
		struct mean *m;

		assert(pk.kind == SPK_PACKET_TOKEN && pk.axon < r->cfg.n_in);
		m = &r->means[r->in_mean[pk.axon]];
		assert((r->in_tokens_q[pk.axon] & 1) == pk.tag);
		assert(r->in_tokens_q[pk.axon] == m->step_q);
		r->in_tokens_q[pk.axon]++;
		m->tokens_q++;
		m->packets++;
		r->st.tokens_in++;
		if (spk_unit_reporting(port))
			spk_unit_report(port, SPK_ENGINE_RECEIVE, SPK_WORK_TOKEN, x, 1, m->cfg.phase,
					m->step_q, true, &pk, f->arrival);
		r->dirty = true;
	}
	r->busy_until_q = x + 1;
}

/* ---- cycle ------------------------------------------------------------------------------------- */

static void update_next(struct spk_readout *r, uint64_t x)
{
	const uint64_t nx = x + 1;
	uint64_t next = UINT64_MAX;

	if (r->mean_q < 0 && r->dirty) {
		r->pick_q = pick(r);
		r->dirty = false;
	}
	if (r->rel.len > 0 || r->mean_q >= 0)
		next = nx;
	if (r->pick_q >= 0 || r->class_due) {
		uint64_t t = r->engine_free_q > nx ? r->engine_free_q : nx;

		if (t < next)
			next = t;
	}
	if (r->fifo.len > 0) {
		uint64_t t = spk_unit_fifo_next(&r->fifo);

		if (t < r->busy_until_q)
			t = r->busy_until_q;
		if (t < nx)
			t = nx;
		if (t < next)
			next = t;
	}
	r->next_q = next;
}

void spk_readout_deliver(struct spk_readout *r, const struct spk_packet *p, uint64_t arrival)
{
	assert(!r->started || arrival > r->last_x);
	spk_unit_fifo_deliver(&r->fifo, p, arrival, r->busy_until_q, &r->next_q);
}

void spk_readout_eval(struct spk_readout *r, uint64_t x, const struct spk_unit_port *port)
{
	int rc;

	assert(!r->started || x > r->last_x);
	assert(x <= r->next_q);		/* the caller skipped a cycle with work */
	r->started = true;
	r->last_x = x;
	if (x < r->next_q)
		return;
	rc = spk_unit_releases_send(&r->rel, r->in, r->cfg.tile, port, &r->st.ev, x);
	if (rc < 0) {
		r->st.send_refused++;
		if (spk_unit_reporting(port))
			spk_unit_report(port, SPK_ENGINE_SEND, SPK_WORK_REFUSED, x, 1, UINT32_MAX,
					UINT64_MAX, false, NULL, 0);
	}
	engine(r, x, port);
	receive(r, x, port);
	update_next(r, x);
}

uint64_t spk_readout_next_cycle(const struct spk_readout *r)
{
	return r->next_q;
}

void spk_readout_occupancy(const struct spk_readout *r, uint32_t *fifo_flits, uint32_t *queue)
{
	*fifo_flits = r->fifo.flits;
	*queue = r->rel.len;
}

bool spk_readout_quiet(const struct spk_readout *r)
{
	return r->fifo.len == 0 && r->rel.len == 0 && r->mean_q < 0 && !r->class_due;
}

void spk_readout_layer_busy(const struct spk_readout *r, uint32_t n_layers, uint64_t *busy)
{
	for (uint32_t i = 0; i < r->cfg.n_means; i++) {
		uint32_t l = r->means[i].cfg.phase;

		busy[l < n_layers ? l : n_layers] += r->means[i].packets;
	}
}

void spk_readout_get_stats(const struct spk_readout *r, struct spk_readout_stats *st)
{
	*st = r->st;
	st->fifo_peak = r->fifo.peak;
}

void spk_readout_get_config(const struct spk_readout *r, struct spk_readout_config *cfg)
{
	*cfg = r->cfg;
	cfg->means = r->mcfg;
	cfg->in = r->in;
	cfg->head = r->head_mean >= 0 ? &r->head : NULL;
}

uint64_t spk_readout_mean_steps(const struct spk_readout *r, uint32_t m)
{
	assert(m < r->cfg.n_means);
	return r->means[m].step_q;
}
