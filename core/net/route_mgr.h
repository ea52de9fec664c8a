/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Route manager: the core's routing decisions for tunnels (internal API).
 *
 * Given a tunnel (outer addresses, selectors, virtual IPs, TUN device) it
 * decides what the network backend installs, shared by every backend
 * (net-netlink, net-pfroute):
 *  - a route for each remote selector into the TUN device, in the backend's
 *    table, preferred source = a virtual IP or a local address inside the
 *    local selectors; reference-counted when several tunnels share one;
 *  - one policy rule per address family selecting that table (if the
 *    backend has policy routing), optionally with a [!]fwmark;
 *  - an exception host route to the peer via its current next hop when the
 *    peer lies inside a remote selector, reference-counted;
 *  - refusal of a remote selector that equals the peer unless
 *    allow_peer_ts is set;
 *  - virtual IPs added to the TUN device and removed with their tunnel;
 *  - a throw route in the backend's table for each outbound bypass
 *    policy, so its traffic skips the TUN device and leaves in clear;
 *  - for outbound policies added with route: true, what a tunnel with
 *    their selectors and peer gets (route_mgr_policy_add).
 * At start leftovers of a crashed run are flushed; at stop everything
 * installed is removed. Kernel errors come back per tunnel and operation,
 * e.g. "tunnel site-b: add route 10.2.0.0/24 dev uipsec0 table 220: No such device".
 *
 * Not thread-safe: call from the daemon's main loop. Exported from
 * libuipsec for uipsecd and the tests, but not installed.
 */
#ifndef UIPSEC_CORE_ROUTE_MGR_H
#define UIPSEC_CORE_ROUTE_MGR_H

#include <uipsec/net.h>
#include <uipsec/settings.h>

typedef struct route_mgr route_mgr_t;

typedef struct route_mgr_cfg {
	bool install_routes;     /* uipsecd.install_routes (default yes) */
	bool allow_peer_ts;      /* uipsecd.allow_peer_ts (default no) */
	uint32_t socket_fwmark;  /* uipsecd.socket.fwmark, 0 = none: the peer's
	                          * next hop is looked up as ESP packets leave */
	unsigned event_delay_ms; /* act on network events this long after the
	                          * first of a burst (GLib timeout in the thread-
	                          * default main context); 0 = at once */
	unsigned check_interval_s; /* reconcile this often whatever the events say
	                            * (GLib timeout as above); 0 = only on events */
} route_mgr_cfg_t;

/* A tunnel as the route manager sees it. Arrays are copied. */
typedef struct route_mgr_tunnel {
	const char *name;                 /* unique key, used in messages */
	const char *ifname;               /* TUN device the routes point into */
	uipsec_addr_t local, remote;      /* outer addresses (local may be family 0 = any) */
	const uipsec_prefix_t *local_ts;  /* proto/port parts are not routed: prefixes only */
	size_t local_ts_count;
	const uipsec_prefix_t *remote_ts;
	size_t remote_ts_count;
	const uipsec_prefix_t *vips;      /* virtual IPs for the TUN device, may be NULL */
	size_t vip_count;
} route_mgr_tunnel_t;

/* uipsecd.install_routes, uipsecd.allow_peer_ts, uipsecd.socket.fwmark */
UIPSEC_EXPORT void route_mgr_cfg_from_settings(const uipsec_settings_t *s, route_mgr_cfg_t *cfg);

/* ops/net: the network backend in use (not owned). */
UIPSEC_EXPORT route_mgr_t *route_mgr_new(const uipsec_net_ops_t *ops, uipsec_net_t *net, const route_mgr_cfg_t *cfg);
/* Calls route_mgr_stop() if started. */
UIPSEC_EXPORT void route_mgr_free(route_mgr_t *m);

/* Flush leftovers of a crashed run (routes in our table, our rule), then
 * install the rule(s). Does nothing to routes when install_routes = no. */
UIPSEC_EXPORT int route_mgr_start(route_mgr_t *m, uipsec_err_t *err);
/* Remove everything installed: every tunnel's routes, exception routes and
 * virtual IPs, then the rule(s). Errors are logged, never fatal. */
UIPSEC_EXPORT void route_mgr_stop(route_mgr_t *m);

/* Decisions only, nothing installed: fails (naming allow_peer_ts) when a
 * remote selector equals the peer and allow_peer_ts = no, or on bad input. */
UIPSEC_EXPORT int route_mgr_tunnel_check(const route_mgr_t *m, const route_mgr_tunnel_t *t, uipsec_err_t *err);
/* Install a tunnel's addresses and routes. All or nothing: on failure
 * whatever this call installed is removed again and err names the tunnel,
 * the operation and the kernel's message; the call may be retried.
 * UIPSEC_ERR_EXISTS if a tunnel of that name is installed. */
UIPSEC_EXPORT int route_mgr_tunnel_add(route_mgr_t *m, const route_mgr_tunnel_t *t, uipsec_err_t *err);
/* Remove what tunnel_add installed (reference counts decide what leaves
 * the kernel). UIPSEC_ERR_NOTFOUND for an unknown name. Removal continues
 * past kernel errors; the first is returned. */
UIPSEC_EXPORT int route_mgr_tunnel_del(route_mgr_t *m, const char *name, uipsec_err_t *err);
UIPSEC_EXPORT bool route_mgr_has_tunnel(const route_mgr_t *m, const char *name);

/* A link/address/route change reported by the backend (its event
 * callback): exception routes follow the peer's new next hop, tunnel
 * routes get the preferred source the local addresses now allow (e.g. once
 * an address inside local_ts appears). Route changes in our own table only
 * lead to route_mgr_reconcile() when they concern a destination we hold;
 * UIPSEC_NET_RESYNC (lost notifications) is counted (net_events_lost)
 * and re-checks everything. With event_delay_ms a burst is handled once,
 * that long after its first event. The next hop is what the kernel answers
 * for the daemon's packets: when the rule does not skip socket.fwmark, the
 * exception route is swapped for a throw route (lookup goes on past our
 * table) during the lookup, so the lookup does not find it.
 * Failures are logged; nothing is torn down. */
UIPSEC_EXPORT void route_mgr_handle_event(route_mgr_t *m, const uipsec_net_event_t *ev);

/* Put back what someone else removed: the rule(s), virtual IPs and every
 * route held (added exclusively: one already there is left alone). Runs
 * after events that may have removed something (a route of ours deleted
 * from our table, a rule change for our table, a TUN device up again, a
 * link up, a virtual IP's device losing an address, lost notifications)
 * and every check_interval_s. Each thing put back is logged once
 * ("... was removed by someone else: reinstalled") and counted in
 * routes_reinstalled; one that cannot be put back yet (its device is
 * down) is logged once until it can. Returns how many were put back. */
UIPSEC_EXPORT unsigned route_mgr_reconcile(route_mgr_t *m);

/* Called when a watched TUN device was deleted from outside. */
typedef void (*route_mgr_device_cb)(const char *ifname, void *user);
/* Watch the data path's TUN device ifname (devices that tunnels and routed
 * policies name are watched as well): set down from outside it is logged
 * and counted (tun_down) once and its routes are put back when it is up
 * again; deleted, it is logged and counted (tun_lost) and lost() is
 * called (may be NULL). */
UIPSEC_EXPORT void route_mgr_watch_device(route_mgr_t *m, const char *ifname, route_mgr_device_cb lost, void *user);

/* Outbound bypass policy 'id' (control socket): a throw route for dst in
 * the backend's table, so matching packets continue with the next rule
 * and leave in clear instead of entering the TUN device. Only the
 * destination is routed: the route also passes other sources. A policy
 * limited to a protocol or ports (all_traffic = false) is refused
 * (UIPSEC_ERR_NOTSUP): its route would pass every protocol in clear.
 * Reference-counted with other policies for the same prefix; refused
 * (UIPSEC_ERR_EXISTS) when a tunnel or exception route has that exact
 * prefix, and (UIPSEC_ERR_NOTSUP) by a backend without policy routing
 * (PF_ROUTE). Does nothing when install_routes = no. */
UIPSEC_EXPORT int route_mgr_bypass_add(route_mgr_t *m, uint32_t id, const uipsec_prefix_t *dst, bool all_traffic,
                                       uipsec_err_t *err);
/* UIPSEC_ERR_NOTFOUND when policy id has no route. */
UIPSEC_EXPORT int route_mgr_bypass_del(route_mgr_t *m, uint32_t id, uipsec_err_t *err);

/* An outbound policy added over the control socket with route: true. */
typedef struct route_mgr_policy {
	const char *ifname;          /* TUN device */
	uipsec_prefix_t src, dst;    /* selectors (prefixes): dst is routed, src gives the preferred source */
	uipsec_addr_t peer;          /* family 0 = not given */
} route_mgr_policy_t;

/* Route policy 'id' as a tunnel with local_ts = src, remote_ts = dst and
 * remote = peer would be: a route for dst into the TUN device with a
 * preferred source inside src (a virtual IP there included), the
 * exception route when the peer lies inside dst, and the allow_peer_ts
 * refusal (UIPSEC_ERR_PERM) when dst is the peer. Routes are reference-
 * counted with tunnels and other policies. All or nothing. Without
 * install_routes only the checks run. */
UIPSEC_EXPORT int route_mgr_policy_add(route_mgr_t *m, uint32_t id, const route_mgr_policy_t *p, uipsec_err_t *err);
/* UIPSEC_ERR_NOTFOUND when policy id has no routes. */
UIPSEC_EXPORT int route_mgr_policy_del(route_mgr_t *m, uint32_t id, uipsec_err_t *err);

/* The backend's routing parameters in use (table 0 = no policy routing). */
UIPSEC_EXPORT void route_mgr_routing(const route_mgr_t *m, uipsec_net_routing_t *out);

#endif
