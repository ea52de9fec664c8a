/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Manually keyed tunnels from the `tunnels` section (internal API).
 *
 * A tunnel is a pair of SAs (in: peer -> us, out: us -> peer), protect
 * policies for its selectors and routes into the TUN device. Tunnels with
 * start = yes are installed by tunnels_start(); tunnel_up()/tunnel_down()
 * install and remove one by name (control socket). Keys come from the
 * config or from key_file (refused when group/world accessible). NAT
 * keepalives are sent at each tunnel's `keepalive` interval, and a peer
 * whose address/port changed (NAT rebinding) is adopted once one of its
 * packets authenticated. Runs in the main loop.
 *
 * Parsing and keys live in tunnel_config.h; the daemon's data plane that
 * these tunnels are installed into is assembled in dataplane.h. */
#ifndef UIPSEC_CORE_TUNNEL_H
#define UIPSEC_CORE_TUNNEL_H

#include <glib.h>
#include <uipsec/net.h>
#include <uipsec/settings.h>
#include "net/route_mgr.h"
#include "datapath/datapath.h"

typedef struct tunnels tunnels_t;

/* Parse and check every tunnel (file:line in errors); nothing installed. */
tunnels_t *tunnels_new(const uipsec_settings_t *s, GError **err);
/* Remove every installed tunnel and free. */
void tunnels_free(tunnels_t *t);
/* TUN MTU that leaves room for the ESP overhead of every configured
 * tunnel's proposal over an outer path of link_mtu (1400 without tunnels). */
uint32_t tunnels_default_mtu(const tunnels_t *t, uint32_t link_mtu);
/* Where tunnels are installed; also subscribes to hard expiries and takes
 * dp's NAT rebinding reports. rm is NULL only without a network backend (with install_routes = no it
 * still installs virtual IPs). */
void tunnels_attach(tunnels_t *t, datapath_t *dp, route_mgr_t *rm,
                    const uipsec_net_ops_t *net_ops, uipsec_net_t *net);
/* Install every tunnel with start = yes. A tunnel that fails is logged and
 * left down; returns false when any failed (err: the first failure). */
bool tunnels_start(tunnels_t *t, GError **err);

int tunnel_up(tunnels_t *t, const char *name, uipsec_err_t *err);
int tunnel_down(tunnels_t *t, const char *name, uipsec_err_t *err);

/* Listing (control: list-tunnels). */
typedef struct tunnel_info {
	const char *name;
	bool up;
	const char *esp;
	ip_endpoint_t local, peer;     /* peer: current (after NAT rebinding) */
	uint32_t spi_in, spi_out;
	uint32_t reqid;
	bool encap;                    /* ESP in UDP; false: raw ESP */
} tunnel_info_t;
void tunnels_foreach(tunnels_t *t, void (*fn)(const tunnel_info_t *info, void *user), void *user);

/* Reload (control): apply the tunnels section of s. Tunnels that are gone
 * are taken down, new ones installed (start = yes), changed ones replaced
 * (new SAs before old ones are removed when both SPIs changed and the
 * addresses and selectors did not; otherwise taken down and up again),
 * unchanged ones are not touched. cb reports each tunnel; note is NULL or
 * what went wrong / how it was replaced. False (err, nothing changed) when
 * the tunnels section does not parse. */
typedef enum tunnel_reload_what {
	TUNNEL_RELOAD_ADDED,
	TUNNEL_RELOAD_REMOVED,
	TUNNEL_RELOAD_CHANGED,
	TUNNEL_RELOAD_UNCHANGED,
} tunnel_reload_what_t;
typedef void (*tunnel_reload_cb)(const char *name, tunnel_reload_what_t what, const char *note, void *user);
bool tunnels_reload(tunnels_t *ts, const uipsec_settings_t *s, tunnel_reload_cb cb, void *user, GError **err);

#endif
