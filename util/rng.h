/*
 * rng.h — spikechip's own seeded random number generator (BookSim carries its own `rng.c` for
 * the same reason): synthetic traffic, randomized tests and benchmarks draw from it, and the
 * mapper's placement (mapper/place.c) draws from its splitmix64 stream, so the same seed gives
 * the same run and the same chip image on every machine and C library. xoshiro256** (Blackman
 * and Vigna), seeded through splitmix64. Header-only; the caller owns the state.
 */
#ifndef SPK_RNG_H
#define SPK_RNG_H

#include <stdint.h>

struct spk_rng {
	uint64_t s[4];
};

static inline uint64_t spk_rng_splitmix(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline void spk_rng_seed(struct spk_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = spk_rng_splitmix(&seed);
}

static inline uint64_t spk_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t spk_rng_next(struct spk_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = spk_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = spk_rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n), n >= 1 (Lemire's multiply-shift; the bias is below 2^-32 for n < 2^32). */
static inline uint32_t spk_rng_below(struct spk_rng *r, uint32_t n)
{
	return (uint32_t)(((spk_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [0, 1). */
static inline double spk_rng_double(struct spk_rng *r)
{
	return (double)(spk_rng_next(r) >> 11) * 0x1.0p-53;
}

#endif
