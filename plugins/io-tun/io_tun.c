/* SPDX-License-Identifier: GPL-2.0-or-later */
/* io-tun: packet I/O through the kernel's TUN device.
 *
 * Linux: /dev/net/tun with IFF_TUN|IFF_NO_PI|IFF_MULTI_QUEUE, one file
 * descriptor (queue) per worker thread; the kernel spreads flows over the
 * queues. BSD tun / macOS utun: opened and framed by tun_bsd.c (one queue,
 * utun's 4-byte address-family header handled there).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>

#include <uipsec/log.h>
#include <uipsec/plugin.h>
#include <uipsec/pktio.h>

#if defined(__linux__)
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#else
#include "tun_bsd.h"   /* FreeBSD tun, macOS utun (defines TUN_BSD_SUPPORTED there) */
#endif
#ifndef SOCK_CLOEXEC
#define SOCK_CLOEXEC 0  /* macOS has none; set_mtu's socket is closed at once */
#endif

#define SUBSYS "tun"
#define DEFAULT_NAME "uipsec0"
#define DEFAULT_MTU 1400
#define MAX_QUEUES 256

typedef struct io_tun_state {
	char name[IFNAMSIZ];
	uint32_t mtu;           /* 0 = not configured: take the core's value */
	bool offload;           /* plugins.io-tun.offload */
} io_tun_state_t;

struct uipsec_pktio_dev {
	char name[IFNAMSIZ];
	uint32_t mtu;
	uint32_t offloads;      /* UIPSEC_PKTIO_OFF_* enabled */
	bool vnet_hdr;          /* every read and write starts with a virtio_net_hdr */
	uint32_t nqueues;
	int fds[];
};

#if defined(__linux__)
/* The legacy virtio-net header, in host byte order (TUNSETVNETLE unset). */
#define VNET_HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr))
#endif

static const uipsec_option_t io_tun_options[] = {
	{ "name", UIPSEC_OPT_STRING, DEFAULT_NAME, "name of the TUN device" },
	{ "mtu", UIPSEC_OPT_INT, NULL, "MTU of the TUN device (default: computed, the outer MTU minus the largest ESP overhead of the configured algorithms and outer family)" },
	{ "per_vip_device", UIPSEC_OPT_BOOL, "no", "one TUN device per virtual IP (needed on BSD/macOS)" },
	{ "offload", UIPSEC_OPT_BOOL, "yes", "TCP segmentation offload through the virtio-net header (Linux)" },
	UIPSEC_OPTION_END
};

/* "<ifname>: <what>: <strerror>" */
static void set_err(uipsec_err_t *err, const char *name, const char *what, int e)
{
	if (err)
		snprintf(err->msg, sizeof(err->msg), "%s: %s: %s", name, what, strerror(e));
}

__attribute__((unused))  /* the BSD devices are made non-blocking by tun_bsd.c */
static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* MTU through an ioctl on any socket: works before the link is up and
 * without the network backend. */
static int set_mtu(const char *name, uint32_t mtu, uipsec_err_t *err)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		set_err(err, name, "socket", errno);
		return UIPSEC_ERR_IO;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_mtu = (int)mtu;
	int rc = ioctl(s, SIOCSIFMTU, &ifr);
	int e = errno;
	close(s);
	if (rc < 0) {
		set_err(err, name, "setting MTU", e);
		return UIPSEC_ERR_IO;
	}
	return UIPSEC_OK;
}

static void io_tun_close(uipsec_pktio_dev_t *dev)
{
	if (!dev)
		return;
	for (uint32_t q = 0; q < dev->nqueues; q++) {
		if (dev->fds[q] < 0)
			continue;
#if defined(TUN_BSD_SUPPORTED)
		tun_bsd_close(dev->fds[q], dev->name);   /* also destroys a cloned FreeBSD tun */
#else
		close(dev->fds[q]);
#endif
	}
	uinfo(SUBSYS, "TUN device %s removed", dev->name);
	free(dev);
}

#if defined(__linux__)
static int tun_open_queue(const char *want, char *got, bool multi, bool vnet, uipsec_err_t *err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
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
	if (set_nonblock(fd) < 0) {
		set_err(err, want, "O_NONBLOCK", errno);
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
#endif

static int io_tun_open(void *plugin_state, const uipsec_pktio_cfg_t *cfg,
                       uipsec_pktio_dev_t **out, uipsec_err_t *err)
{
	io_tun_state_t *st = plugin_state;
	uint32_t queues = cfg->queues ? cfg->queues : 1;
	if (queues > MAX_QUEUES)
		queues = MAX_QUEUES;
	const char *want = cfg->name ? cfg->name : st->name;
	if (strlen(want) >= IFNAMSIZ) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "TUN device name '%s' is longer than %d characters",
			         want, IFNAMSIZ - 1);
		return UIPSEC_ERR_INVAL;
	}
	uipsec_pktio_dev_t *dev = calloc(1, sizeof(*dev) + queues * sizeof(int));
	if (!dev)
		return UIPSEC_ERR_NOMEM;
	for (uint32_t q = 0; q < queues; q++)
		dev->fds[q] = -1;
	/* configured MTU wins over the core's computed default */
	dev->mtu = st->mtu ? st->mtu : (cfg->mtu ? cfg->mtu : DEFAULT_MTU);

#if defined(__linux__)
	bool multi = queues > 1;
	dev->vnet_hdr = st->offload && (cfg->offloads & UIPSEC_PKTIO_OFF_GSO) && (cfg->offloads & UIPSEC_PKTIO_OFF_CSUM);
	for (uint32_t q = 0; q < queues; q++) {
		/* later queues attach to the name the first one got */
		dev->fds[q] = tun_open_queue(q ? dev->name : want, dev->name, multi, dev->vnet_hdr, err);
		if (dev->fds[q] < 0) {
			io_tun_close(dev);
			return UIPSEC_ERR_IO;
		}
		dev->nqueues = q + 1;
	}
	/* the kernel may now hand us TCP super-packets with partial checksums */
	if (dev->vnet_hdr) {
		if (ioctl(dev->fds[0], TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0)
			dev->offloads = UIPSEC_PKTIO_OFF_CSUM | UIPSEC_PKTIO_OFF_GSO;
		else
			uwarn(SUBSYS, "%s: TUNSETOFFLOAD: %s; no segmentation offload", dev->name, strerror(errno));
	}
#elif defined(TUN_BSD_SUPPORTED)
	char emsg[sizeof(err->msg)] = "";
	dev->fds[0] = tun_bsd_open(want, dev->name, sizeof(dev->name), emsg, sizeof(emsg));
	if (dev->fds[0] < 0) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s: %s", want, emsg[0] ? emsg : strerror(-dev->fds[0]));
		free(dev);
		return UIPSEC_ERR_IO;
	}
	dev->nqueues = 1;   /* one queue: the BSD devices have no multi-queue mode */
#else
	if (err)
		snprintf(err->msg, sizeof(err->msg), "no TUN support on this platform");
	free(dev);
	return UIPSEC_ERR_NOTSUP;
#endif
	int rc = set_mtu(dev->name, dev->mtu, err);
	if (rc != UIPSEC_OK) {
		io_tun_close(dev);
		return rc;
	}
	uinfo(SUBSYS, "TUN device %s created, MTU %u, %u queue%s%s", dev->name, dev->mtu,
	      dev->nqueues, dev->nqueues == 1 ? "" : "s",
	      (dev->offloads & UIPSEC_PKTIO_OFF_GSO) ? ", TCP segmentation offload" : "");
	*out = dev;
	return UIPSEC_OK;
}

static const char *io_tun_name(const uipsec_pktio_dev_t *dev) { return dev->name; }
static uint32_t io_tun_mtu(const uipsec_pktio_dev_t *dev) { return dev->mtu; }
static uint32_t io_tun_queues(const uipsec_pktio_dev_t *dev) { return dev->nqueues; }
static uint32_t io_tun_offloads(const uipsec_pktio_dev_t *dev) { return dev->offloads; }

static int io_tun_fd(const uipsec_pktio_dev_t *dev, uint32_t q)
{
	return q < dev->nqueues ? dev->fds[q] : -1;
}

/* The TUN character device has no vectored multi-packet read: one read()
 * per packet, stopping at the first EAGAIN. */
static int io_tun_read(uipsec_pktio_dev_t *dev, uint32_t q, uipsec_pkt_t **pkts, int n)
{
	if (q >= dev->nqueues)
		return UIPSEC_ERR_INVAL;
	int fd = dev->fds[q];
	int got = 0;
	while (got < n) {
		uipsec_pkt_t *p = pkts[got];
		if (p->cap <= UIPSEC_PKT_HEADROOM + UIPSEC_PKT_TAILROOM)
			return UIPSEC_ERR_INVAL;
		p->off = UIPSEC_PKT_HEADROOM;
		p->flags = 0;
		p->gso_size = 0;
		p->gso_type = UIPSEC_GSO_NONE;
		size_t room = p->cap - UIPSEC_PKT_HEADROOM - UIPSEC_PKT_TAILROOM;
#if defined(__linux__)
		/* the virtio-net header lands in the headroom, the packet at HEADROOM */
		uint32_t hl = dev->vnet_hdr ? VNET_HDR_LEN : 0;
		ssize_t r = read(fd, p->buf + p->off - hl, room + hl);
		if (r >= 0 && hl) {
			if ((size_t)r < hl)
				continue;
			struct virtio_net_hdr vh;
			memcpy(&vh, p->buf + p->off - hl, sizeof(vh));
			r -= hl;
			if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
				p->flags |= UIPSEC_PKT_F_CSUM_PARTIAL;
			switch (vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
			case VIRTIO_NET_HDR_GSO_TCPV4: p->gso_type = UIPSEC_GSO_TCPV4; p->gso_size = vh.gso_size; break;
			case VIRTIO_NET_HDR_GSO_TCPV6: p->gso_type = UIPSEC_GSO_TCPV6; p->gso_size = vh.gso_size; break;
			default: break;
			}
		}
#elif defined(TUN_BSD_SUPPORTED)
		ssize_t r = tun_bsd_read(fd, p->buf + p->off, room);
#else
		ssize_t r = -1; errno = ENOTSUP;
#endif
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return got ? got : UIPSEC_ERR_IO;
		}
		if (r == 0)
			continue;
		p->len = (uint32_t)r;
		got++;
	}
	return got;
}

static int io_tun_write(uipsec_pktio_dev_t *dev, uint32_t q, uipsec_pkt_t **pkts, int n)
{
	if (q >= dev->nqueues)
		return UIPSEC_ERR_INVAL;
	int fd = dev->fds[q];
	int ok = 0;
	for (int i = 0; i < n; i++) {
		uipsec_pkt_t *p = pkts[i];
		ssize_t r;
#if defined(__linux__)
		uint32_t want = p->len;
		if (dev->vnet_hdr) {
			/* decapsulated packets were authenticated by ESP: the
			 * kernel need not verify their checksums again */
			uint8_t *h = uipsec_pkt_push(p, VNET_HDR_LEN);
			if (!h)
				continue;
			struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_DATA_VALID,
			                             .gso_type = VIRTIO_NET_HDR_GSO_NONE };
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
			want = p->len;
		}
#endif
		do {
#if defined(__linux__)
			r = write(fd, uipsec_pkt_data(p), p->len);
#elif defined(TUN_BSD_SUPPORTED)
			r = tun_bsd_write(fd, uipsec_pkt_data(p), p->len);
#else
			r = -1; errno = ENOTSUP;
#endif
		} while (r < 0 && errno == EINTR);
#if defined(__linux__)
		if (dev->vnet_hdr)
			uipsec_pkt_pull(p, VNET_HDR_LEN);
		if (r == (ssize_t)want)
			ok++;
#else
		if (r == (ssize_t)p->len)
			ok++;
#endif
	}
	return ok;
}

static const uipsec_pktio_ops_t io_tun_ops = {
	.open = io_tun_open,
	.close = io_tun_close,
	.name = io_tun_name,
	.mtu = io_tun_mtu,
	.queues = io_tun_queues,
	.offloads = io_tun_offloads,
	.fd = io_tun_fd,
	.read = io_tun_read,
	.write = io_tun_write,
};

static const uipsec_feature_t io_tun_features[] = {
	UIPSEC_PROVIDE(UIPSEC_FT_PKTIO, 0, UIPSEC_PRIO_DEFAULT, &io_tun_ops),
	UIPSEC_FEATURE_END
};

static int io_tun_init(uipsec_plugin_ctx_t *ctx, void **state, uipsec_err_t *err)
{
	io_tun_state_t *st = calloc(1, sizeof(*st));
	if (!st)
		return UIPSEC_ERR_NOMEM;
	const char *name = uipsec_plugin_opt_str(ctx, "name", DEFAULT_NAME);
	if (!name || !*name || strlen(name) >= IFNAMSIZ) {
		snprintf(err->msg, sizeof(err->msg), "uipsecd.plugins.io-tun.name: '%s' is not a valid interface name",
		         name ? name : "");
		free(st);
		return UIPSEC_ERR_INVAL;
	}
	snprintf(st->name, sizeof(st->name), "%s", name);
	int64_t mtu = uipsec_plugin_opt_int(ctx, "mtu", 0);
	if (mtu != 0 && (mtu < 576 || mtu > 65535)) {
		snprintf(err->msg, sizeof(err->msg), "uipsecd.plugins.io-tun.mtu: %lld is out of range (576..65535)",
		         (long long)mtu);
		free(st);
		return UIPSEC_ERR_INVAL;
	}
	st->mtu = (uint32_t)mtu;
	st->offload = uipsec_plugin_opt_bool(ctx, "offload", true);
	*state = st;
	return UIPSEC_OK;
}

static void io_tun_fini(void *state)
{
	free(state);
}

UIPSEC_PLUGIN_DEFINE(io_tun, "io-tun", PACKAGE_VERSION, "TUN device packet I/O",
                     io_tun_features, io_tun_options, io_tun_init, io_tun_fini);
