/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Local addresses, FreeBSD: IPv4 has no IP_PKTINFO; the destination comes
 * as IP_RECVDSTADDR, the interface as IP_RECVIF (a sockaddr_dl), and the
 * source of a send is chosen with IP_SENDSRCADDR. IPv6 as everywhere. */
#include "config.h"

#include <string.h>
#include <sys/types.h>
#include <net/if_dl.h>

#include "os/sockopt_local_ipv6.h"

/* *what names the option that failed */
static bool failed(const char **what, const char *name)
{
	*what = name;
	return false;
}

bool os_sockopt_recv_local(int fd, int family, const char **what)
{
	int one = 1;
	if (family != AF_INET)
		return local_ipv6_enable(fd) || failed(what, "IPV6_RECVPKTINFO");
	if (setsockopt(fd, IPPROTO_IP, IP_RECVDSTADDR, &one, sizeof(one)) != 0)
		return failed(what, "IP_RECVDSTADDR");
	return setsockopt(fd, IPPROTO_IP, IP_RECVIF, &one, sizeof(one)) == 0 || failed(what, "IP_RECVIF");
}

bool os_sockopt_local(const struct cmsghdr *c, int *family, uint8_t addr[16], uint32_t *ifindex)
{
	if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVDSTADDR &&
	    c->cmsg_len >= CMSG_LEN(sizeof(struct in_addr))) {
		*family = AF_INET;
		memcpy(addr, CMSG_DATA(c), 4);
		return true;
	}
	if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVIF &&
	    c->cmsg_len >= CMSG_LEN(offsetof(struct sockaddr_dl, sdl_index) + sizeof(unsigned short))) {
		struct sockaddr_dl sdl;
		memset(&sdl, 0, sizeof(sdl));
		size_t n = c->cmsg_len - CMSG_LEN(0);
		memcpy(&sdl, CMSG_DATA(c), n < sizeof(sdl) ? n : sizeof(sdl));
		*ifindex = sdl.sdl_index;
		return true;
	}
	return local_ipv6_parse(c, family, addr, ifindex);
}

size_t os_sockopt_put_source(void *buf, int family, const uint8_t *addr, uint32_t ifindex)
{
	if (family != AF_INET)
		return local_ipv6_put(buf, addr, ifindex);
	static const uint8_t any[4];
	if (memcmp(addr, any, 4) == 0)
		return 0;   /* no interface choice for IPv4 here: the route decides */
	struct cmsghdr *c = buf;
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_SENDSRCADDR;
	c->cmsg_len = CMSG_LEN(sizeof(struct in_addr));
	memcpy(CMSG_DATA(c), addr, 4);
	return CMSG_SPACE(sizeof(struct in_addr));
}
