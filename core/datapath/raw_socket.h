/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Raw ESP sockets (IP protocol 50, RFC 4303 without RFC 3948): one per
 * address family (or per socket.address), opened at start-up (they need
 * CAP_NET_RAW, which a dropped daemon no longer has) and shared by every
 * worker: a raw socket gets a copy of every protocol 50 packet, so one
 * socket per worker would deliver each packet once per worker. Each
 * socket is read by one worker (order kept, as ESP in UDP from one peer
 * lands on one SO_REUSEPORT socket); every worker sends on them with
 * sendmmsg, the kernel serialises what it must, there is no lock of ours
 * (internal API).
 *
 * Receiving: an IPv4 raw socket hands over the IP header with the
 * packet, an IPv6 one the payload only (IPV6_PKTINFO tells our address).
 * raw_esp_parse() checks and strips what the kernel gave and leaves the
 * ESP packet (SPI .. ICV) where a UDP socket would leave its payload:
 * the same decapsulation follows. Sending: the kernel adds the IP header
 * (protocol 50) to the ESP packet. */
#ifndef UIPSEC_CORE_RAW_SOCKET_H
#define UIPSEC_CORE_RAW_SOCKET_H

#include <glib.h>
#include <uipsec/packet.h>
#include "util/ip.h"
#include "esp/stats.h"
#include "datapath/udp_socket.h"

typedef struct raw_socket raw_socket_t;

/* uipsecd.socket.raw_esp (default yes). */
bool raw_socket_enabled(const uipsec_settings_t *s);

/* Opens the raw sockets for cfg's addresses (any IPv4 + any IPv6 when
 * none; IPv6 may be missing), with its SO_MARK and buffer sizes. */
raw_socket_t *raw_socket_open(const udp_socket_cfg_t *cfg, GError **err);
void raw_socket_close(raw_socket_t *rs);
/* fds to poll; returns how many */
unsigned raw_socket_fds(const raw_socket_t *rs, int *fds, unsigned max);

/* Receive up to n packets from fd into pkts (at UIPSEC_PKT_HEADROOM, as
 * the kernel gives them: raw_esp_parse() comes next), their sources
 * (port 0) and where they arrived (IPv6: IPV6_PKTINFO; IPv4: filled in by
 * raw_esp_parse() from the header). A truncated read (MSG_TRUNC) gets
 * length 0. Returns the count (0 when none waits); *kernel_drops as
 * udp_socket_recv(). Safe from several threads on one fd. */
int raw_socket_recv(raw_socket_t *rs, int fd, uipsec_pkt_t **pkts, ip_endpoint_t *from, udp_local_t *local, int n,
                    uint32_t *kernel_drops);

/* Check what a raw socket of family delivered and leave the ESP packet:
 * IPv4: version, header length (IHL 5-15 within the read), total length
 * (at least the header, at most the read; bytes after it are dropped),
 * no fragment (the kernel reassembles before raw delivery), protocol 50;
 * our address (local) taken from the header. Both families: at least the
 * ESP header (SPI + sequence number) and an SPI other than 0 (reserved,
 * RFC 4303 2.1; in UDP it would be the IKE marker). false with *why the
 * counter of the drop (malformed, bad_spi), as the UDP twin counts it. */
bool raw_esp_parse(uipsec_pkt_t *p, int family, uipsec_addr_t *local, stats_id_t *why);

/* Send n ESP packets to their destinations (the port is ignored); returns
 * how many left. Safe from several threads. */
int raw_socket_send(raw_socket_t *rs, uipsec_pkt_t **pkts, const ip_endpoint_t *to, int n);

#endif
