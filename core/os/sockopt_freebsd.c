/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket-option seam, FreeBSD: SO_USER_COOKIE as the packet mark (ipfw
 * matches it with "sockarg"); datagrams leave without DF by default. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include "os/sockopt.h"

bool os_sockopt_mark_supported(void)
{
	return true;
}

const char *os_sockopt_mark_name(void)
{
	return "SO_USER_COOKIE";
}

bool os_sockopt_set_mark(int fd, uint32_t mark)
{
	return setsockopt(fd, SOL_SOCKET, SO_USER_COOKIE, &mark, sizeof(mark)) == 0;
}

void os_sockopt_no_pmtu_discovery(int fd, int family)
{
	(void)fd;
	(void)family;
}

int os_sockopt_socket(int family, int type, int protocol)
{
	return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
}
