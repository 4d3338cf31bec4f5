/*
 * test_segfile.c — unit tests of segment result files (sim/segfile.c, doc/formats.md "Segment
 * result"): every field of the statistics (named one by one here, not through the writer's
 * table), every image's result and every per-link and per-unit count come back bit for bit,
 * doubles included (-0.0, a subnormal, the largest finite), and the per-tile counts (link flits,
 * busy cycles, NI refusals) each where struct spk_segfile says; the key comparison accepts what a
 * run may take (a checked file for an unchecked run) and names each difference; a truncated,
 * corrupt, foreign or newer file is refused with the file named and no result.
 */
#include "config.h"

#include "sim/segfile.h"
#include "util/le.h"

#include <float.h>
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

#define N_IMAGES 3u
#define N_TILES 2u

struct fixture {
	char dir[64], path[128];
	struct spk_segfile_key key;
	struct spk_chip_stats st;
	struct spk_chip_result res[N_IMAGES];
	uint64_t tiles[N_TILES * SPK_SEGFILE_TILE_WORDS];	/* links, busy, refused */
};

/* Every statistics field by name, each a different value (doubles: awkward ones). */
static void fill_stats(struct spk_chip_stats *s)
{
	uint64_t v = UINT64_C(0x0102030405060708);

	memset(s, 0, sizeof(*s));
	s->images = 0xfffffff1u;
	s->cycles = v++;
	s->ev.sops = v++;
	s->ev.graded_adds = v++;
	s->ev.neuron_updates = v++;
	s->ev.packets_out = v++;
	s->ev.attention_ops = v++;
	s->ev.encoder_macs = v++;
	s->graded_clamped = v++;
	s->counter_overflows = v++;
	s->unit_evals = v++;
	s->spikes = v++;
	s->busiest_tile = 0xfffffff2u;
	s->busiest_cycles = v++;
	s->noc.cycles = v++;
	s->noc.cycles_evaluated = v++;
	s->noc.router_evals = v++;
	s->noc.packets_injected = v++;
	s->noc.packets_delivered = v++;
	s->noc.flits_injected = v++;
	s->noc.flits_delivered = v++;
	s->noc.inject_refused = v++;
	s->noc.hops = v++;
	s->noc.router_flits = v++;
	s->noc.link_flits = v++;
	s->noc.latency_sum = v++;
	s->noc.latency_max = v++;
	s->noc.stall_cycles = v++;
	s->noc.buffer_peak = 0xfffffff3u;
	s->noc.busiest_link = 0xfffffff4u;
	s->noc.busiest_link_flits = UINT64_MAX;
	s->energy.syn_add = -0.0;
	s->energy.weight_read = DBL_MIN / 4;	/* subnormal */
	s->energy.neuron = DBL_MAX;
	s->energy.spike_out = 1.0 / 3;
	s->energy.router = -2.5e-300;
	s->energy.link = 12345.678;
	s->energy.attention = 1e300;
	s->energy.encoder = 0.1;
	s->energy.static_ = 7.0;
	s->energy.dynamic = 8.5;
	s->energy.total = 15.5;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/test_segfile.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/seg-00007.spkr", f->dir);
	f->key = (struct spk_segfile_key){ .segment = 7, .first = 700, .n = N_IMAGES,
					   .segment_images = 100, .n_tiles = N_TILES,
					   .image_crc32 = 0xdeadbeef, .arch_crc32 = 0x12345678,
					   .pixels_crc32 = 0x9abcdef0,
					   .flags = SPK_SEGFILE_CHECKED | SPK_SEGFILE_TRACED };
	fill_stats(&f->st);
	for (uint32_t i = 0; i < N_IMAGES; i++)
		f->res[i] = (struct spk_chip_result){ .cls = 9 - i, .in_cycle = 1000 * i,
						      .out_cycle = UINT64_C(1) << (40 + i) };
	for (uint32_t i = 0; i < N_TILES * SPK_SEGFILE_TILE_WORDS; i++)
		f->tiles[i] = UINT64_C(0xa5a5a5a5a5a5a5a5) + ((uint64_t)i << 56) + i;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void write_fixture(struct fixture *f)
{
	char err[512];

	assert_int_equal(spk_segfile_write(f->path, &f->key, &f->st, f->res, f->tiles, err,
					   sizeof(err)), 0);
}

static void test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct spk_segfile *s;
	char err[512] = "";

	write_fixture(f);
	s = spk_segfile_read(f->path, err, sizeof(err));
	assert_non_null(s);
	assert_memory_equal(&s->key, &f->key, sizeof(f->key));
	/* padding of both is zero (fill_stats and the reader clear it): the whole struct compares */
	assert_memory_equal(&s->st, &f->st, sizeof(f->st));
	assert_true(signbit(s->st.energy.syn_add));
	for (uint32_t i = 0; i < N_IMAGES; i++) {
		assert_int_equal(s->res[i].cls, f->res[i].cls);
		assert_int_equal(s->res[i].in_cycle, f->res[i].in_cycle);
		assert_int_equal(s->res[i].out_cycle, f->res[i].out_cycle);
	}
	assert_memory_equal(s->links, f->tiles, N_TILES * 5 * sizeof(uint64_t));
	assert_memory_equal(s->busy, f->tiles + N_TILES * 5, N_TILES * sizeof(uint64_t));
	assert_memory_equal(s->refused, f->tiles + N_TILES * 6, N_TILES * sizeof(uint64_t));
	free(s);
}

/* Reads the file into memory (len bytes). */
static uint8_t *load(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *b = malloc(1 << 16);

	assert_non_null(fp);
	assert_non_null(b);
	*len = fread(b, 1, 1 << 16, fp);
	fclose(fp);
	return b;
}

static void store(const char *path, const uint8_t *b, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(b, 1, len, fp), len);
	fclose(fp);
}

/* The file as given must be refused with `want` in the message (which names the file). */
static void expect_refused(struct fixture *f, const uint8_t *b, size_t len, const char *want)
{
	char err[512] = "";

	store(f->path, b, len);
	assert_null(spk_segfile_read(f->path, err, sizeof(err)));
	if (strstr(err, want) == NULL || strstr(err, f->path) != err)
		fail_msg("message '%s' lacks the file name or '%s'", err, want);
}

static void test_bad_files(void **state)
{
	struct fixture *f = *state;
	size_t len;
	uint8_t *b, *c;
	char err[512] = "";

	write_fixture(f);
	b = load(f->path, &len);
	c = malloc(len + 1);
	assert_non_null(c);

	expect_refused(f, b, 10, "truncated: 10 bytes, shorter than the 32-byte header");
	expect_refused(f, b, len - 1, "truncated: the header announces");
	memcpy(c, b, len);
	c[len] = 0;
	expect_refused(f, c, len + 1, "trailing bytes");
	memcpy(c, b, len);
	memcpy(c, "SPKMODEL", 8);
	expect_refused(f, c, len, "not a segment result file");
	memcpy(c, b, len);
	c[20] ^= 1;				/* payload_raw_bytes, header CRC now wrong */
	expect_refused(f, c, len, "header CRC mismatch");
	memcpy(c, b, len);
	spk_le32_put(c + 8, SPK_SEGFILE_VERSION + 1);	/* a newer version, valid header CRC */
	spk_le32_put(c + 28, (uint32_t)crc32(0L, c, 28));
	expect_refused(f, c, len, "version 3 at byte 8 is not supported");
	memcpy(c, b, len);
	spk_le32_put(c + 12, 1);
	spk_le32_put(c + 28, (uint32_t)crc32(0L, c, 28));
	expect_refused(f, c, len, "flags 0x00000001");
	memcpy(c, b, len);
	c[len - 3] ^= 0x40;			/* inside the compressed payload */
	expect_refused(f, c, len, "corrupt data");

	/* a payload whose size does not match its image and tile counts */
	{
		uint8_t raw[4096];
		uLongf raw_n = sizeof(raw), z_n = compressBound(sizeof(raw));
		uint8_t *z = malloc(32 + z_n);

		assert_non_null(z);
		assert_int_equal(uncompress(raw, &raw_n, b + 32, len - 32), Z_OK);
		spk_le32_put(raw + 8, N_IMAGES + 1);	/* n */
		assert_int_equal(compress2(z + 32, &z_n, raw, raw_n, 6), Z_OK);
		memcpy(z, b, 32);
		spk_le32_put(z + 16, (uint32_t)z_n);
		spk_le32_put(z + 24, (uint32_t)crc32(0L, raw, (uInt)raw_n));
		spk_le32_put(z + 28, (uint32_t)crc32(0L, z, 28));
		expect_refused(f, z, 32 + z_n, "do not hold 4 images on 2 tiles");
		free(z);
	}

	unlink(f->path);
	assert_null(spk_segfile_read(f->path, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open"));
	free(c);
	free(b);
}

static void expect_mismatch(const struct spk_segfile_key *have, const struct spk_segfile_key *want,
			    const char *phrase)
{
	char err[512] = "";

	assert_int_equal(spk_segfile_match(have, want, err, sizeof(err)), -1);
	if (strstr(err, phrase) == NULL)
		fail_msg("'%s' lacks '%s'", err, phrase);
}

static void test_match(void **state)
{
	struct fixture *f = *state;
	struct spk_segfile_key have = f->key, want;
	char err[512] = "";

	want = have;
	assert_int_equal(spk_segfile_match(&have, &want, err, sizeof(err)), 0);
	want.flags = 0;				/* a checked, traced file serves a plain run */
	assert_int_equal(spk_segfile_match(&have, &want, err, sizeof(err)), 0);

	want = have;
	want.segment_images = 50;
	expect_mismatch(&have, &want, "segment 7 of a run in segments of 100 images");
	want = have;
	want.n = 2;
	expect_mismatch(&have, &want, "it holds images 700 to 702, this run's segment 7 is images "
			"700 to 701");
	want = have;
	want.image_crc32 ^= 1;
	expect_mismatch(&have, &want, "another chip image");
	want = have;
	want.n_tiles = 3;
	expect_mismatch(&have, &want, "another chip image");
	want = have;
	want.arch_crc32 ^= 1;
	expect_mismatch(&have, &want, "another arch file");
	want = have;
	want.pixels_crc32 ^= 1;
	expect_mismatch(&have, &want, "other images");
	want = have;
	want.flags |= SPK_SEGFILE_SYSTEMC;
	expect_mismatch(&have, &want, "run by the native engine, this run uses the systemc engine");
	have.flags = 0;
	want = f->key;
	expect_mismatch(&have, &want, "without --check");
	have.flags = SPK_SEGFILE_CHECKED;
	expect_mismatch(&have, &want, "without --trace");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
