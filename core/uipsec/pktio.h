/* uipsec public API: packet I/O backends (TUN devices and the like).
 *
 * The highest-priority UIPSEC_FT_PKTIO provider is used. A backend opens one
 * or more devices (one per virtual IP where the platform needs it), each
 * with one queue per worker thread; workers read and write batches of
 * packets on their own queue.
 */
#ifndef UIPSEC_PKTIO_H
#define UIPSEC_PKTIO_H

#include <uipsec/common.h>
#include <uipsec/packet.h>

UIPSEC_BEGIN_DECLS

typedef struct uipsec_pktio_dev uipsec_pktio_dev_t;

typedef struct uipsec_pktio_cfg {
	const char *name;       /* requested name ("uipsec0"); backends may pick another */
	uint32_t mtu;
	uint32_t queues;        /* one per worker */
} uipsec_pktio_cfg_t;

typedef struct uipsec_pktio_ops {
	int  (*open)(void *plugin_state, const uipsec_pktio_cfg_t *cfg,
	             uipsec_pktio_dev_t **dev, uipsec_err_t *err);
	void (*close)(uipsec_pktio_dev_t *dev);
	/* the name the device got (e.g. "uipsec0", "utun3") */
	const char *(*name)(const uipsec_pktio_dev_t *dev);
	/* pollable fd of queue q (readable when packets wait) */
	int  (*fd)(const uipsec_pktio_dev_t *dev, uint32_t q);
	/* Read up to n packets into the given buffers (data placed at
	 * UIPSEC_PKT_HEADROOM). Returns the number read (0 when none waits),
	 * or a negative status. */
	int  (*read)(uipsec_pktio_dev_t *dev, uint32_t q, uipsec_pkt_t **pkts, int n);
	/* Write n packets; returns how many were written or a negative status. */
	int  (*write)(uipsec_pktio_dev_t *dev, uint32_t q, uipsec_pkt_t **pkts, int n);
} uipsec_pktio_ops_t;

UIPSEC_END_DECLS

#endif
