/*
 * fuzz_image.c — libFuzzer harness of the chip-image reader (image/image.h, spk_image_parse(),
 * what spk_image_load() calls on a file's bytes), whose loader also validates the image
 * (image/validate.c). First byte: the mode of fuzz.h. An image that loads then goes through
 * what `sim` and `map` do with one: the check against an architecture (the defaults), the
 * multicast groups and their payload check; and it must survive a round trip: its serialised
 * bytes load again and serialise to the same bytes.
 */
#include "config.h"

#include "arch/arch.h"
#include "image/image.h"
#include "tests/fuzz/fuzz.h"

static void use_loaded(const struct spk_image *img)
{
	struct spk_arch a;
	struct spk_image_mc mc;
	struct spk_image *again;
	char err[1024];
	void *f1, *f2;
	size_t n1, n2;

	spk_arch_init_defaults(&a);
	(void)spk_image_check_arch(img, &a, err, sizeof(err));
	if (spk_image_mc_groups(img, &mc) == 0) {
		(void)spk_image_check_mc_payload(img, &a, &mc, err, sizeof(err));
		spk_image_mc_fini(&mc);
	}
	f1 = spk_image_serialize(img, &n1, err, sizeof(err));
	if (f1 == NULL)
		return;
	again = spk_image_parse(f1, n1, "again.spki", err, sizeof(err));
	if (again == NULL) {
		fprintf(stderr, "fuzz: a loaded image, serialised, does not load: %s\n", err);
		abort();
	}
	f2 = spk_image_serialize(again, &n2, err, sizeof(err));
	if (f2 == NULL || n2 != n1 || memcmp(f1, f2, n1) != 0) {
		fprintf(stderr, "fuzz: an image's round trip changes its bytes\n");
		abort();
	}
	free(f2);
	spk_image_destroy(again);
	free(f1);
}

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
	if (img != NULL)
		use_loaded(img);
	spk_image_destroy(img);
	free(owned);
	return 0;
}
