/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Data-path workers (internal API).
 *
 * `threads` workers (uipsecd.threads, 0 = one per online CPU), each a
 * pthread owning one queue of the packet-I/O device and one set of
 * ESP-in-UDP sockets (SO_REUSEPORT). A worker waits in its event loop
 * (core/os: epoll, kqueue or poll) and moves packets in batches of up to
 * PKTBUF_BATCH:
 *   TUN queue  -> MTU check -> esp_encap_batch -> batched send (os/dgram.h)
 *   batched receive -> esp_decap_batch -> TUN queue
 * Buffers come from the worker's own pool, allocated at start: no
 * per-packet malloc, no lock shared between workers except the SAD/SPD
 * read lock taken once per batch. Every queue is bounded (TUN queue,
 * socket buffers); what overflows is dropped and counted as
 * queue_dropped. */
#ifndef UIPSEC_CORE_WORKER_H
#define UIPSEC_CORE_WORKER_H

#include <glib.h>
#include <uipsec/settings.h>
#include "util/ip.h"
#include "datapath/ike_relay.h"

typedef struct datapath datapath_t;

/* Called in the main context when an authenticated packet of inbound SA
 * `spi` (reqid) arrived from a source other than the peer its outbound SA
 * sends to (a NAT rebinding). Returns true when it moved an outbound SA
 * (workers then check their cached peers again). */
typedef bool (*datapath_rebind_cb)(uint32_t reqid, uint32_t spi, const ip_endpoint_t *from, void *user);

/* Open the packet-I/O device (highest-priority UIPSEC_FT_PKTIO provider)
 * with one queue per worker, the sockets, and start the workers.
 * default_mtu: MTU for the device unless plugins.io-tun.mtu is set. The
 * device is not brought up here (the network backend does it). */
datapath_t *datapath_start(const uipsec_settings_t *s, uint32_t default_mtu, GError **err);
/* Stop the workers, close sockets and the device. */
void datapath_stop(datapath_t *dp);

const char *datapath_ifname(const datapath_t *dp);
/* plugins.io-tun.per_vip_device: one TUN device per virtual IP */
bool datapath_per_vip(const datapath_t *dp);
/* The device owning the virtual IPs vips[0..n-1] (one device for all of
 * them), created (not yet up) on first use; decrypted packets to them are
 * written there. Devices live until the data path stops. NULL with err on
 * failure. */
const char *datapath_vip_device(datapath_t *dp, const uipsec_addr_t *vips, unsigned n, GError **err);
uint32_t datapath_mtu(const datapath_t *dp);
uint32_t datapath_threads(const datapath_t *dp);
uint16_t datapath_port(const datapath_t *dp);
/* Raw ESP sockets open (uipsecd.socket.raw_esp): SAs with encap none can be sent. */
/* "linux-fast" (epoll, eventfd, recvmmsg/sendmmsg, UDP and TUN offloads) or
 * "portable" (configure --with-portable-datapath; FreeBSD, macOS) */
const char *datapath_flavour(void);
bool datapath_raw_esp(const datapath_t *dp);

/* Largest inner packet that fits the outer path after ESP overhead
 * (0 = no limit). Bigger packets get ICMP errors or are fragmented. */
void datapath_set_inner_room(datapath_t *dp, uint32_t room);

void datapath_set_rebind_cb(datapath_t *dp, datapath_rebind_cb cb, void *user);
/* An outbound SA was moved (migrate-sa): workers compare the next
 * authenticated packet of each SA with where it sends now. */
void datapath_recheck_peers(datapath_t *dp);

/* From now on IKE datagrams and NAT keepalives arriving on the ESP port
 * go to relay (NULL: counted and dropped). relay must outlive the
 * workers: stop the data path before the relay. */
void datapath_set_ike_relay(datapath_t *dp, ike_relay_t *relay);
/* Send one datagram (an IKE message from the relay) from the ESP-in-UDP
 * port and our address src (any: the kernel picks) to peer. Main thread. */
bool datapath_send_from(datapath_t *dp, const void *data, size_t len, const uipsec_addr_t *src, uint32_t ifindex,
                        const ip_endpoint_t *peer);

/* Send a NAT keepalive (0xFF) to peer from the ESP-in-UDP port. */
bool datapath_send_keepalive(datapath_t *dp, const ip_endpoint_t *peer);

/* Online CPUs (the default number of workers). */
uint32_t datapath_default_threads(void);

#endif
