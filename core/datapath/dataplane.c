/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's data plane: network backend, route manager, TUN device and
 * workers, and the configured tunnels installed into them. */
#include "config.h"
#include <glib-unix.h>

#include <uipsec/log.h>
#include <uipsec/plugin.h>

#include "datapath/dataplane.h"
#include "esp/events.h"
#include "datapath/mtu.h"
#include "esp/sad.h"
#include "esp/spd.h"

#define SUBSYS "tunnel"   /* the log lines kept the subsystem they had in tunnel.c */

struct dataplane {
	tunnels_t *tunnels;
	datapath_t *dp;
	const uipsec_net_ops_t *net_ops;
	uipsec_net_t *net;
	route_mgr_t *rm;
	guint net_watch;        /* the backend's link/address/route events */
	ike_relay_t *relay;     /* NULL: uipsecd.ike.socket = none, or it could not be made */
};

/* A burst of network events (one `ip route replace` is several messages)
 * is acted on once, this long after its first message. */
#define NET_EVENT_DELAY_MS 100
/* Routes and rules removed without a notification are put back this late
 * at most (docs/reliability.md). */
#define NET_CHECK_INTERVAL_S 30

static void on_net_event(const uipsec_net_event_t *ev, void *user)
{
	route_mgr_handle_event(user, ev);
}

static gboolean on_net_readable(gint fd, GIOCondition cond, gpointer user)
{
	dataplane_t *svc = user;
	(void)fd;
	(void)cond;
	svc->net_ops->event_dispatch(svc->net);
	return G_SOURCE_CONTINUE;
}

/* Exception routes and preferred sources follow the host's network. */
static void net_events_watch(dataplane_t *svc)
{
	const uipsec_net_ops_t *ops = svc->net_ops;
	int fd = ops->event_fd && ops->event_dispatch && ops->set_event_cb ? ops->event_fd(svc->net) : -1;
	if (fd < 0) {
		uwarn(SUBSYS, "the network backend reports no changes: exception routes keep the next hop they "
		      "were installed with");
		return;
	}
	ops->set_event_cb(svc->net, on_net_event, svc->rm);
	svc->net_watch = g_unix_fd_add(fd, G_IO_IN, on_net_readable, svc);
}

route_mgr_t *dataplane_route_mgr(dataplane_t *svc) { return svc->rm; }

static bool send_from_esp_port(void *dp, const void *data, size_t len, const uipsec_addr_t *src, uint32_t ifindex,
                               const ip_endpoint_t *peer)
{
	return datapath_send_from(dp, data, len, src, ifindex, peer);
}

/* The IKE relay on the ESP port. A socket named in the configuration must
 * be made; the default one is best effort (a second daemon on the host, a
 * test without /run): without it IKE on the port is counted and dropped
 * as before. */
static bool relay_start(dataplane_t *svc, const uipsec_settings_t *s, GError **err)
{
	GError *e = NULL;
	svc->relay = ike_relay_start(s, send_from_esp_port, svc->dp, &e);
	if (svc->relay) {
		datapath_set_ike_relay(svc->dp, svc->relay);
		return true;
	}
	if (!e)
		return true;   /* socket = none */
	if (uipsec_settings_get_str(s, "uipsecd.ike.socket", NULL)) {
		g_propagate_error(err, e);
		return false;
	}
	uwarn(SUBSYS, "%s: no IKE relay, IKE datagrams on port %u are counted and dropped", e->message,
	      datapath_port(svc->dp));
	g_error_free(e);
	return true;
}

static dataplane_t *current_service;

dataplane_t *dataplane_current(void) { return current_service; }
tunnels_t *dataplane_tunnels(dataplane_t *svc) { return svc->tunnels; }
datapath_t *dataplane_datapath(dataplane_t *svc) { return svc->dp; }

dataplane_t *dataplane_start(const uipsec_settings_t *s, GError **err)
{
	dataplane_t *svc = g_new0(dataplane_t, 1);
	spd_init();
	sad_init();
	svc->tunnels = tunnels_new(s, err);
	if (!svc->tunnels)
		goto fail;
	uint32_t mtu = tunnels_default_mtu(svc->tunnels, MTU_DEFAULT_LINK);
	svc->dp = datapath_start(s, mtu, err);
	if (!svc->dp)
		goto fail;
	if (!relay_start(svc, s, err))
		goto fail;
	void *nstate = NULL;
	svc->net_ops = uipsec_feature_get(UIPSEC_FT_NET, 0, NULL, &nstate);
	uipsec_err_t e = { "" };
	if (!svc->net_ops) {
		uwarn(SUBSYS, "no network backend loaded: %s stays down, no routes are installed",
		      datapath_ifname(svc->dp));
	} else if (svc->net_ops->create(nstate, &svc->net, &e) != UIPSEC_OK) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "network backend: %s", e.msg);
		goto fail;
	} else if (svc->net_ops->link_set(svc->net, datapath_ifname(svc->dp), true, 0, &e) != UIPSEC_OK) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "bringing %s up: %s", datapath_ifname(svc->dp), e.msg);
		goto fail;
	}
	if (svc->net) {
		route_mgr_cfg_t rc = {
			.install_routes = uipsec_settings_get_bool(s, "uipsecd.install_routes", true),
			.allow_peer_ts = uipsec_settings_get_bool(s, "uipsecd.allow_peer_ts", false),
			.socket_fwmark = (uint32_t)uipsec_settings_get_int(s, "uipsecd.socket.fwmark", 0),
			.event_delay_ms = NET_EVENT_DELAY_MS,
			.check_interval_s = NET_CHECK_INTERVAL_S,
		};
		svc->rm = route_mgr_new(svc->net_ops, svc->net, &rc);
		if (route_mgr_start(svc->rm, &e) != UIPSEC_OK) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "routing: %s", e.msg);
			goto fail;
		}
		net_events_watch(svc);
	}
	tunnels_attach(svc->tunnels, svc->dp, svc->rm, svc->net_ops, svc->net);
	GError *terr = NULL;
	if (!tunnels_start(svc->tunnels, &terr)) {
		/* a tunnel that cannot come up does not stop the others */
		g_error_free(terr);
	}
	current_service = svc;
	return svc;
fail:
	dataplane_stop(svc);
	return NULL;
}

void dataplane_stop(dataplane_t *svc)
{
	if (!svc)
		return;
	if (current_service == svc)
		current_service = NULL;
	tunnels_free(svc->tunnels);
	if (svc->net_watch) {
		g_source_remove(svc->net_watch);
		svc->net_ops->set_event_cb(svc->net, NULL, NULL);
	}
	if (svc->rm)
		route_mgr_free(svc->rm);
	datapath_stop(svc->dp);
	ike_relay_stop(svc->relay);   /* after the workers: they may be sending to it */
	if (svc->net)
		svc->net_ops->destroy(svc->net);
	g_free(svc);
}

void dataplane_events_attach(void)
{
	sad_init();
	spd_init();
	events_attach(NULL);
	sad_attach(NULL);
}

void dataplane_events_detach(void)
{
	sad_detach();
	events_detach();
}
