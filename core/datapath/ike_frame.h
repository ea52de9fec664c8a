/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The frame of the IKE relay socket (internal API; the wire format is in
 * docs/control-protocol.md, "IKE relay socket"). One SOCK_SEQPACKET
 * message per UDP datagram, both directions:
 *
 *   u8 version (1) | u8 family (4 or 6) | u16 flags (0) | u16 sport |
 *   u16 dport | u32 ifindex | u8 src[16] | u8 dst[16] | payload
 *
 * in network byte order, IPv4 addresses in the first 4 bytes of src/dst
 * (the rest zero). The payload is the UDP payload as on the wire (the
 * non-ESP marker included; a lone 0xFF is a NAT keepalive). Pure: no I/O,
 * no allocation; the decoder checks every length before it reads. */
#ifndef UIPSEC_CORE_IKE_FRAME_H
#define UIPSEC_CORE_IKE_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "util/ip.h"

#define IKE_FRAME_VERSION 1
#define IKE_FRAME_HDR_LEN 44
/* the largest payload: a UDP datagram's */
#define IKE_FRAME_MAX_PAYLOAD 65535u

typedef struct ike_frame {
	ip_endpoint_t src;       /* family AF_INET or AF_INET6 in addr.family */
	ip_endpoint_t dst;       /* same family as src */
	uint32_t ifindex;        /* 0 = unknown / any */
	uint16_t flags;          /* none defined: 0 */
} ike_frame_t;

typedef enum ike_frame_status {
	IKE_FRAME_OK,
	IKE_FRAME_SHORT,         /* fewer bytes than the header */
	IKE_FRAME_BAD_VERSION,
	IKE_FRAME_BAD_FAMILY,    /* neither 4 nor 6, or src/dst families differ (encode) */
	IKE_FRAME_BAD_FLAGS,     /* a flag this version does not know */
	IKE_FRAME_EMPTY,         /* no payload */
	IKE_FRAME_TOO_BIG,       /* payload over IKE_FRAME_MAX_PAYLOAD */
} ike_frame_status_t;

/* Write the header of f into hdr; IKE_FRAME_BAD_FAMILY when src/dst are
 * not both AF_INET or both AF_INET6 (nothing written then). */
ike_frame_status_t ike_frame_encode(const ike_frame_t *f, uint8_t hdr[IKE_FRAME_HDR_LEN]);
/* Parse a whole message of len bytes: f and the payload (inside msg). */
ike_frame_status_t ike_frame_decode(const uint8_t *msg, size_t len, ike_frame_t *f, const uint8_t **payload,
                                    size_t *payload_len);
/* "short", "bad version", ... for logs */
const char *ike_frame_status_str(ike_frame_status_t st);

#endif
