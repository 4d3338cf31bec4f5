/*
 * timeline.h — `spikechip sim --timeline FILE.json`: what every unit (and, on request, every
 * router) did in which cycle, written in the Chrome trace-event format that Perfetto
 * (ui.perfetto.dev) and chrome://tracing open (doc/report.md "Timeline").
 *
 * What it writes. One process per used tile's unit ("core (x,y)", "attention (x,y)", ...), with
 * three threads, one per engine (doc/architecture.md §6–8): receive, fire (compute for the
 * attention unit, MACs for the encoder, fire and head for the readout) and send. Each piece of
 * work a unit reports (sim/unit.h struct spk_unit_work) is a complete event ("ph":"X") named
 * after the layer it serves (the chip image's step name) with the image and timestep in its
 * args; consecutive pieces of work of one engine that touch (one ends in the cycle the next
 * starts) and agree on layer, step and kind are merged into one span, so a saturated engine is
 * one long span. Category "busy" marks the work the report counts as the unit's input-busy
 * cycles (a core's or attention unit's receive engine, the encoder's MAC array, the readout's
 * packets): per unit those spans sum to the JSON report's tiles[].busy_cycles. A counter track
 * ("ph":"C", name "queues") gives the input FIFO's flits and the output queue's entries when
 * they change. With routers on, one process per router with the cycles in which it forwarded
 * flits. An instant event marks every image's in and class-out cycle.
 *
 * Time: one unit of the trace's time axis (which the viewers label µs) is one cycle of the chip
 * clock; otherData.clock_mhz gives the clock. Only [from, to) is written: spans are clipped to
 * it, counters and instants outside it left out.
 *
 * Cost: the units report work only when a timeline (or a critical path) asks for it
 * (port->work, one predicted-false branch otherwise); the writer keeps one pending span per
 * (tile, engine) and per router and never allocates after create.
 *
 * Ownership: spk_timeline_create() writes to f, which the caller opened and closes (and
 * commits); spk_timeline_finish() writes the pending spans and the JSON's end;
 * spk_timeline_destroy() frees the writer.
 */
#ifndef SPK_TIMELINE_H
#define SPK_TIMELINE_H

#include "arch/arch.h"
#include "image/image.h"
#include "sim/unit.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct spk_timeline;

/* A timeline of img's chip into f over cycles [from, to) (to: UINT64_MAX for no end); router
 * tracks if routers. NULL if out of memory. */
struct spk_timeline *spk_timeline_create(FILE *f, const struct spk_image *img,
					 const struct spk_arch *a, uint64_t from, uint64_t to,
					 bool routers);
void spk_timeline_destroy(struct spk_timeline *tl);

/* Work of tile's unit (its layer and step already the chip's). */
void spk_timeline_work(struct spk_timeline *tl, uint32_t tile, const struct spk_unit_work *w);

/* Tile's unit holds fifo flits and queue entries at the end of cycle x. */
void spk_timeline_queues(struct spk_timeline *tl, uint32_t tile, uint64_t x, uint32_t fifo,
			 uint32_t queue);

/* Router `tile` forwarded `flits` flits (copies) in cycle x. */
void spk_timeline_router(struct spk_timeline *tl, uint32_t tile, uint64_t x, uint32_t flits);

/* Image `image` went in at cycle in and its class came out at cycle out. */
void spk_timeline_image(struct spk_timeline *tl, uint32_t image, uint64_t in, uint64_t out);

/* Writes the pending spans and the end of the JSON. 0, or -EIO if a write failed. */
int spk_timeline_finish(struct spk_timeline *tl);

/* Whether routers are traced (spk_chip_set_timeline() hooks the NoC then). */
bool spk_timeline_routers(const struct spk_timeline *tl);

#endif
