/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IPv6 half of the local-address options (RFC 3542, the same on every
 * system), included by the per-family sockopt_local_*.c files only. */
#ifndef UIPSEC_OS_SOCKOPT_LOCAL_IPV6_H
#define UIPSEC_OS_SOCKOPT_LOCAL_IPV6_H

#include <string.h>

#include "os/sockopt.h"

static inline bool local_ipv6_enable(int fd)
{
	int one = 1;
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) == 0;
}

static inline bool local_ipv6_parse(const struct cmsghdr *c, int *family, uint8_t addr[16], uint32_t *ifindex)
{
	if (c->cmsg_level != IPPROTO_IPV6 || c->cmsg_type != IPV6_PKTINFO ||
	    c->cmsg_len < CMSG_LEN(sizeof(struct in6_pktinfo)))
		return false;
	struct in6_pktinfo pi;
	memcpy(&pi, CMSG_DATA(c), sizeof(pi));
	*family = AF_INET6;
	memcpy(addr, &pi.ipi6_addr, 16);
	*ifindex = pi.ipi6_ifindex;
	return true;
}

static inline size_t local_ipv6_put(void *buf, const uint8_t *addr, uint32_t ifindex)
{
	struct cmsghdr *c = buf;
	struct in6_pktinfo pi;
	memset(&pi, 0, sizeof(pi));
	pi.ipi6_ifindex = ifindex;
	memcpy(&pi.ipi6_addr, addr, 16);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	return CMSG_SPACE(sizeof(pi));
}

#endif
