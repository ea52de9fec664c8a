/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file
 * @brief uipsec public API: packet buffers.
 *
 * A packet lives in one contiguous buffer with headroom in front (for
 * outer IP, UDP and ESP headers) and tailroom behind (padding, trailer,
 * ICV), so encapsulation never copies payload. Packets move between the
 * packet-I/O backends, the ESP engine and the UDP sockets in batches.
 */
#ifndef UIPSEC_PACKET_H
#define UIPSEC_PACKET_H

#include <uipsec/common.h>

UIPSEC_BEGIN_DECLS

/** Headroom reserved in front of data read from a device: outer IPv6 (40) +
 * UDP (8) + ESP header (8) + IV (16), rounded up, plus room for an offload
 * header (virtio_net_hdr) a device may prepend. */
#define UIPSEC_PKT_HEADROOM 128
/** Tailroom: max padding (255) + pad length + next header + ICV (32). */
#define UIPSEC_PKT_TAILROOM 320

/** One packet: data at buf + off, len bytes, inside a buffer of cap bytes. */
typedef struct uipsec_pkt {
	uint8_t *buf;         /* start of the buffer */
	uint32_t cap;         /* size of the buffer */
	uint32_t off;         /* data starts at buf + off */
	uint32_t len;         /* data length */
	uint32_t dev;         /* device index within the packet-I/O backend (per-VIP devices) */
	uint32_t flags;       /* UIPSEC_PKT_F_* */
	uint16_t gso_size;    /* reserved for TUN offloads (virtio-net header, GSO/GRO) */
	/** UIPSEC_GSO_* (uipsec/pktio.h) when gso_size is set */
	uint16_t gso_type;
	uint32_t mark;        /* reserved */
} uipsec_pkt_t;

/** No flag set in uipsec_pkt_t::flags (the others are in uipsec/pktio.h). */
#define UIPSEC_PKT_F_NONE 0u

/** Start of the packet's data (buf + off). */
static inline uint8_t *uipsec_pkt_data(const uipsec_pkt_t *p) { return p->buf + p->off; }
/** Bytes free in front of the data (room for uipsec_pkt_push()). */
static inline uint32_t uipsec_pkt_headroom(const uipsec_pkt_t *p) { return p->off; }
/** Bytes free behind the data (room for uipsec_pkt_put()). */
static inline uint32_t uipsec_pkt_tailroom(const uipsec_pkt_t *p) { return p->cap - p->off - p->len; }

/** Prepend n bytes (returns the new data start, NULL without headroom). */
static inline uint8_t *uipsec_pkt_push(uipsec_pkt_t *p, uint32_t n)
{
	if (n > p->off) return NULL;
	p->off -= n; p->len += n;
	return p->buf + p->off;
}
/** Remove n bytes from the front (NULL if shorter). */
static inline uint8_t *uipsec_pkt_pull(uipsec_pkt_t *p, uint32_t n)
{
	if (n > p->len) return NULL;
	p->off += n; p->len -= n;
	return p->buf + p->off;
}
/** Append n bytes (returns where they start, NULL without tailroom). */
static inline uint8_t *uipsec_pkt_put(uipsec_pkt_t *p, uint32_t n)
{
	if (n > uipsec_pkt_tailroom(p)) return NULL;
	uint8_t *t = p->buf + p->off + p->len;
	p->len += n;
	return t;
}
/** Remove n bytes from the end (false, and nothing removed, if shorter). */
static inline bool uipsec_pkt_trim(uipsec_pkt_t *p, uint32_t n)
{
	if (n > p->len) return false;
	p->len -= n;
	return true;
}

UIPSEC_END_DECLS

#endif
