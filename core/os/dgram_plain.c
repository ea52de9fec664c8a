/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Batched datagram I/O seam, portable: one recvmsg/sendmsg per datagram,
 * no offloads, no drop counter (see dgram.h for what is then not counted). */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "os/dgram.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0   /* macOS: UDP and raw sockets raise no SIGPIPE */
#endif

int os_dgram_recv(int fd, os_dgram_t *msgs, unsigned n)
{
	unsigned i = 0;
	while (i < n) {
		ssize_t r = recvmsg(fd, &msgs[i].hdr, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (i || errno == EAGAIN || errno == EWOULDBLOCK)
				break;   /* what came so far; a real error shows on the next call */
			return -1;
		}
		msgs[i++].len = (unsigned)r;
	}
	return (int)i;
}

int os_dgram_send(int fd, os_dgram_t *msgs, unsigned n)
{
	unsigned i = 0;
	while (i < n) {
		ssize_t r = sendmsg(fd, &msgs[i].hdr, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (i)
				break;
			return -1;
		}
		msgs[i++].len = (unsigned)r;
	}
	return (int)i;
}

bool os_dgram_enable_drop_count(int fd)
{
	(void)fd;
	return true;
}

bool os_dgram_drop_count(const struct cmsghdr *c, uint32_t *total)
{
	(void)c;
	(void)total;
	return false;
}

bool os_dgram_offloads(void)
{
	return false;
}

bool os_dgram_enable_gro(int fd)
{
	(void)fd;
	errno = ENOPROTOOPT;
	return false;
}

bool os_dgram_gro_size(const struct cmsghdr *c, uint16_t *size)
{
	(void)c;
	(void)size;
	return false;
}

bool os_dgram_put_segment(struct cmsghdr *c, uint16_t size)
{
	(void)c;
	(void)size;
	return false;
}

const char *os_dgram_kind(void)
{
	return "recvmsg";
}
