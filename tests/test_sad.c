/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SAD replace (update-sa, and migrate): the same keys continue the
 * outbound sequence numbers and the replay window, new keys start afresh,
 * a failed replace leaves the old SA working, readers never miss the SA
 * while it is replaced under traffic, and replay_copy() between windows
 * of different sizes. */
#include "config.h"
#include "esp_test_util.h"

static pktbuf_pool_t *pool;
static esp_worker_t *worker;
static GArray *events_seen;
static void on_event(const event_t *ev, void *user) { (void)user; g_array_append_val(events_seen, *ev); }

static unsigned count_events(event_type_t t) { return esp_test_count_events(events_seen, t, 0); }
static void reset_all(void) { esp_test_reset(events_seen); }

static uint8_t key_a[20], key_b[20];

/* cfg of the outbound SA us -> peer or its inbound twin at the peer */
static void cfg(sa_cfg_t *c, sa_dir_t dir, uint32_t spi, const uint8_t *key)
{
	esp_test_sa_cfg(c, dir, spi, "aes128gcm16", key, 20, NULL, 0, false);
	c->replay_window = 64;
}

static void install(uint32_t spi, const uint8_t *key)
{
	sa_cfg_t c;
	cfg(&c, SA_DIR_OUT, spi, key);
	g_assert_cmpint(sad_add(&c, NULL), ==, UIPSEC_OK);
	cfg(&c, SA_DIR_IN, spi, key);
	g_assert_cmpint(sad_add(&c, NULL), ==, UIPSEC_OK);
}

/* The sequence number of an encapsulated packet (p starts at ESP). */
static uint32_t wire_seq(const uipsec_pkt_t *p)
{
	const uint8_t *e = uipsec_pkt_data((uipsec_pkt_t *)p);
	return (uint32_t)e[4] << 24 | (uint32_t)e[5] << 16 | (uint32_t)e[6] << 8 | e[7];
}

/* A packet encapsulated with the outbound SA spi; *seq: its wire number. */
static uipsec_pkt_t *send_one(uint32_t spi, uint32_t *seq, esp_result_t *r)
{
	uipsec_pkt_t *p = pktbuf_alloc(pool);
	esp_test_inner(p, false, 100, 0x42);
	db_read_lock();
	sa_t *sa = sad_lookup_out(spi);
	g_assert_nonnull(sa);
	g_assert_cmpint(esp_encap_sa(worker, sa, p, r), ==, ESP_SEND);
	db_read_unlock();
	*seq = wire_seq(p);
	g_assert_cmpuint(esp_test_outer_push(p, r), >, 0);   /* as on the wire: receive() strips it */
	return p;
}

/* Decapsulate (consumes a copy, keeps p); returns the verdict. */
static esp_verdict_t receive(const uipsec_pkt_t *p, esp_result_t *r)
{
	uipsec_pkt_t *c = esp_test_copy_pkt(pool, p);
	esp_in_meta_t meta;
	g_assert_true(esp_strip_outer(c, &meta));
	db_read_lock();
	esp_decap_batch(worker, &c, 1, &meta, r);
	db_read_unlock();
	pktbuf_free(pool, c);
	return r->verdict;
}

static uint64_t sa_field(sa_dir_t dir, uint32_t spi, int what)
{
	db_read_lock();
	sa_t *sa = dir == SA_DIR_IN ? sad_lookup_spi(spi, NULL) : sad_lookup_out(spi);
	g_assert_nonnull(sa);
	uint64_t v = what == 0 ? atomic_load(&sa->seq_out) : what == 1 ? atomic_load(&sa->ctr.packets)
	           : what == 2 ? atomic_load(&sa->seq_limit) : sa->dst.port;
	db_read_unlock();
	return v;
}

/* ------------------------------------------------------------ same keys */

static void test_same_keys(void)
{
	g_assert_true(esp_test_load_crypto("crypto-openssl"));
	install(0x5000, key_a);
	uipsec_pkt_t *pk[10];
	esp_result_t r;
	for (uint32_t i = 0; i < 10; i++) {
		uint32_t seq;
		pk[i] = send_one(0x5000, &seq, &r);
		g_assert_cmpuint(seq, ==, i + 1);
		g_assert_cmpint(receive(pk[i], &r), ==, ESP_DELIVER);
	}
	events_dispatch();   /* the adds */
	g_array_set_size(events_seen, 0);

	/* update both with the same keys; the outbound one to a new peer port */
	sa_cfg_t c;
	uipsec_err_t err = { "" };
	cfg(&c, SA_DIR_OUT, 0x5000, key_a);
	c.dst.port = 4501;
	c.soft.packets = 1000;   /* lifetimes may change */
	g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5000, NULL, &c, 0, &err), ==, UIPSEC_OK);
	cfg(&c, SA_DIR_IN, 0x5000, key_a);
	g_assert_cmpint(sad_replace(SA_DIR_IN, 0x5000, &c.dst.addr, &c, 0, &err), ==, UIPSEC_OK);
	g_assert_cmpuint(sad_count(), ==, 2);

	/* outbound continues at 11, to the new port; counters continue */
	g_assert_cmpuint(sa_field(SA_DIR_OUT, 0x5000, 0), ==, 10);
	g_assert_cmpuint(sa_field(SA_DIR_OUT, 0x5000, 1), ==, 10);
	g_assert_cmpuint(sa_field(SA_DIR_OUT, 0x5000, 3), ==, 4501);
	uint32_t seq;
	uipsec_pkt_t *next = send_one(0x5000, &seq, &r);
	g_assert_cmpuint(seq, ==, 11);
	g_assert_cmpuint(r.peer.port, ==, 4501);
	/* inbound: what was received before is still a replay, 11 is new */
	for (int i = 0; i < 10; i++) {
		g_assert_cmpint(receive(pk[i], &r), ==, ESP_DROP);
		g_assert_cmpint(r.reason, ==, STAT_REPLAY_DROPPED);
	}
	g_assert_cmpint(receive(next, &r), ==, ESP_DELIVER);
	g_assert_cmpint(receive(next, &r), ==, ESP_DROP);
	g_assert_cmpuint(sa_field(SA_DIR_IN, 0x5000, 1), ==, 11);
	/* subscribers see two updates, not a delete and an add */
	g_assert_cmpuint(count_events(EVENT_SA_UPDATED), ==, 2);
	g_assert_cmpuint(count_events(EVENT_SA_DELETED), ==, 0);
	g_assert_cmpuint(count_events(EVENT_SA_ADDED), ==, 0);
	g_assert_cmpstr(event_type_name(EVENT_SA_UPDATED), ==, "sa-updated");

	/* a larger window after the update: numbers left of the old window
	 * stay refused, the ones seen too */
	cfg(&c, SA_DIR_IN, 0x5000, key_a);
	c.replay_window = 1024;
	g_assert_cmpint(sad_replace(SA_DIR_IN, 0x5000, NULL, &c, 0, &err), ==, UIPSEC_OK);
	g_assert_cmpint(receive(pk[0], &r), ==, ESP_DROP);
	g_assert_cmpint(receive(next, &r), ==, ESP_DROP);
	for (int i = 0; i < 10; i++)
		pktbuf_free(pool, pk[i]);
	pktbuf_free(pool, next);
	reset_all();

	/* a persisted reservation (seq_store.h) carries over: the tunnel that
	 * owns it keeps raising the limit of whatever SA has the SPI */
	cfg(&c, SA_DIR_OUT, 0x5001, key_a);
	c.seq_reserved = 1000;
	c.seq_wake = 500;
	g_assert_cmpint(sad_add(&c, NULL), ==, UIPSEC_OK);
	cfg(&c, SA_DIR_OUT, 0x5001, key_a);
	g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5001, NULL, &c, 0, &err), ==, UIPSEC_OK);
	g_assert_cmpuint(sa_field(SA_DIR_OUT, 0x5001, 2), ==, 1000);
	reset_all();
	esp_test_unload();
}

/* ------------------------------------------------------------ new keys */

static void test_new_keys(void)
{
	g_assert_true(esp_test_load_crypto("crypto-openssl"));
	install(0x5100, key_a);
	esp_result_t r;
	uint32_t seq;
	uipsec_pkt_t *old = NULL;
	for (int i = 0; i < 5; i++) {
		if (old)
			pktbuf_free(pool, old);
		old = send_one(0x5100, &seq, &r);
	}
	sa_cfg_t c;
	uipsec_err_t err = { "" };
	cfg(&c, SA_DIR_OUT, 0x5100, key_b);
	g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5100, NULL, &c, 0, &err), ==, UIPSEC_OK);
	cfg(&c, SA_DIR_IN, 0x5100, key_b);
	g_assert_cmpint(sad_replace(SA_DIR_IN, 0x5100, NULL, &c, 0, &err), ==, UIPSEC_OK);
	/* a new key: numbers and counters start afresh */
	g_assert_cmpuint(sa_field(SA_DIR_OUT, 0x5100, 0), ==, 0);
	g_assert_cmpuint(sa_field(SA_DIR_OUT, 0x5100, 1), ==, 0);
	uipsec_pkt_t *p = send_one(0x5100, &seq, &r);
	g_assert_cmpuint(seq, ==, 1);
	g_assert_cmpint(receive(p, &r), ==, ESP_DELIVER);
	/* the old key's packets no longer verify */
	g_assert_cmpint(receive(old, &r), ==, ESP_DROP);
	g_assert_cmpint(r.reason, ==, STAT_AUTH_FAILED);
	pktbuf_free(pool, p);
	pktbuf_free(pool, old);
	reset_all();
	esp_test_unload();
}

/* ------------------------------------------------------------ failures */

static void test_failed_replace(void)
{
	g_assert_true(esp_test_load_crypto("crypto-openssl"));
	install(0x5200, key_a);
	esp_result_t r;
	uint32_t seq;
	for (int i = 0; i < 3; i++)
		pktbuf_free(pool, send_one(0x5200, &seq, &r));
	db_read_lock();
	sa_t *before_out = sad_lookup_out(0x5200), *before_in = sad_lookup_spi(0x5200, NULL);
	db_read_unlock();

	sa_cfg_t c;
	uipsec_err_t err = { "" };
	cfg(&c, SA_DIR_OUT, 0x5200, key_a);
	c.key_len = 7;   /* bad key length */
	g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5200, NULL, &c, 0, &err), !=, UIPSEC_OK);
	g_assert_cmpstr(err.msg, !=, "");
	err.msg[0] = '\0';
	cfg(&c, SA_DIR_IN, 0x5200, key_a);
	c.esp = "rot13";   /* unknown algorithm */
	g_assert_cmpint(sad_replace(SA_DIR_IN, 0x5200, NULL, &c, 0, &err), !=, UIPSEC_OK);
	g_assert_cmpstr(err.msg, !=, "");
	cfg(&c, SA_DIR_IN, 0x5200, key_a);
	c.replay_window = REPLAY_WINDOW_MAX + 1;
	g_assert_cmpint(sad_replace(SA_DIR_IN, 0x5200, NULL, &c, 0, &err), ==, UIPSEC_ERR_INVAL);
	/* no such SA; SPI or direction changed */
	cfg(&c, SA_DIR_OUT, 0x5299, key_a);
	g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5299, NULL, &c, 0, &err), ==, UIPSEC_ERR_NOTFOUND);
	g_assert_nonnull(strstr(err.msg, "0x00005299"));
	g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5200, NULL, &c, 0, &err), ==, UIPSEC_ERR_INVAL);
	cfg(&c, SA_DIR_IN, 0x5200, key_a);
	g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5200, NULL, &c, 0, &err), ==, UIPSEC_ERR_INVAL);
	/* an inbound SA moved onto another one's (SPI, dst) */
	cfg(&c, SA_DIR_IN, 0x5200, key_a);
	g_assert_true(uipsec_addr_parse("192.0.2.9", &c.dst.addr));
	g_assert_cmpint(sad_add(&c, NULL), ==, UIPSEC_OK);
	uipsec_addr_t d2;
	g_assert_true(uipsec_addr_parse("192.0.2.2", &d2));
	g_assert_cmpint(sad_replace(SA_DIR_IN, 0x5200, &d2, &c, 0, &err), ==, UIPSEC_ERR_EXISTS);
	g_assert_cmpint(sad_del(SA_DIR_IN, 0x5200, &c.dst.addr), ==, UIPSEC_OK);

	/* the old SAs are still there, untouched, and work */
	db_read_lock();
	g_assert_true(sad_lookup_out(0x5200) == before_out);
	g_assert_true(sad_lookup_spi(0x5200, NULL) == before_in);
	db_read_unlock();
	uipsec_pkt_t *p = send_one(0x5200, &seq, &r);
	g_assert_cmpuint(seq, ==, 4);
	g_assert_cmpint(receive(p, &r), ==, ESP_DELIVER);
	pktbuf_free(pool, p);
	g_assert_cmpuint(count_events(EVENT_SA_UPDATED), ==, 0);
	g_assert_cmpuint(count_events(EVENT_SA_DELETED), ==, 1);   /* the 192.0.2.9 one only */
	reset_all();
	esp_test_unload();
}

/* ------------------------------------------------------------ rank, migrate */

static void test_rank_and_migrate(void)
{
	g_assert_true(esp_test_load_crypto("crypto-openssl"));
	install(0x5300, key_a);
	install(0x5301, key_b);   /* newer SA of reqid 1: carries the traffic */
	sa_cfg_t c;
	uipsec_err_t err = { "" };
	cfg(&c, SA_DIR_OUT, 0x5300, key_a);
	g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5300, NULL, &c, 0, &err), ==, UIPSEC_OK);
	db_read_lock();
	g_assert_cmpuint(sad_out_by_reqid(1)->spi, ==, 0x5301);   /* an update does not take over */
	db_read_unlock();

	/* migrate: no keys given, new peer port and reqid; keys, numbers and
	 * counters continue, and it serves its new reqid */
	esp_result_t r;
	uint32_t seq;
	for (int i = 0; i < 3; i++)
		pktbuf_free(pool, send_one(0x5300, &seq, &r));
	sa_cfg_init(&c);
	c.spi = 0x5300;
	c.dir = SA_DIR_OUT;
	g_assert_true(uipsec_addr_parse("192.0.2.1", &c.src.addr));
	g_assert_true(uipsec_addr_parse("192.0.2.2", &c.dst.addr));
	c.dst.port = 4600;
	c.reqid = 7;
	g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5300, NULL, &c, SAD_REPLACE_KEEP_KEYS, &err), ==, UIPSEC_OK);
	db_read_lock();
	g_assert_cmpuint(sad_out_by_reqid(1)->spi, ==, 0x5301);
	g_assert_cmpuint(sad_out_by_reqid(7)->spi, ==, 0x5300);
	g_assert_cmpstr(sad_lookup_out(0x5300)->esp, ==, "aes128gcm16");
	db_read_unlock();
	uipsec_pkt_t *p = send_one(0x5300, &seq, &r);
	g_assert_cmpuint(seq, ==, 4);
	g_assert_cmpuint(r.peer.port, ==, 4600);
	g_assert_cmpint(receive(p, &r), ==, ESP_DELIVER);   /* the peer's SA has the old keys */
	pktbuf_free(pool, p);
	/* reqid 1 lost nothing but 0x5300; reqid 7 goes away with it */
	g_assert_cmpint(sad_del(SA_DIR_OUT, 0x5300, NULL), ==, UIPSEC_OK);
	db_read_lock();
	g_assert_null(sad_out_by_reqid(7));
	g_assert_cmpuint(sad_out_by_reqid(1)->spi, ==, 0x5301);
	db_read_unlock();
	cfg(&c, SA_DIR_OUT, 0x5300, key_a);
	g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5300, NULL, &c, SAD_REPLACE_KEEP_KEYS, &err), ==,
	                UIPSEC_ERR_NOTFOUND);
	reset_all();
	esp_test_unload();
}

/* ------------------------------------------------------------ concurrency */

typedef struct conc {
	volatile gint *stop;
	uint32_t id;
	uint64_t lookups, missing;
	uint64_t sent, delivered, no_sa, bad_spi, other, backwards;
	GArray *seqs;   /* wire sequence numbers this thread sent */
} conc_t;

/* Lookups in a loop: every index must always hold the SA. */
static gpointer lookup_thread(gpointer data)
{
	conc_t *c = data;
	uipsec_addr_t d2;
	uipsec_addr_parse("192.0.2.2", &d2);
	while (!g_atomic_int_get(c->stop)) {
		db_read_lock();
		c->missing += !sad_lookup_spi(0x5400, &d2) + !sad_lookup_spi(0x5400, NULL) +
		              !sad_lookup_out(0x5400) + !sad_out_by_reqid(1);
		db_read_unlock();
		c->lookups++;
	}
	return NULL;
}

/* Traffic through the policy both ways, a packet at a time (one read
 * lock each way, so replaces land between any two); records the numbers
 * sent. */
static gpointer traffic_thread(gpointer data)
{
	conc_t *c = data;
	esp_worker_t *w = esp_worker_new(c->id);
	pktbuf_pool_t *pl = pktbuf_pool_new(4, 2048);
	uint32_t last = 0;
	while (!g_atomic_int_get(c->stop)) {
		uipsec_pkt_t *p = pktbuf_alloc(pl);
		esp_test_inner(p, false, 100, 0x33);
		esp_result_t r;
		db_read_lock();
		esp_encap_batch(w, &p, 1, &r);
		db_read_unlock();
		if (r.verdict == ESP_SEND) {
			uint32_t seq = wire_seq(p);
			c->backwards += seq <= last;
			last = seq;
			g_array_append_val(c->seqs, seq);
			c->sent++;
			/* the UDP payload, as a socket delivers it */
			esp_in_meta_t meta = { .src = r.local, .dst = r.peer };
			db_read_lock();
			esp_decap_batch(w, &p, 1, &meta, &r);
			db_read_unlock();
			c->delivered += r.verdict == ESP_DELIVER;
			c->bad_spi += r.verdict != ESP_DELIVER && r.reason == STAT_BAD_SPI;
			/* replay_dropped: late, the other thread ran ahead */
			c->other += r.verdict != ESP_DELIVER && r.reason != STAT_BAD_SPI && r.reason != STAT_REPLAY_DROPPED;
		} else {
			c->no_sa += r.reason == STAT_NO_SA;
			c->other += r.reason != STAT_NO_SA;
		}
		pktbuf_free(pl, p);
	}
	pktbuf_pool_free(pl);
	esp_worker_free(w);
	return NULL;
}

static gint cmp_u32(gconstpointer a, gconstpointer b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void test_concurrent(void)
{
	g_assert_true(esp_test_load_crypto("crypto-openssl"));
	spd_policy_cfg_t pol = { 0 };
	uipsec_addr_t any;
	g_assert_true(uipsec_addr_parse("0.0.0.0", &any));
	spd_sel_any(&pol.sel, any.family);
	g_assert_true(spd_sel_parse_addr(&pol.sel, false, "10.1.0.0/16"));
	g_assert_true(spd_sel_parse_addr(&pol.sel, true, "10.2.0.0/16"));
	pol.dir = SPD_DIR_OUT;
	pol.action = SPD_PROTECT;
	pol.reqid = 1;
	uint32_t id;
	g_assert_cmpint(spd_add(&pol, &id, NULL), ==, UIPSEC_OK);
	install(0x5400, key_a);
	volatile gint stop = 0;
	conc_t c[3];
	GThread *t[3];
	for (uint32_t i = 0; i < 3; i++) {
		c[i] = (conc_t){ .stop = &stop, .id = i + 1, .seqs = g_array_new(FALSE, FALSE, sizeof(uint32_t)) };
		t[i] = g_thread_new("conc", i == 0 ? lookup_thread : traffic_thread, &c[i]);
	}
	/* replace both SAs N times, same keys, the peer port alternating */
	enum { N = 300 };
	for (uint32_t k = 0; k < N; k++) {
		sa_cfg_t cf;
		uipsec_err_t err = { "" };
		cfg(&cf, SA_DIR_OUT, 0x5400, key_a);
		cf.dst.port = (uint16_t)(4500 + (k & 1));
		g_assert_cmpint(sad_replace(SA_DIR_OUT, 0x5400, NULL, &cf, 0, &err), ==, UIPSEC_OK);
		cfg(&cf, SA_DIR_IN, 0x5400, key_a);
		cf.replay_window = k & 1 ? 64 : 256;
		g_assert_cmpint(sad_replace(SA_DIR_IN, 0x5400, NULL, &cf, 0, &err), ==, UIPSEC_OK);
		if (k % 16 == 0)
			g_usleep(500);
	}
	g_atomic_int_set(&stop, 1);
	for (int i = 0; i < 3; i++)
		g_thread_join(t[i]);
	g_test_message("lookups %" G_GUINT64_FORMAT ", sent %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT,
	               c[0].lookups, c[1].sent, c[2].sent);
	g_assert_cmpuint(c[0].lookups, >, 0);
	g_assert_cmpuint(c[0].missing, ==, 0);
	GArray *all = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (int i = 1; i < 3; i++) {
		g_assert_cmpuint(c[i].sent, >, 0);
		g_assert_cmpuint(c[i].no_sa, ==, 0);
		g_assert_cmpuint(c[i].bad_spi, ==, 0);
		g_assert_cmpuint(c[i].other, ==, 0);
		g_assert_cmpuint(c[i].backwards, ==, 0);
		g_array_append_vals(all, c[i].seqs->data, c[i].seqs->len);
	}
	/* no number was sent twice with the key */
	g_array_sort(all, cmp_u32);
	for (guint i = 1; i < all->len; i++)
		g_assert_cmpuint(g_array_index(all, uint32_t, i), !=, g_array_index(all, uint32_t, i - 1));
	g_assert_cmpuint(sa_field(SA_DIR_OUT, 0x5400, 0), ==, all->len);
	g_array_free(all, TRUE);
	for (int i = 0; i < 3; i++)
		g_array_free(c[i].seqs, TRUE);
	reset_all();
	esp_test_unload();
}

/* ------------------------------------------------------------ replay_copy */

static void test_replay_copy(void)
{
	replay_t src, dst;
	g_assert_true(replay_init(&src, 64, false));
	for (uint64_t s = 1; s <= 200; s++)
		if (s % 3 != 0)   /* every third one missing */
			g_assert_cmpint(replay_update(&src, s), ==, REPLAY_OK);
	/* same size: identical answers */
	g_assert_true(replay_init(&dst, 64, false));
	replay_copy(&dst, &src);
	for (uint64_t s = 1; s <= 210; s++)
		g_assert_cmpint(replay_check(&dst, s), ==, replay_check(&src, s));
	replay_free(&dst);
	/* larger: what src refused stays refused (seen or too old) */
	g_assert_true(replay_init(&dst, 1024, false));
	replay_copy(&dst, &src);
	g_assert_cmpuint(dst.top, ==, 200);
	for (uint64_t s = 1; s <= 210; s++)
		g_assert_cmpint(replay_check(&dst, s) == REPLAY_OK, ==, replay_check(&src, s) == REPLAY_OK);
	replay_free(&dst);
	/* smaller: its own window, the rest as src */
	g_assert_true(replay_init(&dst, 32, false));
	replay_copy(&dst, &src);
	for (uint64_t s = 1; s <= 210; s++) {
		bool ok = replay_check(&dst, s) == REPLAY_OK;
		g_assert_true(ok == (s > 200 || (s > 200 - 32 && s % 3 == 0)));
	}
	replay_free(&dst);
	/* from no check at all: everything up to the top counts as seen */
	replay_free(&src);
	g_assert_true(replay_init(&src, 0, false));
	g_assert_cmpint(replay_update(&src, 50), ==, REPLAY_OK);
	g_assert_true(replay_init(&dst, 64, false));
	replay_copy(&dst, &src);
	g_assert_cmpint(replay_check(&dst, 49), !=, REPLAY_OK);
	g_assert_cmpint(replay_check(&dst, 51), ==, REPLAY_OK);
	replay_free(&dst);
	replay_free(&src);
}

static void teardown(void)
{
	reset_all();
	g_array_free(events_seen, TRUE);
	esp_worker_free(worker);
	pktbuf_pool_free(pool);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < sizeof(key_a); i++) {
		key_a[i] = (uint8_t)(i * 7 + 1);
		key_b[i] = (uint8_t)(i * 11 + 3);
	}
	pool = pktbuf_pool_new(128, 4096);
	worker = esp_worker_new(0);
	events_seen = g_array_new(FALSE, FALSE, sizeof(event_t));
	sad_init();
	events_subscribe(0, on_event, NULL);
	g_test_add_func("/sad/replace/same-keys", test_same_keys);
	g_test_add_func("/sad/replace/new-keys", test_new_keys);
	g_test_add_func("/sad/replace/failed", test_failed_replace);
	g_test_add_func("/sad/replace/rank-migrate", test_rank_and_migrate);
	g_test_add_func("/sad/replace/concurrent", test_concurrent);
	g_test_add_func("/sad/replay-copy", test_replay_copy);
	int rc = g_test_run();
	teardown();
	return rc;
}
