/*
 * test_model.c — the model-file reader (models/model.h) and writer (models/model_build.h).
 *
 * A small valid model using every operation type is built in C; it must load with the right
 * shapes and with weights transposed to [c_in][ky][kx][c_out]. Then every kind of damage the
 * reader must report is made, either by building the model with one defect (an index out of
 * range, a shape that does not chain, a population never fired, ...) or by damaging the bytes
 * of the valid file (magic, version, flags, CRCs, truncation, trailing bytes). Each case checks
 * that the message names the file and the record. A last test flips random bytes of the
 * payload and requires the reader to either load or fail cleanly, never crash.
 */
#include "config.h"

#include "models/model.h"
#include "models/model_build.h"
#include "util/le.h"

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

static char err[1024];

enum defect {
	OK,
	SRC_RANGE,		/* CONV src_pop 99 */
	DST_RANGE,		/* CONV dst_site 42 */
	POP_SITE_RANGE,		/* pop site 7 */
	POP_KIND,		/* kind 5 */
	POP_THRESHOLD,		/* threshold 0 */
	CONV_SHAPE,		/* kernel 2 with pad 1: output 3x3 for a 2x2 site */
	ENC_SHAPE,		/* encoder stride 1: output 4x4 for a 2x2 site */
	SITE_NOT_WRITTEN,	/* FIRE of a population whose site nobody wrote yet */
	NO_ENCODER,		/* first op is a FIRE */
	TWO_ENCODERS,
	NO_LINEAR,
	OP_AFTER_LINEAR,
	FIRED_TWICE,
	NEVER_FIRED,
	READ_BEFORE_FIRE,	/* CONV reads p1 before its FIRE */
	ATTN_HEADS,		/* 3 heads for 2 channels */
	ATTN_SHAPE,		/* destination of another shape */
	ATTN_EARLY,		/* v_pop is read before its FIRE */
	LINEAR_FROM_NEURONS,	/* LINEAR reading a kind-0 population */
	CONV_FROM_MEAN,		/* CONV reading a kind-1 population */
	NAN_WEIGHT,
	BAD_TYPE,		/* op type 9 */
	UNREAD_BYTES,		/* 3 bytes after the last op */
	ZERO_T,
	BAD_STD,
	EMPTY_SITE,
	LONG_NAME,
	BAD_ACCURACY,
};

static const double mean1[1] = { 0.5 }, std1[1] = { 0.25 };

/*
 * in 1x4x4, 3 classes, T 2. Sites: s0 "enc" 2x2x2, s1 "res" 2x2x2, s2 "att" 2x2x2, s3 "odd"
 * 2x1x1. Pops: p0 on s0, p1 on s1, p2 on s2 (θ 0.5), p3 spatial mean of s1.
 * Ops: 0 ENCODER(k3 s2 p1) -> s0; 1 FIRE p0; 2 CONV p0 -> s1 (k3 s1 p1); 3 FIRE p1;
 * 4 ATTN q p0, k p1, v p1 -> s2; 5 FIRE p2; 6 CONV p2 -> s1 (k1); 7 FIRE p3; 8 LINEAR p3.
 */
static struct spk_model_build *build(enum defect d)
{
	static float w_enc[2 * 1 * 3 * 3], w_conv[2 * 2 * 3 * 3], w_1x1[2 * 2], w_lin[3 * 2];
	static const float b2[2] = { 0.5f, -0.25f }, b3[3] = { 0.1f, 0.2f, 0.3f };
	struct spk_model_build *b;
	char longname[5000];
	uint32_t s0, s1, s2, p0, p1, p2, p3;

	for (size_t i = 0; i < sizeof(w_enc) / sizeof(w_enc[0]); i++)
		w_enc[i] = (float)i / 8.0f - 1.0f;
	for (size_t i = 0; i < sizeof(w_conv) / sizeof(w_conv[0]); i++)
		w_conv[i] = (float)(i % 7) / 4.0f - 0.75f;
	for (size_t i = 0; i < 4; i++)
		w_1x1[i] = (float)i - 1.5f;
	for (size_t i = 0; i < 6; i++)
		w_lin[i] = (float)i / 2.0f - 1.0f;
	if (d == NAN_WEIGHT)
		w_conv[5] = NAN;

	b = spk_model_build_create("tiny", "fashion-mnist", d == ZERO_T ? 0 : 2, 1, 4, 4, 3,
				   mean1, d == BAD_STD ? (const double[]){ -1.0 } : std1,
				   d == BAD_ACCURACY ? 1.5 : 0.75);
	assert_non_null(b);
	s0 = spk_model_build_site(b, "enc", 2, 2, 2);
	s1 = spk_model_build_site(b, "res", 2, 2, d == EMPTY_SITE ? 0 : 2);
	s2 = spk_model_build_site(b, "att", 2, 2, 2);
	spk_model_build_site(b, "odd", 2, 1, 1);
	p0 = spk_model_build_pop(b, "p0", s0, d == POP_KIND ? 5 : 0, 1.0);
	p1 = spk_model_build_pop(b, "p1", d == POP_SITE_RANGE ? 7 : s1, 0,
				 d == POP_THRESHOLD ? 0.0 : 1.0);
	p2 = spk_model_build_pop(b, "p2", s2, 0, 0.5);
	p3 = spk_model_build_pop(b, "p3", s1, 1, 1.0);
	if (d == NEVER_FIRED)
		spk_model_build_pop(b, "lonely", s1, 0, 1.0);

	if (d == NO_ENCODER)
		spk_model_build_fire(b, "early", p0);
	spk_model_build_encoder(b, "enc", s0, 3, d == ENC_SHAPE ? 1 : 2, 1, 2, w_enc, b2);
	if (d == TWO_ENCODERS)
		spk_model_build_encoder(b, "enc2", s0, 3, 2, 1, 2, w_enc, b2);
	if (d == SITE_NOT_WRITTEN)
		spk_model_build_fire(b, "fire_p1_early", p1);
	if (d != NO_ENCODER)
		spk_model_build_fire(b, "fire_p0", p0);
	if (d == READ_BEFORE_FIRE)
		spk_model_build_conv(b, "early_conv", p1, s1, 1, 1, 0, 2, 2, w_1x1, b2);
	if (d == CONV_SHAPE)
		spk_model_build_conv(b, "conv", p0, s1, 2, 1, 1, 2, 2, w_conv, b2);
	else
		spk_model_build_conv(b, "conv", d == SRC_RANGE ? 99 : p0, d == DST_RANGE ? 42 : s1,
				     3, 1, 1, 2, 2, w_conv, b2);
	if (d != SITE_NOT_WRITTEN)
		spk_model_build_fire(b, "fire_p1", p1);
	if (d == FIRED_TWICE)
		spk_model_build_fire(b, "fire_p1_again", p1);
	spk_model_build_attn(b, "attn", p0, p1, d == ATTN_EARLY ? p3 : p1, d == ATTN_SHAPE ? 3 : s2,
			     d == ATTN_HEADS ? 3 : 2, 0.125);
	spk_model_build_fire(b, "fire_p2", p2);
	if (d == LONG_NAME) {
		memset(longname, 'x', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		spk_model_build_conv(b, longname, p2, s1, 1, 1, 0, 2, 2, w_1x1, b2);
	} else {
		spk_model_build_conv(b, "proj", p2, s1, 1, 1, 0, 2, 2, w_1x1, b2);
	}
	if (d == BAD_TYPE) {
		const uint8_t op9[] = { 9, 0, 0, 0, 0, 0, 0, 0 };

		spk_model_build_raw(b, op9, sizeof(op9));
	}
	spk_model_build_fire(b, "fire_p3", p3);
	if (d == CONV_FROM_MEAN)
		spk_model_build_conv(b, "from_mean", p3, s1, 1, 1, 0, 2, 2, w_1x1, b2);
	if (d != NO_LINEAR)
		spk_model_build_linear(b, "head", d == LINEAR_FROM_NEURONS ? p1 : p3, 2, w_lin, b3);
	if (d == OP_AFTER_LINEAR)
		spk_model_build_fire(b, "late", p0);
	if (d == UNREAD_BYTES)
		spk_model_build_raw(b, "abc", 3);
	return b;
}

static void *build_file(enum defect d, size_t *len)
{
	struct spk_model_build *b = build(d);
	void *f = spk_model_build_file(b, len);

	assert_non_null(f);
	spk_model_build_destroy(b);
	return f;
}

static void expect_error(const void *file, size_t len, const char *want)
{
	struct spk_model *m = spk_model_parse(file, len, "t.spkm", err, sizeof(err));

	if (m != NULL || strstr(err, want) == NULL || strncmp(err, "t.spkm: ", 8) != 0)
		fail_msg("expected an error containing \"%s\", got %s: \"%s\"", want,
			 m ? "a model" : "", err);
	spk_model_destroy(m);
}

static void expect_defect(enum defect d, const char *want)
{
	size_t len;
	void *f = build_file(d, &len);

	expect_error(f, len, want);
	free(f);
}

static void fix_header_crc(uint8_t *f)
{
	spk_le32_put(f + 28, (uint32_t)crc32(0L, f, 28));
}

static void test_valid_model(void **state)
{
	size_t len;
	void *f = build_file(OK, &len);
	struct spk_model *m;
	const struct spk_op *op;

	(void)state;
	m = spk_model_parse(f, len, "t.spkm", err, sizeof(err));
	if (m == NULL)
		fail_msg("valid model rejected: %s", err);
	assert_string_equal(m->config, "tiny");
	assert_string_equal(m->dataset, "fashion-mnist");
	assert_int_equal(m->time_steps, 2);
	assert_int_equal(m->classes, 3);
	assert_true(m->mean[0] == 0.5 && m->std[0] == 0.25 && m->float_accuracy == 0.75);
	assert_int_equal(m->n_sites, 4);
	assert_int_equal(m->n_pops, 4);
	assert_int_equal(m->n_ops, 9);
	assert_int_equal(m->pops[3].kind, SPK_POP_MEAN);
	assert_int_equal(spk_model_pop_neurons(m, 3), 2);
	assert_int_equal(spk_model_pop_neurons(m, 0), 8);
	assert_int_equal(m->payload_crc32 != 0, 1);

	op = &m->ops[0];
	assert_int_equal(op->type, SPK_OP_ENCODER);
	assert_int_equal(op->c_in, 1);
	assert_int_equal(op->c_out, 2);
	assert_int_equal(op->h_out, 2);
	/* file weight[o][i][ky][kx] = (((o·1 + i)·3 + ky)·3 + kx)/8 − 1, memory [i][ky][kx][o] */
	for (int o = 0; o < 2; o++)
		for (int t = 0; t < 9; t++)
			assert_true(op->weight[t * 2 + o] == (float)(o * 9 + t) / 8.0f - 1.0f);
	op = &m->ops[2];
	assert_int_equal(op->type, SPK_OP_CONV);
	assert_int_equal(op->c_in, 2);
	for (int o = 0; o < 2; o++)
		for (int i = 0; i < 2; i++)
			for (int t = 0; t < 9; t++)
				assert_true(op->weight[(i * 9 + t) * 2 + o] ==
					    (float)(((o * 2 + i) * 9 + t) % 7) / 4.0f - 0.75f);
	assert_true(op->bias[0] == 0.5f && op->bias[1] == -0.25f);
	op = &m->ops[4];
	assert_int_equal(op->type, SPK_OP_ATTN);
	assert_int_equal(op->heads, 2);
	assert_true(op->scale == 0.125);
	op = &m->ops[8];
	assert_int_equal(op->type, SPK_OP_LINEAR);
	assert_int_equal(op->c_in, 2);
	/* file weight[k][c] = (k·2 + c)/2 − 1, memory [c][k] */
	for (int k = 0; k < 3; k++)
		for (int c = 0; c < 2; c++)
			assert_true(op->weight[c * 3 + k] == (float)(k * 2 + c) / 2.0f - 1.0f);
	spk_model_destroy(m);
	free(f);
}

static void test_program_defects(void **state)
{
	(void)state;
	expect_defect(SRC_RANGE, "op 2 (CONV 'conv'): src_pop 99 out of range (4 populations)");
	expect_defect(DST_RANGE, "op 2 (CONV 'conv'): dst_site 42 out of range (4 sites)");
	expect_defect(POP_SITE_RANGE, "pop 1 ('p1'): site 7 out of range");
	expect_defect(POP_KIND, "pop 0 ('p0'): kind 5 unknown");
	expect_defect(POP_THRESHOLD, "pop 1 ('p1'): threshold 0 must be finite and > 0");
	expect_defect(CONV_SHAPE, "op 2 (CONV 'conv'): output height 3");
	expect_defect(ENC_SHAPE, "op 0 (ENCODER 'enc'): output height 4 (input 4, kernel 3, "
		      "stride 1, pad 1) does not match site 'enc' height 2");
	expect_defect(SITE_NOT_WRITTEN, "op 1 (FIRE 'fire_p1_early'): population 1 ('p1') "
		      "reads site 1 ('res'), which no earlier operation writes");
	expect_defect(NO_ENCODER, "op 0 (FIRE 'early'): the first operation must be the "
		      "ENCODER");
	expect_defect(TWO_ENCODERS, "op 1 (ENCODER 'enc2'): a second ENCODER");
	expect_defect(NO_LINEAR, "no LINEAR operation");
	expect_defect(OP_AFTER_LINEAR, "op 9 (FIRE 'late'): operation after the LINEAR head");
	expect_defect(FIRED_TWICE, "op 4 (FIRE 'fire_p1_again'): population 1 ('p1') is fired "
		      "a second time");
	expect_defect(NEVER_FIRED, "pop 4 ('lonely'): never fired");
	expect_defect(READ_BEFORE_FIRE, "op 2 (CONV 'early_conv'): src_pop 1 ('p1') is read "
		      "before its FIRE");
	expect_defect(ATTN_HEADS, "op 4 (ATTN 'attn'): heads 3 does not divide the 2 channels");
	expect_defect(ATTN_EARLY, "op 4 (ATTN 'attn'): v_pop 3 ('p3') is read before its FIRE");
	expect_defect(ATTN_SHAPE, "op 4 (ATTN 'attn'): q_pop 0 ('p0') has shape 2x2x2, dst_site "
		      "'odd' has 2x1x1");
	expect_defect(LINEAR_FROM_NEURONS, "op 8 (LINEAR 'head'): src_pop 1 ('p1') must be a "
		      "spatial-mean");
	expect_defect(CONV_FROM_MEAN, "op 8 (CONV 'from_mean'): src_pop 3 ('p3') is a "
		      "spatial-mean population");
	expect_defect(NAN_WEIGHT, "op 2 (CONV 'conv'): weight has a non-finite value");
	expect_defect(BAD_TYPE, "op 7: type 9 unknown");
	expect_defect(UNREAD_BYTES, "3 unread bytes at the end of the payload");
	expect_defect(ZERO_T, "preamble: time_steps is 0");
	expect_defect(BAD_STD, "preamble: std[0] = -1 (must be finite and > 0)");
	expect_defect(EMPTY_SITE, "site 1 ('res'): empty shape 2x2x0");
	expect_defect(LONG_NAME, "op 6 (CONV): name is 4999 bytes long (at most 4096)");
	expect_defect(BAD_ACCURACY, "float_accuracy 1.5 is outside [0, 1]");
}

static void test_header_damage(void **state)
{
	size_t len;
	uint8_t *f = build_file(OK, &len), *g = malloc(len + 8);

	(void)state;
	assert_non_null(g);

	memcpy(g, f, len);
	g[0] = 'X';
	expect_error(g, len, "not a model file (magic is not 'SPKMODEL')");

	memcpy(g, f, len);
	spk_le32_put(g + 8, 2);
	fix_header_crc(g);
	expect_error(g, len, "version 2 at byte 8 is not supported (this spikechip reads version 1; ");

	memcpy(g, f, len);
	spk_le32_put(g + 12, 1);
	fix_header_crc(g);
	expect_error(g, len, "flags 0x00000001 at byte 12 (must be 0)");

	memcpy(g, f, len);
	g[17] ^= 0x40;		/* payload_bytes, CRC not fixed */
	expect_error(g, len, "header CRC mismatch");

	memcpy(g, f, len);
	g[24] ^= 1;		/* payload_crc32 */
	fix_header_crc(g);
	expect_error(g, len, "payload CRC mismatch");

	memcpy(g, f, len);
	spk_le32_put(g + 20, (1u << 30) + 1);
	fix_header_crc(g);
	expect_error(g, len, "payload_raw_bytes 1073741825 at byte 20 is above the 1 GiB limit");

	memcpy(g, f, len);
	spk_le32_put(g + 20, 500);	/* raw size smaller than the real payload */
	fix_header_crc(g);
	expect_error(g, len, "does not decompress to the 500 bytes");

	memcpy(g, f, len);
	spk_le32_put(g + 20, 100000);	/* larger */
	fix_header_crc(g);
	expect_error(g, len, "payload decompresses to");

	expect_error(f, 31, "truncated: 31 bytes, shorter than the 32-byte header");
	expect_error(f, 0, "truncated: 0 bytes, shorter than the 32-byte header");
	expect_error(f, len - 1, "truncated: the header announces");
	expect_error(f, 40, "truncated: the header announces");

	memcpy(g, f, len);
	memcpy(g + len, "trailing", 8);
	expect_error(g, len + 8, "8 trailing bytes after the payload");

	memcpy(g, f, len);
	g[40] ^= 0xff;		/* inside the compressed stream */
	expect_error(g, len, "t.spkm: ");
	free(g);
	free(f);
}

/* A payload cut anywhere, rewrapped with valid CRCs: the reader names what it was reading. */
static void test_truncated_payload(void **state)
{
	struct spk_model_build *b = build(OK);
	size_t n, flen;
	uint8_t *p = spk_model_build_payload(b, &n);

	(void)state;
	assert_non_null(p);
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *f = spk_model_file_wrap(p, cut, &flen);
		struct spk_model *m;

		assert_non_null(f);
		m = spk_model_parse(f, flen, "t.spkm", err, sizeof(err));
		if (m != NULL)
			fail_msg("payload cut at %zu of %zu bytes was accepted", cut, n);
		if (strstr(err, "payload truncated at byte") == NULL &&
		    strstr(err, "more than the") == NULL)
			fail_msg("cut at %zu: unexpected message \"%s\"", cut, err);
		free(f);
	}
	/* One example spelled out: the cut falls in the first op's weights. */
	{
		size_t full;
		uint8_t *f = spk_model_file_wrap(p, n - 30, &full);

		expect_error(f, full, "payload truncated at byte");
		free(f);
	}
	free(p);
	spk_model_build_destroy(b);
}

/* Counts that would make the reader allocate beyond the payload are refused first. */
static void test_huge_counts(void **state)
{
	struct spk_model_build *b = build(OK);
	size_t n, flen, off;
	uint8_t *p = spk_model_build_payload(b, &n), *f;

	(void)state;
	/* config "tiny" (4+4), dataset (4+13), 5 u32, mean, std, accuracy: n_sites follows. */
	off = 8 + 17 + 20 + 8 + 8 + 8;
	spk_le32_put(p + off + 8, 0xffffffffu);	/* n_ops */
	f = spk_model_file_wrap(p, n, &flen);
	expect_error(f, flen, "n_sites 4, n_pops 4, n_ops 4294967295 need more than");
	free(f);
	free(p);
	spk_model_build_destroy(b);
}

/* Random damage to the payload (CRCs fixed up): load or a clean error, never a crash. */
static void test_never_crashes(void **state)
{
	struct spk_model_build *b = build(OK);
	size_t n, flen;
	uint8_t *p = spk_model_build_payload(b, &n), *q = malloc(n);
	uint32_t seed = 12345;
	int loaded = 0;

	(void)state;
	assert_non_null(q);
	for (int trial = 0; trial < 3000; trial++) {
		uint8_t *f;
		struct spk_model *m;

		memcpy(q, p, n);
		for (int k = 0; k < 1 + trial % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			q[(seed >> 8) % n] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		f = spk_model_file_wrap(q, n, &flen);
		assert_non_null(f);
		m = spk_model_parse(f, flen, "t.spkm", err, sizeof(err));
		if (m != NULL)
			loaded++;
		else
			assert_true(strncmp(err, "t.spkm: ", 8) == 0);
		spk_model_destroy(m);
		free(f);
	}
	assert_true(loaded < 3000);
	free(q);
	free(p);
	spk_model_build_destroy(b);
}

static void test_files(void **state)
{
	char dir[] = "/tmp/spktest-model.XXXXXX", path[256];
	struct spk_model_build *b = build(OK);
	struct spk_model *m;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tiny.spkm", dir);
	assert_int_equal(spk_model_build_write(b, path, err, sizeof(err)), 0);
	m = spk_model_load(path, err, sizeof(err));
	if (m == NULL)
		fail_msg("%s", err);
	assert_int_equal(m->n_ops, 9);
	spk_model_destroy(m);
	remove(path);

	snprintf(path, sizeof(path), "%s/missing.spkm", dir);
	assert_null(spk_model_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, "missing.spkm: cannot open: No such file"));
	rmdir(dir);
	spk_model_build_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_model),
		cmocka_unit_test(test_program_defects),
		cmocka_unit_test(test_header_damage),
		cmocka_unit_test(test_truncated_payload),
		cmocka_unit_test(test_huge_counts),
		cmocka_unit_test(test_never_crashes),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
