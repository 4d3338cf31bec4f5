/*
 * test_ref_float.c — rung 1 of the validation ladder (doc/validation.md): the C float64 reference
 * reproduces what the Python float64 executor (models/spkm.py, through models/fixtures.py)
 * computed for a model file on Fashion-MNIST test images.
 *
 * Every `*.fixture` in tests/data/fixtures is checked: its model file (same directory, CRC-32
 * as recorded) is run on the recorded image indices; the logits must agree to 1e-4 relative
 * (they agree to rounding in practice) and the spikes of every population at every timestep
 * exactly, except in a population whose recorded margin (smallest |H − threshold|) is at
 * rounding level, where a flip between two correct float64 implementations is possible.
 *
 * The fixture format is described at the top of models/fixtures.py. Exit status 77 (skip)
 * when there is no fixture or the Fashion-MNIST test set is not installed.
 */
#include "config.h"

#include "data/idx.h"
#include "models/model.h"
#include "models/ref.h"

#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#define MARGIN_FLIP 1e-9	/* a margin below this may flip a spike */

static char err[1024];
static char fixdir[4096];
static struct spk_dataset fmnist;

/* Counts per (t, pop) reported by the engine. */
struct counts {
	uint32_t T, P;
	uint64_t *n;
};

static int count_hook(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	struct counts *c = ctx;

	(void)ids;
	c->n[(size_t)t * c->P + pop] = n;
	return 0;
}

static uint32_t file_crc(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[65536];
	uLong crc = crc32(0L, Z_NULL, 0);
	size_t k;

	assert_non_null(f);
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
		crc = crc32(crc, buf, (uInt)k);
	fclose(f);
	return (uint32_t)crc;
}

static void expect_word(FILE *f, const char *word, const char *fixture)
{
	char w[64];

	if (fscanf(f, "%63s", w) != 1 || strcmp(w, word) != 0)
		fail_msg("%s: expected '%s', found '%s'", fixture, word, w);
}

static void check_fixture(const char *name)
{
	char path[4200], model_name[256], model_path[4400], pop_name[512];
	unsigned crc, version;
	uint32_t T, K, P, N;
	struct spk_model *m;
	struct spk_ref *r;
	struct counts cnt;
	double *logits, *want, *margin, worst = 0;
	uint64_t *want_n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fixdir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	expect_word(f, "spikechip-fixture", name);
	assert_int_equal(fscanf(f, "%u", &version), 1);
	assert_int_equal(version, 1);
	expect_word(f, "model", name);
	assert_int_equal(fscanf(f, "%255s %x", model_name, &crc), 2);
	snprintf(model_path, sizeof(model_path), "%s/%s", fixdir, model_name);
	if (file_crc(model_path) != crc)
		fail_msg("%s: %s has CRC %08x, the fixture was made from %08x: regenerate it",
			 name, model_name, file_crc(model_path), crc);
	m = spk_model_load(model_path, err, sizeof(err));
	if (m == NULL)
		fail_msg("%s", err);
	expect_word(f, "dataset", name);
	expect_word(f, "fashion-mnist", name);
	expect_word(f, "test", name);
	expect_word(f, "time_steps", name);
	assert_int_equal(fscanf(f, "%u", &T), 1);
	expect_word(f, "classes", name);
	assert_int_equal(fscanf(f, "%u", &K), 1);
	expect_word(f, "pops", name);
	assert_int_equal(fscanf(f, "%u", &P), 1);
	assert_int_equal(T, m->time_steps);
	assert_int_equal(K, m->classes);
	assert_int_equal(P, m->n_pops);
	for (uint32_t p = 0; p < P; p++) {
		unsigned idx;

		expect_word(f, "pop", name);
		assert_int_equal(fscanf(f, "%u %511s", &idx, pop_name), 2);
		assert_int_equal(idx, p);
		assert_string_equal(pop_name, m->pops[p].name);
	}
	expect_word(f, "images", name);
	assert_int_equal(fscanf(f, "%u", &N), 1);

	r = spk_ref_create(m, NULL, 0, err, sizeof(err));
	assert_non_null(r);
	cnt.T = T;
	cnt.P = P;
	cnt.n = calloc((size_t)T * P, sizeof(uint64_t));
	want_n = calloc((size_t)T * P, sizeof(uint64_t));
	logits = calloc(K, sizeof(double));
	want = calloc(K, sizeof(double));
	margin = calloc(P, sizeof(double));
	spk_ref_set_spike_hook(r, count_hook, &cnt);

	for (uint32_t i = 0; i < N; i++) {
		unsigned ii, index, label;
		double img[28 * 28];

		expect_word(f, "image", name);
		assert_int_equal(fscanf(f, "%u %u %u", &ii, &index, &label), 3);
		assert_int_equal(ii, i);
		assert_true(index < fmnist.n);
		assert_int_equal(label, fmnist.labels[index]);
		expect_word(f, "logits", name);
		for (uint32_t k = 0; k < K; k++)
			assert_int_equal(fscanf(f, "%lf", &want[k]), 1);
		for (uint32_t t = 0; t < T; t++) {
			unsigned tt;

			expect_word(f, "spikes", name);
			assert_int_equal(fscanf(f, "%u", &tt), 1);
			assert_int_equal(tt, t);
			for (uint32_t p = 0; p < P; p++) {
				unsigned long long v;

				assert_int_equal(fscanf(f, "%llu", &v), 1);
				want_n[(size_t)t * P + p] = v;
			}
		}
		expect_word(f, "margin", name);
		for (uint32_t p = 0; p < P; p++)
			assert_int_equal(fscanf(f, "%lf", &margin[p]), 1);

		assert_int_equal(fmnist.channels * fmnist.height * fmnist.width,
				 m->in_channels * m->in_height * m->in_width);
		spk_dataset_image_f64(&fmnist, index, img);
		spk_ref_run(r, NULL, img, logits);

		for (uint32_t t = 0; t < T; t++) {
			for (uint32_t p = 0; p < P; p++) {
				uint64_t got = cnt.n[(size_t)t * P + p], exp = want_n[(size_t)t * P + p];

				if (got == exp)
					continue;
				if (margin[p] < MARGIN_FLIP) {
					print_message("%s: image %u t %u pop %u ('%s'): %llu spikes, "
						      "fixture %llu (margin %g: a tie)\n", name, index,
						      t, p, m->pops[p].name,
						      (unsigned long long)got,
						      (unsigned long long)exp, margin[p]);
					continue;
				}
				fail_msg("%s: image %u t %u pop %u ('%s'): %llu spikes, fixture %llu "
					 "(margin %g)", name, index, t, p, m->pops[p].name,
					 (unsigned long long)got, (unsigned long long)exp, margin[p]);
			}
		}
		for (uint32_t k = 0; k < K; k++) {
			double rel = fabs(logits[k] - want[k]) / fmax(fabs(want[k]), 1e-3);

			if (rel > worst)
				worst = rel;
			if (!(rel <= 1e-4))
				fail_msg("%s: image %u logit %u: %.17g, fixture %.17g (relative %g)",
					 name, index, k, logits[k], want[k], rel);
		}
	}
	expect_word(f, "end", name);
	print_message("%s: %u images, %u populations x %u timesteps: spikes equal, logits within "
		      "%.3g relative\n", name, N, P, T, worst);
	fclose(f);
	free(margin);
	free(want);
	free(logits);
	free(want_n);
	free(cnt.n);
	spk_ref_destroy(r);
	spk_model_destroy(m);
}

static void test_fixtures(void **state)
{
	DIR *d = opendir(fixdir);
	struct dirent *e;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 8 && strcmp(e->d_name + len - 8, ".fixture") == 0) {
			check_fixture(e->d_name);
			n++;
		}
	}
	closedir(d);
	assert_true(n > 0);
}

static int count_fixtures(void)
{
	DIR *d = opendir(fixdir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		n += len > 8 && strcmp(e->d_name + len - 8, ".fixture") == 0;
	}
	closedir(d);
	return n;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
	};
	const char *top = getenv("TOP_SRCDIR"), *dir = getenv("FMNIST_DIR");
	char img[4096], lab[4096];
	int rc;

	snprintf(fixdir, sizeof(fixdir), "%s/tests/data/fixtures", top ? top : SPK_SRCDIR);
	if (count_fixtures() == 0) {
		printf("SKIP: no *.fixture in %s\n", fixdir);
		return 77;
	}
	if (dir == NULL || *dir == '\0')
		dir = SPK_FMNIST_DIR;
	snprintf(img, sizeof(img), "%s/t10k-images-idx3-ubyte.gz", dir);
	snprintf(lab, sizeof(lab), "%s/t10k-labels-idx1-ubyte.gz", dir);
	if (access(img, R_OK) != 0 || access(lab, R_OK) != 0) {
		printf("SKIP: Fashion-MNIST test set not found in %s (apt-get install "
		       "dataset-fashion-mnist)\n", dir);
		return 77;
	}
	if (spk_dataset_load(&fmnist, img, lab, 0, err, sizeof(err)) < 0) {
		printf("%s\n", err);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	spk_dataset_fini(&fmnist);
	return rc;
}
