/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Local addresses, Linux and macOS: IP_PKTINFO / IPV6_PKTINFO. */
#include "config.h"

#include <string.h>

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
	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) == 0 || failed(what, "IP_PKTINFO");
	return local_ipv6_enable(fd) || failed(what, "IPV6_RECVPKTINFO");
}

bool os_sockopt_local(const struct cmsghdr *c, int *family, uint8_t addr[16], uint32_t *ifindex)
{
	if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
	    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
		struct in_pktinfo pi;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		*family = AF_INET;
		memcpy(addr, &pi.ipi_addr, 4);
		*ifindex = (uint32_t)pi.ipi_ifindex;
		return true;
	}
	return local_ipv6_parse(c, family, addr, ifindex);
}

size_t os_sockopt_put_source(void *buf, int family, const uint8_t *addr, uint32_t ifindex)
{
	if (family != AF_INET)
		return local_ipv6_put(buf, addr, ifindex);
	struct cmsghdr *c = buf;
	struct in_pktinfo pi;
	memset(&pi, 0, sizeof(pi));
	pi.ipi_ifindex = (int)ifindex;
	memcpy(&pi.ipi_spec_dst, addr, 4);   /* zero: the kernel picks */
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	return CMSG_SPACE(sizeof(pi));
}
