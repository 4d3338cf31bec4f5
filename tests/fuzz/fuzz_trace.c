/*
 * fuzz_trace.c — libFuzzer harness of the spike-trace reader (traces/trace.h): open (the
 * structural walk over the chunk headers), then every accessor of the description, then
 * load() of each chunk (at most 64) and the spikes of its first slots, as `spikechip trace`
 * does. The reader takes a path, so the bytes go through the temporary file.
 *
 * Every record of a trace carries CRC-32s (its header's, and its payload's), so the first byte
 * is a mode, as in fuzz.h: odd, the rest is the whole file; even, the rest is a recipe that the
 * harness turns into a file with every length and CRC right and every payload compressed:
 *
 *   u16 n, then n bytes: the description (uncompressed)
 *   per chunk, until the input ends: u32 image, u32 spikes, u16 n, then n bytes: its words
 *
 * (all little-endian; a field cut short by the end of the input is 0, a payload cut short is
 * what is left), then the end record with the chunk count and the sum of the spike counts.
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"
#include "traces/trace.h"
#include "util/le.h"

#include <zlib.h>

struct out {
	uint8_t *p;
	size_t n, cap;
};

static void out_put(struct out *o, const void *p, size_t n)
{
	if (o->n + n > o->cap) {
		o->cap = 2 * (o->n + n) + 256;
		o->p = realloc(o->p, o->cap);
		if (o->p == NULL)
			abort();
	}
	memcpy(o->p + o->n, p, n);
	o->n += n;
}

/* The next n (<= 4) bytes of the recipe as a little-endian number; 0 past its end. */
static uint32_t take(const uint8_t **p, const uint8_t *end, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n && *p < end; i++, (*p)++)
		v |= (uint32_t)**p << (8 * i);
	return v;
}

/* Appends raw[0..n) compressed; returns the compressed length. */
static uint32_t put_z(struct out *o, const uint8_t *raw, size_t n)
{
	uLongf z_len = compressBound(n);
	uint8_t *z = malloc(z_len);

	if (z == NULL || compress2(z, &z_len, raw, n, 1) != Z_OK)
		abort();
	out_put(o, z, z_len);
	free(z);
	return (uint32_t)z_len;
}

/* The file a recipe describes (see the top of this file), in o. */
static void build(struct out *o, const uint8_t *p, const uint8_t *end)
{
	uint8_t h[32], r[24];
	size_t n, at;
	uint32_t chunks = 0, z_len;
	uint64_t spikes = 0;

	n = take(&p, end, 2);
	n = n < (size_t)(end - p) ? n : (size_t)(end - p);
	memset(h, 0, sizeof(h));
	memcpy(h, "SPKTRACE", 8);
	spk_le32_put(h + 8, 1);
	out_put(o, h, sizeof(h));
	z_len = put_z(o, p, n);		/* may move o->p */
	spk_le32_put(o->p + 16, z_len);
	spk_le32_put(o->p + 20, (uint32_t)n);
	spk_le32_put(o->p + 24, spk_crc32(p, n));
	spk_le32_put(o->p + 28, spk_crc32(o->p, 28));
	p += n;
	while (p < end) {
		memcpy(r, "SPKI", 4);
		spk_le32_put(r + 4, take(&p, end, 4));
		spk_le32_put(r + 8, take(&p, end, 4));
		spikes += spk_le32_get(r + 8);
		n = take(&p, end, 2);
		n = n < (size_t)(end - p) ? n : (size_t)(end - p);
		at = o->n;
		out_put(o, r, sizeof(r));
		z_len = put_z(o, p, n);
		spk_le32_put(o->p + at + 12, z_len);
		spk_le32_put(o->p + at + 16, spk_crc32(p, n));
		spk_le32_put(o->p + at + 20, spk_crc32(o->p + at, 20));
		p += n;
		chunks++;
	}
	memcpy(r, "SPKE", 4);
	spk_le32_put(r + 4, chunks);
	spk_le64_put(r + 8, spikes);
	spk_le32_put(r + 16, 0);
	spk_le32_put(r + 20, spk_crc32(r, 20));
	out_put(o, r, sizeof(r));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	spk_trace_reader *r;
	struct out o = { 0 };
	uint64_t sum = 0;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		r = spk_trace_reader_open(fuzz_write(data + 1, size - 1, ".spkt"), err,
					  sizeof(err));
	} else {
		build(&o, data + 1, data + size);
		r = spk_trace_reader_open(fuzz_write(o.p, o.n, ".spkt"), err, sizeof(err));
		free(o.p);
	}
	if (r == NULL)
		return 0;
	sum += spk_trace_reader_model_crc(r) + strlen(spk_trace_reader_producer(r)) +
	       strlen(spk_trace_reader_path(r)) + spk_trace_reader_total_spikes(r);
	for (uint32_t p = 0; p < spk_trace_reader_pops(r); p++) {
		uint32_t q;

		sum += spk_trace_reader_pop_size(r, p);
		if (!spk_trace_reader_find_pop(r, spk_trace_reader_pop_name(r, p), &q))
			abort();	/* a population the reader listed must be found by name */
	}
	for (size_t k = 0; k < spk_trace_reader_images(r) && k < 64; k++) {
		size_t kk;

		sum += spk_trace_reader_image_spikes(r, k);
		if (!spk_trace_reader_find_image(r, spk_trace_reader_image_index(r, k), &kk))
			abort();
		if (spk_trace_reader_load(r, k) < 0) {
			sum += strlen(spk_trace_reader_error(r));
			continue;
		}
		for (uint32_t t = 0; t < spk_trace_reader_time_steps(r) && t < 8; t++)
			for (uint32_t p = 0; p < spk_trace_reader_pops(r) && p < 8; p++) {
				size_t n;
				const uint32_t *ids = spk_trace_reader_spikes(r, t, p, &n);

				for (size_t i = 0; i < n; i++)
					sum += ids[i];
			}
	}
	if (sum == 1)
		fprintf(stderr, "%s", "");	/* keeps the reads */
	spk_trace_reader_close(r);
	return 0;
}
