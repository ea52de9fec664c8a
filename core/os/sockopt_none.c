/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket-option seam, macOS (and any other system): no socket mark;
 * datagrams leave without DF by default. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

#include "os/sockopt.h"

bool os_sockopt_mark_supported(void)
{
	return false;
}

const char *os_sockopt_mark_name(void)
{
	return "packet marks (this system has no socket mark; leave uipsecd.socket.fwmark unset)";
}

bool os_sockopt_set_mark(int fd, uint32_t mark)
{
	(void)fd;
	(void)mark;
	errno = ENOTSUP;
	return false;
}

void os_sockopt_no_pmtu_discovery(int fd, int family)
{
	(void)fd;
	(void)family;
}

/* no SOCK_NONBLOCK / SOCK_CLOEXEC: fcntl right after (the daemon starts no
 * process in between) */
int os_sockopt_socket(int family, int type, int protocol)
{
	int fd = socket(family, type, protocol);
	if (fd < 0)
		return -1;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
