/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP-in-UDP sockets (RFC 3948): one set per worker thread, all bound to
 * socket.port with SO_REUSEPORT so the kernel spreads peers over workers.
 * Batched with recvmmsg/sendmmsg. What a datagram carries (ESP, IKE
 * behind the non-ESP marker, NAT keepalive) is decided by the ESP engine
 * (esp_decap.h) (internal API). */
#ifndef UIPSEC_CORE_UDP_SOCKET_H
#define UIPSEC_CORE_UDP_SOCKET_H

#include <glib.h>
#include <sys/socket.h>
#include <uipsec/packet.h>
#include <uipsec/settings.h>
#include "util/ip.h"

#define UDP_SOCKET_MAX_FDS 8

typedef struct udp_socket_cfg {
	uint16_t port;
	char **addresses;        /* NULL/empty: any IPv4 + any IPv6 */
	bool has_fwmark;
	uint32_t fwmark;
	uint32_t rcvbuf, sndbuf; /* bytes, 0 = kernel default */
	bool gro;                /* accept coalesced datagrams (UDP_GRO): receive buffers of 64 KiB */
} udp_socket_cfg_t;

typedef struct udp_socket udp_socket_t;

/* Where a datagram arrived (IP_PKTINFO / IPV6_PKTINFO): our address it
 * was sent to, and the interface. family 0 when the kernel did not say. */
typedef struct udp_local {
	uipsec_addr_t addr;
	uint32_t ifindex;
} udp_local_t;

/* Reads socket.port, socket.address and socket.fwmark from uipsecd.*;
 * false with err naming the key (file:line) when a value is invalid. */
bool udp_socket_cfg_load(udp_socket_cfg_t *cfg, const uipsec_settings_t *s, GError **err);
void udp_socket_cfg_clear(udp_socket_cfg_t *cfg);

/* Opens one socket per address family (or per configured address). */
udp_socket_t *udp_socket_open(const udp_socket_cfg_t *cfg, GError **err);
void udp_socket_close(udp_socket_t *us);
/* fds to poll; returns how many */
unsigned udp_socket_fds(const udp_socket_t *us, int *fds, unsigned max);

/* Receive up to n datagrams from fd into pkts (payload at
 * UIPSEC_PKT_HEADROOM), their sources and (local may be NULL) where they
 * arrived. With cfg.gro a "datagram" may be
 * several coalesced ones of gso_size[i] bytes each (the last may be
 * shorter; 0 = a single datagram); gso_size may be NULL without gro.
 * Returns the count (0 when none waits). *kernel_drops gets how many
 * datagrams the kernel dropped on this socket since the last call (full
 * receive queue). */
int udp_socket_recv(udp_socket_t *us, int fd, uipsec_pkt_t **pkts, ip_endpoint_t *from, udp_local_t *local,
                    uint16_t *gso_size, int n, uint32_t *kernel_drops);
/* Send n datagrams to their destinations; returns how many left. Runs of
 * equal-sized datagrams to one peer go as one UDP GSO send (UDP_SEGMENT). */
int udp_socket_send(udp_socket_t *us, uipsec_pkt_t **pkts, const ip_endpoint_t *to, int n);
/* One datagram of len bytes to dst from the ESP port, from our address
 * src (IP_PKTINFO / IPV6_PKTINFO; family 0 or the any address: the
 * kernel picks) through interface ifindex (0 = the route's). Never blocks:
 * false when the socket's buffer is full or the kernel refuses. */
bool udp_socket_send_from(udp_socket_t *us, const void *data, size_t len, const uipsec_addr_t *src, uint32_t ifindex,
                          const ip_endpoint_t *dst);
/* One NAT keepalive (0xFF) to dst. */
bool udp_socket_send_keepalive(udp_socket_t *us, const ip_endpoint_t *dst);

/* Shared with the raw ESP sockets (raw_socket.h): */
/* The sockets of one kind: one per configured local address. */
typedef struct socket_set {
	unsigned nfds;
	int fds[UDP_SOCKET_MAX_FDS];
	uint8_t family[UDP_SOCKET_MAX_FDS];
} socket_set_t;
/* Open one socket with open_fn per configured address (any IPv4 and any
 * IPv6 without; an IPv6 one that fails then is only warned about, naming
 * what) into set; false with err and nothing open on failure. */
typedef int (*udp_socket_open_fn)(const udp_socket_cfg_t *cfg, const uipsec_addr_t *addr, GError **err);
bool socket_set_open(socket_set_t *set, const udp_socket_cfg_t *cfg, udp_socket_open_fn open_fn, const char *what,
                     GError **err);
void socket_set_close(socket_set_t *set);
/* Copies up to max descriptors into fds; returns how many. */
unsigned socket_set_fds(const socket_set_t *set, int *fds, unsigned max);
/* Our address and the interface from an IP_PKTINFO / IPV6_PKTINFO
 * message; false for any other. */
bool udp_socket_parse_pktinfo(const struct cmsghdr *c, udp_local_t *l);
/* sockaddr_in / sockaddr_in6 <-> address and port */
void udp_sockaddr_to_endpoint(const struct sockaddr_storage *ss, ip_endpoint_t *e);
socklen_t udp_endpoint_to_sockaddr(const ip_endpoint_t *e, struct sockaddr_storage *ss);

bool udp_endpoint_equal(const ip_endpoint_t *a, const ip_endpoint_t *b);
/* "192.0.2.1:4500", "[2001:db8::1]:4500" */
const char *udp_endpoint_str(const ip_endpoint_t *e, char *buf, size_t len);

#endif
