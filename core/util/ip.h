/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPv4/IPv6 for the ESP engine (internal API): protocol numbers and
 * names, address helpers on uipsec_addr_t, the Internet checksum, header
 * writers and the inner packet parser. */
#ifndef UIPSEC_CORE_IP_H
#define UIPSEC_CORE_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <uipsec/net.h>
#include "util/byteorder.h"

#define IP_PROTO_ICMP 1
#define IP_PROTO_IPIP 4      /* ESP next header: IPv4 inner packet */
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IP_PROTO_IPV6 41     /* ESP next header: IPv6 inner packet */
#define IP_PROTO_ESP 50
#define IP_PROTO_ICMPV6 58
#define IP_PROTO_NONE 59     /* dummy packet (TFC), dropped silently */
#define IP_PROTO_SCTP 132
#define IP_PROTO_UDPLITE 136

#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define UDP_HDR_LEN 8

/* Addresses are the SDK's uipsec_addr_t (<uipsec/net.h>): IPv4 lives in
 * the first 4 bytes, the rest zero; family 0 = unset. */

/* An address and UDP port (outer endpoints). */
typedef struct ip_endpoint {
	uipsec_addr_t addr;
	uint16_t port;       /* host byte order */
} ip_endpoint_t;

/* The fields policies select on, taken from an inner (cleartext) packet.
 * For ICMP/ICMPv6 sport holds the type and dport the code (as Linux xfrm). */
typedef struct ip_flow {
	uipsec_addr_t src, dst;
	uint8_t proto;
	uint16_t sport, dport;
} ip_flow_t;

static inline size_t ip_addr_len(uint8_t family) { return family == AF_INET6 ? 16 : 4; }
static inline bool ip_addr_eq(const uipsec_addr_t *x, const uipsec_addr_t *y)
{
	return x->family == y->family && memcmp(x->bytes, y->bytes, ip_addr_len(x->family)) == 0;
}
/* Field by field, in the sizes ip_parse_flow() just stored them: wider
 * loads of the fresh struct (memcmp) stall on store-to-load forwarding. */
static inline bool ip_flow_eq(const ip_flow_t *a, const ip_flow_t *b)
{
	return a->sport == b->sport && a->dport == b->dport && a->proto == b->proto &&
	       ip_addr_eq(&a->dst, &b->dst) && ip_addr_eq(&a->src, &b->src);
}

/* Protocol names, as iproute2 spells them ("any" is 0): the one table
 * behind tunnel selectors, control requests and control listings.
 * ip_proto_parse() takes a name in any case (numbers are the caller's);
 * ip_proto_name() gives a number's first name, NULL if it has none;
 * ip_proto_list() writes all names, ", "-separated, for error messages. */
bool ip_proto_parse(const char *name, uint8_t *out);
const char *ip_proto_name(uint8_t proto);
const char *ip_proto_list(char *buf, size_t len);

/* uipsec_prefix_parse(), which clears host bits beyond the length, or
 * with host_bits_zero refuses them (the control protocol: a selector
 * "10.1.0.1/24" is more likely a typo than a network). */
bool ip_prefix_parse(const char *s, uipsec_prefix_t *out, bool host_bits_zero);
/* Set a to the host (bits set) or network (bits clear) end of prefix/plen. */
void ip_addr_prefix_end(uipsec_addr_t *a, unsigned plen, bool last);
/* -1, 0, 1 comparing as unsigned big-endian numbers (same family). */
int ip_addr_cmp(const uipsec_addr_t *x, const uipsec_addr_t *y);

/* The one Internet checksum (RFC 1071) of the core, as Linux's
 * csum_partial + csum_fold: ip_csum_add() accumulates len bytes onto a
 * partial sum (a number, as if the data were read as big-endian 16-bit
 * words; not folded), ip_csum_fold() folds and complements it into the
 * value to store with put_be16(). Only the last piece of a sum may have
 * an odd length. Inline: GSO runs it over every segment.
 *
 * RFC 1071 2(B): the one's complement sum does not depend on byte order,
 * so add native 32-bit words (8 bytes a step) into 64 bits, fold to 16
 * bits and swap once. */
static inline uint32_t ip_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = 0;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		s += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		s += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		s += w;
		p += 2;
		len -= 2;
	}
	if (len) {   /* odd tail: the byte is the high half of a zero-padded word */
		uint8_t last[2] = { p[0], 0 };
		uint16_t w;
		memcpy(&w, last, 2);
		s += w;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	s = UIPSEC_BE16((uint16_t)s);
	s += sum;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

static inline uint16_t ip_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Partial sum of the pseudo header TCP, UDP and ICMPv6 checksums cover
 * (RFC 768, RFC 8200 8.1): source and destination of the IPv4 or IPv6
 * header at ip, protocol and transport length. */
static inline uint32_t ip_pseudo_sum(const uint8_t *ip, bool v6, uint8_t proto, uint32_t l4len)
{
	uint32_t s = v6 ? ip_csum_add(0, ip + 8, 32) : ip_csum_add(0, ip + 12, 8);
	return s + proto + (l4len >> 16) + (l4len & 0xffff);
}

/* (Re)compute the header checksum of the IPv4 header at h (ihl bytes). */
static inline void ip4_fill_csum(uint8_t *h, size_t ihl)
{
	h[10] = h[11] = 0;
	put_be16(h + 10, ip_csum_fold(ip_csum_add(0, h, ihl)));
}

/* IPv6 UDP checksum over pseudo header + udp (header with checksum field zero + payload). */
uint16_t ip_udp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *udp, size_t len);

/* Write an IPv4 header (checksum filled in) / IPv6 header at h. */
void ip4_write_hdr(uint8_t *h, const uipsec_addr_t *src, const uipsec_addr_t *dst, uint8_t proto,
                   uint16_t total_len, uint16_t id, uint8_t ttl);
void ip6_write_hdr(uint8_t *h, const uipsec_addr_t *src, const uipsec_addr_t *dst, uint8_t proto,
                   uint16_t payload_len, uint8_t hop_limit);

/* Validate an inner IP packet of len bytes (version, header length, total
 * length <= len) and extract its flow. Returns the packet's own length
 * (trailing bytes beyond it are TFC padding) or 0 when malformed. Walks
 * IPv6 extension headers to the transport header; fragments other than
 * the first carry no ports. */
size_t ip_parse_flow(const uint8_t *p, size_t len, ip_flow_t *flow);

#endif
