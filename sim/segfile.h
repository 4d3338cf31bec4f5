/*
 * segfile.h — a finished segment's result on disk, so that `spikechip sim --resume DIR` (and
 * `spikechip run --resume DIR`) can stop and go on: every segment the run finishes is written
 * to DIR/seg-NNNNN.spkr, and a later run with the same DIR merges the files it finds instead
 * of simulating those segments again. The format is doc/formats.md "Segment result".
 *
 * A file records what it is the result of (struct spk_segfile_key: the segment, the chip image,
 * the arch file and the images' pixels by CRC-32, and how it was run), then the segment's
 * statistics, every image's class and in/out cycles, the per-link flit counts, the per-unit
 * busy cycles and the per-NI refused offers — exactly what a worker hands the parent
 * (sim/sim_cmd.c), field by field in explicit little-endian, so the report merged from files is
 * the same bytes as one merged from a fresh simulation.
 *
 * Ownership: spk_segfile_read() returns one malloc()ed struct spk_segfile (its arrays inside
 * the same allocation); free() releases it. Errors are the user's files: a negative errno (or
 * -EINVAL for a bad file) with "PATH: what, where" in err.
 */
#ifndef SPK_SEGFILE_H
#define SPK_SEGFILE_H

#include "sim/chip.h"

#include <stddef.h>
#include <stdint.h>

#define SPK_SEGFILE_MAGIC "SPKSEGRS"
#define SPK_SEGFILE_VERSION 2u	/* 2: the per-layer counts (layer_words) */

/* How the segment was run (struct spk_segfile_key.flags). */
#define SPK_SEGFILE_CHECKED 1u	/* every image compared with the integer reference (--check) */
#define SPK_SEGFILE_TRACED 2u	/* its spikes are in the part trace beside it (--trace) */
#define SPK_SEGFILE_SYSTEMC 4u	/* run through the SystemC engine */

struct spk_segfile_key {
	uint32_t segment;		/* segment index k */
	uint32_t first, n;		/* its images: first .. first + n - 1 of the data set */
	uint32_t segment_images;	/* --segment S of the run */
	uint32_t n_tiles;
	uint32_t image_crc32;		/* CRC-32 of the chip image file */
	uint32_t arch_crc32;		/* CRC-32 of the arch file */
	uint32_t pixels_crc32;		/* CRC-32 of the segment's images, 8-bit pixels */
	uint32_t flags;			/* SPK_SEGFILE_* */
	uint32_t layer_words;		/* per-layer counts after the per-tile ones
					   (spk_chip_layer_words(); 0: none kept) */
};

struct spk_segfile {
	struct spk_segfile_key key;
	struct spk_chip_stats st;
	struct spk_chip_result *res;	/* [key.n] */
	/* the per-tile counts, one array: */
	uint64_t *links;		/* [key.n_tiles * 5] flits per router output */
	uint64_t *busy;			/* [key.n_tiles] busy cycles per unit (links + 5·n_tiles) */
	uint64_t *refused;		/* [key.n_tiles] offers refused per NI (busy + n_tiles) */
	uint64_t *layers;		/* [key.layer_words] per-layer counts (refused + n_tiles) */
};

/* Per-tile counts per tile in a file: 5 router outputs, the unit's busy cycles, NI refusals. */
#define SPK_SEGFILE_TILE_WORDS 7u

/*
 * Writes the file atomically (PATH.tmp.<pid>, then rename): res[key->n], and `tiles` as struct
 * spk_segfile lays them out (links, then busy, then refused: SPK_SEGFILE_TILE_WORDS · n_tiles
 * words; then key->layer_words per-layer words). 0 or a negative errno.
 */
int spk_segfile_write(const char *path, const struct spk_segfile_key *key,
		      const struct spk_chip_stats *st, const struct spk_chip_result *res,
		      const uint64_t *tiles, char *err, size_t errlen);

/* Reads and checks the file. The result, or NULL with a message in err. */
struct spk_segfile *spk_segfile_read(const char *path, char *err, size_t errlen);

/*
 * Whether a file with key `have` holds what a run needing `want` would compute: the same
 * segment, images, chip image, arch and engine; checked if the run checks, traced if it
 * traces. 0, or -1 with what differs in err (one phrase, no file name).
 */
int spk_segfile_match(const struct spk_segfile_key *have, const struct spk_segfile_key *want,
		      char *err, size_t errlen);

#endif
