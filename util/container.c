/*
 * container.c — the header + zlib envelope of spikechip's binary files; see container.h.
 *
 * The reader checks in file order (magic, header CRC, version, flags, sizes) so that the first
 * thing wrong is the one named, and checks every length against the file before it touches
 * the bytes it announces: a file cut anywhere is a message, never an out-of-bounds read.
 */
#include "config.h"

#include "util/container.h"
#include "util/le.h"
#include "util/outfile.h"
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define H SPK_CONTAINER_HEADER_BYTES
/* The largest ratio of a deflate stream: 258 bytes (one longest match) in 2 bits. */
#define ZLIB_MAX_RATIO 1032u

uint32_t spk_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uLong crc = crc32(0L, Z_NULL, 0);

	while (len > 0) {
		size_t k = len > (1u << 30) ? (1u << 30) : len;

		crc = crc32(crc, p, (uInt)k);
		p += k;
		len -= k;
	}
	return (uint32_t)crc;
}

void *spk_container_wrap(const struct spk_container *fmt, const void *payload, size_t n,
			 size_t *len, char *err, size_t errlen)
{
	uLongf clen;
	uint8_t *f;
	int zrc;

	if (n > fmt->max_raw) {
		snprintf(err, errlen, "the payload is %zu bytes uncompressed, beyond the format's "
			 "limit of %u", n, fmt->max_raw);
		return NULL;
	}
	clen = compressBound(n);
	f = malloc(H + clen);
	if (f == NULL) {
		snprintf(err, errlen, "out of memory compressing %zu bytes", n);
		return NULL;
	}
	zrc = compress2(f + H, &clen, payload, n, fmt->level);
	if (zrc != Z_OK || clen > UINT32_MAX) {
		snprintf(err, errlen, "zlib could not compress the payload (%d)", zrc);
		free(f);
		return NULL;
	}
	memcpy(f, fmt->magic, 8);
	spk_le32_put(f + 8, fmt->version);
	spk_le32_put(f + 12, 0);
	spk_le32_put(f + 16, (uint32_t)clen);
	spk_le32_put(f + 20, (uint32_t)n);
	spk_le32_put(f + 24, spk_crc32(payload, n));
	spk_le32_put(f + 28, spk_crc32(f, 28));
	*len = H + clen;
	return f;
}

int spk_container_write(const struct spk_container *fmt, const void *payload, size_t n,
			const char *path, char *err, size_t errlen)
{
	char msg[256];
	size_t len;
	uint8_t *f = spk_container_wrap(fmt, payload, n, &len, msg, sizeof(msg));
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, msg);
		return -ENOMEM;
	}
	rc = spk_outfile_write(path, f, len, err, errlen);
	free(f);
	return rc;
}

static int bad(char *err, size_t errlen, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
	va_list ap;
	int k = 0;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	if (name != NULL)
		k = snprintf(err, errlen, "%s: ", name);
	if (k >= 0 && (size_t)k < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* "1 GiB", or "N-byte" for a limit that is not a whole number of GiB. */
static const char *limit_words(char *buf, size_t len, uint32_t max)
{
	if (max % (1u << 30) == 0)
		snprintf(buf, len, "%u GiB", max >> 30);
	else
		snprintf(buf, len, "%u-byte", max);
	return buf;
}

int spk_container_unwrap(const struct spk_container *fmt, const void *file, size_t len,
			 const char *name, uint8_t **raw_out, size_t *raw_len, uint32_t *crc_out,
			 char *err, size_t errlen)
{
	const uint8_t *b = file;
	uint32_t version, flags, clen, rawlen, crc, hcrc;
	uint8_t *raw;
	uLongf got;
	uLong src;
	char lim[32];
	int zrc;

	*raw_out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len < H)
		return bad(err, errlen, name, "truncated: %zu bytes, shorter than the %u-byte "
			   "header", len, H);
	if (memcmp(b, fmt->magic, 8) != 0)
		return bad(err, errlen, name, "not %s (magic is not '%s')", fmt->what, fmt->magic);
	version = spk_le32_get(b + 8);
	flags = spk_le32_get(b + 12);
	clen = spk_le32_get(b + 16);
	rawlen = spk_le32_get(b + 20);
	crc = spk_le32_get(b + 24);
	hcrc = spk_le32_get(b + 28);
	if (spk_crc32(b, 28) != hcrc)
		return bad(err, errlen, name, "header CRC mismatch at byte 28 (stored 0x%08x, "
			   "computed 0x%08x): the header is corrupt", hcrc, spk_crc32(b, 28));
	if (version != fmt->version)
		return bad(err, errlen, name, "version %u at byte 8 is not supported (this "
			   "spikechip reads version %u%s)", version, fmt->version,
			   version > fmt->version ? "; a newer file" : "");
	if (flags != 0)
		return bad(err, errlen, name, "flags 0x%08x at byte 12 (must be 0)", flags);
	if (rawlen > fmt->max_raw)
		return bad(err, errlen, name, "payload_raw_bytes %u at byte 20 is above the %s "
			   "limit", rawlen, limit_words(lim, sizeof(lim), fmt->max_raw));
	if (len - H < clen)
		return bad(err, errlen, name, "truncated: the header announces %u payload bytes, "
			   "the file holds %zu after the header", clen, len - H);
	if (len - H > clen)
		return bad(err, errlen, name, "%zu trailing bytes after the payload (at byte %llu)",
			   len - H - clen, (unsigned long long)H + clen);
	/*
	 * deflate encodes at most 258 bytes in 2 bits (1032:1), so a header that claims more
	 * than that of its payload is refused before its claim is allocated.
	 */
	if ((uint64_t)rawlen > (uint64_t)clen * ZLIB_MAX_RATIO + 64)
		return bad(err, errlen, name, "payload_raw_bytes %u at byte 20 is more than the %u "
			   "compressed bytes can hold (at most %u:1)", rawlen, clen,
			   ZLIB_MAX_RATIO);
	raw = malloc(rawlen > 0 ? rawlen : 1);
	if (raw == NULL) {
		bad(err, errlen, name, "out of memory for a %u-byte payload", rawlen);
		return -ENOMEM;
	}
	got = rawlen;
	src = clen;
	zrc = uncompress2(raw, &got, b + H, &src);
	if (zrc != Z_OK || got != rawlen || src != clen) {
		if (zrc == Z_OK && got != rawlen)
			bad(err, errlen, name, "payload decompresses to %lu bytes, the header says "
			    "%u", (unsigned long)got, rawlen);
		else if (zrc == Z_OK)
			bad(err, errlen, name, "%lu bytes after the end of the compressed stream",
			    (unsigned long)(clen - src));
		else if (zrc == Z_BUF_ERROR && got == rawlen)
			bad(err, errlen, name, "payload at byte %u does not decompress to the %u "
			    "bytes the header says (more data, or a corrupt or truncated "
			    "stream)", H, rawlen);
		else
			bad(err, errlen, name, "payload at byte %u does not decompress: %s", H,
			    zrc == Z_MEM_ERROR ? "out of memory" : "not a valid zlib stream "
			    "(corrupt data)");
		free(raw);
		return zrc == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
	}
	if (spk_crc32(raw, rawlen) != crc) {
		bad(err, errlen, name, "payload CRC mismatch (stored 0x%08x, computed 0x%08x): "
		    "corrupt data", crc, spk_crc32(raw, rawlen));
		free(raw);
		return -EINVAL;
	}
	*raw_out = raw;
	*raw_len = rawlen;
	if (crc_out != NULL)
		*crc_out = crc;
	return 0;
}

int spk_container_read(const struct spk_container *fmt, const char *path, uint8_t **raw,
		       size_t *raw_len, uint32_t *crc, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	int rc;

	*raw = NULL;
	rc = spk_read_file(path, fmt->max_file, fmt->what, &buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = spk_container_unwrap(fmt, buf, len, path, raw, raw_len, crc, err, errlen);
	free(buf);
	return rc;
}
