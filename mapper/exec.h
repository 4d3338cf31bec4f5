/*
 * exec.h — the functional executor of a chip image: runs an image tile by tile, without timing,
 * using only what the image holds — each tile's memories (pieces, thresholds, kernels, KV
 * regions, encoder weights, the head) and its routing table. It is the independent second
 * implementation that `spikechip map --verify` compares, spike for spike, with the integer
 * reference (models/ref.h): a mistake in partitioning, slicing, routing or the image format
 * shows up as a divergence.
 *
 * Per image: membranes start at 0 and every encoder tile computes its channels' output once,
 * sending it along its ENCODER entries into the destination pieces' encoder registers. Per
 * timestep: every accumulator is 0; the steps run in order, each on the tiles that hold it:
 *   ENCODER  pieces of its site add their encoder register;
 *   FIRE     each piece of the population's site updates its membranes from its accumulator
 *            (doc/semantics.md §3) and sends its spikes along the tile's SPIKE entries into the
 *            destination tiles' inboxes; a spatial-mean population: pieces send partial sums
 *            along MEAN entries and the readout fires;
 *   CONV     each projection of the step adds, for every spike of its source in its tile's
 *            inbox, kernel rows into the piece's outputs in the receptive field, then biases;
 *   ATTN     the attention unit counts KV from its K and V inbox, accumulates Q·KV and sends
 *            the non-zero values along its ATTN entries;
 *   LINEAR   the readout adds the head's rows for its mean population's spikes.
 * Events sent per routing entry are counted (measured traffic: spikes, non-zero graded values,
 * partial sums; what the chip's units send), and per tile the synaptic operations and attention
 * additions (doc/semantics.md §8), as the chip counts them: `spikechip energy` builds every
 * dynamic energy event of the chip from these (sim/energy.h).
 *
 * Ownership: spk_exec_create()/spk_exec_destroy(); the executor borrows the image. All memory is
 * allocated by create(); running an image allocates nothing.
 */
#ifndef SPK_EXEC_H
#define SPK_EXEC_H

#include "image/image.h"

#include <stddef.h>
#include <stdint.h>

struct spk_exec;

/* Called after each FIRE with the ids of the population's spiking neurons (any order). */
typedef int (*spk_exec_spike_fn)(void *ctx, uint32_t t, uint32_t pop, const uint32_t *ids,
				 size_t n);

struct spk_exec *spk_exec_create(const struct spk_image *img, char *err, size_t errlen);
void spk_exec_destroy(struct spk_exec *x);

void spk_exec_set_spike_hook(struct spk_exec *x, spk_exec_spike_fn fn, void *ctx);

/*
 * Runs one image of in_channels x in_height x in_width 8-bit pixels. Writes the head's scores
 * Σ_t L_t ([classes], may be NULL) and returns the predicted class, or a negative value the hook
 * returned.
 */
int spk_exec_run(struct spk_exec *x, const uint8_t *pixels, int64_t *scores);

/*
 * Events sent along routing entry k of tile t, over all images run: spikes (SPIKE), partial sums
 * (MEAN, one per channel of the piece and timestep), non-zero graded values (ATTN, ENCODER).
 */
uint64_t spk_exec_route_events(const struct spk_exec *x, uint32_t t, uint32_t k);

/* Synaptic operations of tile t (CONV kernel rows; the readout's head rows), all images run. */
uint64_t spk_exec_tile_sops(const struct spk_exec *x, uint32_t t);

/* Attention additions of tile t (one per (K, V) spike pair, d per Q spike), all images run. */
uint64_t spk_exec_tile_attn_ops(const struct spk_exec *x, uint32_t t);

/* Step i's SOPs (CONV, LINEAR) or attention additions (ATTN), all images run. */
uint64_t spk_exec_step_ops(const struct spk_exec *x, uint32_t i);

/*
 * The arithmetic of one ATTN step (doc/semantics.md §5) on the spikes of its Q, K and V
 * populations (ids c·N + n over C channels and N tokens; heads of d channels): out [N][C] gets
 * O[n][c] = Σ_i Q[n][i]·KV[i][c], with KV [C][d] counted from K and V (vb [N·C] is scratch).
 * Returns the additions the attention unit makes: one per (K, V) pair, d per Q spike.
 */
uint64_t spk_exec_attention(uint32_t C, uint32_t N, uint32_t d, const uint32_t *q, size_t nq,
			    const uint32_t *k, size_t nk, const uint32_t *v, size_t nv, uint8_t *vb,
			    int64_t *kv, int64_t *out);

/* Sets every count above to 0 (the counts of the images run from now on). */
void spk_exec_clear_counts(struct spk_exec *x);

#endif
