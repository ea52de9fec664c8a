/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The core's route decisions (core/net/route_mgr.c) for a PF_ROUTE-style
 * backend: no policy routing (rule_add/rule_del NULL, get_routing table 0),
 * one TUN device per virtual IP. The backend here records what it is asked
 * to do -- a test double is right for this: it checks decisions, not a
 * kernel (net-pfroute itself needs a BSD kernel; it is compile-checked by
 * 'make check-portability'). */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include <uipsec/net.h>
#include "net/route_mgr.h"

/* ---------------------------------------------------------------- recording backend */

struct uipsec_net {
	GPtrArray *log;              /* "route_add ...", "addr_del ...", ... */
	uipsec_route_lookup_t answer; /* what route_get reports for any destination */
	unsigned route_gets;
	const char *local_addr;      /* reported by addrs_foreach on "em0", /24 */
	const char *fail_route;      /* route_add of this prefix fails (EEXIST-like) */
};

static void record(uipsec_net_t *n, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void record(uipsec_net_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_ptr_array_add(n->log, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

static int rec_route(uipsec_net_t *n, const char *op, const uipsec_route_t *r, uipsec_err_t *err)
{
	char buf[200], d[UIPSEC_PREFIX_STRLEN];
	uipsec_route_str(r, buf, sizeof(buf));
	if (n->fail_route && strcmp(op, "route_add") == 0 &&
	    strcmp(uipsec_prefix_str(&r->dst, d, sizeof(d)), n->fail_route) == 0) {
		g_snprintf(err->msg, sizeof(err->msg), "RTM_ADD %s: File exists", buf);
		return UIPSEC_ERR_EXISTS;
	}
	record(n, "%s %s", op, buf);
	return UIPSEC_OK;
}

static int rec_route_add(uipsec_net_t *n, const uipsec_route_t *r, uipsec_err_t *err)
{
	return rec_route(n, "route_add", r, err);
}

static int rec_route_del(uipsec_net_t *n, const uipsec_route_t *r, uipsec_err_t *err)
{
	return rec_route(n, "route_del", r, err);
}

static int rec_addr(uipsec_net_t *n, const char *op, const char *ifname, const uipsec_prefix_t *a)
{
	char p[UIPSEC_PREFIX_STRLEN];
	record(n, "%s %s dev %s", op, uipsec_prefix_str(a, p, sizeof(p)), ifname);
	return UIPSEC_OK;
}

static int rec_addr_add(uipsec_net_t *n, const char *ifname, const uipsec_prefix_t *a, uipsec_err_t *err)
{
	(void)err;
	return rec_addr(n, "addr_add", ifname, a);
}

static int rec_addr_del(uipsec_net_t *n, const char *ifname, const uipsec_prefix_t *a, uipsec_err_t *err)
{
	(void)err;
	return rec_addr(n, "addr_del", ifname, a);
}

static int rec_route_get(uipsec_net_t *n, const uipsec_addr_t *dst, uint32_t fwmark,
                         uipsec_route_lookup_t *out, uipsec_err_t *err)
{
	char a[UIPSEC_ADDR_STRLEN];
	(void)err;
	n->route_gets++;
	record(n, "route_get %s mark %u", uipsec_addr_str(dst, a, sizeof(a)), fwmark);
	*out = n->answer;
	return UIPSEC_OK;
}

static int rec_addrs_foreach(uipsec_net_t *n, uipsec_net_addr_cb cb, void *user, uipsec_err_t *err)
{
	uipsec_prefix_t p;
	(void)err;
	if (n->local_addr) {
		/* an interface address keeps its host bits: /24 on em0 */
		g_assert_true(uipsec_addr_parse(n->local_addr, &p.addr));
		p.len = 24;
		cb("em0", &p, user);
	}
	return UIPSEC_OK;
}

static int rec_flush(uipsec_net_t *n, uint32_t table, uint32_t prio, uipsec_err_t *err)
{
	(void)err;
	record(n, "flush table %u priority %u", table, prio);
	return UIPSEC_OK;
}

static void rec_get_routing(uipsec_net_t *n, uipsec_net_routing_t *out)
{
	(void)n;
	memset(out, 0, sizeof(*out));   /* PF_ROUTE: one table, no rules */
}

/* What net-pfroute provides: no rule_add/rule_del. */
static const uipsec_net_ops_t bsd_ops = {
	.route_add = rec_route_add,
	.route_del = rec_route_del,
	.rule_add = NULL,
	.rule_del = NULL,
	.addr_add = rec_addr_add,
	.addr_del = rec_addr_del,
	.route_get = rec_route_get,
	.addrs_foreach = rec_addrs_foreach,
	.flush = rec_flush,
	.get_routing = rec_get_routing,
};

/* ---------------------------------------------------------------- fixture */

typedef struct fx {
	uipsec_net_t net;
	route_mgr_t *m;
} fx_t;

static void fx_setup(fx_t *f, bool allow_peer_ts)
{
	route_mgr_cfg_t cfg = { .install_routes = true, .allow_peer_ts = allow_peer_ts };
	uipsec_err_t err = { "" };

	memset(f, 0, sizeof(*f));
	f->net.log = g_ptr_array_new_with_free_func(g_free);
	/* the peer's real next hop: 192.0.2.254 on em0, our address 192.0.2.1 */
	g_assert_true(uipsec_addr_parse("192.0.2.254", &f->net.answer.gateway));
	g_assert_true(uipsec_addr_parse("192.0.2.1", &f->net.answer.src));
	f->net.answer.has_gateway = true;
	g_strlcpy(f->net.answer.ifname, "em0", sizeof(f->net.answer.ifname));
	f->m = route_mgr_new(&bsd_ops, &f->net, &cfg);
	g_assert_cmpint(route_mgr_start(f->m, &err), ==, UIPSEC_OK);
}

static void fx_teardown(fx_t *f)
{
	route_mgr_free(f->m);
	g_ptr_array_unref(f->net.log);
}

/* Compare the recorded operations (from index 'from') with want, NULL-terminated. */
static void assert_log(fx_t *f, guint from, const char *const *want)
{
	guint i = 0;
	for (; want[i]; i++) {
		if (from + i >= f->net.log->len)
			g_error("missing operation %u: want '%s'", i, want[i]);
		g_assert_cmpstr(g_ptr_array_index(f->net.log, from + i), ==, want[i]);
	}
	if (from + i != f->net.log->len)
		g_error("unexpected operation: '%s'", (const char *)g_ptr_array_index(f->net.log, from + i));
}

typedef struct tun_spec {
	const char *name, *ifname, *local, *remote;
	const char *local_ts[2], *remote_ts[2], *vips[2];
} tun_spec_t;

static int add_tunnel(fx_t *f, const tun_spec_t *s, uipsec_err_t *err)
{
	uipsec_prefix_t lts[2], rts[2], vips[2];
	route_mgr_tunnel_t t = { .name = s->name, .ifname = s->ifname };
	size_t n;

	if (s->local)
		g_assert_true(uipsec_addr_parse(s->local, &t.local));
	g_assert_true(uipsec_addr_parse(s->remote, &t.remote));
	for (n = 0; n < 2 && s->local_ts[n]; n++)
		g_assert_true(uipsec_prefix_parse(s->local_ts[n], &lts[n]));
	t.local_ts = lts;
	t.local_ts_count = n;
	for (n = 0; n < 2 && s->remote_ts[n]; n++)
		g_assert_true(uipsec_prefix_parse(s->remote_ts[n], &rts[n]));
	t.remote_ts = rts;
	t.remote_ts_count = n;
	for (n = 0; n < 2 && s->vips[n]; n++)
		g_assert_true(uipsec_prefix_parse(s->vips[n], &vips[n]));
	t.vips = n ? vips : NULL;
	t.vip_count = n;
	return route_mgr_tunnel_add(f->m, &t, err);
}

/* ---------------------------------------------------------------- tests */

/* Start: leftovers flushed (no table, no rule priority); no rule installed,
 * although the backend has no rule_add at all. Stop removes no rule. */
static void test_start_without_rules(void)
{
	fx_t f;
	uipsec_net_routing_t routing;

	fx_setup(&f, false);
	assert_log(&f, 0, (const char *const[]){ "flush table 0 priority 0", NULL });
	route_mgr_routing(f.m, &routing);
	g_assert_cmpuint(routing.table, ==, 0);
	route_mgr_stop(f.m);
	assert_log(&f, 0, (const char *const[]){ "flush table 0 priority 0", NULL });
	fx_teardown(&f);
}

/* Peer outside the remote selector: just the route into the TUN device, in
 * the main table, no next-hop lookup and no exception route. */
static void test_net_to_net_route(void)
{
	const tun_spec_t s = { "site-b", "tun0", "192.0.2.1", "198.51.100.2",
	                       { "10.1.0.0/24" }, { "10.2.0.0/24" }, { NULL } };
	uipsec_err_t err = { "" };
	fx_t f;

	fx_setup(&f, false);
	f.net.local_addr = "10.1.0.1";
	g_assert_cmpint(add_tunnel(&f, &s, &err), ==, UIPSEC_OK);
	assert_log(&f, 1, (const char *const[]){ "route_add 10.2.0.0/24 dev tun0 src 10.1.0.1", NULL });
	g_assert_cmpuint(f.net.route_gets, ==, 0);
	g_assert_cmpint(route_mgr_tunnel_del(f.m, "site-b", &err), ==, UIPSEC_OK);
	assert_log(&f, 1, (const char *const[]){
		"route_add 10.2.0.0/24 dev tun0 src 10.1.0.1",
		"route_del 10.2.0.0/24 dev tun0 src 10.1.0.1", NULL });
	fx_teardown(&f);
}

/* Peer inside the remote selector (e.g. everything through the tunnel): on
 * BSD there is no table to keep the peer out, so the exception host route
 * via the real next hop is what stops ESP-in-UDP looping into the TUN. It
 * is looked up and installed before the tunnel route, and leaves after it. */
static void test_exception_route_before_tunnel_route(void)
{
	const tun_spec_t s = { "road", "utun3", "192.0.2.1", "203.0.113.9",
	                       { "10.9.0.7/32" }, { "0.0.0.0/0" }, { "10.9.0.7/32" } };
	uipsec_err_t err = { "" };
	fx_t f;

	fx_setup(&f, false);
	g_assert_cmpint(add_tunnel(&f, &s, &err), ==, UIPSEC_OK);
	assert_log(&f, 1, (const char *const[]){
		"addr_add 10.9.0.7/32 dev utun3",
		"route_get 203.0.113.9 mark 0",
		"route_add 203.0.113.9/32 via 192.0.2.254 dev em0 src 192.0.2.1",
		"route_add 0.0.0.0/0 dev utun3 src 10.9.0.7", NULL });
	route_mgr_stop(f.m);
	assert_log(&f, 5, (const char *const[]){
		"route_del 0.0.0.0/0 dev utun3 src 10.9.0.7",
		"route_del 203.0.113.9/32 via 192.0.2.254 dev em0 src 192.0.2.1",
		"addr_del 10.9.0.7/32 dev utun3", NULL });
	fx_teardown(&f);
}

/* Two tunnels to one peer share the exception route: one lookup, one route,
 * removed with the last tunnel. */
static void test_exception_route_shared(void)
{
	const tun_spec_t a = { "a", "tun0", "192.0.2.1", "192.0.2.2",
	                       { NULL }, { "192.0.2.0/24" }, { NULL } };
	const tun_spec_t b = { "b", "tun1", "192.0.2.1", "192.0.2.2",
	                       { NULL }, { "192.0.2.0/25" }, { NULL } };
	uipsec_err_t err = { "" };
	fx_t f;

	fx_setup(&f, false);
	g_assert_cmpint(add_tunnel(&f, &a, &err), ==, UIPSEC_OK);
	g_assert_cmpint(add_tunnel(&f, &b, &err), ==, UIPSEC_OK);
	g_assert_cmpuint(f.net.route_gets, ==, 1);
	assert_log(&f, 1, (const char *const[]){
		"route_get 192.0.2.2 mark 0",
		"route_add 192.0.2.2/32 via 192.0.2.254 dev em0 src 192.0.2.1",
		"route_add 192.0.2.0/24 dev tun0",
		"route_add 192.0.2.0/25 dev tun1", NULL });
	g_assert_cmpint(route_mgr_tunnel_del(f.m, "a", &err), ==, UIPSEC_OK);
	assert_log(&f, 5, (const char *const[]){ "route_del 192.0.2.0/24 dev tun0", NULL });
	g_assert_cmpint(route_mgr_tunnel_del(f.m, "b", &err), ==, UIPSEC_OK);
	assert_log(&f, 5, (const char *const[]){
		"route_del 192.0.2.0/24 dev tun0",
		"route_del 192.0.2.0/25 dev tun1",
		"route_del 192.0.2.2/32 via 192.0.2.254 dev em0 src 192.0.2.1", NULL });
	fx_teardown(&f);
}

/* If the kernel already routes the peer into a TUN device there is no real
 * next hop to pin: refused, nothing left installed. */
static void test_exception_route_refused_when_peer_via_tun(void)
{
	const tun_spec_t s = { "loop", "tun0", "192.0.2.1", "192.0.2.2",
	                       { NULL }, { "192.0.2.0/24" }, { NULL } };
	uipsec_err_t err = { "" };
	fx_t f;

	fx_setup(&f, false);
	g_strlcpy(f.net.answer.ifname, "tun0", sizeof(f.net.answer.ifname));
	g_assert_cmpint(add_tunnel(&f, &s, &err), !=, UIPSEC_OK);
	g_assert_nonnull(strstr(err.msg, "tun0"));
	g_assert_false(route_mgr_has_tunnel(f.m, "loop"));
	assert_log(&f, 1, (const char *const[]){ "route_get 192.0.2.2 mark 0", NULL });
	fx_teardown(&f);
}

/* remote_ts equal to the peer, allow_peer_ts = no: refused by name before
 * anything reaches the kernel. */
static void test_peer_ts_refused(void)
{
	const tun_spec_t s = { "h2h", "tun0", "192.0.2.1", "192.0.2.2",
	                       { "192.0.2.1/32" }, { "192.0.2.2/32" }, { NULL } };
	uipsec_err_t err = { "" };
	fx_t f;

	fx_setup(&f, false);
	g_assert_cmpint(add_tunnel(&f, &s, &err), ==, UIPSEC_ERR_PERM);
	g_assert_nonnull(strstr(err.msg, "allow_peer_ts"));
	g_assert_nonnull(strstr(err.msg, "h2h"));
	assert_log(&f, 1, (const char *const[]){ NULL });
	fx_teardown(&f);
}

/* allow_peer_ts = yes: the host route into the TUN is installed as asked and
 * no exception route (it would be the same destination); on BSD nothing
 * else keeps the daemon's own packets out of it (docs/bsd.md says so). */
static void test_peer_ts_allowed(void)
{
	const tun_spec_t s = { "h2h", "tun0", "192.0.2.1", "192.0.2.2",
	                       { "192.0.2.1/32" }, { "192.0.2.2/32" }, { NULL } };
	uipsec_err_t err = { "" };
	fx_t f;

	fx_setup(&f, true);
	f.net.local_addr = "192.0.2.1";
	g_assert_cmpint(add_tunnel(&f, &s, &err), ==, UIPSEC_OK);
	g_assert_cmpuint(f.net.route_gets, ==, 0);
	assert_log(&f, 1, (const char *const[]){ "route_add 192.0.2.2/32 dev tun0 src 192.0.2.1", NULL });
	fx_teardown(&f);
	/* fx_teardown -> route_mgr_free -> stop: the route was removed */
}

/* The PF_ROUTE mode: one device per virtual IP. Each tunnel's VIP goes on
 * its own device, routes take it as source, and both leave on stop. */
static void test_per_vip_devices(void)
{
	const tun_spec_t a = { "a", "tun0", "192.0.2.1", "198.51.100.2",
	                       { "10.9.1.1/32" }, { "10.2.0.0/16" }, { "10.9.1.1/32" } };
	const tun_spec_t b = { "b", "tun1", "192.0.2.1", "198.51.100.3",
	                       { "10.9.2.1/32" }, { "10.3.0.0/16" }, { "10.9.2.1/32" } };
	uipsec_err_t err = { "" };
	fx_t f;

	fx_setup(&f, false);
	g_assert_cmpint(add_tunnel(&f, &a, &err), ==, UIPSEC_OK);
	g_assert_cmpint(add_tunnel(&f, &b, &err), ==, UIPSEC_OK);
	assert_log(&f, 1, (const char *const[]){
		"addr_add 10.9.1.1/32 dev tun0",
		"route_add 10.2.0.0/16 dev tun0 src 10.9.1.1",
		"addr_add 10.9.2.1/32 dev tun1",
		"route_add 10.3.0.0/16 dev tun1 src 10.9.2.1", NULL });
	route_mgr_stop(f.m);
	/* order across tunnels is the hash table's; check the set */
	g_assert_cmpuint(f.net.log->len, ==, 9);
	const char *gone[] = { "route_del 10.2.0.0/16 dev tun0 src 10.9.1.1", "addr_del 10.9.1.1/32 dev tun0",
	                       "route_del 10.3.0.0/16 dev tun1 src 10.9.2.1", "addr_del 10.9.2.1/32 dev tun1" };
	for (size_t i = 0; i < G_N_ELEMENTS(gone); i++) {
		gboolean found = FALSE;
		for (guint j = 5; j < f.net.log->len; j++)
			found |= g_strcmp0(g_ptr_array_index(f.net.log, j), gone[i]) == 0;
		g_assert_true(found);
	}
	fx_teardown(&f);
}

/* A kernel error (EEXIST from RTM_ADD) fails the tunnel with the tunnel's
 * name and the kernel's message, and undoes what the call installed. */
static void test_kernel_error_rolls_back(void)
{
	const tun_spec_t s = { "site-c", "tun0", "192.0.2.1", "192.0.2.2",
	                       { NULL }, { "192.0.2.0/24", "10.4.0.0/16" }, { "10.9.3.1/32" } };
	uipsec_err_t err = { "" };
	fx_t f;

	fx_setup(&f, false);
	f.net.fail_route = "10.4.0.0/16";
	g_assert_cmpint(add_tunnel(&f, &s, &err), ==, UIPSEC_ERR_EXISTS);
	g_assert_nonnull(strstr(err.msg, "site-c"));
	g_assert_nonnull(strstr(err.msg, "File exists"));
	g_assert_false(route_mgr_has_tunnel(f.m, "site-c"));
	assert_log(&f, 1, (const char *const[]){
		"addr_add 10.9.3.1/32 dev tun0",
		"route_get 192.0.2.2 mark 0",
		"route_add 192.0.2.2/32 via 192.0.2.254 dev em0 src 192.0.2.1",
		"route_add 192.0.2.0/24 dev tun0 src 10.9.3.1",
		"route_del 192.0.2.0/24 dev tun0 src 10.9.3.1",
		"route_del 192.0.2.2/32 via 192.0.2.254 dev em0 src 192.0.2.1",
		"addr_del 10.9.3.1/32 dev tun0", NULL });
	fx_teardown(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/route-pfroute/start-without-rules", test_start_without_rules);
	g_test_add_func("/route-pfroute/net-to-net-route", test_net_to_net_route);
	g_test_add_func("/route-pfroute/exception-route-before-tunnel-route",
	                test_exception_route_before_tunnel_route);
	g_test_add_func("/route-pfroute/exception-route-shared", test_exception_route_shared);
	g_test_add_func("/route-pfroute/exception-route-refused-when-peer-via-tun",
	                test_exception_route_refused_when_peer_via_tun);
	g_test_add_func("/route-pfroute/peer-ts-refused", test_peer_ts_refused);
	g_test_add_func("/route-pfroute/peer-ts-allowed", test_peer_ts_allowed);
	g_test_add_func("/route-pfroute/per-vip-devices", test_per_vip_devices);
	g_test_add_func("/route-pfroute/kernel-error-rolls-back", test_kernel_error_rolls_back);
	return g_test_run();
}
