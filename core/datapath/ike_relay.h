/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IKE relay (internal API): IKE datagrams that reach the ESP-in-UDP
 * port (non-ESP marker, and NAT keepalives) are passed, unchanged, to the
 * one local IKE daemon connected to a UNIX SOCK_SEQPACKET socket
 * (uipsecd.ike.socket), in the frames of ike_frame.h; what it writes there
 * is sent from the ESP port with the source address it names.
 *
 * Workers call ike_relay_forward(): one non-blocking send, a full socket
 * is a drop (ike_relay_dropped), never a wait. The listening socket, the
 * client and the reverse direction live in the main loop. One client at a
 * time: a new connection replaces the old one (a restarted IKE daemon is
 * never locked out by the half-dead connection of its predecessor). */
#ifndef UIPSEC_CORE_IKE_RELAY_H
#define UIPSEC_CORE_IKE_RELAY_H

#include <glib.h>
#include <uipsec/settings.h>
#include "datapath/udp_socket.h"

#define IKE_RELAY_DEFAULT_SOCKET "/run/uipsec/ike.sock"
/* uipsecd.ike.socket value for "no relay" */
#define IKE_RELAY_SOCKET_NONE "none"

typedef struct ike_relay ike_relay_t;

/* Sends a datagram from the ESP port (datapath_send_from(), passed in:
 * the data path calls the relay, not the other way round). */
typedef bool (*ike_relay_send_fn)(void *ctx, const void *data, size_t len, const uipsec_addr_t *src, uint32_t ifindex,
                                  const ip_endpoint_t *peer);

/* Reads uipsecd.ike.{socket,mode,group}, creates the socket and serves it
 * from the thread-default main context; replies leave through send(ctx).
 * NULL without err when the relay is off (socket = none); NULL with err
 * when the socket cannot be made. */
ike_relay_t *ike_relay_start(const uipsec_settings_t *s, ike_relay_send_fn send, void *ctx, GError **err);
/* After the workers stopped: close the client and the socket. */
void ike_relay_stop(ike_relay_t *r);

/* From a worker: pass one datagram (data/len as received on the ESP port,
 * port) from peer to the client, if there is one. false when nobody is
 * connected (the caller's verdict stands: counted, dropped). */
bool ike_relay_forward(ike_relay_t *r, const uint8_t *data, size_t len, const ip_endpoint_t *peer,
                       const udp_local_t *local, uint16_t port);

const char *ike_relay_path(const ike_relay_t *r);
bool ike_relay_connected(ike_relay_t *r);

#endif
