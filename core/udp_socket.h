/* ESP-in-UDP sockets (RFC 3948): one set per worker thread, all bound to
 * socket.port with SO_REUSEPORT so the kernel spreads peers over workers.
 * Batched with recvmmsg/sendmmsg (internal API). */
#ifndef UIPSEC_CORE_UDP_SOCKET_H
#define UIPSEC_CORE_UDP_SOCKET_H

#include <glib.h>
#include <uipsec/net.h>
#include <uipsec/packet.h>
#include <uipsec/settings.h>

#define UDP_SOCKET_MAX_FDS 8

/* An outer address and UDP port. */
typedef struct udp_endpoint {
	uipsec_addr_t addr;
	uint16_t port;           /* host byte order */
} udp_endpoint_t;

typedef struct udp_socket_cfg {
	uint16_t port;
	char **addresses;        /* NULL/empty: any IPv4 + any IPv6 */
	bool has_fwmark;
	uint32_t fwmark;
	uint32_t rcvbuf, sndbuf; /* bytes, 0 = kernel default */
} udp_socket_cfg_t;

/* What an ESP-in-UDP datagram carries (RFC 3948 2.2, 2.3). */
typedef enum udp_kind {
	UDP_KIND_ESP = 0,
	UDP_KIND_IKE,            /* non-ESP marker: four zero bytes */
	UDP_KIND_KEEPALIVE,      /* the single byte 0xFF */
	UDP_KIND_MALFORMED,      /* too short to be any of them */
} udp_kind_t;

typedef struct udp_socket udp_socket_t;

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
 * UIPSEC_PKT_HEADROOM) and their sources. Returns the count (0 when none
 * waits). *kernel_drops gets how many datagrams the kernel dropped on this
 * socket since the last call (full receive queue). */
int udp_socket_recv(udp_socket_t *us, int fd, uipsec_pkt_t **pkts, udp_endpoint_t *from,
                    int n, uint32_t *kernel_drops);
/* Send n datagrams to their destinations; returns how many left. */
int udp_socket_send(udp_socket_t *us, uipsec_pkt_t **pkts, const udp_endpoint_t *to, int n);
/* One NAT keepalive (0xFF) to dst. */
bool udp_socket_send_keepalive(udp_socket_t *us, const udp_endpoint_t *dst);

udp_kind_t udp_classify(const uint8_t *data, size_t len);

bool udp_endpoint_equal(const udp_endpoint_t *a, const udp_endpoint_t *b);
/* "192.0.2.1:4500", "[2001:db8::1]:4500" */
const char *udp_endpoint_str(const udp_endpoint_t *e, char *buf, size_t len);
/* Parses a literal IPv4/IPv6 address. */
bool udp_addr_parse(const char *s, uipsec_addr_t *out);

#endif
