/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket-option seam: the options of the ESP sockets that each system
 * family spells differently, one implementation per family.
 *
 * Packet marks (uipsecd.socket.fwmark): SO_MARK on Linux (policy routing,
 * nftables), SO_USER_COOKIE on FreeBSD (ipfw "sockarg"); macOS has no
 * socket mark, so a configured mark is refused there with a clear error.
 * Path-MTU discovery: off, so that the kernel fragments an outer packet
 * rather than refuses it (IP_MTU_DISCOVER on Linux; FreeBSD and macOS send
 * datagrams without DF unless asked, nothing to do).
 * Local addresses: which of our addresses a datagram arrived at, and the
 * source a reply leaves from (the IKE relay, raw ESP over IPv6). */
#ifndef UIPSEC_OS_SOCKOPT_H
#define UIPSEC_OS_SOCKOPT_H

/* macOS: the RFC 3542 IPv6 packet-info API (IPV6_RECVPKTINFO) */
#define __APPLE_USE_RFC_3542 1
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* true when this system can mark a socket's packets. */
bool os_sockopt_mark_supported(void);

/* The option's name for messages ("SO_MARK", "SO_USER_COOKIE"), or a
 * sentence saying why there is none. */
const char *os_sockopt_mark_name(void);

/* Marks what fd sends. false with errno set on failure (ENOTSUP where
 * the system has no mark). */
bool os_sockopt_set_mark(int fd, uint32_t mark);

/* Path-MTU discovery off on fd (family AF_INET or AF_INET6); best effort. */
void os_sockopt_no_pmtu_discovery(int fd, int family);

/* A socket of family, type and protocol, non-blocking and close-on-exec
 * (macOS has no SOCK_NONBLOCK / SOCK_CLOEXEC). -1 with errno set. */
int os_sockopt_socket(int family, int type, int protocol);

/* Asks for each datagram's local (destination) address and interface:
 * IP_PKTINFO (Linux, macOS) or IP_RECVDSTADDR + IP_RECVIF (FreeBSD) for
 * IPv4, IPV6_RECVPKTINFO for IPv6. false with errno set and *what naming
 * the option on failure (*what untouched on success). */
bool os_sockopt_recv_local(int fd, int family, const char **what);

/* The local address (4 or 16 bytes into addr, its family into *family)
 * or the interface from one received control message; false for any
 * other message. The kernel writes it, but its length is checked. */
bool os_sockopt_local(const struct cmsghdr *c, int *family, uint8_t addr[16], uint32_t *ifindex);

/* Control-message room for a source address (the largest of the
 * systems' forms). */
#define OS_SOCKOPT_SOURCE_SPACE (CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_addr)))

/* Writes the control message(s) that send a datagram from addr (all
 * zero: the kernel chooses) out of interface ifindex (0: any) into
 * buf, OS_SOCKOPT_SOURCE_SPACE zeroed bytes; returns their length
 * (msg_controllen), 0 when none is needed or possible. */
size_t os_sockopt_put_source(void *buf, int family, const uint8_t *addr, uint32_t ifindex);

#endif
