/*
 * ref.h — reference inference: executes a model's op program (doc/formats.md "Model file")
 * image by image, either exactly in the integers of doc/semantics.md (the golden model the
 * chip simulator and the RTL are checked against, spike for spike) or in float64 (the model
 * as trained, checked against PyTorch).
 *
 * How it runs: per image, membranes start at 0; per timestep, every site starts at 0 and the
 * operations run in list order. The ENCODER's contribution is computed once per image and
 * re-added at each timestep. CONV and LINEAR are event-driven: work is done only for the
 * spikes of the source population: each spike (c, y, x) adds one contiguous row of weights
 * (over output channels) to every output position in its receptive field. ATTN counts KV
 * from the K and V spikes of each token, then adds a KV row per Q spike. FIRE is the only
 * dense step (one LIF update per neuron).
 *
 * Integer arithmetic (doc/semantics.md): sites are int64; one CONV's spikes accumulate in an
 * int32 buffer (the quantizer proved it cannot overflow) that is then widened into its site
 * with the bias; the encoder, attention and head are exact in 64 bits. The result does not
 * depend on the order in which spikes are processed.
 *
 * Statistics (doc/semantics.md §8) accumulate over all images run: spikes per population,
 * SOPs and attention additions per operation, and the static dense capacity and encoder
 * MACs. Spikes can be observed through a hook, called after every FIRE with the ids of the
 * neurons that spiked (flat index in C order over the population's site: (c·H + y)·W + x;
 * a spatial-mean population's neuron is its channel).
 *
 * Ownership: spk_ref_create()/spk_ref_destroy(); the engine borrows the model (and the
 * quantized model in integer mode), which must outlive it. All memory is allocated by
 * create(): running an image never allocates.
 */
#ifndef SPK_REF_H
#define SPK_REF_H

#include "models/model.h"
#include "models/quant.h"

#include <stddef.h>
#include <stdint.h>

struct spk_ref;

/*
 * Called after each FIRE with the spiking neurons' ids (in no particular order; the
 * set is what matters). A negative return stops the image: spk_ref_run() returns it.
 */
typedef int (*spk_ref_spike_fn)(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids,
				size_t n);

struct spk_ref_stats {
	uint64_t images;		/* images run */
	uint32_t time_steps;		/* T per image */
	uint64_t *pop_spikes;		/* [n_pops] over all images */
	uint64_t *op_sops;		/* [n_ops] CONV and LINEAR synaptic ops, over all images */
	uint64_t *op_attn;		/* [n_ops] ATTN additions, over all images */
	uint64_t *op_dense;		/* [n_ops] dense capacity per timestep (CONV, ATTN, LINEAR) */
	uint64_t enc_macs;		/* encoder MACs per image */
};

/*
 * An engine for model m. q selects integer mode (NULL: float64 mode). time_steps overrides the
 * model's T when non-zero. Returns NULL with a message in err (out of memory only).
 */
struct spk_ref *spk_ref_create(const struct spk_model *m, const struct spk_qmodel *q,
			       uint32_t time_steps, char *err, size_t errlen);
void spk_ref_destroy(struct spk_ref *r);

void spk_ref_set_spike_hook(struct spk_ref *r, spk_ref_spike_fn fn, void *ctx);

/*
 * Runs one image of in_channels × in_height × in_width pixels on the 0..255 scale: `u8` in
 * integer mode, `f64` in float mode (the other may be NULL). Writes the classes logits
 * (integer mode: score·σ_h/T) and returns the predicted class (the largest logit, the lowest
 * index on ties), or a negative value a spike hook returned.
 */
int spk_ref_run(struct spk_ref *r, const uint8_t *u8, const double *f64, double *logits);

/* The statistics so far; valid until destroy. */
const struct spk_ref_stats *spk_ref_get_stats(const struct spk_ref *r);

/*
 * Integer mode: the membranes of population pop as its last FIRE left them, channel-last
 * ((y·W + x)·C + c; a spatial-mean population's neuron c at c). NULL in float mode.
 */
const int64_t *spk_ref_membranes(const struct spk_ref *r, uint32_t pop);

/* Integer mode: the head's scores Σ_t L_t of the last image ([classes]); NULL in float mode. */
const int64_t *spk_ref_scores(const struct spk_ref *r);

/*
 * Integer mode: the ENCODER's contribution of the last image (or the image being run), as added
 * at every timestep: channel-last over its site ((y·W + x)·C + c). NULL in float mode.
 */
const int64_t *spk_ref_encoder_out(const struct spk_ref *r);

#endif
