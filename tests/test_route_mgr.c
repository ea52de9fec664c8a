/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Route decisions of route_mgr, checked against a recording backend: a
 * test double is right here because these tests check what the core asks
 * for (which routes, in which order, how often), not what the kernel does;
 * tests/test-netlink-*.sh run the same decisions against the real kernel. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include <uipsec/net.h>
#include "esp/stats.h"
#include "net/route_mgr.h"

/* ---------------------------------------------------------------- recording backend */

struct uipsec_net {
	uipsec_net_routing_t routing;
	bool no_rules;
	GPtrArray *log;             /* char*, one line per operation */
	const char *fail_match;     /* operation containing this fails ... */
	int fail_status;            /* ... with this status ... */
	const char *fail_msg;       /* ... and this kernel message */
	uipsec_route_lookup_t lookup;   /* answer of route_get */
	GArray *addrs;              /* uipsec_prefix_t, "on eth0" */
	GHashTable *installed;      /* what adds put in and deletes took out, as the kernel
	                             * keeps it: an add of something there is "exists",
	                             * not recorded (reconciliation adds exclusively) */
};

static uipsec_net_t rec;

static int record(uipsec_err_t *err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int record(uipsec_err_t *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (rec.fail_match && strstr(line, rec.fail_match)) {
		snprintf(err->msg, sizeof(err->msg), "%s: %s", line, rec.fail_msg);
		g_free(line);
		return rec.fail_status;
	}
	if (g_str_has_prefix(line, "add ") && rec.installed) {
		if (g_hash_table_contains(rec.installed, line + 4)) {
			snprintf(err->msg, sizeof(err->msg), "%s: File exists", line);
			g_free(line);
			return UIPSEC_ERR_EXISTS;
		}
		g_hash_table_add(rec.installed, g_strdup(line + 4));
	} else if (g_str_has_prefix(line, "delete ") && rec.installed) {
		g_hash_table_remove(rec.installed, line + 7);
	}
	g_ptr_array_add(rec.log, line);
	return UIPSEC_OK;
}

static int rec_route(uipsec_net_t *n, const uipsec_route_t *r, uipsec_err_t *err, const char *op)
{
	char buf[200];
	return record(err, "%s route %s", op, uipsec_route_str(r, buf, sizeof(buf)));
}
static int rec_route_add(uipsec_net_t *n, const uipsec_route_t *r, uipsec_err_t *err) { return rec_route(n, r, err, "add"); }
static int rec_route_del(uipsec_net_t *n, const uipsec_route_t *r, uipsec_err_t *err) { return rec_route(n, r, err, "delete"); }

static int rec_rule(uipsec_net_t *n, const uipsec_rule_t *r, uipsec_err_t *err, const char *op)
{
	char mark[48] = "";
	if (r->has_fwmark)
		snprintf(mark, sizeof(mark), " %sfwmark 0x%x/0x%x", r->fwmark_invert ? "not " : "", r->fwmark, r->fwmask);
	return record(err, "%s rule %s priority %u%s table %u", op, r->family == AF_INET ? "inet" : "inet6",
	              r->priority, mark, r->table);
}
static int rec_rule_add(uipsec_net_t *n, const uipsec_rule_t *r, uipsec_err_t *err) { return rec_rule(n, r, err, "add"); }
static int rec_rule_del(uipsec_net_t *n, const uipsec_rule_t *r, uipsec_err_t *err) { return rec_rule(n, r, err, "delete"); }

static int rec_addr(const char *ifname, const uipsec_prefix_t *a, uipsec_err_t *err, const char *op)
{
	char p[UIPSEC_PREFIX_STRLEN];
	return record(err, "%s address %s dev %s", op, uipsec_prefix_str(a, p, sizeof(p)), ifname);
}
static int rec_addr_add(uipsec_net_t *n, const char *i, const uipsec_prefix_t *a, uipsec_err_t *err) { return rec_addr(i, a, err, "add"); }
static int rec_addr_del(uipsec_net_t *n, const char *i, const uipsec_prefix_t *a, uipsec_err_t *err) { return rec_addr(i, a, err, "delete"); }

static int rec_route_get(uipsec_net_t *n, const uipsec_addr_t *dst, uint32_t fwmark, uipsec_route_lookup_t *out, uipsec_err_t *err)
{
	char a[UIPSEC_ADDR_STRLEN];
	int rc = record(err, "lookup %s mark 0x%x", uipsec_addr_str(dst, a, sizeof(a)), fwmark);
	if (rc == UIPSEC_OK)
		*out = rec.lookup;
	return rc;
}

static int rec_addrs_foreach(uipsec_net_t *n, uipsec_net_addr_cb cb, void *user, uipsec_err_t *err)
{
	for (guint i = 0; i < rec.addrs->len; i++)
		cb("eth0", &g_array_index(rec.addrs, uipsec_prefix_t, i), user);
	return UIPSEC_OK;
}

static int rec_flush(uipsec_net_t *n, uint32_t table, uint32_t prio, uipsec_err_t *err)
{
	return record(err, "flush table %u rule priority %u", table, prio);
}

static void rec_get_routing(uipsec_net_t *n, uipsec_net_routing_t *out)
{
	*out = n->routing;
}

static const uipsec_net_ops_t rec_ops = {
	.route_add = rec_route_add, .route_del = rec_route_del,
	.rule_add = rec_rule_add, .rule_del = rec_rule_del,
	.addr_add = rec_addr_add, .addr_del = rec_addr_del,
	.route_get = rec_route_get, .addrs_foreach = rec_addrs_foreach,
	.flush = rec_flush, .get_routing = rec_get_routing,
};

/* PF_ROUTE-like: no policy routing */
static const uipsec_net_ops_t rec_ops_norules = {
	.route_add = rec_route_add, .route_del = rec_route_del,
	.addr_add = rec_addr_add, .addr_del = rec_addr_del,
	.route_get = rec_route_get, .addrs_foreach = rec_addrs_foreach,
	.flush = rec_flush, .get_routing = rec_get_routing,
};

/* ---------------------------------------------------------------- helpers */

static void rec_reset(void)
{
	if (rec.log)
		g_ptr_array_unref(rec.log);
	if (rec.addrs)
		g_array_unref(rec.addrs);
	if (rec.installed)
		g_hash_table_unref(rec.installed);
	memset(&rec, 0, sizeof(rec));
	rec.installed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	rec.log = g_ptr_array_new_with_free_func(g_free);
	rec.addrs = g_array_new(FALSE, TRUE, sizeof(uipsec_prefix_t));
	rec.routing.table = 220;
	rec.routing.rule_priority = 220;
	/* the peer 192.0.2.2 is reached via 198.51.100.254 on eth0 */
	g_strlcpy(rec.lookup.ifname, "eth0", sizeof(rec.lookup.ifname));
	rec.lookup.has_gateway = true;
	g_assert_true(uipsec_addr_parse("198.51.100.254", &rec.lookup.gateway));
	g_assert_true(uipsec_addr_parse("198.51.100.1", &rec.lookup.src));
}

/* an interface address "10.1.0.1/24" (host bits kept, unlike a selector) */
static void rec_add_local(const char *addr_len)
{
	uipsec_prefix_t p = { 0 };
	char **v = g_strsplit(addr_len, "/", 2);
	g_assert_true(uipsec_addr_parse(v[0], &p.addr));
	p.len = (uint8_t)atoi(v[1]);
	g_strfreev(v);
	g_array_append_val(rec.addrs, p);
}

/* The recorded operations since the last call, joined with "\n". */
static char *rec_take(void)
{
	g_ptr_array_add(rec.log, NULL);
	char *s = g_strjoinv("\n", (char **)rec.log->pdata);
	g_ptr_array_unref(rec.log);
	rec.log = g_ptr_array_new_with_free_func(g_free);
	return s;
}

static void assert_ops(const char *expected)
{
	char *got = rec_take();
	g_assert_cmpstr(got, ==, expected);
	g_free(got);
}

static uipsec_prefix_t prefix_of(const char *s)
{
	uipsec_prefix_t p;
	g_assert_true(uipsec_prefix_parse(s, &p));
	return p;
}

/* A tunnel description with parsed selectors (at most 4 each). */
typedef struct tun {
	route_mgr_tunnel_t t;
	uipsec_prefix_t lts[4], rts[4], vips[4];
} tun_t;

static void prefixes(const char *list, uipsec_prefix_t *out, size_t *n)
{
	*n = 0;
	if (!list)
		return;
	char **v = g_strsplit(list, " ", -1);
	for (char **p = v; *p; p++) {
		g_assert_cmpuint(*n, <, 4);
		g_assert_true(uipsec_prefix_parse(*p, &out[(*n)++]));
	}
	g_strfreev(v);
}

static route_mgr_tunnel_t *tun(tun_t *x, const char *name, const char *local, const char *remote,
                               const char *lts, const char *rts, const char *vips)
{
	memset(x, 0, sizeof(*x));
	x->t.name = name;
	x->t.ifname = "uipt0";
	if (local)
		g_assert_true(uipsec_addr_parse(local, &x->t.local));
	g_assert_true(uipsec_addr_parse(remote, &x->t.remote));
	prefixes(lts, x->lts, &x->t.local_ts_count);
	prefixes(rts, x->rts, &x->t.remote_ts_count);
	prefixes(vips, x->vips, &x->t.vip_count);
	x->t.local_ts = x->lts;
	x->t.remote_ts = x->rts;
	x->t.vips = x->vips;
	return &x->t;
}

static route_mgr_t *started(const uipsec_net_ops_t *ops, bool install, bool allow_peer_ts, uint32_t sock_mark)
{
	route_mgr_cfg_t cfg = { .install_routes = install, .allow_peer_ts = allow_peer_ts, .socket_fwmark = sock_mark };
	route_mgr_t *m = route_mgr_new(ops, &rec, &cfg);
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_start(m, &err), ==, UIPSEC_OK);
	return m;
}

/* A fresh recorder, a started manager (no fwmark) and tunnel "a" from
 * 198.51.100.1 to the peer 192.0.2.2 for 10.1.0.0/24 <-> remote_ts;
 * what that recorded is dropped. */
static route_mgr_t *started_with_tunnel(const char *remote_ts)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	tun_t a;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", "198.51.100.1", "192.0.2.2", "10.1.0.0/24", remote_ts, NULL), &err), ==, UIPSEC_OK);
	g_free(rec_take());
	return m;
}

/* ---------------------------------------------------------------- tests */

static void test_start_flushes_then_rules(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	assert_ops("flush table 220 rule priority 220\n"
	           "add rule inet priority 220 table 220\n"
	           "add rule inet6 priority 220 table 220");
	route_mgr_stop(m);
	assert_ops("delete rule inet priority 220 table 220\n"
	           "delete rule inet6 priority 220 table 220");
	route_mgr_free(m);
	assert_ops("");
}

static void test_start_fwmark_rule(void)
{
	rec_reset();
	rec.routing.has_fwmark = true;
	rec.routing.fwmark_invert = true;
	rec.routing.fwmark = 0x42;
	rec.routing.fwmask = 0xffffffff;
	rec.routing.table = 100;
	rec.routing.rule_priority = 150;
	route_mgr_t *m = started(&rec_ops, true, false, 0x42);
	assert_ops("flush table 100 rule priority 150\n"
	           "add rule inet priority 150 not fwmark 0x42/0xffffffff table 100\n"
	           "add rule inet6 priority 150 not fwmark 0x42/0xffffffff table 100");
	route_mgr_free(m);
}

static void test_start_rule_failure(void)
{
	rec_reset();
	rec.fail_match = "add rule inet ";
	rec.fail_status = UIPSEC_ERR_PERM;
	rec.fail_msg = "Operation not permitted";
	route_mgr_cfg_t cfg = { .install_routes = true };
	route_mgr_t *m = route_mgr_new(&rec_ops, &rec, &cfg);
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_start(m, &err), ==, UIPSEC_ERR_PERM);
	g_assert_cmpstr(err.msg, ==, "add rule inet priority 220 table 220: Operation not permitted");
	route_mgr_free(m);
}

static void test_route_with_local_source(void)
{
	rec_reset();
	rec_add_local("198.51.100.1/24");
	rec_add_local("10.1.0.1/24");
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	tun_t x;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&x, "a", "192.0.2.1", "192.0.2.2", "10.1.0.0/24", "10.2.0.0/24 10.4.0.0/16", NULL), &err), ==, UIPSEC_OK);
	assert_ops("add route 10.2.0.0/24 dev uipt0 src 10.1.0.1 table 220\n"
	           "add route 10.4.0.0/16 dev uipt0 src 10.1.0.1 table 220");
	g_assert_true(route_mgr_has_tunnel(m, "a"));
	g_assert_cmpint(route_mgr_tunnel_del(m, "a", &err), ==, UIPSEC_OK);
	assert_ops("delete route 10.4.0.0/16 dev uipt0 src 10.1.0.1 table 220\n"
	           "delete route 10.2.0.0/24 dev uipt0 src 10.1.0.1 table 220");
	g_assert_false(route_mgr_has_tunnel(m, "a"));
	g_assert_cmpint(route_mgr_tunnel_del(m, "a", &err), ==, UIPSEC_ERR_NOTFOUND);
	g_assert_nonnull(strstr(err.msg, "tunnel a: not installed"));
	route_mgr_free(m);
}

static void test_no_local_address_no_source(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	tun_t x;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&x, "a", NULL, "192.0.2.2", "10.1.0.0/24", "10.2.0.0/24", NULL), &err), ==, UIPSEC_OK);
	assert_ops("add route 10.2.0.0/24 dev uipt0 table 220");
	route_mgr_free(m);
}

static void test_vip_is_source_and_removed(void)
{
	rec_reset();
	rec_add_local("10.1.0.1/24");
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	tun_t x;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&x, "rw", "192.0.2.1", "192.0.2.2", "10.1.0.0/24 10.3.0.7/32",
	                                             "10.2.0.0/24 2001:db8:2::/48", "10.3.0.7/32 2001:db8:3::7/128"), &err), ==, UIPSEC_OK);
	assert_ops("add address 10.3.0.7/32 dev uipt0\n"
	           "add address 2001:db8:3::7/128 dev uipt0\n"
	           "add route 10.2.0.0/24 dev uipt0 src 10.3.0.7 table 220\n"
	           "add route 2001:db8:2::/48 dev uipt0 src 2001:db8:3::7 table 220");
	route_mgr_stop(m);
	assert_ops("delete route 2001:db8:2::/48 dev uipt0 src 2001:db8:3::7 table 220\n"
	           "delete route 10.2.0.0/24 dev uipt0 src 10.3.0.7 table 220\n"
	           "delete address 2001:db8:3::7/128 dev uipt0\n"
	           "delete address 10.3.0.7/32 dev uipt0\n"
	           "delete rule inet priority 220 table 220\n"
	           "delete rule inet6 priority 220 table 220");
	g_assert_false(route_mgr_has_tunnel(m, "rw"));
	route_mgr_free(m);
}

static void test_vip_left_over_is_adopted(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	rec.fail_match = "add address";
	rec.fail_status = UIPSEC_ERR_EXISTS;
	rec.fail_msg = "File exists";
	tun_t x;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&x, "a", NULL, "192.0.2.2", NULL, "10.2.0.0/24", "10.3.0.1/32"), &err), ==, UIPSEC_OK);
	assert_ops("add route 10.2.0.0/24 dev uipt0 src 10.3.0.1 table 220");
	g_assert_cmpint(route_mgr_tunnel_del(m, "a", &err), ==, UIPSEC_OK);
	assert_ops("delete route 10.2.0.0/24 dev uipt0 src 10.3.0.1 table 220\n"
	           "delete address 10.3.0.1/32 dev uipt0");
	route_mgr_free(m);
}

static void test_shared_selector_refcount(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	tun_t a, b;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", NULL, "192.0.2.2", "10.1.0.0/24", "10.2.0.0/24", "10.3.0.1/32"), &err), ==, UIPSEC_OK);
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&b, "b", NULL, "192.0.2.3", "10.1.0.0/24", "10.2.0.0/24 10.5.0.0/24", "10.3.0.1/32"), &err), ==, UIPSEC_OK);
	assert_ops("add address 10.3.0.1/32 dev uipt0\n"
	           "add route 10.2.0.0/24 dev uipt0 src 10.3.0.1 table 220\n"
	           "add route 10.5.0.0/24 dev uipt0 src 10.3.0.1 table 220");
	g_assert_cmpint(route_mgr_tunnel_add(m, &a.t, &err), ==, UIPSEC_ERR_EXISTS);
	g_assert_cmpint(route_mgr_tunnel_del(m, "a", &err), ==, UIPSEC_OK);
	assert_ops("");   /* b still needs the route and the VIP */
	g_assert_cmpint(route_mgr_tunnel_del(m, "b", &err), ==, UIPSEC_OK);
	assert_ops("delete route 10.5.0.0/24 dev uipt0 src 10.3.0.1 table 220\n"
	           "delete route 10.2.0.0/24 dev uipt0 src 10.3.0.1 table 220\n"
	           "delete address 10.3.0.1/32 dev uipt0");
	route_mgr_free(m);
}

static void test_exception_route_iff_peer_inside(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0x42);
	g_free(rec_take());
	tun_t a, b, c;
	uipsec_err_t err = { "" };
	/* peer 192.0.2.2 inside 192.0.2.0/24: exception route first, looked up with the socket mark */
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", "198.51.100.1", "192.0.2.2", "10.1.0.0/24", "192.0.2.0/24", NULL), &err), ==, UIPSEC_OK);
	assert_ops("lookup 192.0.2.2 mark 0x42\n"
	           "add route 192.0.2.2/32 via 198.51.100.254 dev eth0 src 198.51.100.1 table 220\n"
	           "add route 192.0.2.0/24 dev uipt0 table 220");
	/* second tunnel to the same peer with 0.0.0.0/0: shares the exception route, no lookup */
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&b, "b", "198.51.100.1", "192.0.2.2", "10.1.0.0/24", "0.0.0.0/0", NULL), &err), ==, UIPSEC_OK);
	assert_ops("add route 0.0.0.0/0 dev uipt0 table 220");
	/* peer outside the selectors: no lookup, no exception */
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&c, "c", "198.51.100.1", "203.0.113.9", "10.1.0.0/24", "10.9.0.0/16", NULL), &err), ==, UIPSEC_OK);
	assert_ops("add route 10.9.0.0/16 dev uipt0 table 220");
	g_assert_cmpint(route_mgr_tunnel_del(m, "a", &err), ==, UIPSEC_OK);
	assert_ops("delete route 192.0.2.0/24 dev uipt0 table 220");
	g_assert_cmpint(route_mgr_tunnel_del(m, "b", &err), ==, UIPSEC_OK);
	assert_ops("delete route 0.0.0.0/0 dev uipt0 table 220\n"
	           "delete route 192.0.2.2/32 via 198.51.100.254 dev eth0 src 198.51.100.1 table 220");
	route_mgr_free(m);
}

static void test_exception_route_on_link_ipv6(void)
{
	rec_reset();
	rec.lookup.has_gateway = false;
	g_strlcpy(rec.lookup.ifname, "veth0", sizeof(rec.lookup.ifname));
	g_assert_true(uipsec_addr_parse("2001:db8::1", &rec.lookup.src));
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	tun_t a;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "v6", NULL, "2001:db8::2", "2001:db8:1::/48", "::/0", NULL), &err), ==, UIPSEC_OK);
	assert_ops("lookup 2001:db8::2 mark 0x0\n"
	           "add route 2001:db8::2/128 dev veth0 src 2001:db8::1 table 220\n"
	           "add route ::/0 dev uipt0 table 220");
	route_mgr_free(m);
}

static void test_peer_ts_refused(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	tun_t a;
	uipsec_err_t err = { "" };
	route_mgr_tunnel_t *t = tun(&a, "h2h", "192.0.2.1", "192.0.2.2", "192.0.2.1/32", "192.0.2.2/32", NULL);
	g_assert_cmpint(route_mgr_tunnel_check(m, t, &err), ==, UIPSEC_ERR_PERM);
	g_assert_nonnull(strstr(err.msg, "allow_peer_ts"));
	g_assert_nonnull(strstr(err.msg, "tunnel h2h"));
	g_assert_cmpint(route_mgr_tunnel_add(m, t, &err), ==, UIPSEC_ERR_PERM);
	g_assert_nonnull(strstr(err.msg, "remote_ts 192.0.2.2/32 equals the peer's address 192.0.2.2"));
	assert_ops("");
	g_assert_false(route_mgr_has_tunnel(m, "h2h"));
	route_mgr_free(m);
}

static void test_peer_ts_allowed_host_to_host(void)
{
	rec_reset();
	rec_add_local("192.0.2.1/24");
	rec.routing.has_fwmark = true;
	rec.routing.fwmark_invert = true;
	rec.routing.fwmark = 0x42;
	rec.routing.fwmask = 0xffffffff;
	route_mgr_t *m = started(&rec_ops, true, true, 0x42);
	g_free(rec_take());
	tun_t a;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "h2h", "192.0.2.1", "192.0.2.2", "192.0.2.1/32", "192.0.2.2/32", NULL), &err), ==, UIPSEC_OK);
	/* no exception route: it would be the tunnel route; the !0x42 rule keeps ESP out */
	assert_ops("add route 192.0.2.2/32 dev uipt0 src 192.0.2.1 table 220");
	route_mgr_free(m);
	assert_ops("delete route 192.0.2.2/32 dev uipt0 src 192.0.2.1 table 220\n"
	           "delete rule inet priority 220 not fwmark 0x42/0xffffffff table 220\n"
	           "delete rule inet6 priority 220 not fwmark 0x42/0xffffffff table 220");
}

static void test_install_routes_no(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, false, false, 0);
	tun_t a;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", NULL, "192.0.2.2", "10.1.0.0/24", "0.0.0.0/0", "10.3.0.1/32"), &err), ==, UIPSEC_OK);
	assert_ops("add address 10.3.0.1/32 dev uipt0");
	route_mgr_free(m);
	assert_ops("delete address 10.3.0.1/32 dev uipt0");
}

static void test_kernel_error_rolls_back(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	rec.fail_match = "add route 10.5.0.0/24";
	rec.fail_status = UIPSEC_ERR_NOTFOUND;
	rec.fail_msg = "No such device";
	tun_t a;
	uipsec_err_t err = { "" };
	route_mgr_tunnel_t *t = tun(&a, "site-b", NULL, "192.0.2.2", "10.1.0.0/24", "10.2.0.0/24 10.5.0.0/24", "10.3.0.1/32");
	g_assert_cmpint(route_mgr_tunnel_add(m, t, &err), ==, UIPSEC_ERR_NOTFOUND);
	g_assert_cmpstr(err.msg, ==, "tunnel site-b: add route 10.5.0.0/24 dev uipt0 src 10.3.0.1 table 220: No such device");
	assert_ops("add address 10.3.0.1/32 dev uipt0\n"
	           "add route 10.2.0.0/24 dev uipt0 src 10.3.0.1 table 220\n"
	           "delete route 10.2.0.0/24 dev uipt0 src 10.3.0.1 table 220\n"
	           "delete address 10.3.0.1/32 dev uipt0");
	g_assert_false(route_mgr_has_tunnel(m, "site-b"));
	/* the device appeared: a retry installs everything */
	rec.fail_match = NULL;
	g_assert_cmpint(route_mgr_tunnel_add(m, t, &err), ==, UIPSEC_OK);
	g_assert_true(route_mgr_has_tunnel(m, "site-b"));
	route_mgr_free(m);
}

static void test_lookup_into_tun_refused(void)
{
	rec_reset();
	g_strlcpy(rec.lookup.ifname, "uipt0", sizeof(rec.lookup.ifname));
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	tun_t a;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", NULL, "192.0.2.2", "10.1.0.0/24", "0.0.0.0/0", NULL), &err), ==, UIPSEC_ERR_AGAIN);
	g_assert_nonnull(strstr(err.msg, "already leads into TUN device uipt0"));
	assert_ops("lookup 192.0.2.2 mark 0x0");
	route_mgr_free(m);
}

static void test_lookup_error_reported(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	rec.fail_match = "lookup";
	rec.fail_status = UIPSEC_ERR_NOTFOUND;
	rec.fail_msg = "Network is unreachable";
	tun_t a;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", NULL, "192.0.2.2", "10.1.0.0/24", "0.0.0.0/0", NULL), &err), ==, UIPSEC_ERR_NOTFOUND);
	g_assert_cmpstr(err.msg, ==, "tunnel a: lookup 192.0.2.2 mark 0x0: Network is unreachable");
	assert_ops("");
	route_mgr_free(m);
}

static void test_no_policy_routing_backend(void)
{
	rec_reset();
	rec.routing.table = 0;
	rec.routing.rule_priority = 0;
	route_mgr_t *m = started(&rec_ops_norules, true, false, 0);
	tun_t a;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", NULL, "192.0.2.2", "10.1.0.0/24", "192.0.2.0/24", NULL), &err), ==, UIPSEC_OK);
	assert_ops("flush table 0 rule priority 0\n"
	           "lookup 192.0.2.2 mark 0x0\n"
	           "add route 192.0.2.2/32 via 198.51.100.254 dev eth0 src 198.51.100.1\n"
	           "add route 192.0.2.0/24 dev uipt0");
	route_mgr_free(m);
	assert_ops("delete route 192.0.2.0/24 dev uipt0\n"
	           "delete route 192.0.2.2/32 via 198.51.100.254 dev eth0 src 198.51.100.1");
}

static void test_event_exception_follows_next_hop(void)
{
	rec_reset();
	/* the rule skips the daemon's mark: the lookup sees the real path */
	rec.routing.has_fwmark = rec.routing.fwmark_invert = true;
	rec.routing.fwmark = 0x42;
	rec.routing.fwmask = 0xffffffff;
	route_mgr_t *m = started(&rec_ops, true, false, 0x42);
	g_free(rec_take());
	tun_t a;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", "198.51.100.1", "192.0.2.2", "10.1.0.0/24", "192.0.2.0/24", NULL), &err), ==, UIPSEC_OK);
	g_free(rec_take());
	uipsec_net_event_t ev = { .type = UIPSEC_NET_LINK_UP };
	g_strlcpy(ev.ifname, "eth1", sizeof(ev.ifname));
	/* same next hop: nothing to do */
	route_mgr_handle_event(m, &ev);
	assert_ops("lookup 192.0.2.2 mark 0x42");
	/* the peer is now reached through eth1 */
	g_strlcpy(rec.lookup.ifname, "eth1", sizeof(rec.lookup.ifname));
	g_assert_true(uipsec_addr_parse("203.0.113.254", &rec.lookup.gateway));
	route_mgr_handle_event(m, &ev);
	assert_ops("lookup 192.0.2.2 mark 0x42\n"
	           "delete route 192.0.2.2/32 via 198.51.100.254 dev eth0 src 198.51.100.1 table 220\n"
	           "add route 192.0.2.2/32 via 203.0.113.254 dev eth1 src 198.51.100.1 table 220");
	/* a lookup that leads into the TUN (no mark separation) changes nothing */
	g_strlcpy(rec.lookup.ifname, "uipt0", sizeof(rec.lookup.ifname));
	route_mgr_handle_event(m, &ev);
	assert_ops("lookup 192.0.2.2 mark 0x42");
	route_mgr_free(m);
	assert_ops("delete route 192.0.2.0/24 dev uipt0 table 220\n"
	           "delete route 192.0.2.2/32 via 203.0.113.254 dev eth1 src 198.51.100.1 table 220\n"
	           "delete rule inet priority 220 not fwmark 0x42/0xffffffff table 220\n"
	           "delete rule inet6 priority 220 not fwmark 0x42/0xffffffff table 220");
}

/* Without fwmark separation the lookup would find the exception route
 * itself: a throw route beneath it stands in while it is looked up. */
static void test_event_exception_probe(void)
{
	route_mgr_t *m = started_with_tunnel("192.0.2.0/24");
	uipsec_net_event_t ev = { .type = UIPSEC_NET_ROUTE_CHANGED, .table = 254 };
	/* same next hop: the route is put back as it was */
	route_mgr_handle_event(m, &ev);
	assert_ops("add route throw 192.0.2.2/32 metric 2147483647 table 220\n"
	           "delete route 192.0.2.2/32 via 198.51.100.254 dev eth0 src 198.51.100.1 table 220\n"
	           "lookup 192.0.2.2 mark 0x0\n"
	           "add route 192.0.2.2/32 via 198.51.100.254 dev eth0 src 198.51.100.1 table 220\n"
	           "delete route throw 192.0.2.2/32 metric 2147483647 table 220");
	/* the main table now reaches the peer through eth1 */
	g_strlcpy(rec.lookup.ifname, "eth1", sizeof(rec.lookup.ifname));
	g_assert_true(uipsec_addr_parse("203.0.113.254", &rec.lookup.gateway));
	route_mgr_handle_event(m, &ev);
	assert_ops("add route throw 192.0.2.2/32 metric 2147483647 table 220\n"
	           "delete route 192.0.2.2/32 via 198.51.100.254 dev eth0 src 198.51.100.1 table 220\n"
	           "lookup 192.0.2.2 mark 0x0\n"
	           "add route 192.0.2.2/32 via 203.0.113.254 dev eth1 src 198.51.100.1 table 220\n"
	           "delete route throw 192.0.2.2/32 metric 2147483647 table 220");
	/* route changes in our own table are our own doing */
	ev.table = 220;
	route_mgr_handle_event(m, &ev);
	assert_ops("");
	/* also those of the exception route itself (each look above made four):
	 * they only check that it is still there, and look no further (a look
	 * would change the table again, and its events would start it anew) */
	g_assert_true(uipsec_prefix_parse("192.0.2.2/32", &ev.addr));
	route_mgr_handle_event(m, &ev);
	assert_ops("");
	/* someone else deleted it: put back as it was, without a look */
	g_assert_true(g_hash_table_remove(rec.installed,
	                                  "route 192.0.2.2/32 via 203.0.113.254 dev eth1 src 198.51.100.1 table 220"));
	route_mgr_handle_event(m, &ev);
	assert_ops("add route 192.0.2.2/32 via 203.0.113.254 dev eth1 src 198.51.100.1 table 220");
	/* the new path cannot be installed: the old one comes back */
	ev.table = 254;
	g_strlcpy(rec.lookup.ifname, "eth2", sizeof(rec.lookup.ifname));
	rec.fail_match = "dev eth2";
	rec.fail_status = UIPSEC_ERR_NOTFOUND;
	rec.fail_msg = "No such device";
	route_mgr_handle_event(m, &ev);
	assert_ops("add route throw 192.0.2.2/32 metric 2147483647 table 220\n"
	           "delete route 192.0.2.2/32 via 203.0.113.254 dev eth1 src 198.51.100.1 table 220\n"
	           "lookup 192.0.2.2 mark 0x0\n"
	           "add route 192.0.2.2/32 via 203.0.113.254 dev eth1 src 198.51.100.1 table 220\n"
	           "delete route throw 192.0.2.2/32 metric 2147483647 table 220");
	/* nothing can be installed: the throw route stays, so packets to the
	 * peer still leave through the main table */
	rec.fail_match = "add route 192.0.2.2/32";
	route_mgr_handle_event(m, &ev);
	assert_ops("add route throw 192.0.2.2/32 metric 2147483647 table 220\n"
	           "delete route 192.0.2.2/32 via 203.0.113.254 dev eth1 src 198.51.100.1 table 220\n"
	           "lookup 192.0.2.2 mark 0x0");
	rec.fail_match = NULL;
	route_mgr_free(m);
}

/* A burst of events is acted on once, after event_delay_ms. */
static void test_event_burst_once(void)
{
	rec_reset();
	route_mgr_cfg_t cfg = { .install_routes = true, .event_delay_ms = 20 };
	route_mgr_t *m = route_mgr_new(&rec_ops, &rec, &cfg);
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_start(m, &err), ==, UIPSEC_OK);
	tun_t a;
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", "198.51.100.1", "192.0.2.2", "10.1.0.0/24", "192.0.2.0/24", NULL), &err), ==, UIPSEC_OK);
	g_free(rec_take());
	uipsec_net_event_t ev = { .type = UIPSEC_NET_LINK_DOWN };
	for (int i = 0; i < 5; i++)
		route_mgr_handle_event(m, &ev);
	assert_ops("");
	gint64 until = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
	while (rec.log->len == 0 && g_get_monotonic_time() < until)
		g_main_context_iteration(NULL, TRUE);
	char *got = rec_take();
	g_assert_nonnull(strstr(got, "lookup 192.0.2.2 mark 0x0"));
	g_assert_null(strstr(strstr(got, "lookup") + 1, "lookup"));   /* one look, not five */
	g_free(got);
	/* a pending look is cancelled by stop */
	route_mgr_handle_event(m, &ev);
	route_mgr_free(m);
	g_free(rec_take());
	g_main_context_iteration(NULL, FALSE);
	g_usleep(30000);
	g_main_context_iteration(NULL, FALSE);
	assert_ops("");
}

static uint64_t stat_now(stats_id_t id)
{
	uint64_t v[STAT_COUNT];
	stats_snapshot(v);
	return v[id];
}

/* What someone else removed is put back (counted); what is still there
 * is left alone; events that cannot concern us cost nothing. */
static void test_reconcile_puts_back(void)
{
	route_mgr_t *m = started_with_tunnel("10.2.0.0/24");
	g_assert_cmpuint(route_mgr_reconcile(m), ==, 0);
	assert_ops("");
	/* someone deletes the tunnel route and the IPv4 rule */
	g_assert_true(g_hash_table_remove(rec.installed, "route 10.2.0.0/24 dev uipt0 table 220"));
	g_assert_true(g_hash_table_remove(rec.installed, "rule inet priority 220 table 220"));
	uint64_t before = stat_now(STAT_ROUTES_REINSTALLED);
	uipsec_net_event_t ev = { .type = UIPSEC_NET_ROUTE_CHANGED, .table = 220 };
	g_assert_true(uipsec_prefix_parse("10.2.0.0/24", &ev.addr));
	route_mgr_handle_event(m, &ev);
	assert_ops("add rule inet priority 220 table 220\n"
	           "add route 10.2.0.0/24 dev uipt0 table 220");
	g_assert_cmpuint(stat_now(STAT_ROUTES_REINSTALLED) - before, ==, 2);
	/* our table, a destination we do not hold; a rule of another table */
	g_assert_true(uipsec_prefix_parse("10.9.0.0/24", &ev.addr));
	route_mgr_handle_event(m, &ev);
	ev.type = UIPSEC_NET_RULE_CHANGED;
	ev.table = 100;
	route_mgr_handle_event(m, &ev);
	assert_ops("");
	/* a rule event for our table: the rules are checked (still there) */
	g_assert_true(g_hash_table_remove(rec.installed, "rule inet6 priority 220 table 220"));
	ev.table = 220;
	route_mgr_handle_event(m, &ev);
	assert_ops("add rule inet6 priority 220 table 220");
	/* notifications lost: everything is re-checked, and that is counted */
	g_assert_true(g_hash_table_remove(rec.installed, "route 10.2.0.0/24 dev uipt0 table 220"));
	uint64_t lost = stat_now(STAT_NET_EVENTS_LOST);
	ev.type = UIPSEC_NET_RESYNC;
	route_mgr_handle_event(m, &ev);
	assert_ops("add route 10.2.0.0/24 dev uipt0 table 220");
	g_assert_cmpuint(stat_now(STAT_NET_EVENTS_LOST) - lost, ==, 1);
	/* cannot be put back (device down): tried, and again on the next event */
	g_assert_true(g_hash_table_remove(rec.installed, "route 10.2.0.0/24 dev uipt0 table 220"));
	rec.fail_match = "add route 10.2.0.0/24";
	rec.fail_status = UIPSEC_ERR_IO;
	rec.fail_msg = "Network is down";
	g_assert_cmpuint(route_mgr_reconcile(m), ==, 0);
	rec.fail_match = NULL;
	g_assert_cmpuint(route_mgr_reconcile(m), ==, 1);
	assert_ops("add route 10.2.0.0/24 dev uipt0 table 220");
	route_mgr_free(m);
	g_free(rec_take());
}

static bool lo_is_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool up = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	if (fd >= 0)
		close(fd);
	return up;
}

static void on_lost(const char *ifname, void *user)
{
	g_strlcpy(user, ifname, UIPSEC_IFNAMSIZ);
}

/* The watched TUN device: a "down" it does not have now is stale (a new
 * device reports down before up); deleted, the owner hears of it once. */
static void test_watched_device(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, false, false, 0);   /* with or without routes */
	char lost[UIPSEC_IFNAMSIZ] = "";
	route_mgr_watch_device(m, "lo", on_lost, lost);
	uint64_t down = stat_now(STAT_TUN_DOWN), gone = stat_now(STAT_TUN_LOST);
	uipsec_net_event_t ev = { .type = UIPSEC_NET_LINK_DOWN };
	g_strlcpy(ev.ifname, "lo", sizeof(ev.ifname));
	route_mgr_handle_event(m, &ev);   /* lo is up (where it is): stale */
	g_assert_cmpuint(stat_now(STAT_TUN_DOWN), ==, down + (lo_is_up() ? 0 : 1));
	route_mgr_watch_device(m, "uipt-gone0", on_lost, lost);
	g_strlcpy(ev.ifname, "uipt-gone0", sizeof(ev.ifname));
	route_mgr_handle_event(m, &ev);
	route_mgr_handle_event(m, &ev);
	g_assert_cmpstr(lost, ==, "uipt-gone0");
	g_assert_cmpuint(stat_now(STAT_TUN_LOST) - gone, ==, 1);
	/* lost notifications: the device is looked for as well (already counted) */
	ev.type = UIPSEC_NET_RESYNC;
	route_mgr_handle_event(m, &ev);
	g_assert_cmpuint(stat_now(STAT_TUN_LOST) - gone, ==, 1);
	route_mgr_free(m);
	assert_ops("");
}

static void test_bypass_throw_route(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	tun_t a;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", NULL, "192.0.2.2", "10.1.0.0/24", "10.2.0.0/24", NULL), &err), ==, UIPSEC_OK);
	g_free(rec_take());
	uipsec_prefix_t host = prefix_of("10.2.0.5/32"), net = prefix_of("10.2.0.0/24");
	g_assert_cmpint(route_mgr_bypass_add(m, 7, &host, true, &err), ==, UIPSEC_OK);
	assert_ops("add route throw 10.2.0.5/32 table 220");
	/* a second policy for the same destination shares the route */
	g_assert_cmpint(route_mgr_bypass_add(m, 8, &host, true, &err), ==, UIPSEC_OK);
	g_assert_cmpint(route_mgr_bypass_add(m, 8, &host, true, &err), ==, UIPSEC_ERR_EXISTS);
	assert_ops("");
	g_assert_cmpint(route_mgr_bypass_del(m, 7, &err), ==, UIPSEC_OK);
	assert_ops("");
	g_assert_cmpint(route_mgr_bypass_del(m, 8, &err), ==, UIPSEC_OK);
	assert_ops("delete route throw 10.2.0.5/32 table 220");
	g_assert_cmpint(route_mgr_bypass_del(m, 8, &err), ==, UIPSEC_ERR_NOTFOUND);
	/* exactly a tunnel's selector: one of the two would lose */
	g_assert_cmpint(route_mgr_bypass_add(m, 9, &net, true, &err), ==, UIPSEC_ERR_EXISTS);
	g_assert_cmpstr(err.msg, ==, "bypass policy 9: route 10.2.0.0/24 conflicts with a tunnel route to the same "
	                "destination in table 220");
	/* a route cannot tell ports apart: it would pass too much */
	g_assert_cmpint(route_mgr_bypass_add(m, 10, &host, false, &err), ==, UIPSEC_ERR_NOTSUP);
	g_assert_nonnull(strstr(err.msg, "every protocol and port in clear"));
	/* kernel errors come back named */
	rec.fail_match = "throw";
	rec.fail_status = UIPSEC_ERR_INVAL;
	rec.fail_msg = "Invalid argument";
	g_assert_cmpint(route_mgr_bypass_add(m, 11, &host, true, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpstr(err.msg, ==, "bypass policy 11: add route throw 10.2.0.5/32 table 220: Invalid argument");
	rec.fail_match = NULL;
	g_assert_cmpint(route_mgr_bypass_del(m, 11, &err), ==, UIPSEC_ERR_NOTFOUND);
	assert_ops("");
	/* stop removes bypass routes with the rest */
	g_assert_cmpint(route_mgr_bypass_add(m, 12, &host, true, &err), ==, UIPSEC_OK);
	g_free(rec_take());
	route_mgr_free(m);
	assert_ops("delete route throw 10.2.0.5/32 table 220\n"
	           "delete route 10.2.0.0/24 dev uipt0 table 220\n"
	           "delete rule inet priority 220 table 220\n"
	           "delete rule inet6 priority 220 table 220");
}

/* Control-socket policies with route: true: what tunnels get, shared
 * with tunnels and each other, released with the last holder. */
static route_mgr_policy_t *pol(route_mgr_policy_t *p, const char *src, const char *dst, const char *peer)
{
	memset(p, 0, sizeof(*p));
	p->ifname = "uipt0";
	p->src = prefix_of(src);
	p->dst = prefix_of(dst);
	if (peer)
		g_assert_true(uipsec_addr_parse(peer, &p->peer));
	return p;
}

static void test_policy_routes_refcount(void)
{
	rec_reset();
	rec_add_local("10.1.0.1/24");
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	g_free(rec_take());
	route_mgr_policy_t p;
	tun_t a;
	uipsec_err_t err = { "" };
	/* preferred source from the local selector, as for a tunnel */
	g_assert_cmpint(route_mgr_policy_add(m, 1, pol(&p, "10.1.0.0/24", "10.2.0.0/24", NULL), &err), ==, UIPSEC_OK);
	assert_ops("add route 10.2.0.0/24 dev uipt0 src 10.1.0.1 table 220");
	/* a second policy and a tunnel needing the same route: no new route */
	g_assert_cmpint(route_mgr_policy_add(m, 2, pol(&p, "10.1.0.0/24", "10.2.0.0/24", "192.0.2.2"), &err), ==, UIPSEC_OK);
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", NULL, "192.0.2.2", "10.1.0.0/24", "10.2.0.0/24", NULL), &err), ==, UIPSEC_OK);
	assert_ops("");
	g_assert_cmpint(route_mgr_policy_add(m, 2, &p, &err), ==, UIPSEC_ERR_EXISTS);
	g_assert_cmpint(route_mgr_policy_del(m, 1, &err), ==, UIPSEC_OK);
	g_assert_cmpint(route_mgr_tunnel_del(m, "a", &err), ==, UIPSEC_OK);
	assert_ops("");
	g_assert_cmpint(route_mgr_policy_del(m, 2, &err), ==, UIPSEC_OK);
	assert_ops("delete route 10.2.0.0/24 dev uipt0 src 10.1.0.1 table 220");
	g_assert_cmpint(route_mgr_policy_del(m, 2, &err), ==, UIPSEC_ERR_NOTFOUND);
	/* the peer inside the destination: exception route first, shared */
	g_assert_cmpint(route_mgr_policy_add(m, 3, pol(&p, "10.1.0.0/24", "192.0.2.0/24", "192.0.2.2"), &err), ==, UIPSEC_OK);
	g_assert_cmpint(route_mgr_policy_add(m, 4, pol(&p, "10.1.0.0/24", "0.0.0.0/0", "192.0.2.2"), &err), ==, UIPSEC_OK);
	assert_ops("lookup 192.0.2.2 mark 0x0\n"
	           "add route 192.0.2.2/32 via 198.51.100.254 dev eth0 src 198.51.100.1 table 220\n"
	           "add route 192.0.2.0/24 dev uipt0 src 10.1.0.1 table 220\n"
	           "add route 0.0.0.0/0 dev uipt0 src 10.1.0.1 table 220");
	g_assert_cmpint(route_mgr_policy_del(m, 3, &err), ==, UIPSEC_OK);
	assert_ops("delete route 192.0.2.0/24 dev uipt0 src 10.1.0.1 table 220");
	/* the destination is the peer: refused unless allow_peer_ts */
	g_assert_cmpint(route_mgr_policy_add(m, 5, pol(&p, "192.0.2.1/32", "192.0.2.2/32", "192.0.2.2"), &err), ==, UIPSEC_ERR_PERM);
	g_assert_nonnull(strstr(err.msg, "allow_peer_ts"));
	g_assert_cmpint(route_mgr_policy_add(m, 5, pol(&p, "10.1.0.0/24", "2001:db8::/32", "192.0.2.2"), &err), ==, UIPSEC_ERR_INVAL);
	assert_ops("");
	/* stop removes policy routes with the rest */
	route_mgr_stop(m);
	assert_ops("delete route 0.0.0.0/0 dev uipt0 src 10.1.0.1 table 220\n"
	           "delete route 192.0.2.2/32 via 198.51.100.254 dev eth0 src 198.51.100.1 table 220\n"
	           "delete rule inet priority 220 table 220\n"
	           "delete rule inet6 priority 220 table 220");
	route_mgr_free(m);
	/* allowed host-to-host */
	rec_reset();
	m = started(&rec_ops, true, true, 0);
	g_free(rec_take());
	g_assert_cmpint(route_mgr_policy_add(m, 6, pol(&p, "192.0.2.1/32", "192.0.2.2/32", "192.0.2.2"), &err), ==, UIPSEC_OK);
	assert_ops("add route 192.0.2.2/32 dev uipt0 table 220");
	route_mgr_free(m);
}

static void test_bypass_without_routing(void)
{
	uipsec_err_t err = { "" };
	uipsec_prefix_t host = prefix_of("2001:db8::5/128");
	/* install_routes = no: the operator keeps it off the TUN device */
	rec_reset();
	route_mgr_t *m = started(&rec_ops, false, false, 0);
	g_assert_cmpint(route_mgr_bypass_add(m, 1, &host, true, &err), ==, UIPSEC_OK);
	g_assert_cmpint(route_mgr_bypass_del(m, 1, &err), ==, UIPSEC_ERR_NOTFOUND);
	assert_ops("");
	route_mgr_free(m);
	/* PF_ROUTE: no table to throw from */
	rec_reset();
	rec.routing.table = 0;
	rec.routing.rule_priority = 0;
	m = started(&rec_ops_norules, true, false, 0);
	g_free(rec_take());
	g_assert_cmpint(route_mgr_bypass_add(m, 2, &host, true, &err), ==, UIPSEC_ERR_NOTSUP);
	g_assert_cmpstr(err.msg, ==, "bypass policy 2: the network backend has no policy routing (PF_ROUTE), no throw "
	                "route can keep 2001:db8::5/128 off the TUN device");
	assert_ops("");
	route_mgr_free(m);
	/* not started, bad prefix */
	rec_reset();
	route_mgr_cfg_t cfg = { .install_routes = true };
	m = route_mgr_new(&rec_ops, &rec, &cfg);
	g_assert_cmpint(route_mgr_bypass_add(m, 3, &host, true, &err), ==, UIPSEC_ERR_INVAL);
	host.len = 129;
	g_assert_cmpint(route_mgr_bypass_add(m, 3, &host, true, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpint(route_mgr_bypass_add(m, 3, NULL, true, &err), ==, UIPSEC_ERR_INVAL);
	route_mgr_free(m);
	assert_ops("");
}

static void test_event_source_appears(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, true, false, 0);
	tun_t a, b;
	uipsec_err_t err = { "" };
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&a, "a", NULL, "192.0.2.2", "10.1.0.0/24", "10.2.0.0/24", NULL), &err), ==, UIPSEC_OK);
	g_assert_cmpint(route_mgr_tunnel_add(m, tun(&b, "b", NULL, "192.0.2.3", "10.1.0.0/24", "10.2.0.0/24", NULL), &err), ==, UIPSEC_OK);
	g_free(rec_take());
	uipsec_net_event_t ev = { .type = UIPSEC_NET_ADDR_ADDED };
	g_strlcpy(ev.ifname, "eth0", sizeof(ev.ifname));
	rec_add_local("10.1.0.1/24");
	ev.addr = prefix_of("10.1.0.1/32");
	route_mgr_handle_event(m, &ev);
	/* the shared route is replaced once */
	assert_ops("delete route 10.2.0.0/24 dev uipt0 table 220\n"
	           "add route 10.2.0.0/24 dev uipt0 src 10.1.0.1 table 220");
	route_mgr_handle_event(m, &ev);
	assert_ops("");
	g_array_set_size(rec.addrs, 0);
	ev.type = UIPSEC_NET_ADDR_REMOVED;
	route_mgr_handle_event(m, &ev);
	assert_ops("delete route 10.2.0.0/24 dev uipt0 src 10.1.0.1 table 220\n"
	           "add route 10.2.0.0/24 dev uipt0 table 220");
	/* a kernel error is logged, the route keeps what it had */
	rec_add_local("10.1.0.1/24");
	rec.fail_match = "add route";
	rec.fail_status = UIPSEC_ERR_INVAL;
	rec.fail_msg = "Invalid argument";
	ev.type = UIPSEC_NET_ADDR_ADDED;
	route_mgr_handle_event(m, &ev);
	assert_ops("delete route 10.2.0.0/24 dev uipt0 table 220");
	rec.fail_match = NULL;
	route_mgr_free(m);
}

static void test_event_ignored_when_not_routing(void)
{
	rec_reset();
	route_mgr_t *m = started(&rec_ops, false, false, 0);
	uipsec_net_event_t ev = { .type = UIPSEC_NET_ADDR_ADDED };
	route_mgr_handle_event(m, &ev);
	route_mgr_handle_event(m, NULL);
	assert_ops("");
	route_mgr_free(m);
}

static void test_bad_input(void)
{
	rec_reset();
	route_mgr_cfg_t cfg = { .install_routes = true };
	route_mgr_t *m = route_mgr_new(&rec_ops, &rec, &cfg);
	tun_t a;
	uipsec_err_t err = { "" };
	route_mgr_tunnel_t *t = tun(&a, "a", NULL, "192.0.2.2", "10.1.0.0/24", "10.2.0.0/24", NULL);
	/* not started */
	g_assert_cmpint(route_mgr_tunnel_add(m, t, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpint(route_mgr_start(m, &err), ==, UIPSEC_OK);
	t->ifname = "an-interface-name-too-long";
	g_assert_cmpint(route_mgr_tunnel_add(m, t, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_nonnull(strstr(err.msg, "invalid device name"));
	t->ifname = "uipt0";
	a.rts[0].len = 33;
	g_assert_cmpint(route_mgr_tunnel_add(m, t, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpstr(err.msg, ==, "tunnel a: invalid remote_ts entry 1");
	t->name = "";
	g_assert_cmpint(route_mgr_tunnel_check(m, t, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpint(route_mgr_tunnel_del(m, NULL, &err), ==, UIPSEC_ERR_NOTFOUND);
	route_mgr_free(m);
}

/* ---------------------------------------------------------------- address helpers */

static void test_prefix_parse(void)
{
	uipsec_prefix_t p;
	char buf[UIPSEC_PREFIX_STRLEN];
	g_assert_true(uipsec_prefix_parse("10.2.0.77/24", &p));
	g_assert_cmpstr(uipsec_prefix_str(&p, buf, sizeof(buf)), ==, "10.2.0.0/24");
	g_assert_true(uipsec_prefix_parse("2001:db8:1:ffff::1/49", &p));
	g_assert_cmpstr(uipsec_prefix_str(&p, buf, sizeof(buf)), ==, "2001:db8:1:8000::/49");
	g_assert_true(uipsec_prefix_parse("192.0.2.1", &p));
	g_assert_cmpuint(p.len, ==, 32);
	g_assert_true(uipsec_prefix_parse("0.0.0.0/0", &p));
	uipsec_addr_t a;
	g_assert_true(uipsec_addr_parse("203.0.113.5", &a));
	g_assert_true(uipsec_prefix_contains(&p, &a));
	const char *bad[] = { "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0/8", "::/129", "x", "",
	                      "10.0.0.0/8/8", "10.0.0.0/+8", NULL };
	for (const char **b = bad; *b; b++)
		g_assert_false(uipsec_prefix_parse(*b, &p));
	g_assert_false(uipsec_prefix_parse(NULL, &p));
	uipsec_prefix_t q;
	g_assert_true(uipsec_prefix_parse("10.2.0.0/23", &p));
	g_assert_true(uipsec_prefix_parse("10.2.1.0/24", &q));
	g_assert_true(uipsec_prefix_contains(&p, &q.addr));
	g_assert_false(uipsec_prefix_equal(&p, &q));
	g_assert_true(uipsec_addr_parse("10.2.2.0", &a));
	g_assert_false(uipsec_prefix_contains(&p, &a));
	g_assert_true(uipsec_addr_parse("::ffff:10.2.0.1", &a));
	g_assert_false(uipsec_prefix_contains(&p, &a));   /* other family */
}

static void test_fwmark_parse(void)
{
	static const struct { const char *in; bool ok, inv; uint32_t mark, mask; } cases[] = {
		{ "!0x42", true, true, 0x42, 0xffffffff },
		{ "0x42", true, false, 0x42, 0xffffffff },
		{ "0x42/0xff", true, false, 0x42, 0xff },
		{ "!7/0xf", true, true, 7, 0xf },
		{ "66", true, false, 66, 0xffffffff },
		{ "!", false, false, 0, 0 },
		{ "0x1ffffffff", false, false, 0, 0 },
		{ "0x42/", false, false, 0, 0 },
		{ "0x142/0xff", false, false, 0, 0 },   /* mark outside mask */
		{ "-1", false, false, 0, 0 },
		{ "abc", false, false, 0, 0 },
		{ "", false, false, 0, 0 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		bool inv = false;
		uint32_t mark = 0, mask = 0;
		uipsec_err_t err = { "" };
		g_assert_cmpint(uipsec_fwmark_parse(cases[i].in, &inv, &mark, &mask, &err), ==, cases[i].ok);
		if (cases[i].ok) {
			g_assert_cmpint(inv, ==, cases[i].inv);
			g_assert_cmpuint(mark, ==, cases[i].mark);
			g_assert_cmpuint(mask, ==, cases[i].mask);
		} else {
			g_assert_nonnull(strstr(err.msg, "invalid fwmark"));
		}
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/route_mgr/start/flush-then-rules", test_start_flushes_then_rules);
	g_test_add_func("/route_mgr/start/fwmark-rule", test_start_fwmark_rule);
	g_test_add_func("/route_mgr/start/rule-failure", test_start_rule_failure);
	g_test_add_func("/route_mgr/route/local-source", test_route_with_local_source);
	g_test_add_func("/route_mgr/route/no-source", test_no_local_address_no_source);
	g_test_add_func("/route_mgr/route/vip", test_vip_is_source_and_removed);
	g_test_add_func("/route_mgr/route/vip-adopted", test_vip_left_over_is_adopted);
	g_test_add_func("/route_mgr/route/refcount", test_shared_selector_refcount);
	g_test_add_func("/route_mgr/exception/iff-peer-inside", test_exception_route_iff_peer_inside);
	g_test_add_func("/route_mgr/exception/ipv6-on-link", test_exception_route_on_link_ipv6);
	g_test_add_func("/route_mgr/exception/lookup-into-tun", test_lookup_into_tun_refused);
	g_test_add_func("/route_mgr/exception/lookup-error", test_lookup_error_reported);
	g_test_add_func("/route_mgr/peer-ts/refused", test_peer_ts_refused);
	g_test_add_func("/route_mgr/peer-ts/host-to-host", test_peer_ts_allowed_host_to_host);
	g_test_add_func("/route_mgr/install-routes-no", test_install_routes_no);
	g_test_add_func("/route_mgr/kernel-error-rollback", test_kernel_error_rolls_back);
	g_test_add_func("/route_mgr/no-policy-routing", test_no_policy_routing_backend);
	g_test_add_func("/route_mgr/event/exception-next-hop", test_event_exception_follows_next_hop);
	g_test_add_func("/route_mgr/event/exception-probe", test_event_exception_probe);
	g_test_add_func("/route_mgr/event/burst-once", test_event_burst_once);
	g_test_add_func("/route_mgr/event/source", test_event_source_appears);
	g_test_add_func("/route_mgr/reconcile/puts-back", test_reconcile_puts_back);
	g_test_add_func("/route_mgr/reconcile/watched-device", test_watched_device);
	g_test_add_func("/route_mgr/bypass/throw-route", test_bypass_throw_route);
	g_test_add_func("/route_mgr/bypass/no-routing", test_bypass_without_routing);
	g_test_add_func("/route_mgr/policy/refcount", test_policy_routes_refcount);
	g_test_add_func("/route_mgr/event/not-routing", test_event_ignored_when_not_routing);
	g_test_add_func("/route_mgr/bad-input", test_bad_input);
	g_test_add_func("/net/prefix-parse", test_prefix_parse);
	g_test_add_func("/net/fwmark-parse", test_fwmark_parse);
	int rc = g_test_run();
	rec_reset();
	g_ptr_array_unref(rec.log);
	g_array_unref(rec.addrs);
	return rc;
}
