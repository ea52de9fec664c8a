/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Batched datagram I/O seam, Linux fast path: recvmmsg/sendmmsg, UDP GSO
 * and GRO, SO_RXQ_OVFL. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "os/dgram.h"

/* os_dgram_t is handed to the kernel as struct mmsghdr */
_Static_assert(sizeof(os_dgram_t) == sizeof(struct mmsghdr), "os_dgram_t layout");
_Static_assert(offsetof(os_dgram_t, len) == offsetof(struct mmsghdr, msg_len), "os_dgram_t layout");

int os_dgram_recv(int fd, os_dgram_t *msgs, unsigned n)
{
	int r;
	do
		r = recvmmsg(fd, (struct mmsghdr *)msgs, n, MSG_DONTWAIT, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return r;
}

int os_dgram_send(int fd, os_dgram_t *msgs, unsigned n)
{
	int r;
	do
		r = sendmmsg(fd, (struct mmsghdr *)msgs, n, MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	return r;
}

bool os_dgram_enable_drop_count(int fd)
{
	int one = 1;
	return setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) == 0;
}

bool os_dgram_drop_count(const struct cmsghdr *c, uint32_t *total)
{
	if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL || c->cmsg_len < CMSG_LEN(sizeof(uint32_t)))
		return false;
	memcpy(total, CMSG_DATA(c), sizeof(*total));
	return true;
}

bool os_dgram_offloads(void)
{
	return true;
}

bool os_dgram_enable_gro(int fd)
{
	int one = 1;
	return setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
}

bool os_dgram_gro_size(const struct cmsghdr *c, uint16_t *size)
{
	if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO || c->cmsg_len < CMSG_LEN(sizeof(int)))
		return false;
	int gs;
	memcpy(&gs, CMSG_DATA(c), sizeof(gs));
	*size = gs > 0 && gs < 65536 ? (uint16_t)gs : 0;
	return true;
}

bool os_dgram_put_segment(struct cmsghdr *c, uint16_t size)
{
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	return true;
}

const char *os_dgram_kind(void)
{
	return "recvmmsg";
}
