/*
 * critpath.h — `spikechip sim --critical-path`: for each image, the chain of waits that set the
 * cycle its class came out, and what the chain's cycles were spent on, by unit, layer and cause
 * (doc/report.md "Critical path").
 *
 * Recording. Every piece of work the units report (sim/unit.h struct spk_unit_work) is kept per
 * (tile, engine) in cycle order, contiguous pieces of the same kind and layer merged; a receive
 * keeps the packet that started it (its source tile, injection and arrival cycles: the chip
 * stamps each packet's injection cycle in its id while recording).
 *
 * The walk. From the readout's class-out cycle back to the image's in-cycle, always asking why
 * the work at cycle c of engine E of unit U could not start earlier:
 *   - E was busy until c (its previous work ends at c): that work is on the path (synaptic
 *     adds, receive, fire, attention, MACs, head, send, NI refused), and the walk goes on from
 *     its start;
 *   - else, receive: the packet arrived at c: its time in the network (injection to arrival) is
 *     on the path ("network" for spikes and graded values, "waiting for tokens" or "waiting for
 *     releases" for those packets), and the walk goes on at the source's send engine at the
 *     injection cycle;
 *   - send: the entry came from the unit's fire engine (fire, attention, encoder, readout);
 *   - fire: it waited for the receive engine (the last token, release or addition it needed):
 *     the walk goes on at the receive engine when that work ended;
 *   - anything the rules do not explain is "idle" on U.
 * Every cycle from in to out is given to exactly one (unit, layer, cause), so an image's causes
 * sum to its latency. The path is the one the rules pick among equal-time alternatives: where
 * several dependencies end together the engine's own previous work wins.
 *
 * Cost: nothing when off (the units' one branch, as for the timeline); on, a 48-byte record per
 * merged piece of work for the whole segment (the shipped model: tens of MB per image).
 *
 * Ownership: spk_critpath_create()/spk_critpath_destroy(); one recorder serves the segments of a
 * run one after another (spk_critpath_begin() before each), adding up their images.
 */
#ifndef SPK_CRITPATH_H
#define SPK_CRITPATH_H

#include "sim/unit.h"

#include <stdint.h>
#include <stddef.h>

/* What the path's cycles went to. */
enum spk_cp_cause {
	SPK_CP_ADDS = 0,		/* a receive engine's spike additions (SOPs, KV additions) */
	SPK_CP_RECEIVE,			/* a receive engine taking tokens, graded values, releases */
	SPK_CP_FIRE,			/* neuron updates */
	SPK_CP_ATTN,			/* the attention unit's Q·KV additions */
	SPK_CP_MAC,			/* the encoder's MACs */
	SPK_CP_HEAD,			/* the readout's head rows */
	SPK_CP_SEND,			/* a send engine's packets, one per cycle */
	SPK_CP_REFUSED,			/* offers the NI refused (back-pressure) */
	SPK_CP_NETWORK,			/* spikes and graded values in the network */
	SPK_CP_TOKEN,			/* tokens in the network ("waiting for tokens") */
	SPK_CP_RELEASE,			/* releases in the network ("waiting for releases") */
	SPK_CP_IDLE,			/* not explained by the rules */
};
#define SPK_CP_CAUSES 12

/* The cause's name in reports. */
const char *spk_cp_cause_name(enum spk_cp_cause c);

/* One contributor: cycles of the path on a tile's unit (for the network: the packet's source),
 * for one layer (image step; UINT32_MAX: none) and cause. */
struct spk_cp_entry {
	uint32_t tile, layer;
	uint32_t cause;
	uint64_t cycles;
};

struct spk_critpath;

/* A recorder for a chip of n_tiles tiles. NULL if out of memory. */
struct spk_critpath *spk_critpath_create(uint32_t n_tiles);
void spk_critpath_destroy(struct spk_critpath *cp);

/* A new segment: its work starts again at cycle 0; its image 0 is the run's image `base`. */
void spk_critpath_begin(struct spk_critpath *cp, uint32_t base);

/* Work of tile's unit. Packets taken carry their injection cycle in pkt->id. 0 or -ENOMEM. */
int spk_critpath_work(struct spk_critpath *cp, uint32_t tile, const struct spk_unit_work *w);

/* The segment's image `image` (0-based in the segment) went in at `in` and its class came out
 * of the readout on tile `tile` at `out`: walks its path. 0 or -ENOMEM. */
int spk_critpath_image(struct spk_critpath *cp, uint32_t image, uint64_t in, uint64_t out,
		       uint32_t tile);

/* Every contributor over all images walked so far, most cycles first (ties: tile, layer,
 * cause); *n of them. Owned by the recorder, valid until the next call. */
const struct spk_cp_entry *spk_critpath_top(struct spk_critpath *cp, size_t *n);

/* The images walked, and per image i the cycles of each cause (by[SPK_CP_CAUSES]); NULL if i
 * was not walked. */
uint32_t spk_critpath_images(const struct spk_critpath *cp);
const uint64_t *spk_critpath_image_causes(const struct spk_critpath *cp, uint32_t i);

#endif
