/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Software segmentation of TUN offload super-packets (internal API).
 *
 * With TSO enabled on the TUN device (io-tun with the virtio-net header),
 * the kernel hands over TCP super-packets of up to 64 KiB with a partial
 * checksum; every segment must become its own ESP packet with a complete,
 * valid TCP checksum, as the peer's kernel will check it. Cutting here
 * instead of in the kernel's TCP stack saves a TUN read and most of the
 * per-packet kernel work for every segment but one. */
#ifndef UIPSEC_CORE_GSO_H
#define UIPSEC_CORE_GSO_H

#include <stdbool.h>
#include <stdint.h>
#include <uipsec/packet.h>

/* Cut p (pkt->gso_type TCPV4/TCPV6, pkt->gso_size = MSS) into segments
 * written to out[0..max-1] (fresh packets, data at their headroom).
 * Returns the number of segments, 0 when p is not a TCP packet we can
 * segment or more than max segments would be needed. */
int gso_segment_tcp(const uipsec_pkt_t *p, uipsec_pkt_t **out, int max);

/* Complete a partial TCP/UDP checksum (UIPSEC_PKT_F_CSUM_PARTIAL) in
 * place; false when the packet is not TCP/UDP over IPv4/IPv6. */
bool gso_csum_complete(uipsec_pkt_t *p);

#endif

/* The receive-side counterpart (GRO): consecutive TCP segments of one flow
 * in pkts[0..n-1] (contiguous sequence numbers, identical headers apart
 * from sequence number and lengths, same size except a shorter last one,
 * only ACK/PSH flags) are merged into one super-packet, written to one of
 * the spare buffers (gso_size/gso_type set; the TCP checksum field holds
 * the pseudo-header sum as for a partial checksum). The packets to hand to
 * the device, in order, go to out; returns their number. Packets that do
 * not merge are passed through unchanged. */
int gso_coalesce_tcp(uipsec_pkt_t **pkts, int n, uipsec_pkt_t **out,
                     uipsec_pkt_t **spare, int nspare);
