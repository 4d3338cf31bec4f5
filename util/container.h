/*
 * container.h — the envelope every binary file of spikechip shares (doc/formats.md, "Common
 * rules"): a 32-byte header, then a zlib stream of the payload.
 *
 *   offset  size  field
 *        0     8  magic (ASCII, names the format: "SPKMODEL", "SPKIMAGE", "SPKSEGRS")
 *        8     4  version (u32, little-endian, as every field)
 *       12     4  flags (0)
 *       16     4  payload_bytes: the compressed payload's length
 *       20     4  payload_raw_bytes: its length once decompressed
 *       24     4  payload_crc32: CRC-32 of the decompressed payload
 *       28     4  header_crc32: CRC-32 of bytes 0..27
 *       32        the payload, zlib-compressed
 *
 * The model file (models/model.h), the chip image (image/image.h) and the segment result file
 * (sim/segfile.h) are each a payload inside this envelope; what the payload holds is theirs.
 * A format describes itself once in a struct spk_container (magic, version, the words its
 * messages use, its limits, its zlib level) and calls:
 *
 *   spk_container_wrap()    payload -> the file's bytes (malloc()ed)
 *   spk_container_write()   payload -> PATH, atomically (util/outfile.h)
 *   spk_container_unwrap()  the file's bytes -> the payload (malloc()ed), every header field,
 *                           length and CRC checked before use
 *   spk_container_read()    PATH -> the payload (util.h spk_read_file, then unwrap)
 *
 * Errors by whose fault: a truncated, corrupt, foreign or newer file is the user's, so unwrap
 * refuses it with a message naming the file, the field and its byte offset ("NAME: version 2 at
 * byte 8 is not supported ..."), and returns -EINVAL (-ENOMEM when memory ran out). The same
 * wording for every format, so one test of this module covers all three readers' envelopes.
 */
#ifndef SPK_CONTAINER_H
#define SPK_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#define SPK_CONTAINER_HEADER_BYTES 32u

struct spk_container {
	const char *magic;	/* exactly 8 characters */
	uint32_t version;	/* the one this program reads and writes */
	const char *what;	/* the format in messages, with its article: "a chip image" */
	uint32_t max_raw;	/* payload_raw_bytes above this is refused (reading and writing) */
	size_t max_file;	/* a file longer than this is not even read (spk_container_read) */
	int level;		/* zlib compression level of the writer */
};

/*
 * The whole file for payload[0..n): header and compressed payload, malloc()ed (*len bytes; the
 * caller frees it). NULL with "out of memory ..." or "... beyond the format's limit" in err.
 */
void *spk_container_wrap(const struct spk_container *fmt, const void *payload, size_t n,
			 size_t *len, char *err, size_t errlen);

/* Wraps payload and writes it to path through an atomic output file. 0 or a negative errno,
 * with "PATH: ..." in err. */
int spk_container_write(const struct spk_container *fmt, const void *payload, size_t n,
			const char *path, char *err, size_t errlen);

/*
 * Checks the envelope of file[0..len) and returns its payload, decompressed and CRC-checked,
 * in *raw (malloc()ed, *raw_len bytes; the caller frees it) and its CRC in *crc (may be NULL).
 * name prefixes every message ("NAME: ..."); NULL leaves the prefix out. 0, -EINVAL or -ENOMEM.
 */
int spk_container_unwrap(const struct spk_container *fmt, const void *file, size_t len,
			 const char *name, uint8_t **raw, size_t *raw_len, uint32_t *crc,
			 char *err, size_t errlen);

/* Reads path (at most fmt->max_file bytes) and unwraps it, as above. */
int spk_container_read(const struct spk_container *fmt, const char *path, uint8_t **raw,
		       size_t *raw_len, uint32_t *crc, char *err, size_t errlen);

/* CRC-32 (zlib's) of any length: zlib takes at most 4 GiB - 1 per call. */
uint32_t spk_crc32(const void *buf, size_t len);

#endif
