/*
 * chip_engine.h — what the chip top (sim/chip.c) shares with another engine that drives the same
 * chip: today the SystemC top (sim/systemc/, doc/simulator.md "The SystemC engine"). Not for
 * users of the chip: they call spk_chip_run() or spk_chip_run_systemc().
 *
 * The chip (spk_chip_create) is built once, from the image, whatever the engine: units, their
 * configurations, the NoC, the spike recording. An engine then only decides when each unit and
 * the NoC are evaluated, honouring the same per-cycle order as spk_chip_run() (chip.c, top
 * comment): in cycle x, the packets that arrived in x are delivered, every unit with work in x
 * is evaluated (spk_chip_engine_unit()'s C model, with any port whose spike callback forwards
 * to spk_chip_engine_port()'s), then spk_chip_engine_after_cycle(), then the NoC evaluates x.
 * Done that way, cycles, spikes, energy and statistics are those of the native engine.
 *
 * A run: spk_chip_engine_begin() (feeds image 0 at cycle 0), cycles as above until
 * after_cycle says all images are out (or a hook failed), spk_chip_engine_add_evals() with the
 * unit evaluations made; on a stall, spk_chip_engine_deadlock() for the message.
 */
#ifndef SPK_CHIP_ENGINE_H
#define SPK_CHIP_ENGINE_H

#include "sim/chip.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint32_t spk_chip_engine_tiles(const struct spk_chip *c);
enum spk_tile_kind spk_chip_engine_kind(const struct spk_chip *c, uint32_t tile);
/* The tile's unit model (struct spk_core * etc. by kind), NULL for an unused tile. */
void *spk_chip_engine_unit(const struct spk_chip *c, uint32_t tile);
/* The chip's port for the tile: its spike callback records and counts spikes. */
const struct spk_unit_port *spk_chip_engine_port(const struct spk_chip *c, uint32_t tile);
struct spk_noc *spk_chip_engine_noc(const struct spk_chip *c);
/* The chip's architecture. */
const struct spk_arch *spk_chip_engine_arch(const struct spk_chip *c);
/*
 * The run used another network than spk_chip_engine_noc()'s (the RTL network, `--rtl noc`):
 * its statistics, flits per (tile, port) (tiles·5) and refusals per tile (tiles) replace the C
 * network's in spk_chip_get_stats(), spk_chip_link_counts() and spk_chip_ni_refused(). 0 or
 * -ENOMEM.
 */
int spk_chip_engine_set_noc_counts(struct spk_chip *c, const struct spk_noc_stats *st,
				   const uint64_t *link, const uint64_t *refused);
/*
 * The run's unit on tile `tile` was another engine's (an RTL unit, `--rtl readout`): its counts,
 * st a struct spk_core_stats, spk_attn_stats, spk_encoder_stats or spk_readout_stats as the
 * tile's kind says, replace the C model's in spk_chip_get_stats() and the unit utilisation.
 * 0 or -ENOMEM.
 */
int spk_chip_engine_set_unit_stats(struct spk_chip *c, uint32_t tile, const void *st);
/*
 * The input port of the encoder on tile `tile` is another engine's (an RTL encoder): the chip
 * feeds images through p (can_take: whether an image may be put in; image_in: the image, in from
 * cycle `cycle`, 0 or a negative error code) instead of the C model's. 0 or -ENOMEM.
 */
struct spk_chip_encoder_port {
	bool (*can_take)(void *ctx);
	int (*image_in)(void *ctx, const uint8_t *pixels, uint64_t cycle);
	void *ctx;
};
int spk_chip_engine_set_encoder_port(struct spk_chip *c, uint32_t tile,
				     const struct spk_chip_encoder_port *p);
/* The arch's clock, MHz. */
double spk_chip_engine_clock_mhz(const struct spk_chip *c);
/* The encoder tiles, fed together; their number in *n. */
const uint32_t *spk_chip_engine_encoders(const struct spk_chip *c, uint32_t *n);

/*
 * Starts a run as spk_chip_run() does (a chip runs once): image 0 goes into the encoders in
 * cycle 0 (evaluate them there). 0, 1 if n == 0 (nothing to run), or -ENOMEM.
 */
int spk_chip_engine_begin(struct spk_chip *c, const uint8_t *pixels, uint32_t n,
			  struct spk_chip_result *res);

/*
 * After every unit with work in cycle x was evaluated: passes the images whose class is out to
 * the image hook, in order, and feeds the next image in cycle x + 1 if the encoders can take it
 * (*fed set: evaluate them in x + 1). 1 when every image is out, 0 to go on, or the hook's
 * negative value. Needed only in cycles in which an encoder or the readout was evaluated (nothing
 * else changes what it looks at).
 */
int spk_chip_engine_after_cycle(struct spk_chip *c, const uint8_t *pixels, uint64_t x, bool *fed);

/* Adds unit evaluations to the statistics. */
void spk_chip_engine_add_evals(struct spk_chip *c, uint64_t n);

/* spk_chip_set_max_cycles()'s limit (0: none), and the message and -ETIME when a run reached it. */
uint64_t spk_chip_engine_max_cycles(const struct spk_chip *c);
int spk_chip_engine_timeout(const struct spk_chip *c, char *err, size_t errlen);

/* Nothing left to do after cycle x: the message in err, -EDEADLK. */
int spk_chip_engine_deadlock(const struct spk_chip *c, uint64_t x, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
