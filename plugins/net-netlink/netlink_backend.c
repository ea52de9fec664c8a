/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net-netlink backend: routes, rules, addresses and links over rtnetlink
 * with libnl-route-3 objects. Every request waits for the kernel's ACK so
 * errors come back with the operation and the kernel's own message. */
#include "config.h"
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/rule.h>
#include <uipsec/log.h>
#include "netlink_backend.h"

#define LOG_SUBSYS "net-netlink"

struct uipsec_net {
	uipsec_net_routing_t routing;
	struct nl_sock *sk;      /* requests, blocking */
	struct nl_sock *ev_sk;   /* link/address/route notifications, non-blocking */
	int event_rcvbuf;        /* receive buffer of ev_sk, 0 = libnl's default */
	uipsec_net_event_cb event_cb;
	void *event_user;
};

/* ---------------------------------------------------------------- options */

bool netlink_cfg_parse(netlink_cfg_t *cfg, int64_t table, int64_t rule_priority,
                       const char *fwmark, const char **bad_key, uipsec_err_t *err)
{
	const char *unused;
	if (!bad_key)
		bad_key = &unused;
	memset(cfg, 0, sizeof(*cfg));
	/* 0 is "unspecified"; 253-255 are the kernel's default/main/local tables,
	 * which flushing at start would wipe */
	if (table <= 0 || table > UINT32_MAX || (table >= RT_TABLE_DEFAULT && table <= RT_TABLE_LOCAL)) {
		snprintf(err->msg, sizeof(err->msg),
		         NETLINK_OPT_PREFIX "table = %lld: must be 1..4294967295 and not 253 (default), "
		         "254 (main) or 255 (local)",
		         (long long)table);
		*bad_key = "table";
		return false;
	}
	if (rule_priority <= 0 || rule_priority > UINT32_MAX) {
		snprintf(err->msg, sizeof(err->msg), NETLINK_OPT_PREFIX "rule_priority = %lld: must be 1..4294967295",
		         (long long)rule_priority);
		*bad_key = "rule_priority";
		return false;
	}
	cfg->routing.table = (uint32_t)table;
	cfg->routing.rule_priority = (uint32_t)rule_priority;
	if (fwmark && *fwmark) {
		uipsec_err_t e = { "" };
		if (!uipsec_fwmark_parse(fwmark, &cfg->routing.fwmark_invert, &cfg->routing.fwmark,
		                         &cfg->routing.fwmask, &e)) {
			snprintf(err->msg, sizeof(err->msg), NETLINK_OPT_PREFIX "fwmark: %s", e.msg);
			*bad_key = "fwmark";
			return false;
		}
		cfg->routing.has_fwmark = true;
	}
	return true;
}

/* ---------------------------------------------------------------- errors */

/* errno from the kernel -> our status; data, not an if-chain */
static const struct { int errnum; int status; } errno_status[] = {
	{ EEXIST, UIPSEC_ERR_EXISTS },   { ENOENT, UIPSEC_ERR_NOTFOUND },
	{ ESRCH, UIPSEC_ERR_NOTFOUND },  { ENODEV, UIPSEC_ERR_NOTFOUND },
	{ EADDRNOTAVAIL, UIPSEC_ERR_NOTFOUND }, { ENETUNREACH, UIPSEC_ERR_NOTFOUND },
	{ EHOSTUNREACH, UIPSEC_ERR_NOTFOUND }, { EPERM, UIPSEC_ERR_PERM },
	{ EACCES, UIPSEC_ERR_PERM },     { EINVAL, UIPSEC_ERR_INVAL },
	{ ERANGE, UIPSEC_ERR_INVAL },    { ENOMEM, UIPSEC_ERR_NOMEM },
	{ ENOBUFS, UIPSEC_ERR_NOMEM },   { EAFNOSUPPORT, UIPSEC_ERR_NOTSUP },
	{ EOPNOTSUPP, UIPSEC_ERR_NOTSUP },
};

static int status_of(int errnum)
{
	for (size_t i = 0; i < sizeof(errno_status) / sizeof(errno_status[0]); i++)
		if (errno_status[i].errnum == errnum)
			return errno_status[i].status;
	return UIPSEC_ERR_IO;
}

/* The outcome of one request: the kernel's errno, or a libnl error when
 * the failure happened on our side of the socket. */
typedef struct nl_result {
	int kerr;    /* positive errno from NLMSG_ERROR, 0 = none */
	int nlerr;   /* negative libnl error, 0 = none */
} nl_result_t;

static bool nl_failed(const nl_result_t *r)
{
	return r->kerr || r->nlerr;
}

static int fail_op(uipsec_err_t *err, const nl_result_t *r, const char *op)
{
	const char *why = r->kerr ? strerror(r->kerr) : nl_geterror(r->nlerr);
	if (err)
		snprintf(err->msg, sizeof(err->msg), "%s: %s", op, why);
	return r->kerr ? status_of(r->kerr) : UIPSEC_ERR_IO;
}

/* ---------------------------------------------------------------- request/ACK */

typedef struct nl_reply {
	nl_result_t res;
	bool done;
	nl_recvmsg_msg_cb_t valid;
	void *arg;
} nl_reply_t;

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	nl_reply_t *r = arg;
	r->res.kerr = e->error < 0 ? -e->error : e->error;
	r->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	nl_reply_t *r = arg;
	r->done = true;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	nl_reply_t *r = arg;
	return r->valid ? r->valid(msg, r->arg) : NL_OK;
}

/* Send msg (consumed) and read until the kernel's ACK or error; replies
 * before the ACK go to valid(). */
static nl_result_t nl_talk(struct nl_sock *sk, struct nl_msg *msg, nl_recvmsg_msg_cb_t valid, void *arg)
{
	nl_reply_t r = { .valid = valid, .arg = arg };
	int rc = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (rc < 0) {
		r.res.nlerr = rc;
		return r.res;
	}
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		r.res.nlerr = -NLE_NOMEM;
		return r.res;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);
	while (!r.done) {
		rc = nl_recvmsgs(sk, cb);
		if (rc < 0 && !r.done) {
			r.res.nlerr = rc;
			break;
		}
	}
	nl_cb_put(cb);
	return r.res;
}

static nl_result_t nl_result_nlerr(int nlerr)
{
	nl_result_t r = { 0, nlerr };
	return r;
}

static nl_result_t nl_result_errno(int kerr)
{
	nl_result_t r = { kerr, 0 };
	return r;
}

/* Send a request libnl built (build_rc: its return value) and turn the
 * outcome into "OP: kernel message". */
static int request(uipsec_net_t *net, int build_rc, struct nl_msg *msg, const char *op, uipsec_err_t *err)
{
	nl_result_t res = build_rc < 0 ? nl_result_nlerr(build_rc) : nl_talk(net->sk, msg, NULL, NULL);
	if (nl_failed(&res))
		return fail_op(err, &res, op);
	utrace(LOG_SUBSYS, "%s", op);
	return UIPSEC_OK;
}

/* ---------------------------------------------------------------- lifecycle */

static int netlink_create(void *plugin_state, uipsec_net_t **out, uipsec_err_t *err)
{
	const netlink_cfg_t *cfg = plugin_state;
	uipsec_net_t *net = calloc(1, sizeof(*net));
	if (!net)
		return uipsec_err_set(err, UIPSEC_ERR_NOMEM, "netlink: out of memory");
	if (cfg) {
		net->routing = cfg->routing;
		net->event_rcvbuf = cfg->event_rcvbuf;
	}
	int rc = -NLE_NOMEM;
	net->sk = nl_socket_alloc();
	if (!net->sk || (rc = nl_connect(net->sk, NETLINK_ROUTE)) < 0) {
		nl_result_t r = nl_result_nlerr(rc);
		rc = fail_op(err, &r, "open rtnetlink socket");
		if (net->sk)
			nl_socket_free(net->sk);
		free(net);
		return rc;
	}
	*out = net;
	return UIPSEC_OK;
}

static void netlink_destroy(uipsec_net_t *net)
{
	if (!net)
		return;
	if (net->ev_sk)
		nl_socket_free(net->ev_sk);
	nl_socket_free(net->sk);
	free(net);
}

static void netlink_get_routing(uipsec_net_t *net, uipsec_net_routing_t *out)
{
	*out = net->routing;
}

/* ---------------------------------------------------------------- conversions */

static struct nl_addr *to_nl_addr(const uipsec_addr_t *a, unsigned prefixlen)
{
	unsigned bits = uipsec_addr_bits(a->family);
	if (!bits)
		return NULL;
	struct nl_addr *n = nl_addr_build(a->family, a->bytes, bits / 8);
	if (n)
		nl_addr_set_prefixlen(n, (int)prefixlen);
	return n;
}

static bool from_nl_addr(const struct nl_addr *n, uipsec_addr_t *out)
{
	memset(out, 0, sizeof(*out));
	if (!n)
		return false;
	int family = nl_addr_get_family(n);
	unsigned bits = uipsec_addr_bits((uint8_t)family);
	if (!bits || nl_addr_get_len(n) != bits / 8)
		return false;
	out->family = (uint8_t)family;
	memcpy(out->bytes, nl_addr_get_binary_addr(n), bits / 8);
	return true;
}

/* ---------------------------------------------------------------- routes */

static int route_build(const uipsec_route_t *r, struct rtnl_route **out, nl_result_t *res)
{
	int ifindex = 0;
	if (r->ifname[0] && !(ifindex = (int)if_nametoindex(r->ifname))) {
		*res = nl_result_errno(ENODEV);
		return -1;
	}
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = to_nl_addr(&r->dst.addr, r->dst.len);
	int rc = (route && nh && dst) ? 0 : -NLE_NOMEM;
	if (!rc)
		rc = rtnl_route_set_family(route, r->dst.addr.family);
	if (!rc)
		rc = rtnl_route_set_dst(route, dst);
	if (!rc) {
		rtnl_route_set_table(route, r->table ? r->table : RT_TABLE_MAIN);
		rtnl_route_set_protocol(route, RTPROT_STATIC);
		if (r->type == UIPSEC_ROUTE_THROW)
			rtnl_route_set_type(route, RTN_THROW);
		if (r->metric)
			rtnl_route_set_priority(route, r->metric);
		if (r->has_src) {
			struct nl_addr *src = to_nl_addr(&r->src, uipsec_addr_bits(r->src.family));
			rc = src ? rtnl_route_set_pref_src(route, src) : -NLE_INVAL;
			nl_addr_put(src);
		}
	}
	if (!rc) {
		if (ifindex)
			rtnl_route_nh_set_ifindex(nh, ifindex);
		if (r->has_gateway) {
			struct nl_addr *gw = to_nl_addr(&r->gateway, uipsec_addr_bits(r->gateway.family));
			if (gw)
				rtnl_route_nh_set_gateway(nh, gw);
			else
				rc = -NLE_INVAL;
			nl_addr_put(gw);
		}
	}
	/* a throw route has no next hop: the kernel refuses one */
	if (!rc && r->type != UIPSEC_ROUTE_THROW) {
		rtnl_route_add_nexthop(route, nh);   /* route owns nh now */
		nh = NULL;
	}
	nl_addr_put(dst);
	if (nh)
		rtnl_route_nh_free(nh);
	if (rc) {
		rtnl_route_put(route);
		*res = nl_result_nlerr(rc);
		return -1;
	}
	*out = route;
	return 0;
}

static int route_change(uipsec_net_t *net, const uipsec_route_t *r, bool add, uipsec_err_t *err)
{
	char desc[200], op[220];
	snprintf(op, sizeof(op), "%s route %s", add ? "add" : "delete", uipsec_route_str(r, desc, sizeof(desc)));
	struct rtnl_route *route;
	nl_result_t res = { 0, 0 };
	if (route_build(r, &route, &res) < 0)
		return fail_op(err, &res, op);
	struct nl_msg *msg = NULL;
	int rc = add ? rtnl_route_build_add_request(route, NLM_F_EXCL, &msg)
	             : rtnl_route_build_del_request(route, 0, &msg);
	rtnl_route_put(route);
	return request(net, rc, msg, op, err);
}

static int netlink_route_add(uipsec_net_t *net, const uipsec_route_t *r, uipsec_err_t *err)
{
	return route_change(net, r, true, err);
}

static int netlink_route_del(uipsec_net_t *net, const uipsec_route_t *r, uipsec_err_t *err)
{
	return route_change(net, r, false, err);
}

/* ---------------------------------------------------------------- rules */

static const char *rule_str(const uipsec_rule_t *r, char *buf, size_t len)
{
	char mark[64] = "";
	if (r->has_fwmark)
		snprintf(mark, sizeof(mark), " %sfwmark 0x%x/0x%x", r->fwmark_invert ? "not " : "", r->fwmark, r->fwmask);
	snprintf(buf, len, "%s rule priority %u%s table %u", r->family == AF_INET6 ? "IPv6" : "IPv4",
	         r->priority, mark, r->table);
	return buf;
}

/* libnl has no setter for the fib_rule_hdr flags, so FIB_RULE_INVERT is
 * set in the header of the request libnl built. */
static void rule_msg_set_invert(struct nl_msg *msg)
{
	struct fib_rule_hdr *frh = nlmsg_data(nlmsg_hdr(msg));
	frh->flags |= FIB_RULE_INVERT;
}

static int rule_change(uipsec_net_t *net, const uipsec_rule_t *r, bool add, uipsec_err_t *err)
{
	char desc[120], op[140];
	snprintf(op, sizeof(op), "%s %s", add ? "add" : "delete", rule_str(r, desc, sizeof(desc)));
	struct rtnl_rule *rule = rtnl_rule_alloc();
	if (!rule) {
		nl_result_t res = nl_result_nlerr(-NLE_NOMEM);
		return fail_op(err, &res, op);
	}
	rtnl_rule_set_family(rule, r->family);
	rtnl_rule_set_table(rule, r->table);
	rtnl_rule_set_prio(rule, r->priority);
	rtnl_rule_set_action(rule, FR_ACT_TO_TBL);
	if (r->has_fwmark) {
		rtnl_rule_set_mark(rule, r->fwmark);
		rtnl_rule_set_mask(rule, r->fwmask);
	}
	struct nl_msg *msg = NULL;
	int rc = add ? rtnl_rule_build_add_request(rule, NLM_F_EXCL, &msg)
	             : rtnl_rule_build_delete_request(rule, 0, &msg);
	rtnl_rule_put(rule);
	if (rc >= 0 && r->has_fwmark && r->fwmark_invert)
		rule_msg_set_invert(msg);
	return request(net, rc, msg, op, err);
}

static int netlink_rule_add(uipsec_net_t *net, const uipsec_rule_t *r, uipsec_err_t *err)
{
	return rule_change(net, r, true, err);
}

static int netlink_rule_del(uipsec_net_t *net, const uipsec_rule_t *r, uipsec_err_t *err)
{
	return rule_change(net, r, false, err);
}

/* ---------------------------------------------------------------- addresses and links */

static int addr_change(uipsec_net_t *net, const char *ifname, const uipsec_prefix_t *a, bool add, uipsec_err_t *err)
{
	char p[UIPSEC_PREFIX_STRLEN], op[120];
	snprintf(op, sizeof(op), "%s address %s dev %s", add ? "add" : "delete",
	         uipsec_prefix_str(a, p, sizeof(p)), ifname);
	int ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		nl_result_t res = nl_result_errno(ENODEV);
		return fail_op(err, &res, op);
	}
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local = to_nl_addr(&a->addr, a->len);
	int rc = (addr && local) ? 0 : -NLE_NOMEM;
	if (!rc) {
		rtnl_addr_set_ifindex(addr, ifindex);
		rtnl_addr_set_family(addr, a->addr.family);
		rc = rtnl_addr_set_local(addr, local);
	}
	if (!rc) {
		rtnl_addr_set_prefixlen(addr, a->len);
		/* a TUN device has no neighbours to detect duplicates with */
		if (a->addr.family == AF_INET6)
			rtnl_addr_set_flags(addr, IFA_F_NODAD);
	}
	struct nl_msg *msg = NULL;
	if (!rc)
		rc = add ? rtnl_addr_build_add_request(addr, NLM_F_EXCL, &msg)
		         : rtnl_addr_build_delete_request(addr, 0, &msg);
	nl_addr_put(local);
	if (addr)
		rtnl_addr_put(addr);
	return request(net, rc, msg, op, err);
}

static int netlink_addr_add(uipsec_net_t *net, const char *ifname, const uipsec_prefix_t *a, uipsec_err_t *err)
{
	return addr_change(net, ifname, a, true, err);
}

static int netlink_addr_del(uipsec_net_t *net, const char *ifname, const uipsec_prefix_t *a, uipsec_err_t *err)
{
	return addr_change(net, ifname, a, false, err);
}

static int netlink_link_set(uipsec_net_t *net, const char *ifname, bool up, uint32_t mtu, uipsec_err_t *err)
{
	char op[80];
	if (mtu)
		snprintf(op, sizeof(op), "set link %s %s mtu %u", ifname, up ? "up" : "down", mtu);
	else
		snprintf(op, sizeof(op), "set link %s %s", ifname, up ? "up" : "down");
	if (!if_nametoindex(ifname)) {
		nl_result_t res = nl_result_errno(ENODEV);
		return fail_op(err, &res, op);
	}
	struct rtnl_link *orig = NULL;
	int rc = rtnl_link_get_kernel(net->sk, 0, ifname, &orig);
	if (rc < 0) {
		nl_result_t res = nl_result_nlerr(rc);
		return fail_op(err, &res, op);
	}
	struct rtnl_link *change = rtnl_link_alloc();
	struct nl_msg *msg = NULL;
	rc = change ? 0 : -NLE_NOMEM;
	if (!rc) {
		if (up)
			rtnl_link_set_flags(change, IFF_UP);
		else
			rtnl_link_unset_flags(change, IFF_UP);
		if (mtu)
			rtnl_link_set_mtu(change, mtu);
		rc = rtnl_link_build_change_request(orig, change, 0, &msg);
	}
	if (change)
		rtnl_link_put(change);
	rtnl_link_put(orig);
	return request(net, rc, msg, op, err);
}

/* ---------------------------------------------------------------- lookups */

static int on_route_reply(struct nl_msg *msg, void *arg)
{
	struct rtnl_route **out = arg;
	struct rtnl_route *route = NULL;
	if (nlmsg_hdr(msg)->nlmsg_type == RTM_NEWROUTE && rtnl_route_parse(nlmsg_hdr(msg), &route) == 0) {
		if (*out)
			rtnl_route_put(*out);
		*out = route;
	}
	return NL_OK;
}

/* RTM_GETROUTE: the kernel's own answer, with the fwmark the daemon's
 * sockets use so policy rules apply as they do to its packets. libnl's
 * rtnl_route_lookup() cannot carry a mark, so the request is assembled
 * with libnl's message helpers. */
static int netlink_route_get(uipsec_net_t *net, const uipsec_addr_t *dst, uint32_t fwmark,
                             uipsec_route_lookup_t *out, uipsec_err_t *err)
{
	char a[UIPSEC_ADDR_STRLEN], op[100];
	snprintf(op, sizeof(op), "look up route to %s%s", uipsec_addr_str(dst, a, sizeof(a)), fwmark ? " (fwmark)" : "");
	memset(out, 0, sizeof(*out));
	unsigned bits = uipsec_addr_bits(dst->family);
	if (!bits)
		return uipsec_err_set(err, UIPSEC_ERR_INVAL, "%s: invalid address", op);
	struct rtmsg rtm = { .rtm_family = dst->family, .rtm_dst_len = (unsigned char)bits };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, 0);
	int rc = msg ? nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) : -NLE_NOMEM;
	if (!rc)
		rc = nla_put(msg, RTA_DST, (int)(bits / 8), dst->bytes);
	if (!rc && fwmark)
		rc = nla_put_u32(msg, RTA_MARK, fwmark);
	nl_result_t res;
	struct rtnl_route *route = NULL;
	if (rc < 0) {
		nlmsg_free(msg);
		res = nl_result_nlerr(rc);
	} else {
		res = nl_talk(net->sk, msg, on_route_reply, &route);
	}
	if (nl_failed(&res)) {
		if (route)
			rtnl_route_put(route);
		return fail_op(err, &res, op);
	}
	if (!route)
		return uipsec_err_set(err, UIPSEC_ERR_NOTFOUND, "%s: no answer from the kernel", op);
	struct rtnl_nexthop *nh = rtnl_route_get_nnexthops(route) > 0 ? rtnl_route_nexthop_n(route, 0) : NULL;
	if (nh) {
		if (!if_indextoname((unsigned)rtnl_route_nh_get_ifindex(nh), out->ifname))
			out->ifname[0] = '\0';
		out->has_gateway = from_nl_addr(rtnl_route_nh_get_gateway(nh), &out->gateway);
	}
	from_nl_addr(rtnl_route_get_pref_src(route), &out->src);
	rtnl_route_put(route);
	if (!out->ifname[0])
		return uipsec_err_set(err, UIPSEC_ERR_NOTFOUND, "%s: the kernel named no output device", op);
	return UIPSEC_OK;
}

static int netlink_addrs_foreach(uipsec_net_t *net, uipsec_net_addr_cb cb, void *user, uipsec_err_t *err)
{
	struct nl_cache *cache = NULL;
	int rc = rtnl_addr_alloc_cache(net->sk, &cache);
	if (rc < 0) {
		nl_result_t res = nl_result_nlerr(rc);
		return fail_op(err, &res, "list addresses");
	}
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *addr = (struct rtnl_addr *)o;
		uipsec_prefix_t p = { 0 };
		char ifname[IF_NAMESIZE];
		if (!from_nl_addr(rtnl_addr_get_local(addr), &p.addr))
			continue;
		p.len = (uint8_t)rtnl_addr_get_prefixlen(addr);
		if (!if_indextoname((unsigned)rtnl_addr_get_ifindex(addr), ifname))
			continue;
		cb(ifname, &p, user);
	}
	nl_cache_free(cache);
	return UIPSEC_OK;
}

/* ---------------------------------------------------------------- crash recovery */

static int netlink_flush(uipsec_net_t *net, uint32_t table, uint32_t rule_priority, uipsec_err_t *err)
{
	struct nl_cache *cache = NULL;
	unsigned removed_routes = 0, removed_rules = 0;
	int rc;
	if (table) {
		if ((rc = rtnl_route_alloc_cache(net->sk, AF_UNSPEC, 0, &cache)) < 0) {
			nl_result_t res = nl_result_nlerr(rc);
			return fail_op(err, &res, "list routes");
		}
		for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
			struct rtnl_route *route = (struct rtnl_route *)o;
			struct nl_msg *msg = NULL;
			if (rtnl_route_get_table(route) != table)
				continue;
			nl_result_t res = (rc = rtnl_route_build_del_request(route, 0, &msg)) < 0
			                  ? nl_result_nlerr(rc) : nl_talk(net->sk, msg, NULL, NULL);
			if (res.kerr == ESRCH)   /* gone meanwhile */
				continue;
			if (nl_failed(&res)) {
				nl_cache_free(cache);
				char op[60];
				snprintf(op, sizeof(op), "flush routes of table %u", table);
				return fail_op(err, &res, op);
			}
			removed_routes++;
		}
		nl_cache_free(cache);
	}
	if (rule_priority) {
		if ((rc = rtnl_rule_alloc_cache(net->sk, AF_UNSPEC, &cache)) < 0) {
			nl_result_t res = nl_result_nlerr(rc);
			return fail_op(err, &res, "list rules");
		}
		for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
			struct rtnl_rule *rule = (struct rtnl_rule *)o;
			struct nl_msg *msg = NULL;
			if (rtnl_rule_get_prio(rule) != rule_priority || rtnl_rule_get_table(rule) != table)
				continue;
			/* the parsed rule keeps its header flags (FIB_RULE_INVERT), so
			 * the delete request matches it exactly */
			nl_result_t res = (rc = rtnl_rule_build_delete_request(rule, 0, &msg)) < 0
			                  ? nl_result_nlerr(rc) : nl_talk(net->sk, msg, NULL, NULL);
			if (res.kerr == ENOENT)
				continue;
			if (nl_failed(&res)) {
				nl_cache_free(cache);
				char op[80];
				snprintf(op, sizeof(op), "flush rules with priority %u", rule_priority);
				return fail_op(err, &res, op);
			}
			removed_rules++;
		}
		nl_cache_free(cache);
	}
	if (removed_routes || removed_rules)
		uinfo(LOG_SUBSYS, "removed leftovers of an earlier run: %u route(s) in table %u, %u rule(s)",
		      removed_routes, table, removed_rules);
	return UIPSEC_OK;
}

/* ---------------------------------------------------------------- notifications */

static int events_open(uipsec_net_t *net)
{
	if (net->ev_sk)
		return 0;
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return -NLE_NOMEM;
	int rc = nl_connect(sk, NETLINK_ROUTE);
	if (!rc)
		rc = nl_socket_add_memberships(sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
		                               RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE,
		                               RTNLGRP_IPV6_RULE, 0);
	if (!rc && net->event_rcvbuf > 0)
		rc = nl_socket_set_buffer_size(sk, net->event_rcvbuf, 0);
	if (!rc)
		rc = nl_socket_set_nonblocking(sk);
	if (rc < 0) {
		nl_socket_free(sk);
		return rc;
	}
	net->ev_sk = sk;
	return 0;
}

static int netlink_event_fd(uipsec_net_t *net)
{
	int rc = events_open(net);
	if (rc < 0) {
		uwarn(LOG_SUBSYS, "no link/address/route notifications: %s", nl_geterror(rc));
		return -1;
	}
	return nl_socket_get_fd(net->ev_sk);
}

static void netlink_set_event_cb(uipsec_net_t *net, uipsec_net_event_cb cb, void *user)
{
	net->event_cb = cb;
	net->event_user = user;
}

static void emit_addr(uipsec_net_t *net, struct rtnl_addr *addr, bool added)
{
	uipsec_net_event_t ev = { .type = added ? UIPSEC_NET_ADDR_ADDED : UIPSEC_NET_ADDR_REMOVED };
	if (!from_nl_addr(rtnl_addr_get_local(addr), &ev.addr.addr))
		return;
	ev.addr.len = (uint8_t)rtnl_addr_get_prefixlen(addr);
	if (!if_indextoname((unsigned)rtnl_addr_get_ifindex(addr), ev.ifname))
		snprintf(ev.ifname, sizeof(ev.ifname), "if%d", rtnl_addr_get_ifindex(addr));
	net->event_cb(&ev, net->event_user);
}

static void emit_link(uipsec_net_t *net, struct rtnl_link *link, bool deleted)
{
	uipsec_net_event_t ev = { 0 };
	bool up = !deleted && (rtnl_link_get_flags(link) & IFF_UP);
	ev.type = up ? UIPSEC_NET_LINK_UP : UIPSEC_NET_LINK_DOWN;
	const char *name = rtnl_link_get_name(link);
	snprintf(ev.ifname, sizeof(ev.ifname), "%s", name ? name : "");
	net->event_cb(&ev, net->event_user);
}

/* A new next hop towards a peer shows as a route message only. */
static void emit_route(uipsec_net_t *net, struct rtnl_route *route)
{
	uipsec_net_event_t ev = { .type = UIPSEC_NET_ROUTE_CHANGED };
	ev.table = rtnl_route_get_table(route);
	if (from_nl_addr(rtnl_route_get_dst(route), &ev.addr.addr))
		ev.addr.len = (uint8_t)nl_addr_get_prefixlen(rtnl_route_get_dst(route));
	net->event_cb(&ev, net->event_user);
}

/* Someone removed (or added) a rule: the route manager checks its own. */
static void emit_rule(uipsec_net_t *net, struct rtnl_rule *rule)
{
	uipsec_net_event_t ev = { .type = UIPSEC_NET_RULE_CHANGED };
	ev.table = rtnl_rule_get_table(rule);
	net->event_cb(&ev, net->event_user);
}

typedef struct event_ctx {
	uipsec_net_t *net;
	int msgtype;
} event_ctx_t;

static void on_event_object(struct nl_object *obj, void *arg)
{
	event_ctx_t *ctx = arg;
	switch (ctx->msgtype) {
	case RTM_NEWADDR: emit_addr(ctx->net, (struct rtnl_addr *)obj, true); break;
	case RTM_DELADDR: emit_addr(ctx->net, (struct rtnl_addr *)obj, false); break;
	case RTM_NEWLINK: emit_link(ctx->net, (struct rtnl_link *)obj, false); break;
	case RTM_DELLINK: emit_link(ctx->net, (struct rtnl_link *)obj, true); break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE: emit_route(ctx->net, (struct rtnl_route *)obj); break;
	case RTM_NEWRULE:
	case RTM_DELRULE: emit_rule(ctx->net, (struct rtnl_rule *)obj); break;
	default: break;
	}
}

static int on_event_msg(struct nl_msg *msg, void *arg)
{
	uipsec_net_t *net = arg;
	if (!net->event_cb)
		return NL_OK;
	event_ctx_t ctx = { net, nlmsg_hdr(msg)->nlmsg_type };
	nl_msg_parse(msg, on_event_object, &ctx);
	return NL_OK;
}

static int accept_any_seq(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

static void netlink_event_dispatch(uipsec_net_t *net)
{
	if (!net->ev_sk)
		return;
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_event_msg, net);
	/* notifications carry no sequence number of ours */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, accept_any_seq, NULL);
	for (;;) {
		int rc = nl_recvmsgs(net->ev_sk, cb);
		if (rc == -NLE_AGAIN)
			break;
		if (rc < 0) {
			/* the socket overran (ENOBUFS, libnl's NLE_NOMEM) or a message
			 * was lost otherwise: what the events told is incomplete, the
			 * receiver re-reads the state it derives from them */
			udebug(LOG_SUBSYS, "reading link/address/route notifications: %s", nl_geterror(rc));
			if (net->event_cb) {
				uipsec_net_event_t ev = { .type = UIPSEC_NET_RESYNC };
				net->event_cb(&ev, net->event_user);
			}
			break;
		}
	}
	nl_cb_put(cb);
}

const uipsec_net_ops_t netlink_net_ops = {
	.create = netlink_create,
	.destroy = netlink_destroy,
	.route_add = netlink_route_add,
	.route_del = netlink_route_del,
	.rule_add = netlink_rule_add,
	.rule_del = netlink_rule_del,
	.addr_add = netlink_addr_add,
	.addr_del = netlink_addr_del,
	.link_set = netlink_link_set,
	.route_get = netlink_route_get,
	.addrs_foreach = netlink_addrs_foreach,
	.flush = netlink_flush,
	.event_fd = netlink_event_fd,
	.event_dispatch = netlink_event_dispatch,
	.set_event_cb = netlink_set_event_cb,
	.get_routing = netlink_get_routing,
};
