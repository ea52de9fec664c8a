/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Splitting coalesced ESP-in-UDP datagrams (UDP_GRO) into one view per
 * datagram (internal API).
 *
 * A socket with UDP_GRO hands over up to 64 KiB of datagrams of one
 * segment size each (Linux allows up to UDP_MAX_SEGMENTS = 128 of them,
 * any size from 1 byte). udp_split() cuts them into views of the receive
 * buffers, at most `max` per call, and remembers where it stopped: the
 * caller decapsulates each chunk and calls again until it returns 0, so
 * no datagram is lost and nothing is written outside the caller's arrays
 * whatever the segment sizes and counts. Pure: no I/O, no allocation. */
#ifndef UIPSEC_CORE_UDP_SPLIT_H
#define UIPSEC_CORE_UDP_SPLIT_H

#include <stdint.h>
#include <uipsec/packet.h>
#include "util/ip.h"

/* Where the split stopped: zero it ({0}) before the first call. */
typedef struct udp_split {
	uint32_t i;     /* next receive buffer */
	uint32_t off;   /* bytes of it already cut into views */
} udp_split_t;

/* bufs[0..n-1]: receive buffers, each holding datagrams of seg[i] bytes
 * (the last one may be shorter; 0 = a single datagram), received from
 * from[i]. Writes views[k] (data inside bufs[i], capacity ending where
 * the next datagram begins), vptr[k] = &views[k], vfrom[k] = from[i]
 * and vbuf[k] = i (the buffer's PKTINFO says where it arrived) for
 * k < max; returns k, 0 once every buffer has been split. An empty
 * buffer gives one empty view, so it is counted like any bad datagram. */
uint32_t udp_split(udp_split_t *s, uipsec_pkt_t *const *bufs, const uint16_t *seg,
                   const ip_endpoint_t *from, uint32_t n, uipsec_pkt_t *views, uipsec_pkt_t **vptr,
                   ip_endpoint_t *vfrom, uint32_t *vbuf, uint32_t max);

#endif
