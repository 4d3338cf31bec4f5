/*
 * test_map_exec.c — the functional executor of chip images (mapper/exec.h): the tiny fixture
 * compiled for chips that cut it differently (one core per layer; row bands and channel groups;
 * several encoder units; attention ops sharing units) runs, from its serialised image alone,
 * spike for spike and score for score like the integer reference, on synthetic images; and a
 * single wrong weight in the image makes it diverge (the check has teeth).
 */
#include "config.h"

#include "arch/arch.h"
#include "image/image.h"
#include "mapper/emit.h"
#include "mapper/exec.h"
#include "mapper/map.h"
#include "models/model.h"
#include "models/quant.h"
#include "models/ref.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MAP_FIXTURE_IMAGES
#include "map_fixture.h"

#define IMAGES 3

/* Spike counts and an order-independent hash per (timestep, population). */
struct record {
	uint64_t count[8][128], hash[8][128];
};

static int hook(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	struct record *r = ctx;

	assert_true(t < 8 && pop < 128);
	r->count[t][pop] += n;
	for (size_t k = 0; k < n; k++) {
		uint64_t z = ids[k] * UINT64_C(0x9e3779b97f4a7c15) + pop;

		r->hash[t][pop] += (z ^ (z >> 29)) * UINT64_C(0xbf58476d1ce4e5b9);
	}
	return 0;
}

/* true when chip and reference agree on every spike and score of IMAGES images */
static bool agree(const struct spk_image *img)
{
	char err[256];
	struct spk_ref *r = spk_ref_create(model, qmodel, 0, err, sizeof(err));
	struct spk_exec *x = spk_exec_create(img, err, sizeof(err));
	struct record *rr = calloc(1, sizeof(*rr)), *rx = calloc(1, sizeof(*rx));
	double logits[16];
	int64_t scores[16];
	uint8_t px[28 * 28];
	bool same = true;

	assert_true(r != NULL && x != NULL && rr != NULL && rx != NULL);
	spk_ref_set_spike_hook(r, hook, rr);
	spk_exec_set_spike_hook(x, hook, rx);
	for (uint32_t i = 0; i < IMAGES; i++) {
		int pr, pc;

		make_image(px, i);
		pr = spk_ref_run(r, px, NULL, logits);
		pc = spk_exec_run(x, px, scores);
		same &= pr == pc;
		same &= memcmp(scores, spk_ref_scores(r), model->classes * sizeof(int64_t)) == 0;
	}
	same &= memcmp(rr, rx, sizeof(*rr)) == 0;
	/* the images make the network work: many spikes, in many populations */
	{
		uint32_t active = 0;

		for (uint32_t p = 0; p < model->n_pops; p++)
			active += rr->count[0][p] > 0;
		assert_true(active > model->n_pops / 2);
	}
	free(rr);
	free(rx);
	spk_exec_destroy(x);
	spk_ref_destroy(r);
	return same;
}

static void test_default(void **state)
{
	struct spk_arch a;
	struct spk_image *img;

	(void)state;
	arch_with(&a, NULL);
	img = compile(&a);
	assert_true(agree(img));
	spk_image_destroy(img);
}

static void test_cut_fine(void **state)
{
	struct spk_arch a;
	struct spk_image *img;

	(void)state;
	/* row bands, channel groups, 3 encoder units, attention ops sharing 3 units */
	arch_with(&a, "chip", "mesh_x", "40", "chip", "mesh_y", "40", "core", "neurons", "256",
		  "core", "neuron_updates", "4", "core", "synapse_kib", "8", "core",
		  "route_entries", "4096", "encoder", "units", "3", "attention", "units", "3",
		  "attention", "kv_kib", "2", NULL);
	img = compile(&a);
	assert_true(agree(img));
	spk_image_destroy(img);
	/* narrow weights and membranes: the image carries the widths */
	arch_with(&a, "core", "weight_bits", "4", "core", "membrane_bits", "8", NULL);
	spk_quant_destroy(qmodel);
	{
		char err[256];

		qmodel = spk_quant_create(model, 4, 8, err, sizeof(err));
		assert_non_null(qmodel);
	}
	img = compile(&a);
	assert_int_equal(img->weight_bits, 4);
	assert_true(agree(img));
	spk_image_destroy(img);
	{
		char err[256];

		spk_quant_destroy(qmodel);
		qmodel = spk_quant_create(model, 8, 16, err, sizeof(err));
		assert_non_null(qmodel);
	}
}

static void test_wrong_weight_diverges(void **state)
{
	struct spk_arch a;
	struct spk_image *img;

	(void)state;
	arch_with(&a, NULL);
	img = compile(&a);
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		struct spk_image_tile *tile = &img->tiles[t];

		if (tile->n_projs > 0) {
			const struct spk_image_step *st = &img->steps[tile->projs[0].step];
			size_t n = (size_t)st->c_in * st->kernel * st->kernel *
				   (tile->pieces[tile->projs[0].piece].c1 -
				    tile->pieces[tile->projs[0].piece].c0);

			for (size_t k = 0; k < n; k++)
				tile->projs[0].w[k] = (int16_t)(tile->projs[0].w[k] > 0 ? -100 : 100);
			break;
		}
	}
	assert_false(agree(img));
	spk_image_destroy(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_cut_fine),
		cmocka_unit_test(test_wrong_weight_diverges),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
