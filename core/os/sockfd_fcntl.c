/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Close-on-exec sockets with fcntl after the fact (macOS; see
 * os/sockfd.h). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/socket.h>
#include "os/sockfd.h"

static int set_flags(int fd, bool nonblock)
{
	int fl;
	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    (nonblock && ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int os_socket(int domain, int type, int protocol, bool nonblock)
{
	return set_flags(socket(domain, type, protocol), nonblock);
}

int os_accept(int fd)
{
	int c;
	do
		c = accept(fd, NULL, NULL);
	while (c < 0 && errno == EINTR);
	return set_flags(c, true);
}
