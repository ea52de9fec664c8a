/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Batched datagram I/O seam: many datagrams per call, and the offloads
 * that make one datagram stand for many.
 *
 * Linux (fast): recvmmsg/sendmmsg, UDP segmentation offload (UDP_SEGMENT:
 * one send of up to 64 equal datagrams), UDP receive coalescing (UDP_GRO)
 * and the socket's receive-queue drop counter (SO_RXQ_OVFL).
 * Portable (FreeBSD, macOS; Linux --with-portable-datapath): a loop of
 * recvmsg/sendmsg, no offloads, and no drop counter: datagrams the kernel
 * drops on a full receive queue are then not counted in the queue_dropped
 * counter (netstat -s shows them on the host).
 * Callers fill the same os_dgram_t array either way. */
#ifndef UIPSEC_OS_DGRAM_H
#define UIPSEC_OS_DGRAM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* One datagram of a batch: its message header and the bytes received or
 * sent (the layout of Linux's struct mmsghdr, handed to the kernel as is). */
typedef struct {
	struct msghdr hdr;
	unsigned int len;
} os_dgram_t;

/* Points m at one receive or send buffer, an address and control-message
 * room (name and ctl may be NULL). */
static inline void os_dgram_prepare(os_dgram_t *m, struct iovec *iov, void *buf, size_t len, void *name,
                                    socklen_t namelen, void *ctl, size_t ctllen)
{
	iov->iov_base = buf;
	iov->iov_len = len;
	*m = (os_dgram_t){ .hdr = { .msg_iov = iov, .msg_iovlen = 1, .msg_name = name, .msg_namelen = namelen,
	                            .msg_control = ctl, .msg_controllen = ctllen } };
}

/* Control-message room for one UDP_SEGMENT size. */
#define OS_DGRAM_SEGMENT_SPACE CMSG_SPACE(sizeof(uint16_t))

/* Receives up to n datagrams without blocking. Returns how many, 0 when
 * none is waiting, -1 with errno set on an error. */
int os_dgram_recv(int fd, os_dgram_t *msgs, unsigned n);

/* Sends msgs[0..n) without blocking, in order. Returns how many went
 * (stopping at the first that fails), -1 with errno set when the first
 * fails. */
int os_dgram_send(int fd, os_dgram_t *msgs, unsigned n);

/* Asks the kernel to report its receive-queue drops with each datagram.
 * Portable: nothing to ask, true. false with errno set on failure. */
bool os_dgram_enable_drop_count(int fd);

/* A control message with the socket's drop count (a running total)? */
bool os_dgram_drop_count(const struct cmsghdr *c, uint32_t *total);

/* true when this build has the UDP offloads (UDP_SEGMENT, UDP_GRO). */
bool os_dgram_offloads(void);

/* Turns on receive coalescing (UDP_GRO). false with errno set on failure
 * (ENOPROTOOPT without the offloads). */
bool os_dgram_enable_gro(int fd);

/* A control message with the segment size of a coalesced datagram? */
bool os_dgram_gro_size(const struct cmsghdr *c, uint16_t *size);

/* Writes a UDP_SEGMENT control message (OS_DGRAM_SEGMENT_SPACE bytes,
 * zeroed by the caller) asking the kernel to cut the send into size-byte
 * datagrams. false without the offloads (nothing written). */
bool os_dgram_put_segment(struct cmsghdr *c, uint16_t size);

/* "recvmmsg" or "recvmsg" */
const char *os_dgram_kind(void);

#endif
