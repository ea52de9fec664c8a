/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SPD: table-driven matching (specific vs. general, ports, protocols,
 * ICMP, priorities, bypass/drop/trap), ranges, flow cache invalidation,
 * 10 000 policies against a linear reference. */
#include "config.h"
#include <glib.h>
#include "esp/sad.h"
#include "esp/spd.h"

typedef struct pol_def {
	const char *name;
	spd_dir_t dir;
	spd_action_t action;
	uint32_t prio;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sp_from, sp_to, dp_from, dp_to;   /* 0,0 = any */
} pol_def_t;

typedef struct case_def {
	spd_dir_t dir;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	const char *want;     /* policy name or NULL */
} case_def_t;

static const pol_def_t policies[] = {
	{ "v4-any-bypass", SPD_DIR_OUT, SPD_BYPASS, 0, "0.0.0.0/0", "0.0.0.0/0", 0, 0, 0, 0, 0 },
	{ "net-b", SPD_DIR_OUT, SPD_PROTECT, 0, "10.1.0.0/16", "10.2.0.0/16", 0, 0, 0, 0, 0 },
	{ "net-b-web", SPD_DIR_OUT, SPD_PROTECT, 0, "10.1.0.0/16", "10.2.0.0/24", IP_PROTO_TCP, 0, 0, 443, 443 },
	{ "host-drop", SPD_DIR_OUT, SPD_DROP, 0, "10.1.0.0/16", "10.2.0.66/32", 0, 0, 0, 0, 0 },
	{ "dns-bypass", SPD_DIR_OUT, SPD_BYPASS, 0, "10.1.0.0/16", "10.2.0.0/16", IP_PROTO_UDP, 0, 0, 53, 53 },
	{ "range-trap", SPD_DIR_OUT, SPD_TRAP, 0, "10.1.0.0/16", "10.3.0.5-10.3.0.77", 0, 0, 0, 0, 0 },
	{ "prio-wins", SPD_DIR_OUT, SPD_DROP, 500, "10.9.0.0/16", "10.8.0.0/16", 0, 0, 0, 0, 0 },
	{ "specific-loses", SPD_DIR_OUT, SPD_PROTECT, 0, "10.9.1.0/24", "10.8.1.1/32", 0, 0, 0, 0, 0 },
	{ "icmp-echo", SPD_DIR_OUT, SPD_BYPASS, 0, "10.1.0.0/16", "10.2.0.0/16", IP_PROTO_ICMP, 8, 8, 0, 255 },
	{ "sport-range", SPD_DIR_OUT, SPD_DROP, 0, "10.1.0.0/16", "10.2.0.0/16", IP_PROTO_TCP, 1000, 1999, 0, 0 },
	{ "v6-net", SPD_DIR_OUT, SPD_PROTECT, 0, "2001:db8:1::/48", "2001:db8:2::/48", 0, 0, 0, 0, 0 },
	{ "v6-host", SPD_DIR_OUT, SPD_BYPASS, 0, "2001:db8:1::/48", "2001:db8:2::1", 0, 0, 0, 0, 0 },
	{ "in-net-b", SPD_DIR_IN, SPD_PROTECT, 0, "10.2.0.0/16", "10.1.0.0/16", 0, 0, 0, 0, 0 },
	{ "low-prio", SPD_DIR_OUT, SPD_DROP, 2000, "10.1.0.0/16", "10.2.0.77/32", 0, 0, 0, 0, 0 },
};

static const case_def_t cases[] = {
	{ SPD_DIR_OUT, "10.1.2.3", "10.2.5.5", IP_PROTO_TCP, 40000, 80, "net-b" },
	{ SPD_DIR_OUT, "10.1.2.3", "10.2.0.5", IP_PROTO_TCP, 40000, 443, "net-b-web" },
	{ SPD_DIR_OUT, "10.1.2.3", "10.2.1.5", IP_PROTO_TCP, 40000, 443, "net-b" },
	{ SPD_DIR_OUT, "10.1.2.3", "10.2.0.5", IP_PROTO_UDP, 40000, 443, "net-b" },
	{ SPD_DIR_OUT, "10.1.2.3", "10.2.0.66", IP_PROTO_TCP, 40000, 443, "host-drop" },
	{ SPD_DIR_OUT, "10.1.2.3", "10.2.9.9", IP_PROTO_UDP, 5353, 53, "dns-bypass" },
	{ SPD_DIR_OUT, "10.1.2.3", "10.3.0.5", IP_PROTO_UDP, 1, 2, "range-trap" },
	{ SPD_DIR_OUT, "10.1.2.3", "10.3.0.77", IP_PROTO_UDP, 1, 2, "range-trap" },
	{ SPD_DIR_OUT, "10.1.2.3", "10.3.0.64", IP_PROTO_UDP, 1, 2, "range-trap" },
	{ SPD_DIR_OUT, "10.1.2.3", "10.3.0.4", IP_PROTO_UDP, 1, 2, "v4-any-bypass" },
	{ SPD_DIR_OUT, "10.1.2.3", "10.3.0.78", IP_PROTO_UDP, 1, 2, "v4-any-bypass" },
	{ SPD_DIR_OUT, "10.9.1.1", "10.8.1.1", IP_PROTO_TCP, 1, 2, "prio-wins" },
	{ SPD_DIR_OUT, "10.1.0.1", "10.2.3.4", IP_PROTO_ICMP, 8, 0, "icmp-echo" },
	{ SPD_DIR_OUT, "10.1.0.1", "10.2.3.4", IP_PROTO_ICMP, 0, 0, "net-b" },
	{ SPD_DIR_OUT, "10.1.0.1", "10.2.3.4", IP_PROTO_TCP, 1500, 22, "sport-range" },
	{ SPD_DIR_OUT, "10.1.0.1", "10.2.3.4", IP_PROTO_TCP, 2000, 22, "net-b" },
	{ SPD_DIR_OUT, "10.1.0.1", "10.2.0.77", IP_PROTO_TCP, 2000, 22, "net-b" },
	{ SPD_DIR_OUT, "2001:db8:1::5", "2001:db8:2::5", IP_PROTO_TCP, 1, 2, "v6-net" },
	{ SPD_DIR_OUT, "2001:db8:1::5", "2001:db8:2::1", IP_PROTO_TCP, 1, 2, "v6-host" },
	{ SPD_DIR_OUT, "2001:db8:3::5", "2001:db8:2::1", IP_PROTO_TCP, 1, 2, NULL },
	{ SPD_DIR_IN, "10.2.0.1", "10.1.0.1", IP_PROTO_TCP, 1, 2, "in-net-b" },
	{ SPD_DIR_IN, "10.1.0.1", "10.2.0.1", IP_PROTO_TCP, 1, 2, NULL },
	{ SPD_DIR_OUT, "192.0.2.1", "198.51.100.1", IP_PROTO_TCP, 1, 2, "v4-any-bypass" },
};

static void make_flow(ip_flow_t *f, const char *src, const char *dst, uint8_t proto,
                      uint16_t sport, uint16_t dport)
{
	memset(f, 0, sizeof(*f));
	g_assert_true(uipsec_addr_parse(src, &f->src));
	g_assert_true(uipsec_addr_parse(dst, &f->dst));
	f->proto = proto;
	f->sport = sport;
	f->dport = dport;
}

static uint32_t install(const pol_def_t *d)
{
	spd_policy_cfg_t cfg = { 0 };
	uipsec_addr_t a;
	g_assert_true(uipsec_addr_parse(strchr(d->src, ':') ? "::" : "0.0.0.0", &a));
	spd_sel_any(&cfg.sel, a.family);
	g_assert_true(spd_sel_parse_addr(&cfg.sel, false, d->src));
	g_assert_true(spd_sel_parse_addr(&cfg.sel, true, d->dst));
	cfg.sel.proto = d->proto;
	if (d->sp_from || d->sp_to) {
		cfg.sel.sport_from = d->sp_from;
		cfg.sel.sport_to = d->sp_to;
	}
	if (d->dp_from || d->dp_to) {
		cfg.sel.dport_from = d->dp_from;
		cfg.sel.dport_to = d->dp_to;
	}
	cfg.dir = d->dir;
	cfg.action = d->action;
	cfg.priority = d->prio;
	cfg.tunnel = d->name;
	uint32_t id = 0;
	uipsec_err_t err;
	g_assert_cmpint(spd_add(&cfg, &id, &err), ==, UIPSEC_OK);
	g_assert_cmpuint(id, >, 0);
	/* the identical policy again is refused */
	g_assert_cmpint(spd_add(&cfg, NULL, &err), ==, UIPSEC_ERR_EXISTS);
	return id;
}

static void test_table(void)
{
	spd_flush();
	for (size_t i = 0; i < G_N_ELEMENTS(policies); i++)
		install(&policies[i]);
	spd_cache_t *cache = spd_cache_new(4);
	for (int round = 0; round < 2; round++) {   /* second round: from the flow cache */
		for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
			const case_def_t *c = &cases[i];
			ip_flow_t f;
			make_flow(&f, c->src, c->dst, c->proto, c->sport, c->dport);
			db_read_lock();
			const spd_policy_t *p = spd_lookup(c->dir, &f);
			const spd_policy_t *pc = spd_cache_lookup(cache, c->dir, &f);
			const char *got = p ? p->tunnel : NULL;
			g_test_message("case %zu: %s -> %s want %s", i, c->src, c->dst, c->want);
			g_assert_cmpstr(got, ==, c->want);
			g_assert_true(p == pc);
			db_read_unlock();
		}
	}
	spd_cache_free(cache);
	spd_flush();
}

/* Deleting a policy makes the cache forget it at once. */
static void test_cache_invalidation(void)
{
	spd_flush();
	uint32_t any = install(&policies[0]);
	uint32_t net = install(&policies[1]);
	spd_cache_t *cache = spd_cache_new(8);
	ip_flow_t f;
	make_flow(&f, "10.1.0.1", "10.2.0.1", IP_PROTO_TCP, 1, 2);
	db_read_lock();
	g_assert_cmpuint(spd_cache_lookup(cache, SPD_DIR_OUT, &f)->id, ==, net);
	db_read_unlock();
	g_assert_cmpint(spd_del(net), ==, UIPSEC_OK);
	g_assert_cmpint(spd_del(net), ==, UIPSEC_ERR_NOTFOUND);
	db_read_lock();
	g_assert_cmpuint(spd_cache_lookup(cache, SPD_DIR_OUT, &f)->id, ==, any);
	db_read_unlock();
	g_assert_cmpint(spd_del(any), ==, UIPSEC_OK);
	db_read_lock();
	g_assert_null(spd_cache_lookup(cache, SPD_DIR_OUT, &f));
	db_read_unlock();
	g_assert_cmpuint(spd_count(), ==, 0);
	spd_cache_free(cache);
}

static void test_bad_selectors(void)
{
	spd_sel_t s;
	spd_sel_any(&s, AF_INET);
	g_assert_false(spd_sel_parse_addr(&s, true, "10.0.0.0/33"));
	g_assert_false(spd_sel_parse_addr(&s, true, "2001:db8::/64"));   /* family mismatch */
	g_assert_false(spd_sel_parse_addr(&s, true, "10.0.0.9-10.0.0.1"));
	g_assert_false(spd_sel_parse_addr(&s, true, "bogus"));
	g_assert_false(spd_sel_parse_addr(&s, true, "10.0.0.0/"));
	spd_policy_cfg_t cfg = { 0 };
	spd_sel_any(&cfg.sel, AF_INET);
	cfg.sel.sport_from = 10;
	cfg.sel.sport_to = 5;
	uipsec_err_t err;
	g_assert_cmpint(spd_add(&cfg, NULL, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_nonnull(strstr(err.msg, "port"));
	cfg.sel.family = 0;
	g_assert_cmpint(spd_add(&cfg, NULL, &err), ==, UIPSEC_ERR_INVAL);
}

/* Reference: the best policy by a linear scan. */
static const spd_policy_t *linear_best(GPtrArray *all, spd_dir_t dir, const ip_flow_t *f)
{
	const spd_policy_t *best = NULL;
	for (guint i = 0; i < all->len; i++) {
		const spd_policy_t *p = g_ptr_array_index(all, i);
		if (p->dir != dir || !spd_sel_match(&p->sel, f))
			continue;
		if (!best || p->priority < best->priority ||
		    (p->priority == best->priority && (p->specificity > best->specificity ||
		     (p->specificity == best->specificity && p->id < best->id))))
			best = p;
	}
	return best;
}

static void collect(const spd_policy_t *p, void *user) { g_ptr_array_add(user, (gpointer)p); }

static void test_10k_random(void)
{
	spd_flush();
	GRand *rnd = g_rand_new_with_seed(7);
	int installed = 0;
	for (int i = 0; installed < 10000; i++) {
		spd_policy_cfg_t cfg = { 0 };
		spd_sel_any(&cfg.sel, AF_INET);
		uipsec_addr_t a = { .family = AF_INET, .bytes = { 10, (uint8_t)g_rand_int_range(rnd, 0, 4),
		                (uint8_t)g_rand_int_range(rnd, 0, 256), (uint8_t)g_rand_int_range(rnd, 0, 256) } };
		spd_sel_set_prefix(&cfg.sel, true, &a, (unsigned)g_rand_int_range(rnd, 8, 33));
		a.bytes[1] = (uint8_t)g_rand_int_range(rnd, 0, 4);
		spd_sel_set_prefix(&cfg.sel, false, &a, (unsigned)g_rand_int_range(rnd, 0, 33));
		if (g_rand_boolean(rnd)) {
			cfg.sel.proto = g_rand_boolean(rnd) ? IP_PROTO_TCP : IP_PROTO_UDP;
			uint16_t port = (uint16_t)g_rand_int_range(rnd, 0, 100);
			cfg.sel.dport_from = port;
			cfg.sel.dport_to = (uint16_t)(port + g_rand_int_range(rnd, 0, 20));
		}
		cfg.priority = g_rand_int_range(rnd, 0, 4) == 0 ? (uint32_t)g_rand_int_range(rnd, 900, 1100) : 0;
		cfg.action = (spd_action_t)g_rand_int_range(rnd, 0, 4);
		cfg.dir = SPD_DIR_OUT;
		if (spd_add(&cfg, NULL, NULL) == UIPSEC_OK)
			installed++;
	}
	g_assert_cmpuint(spd_count(), ==, 10000);
	GPtrArray *all = g_ptr_array_new();
	db_read_lock();
	spd_foreach(collect, all);
	unsigned hits = 0;
	for (int i = 0; i < 20000; i++) {
		ip_flow_t f = { 0 };
		f.src.family = f.dst.family = AF_INET;
		f.src.bytes[0] = f.dst.bytes[0] = 10;
		for (int b = 1; b < 4; b++) {
			f.src.bytes[b] = (uint8_t)g_rand_int_range(rnd, 0, b == 1 ? 4 : 256);
			f.dst.bytes[b] = (uint8_t)g_rand_int_range(rnd, 0, b == 1 ? 4 : 256);
		}
		f.proto = g_rand_boolean(rnd) ? IP_PROTO_TCP : IP_PROTO_UDP;
		f.sport = (uint16_t)g_rand_int_range(rnd, 0, 65536);
		f.dport = (uint16_t)g_rand_int_range(rnd, 0, 120);
		const spd_policy_t *want = linear_best(all, SPD_DIR_OUT, &f);
		g_assert_true(spd_lookup(SPD_DIR_OUT, &f) == want);
		hits += want != NULL;
	}
	db_read_unlock();
	g_assert_cmpuint(hits, >, 1000);   /* the test exercised matches, not just misses */
	g_ptr_array_free(all, TRUE);
	g_rand_free(rnd);
	spd_flush();
	g_assert_cmpuint(spd_count(), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	spd_init();
	g_test_add_func("/spd/table", test_table);
	g_test_add_func("/spd/cache-invalidation", test_cache_invalidation);
	g_test_add_func("/spd/bad-selectors", test_bad_selectors);
	g_test_add_func("/spd/10k-random", test_10k_random);
	return g_test_run();
}
