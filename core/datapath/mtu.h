/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MTU handling on the cleartext side of the tunnel (internal API).
 *
 * An inner packet must fit into the outer path MTU after ESP-in-UDP
 * overhead. When it does not:
 *  - IPv4 with DF set and IPv6: an ICMP "fragmentation needed" (RFC 792,
 *    RFC 1191) / ICMPv6 "packet too big" (RFC 4443) carrying the inner MTU
 *    is written back into the TUN device, so the sender's PMTU discovery
 *    learns it;
 *  - IPv4 without DF: fragmented here, BEFORE encryption, so every
 *    fragment travels in its own ESP packet and the peer's kernel
 *    reassembles (the outer packets themselves are never fragmented). */
#ifndef UIPSEC_CORE_MTU_H
#define UIPSEC_CORE_MTU_H

#include <stdbool.h>
#include <stdint.h>
#include <uipsec/crypto.h>
#include <uipsec/packet.h>

#define MTU_DEFAULT_LINK 1500u
#define MTU_IPV6_MIN 1280u
#define MTU_IPV4_MIN 576u

/* Outer bytes ESP adds to an inner packet of inner_len bytes: outer IP
 * + UDP (udp: ESP-in-UDP; false: raw ESP, IP protocol 50) + SPI/seq + IV
 * + padding + pad length/next header + ICV. */
uint32_t mtu_esp_overhead(const uipsec_xform_info_t *xi, int outer_family, bool udp, uint32_t inner_len);
/* Largest inner packet that fits into path_mtu with this transform. */
uint32_t mtu_inner_room(const uipsec_xform_info_t *xi, int outer_family, bool udp, uint32_t path_mtu);

typedef enum mtu_verdict {
	MTU_FITS = 0,      /* send as it is */
	MTU_TOO_BIG,       /* build an ICMP error (mtu_build_too_big) and drop */
	MTU_FRAGMENT,      /* IPv4 without DF: mtu_ip4_fragment */
	MTU_MALFORMED,     /* not an IP packet we can judge */
} mtu_verdict_t;

mtu_verdict_t mtu_check(const uint8_t *pkt, uint32_t len, uint32_t room);

/* Write into reply (data at its headroom) the ICMP/ICMPv6 error telling the
 * sender of orig that at most mtu bytes fit. false when orig does not
 * deserve one (an ICMP error itself, multicast source, ...). */
bool mtu_build_too_big(const uint8_t *orig, uint32_t len, uint32_t mtu, uipsec_pkt_t *reply);

/* ICMP errors written back into the TUN device are rate-limited per
 * worker with a token bucket, like Linux's global ICMP limit
 * (net.ipv4.icmp_msgs_per_sec = 1000, icmp_msgs_burst = 50): a flood of
 * oversized packets cannot turn into a flood of replies. */
#define MTU_ICMP_PER_SEC 1000u
#define MTU_ICMP_BURST 50u

typedef struct mtu_icmp_limit {
	uint64_t last_ns;   /* when tokens were last added (CLOCK_MONOTONIC) */
	uint32_t tokens;
} mtu_icmp_limit_t;

/* Take a token at now_ns (monotonic): true when one more reply may go,
 * false when the caller suppresses it. Start from a zeroed limit. */
bool mtu_icmp_allow(mtu_icmp_limit_t *l, uint64_t now_ns);

/* Split an IPv4 packet into fragments of at most room bytes each, written
 * into out[0..max-1] (fresh packets, data at their headroom). Returns the
 * number of fragments or 0 when it cannot (DF set, room too small, more
 * than max fragments needed, or fragments ending past the 65 535 bytes
 * an IPv4 datagram can have: their 13-bit offsets would wrap). */
int mtu_ip4_fragment(const uint8_t *pkt, uint32_t len, uint32_t room, uipsec_pkt_t **out, int max);

/* MTU of a local interface, 0 when unknown. */
uint32_t mtu_of_interface(const char *ifname);

#endif
