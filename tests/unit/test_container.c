/*
 * test_container.c — unit tests of the binary files' envelope (util/container.c, doc/formats.md
 * "Common header"): a payload wrapped and unwrapped comes back byte for byte with its CRC, the
 * header is the documented layout, the writer's file on disk is what wrap returns; and every
 * kind of damage (short file, foreign magic, header CRC, newer version, flags, a raw size above
 * the format's limit, truncated or trailing payload, a corrupt stream, a wrong payload CRC) is
 * refused with the file named and the field and byte offset said, no payload returned. The
 * little-endian helpers (util/le.h) round-trip and lay bytes out least significant first.
 */
#include "config.h"

#include "util/container.h"
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

#include <cmocka.h>

static const struct spk_container fmt = {
	.magic = "SPKTESTF",
	.version = 3,
	.what = "a test file",
	.max_raw = 1u << 20,
	.max_file = 1u << 21,
	.level = 6,
};

#define N 5000

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + i / 13);
}

static void test_le(void **state)
{
	uint8_t b[8];

	(void)state;
	spk_le32_put(b, 0x04030201u);
	assert_memory_equal(b, "\x01\x02\x03\x04", 4);
	assert_int_equal(spk_le32_get(b), 0x04030201u);
	spk_le64_put(b, UINT64_C(0x0807060504030201));
	assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_true(spk_le64_get(b) == UINT64_C(0x0807060504030201));
	spk_le64_put_f64(b, -0.1);
	assert_true(spk_le64_get_f64(b) == -0.1);
}

static void test_roundtrip(void **state)
{
	uint8_t payload[N], *raw = NULL;
	size_t len, raw_len;
	uint32_t crc;
	char err[256];
	uint8_t *f;

	(void)state;
	fill(payload, N);
	f = spk_container_wrap(&fmt, payload, N, &len, err, sizeof(err));
	assert_non_null(f);
	assert_memory_equal(f, "SPKTESTF", 8);
	assert_int_equal(spk_le32_get(f + 8), 3);
	assert_int_equal(spk_le32_get(f + 12), 0);
	assert_int_equal(spk_le32_get(f + 16), len - SPK_CONTAINER_HEADER_BYTES);
	assert_int_equal(spk_le32_get(f + 20), N);
	assert_int_equal(spk_le32_get(f + 24), spk_crc32(payload, N));
	assert_int_equal(spk_le32_get(f + 28), spk_crc32(f, 28));
	assert_int_equal(spk_container_unwrap(&fmt, f, len, "x.tf", &raw, &raw_len, &crc, err,
					      sizeof(err)), 0);
	assert_int_equal(raw_len, N);
	assert_memory_equal(raw, payload, N);
	assert_int_equal(crc, spk_crc32(payload, N));
	free(raw);
	free(f);

	/* an empty payload is a valid file too */
	f = spk_container_wrap(&fmt, payload, 0, &len, err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(spk_container_unwrap(&fmt, f, len, NULL, &raw, &raw_len, NULL, err,
					      sizeof(err)), 0);
	assert_int_equal(raw_len, 0);
	free(raw);
	free(f);

	/* beyond the format's limit: refused by the writer */
	assert_null(spk_container_wrap(&fmt, payload, (size_t)fmt.max_raw + 1, &len, err,
				       sizeof(err)));
	assert_non_null(strstr(err, "beyond the format's limit"));
}

static void test_file(void **state)
{
	char dir[] = "/tmp/test_container.XXXXXX", path[64], err[256];
	uint8_t payload[N], *raw, *f, *disk;
	size_t len, raw_len, disk_len;
	FILE *fp;

	(void)state;
	fill(payload, N);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.tf", dir);
	assert_int_equal(spk_container_write(&fmt, payload, N, path, err, sizeof(err)), 0);
	f = spk_container_wrap(&fmt, payload, N, &len, err, sizeof(err));
	assert_non_null(f);
	disk = malloc(len + 1);
	assert_non_null(disk);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	disk_len = fread(disk, 1, len + 1, fp);
	fclose(fp);
	assert_int_equal(disk_len, len);
	assert_memory_equal(disk, f, len);
	assert_int_equal(spk_container_read(&fmt, path, &raw, &raw_len, NULL, err, sizeof(err)), 0);
	assert_memory_equal(raw, payload, N);
	free(raw);
	free(disk);
	free(f);
	unlink(path);
	assert_true(spk_container_read(&fmt, path, &raw, &raw_len, NULL, err, sizeof(err)) < 0);
	assert_null(raw);
	assert_non_null(strstr(err, "cannot open"));
	rmdir(dir);
}

/* Fixes the header CRC after a header field was changed on purpose. */
static void fix_header_crc(uint8_t *f)
{
	spk_le32_put(f + 28, spk_crc32(f, 28));
}

static void expect_refused(const uint8_t *f, size_t len, const char *want)
{
	uint8_t *raw = (uint8_t *)1;
	size_t raw_len = 0;
	char err[256] = "";
	int rc = spk_container_unwrap(&fmt, f, len, "bad.tf", &raw, &raw_len, NULL, err,
				      sizeof(err));

	if (rc >= 0 || raw != NULL || strncmp(err, "bad.tf: ", 8) != 0 ||
	    strstr(err, want) == NULL)
		fail_msg("rc %d, message '%s', wanted '%s'", rc, err, want);
}

/* A header claiming more than its compressed bytes can hold is refused before allocating it. */
static void test_raw_claim(void **state)
{
	const uint8_t one = 7;
	size_t len;
	char err[256];
	uint8_t *f;

	(void)state;
	f = spk_container_wrap(&fmt, &one, 1, &len, err, sizeof(err));
	assert_non_null(f);
	spk_le32_put(f + 20, fmt.max_raw);	/* within the format's limit */
	fix_header_crc(f);
	expect_refused(f, len, "payload_raw_bytes 1048576 at byte 20 is more than the");
	free(f);
}

static void test_damage(void **state)
{
	uint8_t payload[N];
	size_t len;
	char err[256];
	uint8_t *f, *g;

	(void)state;
	fill(payload, N);
	f = spk_container_wrap(&fmt, payload, N, &len, err, sizeof(err));
	assert_non_null(f);
	g = malloc(len + 8);
	assert_non_null(g);

	expect_refused(f, 31, "truncated: 31 bytes, shorter than the 32-byte header");
	memcpy(g, f, len);
	g[0] = 'X';
	expect_refused(g, len, "not a test file (magic is not 'SPKTESTF')");
	memcpy(g, f, len);
	g[17] ^= 1;
	expect_refused(g, len, "header CRC mismatch at byte 28");
	memcpy(g, f, len);
	spk_le32_put(g + 8, 4);
	fix_header_crc(g);
	expect_refused(g, len, "version 4 at byte 8 is not supported (this spikechip reads "
		       "version 3; a newer file)");
	memcpy(g, f, len);
	spk_le32_put(g + 12, 2);
	fix_header_crc(g);
	expect_refused(g, len, "flags 0x00000002 at byte 12 (must be 0)");
	memcpy(g, f, len);
	spk_le32_put(g + 20, fmt.max_raw + 1);
	fix_header_crc(g);
	expect_refused(g, len, "payload_raw_bytes 1048577 at byte 20 is above the 1048576-byte "
		       "limit");
	expect_refused(f, len - 1, "truncated: the header announces");
	memcpy(g, f, len);
	memset(g + len, 0, 8);
	expect_refused(g, len + 8, "8 trailing bytes after the payload");
	memcpy(g, f, len);
	spk_le32_put(g + 20, N - 1);		/* the stream holds more than the header says */
	fix_header_crc(g);
	expect_refused(g, len, "does not decompress to the 4999 bytes");
	memcpy(g, f, len);
	spk_le32_put(g + 20, N + 1);		/* less */
	fix_header_crc(g);
	expect_refused(g, len, "payload decompresses to 5000 bytes, the header says 5001");
	memcpy(g, f, len);
	g[34] ^= 0x55;				/* inside the compressed stream */
	expect_refused(g, len, "payload at byte 32 does not decompress");
	memcpy(g, f, len);
	spk_le32_put(g + 24, spk_le32_get(g + 24) ^ 1);
	fix_header_crc(g);
	expect_refused(g, len, "payload CRC mismatch");
	free(g);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_le),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_raw_claim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
