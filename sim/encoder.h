/*
 * encoder.h — the encoder: the C model of the tile that computes the first (pixel-reading) conv,
 * the only multiply-accumulate layer, once per image (doc/architecture.md §8 "Encoder" and §9
 * are the contract, doc/semantics.md §4 the arithmetic).
 *
 * The chip top puts an image into the encoder's input port (spk_encoder_image_in: 8-bit pixels,
 * [c_in][h_in][w_in], copied; the port holds one image). The encoder starts an image in the
 * first cycle in which the image is in, the previous image is done and every ENCODER route has
 * been released for the previous image (flow control is per image: the destination piece's
 * register holds one image's values). From then on:
 *   - the MAC array computes E[o][y][x] for the encoder's output channels in (o, y, x) order,
 *     densely: k²·c_in MACs per element, [encoder] macs per cycle (the first in the start cycle);
 *     an element is complete in the cycle its last MAC is done;
 *   - each complete non-zero element becomes one graded event (ENCODER route of the piece holding
 *     it) pushed into the output queue ([core] output_queue entries) in element order, as many
 *     per cycle as the queue had free at the start of the cycle; the MAC array does not advance
 *     in a cycle that starts with complete elements still waiting for room;
 *   - the end-of-image marker follows the last element (one token per route, table order); the
 *     image is done in the cycle the marker is pushed;
 *   - the send engine sends one packet per cycle from the queue head.
 * The requantization is doc/semantics.md §4: acc = Σ w·(p − zero) (padded taps add nothing),
 * E = ((acc·M + 2^23) >> 24) + bias. Packets carry the image's parity as their tag. An E beyond
 * 32 bits does not fit a graded event: it is sent clamped and counted in graded_clamped (the chip
 * top reports it).
 *
 * Event-driven: the encoder is evaluated only in the cycles in which a non-zero element (or the
 * marker) completes, something waits for queue room, or the send engine has a packet; the MACs
 * of the cycles in between are accounted when it wakes.
 *
 * How the chip top drives it otherwise, and the ownership rules, are the synapse core's (core.h);
 * what the units share is sim/unit.h.
 */
#ifndef SPK_ENCODER_H
#define SPK_ENCODER_H

#include "sim/unit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spk_encoder_config {
	uint32_t tile;
	uint32_t macs;			/* [encoder] macs */
	uint32_t input_fifo;		/* [core] input_fifo, flits (releases come in) */
	uint32_t output_queue;		/* [core] output_queue, entries */
	uint32_t flit_bits;
	uint32_t c_in, h_in, w_in;	/* the image */
	uint32_t kernel, stride, pad;
	uint32_t h_out, w_out;		/* the ENCODER step's output */
	uint32_t c0, channels;		/* output channels [c0, c0 + channels) computed here */
	const int16_t *w;		/* [c_in][kernel][kernel][channels] */
	const int32_t *zero;		/* [c_in] */
	const int64_t *mult;		/* [channels] requantization multipliers (2^-24) */
	const int64_t *bias;		/* [channels] */
	uint32_t n_routes;
	const struct spk_unit_route *routes;	/* ENCODER routes; blocks cover the channels
						   [c0, c0 + channels) x all rows exactly once */
};

struct spk_encoder_stats {
	struct spk_unit_events ev;	/* encoder_macs, packets_out */
	uint64_t images;		/* images done */
	uint64_t outputs;		/* graded events queued */
	uint64_t compute_cycles;	/* cycles the MAC array advanced */
	uint64_t stall_cycles;		/* cycles it held: they began with results waiting for
					   queue room */
	uint64_t packets_in, send_refused, graded_clamped;
	uint32_t fifo_peak, queue_peak;
};

struct spk_encoder;

struct spk_encoder *spk_encoder_create(const struct spk_encoder_config *cfg, char *err,
				       size_t errlen);
void spk_encoder_destroy(struct spk_encoder *e);

/*
 * The configuration the encoder was created with, its arrays the encoder's own copies (valid
 * while it lives): what the RTL encoder is loaded with (rtl/encoder_load.h).
 */
void spk_encoder_get_config(const struct spk_encoder *e, struct spk_encoder_config *cfg);

/* What the input FIFO (flits) and the output queue (entries) hold now (timeline counters). */
void spk_encoder_occupancy(const struct spk_encoder *e, uint32_t *fifo_flits, uint32_t *queue);

/* True if the input port is free (an image may be put in). */
bool spk_encoder_can_take_image(const struct spk_encoder *e);

/*
 * Puts an image into the input port in cycle `cycle` (> the last evaluated cycle): it is in from
 * that cycle. 0, or -EAGAIN if the port still holds an image the encoder has not started.
 */
int spk_encoder_image_in(struct spk_encoder *e, const uint8_t *pixels, uint64_t cycle);

void spk_encoder_deliver(struct spk_encoder *e, const struct spk_packet *p, uint64_t arrival);
void spk_encoder_eval(struct spk_encoder *e, uint64_t x, const struct spk_unit_port *port);
uint64_t spk_encoder_next_cycle(const struct spk_encoder *e);
bool spk_encoder_quiet(const struct spk_encoder *e);
void spk_encoder_get_stats(const struct spk_encoder *e, struct spk_encoder_stats *st);

/* Graded packets sent on each route, added into route_ev[n_routes] (the per-layer figures; the
 * encoder's work is all its ENCODER step's). */
void spk_encoder_route_counts(const struct spk_encoder *e, uint64_t *route_ev);

#endif
