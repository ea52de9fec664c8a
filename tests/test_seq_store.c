/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Persistent outbound sequence-number reservations (core/esp/seq_store.c) and
 * their use by the data path (esp_encap) and manually keyed tunnels. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "esp_test_util.h"
#include "esp/seq_store.h"
#include "datapath/tunnel.h"

static const uint8_t key_a[20] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa,
                                   0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4 };
static const uint8_t key_b[20] = { 0x01 };

static char *tmp_dir(void)
{
	GError *err = NULL;
	char *d = g_dir_make_tmp("uipt-seq-XXXXXX", &err);
	g_assert_no_error(err);
	return d;
}

static void rm_rf(const char *path)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", path);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
}

static uint64_t open_floor(seq_store_t *st, const char *name, uint32_t spi, const uint8_t *key)
{
	GError *err = NULL;
	seq_resv_t *r = seq_resv_open(st, name, spi, key, 20, NULL, 0, &err);
	g_assert_no_error(err);
	uint64_t f = seq_resv_floor(r);
	seq_resv_free(r);
	return f;
}

static void test_store_load(void)
{
	char *top = tmp_dir();
	char *dir = g_build_filename(top, "state", "sub", NULL);
	seq_store_t *st = seq_store_new(dir);
	g_assert_true(seq_store_enabled(st));
	GError *err = NULL;
	seq_resv_t *r = seq_resv_open(st, "site-b", 0x2000, key_a, sizeof(key_a), NULL, 0, &err);
	g_assert_no_error(err);
	struct stat sb;
	g_assert_cmpint(stat(dir, &sb), ==, 0);
	g_assert_cmpint(sb.st_mode & 0777, ==, 0700);
	g_assert_cmpuint(seq_resv_floor(r), ==, 0);
	uint64_t end = seq_resv_want(r, 0, g_get_monotonic_time(), true);
	g_assert_cmpuint(end, ==, SEQ_BLOCK_MIN);
	g_assert_true(seq_resv_commit(r, end, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(seq_resv_end(r), ==, SEQ_BLOCK_MIN);
	g_assert_cmpuint(seq_resv_wake_at(r), ==, SEQ_BLOCK_MIN / 2);
	/* the file: 0600, named after tunnel and SPI, no key bytes */
	const char *path = seq_resv_path(r);
	char *base = g_path_get_basename(path);
	g_assert_true(g_str_has_prefix(base, "site-b.00002000."));
	g_assert_true(g_str_has_suffix(base, ".seq"));
	g_free(base);
	g_assert_cmpint(stat(path, &sb), ==, 0);
	g_assert_cmpint(sb.st_mode & 0777, ==, 0600);
	char *text = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(path, &text, &len, NULL));
	g_assert_nonnull(strstr(text, "end 65536\n"));
	g_assert_null(strstr(text, "a1a2a3a4"));
	g_assert_null(memmem(text, len, key_a, 4));
	g_assert_null(strstr(base = g_path_get_basename(path), "a1a2a3a4"));
	g_free(base);
	g_free(text);
	seq_resv_free(r);

	/* a restart reads the end; new keys start fresh; the same keys under
	 * another tunnel name or SPI continue */
	g_assert_cmpuint(open_floor(st, "site-b", 0x2000, key_a), ==, SEQ_BLOCK_MIN);
	g_assert_cmpuint(open_floor(st, "site-b", 0x2000, key_b), ==, 0);
	g_assert_cmpuint(open_floor(st, "renamed", 0x3000, key_a), ==, SEQ_BLOCK_MIN);
	/* the largest end of every file of these keys counts */
	r = seq_resv_open(st, "other", 0x4000, key_a, sizeof(key_a), NULL, 0, &err);
	g_assert_no_error(err);
	g_assert_true(seq_resv_commit(r, 5 * SEQ_BLOCK_MIN, &err));
	seq_resv_free(r);
	g_assert_cmpuint(open_floor(st, "site-b", 0x2000, key_a), ==, 5 * SEQ_BLOCK_MIN);
	seq_store_free(st);
	g_free(dir);
	rm_rf(top);
	g_free(top);
}

static void test_reserve_policy(void)
{
	char *top = tmp_dir();
	seq_store_t *st = seq_store_new(top);
	GError *err = NULL;
	seq_resv_t *r = seq_resv_open(st, "t", 0x100, key_a, sizeof(key_a), NULL, 0, &err);
	g_assert_no_error(err);
	int64_t t0 = g_get_monotonic_time();
	g_assert_true(seq_resv_commit(r, seq_resv_want(r, 0, t0, true), &err));
	/* more than half a block left: nothing to do */
	g_assert_cmpuint(seq_resv_want(r, 1000, t0 + G_USEC_PER_SEC, false), ==, 0);
	g_assert_cmpuint(seq_resv_want(r, SEQ_BLOCK_MIN / 2 - 1, t0 + G_USEC_PER_SEC, false), ==, 0);
	/* half used within 10 s (slow): the next block is the minimum */
	uint64_t e = seq_resv_want(r, SEQ_BLOCK_MIN / 2, t0 + 10 * G_USEC_PER_SEC, false);
	g_assert_cmpuint(e, ==, 2 * SEQ_BLOCK_MIN);
	g_assert_true(seq_resv_commit(r, e, &err));
	/* 2^20 numbers within 10 ms: the block grows to the maximum */
	int64_t t1 = t0 + 10 * G_USEC_PER_SEC;
	uint64_t seq = SEQ_BLOCK_MIN / 2 + (1u << 20);
	e = seq_resv_want(r, seq, t1 + 10000, false);
	g_assert_cmpuint(e, ==, seq + SEQ_BLOCK_MAX);
	g_assert_true(seq_resv_commit(r, e, &err));
	g_assert_cmpuint(seq_resv_wake_at(r), ==, e - SEQ_BLOCK_MAX / 2);
	/* 200000/s: a block of about a second (next power of two) */
	e = seq_resv_want(r, seq + 200000, t1 + 10000 + G_USEC_PER_SEC, true);
	g_assert_cmpuint(e - seq_resv_end(r), ==, 1u << 18);
	/* an end below the current one never shrinks the reservation */
	g_assert_true(seq_resv_commit(r, 10, &err));
	g_assert_cmpuint(seq_resv_end(r), ==, seq + SEQ_BLOCK_MAX);
	seq_resv_free(r);
	g_assert_cmpuint(open_floor(st, "t", 0x100, key_a), ==, seq + SEQ_BLOCK_MAX);
	seq_store_free(st);
	rm_rf(top);
	g_free(top);
}

static void test_atomic_replace(void)
{
	char *top = tmp_dir();
	seq_store_t *st = seq_store_new(top);
	GError *err = NULL;
	seq_resv_t *r = seq_resv_open(st, "t", 0x100, key_a, sizeof(key_a), NULL, 0, &err);
	g_assert_no_error(err);
	g_assert_true(seq_resv_commit(r, 1000, &err));
	struct stat a, b;
	g_assert_cmpint(stat(seq_resv_path(r), &a), ==, 0);
	/* a temp file left by a crash in the middle of a write is ignored
	 * and replaced */
	char *tmp = g_strconcat(seq_resv_path(r), ".tmp", NULL);
	g_assert_true(g_file_set_contents(tmp, "end 1", -1, NULL));
	g_assert_cmpuint(open_floor(st, "t", 0x100, key_a), ==, 1000);
	g_assert_true(seq_resv_commit(r, 2000, &err));
	g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
	g_assert_cmpint(stat(seq_resv_path(r), &b), ==, 0);
	g_assert_cmpuint(a.st_ino, !=, b.st_ino);   /* a new file renamed over the old one */
	g_assert_cmpuint(open_floor(st, "t", 0x100, key_a), ==, 2000);
	/* a file that says nothing usable: the numbers used are unknown, refused */
	g_assert_true(g_file_set_contents(seq_resv_path(r), "garbage\n", -1, NULL));
	seq_resv_t *bad = seq_resv_open(st, "t", 0x100, key_a, sizeof(key_a), NULL, 0, &err);
	g_assert_null(bad);
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, seq_resv_path(r)));
	g_assert_nonnull(strstr(err->message, "uipsecd.state_dir"));
	g_clear_error(&err);
	g_free(tmp);
	seq_resv_free(r);
	seq_store_free(st);
	rm_rf(top);
	g_free(top);
}

static void test_unwritable(void)
{
	char *top = tmp_dir();
	/* a regular file where the directory should be: fails even for root */
	char *file = g_build_filename(top, "file", NULL);
	g_assert_true(g_file_set_contents(file, "x", -1, NULL));
	char *dir = g_build_filename(file, "state", NULL);
	seq_store_t *st = seq_store_new(dir);
	GError *err = NULL;
	g_assert_null(seq_resv_open(st, "t", 0x100, key_a, sizeof(key_a), NULL, 0, &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, dir));
	g_assert_nonnull(strstr(err->message, "uipsecd.state_dir"));
	g_clear_error(&err);
	seq_store_free(st);

	/* the directory exists, but the file cannot be replaced: commit fails
	 * and the reservation is not raised */
	st = seq_store_new(top);
	seq_resv_t *r = seq_resv_open(st, "t", 0x100, key_a, sizeof(key_a), NULL, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpint(g_mkdir(seq_resv_path(r), 0700), ==, 0);
	char *inner = g_build_filename(seq_resv_path(r), "x", NULL);
	g_assert_true(g_file_set_contents(inner, "x", -1, NULL));
	g_assert_false(seq_resv_commit(r, 1000, &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, seq_resv_path(r)));
	g_assert_nonnull(strstr(err->message, "uipsecd.state_dir"));
	g_clear_error(&err);
	g_assert_cmpuint(seq_resv_end(r), ==, 0);
	g_free(inner);
	seq_resv_free(r);
	seq_store_free(st);

	if (geteuid() != 0) {   /* root ignores file modes */
		char *ro = g_build_filename(top, "ro", NULL);
		g_assert_cmpint(g_mkdir(ro, 0500), ==, 0);
		st = seq_store_new(ro);
		r = seq_resv_open(st, "t", 0x100, key_a, sizeof(key_a), NULL, 0, &err);
		g_assert_no_error(err);
		g_assert_false(seq_resv_commit(r, 1000, &err));
		g_clear_error(&err);
		seq_resv_free(r);
		seq_store_free(st);
		g_free(ro);
	}
	g_assert_false(seq_store_enabled(st = seq_store_new("none")));
	seq_store_free(st);
	g_assert_false(seq_store_enabled(st = seq_store_new(NULL)));
	seq_store_free(st);
	g_free(dir);
	g_free(file);
	rm_rf(top);
	g_free(top);
}

/* ------------------------------------------------ data path */

static int wakes;
static gboolean count_wake(gpointer user)
{
	(void)user;
	wakes++;
	return G_SOURCE_CONTINUE;
}

static void test_encap_limit(void)
{
	if (!esp_test_load_crypto("crypto-openssl") && !esp_test_load_crypto("crypto-gcrypt")) {
		g_test_skip("no crypto plugin");
		return;
	}
	pktbuf_pool_t *pool = pktbuf_pool_new(4, 2048);
	esp_worker_t *w = esp_worker_new(0);
	sa_cfg_t c;
	esp_test_sa_cfg(&c, SA_DIR_OUT, 0x5000, "aes128gcm16", key_a, sizeof(key_a), NULL, 0, false);
	c.seq_reserved = 10;
	c.seq_wake = 5;
	uipsec_err_t e;
	g_assert_cmpint(sad_add(&c, &e), ==, UIPSEC_OK);
	guint watch = seq_store_watch(count_wake, NULL);
	stats_reset();
	uipsec_pkt_t *p = pktbuf_alloc(pool);
	uint64_t sent_max = 0;
	for (int i = 0; i < 14; i++) {
		esp_test_inner(p, false, 100, (uint8_t)i);
		esp_result_t res;
		db_read_lock();
		sa_t *sa = sad_lookup_out(0x5000);
		esp_verdict_t v = esp_encap_sa(w, sa, p, &res);
		db_read_unlock();
		if (v == ESP_SEND) {
			const uint8_t *esp = uipsec_pkt_data(p);   /* the engine's output starts at ESP */
			uint32_t seq = (uint32_t)esp[4] << 24 | (uint32_t)esp[5] << 16 | (uint32_t)esp[6] << 8 | esp[7];
			g_assert_cmpuint(seq, <=, 10);   /* never beyond the reservation */
			sent_max = MAX(sent_max, seq);
		} else {
			g_assert_cmpint(res.reason, ==, STAT_SEQ_RESERVE_WAIT);
		}
	}
	g_assert_cmpuint(sent_max, ==, 10);
	uint64_t st[STAT_COUNT];
	stats_snapshot(st);
	g_assert_cmpuint(st[STAT_SEQ_RESERVE_WAIT], ==, 4);
	g_assert_cmpuint(st[STAT_TX_PACKETS], ==, 10);
	/* the workers asked the main loop for more */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpint(wakes, ==, 1);
	/* the main loop raised the limit: sending continues above the gap */
	db_read_lock();
	sa_t *sa = sad_lookup_out(0x5000);
	atomic_store(&sa->seq_limit, 100);
	atomic_store(&sa->seq_wake, 50);
	esp_test_inner(p, false, 100, 0);
	esp_result_t res;
	g_assert_cmpint(esp_encap_sa(w, sa, p, &res), ==, ESP_SEND);
	db_read_unlock();
	g_assert_cmpuint(uipsec_pkt_data(p)[7], ==, 15);
	g_source_remove(watch);
	pktbuf_free(pool, p);
	sad_del(SA_DIR_OUT, 0x5000, NULL);
	esp_worker_free(w);
	pktbuf_pool_free(pool);
	esp_test_unload();
}

/* ------------------------------------------------ tunnels */

static tunnels_t *tunnels_from(const char *state_dir)
{
	uipsec_settings_t *s = settings_new();
	char *conf = g_strdup_printf(
	    "uipsecd { state_dir = %s }\n"
	    "tunnels { site-b { local = 192.0.2.1\n remote = 192.0.2.2\n local_ts = 10.1.0.0/24\n"
	    " remote_ts = 10.2.0.0/24\n esp = aes128gcm16\n"
	    " in { spi = 0x1000\n key = 0x000102030405060708090a0b0c0d0e0f10111213 }\n"
	    " out { spi = 0x2000\n key = 0xa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3 } } }\n",
	    state_dir);
	GError *err = NULL;
	g_assert_true(settings_load_string(s, conf, "test.conf", &err));
	g_assert_no_error(err);
	tunnels_t *ts = tunnels_new(s, &err);
	g_assert_no_error(err);
	g_assert_nonnull(ts);
	tunnels_attach(ts, NULL, NULL, NULL, NULL);
	settings_free(s);
	g_free(conf);
	return ts;
}

static void out_sa_state(uint64_t *seq, uint64_t *limit)
{
	db_read_lock();
	sa_t *sa = sad_lookup_out(0x2000);
	g_assert_nonnull(sa);
	*seq = atomic_load(&sa->seq_out);
	*limit = atomic_load(&sa->seq_limit);
	db_read_unlock();
}

static void test_tunnel_restart(void)
{
	if (!esp_test_load_crypto("crypto-openssl") && !esp_test_load_crypto("crypto-gcrypt")) {
		g_test_skip("no crypto plugin");
		return;
	}
	spd_init();
	char *top = tmp_dir();
	char *dir = g_build_filename(top, "state", NULL);
	tunnels_t *ts = tunnels_from(dir);
	uipsec_err_t e = { "" };
	g_assert_cmpint(tunnel_up(ts, "site-b", &e), ==, UIPSEC_OK);
	uint64_t seq, limit;
	out_sa_state(&seq, &limit);
	g_assert_cmpuint(seq, ==, 0);               /* fresh keys start at 1 */
	g_assert_cmpuint(limit, ==, SEQ_BLOCK_MIN); /* reserved before the first packet */
	/* traffic reaches the wake-up mark: the main loop extends the limit */
	db_read_lock();
	atomic_store(&sad_lookup_out(0x2000)->seq_out, SEQ_BLOCK_MIN - 10);
	db_read_unlock();
	seq_store_wake();
	while (g_main_context_iteration(NULL, FALSE))
		;
	out_sa_state(&seq, &limit);
	g_assert_cmpuint(limit, >, SEQ_BLOCK_MIN);
	uint64_t reserved = limit;
	/* down/up inside one run continues where it stopped */
	g_assert_cmpint(tunnel_down(ts, "site-b", &e), ==, UIPSEC_OK);
	g_assert_cmpint(tunnel_up(ts, "site-b", &e), ==, UIPSEC_OK);
	out_sa_state(&seq, &limit);
	g_assert_cmpuint(seq, ==, SEQ_BLOCK_MIN - 10);
	g_assert_cmpuint(limit, >=, reserved);
	reserved = limit;
	/* a crash: nothing written at the end; the next run starts above
	 * everything reserved */
	tunnels_free(ts);
	sad_flush();
	ts = tunnels_from(dir);
	g_assert_cmpint(tunnel_up(ts, "site-b", &e), ==, UIPSEC_OK);
	out_sa_state(&seq, &limit);
	g_assert_cmpuint(seq, ==, reserved);
	g_assert_cmpuint(limit, >, seq);
	tunnels_free(ts);
	sad_flush();
	/* earlier runs used up every 32-bit number of these keys: refused */
	seq_store_t *st = seq_store_new(dir);
	GError *gerr = NULL;
	seq_resv_t *r = seq_resv_open(st, "x", 0x2000, (const uint8_t *)"\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9"
	                              "\xaa\xab\xac\xad\xae\xaf\xb0\xb1\xb2\xb3", 20, NULL, 0, &gerr);
	g_assert_no_error(gerr);
	g_assert_true(seq_resv_commit(r, SA_SEQ_MAX_32, &gerr));
	seq_resv_free(r);
	seq_store_free(st);
	ts = tunnels_from(dir);
	g_assert_cmpint(tunnel_up(ts, "site-b", &e), ==, UIPSEC_ERR_PERM);
	g_assert_nonnull(strstr(e.msg, "used up"));
	g_assert_cmpuint(sad_count(), ==, 0);
	tunnels_free(ts);

	/* a state directory that cannot be written: the tunnel is refused */
	char *file = g_build_filename(top, "file", NULL);
	g_assert_true(g_file_set_contents(file, "x", -1, NULL));
	char *bad = g_build_filename(file, "state", NULL);
	ts = tunnels_from(bad);
	g_assert_cmpint(tunnel_up(ts, "site-b", &e), !=, UIPSEC_OK);
	g_assert_nonnull(strstr(e.msg, bad));
	g_assert_nonnull(strstr(e.msg, "uipsecd.state_dir"));
	g_assert_cmpuint(sad_count(), ==, 0);
	tunnels_free(ts);
	/* unless the user accepts it explicitly */
	ts = tunnels_from("none");
	g_assert_cmpint(tunnel_up(ts, "site-b", &e), ==, UIPSEC_OK);
	out_sa_state(&seq, &limit);
	g_assert_cmpuint(seq, ==, 0);
	g_assert_cmpuint(limit, ==, UINT64_MAX);
	tunnels_free(ts);
	sad_flush();
	g_free(bad);
	g_free(file);
	g_free(dir);
	rm_rf(top);
	g_free(top);
	esp_test_unload();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	sad_init();
	g_test_add_func("/seq-store/store-load", test_store_load);
	g_test_add_func("/seq-store/reserve-policy", test_reserve_policy);
	g_test_add_func("/seq-store/atomic-replace", test_atomic_replace);
	g_test_add_func("/seq-store/unwritable", test_unwritable);
	g_test_add_func("/seq-store/encap-limit", test_encap_limit);
	g_test_add_func("/seq-store/tunnel-restart", test_tunnel_restart);
	return g_test_run();
}
