/*
 * segfile.c — segment result files for --resume; see segfile.h and doc/formats.md.
 *
 * The statistics are written through one table of their fields (offset and kind), so the
 * writer and the reader walk the same list and a field added to struct spk_chip_stats is one
 * line here (and a version bump). Doubles travel as their IEEE-754 bit patterns.
 */
#include "config.h"

#include "sim/segfile.h"
#include "util/container.h"
#include "util/le.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_WORDS 10u
/* A segment holds at most this many images, a chip this many tiles (sanity, not a limit). */
#define MAX_IMAGES (1u << 24)
#define MAX_TILES (1u << 16)

enum kind { U32, U64, F64 };

struct field {
	size_t off;
	enum kind kind;
};

#define ST(f, k) { offsetof(struct spk_chip_stats, f), k }
static const struct field stats_fields[] = {
	ST(images, U32), ST(cycles, U64),
	ST(ev.sops, U64), ST(ev.graded_adds, U64), ST(ev.neuron_updates, U64),
	ST(ev.packets_out, U64), ST(ev.attention_ops, U64), ST(ev.encoder_macs, U64),
	ST(graded_clamped, U64), ST(counter_overflows, U64), ST(unit_evals, U64), ST(spikes, U64),
	ST(busiest_tile, U32), ST(busiest_cycles, U64),
	ST(noc.cycles, U64), ST(noc.cycles_evaluated, U64), ST(noc.router_evals, U64),
	ST(noc.packets_injected, U64), ST(noc.packets_delivered, U64),
	ST(noc.flits_injected, U64), ST(noc.flits_delivered, U64), ST(noc.inject_refused, U64),
	ST(noc.hops, U64), ST(noc.router_flits, U64), ST(noc.link_flits, U64),
	ST(noc.latency_sum, U64), ST(noc.latency_max, U64), ST(noc.stall_cycles, U64),
	ST(noc.buffer_peak, U32), ST(noc.busiest_link, U32), ST(noc.busiest_link_flits, U64),
	ST(energy.syn_add, F64), ST(energy.weight_read, F64), ST(energy.neuron, F64),
	ST(energy.spike_out, F64), ST(energy.router, F64), ST(energy.link, F64),
	ST(energy.attention, F64), ST(energy.encoder, F64), ST(energy.static_, F64),
	ST(energy.dynamic, F64), ST(energy.total, F64),
};
#undef ST
#define N_FIELDS (sizeof(stats_fields) / sizeof(stats_fields[0]))

/*
 * Tripwires: a field added to these structs must be added to stats_fields (and
 * SPK_SEGFILE_VERSION bumped), or a resumed run would lose it.
 */
_Static_assert(sizeof(struct spk_unit_events) == 6 * 8, "spk_unit_events changed: stats_fields");
_Static_assert(sizeof(struct spk_noc_stats) == 14 * 8 + 2 * 4 + 8, "spk_noc_stats changed");
_Static_assert(sizeof(struct spk_chip_energy) == 11 * 8, "spk_chip_energy changed");
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(struct spk_chip_stats) ==
	       2 * 8 + 48 + 4 * 8 + 2 * 8 + sizeof(struct spk_noc_stats) +
	       sizeof(struct spk_chip_energy), "spk_chip_stats changed: stats_fields");
#endif

static size_t stats_bytes(void)
{
	size_t n = 0;

	for (size_t i = 0; i < N_FIELDS; i++)
		n += stats_fields[i].kind == U32 ? 4 : 8;
	return n;
}

/* Per-layer words at most (a chip image's steps, populations and routes bound them). */
#define MAX_LAYER_WORDS (1u << 26)

static size_t payload_bytes(uint32_t n, uint32_t n_tiles, uint32_t layer_words)
{
	return 4 * KEY_WORDS + stats_bytes() + (size_t)n * 20 +
	       ((size_t)n_tiles * SPK_SEGFILE_TILE_WORDS + layer_words) * 8;
}

/* Cursor forms of util/le.h: each moves *p past the field. */
static void put32(uint8_t **p, uint32_t v)
{
	spk_le32_put(*p, v);
	*p += 4;
}

static void put64(uint8_t **p, uint64_t v)
{
	spk_le64_put(*p, v);
	*p += 8;
}

static uint32_t get32(const uint8_t **p)
{
	*p += 4;
	return spk_le32_get(*p - 4);
}

static uint64_t get64(const uint8_t **p)
{
	*p += 8;
	return spk_le64_get(*p - 8);
}

/* The envelope (util/container.h); max_raw bounds a payload of MAX_IMAGES on MAX_TILES. */
static struct spk_container format(void)
{
	return (struct spk_container){
		.magic = SPK_SEGFILE_MAGIC,
		.version = SPK_SEGFILE_VERSION,
		.what = "a segment result file",
		.max_raw = (uint32_t)payload_bytes(MAX_IMAGES, MAX_TILES, MAX_LAYER_WORDS),
		.max_file = SPK_CONTAINER_HEADER_BYTES + (size_t)UINT32_MAX,
		.level = 6,
	};
}

static void key_words(const struct spk_segfile_key *k, uint32_t w[KEY_WORDS])
{
	w[0] = k->segment;
	w[1] = k->first;
	w[2] = k->n;
	w[3] = k->segment_images;
	w[4] = k->n_tiles;
	w[5] = k->image_crc32;
	w[6] = k->arch_crc32;
	w[7] = k->pixels_crc32;
	w[8] = k->flags;
	w[9] = k->layer_words;
}

int spk_segfile_write(const char *path, const struct spk_segfile_key *key,
		      const struct spk_chip_stats *st, const struct spk_chip_result *res,
		      const uint64_t *tiles, char *err, size_t errlen)
{
	const struct spk_container fmt = format();
	size_t raw_n = payload_bytes(key->n, key->n_tiles, key->layer_words);
	uint8_t *raw = malloc(raw_n), *p = raw;
	uint32_t w[KEY_WORDS];
	int rc;

	if (raw == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	key_words(key, w);
	for (uint32_t i = 0; i < KEY_WORDS; i++)
		put32(&p, w[i]);
	for (size_t i = 0; i < N_FIELDS; i++) {
		const char *f = (const char *)st + stats_fields[i].off;
		uint32_t u32;
		uint64_t u64;

		if (stats_fields[i].kind == U32) {
			memcpy(&u32, f, 4);
			put32(&p, u32);
		} else {
			memcpy(&u64, f, 8);	/* a double's bit pattern, or an integer */
			put64(&p, u64);
		}
	}
	for (uint32_t i = 0; i < key->n; i++) {
		put32(&p, res[i].cls);
		put64(&p, res[i].in_cycle);
		put64(&p, res[i].out_cycle);
	}
	for (size_t i = 0; i < (size_t)key->n_tiles * SPK_SEGFILE_TILE_WORDS + key->layer_words; i++)
		put64(&p, tiles[i]);
	rc = spk_container_write(&fmt, raw, raw_n, path, err, errlen);
	free(raw);
	return rc;
}

struct spk_segfile *spk_segfile_read(const char *path, char *err, size_t errlen)
{
	const struct spk_container fmt = format();
	uint8_t *raw = NULL;
	const uint8_t *p;
	size_t raw_n;
	uint32_t w[KEY_WORDS];
	struct spk_segfile *s = NULL;
	size_t size;

	if (spk_container_read(&fmt, path, &raw, &raw_n, NULL, err, errlen) < 0)
		return NULL;
	p = raw;
	if (raw_n < 4 * KEY_WORDS) {
		snprintf(err, errlen, "%s: payload: %zu bytes are too few for the run's key", path,
			 raw_n);
		goto out;
	}
	for (uint32_t i = 0; i < KEY_WORDS; i++)
		w[i] = get32(&p);
	if (w[2] > MAX_IMAGES || w[4] == 0 || w[4] > MAX_TILES || w[9] > MAX_LAYER_WORDS ||
	    raw_n != payload_bytes(w[2], w[4], w[9])) {
		snprintf(err, errlen, "%s: payload: %zu bytes do not hold %u images on %u tiles",
			 path, raw_n, w[2], w[4]);
		goto out;
	}
	size = sizeof(*s) + (size_t)w[2] * sizeof(*s->res) +
	       ((size_t)w[4] * SPK_SEGFILE_TILE_WORDS + w[9]) * sizeof(uint64_t);
	s = calloc(1, size);
	if (s == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	s->key = (struct spk_segfile_key){ w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8],
					   w[9] };
	for (size_t i = 0; i < N_FIELDS; i++) {
		char *f = (char *)&s->st + stats_fields[i].off;
		uint32_t u32;
		uint64_t u64;

		if (stats_fields[i].kind == U32) {
			u32 = get32(&p);
			memcpy(f, &u32, 4);
		} else {
			u64 = get64(&p);
			memcpy(f, &u64, 8);
		}
	}
	s->res = (struct spk_chip_result *)(s + 1);
	s->links = (uint64_t *)(s->res + w[2]);
	s->busy = s->links + (size_t)w[4] * 5;
	s->refused = s->busy + w[4];
	s->layers = s->refused + w[4];
	for (uint32_t i = 0; i < w[2]; i++) {
		s->res[i].cls = get32(&p);
		s->res[i].in_cycle = get64(&p);
		s->res[i].out_cycle = get64(&p);
	}
	for (size_t i = 0; i < (size_t)w[4] * SPK_SEGFILE_TILE_WORDS + w[9]; i++)
		s->links[i] = get64(&p);
out:
	free(raw);
	return s;
}

int spk_segfile_match(const struct spk_segfile_key *have, const struct spk_segfile_key *want,
		      char *err, size_t errlen)
{
	if (have->segment != want->segment || have->segment_images != want->segment_images) {
		snprintf(err, errlen, "it is segment %u of a run in segments of %u images, not "
			 "segment %u of segments of %u", have->segment, have->segment_images,
			 want->segment, want->segment_images);
		return -1;
	}
	if (have->first != want->first || have->n != want->n) {
		snprintf(err, errlen, "it holds images %u to %u, this run's segment %u is images "
			 "%u to %u", have->first, have->first + have->n - 1, want->segment,
			 want->first, want->first + want->n - 1);
		return -1;
	}
	if (have->image_crc32 != want->image_crc32 || have->n_tiles != want->n_tiles ||
	    have->layer_words != want->layer_words) {
		snprintf(err, errlen, "it was run on another chip image (CRC-32 %08x, this one "
			 "%08x)", have->image_crc32, want->image_crc32);
		return -1;
	}
	if (have->arch_crc32 != want->arch_crc32) {
		snprintf(err, errlen, "it was run with another arch file (CRC-32 %08x, this one "
			 "%08x)", have->arch_crc32, want->arch_crc32);
		return -1;
	}
	if (have->pixels_crc32 != want->pixels_crc32) {
		snprintf(err, errlen, "it was run on other images (their CRC-32 %08x, this run's "
			 "%08x)", have->pixels_crc32, want->pixels_crc32);
		return -1;
	}
	if ((have->flags ^ want->flags) & SPK_SEGFILE_SYSTEMC) {
		snprintf(err, errlen, "it was run by the %s engine, this run uses the %s engine",
			 have->flags & SPK_SEGFILE_SYSTEMC ? "systemc" : "native",
			 want->flags & SPK_SEGFILE_SYSTEMC ? "systemc" : "native");
		return -1;
	}
	if ((want->flags & SPK_SEGFILE_CHECKED) && !(have->flags & SPK_SEGFILE_CHECKED)) {
		snprintf(err, errlen, "it was run without --check, this run checks every image");
		return -1;
	}
	if ((want->flags & SPK_SEGFILE_TRACED) && !(have->flags & SPK_SEGFILE_TRACED)) {
		snprintf(err, errlen, "it was run without --trace, this run writes a trace");
		return -1;
	}
	return 0;
}
