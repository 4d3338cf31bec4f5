// encoder_load.cpp — the encoder's configuration as load-port writes (encoder_load.h; the map
// is rtl/encoder.sv's header).
//
// What it checks is what the RTL's widths and parameters need (the C model checks the rest:
// pass it only configurations spk_encoder_create() accepts): the sizes against the module
// parameters, zero points in int16 and multipliers in int32 (rtl/encoder.sv "Widths"), every
// route's destination inside the mesh, its token payload and its largest axon inside the
// payload bits.
#include "rtl/encoder_load.h"

extern "C" {
#include "rtl/rtl_params.h"
#include "sim/encoder.h"
}

#include <cinttypes>
#include <cstdio>

void spk_rtl_encoder_params_default(struct spk_rtl_encoder_params *p,
				    const struct spk_rtl_params *noc)
{
	*p = spk_rtl_encoder_params{};
	p->fifo_flits = noc->eject_flits;
	p->out_queue = 64;
	p->macs = 64;
	p->max_pixels = 4096;
	p->pix_banks = 3;
	p->max_weights = 4096;
	p->max_cin = 4;
	p->max_channels = 64;
	p->routes = 32;
	p->dim_bits = 8;
	p->mesh_x = noc->mesh_x;
	p->mesh_y = noc->mesh_y;
	p->y_bits = noc->y_bits;
	p->payload_bits = noc->payload_bits;
	p->flit_bits = noc->flit_bits;
}

uint64_t spk_rtl_encoder_pixel_word(const uint8_t *px, size_t n, size_t i)
{
	uint64_t w = 0;

	for (size_t j = 0; j < 8 && 8 * i + j < n; j++)
		w |= (uint64_t)px[8 * i + j] << (8 * j);
	return w;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int spk_rtl_encoder_load(const struct spk_encoder_config *cfg,
			 const struct spk_rtl_encoder_params *p,
			 void (*write)(void *ctx, uint32_t addr, uint64_t data), void *ctx,
			 char *err, size_t errlen)
{
	const uint32_t dim_max = (1u << p->dim_bits) - 1;
	const uint64_t pmax = p->payload_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << p->payload_bits);
	const uint64_t npx = (uint64_t)cfg->c_in * cfg->h_in * cfg->w_in;
	const uint64_t nw = (uint64_t)cfg->c_in * cfg->kernel * cfg->kernel * cfg->channels;
	const uint32_t dims[7] = { cfg->h_in, cfg->w_in, cfg->kernel, cfg->stride, cfg->pad,
				   cfg->h_out, cfg->w_out };
	const char *dim_name[7] = { "h_in", "w_in", "kernel", "stride", "pad", "h_out", "w_out" };
	char dummy[8];

	if (err == NULL) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (cfg->input_fifo != p->fifo_flits)
		BAD("input_fifo = %u: the RTL's FifoFlits is %u", cfg->input_fifo, p->fifo_flits);
	if (cfg->flit_bits != p->flit_bits)
		BAD("flit_bits = %u: the RTL's network has %u", cfg->flit_bits, p->flit_bits);
	if (cfg->macs == 0 || cfg->macs > p->macs)
		BAD("macs = %u: the RTL supports 1..%u (Macs)", cfg->macs, p->macs);
	if (cfg->output_queue == 0 || cfg->output_queue > p->out_queue)
		BAD("output_queue = %u: the RTL supports 1..%u (OutQueue)", cfg->output_queue,
		    p->out_queue);
	if (cfg->c_in == 0 || cfg->c_in > p->max_cin)
		BAD("c_in = %u: the RTL supports 1..%u (MaxCin)", cfg->c_in, p->max_cin);
	for (int i = 0; i < 7; i++)
		if (dims[i] > dim_max)
			BAD("%s = %u: the RTL supports up to %u (DimBits = %u)", dim_name[i], dims[i],
			    dim_max, p->dim_bits);
	if (cfg->channels == 0 || cfg->channels > p->max_channels)
		BAD("channels = %u: the RTL supports 1..%u (MaxChannels)", cfg->channels,
		    p->max_channels);
	if (npx > p->max_pixels)
		BAD("an image of %" PRIu64 " pixels: the RTL holds %u (MaxPixels)", npx,
		    p->max_pixels);
	if (nw > p->max_weights)
		BAD("%" PRIu64 " weights: the RTL holds %u (MaxWeights)", nw, p->max_weights);
	if (cfg->n_routes > p->routes)
		BAD("%u routes: the RTL holds %u (Routes)", cfg->n_routes, p->routes);

	const uint32_t geom[12] = { cfg->c_in, cfg->h_in, cfg->w_in, cfg->kernel, cfg->stride,
				    cfg->pad, cfg->h_out, cfg->w_out, cfg->channels, cfg->n_routes,
				    cfg->output_queue, cfg->macs };
	for (uint32_t i = 0; i < 12; i++)
		write(ctx, SPK_RTL_ENC_ADDR(SPK_RTL_ENC_GEOM, i), geom[i]);
	for (uint32_t i = 0; i < cfg->c_in; i++) {
		if (cfg->zero[i] < INT16_MIN || cfg->zero[i] > INT16_MAX)
			BAD("zero point %d of input channel %u: the RTL takes int16", cfg->zero[i], i);
		write(ctx, SPK_RTL_ENC_ADDR(SPK_RTL_ENC_ZERO, i), (uint16_t)cfg->zero[i]);
	}
	for (uint32_t o = 0; o < cfg->channels; o++) {
		if (cfg->mult[o] < INT32_MIN || cfg->mult[o] > INT32_MAX)
			BAD("multiplier %" PRId64 " of channel %u: the RTL takes int32", cfg->mult[o],
			    cfg->c0 + o);
		write(ctx, SPK_RTL_ENC_ADDR(SPK_RTL_ENC_MULT, o), (uint32_t)cfg->mult[o]);
		write(ctx, SPK_RTL_ENC_ADDR(SPK_RTL_ENC_BIAS, o), (uint64_t)cfg->bias[o]);
	}
	for (uint64_t i = 0; i < nw; i++)
		write(ctx, SPK_RTL_ENC_ADDR(SPK_RTL_ENC_WEIGHT, i), (uint16_t)cfg->w[i]);
	for (uint32_t r = 0; r < cfg->n_routes; r++) {
		const struct spk_unit_route *rt = &cfg->routes[r];
		const uint32_t x = rt->dst_tile % p->mesh_x, y = rt->dst_tile / p->mesh_x;
		/* axon = axon_base + ((c0 + o − pc0)·prows + y − py0)·w_out + x, uint32 as in C */
		const uint32_t a = rt->axon_base +
				   ((cfg->c0 - rt->pc0) * rt->prows - rt->py0) * cfg->w_out;
		const uint64_t last = (uint64_t)rt->axon_base +
				      ((uint64_t)(rt->c1 - 1 - rt->pc0) * rt->prows + rt->y1 - 1 -
				       rt->py0) * cfg->w_out + cfg->w_out - 1;
		const uint32_t base = SPK_RTL_ENC_ADDR(SPK_RTL_ENC_ROUTE, 8 * r);

		if (y >= p->mesh_y)
			BAD("route %u: destination tile %u outside the %ux%u mesh", r, rt->dst_tile,
			    p->mesh_x, p->mesh_y);
		if (rt->dst_route >= pmax)
			BAD("route %u: destination route %u does not fit %u payload bits", r,
			    rt->dst_route, p->payload_bits);
		if (last >= pmax)
			BAD("route %u: axon %" PRIu64 " does not fit %u payload bits", r, last,
			    p->payload_bits);
		write(ctx, base + 0, (uint64_t)(rt->c1 - cfg->c0) << 16 | (rt->c0 - cfg->c0));
		write(ctx, base + 1, (uint64_t)rt->y1 << 16 | rt->y0);
		write(ctx, base + 2, a);
		write(ctx, base + 3, rt->prows);
		write(ctx, base + 4, (uint64_t)x << p->y_bits | y);
		write(ctx, base + 5, rt->dst_route);
	}
	return 0;
}
