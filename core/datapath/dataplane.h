/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's data plane (internal API), started by uipsecd's "data path"
 * step: the network backend object and route manager (with the backend's
 * link/address/route events in the main loop), the data path (TUN device
 * up, workers, ESP-in-UDP sockets) and the tunnels (tunnel.h) installed
 * into them. One runs at a time; the control socket finds it through
 * dataplane_current(). */
#ifndef UIPSEC_CORE_DATAPLANE_H
#define UIPSEC_CORE_DATAPLANE_H

#include <glib.h>
#include <uipsec/settings.h>
#include "net/route_mgr.h"
#include "datapath/tunnel.h"
#include "datapath/datapath.h"

typedef struct dataplane dataplane_t;

/* Creates the network backend object and route manager, the data path
 * (TUN device up, workers) and installs start = yes tunnels (one that
 * fails is logged and left down). NULL with err when any part fails. */
dataplane_t *dataplane_start(const uipsec_settings_t *s, GError **err);
void dataplane_stop(dataplane_t *dp);
/* The running data plane (for the control socket), NULL when stopped. */
dataplane_t *dataplane_current(void);
tunnels_t *dataplane_tunnels(dataplane_t *dp);
datapath_t *dataplane_datapath(dataplane_t *dp);
/* NULL without a network backend. */
route_mgr_t *dataplane_route_mgr(dataplane_t *dp);

/* Events raised anywhere are delivered from the main loop from now on,
 * and the SAD checks SA lifetimes there (once a second; hard-expired SAs
 * are removed). Independent of the control socket, which only subscribes. */
void dataplane_events_attach(void);
void dataplane_events_detach(void);

#endif
