/*
 * attn.c — the attention unit (see attn.h; the contract is doc/architecture.md §7 and §9).
 *
 * Layout: per op, the K, V and Q bitmaps are bytes indexed n·C + c (token n, channel c), the KV
 * counters int64 indexed (h·d + i)·d + j, and the number of Q spikes per token is kept so the
 * barrier computation skips empty tokens without scanning them. One row buffer (C values) holds
 * the outputs of the token being emitted. route_of[c·H + y] names the ATTN route that carries
 * output element (c, y, ·) (the routes' blocks cover the output exactly once: checked at
 * create).
 *
 * eval(x) runs send, compute, receive in that order, like the synapse core (core.c): the
 * compute engine sees the queue occupancy and token counters registered at the start of x;
 * what receive applies in x counts from x + 1. A token's Q·KV additions are done in its first
 * compute cycle and the engine sleeps until its emit cycle: nothing observes the row before.
 * With NI wake-ups on (spk_attn_set_ni_wake()), a refused send and an emission stalled behind
 * the full queue sleep until the NI frees, as in the synapse core.
 */
#include "config.h"

#include "sim/attn.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { Q_GRADED = 0, Q_MARKER = 1 };

struct qentry {
	uint8_t kind;
	uint32_t route;			/* graded: the route; marker: the op */
	uint32_t axon;
	int32_t value;
	uint64_t step;
};

struct op {
	struct spk_attn_op cfg;
	uint32_t C, d, N;
	uint8_t *K, *V, *Q;		/* [N·C] */
	uint32_t *qn;			/* [N] Q spikes per token */
	int64_t *kv;			/* [C·d] */
	uint32_t *route_of;		/* [C·height] */
	uint32_t *routes;		/* its ATTN routes, table order */
	uint32_t n_routes;
	uint32_t *ins;			/* incoming routes feeding it */
	uint32_t n_ins;
	uint32_t tokens_q;		/* tokens of step_q counted */
	uint64_t step_q;		/* steps completed */
	uint64_t adds;			/* its KV and Q·KV additions (spk_attn_layer_counts()) */
};

struct in_route {
	uint32_t *ops;			/* ops reading its population */
	uint32_t n_ops;
	uint64_t tokens_q;
	uint32_t done;			/* ops finished with the current step */
	uint64_t busy;			/* receive cycles of its spikes and tokens */
};

struct axon_range {
	uint32_t lo, hi, route;
};

struct spk_attn {
	struct spk_attn_config cfg;
	uint32_t graded_flits;
	int64_t cmax;			/* largest count counter_bits hold */
	struct op *ops;
	struct in_route *in;
	struct spk_unit_in_route *in_cfg;
	struct spk_attn_op *ops_cfg;	/* [n_ops] the configuration's ops (spk_attn_get_config) */
	struct spk_unit_route *routes;
	uint64_t *released_q;		/* [n_routes] releases received */
	struct axon_range *ranges;	/* spike axons, sorted */

	struct spk_unit_fifo fifo;
	uint64_t busy_until_q;

	/* Compute engine. */
	int32_t op_q;			/* op computing, or -1 */
	int32_t pick_q;			/* op that may start in the next cycle, or -1 */
	bool dirty;
	uint32_t tok_q;			/* token being computed or emitted (N: none left) */
	uint64_t emit_from_q;		/* first cycle its outputs may be pushed */
	uint32_t emit_c_q;		/* next channel of the row to push */
	int64_t *row;			/* [max C] outputs of token tok_q */

	/* Output queue, send engine. */
	struct qentry *q;
	struct spk_unit_queue oq;	/* its ring (unit.h); cap = output_queue */
	uint32_t send_pos_q;
	struct spk_unit_releases rel;

	bool started;
	uint64_t last_x, next_q;
	/* NI wake-ups (spk_attn_set_ni_wake(); as sim/core.c): the cycle the NI refused a packet
	 * (the send engine sleeps until woken), the last cycles the emission stalled and the
	 * receive engine took a packet, and since when a stalled emission sleeps behind a full
	 * queue that only the NI can drain (UINT64_MAX: none). */
	bool ni_wake;
	uint64_t blocked_q, stall_x, took_x, stalled_q;
	struct spk_attn_stats st;
	uint64_t *route_ev;		/* [n_routes] graded packets sent on each route */
	uint64_t *rel_busy;		/* [n_routes] receive cycles of its releases */
};

void spk_attn_destroy(struct spk_attn *a)
{
	if (a == NULL)
		return;
	if (a->ops != NULL)
		for (uint32_t i = 0; i < a->cfg.n_ops; i++) {
			struct op *o = &a->ops[i];

			free(o->K);
			free(o->V);
			free(o->Q);
			free(o->qn);
			free(o->kv);
			free(o->route_of);
			free(o->routes);
			free(o->ins);
		}
	if (a->in != NULL)
		for (uint32_t i = 0; i < a->cfg.n_in; i++)
			free(a->in[i].ops);
	free(a->ops);
	free(a->ops_cfg);
	free(a->in);
	free(a->in_cfg);
	free(a->routes);
	free(a->released_q);
	free(a->route_ev);
	free(a->rel_busy);
	free(a->ranges);
	free(a->row);
	free(a->q);
	spk_unit_fifo_fini(&a->fifo);
	spk_unit_releases_fini(&a->rel);
	free(a);
}

static int push_u32(uint32_t **arr, uint32_t *n, uint32_t v)
{
	uint32_t *p = realloc(*arr, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p[(*n)++] = v;
	*arr = p;
	return 0;
}

static int range_cmp(const void *x, const void *y)
{
	const struct axon_range *a = x, *b = y;

	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static void update_next(struct spk_attn *a, uint64_t x);

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); goto out_free; } while (0)
#define NOMEM() BAD("out of memory for the attention unit's state")

struct spk_attn *spk_attn_create(const struct spk_attn_config *cfg, char *err, size_t errlen)
{
	struct spk_attn *a = calloc(1, sizeof(*a));
	char dummy[8];
	uint32_t max_c = 1;

	if (err == NULL) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (a == NULL) {
		snprintf(err, errlen, "out of memory for the attention unit's state");
		return NULL;
	}
	a->cfg = *cfg;
	if (cfg->lanes == 0 || cfg->input_fifo == 0 || cfg->output_queue == 0 ||
	    cfg->flit_bits == 0 || cfg->counter_bits < 2 || cfg->counter_bits > 62)
		BAD("bad sizes (lanes, queues, widths)");
	a->graded_flits = spk_noc_packet_flits(cfg->flit_bits, SPK_PACKET_GRADED);
	if (a->graded_flits > cfg->input_fifo)
		BAD("input_fifo (%u flits) cannot hold a graded packet (%u flits)",
		    cfg->input_fifo, a->graded_flits);
	a->cmax = (int64_t)((UINT64_C(1) << cfg->counter_bits) - 1);
	a->ops = calloc(cfg->n_ops + 1, sizeof(*a->ops));
	a->in = calloc(cfg->n_in + 1, sizeof(*a->in));
	a->in_cfg = calloc(cfg->n_in + 1, sizeof(*a->in_cfg));
	a->routes = calloc(cfg->n_routes + 1, sizeof(*a->routes));
	a->released_q = calloc(cfg->n_routes + 1, sizeof(*a->released_q));
	a->ranges = calloc(cfg->n_in + 1, sizeof(*a->ranges));
	a->q = calloc(cfg->output_queue, sizeof(*a->q));
	a->route_ev = calloc(cfg->n_routes + 1, sizeof(*a->route_ev));
	a->rel_busy = calloc(cfg->n_routes + 1, sizeof(*a->rel_busy));
	a->oq.cap = cfg->output_queue;
	if (a->ops == NULL || a->in == NULL || a->in_cfg == NULL || a->routes == NULL ||
	    a->released_q == NULL || a->ranges == NULL || a->q == NULL ||
	    a->route_ev == NULL || a->rel_busy == NULL ||
	    spk_unit_fifo_init(&a->fifo, cfg->input_fifo) < 0 ||
	    spk_unit_releases_init(&a->rel, cfg->n_in) < 0)
		NOMEM();
	for (uint32_t i = 0; i < cfg->n_ops; i++) {
		const struct spk_attn_op *co = &cfg->ops[i];
		struct op *o = &a->ops[i];
		size_t nc;

		if (co->channels == 0 || co->heads == 0 || co->channels % co->heads != 0 ||
		    co->height == 0 || co->width == 0)
			BAD("op %u: bad shape (channels, heads, tokens)", i);
		o->cfg = *co;
		o->C = co->channels;
		o->d = co->channels / co->heads;
		o->N = co->height * co->width;
		nc = (size_t)o->N * o->C;
		if (o->C > max_c)
			max_c = o->C;
		o->K = calloc(nc, 1);
		o->V = calloc(nc, 1);
		o->Q = calloc(nc, 1);
		o->qn = calloc(o->N, sizeof(*o->qn));
		o->kv = calloc((size_t)o->C * o->d, sizeof(*o->kv));
		o->route_of = malloc((size_t)o->C * co->height * sizeof(*o->route_of));
		if (o->K == NULL || o->V == NULL || o->Q == NULL || o->qn == NULL ||
		    o->kv == NULL || o->route_of == NULL)
			NOMEM();
		for (size_t k = 0; k < (size_t)o->C * co->height; k++)
			o->route_of[k] = UINT32_MAX;
	}
	a->row = calloc(max_c, sizeof(*a->row));
	if (a->row == NULL)
		NOMEM();
	for (uint32_t i = 0; i < cfg->n_routes; i++) {
		const struct spk_unit_route *r = &cfg->routes[i];
		struct op *o;

		if (r->source >= cfg->n_ops)
			BAD("route %u: op %u out of range", i, r->source);
		o = &a->ops[r->source];
		if (r->c0 >= r->c1 || r->c1 > o->C || r->y0 >= r->y1 || r->y1 > o->cfg.height ||
		    r->c0 < r->pc0 || r->y0 < r->py0 || r->y1 > r->py0 + r->prows)
			BAD("route %u: block outside the output or its destination piece", i);
		for (uint32_t c = r->c0; c < r->c1; c++)
			for (uint32_t y = r->y0; y < r->y1; y++) {
				if (o->route_of[c * o->cfg.height + y] != UINT32_MAX)
					BAD("route %u: channel %u row %u already has a route", i, c,
					    y);
				o->route_of[c * o->cfg.height + y] = i;
			}
		a->routes[i] = *r;
		if (push_u32(&o->routes, &o->n_routes, i) < 0)
			NOMEM();
	}
	for (uint32_t i = 0; i < cfg->n_ops; i++) {
		const struct op *o = &a->ops[i];

		for (size_t k = 0; k < (size_t)o->C * o->cfg.height; k++)
			if (o->route_of[k] == UINT32_MAX)
				BAD("op %u: output channel %zu row %zu has no route", i,
				    k / o->cfg.height, k % o->cfg.height);
	}
	for (uint32_t i = 0; i < cfg->n_in; i++) {
		const struct spk_unit_in_route *r = &cfg->in[i];

		if (r->kind != SPK_IN_SPIKE || r->channels == 0 || r->rows == 0 ||
		    r->width == 0)
			BAD("incoming route %u: not a spike route of a non-empty block", i);
		a->in_cfg[i] = *r;
		for (uint32_t j = 0; j < cfg->n_ops; j++) {
			struct op *o = &a->ops[j];

			if (r->pop != o->cfg.q_pop && r->pop != o->cfg.k_pop &&
			    r->pop != o->cfg.v_pop)
				continue;
			if (r->c0 + r->channels > o->C || r->y0 + r->rows > o->cfg.height ||
			    r->width != o->cfg.width)
				BAD("incoming route %u: block outside op %u's tokens", i, j);
			if (push_u32(&a->in[i].ops, &a->in[i].n_ops, j) < 0 ||
			    push_u32(&o->ins, &o->n_ins, i) < 0)
				NOMEM();
		}
		if (a->in[i].n_ops == 0)
			BAD("incoming route %u: no op here reads population %u", i, r->pop);
		a->ranges[i] = (struct axon_range){ r->axon_base,
						    r->axon_base + r->channels * r->rows * r->width,
						    i };
	}
	qsort(a->ranges, cfg->n_in, sizeof(*a->ranges), range_cmp);
	for (uint32_t i = 1; i < cfg->n_in; i++)
		if (a->ranges[i].lo < a->ranges[i - 1].hi)
			BAD("incoming routes with overlapping axon ranges");
	a->ops_cfg = malloc((cfg->n_ops + 1) * sizeof(*a->ops_cfg));
	if (a->ops_cfg == NULL)
		BAD("out of memory for the attention unit's state");
	for (uint32_t i = 0; i < cfg->n_ops; i++)
		a->ops_cfg[i] = cfg->ops[i];
	a->cfg.ops = NULL;
	a->cfg.in = NULL;
	a->cfg.routes = NULL;
	a->op_q = -1;
	a->pick_q = -1;
	a->dirty = true;
	a->blocked_q = a->stall_x = a->took_x = a->stalled_q = UINT64_MAX;
	update_next(a, UINT64_MAX);
	return a;
out_free:
	spk_attn_destroy(a);
	return NULL;
}

#undef BAD
#undef NOMEM

/* ---- compute engine ---------------------------------------------------------------------------- */

static bool may_compute(const struct spk_attn *a, const struct op *o)
{
	if (o->tokens_q < o->n_ins)
		return false;
	for (uint32_t j = 0; j < o->n_routes; j++)
		if (a->released_q[o->routes[j]] < o->step_q)
			return false;
	return true;
}

static int32_t pick(const struct spk_attn *a)
{
	int32_t best = -1;

	for (uint32_t i = 0; i < a->cfg.n_ops; i++) {
		const struct op *o = &a->ops[i], *b = best < 0 ? NULL : &a->ops[best];

		if (!may_compute(a, o))
			continue;
		if (b == NULL || o->cfg.phase < b->cfg.phase ||
		    (o->cfg.phase == b->cfg.phase && o->step_q < b->step_q))
			best = (int32_t)i;
	}
	return best;
}

static void queue_push(struct spk_attn *a, uint8_t kind, uint32_t route, uint32_t axon,
		       int32_t value, uint64_t step)
{
	a->q[spk_unit_queue_push(&a->oq, &a->st.queue_peak)] =
		(struct qentry){ kind, route, axon, value, step };
}

/* The next token of op o at or after n with a Q spike (N if none). */
static uint32_t next_token(const struct op *o, uint32_t n)
{
	while (n < o->N && o->qn[n] == 0)
		n++;
	return n;
}

/* Starts token n's Q·KV additions in cycle x: computes its row. */
static void start_token(struct spk_attn *a, struct op *o, uint32_t n, uint64_t x,
			const struct spk_unit_port *port)
{
	const uint8_t *q = o->Q + (size_t)n * o->C;
	const uint32_t d = o->d;
	uint64_t adds = (uint64_t)o->qn[n] * d, cycles = (adds + a->cfg.lanes - 1) / a->cfg.lanes;

	memset(a->row, 0, o->C * sizeof(*a->row));
	for (uint32_t c = 0; c < o->C; c++) {
		const int64_t *kv = o->kv + (size_t)c * d;
		int64_t *r = a->row + c / d * d;

		if (!q[c])
			continue;
		for (uint32_t j = 0; j < d; j++)
			r[j] += kv[j];
	}
	for (uint32_t c = 0; c < o->C; c++)
		if (a->row[c] > a->cmax)
			a->st.counter_overflows++;
	a->st.ev.attention_ops += adds;
	o->adds += adds;
	a->st.compute_cycles += cycles;
	if (spk_unit_reporting(port))
		spk_unit_report(port, SPK_ENGINE_FIRE, SPK_WORK_ATTN, x, cycles, o->cfg.phase,
				o->step_q, false, NULL, 0);
	a->tok_q = n;
	a->emit_from_q = x + cycles;
	a->emit_c_q = 0;
}

/* The op's step is done (its marker went into the queue in this cycle). */
static void step_done(struct spk_attn *a, struct op *o)
{
	const size_t nc = (size_t)o->N * o->C;

	memset(o->K, 0, nc);
	memset(o->V, 0, nc);
	memset(o->Q, 0, nc);
	memset(o->qn, 0, o->N * sizeof(*o->qn));
	memset(o->kv, 0, (size_t)o->C * o->d * sizeof(*o->kv));
	for (uint32_t j = 0; j < o->n_ins; j++) {
		struct in_route *ir = &a->in[o->ins[j]];

		if (++ir->done == ir->n_ops) {
			ir->done = 0;
			spk_unit_releases_push(&a->rel, o->ins[j], o->step_q);
		}
	}
	o->step_q++;
	o->tokens_q = 0;
	a->op_q = -1;
	a->dirty = true;
	a->st.steps++;
}

/* The emission found no room in the queue in cycle x. */
static void stalled(struct spk_attn *a, uint64_t x)
{
	a->st.emit_stalls++;
	a->stall_x = x;
}

/* A cycle in which the op pushed outputs or its marker. */
static void emit_cycle(struct spk_attn *a, uint64_t x, const struct spk_unit_port *port)
{
	a->st.emit_cycles++;
	if (spk_unit_reporting(port))
		spk_unit_report(port, SPK_ENGINE_FIRE, SPK_WORK_ATTN, x, 1,
				a->ops[a->op_q].cfg.phase, a->ops[a->op_q].step_q, false, NULL, 0);
}

static void compute(struct spk_attn *a, uint64_t x, uint32_t qfree,
		    const struct spk_unit_port *port)
{
	struct op *o;
	uint32_t budget, pushed = 0;

	if (a->op_q < 0) {
		if (a->pick_q < 0)
			return;
		a->op_q = a->pick_q;
		a->pick_q = -1;
		o = &a->ops[a->op_q];
		a->tok_q = next_token(o, 0);
		if (a->tok_q < o->N)
			start_token(a, o, a->tok_q, x, port);
		else
			a->emit_from_q = x, a->emit_c_q = o->C;	/* only the marker */
	}
	o = &a->ops[a->op_q];
	if (x < a->emit_from_q)
		return;			/* Q·KV additions of token tok_q */
	budget = qfree < a->cfg.lanes ? qfree : a->cfg.lanes;
	/* Outputs of token tok_q, in channel order. */
	if (a->tok_q < o->N) {
		const uint32_t y = a->tok_q / o->cfg.width, xx = a->tok_q % o->cfg.width;

		while (a->emit_c_q < o->C) {
			const uint32_t c = a->emit_c_q;
			const struct spk_unit_route *r;
			int64_t v = a->row[c];

			if (v == 0) {
				a->emit_c_q++;
				continue;
			}
			if (pushed == budget)
				break;
			r = &a->routes[o->route_of[c * o->cfg.height + y]];
			assert(v <= INT32_MAX);
			queue_push(a, Q_GRADED, o->route_of[c * o->cfg.height + y],
				   r->axon_base + ((c - r->pc0) * r->prows + y - r->py0) *
				   o->cfg.width + xx, (int32_t)v, o->step_q);
			a->st.outputs++;
			a->emit_c_q++;
			pushed++;
		}
		if (a->emit_c_q < o->C) {
			if (pushed > 0)
				emit_cycle(a, x, port);
			else
				stalled(a, x);
			return;
		}
		/* row done: the next token starts after the last push (at once if none) */
		uint32_t n = next_token(o, a->tok_q + 1);

		if (n < o->N) {
			if (pushed > 0)
				emit_cycle(a, x, port);
			start_token(a, o, n, pushed > 0 ? x + 1 : x, port);
			return;
		}
		a->tok_q = o->N;
	}
	/* The marker. */
	if (pushed == budget) {
		if (pushed > 0)
			emit_cycle(a, x, port);
		else
			stalled(a, x);
		return;
	}
	queue_push(a, Q_MARKER, (uint32_t)a->op_q, 0, 0, o->step_q);
	emit_cycle(a, x, port);
	step_done(a, o);
}

/* ---- send engine ------------------------------------------------------------------------------- */

/* The NI refused a packet in cycle x. */
static void refused(struct spk_attn *a, uint64_t x, const struct spk_unit_port *port)
{
	a->st.send_refused++;
	if (spk_unit_reporting(port))
		spk_unit_report(port, SPK_ENGINE_SEND, SPK_WORK_REFUSED, x, 1, UINT32_MAX, UINT64_MAX,
				false, NULL, 0);
	if (a->ni_wake)
		a->blocked_q = x;
}

static void send(struct spk_attn *a, uint64_t x, const struct spk_unit_port *port)
{
	struct spk_packet pk = { .src = a->cfg.tile, .flits = 1 };
	int rc = spk_unit_releases_send(&a->rel, a->in_cfg, a->cfg.tile, port, &a->st.ev,
					 x);
	const struct qentry *e;
	const struct spk_unit_route *r;
	bool last = true;

	if (rc != 0) {
		if (rc < 0)
			refused(a, x, port);
		return;
	}
	if (a->oq.len == 0)
		return;
	e = &a->q[a->oq.head];
	pk.tag = (uint8_t)(e->step & 1);
	if (e->kind == Q_GRADED) {
		r = &a->routes[e->route];
		pk.kind = SPK_PACKET_GRADED;
		pk.flits = (uint16_t)a->graded_flits;
		pk.axon = e->axon;
		pk.value = e->value;
	} else {
		const struct op *o = &a->ops[e->route];

		r = &a->routes[o->routes[a->send_pos_q]];
		pk.kind = SPK_PACKET_TOKEN;
		pk.axon = r->dst_route;
		last = a->send_pos_q + 1 == o->n_routes;
	}
	pk.dst = r->dst_tile;
	if (port->send(port->ctx, &pk) != 0) {
		refused(a, x, port);
		return;
	}
	a->st.ev.packets_out++;
	if (e->kind == Q_GRADED)
		a->route_ev[e->route]++;
	if (spk_unit_reporting(port))
		spk_unit_report(port, SPK_ENGINE_SEND, SPK_WORK_SEND, x, 1,
				a->ops[e->kind == Q_GRADED ? a->routes[e->route].source : e->route]
					.cfg.phase, e->step, false, &pk, 0);
	if (!last) {
		a->send_pos_q++;
		return;
	}
	a->send_pos_q = 0;
	spk_unit_queue_pop(&a->oq);
}

/* ---- receive engine ---------------------------------------------------------------------------- */

/* The incoming route whose axon range holds a spike's axon (binary search of a->ranges). */
static inline uint32_t spike_route(const struct spk_attn *a, uint32_t axon)
{
	uint32_t lo = 0, hi = a->cfg.n_in;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (a->ranges[mid].hi <= axon)
			lo = mid + 1;
		else
			hi = mid;
	}
	assert(lo < a->cfg.n_in && a->ranges[lo].lo <= axon);
	return a->ranges[lo].route;
}

/* The receive engine took pk (arrived in `arrival`) in cycle x, busy `cycles` (timeline, critical
 * path; the cold path). */
static __attribute__((cold, noinline)) void report_receive(const struct spk_attn *a, uint64_t x,
							   uint64_t cycles,
							   const struct spk_packet *pk,
							   uint64_t arrival,
							   const struct spk_unit_port *port)
{
	uint32_t layer = UINT32_MAX;
	uint64_t step = UINT64_MAX;
	uint8_t kind = SPK_WORK_RELEASE;

	if (pk->kind == SPK_PACKET_SPIKE || pk->kind == SPK_PACKET_TOKEN) {
		const struct in_route *r;

		if (pk->kind == SPK_PACKET_SPIKE) {
			r = &a->in[spike_route(a, pk->axon)];
			kind = SPK_WORK_SPIKE;
		} else {
			r = &a->in[pk->axon];
			kind = SPK_WORK_TOKEN;
		}
		if (r->n_ops > 0) {
			layer = a->ops[r->ops[0]].cfg.phase;
			step = a->ops[r->ops[0]].step_q;
		}
	} else {
		layer = a->ops[a->routes[pk->axon].source].cfg.phase;
		step = a->released_q[pk->axon] - 1;
	}
	spk_unit_report(port, SPK_ENGINE_RECEIVE, kind, x, cycles, layer, step, true, pk, arrival);
}

/* Applies a spike; returns the KV additions it made, and its incoming route in *route. */
static uint64_t take_spike(struct spk_attn *a, const struct spk_packet *pk, uint32_t *route)
{
	uint32_t e, plane, c, y, xx;
	const struct spk_unit_in_route *ir;
	const struct in_route *r;
	uint64_t adds = 0;

	*route = spike_route(a, pk->axon);
	ir = &a->in_cfg[*route];
	r = &a->in[*route];
	e = pk->axon - ir->axon_base;
	plane = ir->rows * ir->width;
	c = ir->c0 + e / plane;
	y = ir->y0 + e % plane / ir->width;
	xx = e % ir->width;
	for (uint32_t j = 0; j < r->n_ops; j++) {
		struct op *o = &a->ops[r->ops[j]];
		const uint32_t n = y * o->cfg.width + xx, d = o->d, h0 = c / d * d;
		const size_t at = (size_t)n * o->C;
		const uint64_t adds0 = adds;

		assert((int32_t)r->ops[j] != a->op_q);	/* no input while its step computes */
		assert((o->step_q & 1) == pk->tag);
		if (ir->pop == o->cfg.k_pop) {		/* KV[i][·] += V[n][·] */
			int64_t *kv = o->kv + (size_t)c * d;

			for (uint32_t jj = 0; jj < d; jj++)
				if (o->V[at + h0 + jj]) {
					if (++kv[jj] > a->cmax)
						a->st.counter_overflows++;
					adds++;
				}
			o->K[at + c] = 1;
		}
		if (ir->pop == o->cfg.v_pop) {		/* KV[·][j] += K[n][·] */
			int64_t *kv = o->kv + (size_t)h0 * d + (c - h0);

			for (uint32_t i = 0; i < d; i++)
				if (o->K[at + h0 + i]) {
					if (++kv[(size_t)i * d] > a->cmax)
						a->st.counter_overflows++;
					adds++;
				}
			o->V[at + c] = 1;
		}
		if (ir->pop == o->cfg.q_pop && !o->Q[at + c]) {
			o->Q[at + c] = 1;
			o->qn[n]++;
		}
		o->adds += adds - adds0;
	}
	return adds;
}

static void receive(struct spk_attn *a, uint64_t x, const struct spk_unit_port *port)
{
	const struct spk_unit_fifo_slot *f = spk_unit_fifo_ready(&a->fifo, x);
	struct spk_packet pk;
	uint64_t cycles = 1;

	if (x < a->busy_until_q || f == NULL)
		return;
	pk = f->pkt;
	spk_unit_fifo_pop(&a->fifo, port);
	a->took_x = x;
	a->st.packets_in++;
	switch (pk.kind) {
	case SPK_PACKET_SPIKE: {
		uint32_t route;
		uint64_t adds = take_spike(a, &pk, &route);

		a->st.spikes_in++;
		a->st.ev.attention_ops += adds;
		if (adds > 0)
			cycles = (adds + a->cfg.lanes - 1) / a->cfg.lanes;
		a->in[route].busy += cycles;
		break;
	}
	case SPK_PACKET_TOKEN: {
		struct in_route *r;

		assert(pk.axon < a->cfg.n_in);
		r = &a->in[pk.axon];
		assert((r->tokens_q & 1) == pk.tag);
		for (uint32_t j = 0; j < r->n_ops; j++) {
			assert(a->ops[r->ops[j]].step_q == r->tokens_q);
			a->ops[r->ops[j]].tokens_q++;
		}
		r->tokens_q++;
		r->busy++;
		a->st.tokens_in++;
		a->dirty = true;
		break;
	}
	case SPK_PACKET_RELEASE:
		assert(pk.axon < a->cfg.n_routes);
		assert((a->released_q[pk.axon] & 1) == pk.tag);
		a->released_q[pk.axon]++;
		a->rel_busy[pk.axon]++;
		a->st.releases_in++;
		a->dirty = true;
		break;
	default:
		assert(!"graded event sent to an attention unit");
	}
	a->busy_until_q = x + cycles;
	a->st.receive_busy += cycles;
	if (spk_unit_reporting(port))
		report_receive(a, x, cycles, &pk, f->arrival, port);	/* f: still the slot */
}

/* ---- cycle ------------------------------------------------------------------------------------- */

static void update_next(struct spk_attn *a, uint64_t x)
{
	const uint64_t nx = x + 1;	/* 0 for the state before cycle 0 */
	uint64_t next = UINT64_MAX;

	if (a->op_q < 0 && a->dirty) {
		a->pick_q = pick(a);
		a->dirty = false;
	}
	/* A refused send waits to be woken (ni_wake); so does an emission that stalled in x behind
	 * the queue if the send was refused in x and nothing was taken in x. */
	if (a->op_q >= 0 && a->blocked_q == x && a->stall_x == x && a->took_x != x)
		a->stalled_q = x;
	if (((a->oq.len > 0 || a->rel.len > 0) && a->blocked_q == UINT64_MAX) || a->pick_q >= 0)
		next = nx;
	else if (a->op_q >= 0 && a->stalled_q == UINT64_MAX)
		next = a->emit_from_q > nx ? a->emit_from_q : nx;
	if (a->fifo.len > 0) {
		uint64_t t = spk_unit_fifo_next(&a->fifo);

		if (t < a->busy_until_q)
			t = a->busy_until_q;
		if (t < nx)
			t = nx;
		if (t < next)
			next = t;
	}
	a->next_q = next;
}

void spk_attn_deliver(struct spk_attn *a, const struct spk_packet *p, uint64_t arrival)
{
	assert(!a->started || arrival > a->last_x);
	spk_unit_fifo_deliver(&a->fifo, p, arrival, a->busy_until_q, &a->next_q);
}

void spk_attn_eval(struct spk_attn *a, uint64_t x, const struct spk_unit_port *port)
{
	uint32_t qfree = a->cfg.output_queue - a->oq.len;

	assert(!a->started || x > a->last_x);
	assert(x <= a->next_q);		/* the caller skipped a cycle with work */
	a->started = true;
	a->last_x = x;
	if (a->blocked_q != UINT64_MAX) {
		/* woken: it offered and was refused in every cycle it slept through */
		if (spk_unit_reporting(port) && x > a->blocked_q + 1)
			spk_unit_report(port, SPK_ENGINE_SEND, SPK_WORK_REFUSED, a->blocked_q + 1,
					x - a->blocked_q - 1, UINT32_MAX, UINT64_MAX, false, NULL, 0);
		spk_unit_woken(x, &a->blocked_q, &a->stalled_q, &a->st.send_refused,
			       &a->st.emit_stalls);
	} else if (x < a->next_q) {
		return;
	}
	send(a, x, port);
	compute(a, x, qfree, port);
	receive(a, x, port);
	update_next(a, x);
}

uint64_t spk_attn_next_cycle(const struct spk_attn *a)
{
	return a->next_q;
}

void spk_attn_set_ni_wake(struct spk_attn *a, bool on)
{
	a->ni_wake = on;
}

bool spk_attn_quiet(const struct spk_attn *a)
{
	return a->fifo.len == 0 && a->oq.len == 0 && a->rel.len == 0 && a->op_q < 0;
}

void spk_attn_occupancy(const struct spk_attn *a, uint32_t *fifo_flits, uint32_t *queue)
{
	*fifo_flits = a->fifo.flits;
	*queue = a->oq.len;
}

void spk_attn_layer_counts(const struct spk_attn *a, uint32_t n_layers, uint64_t *ops,
			   uint64_t *busy, uint64_t *route_ev)
{
	uint32_t l;

	for (uint32_t i = 0; i < a->cfg.n_ops; i++) {
		assert(a->ops[i].cfg.phase < n_layers);
		ops[a->ops[i].cfg.phase] += a->ops[i].adds;
	}
	for (uint32_t i = 0; i < a->cfg.n_in; i++) {
		l = a->in[i].n_ops > 0 ? a->ops[a->in[i].ops[0]].cfg.phase : UINT32_MAX;
		busy[l < n_layers ? l : n_layers] += a->in[i].busy;
	}
	for (uint32_t i = 0; i < a->cfg.n_routes; i++) {
		l = a->ops[a->routes[i].source].cfg.phase;
		busy[l < n_layers ? l : n_layers] += a->rel_busy[i];
		route_ev[i] += a->route_ev[i];
	}
}

void spk_attn_get_stats(const struct spk_attn *a, struct spk_attn_stats *st)
{
	*st = a->st;
	st->fifo_peak = a->fifo.peak;
}

void spk_attn_get_config(const struct spk_attn *a, struct spk_attn_config *cfg)
{
	*cfg = a->cfg;
	cfg->ops = a->ops_cfg;
	cfg->in = a->in_cfg;
	cfg->routes = a->routes;
}

uint64_t spk_attn_op_steps(const struct spk_attn *a, uint32_t op)
{
	assert(op < a->cfg.n_ops);
	return a->ops[op].step_q;
}
