/*
 * fuzz_image.c — libFuzzer harness of the chip-image reader (image/image.h, spk_image_parse(),
 * what spk_image_load() calls on a file's bytes), whose loader also validates the image
 * (image/validate.c) and derives its multicast groups. First byte: the mode of fuzz.h.
 */
#include "config.h"

#include "image/image.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	void *owned;
	size_t n;
	const uint8_t *file = fuzz_file_bytes(&spk_image_format, data, size, &n, &owned);
	struct spk_image *img;

	if (file == NULL)
		return 0;
	img = spk_image_parse(file, n, "fuzz.spki", err, sizeof(err));
	spk_image_destroy(img);
	free(owned);
	return 0;
}
