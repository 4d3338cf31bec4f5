/*
 * fuzz_trace.c — libFuzzer harness of the spike-trace reader (traces/trace.h): open (the
 * structural walk over the chunk headers), then every accessor of the description, then
 * load() of each chunk (at most 64) and the spikes of its first slots, as `spikechip trace`
 * does. The reader takes a path, so the bytes go through the temporary file as they are: the
 * header CRCs are left to libFuzzer's comparison tracing.
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"
#include "traces/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	spk_trace_reader *r;
	uint64_t sum = 0;

	r = spk_trace_reader_open(fuzz_write(data, size, ".spkt"), err, sizeof(err));
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
