/*
 * rowadd.h — the hot loop of event-driven synapse accumulation, shared by the reference
 * inference (models/ref.c) and the chip image's executor (mapper/exec.c).
 *
 * One input position whose n channels ch[0..n) spiked, and one output position it reaches
 * through one kernel tap, make one call: a[0..len) += Σ_s w[ch[s]·cstride + 0..len), where w
 * points at the tap's row of channel 0 and cstride is the distance between the rows of two
 * input channels. The accumulators stay in registers across the n rows: 32 lanes at a time
 * (8 four-lane vectors), then 8, then 4, then one, so one load and store of each accumulator
 * per call instead of per spike. The reference pads its rows to SPK_QUANT_LANES (8), so only
 * the first two loops ever run there; the executor's rows are as long as a piece is wide.
 *
 * Weights are int16 (they have at most 16 bits, models/quant.h; each engine keeps its own int16
 * copy of the rows) and are widened to int32 in registers: the loops are bound by the loads of
 * the weights, and int16 rows halve their bytes. Sums are int32, the same sums as int32 rows
 * give: the quantizer proved one CONV's contributions to a neuron fit.
 *
 * Lanes are GCC/Clang vector extensions (SSE2 on baseline x86-64, NEON on arm64); loads and
 * stores go through memcpy, so rows need no particular alignment.
 */
#ifndef SPK_ROWADD_H
#define SPK_ROWADD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef int32_t spk_lanes4 __attribute__((vector_size(16)));

static inline spk_lanes4 spk_ld4(const int32_t *p)
{
	spk_lanes4 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void spk_st4(int32_t *p, spk_lanes4 v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * Widening four int16 weights: each weight paired with itself, (w, w), read as an int32 is
 * w·65537 in either byte order, and an arithmetic shift right by 16 leaves w. In SSE2 that is
 * punpcklwd and psrad per four lanes; GCC 12 compiles __builtin_convertvector of the same
 * vectors into seven instructions.
 */
typedef int16_t spk_w16x4 __attribute__((vector_size(8)));
typedef int16_t spk_w16x8 __attribute__((vector_size(16)));

/* t += four weights. */
static inline __attribute__((always_inline)) void spk_addw4(spk_lanes4 *t, const int16_t *p)
{
	spk_w16x4 v;

	memcpy(&v, p, sizeof(v));
	*t += (spk_lanes4)__builtin_shufflevector(v, v, 0, 0, 1, 1, 2, 2, 3, 3) >> 16;
}

/* lo += weights 0..3, hi += weights 4..7: one load of eight. */
static inline __attribute__((always_inline)) void spk_addw4x2(spk_lanes4 *lo, spk_lanes4 *hi,
							       const int16_t *p)
{
	spk_w16x8 v;

	memcpy(&v, p, sizeof(v));
	*lo += (spk_lanes4)__builtin_shufflevector(v, v, 0, 0, 1, 1, 2, 2, 3, 3) >> 16;
	*hi += (spk_lanes4)__builtin_shufflevector(v, v, 4, 4, 5, 5, 6, 6, 7, 7) >> 16;
}

/*
 * Always inlined, as the loops it replaces were: a call per (position, tap) would cost about
 * what adding a short row does.
 */
static inline __attribute__((always_inline)) void
spk_rowadd(int32_t *restrict a, const int16_t *restrict w, size_t cstride,
	   const uint32_t *restrict ch, uint32_t n, uint32_t len)
{
	uint32_t j = 0;

	for (; j + 32 <= len; j += 32) {
		int32_t *aj = a + j;
		const int16_t *wj = w + j;
		spk_lanes4 t0 = spk_ld4(aj), t1 = spk_ld4(aj + 4);
		spk_lanes4 t2 = spk_ld4(aj + 8), t3 = spk_ld4(aj + 12);
		spk_lanes4 t4 = spk_ld4(aj + 16), t5 = spk_ld4(aj + 20);
		spk_lanes4 t6 = spk_ld4(aj + 24), t7 = spk_ld4(aj + 28);

		for (uint32_t s = 0; s < n; s++) {
			const int16_t *r = wj + ch[s] * cstride;

			spk_addw4x2(&t0, &t1, r);
			spk_addw4x2(&t2, &t3, r + 8);
			spk_addw4x2(&t4, &t5, r + 16);
			spk_addw4x2(&t6, &t7, r + 24);
		}
		spk_st4(aj, t0);
		spk_st4(aj + 4, t1);
		spk_st4(aj + 8, t2);
		spk_st4(aj + 12, t3);
		spk_st4(aj + 16, t4);
		spk_st4(aj + 20, t5);
		spk_st4(aj + 24, t6);
		spk_st4(aj + 28, t7);
	}
	for (; j + 8 <= len; j += 8) {
		int32_t *aj = a + j;
		const int16_t *wj = w + j;
		spk_lanes4 t0 = spk_ld4(aj), t1 = spk_ld4(aj + 4);

		for (uint32_t s = 0; s < n; s++) {
			const int16_t *r = wj + ch[s] * cstride;

			spk_addw4x2(&t0, &t1, r);
		}
		spk_st4(aj, t0);
		spk_st4(aj + 4, t1);
	}
	for (; j + 4 <= len; j += 4) {
		spk_lanes4 t0 = spk_ld4(a + j);

		for (uint32_t s = 0; s < n; s++)
			spk_addw4(&t0, w + j + ch[s] * cstride);
		spk_st4(a + j, t0);
	}
	for (; j < len; j++) {
		int32_t t = a[j];

		for (uint32_t s = 0; s < n; s++)
			t += w[j + ch[s] * cstride];
		a[j] = t;
	}
}

/*
 * The same row add in eight-lane vectors, for functions compiled for AVX2 (SPK_TARGET_AVX2): one
 * 256-bit sign extension and addition per eight weights, 64 lanes per pass. Compiled without
 * AVX2 its vectors are split into SSE2 pairs and the eight accumulators spill (measured: 1.7×
 * slower than spk_rowadd()), so only SPK_TARGET_AVX2 functions call it, and only where
 * spk_cpu_avx2() said the processor has AVX2. The sums are the same int32 sums in any lane width.
 */
typedef int32_t spk_lanes8 __attribute__((vector_size(32)));

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPK_TARGET_AVX2 __attribute__((target("avx2")))
static inline bool spk_cpu_avx2(void)
{
	return __builtin_cpu_supports("avx2");
}
#else
#define SPK_TARGET_AVX2
static inline bool spk_cpu_avx2(void)
{
	return false;
}
#endif

/*
 * t += eight int16 weights sign-extended to int32 lanes: in AVX2, one vpmovsxwd from memory.
 * GCC 12 compiles __builtin_convertvector of these vectors into two 128-bit extensions and an
 * insert (measured: slower than the int32 rows were), so GCC gets the instruction's builtin,
 * which, like the vector operations around it, is compiled for AVX2 in the AVX2 function that
 * inlines it. (The intrinsic _mm256_cvtepi16_epi32 cannot be used here: it may only be inlined
 * into functions compiled for AVX2, which the callers' shared bodies are not.) Unoptimised, the
 * shared bodies keep their dead AVX2 branch in the SSE2 function, where GCC refuses the builtin:
 * -O0 builds take __builtin_convertvector. The sum goes through a pointer: a 32-byte vector
 * returned without AVX would change the ABI (-Wpsabi).
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
#include <immintrin.h>	/* declares the builtin */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
static inline __attribute__((always_inline)) void spk_addw8(spk_lanes8 *t, const int16_t *p)
{
	spk_w16x8 v;

	memcpy(&v, p, sizeof(v));
	*t += (spk_lanes8)__builtin_ia32_pmovsxwd256(v);
}
#pragma GCC diagnostic pop
#else
static inline __attribute__((always_inline)) void spk_addw8(spk_lanes8 *t, const int16_t *p)
{
	spk_w16x8 v;

	memcpy(&v, p, sizeof(v));
	*t += __builtin_convertvector(v, spk_lanes8);
}
#endif

static inline __attribute__((always_inline)) void
spk_rowadd8(int32_t *restrict a, const int16_t *restrict w, size_t cstride,
	    const uint32_t *restrict ch, uint32_t n, uint32_t len)
{
	const size_t V = sizeof(spk_lanes8);
	uint32_t j = 0;

	for (; j + 64 <= len; j += 64) {
		int32_t *aj = a + j;
		const int16_t *wj = w + j;
		spk_lanes8 t0, t1, t2, t3, t4, t5, t6, t7;

		memcpy(&t0, aj, V);
		memcpy(&t1, aj + 8, V);
		memcpy(&t2, aj + 16, V);
		memcpy(&t3, aj + 24, V);
		memcpy(&t4, aj + 32, V);
		memcpy(&t5, aj + 40, V);
		memcpy(&t6, aj + 48, V);
		memcpy(&t7, aj + 56, V);
		for (uint32_t s = 0; s < n; s++) {
			const int16_t *r = wj + ch[s] * cstride;

			spk_addw8(&t0, r);
			spk_addw8(&t1, r + 8);
			spk_addw8(&t2, r + 16);
			spk_addw8(&t3, r + 24);
			spk_addw8(&t4, r + 32);
			spk_addw8(&t5, r + 40);
			spk_addw8(&t6, r + 48);
			spk_addw8(&t7, r + 56);
		}
		memcpy(aj, &t0, V);
		memcpy(aj + 8, &t1, V);
		memcpy(aj + 16, &t2, V);
		memcpy(aj + 24, &t3, V);
		memcpy(aj + 32, &t4, V);
		memcpy(aj + 40, &t5, V);
		memcpy(aj + 48, &t6, V);
		memcpy(aj + 56, &t7, V);
	}
	for (; j + 8 <= len; j += 8) {
		spk_lanes8 t0;

		memcpy(&t0, a + j, V);
		for (uint32_t s = 0; s < n; s++)
			spk_addw8(&t0, w + j + ch[s] * cstride);
		memcpy(a + j, &t0, V);
	}
	spk_rowadd(a + j, w + j, cstride, ch, n, len - j);
}

/*
 * The float64 reference's row add: the same walk over doubles, two to a vector. Each a[j] still
 * receives its additions in spike order (s = 0, 1, ...), so the sums are bit-for-bit those of the
 * plain loop `for s: for j: a[j] += w[...]` — only the loads and stores of a[] move out.
 */
typedef double spk_f64x2 __attribute__((vector_size(16)));

static inline spk_f64x2 spk_ldf2(const double *p)
{
	spk_f64x2 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void spk_stf2(double *p, spk_f64x2 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline __attribute__((always_inline)) void
spk_rowadd_f64(double *restrict a, const double *restrict w, size_t cstride,
	       const uint32_t *restrict ch, uint32_t n, uint32_t len)
{
	uint32_t j = 0;

	for (; j + 16 <= len; j += 16) {
		double *aj = a + j;
		const double *wj = w + j;
		spk_f64x2 t0 = spk_ldf2(aj), t1 = spk_ldf2(aj + 2), t2 = spk_ldf2(aj + 4);
		spk_f64x2 t3 = spk_ldf2(aj + 6), t4 = spk_ldf2(aj + 8), t5 = spk_ldf2(aj + 10);
		spk_f64x2 t6 = spk_ldf2(aj + 12), t7 = spk_ldf2(aj + 14);

		for (uint32_t s = 0; s < n; s++) {
			const double *r = wj + ch[s] * cstride;

			t0 += spk_ldf2(r);
			t1 += spk_ldf2(r + 2);
			t2 += spk_ldf2(r + 4);
			t3 += spk_ldf2(r + 6);
			t4 += spk_ldf2(r + 8);
			t5 += spk_ldf2(r + 10);
			t6 += spk_ldf2(r + 12);
			t7 += spk_ldf2(r + 14);
		}
		spk_stf2(aj, t0);
		spk_stf2(aj + 2, t1);
		spk_stf2(aj + 4, t2);
		spk_stf2(aj + 6, t3);
		spk_stf2(aj + 8, t4);
		spk_stf2(aj + 10, t5);
		spk_stf2(aj + 12, t6);
		spk_stf2(aj + 14, t7);
	}
	for (; j + 2 <= len; j += 2) {
		spk_f64x2 t0 = spk_ldf2(a + j);

		for (uint32_t s = 0; s < n; s++)
			t0 += spk_ldf2(w + j + ch[s] * cstride);
		spk_stf2(a + j, t0);
	}
	for (; j < len; j++) {
		double t = a[j];

		for (uint32_t s = 0; s < n; s++)
			t += w[j + ch[s] * cstride];
		a[j] = t;
	}
}

#endif
