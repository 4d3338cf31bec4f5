/*
 * internal.h — what the files of image/ share and nobody else uses: the error context of the
 * reader and the checks (messages "FILE: where: what"), the checks the reader runs record by
 * record as it parses (validate.c), and two small facts about an image.
 *
 * The functions keep short names inside image/ (the macros below); their link names carry the
 * spk_image__ prefix, so they cannot collide with another module's.
 */
#ifndef SPK_IMAGE_INTERNAL_H
#define SPK_IMAGE_INTERNAL_H

#include "image/image.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_STR 4096u
#define MAX_DIM 65535u
#define MAX_SITE (1u << 28)

struct ectx {
	const char *file;	/* NULL: no file prefix (builder) */
	char *err;
	size_t errlen;
	char where[160];	/* the record being read or checked */
};

#define efail(...) spk_image__efail(__VA_ARGS__)
#define where(...) spk_image__where(__VA_ARGS__)
#define where_tile(...) spk_image__where_tile(__VA_ARGS__)
#define site_means(...) spk_image__site_means(__VA_ARGS__)
#define wbytes(...) spk_image__wbytes(__VA_ARGS__)
#define check_arch(...) spk_image__check_arch(__VA_ARGS__)
#define check_network(...) spk_image__check_network(__VA_ARGS__)
#define check_piece(...) spk_image__check_piece(__VA_ARGS__)
#define check_proj(...) spk_image__check_proj(__VA_ARGS__)
#define check_attn(...) spk_image__check_attn(__VA_ARGS__)
#define check_encoder(...) spk_image__check_encoder(__VA_ARGS__)
#define check_mean(...) spk_image__check_mean(__VA_ARGS__)
#define check_head(...) spk_image__check_head(__VA_ARGS__)
#define check_thetas(...) spk_image__check_thetas(__VA_ARGS__)
#define check_encoder_values(...) spk_image__check_encoder_values(__VA_ARGS__)
#define check_head_values(...) spk_image__check_head_values(__VA_ARGS__)
#define check_tiles(...) spk_image__check_tiles(__VA_ARGS__)

/* Writes "FILE: where: what" into e->err; returns -EINVAL. */
int efail(struct ectx *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Names the record being read or checked, for the next message. */
void where(struct ectx *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void where_tile(struct ectx *e, const struct spk_image *img, uint32_t t, const char *what,
		uint32_t i);
uint32_t site_means(const struct spk_image *img, uint32_t s);
size_t wbytes(const struct spk_image *img);
int check_arch(struct ectx *e, struct spk_image *img);
int check_network(struct ectx *e, struct spk_image *img);
int check_piece(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
		const struct spk_image_piece *p);
int check_proj(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
	       const struct spk_image_tile *tile, const struct spk_image_proj *pr);
int check_attn(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
	       const struct spk_image_attn *a);
int check_encoder(struct ectx *e, const struct spk_image *img, uint32_t t,
		  const struct spk_image_encoder *en);
int check_mean(struct ectx *e, const struct spk_image *img, uint32_t t, uint32_t i,
	       const struct spk_image_mean *mn);
int check_head(struct ectx *e, const struct spk_image *img, uint32_t t,
	       const struct spk_image_head *h);
int check_thetas(struct ectx *e, const int64_t *th, size_t n);
int check_encoder_values(struct ectx *e, const struct spk_image *img,
			 const struct spk_image_encoder *en);
int check_head_values(struct ectx *e, const struct spk_image *img,
		      const struct spk_image_head *h);
int check_tiles(struct ectx *e, const struct spk_image *img, bool contents);

#endif
