/*
 * energy_ref.h — the chip image's image-dependent event counts from the integer reference's run:
 * what the functional executor (mapper/exec.h) counts as it runs a chip image, obtained instead
 * from the reference inference (models/ref.h), which computes each site whole rather than piece
 * by piece, and therefore at the reference's own speed.
 *
 * The counts are those of spk_exec_route_events() and its siblings, to the event: spikes sent
 * along each SPIKE entry (the spikes of the entry's piece), partial sums along each MEAN entry
 * (a piece's channels per timestep), non-zero graded values along each ATTN and ENCODER entry,
 * and per tile and step the SOPs (each spike that reaches a tile × the output positions its
 * receptive field covers in the piece × the piece's channels; the head: classes per spike) and
 * attention additions. They follow from the reference's spikes and values because the chip image
 * computes exactly those (the validation ladder: `spikechip map --verify`); how each is derived
 * is in energy_ref.c. Per image and timestep the spikes of a population are binned once by
 * piece and input row, so the cost beyond the reference is per spike, not per (spike, piece).
 *
 * One structure the executor allows is not covered: an attention unit that receives only some
 * pieces of its Q, K or V population (it would compute another attention than the reference's,
 * which `spikechip map` never compiles). spk_energy_ref_create() refuses it with -ENOTSUP; the
 * executor counts such an image.
 *
 * Ownership: spk_energy_ref_create()/spk_energy_ref_destroy(); the counter borrows the image,
 * the model and the quantized model, which must outlive it. Running an image allocates nothing.
 */
#ifndef SPK_ENERGY_REF_H
#define SPK_ENERGY_REF_H

#include "image/image.h"
#include "models/model.h"
#include "models/quant.h"
#include "models/ref.h"

#include <stddef.h>
#include <stdint.h>

struct spk_energy_ref;

/*
 * A counter for image img, compiled from model m (quantized as q, at the image's weight and
 * membrane bits). 0 and *out, or -ENOMEM, or -ENOTSUP for an image it cannot count (above), with
 * a message in err.
 */
int spk_energy_ref_create(const struct spk_image *img, const struct spk_model *m,
			  const struct spk_qmodel *q, struct spk_energy_ref **out, char *err,
			  size_t errlen);
void spk_energy_ref_destroy(struct spk_energy_ref *c);

/* Called after each FIRE with the population's spiking neurons, as spk_ref_set_spike_hook(). */
void spk_energy_ref_set_spike_hook(struct spk_energy_ref *c, spk_ref_spike_fn fn, void *ctx);

/* Runs one image (8-bit pixels) through the reference and counts it. The class, or < 0. */
int spk_energy_ref_run(struct spk_energy_ref *c, const uint8_t *pixels);

/* The counts over all images run since the last clear, as spk_exec_route_events() etc. */
uint64_t spk_energy_ref_route_events(const struct spk_energy_ref *c, uint32_t t, uint32_t k);
uint64_t spk_energy_ref_tile_sops(const struct spk_energy_ref *c, uint32_t t);
uint64_t spk_energy_ref_tile_attn_ops(const struct spk_energy_ref *c, uint32_t t);
uint64_t spk_energy_ref_step_ops(const struct spk_energy_ref *c, uint32_t i);
void spk_energy_ref_clear_counts(struct spk_energy_ref *c);

#endif
