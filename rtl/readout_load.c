/*
 * readout_load.c — a readout's configuration as load-port writes (readout_load.h; the address
 * map is rtl/readout.sv's header).
 */
#include "config.h"

#include "rtl/readout_load.h"

#include <errno.h>
#include <stdio.h>

#define REG(region, i) ((uint32_t)(region) << 16 | (uint32_t)(i))

int spk_rtl_readout_load(const struct spk_readout_config *cfg,
			 const struct spk_rtl_readout_params *rp, const struct spk_rtl_params *np,
			 spk_rtl_load_fn write, void *ctx, char *err, size_t errlen)
{
	const struct spk_readout_head *h = cfg->head;
	uint32_t head_mean = 0;

	/* everything checked before the first write */
	if (cfg->input_fifo != rp->fifo_flits || cfg->neuron_updates != rp->neuron_updates ||
	    cfg->adders != rp->adders || cfg->membrane_bits != (int)rp->membrane_bits) {
		snprintf(err, errlen, "the RTL readout was built for input_fifo %u, neuron_updates %u, "
			 "adders %u, membrane_bits %u; the chip has %u, %u, %u, %d",
			 rp->fifo_flits, rp->neuron_updates, rp->adders, rp->membrane_bits,
			 cfg->input_fifo, cfg->neuron_updates, cfg->adders, cfg->membrane_bits);
		return -EINVAL;
	}
	if (cfg->n_means > rp->max_means || cfg->n_in > rp->in_routes) {
		snprintf(err, errlen, "the readout has %u mean populations and %u incoming routes; "
			 "the RTL holds %u and %u", cfg->n_means, cfg->n_in, rp->max_means,
			 rp->in_routes);
		return -EINVAL;
	}
	for (uint32_t m = 0; m < cfg->n_means; m++)
		if (cfg->means[m].channels > rp->max_channels ||
		    cfg->means[m].axon_base + (uint64_t)cfg->means[m].channels >
			    (UINT64_C(1) << np->payload_bits)) {
			snprintf(err, errlen, "mean population %u: %u channels at axon %u; the RTL "
				 "holds %u channels and %u-bit axons", m, cfg->means[m].channels,
				 cfg->means[m].axon_base, rp->max_channels, np->payload_bits);
			return -EINVAL;
		}
	if (h != NULL) {
		if (h->classes > rp->max_classes) {
			snprintf(err, errlen, "the head has %u classes; the RTL holds %u", h->classes,
				 rp->max_classes);
			return -EINVAL;
		}
		head_mean = h->mean;
	}

	write(ctx, REG(0, 0), cfg->time_steps);
	write(ctx, REG(0, 1), cfg->n_means);
	write(ctx, REG(0, 3), cfg->n_in);
	if (h != NULL)
		write(ctx, REG(0, 2), 1 | (uint64_t)head_mean << 8 | (uint64_t)h->classes << 16 |
				      (uint64_t)((h->classes + cfg->adders - 1) / cfg->adders) << 32);
	else
		write(ctx, REG(0, 2), 0);
	for (uint32_t m = 0; m < cfg->n_means; m++) {
		const struct spk_readout_mean *mn = &cfg->means[m];
		uint32_t n_ins = 0;

		for (uint32_t i = 0; i < cfg->n_in; i++)
			n_ins += cfg->in[i].pop == mn->pop;
		write(ctx, REG(1, 4 * m), mn->phase | (uint64_t)mn->channels << 32);
		write(ctx, REG(1, 4 * m + 1), mn->axon_base);
		write(ctx, REG(1, 4 * m + 2), n_ins);
		for (uint32_t c = 0; c < mn->channels; c++)
			write(ctx, REG(3, m * rp->max_channels + c), (uint64_t)mn->theta[c]);
	}
	for (uint32_t i = 0; i < cfg->n_in; i++) {
		const struct spk_unit_in_route *r = &cfg->in[i];
		uint32_t m = 0;

		while (m < cfg->n_means && cfg->means[m].pop != r->pop)
			m++;
		write(ctx, REG(2, i), m | spk_rtl_tile_addr(np, r->src_tile % np->mesh_x,
							    r->src_tile / np->mesh_x) << 16 |
				      (uint64_t)r->src_route << 32);
	}
	if (h != NULL) {
		for (uint32_t c = 0; c < cfg->means[h->mean].channels; c++)
			for (uint32_t k = 0; k < h->classes; k++)
				write(ctx, REG(4, c * rp->max_classes + k),
				      (uint64_t)(int64_t)h->w[(size_t)c * h->classes + k]);
		for (uint32_t k = 0; k < h->classes; k++)
			write(ctx, REG(5, k), (uint64_t)h->bias[k]);
	}
	return 0;
}
