/*
 * test_map_image.c — the chip image format (image/image.h): an image of the tiny fixture
 * serialises, reads back and serialises to the same bytes; two compilations give the same
 * bytes; the reader rejects, with a message naming the file and the place, every kind of damage:
 * bad magic, header CRC, newer version, flags, truncation (header, payload, inside a record),
 * trailing bytes, corrupt payload, and payloads whose content breaks a rule (indices and ranges
 * out of bounds, weights beyond weight_bits, duplicate routes, missing arch parameters);
 * spk_image_check_arch() names a parameter that differs. Tree multicast groups
 * (spk_image_mc_groups()): a hand-made table (a repeated destination opens a second group,
 * readers interleaved, ids in tile and table order, MEAN and ATTN entries unicast) against the
 * rule, the fixture's tables against a naive restatement of the rule, and the payload check
 * (spk_image_check_mc_payload()) with wide and narrow flits.
 */
#include "config.h"

#include "arch/arch.h"
#include "image/image.h"
#include "mapper/emit.h"
#include "mapper/exec.h"
#include "mapper/map.h"
#include "models/model.h"
#include "models/quant.h"
#include "util/le.h"

#include <errno.h>
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

#include "map_fixture.h"

static struct spk_image *build(const struct spk_arch *a)
{
	struct spk_map *map = spk_map_create(model, qmodel, a, 1);
	struct spk_image *img;
	char err[512];

	assert_non_null(map);
	assert_int_equal(spk_map_compile(map), 0);
	img = spk_emit_image(map, 0x12345678u, err, sizeof(err));
	if (img == NULL)
		fail_msg("%s", err);
	spk_map_destroy(map);
	return img;
}

static void *serialize(const struct spk_image *img, size_t *len)
{
	char err[256];
	void *f = spk_image_serialize(img, len, err, sizeof(err));

	if (f == NULL)
		fail_msg("%s", err);
	return f;
}

static void fix_header_crc(uint8_t *f)
{
	spk_le32_put(f + 28, (uint32_t)crc32(0L, f, 28));
}

/* The uncompressed payload of a file. */
static uint8_t *payload(const uint8_t *f, size_t *n)
{
	uLongf raw = spk_le32_get(f + 20);
	uint8_t *p = malloc(raw);

	assert_non_null(p);
	assert_int_equal(uncompress(p, &raw, f + 32, spk_le32_get(f + 16)), Z_OK);
	*n = raw;
	return p;
}

/* A file around any payload, with valid header and CRCs. */
static uint8_t *wrap(const uint8_t *p, size_t n, size_t *len)
{
	uLongf c = compressBound(n);
	uint8_t *f = malloc(32 + c);

	assert_non_null(f);
	assert_int_equal(compress2(f + 32, &c, p, n, 1), Z_OK);
	memcpy(f, SPK_IMAGE_MAGIC, 8);
	spk_le32_put(f + 8, SPK_IMAGE_VERSION);
	spk_le32_put(f + 12, 0);
	spk_le32_put(f + 16, (uint32_t)c);
	spk_le32_put(f + 20, (uint32_t)n);
	spk_le32_put(f + 24, (uint32_t)crc32(0L, p, (uInt)n));
	fix_header_crc(f);
	*len = 32 + c;
	return f;
}

static void expect_reject(const void *f, size_t len, const char *want)
{
	char err[512];
	struct spk_image *img = spk_image_parse(f, len, "x.spki", err, sizeof(err));

	if (img != NULL) {
		spk_image_destroy(img);
		fail_msg("accepted, expected '%s'", want);
	}
	if (strncmp(err, "x.spki: ", 8) != 0)
		fail_msg("message '%s' does not name the file", err);
	/* want: alternatives separated by '|' */
	for (const char *w = want;;) {
		const char *bar = strchr(w, '|');
		size_t len = bar != NULL ? (size_t)(bar - w) : strlen(w);
		char one[256];

		snprintf(one, sizeof(one), "%.*s", (int)len, w);
		if (strstr(err, one) != NULL)
			return;
		if (bar == NULL)
			fail_msg("message '%s' does not contain '%s'", err, want);
		w = bar + 1;
	}
}

static void test_round_trip(void **state)
{
	struct spk_arch a;
	struct spk_image *img, *back, *img2;
	void *f1, *f2, *f3;
	size_t n1, n2, n3;
	char err[512];

	(void)state;
	spk_arch_init_defaults(&a);
	img = build(&a);
	f1 = serialize(img, &n1);
	back = spk_image_parse(f1, n1, "rt.spki", err, sizeof(err));
	if (back == NULL)
		fail_msg("%s", err);
	f2 = serialize(back, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(f1, f2, n1);
	/* a second compilation: the same bytes */
	img2 = build(&a);
	f3 = serialize(img2, &n3);
	assert_int_equal(n1, n3);
	assert_memory_equal(f1, f3, n1);

	assert_int_equal(back->n_tiles, 144);
	assert_int_equal(back->mesh_x, 12);
	assert_int_equal(back->model_crc32, 0x12345678u);
	assert_int_equal(back->n_pops, model->n_pops);
	assert_string_equal(back->pops[3].name, model->pops[3].name);
	assert_int_equal(spk_image_tile_at(back, 5, 7) - back->tiles, 7 * 12 + 5);
	assert_null(spk_image_tile_at(back, 12, 0));
	assert_int_equal(spk_image_check_arch(back, &a, err, sizeof(err)), 0);
	{
		int64_t v;

		assert_true(spk_image_arch_value(back, "core.neurons", &v));
		assert_int_equal(v, 8192);
		assert_false(spk_image_arch_value(back, "core.adders", &v));
	}
	spk_image_destroy(back);
	spk_image_destroy(img);
	spk_image_destroy(img2);
	free(f1);
	free(f2);
	free(f3);
}

static void test_check_arch(void **state)
{
	struct spk_arch a, b;
	struct spk_image *img;
	char err[512];

	(void)state;
	spk_arch_init_defaults(&a);
	img = build(&a);
	b = a;
	b.core.adders = 64;		/* timing: does not matter */
	b.energy.syn_add_pj = 7;
	assert_int_equal(spk_image_check_arch(img, &b, err, sizeof(err)), 0);
	b.core.neurons = 4096;
	assert_int_not_equal(spk_image_check_arch(img, &b, err, sizeof(err)), 0);
	assert_string_equal(err, "compiled for [core] neurons = 8192, the architecture has 4096");
	spk_image_destroy(img);
}

/* A route of the hand-made tables. */
static struct spk_image_route rt(enum spk_route_kind kind, uint32_t source, uint32_t local,
				 uint32_t dst)
{
	return (struct spk_image_route){ .kind = kind, .source = source, .local = local,
					 .dst_tile = dst, .dst_piece = UINT32_MAX };
}

static void test_mc_groups_rule(void **state)
{
	/* a 2x2 mesh: cores 0 and 1, an attention unit 2, a readout 3 */
	struct spk_image_site sites[2] = { { .channels = 4, .height = 3, .width = 5 },
					   { .channels = 2, .height = 2, .width = 2 } };
	struct spk_image_piece pieces0[2] = { { .site = 0, .c0 = 0, .c1 = 2, .y0 = 0, .y1 = 3 },
					      { .site = 1, .c0 = 0, .c1 = 2, .y0 = 0, .y1 = 2 } };
	struct spk_image_piece pieces1[1] = { { .site = 0, .c0 = 2, .c1 = 4, .y0 = 0, .y1 = 3 } };
	/* readers: A = (piece 0, pop 0), B = (piece 0, pop 1), C = (piece 1, pop 0) */
	struct spk_image_route r0[] = {
		rt(SPK_ROUTE_SPIKE, 0, 0, 1),	/* A -> 1: opens g1 */
		rt(SPK_ROUTE_SPIKE, 0, 0, 2),	/* A -> 2: g1 */
		rt(SPK_ROUTE_SPIKE, 1, 0, 2),	/* B -> 2: opens g2 */
		rt(SPK_ROUTE_SPIKE, 0, 0, 1),	/* A -> 1 again: opens g3 */
		rt(SPK_ROUTE_MEAN, 5, 0, 3),	/* unicast */
		rt(SPK_ROUTE_SPIKE, 0, 0, 3),	/* A -> 3: g1 */
		rt(SPK_ROUTE_SPIKE, 0, 0, 1),	/* A -> 1 a third time: opens g4 */
		rt(SPK_ROUTE_SPIKE, 0, 0, 2),	/* A -> 2 again: g3 */
		rt(SPK_ROUTE_SPIKE, 0, 1, 0),	/* C -> 0: opens g5 (another piece) */
		rt(SPK_ROUTE_SPIKE, 1, 0, 2),	/* B -> 2 again: opens g6 */
	};
	struct spk_image_route r1[] = { rt(SPK_ROUTE_SPIKE, 0, 0, 0),
					rt(SPK_ROUTE_SPIKE, 0, 0, 2) };
	struct spk_image_route r2[] = { rt(SPK_ROUTE_ATTN, 7, 0, 0) };
	struct spk_image_tile tiles[4] = {
		{ .kind = SPK_TILE_CORE, .n_routes = 10, .routes = r0, .n_pieces = 2,
		  .pieces = pieces0 },
		{ .kind = SPK_TILE_CORE, .n_routes = 2, .routes = r1, .n_pieces = 1,
		  .pieces = pieces1 },
		{ .kind = SPK_TILE_ATTENTION, .n_routes = 1, .routes = r2 },
		{ .kind = SPK_TILE_READOUT },
	};
	struct spk_image img = { .mesh_x = 2, .mesh_y = 2, .n_sites = 2, .sites = sites,
				 .n_tiles = 4, .tiles = tiles };
	static const uint32_t want0[] = { 1, 1, 2, 3, 0, 1, 4, 3, 5, 6 };
	/* members of g1..g7 (routing-table indices at the group's tile) */
	static const uint32_t first[] = { 0, 3, 4, 6, 7, 8, 9 }, n[] = { 3, 1, 2, 1, 1, 1, 2 };
	static const uint32_t member[] = { 0, 1, 5, 2, 3, 7, 6, 8, 9, 0, 1 };
	struct spk_image_mc mc;

	(void)state;
	assert_int_equal(spk_image_mc_groups(&img, &mc), 0);
	assert_int_equal(mc.n_groups, 7);
	for (uint32_t e = 0; e < 10; e++)
		assert_int_equal(mc.route_group[0][e], want0[e]);
	assert_int_equal(mc.route_group[1][0], 7);
	assert_int_equal(mc.route_group[1][1], 7);
	assert_int_equal(mc.route_group[2][0], 0);
	for (uint32_t g = 0; g < 7; g++) {
		assert_int_equal(mc.groups[g].tile, g < 6 ? 0 : 1);
		assert_int_equal(mc.groups[g].first, first[g]);
		assert_int_equal(mc.groups[g].n, n[g]);
	}
	assert_memory_equal(mc.member, member, sizeof(member));
	assert_int_equal(mc.groups[0].max_elem, 2 * 3 * 5 - 1);	/* piece 0 of tile 0 */
	assert_int_equal(mc.groups[4].max_elem, 2 * 2 * 2 - 1);	/* piece 1 */
	/* A = max(1 + 1 mesh bits, 3 bits for 7 groups) */
	assert_int_equal(spk_image_mc_address_bits(2, 2, 7), 3);
	assert_int_equal(spk_image_mc_address_bits(12, 12, 255), 8);
	assert_int_equal(spk_image_mc_address_bits(12, 12, 256), 9);
	spk_image_mc_fini(&mc);
	/* without SPIKE routes: no groups */
	img.n_tiles = 4;
	tiles[0].n_routes = 0;
	tiles[1].n_routes = 0;
	assert_int_equal(spk_image_mc_groups(&img, &mc), 0);
	assert_int_equal(mc.n_groups, 0);
	spk_image_mc_fini(&mc);
}

/* The fixture on a cut chip: the groups against a naive restatement of the rule. */
static void test_mc_groups_fixture(void **state)
{
	struct spk_arch a;
	struct spk_image *img;
	struct spk_image_mc mc;
	uint32_t next = 1;
	char err[512];

	(void)state;
	spk_arch_init_defaults(&a);
	assert_int_equal(spk_arch_set(&a, "chip", "mesh_x", "40", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_set(&a, "chip", "mesh_y", "40", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_set(&a, "core", "neurons", "256", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_set(&a, "core", "synapse_kib", "8", err, sizeof(err)), 0);
	assert_int_equal(spk_arch_set(&a, "core", "route_entries", "4096", err, sizeof(err)), 0);
	img = build(&a);
	assert_int_equal(spk_image_mc_groups(img, &mc), 0);
	for (uint32_t t = 0; t < img->n_tiles; t++) {
		const struct spk_image_tile *tl = &img->tiles[t];

		for (uint32_t e = 0; e < tl->n_routes; e++) {
			const struct spk_image_route *r = &tl->routes[e];
			uint32_t g = mc.route_group[t][e], want = 0;

			if (r->kind != SPK_ROUTE_SPIKE) {
				assert_int_equal(g, 0);
				continue;
			}
			/* the first earlier route of the reader whose group lacks r's tile */
			for (uint32_t f = 0; f < e && want == 0; f++) {
				const struct spk_image_route *q = &tl->routes[f];
				uint32_t gq = mc.route_group[t][f];
				bool has = false;

				if (q->kind != SPK_ROUTE_SPIKE || q->local != r->local ||
				    q->source != r->source)
					continue;
				for (uint32_t h = 0; h < e; h++)
					has |= mc.route_group[t][h] == gq &&
					       tl->routes[h].dst_tile == r->dst_tile;
				if (!has)
					want = gq;
			}
			if (want == 0)
				want = next++;	/* opens the next group, chip-wide */
			assert_int_equal(g, want);
			assert_int_equal(mc.groups[g - 1].tile, t);
		}
	}
	assert_int_equal(mc.n_groups, next - 1);
	assert_true(mc.n_groups > 0);
	/* the fixture's tables reach a tile once per reader: one group per reader, and some
	 * group has several members */
	{
		uint32_t most = 0;

		for (uint32_t g = 0; g < mc.n_groups; g++)
			if (mc.groups[g].n > most)
				most = mc.groups[g].n;
		assert_true(most > 1);
	}
	spk_image_mc_fini(&mc);
	spk_image_destroy(img);
}

static void test_mc_payload(void **state)
{
	struct spk_arch a;
	struct spk_image *img;
	struct spk_image_mc mc;
	char err[512];

	(void)state;
	spk_arch_init_defaults(&a);
	assert_int_equal(spk_arch_set(&a, "noc", "flit_bits", "24", err, sizeof(err)), 0);
	img = build(&a);
	assert_int_equal(spk_image_mc_groups(img, &mc), 0);
	/* 32-bit flits: 20 payload bits are plenty */
	a.noc.flit_bits = 32;
	assert_int_equal(spk_image_check_mc_payload(img, &a, &mc, err, sizeof(err)), 0);
	/* 24-bit flits (the least a source-mode 12x12 chip of 8192-neuron cores takes): 12 bits
	 * of payload, fewer than the graded axons need */
	a.noc.flit_bits = 24;
	assert_int_equal(spk_image_check_mc_payload(img, &a, &mc, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "[noc] multicast = tree"));
	assert_non_null(strstr(err, "holds 12 payload bits"));
	assert_non_null(strstr(err, "it would fit with [noc] flit_bits >= "));
	/* more groups than 16-bit ids */
	mc.n_groups = 65536;
	assert_int_equal(spk_image_check_mc_payload(img, &a, &mc, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "65536 multicast groups"));
	mc.n_groups = 0;
	spk_image_mc_fini(&mc);
	spk_image_destroy(img);
}

static void test_header_damage(void **state)
{
	struct spk_arch a;
	struct spk_image *img;
	uint8_t *f, *g;
	size_t n;

	(void)state;
	spk_arch_init_defaults(&a);
	img = build(&a);
	f = serialize(img, &n);
	g = malloc(n + 8);
	assert_non_null(g);

	expect_reject(f, 20, "truncated: 20 bytes, shorter than the 32-byte header");
	memcpy(g, f, n);
	g[0] = 'X';
	expect_reject(g, n, "not a chip image (magic is not 'SPKIMAGE')");
	memcpy(g, f, n);
	g[17] ^= 1;
	expect_reject(g, n, "header CRC mismatch at byte 28");
	memcpy(g, f, n);
	spk_le32_put(g + 8, 2);
	fix_header_crc(g);
	expect_reject(g, n, "version 2 at byte 8 is not supported (this spikechip reads version 1; "
		      "a newer file)");
	memcpy(g, f, n);
	spk_le32_put(g + 12, 1);
	fix_header_crc(g);
	expect_reject(g, n, "flags 0x00000001 at byte 12");
	expect_reject(f, n - 1, "truncated: the header announces");
	expect_reject(f, 40, "truncated: the header announces");
	memcpy(g, f, n);
	memset(g + n, 0, 8);
	expect_reject(g, n + 8, "8 trailing bytes after the payload");
	memcpy(g, f, n);
	g[n / 2] ^= 0x5a;
	expect_reject(g, n, "payload at byte 32 does not decompress");
	memcpy(g, f, n);
	spk_le32_put(g + 20, (1u << 30) + 1);
	fix_header_crc(g);
	expect_reject(g, n, "at byte 20 is above the 1 GiB limit");
	free(g);
	free(f);
	spk_image_destroy(img);
}

static void test_truncated_payload(void **state)
{
	struct spk_arch a;
	struct spk_image *img;
	uint8_t *f, *p, *g;
	size_t n, pn, gn;

	(void)state;
	spk_arch_init_defaults(&a);
	img = build(&a);
	f = serialize(img, &n);
	p = payload(f, &pn);
	/* cut anywhere: "payload truncated at byte ..." naming what was being read, or a count
	 * that the bytes left cannot hold */
	for (size_t cut = 0; cut < pn; cut += pn / 97 + 1) {
		g = wrap(p, cut, &gn);
		expect_reject(g, gn, "payload truncated at byte |needs at least ");
		free(g);
	}
	/* one byte too many */
	p = realloc(p, pn + 1);
	p[pn] = 0;
	g = wrap(p, pn + 1, &gn);
	expect_reject(g, gn, "1 bytes left over after the last tile");
	free(g);
	free(p);
	free(f);
	spk_image_destroy(img);
}

/* Serialises img after `mutate`, expects the reader to refuse it with `want`. */
static void reject_mutated(struct spk_image *img, const char *want)
{
	char err[256];
	size_t n;
	void *f = spk_image_serialize(img, &n, err, sizeof(err));

	assert_non_null(f);
	expect_reject(f, n, want);
	free(f);
}

static struct spk_image_tile *first_tile(struct spk_image *img, enum spk_tile_kind kind,
					 bool with_routes)
{
	for (uint32_t t = 0; t < img->n_tiles; t++)
		if (img->tiles[t].kind == kind && (!with_routes || img->tiles[t].n_routes > 0) &&
		    (kind != SPK_TILE_CORE || img->tiles[t].n_projs > 0))
			return &img->tiles[t];
	fail_msg("no tile of kind %d", kind);
	return NULL;
}

static void test_content_damage(void **state)
{
	struct spk_arch a;
	struct spk_image *img;
	struct spk_image_tile *t;
	uint32_t keep;
	int16_t w;

	(void)state;
	spk_arch_init_defaults(&a);
	img = build(&a);
	t = first_tile(img, SPK_TILE_CORE, true);

	/* the block shifted past the site's channels (same size: the arrays stay valid) */
	{
		struct spk_image_piece p0 = t->pieces[0];
		uint32_t C = img->sites[p0.site].channels;

		t->pieces[0].c0 = C;
		t->pieces[0].c1 = C + (p0.c1 - p0.c0);
		reject_mutated(img, "piece 0: block channels");
		t->pieces[0] = p0;
	}

	keep = t->pieces[0].slots;
	t->pieces[0].slots++;
	reject_mutated(img, "neuron slots recorded, the block needs");
	t->pieces[0].slots = keep;

	keep = t->routes[0].dst_tile;
	t->routes[0].dst_tile = 144;
	reject_mutated(img, "route 0: destination tile 144 out of range (144 tiles)");
	t->routes[0].dst_tile = keep;

	keep = t->routes[0].kind;
	t->routes[0].kind = 9;
	reject_mutated(img, "route 0: kind 9 is not 1..4");
	t->routes[0].kind = keep;

	if (t->n_routes >= 2) {
		struct spk_image_route r1 = t->routes[1];

		t->routes[1] = t->routes[0];
		reject_mutated(img, "two routing entries send pop");
		t->routes[1] = r1;
	}

	w = t->projs[0].w[0];
	t->projs[0].w[0] = 127;
	{
		/* the largest 8-bit weight is fine; the serialiser stores 8 bits, so -128 is the
		 * only out-of-range value that survives */
		char err[256];
		size_t n;
		void *f = spk_image_serialize(img, &n, err, sizeof(err));
		struct spk_image *ok = spk_image_parse(f, n, "x.spki", err, sizeof(err));

		assert_non_null(ok);
		spk_image_destroy(ok);
		free(f);
	}
	t->projs[0].w[0] = -128;
	reject_mutated(img, "weights [0] = -128 is outside ±127 (8-bit weights)");
	t->projs[0].w[0] = w;

	/* a FIRE step (no kernel: the serialiser writes no weights for it) */
	keep = t->projs[0].step;
	t->projs[0].step = 1;
	reject_mutated(img, "projection 0: step 1 is not a CONV step");
	t->projs[0].step = keep;

	keep = img->steps[5].type;
	img->steps[5].type = 7;
	reject_mutated(img, "type 7 is not 1..5");
	img->steps[5].type = keep;

	keep = img->pops[2].site;
	img->pops[2].site = 9999;
	reject_mutated(img, "pop 2 ('ConvBlock1_1.0.lif1'): site 9999 out of range");
	img->pops[2].site = keep;

	free(img->arch[0].name);
	img->arch[0].name = strdup("chip.mesh_z");
	reject_mutated(img, "arch: arch parameter chip.mesh_x is not recorded");
	free(img->arch[0].name);
	img->arch[0].name = strdup("chip.mesh_x");

	t = first_tile(img, SPK_TILE_ATTENTION, true);
	t->attn[0].kv_bytes++;
	reject_mutated(img, "attention op 0: kv_bytes");
	t->attn[0].kv_bytes--;

	t = first_tile(img, SPK_TILE_READOUT, false);
	t->head->scale = -1;
	reject_mutated(img, "head 0: scale -1 is not finite and positive");
	t->head->scale = 1;

	/* everything restored: it reads again */
	{
		char err[256];
		size_t n;
		void *f = spk_image_serialize(img, &n, err, sizeof(err));
		struct spk_image *ok = spk_image_parse(f, n, "x.spki", err, sizeof(err));

		if (ok == NULL)
			fail_msg("%s", err);
		spk_image_destroy(ok);
		free(f);
	}
	spk_image_destroy(img);
}

/*
 * Random damage inside a valid payload (CRCs recomputed, so only the content checks stand
 * between it and the executor): the reader either refuses it or returns an image the executor
 * runs without faulting (run this test under the sanitizers).
 */
static void test_random_damage(void **state)
{
	struct spk_arch a;
	struct spk_image *img;
	uint8_t *f, *p, *q, px[28 * 28];
	size_t n, pn, gn;
	uint64_t rng = 12345;
	uint32_t accepted = 0;

	(void)state;
	spk_arch_init_defaults(&a);
	img = build(&a);
	f = serialize(img, &n);
	p = payload(f, &pn);
	q = malloc(pn);
	assert_non_null(q);
	for (size_t i = 0; i < sizeof(px); i++)
		px[i] = (uint8_t)(i * 37 % 251);
	for (int it = 0; it < 120; it++) {
		char err[512];
		struct spk_image *back;
		uint8_t *g;
		int flips = 1 + it % 4;

		memcpy(q, p, pn);
		for (int k = 0; k < flips; k++) {
			rng = rng * 6364136223846793005u + 1442695040888963407u;
			/* half of the damage in the first 4 KiB: the network and first tiles */
			size_t at = (size_t)(rng >> 33) % (it % 2 ? pn : (pn < 4096 ? pn : 4096));

			q[at] ^= (uint8_t)(1u << ((rng >> 20) & 7));
		}
		g = wrap(q, pn, &gn);
		back = spk_image_parse(g, gn, "x.spki", err, sizeof(err));
		if (back != NULL) {
			struct spk_exec *x = spk_exec_create(back, err, sizeof(err));

			accepted++;
			if (x != NULL && back->in_channels * back->in_height * back->in_width ==
					 sizeof(px))
				spk_exec_run(x, px, NULL);
			spk_exec_destroy(x);
			spk_image_destroy(back);
		} else {
			assert_int_equal(strncmp(err, "x.spki: ", 8), 0);
		}
		free(g);
	}
	assert_true(accepted < 120);
	free(q);
	free(p);
	free(f);
	spk_image_destroy(img);
}

static void test_files(void **state)
{
	struct spk_arch a;
	struct spk_image *img, *back;
	char dir[] = "/tmp/spkimgXXXXXX", path[64], err[512];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.spki", dir);
	back = spk_image_load(path, err, sizeof(err));
	assert_null(back);
	assert_non_null(strstr(err, "a.spki: cannot open: No such file"));
	spk_arch_init_defaults(&a);
	img = build(&a);
	assert_int_equal(spk_image_write(img, path, err, sizeof(err)), 0);
	back = spk_image_load(path, err, sizeof(err));
	if (back == NULL)
		fail_msg("%s", err);
	spk_image_destroy(back);
	snprintf(path, sizeof(path), "%s/no/dir.spki", dir);
	assert_int_not_equal(spk_image_write(img, path, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/a.spki", dir);
	unlink(path);
	rmdir(dir);
	spk_image_destroy(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_check_arch),
		cmocka_unit_test(test_mc_groups_rule),
		cmocka_unit_test(test_mc_groups_fixture),
		cmocka_unit_test(test_mc_payload),
		cmocka_unit_test(test_header_damage),
		cmocka_unit_test(test_truncated_payload),
		cmocka_unit_test(test_content_damage),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
