/*
 * core_load.cpp — the synapse core's RTL loader (see core_load.h): spk_core_create()'s setup,
 * written as load-port writes for rtl/core.sv. Each derived table mirrors the C function that
 * computes it (copy_pieces(), copy_readers(), copy_in_routes(), copy_routes(), write_phase()).
 */
#include "config.h"

#include "rtl/core_load.h"

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace {

/* One message, -1. */
int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err != nullptr && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The phase at which in-route i writes piece pi (core.c write_phase()). */
uint32_t write_phase(const spk_core_config *cfg, uint32_t i, uint32_t pi)
{
	const spk_unit_in_route *r = &cfg->in[i];
	uint32_t ph = UINT32_MAX;

	if (r->kind == SPK_IN_ATTN)
		return r->phase;
	for (uint32_t j = 0; j < cfg->n_projs; j++)
		if (cfg->projs[j].pop == r->pop && cfg->projs[j].piece == pi &&
		    cfg->projs[j].phase < ph)
			ph = cfg->projs[j].phase;
	return ph;
}

/* The pieces in-route i writes, as a mask (core.c copy_in_routes()). */
uint64_t route_pieces(const spk_core_config *cfg, uint32_t i)
{
	const spk_unit_in_route *r = &cfg->in[i];
	uint64_t m = 0;

	if (r->kind != SPK_IN_SPIKE)
		return UINT64_C(1) << r->piece;
	for (uint32_t j = 0; j < cfg->n_projs; j++)
		if (cfg->projs[j].pop == r->pop)
			m |= UINT64_C(1) << cfg->projs[j].piece;
	return m;
}

uint32_t popcount64(uint64_t m)
{
	uint32_t n = 0;

	for (; m != 0; m &= m - 1)
		n++;
	return n;
}

} // namespace

extern "C" int spk_rtl_core_load(const struct spk_core_config *cfg,
				 const struct spk_rtl_core_params *p,
				 void (*write)(void *ctx, uint32_t addr, uint64_t data), void *ctx,
				 char *err, size_t errlen)
{
	auto w = [&](uint32_t tab, uint32_t idx, uint32_t field, uint64_t data) {
		write(ctx, spk_rtl_core_addr(tab, idx, field), data);
	};
	const uint64_t addr_max = (UINT64_C(1) << p->addr_bits) - 1;
	const uint64_t payload_max = (UINT64_C(1) << p->payload_bits) - 1;

	/* the module's parameters */
	if (cfg->adders != p->adders || cfg->neuron_updates != p->neuron_updates ||
	    cfg->input_fifo != p->fifo_flits || cfg->output_queue != p->queue_entries ||
	    (uint32_t)cfg->membrane_bits != p->membrane_bits)
		return refuse(err, errlen, "adders %u, neuron_updates %u, input_fifo %u, output_queue "
			      "%u, membrane_bits %d: the RTL core is built for %u, %u, %u, %u, %u",
			      cfg->adders, cfg->neuron_updates, cfg->input_fifo, cfg->output_queue,
			      cfg->membrane_bits, p->adders, p->neuron_updates, p->fifo_flits,
			      p->queue_entries, p->membrane_bits);
	if (p->pieces > 64 || p->projs > 64 || p->in_routes > 64)
		return refuse(err, errlen, "the RTL core's pieces, projections and incoming routes "
			      "are masks of at most 64 bits");
	if (cfg->n_pieces > p->pieces || cfg->n_projs > p->projs || cfg->n_readers > p->readers ||
	    cfg->n_in > p->in_routes || cfg->n_routes > p->routes)
		return refuse(err, errlen, "%u pieces, %u projections, %u readers, %u incoming and "
			      "%u outgoing routes: the RTL core holds %u, %u, %u, %u, %u",
			      cfg->n_pieces, cfg->n_projs, cfg->n_readers, cfg->n_in, cfg->n_routes,
			      p->pieces, p->projs, p->readers, p->in_routes, p->routes);

	w(SPK_RTL_CORE_GLOBAL, 0, 0, cfg->time_steps);

	/* pieces and their elements: accumulators from base, element order */
	std::vector<uint32_t> base(cfg->n_pieces);
	uint32_t acc = 0;

	for (uint32_t i = 0; i < cfg->n_pieces; i++) {
		const spk_core_piece *pc = &cfg->pieces[i];
		uint64_t elems = (uint64_t)pc->channels * pc->rows * pc->width;
		uint64_t encr = 0;
		uint32_t n_encr = 0;

		if (acc + elems > p->acc_words)
			return refuse(err, errlen, "piece %u: %u accumulator elements in all, the RTL "
				      "core holds %u", i, (unsigned)(acc + elems), p->acc_words);
		if (pc->channels > 65535 || pc->y0 + pc->rows > 65535 || pc->width > 65535)
			return refuse(err, errlen, "piece %u: channels, rows or columns beyond 16 bits",
				      i);
		base[i] = acc;
		for (uint32_t k = 0; k < cfg->n_in; k++)
			if (cfg->in[k].kind == SPK_IN_ENCODER && cfg->in[k].piece == i) {
				encr |= UINT64_C(1) << k;
				n_encr++;
			}
		w(SPK_RTL_CORE_PIECE, i, 0, 1);
		w(SPK_RTL_CORE_PIECE, i, 1, acc);
		w(SPK_RTL_CORE_PIECE, i, 2, elems);
		w(SPK_RTL_CORE_PIECE, i, 3, pc->acc_axon);
		w(SPK_RTL_CORE_PIECE, i, 4, pc->enc_axon != UINT32_MAX);
		w(SPK_RTL_CORE_PIECE, i, 5, pc->enc_axon);
		w(SPK_RTL_CORE_PIECE, i, 6, pc->c0);
		w(SPK_RTL_CORE_PIECE, i, 7, pc->height);
		w(SPK_RTL_CORE_PIECE, i, 8, pc->width);
		w(SPK_RTL_CORE_PIECE, i, 9, n_encr);
		w(SPK_RTL_CORE_PIECE, i, 10, encr);
		w(SPK_RTL_CORE_PIECE, i, 11, pc->rows);
		w(SPK_RTL_CORE_PIECE, i, 12, pc->y0);
		const uint32_t plane = pc->rows * pc->width;
		for (uint32_t e = 0; e < elems; e++) {
			uint32_t ch = e / plane, pos = e % plane;
			uint32_t y = pc->y0 + pos / pc->width, x = pos % pc->width;

			w(SPK_RTL_CORE_ELEM, acc + e, 0,
			  UINT64_C(1) << 63 | (uint64_t)(pos == plane - 1) << 62 |
			  (uint64_t)i << 48 | (uint64_t)ch << 32 | (uint64_t)y << 16 | x);
		}
		acc += (uint32_t)elems;
	}
	for (uint32_t i = cfg->n_pieces; i < p->pieces; i++)
		for (uint32_t f = 0; f <= 12; f++)
			w(SPK_RTL_CORE_PIECE, i, f, 0);

	/* projections: weights [c_in][k][k][g] from wbase */
	uint32_t wbase = 0;

	for (uint32_t j = 0; j < cfg->n_projs; j++) {
		const spk_core_proj *pj = &cfg->projs[j];
		const uint32_t g = cfg->pieces[pj->piece].channels;
		const uint64_t n = (uint64_t)pj->c_in * pj->kernel * pj->kernel * g;

		if (wbase + n > p->weight_words)
			return refuse(err, errlen, "projection %u: %u weights in all, the RTL core holds "
				      "%u", j, (unsigned)(wbase + n), p->weight_words);
		if (pj->kernel > 15 || pj->stride == 0 || pj->stride > 15 || pj->pad > 15)
			return refuse(err, errlen, "projection %u: kernel %u, stride %u, padding %u; the "
				      "RTL core's are 4 bits (kernel and padding 0..15, stride 1..15)", j,
				      pj->kernel, pj->stride, pj->pad);
		w(SPK_RTL_CORE_PROJ, j, 0, 1);
		w(SPK_RTL_CORE_PROJ, j, 1, pj->piece);
		w(SPK_RTL_CORE_PROJ, j, 2, pj->kernel);
		w(SPK_RTL_CORE_PROJ, j, 3, pj->stride);
		w(SPK_RTL_CORE_PROJ, j, 4, pj->pad);
		w(SPK_RTL_CORE_PROJ, j, 5, wbase);
		w(SPK_RTL_CORE_PROJ, j, 6, g);
		for (uint64_t t = 0; t < n; t++)
			w(SPK_RTL_CORE_WEIGHT, wbase + (uint32_t)t, 0, (uint16_t)pj->w[t]);
		wbase += (uint32_t)n;
	}
	for (uint32_t j = cfg->n_projs; j < p->projs; j++)
		for (uint32_t f = 0; f <= 6; f++)
			w(SPK_RTL_CORE_PROJ, j, f, 0);

	/* incoming routes */
	for (uint32_t i = 0; i < cfg->n_in; i++) {
		const spk_unit_in_route *r = &cfg->in[i];
		uint64_t projs = 0, pieces = route_pieces(cfg, i);
		uint64_t src = (uint64_t)(r->src_tile % p->mesh_x) << p->y_bits | r->src_tile / p->mesh_x;

		if (src > addr_max || r->src_route > payload_max)
			return refuse(err, errlen, "incoming route %u: source tile %u or route %u does "
				      "not fit a release packet", i, r->src_tile, r->src_route);
		if (r->kind == SPK_IN_SPIKE &&
		    (r->channels > 65535 || r->rows > 65535 || r->width > 65535))
			return refuse(err, errlen, "incoming route %u: %u channels, %u rows, %u "
				      "columns; the RTL core decodes at most 65535 of each", i,
				      r->channels, r->rows, r->width);
		if (r->kind == SPK_IN_SPIKE)
			for (uint32_t j = 0; j < cfg->n_projs; j++)
				if (cfg->projs[j].pop == r->pop)
					projs |= UINT64_C(1) << j;
		w(SPK_RTL_CORE_IN, i, 0, r->kind);
		w(SPK_RTL_CORE_IN, i, 1, r->kind == SPK_IN_SPIKE ? r->axon_base : 0);
		w(SPK_RTL_CORE_IN, i, 2,
		  r->kind == SPK_IN_SPIKE ? (uint64_t)r->channels * r->rows * r->width : 0);
		w(SPK_RTL_CORE_IN, i, 3, r->kind == SPK_IN_SPIKE ? (uint64_t)r->rows * r->width : 0);
		w(SPK_RTL_CORE_IN, i, 4, r->kind == SPK_IN_SPIKE ? r->width : 0);
		w(SPK_RTL_CORE_IN, i, 5, r->kind == SPK_IN_SPIKE ? r->c0 : 0);
		w(SPK_RTL_CORE_IN, i, 6, r->kind == SPK_IN_SPIKE ? r->y0 : 0);
		w(SPK_RTL_CORE_IN, i, 7, projs);
		w(SPK_RTL_CORE_IN, i, 8, pieces);
		w(SPK_RTL_CORE_IN, i, 9, popcount64(pieces));
		w(SPK_RTL_CORE_IN, i, 10, (uint64_t)r->src_route << 32 | src);
	}
	for (uint32_t i = cfg->n_in; i < p->in_routes; i++)
		for (uint32_t f = 0; f <= 10; f++)
			w(SPK_RTL_CORE_IN, i, f, 0);

	/*
	 * readers: phase order per piece, tokens needed, biases before them, membranes. The neuron
	 * memory's words are groups of neuron_updates membranes (rtl/core.sv): a per-neuron reader's
	 * membranes start at a word, and the memory holds mem_words / neuron_updates of them.
	 */
	const uint32_t nu = p->neuron_updates;
	const uint64_t mem_cap = (uint64_t)(p->mem_words / nu) * nu;
	uint32_t cbase = 0;
	uint64_t mbase = 0;

	for (uint32_t r = 0; r < cfg->n_readers; r++) {
		const spk_core_reader *rd = &cfg->readers[r];
		const spk_core_piece *pc = &cfg->pieces[rd->piece];
		const uint32_t g = pc->channels;
		const uint64_t elems = (uint64_t)g * pc->rows * pc->width;
		int32_t prev = -1;
		bool last = true;
		uint32_t need = 0;

		for (uint32_t k = 0; k < cfg->n_readers; k++) {
			const spk_core_reader *o = &cfg->readers[k];

			if (k == r || o->piece != rd->piece)
				continue;
			if (o->phase < rd->phase && (prev < 0 || o->phase > cfg->readers[prev].phase))
				prev = (int32_t)k;
			if (o->phase > rd->phase)
				last = false;
		}
		for (uint32_t i = 0; i < cfg->n_in; i++)
			if (cfg->in[i].kind != SPK_IN_ENCODER &&
			    (route_pieces(cfg, i) >> rd->piece & 1) &&
			    write_phase(cfg, i, rd->piece) < rd->phase)
				need++;
		if (cbase + g > p->chan_words)
			return refuse(err, errlen, "reader %u: %u channel words in all, the RTL core "
				      "holds %u", r, cbase + g, p->chan_words);
		if (!rd->mean && mbase + elems > mem_cap)
			return refuse(err, errlen, "reader %u: %llu membranes in all (each reader's "
				      "from a word of %u), the RTL core holds %llu", r,
				      (unsigned long long)(mbase + elems), nu,
				      (unsigned long long)mem_cap);
		w(SPK_RTL_CORE_READER, r, 0, 1);
		w(SPK_RTL_CORE_READER, r, 1, rd->piece);
		w(SPK_RTL_CORE_READER, r, 2, rd->phase);
		w(SPK_RTL_CORE_READER, r, 3,
		  prev < 0 ? 0 : UINT64_C(1) << 32 | (uint32_t)prev);
		w(SPK_RTL_CORE_READER, r, 4,
		  (uint64_t)(pc->enc_axon != UINT32_MAX && pc->enc_phase < rd->phase) << 2 |
		  (uint64_t)last << 1 | rd->mean);
		w(SPK_RTL_CORE_READER, r, 5, need);
		w(SPK_RTL_CORE_READER, r, 6, cbase);
		w(SPK_RTL_CORE_READER, r, 7, rd->mean ? 0 : mbase / nu);
		w(SPK_RTL_CORE_READER, r, 8, rd->pop);
		for (uint32_t ch = 0; ch < g; ch++) {
			int64_t bias = 0;

			for (uint32_t j = 0; j < cfg->n_projs; j++)
				if (cfg->projs[j].piece == rd->piece && cfg->projs[j].phase < rd->phase)
					bias += cfg->projs[j].bias[ch];
			w(SPK_RTL_CORE_CHAN, cbase + ch, 0, (uint64_t)bias);
			w(SPK_RTL_CORE_CHAN, cbase + ch, 1,
			  rd->mean ? 0 : (uint64_t)(2 * rd->theta[ch]));
		}
		cbase += g;
		if (!rd->mean)
			mbase += (elems + nu - 1) / nu * nu;
	}
	for (uint32_t r = cfg->n_readers; r < p->readers; r++)
		for (uint32_t f = 0; f <= 8; f++)
			w(SPK_RTL_CORE_READER, r, f, 0);

	/* outgoing routes: a send is a unicast route or its group's first route (copy_routes()) */
	for (uint32_t k = 0; k < cfg->n_routes; k++) {
		const spk_unit_route *rt = &cfg->routes[k];
		const uint32_t mc = cfg->route_mc != nullptr ? cfg->route_mc[k] : 0;
		const uint64_t dst = (uint64_t)(rt->dst_tile % p->mesh_x) << p->y_bits |
				     rt->dst_tile / p->mesh_x;
		bool send = true;

		for (uint32_t j = 0; j < k && mc != 0; j++)
			if (cfg->route_mc[j] == mc && cfg->routes[j].source == rt->source)
				send = false;
		if ((mc != 0 ? mc : dst) > addr_max || rt->dst_route > payload_max)
			return refuse(err, errlen, "route %u: destination %u (group %u) or route %u "
				      "does not fit a packet", k, rt->dst_tile, mc, rt->dst_route);
		w(SPK_RTL_CORE_ROUTE, k, 0,
		  (uint64_t)(mc != 0) << 34 | (uint64_t)send << 33 | UINT64_C(1) << 32 | rt->source);
		w(SPK_RTL_CORE_ROUTE, k, 1, mc != 0 ? mc : dst);
		w(SPK_RTL_CORE_ROUTE, k, 2, rt->dst_route);
		w(SPK_RTL_CORE_ROUTE, k, 3, rt->axon_base);
	}
	for (uint32_t k = cfg->n_routes; k < p->routes; k++)
		for (uint32_t f = 0; f <= 3; f++)
			w(SPK_RTL_CORE_ROUTE, k, f, 0);
	return 0;
}
