/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net-pfroute: the network backend (uipsec_net_ops_t) for FreeBSD and macOS,
 * on top of pfroute_os (PF_ROUTE routing socket and interface ioctls).
 *
 * BSD has no policy-routing tables: rule_add/rule_del are NULL, route tables
 * are ignored, and the core's route manager therefore sends remote selectors
 * straight into the TUN device and keeps the peer on its real next hop with
 * an exception host route. Everything installed is tracked by the core and
 * removed on stop; leftovers of a crashed run carry pfr_route_marker() and
 * are removed by flush().
 *
 * No GLib here either, so 'make check-portability' compiles this file too
 * (against the project's plain-C public headers).
 */
#include <uipsec/log.h>
#include <uipsec/net.h>
#include <uipsec/plugin.h>

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfroute_os.h"

#define LOG_SUBSYS "net-pfroute"

struct uipsec_net {
	pfr_t *os;
	uipsec_net_event_cb event_cb;
	void *event_user;
};

_Static_assert(sizeof(((uipsec_addr_t *)0)->bytes) == sizeof(((pfr_addr_t *)0)->bytes),
               "address sizes");
_Static_assert(UIPSEC_IFNAMSIZ == PFR_IFNAMSIZ, "interface name sizes");

static int status_of(int neg_errno)
{
	switch (-neg_errno) {
	case 0:
		return UIPSEC_OK;
	case EEXIST:
		return UIPSEC_ERR_EXISTS;
	case ESRCH:
	case ENOENT:
	case ENXIO:
	case EADDRNOTAVAIL:
		return UIPSEC_ERR_NOTFOUND;
	case EPERM:
	case EACCES:
		return UIPSEC_ERR_PERM;
	case EINVAL:
		return UIPSEC_ERR_INVAL;
	case EAFNOSUPPORT:
		return UIPSEC_ERR_NOTSUP;
	case ENOMEM:
	case ENOBUFS:
		return UIPSEC_ERR_NOMEM;
	default:
		return UIPSEC_ERR_IO;
	}
}

static int done(int e, const pfr_err_t *perr, uipsec_err_t *err)
{
	if (e < 0 && err)
		snprintf(err->msg, sizeof(err->msg), "%s", perr->msg);
	return status_of(e);
}

static pfr_addr_t to_pfr(const uipsec_addr_t *a)
{
	pfr_addr_t p;
	memset(&p, 0, sizeof(p));
	p.family = a->family;
	memcpy(p.bytes, a->bytes, sizeof(p.bytes));
	return p;
}

static uipsec_addr_t from_pfr(const pfr_addr_t *p)
{
	uipsec_addr_t a;
	memset(&a, 0, sizeof(a));
	a.family = (uint8_t)p->family;
	memcpy(a.bytes, p->bytes, sizeof(a.bytes));
	return a;
}

static bool valid_family(uint8_t family)
{
	return family == AF_INET || family == AF_INET6;
}

static int route_to_pfr(const uipsec_route_t *r, pfr_route_t *out, uipsec_err_t *err)
{
	unsigned max = r->dst.addr.family == AF_INET ? 32 : 128;

	/* one routing table, no rules: nothing to throw the lookup on to */
	if (r->type == UIPSEC_ROUTE_THROW) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
			         "route: PF_ROUTE has no throw routes (no policy routing on BSD)");
		return UIPSEC_ERR_NOTSUP;
	}
	if (!valid_family(r->dst.addr.family) || r->dst.len > max ||
	    (r->has_gateway && r->gateway.family != r->dst.addr.family) ||
	    (!r->has_gateway && !r->ifname[0])) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
			         "route: bad destination, gateway or device");
		return UIPSEC_ERR_INVAL;
	}
	memset(out, 0, sizeof(*out));
	out->dst = to_pfr(&r->dst.addr);
	out->prefixlen = r->dst.len;
	memcpy(out->ifname, r->ifname, sizeof(out->ifname));
	out->ifname[sizeof(out->ifname) - 1] = '\0';
	out->has_gateway = r->has_gateway;
	if (r->has_gateway)
		out->gateway = to_pfr(&r->gateway);
	out->has_src = r->has_src;
	if (r->has_src)
		out->src = to_pfr(&r->src);
	return UIPSEC_OK;
}

/* ------------------------------------------------------------ ops */

static int net_create(void *plugin_state, uipsec_net_t **out, uipsec_err_t *err)
{
	uipsec_net_t *net;
	pfr_err_t perr;
	int e;

	(void)plugin_state;
	net = calloc(1, sizeof(*net));
	if (!net)
		return UIPSEC_ERR_NOMEM;
	e = pfr_open(&net->os, &perr);
	if (e < 0) {
		free(net);
		return done(e, &perr, err);
	}
	*out = net;
	return UIPSEC_OK;
}

static void net_destroy(uipsec_net_t *net)
{
	if (!net)
		return;
	pfr_close(net->os);
	free(net);
}

static int net_route_change(uipsec_net_t *net, const uipsec_route_t *r, bool add,
                            uipsec_err_t *err)
{
	pfr_route_t pr;
	pfr_err_t perr;
	int st = route_to_pfr(r, &pr, err);

	if (st != UIPSEC_OK)
		return st;
	/* r->table is Linux policy routing; BSD has one table (FIBs are not
	 * used), so it is ignored, as net.h allows */
	return done(add ? pfr_route_add(net->os, &pr, &perr) : pfr_route_del(net->os, &pr, &perr),
	            &perr, err);
}

static int net_route_add(uipsec_net_t *net, const uipsec_route_t *r, uipsec_err_t *err)
{
	return net_route_change(net, r, true, err);
}

static int net_route_del(uipsec_net_t *net, const uipsec_route_t *r, uipsec_err_t *err)
{
	return net_route_change(net, r, false, err);
}

static int net_addr_change(uipsec_net_t *net, const char *ifname, const uipsec_prefix_t *a,
                           bool add, uipsec_err_t *err)
{
	pfr_addr_t pa;
	pfr_err_t perr;

	if (!ifname || !valid_family(a->addr.family) ||
	    a->len > (a->addr.family == AF_INET ? 32 : 128)) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "address: bad family or prefix length");
		return UIPSEC_ERR_INVAL;
	}
	pa = to_pfr(&a->addr);
	return done(add ? pfr_addr_add(net->os, ifname, &pa, a->len, &perr)
	                : pfr_addr_del(net->os, ifname, &pa, a->len, &perr),
	            &perr, err);
}

static int net_addr_add(uipsec_net_t *net, const char *ifname, const uipsec_prefix_t *a,
                        uipsec_err_t *err)
{
	return net_addr_change(net, ifname, a, true, err);
}

static int net_addr_del(uipsec_net_t *net, const char *ifname, const uipsec_prefix_t *a,
                        uipsec_err_t *err)
{
	return net_addr_change(net, ifname, a, false, err);
}

static int net_link_set(uipsec_net_t *net, const char *ifname, bool up, uint32_t mtu,
                        uipsec_err_t *err)
{
	pfr_err_t perr;
	return done(pfr_link_set(net->os, ifname, up, mtu, &perr), &perr, err);
}

static int net_route_get(uipsec_net_t *net, const uipsec_addr_t *dst, uint32_t fwmark,
                         uipsec_route_lookup_t *out, uipsec_err_t *err)
{
	pfr_lookup_t lk;
	pfr_addr_t pd;
	pfr_err_t perr;
	int e;

	(void)fwmark;   /* no marks in BSD routing lookups */
	if (!valid_family(dst->family)) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "route lookup: bad family");
		return UIPSEC_ERR_INVAL;
	}
	pd = to_pfr(dst);
	e = pfr_route_get(net->os, &pd, &lk, &perr);
	if (e < 0)
		return done(e, &perr, err);
	memset(out, 0, sizeof(*out));
	out->has_gateway = lk.has_gateway;
	if (lk.has_gateway)
		out->gateway = from_pfr(&lk.gateway);
	if (lk.has_src)
		out->src = from_pfr(&lk.src);
	memcpy(out->ifname, lk.ifname, sizeof(out->ifname));
	return UIPSEC_OK;
}

typedef struct addrs_ctx {
	uipsec_net_addr_cb cb;
	void *user;
} addrs_ctx_t;

static void addrs_one(const char *ifname, const pfr_addr_t *a, unsigned prefixlen, void *user)
{
	addrs_ctx_t *ctx = user;
	uipsec_prefix_t p = { .addr = from_pfr(a), .len = (uint8_t)prefixlen };
	ctx->cb(ifname, &p, ctx->user);
}

static int net_addrs_foreach(uipsec_net_t *net, uipsec_net_addr_cb cb, void *user,
                             uipsec_err_t *err)
{
	addrs_ctx_t ctx = { cb, user };
	pfr_err_t perr;
	(void)net;
	return done(pfr_addrs_foreach(addrs_one, &ctx, &perr), &perr, err);
}

static int net_flush(uipsec_net_t *net, uint32_t table, uint32_t rule_priority,
                     uipsec_err_t *err)
{
	pfr_err_t perr;
	unsigned removed = 0;
	int e;

	/* no tables or rules here: a crashed run's TUN devices vanished with
	 * their fds (and their routes with them); what can remain are routes
	 * via real interfaces, e.g. exception routes, which carry our marker */
	(void)table;
	(void)rule_priority;
	e = pfr_flush_marked(net->os, &removed, &perr);
	if (removed)
		uinfo(LOG_SUBSYS, "removed %u route(s) left over from a previous run", removed);
	return done(e, &perr, err);
}

static int net_event_fd(uipsec_net_t *net)
{
	return pfr_event_fd(net->os);
}

static void event_one(const pfr_event_t *pev, void *user)
{
	static const uipsec_net_event_type_t types[] = {
		[PFR_EV_ADDR_ADDED] = UIPSEC_NET_ADDR_ADDED,
		[PFR_EV_ADDR_REMOVED] = UIPSEC_NET_ADDR_REMOVED,
		[PFR_EV_LINK_UP] = UIPSEC_NET_LINK_UP,
		[PFR_EV_LINK_DOWN] = UIPSEC_NET_LINK_DOWN,
	};
	uipsec_net_t *net = user;
	uipsec_net_event_t ev;

	if (!net->event_cb || (unsigned)pev->type >= sizeof(types) / sizeof(types[0]))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = types[pev->type];
	memcpy(ev.ifname, pev->ifname, sizeof(ev.ifname));
	if (pev->type == PFR_EV_ADDR_ADDED || pev->type == PFR_EV_ADDR_REMOVED) {
		ev.addr.addr = from_pfr(&pev->addr);
		ev.addr.len = (uint8_t)pev->prefixlen;
	}
	net->event_cb(&ev, net->event_user);
}

static void net_event_dispatch(uipsec_net_t *net)
{
	pfr_event_dispatch(net->os, event_one, net);
}

static void net_set_event_cb(uipsec_net_t *net, uipsec_net_event_cb cb, void *user)
{
	net->event_cb = cb;
	net->event_user = user;
}

/* One routing table, no rules: the route manager puts tunnel routes in the
 * main table and installs no policy rule. */
static void net_get_routing(uipsec_net_t *net, uipsec_net_routing_t *out)
{
	(void)net;
	memset(out, 0, sizeof(*out));
}

static const uipsec_net_ops_t pfroute_ops = {
	.create = net_create,
	.destroy = net_destroy,
	.route_add = net_route_add,
	.route_del = net_route_del,
	.rule_add = NULL,   /* no policy routing on PF_ROUTE systems */
	.rule_del = NULL,
	.addr_add = net_addr_add,
	.addr_del = net_addr_del,
	.link_set = net_link_set,
	.route_get = net_route_get,
	.addrs_foreach = net_addrs_foreach,
	.flush = net_flush,
	.event_fd = net_event_fd,
	.event_dispatch = net_event_dispatch,
	.set_event_cb = net_set_event_cb,
	.get_routing = net_get_routing,
};

static const uipsec_feature_t pfroute_features[] = {
	UIPSEC_PROVIDE(UIPSEC_FT_NET, 0, UIPSEC_PRIO_DEFAULT, &pfroute_ops),
	UIPSEC_FEATURE_END,
};

UIPSEC_PLUGIN_DEFINE(net_pfroute, "net-pfroute", "1.0",
                     "network backend over PF_ROUTE routing sockets (FreeBSD, macOS)",
                     pfroute_features, NULL, NULL, NULL);
