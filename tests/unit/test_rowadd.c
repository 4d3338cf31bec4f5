/*
 * test_rowadd.c — the row additions of models/rowadd.h (spk_rowadd, and spk_rowadd8 where the
 * processor has AVX2) against a plain loop with int64 sums.
 *
 * The loops widen int16 weights to int32 lanes in registers (a shuffle and a shift in SSE2, a
 * sign extension in AVX2), keep the accumulators in registers across the spiking channels, and
 * split a row into 64-, 32-, 8-, 4-lane and single-lane pieces. So the rows here have every
 * length from 0 to 150 (every mix of those pieces), start at odd addresses, hold the extreme
 * weights (−32768, 32767, −1, 0) among random ones, and the same channel may come twice.
 */
#include "config.h"

#include "models/rowadd.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MAX_LEN 150u
#define MAX_CH 40u
#define MAX_N 24u

static uint32_t rng_state = 1;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return (rng_state >> 8) % n;
}

typedef void (*rowadd_fn)(int32_t *a, const int16_t *w, size_t cstride, const uint32_t *ch,
			  uint32_t n, uint32_t len);

static void rowadd4(int32_t *a, const int16_t *w, size_t cstride, const uint32_t *ch, uint32_t n,
		    uint32_t len)
{
	spk_rowadd(a, w, cstride, ch, n, len);
}

SPK_TARGET_AVX2 static void rowadd8(int32_t *a, const int16_t *w, size_t cstride,
				    const uint32_t *ch, uint32_t n, uint32_t len)
{
	spk_rowadd8(a, w, cstride, ch, n, len);
}

static int16_t weight(void)
{
	static const int16_t extreme[] = { INT16_MIN, INT16_MAX, -1, 0 };

	if (rnd(5) == 0)
		return extreme[rnd(4)];
	return (int16_t)((int32_t)rnd(65536) - 32768);
}

/* Every length, random strides, channels and offsets; returns the lanes compared. */
static uint64_t check(rowadd_fn f, uint32_t rounds)
{
	static int16_t wbuf[MAX_CH * (MAX_LEN + 16) + 8];
	static int32_t abuf[MAX_LEN + 8];
	int64_t want[MAX_LEN];
	uint32_t ch[MAX_N];
	uint64_t lanes = 0;

	for (uint32_t round = 0; round < rounds; round++)
		for (uint32_t len = 0; len <= MAX_LEN; len++) {
			const size_t cstride = len + rnd(16);
			const uint32_t n = rnd(MAX_N + 1);
			const int16_t *w = wbuf + rnd(8);
			int32_t *a = abuf + rnd(8);

			for (size_t k = 0; k < sizeof(wbuf) / sizeof(*wbuf); k++)
				wbuf[k] = weight();
			for (uint32_t s = 0; s < n; s++)
				ch[s] = rnd(MAX_CH);
			for (uint32_t j = 0; j < len; j++) {
				a[j] = (int32_t)rnd(1u << 21) - (1 << 20);
				want[j] = a[j];
				for (uint32_t s = 0; s < n; s++)
					want[j] += w[ch[s] * cstride + j];
			}
			f(a, w, cstride, ch, n, len);
			for (uint32_t j = 0; j < len; j++)
				if (a[j] != want[j])
					fail_msg("len %u, %u channels, lane %u: %ld, want %lld",
						 len, n, j, (long)a[j], (long long)want[j]);
			lanes += len;
		}
	return lanes;
}

static void test_rowadd(void **state)
{
	(void)state;
	print_message("spk_rowadd: %llu lanes compared\n", (unsigned long long)check(rowadd4, 20));
}

static void test_rowadd8(void **state)
{
	(void)state;
	if (!spk_cpu_avx2())
		skip();
	print_message("spk_rowadd8: %llu lanes compared\n", (unsigned long long)check(rowadd8, 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rowadd),
		cmocka_unit_test(test_rowadd8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
