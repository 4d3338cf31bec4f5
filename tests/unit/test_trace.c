/*
 * test_trace.c — the spike-trace writer and reader (traces/trace.h).
 *
 * Round trips (empty images and slots, unsorted input, large id counts, thousands of images)
 * are checked against the spikes that went in. Malformed files are built by a second, naive
 * encoder written here straight from doc/formats.md ("Spike trace"): at the writer's zlib level
 * (1) it first has to agree byte for byte with the writer on a valid trace, then it builds
 * every kind of damage the reader must report — with the file, the image and the byte offset
 * in the message.
 *
 * Files go to a mkdtemp() directory, removed at the end.
 */
#include "config.h"

#include "traces/trace.h"
#include "util/le.h"
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

static char tmpdir[4096];
static char err[1024];

static const char *tmp_path(const char *name)
{
	static char buf[8][4200];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

static bool contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

#define assert_contains(hay, needle)                                                        \
	do {                                                                                \
		if (!contains((hay), (needle)))                                             \
			fail_msg("'%s' does not contain '%s'", (hay), (needle));            \
	} while (0)

/* A deterministic generator, so failures reproduce. */
static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

static size_t files_in_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ---- a naive encoder, from the spec ---------------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put32(struct buf *b, uint32_t v)
{
	uint8_t le[4];

	spk_le32_put(le, v);
	put(b, le, 4);
}

static void put_str(struct buf *b, const char *s)
{
	put32(b, (uint32_t)strlen(s));
	put(b, s, strlen(s));
}

static uint32_t crc(const void *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

/* Rewrites the CRC at p[n] to cover p[0..n). */
static void fix_crc(uint8_t *p, size_t n)
{
	spk_le32_put(p + n, crc(p, n));
}

static void put_compressed(struct buf *b, const uint8_t *raw, size_t len, uint32_t *z_len)
{
	uLongf zl = compressBound(len);
	uint8_t *z = malloc(zl);

	assert_non_null(z);
	assert_int_equal(compress2(z, &zl, raw, len, Z_BEST_SPEED), Z_OK);
	put(b, z, zl);
	*z_len = (uint32_t)zl;
	free(z);
}

/* Header + description with the given raw description bytes. */
static void enc_header_raw(struct buf *b, const struct buf *desc, uint32_t version)
{
	uint32_t z_len;
	size_t at;

	put(b, "SPKTRACE", 8);
	put32(b, version);
	put32(b, 0);
	put32(b, 0);		/* payload_bytes, patched */
	put32(b, (uint32_t)desc->len);
	put32(b, crc(desc->p, desc->len));
	put32(b, 0);		/* header_crc32, patched */
	at = b->len;
	put_compressed(b, desc->p, desc->len, &z_len);
	spk_le32_put(b->p + 16, z_len);
	fix_crc(b->p, 28);
	(void)at;
}

static void enc_desc(struct buf *d, const char *producer, uint32_t model, uint32_t steps,
		     uint32_t n_pops, const char *const names[], const uint32_t sizes[])
{
	put_str(d, producer);
	put32(d, model);
	put32(d, steps);
	put32(d, n_pops);
	for (uint32_t i = 0; i < n_pops; i++) {
		put_str(d, names[i]);
		put32(d, sizes[i]);
	}
}

/* A chunk from its uncompressed words; `spikes` is the header field. Returns its offset. */
static size_t enc_chunk(struct buf *b, uint32_t image, uint32_t spikes, const uint32_t *words,
			size_t n_words)
{
	struct buf raw = { 0 };
	size_t at = b->len;
	uint32_t z_len;

	for (size_t i = 0; i < n_words; i++)
		put32(&raw, words[i]);
	put(b, "SPKI", 4);
	put32(b, image);
	put32(b, spikes);
	put32(b, 0);		/* payload_bytes, patched */
	put32(b, crc(raw.p, raw.len));
	put32(b, 0);
	put_compressed(b, raw.p, raw.len, &z_len);
	spk_le32_put(b->p + at + 12, z_len);
	fix_crc(b->p + at, 20);
	free(raw.p);
	return at;
}

static void enc_end(struct buf *b, uint32_t images, uint64_t spikes)
{
	size_t at = b->len;

	put(b, "SPKE", 4);
	put32(b, images);
	put32(b, (uint32_t)spikes);
	put32(b, (uint32_t)(spikes >> 32));
	put32(b, 0);
	put32(b, 0);
	fix_crc(b->p + at, 20);
}

static void save(const struct buf *b, size_t len, const char *path)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b->p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static struct buf load_file(const char *path)
{
	struct buf b = { 0 };
	uint8_t tmp[4096];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		put(&b, tmp, n);
	fclose(f);
	return b;
}

/*
 * The small network every malformed case starts from: T = 2, populations a (4 neurons) and
 * b (3 neurons); image 0 has a:{1,3} at t0 and b:{2} at t1; image 5 is empty.
 */
static const char *const small_names[] = { "a", "b" };
static const uint32_t small_sizes[] = { 4, 3 };
static const uint32_t img0_words[] = { 2, 1, 3, 0, 0, 1, 2 };	/* t0:a,b t1:a,b */
static const uint32_t img5_words[] = { 0, 0, 0, 0 };

struct small {
	struct buf b;
	size_t chunk0, chunk1, end;
};

static struct small small_file(void)
{
	struct small s = { 0 };
	struct buf d = { 0 };

	enc_desc(&d, "ref-int", 0xdeadbeef, 2, 2, small_names, small_sizes);
	enc_header_raw(&s.b, &d, 1);
	s.chunk0 = enc_chunk(&s.b, 0, 3, img0_words, 7);
	s.chunk1 = enc_chunk(&s.b, 5, 0, img5_words, 4);
	s.end = s.b.len;
	enc_end(&s.b, 2, 3);
	free(d.p);
	return s;
}

/* Writes the same trace through the writer. */
static void write_small(const char *path)
{
	static const uint32_t a0[] = { 3, 1 }, b1[] = { 2 };
	spk_trace_writer *w;

	w = spk_trace_writer_create(path, "ref-int", 0xdeadbeef, 2, 2, small_names, small_sizes,
				    err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(spk_trace_writer_begin_image(w, 0), 0);
	assert_int_equal(spk_trace_writer_add(w, 1, 1, b1, 1), 0);
	assert_int_equal(spk_trace_writer_add(w, 0, 0, a0, 2), 0);
	assert_int_equal(spk_trace_writer_add(w, 1, 0, NULL, 0), 0);
	assert_int_equal(spk_trace_writer_end_image(w), 0);
	assert_int_equal(spk_trace_writer_begin_image(w, 5), 0);
	assert_int_equal(spk_trace_writer_end_image(w), 0);
	assert_int_equal(spk_trace_writer_close(w, err, sizeof(err)), 0);
}

/* ---- round trips ----------------------------------------------------------------------- */

static void expect_spikes(spk_trace_reader *r, uint32_t t, uint32_t pop, const uint32_t *want,
			  size_t n_want)
{
	size_t n;
	const uint32_t *ids = spk_trace_reader_spikes(r, t, pop, &n);

	assert_int_equal(n, n_want);
	if (n > 0)
		assert_memory_equal(ids, want, n * sizeof(*ids));
}

static void test_small_round_trip(void **state)
{
	const char *path = tmp_path("small.spkt");
	static const uint32_t a0[] = { 1, 3 }, b1[] = { 2 };
	spk_trace_reader *r;
	struct small s;
	struct buf got;
	size_t k;

	(void)state;
	write_small(path);
	/* The naive encoder, written from the spec, agrees byte for byte. */
	s = small_file();
	got = load_file(path);
	assert_int_equal(got.len, s.b.len);
	assert_memory_equal(got.p, s.b.p, s.b.len);
	free(got.p);
	free(s.b.p);

	r = spk_trace_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(spk_trace_reader_producer(r), "ref-int");
	assert_int_equal(spk_trace_reader_model_crc(r), 0xdeadbeef);
	assert_int_equal(spk_trace_reader_time_steps(r), 2);
	assert_int_equal(spk_trace_reader_pops(r), 2);
	assert_string_equal(spk_trace_reader_pop_name(r, 1), "b");
	assert_int_equal(spk_trace_reader_pop_size(r, 0), 4);
	assert_int_equal(spk_trace_reader_images(r), 2);
	assert_int_equal(spk_trace_reader_total_spikes(r), 3);
	assert_int_equal(spk_trace_reader_image_index(r, 1), 5);
	assert_int_equal(spk_trace_reader_image_spikes(r, 0), 3);
	assert_true(spk_trace_reader_find_image(r, 5, &k));
	assert_int_equal(k, 1);
	assert_false(spk_trace_reader_find_image(r, 3, &k));
	assert_false(spk_trace_reader_find_image(r, 6, &k));
	assert_true(spk_trace_reader_find_pop(r, "b", &(uint32_t){ 0 }));
	assert_false(spk_trace_reader_find_pop(r, "c", &(uint32_t){ 0 }));

	assert_int_equal(spk_trace_reader_load(r, 0), 0);
	expect_spikes(r, 0, 0, a0, 2);
	expect_spikes(r, 0, 1, NULL, 0);
	expect_spikes(r, 1, 0, NULL, 0);
	expect_spikes(r, 1, 1, b1, 1);
	assert_int_equal(spk_trace_reader_load(r, 1), 0);
	for (uint32_t t = 0; t < 2; t++)
		for (uint32_t p = 0; p < 2; p++)
			expect_spikes(r, t, p, NULL, 0);
	spk_trace_reader_close(r);
	assert_int_equal(unlink(path), 0);
}

static void test_no_images(void **state)
{
	const char *path = tmp_path("none.spkt");
	static const char *const names[] = { "only" };
	static const uint32_t sizes[] = { 1 };
	spk_trace_writer *w;
	spk_trace_reader *r;

	(void)state;
	w = spk_trace_writer_create(path, "sim", 0, 1, 1, names, sizes, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(spk_trace_writer_close(w, err, sizeof(err)), 0);
	r = spk_trace_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(spk_trace_reader_images(r), 0);
	assert_int_equal(spk_trace_reader_total_spikes(r), 0);
	assert_int_equal(spk_trace_reader_model_crc(r), 0);
	spk_trace_reader_close(r);
	assert_int_equal(unlink(path), 0);
}

/* One image where a 300 000-neuron population fires completely, then every other neuron. */
static void test_large_counts(void **state)
{
	const char *path = tmp_path("large.spkt");
	static const char *const names[] = { "big", "small" };
	const uint32_t n = 300000;
	const uint32_t sizes[] = { n, 10 };
	uint32_t *ids = malloc(n * sizeof(*ids));
	spk_trace_writer *w;
	spk_trace_reader *r;
	const uint32_t *got;
	size_t got_n;

	(void)state;
	assert_non_null(ids);
	w = spk_trace_writer_create(path, "ref-float", 7, 3, 2, names, sizes, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(spk_trace_writer_begin_image(w, 42), 0);
	for (uint32_t i = 0; i < n; i++)
		ids[i] = n - 1 - i;		/* descending: the writer sorts */
	assert_int_equal(spk_trace_writer_add(w, 0, 0, ids, n), 0);
	for (uint32_t i = 0; i < n / 2; i++)
		ids[i] = 2 * i + 1;
	assert_int_equal(spk_trace_writer_add(w, 2, 0, ids, n / 2), 0);
	assert_int_equal(spk_trace_writer_end_image(w), 0);
	assert_int_equal(spk_trace_writer_close(w, err, sizeof(err)), 0);

	r = spk_trace_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(spk_trace_reader_total_spikes(r), n + n / 2);
	assert_int_equal(spk_trace_reader_load(r, 0), 0);
	got = spk_trace_reader_spikes(r, 0, 0, &got_n);
	assert_int_equal(got_n, n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(got[i], i);
	got = spk_trace_reader_spikes(r, 2, 0, &got_n);
	assert_int_equal(got_n, n / 2);
	for (uint32_t i = 0; i < n / 2; i++)
		assert_int_equal(got[i], 2 * i + 1);
	spk_trace_reader_spikes(r, 1, 0, &got_n);
	assert_int_equal(got_n, 0);
	spk_trace_reader_close(r);
	free(ids);
	assert_int_equal(unlink(path), 0);
}

/* Random spikes of image i, t, pop: each neuron with probability 1/8; same for a given seed. */
static size_t random_slot(uint32_t image, uint32_t t, uint32_t pop, uint32_t size,
			  uint32_t *ids)
{
	size_t n = 0;

	rng_state = ((uint64_t)image << 32) ^ ((uint64_t)t << 16) ^ pop ^ 0x5eed;
	for (uint32_t i = 0; i < size; i++)
		if ((rng() & 7) == 0)
			ids[n++] = i;
	return n;
}

static void test_many_images(void **state)
{
	const char *path = tmp_path("many.spkt");
	static const char *const names[] = { "enc", "block1.lif", "attn", "head" };
	static const uint32_t sizes[] = { 1024, 512, 64, 10 };
	const uint32_t steps = 4, n_images = 3000;
	uint32_t ids[1024];
	uint64_t total = 0;
	spk_trace_writer *w;
	spk_trace_reader *r;

	(void)state;
	w = spk_trace_writer_create(path, "sim", 0x12345678, steps, 4, names, sizes, err,
				    sizeof(err));
	assert_non_null(w);
	for (uint32_t i = 0; i < n_images; i++) {
		uint32_t image = 3 * i + 1;

		assert_int_equal(spk_trace_writer_begin_image(w, image), 0);
		for (uint32_t t = 0; t < steps; t++) {
			for (uint32_t p = 0; p < 4; p++) {
				size_t n = random_slot(image, t, p, sizes[p], ids);

				if (image % 7 == 0)
					continue;	/* some images stay empty */
				assert_int_equal(spk_trace_writer_add(w, t, p, ids, n), 0);
				total += n;
			}
		}
		assert_int_equal(spk_trace_writer_end_image(w), 0);
	}
	assert_int_equal(spk_trace_writer_close(w, err, sizeof(err)), 0);

	r = spk_trace_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(spk_trace_reader_images(r), n_images);
	assert_int_equal(spk_trace_reader_total_spikes(r), total);
	/* Backwards, to exercise random access. */
	for (size_t k = n_images; k-- > 0;) {
		uint32_t image = spk_trace_reader_image_index(r, k);

		assert_int_equal(image, 3 * k + 1);
		assert_int_equal(spk_trace_reader_load(r, k), 0);
		for (uint32_t t = 0; t < steps; t++) {
			for (uint32_t p = 0; p < 4; p++) {
				size_t n = random_slot(image, t, p, sizes[p], ids);

				expect_spikes(r, t, p, ids, image % 7 == 0 ? 0 : n);
			}
		}
	}
	spk_trace_reader_close(r);
	assert_int_equal(unlink(path), 0);
}

/* ---- writer misuse and abort ----------------------------------------------------------- */

static void test_writer_rejects_bad_description(void **state)
{
	const char *path = tmp_path("bad.spkt");
	static const char *const dup[] = { "x", "x" };
	static const char *const spaced[] = { "a b" };
	static const uint32_t sizes[] = { 1, 1 }, zero[] = { 0 };

	(void)state;
	assert_null(spk_trace_writer_create(path, "", 0, 1, 1, small_names, sizes, err,
					    sizeof(err)));
	assert_contains(err, "producer");
	assert_null(spk_trace_writer_create(path, "sim", 0, 0, 1, small_names, sizes, err,
					    sizeof(err)));
	assert_contains(err, "timesteps");
	assert_null(spk_trace_writer_create(path, "sim", 0, 1, 2, dup, sizes, err, sizeof(err)));
	assert_contains(err, "appears twice");
	assert_null(spk_trace_writer_create(path, "sim", 0, 1, 1, spaced, sizes, err,
					    sizeof(err)));
	assert_contains(err, "without spaces");
	assert_null(spk_trace_writer_create(path, "sim", 0, 1, 1, small_names, zero, err,
					    sizeof(err)));
	assert_contains(err, "no neurons");
	assert_null(spk_trace_writer_create(tmp_path("no/such/dir.spkt"), "sim", 0, 1, 1,
					    small_names, sizes, err, sizeof(err)));
	assert_contains(err, "cannot create");
	assert_int_equal(files_in_tmpdir(), 0);
}

/* Each misuse fails with a message and leaves the writer failed; abort removes everything. */
static void test_writer_misuse(void **state)
{
	static const uint32_t dup[] = { 2, 1, 2 }, big[] = { 4 }, ok[] = { 1 };
	struct {
		const char *needle;
		int step;	/* which call fails */
	} cases[] = {
		{ "neuron 2 given twice", 0 },
		{ "neuron 4 out of range", 1 },
		{ "added twice", 2 },
		{ "image indices must increase", 3 },
		{ "outside begin_image", 4 },
		{ "timestep 2, population 0 out of range", 5 },
		{ "while image 0 is open", 6 },
	};
	const char *path = tmp_path("misuse.spkt");

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		spk_trace_writer *w = spk_trace_writer_create(path, "sim", 0, 2, 2, small_names,
							      small_sizes, err, sizeof(err));
		int ret = 0;

		assert_non_null(w);
		assert_string_equal(spk_trace_writer_error(w), "");
		if (cases[c].step != 4)
			assert_int_equal(spk_trace_writer_begin_image(w, 0), 0);
		switch (cases[c].step) {
		case 0: ret = spk_trace_writer_add(w, 0, 0, dup, 3); break;
		case 1: ret = spk_trace_writer_add(w, 0, 0, big, 1); break;
		case 2:
			assert_int_equal(spk_trace_writer_add(w, 1, 1, ok, 1), 0);
			ret = spk_trace_writer_add(w, 1, 1, ok, 1);
			break;
		case 3:
			assert_int_equal(spk_trace_writer_end_image(w), 0);
			ret = spk_trace_writer_begin_image(w, 0);
			break;
		case 4: ret = spk_trace_writer_add(w, 0, 0, ok, 1); break;
		case 5: ret = spk_trace_writer_add(w, 2, 0, ok, 1); break;
		case 6: ret = spk_trace_writer_begin_image(w, 1); break;
		}
		assert_int_equal(ret, -EINVAL);
		assert_contains(spk_trace_writer_error(w), cases[c].needle);
		assert_contains(spk_trace_writer_error(w), path);
		/* Failed stays failed. */
		assert_int_equal(spk_trace_writer_end_image(w), -EINVAL);
		assert_contains(spk_trace_writer_error(w), cases[c].needle);
		if (c % 2 == 0) {
			spk_trace_writer_abort(w);
		} else {
			assert_int_equal(spk_trace_writer_close(w, err, sizeof(err)), -EINVAL);
			assert_contains(err, cases[c].needle);
		}
		assert_int_equal(files_in_tmpdir(), 0);
	}
}

static void test_writer_close_with_open_image(void **state)
{
	const char *path = tmp_path("open.spkt");
	spk_trace_writer *w;

	(void)state;
	w = spk_trace_writer_create(path, "sim", 0, 2, 2, small_names, small_sizes, err,
				    sizeof(err));
	assert_non_null(w);
	assert_int_equal(spk_trace_writer_begin_image(w, 3), 0);
	assert_int_equal(spk_trace_writer_close(w, err, sizeof(err)), -EINVAL);
	assert_contains(err, "image 3 is open");
	assert_int_equal(files_in_tmpdir(), 0);
}

/* abort leaves no file, and leaves an existing trace at the path untouched. */
static void test_writer_abort(void **state)
{
	const char *path = tmp_path("keep.spkt");
	static const uint32_t ids[] = { 0, 1, 2 };
	spk_trace_writer *w;
	struct buf before, after;

	(void)state;
	spk_trace_writer_abort(NULL);
	w = spk_trace_writer_create(path, "sim", 0, 2, 2, small_names, small_sizes, err,
				    sizeof(err));
	assert_non_null(w);
	assert_int_equal(files_in_tmpdir(), 1);		/* the temporary file */
	assert_int_equal(access(path, F_OK), -1);	/* not yet at the path */
	assert_int_equal(spk_trace_writer_begin_image(w, 0), 0);
	assert_int_equal(spk_trace_writer_add(w, 0, 0, ids, 3), 0);
	assert_int_equal(spk_trace_writer_end_image(w), 0);
	spk_trace_writer_abort(w);
	assert_int_equal(files_in_tmpdir(), 0);

	write_small(path);
	before = load_file(path);
	w = spk_trace_writer_create(path, "sim", 0, 1, 1, small_names, small_sizes, err,
				    sizeof(err));
	assert_non_null(w);
	spk_trace_writer_abort(w);
	assert_int_equal(files_in_tmpdir(), 1);
	after = load_file(path);
	assert_int_equal(after.len, before.len);
	assert_memory_equal(after.p, before.p, before.len);
	free(before.p);
	free(after.p);
	assert_int_equal(unlink(path), 0);
}

/* ---- malformed files ------------------------------------------------------------------- */

/* Expects open() to fail with a message holding the path and every needle. */
static void expect_open_error(const struct buf *b, size_t len, ...)
{
	const char *path = tmp_path("bad.spkt");
	const char *needle;
	spk_trace_reader *r;
	va_list ap;

	save(b, len, path);
	err[0] = '\0';
	r = spk_trace_reader_open(path, err, sizeof(err));
	if (r != NULL)
		fail_msg("a malformed trace opened");
	assert_contains(err, path);
	va_start(ap, len);
	while ((needle = va_arg(ap, const char *)) != NULL)
		assert_contains(err, needle);
	va_end(ap);
	assert_int_equal(unlink(path), 0);
}

/* Expects open() to succeed and load(k) to fail with a message holding every needle. */
static void expect_load_error(const struct buf *b, size_t k, ...)
{
	const char *path = tmp_path("bad.spkt");
	const char *needle;
	spk_trace_reader *r;
	va_list ap;

	save(b, b->len, path);
	r = spk_trace_reader_open(path, err, sizeof(err));
	if (r == NULL)
		fail_msg("open failed: %s", err);
	assert_int_equal(spk_trace_reader_load(r, k), -EINVAL);
	assert_contains(spk_trace_reader_error(r), path);
	va_start(ap, k);
	while ((needle = va_arg(ap, const char *)) != NULL)
		assert_contains(spk_trace_reader_error(r), needle);
	va_end(ap);
	spk_trace_reader_close(r);
	assert_int_equal(unlink(path), 0);
}

static void test_reader_header_errors(void **state)
{
	struct small s = small_file();
	struct buf b = { 0 };

	(void)state;
	expect_open_error(&s.b, 0, "byte 0", "truncated header", NULL);
	expect_open_error(&s.b, 20, "byte 0", "truncated header", NULL);
	expect_open_error(&s.b, 40, "truncated description", NULL);

	put(&b, s.b.p, s.b.len);
	b.p[3] = 'X';
	expect_open_error(&b, b.len, "byte 0", "not a spike trace", NULL);
	b.p[3] = 'T';
	spk_le32_put(b.p + 8, 2);
	expect_open_error(&b, b.len, "byte 8", "version 2", "newer", NULL);
	spk_le32_put(b.p + 8, 1);
	b.p[20] ^= 1;
	expect_open_error(&b, b.len, "byte 28", "header CRC", NULL);
	b.p[20] ^= 1;
	spk_le32_put(b.p + 12, 4);
	fix_crc(b.p, 28);
	expect_open_error(&b, b.len, "byte 12", "flags", NULL);
	spk_le32_put(b.p + 12, 0);
	b.p[24] ^= 1;		/* description CRC */
	fix_crc(b.p, 28);
	expect_open_error(&b, b.len, "byte 32", "description CRC", NULL);
	b.p[24] ^= 1;
	fix_crc(b.p, 28);
	b.p[40] ^= 0xff;	/* inside the compressed description */
	expect_open_error(&b, b.len, "byte 32", "description", NULL);
	free(b.p);
	free(s.b.p);
}

/* A file whose description is raw bytes `d`, followed by an empty end record. */
static void expect_description_error(const struct buf *d, const char *needle)
{
	struct buf b = { 0 };

	enc_header_raw(&b, d, 1);
	enc_end(&b, 0, 0);
	expect_open_error(&b, b.len, "description byte", needle, NULL);
	free(b.p);
}

static void test_reader_description_errors(void **state)
{
	static const char *const dup[] = { "x", "x" }, *const bad[] = { "a\tb" };
	static const char *const dup2[] = { "b", "a", "a", "b" };
	static const uint32_t ones[] = { 1, 1 }, ones4[] = { 1, 1, 1, 1 }, zero[] = { 0 };
	struct buf d = { 0 };

	(void)state;
	enc_desc(&d, "", 0, 1, 1, small_names, ones);
	expect_description_error(&d, "producer");
	d.len = 0;
	enc_desc(&d, "sim", 0, 0, 1, small_names, ones);
	expect_description_error(&d, "0 timesteps");
	d.len = 0;
	enc_desc(&d, "sim", 0, 1, 0, small_names, ones);
	expect_description_error(&d, "0 populations");
	d.len = 0;
	enc_desc(&d, "sim", 0, 1, 2, dup, ones);
	expect_description_error(&d, "appears twice");
	d.len = 0;
	enc_desc(&d, "sim", 0, 1, 4, dup2, ones4);	/* the first repeat in file order */
	expect_description_error(&d, "population name 'a' appears twice");
	d.len = 0;
	enc_desc(&d, "sim", 0, 1, 1, bad, ones);
	expect_description_error(&d, "population 0 name");
	d.len = 0;
	enc_desc(&d, "sim", 0, 1, 1, small_names, zero);
	expect_description_error(&d, "no neurons");
	d.len = 0;
	enc_desc(&d, "sim", 0, 1, 2, small_names, ones);
	d.len -= 2;
	expect_description_error(&d, "truncated");
	d.len = 0;
	enc_desc(&d, "sim", 0, 1, 1, small_names, ones);
	put32(&d, 0);
	expect_description_error(&d, "unexpected bytes");
	/* 65536 timesteps x 256 populations claimed, none there: refused before the slot index */
	d.len = 0;
	enc_desc(&d, "sim", 0, 65536, 0, small_names, ones);
	d.len -= 4;
	put32(&d, 256);
	expect_description_error(&d, "256 populations need at least 2304 bytes, 0 are left");
	free(d.p);
}

static void test_reader_structure_errors(void **state)
{
	struct small s = small_file();
	struct buf b = { 0 };
	char at0[64], at1[64], at_end[64];

	(void)state;
	snprintf(at0, sizeof(at0), "image 0, byte %zu", s.chunk0);
	snprintf(at1, sizeof(at1), "image 5, byte %zu", s.chunk1);
	snprintf(at_end, sizeof(at_end), "byte %zu", s.end);

	/* Truncated inside a chunk header, inside a payload, before the end record. */
	expect_open_error(&s.b, s.chunk0 + 10, "truncated file", NULL);
	expect_open_error(&s.b, s.chunk1 - 3, at0, "truncated chunk", NULL);
	expect_open_error(&s.b, s.end, at_end, "truncated file", NULL);
	expect_open_error(&s.b, s.b.len - 1, at_end, "truncated file", NULL);

	/* Trailing garbage. */
	put(&b, s.b.p, s.b.len);
	put(&b, "x", 1);
	expect_open_error(&b, b.len, "1 unexpected bytes after the end record", NULL);

	/* A corrupt chunk header, an unknown record, an end record that does not add up. */
	b.len = s.b.len;
	b.p[s.chunk1 + 8] ^= 1;
	expect_open_error(&b, b.len, "chunk 1, byte", "chunk header CRC", NULL);
	b.p[s.chunk1 + 8] ^= 1;
	memcpy(b.p + s.chunk1, "SPKX", 4);
	expect_open_error(&b, b.len, "neither an image chunk", NULL);
	memcpy(b.p + s.chunk1, "SPKI", 4);
	spk_le32_put(b.p + s.end + 4, 3);
	fix_crc(b.p + s.end, 20);
	expect_open_error(&b, b.len, at_end, "end record says 3 images", NULL);
	spk_le32_put(b.p + s.end + 4, 2);
	b.p[s.end + 10] ^= 1;
	expect_open_error(&b, b.len, at_end, "end record CRC", NULL);
	b.p[s.end + 10] ^= 1;

	/* Image indices must increase. */
	spk_le32_put(b.p + s.chunk1 + 4, 0);
	fix_crc(b.p + s.chunk1, 20);
	expect_open_error(&b, b.len, "image 0", "not above", NULL);
	spk_le32_put(b.p + s.chunk1 + 4, 5);
	fix_crc(b.p + s.chunk1, 20);

	/* More spikes than the populations can fire: (4 + 3) x 2 = 14. */
	spk_le32_put(b.p + s.chunk1 + 8, 15);
	fix_crc(b.p + s.chunk1, 20);
	expect_open_error(&b, b.len, at1, "15 spikes", NULL);
	free(b.p);
	free(s.b.p);
	(void)at1;
}

/* A trace with one chunk of the given words (the header's spike field given separately). */
static struct buf one_chunk(uint32_t spikes, const uint32_t *words, size_t n, size_t *at)
{
	struct buf b = { 0 }, d = { 0 };

	enc_desc(&d, "ref-int", 0, 2, 2, small_names, small_sizes);
	enc_header_raw(&b, &d, 1);
	*at = enc_chunk(&b, 9, spikes, words, n);
	enc_end(&b, 1, spikes);
	free(d.p);
	return b;
}

static void test_reader_payload_errors(void **state)
{
	static const uint32_t unsorted[] = { 2, 3, 1, 0, 0, 0 };
	static const uint32_t dup[] = { 2, 1, 1, 0, 0, 0 };
	static const uint32_t range_a[] = { 1, 4, 0, 0, 0 };
	static const uint32_t range_b[] = { 0, 0, 0, 1, 3 };
	static const uint32_t too_many[] = { 5, 0, 1, 2, 3, 0, 0, 0, 0 };
	static const uint32_t counts_short[] = { 1, 0, 0, 0, 0, 7 };
	static const uint32_t counts_long[] = { 1, 0, 0, 0, 2 };
	struct small s = small_file();
	struct buf b;
	char at[64];
	size_t c;

	(void)state;
	b = one_chunk(2, unsorted, 6, &c);
	snprintf(at, sizeof(at), "image 9, byte %zu", c);
	expect_load_error(&b, 0, at, "timestep 0, population 'a'", "not strictly ascending",
			  "1 after 3", NULL);
	free(b.p);
	b = one_chunk(2, dup, 6, &c);
	expect_load_error(&b, 0, at, "not strictly ascending", NULL);
	free(b.p);
	b = one_chunk(1, range_a, 5, &c);
	expect_load_error(&b, 0, at, "population 'a'", "id 4 out of range (4 neurons)", NULL);
	free(b.p);
	b = one_chunk(1, range_b, 5, &c);
	expect_load_error(&b, 0, at, "timestep 1, population 'b'", "id 3 out of range", NULL);
	free(b.p);
	b = one_chunk(5, too_many, 9, &c);
	expect_load_error(&b, 0, at, "count 5", NULL);
	free(b.p);
	/* The counts say 1 spike, the header 2: one word left over. */
	b = one_chunk(2, counts_short, 6, &c);
	expect_load_error(&b, 0, at, "add up to 1 spikes", "header says 2", NULL);
	free(b.p);
	/* The counts need more words than the chunk has. */
	b = one_chunk(1, counts_long, 5, &c);
	expect_load_error(&b, 0, at, "count 2", NULL);
	free(b.p);
	/* Decompressed size differs from what the spike count implies. */
	b = one_chunk(2, range_a, 5, &c);
	expect_load_error(&b, 0, at, "decompresses to 20 bytes", "implies 24", NULL);
	free(b.p);
	b = one_chunk(0, range_a, 5, &c);
	expect_load_error(&b, 0, at, "more than the 16 bytes", NULL);
	free(b.p);

	/* Payload CRC; a flipped compressed byte; garbage after the zlib stream. */
	snprintf(at, sizeof(at), "image 0, byte %zu", s.chunk0);
	b = (struct buf){ 0 };
	put(&b, s.b.p, s.b.len);
	b.p[s.chunk0 + 16] ^= 1;
	fix_crc(b.p + s.chunk0, 20);
	expect_load_error(&b, 0, at, "chunk CRC mismatch", NULL);
	b.p[s.chunk0 + 16] ^= 1;
	fix_crc(b.p + s.chunk0, 20);
	b.p[s.chunk0 + 24 + 4] ^= 0x55;
	expect_load_error(&b, 0, at, NULL);
	b.p[s.chunk0 + 24 + 4] ^= 0x55;
	free(b.p);
	{
		/* Rebuild chunk 0 with one byte appended to its compressed payload. */
		struct buf d = { 0 }, e = { 0 };
		size_t at0, z_len;

		enc_desc(&d, "ref-int", 0, 2, 2, small_names, small_sizes);
		enc_header_raw(&e, &d, 1);
		at0 = enc_chunk(&e, 0, 3, img0_words, 7);
		put(&e, "", 1);
		z_len = e.len - at0 - 24;
		spk_le32_put(e.p + at0 + 12, (uint32_t)z_len);
		fix_crc(e.p + at0, 20);
		enc_end(&e, 1, 3);
		snprintf(at, sizeof(at), "image 0, byte %zu", at0);
		expect_load_error(&e, 0, at, "1 bytes after the end of the compressed stream",
				  NULL);
		free(e.p);
		free(d.p);
	}
	/* The other chunk of a file with one bad chunk still loads. */
	b = (struct buf){ 0 };
	put(&b, s.b.p, s.b.len);
	b.p[s.chunk0 + 16] ^= 1;
	fix_crc(b.p + s.chunk0, 20);
	{
		const char *path = tmp_path("partial.spkt");
		spk_trace_reader *r;

		save(&b, b.len, path);
		r = spk_trace_reader_open(path, err, sizeof(err));
		assert_non_null(r);
		assert_int_equal(spk_trace_reader_load(r, 0), -EINVAL);
		assert_int_equal(spk_trace_reader_load(r, 1), 0);
		assert_string_equal(spk_trace_reader_error(r), spk_trace_reader_error(r));
		spk_trace_reader_close(r);
		assert_int_equal(unlink(path), 0);
	}
	free(b.p);
	free(s.b.p);
}

/* Every truncation and every single-byte flip of a valid trace: an error, never a crash. */
static void test_reader_never_crashes(void **state)
{
	const char *path = tmp_path("fuzz.spkt");
	struct small s = small_file();
	struct buf b = { 0 };
	size_t unnoticed = 0;

	(void)state;
	put(&b, s.b.p, s.b.len);
	for (size_t len = 0; len < s.b.len; len++) {
		save(&b, len, path);
		assert_null(spk_trace_reader_open(path, err, sizeof(err)));
		assert_contains(err, path);
	}
	for (size_t i = 0; i < s.b.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			spk_trace_reader *r;
			bool ok = true;

			b.p[i] ^= (uint8_t)(1u << bit);
			save(&b, b.len, path);
			r = spk_trace_reader_open(path, err, sizeof(err));
			if (r != NULL) {
				for (size_t k = 0; k < spk_trace_reader_images(r); k++)
					ok = ok && spk_trace_reader_load(r, k) == 0;
				/*
				 * Every field is under a CRC; only the padding bits after the
				 * last deflate block are not, and flipping them changes nothing.
				 */
				if (ok) {
					assert_int_equal(spk_trace_reader_images(r), 2);
					assert_int_equal(spk_trace_reader_load(r, 0), 0);
					expect_spikes(r, 0, 0, img0_words + 1, 2);
					expect_spikes(r, 1, 1, img0_words + 6, 1);
					assert_int_equal(spk_trace_reader_total_spikes(r), 3);
					assert_int_equal(spk_trace_reader_model_crc(r), 0xdeadbeef);
					unnoticed++;
				}
				spk_trace_reader_close(r);
			}
			b.p[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_true(unnoticed < 16);
	assert_int_equal(unlink(path), 0);
	free(b.p);
	free(s.b.p);
}

static void test_reader_missing_file(void **state)
{
	(void)state;
	assert_null(spk_trace_reader_open(tmp_path("absent.spkt"), err, sizeof(err)));
	assert_contains(err, "cannot open");
	assert_contains(err, "absent.spkt");
	assert_null(spk_trace_reader_open(tmpdir, err, sizeof(err)));
	assert_contains(err, "not a regular file");
}

static void test_file_crc32(void **state)
{
	const char *path = tmp_path("model.bin");
	struct buf b = { 0 };
	uint32_t c = 0;

	(void)state;
	put(&b, "123456789", 9);
	save(&b, b.len, path);
	assert_int_equal(spk_file_crc32(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c, 0xcbf43926);	/* the CRC-32 check value */
	/* continued over a second file: the CRC of both as one stream */
	save(&b, 5, path);
	c = 0;
	assert_int_equal(spk_file_crc32(path, &c, err, sizeof(err)), 0);
	memmove(b.p, b.p + 5, 4);
	save(&b, 4, path);
	assert_int_equal(spk_file_crc32(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c, 0xcbf43926);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(spk_file_crc32(path, &c, err, sizeof(err)), -EIO);
	assert_contains(err, "model.bin");
	free(b.p);
}

static int setup(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/spktrace.XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_round_trip),
		cmocka_unit_test(test_no_images),
		cmocka_unit_test(test_large_counts),
		cmocka_unit_test(test_many_images),
		cmocka_unit_test(test_writer_rejects_bad_description),
		cmocka_unit_test(test_writer_misuse),
		cmocka_unit_test(test_writer_close_with_open_image),
		cmocka_unit_test(test_writer_abort),
		cmocka_unit_test(test_reader_header_errors),
		cmocka_unit_test(test_reader_description_errors),
		cmocka_unit_test(test_reader_structure_errors),
		cmocka_unit_test(test_reader_payload_errors),
		cmocka_unit_test(test_reader_never_crashes),
		cmocka_unit_test(test_reader_missing_file),
		cmocka_unit_test(test_file_crc32),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
