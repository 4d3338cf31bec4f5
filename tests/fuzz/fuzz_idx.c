/*
 * fuzz_idx.c — libFuzzer harness of the IDX data-set reader (data/idx.h, spk_dataset_load()),
 * plain and gzip. First byte, bits:
 *   0  gzip the rest before the reader sees it (else the rest is the file as is: a gzip seed
 *      then exercises zlib's side, a plain one the IDX parser directly)
 *   1  read the rest as a label file, next to a valid image file with as many images as the
 *      labels' header claims (up to 4096; else 1 image, and the count check refuses it)
 *   2-3  the image limit: 0 (all), 1, 2 or 3
 */
#include "config.h"

#include "data/idx.h"
#include "tests/fuzz/fuzz.h"

#include <zlib.h>

static char images_path[4096];

static void remove_images(void)
{
	unlink(images_path);
}

/* A valid N×1×1 uint8 image file with n images, for a label file under test. */
static const char *images_file(uint32_t n)
{
	static uint8_t buf[16 + 4096];
	FILE *f;

	if (images_path[0] == '\0') {
		const char *dir = getenv("TMPDIR");
		int fd;

		snprintf(images_path, sizeof(images_path), "%s/spk-fuzz-img-XXXXXX",
			 dir != NULL && dir[0] != '\0' ? dir : "/tmp");
		fd = mkstemp(images_path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(remove_images);
	}
	memset(buf, 0, sizeof(buf));
	buf[2] = 0x08;
	buf[3] = 3;
	buf[4] = (uint8_t)(n >> 24);
	buf[5] = (uint8_t)(n >> 16);
	buf[6] = (uint8_t)(n >> 8);
	buf[7] = (uint8_t)n;
	buf[11] = 1;
	buf[15] = 1;
	f = fopen(images_path, "wb");
	if (f == NULL || fwrite(buf, 1, 16 + n, f) != 16 + n || fclose(f) != 0)
		abort();
	return images_path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spk_dataset ds;
	char err[1024];
	const char *path;
	uint32_t limit;
	int rc;

	if (size == 0)
		return 0;
	limit = (data[0] >> 2) & 3;
	if (data[0] & 1) {
		const char *p = fuzz_tmpfile(".gz");
		gzFile gz = gzopen(p, "wb1");

		if (gz == NULL || (size > 1 && gzwrite(gz, data + 1, (unsigned)(size - 1)) == 0) ||
		    gzclose(gz) != Z_OK)
			abort();
		path = p;
	} else {
		path = fuzz_write(data + 1, size - 1, ".gz");
	}
	if (data[0] & 2) {
		uint32_t n = 1;

		if (size >= 9 && data[1] == 0 && data[2] == 0 && data[4] == 1) {
			n = (uint32_t)data[5] << 24 | (uint32_t)data[6] << 16 |
			    (uint32_t)data[7] << 8 | data[8];
			if (n == 0 || n > 4096)
				n = 1;
		}
		rc = spk_dataset_load(&ds, images_file(n), path, limit, err, sizeof(err));
	} else {
		rc = spk_dataset_load(&ds, path, NULL, limit, err, sizeof(err));
	}
	if (rc == 0 && ds.n > 0) {
		size_t k = spk_dataset_image_size(&ds);
		uint8_t *u8 = malloc(k);
		double *f64 = malloc(k * sizeof(double));

		if (u8 == NULL || f64 == NULL)
			abort();
		spk_dataset_image_u8(&ds, ds.n - 1, u8);
		spk_dataset_image_f64(&ds, ds.n - 1, f64);
		free(u8);
		free(f64);
	}
	spk_dataset_fini(&ds);
	return 0;
}
