/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket-option seam, Linux: SO_MARK, IP(V6)_MTU_DISCOVER. */
#include "config.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "os/sockopt.h"

bool os_sockopt_mark_supported(void)
{
	return true;
}

const char *os_sockopt_mark_name(void)
{
	return "SO_MARK";
}

bool os_sockopt_set_mark(int fd, uint32_t mark)
{
	return setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == 0;
}

void os_sockopt_no_pmtu_discovery(int fd, int family)
{
	int v = family == AF_INET ? IP_PMTUDISC_DONT : IPV6_PMTUDISC_DONT;
	(void)setsockopt(fd, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
	                 family == AF_INET ? IP_MTU_DISCOVER : IPV6_MTU_DISCOVER, &v, sizeof(v));
}

int os_sockopt_socket(int family, int type, int protocol)
{
	return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
}
