/*
 * chip.c — the chip top (see chip.h; the contract is doc/architecture.md §2, §4, §9, §10).
 *
 * Building. Unit configurations are plain structs the units copy at create time, so they are
 * assembled in temporary arrays per tile and freed at once. First every tile's incoming routes
 * are numbered (all routing tables in (source tile, entry) order), which fixes each entry's
 * destination route index and, for SPIKE entries, its axon base at the destination (source
 * blocks laid out one after another from 0); the graded axons of a piece are neuron-memory
 * addresses (slot_base for the accumulator, the last slot block for the encoder register), and
 * a mean population's partial sums go to the readout's axon base of that population + channel.
 * With [noc] multicast = tree the image's multicast groups (spk_image_mc_groups(), the mapper's
 * own grouping) are checked against the head flit, registered with the NoC in group order (each
 * member: its tile, the axon base and the incoming-route index of its entry there, so that a
 * member's NI delivers what source replication would), and every core gets the NoC group of
 * each of its routes; nothing else changes.
 *
 * Running. The loop alternates two things, both at the NoC's clock `now`:
 *   1. cycle x = now: hand the packets that arrived in x to their units (waking them at x),
 *      then evaluate every unit whose wake-up is at x (in tile order: the scheduler orders
 *      equal cycles by push order, and wake-ups are pushed deterministically); each evaluated
 *      unit is woken again at its next_cycle. Images whose class came out are passed to the
 *      image hook, and the next image goes into the encoders at x + 1 if they can take it.
 *   2. the NoC evaluates cycles x .. up to the next wake-up, stopping after the first cycle
 *      that delivers something (its now is then that packet's arrival cycle).
 * Packets units inject in cycle x enter the NoC in x (now == x); credits given back in x are
 * usable from x + 1: both are the NoC's own contract, met because the units are evaluated
 * before the NoC evaluates x.
 */
#include "sim/chip.h"

#include "sim/attn.h"
#include "sim/chip_engine.h"
#include "sim/critpath.h"
#include "sim/encoder.h"
#include "sim/energy.h"
#include "sim/readout.h"
#include "sim/sched.h"
#include "sim/timeline.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tile_port {
	struct spk_chip *chip;
	uint32_t tile;
};

/* The statistics of one unit, of its tile's kind. */
union unit_stats {
	struct spk_core_stats core;
	struct spk_attn_stats attn;
	struct spk_encoder_stats enc;
	struct spk_readout_stats ro;
};

struct spk_chip {
	struct spk_arch arch;
	/* Another engine's network ran this chip (the RTL network: chip_engine.h): its counts,
	 * set after the run, replace the C network's in the statistics. */
	bool ext_noc;
	struct spk_noc_stats ext_st;
	uint64_t *ext_link;		/* [n_tiles·5] */
	uint64_t *ext_refused;		/* [n_tiles] */
	/* Units another engine ran (RTL units, chip_engine.h): their counts replace the C models'. */
	union unit_stats *ext_unit;	/* [n_tiles], NULL until one is set */
	struct spk_chip_encoder_port *ext_enc;	/* [n_tiles]: an encoder's input port elsewhere */
	bool *ext_unit_set;		/* [n_tiles] */
	uint32_t n_tiles;
	uint32_t time_steps;
	uint32_t classes;
	size_t image_bytes;
	enum spk_tile_kind *kind;	/* [n_tiles] */
	void **unit;			/* [n_tiles], NULL for an unused tile */
	struct tile_port *tp;		/* [n_tiles] */
	struct spk_unit_port *port;	/* [n_tiles] */
	uint32_t n_enc;
	uint32_t *enc_tiles;		/* [n_enc] */
	struct spk_noc *noc;
	struct spk_sched sched;
	struct spk_noc_delivery *dl;	/* [n_tiles] collect buffer */
	bool ran;
	/* populations */
	uint32_t n_pops;
	uint32_t *pop_neurons;		/* [n_pops] */
	uint64_t *pop_off;		/* [n_pops] bit offset of the pop in one timestep */
	uint64_t bits_per_t;
	uint64_t *pop_spikes;		/* [n_pops] */
	uint32_t max_pop;
	/* recording */
	bool record;
	uint64_t *slot_bits;		/* [IN_FLIGHT][T·bits_per_t / 64] */
	size_t slot_words;
	uint32_t *ids;			/* [max_pop] */
	/* run state */
	struct spk_chip_result *res;
	bool *out;			/* [n] class out */
	uint32_t n_images, fed, done;
	uint64_t unit_evals, last_out;
	spk_chip_image_fn hook;
	void *hook_ctx;
	uint64_t max_cycles;		/* spk_chip_set_max_cycles(); 0: none */
	uint32_t stall_tile;		/* test hook SPK_TEST_STALL_TILE: this tile's unit is never
					   evaluated (takes nothing); UINT32_MAX: none */
	/* work reports (spk_chip_set_timeline(), spk_chip_set_critpath()); NULL: off */
	struct spk_timeline *tl;
	struct spk_critpath *cp;
	int cp_rc;			/* the critical path's first error (-ENOMEM) */
	uint32_t *enc_layer;		/* [n_tiles] an encoder's ENCODER step (its work's layer) */
	uint32_t head_tile;		/* the readout with the head (class out) */
};

/* ---- ports ----------------------------------------------------------------------------------- */

static int port_send(void *ctx, const struct spk_packet *p)
{
	struct tile_port *tp = ctx;

	if (__builtin_expect(tp->chip->cp != NULL, 0)) {
		/* the critical path: the packet remembers its injection cycle */
		struct spk_packet q = *p;

		q.id = spk_noc_now(tp->chip->noc);
		return spk_noc_inject(tp->chip->noc, &q);
	}
	return spk_noc_inject(tp->chip->noc, p);
}

/* A unit's work (timeline, critical path): the encoder's layer and step are the top's. */
static void port_work(void *ctx, const struct spk_unit_work *w)
{
	struct tile_port *tp = ctx;
	struct spk_chip *c = tp->chip;
	struct spk_unit_work e;

	if (c->kind[tp->tile] == SPK_TILE_ENCODER) {
		e = *w;
		e.layer = c->enc_layer[tp->tile];
		if (e.step != UINT64_MAX)
			e.step *= c->time_steps;
		w = &e;
	}
	if (c->tl != NULL)
		spk_timeline_work(c->tl, tp->tile, w);
	if (c->cp != NULL && c->cp_rc == 0)
		c->cp_rc = spk_critpath_work(c->cp, tp->tile, w);
}

static void router_work(void *ctx, uint32_t router, uint64_t x, uint32_t flits)
{
	spk_timeline_router(((struct spk_chip *)ctx)->tl, router, x, flits);
}

/* After tile t's unit was evaluated in x: its queues for the timeline. */
static __attribute__((cold, noinline)) void timeline_queues(struct spk_chip *c, uint32_t t,
							    uint64_t x)
{
	uint32_t fifo = 0, queue = 0;

	switch (c->kind[t]) {
	case SPK_TILE_CORE: spk_core_occupancy(c->unit[t], &fifo, &queue); break;
	case SPK_TILE_ATTENTION: spk_attn_occupancy(c->unit[t], &fifo, &queue); break;
	case SPK_TILE_ENCODER: spk_encoder_occupancy(c->unit[t], &fifo, &queue); break;
	case SPK_TILE_READOUT: spk_readout_occupancy(c->unit[t], &fifo, &queue); break;
	}
	spk_timeline_queues(c->tl, t, x, fifo, queue);
}

static void port_credit(void *ctx, uint32_t flits)
{
	struct tile_port *tp = ctx;

	spk_noc_eject_credit(tp->chip->noc, tp->tile, flits);
}

static void port_spike(void *ctx, uint32_t pop, uint64_t step, uint32_t neuron)
{
	struct spk_chip *c = ((struct tile_port *)ctx)->chip;
	uint64_t image = step / c->time_steps, t = step % c->time_steps;

	assert(pop < c->n_pops && neuron < c->pop_neurons[pop]);
	c->pop_spikes[pop]++;
	if (__builtin_expect(c->record, 0)) {
		uint64_t *b = c->slot_bits + (image % SPK_CHIP_IN_FLIGHT) * c->slot_words;
		uint64_t bit = t * c->bits_per_t + c->pop_off[pop] + neuron;

		assert(image >= c->done && image < c->fed);
		b[bit >> 6] |= UINT64_C(1) << (bit & 63);
	}
}

static void class_out(void *ctx, uint64_t image, uint32_t cls, uint64_t cycle,
		      const int64_t *scores)
{
	struct spk_chip *c = ctx;

	(void)scores;
	assert(image < c->n_images && !c->out[image]);
	c->res[image].cls = cls;
	c->res[image].out_cycle = cycle;
	c->out[image] = true;
	if (cycle > c->last_out)
		c->last_out = cycle;
}

/* ---- units ----------------------------------------------------------------------------------- */

static void unit_deliver(struct spk_chip *c, uint32_t t, const struct spk_packet *p, uint64_t x)
{
	switch (c->kind[t]) {
	case SPK_TILE_CORE: spk_core_deliver(c->unit[t], p, x); break;
	case SPK_TILE_ATTENTION: spk_attn_deliver(c->unit[t], p, x); break;
	case SPK_TILE_ENCODER: spk_encoder_deliver(c->unit[t], p, x); break;
	case SPK_TILE_READOUT: spk_readout_deliver(c->unit[t], p, x); break;
	}
}

static uint64_t unit_eval(struct spk_chip *c, uint32_t t, uint64_t x)
{
	const struct spk_unit_port *port = &c->port[t];

	if (t == c->stall_tile)
		return UINT64_MAX;	/* the test hook's unit: asleep for good */
	switch (c->kind[t]) {
	case SPK_TILE_CORE:
		spk_core_eval(c->unit[t], x, port);
		return spk_core_next_cycle(c->unit[t]);
	case SPK_TILE_ATTENTION:
		spk_attn_eval(c->unit[t], x, port);
		return spk_attn_next_cycle(c->unit[t]);
	case SPK_TILE_ENCODER:
		spk_encoder_eval(c->unit[t], x, port);
		return spk_encoder_next_cycle(c->unit[t]);
	case SPK_TILE_READOUT:
		spk_readout_eval(c->unit[t], x, port);
		return spk_readout_next_cycle(c->unit[t]);
	}
	return UINT64_MAX;
}

static void unit_destroy(enum spk_tile_kind k, void *u)
{
	switch (k) {
	case SPK_TILE_CORE: spk_core_destroy(u); break;
	case SPK_TILE_ATTENTION: spk_attn_destroy(u); break;
	case SPK_TILE_ENCODER: spk_encoder_destroy(u); break;
	case SPK_TILE_READOUT: spk_readout_destroy(u); break;
	}
}

/* ---- building from the image ----------------------------------------------------------------- */

/* Where each routing entry goes: its index among the destination's incoming routes and axon. */
struct route_map {
	uint32_t **dst_route;		/* [tile][entry] */
	uint32_t **axon;		/* [tile][entry] */
	uint32_t *n_in;			/* [tile] incoming routes */
	struct spk_unit_in_route **in;	/* [tile][n_in] */
};

static uint32_t fire_step(const struct spk_image *img, uint32_t pop)
{
	for (uint32_t s = 0; s < img->n_steps; s++)
		if (img->steps[s].type == SPK_STEP_FIRE && img->steps[s].pop == pop)
			return s;
	return UINT32_MAX;
}

static uint32_t encoder_step(const struct spk_image *img, uint32_t site)
{
	for (uint32_t s = 0; s < img->n_steps; s++)
		if (img->steps[s].type == SPK_STEP_ENCODER && img->steps[s].dst_site == site)
			return s;
	return UINT32_MAX;
}

static void route_map_free(struct route_map *rm, uint32_t n_tiles)
{
	for (uint32_t t = 0; t < n_tiles; t++) {
		if (rm->dst_route != NULL)
			free(rm->dst_route[t]);
		if (rm->axon != NULL)
			free(rm->axon[t]);
		if (rm->in != NULL)
			free(rm->in[t]);
	}
	free(rm->dst_route);
	free(rm->axon);
	free(rm->n_in);
	free(rm->in);
}

static int route_map_build(struct route_map *rm, const struct spk_image *img, char *err,
			   size_t errlen)
{
	uint32_t n = img->n_tiles;
	uint32_t *spike_axon = NULL;

	memset(rm, 0, sizeof(*rm));
	rm->dst_route = calloc(n, sizeof(*rm->dst_route));
	rm->axon = calloc(n, sizeof(*rm->axon));
	rm->n_in = calloc(n, sizeof(*rm->n_in));
	rm->in = calloc(n, sizeof(*rm->in));
	spike_axon = calloc(n, sizeof(*spike_axon));
	if (rm->dst_route == NULL || rm->axon == NULL || rm->n_in == NULL || rm->in == NULL ||
	    spike_axon == NULL)
		goto out_nomem;
	for (uint32_t t = 0; t < n; t++) {
		const struct spk_image_tile *tl = &img->tiles[t];

		for (uint32_t e = 0; e < tl->n_routes; e++)
			rm->n_in[tl->routes[e].dst_tile]++;
		rm->dst_route[t] = calloc(tl->n_routes + 1, sizeof(uint32_t));
		rm->axon[t] = calloc(tl->n_routes + 1, sizeof(uint32_t));
		if (rm->dst_route[t] == NULL || rm->axon[t] == NULL)
			goto out_nomem;
	}
	for (uint32_t t = 0; t < n; t++) {
		rm->in[t] = calloc(rm->n_in[t] + 1, sizeof(**rm->in));
		if (rm->in[t] == NULL)
			goto out_nomem;
		rm->n_in[t] = 0;
	}
	for (uint32_t t = 0; t < n; t++) {
		const struct spk_image_tile *tl = &img->tiles[t];

		for (uint32_t e = 0; e < tl->n_routes; e++) {
			const struct spk_image_route *r = &tl->routes[e];
			const struct spk_image_tile *dt = &img->tiles[r->dst_tile];
			uint32_t d = r->dst_tile, k = rm->n_in[d]++;
			struct spk_unit_in_route *ir = &rm->in[d][k];

			memset(ir, 0, sizeof(*ir));
			ir->src_tile = t;
			ir->src_route = e;
			rm->dst_route[t][e] = k;
			switch (r->kind) {
			case SPK_ROUTE_SPIKE: {
				const struct spk_image_piece *sp = &tl->pieces[r->local];

				ir->kind = SPK_IN_SPIKE;
				ir->pop = r->source;
				ir->axon_base = spike_axon[d];
				ir->c0 = sp->c0;
				ir->channels = sp->c1 - sp->c0;
				ir->y0 = sp->y0;
				ir->rows = sp->y1 - sp->y0;
				ir->width = img->sites[sp->site].width;
				rm->axon[t][e] = spike_axon[d];
				spike_axon[d] += (uint32_t)spk_image_piece_size(img, sp);
				break;
			}
			case SPK_ROUTE_MEAN:
				ir->kind = SPK_IN_MEAN;
				ir->pop = r->source;
				rm->axon[t][e] = spk_image_mean_axon(img, dt, r->source);
				if (rm->axon[t][e] == UINT32_MAX) {
					snprintf(err, errlen, "tile %u: MEAN route %u to tile %u, "
						 "which does not host population %u", t, e, d,
						 r->source);
					goto out_free;
				}
				break;
			case SPK_ROUTE_ATTN:
			case SPK_ROUTE_ENCODER:
				ir->kind = r->kind == SPK_ROUTE_ATTN ? SPK_IN_ATTN : SPK_IN_ENCODER;
				ir->piece = r->dst_piece;
				ir->phase = r->source;
				rm->axon[t][e] = spk_image_piece_axon(
					img, &dt->pieces[r->dst_piece], r->kind == SPK_ROUTE_ENCODER);
				break;
			}
		}
	}
	free(spike_axon);
	return 0;
out_nomem:
	snprintf(err, errlen, "out of memory for the chip's routes");
out_free:
	free(spike_axon);
	route_map_free(rm, n);
	return -ENOMEM;
}

/* A routing entry as the source unit sees it. */
static struct spk_unit_route unit_route(const struct spk_image *img, const struct route_map *rm,
					uint32_t t, uint32_t e, uint32_t source)
{
	const struct spk_image_route *r = &img->tiles[t].routes[e];
	struct spk_unit_route u = { .source = source, .dst_tile = r->dst_tile,
				    .dst_route = rm->dst_route[t][e], .axon_base = rm->axon[t][e] };

	if (r->kind == SPK_ROUTE_ATTN || r->kind == SPK_ROUTE_ENCODER) {
		const struct spk_image_piece *dp = &img->tiles[r->dst_tile].pieces[r->dst_piece];

		u.c0 = r->c0;
		u.c1 = r->c1;
		u.y0 = r->y0;
		u.y1 = r->y1;
		u.pc0 = dp->c0;
		u.py0 = dp->y0;
		u.prows = dp->y1 - dp->y0;
	}
	return u;
}

static void *build_core(const struct spk_image *img, const struct spk_arch *a,
			const struct route_map *rm, const uint32_t *route_mc, uint32_t t, char *err,
			size_t errlen)
{
	const struct spk_image_tile *tl = &img->tiles[t];
	struct spk_core_config cfg = {
		.tile = t, .time_steps = img->time_steps, .adders = (uint32_t)a->core.adders,
		.neuron_updates = (uint32_t)a->core.neuron_updates,
		.input_fifo = (uint32_t)a->core.input_fifo,
		.output_queue = (uint32_t)a->core.output_queue,
		.flit_bits = (uint32_t)a->noc.flit_bits, .membrane_bits = img->membrane_bits,
	};
	struct spk_core_piece *pieces = calloc(tl->n_pieces + 1, sizeof(*pieces));
	struct spk_core_proj *projs = calloc(tl->n_projs + 1, sizeof(*projs));
	struct spk_core_reader *readers = NULL;
	struct spk_unit_route *routes = calloc(tl->n_routes + 1, sizeof(*routes));
	uint32_t n_readers = 0, max_readers = tl->n_routes;
	void *u = NULL;

	for (uint32_t i = 0; i < tl->n_pieces; i++)
		max_readers += img->n_site_readers[tl->pieces[i].site];
	readers = calloc(max_readers + 1, sizeof(*readers));
	if (pieces == NULL || projs == NULL || readers == NULL || routes == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	for (uint32_t i = 0; i < tl->n_pieces; i++) {
		const struct spk_image_piece *p = &tl->pieces[i];
		const struct spk_image_site *s = &img->sites[p->site];
		uint32_t g = p->c1 - p->c0;

		pieces[i] = (struct spk_core_piece){
			.c0 = p->c0, .channels = g, .y0 = p->y0, .rows = p->y1 - p->y0,
			.height = s->height, .width = s->width,
			.acc_axon = spk_image_piece_axon(img, p, false), .enc_axon = UINT32_MAX };
		if (img->site_encoder[p->site]) {
			pieces[i].enc_axon = spk_image_piece_axon(img, p, true);
			pieces[i].enc_phase = encoder_step(img, p->site);
		}
		for (uint32_t k = 0; k < img->n_site_readers[p->site]; k++) {
			uint32_t pop = img->site_readers[p->site][k];

			readers[n_readers++] = (struct spk_core_reader){
				.piece = i, .phase = fire_step(img, pop), .pop = pop, .mean = false,
				.theta = p->theta + (size_t)k * g };
		}
	}
	for (uint32_t j = 0; j < tl->n_projs; j++) {
		const struct spk_image_proj *p = &tl->projs[j];
		const struct spk_image_step *st = &img->steps[p->step];

		projs[j] = (struct spk_core_proj){
			.piece = p->piece, .phase = p->step, .pop = st->src_pop, .c_in = st->c_in,
			.h_in = st->h_in, .w_in = st->w_in, .kernel = st->kernel,
			.stride = st->stride, .pad = st->pad, .w = p->w, .bias = p->bias };
	}
	for (uint32_t e = 0; e < tl->n_routes; e++) {
		const struct spk_image_route *r = &tl->routes[e];
		bool mean = r->kind == SPK_ROUTE_MEAN;
		uint32_t k;

		if (r->kind != SPK_ROUTE_SPIKE && !mean) {
			snprintf(err, errlen, "route %u: a %s route on a synapse core", e,
				 r->kind == SPK_ROUTE_ATTN ? "ATTN" : "ENCODER");
			goto out_free;
		}
		for (k = 0; k < n_readers; k++)
			if (readers[k].piece == r->local && readers[k].pop == r->source &&
			    readers[k].mean == mean)
				break;
		if (k == n_readers) {
			if (!mean) {
				snprintf(err, errlen, "route %u: population %u does not read piece %u",
					 e, r->source, r->local);
				goto out_free;
			}
			readers[n_readers++] = (struct spk_core_reader){
				.piece = r->local, .phase = fire_step(img, r->source),
				.pop = r->source, .mean = true };
		}
		routes[e] = unit_route(img, rm, t, e, k);
	}
	cfg.n_pieces = tl->n_pieces;
	cfg.pieces = pieces;
	cfg.n_projs = tl->n_projs;
	cfg.projs = projs;
	cfg.n_readers = n_readers;
	cfg.readers = readers;
	cfg.n_in = rm->n_in[t];
	cfg.in = rm->in[t];
	cfg.n_routes = tl->n_routes;
	cfg.routes = routes;
	cfg.route_mc = route_mc;
	u = spk_core_create(&cfg, err, errlen);
out_free:
	free(pieces);
	free(projs);
	free(readers);
	free(routes);
	return u;
}

static void *build_attn(const struct spk_image *img, const struct spk_arch *a,
			const struct route_map *rm, uint32_t t, char *err, size_t errlen)
{
	const struct spk_image_tile *tl = &img->tiles[t];
	struct spk_attn_config cfg = {
		.tile = t, .lanes = (uint32_t)a->attention.lanes,
		.input_fifo = (uint32_t)a->core.input_fifo,
		.output_queue = (uint32_t)a->core.output_queue,
		.flit_bits = (uint32_t)a->noc.flit_bits, .counter_bits = img->counter_bits,
	};
	struct spk_attn_op *ops = calloc(tl->n_attn + 1, sizeof(*ops));
	struct spk_unit_route *routes = calloc(tl->n_routes + 1, sizeof(*routes));
	void *u = NULL;

	if (ops == NULL || routes == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	for (uint32_t j = 0; j < tl->n_attn; j++) {
		const struct spk_image_step *st = &img->steps[tl->attn[j].step];

		ops[j] = (struct spk_attn_op){
			.phase = tl->attn[j].step, .q_pop = st->q_pop, .k_pop = st->k_pop,
			.v_pop = st->v_pop, .channels = st->c_out, .heads = st->heads,
			.height = st->h_out, .width = st->w_out };
	}
	for (uint32_t e = 0; e < tl->n_routes; e++) {
		if (tl->routes[e].kind != SPK_ROUTE_ATTN) {
			snprintf(err, errlen, "route %u: not an ATTN route on an attention unit", e);
			goto out_free;
		}
		routes[e] = unit_route(img, rm, t, e, tl->routes[e].local);
	}
	cfg.n_ops = tl->n_attn;
	cfg.ops = ops;
	cfg.n_in = rm->n_in[t];
	cfg.in = rm->in[t];
	cfg.n_routes = tl->n_routes;
	cfg.routes = routes;
	u = spk_attn_create(&cfg, err, errlen);
out_free:
	free(ops);
	free(routes);
	return u;
}

static void *build_encoder(const struct spk_image *img, const struct spk_arch *a,
			   const struct route_map *rm, uint32_t t, char *err, size_t errlen)
{
	const struct spk_image_tile *tl = &img->tiles[t];
	const struct spk_image_encoder *en = tl->encoder;
	const struct spk_image_step *st = &img->steps[en->step];
	struct spk_encoder_config cfg = {
		.tile = t, .macs = (uint32_t)a->encoder.macs,
		.input_fifo = (uint32_t)a->core.input_fifo,
		.output_queue = (uint32_t)a->core.output_queue,
		.flit_bits = (uint32_t)a->noc.flit_bits, .c_in = st->c_in, .h_in = st->h_in,
		.w_in = st->w_in, .kernel = st->kernel, .stride = st->stride, .pad = st->pad,
		.h_out = st->h_out, .w_out = st->w_out, .c0 = en->c0, .channels = en->c1 - en->c0,
		.w = en->w, .zero = en->zero, .mult = en->mult, .bias = en->bias,
	};
	struct spk_unit_route *routes = calloc(tl->n_routes + 1, sizeof(*routes));
	void *u = NULL;

	if (routes == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (uint32_t e = 0; e < tl->n_routes; e++) {
		if (tl->routes[e].kind != SPK_ROUTE_ENCODER) {
			snprintf(err, errlen, "route %u: not an ENCODER route on an encoder", e);
			goto out_free;
		}
		routes[e] = unit_route(img, rm, t, e, 0);
	}
	cfg.n_routes = tl->n_routes;
	cfg.routes = routes;
	u = spk_encoder_create(&cfg, err, errlen);
out_free:
	free(routes);
	return u;
}

static void *build_readout(struct spk_chip *c, const struct spk_image *img,
			   const struct spk_arch *a, const struct route_map *rm, uint32_t t,
			   char *err, size_t errlen)
{
	const struct spk_image_tile *tl = &img->tiles[t];
	struct spk_readout_config cfg = {
		.tile = t, .time_steps = img->time_steps, .adders = (uint32_t)a->core.adders,
		.neuron_updates = (uint32_t)a->core.neuron_updates,
		.input_fifo = (uint32_t)a->core.input_fifo,
		.flit_bits = (uint32_t)a->noc.flit_bits, .membrane_bits = img->membrane_bits,
		.class_out = class_out, .class_ctx = c,
	};
	struct spk_readout_mean *means = calloc(tl->n_means + 1, sizeof(*means));
	struct spk_readout_head head;
	void *u = NULL;

	if (means == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (uint32_t m = 0; m < tl->n_means; m++) {
		uint32_t pop = tl->means[m].pop;

		means[m] = (struct spk_readout_mean){
			.pop = pop, .phase = fire_step(img, pop),
			.channels = img->sites[img->pops[pop].site].channels,
			.axon_base = spk_image_mean_axon(img, tl, pop),
			.theta = tl->means[m].theta };
	}
	if (tl->head != NULL) {
		uint32_t src = img->steps[tl->head->step].src_pop, m;

		for (m = 0; m < tl->n_means; m++)
			if (tl->means[m].pop == src)
				break;
		head = (struct spk_readout_head){ .mean = m, .classes = img->classes,
						  .w = tl->head->w, .bias = tl->head->bias };
		cfg.head = &head;
	}
	cfg.n_means = tl->n_means;
	cfg.means = means;
	cfg.n_in = rm->n_in[t];
	cfg.in = rm->in[t];
	u = spk_readout_create(&cfg, err, errlen);
	free(means);
	return u;
}

/*
 * Tree multicast ([noc] multicast = tree): the image's groups (spk_image_mc_groups(), the ones
 * the mapper checked), checked again against this arch's head flit, and registered with the
 * NoC in group order, each member with its axon base and route index at its tile. On return
 * mc->route_group[t][e] holds the NoC's id of entry e's group (0: unicast), for the cores.
 */
static int mc_setup(struct spk_chip *c, const struct spk_image *img, const struct spk_arch *a,
		    const struct route_map *rm, struct spk_image_mc *mc, char *err, size_t errlen)
{
	struct spk_noc_member *m = NULL;
	uint32_t *id = NULL, max_n = 0;
	int rc;

	if (spk_image_mc_groups(img, mc) < 0)
		goto out_nomem;
	rc = spk_image_check_mc_payload(img, a, mc, err, errlen);
	if (rc < 0)
		return rc;
	for (uint32_t g = 0; g < mc->n_groups; g++)
		if (mc->groups[g].n > max_n)
			max_n = mc->groups[g].n;
	m = malloc((max_n + 1) * sizeof(*m));
	id = malloc((mc->n_groups + 1) * sizeof(*id));
	if (m == NULL || id == NULL)
		goto out_nomem;
	for (uint32_t g = 0; g < mc->n_groups; g++) {
		const struct spk_image_mc_group *gr = &mc->groups[g];

		for (uint32_t k = 0; k < gr->n; k++) {
			uint32_t e = mc->member[gr->first + k];

			m[k] = (struct spk_noc_member){ img->tiles[gr->tile].routes[e].dst_tile,
							rm->axon[gr->tile][e],
							rm->dst_route[gr->tile][e] };
		}
		rc = spk_noc_add_group(c->noc, gr->tile, m, gr->n, &id[g]);
		if (rc == -ENOMEM)
			goto out_nomem;
		if (rc < 0) {
			snprintf(err, errlen, "tile %u: the NoC refused multicast group %u (%d)",
				 gr->tile, g + 1, rc);
			goto out_free;
		}
	}
	for (uint32_t t = 0; t < img->n_tiles; t++)
		for (uint32_t e = 0; e < img->tiles[t].n_routes; e++)
			if (mc->route_group[t][e] != 0)
				mc->route_group[t][e] = id[mc->route_group[t][e] - 1];
	free(m);
	free(id);
	return 0;
out_nomem:
	snprintf(err, errlen, "out of memory for the chip's multicast groups");
	rc = -ENOMEM;
out_free:
	free(m);
	free(id);
	return rc;
}

/* Whether tile t holds anything to simulate. */
static bool tile_used(const struct spk_image_tile *tl, uint32_t n_in)
{
	switch (tl->kind) {
	case SPK_TILE_CORE: return tl->n_pieces > 0;
	case SPK_TILE_ATTENTION: return tl->n_attn > 0;
	case SPK_TILE_ENCODER: return tl->encoder != NULL;
	case SPK_TILE_READOUT: return tl->n_means > 0 || tl->head != NULL || n_in > 0;
	}
	return false;
}

struct spk_chip *spk_chip_create(const struct spk_image *img, const struct spk_arch *a, char *err,
				 size_t errlen)
{
	struct spk_chip *c;
	struct spk_noc_config ncfg;
	struct route_map rm;
	struct spk_image_mc mc = { 0 };
	const bool tree = a->noc.multicast == SPK_MULTICAST_TREE;
	char uerr[512];

	if (spk_image_check_arch(img, a, err, errlen) < 0)
		return NULL;
	if (spk_noc_config_from_arch(&ncfg, a) < 0) {
		snprintf(err, errlen, "the NoC model does not do [noc] multicast = %s",
			 tree ? "tree" : "source");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out_nomem0;
	c->arch = *a;
	c->n_tiles = img->n_tiles;
	c->stall_tile = UINT32_MAX;
	{
		/* a test hook (tests/cli/sim.sh): a unit that never drains its input */
		const char *st = getenv("SPK_TEST_STALL_TILE");

		if (st != NULL && *st != '\0')
			c->stall_tile = (uint32_t)strtoul(st, NULL, 10);
	}
	c->time_steps = img->time_steps;
	c->classes = img->classes;
	c->image_bytes = (size_t)img->in_channels * img->in_height * img->in_width;
	c->n_pops = img->n_pops;
	c->kind = calloc(c->n_tiles, sizeof(*c->kind));
	c->unit = calloc(c->n_tiles, sizeof(*c->unit));
	c->tp = calloc(c->n_tiles, sizeof(*c->tp));
	c->port = calloc(c->n_tiles, sizeof(*c->port));
	c->enc_tiles = calloc(c->n_tiles, sizeof(*c->enc_tiles));
	c->dl = calloc(c->n_tiles, sizeof(*c->dl));
	c->pop_neurons = calloc(c->n_pops + 1, sizeof(*c->pop_neurons));
	c->pop_off = calloc(c->n_pops + 1, sizeof(*c->pop_off));
	c->pop_spikes = calloc(c->n_pops + 1, sizeof(*c->pop_spikes));
	c->enc_layer = calloc(c->n_tiles, sizeof(*c->enc_layer));
	c->noc = spk_noc_create(&ncfg);
	if (c->kind == NULL || c->unit == NULL || c->tp == NULL || c->port == NULL ||
	    c->enc_tiles == NULL || c->dl == NULL || c->pop_neurons == NULL ||
	    c->pop_off == NULL || c->pop_spikes == NULL || c->noc == NULL || c->enc_layer == NULL ||
	    spk_sched_init(&c->sched, c->n_tiles + 1, c->n_tiles) < 0)
		goto out_nomem;
	for (uint32_t p = 0; p < c->n_pops; p++) {
		c->pop_neurons[p] = img->pops[p].neurons;
		c->pop_off[p] = c->bits_per_t;
		c->bits_per_t += img->pops[p].neurons;
		if (img->pops[p].neurons > c->max_pop)
			c->max_pop = img->pops[p].neurons;
	}
	if (route_map_build(&rm, img, err, errlen) < 0)
		goto out_destroy;
	if (tree && mc_setup(c, img, a, &rm, &mc, err, errlen) < 0) {
		route_map_free(&rm, c->n_tiles);
		spk_image_mc_fini(&mc);
		goto out_destroy;
	}
	for (uint32_t t = 0; t < c->n_tiles; t++) {
		const struct spk_image_tile *tl = &img->tiles[t];

		c->kind[t] = tl->kind;
		c->tp[t] = (struct tile_port){ c, t };
		c->port[t] = (struct spk_unit_port){ port_send, port_credit, port_spike, &c->tp[t],
						     NULL };
		if (!tile_used(tl, rm.n_in[t]))
			continue;
		switch (tl->kind) {
		case SPK_TILE_CORE:
			c->unit[t] = build_core(img, a, &rm, tree ? mc.route_group[t] : NULL, t,
						uerr, sizeof(uerr));
			break;
		case SPK_TILE_ATTENTION:
			c->unit[t] = build_attn(img, a, &rm, t, uerr, sizeof(uerr));
			break;
		case SPK_TILE_ENCODER:
			c->unit[t] = build_encoder(img, a, &rm, t, uerr, sizeof(uerr));
			if (c->unit[t] != NULL)
				c->enc_tiles[c->n_enc++] = t;
			c->enc_layer[t] = tl->encoder->step;
			break;
		case SPK_TILE_READOUT:
			c->unit[t] = build_readout(c, img, a, &rm, t, uerr, sizeof(uerr));
			if (tl->head != NULL)
				c->head_tile = t;
			break;
		}
		if (c->unit[t] == NULL) {
			snprintf(err, errlen, "tile %u (%u,%u, %s): the image does not configure its "
				 "unit: %s", t, tl->x, tl->y, spk_image_tile_kind_name(tl->kind), uerr);
			route_map_free(&rm, c->n_tiles);
			spk_image_mc_fini(&mc);
			goto out_destroy;
		}
	}
	route_map_free(&rm, c->n_tiles);
	spk_image_mc_fini(&mc);
	if (c->n_enc == 0) {
		snprintf(err, errlen, "the image has no encoder: nothing reads the input images");
		goto out_destroy;
	}
	return c;
out_nomem:
	snprintf(err, errlen, "out of memory for the chip");
out_destroy:
	spk_chip_destroy(c);
	return NULL;
out_nomem0:
	snprintf(err, errlen, "out of memory for the chip");
	return NULL;
}

void spk_chip_destroy(struct spk_chip *c)
{
	if (c == NULL)
		return;
	if (c->unit != NULL)
		for (uint32_t t = 0; t < c->n_tiles; t++)
			if (c->unit[t] != NULL)
				unit_destroy(c->kind[t], c->unit[t]);
	if (c->noc != NULL)
		spk_noc_destroy(c->noc);
	if (c->sched.heap != NULL)
		spk_sched_fini(&c->sched);
	free(c->kind);
	free(c->unit);
	free(c->tp);
	free(c->port);
	free(c->enc_tiles);
	free(c->dl);
	free(c->pop_neurons);
	free(c->pop_off);
	free(c->pop_spikes);
	free(c->slot_bits);
	free(c->ids);
	free(c->out);
	free(c->ext_link);
	free(c->ext_refused);
	free(c->ext_unit);
	free(c->ext_unit_set);
	free(c->ext_enc);
	free(c->enc_layer);
	free(c);
}

int spk_chip_record(struct spk_chip *c, bool on)
{
	c->record = on;
	if (!on || c->slot_bits != NULL)
		return 0;
	c->slot_words = (size_t)((c->bits_per_t * c->time_steps + 63) / 64);
	c->slot_bits = calloc(c->slot_words * SPK_CHIP_IN_FLIGHT, sizeof(uint64_t));
	c->ids = malloc((c->max_pop + 1) * sizeof(*c->ids));
	if (c->slot_bits == NULL || c->ids == NULL) {
		c->record = false;
		return -ENOMEM;
	}
	return 0;
}

void spk_chip_set_image_hook(struct spk_chip *c, spk_chip_image_fn fn, void *ctx)
{
	c->hook = fn;
	c->hook_ctx = ctx;
}

void spk_chip_set_max_cycles(struct spk_chip *c, uint64_t n)
{
	c->max_cycles = n;
}

/* The units report work when a timeline or a critical path wants it. */
static void set_reports(struct spk_chip *c)
{
	bool on = c->tl != NULL || c->cp != NULL;

	for (uint32_t t = 0; t < c->n_tiles; t++)
		c->port[t].work = on ? port_work : NULL;
}

void spk_chip_set_timeline(struct spk_chip *c, struct spk_timeline *tl)
{
	c->tl = tl;
	set_reports(c);
	if (tl != NULL && spk_timeline_routers(tl))
		spk_noc_set_router_hook(c->noc, router_work, c);
	else
		spk_noc_set_router_hook(c->noc, NULL, NULL);
}

void spk_chip_set_critpath(struct spk_chip *c, struct spk_critpath *cp)
{
	c->cp = cp;
	c->cp_rc = 0;
	set_reports(c);
}

const uint32_t *spk_chip_image_spikes(struct spk_chip *c, uint32_t image, uint32_t t,
				      uint32_t pop, size_t *n)
{
	const uint64_t *b;
	uint64_t lo, hi;
	size_t k = 0;

	assert(c->record && t < c->time_steps && pop < c->n_pops);
	assert(image >= c->done && image < c->fed);
	b = c->slot_bits + (image % SPK_CHIP_IN_FLIGHT) * c->slot_words;
	lo = t * c->bits_per_t + c->pop_off[pop];
	hi = lo + c->pop_neurons[pop];
	for (uint64_t w = lo >> 6; w <= (hi - 1) >> 6; w++) {
		uint64_t bits = b[w];

		while (bits != 0) {
			uint64_t bit = (w << 6) + (uint64_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (bit >= lo && bit < hi)
				c->ids[k++] = (uint32_t)(bit - lo);
		}
	}
	*n = k;
	return c->ids;
}

/* Puts image i into every encoder in cycle x. */
static void feed(struct spk_chip *c, const uint8_t *pixels, uint64_t x)
{
	uint32_t i = c->fed++;

	if (c->record)
		memset(c->slot_bits + (i % SPK_CHIP_IN_FLIGHT) * c->slot_words, 0,
		       c->slot_words * sizeof(uint64_t));
	c->res[i].in_cycle = x;
	for (uint32_t k = 0; k < c->n_enc; k++) {
		uint32_t t = c->enc_tiles[k];
		const uint8_t *px = pixels + (size_t)i * c->image_bytes;
		int rc = c->ext_enc != NULL && c->ext_enc[t].image_in != NULL ?
				 c->ext_enc[t].image_in(c->ext_enc[t].ctx, px, x) :
				 spk_encoder_image_in(c->unit[t], px, x);

		assert(rc == 0);
		(void)rc;
		spk_sched_wake(&c->sched, t, x, 0);
	}
}

static bool encoders_free(const struct spk_chip *c)
{
	for (uint32_t k = 0; k < c->n_enc; k++) {
		uint32_t t = c->enc_tiles[k];

		if (c->ext_enc != NULL && c->ext_enc[t].can_take != NULL ?
			    !c->ext_enc[t].can_take(c->ext_enc[t].ctx) :
			    !spk_encoder_can_take_image(c->unit[t]))
			return false;
	}
	return true;
}

/* Image i is out: the timeline's marks, its critical path. 0 or -ENOMEM. */
static int image_reports(struct spk_chip *c, uint32_t i)
{
	const struct spk_chip_result *r = &c->res[i];

	if (c->tl != NULL)
		spk_timeline_image(c->tl, i, r->in_cycle, r->out_cycle);
	if (c->cp == NULL)
		return 0;
	if (c->cp_rc == 0)
		c->cp_rc = spk_critpath_image(c->cp, i, r->in_cycle, r->out_cycle, c->head_tile);
	return c->cp_rc;
}

int spk_chip_run(struct spk_chip *c, const uint8_t *pixels, uint32_t n,
		 struct spk_chip_result *res, char *err, size_t errlen)
{
	struct spk_sched_event ev;
	int rc = spk_chip_engine_begin(c, pixels, n, res);

	if (rc != 0)
		return rc > 0 ? 0 : rc;	/* 1: no images */
	for (;;) {
		uint64_t x = spk_noc_now(c->noc), next;
		size_t k;

		if (c->max_cycles != 0 && x >= c->max_cycles) {
			rc = spk_chip_engine_timeout(c, err, errlen);
			goto out;
		}
		/* 1. cycle x: deliveries, then every unit with work in x */
		while ((k = spk_noc_collect(c->noc, c->dl, c->n_tiles)) > 0)
			for (size_t j = 0; j < k; j++) {
				const struct spk_noc_delivery *d = &c->dl[j];
				uint32_t t = d->pkt.dst;

				assert(d->arrival_cycle == x && c->unit[t] != NULL);
				unit_deliver(c, t, &d->pkt, x);
				spk_sched_wake(&c->sched, t, x, 0);
			}
		{
			size_t nr;
			const uint32_t *rd = spk_noc_ni_ready(c->noc, &nr);

			for (size_t j = 0; j < nr; j++)
				if (c->unit[rd[j]] != NULL)
					spk_sched_wake(&c->sched, rd[j], x, 0);
		}
		while (spk_sched_next_cycle(&c->sched) == x) {
			uint64_t nc;

			/* a unit's evaluation touches no wake-up: it stays first until it is
			 * moved to the unit's next cycle (one sift) or removed */
			spk_sched_peek(&c->sched, &ev);
			nc = unit_eval(c, ev.target, x);
			c->unit_evals++;
			if (__builtin_expect(c->tl != NULL, 0))
				timeline_queues(c, ev.target, x);
			if (nc != UINT64_MAX)
				spk_sched_rewake_first(&c->sched, nc, 0);
			else
				spk_sched_pop(&c->sched, &ev);
		}
		/* images out, in order */
		while (c->done < c->fed && c->out[c->done]) {
			if (__builtin_expect(c->tl != NULL || c->cp != NULL, 0) &&
			    (rc = image_reports(c, c->done)) < 0) {
				snprintf(err, errlen, "out of memory for the critical path");
				goto out;
			}
			if (c->hook != NULL && (rc = c->hook(c->hook_ctx, c->done, &res[c->done])) < 0)
				goto out;
			c->done++;
		}
		if (c->done == n)
			break;
		if (c->fed < n && c->fed < c->done + SPK_CHIP_IN_FLIGHT && encoders_free(c))
			feed(c, pixels, x + 1);
		/* 2. the network, up to the next wake-up or its first delivery */
		next = spk_sched_next_cycle(&c->sched);
		if (next == UINT64_MAX && spk_noc_next_cycle(c->noc) == UINT64_MAX) {
			rc = spk_chip_engine_deadlock(c, x, err, errlen);
			goto out;
		}
		spk_noc_run(c->noc, next, SPK_NOC_STOP_AT_DELIVERY | SPK_NOC_STOP_AT_NI_READY);
	}
out:
	return rc;
}

/* The counts of tile t's unit: its C model's, or those another engine set. */
static void unit_stats(const struct spk_chip *c, uint32_t t, union unit_stats *u)
{
	if (c->ext_unit_set != NULL && c->ext_unit_set[t]) {
		*u = c->ext_unit[t];
		return;
	}
	switch (c->kind[t]) {
	case SPK_TILE_CORE: spk_core_get_stats(c->unit[t], &u->core); break;
	case SPK_TILE_ATTENTION: spk_attn_get_stats(c->unit[t], &u->attn); break;
	case SPK_TILE_ENCODER: spk_encoder_get_stats(c->unit[t], &u->enc); break;
	case SPK_TILE_READOUT: spk_readout_get_stats(c->unit[t], &u->ro); break;
	}
}

/* How many cycles tile t's unit worked on its input side (the "busiest unit" of the report):
 * a core's or attention unit's receive engine, the encoder's MAC array, the readout's packets. */
static uint64_t tile_busy(const struct spk_chip *c, uint32_t t)
{
	union unit_stats u;

	if (c->unit[t] == NULL)
		return 0;
	unit_stats(c, t, &u);
	switch (c->kind[t]) {
	case SPK_TILE_CORE: return u.core.receive_busy;
	case SPK_TILE_ATTENTION: return u.attn.receive_busy;
	case SPK_TILE_ENCODER: return u.enc.compute_cycles;
	case SPK_TILE_READOUT: return u.ro.packets_in;
	}
	return 0;
}

void spk_chip_get_stats(const struct spk_chip *c, struct spk_chip_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->images = c->done;
	st->cycles = c->done > 0 ? c->last_out + 1 : 0;
	st->unit_evals = c->unit_evals;
	for (uint32_t t = 0; t < c->n_tiles; t++) {
		union unit_stats u;
		uint64_t busy;

		if (c->unit[t] == NULL)
			continue;
		unit_stats(c, t, &u);
		switch (c->kind[t]) {
		case SPK_TILE_CORE:
			spk_unit_events_add(&st->ev, &u.core.ev);
			st->graded_clamped += u.core.graded_clamped;
			break;
		case SPK_TILE_ATTENTION:
			spk_unit_events_add(&st->ev, &u.attn.ev);
			st->counter_overflows += u.attn.counter_overflows;
			break;
		case SPK_TILE_ENCODER:
			spk_unit_events_add(&st->ev, &u.enc.ev);
			st->graded_clamped += u.enc.graded_clamped;
			break;
		case SPK_TILE_READOUT:
			spk_unit_events_add(&st->ev, &u.ro.ev);
			break;
		}
		busy = tile_busy(c, t);
		if (busy > st->busiest_cycles) {
			st->busiest_cycles = busy;
			st->busiest_tile = t;
		}
	}
	for (uint32_t p = 0; p < c->n_pops; p++)
		st->spikes += c->pop_spikes[p];
	if (c->ext_noc)
		st->noc = c->ext_st;
	else
		spk_noc_get_stats(c->noc, &st->noc);
	spk_chip_energy_of(&st->energy, &st->ev, &st->noc, &c->arch, c->n_tiles, st->cycles);
}

uint64_t spk_chip_memory_bytes(const struct spk_image *img, const struct spk_arch *a)
{
	const uint64_t B = (uint64_t)a->noc.buffer_flits;
	uint64_t bytes = 0;

	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tl = &img->tiles[t];

		for (uint32_t l = 0; l < tl->n_pieces; l++) {
			const struct spk_image_piece *p = &tl->pieces[l];
			uint64_t elems = spk_image_piece_size(img, p), g = p->c1 - p->c0;
			uint64_t gs = g % 8 >= 3 ? (g + 7) / 8 * 8 : g;

			/* accumulator, its int32 scratch, the readers' membranes, the register */
			bytes += elems * 8 + elems / g * gs * 4 + elems * 8 * img->n_site_readers[p->site] +
				 (img->site_encoder[p->site] ? elems * 8 : 0);
		}
		for (uint32_t j = 0; j < tl->n_projs; j++) {
			const struct spk_image_step *st = &img->steps[tl->projs[j].step];
			const struct spk_image_piece *p = &tl->pieces[tl->projs[j].piece];
			uint64_t g = p->c1 - p->c0, gs = g % 8 >= 3 ? (g + 7) / 8 * 8 : g;

			/* the kernels as the core holds them, rows padded to gs */
			bytes += (uint64_t)st->c_in * st->kernel * st->kernel * gs * 2;
		}
		bytes += (uint64_t)tl->n_routes * 64 + 4096;	/* tables, queues, the unit */
	}
	/* the network: input buffers, the packet table */
	bytes += (uint64_t)img->n_tiles * (5 * B * 16 + (5 * B + 1) * 48 + 256);
	return bytes;
}

void spk_chip_energy_of(struct spk_chip_energy *en, const struct spk_unit_events *ev,
			const struct spk_noc_stats *noc, const struct spk_arch *a, uint32_t tiles,
			uint64_t cycles)
{
	const struct spk_arch_energy *e = &a->energy;

	en->syn_add = (double)(ev->sops + ev->graded_adds) * e->syn_add_pj;
	en->weight_read = (double)ev->sops * a->core.weight_bits * e->weight_read_pj;
	en->neuron = (double)ev->neuron_updates * e->neuron_update_pj;
	en->spike_out = (double)ev->packets_out * e->spike_out_pj;
	en->router = (double)noc->router_flits * e->router_pj;
	en->link = (double)noc->link_flits * e->link_pj;
	en->attention = (double)ev->attention_ops * e->attention_op_pj;
	en->encoder = (double)ev->encoder_macs * e->encoder_mac_pj;
	/* mW · tiles · cycles / MHz = nJ */
	en->static_ = e->static_mw * tiles * (double)cycles / a->chip.clock_mhz * 1e3;
	en->dynamic = spk_unit_energy_pj(ev, e, a->core.weight_bits) + spk_noc_energy_pj(noc, e);
	en->total = en->dynamic + en->static_;
}

const uint64_t *spk_chip_pop_spikes(const struct spk_chip *c)
{
	return c->pop_spikes;
}

const uint64_t *spk_chip_link_counts(const struct spk_chip *c)
{
	return c->ext_noc ? c->ext_link : spk_noc_link_counts(c->noc);
}

const uint64_t *spk_chip_ni_refused(const struct spk_chip *c)
{
	return c->ext_noc ? c->ext_refused : spk_noc_ni_refused(c->noc);
}

void spk_chip_get_unit_busy(const struct spk_chip *c, uint64_t *busy)
{
	for (uint32_t t = 0; t < c->n_tiles; t++)
		busy[t] = tile_busy(c, t);
}

size_t spk_chip_layer_words(const struct spk_image *img)
{
	return spk_energy_raw_size(img) + img->n_steps + 1;
}

int spk_chip_layer_counts(const struct spk_chip *c, const struct spk_image *img, uint64_t *w)
{
	const uint32_t L = img->n_steps;
	uint64_t *ops = w + spk_energy_raw_step(img, 0), *route_ev = w + spk_energy_raw_routes(img);
	uint64_t *busy = w + spk_energy_raw_size(img);
	struct spk_chip_stats st;

	assert(img->n_tiles == c->n_tiles && img->n_pops == c->n_pops);
	memset(w, 0, spk_chip_layer_words(img) * sizeof(*w));
	for (uint32_t t = 0; t < c->n_tiles; t++)
		if (c->ext_unit_set != NULL && c->ext_unit_set[t])
			return -1;	/* an RTL unit: the C model's counters did not run */
	spk_chip_get_stats(c, &st);
	w[0] = st.images;
	for (uint32_t t = 0; t < c->n_tiles; t++) {
		union unit_stats u;
		const struct spk_image_tile *tl = &img->tiles[t];

		if (c->unit[t] == NULL) {
			route_ev += tl->n_routes;
			continue;
		}
		unit_stats(c, t, &u);
		switch (c->kind[t]) {
		case SPK_TILE_CORE:
			w[spk_energy_raw_tile(t)] = u.core.ev.sops;
			spk_core_layer_counts(c->unit[t], L, ops, busy, route_ev);
			break;
		case SPK_TILE_ATTENTION:
			w[spk_energy_raw_tile(t) + 1] = u.attn.ev.attention_ops;
			spk_attn_layer_counts(c->unit[t], L, ops, busy, route_ev);
			break;
		case SPK_TILE_ENCODER:
			spk_encoder_route_counts(c->unit[t], route_ev);
			busy[c->enc_layer[t] < L ? c->enc_layer[t] : L] += u.enc.compute_cycles;
			break;
		case SPK_TILE_READOUT:
			w[spk_energy_raw_tile(t)] = u.ro.ev.sops;
			if (tl->head != NULL)
				ops[tl->head->step] += u.ro.ev.sops;
			spk_readout_layer_busy(c->unit[t], L, busy);
			break;
		}
		route_ev += tl->n_routes;
	}
	for (uint32_t p = 0; p < c->n_pops; p++)
		w[spk_energy_raw_pop(img, p)] = c->pop_spikes[p];
	return 0;
}

/* ---- hooks for another engine (sim/chip_engine.h: the SystemC top) ---------------------------- */

uint32_t spk_chip_engine_tiles(const struct spk_chip *c)
{
	return c->n_tiles;
}

enum spk_tile_kind spk_chip_engine_kind(const struct spk_chip *c, uint32_t tile)
{
	return c->kind[tile];
}

void *spk_chip_engine_unit(const struct spk_chip *c, uint32_t tile)
{
	return c->unit[tile];
}

const struct spk_unit_port *spk_chip_engine_port(const struct spk_chip *c, uint32_t tile)
{
	return &c->port[tile];
}

struct spk_noc *spk_chip_engine_noc(const struct spk_chip *c)
{
	return c->noc;
}

const struct spk_arch *spk_chip_engine_arch(const struct spk_chip *c)
{
	return &c->arch;
}

int spk_chip_engine_set_noc_counts(struct spk_chip *c, const struct spk_noc_stats *st,
				   const uint64_t *link, const uint64_t *refused)
{
	size_t nl = (size_t)c->n_tiles * SPK_ROUTER_PORTS;

	if (c->ext_link == NULL) {
		c->ext_link = malloc(nl * sizeof(*c->ext_link));
		c->ext_refused = malloc(c->n_tiles * sizeof(*c->ext_refused));
		if (c->ext_link == NULL || c->ext_refused == NULL)
			return -ENOMEM;
	}
	memcpy(c->ext_link, link, nl * sizeof(*link));
	memcpy(c->ext_refused, refused, c->n_tiles * sizeof(*refused));
	c->ext_st = *st;
	c->ext_noc = true;
	return 0;
}

int spk_chip_engine_set_unit_stats(struct spk_chip *c, uint32_t tile, const void *st)
{
	assert(tile < c->n_tiles && c->unit[tile] != NULL);
	if (c->ext_unit == NULL) {
		c->ext_unit = calloc(c->n_tiles, sizeof(*c->ext_unit));
		c->ext_unit_set = calloc(c->n_tiles, sizeof(*c->ext_unit_set));
		if (c->ext_unit == NULL || c->ext_unit_set == NULL)
			return -ENOMEM;
	}
	switch (c->kind[tile]) {
	case SPK_TILE_CORE: c->ext_unit[tile].core = *(const struct spk_core_stats *)st; break;
	case SPK_TILE_ATTENTION: c->ext_unit[tile].attn = *(const struct spk_attn_stats *)st; break;
	case SPK_TILE_ENCODER: c->ext_unit[tile].enc = *(const struct spk_encoder_stats *)st; break;
	case SPK_TILE_READOUT: c->ext_unit[tile].ro = *(const struct spk_readout_stats *)st; break;
	}
	c->ext_unit_set[tile] = true;
	return 0;
}

int spk_chip_engine_set_encoder_port(struct spk_chip *c, uint32_t tile,
				     const struct spk_chip_encoder_port *p)
{
	assert(tile < c->n_tiles && c->kind[tile] == SPK_TILE_ENCODER);
	if (c->ext_enc == NULL) {
		c->ext_enc = calloc(c->n_tiles, sizeof(*c->ext_enc));
		if (c->ext_enc == NULL)
			return -ENOMEM;
	}
	c->ext_enc[tile] = *p;
	return 0;
}

double spk_chip_engine_clock_mhz(const struct spk_chip *c)
{
	return c->arch.chip.clock_mhz;
}

const uint32_t *spk_chip_engine_encoders(const struct spk_chip *c, uint32_t *n)
{
	*n = c->n_enc;
	return c->enc_tiles;
}

/* The start of a run, shared by spk_chip_run() and the SystemC engine. */
int spk_chip_engine_begin(struct spk_chip *c, const uint8_t *pixels, uint32_t n,
			  struct spk_chip_result *res)
{
	assert(!c->ran);
	c->ran = true;
	if (n == 0)
		return 1;
	c->out = calloc(n, sizeof(*c->out));
	if (c->out == NULL)
		return -ENOMEM;
	memset(res, 0, n * sizeof(*res));
	c->res = res;
	c->n_images = n;
	/* a unit whose NI refused it sleeps until the NI is ready (SPK_NOC_STOP_AT_NI_READY) */
	for (uint32_t t = 0; t < c->n_tiles; t++)
		if (c->unit[t] != NULL && c->kind[t] == SPK_TILE_CORE)
			spk_core_set_ni_wake(c->unit[t], true);
		else if (c->unit[t] != NULL && c->kind[t] == SPK_TILE_ATTENTION)
			spk_attn_set_ni_wake(c->unit[t], true);
	feed(c, pixels, 0);
	return 0;
}

/* As spk_chip_run()'s loop between the unit evaluations of cycle x and the network. */
int spk_chip_engine_after_cycle(struct spk_chip *c, const uint8_t *pixels, uint64_t x, bool *fed)
{
	int rc;

	*fed = false;
	while (c->done < c->fed && c->out[c->done]) {
		if (c->hook != NULL && (rc = c->hook(c->hook_ctx, c->done, &c->res[c->done])) < 0)
			return rc;
		c->done++;
	}
	if (c->done == c->n_images)
		return 1;
	if (c->fed < c->n_images && c->fed < c->done + SPK_CHIP_IN_FLIGHT && encoders_free(c)) {
		feed(c, pixels, x + 1);
		*fed = true;
	}
	return 0;
}

void spk_chip_engine_add_evals(struct spk_chip *c, uint64_t n)
{
	c->unit_evals += n;
}

uint64_t spk_chip_engine_max_cycles(const struct spk_chip *c)
{
	return c->max_cycles;
}

int spk_chip_engine_timeout(const struct spk_chip *c, char *err, size_t errlen)
{
	snprintf(err, errlen, "stopped at cycle %llu (--max-cycles) with %u of %u images out",
		 (unsigned long long)c->max_cycles, c->done, c->n_images);
	return -ETIME;
}

int spk_chip_engine_deadlock(const struct spk_chip *c, uint64_t x, char *err, size_t errlen)
{
	char what[4096];
	size_t blocked = 0;

	what[0] = '\0';
	if (!c->ext_noc)
		blocked = spk_noc_describe_blocked(c->noc, 6, what, sizeof(what));
	snprintf(err, errlen, "deadlock: nothing left to do in cycle %llu with %u of %u images out; "
		 "%zu blocked network inputs and interfaces%s\n%s", (unsigned long long)x, c->done,
		 c->n_images, blocked, blocked > 0 ? ":" : "", what);
	/* no trailing newline: the caller prints the message as a line */
	if (strlen(err) > 0 && err[strlen(err) - 1] == '\n')
		err[strlen(err) - 1] = '\0';
	return -EDEADLK;
}
