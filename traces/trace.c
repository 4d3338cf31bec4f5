/*
 * trace.c — the spike-trace writer and reader (see trace.h; the format is doc/formats.md,
 * "Spike trace").
 *
 * The writer keeps exactly one image in memory: the ids given to add() go, in call order,
 * into one grow-only array, and a slot table (one entry per (t, pop)) says where each slot's
 * ids are. end_image() lays the slots out in file order (t, then pop), compresses them with
 * compress2() and appends the chunk. The buffers are reused from image to image, so after
 * the largest image nothing more is allocated.
 *
 * The reader validates in two steps. open() walks the file from chunk header to chunk header
 * (24 bytes each, seeking over the payloads), checking every header CRC, the order of image
 * indices, that every payload fits in the file, the end record's counts and that nothing
 * follows it; the chunk offsets go into an index. load(k) then reads one payload, checks
 * that it decompresses to exactly the size its header implies, its CRC, and every count
 * and id. A malformed file is reported as "<file>: [image I, ]byte B: <what>", where B is
 * the offset of the record at fault (the chunk header for a payload problem).
 *
 * Assumes nothing about host byte order: every field goes through util/le.h.
 */
#include "config.h"

#include "traces/trace.h"
#include "util/container.h"
#include "util/le.h"
#include "util/tmpfiles.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define HEADER_BYTES 32
#define RECORD_BYTES 24
#define TRACE_VERSION 1
#define ERR_BYTES 512
/*
 * Traces are written while a simulation runs: level 1 compresses spike ids about four times
 * faster than the default level, to the same size within a few percent.
 */
#define TRACE_ZLIB_LEVEL Z_BEST_SPEED

static const char trace_magic[8] = { 'S', 'P', 'K', 'T', 'R', 'A', 'C', 'E' };
static const char chunk_tag[4] = { 'S', 'P', 'K', 'I' };
static const char end_tag[4] = { 'S', 'P', 'K', 'E' };

/* The largest description a valid file can have: producer, three u32, the population table. */
#define MAX_DESCRIPTION ((uint64_t)4 + SPK_TRACE_MAX_PRODUCER + 12 + \
			 (uint64_t)SPK_TRACE_MAX_POPS * (4 + SPK_TRACE_MAX_NAME + 4))

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Printable ASCII without space, 1..max bytes: the rule for producer and population names. */
static bool valid_token(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

static int grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp;
	size_t n = *cap ? *cap : 1024;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (q == NULL)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* ==== writer ============================================================================ */

struct slot {
	uint32_t off;		/* first id in w->ids */
	uint32_t n;		/* number of ids */
	bool added;
};

struct spk_trace_writer {
	char *path;
	char *tmp_path;
	FILE *f;
	uint32_t time_steps;
	uint32_t n_pops;
	uint32_t *sizes;
	size_t n_slots;
	struct slot *slots;	/* [t * n_pops + pop] of the open image */
	uint32_t *ids;		/* ids of the open image, in add() order */
	size_t n_ids, ids_cap;
	uint8_t *raw;		/* the open image laid out in file order */
	size_t raw_cap;
	uint8_t *zbuf;		/* its compressed form */
	size_t zbuf_cap;
	bool in_image;
	bool any_image;
	uint32_t image;		/* open or last image */
	uint32_t n_images;
	uint64_t total_spikes;
	int failed;		/* 0, or the error every later call returns */
	char err[ERR_BYTES];
};

static int writer_fail(spk_trace_writer *w, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int writer_fail(spk_trace_writer *w, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(w->err, sizeof(w->err), "%s: ", w->path);
	if (n < 0 || (size_t)n >= sizeof(w->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(w->err + n, sizeof(w->err) - (size_t)n, fmt, ap);
	va_end(ap);
	w->failed = code;
	return code;
}

static int write_all(spk_trace_writer *w, const void *buf, size_t len)
{
	if (len > 0 && fwrite(buf, 1, len, w->f) != len)
		return writer_fail(w, -EIO, "cannot write %s: %s", w->tmp_path, strerror(errno));
	return 0;
}

/* Writes the common header and the compressed description. */
static int write_description(spk_trace_writer *w, const char *producer, uint32_t model_crc,
			    const char *const names[])
{
	uint8_t header[HEADER_BYTES];
	size_t raw_len = 4 + strlen(producer) + 12;
	uint8_t *raw, *p, *z;
	uLongf z_len;
	int ret;

	for (uint32_t i = 0; i < w->n_pops; i++)
		raw_len += 4 + strlen(names[i]) + 4;
	raw = malloc(raw_len);
	z_len = compressBound(raw_len);
	z = malloc(z_len);
	if (raw == NULL || z == NULL) {
		ret = writer_fail(w, -ENOMEM, "out of memory");
		goto out_free;
	}
	p = raw;
	spk_le32_put(p, (uint32_t)strlen(producer));
	memcpy(p + 4, producer, strlen(producer));
	p += 4 + strlen(producer);
	spk_le32_put(p, model_crc);
	spk_le32_put(p + 4, w->time_steps);
	spk_le32_put(p + 8, w->n_pops);
	p += 12;
	for (uint32_t i = 0; i < w->n_pops; i++) {
		size_t len = strlen(names[i]);

		spk_le32_put(p, (uint32_t)len);
		memcpy(p + 4, names[i], len);
		spk_le32_put(p + 4 + len, w->sizes[i]);
		p += 4 + len + 4;
	}
	assert((size_t)(p - raw) == raw_len);
	if (compress2(z, &z_len, raw, raw_len, TRACE_ZLIB_LEVEL) != Z_OK) {
		ret = writer_fail(w, -ENOMEM, "zlib cannot compress the description");
		goto out_free;
	}
	memcpy(header, trace_magic, 8);
	spk_le32_put(header + 8, TRACE_VERSION);
	spk_le32_put(header + 12, 0);
	spk_le32_put(header + 16, (uint32_t)z_len);
	spk_le32_put(header + 20, (uint32_t)raw_len);
	spk_le32_put(header + 24, spk_crc32(raw, raw_len));
	spk_le32_put(header + 28, spk_crc32(header, 28));
	ret = write_all(w, header, sizeof(header));
	if (ret == 0)
		ret = write_all(w, z, z_len);
out_free:
	free(z);
	free(raw);
	return ret;
}

spk_trace_writer *spk_trace_writer_create(const char *path, const char *producer,
					  uint32_t model_crc, uint32_t time_steps,
					  uint32_t n_pops, const char *const names[],
					  const uint32_t sizes[], char *err, size_t errlen)
{
	spk_trace_writer *w;
	size_t len;

	if (!valid_token(producer, strlen(producer), SPK_TRACE_MAX_PRODUCER)) {
		set_err(err, errlen, "%s: producer '%s' must be 1 to %d printable characters "
			"without spaces", path, producer, SPK_TRACE_MAX_PRODUCER);
		return NULL;
	}
	if (time_steps < 1 || time_steps > SPK_TRACE_MAX_STEPS || n_pops < 1 ||
	    n_pops > SPK_TRACE_MAX_POPS ||
	    (uint64_t)time_steps * n_pops > SPK_TRACE_MAX_SLOTS) {
		set_err(err, errlen, "%s: %u timesteps and %u populations: need 1..%d of each "
			"and at most %u (timestep, population) pairs", path, time_steps, n_pops,
			SPK_TRACE_MAX_STEPS, SPK_TRACE_MAX_SLOTS);
		return NULL;
	}
	for (uint32_t i = 0; i < n_pops; i++) {
		if (!valid_token(names[i], strlen(names[i]), SPK_TRACE_MAX_NAME)) {
			set_err(err, errlen, "%s: population %u name '%s' must be 1 to %d printable "
				"characters without spaces", path, i, names[i], SPK_TRACE_MAX_NAME);
			return NULL;
		}
		if (sizes[i] < 1) {
			set_err(err, errlen, "%s: population '%s' has no neurons", path, names[i]);
			return NULL;
		}
		for (uint32_t j = 0; j < i; j++) {
			if (strcmp(names[i], names[j]) == 0) {
				set_err(err, errlen, "%s: population name '%s' appears twice",
					path, names[i]);
				return NULL;
			}
		}
	}

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto out_nomem;
	w->time_steps = time_steps;
	w->n_pops = n_pops;
	w->n_slots = (size_t)time_steps * n_pops;
	len = strlen(path) + 32;
	w->path = strdup(path);
	w->tmp_path = malloc(len);
	w->sizes = malloc(n_pops * sizeof(*w->sizes));
	w->slots = calloc(w->n_slots, sizeof(*w->slots));
	if (w->path == NULL || w->tmp_path == NULL || w->sizes == NULL || w->slots == NULL)
		goto out_free_w;
	memcpy(w->sizes, sizes, n_pops * sizeof(*w->sizes));
	snprintf(w->tmp_path, len, "%s.tmp.%ld", path, (long)getpid());
	w->f = fopen(w->tmp_path, "wb");
	if (w->f == NULL) {
		set_err(err, errlen, "cannot create %s: %s", w->tmp_path, strerror(errno));
		goto out_free_w_quiet;
	}
	spk_tmpfile_add(w->tmp_path);
	if (write_description(w, producer, model_crc, names) < 0) {
		set_err(err, errlen, "%s", w->err);
		spk_trace_writer_abort(w);
		return NULL;
	}
	return w;

out_free_w:
	set_err(err, errlen, "%s: out of memory", path);
out_free_w_quiet:
	free(w->slots);
	free(w->sizes);
	if (w->tmp_path != NULL)
		spk_tmpfile_drop(w->tmp_path);
	free(w->tmp_path);
	free(w->path);
	free(w);
	return NULL;
out_nomem:
	set_err(err, errlen, "%s: out of memory", path);
	return NULL;
}

int spk_trace_writer_begin_image(spk_trace_writer *w, uint32_t image)
{
	if (w->failed)
		return w->failed;
	if (w->in_image)
		return writer_fail(w, -EINVAL, "image %u begun while image %u is open",
				   image, w->image);
	if (w->any_image && image <= w->image)
		return writer_fail(w, -EINVAL, "image %u after image %u: image indices must "
				   "increase", image, w->image);
	w->in_image = true;
	w->any_image = true;
	w->image = image;
	w->n_ids = 0;
	for (size_t s = 0; s < w->n_slots; s++)
		w->slots[s].added = false;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int spk_trace_writer_add(spk_trace_writer *w, uint32_t t, uint32_t pop,
			 const uint32_t *ids, size_t n)
{
	struct slot *s;
	uint32_t *dst;
	bool sorted = true;

	if (w->failed)
		return w->failed;
	if (!w->in_image)
		return writer_fail(w, -EINVAL, "spikes added outside begin_image/end_image");
	if (t >= w->time_steps || pop >= w->n_pops)
		return writer_fail(w, -EINVAL, "image %u: timestep %u, population %u out of range "
				   "(%u timesteps, %u populations)", w->image, t, pop,
				   w->time_steps, w->n_pops);
	s = &w->slots[(size_t)t * w->n_pops + pop];
	if (s->added)
		return writer_fail(w, -EINVAL, "image %u: timestep %u, population %u added twice",
				   w->image, t, pop);
	if ((uint64_t)4 * (w->n_slots + w->n_ids + n) > SPK_TRACE_MAX_RAW)
		return writer_fail(w, -EINVAL, "image %u: more spikes than one chunk can hold "
				   "(%u bytes uncompressed)", w->image, SPK_TRACE_MAX_RAW);
	if (grow(&w->ids, &w->ids_cap, w->n_ids + n, sizeof(*w->ids)) < 0)
		return writer_fail(w, -ENOMEM, "out of memory");
	dst = w->ids + w->n_ids;
	for (size_t i = 0; i < n; i++) {
		dst[i] = ids[i];
		if (i > 0 && ids[i] <= ids[i - 1])
			sorted = false;
	}
	if (!sorted) {
		qsort(dst, n, sizeof(*dst), cmp_u32);
		for (size_t i = 1; i < n; i++)
			if (dst[i] == dst[i - 1])
				return writer_fail(w, -EINVAL, "image %u: timestep %u, population %u: "
						   "neuron %u given twice", w->image, t, pop,
						   dst[i]);
	}
	if (n > 0 && dst[n - 1] >= w->sizes[pop])
		return writer_fail(w, -EINVAL, "image %u: timestep %u, population %u: neuron %u "
				   "out of range (%u neurons)", w->image, t, pop, dst[n - 1],
				   w->sizes[pop]);
	s->added = true;
	s->off = (uint32_t)w->n_ids;
	s->n = (uint32_t)n;
	w->n_ids += n;
	return 0;
}

int spk_trace_writer_end_image(spk_trace_writer *w)
{
	uint8_t header[RECORD_BYTES];
	size_t raw_len = 4 * (w->n_slots + w->n_ids);
	uLongf z_len;
	uint8_t *p;
	int ret;

	if (w->failed)
		return w->failed;
	if (!w->in_image)
		return writer_fail(w, -EINVAL, "end_image without begin_image");
	if (grow(&w->raw, &w->raw_cap, raw_len, 1) < 0 ||
	    grow(&w->zbuf, &w->zbuf_cap, compressBound(raw_len), 1) < 0)
		return writer_fail(w, -ENOMEM, "out of memory");
	p = w->raw;
	for (size_t s = 0; s < w->n_slots; s++) {
		const struct slot *sl = &w->slots[s];
		uint32_t n = sl->added ? sl->n : 0;

		spk_le32_put(p, n);
		p += 4;
		for (uint32_t i = 0; i < n; i++, p += 4)
			spk_le32_put(p, w->ids[sl->off + i]);
	}
	assert((size_t)(p - w->raw) == raw_len);
	z_len = w->zbuf_cap;
	if (compress2(w->zbuf, &z_len, w->raw, raw_len, TRACE_ZLIB_LEVEL) != Z_OK)
		return writer_fail(w, -ENOMEM, "image %u: zlib cannot compress the chunk",
				   w->image);
	memcpy(header, chunk_tag, 4);
	spk_le32_put(header + 4, w->image);
	spk_le32_put(header + 8, (uint32_t)w->n_ids);
	spk_le32_put(header + 12, (uint32_t)z_len);
	spk_le32_put(header + 16, spk_crc32(w->raw, raw_len));
	spk_le32_put(header + 20, spk_crc32(header, 20));
	ret = write_all(w, header, sizeof(header));
	if (ret == 0)
		ret = write_all(w, w->zbuf, z_len);
	if (ret < 0)
		return ret;
	w->in_image = false;
	w->n_images++;
	w->total_spikes += w->n_ids;
	return 0;
}

static void writer_free(spk_trace_writer *w)
{
	free(w->zbuf);
	free(w->raw);
	free(w->ids);
	free(w->slots);
	free(w->sizes);
	free(w->tmp_path);
	free(w->path);
	free(w);
}

int spk_trace_writer_close(spk_trace_writer *w, char *err, size_t errlen)
{
	uint8_t end[RECORD_BYTES];
	int ret = w->failed;
	FILE *f = w->f;

	if (ret == 0 && w->in_image)
		ret = writer_fail(w, -EINVAL, "closed while image %u is open", w->image);
	if (ret == 0) {
		memcpy(end, end_tag, 4);
		spk_le32_put(end + 4, w->n_images);
		spk_le64_put(end + 8, w->total_spikes);
		spk_le32_put(end + 16, 0);
		spk_le32_put(end + 20, spk_crc32(end, 20));
		ret = write_all(w, end, sizeof(end));
	}
	if (ret == 0 && fflush(f) != 0)
		ret = writer_fail(w, -EIO, "cannot write %s: %s", w->tmp_path, strerror(errno));
	w->f = NULL;
	if (fclose(f) != 0 && ret == 0)
		ret = writer_fail(w, -EIO, "cannot write %s: %s", w->tmp_path, strerror(errno));
	if (ret == 0 && rename(w->tmp_path, w->path) != 0)
		ret = writer_fail(w, -EIO, "cannot rename %s to %s: %s", w->tmp_path, w->path,
				  strerror(errno));
	if (ret < 0) {
		set_err(err, errlen, "%s", w->err);
		unlink(w->tmp_path);
	}
	writer_free(w);
	return ret;
}

void spk_trace_writer_abort(spk_trace_writer *w)
{
	if (w == NULL)
		return;
	if (w->f != NULL)
		fclose(w->f);
	unlink(w->tmp_path);
	writer_free(w);
}

const char *spk_trace_writer_error(const spk_trace_writer *w)
{
	return w->err;
}

/* ==== reader ============================================================================ */

struct chunk {
	uint64_t offset;	/* of the chunk header */
	uint32_t image;
	uint32_t spikes;
	uint32_t z_bytes;
	uint32_t crc;
};

/* A population name, where it starts in the description and its index. */
struct name_at {
	const char *name;
	size_t at;
	uint32_t i;
};

struct spk_trace_reader {
	char *path;
	FILE *f;
	uint64_t file_bytes;
	char *producer;
	uint32_t model_crc;
	uint32_t time_steps;
	uint32_t n_pops;
	char **names;
	uint32_t *sizes;
	size_t n_slots;
	struct chunk *chunks;
	size_t n_chunks, chunks_cap;
	uint64_t total_spikes;
	uint8_t *zbuf;
	size_t zbuf_cap;
	uint32_t *words;	/* the loaded chunk, decoded to host order */
	size_t words_cap;
	uint32_t *slot_at;	/* [t * n_pops + pop]: index in words of that slot's count */
	struct name_at *name_at;	/* [n_pops], for the duplicate-name check */
	bool loaded;
	char err[ERR_BYTES];
};

static int reader_fail(spk_trace_reader *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reader_fail(spk_trace_reader *r, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, sizeof(r->err), "%s: ", r->path);
	if (n < 0 || (size_t)n >= sizeof(r->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

static int read_at(spk_trace_reader *r, uint64_t offset, void *buf, size_t len)
{
	if (fseeko(r->f, (off_t)offset, SEEK_SET) != 0 || fread(buf, 1, len, r->f) != len)
		return reader_fail(r, -EIO, "byte %llu: cannot read %zu bytes: %s",
				   (unsigned long long)offset, len,
				   ferror(r->f) ? strerror(errno) : "unexpected end of file");
	return 0;
}

/* A cursor over the uncompressed description. */
struct cursor {
	const uint8_t *p;
	size_t len, pos;
};

static bool cur_u32(struct cursor *c, uint32_t *v)
{
	if (c->len - c->pos < 4)
		return false;
	*v = spk_le32_get(c->p + c->pos);
	c->pos += 4;
	return true;
}

/* Reads a str of at most max bytes obeying valid_token(); NULL on any problem (*why says). */
static char *cur_token(struct cursor *c, size_t max, const char **why)
{
	uint32_t len;
	char *s;

	if (!cur_u32(c, &len) || c->len - c->pos < len) {
		*why = "ends inside a string";
		return NULL;
	}
	if (!valid_token((const char *)c->p + c->pos, len, max)) {
		*why = "string empty, too long or not printable without spaces";
		return NULL;
	}
	s = malloc((size_t)len + 1);
	if (s == NULL) {
		*why = "out of memory";
		return NULL;
	}
	memcpy(s, c->p + c->pos, len);
	s[len] = '\0';
	c->pos += len;
	return s;
}

static int cmp_name_at(const void *a, const void *b)
{
	const struct name_at *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Refuses a population name that appears twice, naming the first repeat in file order.
 * Sorted, not pairwise: 65536 populations would take 2^31 comparisons.
 */
static int check_names_unique(spk_trace_reader *r)
{
	const struct name_at *dup = NULL;

	qsort(r->name_at, r->n_pops, sizeof(*r->name_at), cmp_name_at);
	for (uint32_t i = 1; i < r->n_pops; i++)
		if (strcmp(r->name_at[i].name, r->name_at[i - 1].name) == 0 &&
		    (dup == NULL || r->name_at[i].i < dup->i))
			dup = &r->name_at[i];
	if (dup != NULL)
		return reader_fail(r, -EINVAL, "description byte %zu: population name '%s' "
				   "appears twice", dup->at, dup->name);
	return 0;
}

static int parse_description(spk_trace_reader *r, const uint8_t *raw, size_t len)
{
	struct cursor c = { raw, len, 0 };
	const char *why = NULL;
	size_t at;

	r->producer = cur_token(&c, SPK_TRACE_MAX_PRODUCER, &why);
	if (r->producer == NULL)
		return reader_fail(r, -EINVAL, "description byte 0: producer: %s", why);
	at = c.pos;
	if (!cur_u32(&c, &r->model_crc) || !cur_u32(&c, &r->time_steps) ||
	    !cur_u32(&c, &r->n_pops))
		return reader_fail(r, -EINVAL, "description byte %zu: truncated", at);
	if (r->time_steps < 1 || r->time_steps > SPK_TRACE_MAX_STEPS)
		return reader_fail(r, -EINVAL, "description byte %zu: %u timesteps (1..%d)",
				   at + 4, r->time_steps, SPK_TRACE_MAX_STEPS);
	if (r->n_pops < 1 || r->n_pops > SPK_TRACE_MAX_POPS ||
	    (uint64_t)r->n_pops * r->time_steps > SPK_TRACE_MAX_SLOTS)
		return reader_fail(r, -EINVAL, "description byte %zu: %u populations (1..%d, "
				   "at most %u with %u timesteps)", at + 8, r->n_pops,
				   SPK_TRACE_MAX_POPS, SPK_TRACE_MAX_SLOTS / r->time_steps,
				   r->time_steps);
	if ((uint64_t)r->n_pops * 9 > len - c.pos)	/* each: length, a name byte, size */
		return reader_fail(r, -EINVAL, "description byte %zu: truncated: %u populations "
				   "need at least %llu bytes, %zu are left", at + 8, r->n_pops,
				   (unsigned long long)r->n_pops * 9, len - c.pos);
	r->n_slots = (size_t)r->n_pops * r->time_steps;
	r->names = calloc(r->n_pops, sizeof(*r->names));
	r->sizes = calloc(r->n_pops, sizeof(*r->sizes));
	r->slot_at = calloc(r->n_slots, sizeof(*r->slot_at));
	r->name_at = malloc(r->n_pops * sizeof(*r->name_at));
	if (r->names == NULL || r->sizes == NULL || r->slot_at == NULL || r->name_at == NULL)
		return reader_fail(r, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < r->n_pops; i++) {
		at = c.pos;
		r->names[i] = cur_token(&c, SPK_TRACE_MAX_NAME, &why);
		if (r->names[i] == NULL)
			return reader_fail(r, -EINVAL, "description byte %zu: population %u name: %s",
					   at, i, why);
		if (!cur_u32(&c, &r->sizes[i]))
			return reader_fail(r, -EINVAL, "description byte %zu: truncated in "
					   "population %u", c.pos, i);
		if (r->sizes[i] < 1)
			return reader_fail(r, -EINVAL, "description byte %zu: population '%s' has "
					   "no neurons", c.pos - 4, r->names[i]);
		r->name_at[i] = (struct name_at){ r->names[i], at, i };
	}
	if (check_names_unique(r) < 0)
		return -EINVAL;
	if (c.pos != c.len)
		return reader_fail(r, -EINVAL, "description byte %zu: %zu unexpected bytes after "
				   "the population table", c.pos, c.len - c.pos);
	return 0;
}

/* Decompresses exactly raw_len bytes from z; zlib errors become messages naming `what`. */
static int inflate_exact(spk_trace_reader *r, const uint8_t *z, size_t z_len, uint8_t *raw,
			 size_t raw_len, const char *what, uint64_t offset)
{
	uLongf out_len = raw_len;
	uLong in_len = z_len;
	int zret;

	zret = uncompress2(raw, &out_len, z, &in_len);
	if (zret == Z_MEM_ERROR)
		return reader_fail(r, -ENOMEM, "out of memory");
	if (zret == Z_BUF_ERROR && out_len == raw_len)
		return reader_fail(r, -EINVAL, "%sbyte %llu: payload decompresses to more than "
				   "the %zu bytes its header implies", what,
				   (unsigned long long)offset, raw_len);
	if (zret != Z_OK)
		return reader_fail(r, -EINVAL, "%sbyte %llu: corrupt compressed payload (zlib: "
				   "%s)", what, (unsigned long long)offset,
				   zret == Z_BUF_ERROR ? "truncated stream" : zError(zret));
	if (out_len != raw_len)
		return reader_fail(r, -EINVAL, "%sbyte %llu: payload decompresses to %lu bytes, "
				   "its header implies %zu", what, (unsigned long long)offset,
				   (unsigned long)out_len, raw_len);
	if (in_len != z_len)
		return reader_fail(r, -EINVAL, "%sbyte %llu: %lu bytes after the end of the "
				   "compressed stream", what, (unsigned long long)offset,
				   (unsigned long)(z_len - in_len));
	return 0;
}

static int read_header(spk_trace_reader *r, uint64_t *next)
{
	uint8_t h[HEADER_BYTES];
	uint32_t version, flags, z_len, raw_len, crc;
	uint8_t *z = NULL, *raw = NULL;
	size_t n = r->file_bytes < HEADER_BYTES ? (size_t)r->file_bytes : HEADER_BYTES;
	int ret;

	ret = read_at(r, 0, h, n);
	if (ret < 0)
		return ret;
	if (memcmp(h, trace_magic, n < 8 ? n : 8) != 0)
		return reader_fail(r, -EINVAL, "byte 0: not a spike trace (magic is not "
				   "SPKTRACE)");
	if (n < HEADER_BYTES)
		return reader_fail(r, -EINVAL, "byte 0: truncated header: the file has %zu "
				   "bytes, a trace header needs %d", n, HEADER_BYTES);
	version = spk_le32_get(h + 8);
	if (version != TRACE_VERSION)
		return reader_fail(r, -EINVAL, "byte 8: trace format version %u; this spikechip "
				   "reads version %d%s", version, TRACE_VERSION,
				   version > TRACE_VERSION ? " (the file is newer)" : "");
	if (spk_le32_get(h + 28) != spk_crc32(h, 28))
		return reader_fail(r, -EINVAL, "byte 28: header CRC mismatch (corrupt header)");
	flags = spk_le32_get(h + 12);
	if (flags != 0)
		return reader_fail(r, -EINVAL, "byte 12: unknown flags 0x%x", flags);
	z_len = spk_le32_get(h + 16);
	raw_len = spk_le32_get(h + 20);
	crc = spk_le32_get(h + 24);
	if (z_len > r->file_bytes - HEADER_BYTES)
		return reader_fail(r, -EINVAL, "byte %d: truncated description: %u compressed "
				   "bytes, the file has %llu after the header", HEADER_BYTES, z_len,
				   (unsigned long long)(r->file_bytes - HEADER_BYTES));
	if (raw_len > MAX_DESCRIPTION)
		return reader_fail(r, -EINVAL, "byte 20: description of %u bytes is larger than "
				   "any valid one", raw_len);
	z = malloc(z_len ? z_len : 1);
	raw = malloc(raw_len ? raw_len : 1);
	if (z == NULL || raw == NULL) {
		ret = reader_fail(r, -ENOMEM, "out of memory");
		goto out_free;
	}
	ret = read_at(r, HEADER_BYTES, z, z_len);
	if (ret < 0)
		goto out_free;
	ret = inflate_exact(r, z, z_len, raw, raw_len, "description at ", HEADER_BYTES);
	if (ret < 0)
		goto out_free;
	if (spk_crc32(raw, raw_len) != crc) {
		ret = reader_fail(r, -EINVAL, "byte %d: description CRC mismatch (corrupt "
				  "payload)", HEADER_BYTES);
		goto out_free;
	}
	ret = parse_description(r, raw, raw_len);
	*next = HEADER_BYTES + (uint64_t)z_len;
out_free:
	free(raw);
	free(z);
	return ret;
}

/* Walks chunk headers from `at` to the end record, filling the index. */
static int scan_chunks(spk_trace_reader *r, uint64_t at)
{
	uint64_t max_spikes = 0;
	uint8_t h[RECORD_BYTES];
	int ret;

	for (uint32_t i = 0; i < r->n_pops; i++)
		max_spikes += r->sizes[i];
	max_spikes *= r->time_steps;
	for (;;) {
		uint64_t left = r->file_bytes - at;
		struct chunk c;

		if (left < RECORD_BYTES)
			return reader_fail(r, -EINVAL, "byte %llu: truncated file: %llu bytes where "
					   "a chunk header or the end record (%d bytes) should be%s",
					   (unsigned long long)at, (unsigned long long)left,
					   RECORD_BYTES, r->n_chunks ? "" : " (no image, no end)");
		ret = read_at(r, at, h, sizeof(h));
		if (ret < 0)
			return ret;
		if (memcmp(h, end_tag, 4) == 0)
			break;
		if (memcmp(h, chunk_tag, 4) != 0)
			return reader_fail(r, -EINVAL, "byte %llu: neither an image chunk nor the "
					   "end record (tag is not SPKI or SPKE)",
					   (unsigned long long)at);
		c.offset = at;
		c.image = spk_le32_get(h + 4);
		c.spikes = spk_le32_get(h + 8);
		c.z_bytes = spk_le32_get(h + 12);
		c.crc = spk_le32_get(h + 16);
		if (spk_le32_get(h + 20) != spk_crc32(h, 20))
			return reader_fail(r, -EINVAL, "chunk %zu, byte %llu: chunk header CRC "
					   "mismatch (corrupt header; it claims image %u)",
					   r->n_chunks, (unsigned long long)at, c.image);
		if (r->n_chunks > 0 && c.image <= r->chunks[r->n_chunks - 1].image)
			return reader_fail(r, -EINVAL, "image %u, byte %llu: image index not above "
					   "the previous chunk's %u", c.image,
					   (unsigned long long)at, r->chunks[r->n_chunks - 1].image);
		if (c.spikes > max_spikes ||
		    (uint64_t)4 * (r->n_slots + c.spikes) > SPK_TRACE_MAX_RAW)
			return reader_fail(r, -EINVAL, "image %u, byte %llu: %u spikes: more than "
					   "the populations can fire or a chunk can hold", c.image,
					   (unsigned long long)at, c.spikes);
		if (c.z_bytes > left - RECORD_BYTES)
			return reader_fail(r, -EINVAL, "image %u, byte %llu: truncated chunk: "
					   "payload of %u bytes, the file has %llu left", c.image,
					   (unsigned long long)at, c.z_bytes,
					   (unsigned long long)(left - RECORD_BYTES));
		if (grow(&r->chunks, &r->chunks_cap, r->n_chunks + 1, sizeof(*r->chunks)) < 0)
			return reader_fail(r, -ENOMEM, "out of memory");
		r->chunks[r->n_chunks++] = c;
		r->total_spikes += c.spikes;
		at += RECORD_BYTES + (uint64_t)c.z_bytes;
	}
	if (spk_le32_get(h + 20) != spk_crc32(h, 20))
		return reader_fail(r, -EINVAL, "byte %llu: end record CRC mismatch",
				   (unsigned long long)at);
	if (spk_le32_get(h + 4) != r->n_chunks || spk_le64_get(h + 8) != r->total_spikes ||
	    spk_le32_get(h + 16) != 0)
		return reader_fail(r, -EINVAL, "byte %llu: end record says %u images and %llu "
				   "spikes, the chunks hold %zu and %llu",
				   (unsigned long long)at, spk_le32_get(h + 4),
				   (unsigned long long)spk_le64_get(h + 8), r->n_chunks,
				   (unsigned long long)r->total_spikes);
	at += RECORD_BYTES;
	if (at != r->file_bytes)
		return reader_fail(r, -EINVAL, "byte %llu: %llu unexpected bytes after the end "
				   "record", (unsigned long long)at,
				   (unsigned long long)(r->file_bytes - at));
	return 0;
}

spk_trace_reader *spk_trace_reader_open(const char *path, char *err, size_t errlen)
{
	spk_trace_reader *r;
	struct stat st;
	uint64_t at = 0;

	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		set_err(err, errlen, "%s: out of memory", path);
		free(r);
		return NULL;
	}
	r->f = fopen(path, "rb");
	if (r->f == NULL) {
		set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto out_close;
	}
	if (fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode)) {
		set_err(err, errlen, "%s: not a regular file", path);
		goto out_close;
	}
	r->file_bytes = (uint64_t)st.st_size;
	if (read_header(r, &at) < 0 || scan_chunks(r, at) < 0) {
		set_err(err, errlen, "%s", r->err);
		goto out_close;
	}
	return r;

out_close:
	spk_trace_reader_close(r);
	return NULL;
}

void spk_trace_reader_close(spk_trace_reader *r)
{
	if (r == NULL)
		return;
	if (r->f != NULL)
		fclose(r->f);
	if (r->names != NULL)
		for (uint32_t i = 0; i < r->n_pops; i++)
			free(r->names[i]);
	free(r->names);
	free(r->sizes);
	free(r->slot_at);
	free(r->name_at);
	free(r->chunks);
	free(r->zbuf);
	free(r->words);
	free(r->producer);
	free(r->path);
	free(r);
}

const char *spk_trace_reader_path(const spk_trace_reader *r) { return r->path; }
const char *spk_trace_reader_producer(const spk_trace_reader *r) { return r->producer; }
uint32_t spk_trace_reader_model_crc(const spk_trace_reader *r) { return r->model_crc; }
uint32_t spk_trace_reader_time_steps(const spk_trace_reader *r) { return r->time_steps; }
uint32_t spk_trace_reader_pops(const spk_trace_reader *r) { return r->n_pops; }
size_t spk_trace_reader_images(const spk_trace_reader *r) { return r->n_chunks; }
uint64_t spk_trace_reader_total_spikes(const spk_trace_reader *r) { return r->total_spikes; }
const char *spk_trace_reader_error(const spk_trace_reader *r) { return r->err; }

const char *spk_trace_reader_pop_name(const spk_trace_reader *r, uint32_t pop)
{
	assert(pop < r->n_pops);
	return r->names[pop];
}

uint32_t spk_trace_reader_pop_size(const spk_trace_reader *r, uint32_t pop)
{
	assert(pop < r->n_pops);
	return r->sizes[pop];
}

bool spk_trace_reader_find_pop(const spk_trace_reader *r, const char *name, uint32_t *pop)
{
	for (uint32_t i = 0; i < r->n_pops; i++) {
		if (strcmp(r->names[i], name) == 0) {
			*pop = i;
			return true;
		}
	}
	return false;
}

uint32_t spk_trace_reader_image_index(const spk_trace_reader *r, size_t k)
{
	assert(k < r->n_chunks);
	return r->chunks[k].image;
}

uint32_t spk_trace_reader_image_spikes(const spk_trace_reader *r, size_t k)
{
	assert(k < r->n_chunks);
	return r->chunks[k].spikes;
}

bool spk_trace_reader_find_image(const spk_trace_reader *r, uint32_t image, size_t *k)
{
	size_t lo = 0, hi = r->n_chunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->chunks[mid].image < image)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->n_chunks && r->chunks[lo].image == image) {
		*k = lo;
		return true;
	}
	return false;
}

/* Checks the counts and ids of the decoded chunk and fills slot_at. */
static int check_chunk(spk_trace_reader *r, const struct chunk *c, size_t n_words)
{
	size_t pos = 0, slots_left = r->n_slots;

	for (uint32_t t = 0; t < r->time_steps; t++) {
		for (uint32_t p = 0; p < r->n_pops; p++, slots_left--) {
			uint32_t n, size = r->sizes[p];
			const uint32_t *ids;

			/* Every slot still to come needs its count word. */
			assert(n_words - pos >= slots_left);
			n = r->words[pos];
			if (n > n_words - pos - slots_left || n > size)
				return reader_fail(r, -EINVAL, "image %u, byte %llu: timestep %u, "
						   "population '%s': count %u exceeds the "
						   "population (%u neurons) or the chunk (%u "
						   "spikes)", c->image,
						   (unsigned long long)c->offset, t, r->names[p], n,
						   size, c->spikes);
			r->slot_at[(size_t)t * r->n_pops + p] = (uint32_t)pos;
			ids = r->words + pos + 1;
			for (uint32_t i = 0; i < n; i++) {
				if (ids[i] >= size)
					return reader_fail(r, -EINVAL, "image %u, byte %llu: "
							   "timestep %u, population '%s': neuron "
							   "id %u out of range (%u neurons)",
							   c->image, (unsigned long long)c->offset,
							   t, r->names[p], ids[i], size);
				if (i > 0 && ids[i] <= ids[i - 1])
					return reader_fail(r, -EINVAL, "image %u, byte %llu: "
							   "timestep %u, population '%s': ids not "
							   "strictly ascending (%u after %u)",
							   c->image, (unsigned long long)c->offset,
							   t, r->names[p], ids[i], ids[i - 1]);
			}
			pos += 1 + (size_t)n;
		}
	}
	if (pos != n_words)
		return reader_fail(r, -EINVAL, "image %u, byte %llu: the counts add up to %zu "
				   "spikes, the chunk header says %u", c->image,
				   (unsigned long long)c->offset, pos - r->n_slots, c->spikes);
	return 0;
}

int spk_trace_reader_load(spk_trace_reader *r, size_t k)
{
	const struct chunk *c;
	size_t n_words, raw_len;
	uint8_t *raw;
	char what[64];
	int ret;

	assert(k < r->n_chunks);
	c = &r->chunks[k];
	r->loaded = false;
	n_words = r->n_slots + c->spikes;
	raw_len = 4 * n_words;
	if (grow(&r->zbuf, &r->zbuf_cap, c->z_bytes ? c->z_bytes : 1, 1) < 0 ||
	    grow(&r->words, &r->words_cap, n_words, sizeof(*r->words)) < 0)
		return reader_fail(r, -ENOMEM, "out of memory");
	ret = read_at(r, c->offset + RECORD_BYTES, r->zbuf, c->z_bytes);
	if (ret < 0)
		return ret;
	raw = (uint8_t *)r->words;
	snprintf(what, sizeof(what), "image %u, ", c->image);
	ret = inflate_exact(r, r->zbuf, c->z_bytes, raw, raw_len, what, c->offset);
	if (ret < 0)
		return ret;
	if (spk_crc32(raw, raw_len) != c->crc)
		return reader_fail(r, -EINVAL, "image %u, byte %llu: chunk CRC mismatch (corrupt "
				   "payload)", c->image, (unsigned long long)c->offset);
	for (size_t i = 0; i < n_words; i++)
		r->words[i] = spk_le32_get(raw + 4 * i);
	ret = check_chunk(r, c, n_words);
	if (ret < 0)
		return ret;
	r->loaded = true;
	return 0;
}

const uint32_t *spk_trace_reader_spikes(const spk_trace_reader *r, uint32_t t, uint32_t pop,
					size_t *n)
{
	uint32_t at;

	assert(r->loaded && t < r->time_steps && pop < r->n_pops);
	at = r->slot_at[(size_t)t * r->n_pops + pop];
	*n = r->words[at];
	return r->words + at + 1;
}

