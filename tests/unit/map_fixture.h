/*
 * map_fixture.h — what the compiler's unit tests (test_map_*.c) share: the tiny fixture model
 * (tests/data/fixtures/tiny-fmnist-t2.spkm), loaded by the group setup with its quantization
 * for 8-bit weights and 16-bit membranes, and arch_with(), an architecture made of the defaults
 * and a few overrides.
 *
 *	arch_with(&a, "chip", "mesh_x", "4", "core", "neurons", "64", NULL);
 *	...
 *	return cmocka_run_group_tests(tests, setup, teardown);
 *
 * Header-only, included once by each test after cmocka.h; a test may replace qmodel (destroying
 * the old one) as long as it leaves one for teardown().
 *
 * A test that runs compiled images (test_map_exec.c, test_chip.c) defines MAP_FIXTURE_IMAGES
 * before including it, for make_image() (a synthetic 28x28 image) and compile() (the fixture
 * compiled for an arch, serialised and parsed back: exactly what a file holds).
 */
#ifndef MAP_FIXTURE_H
#define MAP_FIXTURE_H

#include "arch/arch.h"
#include "models/model.h"
#include "models/quant.h"

#include <stdarg.h>

#define TINY SPK_SRCDIR "/tests/data/fixtures/tiny-fmnist-t2.spkm"

static struct spk_model *model;
static struct spk_qmodel *qmodel;

static inline int setup(void **state)
{
	char err[512];

	(void)state;
	model = spk_model_load(TINY, err, sizeof(err));
	if (model == NULL) {
		print_error("%s\n", err);
		return -1;
	}
	qmodel = spk_quant_create(model, 8, 16, err, sizeof(err));
	if (qmodel == NULL) {
		print_error("%s\n", err);
		return -1;
	}
	return 0;
}

static inline int teardown(void **state)
{
	(void)state;
	spk_quant_destroy(qmodel);
	spk_model_destroy(model);
	return 0;
}

/* Defaults, then "section", "key", "value" triples up to a NULL; the result must check. */
static inline void arch_with(struct spk_arch *a, ...)
{
	char err[256];
	va_list ap;
	const char *s;

	spk_arch_init_defaults(a);
	va_start(ap, a);
	while ((s = va_arg(ap, const char *)) != NULL) {
		const char *k = va_arg(ap, const char *), *v = va_arg(ap, const char *);

		assert_int_equal(spk_arch_set(a, s, k, v, err, sizeof(err)), 0);
	}
	va_end(ap);
	if (spk_arch_check(a, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

#ifdef MAP_FIXTURE_IMAGES
#include "image/image.h"
#include "mapper/emit.h"
#include "mapper/map.h"

#include <stdlib.h>

/* A synthetic 28x28 image: smooth blobs, so that layers fire at moderate rates. */
static inline void make_image(uint8_t *px, uint32_t seed)
{
	for (uint32_t y = 0; y < 28; y++)
		for (uint32_t x = 0; x < 28; x++) {
			uint32_t v = (x * (3 + seed) + y * (5 + 2 * seed) + seed * 40) % 256;

			px[y * 28 + x] = (uint8_t)((x > 4 && x < 24 && y > 3 && y < 25) ? v : v / 8);
		}
}

static inline struct spk_image *compile(const struct spk_arch *a)
{
	struct spk_map *map = spk_map_create(model, qmodel, a, 1);
	struct spk_image *img, *back;
	char err[512];
	size_t n;
	void *f;

	assert_non_null(map);
	if (spk_map_compile(map) != 0) {
		spk_map_fail_message(map, err, sizeof(err));
		fail_msg("%s", err);
	}
	img = spk_emit_image(map, 0, err, sizeof(err));
	assert_non_null(img);
	/* run what a file holds */
	f = spk_image_serialize(img, &n, err, sizeof(err));
	back = spk_image_parse(f, n, "t.spki", err, sizeof(err));
	if (back == NULL)
		fail_msg("%s", err);
	free(f);
	spk_image_destroy(img);
	spk_map_destroy(map);
	return back;
}
#endif

#endif
