/* SPDX-License-Identifier: GPL-2.0-or-later */
/* io-tun: packet I/O through the kernel's TUN device.
 *
 * The plugin, its options, the MTU and the packet loops; the device itself
 * is the system half, tun_sys.h (tun_linux.c: /dev/net/tun, one queue per
 * worker, virtio-net offloads; tun_bsd.c: FreeBSD tun, macOS utun, one
 * queue, the address-family header), chosen by the build.
 */
#include "config.h"

#include <errno.h>
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

#include "tun_sys.h"
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
	tun_sys_dev_t sys;      /* name, queues, offloads: what the system made */
	uint32_t mtu;
	int fds[];
};

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
	for (uint32_t q = 0; q < dev->sys.nqueues; q++)
		tun_sys_close(dev->fds[q], dev->sys.name);
	uinfo(SUBSYS, "TUN device %s removed", dev->sys.name);
	free(dev);
}

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

	bool offload = st->offload && (cfg->offloads & UIPSEC_PKTIO_OFF_GSO) && (cfg->offloads & UIPSEC_PKTIO_OFF_CSUM);
	int rc = tun_sys_open(want, queues, offload, dev->fds, &dev->sys, err);
	if (rc != UIPSEC_OK) {
		free(dev);
		return rc;
	}
	rc = set_mtu(dev->sys.name, dev->mtu, err);
	if (rc != UIPSEC_OK) {
		io_tun_close(dev);
		return rc;
	}
	uinfo(SUBSYS, "TUN device %s created, MTU %u, %u queue%s%s", dev->sys.name, dev->mtu,
	      dev->sys.nqueues, dev->sys.nqueues == 1 ? "" : "s",
	      (dev->sys.offloads & UIPSEC_PKTIO_OFF_GSO) ? ", TCP segmentation offload" : "");
	*out = dev;
	return UIPSEC_OK;
}

static const char *io_tun_name(const uipsec_pktio_dev_t *dev) { return dev->sys.name; }
static uint32_t io_tun_mtu(const uipsec_pktio_dev_t *dev) { return dev->mtu; }
static uint32_t io_tun_queues(const uipsec_pktio_dev_t *dev) { return dev->sys.nqueues; }
static uint32_t io_tun_offloads(const uipsec_pktio_dev_t *dev) { return dev->sys.offloads; }

static int io_tun_fd(const uipsec_pktio_dev_t *dev, uint32_t q)
{
	return q < dev->sys.nqueues ? dev->fds[q] : -1;
}

/* The TUN character device has no vectored multi-packet read: one read()
 * per packet, stopping at the first EAGAIN. */
static int io_tun_read(uipsec_pktio_dev_t *dev, uint32_t q, uipsec_pkt_t **pkts, int n)
{
	if (q >= dev->sys.nqueues)
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
		ssize_t r = tun_sys_read(fd, dev->sys.vnet_hdr, p, room);
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
	if (q >= dev->sys.nqueues)
		return UIPSEC_ERR_INVAL;
	int ok = 0;
	for (int i = 0; i < n; i++)
		ok += tun_sys_write(dev->fds[q], dev->sys.vnet_hdr, pkts[i]);
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
