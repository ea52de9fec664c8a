/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Big-endian (network order) loads and stores at any alignment: the one set
 * of byte-order helpers of the core. memcpy + bswap compiles to one mov and
 * one bswap each (no store per byte, no unaligned access). */
#ifndef UIPSEC_CORE_BYTEORDER_H
#define UIPSEC_CORE_BYTEORDER_H

#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define UIPSEC_BE16(v) __builtin_bswap16(v)
#define UIPSEC_BE32(v) __builtin_bswap32(v)
#define UIPSEC_BE64(v) __builtin_bswap64(v)
#else
#define UIPSEC_BE16(v) (v)
#define UIPSEC_BE32(v) (v)
#define UIPSEC_BE64(v) (v)
#endif

static inline uint16_t get_be16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return UIPSEC_BE16(v);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return UIPSEC_BE32(v);
}

static inline uint64_t get_be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return UIPSEC_BE64(v);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	v = UIPSEC_BE16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	v = UIPSEC_BE32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	v = UIPSEC_BE64(v);
	memcpy(p, &v, sizeof(v));
}

#endif
