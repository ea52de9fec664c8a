/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Close-on-exec sockets with SOCK_CLOEXEC and accept4 (Linux, FreeBSD;
 * see os/sockfd.h). */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include "os/sockfd.h"

int os_socket(int domain, int type, int protocol, bool nonblock)
{
	return socket(domain, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), protocol);
}

int os_accept(int fd)
{
	int c;
	do
		c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	return c;
}
