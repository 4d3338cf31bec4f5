/*
 * fuzz.h — what every libFuzzer harness of tests/fuzz/ shares (doc/robustness.md).
 *
 * A harness is one LLVMFuzzerTestOneInput() that hands its bytes to one file reader the way a
 * command would, then frees everything. Readers that take a path get the bytes through one
 * temporary file per process (fuzz_tmpfile(), removed at exit); readers that take memory get
 * them directly.
 *
 * The binary formats carry CRC-32s (util/container.h), which random mutations almost never
 * keep right. So the harnesses of those formats read their first byte as a mode: odd, the rest
 * is the whole file (envelope, header and CRC checks); even, the rest is the payload, which
 * fuzz_wrap() puts into a valid envelope first, so that mutations reach the payload's parser.
 *
 * Header-only: each harness is one translation unit compiled with clang's
 * -fsanitize=fuzzer,address,undefined together with the reader's sources (tests/fuzz/local.mk).
 */
#ifndef SPK_FUZZ_H
#define SPK_FUZZ_H

#include "util/container.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[4096];

static inline void fuzz_remove(void)
{
	if (fuzz_path[0] != '\0')
		unlink(fuzz_path);
}

/* The process's temporary file, created on first use in $TMPDIR (or /tmp). */
static inline const char *fuzz_tmpfile(const char *suffix)
{
	if (fuzz_path[0] == '\0') {
		const char *dir = getenv("TMPDIR");
		int fd;

		snprintf(fuzz_path, sizeof(fuzz_path), "%s/spk-fuzz-XXXXXX%s",
			 dir != NULL && dir[0] != '\0' ? dir : "/tmp", suffix);
		fd = mkstemps(fuzz_path, (int)strlen(suffix));
		if (fd < 0) {
			perror("fuzz: mkstemps");
			abort();
		}
		close(fd);
		atexit(fuzz_remove);
	}
	return fuzz_path;
}

/* Writes data[0..n) to the temporary file and returns its path. */
static inline const char *fuzz_write(const void *data, size_t n, const char *suffix)
{
	const char *path = fuzz_tmpfile(suffix);
	FILE *f = fopen(path, "wb");

	if (f == NULL || (n > 0 && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
		perror("fuzz: writing the temporary file");
		abort();
	}
	return path;
}

/*
 * The bytes a reader of fmt gets for an input: data[1..size) as is when data[0] is odd,
 * else wrapped as a payload into a valid envelope (zlib level 1: speed, not size). Sets *n;
 * *owned is what the caller frees (NULL when nothing was allocated). NULL for an empty input.
 */
static inline const uint8_t *fuzz_file_bytes(const struct spk_container *fmt,
					     const uint8_t *data, size_t size, size_t *n,
					     void **owned)
{
	struct spk_container fast = *fmt;
	char err[512];

	*owned = NULL;
	if (size == 0)
		return NULL;
	if (data[0] & 1) {
		*n = size - 1;
		return data + 1;
	}
	fast.level = 1;
	fast.max_raw = UINT32_MAX;	/* the reader's own limit is the one under test */
	*owned = spk_container_wrap(&fast, data + 1, size - 1, n, err, sizeof(err));
	if (*owned == NULL) {
		fprintf(stderr, "fuzz: wrapping the payload: %s\n", err);
		abort();
	}
	return *owned;
}

#endif
