/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net-netlink backend against the real kernel. The test moves itself into
 * a fresh network namespace (unshare(CLONE_NEWNET), gone when the process
 * exits) with a TUN device uipt0 and a veth pair uipt-v0/uipt-v1, drives
 * the plugin's ops, and checks the result with ip(8)'s JSON output rather
 * than with our own reads. */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <uipsec/net.h>
#include "netlink_backend.h"

static const uipsec_net_ops_t *ops = &netlink_net_ops;
static uipsec_net_t *net;

/* ---------------------------------------------------------------- helpers */

static char *run_out(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static char *run_out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *out = NULL, *errout = NULL;
	int status = 0;
	GError *gerr = NULL;
	if (!g_spawn_command_line_sync(cmd, &out, &errout, &status, &gerr))
		g_error("%s: %s", cmd, gerr->message);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("%s failed: %s", cmd, errout);
	g_free(errout);
	g_free(cmd);
	return out;
}

#define run(...) g_free(run_out(__VA_ARGS__))

/* ip -j ... as a JSON array (caller unrefs the parser) */
static JsonArray *ip_json(JsonParser **parser, const char *args)
{
	char *out = run_out("ip -j %s", args);
	*parser = json_parser_new();
	GError *gerr = NULL;
	if (!json_parser_load_from_data(*parser, out, -1, &gerr))
		g_error("ip -j %s: %s", args, gerr->message);
	g_free(out);
	JsonNode *root = json_parser_get_root(*parser);
	g_assert_true(JSON_NODE_HOLDS_ARRAY(root));
	return json_node_get_array(root);
}

static const char *obj_str(JsonObject *o, const char *key)
{
	if (!json_object_has_member(o, key))
		return NULL;
	JsonNode *n = json_object_get_member(o, key);
	if (JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(n);
}

static gint cmp_strp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* The routes of a table as "dst dev D [via G] [src S]" lines, sorted. */
static char *table_routes(int family, unsigned table)
{
	JsonParser *p;
	char args[64];
	snprintf(args, sizeof(args), "-%d route show table %u", family == AF_INET6 ? 6 : 4, table);
	JsonArray *a = ip_json(&p, args);
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);
		const char *dst = obj_str(o, "dst"), *dev = obj_str(o, "dev");
		const char *gw = obj_str(o, "gateway"), *src = obj_str(o, "prefsrc");
		g_ptr_array_add(lines, g_strdup_printf("%s dev %s%s%s%s%s", dst, dev ? dev : "-",
		                                       gw ? " via " : "", gw ? gw : "", src ? " src " : "", src ? src : ""));
	}
	g_object_unref(p);
	g_ptr_array_sort(lines, cmp_strp);
	g_ptr_array_add(lines, NULL);
	char *s = g_strjoinv("\n", (char **)lines->pdata);
	g_ptr_array_unref(lines);
	return s;
}

/* Rules other than the kernel's defaults, as "prio [not] [fwmark M[/K]] table T" lines. */
static char *rules(int family)
{
	JsonParser *p;
	JsonArray *a = ip_json(&p, family == AF_INET6 ? "-6 rule show" : "-4 rule show");
	GString *s = g_string_new("");
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);
		gint64 prio = json_object_get_int_member(o, "priority");
		const char *table = obj_str(o, "table");
		if (prio == 0 || prio == 32766 || prio == 32767)
			continue;
		const char *mark = obj_str(o, "fwmark"), *mask = obj_str(o, "fwmask");
		g_string_append_printf(s, "%s%" G_GINT64_FORMAT "%s%s%s%s%s table %s", s->len ? "\n" : "", prio,
		                       json_object_has_member(o, "not") ? " not" : "",
		                       mark ? " fwmark " : "", mark ? mark : "", mask ? "/" : "", mask ? mask : "",
		                       table ? table : "?");
	}
	g_object_unref(p);
	return g_string_free(s, FALSE);
}

static void assert_table(int family, unsigned table, const char *expected)
{
	char *got = table_routes(family, table);
	g_assert_cmpstr(got, ==, expected);
	g_free(got);
}

static void assert_rules(int family, const char *expected)
{
	char *got = rules(family);
	g_assert_cmpstr(got, ==, expected);
	g_free(got);
}

/* does ip -j addr show dev DEV list ADDR/LEN? */
static bool has_addr(const char *dev, const char *addr, unsigned len)
{
	JsonParser *p;
	char args[64];
	snprintf(args, sizeof(args), "addr show dev %s", dev);
	JsonArray *a = ip_json(&p, args);
	bool found = false;
	for (guint i = 0; i < json_array_get_length(a) && !found; i++) {
		JsonArray *infos = json_object_get_array_member(json_array_get_object_element(a, i), "addr_info");
		for (guint j = 0; j < json_array_get_length(infos) && !found; j++) {
			JsonObject *ai = json_array_get_object_element(infos, j);
			found = g_strcmp0(obj_str(ai, "local"), addr) == 0 &&
			        json_object_get_int_member(ai, "prefixlen") == len;
		}
	}
	g_object_unref(p);
	return found;
}

static uipsec_route_t route(const char *dst, const char *dev, const char *gw, const char *src, uint32_t table)
{
	uipsec_route_t r = { 0 };
	g_assert_true(uipsec_prefix_parse(dst, &r.dst));
	g_strlcpy(r.ifname, dev ? dev : "", sizeof(r.ifname));
	if (gw) {
		r.has_gateway = true;
		g_assert_true(uipsec_addr_parse(gw, &r.gateway));
	}
	if (src) {
		r.has_src = true;
		g_assert_true(uipsec_addr_parse(src, &r.src));
	}
	r.table = table;
	return r;
}

static uipsec_prefix_t prefix(const char *s)
{
	uipsec_prefix_t p;
	g_assert_true(uipsec_prefix_parse(s, &p));
	return p;
}

static uipsec_rule_t rule(uint8_t family, uint32_t prio, uint32_t table, const char *fwmark)
{
	uipsec_rule_t r = { .family = family, .priority = prio, .table = table };
	if (fwmark) {
		r.has_fwmark = true;
		g_assert_true(uipsec_fwmark_parse(fwmark, &r.fwmark_invert, &r.fwmark, &r.fwmask, NULL));
	}
	return r;
}

/* ---------------------------------------------------------------- tests */

static void test_link_set(void)
{
	uipsec_err_t err = { "" };
	g_assert_cmpint(ops->link_set(net, "uipt0", true, 1400, &err), ==, UIPSEC_OK);
	JsonParser *p;
	JsonArray *a = ip_json(&p, "link show dev uipt0");
	JsonObject *o = json_array_get_object_element(a, 0);
	g_assert_cmpint(json_object_get_int_member(o, "mtu"), ==, 1400);
	g_object_unref(p);
	char *flags = run_out("ip -o link show dev uipt0");
	g_assert_nonnull(strstr(flags, ",UP"));
	g_free(flags);
	g_assert_cmpint(ops->link_set(net, "uipt-none", true, 0, &err), ==, UIPSEC_ERR_NOTFOUND);
	g_assert_cmpstr(err.msg, ==, "set link uipt-none up: No such device");
}

static void test_addresses(void)
{
	uipsec_err_t err = { "" };
	uipsec_prefix_t v4 = prefix("10.3.0.1/32"), v6 = prefix("2001:db8:3::1/128");
	g_assert_cmpint(ops->addr_add(net, "uipt0", &v4, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->addr_add(net, "uipt0", &v6, &err), ==, UIPSEC_OK);
	g_assert_true(has_addr("uipt0", "10.3.0.1", 32));
	g_assert_true(has_addr("uipt0", "2001:db8:3::1", 128));
	g_assert_cmpint(ops->addr_add(net, "uipt0", &v4, &err), ==, UIPSEC_ERR_EXISTS);
	g_assert_cmpstr(err.msg, ==, "add address 10.3.0.1/32 dev uipt0: File exists");
	g_assert_cmpint(ops->addr_add(net, "uipsec0", &v4, &err), ==, UIPSEC_ERR_NOTFOUND);
	g_assert_cmpstr(err.msg, ==, "add address 10.3.0.1/32 dev uipsec0: No such device");

	g_assert_cmpint(ops->addr_del(net, "uipt0", &v4, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->addr_del(net, "uipt0", &v6, &err), ==, UIPSEC_OK);
	g_assert_false(has_addr("uipt0", "10.3.0.1", 32));
	g_assert_false(has_addr("uipt0", "2001:db8:3::1", 128));
	g_assert_cmpint(ops->addr_del(net, "uipt0", &v4, &err), <, 0);
	g_assert_nonnull(strstr(err.msg, "delete address 10.3.0.1/32 dev uipt0: "));
}

static void collect(const char *ifname, const uipsec_prefix_t *a, void *user)
{
	char buf[UIPSEC_ADDR_STRLEN];
	g_string_append_printf(user, "%s %s/%u\n", ifname, uipsec_addr_str(&a->addr, buf, sizeof(buf)), a->len);
}

static void test_addrs_foreach(void)
{
	uipsec_err_t err = { "" };
	GString *seen = g_string_new("");
	g_assert_cmpint(ops->addrs_foreach(net, collect, seen, &err), ==, UIPSEC_OK);
	g_assert_nonnull(strstr(seen->str, "uipt-v0 198.51.100.1/24\n"));
	g_assert_nonnull(strstr(seen->str, "uipt-v0 2001:db8::1/64\n"));
	g_assert_nonnull(strstr(seen->str, "lo 127.0.0.1/8\n"));
	g_string_free(seen, TRUE);
}

static void test_routes(void)
{
	uipsec_err_t err = { "" };
	run("ip addr add 10.1.0.1/24 dev uipt0");
	uipsec_route_t r1 = route("10.2.0.0/24", "uipt0", NULL, "10.1.0.1", 220);
	uipsec_route_t r2 = route("192.0.2.2/32", "uipt-v0", "198.51.100.254", "198.51.100.1", 220);
	uipsec_route_t r6 = route("2001:db8:2::/48", "uipt0", NULL, NULL, 220);
	g_assert_cmpint(ops->route_add(net, &r1, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->route_add(net, &r2, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->route_add(net, &r6, &err), ==, UIPSEC_OK);
	assert_table(AF_INET, 220, "10.2.0.0/24 dev uipt0 src 10.1.0.1\n"
	                           "192.0.2.2 dev uipt-v0 via 198.51.100.254 src 198.51.100.1");
	assert_table(AF_INET6, 220, "2001:db8:2::/48 dev uipt0");

	g_assert_cmpint(ops->route_add(net, &r1, &err), ==, UIPSEC_ERR_EXISTS);
	g_assert_cmpstr(err.msg, ==, "add route 10.2.0.0/24 dev uipt0 src 10.1.0.1 table 220: File exists");
	uipsec_route_t bad = route("10.2.0.0/24", "uipsec0", NULL, NULL, 220);
	g_assert_cmpint(ops->route_add(net, &bad, &err), ==, UIPSEC_ERR_NOTFOUND);
	g_assert_cmpstr(err.msg, ==, "add route 10.2.0.0/24 dev uipsec0 table 220: No such device");
	/* the kernel refuses a preferred source that is not ours */
	uipsec_route_t badsrc = route("10.7.0.0/24", "uipt0", NULL, "10.99.0.1", 220);
	g_assert_cmpint(ops->route_add(net, &badsrc, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpstr(err.msg, ==, "add route 10.7.0.0/24 dev uipt0 src 10.99.0.1 table 220: Invalid argument");

	g_assert_cmpint(ops->route_del(net, &r1, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->route_del(net, &r2, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->route_del(net, &r6, &err), ==, UIPSEC_OK);
	assert_table(AF_INET, 220, "");
	assert_table(AF_INET6, 220, "");
	g_assert_cmpint(ops->route_del(net, &r1, &err), ==, UIPSEC_ERR_NOTFOUND);
	g_assert_cmpstr(err.msg, ==, "delete route 10.2.0.0/24 dev uipt0 src 10.1.0.1 table 220: No such process");
	run("ip addr del 10.1.0.1/24 dev uipt0");
}

static void test_rules(void)
{
	uipsec_err_t err = { "" };
	uipsec_rule_t plain = rule(AF_INET, 220, 220, NULL);
	uipsec_rule_t inv = rule(AF_INET, 221, 220, "!0x42");
	uipsec_rule_t masked = rule(AF_INET, 222, 220, "0x42/0xff");
	uipsec_rule_t inv6 = rule(AF_INET6, 220, 220, "!0x42");
	g_assert_cmpint(ops->rule_add(net, &plain, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->rule_add(net, &inv, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->rule_add(net, &masked, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->rule_add(net, &inv6, &err), ==, UIPSEC_OK);
	assert_rules(AF_INET, "220 table 220\n221 not fwmark 0x42 table 220\n222 fwmark 0x42/0xff table 220");
	assert_rules(AF_INET6, "220 not fwmark 0x42 table 220");
	g_assert_cmpint(ops->rule_add(net, &inv, &err), ==, UIPSEC_ERR_EXISTS);
	g_assert_cmpstr(err.msg, ==, "add IPv4 rule priority 221 not fwmark 0x42/0xffffffff table 220: File exists");
	/* deleting the inverted rule must not take the plain one */
	g_assert_cmpint(ops->rule_del(net, &inv, &err), ==, UIPSEC_OK);
	assert_rules(AF_INET, "220 table 220\n222 fwmark 0x42/0xff table 220");
	g_assert_cmpint(ops->rule_del(net, &plain, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->rule_del(net, &masked, &err), ==, UIPSEC_OK);
	g_assert_cmpint(ops->rule_del(net, &inv6, &err), ==, UIPSEC_OK);
	assert_rules(AF_INET, "");
	assert_rules(AF_INET6, "");
	g_assert_cmpint(ops->rule_del(net, &plain, &err), ==, UIPSEC_ERR_NOTFOUND);
}

static void lookup_str(const uipsec_route_lookup_t *lk, char *buf, size_t len)
{
	char g[UIPSEC_ADDR_STRLEN], s[UIPSEC_ADDR_STRLEN];
	snprintf(buf, len, "dev %s%s%s src %s", lk->ifname, lk->has_gateway ? " via " : "",
	         lk->has_gateway ? uipsec_addr_str(&lk->gateway, g, sizeof(g)) : "", uipsec_addr_str(&lk->src, s, sizeof(s)));
}

/* what `ip route get` answers, in the same format */
static void ip_route_get(const char *dst, const char *mark, char *buf, size_t len)
{
	JsonParser *p;
	char args[96];
	snprintf(args, sizeof(args), "route get %s%s%s", dst, mark ? " mark " : "", mark ? mark : "");
	JsonArray *a = ip_json(&p, args);
	JsonObject *o = json_array_get_object_element(a, 0);
	const char *gw = obj_str(o, "gateway");
	snprintf(buf, len, "dev %s%s%s src %s", obj_str(o, "dev"), gw ? " via " : "", gw ? gw : "", obj_str(o, "prefsrc"));
	g_object_unref(p);
}

static void test_route_get(void)
{
	uipsec_err_t err = { "" };
	uipsec_route_lookup_t lk;
	uipsec_addr_t peer, peer6, onlink;
	char got[128], want[128];
	g_assert_true(uipsec_addr_parse("192.0.2.2", &peer));
	g_assert_true(uipsec_addr_parse("2001:db8:9::2", &peer6));
	g_assert_true(uipsec_addr_parse("198.51.100.7", &onlink));

	g_assert_cmpint(ops->route_get(net, &peer, 0, &lk, &err), ==, UIPSEC_OK);
	lookup_str(&lk, got, sizeof(got));
	g_assert_cmpstr(got, ==, "dev uipt-v0 via 198.51.100.254 src 198.51.100.1");
	ip_route_get("192.0.2.2", NULL, want, sizeof(want));
	g_assert_cmpstr(got, ==, want);

	g_assert_cmpint(ops->route_get(net, &onlink, 0, &lk, &err), ==, UIPSEC_OK);
	lookup_str(&lk, got, sizeof(got));
	g_assert_cmpstr(got, ==, "dev uipt-v0 src 198.51.100.1");

	g_assert_cmpint(ops->route_get(net, &peer6, 0, &lk, &err), ==, UIPSEC_OK);
	lookup_str(&lk, got, sizeof(got));
	g_assert_cmpstr(got, ==, "dev uipt-v0 via 2001:db8::fe src 2001:db8::1");
	ip_route_get("2001:db8:9::2", NULL, want, sizeof(want));
	g_assert_cmpstr(got, ==, want);

	/* marked lookups follow policy rules: as the daemon's ESP packets would */
	run("ip route add 192.0.2.0/24 dev uipt0 table 230");
	run("ip rule add not fwmark 0x42 table 230 pref 230");
	g_assert_cmpint(ops->route_get(net, &peer, 0, &lk, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(lk.ifname, ==, "uipt0");
	g_assert_cmpint(ops->route_get(net, &peer, 0x42, &lk, &err), ==, UIPSEC_OK);
	lookup_str(&lk, got, sizeof(got));
	g_assert_cmpstr(got, ==, "dev uipt-v0 via 198.51.100.254 src 198.51.100.1");
	ip_route_get("192.0.2.2", "0x42", want, sizeof(want));
	g_assert_cmpstr(got, ==, want);
	run("ip rule del pref 230");
	run("ip route flush table 230");

	/* unreachable: the kernel's message */
	uipsec_addr_t nowhere;
	g_assert_true(uipsec_addr_parse("203.0.113.9", &nowhere));
	run("ip route add unreachable 203.0.113.0/24");
	g_assert_cmpint(ops->route_get(net, &nowhere, 0, &lk, &err), ==, UIPSEC_ERR_NOTFOUND);
	g_assert_cmpstr(err.msg, ==, "look up route to 203.0.113.9: No route to host");
	run("ip route del unreachable 203.0.113.0/24");
}

static void test_flush(void)
{
	uipsec_err_t err = { "" };
	/* leftovers of a "crashed run" plus things that are not ours */
	run("ip route add 10.2.0.0/24 dev uipt0 table 220");
	run("ip route add 10.4.0.0/16 dev uipt0 table 220");
	run("ip route add 192.0.2.2/32 via 198.51.100.254 table 220");
	run("ip -6 route add 2001:db8:2::/48 dev uipt0 table 220");
	run("ip rule add not fwmark 0x42 table 220 pref 220");
	run("ip rule add table 220 pref 220");
	run("ip -6 rule add table 220 pref 220");
	run("ip route add 10.8.0.0/16 dev uipt0 table 221");
	run("ip rule add table 221 pref 221");
	run("ip rule add table 221 pref 220");
	run("ip route add 10.9.0.0/16 dev uipt0");

	g_assert_cmpint(ops->flush(net, 220, 220, &err), ==, UIPSEC_OK);
	assert_table(AF_INET, 220, "");
	assert_table(AF_INET6, 220, "");
	assert_rules(AF_INET, "220 table 221\n221 table 221");
	assert_rules(AF_INET6, "");
	assert_table(AF_INET, 221, "10.8.0.0/16 dev uipt0");
	char *main_routes = table_routes(AF_INET, 254);
	g_assert_nonnull(strstr(main_routes, "10.9.0.0/16 dev uipt0"));
	g_free(main_routes);
	/* nothing to do is fine */
	g_assert_cmpint(ops->flush(net, 220, 220, &err), ==, UIPSEC_OK);

	run("ip rule del table 221 pref 221");
	run("ip rule del table 221 pref 220");
	run("ip route flush table 221");
	run("ip route del 10.9.0.0/16 dev uipt0");
}

typedef struct events {
	GString *log;
} events_t;

static void on_event(const uipsec_net_event_t *ev, void *user)
{
	static const char *const names[] = {
		[UIPSEC_NET_ADDR_ADDED] = "addr-added", [UIPSEC_NET_ADDR_REMOVED] = "addr-removed",
		[UIPSEC_NET_LINK_UP] = "link-up", [UIPSEC_NET_LINK_DOWN] = "link-down",
		[UIPSEC_NET_ROUTE_CHANGED] = "route-changed", [UIPSEC_NET_RULE_CHANGED] = "rule-changed",
		[UIPSEC_NET_RESYNC] = "resync",
	};
	events_t *e = user;
	char p[UIPSEC_PREFIX_STRLEN];
	g_assert_cmpuint(ev->type, <, G_N_ELEMENTS(names));
	if (ev->type == UIPSEC_NET_RULE_CHANGED) {
		g_string_append_printf(e->log, "%s table %u\n", names[ev->type], ev->table);
		return;
	}
	if (ev->type == UIPSEC_NET_ROUTE_CHANGED) {
		g_string_append_printf(e->log, "%s table %u %s\n", names[ev->type], ev->table,
		                       uipsec_prefix_str(&ev->addr, p, sizeof(p)));
		return;
	}
	bool addr = ev->type == UIPSEC_NET_ADDR_ADDED || ev->type == UIPSEC_NET_ADDR_REMOVED;
	g_string_append_printf(e->log, "%s %s%s%s\n", names[ev->type], ev->ifname, addr ? " " : "",
	                       addr ? uipsec_prefix_str(&ev->addr, p, sizeof(p)) : "");
}

/* Poll and dispatch until the log contains want (or 5 s pass). */
static bool wait_event(int fd, events_t *e, const char *want)
{
	for (int i = 0; i < 50 && !strstr(e->log->str, want); i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 100) > 0)
			ops->event_dispatch(net);
	}
	return strstr(e->log->str, want) != NULL;
}

static void test_events(void)
{
	events_t e = { g_string_new("") };
	int fd = ops->event_fd(net);
	g_assert_cmpint(fd, >=, 0);
	ops->set_event_cb(net, on_event, &e);
	run("ip addr add 10.9.9.9/32 dev uipt0");
	g_assert_true(wait_event(fd, &e, "addr-added uipt0 10.9.9.9/32\n"));
	run("ip addr del 10.9.9.9/32 dev uipt0");
	g_assert_true(wait_event(fd, &e, "addr-removed uipt0 10.9.9.9/32\n"));
	run("ip link set uipt0 down");
	g_assert_true(wait_event(fd, &e, "link-down uipt0\n"));
	run("ip link set uipt0 up");
	g_assert_true(wait_event(fd, &e, "link-up uipt0\n"));
	/* a new next hop shows as a route message only */
	run("ip route add 10.9.8.0/24 dev uipt0 table 221");
	g_assert_true(wait_event(fd, &e, "route-changed table 221 10.9.8.0/24\n"));
	run("ip route del 10.9.8.0/24 dev uipt0 table 221");
	/* someone removing our rule must be seen */
	run("ip rule add table 221 pref 221");
	g_assert_true(wait_event(fd, &e, "rule-changed table 221\n"));
	run("ip rule del table 221 pref 221");
	/* nothing pending: dispatch returns at once */
	ops->event_dispatch(net);
	ops->set_event_cb(net, NULL, NULL);
	g_string_free(e.log, TRUE);
}

static void test_cfg_parse(void)
{
	netlink_cfg_t cfg;
	uipsec_err_t err = { "" };
	g_assert_true(netlink_cfg_parse(&cfg, 220, 220, "!0x42", NULL, &err));
	g_assert_true(cfg.routing.has_fwmark && cfg.routing.fwmark_invert);
	g_assert_cmpuint(cfg.routing.fwmark, ==, 0x42);
	g_assert_true(netlink_cfg_parse(&cfg, 100, 32000, NULL, NULL, &err));
	g_assert_false(cfg.routing.has_fwmark);
	const char *bad = NULL;
	g_assert_false(netlink_cfg_parse(&cfg, 254, 220, NULL, &bad, &err));
	g_assert_cmpstr(bad, ==, "table");
	g_assert_nonnull(strstr(err.msg, "254 (main)"));
	g_assert_false(netlink_cfg_parse(&cfg, 0, 220, NULL, NULL, &err));
	g_assert_false(netlink_cfg_parse(&cfg, 220, -1, NULL, &bad, &err));
	g_assert_cmpstr(bad, ==, "rule_priority");
	g_assert_false(netlink_cfg_parse(&cfg, 220, 220, "!0x42/", &bad, &err));
	g_assert_cmpstr(bad, ==, "fwmark");
	g_assert_nonnull(strstr(err.msg, "invalid fwmark '!0x42/'"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	if (unshare(CLONE_NEWNET) != 0) {
		/* without root there is no namespace to test in: say so, do not pretend */
		printf("1..0 # SKIP unshare(CLONE_NEWNET): %s (needs root)\n", strerror(errno));
		return 0;
	}
	run("ip link set lo up");
	run("ip tuntap add dev uipt0 mode tun");
	run("ip link set uipt0 up");
	run("ip link add uipt-v0 type veth peer name uipt-v1");
	run("ip link set uipt-v0 up");
	run("ip link set uipt-v1 up");
	run("ip addr add 198.51.100.1/24 dev uipt-v0");
	run("ip addr add 2001:db8::1/64 dev uipt-v0 nodad");
	run("ip route add default via 198.51.100.254");
	run("ip -6 route add default via 2001:db8::fe");

	netlink_cfg_t cfg;
	uipsec_err_t err = { "" };
	g_assert_true(netlink_cfg_parse(&cfg, 220, 220, NULL, NULL, &err));
	g_assert_cmpint(ops->create(&cfg, &net, &err), ==, UIPSEC_OK);

	g_test_add_func("/netlink/cfg", test_cfg_parse);
	g_test_add_func("/netlink/link", test_link_set);
	g_test_add_func("/netlink/addresses", test_addresses);
	g_test_add_func("/netlink/addrs-foreach", test_addrs_foreach);
	g_test_add_func("/netlink/routes", test_routes);
	g_test_add_func("/netlink/rules", test_rules);
	g_test_add_func("/netlink/route-get", test_route_get);
	g_test_add_func("/netlink/flush", test_flush);
	g_test_add_func("/netlink/events", test_events);
	int rc = g_test_run();
	ops->destroy(net);
	return rc;
}
