/*
 * image.c — the chip image in memory: allocation and destruction, names, accessors, the graded
 * axons of pieces and mean populations, and the error context every file of image/ reports
 * through; see image.h for what an image means.
 *
 * The rest of the module: format.c (the bytes, doc/formats.md "Chip image"), validate.c (the
 * network's and the tiles' semantic checks, shared by the reader and the mapper), mc.c (the
 * tree-multicast groups the mapper and the chip top derive alike).
 */
#include "config.h"

#include "image/image.h"
#include "image/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- error messages ------------------------------------------------------------------------ */

int efail(struct ectx *e, const char *fmt, ...)
{
	va_list ap;
	int k = 0;

	if (e->err == NULL || e->errlen == 0)
		return -EINVAL;
	if (e->file != NULL)
		k = snprintf(e->err, e->errlen, "%s: ", e->file);
	if (k >= 0 && (size_t)k < e->errlen && e->where[0] != '\0')
		k += snprintf(e->err + k, e->errlen - (size_t)k, "%s: ", e->where);
	if (k >= 0 && (size_t)k < e->errlen) {
		va_start(ap, fmt);
		vsnprintf(e->err + k, e->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void where(struct ectx *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->where, sizeof(e->where), fmt, ap);
	va_end(ap);
}

void where_tile(struct ectx *e, const struct spk_image *img, uint32_t t, const char *what,
		uint32_t i)
{
	if (what == NULL)
		where(e, "tile %u (x %u, y %u)", t, t % img->mesh_x, t / img->mesh_x);
	else
		where(e, "tile %u (x %u, y %u): %s %u", t, t % img->mesh_x, t / img->mesh_x, what, i);
}

/* ---- names and small helpers ----------------------------------------------------------------- */

const char *spk_image_tile_kind_name(enum spk_tile_kind k)
{
	switch (k) {
	case SPK_TILE_CORE: return "core";
	case SPK_TILE_ATTENTION: return "attention";
	case SPK_TILE_ENCODER: return "encoder";
	case SPK_TILE_READOUT: return "readout";
	}
	return "?";
}

const char *spk_image_step_type_name(enum spk_step_type t)
{
	switch (t) {
	case SPK_STEP_ENCODER: return "ENCODER";
	case SPK_STEP_FIRE: return "FIRE";
	case SPK_STEP_CONV: return "CONV";
	case SPK_STEP_ATTN: return "ATTN";
	case SPK_STEP_LINEAR: return "LINEAR";
	}
	return "?";
}

uint32_t spk_image_slots_per_element(uint32_t n_readers, uint32_t n_means, bool encoder)
{
	uint32_t s = (n_readers <= 1 && n_means == 0) ? 1 : 1 + n_readers;

	return s + (encoder ? 1 : 0);
}

size_t spk_image_piece_size(const struct spk_image *img, const struct spk_image_piece *p)
{
	return (size_t)(p->c1 - p->c0) * (p->y1 - p->y0) * img->sites[p->site].width;
}

/* ---- axons ----------------------------------------------------------------------------------- */

uint32_t spk_image_piece_axon(const struct spk_image *img, const struct spk_image_piece *p,
			      bool enc)
{
	uint32_t spe;

	if (!enc)
		return p->slot_base;
	spe = spk_image_slots_per_element(img->n_site_readers[p->site], site_means(img, p->site),
					  img->site_encoder[p->site]);
	return p->slot_base + (spe - 1) * (uint32_t)spk_image_piece_size(img, p);
}

uint32_t spk_image_mean_axon(const struct spk_image *img, const struct spk_image_tile *t,
			     uint32_t pop)
{
	uint32_t base = 0;

	for (uint32_t m = 0; m < t->n_means; m++) {
		if (t->means[m].pop == pop)
			return base;
		base += img->sites[img->pops[t->means[m].pop].site].channels;
	}
	return UINT32_MAX;
}

/* ---- accessors ------------------------------------------------------------------------------- */

const struct spk_image_tile *spk_image_tile_at(const struct spk_image *img, uint32_t x, uint32_t y)
{
	if (x >= img->mesh_x || y >= img->mesh_y)
		return NULL;
	return &img->tiles[(size_t)y * img->mesh_x + x];
}

bool spk_image_arch_value(const struct spk_image *img, const char *name, int64_t *value)
{
	for (uint32_t i = 0; i < img->n_arch; i++) {
		if (strcmp(img->arch[i].name, name) == 0) {
			*value = img->arch[i].value;
			return true;
		}
	}
	return false;
}

uint32_t site_means(const struct spk_image *img, uint32_t s)
{
	uint32_t n = 0;

	for (uint32_t p = 0; p < img->n_pops; p++)
		if (img->pops[p].site == s && img->pops[p].kind == 1)
			n++;
	return n;
}

/* Bytes of one stored weight. */
size_t wbytes(const struct spk_image *img)
{
	return img->weight_bits <= 8 ? 1 : 2;
}

/* ---- destroy / alloc ------------------------------------------------------------------------- */

static void free_tile(struct spk_image_tile *t)
{
	for (uint32_t i = 0; i < t->n_pieces && t->pieces != NULL; i++)
		free(t->pieces[i].theta);
	for (uint32_t i = 0; i < t->n_projs && t->projs != NULL; i++) {
		free(t->projs[i].w);
		free(t->projs[i].bias);
	}
	if (t->encoder != NULL) {
		free(t->encoder->w);
		free(t->encoder->zero);
		free(t->encoder->mult);
		free(t->encoder->bias);
		free(t->encoder);
	}
	for (uint32_t i = 0; i < t->n_means && t->means != NULL; i++)
		free(t->means[i].theta);
	if (t->head != NULL) {
		free(t->head->w);
		free(t->head->bias);
		free(t->head);
	}
	free(t->pieces);
	free(t->projs);
	free(t->attn);
	free(t->means);
	free(t->routes);
}

void spk_image_destroy(struct spk_image *img)
{
	if (img == NULL)
		return;
	free(img->model_config);
	free(img->model_dataset);
	for (uint32_t i = 0; i < img->n_arch && img->arch != NULL; i++)
		free(img->arch[i].name);
	free(img->arch);
	for (uint32_t i = 0; i < img->n_sites && img->sites != NULL; i++)
		free(img->sites[i].name);
	for (uint32_t i = 0; i < img->n_pops && img->pops != NULL; i++)
		free(img->pops[i].name);
	for (uint32_t i = 0; i < img->n_steps && img->steps != NULL; i++)
		free(img->steps[i].name);
	free(img->sites);
	free(img->pops);
	free(img->steps);
	if (img->site_readers != NULL)
		for (uint32_t i = 0; i < img->n_sites; i++)
			free(img->site_readers[i]);
	free(img->site_readers);
	free(img->n_site_readers);
	free(img->site_encoder);
	for (uint32_t i = 0; i < img->n_tiles && img->tiles != NULL; i++)
		free_tile(&img->tiles[i]);
	free(img->tiles);
	free(img);
}

struct spk_image *spk_image_alloc(void)
{
	return calloc(1, sizeof(struct spk_image));
}
