/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file
 * @brief uipsec public API: packet I/O backends (TUN devices and the like).
 *
 * The highest-priority UIPSEC_FT_PKTIO provider is used. The core opens one
 * device (or one per virtual IP where the platform needs it,
 * uipsecd.plugins.io-tun.per_vip_device), each with one queue per worker
 * thread. A worker only ever touches its own queue, so backends need no
 * locking on read/write: queue q of a device is used by one thread.
 *
 * Packets move in vectors: read() fills up to n caller-owned buffers,
 * write() sends n packets, both with as few system calls as the platform
 * allows. Data is placed at UIPSEC_PKT_HEADROOM so ESP encapsulation can
 * prepend its headers in place.
 *
 * Offloads (the next performance step): a backend that supports them may
 * accept UIPSEC_PKTIO_OFF_* in cfg->offloads and report what it enabled
 * through offloads(). With UIPSEC_PKTIO_OFF_GSO a read packet may be a
 * TCP/UDP super-packet larger than the MTU, described by pkt->gso_size and
 * pkt->gso_type (UIPSEC_GSO_*); the core segments it before encryption.
 * Writes with gso_size != 0 are coalesced TCP packets (GRO) the kernel
 * takes as one; their TCP checksum field holds the folded pseudo-header
 * sum (a partial checksum, as Linux CHECKSUM_PARTIAL). Other written
 * packets were authenticated by ESP and may be marked checksum-valid.
 * Backends without offloads ignore the request and return 0.
 */
#ifndef UIPSEC_PKTIO_H
#define UIPSEC_PKTIO_H

#include <uipsec/common.h>
#include <uipsec/packet.h>

UIPSEC_BEGIN_DECLS

/** An open device of a packet-I/O backend (the backend's own type). */
typedef struct uipsec_pktio_dev uipsec_pktio_dev_t;

/** @name Offload capabilities (bit set)
 * @{ */
#define UIPSEC_PKTIO_OFF_CSUM  0x1u   /* checksums may be left partial (virtio-net header) */
#define UIPSEC_PKTIO_OFF_GSO   0x2u   /* TCP/UDP segmentation/coalescing (TSO/USO, GRO) */
/** @} */

/** pkt->flags set by backends with UIPSEC_PKTIO_OFF_CSUM: the TCP/UDP
 * checksum is partial (pseudo header only) and must be completed before
 * the packet leaves in ESP. */
#define UIPSEC_PKT_F_CSUM_PARTIAL 0x100u

/** @name pkt->gso_type values for super-packets
 * @{ */
/** @def UIPSEC_GSO_NONE
 * not a super-packet
 * @def UIPSEC_GSO_TCPV4
 * TCP over IPv4, segments of gso_size payload bytes
 * @def UIPSEC_GSO_TCPV6
 * TCP over IPv6, segments of gso_size payload bytes
 * @def UIPSEC_GSO_UDP_L4
 * UDP datagrams of gso_size payload bytes (USO) */
#define UIPSEC_GSO_NONE   0u
#define UIPSEC_GSO_TCPV4  1u
#define UIPSEC_GSO_TCPV6  2u
#define UIPSEC_GSO_UDP_L4 3u
/** @} */

/** What the core asks of a new device (uipsec_pktio_ops_t::open). */
typedef struct uipsec_pktio_cfg {
	/** requested name; NULL = the backend's configured name
	 * (uipsecd.plugins.io-tun.name). Backends may pick another (utunN). */
	const char *name;
	/** MTU to set; 0 = the backend's configured or default value */
	uint32_t mtu;
	/** number of queues, one per worker (>= 1). Backends without
	 * multi-queue support open one queue and report it via queues(). */
	uint32_t queues;
	/** UIPSEC_PKTIO_OFF_* the core can handle; the backend enables a subset */
	uint32_t offloads;
} uipsec_pktio_cfg_t;

/** Operations of a packet-I/O backend: the ops of its UIPSEC_FT_PKTIO
 * feature (uipsec/plugin.h). Functions returning int return UIPSEC_OK or
 * a negative uipsec_status_t unless said otherwise. */
typedef struct uipsec_pktio_ops {
	/** Create the device (not yet up: the core brings it up through the
	 * network backend, which also adds addresses and routes). */
	int  (*open)(void *plugin_state, const uipsec_pktio_cfg_t *cfg,
	             uipsec_pktio_dev_t **dev, uipsec_err_t *err);
	/** Close every queue; the device disappears. */
	void (*close)(uipsec_pktio_dev_t *dev);
	/** the name the device got (e.g. "uipsec0", "utun3") */
	const char *(*name)(const uipsec_pktio_dev_t *dev);
	/** the MTU set on the device */
	uint32_t (*mtu)(const uipsec_pktio_dev_t *dev);
	/** number of queues actually opened (<= cfg->queues) */
	uint32_t (*queues)(const uipsec_pktio_dev_t *dev);
	/** UIPSEC_PKTIO_OFF_* enabled (may be NULL: none) */
	uint32_t (*offloads)(const uipsec_pktio_dev_t *dev);
	/** pollable, non-blocking fd of queue q (readable when packets wait) */
	int  (*fd)(const uipsec_pktio_dev_t *dev, uint32_t q);
	/** Read up to n packets into the given buffers: data placed at
	 * UIPSEC_PKT_HEADROOM, len set, each pkt->cap honoured. Returns the
	 * number read (0 when none waits) or a negative uipsec_status_t. */
	int  (*read)(uipsec_pktio_dev_t *dev, uint32_t q, uipsec_pkt_t **pkts, int n);
	/** Write n packets (IPv4 or IPv6, starting at uipsec_pkt_data()).
	 * Returns how many were accepted; packets the device refused (queue
	 * full) are not retried -- the caller counts them as dropped. */
	int  (*write)(uipsec_pktio_dev_t *dev, uint32_t q, uipsec_pkt_t **pkts, int n);
} uipsec_pktio_ops_t;

UIPSEC_END_DECLS

#endif
