/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mapping event (core/datapath/mapping.c): once per change of the
 * peer's endpoint however many workers report it, nothing while the peer
 * is where the outbound SA sends, at most once per interval per SA (a
 * change inside it raised at its end, dropped if the peer went back). */
#include "config.h"
#include "esp_test_util.h"
#include "datapath/mapping.h"
#include "datapath/udp_socket.h"

static GArray *events_seen;
static void on_event(const event_t *ev, void *user) { (void)user; g_array_append_val(events_seen, *ev); }
static uint8_t key[20];

static ip_endpoint_t ep(const char *addr, uint16_t port)
{
	ip_endpoint_t e = { .port = port };
	g_assert_true(uipsec_addr_parse(addr, &e.addr));
	return e;
}

/* Run the main context for ms milliseconds (the interval's timer). */
static void run_for(unsigned ms)
{
	int64_t end = g_get_monotonic_time() + ms * 1000;
	while (g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE), g_usleep(1000);
}

static void test_once_per_change(void)
{
	g_assert_true(esp_test_load_crypto("crypto-openssl"));
	esp_test_reset(events_seen);
	mapping_reset();
	sa_cfg_t c;
	/* the pair at 192.0.2.1: outbound 0x2000 to 192.0.2.2:4500, inbound 0x1000 */
	esp_test_sa_cfg(&c, SA_DIR_OUT, 0x2000, "aes128gcm16", key, 20, NULL, 0, false);
	g_assert_cmpint(sad_add(&c, NULL), ==, UIPSEC_OK);
	esp_test_sa_cfg(&c, SA_DIR_IN, 0x1000, "aes128gcm16", key, 20, NULL, 0, false);
	c.src = c.dst;
	g_assert_true(uipsec_addr_parse("192.0.2.1", &c.dst.addr));
	c.ts_mode = SA_TS_ANY;
	g_assert_cmpint(sad_add(&c, NULL), ==, UIPSEC_OK);
	events_dispatch();
	g_array_set_size(events_seen, 0);

	ip_endpoint_t old = ep("192.0.2.2", 4500), nat = ep("192.0.2.2", 4501), third = ep("198.51.100.7", 4500);
	mapping_report(1, 0x1000, &old);            /* where we send: nothing */
	g_assert_cmpuint(esp_test_count_events(events_seen, EVENT_MAPPING, 0), ==, 0);
	for (int worker = 0; worker < 4; worker++)  /* one change, every worker reports it */
		mapping_report(1, 0x1000, &nat);
	g_assert_cmpuint(esp_test_count_events(events_seen, EVENT_MAPPING, 0x1000), ==, 1);
	const event_t *e = &g_array_index(events_seen, event_t, 0);
	g_assert_true(udp_endpoint_equal(&e->src, &old));
	g_assert_true(udp_endpoint_equal(&e->dst, &nat));
	g_assert_cmpuint(e->reqid, ==, 1);
	g_assert_cmpuint(e->dir, ==, SA_DIR_IN);
	mapping_report(2, 0x1000, &third);          /* not this SA's reqid: nothing */
	mapping_report(1, 0x7777, &third);          /* no such SA */
	g_assert_cmpuint(esp_test_count_events(events_seen, EVENT_MAPPING, 0), ==, 1);

	/* a third endpoint inside the interval: raised when it ends */
	mapping_report(1, 0x1000, &third);
	g_assert_cmpuint(esp_test_count_events(events_seen, EVENT_MAPPING, 0), ==, 1);
	run_for(MAPPING_INTERVAL_MS + 200);
	g_assert_cmpuint(esp_test_count_events(events_seen, EVENT_MAPPING, 0), ==, 2);
	g_assert_true(udp_endpoint_equal(&g_array_index(events_seen, event_t, 1).dst, &third));

	/* inside the next interval: away and back again cancels the pending one */
	mapping_report(1, 0x1000, &nat);
	mapping_report(1, 0x1000, &third);
	run_for(MAPPING_INTERVAL_MS + 200);
	g_assert_cmpuint(esp_test_count_events(events_seen, EVENT_MAPPING, 0), ==, 2);
	/* the same change reported again later (a worker checking again): nothing */
	mapping_report(1, 0x1000, &third);
	g_assert_cmpuint(esp_test_count_events(events_seen, EVENT_MAPPING, 0), ==, 2);
	mapping_reset();
	esp_test_reset(events_seen);
	esp_test_unload();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 5 + 1);
	events_seen = g_array_new(FALSE, FALSE, sizeof(event_t));
	sad_init();
	events_subscribe(0, on_event, NULL);
	g_test_add_func("/mapping/once-per-change", test_once_per_change);
	int rc = g_test_run();
	events_reset();
	g_array_unref(events_seen);
	return rc;
}
