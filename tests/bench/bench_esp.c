/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP engine benchmark (one core): encap/decap packets/s and Gbit/s for
 * 64- and 1400-byte inner packets with AES-128-GCM and ChaCha20-Poly1305,
 * beside the raw AEAD throughput measured in the same run; outbound policy
 * lookup among 10 000 policies; inbound SA lookup among 100 000 SAs;
 * memory per SA; IPv4 and IPv6 outer headers. Run: make bench (or
 * tests/bench/bench-esp [crypto-gcrypt [aes128gcm16|chacha20poly1305 size [v6]]]).
 *
 * "Raw" is the crypto library called directly (OpenSSL EVP or libgcrypt,
 * whichever back-end the engine uses): per packet the nonce, the 8-byte
 * ESP AAD, the data ESP encrypts (payload + padding + trailer) and the tag,
 * encrypted with one context and then decrypted and verified with another,
 * as the engine's encap (outbound SA) + decap (inbound SA) do. Raw and engine run in alternating chunks of 64 packets and the
 * median chunk rate of each is reported, so load from other processes on
 * a shared machine hits both alike. BENCH_SECONDS sets the time per case;
 * BENCH_PACKETS=n instead runs a fixed n packets per case and skips the
 * lookup benchmarks (for callgrind / perf). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <gcrypt.h>
#include <openssl/evp.h>
#include "../esp_test_util.h"

#define BATCH 64

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bench_seconds(void)
{
	const char *s = getenv("BENCH_SECONDS");
	return s && atof(s) > 0 ? atof(s) : 1.0;
}

static uint64_t bench_packets(void)
{
	const char *s = getenv("BENCH_PACKETS");
	return s ? strtoull(s, NULL, 10) : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static pktbuf_pool_t *pool;
static esp_worker_t *worker;
static bool use_gcrypt;

/* ---------------------------------------------------------------- raw AEAD */

typedef struct raw_ctx {
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *enc, *dec;
	gcry_cipher_hd_t gh_enc, gh_dec;
	uint8_t salt[4];
	uint32_t plen;
	uint64_t n, bad;
	uint8_t iv[8], aad[8], icv[16];
	uint8_t buf[2048] __attribute__((aligned(64)));
} raw_ctx_t;

static bool raw_setup(raw_ctx_t *r, const char *esp, const uint8_t *key, size_t key_len)
{
	bool chacha = strcmp(esp, "chacha20poly1305") == 0;
	size_t klen = key_len - sizeof(r->salt);
	memcpy(r->salt, key + klen, sizeof(r->salt));
	if (use_gcrypt) {
		int algo = chacha ? GCRY_CIPHER_CHACHA20 : GCRY_CIPHER_AES128;
		int mode = chacha ? GCRY_CIPHER_MODE_POLY1305 : GCRY_CIPHER_MODE_GCM;
		return gcry_cipher_open(&r->gh_enc, algo, mode, 0) == 0 &&
		       gcry_cipher_setkey(r->gh_enc, key, klen) == 0 &&
		       gcry_cipher_open(&r->gh_dec, algo, mode, 0) == 0 &&
		       gcry_cipher_setkey(r->gh_dec, key, klen) == 0;
	}
	r->cipher = EVP_CIPHER_fetch(NULL, chacha ? "ChaCha20-Poly1305" : "AES-128-GCM", NULL);
	r->enc = EVP_CIPHER_CTX_new();
	r->dec = EVP_CIPHER_CTX_new();
	return r->cipher && r->enc && r->dec &&
	       EVP_EncryptInit_ex(r->enc, r->cipher, NULL, NULL, NULL) == 1 &&
	       EVP_CIPHER_CTX_ctrl(r->enc, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
	       EVP_EncryptInit_ex(r->enc, NULL, NULL, key, NULL) == 1 &&
	       EVP_DecryptInit_ex(r->dec, r->cipher, NULL, NULL, NULL) == 1 &&
	       EVP_CIPHER_CTX_ctrl(r->dec, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
	       EVP_DecryptInit_ex(r->dec, NULL, NULL, key, NULL) == 1;
}

static void raw_teardown(raw_ctx_t *r)
{
	EVP_CIPHER_CTX_free(r->enc);
	EVP_CIPHER_CTX_free(r->dec);
	EVP_CIPHER_free(r->cipher);
	if (r->gh_enc)
		gcry_cipher_close(r->gh_enc);
	if (r->gh_dec)
		gcry_cipher_close(r->gh_dec);
}

/* One packet through the library: encrypt, then decrypt and verify. */
static void raw_packet(raw_ctx_t *r)
{
	uint8_t nonce[12];
	int n;
	r->n++;
	memcpy(r->iv, &r->n, sizeof(r->iv));
	memcpy(r->aad + 4, &r->n, 4);
	memcpy(nonce, r->salt, 4);
	memcpy(nonce + 4, r->iv, 8);
	if (use_gcrypt) {
		gcry_cipher_setiv(r->gh_enc, nonce, sizeof(nonce));
		gcry_cipher_authenticate(r->gh_enc, r->aad, sizeof(r->aad));
		gcry_cipher_encrypt(r->gh_enc, r->buf, r->plen, NULL, 0);
		gcry_cipher_gettag(r->gh_enc, r->icv, sizeof(r->icv));
		gcry_cipher_setiv(r->gh_dec, nonce, sizeof(nonce));
		gcry_cipher_authenticate(r->gh_dec, r->aad, sizeof(r->aad));
		gcry_cipher_decrypt(r->gh_dec, r->buf, r->plen, NULL, 0);
		r->bad += gcry_cipher_checktag(r->gh_dec, r->icv, sizeof(r->icv)) != 0;
		return;
	}
	EVP_EncryptInit_ex(r->enc, NULL, NULL, NULL, nonce);
	EVP_EncryptUpdate(r->enc, NULL, &n, r->aad, sizeof(r->aad));
	EVP_EncryptUpdate(r->enc, r->buf, &n, r->buf, (int)r->plen);
	EVP_EncryptFinal_ex(r->enc, r->buf + r->plen, &n);
	EVP_CIPHER_CTX_ctrl(r->enc, EVP_CTRL_AEAD_GET_TAG, sizeof(r->icv), r->icv);
	EVP_CIPHER_CTX_ctrl(r->dec, EVP_CTRL_AEAD_SET_TAG, sizeof(r->icv), r->icv);
	EVP_DecryptInit_ex(r->dec, NULL, NULL, NULL, nonce);
	EVP_DecryptUpdate(r->dec, NULL, &n, r->aad, sizeof(r->aad));
	EVP_DecryptUpdate(r->dec, r->buf, &n, r->buf, (int)r->plen);
	r->bad += EVP_DecryptFinal_ex(r->dec, r->buf + r->plen, &n) != 1;
}

/* BATCH packets; returns the seconds taken. */
static __attribute__((noinline)) double raw_chunk(raw_ctx_t *r)
{
	double t0 = now_s();
	for (int i = 0; i < BATCH; i++)
		raw_packet(r);
	return now_s() - t0;
}

/* ---------------------------------------------------------------- engine */

typedef struct eng_ctx {
	uipsec_pkt_t *pk[BATCH];
	esp_result_t res[BATCH];
	esp_in_meta_t meta[BATCH];
	const uint8_t *inner;
	uint32_t len;
	uint64_t n, bad;
} eng_ctx_t;

/* BATCH packets encapsulated, then decapsulated: the seconds of each. */
static __attribute__((noinline)) void engine_chunk(eng_ctx_t *e, double *t_enc, double *t_dec)
{
	for (int i = 0; i < BATCH; i++) {
		pktbuf_reset(e->pk[i]);
		memcpy(uipsec_pkt_put(e->pk[i], e->len), e->inner, e->len);
	}
	double t0 = now_s();
	db_read_lock();
	esp_encap_batch(worker, e->pk, BATCH, e->res);
	db_read_unlock();
	double t1 = now_s();
	for (int i = 0; i < BATCH; i++) {   /* what recvmmsg reports */
		e->meta[i].src = e->res[i].local;
		e->meta[i].dst = e->res[i].peer;
	}
	double t2 = now_s();
	db_read_lock();
	esp_decap_batch(worker, e->pk, BATCH, e->meta, e->res);
	db_read_unlock();
	double t3 = now_s();
	for (int i = 0; i < BATCH; i++)
		e->bad += e->res[i].verdict != ESP_DELIVER;
	e->n += BATCH;
	*t_enc = t1 - t0;
	*t_dec = t3 - t2;
}

static void bench_esp(const char *esp, uint32_t len, bool v6_outer)
{
	sad_flush();
	spd_flush();
	uint8_t key[64];
	for (int i = 0; i < 64; i++)
		key[i] = (uint8_t)i;
	size_t kl = 0, il = 0;
	esp_test_key_sizes(esp, &kl, &il);
	sa_cfg_t c;
	esp_test_sa_cfg(&c, SA_DIR_OUT, 0x1234, esp, key, kl, key, il, v6_outer);
	c.reqid = 1;
	sad_add(&c, NULL);
	spd_policy_cfg_t pc = { 0 };
	spd_sel_any(&pc.sel, AF_INET);
	spd_sel_parse_addr(&pc.sel, false, "10.1.0.0/16");
	spd_sel_parse_addr(&pc.sel, true, "10.2.0.0/16");
	/* as a tunnel: the inbound SA carries the selector and a dir in
	 * policy matches, so decap pays for the whole inbound check */
	c.dir = SA_DIR_IN;
	c.ts[0] = pc.sel;
	c.n_ts = 1;
	sad_add(&c, NULL);
	pc.action = SPD_PROTECT;
	pc.reqid = 1;
	pc.dir = SPD_DIR_IN;
	spd_add(&pc, NULL, NULL);
	pc.dir = SPD_DIR_OUT;
	spd_add(&pc, NULL, NULL);

	static raw_ctx_t raw;
	memset(&raw, 0, sizeof(raw));
	raw.plen = (len + 2 + 3) & ~3u;   /* what ESP encrypts: payload, padding, trailer */
	if (!raw_setup(&raw, esp, key, kl)) {
		fprintf(stderr, "bench-esp: cannot set up the raw %s loop\n", esp);
		raw_teardown(&raw);
		return;
	}
	static eng_ctx_t eng;
	memset(&eng, 0, sizeof(eng));
	uipsec_pkt_t tmpl_pkt;
	static uint8_t tmpl_buf[2048];
	tmpl_pkt.buf = tmpl_buf;
	tmpl_pkt.cap = sizeof(tmpl_buf);
	esp_test_inner(&tmpl_pkt, false, len, 0x77);
	eng.inner = uipsec_pkt_data(&tmpl_pkt);
	eng.len = len;
	for (int i = 0; i < BATCH; i++)
		eng.pk[i] = pktbuf_alloc(pool);

	enum { MAX_CHUNKS = 1 << 16 };
	static double r_raw[MAX_CHUNKS], r_enc[MAX_CHUNKS], r_dec[MAX_CHUNKS], r_both[MAX_CHUNKS];
	size_t chunks = 0;
	uint64_t fixed = bench_packets();
	double end = now_s() + 3 * bench_seconds();
	while (chunks < MAX_CHUNKS && (fixed ? (uint64_t)chunks * BATCH < fixed : now_s() < end)) {
		double tr = raw_chunk(&raw), te, td;
		engine_chunk(&eng, &te, &td);
		r_raw[chunks] = BATCH / tr;
		r_enc[chunks] = BATCH / te;
		r_dec[chunks] = BATCH / td;
		r_both[chunks] = BATCH / (te + td);
		chunks++;
	}
	for (int i = 0; i < BATCH; i++)
		pktbuf_free(pool, eng.pk[i]);
	raw_teardown(&raw);
	double rawpps = median(r_raw, chunks), enc = median(r_enc, chunks);
	double dec = median(r_dec, chunks), both = median(r_both, chunks);
	printf("%-17s %5u B %s raw enc+dec %9.0f pps %6.2f Gbit/s | encap %9.0f pps %6.2f Gbit/s | "
	       "decap %9.0f pps %6.2f Gbit/s | encap+decap %9.0f pps = %3.0f%% of raw%s\n",
	       esp, len, v6_outer ? "v6" : "v4", rawpps, rawpps * len * 8 / 1e9, enc, enc * len * 8 / 1e9, dec,
	       dec * len * 8 / 1e9, both, 100.0 * both / rawpps,
	       eng.bad || raw.bad ? "  (ERRORS)" : "");
	sad_flush();
	spd_flush();
}

/* Median per-operation time of blocks of 64 operations. */
#define BLOCKS 20001

static void bench_spd(void)
{
	spd_flush();
	GRand *rnd = g_rand_new_with_seed(1);
	/* 10 000 policies: 9 000 host/subnet pairs, 999 /24 nets, one default */
	spd_policy_cfg_t pc = { 0 };
	pc.dir = SPD_DIR_OUT;
	pc.action = SPD_PROTECT;
	uint32_t installed = 0;
	uipsec_addr_t *dsts = g_new(uipsec_addr_t, 10000);
	while (installed < 10000) {
		spd_sel_any(&pc.sel, AF_INET);
		uipsec_addr_t a = { .family = AF_INET };
		a.bytes[0] = 10;
		a.bytes[1] = (uint8_t)g_rand_int_range(rnd, 0, 256);
		a.bytes[2] = (uint8_t)g_rand_int_range(rnd, 0, 256);
		a.bytes[3] = (uint8_t)g_rand_int_range(rnd, 1, 255);
		unsigned plen = installed < 9000 ? 32 : installed < 9999 ? 24 : 0;
		spd_sel_set_prefix(&pc.sel, true, &a, plen);
		uipsec_addr_t s = { .family = AF_INET, .bytes = { 10, 0, (uint8_t)(installed % 200), 0 } };
		spd_sel_set_prefix(&pc.sel, false, &s, plen ? 24 : 0);
		pc.reqid = installed;
		if (spd_add(&pc, NULL, NULL) == UIPSEC_OK) {
			dsts[installed] = a;
			installed++;
		}
	}
	/* flows: matching the host policies (sources in the /24s) */
	enum { FLOWS = 1024 };
	ip_flow_t *flows = g_new0(ip_flow_t, FLOWS);
	for (int i = 0; i < FLOWS; i++) {
		uint32_t k = (uint32_t)g_rand_int_range(rnd, 0, 9000);
		flows[i].dst = dsts[k];
		flows[i].src.family = AF_INET;
		flows[i].src.bytes[0] = 10;
		flows[i].src.bytes[2] = (uint8_t)(k % 200);
		flows[i].src.bytes[3] = 7;
		flows[i].proto = IP_PROTO_UDP;
		flows[i].sport = (uint16_t)(1024 + i);
		flows[i].dport = 53;
	}
	double *t = g_new(double, BLOCKS);
	spd_cache_t *cache = spd_cache_new(12);
	const char *names[] = { "flow cache hit", "uncached (index)" };
	for (int mode = 0; mode < 2; mode++) {
		uint64_t found = 0;
		db_read_lock();
		for (int b = 0; b < BLOCKS; b++) {
			uint32_t base = (uint32_t)g_rand_int_range(rnd, 0, FLOWS - 64);
			double t0 = now_s();
			for (int i = 0; i < 64; i++) {
				const spd_policy_t *p = mode == 0 ? spd_cache_lookup(cache, SPD_DIR_OUT, &flows[base + i])
				                                  : spd_lookup(SPD_DIR_OUT, &flows[base + i]);
				found += p != NULL;
			}
			t[b] = (now_s() - t0) / 64 * 1e9;
		}
		db_read_unlock();
		qsort(t, BLOCKS, sizeof(double), cmp_double);
		printf("policy lookup, %u policies, %-17s median %6.1f ns  p99 %6.1f ns  (%s)\n",
		       spd_count(), names[mode], t[BLOCKS / 2], t[BLOCKS * 99 / 100],
		       found == (uint64_t)BLOCKS * 64 ? "all matched" : "MISSES");
	}
	spd_cache_free(cache);
	g_free(t);
	g_free(flows);
	g_free(dsts);
	g_rand_free(rnd);
	spd_flush();
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * 4;
}

static void bench_sad(void)
{
	sad_flush();
	enum { NSA = 100000 };
	uint8_t key[20] = { 3 };
	sa_cfg_t c;
	esp_test_sa_cfg(&c, SA_DIR_IN, 0, "aes128gcm16", key, 20, NULL, 0, false);
	long rss0 = rss_kb();
	double t0 = now_s();
	uint32_t *spis = g_new(uint32_t, NSA);
	GRand *rnd = g_rand_new_with_seed(3);
	for (int i = 0; i < NSA; i++) {
		spis[i] = (uint32_t)(i + 0x1000) * 2654435761u;   /* distinct: odd multiplier */
		c.spi = spis[i];
		if (sad_add(&c, NULL) != UIPSEC_OK)
			spis[i] = 0;
	}
	double t_add = now_s() - t0;
	long rss1 = rss_kb();
	double *t = g_new(double, BLOCKS);
	uint64_t found = 0;
	uipsec_addr_t dst = c.dst.addr;
	db_read_lock();
	for (int b = 0; b < BLOCKS; b++) {
		uint32_t base = (uint32_t)g_rand_int_range(rnd, 0, NSA - 64);
		double s = now_s();
		for (int i = 0; i < 64; i++)
			found += sad_lookup_spi(spis[base + i], &dst) != NULL;
		t[b] = (now_s() - s) / 64 * 1e9;
	}
	db_read_unlock();
	qsort(t, BLOCKS, sizeof(double), cmp_double);
	printf("SA lookup, %u SAs: median %6.1f ns  p99 %6.1f ns  (%s); %u adds in %.2f s\n",
	       sad_count(), t[BLOCKS / 2], t[BLOCKS * 99 / 100],
	       found >= (uint64_t)BLOCKS * 64 * 99 / 100 ? "found" : "MISSES", sad_count(), t_add);
	/* Memory the engine itself holds per SA: the object, its per-worker
	 * transform slots, the replay bitmap and its share of the hash table. */
	db_read_lock();
	sa_t *sa = sad_lookup_spi(spis[0], NULL);
	size_t own = sizeof(sa_t) + sa->n_xf * sizeof(void *) + sa->replay.words * sizeof(uint64_t);
	db_read_unlock();
	printf("memory per SA (window 1024, %u worker slots): %zu bytes + ~32 bytes of table; "
	       "RSS per SA including the crypto library's context: %.0f bytes\n",
	       sa->n_xf, own, (double)(rss1 - rss0) * 1024 / NSA);
	g_free(t);
	g_free(spis);
	g_rand_free(rnd);
	sad_flush();
}

int main(int argc, char **argv)
{
	if (!getenv("UIPSEC_PLUGIN_PATH"))
		setenv("UIPSEC_PLUGIN_PATH", BENCH_PLUGIN_PATH, 1);
	const char *backend = argc > 1 ? argv[1] : "crypto-openssl";
	if (!esp_test_load_crypto(backend)) {
		fprintf(stderr, "bench-esp: cannot load %s\n", backend);
		return 1;
	}
	use_gcrypt = strcmp(backend, "crypto-gcrypt") == 0;
	if (!use_gcrypt && strcmp(backend, "crypto-openssl") != 0) {
		fprintf(stderr, "bench-esp: no raw loop for %s (crypto-openssl, crypto-gcrypt)\n", backend);
		return 1;
	}
	pool = pktbuf_pool_new(BATCH * 2, 2048);
	worker = esp_worker_new(0);
	printf("ESP engine, one core, crypto %s, batches of %d\n", backend, BATCH);
	if (argc > 3) {   /* one case: backend keyword size */
		bench_esp(argv[2], (uint32_t)atoi(argv[3]), argc > 4 && strcmp(argv[4], "v6") == 0);
	} else {
		const char *algs[] = { "aes128gcm16", "chacha20poly1305" };
		const uint32_t sizes[] = { 64, 1400 };
		/* IPv6 outer too: the outer UDP checksum is the kernel's job */
		for (int v6 = 0; v6 < 2; v6++)
			for (size_t a = 0; a < 2; a++)
				for (size_t s = 0; s < 2; s++)
					bench_esp(algs[a], sizes[s], v6);
	}
	if (!bench_packets()) {
		bench_spd();
		bench_sad();
	}
	esp_worker_free(worker);
	pktbuf_pool_free(pool);
	esp_test_unload();
	return 0;
}
