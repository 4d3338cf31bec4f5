/*
 * quant.h — the quantizer: turns a float model (model.h) into the integer program of
 * doc/semantics.md, once, in float64. Nothing after it uses floating point: the integer
 * reference (ref.h), the mapper and the simulator all read these integers.
 *
 * What it produces (doc/semantics.md, section numbers in brackets):
 *   - a scale per site and channel [1]: the largest CONV weight magnitude into the channel over
 *     qmax; `scale` for an ATTN site; the encoder's weight scale for an encoder-only site;
 *   - CONV integer weights and 32-bit biases at that scale [2];
 *   - an integer threshold per population and channel [3] (times H·W for spatial-mean ones);
 *   - the encoder's zero points, integer weights on (pixel − zero point), and the 24-bit
 *     fixed-point multipliers and biases that requantize its accumulator into its site [4];
 *   - the head's integer weights and biases at one scale [6].
 *
 * Layout: integer ENCODER and CONV weights are [c_in][k][k][stride] and LINEAR weights
 * [c_in][stride], where `stride` is c_out (classes) rounded up to SPK_QUANT_LANES and the
 * padding is zero, so that one input spike adds whole vector-width rows with no tail loop.
 *
 * The quantizer also proves, once, that the executor's narrow arithmetic cannot overflow: one
 * CONV's contributions to one neuron fit in 32 bits (so the hot loop accumulates in int32 and
 * widens per operation), and the encoder's accumulator fits in 32 bits [4].
 *
 * Ownership: spk_quant_create()/spk_quant_destroy(); the quantized model borrows the float
 * model, which must outlive it.
 *
 * Errors: a model that cannot be quantized at these widths (an ATTN and a CONV writing one
 * site, a bias beyond 32 bits, an encoder multiplier beyond 2^31, weight_bits < 2) is the
 * user's problem: NULL with "where: what" in err ("op 3 (CONV 'x'): ...").
 */
#ifndef SPK_QUANT_H
#define SPK_QUANT_H

#include "models/model.h"

#include <stddef.h>
#include <stdint.h>

#define SPK_QUANT_LANES 8u	/* row padding of integer weight rows, in int32 */
#define SPK_QUANT_R 24		/* fractional bits of the encoder's requantization multiplier */

struct spk_qop {
	/* ENCODER, CONV: w[c_in][k][k][stride]; LINEAR: w[c_in][stride]. */
	int32_t *w;
	uint32_t stride;
	int32_t *bias;		/* CONV: [c_out], added to every output neuron every timestep */
	int32_t *zero;		/* ENCODER: zero point per input channel */
	int64_t *mult;		/* ENCODER: M[c_out] */
	int64_t *ebias;		/* ENCODER: round(bias/σ) [c_out]; LINEAR: bh[classes] */
	double *wscale;		/* ENCODER: σ_e[c_out] */
	double head_scale;	/* LINEAR: σ_h */
};

struct spk_qmodel {
	const struct spk_model *model;	/* borrowed */
	int weight_bits, membrane_bits;
	int32_t qmax;
	int64_t vmin, vmax;		/* membrane saturation bounds */
	double **site_scale;		/* [n_sites][channels] */
	int64_t **theta;		/* [n_pops][channels] */
	struct spk_qop *ops;		/* [n_ops] */
};

/*
 * Quantizes m for weights of weight_bits (2..16) and membranes of membrane_bits (2..32).
 * Returns NULL with a message in err on failure.
 */
struct spk_qmodel *spk_quant_create(const struct spk_model *m, int weight_bits,
				    int membrane_bits, char *err, size_t errlen);

void spk_quant_destroy(struct spk_qmodel *q);

/* round half away from zero, as doc/semantics.md's round(). */
double spk_quant_round(double x);

#endif
