// attn_load.cpp — struct spk_attn_config to rtl/attn.sv's load port (attn_load.h).
//
// What the RTL keeps differs from the C struct in three ways, all derived here: an incoming
// route's block is kept as (c0, first token y0·width, plane rows·width, elements), the element
// e of a spike then being channel c0 + e / plane and token y0·width + e % plane; each incoming
// route carries Q/K/V role bits per op (its population against the op's three); each op carries
// the number of incoming routes feeding it (the tokens its barrier waits for). The ops' valid
// bits go last: an op must not start computing on a half-written configuration.
#include "rtl/attn_load.h"

#include <cstdio>

namespace {

uint64_t tile_addr(const spk_rtl_attn_params *p, uint32_t tile)
{
	return (uint64_t)(tile % p->mesh_x) << p->y_bits | tile / p->mesh_x;
}

}  // namespace

#define BAD(...) do { std::snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int spk_rtl_attn_load(const struct spk_attn_config *cfg, const struct spk_rtl_attn_params *p,
		      void (*write)(void *ctx, uint32_t addr, uint64_t data), void *ctx, char *err,
		      size_t errlen)
{
	const uint64_t pmax = (uint64_t)1 << p->payload_bits;	// payloads are below this
	char dummy[8];

	if (err == nullptr) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (cfg->lanes != p->lanes)
		BAD("lanes = %u: the RTL was built for %u", cfg->lanes, p->lanes);
	if (cfg->input_fifo != p->fifo_flits)
		BAD("input_fifo = %u: the RTL was built for %u", cfg->input_fifo, p->fifo_flits);
	if (cfg->output_queue != p->output_queue)
		BAD("output_queue = %u: the RTL was built for %u", cfg->output_queue,
		    p->output_queue);
	if (cfg->n_ops > p->max_ops)
		BAD("%u attention ops: the RTL holds %u", cfg->n_ops, p->max_ops);
	if (cfg->n_in > p->in_routes)
		BAD("%u incoming routes: the RTL holds %u", cfg->n_in, p->in_routes);
	if (cfg->n_routes > p->max_routes)
		BAD("%u ATTN routes: the RTL holds %u", cfg->n_routes, p->max_routes);
	if (cfg->counter_bits < 2 || cfg->counter_bits > 62)
		BAD("counter_bits = %d: not 2..62", cfg->counter_bits);
	if (cfg->tile >= p->mesh_x * p->mesh_y)
		BAD("tile %u outside the %ux%u mesh", cfg->tile, p->mesh_x, p->mesh_y);
	write(ctx, spk_rtl_attn_addr(0, 0, 0), ((uint64_t)1 << cfg->counter_bits) - 1);

	uint64_t op_w0[21] = { 0 };	// the ops' word 0 (valid), written last

	if (p->max_ops > 21)
		BAD("MaxOps = %u: the role bits of a route hold 21 ops (64 bits)", p->max_ops);
	for (uint32_t j = 0; j < p->max_ops; j++) {
		uint64_t w1 = 0, nins = 0;

		if (j < cfg->n_ops) {
			const spk_attn_op *o = &cfg->ops[j];
			uint64_t n = (uint64_t)o->height * o->width;

			if (o->channels == 0 || o->heads == 0 || o->channels % o->heads != 0 || n == 0)
				BAD("op %u: bad shape", j);
			if (o->channels > p->max_channels)
				BAD("op %u: %u channels: the RTL holds %u", j, o->channels,
				    p->max_channels);
			if (n > p->max_tokens)
				BAD("op %u: %llu tokens: the RTL holds %u", j, (unsigned long long)n,
				    p->max_tokens);
			for (uint32_t i = 0; i < cfg->n_in; i++) {
				uint32_t pop = cfg->in[i].pop;

				if (pop == o->q_pop || pop == o->k_pop || pop == o->v_pop)
					nins++;
			}
			op_w0[j] = o->phase | (uint64_t)1 << 32;
			w1 = o->channels | (uint64_t)(o->channels / o->heads) << 16 |
			     (uint64_t)o->width << 32 | n << 48;
		}
		write(ctx, spk_rtl_attn_addr(1, j, 1), w1);
		write(ctx, spk_rtl_attn_addr(1, j, 2), nins);
	}

	for (uint32_t i = 0; i < p->in_routes; i++) {
		uint64_t w0 = 0, w1 = 0, roles = 0, w3 = 0;

		if (i < cfg->n_in) {
			const spk_unit_in_route *r = &cfg->in[i];
			uint64_t plane = (uint64_t)r->rows * r->width, size = plane * r->channels;

			if (r->kind != SPK_IN_SPIKE || size == 0)
				BAD("incoming route %u: not a spike route of a non-empty block", i);
			if (r->axon_base + size > pmax)
				BAD("incoming route %u: axons %u..%llu beyond the %u payload bits", i,
				    r->axon_base, (unsigned long long)(r->axon_base + size - 1),
				    p->payload_bits);
			if (r->src_route >= pmax)
				BAD("incoming route %u: source route %u beyond the payload", i,
				    r->src_route);
			if (r->src_tile >= p->mesh_x * p->mesh_y)
				BAD("incoming route %u: source tile %u outside the mesh", i, r->src_tile);
			for (uint32_t j = 0; j < cfg->n_ops; j++) {
				const spk_attn_op *o = &cfg->ops[j];
				uint64_t bits = (r->pop == o->q_pop ? 1 : 0) | (r->pop == o->k_pop ? 2 : 0) |
						(r->pop == o->v_pop ? 4 : 0);

				if (bits != 0 && (r->width != o->width || r->c0 + r->channels > o->channels ||
						  r->y0 + r->rows > o->height))
					BAD("incoming route %u: block outside op %u's tokens", i, j);
				roles |= bits << (3 * j);
			}
			w0 = r->axon_base | size << 32;
			w1 = r->c0 | (uint64_t)r->y0 * r->width << 16 | plane << 32;
			w3 = tile_addr(p, r->src_tile) | (uint64_t)r->src_route << 32;
		}
		write(ctx, spk_rtl_attn_addr(2, i, 0), w0);
		write(ctx, spk_rtl_attn_addr(2, i, 1), w1);
		write(ctx, spk_rtl_attn_addr(2, i, 2), roles);
		write(ctx, spk_rtl_attn_addr(2, i, 3), w3);
	}

	for (uint32_t k = 0; k < p->max_routes; k++) {
		uint64_t w0 = 0, w1 = 0, w2 = 0, w3 = 0;

		if (k < cfg->n_routes) {
			const spk_unit_route *r = &cfg->routes[k];
			const spk_attn_op *o;
			uint64_t last;

			if (r->source >= cfg->n_ops)
				BAD("route %u: op %u out of range", k, r->source);
			o = &cfg->ops[r->source];
			if (r->c0 >= r->c1 || r->c1 > o->channels || r->y0 >= r->y1 ||
			    r->y1 > o->height || r->c0 < r->pc0 || r->y0 < r->py0 ||
			    r->y1 > r->py0 + r->prows)
				BAD("route %u: block outside the output or its destination piece", k);
			if (r->prows > p->max_tokens)
				BAD("route %u: a destination piece of %u rows: the RTL holds %u", k,
				    r->prows, p->max_tokens);
			last = r->axon_base + ((uint64_t)(r->c1 - 1 - r->pc0) * r->prows +
					       (r->y1 - 1 - r->py0)) * o->width + o->width - 1;
			if (last >= pmax || r->dst_route >= pmax)
				BAD("route %u: axon %llu or route %u beyond the %u payload bits", k,
				    (unsigned long long)last, r->dst_route, p->payload_bits);
			if (r->dst_tile >= p->mesh_x * p->mesh_y)
				BAD("route %u: destination tile %u outside the mesh", k, r->dst_tile);
			w0 = r->source | (uint64_t)1 << 16 | tile_addr(p, r->dst_tile) << 32;
			w1 = r->dst_route | (uint64_t)r->axon_base << 32;
			w2 = r->c0 | (uint64_t)r->c1 << 16 | (uint64_t)r->y0 << 32 |
			     (uint64_t)r->y1 << 48;
			w3 = r->pc0 | (uint64_t)r->py0 << 16 | (uint64_t)r->prows << 32;
		}
		write(ctx, spk_rtl_attn_addr(3, k, 0), w0);
		write(ctx, spk_rtl_attn_addr(3, k, 1), w1);
		write(ctx, spk_rtl_attn_addr(3, k, 2), w2);
		write(ctx, spk_rtl_attn_addr(3, k, 3), w3);
	}
	// an op becomes valid (may compute) only once everything it reads is in place
	for (uint32_t j = 0; j < p->max_ops; j++)
		write(ctx, spk_rtl_attn_addr(1, j, 0), op_w0[j]);
	return 0;
}
