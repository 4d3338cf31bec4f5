/*
 * test_chip.c — the chip top (sim/chip.h): the tiny fixture model compiled for the default chip
 * (and for chips that cut it differently: row bands and channel groups, several encoders)
 * runs, from its serialised image, spike for spike and class for class like the integer
 * reference on synthetic images, pipelined; two runs give the same cycles; and an image built
 * for another architecture is refused. With tree multicast ([noc] multicast = tree) the same
 * chips stay equal to the reference, with the same classes and deliveries as source replication
 * from fewer injected packets; an arch whose head flit cannot carry the payloads is refused.
 */
#include "config.h"

#include "arch/arch.h"
#include "image/image.h"
#include "mapper/emit.h"
#include "mapper/map.h"
#include "models/model.h"
#include "models/quant.h"
#include "models/ref.h"
#include "sim/chip.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define MAP_FIXTURE_IMAGES
#include "map_fixture.h"

#define IMAGES 6

/* The reference's spikes: per image, one bit per (timestep, population, neuron). */
struct golden {
	uint64_t *off;			/* [n_pops] */
	uint64_t per_t, per_image;
	uint8_t *bits;			/* [IMAGES][per_image] bytes (one per neuron: simple) */
	uint32_t image;
	int cls[IMAGES];
	uint32_t T;
	uint64_t mismatches, checked;
};

static int ref_hook(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids, size_t n)
{
	struct golden *g = ctx;
	uint8_t *b = g->bits + g->image * g->per_image + t * g->per_t + g->off[pop];

	for (size_t k = 0; k < n; k++)
		b[ids[k]] = 1;
	return 0;
}

struct check_ctx {
	struct golden *g;
	struct spk_chip *chip;
};

static int chip_hook(void *ctx, uint32_t image, const struct spk_chip_result *r)
{
	struct check_ctx *cc = ctx;
	struct golden *g = cc->g;

	assert_true(image < IMAGES);
	assert_int_equal((int)r->cls, g->cls[image]);
	assert_true(r->out_cycle > r->in_cycle);
	for (uint32_t t = 0; t < g->T; t++)
		for (uint32_t p = 0; p < model->n_pops; p++) {
			const uint8_t *b = g->bits + image * g->per_image + t * g->per_t + g->off[p];
			size_t n, want = 0;
			const uint32_t *ids = spk_chip_image_spikes(cc->chip, image, t, p, &n);

			for (size_t k = 0; k < spk_model_pop_neurons(model, p); k++)
				want += b[k];
			if (n != want)
				print_error("image %u t %u pop %s: ref %zu chip %zu spikes\n", image, t,
					    model->pops[p].name, want, n);
			assert_int_equal(n, want);
			for (size_t k = 0; k < n; k++)
				assert_int_equal(b[ids[k]], 1);
			g->checked += n;
		}
	return 0;
}

/* Runs n (<= IMAGES) images on a chip for a, checked against the reference; returns cycles. */
static uint64_t run_and_check(const struct spk_arch *a, uint32_t n, struct spk_chip_result *res,
			      struct spk_chip_stats *st)
{
	struct spk_image *img = compile(a);
	struct golden g = { 0 };
	struct spk_ref *r;
	struct spk_chip *chip;
	struct check_ctx cc;
	uint8_t *px = malloc(IMAGES * 28 * 28);
	double logits[16];
	char err[512];

	assert_non_null(px);
	g.T = model->time_steps;
	g.off = calloc(model->n_pops, sizeof(*g.off));
	assert_non_null(g.off);
	for (uint32_t p = 0; p < model->n_pops; p++) {
		g.off[p] = g.per_t;
		g.per_t += spk_model_pop_neurons(model, p);
	}
	g.per_image = g.per_t * g.T;
	g.bits = calloc(IMAGES * g.per_image, 1);
	r = spk_ref_create(model, qmodel, 0, err, sizeof(err));
	assert_true(g.bits != NULL && r != NULL);
	spk_ref_set_spike_hook(r, ref_hook, &g);
	for (uint32_t i = 0; i < n; i++) {
		make_image(px + i * 28 * 28, i);
		g.image = i;
		g.cls[i] = spk_ref_run(r, px + i * 28 * 28, NULL, logits);
		assert_true(g.cls[i] >= 0);
	}
	chip = spk_chip_create(img, a, err, sizeof(err));
	if (chip == NULL)
		fail_msg("%s", err);
	assert_int_equal(spk_chip_record(chip, true), 0);
	cc = (struct check_ctx){ &g, chip };
	spk_chip_set_image_hook(chip, chip_hook, &cc);
	if (spk_chip_run(chip, px, n, res, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	spk_chip_get_stats(chip, st);
	assert_int_equal(st->images, n);
	assert_true(g.checked > 0);
	/* the chip's SOPs are the reference's (doc/architecture.md §10) */
	{
		const struct spk_ref_stats *rs = spk_ref_get_stats(r);
		uint64_t sops = 0, attn = 0;

		for (uint32_t o = 0; o < model->n_ops; o++) {
			sops += rs->op_sops[o];
			attn += rs->op_attn[o];
		}
		assert_int_equal(st->ev.sops, sops);
		assert_int_equal(st->ev.attention_ops, attn);
	}
	assert_int_equal(st->graded_clamped, 0);
	assert_int_equal(st->counter_overflows, 0);
	assert_true(st->energy.total > st->energy.dynamic && st->energy.dynamic > 0);
	spk_chip_destroy(chip);
	spk_ref_destroy(r);
	spk_image_destroy(img);
	free(g.bits);
	free(g.off);
	free(px);
	return st->cycles;
}

static void test_default_chip(void **state)
{
	struct spk_chip_result a[IMAGES], b[IMAGES];
	struct spk_chip_stats sa, sb;
	struct spk_arch arch;

	(void)state;
	arch_with(&arch, NULL);
	run_and_check(&arch, IMAGES, a, &sa);
	run_and_check(&arch, IMAGES, b, &sb);
	/* deterministic: same cycles, same counts */
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(sa.cycles, sb.cycles);
	assert_int_equal(sa.noc.router_flits, sb.noc.router_flits);
	assert_int_equal(sa.noc.stall_cycles, sb.noc.stall_cycles);
	/* pipelined: the second image goes in before the first comes out */
	assert_true(a[1].in_cycle < a[0].out_cycle);
}

static void test_cut_chip(void **state)
{
	struct spk_chip_result res[IMAGES];
	struct spk_chip_stats st;
	struct spk_arch arch;

	(void)state;
	/* row bands, channel groups, 3 encoder units, attention ops sharing 3 units */
	arch_with(&arch, "chip", "mesh_x", "40", "chip", "mesh_y", "40", "core", "neurons", "256",
		  "core", "synapse_kib", "8", "core",
		  "route_entries", "4096", "encoder", "units", "3",
		  "attention", "units", "3", "attention", "kv_kib", "2", NULL);
	run_and_check(&arch, 2, res, &st);
}

/* Source replication (src), then tree multicast on the same chip. */
static void check_tree(const struct spk_arch *src, uint32_t n)
{
	struct spk_chip_result rs[IMAGES], rt[IMAGES];
	struct spk_chip_stats ss, st;
	struct spk_arch tree = *src;
	char err[256];

	assert_int_equal(spk_arch_set(&tree, "noc", "multicast", "tree", err, sizeof(err)), 0);
	run_and_check(src, n, rs, &ss);
	run_and_check(&tree, n, rt, &st);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(rs[i].cls, rt[i].cls);
	/* the units receive exactly what they received; the cores send fewer packets */
	assert_int_equal(st.noc.packets_delivered, ss.noc.packets_delivered);
	assert_int_equal(st.ev.sops, ss.ev.sops);
	assert_true(st.ev.packets_out < ss.ev.packets_out);
	assert_int_equal(st.noc.packets_injected, st.ev.packets_out);
	assert_true(st.noc.link_flits <= ss.noc.link_flits);
}

static void test_tree_chip(void **state)
{
	struct spk_arch arch;

	(void)state;
	arch_with(&arch, NULL);
	check_tree(&arch, IMAGES);
	/* row bands and channel groups: groups of many members */
	arch_with(&arch, "chip", "mesh_x", "40", "chip", "mesh_y", "40", "core", "neurons", "256",
		  "core", "synapse_kib", "8", "core",
		  "route_entries", "4096", "encoder", "units", "3",
		  "attention", "units", "3", "attention", "kv_kib", "2", NULL);
	check_tree(&arch, 2);
}

static void test_tree_payload(void **state)
{
	struct spk_arch src, narrow;
	struct spk_image *img;
	char err[512];

	(void)state;
	/* 24-bit flits hold a source-mode head flit of a 12x12 mesh of 8192-neuron cores, but a
	 * tree-mode one leaves 12 payload bits: too few for the graded axons */
	arch_with(&src, "noc", "flit_bits", "24", NULL);
	arch_with(&narrow, "noc", "flit_bits", "24", "noc", "multicast", "tree", NULL);
	img = compile(&src);
	assert_null(spk_chip_create(img, &narrow, err, sizeof(err)));
	assert_non_null(strstr(err, "[noc] flit_bits >= "));
	spk_image_destroy(img);
}

static void test_other_arch(void **state)
{
	struct spk_arch a, b;
	struct spk_image *img;
	char err[512];

	(void)state;
	arch_with(&a, NULL);
	arch_with(&b, "core", "neurons", "1024", NULL);
	img = compile(&a);
	assert_null(spk_chip_create(img, &b, err, sizeof(err)));
	assert_non_null(strstr(err, "neurons"));
	spk_image_destroy(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_chip),
		cmocka_unit_test(test_cut_chip),
		cmocka_unit_test(test_other_arch),
		cmocka_unit_test(test_tree_chip),
		cmocka_unit_test(test_tree_payload),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
