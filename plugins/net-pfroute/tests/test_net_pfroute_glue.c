/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net_pfroute.c -- the net-pfroute plugin's glue between the core's network
 * backend interface and pfroute_os -- built on Linux against a recording
 * stand-in for pfroute_os (the real one needs a PF_ROUTE kernel and is
 * compile- and link-checked by 'make check-portability'). Checked: the
 * plugin descriptor, what each operation hands to the OS layer, input
 * refused before it reaches the OS, errno -> status mapping with the OS
 * layer's message, event translation. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include <uipsec/net.h>
#include <uipsec/plugin.h>

#include "../pfroute_os.h"

extern const uipsec_plugin_desc_t uipsec_plugin_net_pfroute;

/* ---------------------------------------------------------------- recording pfroute_os */

static struct {
	GPtrArray *calls;
	int fail_errno;           /* next call fails with this errno, 0 = succeed */
	pfr_lookup_t answer;
	pfr_event_t events[4];
	int n_events;
	unsigned flushed;
} os;

struct pfr {
	int dummy;
};
static pfr_t the_pfr;

static const char *pa(const pfr_addr_t *a, char *buf, size_t len)
{
	uipsec_addr_t u = { .family = (uint8_t)a->family };
	memcpy(u.bytes, a->bytes, 16);
	return uipsec_addr_str(&u, buf, len);
}

static int result(pfr_err_t *err, const char *op)
{
	int e = os.fail_errno;
	os.fail_errno = 0;
	if (!e)
		return 0;
	g_snprintf(err->msg, sizeof(err->msg), "%s: %s", op, g_strerror(e));
	return -e;
}

unsigned pfr_route_marker(void) { return 0x8000; }

int pfr_open(pfr_t **out, pfr_err_t *err)
{
	g_ptr_array_add(os.calls, g_strdup("open"));
	*out = &the_pfr;
	return result(err, "socket(PF_ROUTE)");
}

void pfr_close(pfr_t *p)
{
	g_assert_true(p == &the_pfr);
	g_ptr_array_add(os.calls, g_strdup("close"));
}

static int route(const char *op, const pfr_route_t *r, pfr_err_t *err)
{
	char d[64], g[64], s[64];
	g_ptr_array_add(os.calls, g_strdup_printf("%s %s/%u dev '%s' gw %s src %s", op, pa(&r->dst, d, sizeof(d)),
	                                          r->prefixlen, r->ifname,
	                                          r->has_gateway ? pa(&r->gateway, g, sizeof(g)) : "-",
	                                          r->has_src ? pa(&r->src, s, sizeof(s)) : "-"));
	return result(err, op);
}

int pfr_route_add(pfr_t *p, const pfr_route_t *r, pfr_err_t *err) { (void)p; return route("RTM_ADD", r, err); }
int pfr_route_del(pfr_t *p, const pfr_route_t *r, pfr_err_t *err) { (void)p; return route("RTM_DELETE", r, err); }

int pfr_route_get(pfr_t *p, const pfr_addr_t *dst, pfr_lookup_t *out, pfr_err_t *err)
{
	char d[64];
	(void)p;
	g_ptr_array_add(os.calls, g_strdup_printf("RTM_GET %s", pa(dst, d, sizeof(d))));
	*out = os.answer;
	return result(err, "RTM_GET");
}

int pfr_flush_marked(pfr_t *p, unsigned *removed, pfr_err_t *err)
{
	(void)p;
	g_ptr_array_add(os.calls, g_strdup("flush"));
	*removed = os.flushed;
	return result(err, "sysctl(NET_RT_DUMP)");
}

static int addr(const char *op, const char *ifname, const pfr_addr_t *a, unsigned len, pfr_err_t *err)
{
	char s[64];
	g_ptr_array_add(os.calls, g_strdup_printf("%s %s/%u on '%s'", op, pa(a, s, sizeof(s)), len, ifname));
	return result(err, op);
}

int pfr_addr_add(pfr_t *p, const char *ifname, const pfr_addr_t *a, unsigned len, pfr_err_t *err)
{
	(void)p;
	return addr("SIOCAIFADDR", ifname, a, len, err);
}

int pfr_addr_del(pfr_t *p, const char *ifname, const pfr_addr_t *a, unsigned len, pfr_err_t *err)
{
	(void)p;
	return addr("SIOCDIFADDR", ifname, a, len, err);
}

int pfr_link_set(pfr_t *p, const char *ifname, bool up, uint32_t mtu, pfr_err_t *err)
{
	(void)p;
	g_ptr_array_add(os.calls, g_strdup_printf("link '%s' %s mtu %u", ifname, up ? "up" : "down", mtu));
	return result(err, "SIOCSIFFLAGS");
}

int pfr_addrs_foreach(pfr_addr_cb cb, void *user, pfr_err_t *err)
{
	pfr_addr_t a = { .family = AF_INET6 };
	a.bytes[0] = 0x20; a.bytes[1] = 0x01; a.bytes[2] = 0x0d; a.bytes[3] = 0xb8; a.bytes[15] = 1;
	g_ptr_array_add(os.calls, g_strdup("getifaddrs"));
	cb("em0", &a, 64, user);
	return result(err, "getifaddrs");
}

int pfr_event_fd(const pfr_t *p)
{
	(void)p;
	return 42;
}

void pfr_event_dispatch(pfr_t *p, pfr_event_cb cb, void *user)
{
	(void)p;
	for (int i = 0; i < os.n_events; i++)
		cb(&os.events[i], user);
}

/* ---------------------------------------------------------------- helpers */

static const uipsec_net_ops_t *ops;
static uipsec_net_t *net;

static void setup(void)
{
	uipsec_err_t err = { "" };
	memset(&os, 0, sizeof(os));
	os.calls = g_ptr_array_new_with_free_func(g_free);
	ops = uipsec_plugin_net_pfroute.features[0].ops;
	g_assert_cmpint(ops->create(NULL, &net, &err), ==, UIPSEC_OK);
}

static void teardown(void)
{
	ops->destroy(net);
	g_ptr_array_unref(os.calls);
}

static const char *last_call(void)
{
	g_assert_cmpuint(os.calls->len, >, 0);
	return g_ptr_array_index(os.calls, os.calls->len - 1);
}

static uipsec_route_t route_of(const char *dst, const char *ifname, const char *gw, const char *src)
{
	uipsec_route_t r;
	memset(&r, 0, sizeof(r));
	g_assert_true(uipsec_prefix_parse(dst, &r.dst));
	g_strlcpy(r.ifname, ifname, sizeof(r.ifname));
	if (gw) {
		r.has_gateway = true;
		g_assert_true(uipsec_addr_parse(gw, &r.gateway));
	}
	if (src) {
		r.has_src = true;
		g_assert_true(uipsec_addr_parse(src, &r.src));
	}
	r.table = 220;   /* ignored: one table on BSD */
	return r;
}

/* ---------------------------------------------------------------- tests */

static void test_descriptor(void)
{
	const uipsec_plugin_desc_t *d = &uipsec_plugin_net_pfroute;
	g_assert_cmpuint(d->abi_major, ==, UIPSEC_ABI_MAJOR);
	g_assert_cmpuint(d->struct_size, ==, sizeof(uipsec_plugin_desc_t));
	g_assert_cmpstr(d->name, ==, "net-pfroute");
	g_assert_cmpuint(d->features[0].kind, ==, UIPSEC_FEAT_PROVIDE);
	g_assert_cmpuint(d->features[0].type, ==, UIPSEC_FT_NET);
	g_assert_cmpuint(d->features[1].kind, ==, UIPSEC_FEAT_END);
	const uipsec_net_ops_t *o = d->features[0].ops;
	/* no policy routing on PF_ROUTE systems; the rest is all there */
	g_assert_null(o->rule_add);
	g_assert_null(o->rule_del);
	g_assert_nonnull(o->route_add);
	g_assert_nonnull(o->route_del);
	g_assert_nonnull(o->route_get);
	g_assert_nonnull(o->addr_add);
	g_assert_nonnull(o->addr_del);
	g_assert_nonnull(o->link_set);
	g_assert_nonnull(o->addrs_foreach);
	g_assert_nonnull(o->flush);
	g_assert_nonnull(o->event_fd);
	g_assert_nonnull(o->event_dispatch);
	g_assert_nonnull(o->set_event_cb);
	g_assert_nonnull(o->get_routing);
}

static void test_get_routing_no_table(void)
{
	uipsec_net_routing_t r;
	setup();
	memset(&r, 0xff, sizeof(r));
	ops->get_routing(net, &r);
	g_assert_cmpuint(r.table, ==, 0);
	g_assert_cmpuint(r.rule_priority, ==, 0);
	g_assert_false(r.has_fwmark);
	teardown();
}

static void test_routes_reach_os(void)
{
	uipsec_err_t err = { "" };
	setup();
	uipsec_route_t r = route_of("10.2.0.0/24", "utun3", NULL, "10.9.0.7");
	g_assert_cmpint(ops->route_add(net, &r, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(last_call(), ==, "RTM_ADD 10.2.0.0/24 dev 'utun3' gw - src 10.9.0.7");
	r = route_of("2001:db8:2::/64", "utun3", NULL, NULL);
	g_assert_cmpint(ops->route_add(net, &r, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(last_call(), ==, "RTM_ADD 2001:db8:2::/64 dev 'utun3' gw - src -");
	r = route_of("203.0.113.9/32", "em0", "192.0.2.254", "192.0.2.1");
	g_assert_cmpint(ops->route_del(net, &r, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(last_call(), ==, "RTM_DELETE 203.0.113.9/32 dev 'em0' gw 192.0.2.254 src 192.0.2.1");
	teardown();
}

static void test_bad_routes_refused_before_os(void)
{
	uipsec_err_t err = { "" };
	setup();
	guint before = os.calls->len;
	uipsec_route_t r = route_of("10.2.0.0/24", "", NULL, NULL);   /* neither device nor gateway */
	g_assert_cmpint(ops->route_add(net, &r, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpstr(err.msg, !=, "");
	r = route_of("10.2.0.0/24", "em0", "2001:db8::1", NULL);      /* gateway of the other family */
	g_assert_cmpint(ops->route_add(net, &r, &err), ==, UIPSEC_ERR_INVAL);
	r = route_of("10.2.0.0/24", "em0", NULL, NULL);
	r.dst.len = 33;
	g_assert_cmpint(ops->route_add(net, &r, &err), ==, UIPSEC_ERR_INVAL);
	r.dst.addr.family = 0;
	g_assert_cmpint(ops->route_del(net, &r, &err), ==, UIPSEC_ERR_INVAL);
	uipsec_prefix_t p;
	g_assert_true(uipsec_prefix_parse("10.9.0.7/32", &p));
	p.len = 40;
	g_assert_cmpint(ops->addr_add(net, "utun3", &p, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpint(ops->addr_add(net, NULL, &p, &err), ==, UIPSEC_ERR_INVAL);
	uipsec_addr_t none = { 0 };
	uipsec_route_lookup_t lk;
	g_assert_cmpint(ops->route_get(net, &none, 0, &lk, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpuint(os.calls->len, ==, before);
	teardown();
}

/* The kernel's errno becomes the matching status; its message is passed on. */
static void test_errno_mapping(void)
{
	static const struct { int e; int status; } map[] = {
		{ EEXIST, UIPSEC_ERR_EXISTS }, { ESRCH, UIPSEC_ERR_NOTFOUND }, { ENXIO, UIPSEC_ERR_NOTFOUND },
		{ EADDRNOTAVAIL, UIPSEC_ERR_NOTFOUND }, { EPERM, UIPSEC_ERR_PERM }, { EACCES, UIPSEC_ERR_PERM },
		{ EINVAL, UIPSEC_ERR_INVAL }, { EAFNOSUPPORT, UIPSEC_ERR_NOTSUP }, { ENOBUFS, UIPSEC_ERR_NOMEM },
		{ ENETUNREACH, UIPSEC_ERR_IO },
	};
	setup();
	uipsec_route_t r = route_of("10.2.0.0/24", "tun0", NULL, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
		uipsec_err_t err = { "" };
		os.fail_errno = map[i].e;
		g_assert_cmpint(ops->route_add(net, &r, &err), ==, map[i].status);
		g_assert_nonnull(strstr(err.msg, "RTM_ADD"));
		g_assert_nonnull(strstr(err.msg, g_strerror(map[i].e)));
	}
	teardown();
}

static void test_addresses_and_links(void)
{
	uipsec_err_t err = { "" };
	uipsec_prefix_t p;
	setup();
	g_assert_true(uipsec_prefix_parse("2001:db8:9::7/128", &p));
	g_assert_cmpint(ops->addr_add(net, "utun3", &p, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(last_call(), ==, "SIOCAIFADDR 2001:db8:9::7/128 on 'utun3'");
	g_assert_cmpint(ops->addr_del(net, "utun3", &p, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(last_call(), ==, "SIOCDIFADDR 2001:db8:9::7/128 on 'utun3'");
	g_assert_cmpint(ops->link_set(net, "utun3", true, 1400, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(last_call(), ==, "link 'utun3' up mtu 1400");
	os.fail_errno = ENXIO;
	g_assert_cmpint(ops->link_set(net, "utun9", false, 0, &err), ==, UIPSEC_ERR_NOTFOUND);
	g_assert_nonnull(strstr(err.msg, "SIOCSIFFLAGS"));
	teardown();
}

static void addr_seen(const char *ifname, const uipsec_prefix_t *a, void *user)
{
	char buf[UIPSEC_PREFIX_STRLEN];
	g_ptr_array_add(user, g_strdup_printf("%s %s", ifname, uipsec_prefix_str(a, buf, sizeof(buf))));
}

static void test_lookup_and_addresses(void)
{
	uipsec_err_t err = { "" };
	uipsec_route_lookup_t lk;
	uipsec_addr_t dst;
	char buf[64];
	setup();
	os.answer.has_gateway = true;
	os.answer.gateway.family = AF_INET;
	memcpy(os.answer.gateway.bytes, (uint8_t[]){ 192, 0, 2, 254 }, 4);
	os.answer.has_src = true;
	os.answer.src.family = AF_INET;
	memcpy(os.answer.src.bytes, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	g_strlcpy(os.answer.ifname, "em0", sizeof(os.answer.ifname));
	g_assert_true(uipsec_addr_parse("203.0.113.9", &dst));
	g_assert_cmpint(ops->route_get(net, &dst, 0x42, &lk, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(last_call(), ==, "RTM_GET 203.0.113.9");
	g_assert_true(lk.has_gateway);
	g_assert_cmpstr(uipsec_addr_str(&lk.gateway, buf, sizeof(buf)), ==, "192.0.2.254");
	g_assert_cmpstr(uipsec_addr_str(&lk.src, buf, sizeof(buf)), ==, "192.0.2.1");
	g_assert_cmpstr(lk.ifname, ==, "em0");

	GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
	g_assert_cmpint(ops->addrs_foreach(net, addr_seen, seen, &err), ==, UIPSEC_OK);
	g_assert_cmpuint(seen->len, ==, 1);
	/* an interface address keeps its host bits */
	g_assert_cmpstr(g_ptr_array_index(seen, 0), ==, "em0 2001:db8::1/64");
	g_ptr_array_unref(seen);
	teardown();
}

static void test_flush(void)
{
	uipsec_err_t err = { "" };
	setup();
	os.flushed = 2;
	g_assert_cmpint(ops->flush(net, 0, 0, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(last_call(), ==, "flush");
	os.fail_errno = EPERM;
	g_assert_cmpint(ops->flush(net, 0, 0, &err), ==, UIPSEC_ERR_PERM);
	g_assert_nonnull(strstr(err.msg, "NET_RT_DUMP"));
	teardown();
}

static void event_seen(const uipsec_net_event_t *ev, void *user)
{
	char buf[UIPSEC_PREFIX_STRLEN];
	static const char *names[] = { [UIPSEC_NET_ADDR_ADDED] = "added", [UIPSEC_NET_ADDR_REMOVED] = "removed",
	                               [UIPSEC_NET_LINK_UP] = "up", [UIPSEC_NET_LINK_DOWN] = "down" };
	bool addr = ev->type == UIPSEC_NET_ADDR_ADDED || ev->type == UIPSEC_NET_ADDR_REMOVED;
	g_ptr_array_add(user, g_strdup_printf("%s %s%s%s", names[ev->type], ev->ifname, addr ? " " : "",
	                                      addr ? uipsec_prefix_str(&ev->addr, buf, sizeof(buf)) : ""));
}

static void test_events(void)
{
	GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
	setup();
	g_assert_cmpint(ops->event_fd(net), ==, 42);
	os.n_events = 4;
	os.events[0] = (pfr_event_t){ .type = PFR_EV_ADDR_ADDED, .ifname = "em0", .prefixlen = 24,
	                              .addr = { .family = AF_INET, .bytes = { 192, 0, 2, 7 } } };
	os.events[1] = (pfr_event_t){ .type = PFR_EV_ADDR_REMOVED, .ifname = "em0", .prefixlen = 24,
	                              .addr = { .family = AF_INET, .bytes = { 192, 0, 2, 7 } } };
	os.events[2] = (pfr_event_t){ .type = PFR_EV_LINK_DOWN, .ifname = "em1" };
	os.events[3] = (pfr_event_t){ .type = PFR_EV_LINK_UP, .ifname = "em1" };
	ops->event_dispatch(net);   /* no callback yet: dropped */
	ops->set_event_cb(net, event_seen, seen);
	ops->event_dispatch(net);
	g_assert_cmpuint(seen->len, ==, 4);
	g_assert_cmpstr(g_ptr_array_index(seen, 0), ==, "added em0 192.0.2.7/24");
	g_assert_cmpstr(g_ptr_array_index(seen, 1), ==, "removed em0 192.0.2.7/24");
	g_assert_cmpstr(g_ptr_array_index(seen, 2), ==, "down em1");
	g_assert_cmpstr(g_ptr_array_index(seen, 3), ==, "up em1");
	g_ptr_array_unref(seen);
	teardown();
}

static void test_create_fails_with_os_message(void)
{
	uipsec_err_t err = { "" };
	uipsec_net_t *n = NULL;
	memset(&os, 0, sizeof(os));
	os.calls = g_ptr_array_new_with_free_func(g_free);
	ops = uipsec_plugin_net_pfroute.features[0].ops;
	os.fail_errno = EACCES;
	g_assert_cmpint(ops->create(NULL, &n, &err), ==, UIPSEC_ERR_PERM);
	g_assert_null(n);
	g_assert_nonnull(strstr(err.msg, "PF_ROUTE"));
	g_ptr_array_unref(os.calls);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/net-pfroute-glue/descriptor", test_descriptor);
	g_test_add_func("/net-pfroute-glue/get-routing-no-table", test_get_routing_no_table);
	g_test_add_func("/net-pfroute-glue/routes-reach-os", test_routes_reach_os);
	g_test_add_func("/net-pfroute-glue/bad-routes-refused-before-os", test_bad_routes_refused_before_os);
	g_test_add_func("/net-pfroute-glue/errno-mapping", test_errno_mapping);
	g_test_add_func("/net-pfroute-glue/addresses-and-links", test_addresses_and_links);
	g_test_add_func("/net-pfroute-glue/lookup-and-addresses", test_lookup_and_addresses);
	g_test_add_func("/net-pfroute-glue/flush", test_flush);
	g_test_add_func("/net-pfroute-glue/events", test_events);
	g_test_add_func("/net-pfroute-glue/create-fails-with-os-message", test_create_fails_with_os_message);
	return g_test_run();
}
