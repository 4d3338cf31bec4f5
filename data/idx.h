/*
 * idx.h — image datasets in the IDX format (the MNIST / Fashion-MNIST format), plain or
 * gzip-compressed, read through zlib (gzread reads both transparently). It lives in data/, the
 * home of what reads data sets, below every command that runs images (ref, map --verify, sim):
 * it knows pixels and labels, not models (a model's input shape is passed in).
 *
 * IDX: two zero bytes, an element-type byte, a dimension count, the big-endian u32 sizes, then
 * the big-endian elements in C order. Images are N×H×W (one channel) or N×C×H×W with uint8
 * (0x08) or float32 (0x0D) elements; labels are a 1-D uint8 file of N class indices. A float32
 * image file holds pixel intensities on the same 0..255 scale as a uint8 one (the model file's
 * normalisation divides by 255); the integer reference, whose encoder reads 8-bit pixels, rounds
 * them to the nearest integer in 0..255.
 *
 * Ownership: the caller allocates struct spk_dataset; spk_dataset_load() fills it and
 * spk_dataset_fini() frees what it holds (fini of a zeroed struct is a no-op).
 *
 * Errors: a bad file is the user's; spk_dataset_load() returns a negative errno and writes
 * "FILE: what" into the caller's buffer (bad magic, unsupported type, truncation, count
 * mismatch between images and labels). It never prints.
 */
#ifndef SPK_IDX_H
#define SPK_IDX_H

#include <stddef.h>
#include <stdint.h>

enum spk_idx_type {
	SPK_IDX_U8 = 0x08,
	SPK_IDX_F32 = 0x0D,
};

#define SPK_IDX_MAX_DIM 65535u
#define SPK_IDX_MAX_IMAGE (1u << 24)	/* channels·height·width of one image */

struct spk_dataset {
	uint32_t n;			/* images loaded (at most the limit asked for) */
	uint32_t n_file;		/* images the file holds */
	uint32_t channels, height, width;
	enum spk_idx_type type;
	uint8_t *u8;			/* [n][channels][height][width] when type is U8 */
	float *f32;			/* the same when type is F32, native byte order */
	uint8_t *labels;		/* [n], or NULL without a labels file */
};

/*
 * Loads the first `limit` images (0: all) of an image file and, if labels is not NULL, as many
 * labels from a label file that must hold exactly as many entries as the image file. When all
 * of a file is read, bytes after its data are an error. Returns 0 or a negative errno with
 * "FILE: what" in err.
 */
int spk_dataset_load(struct spk_dataset *ds, const char *images, const char *labels,
		     uint32_t limit, char *err, size_t errlen);

void spk_dataset_fini(struct spk_dataset *ds);

/* What a command runs on without --data: the Fashion-MNIST test set (config.h's directory). */
#define SPK_DATASET_DEFAULT_IMAGES SPK_FMNIST_DIR "/t10k-images-idx3-ubyte.gz"
#define SPK_DATASET_DEFAULT_LABELS SPK_FMNIST_DIR "/t10k-labels-idx1-ubyte.gz"

/*
 * The data set a command runs a model on: the first `limit` images of *images, with the labels
 * of *labels (may be NULL); or, when *images is NULL, the default set, whose two files are then
 * stored in *images and *labels. The images must have the model's input shape, channels x
 * height x width (the message names the image file and model_path). Returns 0, or a negative
 * errno with the message in err and ds empty.
 */
int spk_dataset_load_for_model(struct spk_dataset *ds, uint32_t channels, uint32_t height,
			       uint32_t width, const char *model_path, const char **images,
			       const char **labels, uint32_t limit, char *err, size_t errlen);

/* channels·height·width */
size_t spk_dataset_image_size(const struct spk_dataset *ds);

/* Image i as 8-bit pixels (float images rounded to the nearest integer, clamped to 0..255). */
void spk_dataset_image_u8(const struct spk_dataset *ds, uint32_t i, uint8_t *out);

/* Image i as pixel values on the 0..255 scale, unrounded. */
void spk_dataset_image_f64(const struct spk_dataset *ds, uint32_t i, double *out);

#endif
