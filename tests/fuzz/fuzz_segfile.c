/*
 * fuzz_segfile.c — libFuzzer harness of the segment result file reader (sim/segfile.h,
 * spk_segfile_read(), what `sim --resume` reads). It takes a path, so the bytes go through the
 * temporary file. First byte: the mode of fuzz.h.
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
	}
	free(s);
	free(owned);
	return 0;
}
