/*
 * idx.c — IDX dataset reader (plain or gzip through zlib's gz* interface); see idx.h.
 *
 * Everything is read sequentially with gzread, so a gzip file is never decompressed twice and
 * only the images asked for are decompressed. Sizes from the header are bounded before any
 * allocation, and every short read is reported as a truncation naming how many bytes were
 * expected and how many came. The image buffer grows as the data arrives (read_grow), so a
 * header that claims more images than the file holds (up to 2^32 of 16 Mi pixels) costs no
 * more memory than the data that is really there: a gzip stream's length is not known before
 * it is read.
 */
#include "config.h"

#include "data/idx.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct idx_file {
	gzFile gz;
	const char *path;
	uint8_t type;
	uint8_t ndim;
	uint32_t dims[4];
	uint64_t offset;	/* bytes read so far (uncompressed) */
};

static int fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	k = snprintf(err, errlen, "%s: ", path);
	if (k >= 0 && (size_t)k < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Reads exactly n bytes (n may exceed INT_MAX); returns the count read, or -1 on a gz error. */
static long long read_full(struct idx_file *f, void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < n) {
		unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
		int k = gzread(f->gz, p + got, chunk);

		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	f->offset += got;
	return (long long)got;
}

/* The first buffer of read_grow(), doubled until the data is read. */
#define GROW_FIRST (1u << 20)

/*
 * Reads up to n bytes into a malloc()ed buffer (*out) that grows with the data read. Returns
 * the count read (short at the end of the file), -1 on a gz error, -2 out of memory; *out is
 * NULL after an error.
 */
static long long read_grow(struct idx_file *f, uint8_t **out, size_t n)
{
	size_t cap = n < GROW_FIRST ? n : GROW_FIRST, got = 0;
	uint8_t *buf = malloc(cap > 0 ? cap : 1), *p;
	long long k;

	*out = NULL;
	if (buf == NULL)
		return -2;
	for (;;) {
		k = read_full(f, buf + got, cap - got);
		if (k < 0) {
			f->offset -= got;	/* read_error() reports where this read began */
			free(buf);
			return -1;
		}
		got += (size_t)k;
		if (got < cap || got == n)
			break;
		cap = cap > n / 2 ? n : 2 * cap;
		p = realloc(buf, cap);
		if (p == NULL) {
			free(buf);
			return -2;
		}
		buf = p;
	}
	*out = buf;
	return (long long)got;
}

static int read_error(struct idx_file *f, char *err, size_t errlen, const char *what,
		      size_t want, long long got)
{
	int zerr;
	const char *msg;

	if (got < 0) {
		msg = gzerror(f->gz, &zerr);
		return fail(err, errlen, f->path, "corrupt compressed data reading %s at byte %llu: "
			    "%s", what, (unsigned long long)f->offset,
			    zerr == Z_ERRNO ? strerror(errno) : msg);
	}
	return fail(err, errlen, f->path, "truncated reading %s: %zu bytes needed at byte %llu, "
		    "the file ends after %lld", what, want,
		    (unsigned long long)(f->offset - (uint64_t)got), got);
}

static int idx_open(struct idx_file *f, const char *path, char *err, size_t errlen)
{
	uint8_t head[4], dim[4];
	long long got;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->gz = gzopen(path, "rb");
	if (f->gz == NULL)
		return fail(err, errlen, path, "cannot open: %s",
			    errno ? strerror(errno) : "out of memory");
	gzbuffer(f->gz, 1u << 17);
	got = read_full(f, head, 4);
	if (got != 4)
		return read_error(f, err, errlen, "the IDX magic", 4, got);
	if (head[0] != 0 || head[1] != 0)
		return fail(err, errlen, path, "not an IDX file (bad magic %02x %02x %02x %02x; "
			    "expected 00 00 <type> <dims>)", head[0], head[1], head[2], head[3]);
	f->type = head[2];
	f->ndim = head[3];
	if (f->ndim < 1 || f->ndim > 4)
		return fail(err, errlen, path, "%u dimensions (1 to 4 supported)", f->ndim);
	for (unsigned i = 0; i < f->ndim; i++) {
		got = read_full(f, dim, 4);
		if (got != 4)
			return read_error(f, err, errlen, "the dimension sizes", 4, got);
		f->dims[i] = (uint32_t)dim[0] << 24 | (uint32_t)dim[1] << 16 |
			     (uint32_t)dim[2] << 8 | dim[3];
	}
	return 0;
}

static void idx_close(struct idx_file *f)
{
	if (f->gz != NULL)
		gzclose(f->gz);
	f->gz = NULL;
}

/* After reading all of a file's data, nothing may follow. */
static int check_end(struct idx_file *f, char *err, size_t errlen)
{
	uint8_t extra;
	long long got = read_full(f, &extra, 1);

	if (got < 0)
		return read_error(f, err, errlen, "the end of the file", 1, got);
	if (got > 0)
		return fail(err, errlen, f->path, "trailing bytes after the data (at byte %llu)",
			    (unsigned long long)(f->offset - 1));
	return 0;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int load_images(struct spk_dataset *ds, const char *path, uint32_t limit,
		       char *err, size_t errlen)
{
	struct idx_file f;
	size_t elem, image, bytes;
	uint8_t *raw = NULL;
	long long got;
	int rc;

	rc = idx_open(&f, path, err, errlen);
	if (rc < 0)
		goto out_close;
	if (f.type != SPK_IDX_U8 && f.type != SPK_IDX_F32) {
		rc = fail(err, errlen, path, "element type 0x%02x not supported for images "
			  "(0x08 uint8 or 0x0d float32)", f.type);
		goto out_close;
	}
	if (f.ndim != 3 && f.ndim != 4) {
		rc = fail(err, errlen, path, "images must have 3 (N×H×W) or 4 (N×C×H×W) "
			  "dimensions, not %u", f.ndim);
		goto out_close;
	}
	ds->type = (enum spk_idx_type)f.type;
	ds->n_file = f.dims[0];
	ds->channels = f.ndim == 4 ? f.dims[1] : 1;
	ds->height = f.dims[f.ndim - 2];
	ds->width = f.dims[f.ndim - 1];
	if (ds->n_file == 0 || ds->channels == 0 || ds->height == 0 || ds->width == 0) {
		rc = fail(err, errlen, path, "empty image set (%u images of %ux%ux%u)", ds->n_file,
			  ds->channels, ds->height, ds->width);
		goto out_close;
	}
	if (ds->height > SPK_IDX_MAX_DIM || ds->width > SPK_IDX_MAX_DIM ||
	    (uint64_t)ds->channels * ds->height * ds->width > SPK_IDX_MAX_IMAGE) {
		rc = fail(err, errlen, path, "images of %ux%ux%u are too large", ds->channels,
			  ds->height, ds->width);
		goto out_close;
	}
	ds->n = limit == 0 || limit > ds->n_file ? ds->n_file : limit;
	elem = f.type == SPK_IDX_U8 ? 1 : 4;
	image = (size_t)ds->channels * ds->height * ds->width;
	bytes = (size_t)ds->n * image * elem;
	got = read_grow(&f, &raw, bytes);
	if (got == -2) {
		fail(err, errlen, path, "out of memory for %u images", ds->n);
		rc = -ENOMEM;
		goto out_close;
	}
	if (got != (long long)bytes) {
		rc = read_error(&f, err, errlen, "the image data", bytes, got);
		goto out_free;
	}
	if (ds->n == ds->n_file) {
		rc = check_end(&f, err, errlen);
		if (rc < 0)
			goto out_free;
	}
	if (f.type == SPK_IDX_U8) {
		ds->u8 = raw;
		raw = NULL;
	} else {
		size_t count = (size_t)ds->n * image;

		ds->f32 = malloc(count * sizeof(float));
		if (ds->f32 == NULL) {
			rc = fail(err, errlen, path, "out of memory for %u images", ds->n);
			rc = -ENOMEM;
			goto out_free;
		}
		for (size_t i = 0; i < count; i++) {
			uint32_t u = be32(raw + 4 * i);

			memcpy(&ds->f32[i], &u, sizeof(float));
			if (!isfinite(ds->f32[i])) {
				rc = fail(err, errlen, path, "image %zu holds a non-finite pixel",
					  i / image);
				goto out_free;
			}
		}
	}
	rc = 0;
out_free:
	free(raw);
out_close:
	idx_close(&f);
	return rc;
}

static int load_labels(struct spk_dataset *ds, const char *path, char *err, size_t errlen)
{
	struct idx_file f;
	long long got;
	int rc;

	rc = idx_open(&f, path, err, errlen);
	if (rc < 0)
		goto out_close;
	if (f.type != SPK_IDX_U8 || f.ndim != 1) {
		rc = fail(err, errlen, path, "labels must be a 1-dimensional uint8 IDX file (type "
			  "0x%02x, %u dimensions here)", f.type, f.ndim);
		goto out_close;
	}
	if (f.dims[0] != ds->n_file) {
		rc = fail(err, errlen, path, "%u labels for %u images", f.dims[0], ds->n_file);
		goto out_close;
	}
	ds->labels = malloc(ds->n);
	if (ds->labels == NULL) {
		rc = -ENOMEM;
		fail(err, errlen, path, "out of memory");
		goto out_close;
	}
	got = read_full(&f, ds->labels, ds->n);
	if (got != (long long)ds->n) {
		rc = read_error(&f, err, errlen, "the labels", ds->n, got);
		goto out_close;
	}
	if (ds->n == ds->n_file)
		rc = check_end(&f, err, errlen);
out_close:
	idx_close(&f);
	return rc;
}

int spk_dataset_load(struct spk_dataset *ds, const char *images, const char *labels,
		     uint32_t limit, char *err, size_t errlen)
{
	int rc;

	memset(ds, 0, sizeof(*ds));
	rc = load_images(ds, images, limit, err, errlen);
	if (rc == 0 && labels != NULL)
		rc = load_labels(ds, labels, err, errlen);
	if (rc < 0)
		spk_dataset_fini(ds);
	return rc;
}

void spk_dataset_fini(struct spk_dataset *ds)
{
	free(ds->u8);
	free(ds->f32);
	free(ds->labels);
	memset(ds, 0, sizeof(*ds));
}

int spk_dataset_load_for_model(struct spk_dataset *ds, uint32_t channels, uint32_t height,
			       uint32_t width, const char *model_path, const char **images,
			       const char **labels, uint32_t limit, char *err, size_t errlen)
{
	int rc;

	if (*images == NULL) {
		*images = SPK_DATASET_DEFAULT_IMAGES;
		*labels = SPK_DATASET_DEFAULT_LABELS;
	}
	rc = spk_dataset_load(ds, *images, *labels, limit, err, errlen);
	if (rc < 0)
		return rc;
	if (ds->channels != channels || ds->height != height || ds->width != width) {
		snprintf(err, errlen, "%s: images are %ux%ux%u, model '%s' expects %ux%ux%u",
			 *images, ds->channels, ds->height, ds->width, model_path, channels, height,
			 width);
		spk_dataset_fini(ds);
		return -EINVAL;
	}
	return 0;
}

size_t spk_dataset_image_size(const struct spk_dataset *ds)
{
	return (size_t)ds->channels * ds->height * ds->width;
}

void spk_dataset_image_u8(const struct spk_dataset *ds, uint32_t i, uint8_t *out)
{
	size_t n = spk_dataset_image_size(ds);

	if (ds->u8 != NULL) {
		memcpy(out, ds->u8 + (size_t)i * n, n);
		return;
	}
	for (size_t k = 0; k < n; k++) {
		double v = round(ds->f32[(size_t)i * n + k]);

		out[k] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
	}
}

void spk_dataset_image_f64(const struct spk_dataset *ds, uint32_t i, double *out)
{
	size_t n = spk_dataset_image_size(ds);

	for (size_t k = 0; k < n; k++)
		out[k] = ds->u8 != NULL ? ds->u8[(size_t)i * n + k] : ds->f32[(size_t)i * n + k];
}
