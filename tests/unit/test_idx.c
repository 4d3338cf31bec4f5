/*
 * test_idx.c — the IDX dataset reader (data/idx.h).
 *
 * Files are written here, byte by byte from the IDX definition (big-endian sizes and
 * elements), plain and gzip-compressed, into a mkdtemp() directory: uint8 N×H×W and float32
 * N×C×H×W images, labels; then the damage the reader must name: bad magic, unsupported type
 * or rank, truncation (plain and gzip), trailing bytes, fewer labels than images, a corrupt
 * gzip stream. If the Fashion-MNIST test set is installed, its real files are read too.
 */
#include "config.h"

#include "data/idx.h"

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

static char tmpdir[256];
static char err[1024];

static const char *tmp_path(const char *name)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

/* Writes an IDX file: header, then `body` (already big-endian), plain or gzip. */
static const char *write_idx(const char *name, int gz, uint8_t type, uint8_t ndim,
			     const uint32_t *dims, const void *body, size_t n)
{
	const char *path = tmp_path(name);
	uint8_t head[4 + 16] = { 0, 0, type, ndim };
	size_t hn = 4;

	for (int i = 0; i < ndim; i++) {
		head[hn++] = (uint8_t)(dims[i] >> 24);
		head[hn++] = (uint8_t)(dims[i] >> 16);
		head[hn++] = (uint8_t)(dims[i] >> 8);
		head[hn++] = (uint8_t)dims[i];
	}
	if (gz) {
		gzFile f = gzopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(gzwrite(f, head, (unsigned)hn), (int)hn);
		if (n > 0)
			assert_int_equal(gzwrite(f, body, (unsigned)n), (int)n);
		assert_int_equal(gzclose(f), Z_OK);
	} else {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(head, 1, hn, f), hn);
		if (n > 0)
			assert_int_equal(fwrite(body, 1, n, f), n);
		assert_int_equal(fclose(f), 0);
	}
	return path;
}

static uint8_t pixels[5 * 3 * 2];
static uint8_t labels5[5] = { 3, 1, 4, 1, 5 };

static void make_pixels(void)
{
	for (size_t i = 0; i < sizeof(pixels); i++)
		pixels[i] = (uint8_t)(i * 7 + 3);
}

static void expect_fail(const char *images, const char *labels, const char *want)
{
	struct spk_dataset ds;

	if (spk_dataset_load(&ds, images, labels, 0, err, sizeof(err)) == 0) {
		spk_dataset_fini(&ds);
		fail_msg("loaded, expected an error containing \"%s\"", want);
	}
	if (strstr(err, want) == NULL)
		fail_msg("expected \"%s\", got \"%s\"", want, err);
}

static void test_u8_plain_and_gzip(void **state)
{
	const uint32_t dims[3] = { 5, 3, 2 }, ldims[1] = { 5 };

	(void)state;
	make_pixels();
	for (int gz = 0; gz < 2; gz++) {
		const char *img = write_idx(gz ? "i.gz" : "i.idx", gz, 0x08, 3, dims, pixels,
					    sizeof(pixels));
		const char *lab = write_idx(gz ? "l.gz" : "l.idx", gz, 0x08, 1, ldims, labels5, 5);
		struct spk_dataset ds;
		uint8_t out[6];
		double outf[6];

		if (spk_dataset_load(&ds, img, lab, 0, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_int_equal(ds.n, 5);
		assert_int_equal(ds.n_file, 5);
		assert_int_equal(ds.channels, 1);
		assert_int_equal(ds.height, 3);
		assert_int_equal(ds.width, 2);
		assert_int_equal(ds.type, SPK_IDX_U8);
		assert_memory_equal(ds.labels, labels5, 5);
		spk_dataset_image_u8(&ds, 2, out);
		assert_memory_equal(out, pixels + 12, 6);
		spk_dataset_image_f64(&ds, 4, outf);
		for (int k = 0; k < 6; k++)
			assert_true(outf[k] == pixels[24 + k]);
		spk_dataset_fini(&ds);

		/* the first two only */
		if (spk_dataset_load(&ds, img, lab, 2, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_int_equal(ds.n, 2);
		assert_int_equal(ds.n_file, 5);
		assert_memory_equal(ds.labels, labels5, 2);
		spk_dataset_fini(&ds);

		/* no labels */
		if (spk_dataset_load(&ds, img, NULL, 0, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_null(ds.labels);
		spk_dataset_fini(&ds);
	}
}

static void put_be_float(uint8_t *p, float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	p[0] = (uint8_t)(u >> 24);
	p[1] = (uint8_t)(u >> 16);
	p[2] = (uint8_t)(u >> 8);
	p[3] = (uint8_t)u;
}

static void test_f32_4d(void **state)
{
	const uint32_t dims[4] = { 2, 3, 2, 2 };
	const float v[24] = { 0, 1.4f, 1.5f, 2.5f, -3, 254.6f, 300, 7, 8, 9, 10, 11,
			      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 127.5f };
	uint8_t body[24 * 4], out[12];
	double outf[12];
	struct spk_dataset ds;

	(void)state;
	for (int i = 0; i < 24; i++)
		put_be_float(body + 4 * i, v[i]);
	for (int gz = 0; gz < 2; gz++) {
		const char *img = write_idx(gz ? "f.gz" : "f.idx", gz, 0x0D, 4, dims, body,
					    sizeof(body));

		if (spk_dataset_load(&ds, img, NULL, 0, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		assert_int_equal(ds.type, SPK_IDX_F32);
		assert_int_equal(ds.n, 2);
		assert_int_equal(ds.channels, 3);
		assert_int_equal(ds.height, 2);
		assert_int_equal(ds.width, 2);
		spk_dataset_image_f64(&ds, 0, outf);
		for (int k = 0; k < 12; k++)
			assert_true(outf[k] == (double)v[k]);
		/* rounded half away from zero, clamped to 0..255 */
		spk_dataset_image_u8(&ds, 0, out);
		assert_int_equal(out[0], 0);
		assert_int_equal(out[1], 1);
		assert_int_equal(out[2], 2);
		assert_int_equal(out[3], 3);
		assert_int_equal(out[4], 0);
		assert_int_equal(out[5], 255);
		assert_int_equal(out[6], 255);
		spk_dataset_image_u8(&ds, 1, out);
		assert_int_equal(out[11], 128);
		spk_dataset_fini(&ds);
	}
}

static void test_errors(void **state)
{
	const uint32_t dims[3] = { 5, 3, 2 }, ldims[1] = { 5 }, l4[1] = { 4 }, big[3] = { 6, 3, 2 };
	const char *img, *lab;
	uint8_t buf[64];
	FILE *f;

	(void)state;
	make_pixels();
	img = write_idx("ok.idx", 0, 0x08, 3, dims, pixels, sizeof(pixels));

	lab = write_idx("l4.idx", 0, 0x08, 1, l4, labels5, 4);
	expect_fail(img, lab, "l4.idx: 4 labels for 5 images");
	lab = write_idx("l2d.idx", 0, 0x08, 2, (const uint32_t[]){ 5, 1 }, labels5, 5);
	expect_fail(img, lab, "labels must be a 1-dimensional uint8 IDX file");
	lab = write_idx("lshort.gz", 1, 0x08, 1, ldims, labels5, 3);
	expect_fail(img, lab, "lshort.gz: truncated reading the labels: 5 bytes needed");

	expect_fail(write_idx("short.idx", 0, 0x08, 3, big, pixels, sizeof(pixels)), NULL,
		    "short.idx: truncated reading the image data: 36 bytes needed at byte 16, "
		    "the file ends after 30");
	expect_fail(write_idx("short.gz", 1, 0x08, 3, big, pixels, sizeof(pixels)), NULL,
		    "short.gz: truncated reading the image data: 36 bytes needed");
	expect_fail(write_idx("long.idx", 0, 0x08, 3, dims, pixels, sizeof(pixels) - 1), NULL,
		    "truncated");
	expect_fail(write_idx("type.idx", 0, 0x0B, 3, dims, pixels, sizeof(pixels)), NULL,
		    "type.idx: element type 0x0b not supported for images");
	expect_fail(write_idx("rank.idx", 0, 0x08, 2, dims, pixels, 15), NULL,
		    "rank.idx: images must have 3 (N×H×W) or 4 (N×C×H×W) dimensions, not 2");
	expect_fail(write_idx("empty.idx", 0, 0x08, 3, (const uint32_t[]){ 0, 3, 2 }, NULL, 0),
		    NULL, "empty image set");
	expect_fail(write_idx("huge.idx", 0, 0x08, 3, (const uint32_t[]){ 1, 70000, 2 }, NULL, 0),
		    NULL, "too large");
	/* a header claiming 2^32 - 1 images of 4096 x 4096 pixels: refused as truncated, without
	 * allocating what it claims */
	expect_fail(write_idx("claim.gz", 1, 0x08, 3, (const uint32_t[]){ UINT32_MAX, 4096, 4096 },
			      pixels, sizeof(pixels)), NULL,
		    "claim.gz: truncated reading the image data");

	/* bad magic, header cut short, trailing bytes, corrupt gzip */
	f = fopen(tmp_path("magic.idx"), "wb");
	assert_non_null(f);
	fputs("\x1f\x8b\x08\x03 not really gzip", f);
	fclose(f);
	expect_fail(tmp_path("magic.idx"), NULL, "magic.idx: ");

	f = fopen(tmp_path("png.idx"), "wb");
	assert_non_null(f);
	fputs("\x89PNG\r\n", f);
	fclose(f);
	expect_fail(tmp_path("png.idx"), NULL, "png.idx: not an IDX file (bad magic 89 50 4e 47");

	expect_fail(write_idx("hdr.idx", 0, 0x08, 3, dims, NULL, 0), NULL, "truncated");
	f = fopen(tmp_path("hdr2.idx"), "wb");
	assert_non_null(f);
	fwrite("\0\0\x08\x03\0\0", 1, 6, f);
	fclose(f);
	expect_fail(tmp_path("hdr2.idx"), NULL, "hdr2.idx: truncated reading the dimension sizes");

	memcpy(buf, pixels, 30);
	memcpy(buf + 30, "xyz", 3);
	expect_fail(write_idx("trail.idx", 0, 0x08, 3, dims, buf, 33), NULL,
		    "trail.idx: trailing bytes after the data");
	expect_fail(write_idx("trail.gz", 1, 0x08, 3, dims, buf, 33), NULL,
		    "trail.gz: trailing bytes after the data");
	{
		/* a limit reads only what it needs: trailing data is then not looked at */
		struct spk_dataset ds;

		assert_int_equal(spk_dataset_load(&ds, tmp_path("trail.idx"), NULL, 2, err,
						  sizeof(err)), 0);
		spk_dataset_fini(&ds);
	}

	/* damage inside a gzip stream */
	{
		const char *gz = write_idx("bad.gz", 1, 0x08, 3, dims, pixels, sizeof(pixels));
		uint8_t raw[256];
		size_t n;

		f = fopen(gz, "rb");
		n = fread(raw, 1, sizeof(raw), f);
		fclose(f);
		raw[n - 6] ^= 0xff;	/* the CRC-32 of the gzip trailer */
		f = fopen(gz, "wb");
		fwrite(raw, 1, n, f);
		fclose(f);
		expect_fail(gz, NULL, "bad.gz: ");
	}
	expect_fail(tmp_path("missing.idx"), NULL, "missing.idx: cannot open");
}

static void test_fashion_mnist(void **state)
{
	const char *dir = getenv("FMNIST_DIR");
	char img[1024], lab[1024];
	struct spk_dataset ds;

	(void)state;
	if (dir == NULL || *dir == '\0')
		dir = SPK_FMNIST_DIR;
	snprintf(img, sizeof(img), "%s/t10k-images-idx3-ubyte.gz", dir);
	snprintf(lab, sizeof(lab), "%s/t10k-labels-idx1-ubyte.gz", dir);
	if (access(img, R_OK) != 0 || access(lab, R_OK) != 0)
		skip();
	if (spk_dataset_load(&ds, img, lab, 0, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(ds.n, 10000);
	assert_int_equal(ds.height, 28);
	assert_int_equal(ds.width, 28);
	assert_int_equal(ds.labels[0], 9);	/* an ankle boot */
	spk_dataset_fini(&ds);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/spktest-idx.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u8_plain_and_gzip),
		cmocka_unit_test(test_f32_4d),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_fashion_mnist),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
