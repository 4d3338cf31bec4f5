/*
 * fuzz_segfile.c — libFuzzer harness of the segment result file reader (sim/segfile.h,
 * spk_segfile_read(), what `sim --resume` reads). It takes a path, so the bytes go through the
 * temporary file. First byte: the mode of fuzz.h. A file that reads must survive a round trip:
 * written again and read back, it writes the same bytes.
 */
#include "config.h"

#include "sim/segfile.h"
#include "tests/fuzz/fuzz.h"

/* The envelope the reader expects (its limits are the reader's own, not needed here). */
static const struct spk_container segfile_format = {
	.magic = SPK_SEGFILE_MAGIC,
	.version = SPK_SEGFILE_VERSION,
	.what = "a segment result file",
	.max_raw = UINT32_MAX,
	.max_file = SIZE_MAX,
	.level = 1,
};

/* The whole file at path (small: the harness's inputs are); *n bytes, malloc()ed. */
static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(1u << 20);

	if (f == NULL || b == NULL)
		abort();
	*n = fread(b, 1, 1u << 20, f);
	fclose(f);
	return b;
}

/* Writes s to a second temporary file, reads it back, writes that again: the same bytes. */
static void round_trip(const struct spk_segfile *s)
{
	char a[4200], b[4200], err[1024];
	struct spk_segfile *s2;
	uint8_t *fa, *fb;
	size_t na, nb;

	snprintf(a, sizeof(a), "%s.a", fuzz_tmpfile(".seg"));
	snprintf(b, sizeof(b), "%s.b", fuzz_tmpfile(".seg"));
	if (spk_segfile_write(a, &s->key, &s->st, s->res, s->links, err, sizeof(err)) < 0)
		abort();
	s2 = spk_segfile_read(a, err, sizeof(err));
	if (s2 == NULL) {
		fprintf(stderr, "fuzz: a segment file, written again, does not read: %s\n", err);
		abort();
	}
	if (spk_segfile_write(b, &s2->key, &s2->st, s2->res, s2->links, err, sizeof(err)) < 0)
		abort();
	fa = slurp(a, &na);
	fb = slurp(b, &nb);
	if (na != nb || memcmp(fa, fb, na) != 0) {
		fprintf(stderr, "fuzz: a segment file's round trip changes its bytes\n");
		abort();
	}
	unlink(a);
	unlink(b);
	free(fa);
	free(fb);
	free(s2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	void *owned;
	size_t n;
	const uint8_t *file = fuzz_file_bytes(&segfile_format, data, size, &n, &owned);
	struct spk_segfile *s;
	struct spk_segfile_key want = { 0 };

	if (file == NULL)
		return 0;
	s = spk_segfile_read(fuzz_write(file, n, ".seg"), err, sizeof(err));
	if (s != NULL) {
		uint64_t sum = 0;

		(void)spk_segfile_match(&s->key, &want, err, sizeof(err));
		for (uint32_t i = 0; i < s->key.n; i++)
			sum += s->res[i].cls;
		for (uint32_t t = 0; t < s->key.n_tiles; t++)
			sum += s->links[5 * t] + s->busy[t] + s->refused[t];
		if (sum == 1)
			fprintf(stderr, "%s", "");	/* keeps the reads */
		round_trip(s);
	}
	free(s);
	free(owned);
	return 0;
}
