/*
 * encoder.c — the encoder (see encoder.h; the contract is doc/architecture.md §8 and §9).
 *
 * When an image starts, its outputs E are computed at once (they depend on nothing else) and
 * the indices of the non-zero ones listed; what the cycles model is when each of them, and the
 * end-of-image marker, is complete and pushed. MAC progress is a count: mac_q MACs done through
 * cycle mac_from_q − 1; a cycle that starts with complete items still waiting for queue room
 * does not advance it. Element j (0-based, (o, y, x) order) is complete once
 * mac_q >= (j + 1)·k²·c_in; the marker once every MAC is done.
 *
 * eval(x) runs send, compute, receive in that order, like core.c: compute sees the queue
 * occupancy registered at the start of x, and releases taken in x count from x + 1.
 */
#include "config.h"

#include "sim/encoder.h"

#include "models/semantics.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { Q_GRADED = 0, Q_MARKER = 1 };

struct qentry {
	uint8_t kind;
	uint32_t route;
	uint32_t axon;
	int32_t value;
	uint64_t image;
};

struct spk_encoder {
	struct spk_encoder_config cfg;
	uint32_t graded_flits;
	uint64_t K;			/* MACs per element: k²·c_in */
	uint32_t E;			/* elements: channels·h_out·w_out */
	int16_t *w;
	int32_t *zero;
	int64_t *mult, *bias;
	struct spk_unit_route *routes;
	uint32_t *route_of;		/* [channels·h_out] */
	uint64_t *released_q;		/* [n_routes] images released */

	/* Input port. */
	uint8_t *port_px;		/* [c_in·h_in·w_in] */
	bool port_full;
	uint64_t port_cycle;

	/* MAC array. */
	bool computing;
	uint64_t img_q;			/* images started */
	int64_t *val;			/* [E] outputs of the image in flight */
	uint32_t *nz;			/* [E + 1] items: non-zero elements, then E (the marker) */
	uint32_t n_nz, nz_pos;		/* items, next item to push */
	uint64_t mac_q, mac_from_q;

	struct spk_unit_fifo fifo;
	uint64_t busy_until_q;

	struct qentry *q;
	struct spk_unit_queue oq;	/* its ring (unit.h); cap = output_queue */
	uint32_t send_pos_q;

	bool started;
	uint64_t last_x, next_q;
	struct spk_encoder_stats st;
	uint64_t *route_ev;		/* [n_routes] graded packets sent on each route */
};

void spk_encoder_destroy(struct spk_encoder *e)
{
	if (e == NULL)
		return;
	free(e->w);
	free(e->zero);
	free(e->mult);
	free(e->bias);
	free(e->routes);
	free(e->route_ev);
	free(e->route_of);
	free(e->released_q);
	free(e->port_px);
	free(e->val);
	free(e->nz);
	free(e->q);
	spk_unit_fifo_fini(&e->fifo);
	free(e);
}

static void update_next(struct spk_encoder *e, uint64_t x);

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); goto out_free; } while (0)
#define NOMEM() BAD("out of memory for the encoder's state")

struct spk_encoder *spk_encoder_create(const struct spk_encoder_config *cfg, char *err,
				       size_t errlen)
{
	struct spk_encoder *e = calloc(1, sizeof(*e));
	char dummy[8];
	size_t nw, npx, nro;

	if (err == NULL) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (e == NULL) {
		snprintf(err, errlen, "out of memory for the encoder's state");
		return NULL;
	}
	e->cfg = *cfg;
	if (cfg->macs == 0 || cfg->input_fifo == 0 || cfg->output_queue == 0 ||
	    cfg->flit_bits == 0 || cfg->c_in == 0 || cfg->h_in == 0 || cfg->w_in == 0 ||
	    cfg->kernel == 0 || cfg->stride == 0 || cfg->h_out == 0 || cfg->w_out == 0 ||
	    cfg->channels == 0 || cfg->w == NULL || cfg->zero == NULL || cfg->mult == NULL ||
	    cfg->bias == NULL)
		BAD("bad sizes or missing weights");
	if ((uint64_t)cfg->channels * cfg->h_out * cfg->w_out >= UINT32_MAX)
		BAD("too many outputs");
	e->graded_flits = spk_noc_packet_flits(cfg->flit_bits, SPK_PACKET_GRADED);
	e->K = (uint64_t)cfg->kernel * cfg->kernel * cfg->c_in;
	e->E = cfg->channels * cfg->h_out * cfg->w_out;
	nw = (size_t)cfg->c_in * cfg->kernel * cfg->kernel * cfg->channels;
	npx = (size_t)cfg->c_in * cfg->h_in * cfg->w_in;
	nro = (size_t)cfg->channels * cfg->h_out;
	e->w = malloc(nw * sizeof(*e->w));
	e->zero = malloc(cfg->c_in * sizeof(*e->zero));
	e->mult = malloc(cfg->channels * sizeof(*e->mult));
	e->bias = malloc(cfg->channels * sizeof(*e->bias));
	e->routes = calloc(cfg->n_routes + 1, sizeof(*e->routes));
	e->route_of = malloc(nro * sizeof(*e->route_of));
	e->released_q = calloc(cfg->n_routes + 1, sizeof(*e->released_q));
	e->route_ev = calloc(cfg->n_routes + 1, sizeof(*e->route_ev));
	e->port_px = malloc(npx);
	e->val = malloc((size_t)e->E * sizeof(*e->val));
	e->nz = malloc(((size_t)e->E + 1) * sizeof(*e->nz));
	e->q = calloc(cfg->output_queue, sizeof(*e->q));
	e->oq.cap = cfg->output_queue;
	if (e->w == NULL || e->zero == NULL || e->mult == NULL || e->bias == NULL ||
	    e->routes == NULL || e->route_of == NULL || e->released_q == NULL ||
	    e->route_ev == NULL ||
	    e->port_px == NULL || e->val == NULL || e->nz == NULL || e->q == NULL ||
	    spk_unit_fifo_init(&e->fifo, cfg->input_fifo) < 0)
		NOMEM();
	memcpy(e->w, cfg->w, nw * sizeof(*e->w));
	memcpy(e->zero, cfg->zero, cfg->c_in * sizeof(*e->zero));
	memcpy(e->mult, cfg->mult, cfg->channels * sizeof(*e->mult));
	memcpy(e->bias, cfg->bias, cfg->channels * sizeof(*e->bias));
	for (size_t i = 0; i < nro; i++)
		e->route_of[i] = UINT32_MAX;
	for (uint32_t i = 0; i < cfg->n_routes; i++) {
		const struct spk_unit_route *r = &cfg->routes[i];

		if (r->c0 >= r->c1 || r->c0 < cfg->c0 || r->c1 > cfg->c0 + cfg->channels ||
		    r->y0 >= r->y1 || r->y1 > cfg->h_out || r->c0 < r->pc0 || r->y0 < r->py0 ||
		    r->y1 > r->py0 + r->prows)
			BAD("route %u: block outside the outputs or its destination piece", i);
		for (uint32_t c = r->c0; c < r->c1; c++)
			for (uint32_t y = r->y0; y < r->y1; y++) {
				uint32_t *at = &e->route_of[(c - cfg->c0) * cfg->h_out + y];

				if (*at != UINT32_MAX)
					BAD("route %u: channel %u row %u already has a route", i, c,
					    y);
				*at = i;
			}
		e->routes[i] = *r;
	}
	for (size_t i = 0; i < nro; i++)
		if (e->route_of[i] == UINT32_MAX)
			BAD("channel %zu row %zu has no route", cfg->c0 + i / cfg->h_out,
			    i % cfg->h_out);
	e->cfg.w = NULL;
	e->cfg.zero = NULL;
	e->cfg.mult = NULL;
	e->cfg.bias = NULL;
	e->cfg.routes = NULL;
	update_next(e, UINT64_MAX);
	return e;
out_free:
	spk_encoder_destroy(e);
	return NULL;
}

#undef BAD
#undef NOMEM

/* E of the image in the port (doc/semantics.md §4), and its non-zero items. */
static void compute_image(struct spk_encoder *e)
{
	const struct spk_encoder_config *c = &e->cfg;
	const uint32_t k = c->kernel, g = c->channels;
	uint32_t i = 0;

	e->n_nz = 0;
	for (uint32_t o = 0; o < g; o++)
		for (uint32_t oy = 0; oy < c->h_out; oy++)
			for (uint32_t ox = 0; ox < c->w_out; ox++, i++) {
				int64_t acc = 0;

				for (uint32_t ci = 0; ci < c->c_in; ci++)
					for (uint32_t ky = 0; ky < k; ky++) {
						int64_t iy = (int64_t)oy * c->stride + ky - c->pad;

						if (iy < 0 || iy >= c->h_in)
							continue;
						for (uint32_t kx = 0; kx < k; kx++) {
							int64_t ix = (int64_t)ox * c->stride + kx -
								     c->pad;

							if (ix < 0 || ix >= c->w_in)
								continue;
							acc += (int64_t)e->w[((ci * k + ky) * k + kx) * g +
									     o] *
							       ((int32_t)e->port_px[(ci * c->h_in + iy) *
										    c->w_in + ix] -
								e->zero[ci]);
						}
					}
				e->val[i] = spk_sem_requant(acc, e->mult[o], e->bias[o]);
				if (e->val[i] != 0)
					e->nz[e->n_nz++] = i;
			}
	e->nz[e->n_nz++] = e->E;	/* the marker */
}

/* MACs after which item j (an element, or E: the marker) is complete. */
static inline uint64_t item_macs(const struct spk_encoder *e, uint32_t j)
{
	return j == e->E ? (uint64_t)e->E * e->K : ((uint64_t)j + 1) * e->K;
}

static bool released(const struct spk_encoder *e)
{
	for (uint32_t r = 0; r < e->cfg.n_routes; r++)
		if (e->released_q[r] < e->img_q)
			return false;
	return true;
}

static void queue_push(struct spk_encoder *e, uint8_t kind, uint32_t route, uint32_t axon,
		       int32_t value, uint64_t image)
{
	e->q[spk_unit_queue_push(&e->oq, &e->st.queue_peak)] =
		(struct qentry){ kind, route, axon, value, image };
}

/* Pushes complete items while the queue has room; returns how many. */
static uint32_t push_items(struct spk_encoder *e, uint32_t room)
{
	const uint64_t image = e->img_q - 1;
	uint32_t pushed = 0;

	while (pushed < room && e->nz_pos < e->n_nz &&
	       item_macs(e, e->nz[e->nz_pos]) <= e->mac_q) {
		uint32_t j = e->nz[e->nz_pos++];

		pushed++;
		if (j == e->E) {
			queue_push(e, Q_MARKER, 0, 0, 0, image);
			e->computing = false;
			e->st.images++;
			break;
		}
		const uint32_t plane = e->cfg.h_out * e->cfg.w_out, o = j / plane;
		const uint32_t y = j % plane / e->cfg.w_out, x = j % e->cfg.w_out;
		const uint32_t ri = e->route_of[o * e->cfg.h_out + y];
		const struct spk_unit_route *r = &e->routes[ri];
		int64_t v = e->val[j];

		if (v > INT32_MAX || v < INT32_MIN) {
			e->st.graded_clamped++;
			v = v > INT32_MAX ? INT32_MAX : INT32_MIN;
		}
		queue_push(e, Q_GRADED, ri,
			   r->axon_base + ((e->cfg.c0 + o - r->pc0) * r->prows + y - r->py0) *
			   e->cfg.w_out + x, (int32_t)v, image);
		e->st.outputs++;
	}
	return pushed;
}

static bool item_waiting(const struct spk_encoder *e)
{
	return e->computing && e->nz_pos < e->n_nz && item_macs(e, e->nz[e->nz_pos]) <= e->mac_q;
}

static void compute(struct spk_encoder *e, uint64_t x, uint32_t qfree,
		    const struct spk_unit_port *port)
{
	const uint64_t total = (uint64_t)e->E * e->K;

	if (!e->computing) {
		if (!e->port_full || e->port_cycle > x || !released(e))
			return;
		compute_image(e);
		e->port_full = false;
		e->computing = true;
		e->img_q++;
		e->nz_pos = 0;
		e->mac_q = 0;
		e->mac_from_q = x;
	}
	if (item_waiting(e)) {
		/* complete results wait for room: the MAC array holds in this cycle */
		push_items(e, qfree);
		e->mac_from_q = x + 1;
		e->st.stall_cycles++;
		return;
	}
	/* The MAC array advanced in every cycle since mac_from_q, this one included. */
	uint64_t cycles = x + 1 - e->mac_from_q, done = e->mac_q;

	e->mac_q = total - done < cycles * e->cfg.macs ? total : done + cycles * e->cfg.macs;
	e->st.ev.encoder_macs += e->mac_q - done;
	cycles = (e->mac_q - done + e->cfg.macs - 1) / e->cfg.macs;
	e->st.compute_cycles += cycles;
	/* the MAC array's work since mac_from_q (the encoder's step is the chip top's: layer
	 * none; the step is the image) */
	if (spk_unit_reporting(port) && cycles > 0)
		spk_unit_report(port, SPK_ENGINE_FIRE, SPK_WORK_MAC, e->mac_from_q, cycles,
				UINT32_MAX, e->img_q - 1, true, NULL, 0);
	e->mac_from_q = x + 1;
	push_items(e, qfree);
}

/* ---- send, receive ----------------------------------------------------------------------------- */

static void send(struct spk_encoder *e, uint64_t x, const struct spk_unit_port *port)
{
	struct spk_packet pk = { .src = e->cfg.tile, .flits = 1 };
	const struct qentry *q;
	const struct spk_unit_route *r;
	bool last = true;

	if (e->oq.len == 0)
		return;
	q = &e->q[e->oq.head];
	pk.tag = (uint8_t)(q->image & 1);
	if (q->kind == Q_GRADED) {
		r = &e->routes[q->route];
		pk.kind = SPK_PACKET_GRADED;
		pk.flits = (uint16_t)e->graded_flits;
		pk.axon = q->axon;
		pk.value = q->value;
	} else {
		r = &e->routes[e->send_pos_q];
		pk.kind = SPK_PACKET_TOKEN;
		pk.axon = r->dst_route;
		last = e->send_pos_q + 1 >= e->cfg.n_routes;
	}
	pk.dst = r->dst_tile;
	if (q->kind == Q_MARKER && e->cfg.n_routes == 0) {
		last = true;		/* nowhere to send: the marker just leaves */
	} else if (port->send(port->ctx, &pk) != 0) {
		e->st.send_refused++;
		if (spk_unit_reporting(port))
			spk_unit_report(port, SPK_ENGINE_SEND, SPK_WORK_REFUSED, x, 1, UINT32_MAX,
					q->image, false, NULL, 0);
		return;
	} else {
		e->st.ev.packets_out++;
		if (q->kind == Q_GRADED)
			e->route_ev[q->route]++;
		if (spk_unit_reporting(port))
			spk_unit_report(port, SPK_ENGINE_SEND, SPK_WORK_SEND, x, 1, UINT32_MAX,
					q->image, false, &pk, 0);
	}
	if (!last) {
		e->send_pos_q++;
		return;
	}
	e->send_pos_q = 0;
	spk_unit_queue_pop(&e->oq);
}

static void receive(struct spk_encoder *e, uint64_t x, const struct spk_unit_port *port)
{
	const struct spk_unit_fifo_slot *f = spk_unit_fifo_ready(&e->fifo, x);
	struct spk_packet pk;

	if (x < e->busy_until_q || f == NULL)
		return;
	pk = f->pkt;
	spk_unit_fifo_pop(&e->fifo, port);
	e->st.packets_in++;
	assert(pk.kind == SPK_PACKET_RELEASE && pk.axon < e->cfg.n_routes);
	assert((e->released_q[pk.axon] & 1) == pk.tag);
	e->released_q[pk.axon]++;
	e->busy_until_q = x + 1;
	if (spk_unit_reporting(port))
		spk_unit_report(port, SPK_ENGINE_RECEIVE, SPK_WORK_RELEASE, x, 1, UINT32_MAX,
				e->released_q[pk.axon] - 1, false, &pk, f->arrival);
}

/* ---- cycle ------------------------------------------------------------------------------------- */

static void update_next(struct spk_encoder *e, uint64_t x)
{
	const uint64_t nx = x + 1;	/* 0 for the state before cycle 0 */
	uint64_t next = UINT64_MAX;

	if (e->oq.len > 0 || item_waiting(e))
		next = nx;
	else if (e->computing) {
		/* the cycle in which the next item completes */
		uint64_t need = item_macs(e, e->nz[e->nz_pos]) - e->mac_q;

		next = e->mac_from_q + (need + e->cfg.macs - 1) / e->cfg.macs - 1;
	} else if (e->port_full && released(e)) {
		next = e->port_cycle > nx ? e->port_cycle : nx;
	}
	if (e->fifo.len > 0) {
		uint64_t t = spk_unit_fifo_next(&e->fifo);

		if (t < e->busy_until_q)
			t = e->busy_until_q;
		if (t < nx)
			t = nx;
		if (t < next)
			next = t;
	}
	e->next_q = next;
}

void spk_encoder_get_config(const struct spk_encoder *e, struct spk_encoder_config *cfg)
{
	*cfg = e->cfg;
	cfg->w = e->w;
	cfg->zero = e->zero;
	cfg->mult = e->mult;
	cfg->bias = e->bias;
	cfg->routes = e->routes;
}

void spk_encoder_occupancy(const struct spk_encoder *e, uint32_t *fifo_flits, uint32_t *queue)
{
	*fifo_flits = e->fifo.flits;
	*queue = e->oq.len;
}

bool spk_encoder_can_take_image(const struct spk_encoder *e)
{
	return !e->port_full;
}

int spk_encoder_image_in(struct spk_encoder *e, const uint8_t *pixels, uint64_t cycle)
{
	if (e->port_full)
		return -EAGAIN;
	assert(!e->started || cycle > e->last_x);
	memcpy(e->port_px, pixels, (size_t)e->cfg.c_in * e->cfg.h_in * e->cfg.w_in);
	e->port_full = true;
	e->port_cycle = cycle;
	if (!e->computing && released(e) && cycle < e->next_q)
		e->next_q = cycle;
	return 0;
}

void spk_encoder_deliver(struct spk_encoder *e, const struct spk_packet *p, uint64_t arrival)
{
	assert(!e->started || arrival > e->last_x);
	spk_unit_fifo_deliver(&e->fifo, p, arrival, e->busy_until_q, &e->next_q);
}

void spk_encoder_eval(struct spk_encoder *e, uint64_t x, const struct spk_unit_port *port)
{
	uint32_t qfree = e->cfg.output_queue - e->oq.len;

	assert(!e->started || x > e->last_x);
	assert(x <= e->next_q);		/* the caller skipped a cycle with work */
	e->started = true;
	e->last_x = x;
	if (x < e->next_q)
		return;
	send(e, x, port);
	compute(e, x, qfree, port);
	receive(e, x, port);
	update_next(e, x);
}

uint64_t spk_encoder_next_cycle(const struct spk_encoder *e)
{
	return e->next_q;
}

bool spk_encoder_quiet(const struct spk_encoder *e)
{
	return e->fifo.len == 0 && e->oq.len == 0 && !e->computing && !e->port_full;
}

void spk_encoder_route_counts(const struct spk_encoder *e, uint64_t *route_ev)
{
	for (uint32_t i = 0; i < e->cfg.n_routes; i++)
		route_ev[i] += e->route_ev[i];
}

void spk_encoder_get_stats(const struct spk_encoder *e, struct spk_encoder_stats *st)
{
	*st = e->st;
	st->fifo_peak = e->fifo.peak;
}
