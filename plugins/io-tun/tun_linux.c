/* SPDX-License-Identifier: GPL-2.0-or-later */
/* io-tun on Linux: /dev/net/tun with IFF_TUN|IFF_NO_PI|IFF_MULTI_QUEUE, one
 * file descriptor (queue) per worker thread, the kernel spreading flows
 * over the queues; TCP segmentation offload through the virtio-net header
 * (IFF_VNET_HDR + TUNSETOFFLOAD). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include <uipsec/log.h>
#include "tun_sys.h"

#define SUBSYS "tun"

/* The one place the build's choice of offloads is read: the portable data
 * path (configure --with-portable-datapath, what FreeBSD and macOS run)
 * has no GSO/GRO, so the device is opened without the virtio-net header
 * there, as on the BSDs. */
#ifdef UIPSEC_PORTABLE_DATAPATH
#define TUN_OFFLOAD_BUILD false
#else
#define TUN_OFFLOAD_BUILD true
#endif

/* The legacy virtio-net header, in host byte order (TUNSETVNETLE unset). */
#define VNET_HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr))

static void set_err(uipsec_err_t *err, const char *name, const char *what, int e)
{
	if (err)
		snprintf(err->msg, sizeof(err->msg), "%s: %s: %s", name, what, strerror(e));
}

static int tun_open_queue(const char *want, char *got, bool multi, bool vnet, uipsec_err_t *err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		set_err(err, want, "opening /dev/net/tun", errno);
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0) | (vnet ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", want);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		set_err(err, want, "TUNSETIFF", errno);
		close(fd);
		return -1;
	}
	if (vnet) {
		int sz = (int)VNET_HDR_LEN;
		if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
			set_err(err, want, "TUNSETVNETHDRSZ", errno);
			close(fd);
			return -1;
		}
	}
	snprintf(got, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

void tun_sys_close(int fd, const char *name)
{
	(void)name;
	close(fd);
}

int tun_sys_open(const char *want, uint32_t queues, bool offload, int *fds, tun_sys_dev_t *dev,
                 uipsec_err_t *err)
{
	bool multi = queues > 1;
	dev->vnet_hdr = offload && TUN_OFFLOAD_BUILD;
	dev->offloads = 0;
	dev->nqueues = 0;
	for (uint32_t q = 0; q < queues; q++) {
		/* later queues attach to the name the first one got */
		fds[q] = tun_open_queue(q ? dev->name : want, dev->name, multi, dev->vnet_hdr, err);
		if (fds[q] < 0) {
			for (uint32_t i = 0; i < q; i++)
				close(fds[i]);
			return UIPSEC_ERR_IO;
		}
		dev->nqueues = q + 1;
	}
	/* the kernel may now hand us TCP super-packets with partial checksums */
	if (dev->vnet_hdr) {
		if (ioctl(fds[0], TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0)
			dev->offloads = UIPSEC_PKTIO_OFF_CSUM | UIPSEC_PKTIO_OFF_GSO;
		else
			uwarn(SUBSYS, "%s: TUNSETOFFLOAD: %s; no segmentation offload", dev->name, strerror(errno));
	}
	return UIPSEC_OK;
}

ssize_t tun_sys_read(int fd, bool vnet, uipsec_pkt_t *p, size_t room)
{
	/* the virtio-net header lands in the headroom, the packet at HEADROOM */
	uint32_t hl = vnet ? VNET_HDR_LEN : 0;
	ssize_t r = read(fd, p->buf + p->off - hl, room + hl);
	if (r < 0 || !hl)
		return r;
	if ((size_t)r < hl)
		return 0;
	struct virtio_net_hdr vh;
	memcpy(&vh, p->buf + p->off - hl, sizeof(vh));
	if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		p->flags |= UIPSEC_PKT_F_CSUM_PARTIAL;
	switch (vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4: p->gso_type = UIPSEC_GSO_TCPV4; p->gso_size = vh.gso_size; break;
	case VIRTIO_NET_HDR_GSO_TCPV6: p->gso_type = UIPSEC_GSO_TCPV6; p->gso_size = vh.gso_size; break;
	default: break;
	}
	return r - hl;
}

/* Prepend the virtio-net header: decapsulated packets were authenticated
 * by ESP, the kernel need not verify their checksums again. false when the
 * headroom is used up. */
static bool push_vnet_hdr(uipsec_pkt_t *p)
{
	uint8_t *h = uipsec_pkt_push(p, VNET_HDR_LEN);
	if (!h)
		return false;
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_DATA_VALID, .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	if (p->gso_type == UIPSEC_GSO_TCPV4 || p->gso_type == UIPSEC_GSO_TCPV6) {
		/* a coalesced TCP super-packet (GRO): the kernel takes it as
		 * one, with the checksum partial as the core prepared it */
		const uint8_t *d = h + VNET_HDR_LEN;
		uint16_t l4 = p->gso_type == UIPSEC_GSO_TCPV4 ? (uint16_t)((d[0] & 15) * 4) : 40;
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.gso_type = p->gso_type == UIPSEC_GSO_TCPV4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
		vh.gso_size = p->gso_size;
		vh.hdr_len = (uint16_t)(l4 + (d[l4 + 12] >> 4) * 4);
		vh.csum_start = l4;
		vh.csum_offset = 16;
	}
	memcpy(h, &vh, sizeof(vh));
	return true;
}

bool tun_sys_write(int fd, bool vnet, uipsec_pkt_t *p)
{
	if (vnet && !push_vnet_hdr(p))
		return false;
	ssize_t r;
	do
		r = write(fd, uipsec_pkt_data(p), p->len);
	while (r < 0 && errno == EINTR);
	bool ok = r == (ssize_t)p->len;
	if (vnet)
		uipsec_pkt_pull(p, VNET_HDR_LEN);
	return ok;
}
