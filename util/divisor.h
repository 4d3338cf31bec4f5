/*
 * divisor.h — division by a divisor fixed at setup (1 <= d <= 2^31) of any 32-bit n, without a
 * divide instruction on the hot paths: q = floor(m·2n / 2^64) with m = ceil(2^63 / d) (Lemire,
 * Kaser and Kurz, "Faster remainder by direct computation", 2019, with one bit moved so that
 * d = 1 fits 64 bits). Exact: with m·d = 2^63 + f, 0 <= f < d, q = floor(n / d + f·n / (d·2^63)),
 * and f·n < 2^31·2^32 keeps the second term below the gap to the next integer.
 *
 * The synapse core (sim/core.c) splits a spike's element index into row and column with it, the
 * chip image's executor (mapper/exec.c) a neuron id into channel and position.
 */
#ifndef SPK_DIVISOR_H
#define SPK_DIVISOR_H

#include <assert.h>
#include <stdint.h>

__extension__ typedef unsigned __int128 spk_u128;

struct spk_divisor {
	uint64_t m;
	uint32_t d;
};

static inline void spk_divisor_init(struct spk_divisor *v, uint32_t d)
{
	assert(d >= 1 && d <= UINT32_C(1) << 31);
	v->d = d;
	v->m = (UINT64_C(1) << 63) / d + ((UINT64_C(1) << 63) % d != 0);
}

static inline uint32_t spk_div_by(uint32_t n, const struct spk_divisor *v)
{
	return (uint32_t)(((spk_u128)v->m * ((uint64_t)n << 1)) >> 64);
}

#endif
