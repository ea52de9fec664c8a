/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tun_sys: the system half of io-tun (internal). One implementation per
 * system family, chosen by the build (plugins/io-tun/local.am):
 * tun_linux.c (/dev/net/tun, multi-queue, virtio-net header offloads) and
 * tun_bsd.c (FreeBSD tun, macOS utun: one queue, address-family header).
 * io_tun.c keeps the plugin, its options, the MTU and the packet loop and
 * knows no system. */
#ifndef TUN_SYS_H
#define TUN_SYS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <net/if.h>
#include <uipsec/pktio.h>

/* What tun_sys_open made. */
typedef struct tun_sys_dev {
	char name[IFNAMSIZ];
	uint32_t nqueues;       /* fds[0..nqueues) are open */
	bool vnet_hdr;          /* every read and write starts with a virtio_net_hdr */
	uint32_t offloads;      /* UIPSEC_PKTIO_OFF_* the device takes */
} tun_sys_dev_t;

/* Open a device named want (the system may pick another name) with up to
 * queues queues (one on the BSDs) into fds; offload asks for TCP
 * segmentation and checksum offload where the system has it. 0, or
 * UIPSEC_ERR_* with err filled (nothing is left open then). */
int tun_sys_open(const char *want, uint32_t queues, bool offload, int *fds, tun_sys_dev_t *dev,
                 uipsec_err_t *err);

/* Close one queue (the last one also removes the device). */
void tun_sys_close(int fd, const char *name);

/* One packet into p at UIPSEC_PKT_HEADROOM, at most room bytes: its length
 * (p's flags/gso fields set from the virtio-net header when vnet), 0 for
 * nothing usable (skip it), or -1 with errno (EAGAIN: none waits). */
ssize_t tun_sys_read(int fd, bool vnet, uipsec_pkt_t *p, size_t room);

/* One packet: true when all of it went out. */
bool tun_sys_write(int fd, bool vnet, uipsec_pkt_t *p);

#endif
