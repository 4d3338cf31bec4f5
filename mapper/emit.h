/*
 * emit.h — turns a compiled mapping into a chip image (image.h): per tile its kind, the
 * integers its memories hold (copied from the quantizer's output, sliced to the tile's channels
 * and re-laid out per piece), its routing table with destinations as tiles, plus the arch
 * parameters the mapping depends on and the model's identity.
 *
 * Recorded arch parameters: the ones the compiler reads — [chip] mesh_x, mesh_y, readout_units,
 * [core] neurons, synapse_kib, weight_bits, membrane_bits, route_entries, [attention] units,
 * kv_kib, counter_bits, [encoder] units, weight_kib. Timing and energy parameters do not change
 * the image, so a simulator may sweep them over one image.
 *
 * Ownership: the image is the caller's (spk_image_destroy()). NULL with a message on out of
 * memory, or if the built image fails its own checks (a mapper bug, reported as such).
 */
#ifndef SPK_EMIT_H
#define SPK_EMIT_H

#include "image/image.h"
#include "mapper/map.h"

struct spk_image *spk_emit_image(const struct spk_map *map, uint32_t model_crc32, char *err,
				 size_t errlen);

/*
 * The recorded arch parameters' dotted names ("chip.mesh_x", ...), *n of them. An image also
 * depends on [noc] multicast (tree tables) and on the model and the placement seed; the sweep
 * (dse/sweep.c) shares one image among points equal in all of these.
 */
const char *const *spk_emit_recorded_params(size_t *n);

#endif
