/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Route manager: what to install for a tunnel and when to take it away.
 * The backend only executes; every decision (reference counts, exception
 * routes, allow_peer_ts, preferred source) is made here so that Linux and
 * the BSDs behave the same. */
#include "config.h"
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include <uipsec/log.h>
#include "esp/stats.h"
#include "net/route_mgr.h"

#define LOG_SUBSYS "net"

typedef enum rm_kind {
	RM_TUNNEL = 0,    /* remote selector into the TUN device */
	RM_EXCEPTION,     /* host route to a peer, outside the tunnel */
	RM_THROW,         /* bypass policy: the lookup goes on past our table */
} rm_kind_t;

static const char *const kind_desc[] = {
	[RM_TUNNEL] = "a tunnel route",
	[RM_EXCEPTION] = "an exception route (the peer of another tunnel)",
	[RM_THROW] = "a throw route (a bypass policy)",
};

/* A route in the kernel, shared by every tunnel or policy that needs it. */
typedef struct rm_route {
	uipsec_route_t r;
	rm_kind_t kind;
	unsigned refs;
	bool failing;       /* reconciliation could not put it back (logged once) */
} rm_route_t;

/* A virtual IP on a device, shared likewise. */
typedef struct rm_vip {
	char ifname[UIPSEC_IFNAMSIZ];
	uipsec_prefix_t addr;
	unsigned refs;
	bool failing;
} rm_vip_t;

/* What holds routes: a tunnel, or a bypass policy (one throw route). */
typedef struct rm_tunnel {
	char *name;
	char *label;                 /* "tunnel NAME" / "bypass policy ID", for messages */
	char ifname[UIPSEC_IFNAMSIZ];
	uipsec_prefix_t *local_ts;   /* copies, for the preferred source */
	size_t local_ts_count;
	uipsec_prefix_t *vip_addrs;
	size_t vip_count;
	GPtrArray *routes;  /* rm_route_t, one reference each */
	GPtrArray *vips;    /* rm_vip_t, one reference each */
} rm_tunnel_t;

struct route_mgr {
	const uipsec_net_ops_t *ops;
	uipsec_net_t *net;
	route_mgr_cfg_t cfg;
	uipsec_net_routing_t routing;
	bool started;
	bool rule_installed[2];   /* [0] IPv4, [1] IPv6 */
	GPtrArray *routes;        /* rm_route_t, owned */
	GPtrArray *vips;          /* rm_vip_t, owned */
	GHashTable *tunnels;      /* name -> rm_tunnel_t */
	GHashTable *bypasses;     /* policy id -> rm_tunnel_t */
	GHashTable *policies;     /* policy id -> rm_tunnel_t (route: true, control socket) */
	guint event_timer;        /* collecting a burst of events */
	bool event_paths;         /* ... among them one that may move a peer's next hop */
	bool event_addrs;         /* ... an address change */
	bool event_reconcile;     /* ... or one that may have removed what we installed */
	bool rule_failing[2];
	guint check_timer;        /* periodic reconciliation (backstop) */
	char watch_ifname[UIPSEC_IFNAMSIZ];   /* the data path's TUN device */
	route_mgr_device_cb device_lost;
	void *device_user;
	GHashTable *devs_down;    /* TUN device names set down from outside */
	GHashTable *devs_lost;    /* ... and deleted */
};

/* Beneath every route we install (metric 0; IPv6 makes that 1024), so it
 * only takes over while an exception route is briefly out of the table. */
#define RM_PROBE_METRIC 0x7fffffffu

static const uint8_t rule_families[2] = { AF_INET, AF_INET6 };

static void tunnel_free(gpointer p)
{
	rm_tunnel_t *t = p;
	g_ptr_array_unref(t->routes);
	g_ptr_array_unref(t->vips);
	g_free(t->local_ts);
	g_free(t->vip_addrs);
	g_free(t->label);
	g_free(t->name);
	g_free(t);
}

void route_mgr_cfg_from_settings(const uipsec_settings_t *s, route_mgr_cfg_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->install_routes = uipsec_settings_get_bool(s, "uipsecd.install_routes", true);
	cfg->allow_peer_ts = uipsec_settings_get_bool(s, "uipsecd.allow_peer_ts", false);
	int64_t mark = uipsec_settings_get_int(s, "uipsecd.socket.fwmark", 0);
	cfg->socket_fwmark = mark > 0 && mark <= UINT32_MAX ? (uint32_t)mark : 0;
}

route_mgr_t *route_mgr_new(const uipsec_net_ops_t *ops, uipsec_net_t *net, const route_mgr_cfg_t *cfg)
{
	route_mgr_t *m = g_new0(route_mgr_t, 1);
	m->ops = ops;
	m->net = net;
	m->cfg = *cfg;
	if (ops->get_routing)
		ops->get_routing(net, &m->routing);
	m->routes = g_ptr_array_new_with_free_func(g_free);
	m->vips = g_ptr_array_new_with_free_func(g_free);
	m->tunnels = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, tunnel_free);
	m->bypasses = g_hash_table_new_full(NULL, NULL, NULL, tunnel_free);
	m->policies = g_hash_table_new_full(NULL, NULL, NULL, tunnel_free);
	m->devs_down = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	m->devs_lost = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return m;
}

void route_mgr_free(route_mgr_t *m)
{
	if (!m)
		return;
	route_mgr_stop(m);
	g_hash_table_unref(m->tunnels);
	g_hash_table_unref(m->bypasses);
	g_hash_table_unref(m->policies);
	g_hash_table_unref(m->devs_down);
	g_hash_table_unref(m->devs_lost);
	g_ptr_array_unref(m->vips);
	g_ptr_array_unref(m->routes);
	g_free(m);
}

void route_mgr_routing(const route_mgr_t *m, uipsec_net_routing_t *out)
{
	*out = m->routing;
}

/* ---------------------------------------------------------------- messages */

/* Prefix the backend's message ("add route ...: No such device") with the
 * holder's label ("tunnel site-b", "bypass policy 7"). */
static int fail_holder(uipsec_err_t *err, int status, const char *label, const uipsec_err_t *backend)
{
	return uipsec_err_set(err, status, "%s: %s", label,
	            backend->msg[0] ? backend->msg : uipsec_status_str(status));
}

/* ---------------------------------------------------------------- rules */

static void rule_for(const route_mgr_t *m, uint8_t family, uipsec_rule_t *rule)
{
	memset(rule, 0, sizeof(*rule));
	rule->family = family;
	rule->table = m->routing.table;
	rule->priority = m->routing.rule_priority;
	rule->has_fwmark = m->routing.has_fwmark;
	rule->fwmark_invert = m->routing.fwmark_invert;
	rule->fwmark = m->routing.fwmark;
	rule->fwmask = m->routing.fwmask;
}

static bool uses_rules(const route_mgr_t *m)
{
	return m->cfg.install_routes && m->routing.table && m->ops->rule_add && m->ops->rule_del;
}

/* Does our rule send packets carrying the daemon's socket mark into the table? */
static bool rule_catches_socket_mark(const route_mgr_t *m)
{
	if (!m->routing.table || !m->routing.has_fwmark)
		return true;
	bool match = (m->cfg.socket_fwmark & m->routing.fwmask) == m->routing.fwmark;
	return m->routing.fwmark_invert ? !match : match;
}

static gboolean on_check_timer(gpointer user);

int route_mgr_start(route_mgr_t *m, uipsec_err_t *err)
{
	uipsec_err_t e = { "" };
	if (m->started)
		return UIPSEC_OK;
	if (!m->cfg.install_routes) {
		m->started = true;
		return UIPSEC_OK;
	}
	if (m->ops->flush) {
		int rc = m->ops->flush(m->net, m->routing.table, uses_rules(m) ? m->routing.rule_priority : 0, &e);
		if (rc != UIPSEC_OK)
			return uipsec_err_set(err, rc, "flush leftovers of table %u: %s", m->routing.table, e.msg);
	}
	if (uses_rules(m)) {
		for (size_t i = 0; i < G_N_ELEMENTS(rule_families); i++) {
			uipsec_rule_t rule;
			rule_for(m, rule_families[i], &rule);
			int rc = m->ops->rule_add(m->net, &rule, &e);
			if (rc == UIPSEC_OK) {
				m->rule_installed[i] = true;
			} else if (rule_families[i] == AF_INET) {
				return uipsec_err_set(err, rc, "%s", e.msg);
			} else {
				/* a kernel without IPv6 still serves IPv4 tunnels */
				uwarn(LOG_SUBSYS, "%s (IPv6 tunnels will not be routed)", e.msg);
			}
		}
	}
	if (m->cfg.check_interval_s)
		m->check_timer = g_timeout_add_seconds(m->cfg.check_interval_s, on_check_timer, m);
	m->started = true;
	return UIPSEC_OK;
}

/* ---------------------------------------------------------------- reference counting */

static rm_route_t *route_find(route_mgr_t *m, const uipsec_route_t *r)
{
	for (guint i = 0; i < m->routes->len; i++) {
		rm_route_t *x = g_ptr_array_index(m->routes, i);
		if (x->r.table == r->table && uipsec_prefix_equal(&x->r.dst, &r->dst))
			return x;
	}
	return NULL;
}

static void route_release(route_mgr_t *m, rm_route_t *x, const char *label, uipsec_err_t *first_err, int *first_rc)
{
	if (--x->refs)
		return;
	uipsec_err_t e = { "" };
	char desc[160];
	/* its device was deleted: the kernel removed the route with it */
	int rc = x->r.ifname[0] && g_hash_table_contains(m->devs_lost, x->r.ifname) ? UIPSEC_OK
	         : m->ops->route_del(m->net, &x->r, &e);
	if (rc != UIPSEC_OK) {
		uwarn(LOG_SUBSYS, "%s: %s", label, e.msg);
		if (first_rc && *first_rc == UIPSEC_OK) {
			*first_rc = rc;
			fail_holder(first_err, rc, label, &e);
		}
	} else {
		udebug(LOG_SUBSYS, "%s: removed route %s", label, uipsec_route_str(&x->r, desc, sizeof(desc)));
	}
	g_ptr_array_remove_fast(m->routes, x);
}

static void vip_release(route_mgr_t *m, rm_vip_t *v, const char *label, uipsec_err_t *first_err, int *first_rc)
{
	if (--v->refs)
		return;
	uipsec_err_t e = { "" };
	int rc = g_hash_table_contains(m->devs_lost, v->ifname) ? UIPSEC_OK : m->ops->addr_del(m->net, v->ifname, &v->addr, &e);
	if (rc != UIPSEC_OK) {
		uwarn(LOG_SUBSYS, "%s: %s", label, e.msg);
		if (first_rc && *first_rc == UIPSEC_OK) {
			*first_rc = rc;
			fail_holder(first_err, rc, label, &e);
		}
	}
	g_ptr_array_remove_fast(m->vips, v);
}

/* Release everything a tunnel holds, newest first. */
static int tunnel_release(route_mgr_t *m, rm_tunnel_t *t, uipsec_err_t *err)
{
	int rc = UIPSEC_OK;
	for (guint i = t->routes->len; i-- > 0;)
		route_release(m, g_ptr_array_index(t->routes, i), t->label, err, &rc);
	g_ptr_array_set_size(t->routes, 0);
	for (guint i = t->vips->len; i-- > 0;)
		vip_release(m, g_ptr_array_index(t->vips, i), t->label, err, &rc);
	g_ptr_array_set_size(t->vips, 0);
	return rc;
}

/* Take a reference on route r (installing it if new) for holder t. */
static int route_acquire(route_mgr_t *m, rm_tunnel_t *t, const uipsec_route_t *r, rm_kind_t kind, uipsec_err_t *err)
{
	char desc[160], d[UIPSEC_PREFIX_STRLEN];
	rm_route_t *x = route_find(m, r);
	if (x) {
		if (x->kind != kind)
			return uipsec_err_set(err, UIPSEC_ERR_EXISTS,
			            "%s: route %s conflicts with %s to the same destination in table %u",
			            t->label, uipsec_prefix_str(&r->dst, d, sizeof(d)), kind_desc[x->kind], r->table);
		x->refs++;
		g_ptr_array_add(t->routes, x);
		return UIPSEC_OK;
	}
	uipsec_err_t e = { "" };
	int rc = m->ops->route_add(m->net, r, &e);
	if (rc != UIPSEC_OK)
		return fail_holder(err, rc, t->label, &e);
	x = g_new0(rm_route_t, 1);
	x->r = *r;
	x->kind = kind;
	x->refs = 1;
	g_ptr_array_add(m->routes, x);
	g_ptr_array_add(t->routes, x);
	udebug(LOG_SUBSYS, "%s: installed %sroute %s", t->label, kind == RM_EXCEPTION ? "exception " : "",
	       uipsec_route_str(r, desc, sizeof(desc)));
	return UIPSEC_OK;
}

static int vip_acquire(route_mgr_t *m, rm_tunnel_t *t, const uipsec_prefix_t *a, uipsec_err_t *err)
{
	for (guint i = 0; i < m->vips->len; i++) {
		rm_vip_t *v = g_ptr_array_index(m->vips, i);
		if (strcmp(v->ifname, t->ifname) == 0 && uipsec_addr_equal(&v->addr.addr, &a->addr)) {
			v->refs++;
			g_ptr_array_add(t->vips, v);
			return UIPSEC_OK;
		}
	}
	uipsec_err_t e = { "" };
	if (!m->ops->addr_add || !m->ops->addr_del)
		return uipsec_err_set(err, UIPSEC_ERR_NOTSUP, "tunnel %s: the network backend cannot add virtual IPs", t->name);
	int rc = m->ops->addr_add(m->net, t->ifname, a, &e);
	if (rc == UIPSEC_ERR_EXISTS)   /* left on a persistent device by a crashed run: adopt it */
		udebug(LOG_SUBSYS, "%s: %s (adopted)", t->label, e.msg);
	else if (rc != UIPSEC_OK)
		return fail_holder(err, rc, t->label, &e);
	rm_vip_t *v = g_new0(rm_vip_t, 1);
	g_strlcpy(v->ifname, t->ifname, sizeof(v->ifname));
	v->addr = *a;
	v->refs = 1;
	g_ptr_array_add(m->vips, v);
	g_ptr_array_add(t->vips, v);
	return UIPSEC_OK;
}

/* ---------------------------------------------------------------- decisions */

static bool prefix_valid(const uipsec_prefix_t *p)
{
	unsigned bits = uipsec_addr_bits(p->addr.family);
	return bits && p->len <= bits;
}

static bool is_host_prefix_of(const uipsec_prefix_t *p, const uipsec_addr_t *a)
{
	return p->len == uipsec_addr_bits(a->family) && uipsec_prefix_contains(p, a);
}

/* A policy's peer is optional (no exception route, no allow_peer_ts
 * check without it); a tunnel always has one. */
static int holder_check(const route_mgr_t *m, const route_mgr_tunnel_t *t, uipsec_err_t *err)
{
	char p[UIPSEC_PREFIX_STRLEN], a[UIPSEC_ADDR_STRLEN];
	if (!t->name || !*t->name)
		return uipsec_err_set(err, UIPSEC_ERR_INVAL, "tunnel without a name");
	if (!t->ifname || !*t->ifname || strlen(t->ifname) >= UIPSEC_IFNAMSIZ)
		return uipsec_err_set(err, UIPSEC_ERR_INVAL, "tunnel %s: invalid device name '%s'", t->name,
		            t->ifname ? t->ifname : "");
	if ((t->remote_ts_count && !t->remote_ts) || (t->local_ts_count && !t->local_ts) ||
	    (t->vip_count && !t->vips))
		return uipsec_err_set(err, UIPSEC_ERR_INVAL, "tunnel %s: selector list missing", t->name);
	const struct { const uipsec_prefix_t *v; size_t n; const char *what; } lists[] = {
		{ t->local_ts, t->local_ts_count, "local_ts" },
		{ t->remote_ts, t->remote_ts_count, "remote_ts" },
		{ t->vips, t->vip_count, "vip" },
	};
	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
		for (size_t i = 0; i < lists[l].n; i++)
			if (!prefix_valid(&lists[l].v[i]))
				return uipsec_err_set(err, UIPSEC_ERR_INVAL, "tunnel %s: invalid %s entry %zu", t->name,
				            lists[l].what, i + 1);
	for (size_t i = 0; i < t->remote_ts_count; i++) {
		if (is_host_prefix_of(&t->remote_ts[i], &t->remote) && !m->cfg.allow_peer_ts)
			return uipsec_err_set(err, UIPSEC_ERR_PERM,
			            "tunnel %s: remote_ts %s equals the peer's address %s; set allow_peer_ts = yes "
			            "(with plugins.net-netlink.fwmark = !MARK and socket.fwmark = MARK) to allow "
			            "host-to-host tunnels", t->name,
			            uipsec_prefix_str(&t->remote_ts[i], p, sizeof(p)),
			            uipsec_addr_str(&t->remote, a, sizeof(a)));
	}
	return UIPSEC_OK;
}

int route_mgr_tunnel_check(const route_mgr_t *m, const route_mgr_tunnel_t *t, uipsec_err_t *err)
{
	if (t->name && *t->name && !uipsec_addr_bits(t->remote.family))
		return uipsec_err_set(err, UIPSEC_ERR_INVAL, "tunnel %s: no remote (peer) address", t->name);
	return holder_check(m, t, err);
}

typedef struct local_addrs {
	GArray *addrs;   /* uipsec_addr_t */
} local_addrs_t;

static void collect_addr(const char *ifname, const uipsec_prefix_t *addr, void *user)
{
	local_addrs_t *l = user;
	g_array_append_val(l->addrs, addr->addr);
}

/* Preferred source for routes of family 'family': a virtual IP first (it is
 * what the peer expects to see), else a local address inside a local
 * selector. false = let the kernel choose. */
static bool pick_source(const rm_tunnel_t *t, GArray *local, uint8_t family, uipsec_addr_t *src)
{
	for (size_t i = 0; i < t->vip_count; i++) {
		if (t->vip_addrs[i].addr.family == family) {
			*src = t->vip_addrs[i].addr;
			return true;
		}
	}
	for (size_t i = 0; i < t->local_ts_count; i++) {
		for (guint j = 0; local && j < local->len; j++) {
			const uipsec_addr_t *a = &g_array_index(local, uipsec_addr_t, j);
			if (a->family == family && uipsec_prefix_contains(&t->local_ts[i], a)) {
				*src = *a;
				return true;
			}
		}
	}
	return false;
}

/* The addresses this host has now (empty when the backend cannot say). */
static GArray *local_addresses(route_mgr_t *m, const char *tunnel)
{
	local_addrs_t local = { g_array_new(FALSE, TRUE, sizeof(uipsec_addr_t)) };
	if (m->ops->addrs_foreach) {
		uipsec_err_t e = { "" };
		if (m->ops->addrs_foreach(m->net, collect_addr, &local, &e) != UIPSEC_OK)
			uwarn(LOG_SUBSYS, "tunnel %s: %s (routes get no preferred source)", tunnel, e.msg);
	}
	return local.addrs;
}

static bool is_tun_device(const route_mgr_t *m, const route_mgr_tunnel_t *t, const char *ifname)
{
	if (t && strcmp(ifname, t->ifname) == 0)
		return true;
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, m->tunnels);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (strcmp(((rm_tunnel_t *)v)->ifname, ifname) == 0)
			return true;
	return false;
}

/* Host route to the peer via its current next hop, so packets to the peer
 * (IKE, ESP-in-UDP) do not follow the tunnel route into the TUN device. */
static int add_exception_route(route_mgr_t *m, rm_tunnel_t *rt, const route_mgr_tunnel_t *t, uipsec_err_t *err)
{
	char a[UIPSEC_ADDR_STRLEN];
	uipsec_route_t r = { 0 };
	r.dst.addr = t->remote;
	r.dst.len = (uint8_t)uipsec_addr_bits(t->remote.family);
	r.table = m->routing.table;
	rm_route_t *have = route_find(m, &r);
	if (have && have->kind == RM_EXCEPTION)   /* another tunnel to the same peer: share it */
		return route_acquire(m, rt, &have->r, RM_EXCEPTION, err);

	uipsec_route_lookup_t lk;
	uipsec_err_t e = { "" };
	memset(&lk, 0, sizeof(lk));
	if (!m->ops->route_get)
		return uipsec_err_set(err, UIPSEC_ERR_NOTSUP, "tunnel %s: peer %s lies inside a remote selector, but the network "
		            "backend cannot look up its next hop for an exception route", t->name,
		            uipsec_addr_str(&t->remote, a, sizeof(a)));
	int rc = m->ops->route_get(m->net, &t->remote, m->cfg.socket_fwmark, &lk, &e);
	if (rc != UIPSEC_OK)
		return fail_holder(err, rc, rt->label, &e);
	if (is_tun_device(m, t, lk.ifname))
		return uipsec_err_set(err, UIPSEC_ERR_AGAIN,
		            "tunnel %s: the route to peer %s already leads into TUN device %s, cannot find its "
		            "real next hop (set plugins.net-netlink.fwmark = !MARK and socket.fwmark = MARK)",
		            t->name, uipsec_addr_str(&t->remote, a, sizeof(a)), lk.ifname);
	g_strlcpy(r.ifname, lk.ifname, sizeof(r.ifname));
	r.has_gateway = lk.has_gateway;
	r.gateway = lk.gateway;
	if (t->local.family == t->remote.family) {
		r.has_src = true;
		r.src = t->local;
	} else if (lk.src.family == t->remote.family) {
		r.has_src = true;
		r.src = lk.src;
	}
	return route_acquire(m, rt, &r, RM_EXCEPTION, err);
}

static int tunnel_install(route_mgr_t *m, rm_tunnel_t *rt, const route_mgr_tunnel_t *t, uipsec_err_t *err)
{
	char a[UIPSEC_ADDR_STRLEN];
	int rc;
	for (size_t i = 0; i < t->vip_count; i++)
		if ((rc = vip_acquire(m, rt, &t->vips[i], err)) != UIPSEC_OK)
			return rc;
	if (!m->cfg.install_routes)
		return UIPSEC_OK;

	/* exception routes first: the next-hop lookup must not see our own routes */
	bool need_exception = false, peer_is_ts = false;
	for (size_t i = 0; i < t->remote_ts_count; i++) {
		if (is_host_prefix_of(&t->remote_ts[i], &t->remote))
			peer_is_ts = true;
		else if (uipsec_prefix_contains(&t->remote_ts[i], &t->remote))
			need_exception = true;
	}
	/* with remote_ts = peer the exception would be the tunnel route itself;
	 * only the fwmark rule keeps ESP packets out of the TUN then */
	if (need_exception && !peer_is_ts && (rc = add_exception_route(m, rt, t, err)) != UIPSEC_OK)
		return rc;
	if (peer_is_ts && rule_catches_socket_mark(m))
		uwarn(LOG_SUBSYS, "tunnel %s: remote_ts is the peer %s but no fwmark keeps the daemon's own "
		      "packets out of table %u: ESP packets to the peer will loop into the TUN device "
		      "(set plugins.net-netlink.fwmark = !MARK and socket.fwmark = MARK)",
		      t->name, uipsec_addr_str(&t->remote, a, sizeof(a)), m->routing.table);

	GArray *local = local_addresses(m, t->name);
	rc = UIPSEC_OK;
	for (size_t i = 0; i < t->remote_ts_count && rc == UIPSEC_OK; i++) {
		uipsec_route_t r = { 0 };
		r.dst = t->remote_ts[i];
		g_strlcpy(r.ifname, t->ifname, sizeof(r.ifname));
		r.table = m->routing.table;
		r.has_src = pick_source(rt, local, r.dst.addr.family, &r.src);
		rc = route_acquire(m, rt, &r, RM_TUNNEL, err);
	}
	g_array_unref(local);
	return rc;
}

static rm_tunnel_t *holder_new(const char *name, char *label)
{
	rm_tunnel_t *rt = g_new0(rm_tunnel_t, 1);
	rt->name = g_strdup(name);
	rt->label = label;
	rt->routes = g_ptr_array_new();
	rt->vips = g_ptr_array_new();
	return rt;
}

int route_mgr_tunnel_add(route_mgr_t *m, const route_mgr_tunnel_t *t, uipsec_err_t *err)
{
	int rc = route_mgr_tunnel_check(m, t, err);
	if (rc != UIPSEC_OK)
		return rc;
	if (!m->started)
		return uipsec_err_set(err, UIPSEC_ERR_INVAL, "tunnel %s: routes cannot be installed before the route manager started",
		            t->name);
	if (g_hash_table_contains(m->tunnels, t->name))
		return uipsec_err_set(err, UIPSEC_ERR_EXISTS, "tunnel %s: already installed", t->name);
	rm_tunnel_t *rt = holder_new(t->name, g_strdup_printf("tunnel %s", t->name));
	g_strlcpy(rt->ifname, t->ifname, sizeof(rt->ifname));
	rt->local_ts = g_memdup2(t->local_ts, t->local_ts_count * sizeof(uipsec_prefix_t));
	rt->local_ts_count = t->local_ts_count;
	rt->vip_addrs = g_memdup2(t->vips, t->vip_count * sizeof(uipsec_prefix_t));
	rt->vip_count = t->vip_count;
	rc = tunnel_install(m, rt, t, err);
	if (rc != UIPSEC_OK) {
		tunnel_release(m, rt, NULL);   /* all or nothing; keep the first error */
		tunnel_free(rt);
		return rc;
	}
	g_hash_table_insert(m->tunnels, rt->name, rt);
	return UIPSEC_OK;
}

int route_mgr_tunnel_del(route_mgr_t *m, const char *name, uipsec_err_t *err)
{
	rm_tunnel_t *rt = name ? g_hash_table_lookup(m->tunnels, name) : NULL;
	if (!rt)
		return uipsec_err_set(err, UIPSEC_ERR_NOTFOUND, "tunnel %s: not installed", name ? name : "(null)");
	int rc = tunnel_release(m, rt, err);
	g_hash_table_remove(m->tunnels, name);
	return rc;
}

bool route_mgr_has_tunnel(const route_mgr_t *m, const char *name)
{
	return name && g_hash_table_contains(m->tunnels, name);
}

/* ---------------------------------------------------------------- changes */

/* Put route 'want' in place of x's route (same destination and table). */
static void route_replace(route_mgr_t *m, rm_route_t *x, const uipsec_route_t *want, const char *why)
{
	char was[200], now[200];
	uipsec_err_t e = { "" };
	uipsec_route_str(&x->r, was, sizeof(was));
	uipsec_route_str(want, now, sizeof(now));
	/* the kernel may already have dropped it (its device or source went away) */
	m->ops->route_del(m->net, &x->r, &e);
	if (m->ops->route_add(m->net, want, &e) != UIPSEC_OK) {
		uwarn(LOG_SUBSYS, "%s: replacing route %s: %s", why, was, e.msg);
		return;
	}
	x->r = *want;
	uinfo(LOG_SUBSYS, "%s: route %s is now %s", why, was, now);
}

static bool same_path(const uipsec_route_t *r, const uipsec_route_lookup_t *lk)
{
	return strcmp(lk->ifname, r->ifname) == 0 && lk->has_gateway == r->has_gateway &&
	       (!lk->has_gateway || uipsec_addr_equal(&lk->gateway, &r->gateway));
}

/* Exception route x again, through the path the kernel now takes to the
 * peer. When our rule also catches the daemon's own packets (no fwmark
 * separation), a lookup would only find x itself: a throw route beneath
 * it takes over while x is briefly out of the table, so the lookup (and
 * every packet meanwhile) follows the rules after ours. */
static void refresh_exception(route_mgr_t *m, rm_route_t *x)
{
	char a[UIPSEC_ADDR_STRLEN], why[80], d[200];
	uipsec_err_t e = { "" };
	uipsec_route_t probe = { .dst = x->r.dst, .table = x->r.table, .metric = RM_PROBE_METRIC,
	                         .type = UIPSEC_ROUTE_THROW };
	bool probing = m->routing.table && rule_catches_socket_mark(m);
	if (probing) {
		int rc = m->ops->route_add(m->net, &probe, &e);
		if (rc != UIPSEC_OK && rc != UIPSEC_ERR_EXISTS) {
			uwarn(LOG_SUBSYS, "exception route %s not re-checked: %s", uipsec_route_str(&x->r, d, sizeof(d)), e.msg);
			return;
		}
		m->ops->route_del(m->net, &x->r, &e);   /* the kernel may have dropped it already */
	}
	uipsec_route_lookup_t lk;
	memset(&lk, 0, sizeof(lk));
	uipsec_route_t want = x->r;
	bool changed = false;
	if (m->ops->route_get(m->net, &x->r.dst.addr, m->cfg.socket_fwmark, &lk, &e) != UIPSEC_OK) {
		udebug(LOG_SUBSYS, "%s", e.msg);
	} else if (lk.ifname[0] && !is_tun_device(m, NULL, lk.ifname) && !same_path(&x->r, &lk)) {
		g_strlcpy(want.ifname, lk.ifname, sizeof(want.ifname));
		want.has_gateway = lk.has_gateway;
		want.gateway = lk.gateway;
		changed = true;
	}
	snprintf(why, sizeof(why), "next hop to peer %s changed", uipsec_addr_str(&x->r.dst.addr, a, sizeof(a)));
	if (!probing) {
		if (changed)
			route_replace(m, x, &want, why);
		return;
	}
	if (m->ops->route_add(m->net, &want, &e) == UIPSEC_OK) {
		if (changed) {
			char was[200];
			uinfo(LOG_SUBSYS, "%s: route %s is now %s", why, uipsec_route_str(&x->r, was, sizeof(was)),
			      uipsec_route_str(&want, d, sizeof(d)));
			x->r = want;
		}
	} else {
		uwarn(LOG_SUBSYS, "peer %s: exception route %s: %s", a, uipsec_route_str(&want, d, sizeof(d)), e.msg);
		if (!changed || m->ops->route_add(m->net, &x->r, &e) != UIPSEC_OK) {
			/* keep the throw route: packets to the peer still avoid the TUN */
			uwarn(LOG_SUBSYS, "packets to peer %s follow the rules after table %u until the next change", a,
			      x->r.table);
			return;
		}
	}
	m->ops->route_del(m->net, &probe, &e);
}

static void refresh_exception_routes(route_mgr_t *m)
{
	if (!m->ops->route_get)
		return;
	for (guint i = 0; i < m->routes->len; i++) {
		rm_route_t *x = g_ptr_array_index(m->routes, i);
		if (x->kind == RM_EXCEPTION)
			refresh_exception(m, x);
	}
}

/* Tunnel routes get the preferred source the addresses now allow. */
static void refresh_sources(route_mgr_t *m)
{
	GArray *local = local_addresses(m, "(address change)");
	GHashTable *done = g_hash_table_new(NULL, NULL);
	GHashTableIter it;
	gpointer v;
	GHashTable *holders[] = { m->tunnels, m->policies };
	for (size_t h = 0; h < G_N_ELEMENTS(holders); h++)
	for (g_hash_table_iter_init(&it, holders[h]); g_hash_table_iter_next(&it, NULL, &v);) {
		rm_tunnel_t *t = v;
		char why[UIPSEC_IFNAMSIZ + 160];
		snprintf(why, sizeof(why), "%s: local addresses changed", t->label);
		for (guint i = 0; i < t->routes->len; i++) {
			rm_route_t *x = g_ptr_array_index(t->routes, i);
			if (x->kind != RM_TUNNEL || !g_hash_table_add(done, x))
				continue;
			uipsec_route_t want = x->r;
			want.has_src = pick_source(t, local, want.dst.addr.family, &want.src);
			if (!want.has_src)
				memset(&want.src, 0, sizeof(want.src));
			if (want.has_src == x->r.has_src && (!want.has_src || uipsec_addr_equal(&want.src, &x->r.src)))
				continue;
			route_replace(m, x, &want, why);
		}
	}
	g_hash_table_unref(done);
	g_array_unref(local);
}

/* ---------------------------------------------------------------- reconciliation */

/* One thing we installed, put back if it is gone. The add is exclusive:
 * "exists" means it is still there (nothing logged, nothing counted); a
 * success means someone had removed it. A failure (its device is down) is
 * logged once, until a later try succeeds. */
static unsigned reinstall_outcome(int rc, const uipsec_err_t *e, bool *failing, const char *what)
{
	if (rc == UIPSEC_ERR_EXISTS) {
		*failing = false;
		return 0;
	}
	if (rc != UIPSEC_OK) {
		if (!*failing)
			uwarn(LOG_SUBSYS, "%s is missing and cannot be put back yet: %s (retried on the next change)",
			      what, e->msg);
		*failing = true;
		return 0;
	}
	*failing = false;
	stats_inc(STAT_ROUTES_REINSTALLED);
	uwarn(LOG_SUBSYS, "%s was removed by someone else: reinstalled", what);
	return 1;
}

static bool dev_down(const route_mgr_t *m, const char *ifname)
{
	return ifname[0] && (g_hash_table_contains(m->devs_down, ifname) || g_hash_table_contains(m->devs_lost, ifname));
}

/* Rules, then virtual IPs (routes name them as source), then routes. */
static unsigned reconcile(route_mgr_t *m)
{
	unsigned fixed = 0;
	char what[240], d[200], p[UIPSEC_PREFIX_STRLEN];
	for (size_t i = 0; uses_rules(m) && i < G_N_ELEMENTS(rule_families); i++) {
		if (!m->rule_installed[i])
			continue;
		uipsec_rule_t rule;
		uipsec_err_t e = { "" };
		rule_for(m, rule_families[i], &rule);
		int rc = m->ops->rule_add(m->net, &rule, &e);
		snprintf(what, sizeof(what), "the %s rule for table %u", i ? "IPv6" : "IPv4", m->routing.table);
		fixed += reinstall_outcome(rc, &e, &m->rule_failing[i], what);
	}
	for (guint i = 0; i < m->vips->len; i++) {
		rm_vip_t *v = g_ptr_array_index(m->vips, i);
		if (dev_down(m, v->ifname))
			continue;
		uipsec_err_t e = { "" };
		int rc = m->ops->addr_add(m->net, v->ifname, &v->addr, &e);
		snprintf(what, sizeof(what), "virtual IP %s on %s", uipsec_prefix_str(&v->addr, p, sizeof(p)), v->ifname);
		fixed += reinstall_outcome(rc, &e, &v->failing, what);
	}
	for (guint i = 0; i < m->routes->len; i++) {
		rm_route_t *x = g_ptr_array_index(m->routes, i);
		if (dev_down(m, x->r.ifname))
			continue;
		uipsec_err_t e = { "" };
		int rc = m->ops->route_add(m->net, &x->r, &e);
		snprintf(what, sizeof(what), "%s %s", x->kind == RM_EXCEPTION ? "exception route" :
		         x->kind == RM_THROW ? "throw route" : "route", uipsec_route_str(&x->r, d, sizeof(d)));
		fixed += reinstall_outcome(rc, &e, &x->failing, what);
	}
	return fixed;
}

unsigned route_mgr_reconcile(route_mgr_t *m)
{
	if (!m->started || !m->cfg.install_routes)
		return 0;
	return reconcile(m);
}

static void refresh(route_mgr_t *m)
{
	bool paths = m->event_paths, addrs = m->event_addrs, again = m->event_reconcile;
	m->event_paths = m->event_addrs = m->event_reconcile = false;
	/* not for events of our own table alone: re-checking an exception
	 * route changes that table, and its events would start it again */
	if (paths)
		refresh_exception_routes(m);
	if (addrs)
		refresh_sources(m);
	if (again)
		reconcile(m);
}

static gboolean on_event_timer(gpointer user)
{
	route_mgr_t *m = user;
	m->event_timer = 0;
	refresh(m);
	return G_SOURCE_REMOVE;
}

/* The backstop: a removal whose notification never came (a backend
 * without events, a message the kernel did not send) is found anyway. */
static gboolean on_check_timer(gpointer user)
{
	reconcile(user);
	return G_SOURCE_CONTINUE;
}

void route_mgr_watch_device(route_mgr_t *m, const char *ifname, route_mgr_device_cb lost, void *user)
{
	g_strlcpy(m->watch_ifname, ifname ? ifname : "", sizeof(m->watch_ifname));
	m->device_lost = lost;
	m->device_user = user;
}

static bool holder_uses_device(GHashTable *holders, const char *ifname)
{
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, holders);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (strcmp(((rm_tunnel_t *)v)->ifname, ifname) == 0)
			return true;
	return false;
}

static bool is_watched_device(const route_mgr_t *m, const char *ifname)
{
	return ifname[0] && (strcmp(ifname, m->watch_ifname) == 0 || holder_uses_device(m->tunnels, ifname) ||
	                     holder_uses_device(m->policies, ifname));
}

/* A TUN device of ours changed state from outside. Deleted: nothing of
 * the data path works any more (its queues are gone); the owner decides
 * (uipsecd stops with a failure status). Set down: the kernel dropped
 * its routes; we do not fight whoever did it, and put them back once it
 * is up again. Each transition is logged and counted once. */
static bool link_is_up(const char *ifname)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	g_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool up = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	if (fd >= 0)
		close(fd);
	return up;
}

static void device_event(route_mgr_t *m, const uipsec_net_event_t *ev)
{
	const char *name = ev->ifname;
	/* a device the data path just made reports "down" before its "up":
	 * only the state it has now counts */
	if (ev->type == UIPSEC_NET_LINK_DOWN && if_nametoindex(name) && link_is_up(name))
		return;
	if (ev->type == UIPSEC_NET_LINK_DOWN && !if_nametoindex(name)) {
		if (!g_hash_table_add(m->devs_lost, g_strdup(name)))
			return;
		stats_inc(STAT_TUN_LOST);
		uerror(LOG_SUBSYS, "TUN device %s was deleted by someone else: its tunnels cannot pass traffic", name);
		if (m->device_lost)
			m->device_lost(name, m->device_user);
		return;
	}
	if (ev->type == UIPSEC_NET_LINK_DOWN) {
		if (!g_hash_table_add(m->devs_down, g_strdup(name)))
			return;
		stats_inc(STAT_TUN_DOWN);
		uwarn(LOG_SUBSYS, "TUN device %s was set down by someone else: no tunnel traffic until it is up again "
		      "(ip link set %s up); its routes are reinstalled then", name, name);
		return;
	}
	if (g_hash_table_remove(m->devs_down, name)) {
		uinfo(LOG_SUBSYS, "TUN device %s is up again: reinstalling its addresses and routes", name);
		m->event_reconcile = true;
	}
}

/* A route event in our own table is ours, or someone removing ours:
 * only a destination we hold is worth a look. */
static bool holds_destination(const route_mgr_t *m, const uipsec_prefix_t *dst)
{
	for (guint i = 0; i < m->routes->len; i++) {
		const rm_route_t *x = g_ptr_array_index(m->routes, i);
		if (uipsec_prefix_equal(&x->r.dst, dst))
			return true;
	}
	return false;
}

/* The TUN devices matter with or without routes (install_routes = no). */
static void watch_devices(route_mgr_t *m, const uipsec_net_event_t *ev)
{
	if ((ev->type == UIPSEC_NET_LINK_UP || ev->type == UIPSEC_NET_LINK_DOWN) && is_watched_device(m, ev->ifname)) {
		device_event(m, ev);
	} else if (ev->type == UIPSEC_NET_RESYNC) {
		stats_inc(STAT_NET_EVENTS_LOST);
		uwarn(LOG_SUBSYS, "network notifications were lost (event socket overrun): re-checking routes, rules "
		      "and addresses");
		if (m->watch_ifname[0] && !if_nametoindex(m->watch_ifname)) {
			uipsec_net_event_t gone = { .type = UIPSEC_NET_LINK_DOWN };
			g_strlcpy(gone.ifname, m->watch_ifname, sizeof(gone.ifname));
			device_event(m, &gone);
		}
	}
}

void route_mgr_handle_event(route_mgr_t *m, const uipsec_net_event_t *ev)
{
	if (!m->started || !ev)
		return;
	watch_devices(m, ev);
	if (!m->cfg.install_routes)
		return;
	switch (ev->type) {
	case UIPSEC_NET_ROUTE_CHANGED:
		/* our own changes come back as events: no reason to re-check the
		 * next hops (that would loop), only whether one of ours is gone */
		if (m->routing.table && ev->table == m->routing.table) {
			if (!holds_destination(m, &ev->addr))
				return;
			m->event_reconcile = true;
		} else {
			m->event_paths = true;
		}
		break;
	case UIPSEC_NET_RULE_CHANGED:
		/* ours: it may be gone; another's: packets may take another path */
		if (ev->table == m->routing.table)
			m->event_reconcile = true;
		else
			m->event_paths = true;
		break;
	case UIPSEC_NET_ADDR_ADDED:
	case UIPSEC_NET_ADDR_REMOVED:
		/* removed from a TUN device: a virtual IP of ours may be gone; an
		 * address back: routes naming it as source went when it did */
		m->event_paths = m->event_addrs = true;
		m->event_reconcile |= ev->type == UIPSEC_NET_ADDR_ADDED || is_watched_device(m, ev->ifname);
		break;
	case UIPSEC_NET_LINK_UP:
	case UIPSEC_NET_LINK_DOWN:
		/* a link coming back: routes through it went with it */
		m->event_paths = true;
		m->event_reconcile |= ev->type == UIPSEC_NET_LINK_UP;
		break;
	case UIPSEC_NET_RESYNC:
		m->event_paths = m->event_addrs = m->event_reconcile = true;
		break;
	}
	if (!m->cfg.event_delay_ms) {
		refresh(m);
		return;
	}
	/* one change (a new default route, a link going down) arrives as a
	 * burst of messages: look once, after the burst */
	if (!m->event_timer)
		m->event_timer = g_timeout_add(m->cfg.event_delay_ms, on_event_timer, m);
}

/* ---------------------------------------------------------------- bypass policies */

int route_mgr_bypass_add(route_mgr_t *m, uint32_t id, const uipsec_prefix_t *dst, bool all_traffic,
                         uipsec_err_t *err)
{
	char p[UIPSEC_PREFIX_STRLEN];
	if (!dst || !prefix_valid(dst))
		return uipsec_err_set(err, UIPSEC_ERR_INVAL, "bypass policy %u: invalid destination", id);
	if (!m->started)
		return uipsec_err_set(err, UIPSEC_ERR_INVAL, "bypass policy %u: routes cannot be installed before the "
		            "route manager started", id);
	if (!m->cfg.install_routes)   /* the operator routes, and keeps it off the TUN device */
		return UIPSEC_OK;
	if (!all_traffic)
		return uipsec_err_set(err, UIPSEC_ERR_NOTSUP, "bypass policy %u: routes match addresses only; a throw "
		            "route for %s would pass every protocol and port in clear (give no protocol or ports, or "
		            "set install_routes = no and route it yourself)", id, uipsec_prefix_str(dst, p, sizeof(p)));
	if (!m->routing.table)
		return uipsec_err_set(err, UIPSEC_ERR_NOTSUP, "bypass policy %u: the network backend has no policy "
		            "routing (PF_ROUTE), no throw route can keep %s off the TUN device", id,
		            uipsec_prefix_str(dst, p, sizeof(p)));
	if (g_hash_table_contains(m->bypasses, GUINT_TO_POINTER(id)))
		return uipsec_err_set(err, UIPSEC_ERR_EXISTS, "bypass policy %u: already installed", id);
	char name[16];
	snprintf(name, sizeof(name), "%u", id);
	rm_tunnel_t *b = holder_new(name, g_strdup_printf("bypass policy %u", id));
	uipsec_route_t r = { .dst = *dst, .table = m->routing.table, .type = UIPSEC_ROUTE_THROW };
	int rc = route_acquire(m, b, &r, RM_THROW, err);
	if (rc != UIPSEC_OK) {
		tunnel_free(b);
		return rc;
	}
	g_hash_table_insert(m->bypasses, GUINT_TO_POINTER(id), b);
	return UIPSEC_OK;
}

/* Release what policy id holds in holders (bypasses or policies). */
static int policy_holder_del(route_mgr_t *m, GHashTable *holders, const char *what, uint32_t id, uipsec_err_t *err)
{
	rm_tunnel_t *b = g_hash_table_lookup(holders, GUINT_TO_POINTER(id));
	if (!b)
		return uipsec_err_set(err, UIPSEC_ERR_NOTFOUND, "%s %u: no route installed", what, id);
	int rc = tunnel_release(m, b, err);
	g_hash_table_remove(holders, GUINT_TO_POINTER(id));
	return rc;
}

int route_mgr_bypass_del(route_mgr_t *m, uint32_t id, uipsec_err_t *err)
{
	return policy_holder_del(m, m->bypasses, "bypass policy", id, err);
}

/* ---------------------------------------------------------------- routed policies */

/* What a tunnel with one local and one remote selector gets, held by the
 * policy: the rules (allow_peer_ts, exception route, preferred source)
 * are the tunnels' own, so the two cannot drift apart. */
int route_mgr_policy_add(route_mgr_t *m, uint32_t id, const route_mgr_policy_t *p, uipsec_err_t *err)
{
	char name[24];
	snprintf(name, sizeof(name), "policy %u", id);
	route_mgr_tunnel_t t = {
		.name = name, .ifname = p->ifname,
		.local_ts = &p->src, .local_ts_count = 1, .remote_ts = &p->dst, .remote_ts_count = 1,
	};
	if (p->peer.family == p->dst.addr.family)
		t.remote = p->peer;
	else if (p->peer.family)
		return uipsec_err_set(err, UIPSEC_ERR_INVAL, "%s: peer and destination are of different address families",
		            name);
	int rc = holder_check(m, &t, err);
	if (rc != UIPSEC_OK)
		return rc;
	if (!m->started)
		return uipsec_err_set(err, UIPSEC_ERR_INVAL, "%s: routes cannot be installed before the route manager "
		            "started", name);
	if (g_hash_table_contains(m->policies, GUINT_TO_POINTER(id)))
		return uipsec_err_set(err, UIPSEC_ERR_EXISTS, "%s: already routed", name);
	rm_tunnel_t *rt = holder_new(name, g_strdup(name));
	g_strlcpy(rt->ifname, p->ifname, sizeof(rt->ifname));
	rt->local_ts = g_memdup2(&p->src, sizeof(p->src));
	rt->local_ts_count = 1;
	rc = tunnel_install(m, rt, &t, err);
	if (rc != UIPSEC_OK) {
		tunnel_release(m, rt, NULL);   /* all or nothing, as for tunnels */
		tunnel_free(rt);
		return rc;
	}
	g_hash_table_insert(m->policies, GUINT_TO_POINTER(id), rt);
	return UIPSEC_OK;
}

int route_mgr_policy_del(route_mgr_t *m, uint32_t id, uipsec_err_t *err)
{
	return policy_holder_del(m, m->policies, "policy", id, err);
}

void route_mgr_stop(route_mgr_t *m)
{
	if (!m->started)
		return;
	GHashTableIter it;
	gpointer v;
	if (m->event_timer) {
		g_source_remove(m->event_timer);
		m->event_timer = 0;
	}
	if (m->check_timer) {
		g_source_remove(m->check_timer);
		m->check_timer = 0;
	}
	GHashTable *holders[] = { m->bypasses, m->policies, m->tunnels };
	for (size_t h = 0; h < G_N_ELEMENTS(holders); h++) {
		g_hash_table_iter_init(&it, holders[h]);
		while (g_hash_table_iter_next(&it, NULL, &v)) {
			tunnel_release(m, v, NULL);
			g_hash_table_iter_remove(&it);
		}
	}
	for (size_t i = 0; i < G_N_ELEMENTS(rule_families); i++) {
		if (!m->rule_installed[i])
			continue;
		uipsec_rule_t rule;
		uipsec_err_t e = { "" };
		rule_for(m, rule_families[i], &rule);
		if (m->ops->rule_del(m->net, &rule, &e) != UIPSEC_OK)
			uwarn(LOG_SUBSYS, "%s", e.msg);
		m->rule_installed[i] = false;
	}
	m->started = false;
}
