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

#endif
