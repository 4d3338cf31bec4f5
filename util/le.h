/*
 * le.h — little-endian byte order, explicitly: every binary file of spikechip (model file, chip
 * image, segment result, trace; doc/formats.md) stores its integers least significant byte
 * first, whatever the host, so each field goes through these helpers instead of memcpy.
 *
 * spk_le32_put(p, v) writes v at p, spk_le32_get(p) reads it back; 64-bit likewise. A double
 * travels as its IEEE-754 bit pattern (spk_le64_put_f64 / spk_le64_get_f64). Header-only: the
 * callers are the hot paths of the readers and writers. p needs no alignment.
 */
#ifndef SPK_LE_H
#define SPK_LE_H

#include <stdint.h>
#include <string.h>

static inline void spk_le32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void spk_le64_put(uint8_t *p, uint64_t v)
{
	spk_le32_put(p, (uint32_t)v);
	spk_le32_put(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t spk_le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t spk_le64_get(const uint8_t *p)
{
	return (uint64_t)spk_le32_get(p) | (uint64_t)spk_le32_get(p + 4) << 32;
}

static inline void spk_le64_put_f64(uint8_t *p, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	spk_le64_put(p, u);
}

static inline double spk_le64_get_f64(const uint8_t *p)
{
	uint64_t u = spk_le64_get(p);
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

#endif
