/*
 * attn.h — the attention unit: the C model of the tile that computes spike-driven attention,
 * per head O = Q·(KᵀV), for the ATTN steps mapped onto it (doc/architecture.md §7 and §9 are the
 * contract, doc/semantics.md §5 and §8 the arithmetic).
 *
 * Per ATTN op (one ATTN step of the model on this unit) the unit keeps K, V and Q spike bitmaps
 * (N tokens x C channels) and the KV counters (heads x d x d, d = C / heads) of the step in
 * flight. It receives the spikes of the op's Q, K and V populations and their tokens, and sends
 * graded events (the non-zero outputs O[n][c]) into the pieces of the destination site, then one
 * token per destination route; it releases its Q, K and V routes when it has finished the step.
 *
 * Timing (cycles; `lanes` = [attention] lanes):
 *   - receive engine: a K spike (token n, channel i of head h) adds 1 to KV[h][i][j] for every
 *     V[n][h·d + j] already seen (a additions), a V spike symmetrically over K; the spike takes
 *     max(1, ceil(a / lanes)) cycles. A Q spike sets its bit (1 cycle); tokens and releases take
 *     1 cycle. Every pair of a K and a V spike of one token and head is counted exactly once.
 *   - compute engine: in the first cycle in which an op has all the tokens of its step (counted
 *     from the cycle after the last token was taken) and all its destination routes are released
 *     for the previous step, it starts the barrier computation. Tokens are taken in order, those
 *     without a Q spike skipped; token n with q Q spikes takes ceil(q·d / lanes) cycles of Q·KV
 *     additions, then its non-zero outputs, in channel order, go into the output queue, at most
 *     `lanes` per cycle and never more than the queue had free at the start of the cycle (a full
 *     queue stalls the engine); the next token's additions start the cycle after the last push.
 *     The end-of-step marker follows the last token's outputs (in the same cycle if room is
 *     left; in the start cycle if no token had a Q spike). In the marker's cycle the counters and
 *     bitmaps are cleared and the op's Q, K, V routes become due for release.
 *   - send engine: one packet per cycle: due releases first, else the head of the output queue
 *     (a graded event; or a marker: one token per destination route of its op, table order).
 * Several ops on one unit share the engines; among ops ready to compute, the lowest phase, then
 * the lowest step, goes first.
 *
 * Counters are kept exactly (64-bit); a KV count or an output beyond [attention] counter_bits is
 * counted in counter_overflows (the chip top reports it: the architecture cannot hold the
 * value), so the results stay those of doc/semantics.md.
 *
 * How the chip top drives it, and the ownership rules, are the synapse core's (core.h):
 * create / deliver / eval / next_cycle, plain configuration copied at create. What the units
 * share (port, input FIFO, releases, routes, energy events) is sim/unit.h.
 */
#ifndef SPK_ATTN_H
#define SPK_ATTN_H

#include "sim/unit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One ATTN step mapped onto this unit. */
struct spk_attn_op {
	uint32_t phase;			/* the ATTN step's index */
	uint32_t q_pop, k_pop, v_pop;	/* populations (image indices) */
	uint32_t channels, heads;	/* C and heads (d = C / heads) */
	uint32_t height, width;		/* N = height·width tokens; also the output site's shape */
};

struct spk_attn_config {
	uint32_t tile;
	uint32_t lanes;			/* [attention] lanes */
	uint32_t input_fifo;		/* [core] input_fifo, flits */
	uint32_t output_queue;		/* [core] output_queue, entries */
	uint32_t flit_bits;		/* [noc] flit_bits */
	int counter_bits;		/* [attention] counter_bits */
	uint32_t n_ops;
	const struct spk_attn_op *ops;
	uint32_t n_in;
	const struct spk_unit_in_route *in;	/* SPIKE routes of the ops' Q, K, V populations */
	uint32_t n_routes;
	const struct spk_unit_route *routes;	/* ATTN routes: source = op; their blocks cover
						   each op's output exactly once */
};

struct spk_attn_stats {
	struct spk_unit_events ev;	/* attention_ops, packets_out */
	uint64_t packets_in, spikes_in, tokens_in, releases_in;
	uint64_t receive_busy;		/* cycles the receive engine worked */
	uint64_t steps;			/* (op, step) computations completed */
	uint64_t compute_cycles;	/* cycles of Q·KV additions */
	uint64_t emit_cycles;		/* cycles pushing outputs into the queue */
	uint64_t emit_stalls;		/* cycles outputs waited for queue space */
	uint64_t outputs;		/* graded events queued */
	uint64_t send_refused;
	uint64_t counter_overflows;	/* counts beyond counter_bits */
	uint32_t fifo_peak, queue_peak;
};

struct spk_attn;

struct spk_attn *spk_attn_create(const struct spk_attn_config *cfg, char *err, size_t errlen);
void spk_attn_destroy(struct spk_attn *a);

void spk_attn_deliver(struct spk_attn *a, const struct spk_packet *p, uint64_t arrival);
void spk_attn_eval(struct spk_attn *a, uint64_t x, const struct spk_unit_port *port);
uint64_t spk_attn_next_cycle(const struct spk_attn *a);

/* NI wake-ups, off by default: as spk_core_set_ni_wake() (sim/core.h). */
void spk_attn_set_ni_wake(struct spk_attn *a, bool on);
bool spk_attn_quiet(const struct spk_attn *a);
/* What the input FIFO (flits) and the output queue (entries) hold now (timeline counters). */
void spk_attn_occupancy(const struct spk_attn *a, uint32_t *fifo_flits, uint32_t *queue);

void spk_attn_get_stats(const struct spk_attn *a, struct spk_attn_stats *st);

/*
 * The configuration the unit was created with, its arrays the unit's own copies (valid while it
 * lives): what the RTL attention unit is loaded with (rtl/attn_load.h).
 */
void spk_attn_get_config(const struct spk_attn *a, struct spk_attn_config *cfg);

/* Steps op has completed (the step it is on). */
uint64_t spk_attn_op_steps(const struct spk_attn *a, uint32_t op);

/*
 * What the unit did, by layer (as spk_core_layer_counts()): ops[phase] += each op's KV and Q·KV
 * additions; busy[layer] += the receive cycles of each incoming route's spikes and tokens (the
 * first op reading it) and of each route's releases (its op), busy[n_layers] those with no
 * layer; route_ev[k] += graded packets sent on ATTN route k.
 */
void spk_attn_layer_counts(const struct spk_attn *a, uint32_t n_layers, uint64_t *ops,
			   uint64_t *busy, uint64_t *route_ev);

#endif
