/*
 * semantics.h — the integer arithmetic of doc/semantics.md, in one place: the reference
 * inference (models/ref.c), the quantizer's membrane bounds (models/quant.c) and the chip
 * image's executor (mapper/exec.c) all compute with these, so a change to the semantics is a
 * change here and in that page.
 *
 * Everything is static inline and exact in 64 bits; callers hold the operands in their own
 * layouts and pass one neuron or one channel at a time, so the hot loops keep their shape.
 */
#ifndef SPK_SEMANTICS_H
#define SPK_SEMANTICS_H

#include "models/quant.h"

#include <stdbool.h>
#include <stdint.h>

/* floor(a / 2) for any sign (the page's arithmetic shift a >> 1). */
static inline int64_t spk_sem_floor_half(int64_t a)
{
	return (a - (a & 1)) / 2;
}

/* floor(a / 2^sh) for any sign. */
static inline int64_t spk_sem_floor_shift(int64_t a, int sh)
{
	if (a >= 0)
		return a >> sh;
	return -(int64_t)(((uint64_t)(-a) + ((UINT64_C(1) << sh) - 1)) >> sh);
}

/* The largest membrane of membrane_bits; the smallest is −max − 1 (§3's sat). */
static inline int64_t spk_sem_vmax(int membrane_bits)
{
	return (int64_t)((UINT64_C(1) << (membrane_bits - 1)) - 1);
}

/*
 * One LIF update (§3): A = V + X; a spike when A >= 2θ (th2), which resets V to 0; otherwise
 * V = sat(floor(A / 2)) in [vmin, vmax]. Returns whether the neuron spiked.
 */
static inline bool spk_sem_lif(int64_t *v, int64_t x, int64_t th2, int64_t vmin, int64_t vmax)
{
	int64_t a = *v + x, h;

	if (a >= th2) {
		*v = 0;
		return true;
	}
	h = spk_sem_floor_half(a);
	*v = h < vmin ? vmin : h > vmax ? vmax : h;
	return false;
}

/*
 * The encoder's requantization of one accumulator (§4): E = ((acc·M + 2^(R−1)) >> R) + bias,
 * with R = SPK_QUANT_R.
 */
static inline int64_t spk_sem_requant(int64_t acc, int64_t mult, int64_t bias)
{
	return spk_sem_floor_shift(acc * mult + (INT64_C(1) << (SPK_QUANT_R - 1)), SPK_QUANT_R) +
	       bias;
}

/*
 * Weight sharing along one axis of a CONV (kernel k, stride s, padding pad): the output positions
 * [*lo, *hi) whose receptive field contains input position i (o·s ≤ i + pad ≤ o·s + k − 1),
 * clipped to [clo, chi); empty (*lo == *hi) when none.
 */
static inline void spk_sem_reach(uint32_t i, uint32_t k, uint32_t s, uint32_t pad, uint32_t clo,
				 uint32_t chi, uint32_t *lo, uint32_t *hi)
{
	int64_t top = (int64_t)i + pad;
	int64_t l = top - (int64_t)k + 1, h = top / (int64_t)s + 1;

	l = l <= 0 ? 0 : (l + s - 1) / s;
	if (l < clo)
		l = clo;
	if (h > chi)
		h = chi;
	if (l > h)
		l = h;
	*lo = (uint32_t)l;
	*hi = (uint32_t)h;
}

#endif
