/*
 * model_build.h — writes model files (doc/formats.md "Model file") from C: the inverse of
 * model.h's reader, for tests and tools that need a small model without the Python exporter.
 *
 * The builder records exactly what it is told, in the file's own layout (weights
 * [c_out][c_in][k][k], LINEAR [classes][c_in]) and with the counts the caller gives, and checks
 * nothing: a test can build a deliberately inconsistent file (an index out of range, a shape
 * that does not chain) and see the reader reject it. Records are numbered in the order they
 * are added; the add functions return that index.
 *
 *	b = spk_model_build_create("tiny", "fashion-mnist", T, 1, 28, 28, 10, mean, std, NAN);
 *	s0 = spk_model_build_site(b, "enc", 8, 14, 14);
 *	...
 *	spk_model_build_write(b, "tiny.spkm", err, sizeof(err));
 *	spk_model_build_destroy(b);
 *
 * Ownership: create/destroy; payload() and file() return malloc'd buffers the caller frees,
 * model() a model the caller destroys.
 * Out of memory makes the builder fail once and for all: payload()/file() return NULL and
 * write() returns -ENOMEM.
 */
#ifndef SPK_MODEL_BUILD_H
#define SPK_MODEL_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct spk_model;
struct spk_model_build;

struct spk_model_build *spk_model_build_create(const char *config, const char *dataset,
					       uint32_t time_steps, uint32_t in_channels,
					       uint32_t in_height, uint32_t in_width,
					       uint32_t classes, const double *mean,
					       const double *std, double float_accuracy);
void spk_model_build_destroy(struct spk_model_build *b);

uint32_t spk_model_build_site(struct spk_model_build *b, const char *name, uint32_t channels,
			      uint32_t height, uint32_t width);
uint32_t spk_model_build_pop(struct spk_model_build *b, const char *name, uint32_t site,
			     uint32_t kind, double threshold);

/* weight[c_out][in_channels][kernel][kernel], bias[c_out] (in_channels from create()). */
uint32_t spk_model_build_encoder(struct spk_model_build *b, const char *name, uint32_t dst_site,
				 uint32_t kernel, uint32_t stride, uint32_t pad, uint32_t c_out,
				 const float *weight, const float *bias);
uint32_t spk_model_build_fire(struct spk_model_build *b, const char *name, uint32_t pop);
/* weight[c_out][c_in][kernel][kernel], bias[c_out]. */
uint32_t spk_model_build_conv(struct spk_model_build *b, const char *name, uint32_t src_pop,
			      uint32_t dst_site, uint32_t kernel, uint32_t stride, uint32_t pad,
			      uint32_t c_in, uint32_t c_out, const float *weight,
			      const float *bias);
uint32_t spk_model_build_attn(struct spk_model_build *b, const char *name, uint32_t q_pop,
			      uint32_t k_pop, uint32_t v_pop, uint32_t dst_site, uint32_t heads,
			      double scale);
/* weight[classes][c_in], bias[classes] (classes from create()). */
uint32_t spk_model_build_linear(struct spk_model_build *b, const char *name, uint32_t src_pop,
				uint32_t c_in, const float *weight, const float *bias);

/* Appends raw bytes after the last operation (to test the reader's exact-consumption check). */
void spk_model_build_raw(struct spk_model_build *b, const void *bytes, size_t n);

/* The uncompressed payload (*len bytes), or NULL. */
void *spk_model_build_payload(const struct spk_model_build *b, size_t *len);

/* The whole file (header + compressed payload), or NULL. */
void *spk_model_build_file(const struct spk_model_build *b, size_t *len);

/* Wraps any payload in a valid header with a compressed copy of it: a whole file, or NULL. */
void *spk_model_file_wrap(const void *payload, size_t n, size_t *len);

/*
 * The model the file holds, read back by model.h's reader as if from a file called `name`:
 * the caller's to spk_model_destroy(). NULL with the message in err when the builder is out of
 * memory or the reader refuses the file.
 */
struct spk_model *spk_model_build_model(const struct spk_model_build *b, const char *name,
					char *err, size_t errlen);

/* Writes the file atomically. 0, or a negative errno with "PATH: what" in err. */
int spk_model_build_write(const struct spk_model_build *b, const char *path, char *err,
			  size_t errlen);

#endif
