/*
 * spec.h — the sweep file of `spikechip sweep` (doc/dse.md): what to vary, over what, and the
 * points that makes.
 *
 *   [sweep]
 *   arch   = default                 ; the base architecture: a preset or a file
 *   model  = models/fmnist_t4.spkm   ; one model, or a list (then the model is an axis)
 *   images = 100                     ; the first N test images of every point
 *   data   = FILE, labels = FILE     ; other images than the Fashion-MNIST test set
 *   seed   = 1                       ; the mapper's placement seed
 *   sample = 0                       ; 0: every point of the grid; N: N points drawn with
 *   sample_seed = 1                  ;    sample_seed, in grid order
 *
 *   [axes]                           ; the grid: the product of every axis, first axis slowest
 *   core.adders = 16, 32, 64         ; a list (any value the architecture file takes)
 *   chip.mesh_x = 12..16             ; an integer range, step 1; 16..128:x2 doubles, 4..16:4 steps
 *
 *   [zip NAME]                       ; paired axes: lists of one length, varied together, one
 *   chip.mesh_x = 12, 16             ; axis of the grid (at the place of the section)
 *   chip.mesh_y = 12, 16
 *
 * Relative paths (arch, model, data, labels) are relative to the sweep file's directory; a path
 * not found there is looked up as spk_data_path() does (the source tree, the installed data), so
 * that `models/fmnist_t4.spkm` and the preset names work from anywhere.
 *
 * Every value is checked when the file is read, alone against the parameter's row (type, range,
 * choices): a bad one is the file's error, "FILE:LINE: message". A point whose values break a
 * rule between parameters (membrane narrower than weights, a mesh too small for the units) is
 * not: the sweep records it as invalid, with the rule's message.
 *
 * Ownership: spk_sweep_spec_load() allocates; spk_sweep_spec_free() releases.
 */
#ifndef SPK_DSE_SPEC_H
#define SPK_DSE_SPEC_H

#include "arch/arch.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define SPK_SWEEP_MAX_POINTS 100000u
#define SPK_SWEEP_MAX_AXES 32

/* One varied parameter: "section.key", and its values (text, as an architecture file has them). */
struct spk_sweep_param {
	char section[32], key[32];
	char **values;
	uint32_t n_values;
	int line;
};

/* One axis of the grid: one parameter, or a zip group of several with one length. */
struct spk_sweep_axis {
	char name[64];			/* "core.adders", or "zip NAME" */
	struct spk_sweep_param *params;
	uint32_t n_params;
	uint32_t n_values;		/* of every param */
	int line;
};

struct spk_sweep_spec {
	char path[PATH_MAX];		/* the sweep file as given */
	char arch[PATH_MAX];		/* the base architecture, resolved */
	char **models;			/* resolved paths; more than one: an axis */
	uint32_t n_models;
	char data[PATH_MAX], labels[PATH_MAX];	/* "" = the default test set */
	uint32_t images;
	uint64_t seed;
	uint32_t sample;		/* 0: the whole grid */
	uint64_t sample_seed;
	struct spk_sweep_axis axes[SPK_SWEEP_MAX_AXES];	/* the model axis is not among them */
	uint32_t n_axes;
	uint64_t grid;			/* points of the grid: models × Π axis values */
	uint32_t n_points;		/* points swept: grid, or sample */
	uint64_t *points;		/* [n_points] grid index of every point, ascending */
	struct spk_arch base;		/* the base architecture, loaded and checked */
	char *text;			/* the file's bytes, for spk_sweep_spec_same() */
	size_t text_len;
};

/*
 * Reads and checks a sweep file. Returns the spec, or NULL with "FILE:LINE: message" (or
 * "FILE: message") in err.
 */
struct spk_sweep_spec *spk_sweep_spec_load(const char *path, char *err, size_t errlen);
void spk_sweep_spec_free(struct spk_sweep_spec *s);

/* Point k's value index on every axis (idx[n_axes]) and its model; from the grid index. */
void spk_sweep_point_indices(const struct spk_sweep_spec *s, uint32_t k, uint32_t *model,
			     uint32_t *idx);

/*
 * Point k's architecture: the base with every axis value of the point set. 0, or -1 with the
 * broken rule's "[section] key: problem" in err (an invalid point).
 */
int spk_sweep_point_arch(const struct spk_sweep_spec *s, uint32_t k, struct spk_arch *a,
			 char *err, size_t errlen);

/* "core.adders=32 noc.multicast=tree" (and "model=NAME" when the model is an axis). */
void spk_sweep_point_label(const struct spk_sweep_spec *s, uint32_t k, char *buf, size_t len);

#endif
