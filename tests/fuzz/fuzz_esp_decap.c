/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: ESP decapsulation against a fixed SA set.
 *
 * Input byte 0 picks the mode:
 *   even: the rest is a UDP payload handed to esp_decap_batch as is
 *         (SPI, lengths, replay, ICV checks);
 *   odd:  the rest is [spi index][seq: 4][plaintext payload]; the harness
 *         encrypts it with that SA so it authenticates, and the fuzzer
 *         reaches trailer, padding, next header and inner packet parsing.
 * Byte 1 bit 0 selects whether an outer IPv4/IPv6 + UDP header is parsed
 * first (esp_strip_outer) in the even mode.
 *
 * FUZZ_ESP_WRITE_CORPUS=dir writes seed inputs to dir and exits. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include "../esp_test_util.h"

#ifndef FUZZ_PLUGIN_PATH
#define FUZZ_PLUGIN_PATH ""
#endif

typedef struct fuzz_sa {
	uint32_t spi;
	const char *esp;
	bool esn;
	uint32_t window;
	bool v6;
} fuzz_sa_t;

static const fuzz_sa_t fuzz_sas[] = {
	{ 0x00000100, "aes128gcm16", false, 1024, false },
	{ 0x00000101, "aes128-sha256", true, 64, false },
	{ 0x00000102, "chacha20poly1305", true, 4096, true },
	{ 0x00000103, "null-sha256", false, 0, false },
	{ 0x00000104, "aes256ctr-sha512", false, 32, true },
	{ 0x00000105, "aes128gmac", true, 128, false },
};

static pktbuf_pool_t *fz_pool;
static esp_worker_t *fz_worker;
static uint8_t fz_key[64];

static void fuzz_tweak(sa_cfg_t *c, size_t i)
{
	c->esn = fuzz_sas[i].esn;
	c->replay_window = fuzz_sas[i].window;
	if (i == 0) {   /* one SA with selectors, for the inbound policy check */
		spd_sel_any(&c->ts[0], AF_INET);
		spd_sel_parse_addr(&c->ts[0], false, "10.1.0.0/16");
		c->n_ts = 1;
	}
}

static void fuzz_setup(void)
{
	esp_test_fuzz_crypto(FUZZ_PLUGIN_PATH, fz_key, sizeof(fz_key));
	for (size_t i = 0; i < G_N_ELEMENTS(fuzz_sas); i++)
		esp_test_fuzz_sa_pair(fuzz_sas[i].spi, fuzz_sas[i].esp, fz_key, fuzz_sas[i].v6, fuzz_tweak, i);
	fz_pool = pktbuf_pool_new(4, 70000 + UIPSEC_PKT_HEADROOM + UIPSEC_PKT_TAILROOM);
	fz_worker = esp_worker_new(0);
}

static void write_seed(const char *dir, const char *name, const uint8_t *d, size_t len)
{
	char *path = g_build_filename(dir, name, NULL);
	if (!g_file_set_contents(path, (const char *)d, (gssize)len, NULL))
		fprintf(stderr, "fuzz: cannot write %s\n", path);
	g_free(path);
}

/* Seeds: a valid packet per SA (even mode, with and without outer
 * headers) and a plaintext payload per SA (odd mode). */
static void write_corpus(const char *dir)
{
	g_mkdir_with_parents(dir, 0755);
	for (size_t i = 0; i < G_N_ELEMENTS(fuzz_sas); i++) {
		for (int outer = 0; outer < 2; outer++) {
			uipsec_pkt_t *p = pktbuf_alloc(fz_pool);
			esp_test_inner(p, i & 1, 120, (uint8_t)i);
			esp_result_t r;
			db_read_lock();
			esp_encap_sa(fz_worker, sad_lookup_out(fuzz_sas[i].spi), p, &r);
			db_read_unlock();
			if (outer && !esp_test_outer_push(p, &r))   /* the engine emits the UDP payload */
				abort();
			uint8_t *d = uipsec_pkt_push(p, 2);
			d[0] = 0;
			d[1] = (uint8_t)outer;
			char name[64];
			snprintf(name, sizeof(name), "esp-%zu-%s", i, outer ? "ip" : "udp");
			write_seed(dir, name, d, p->len);
			pktbuf_free(fz_pool, p);
		}
		uipsec_pkt_t *p = pktbuf_alloc(fz_pool);
		esp_test_inner(p, i & 1, 60, 0x22);
		uint8_t *t = uipsec_pkt_put(p, 4);
		t[0] = 1; t[1] = 2; t[2] = 2; t[3] = (i & 1) ? IP_PROTO_IPV6 : IP_PROTO_IPIP;
		uint8_t *h = uipsec_pkt_push(p, 6);
		h[0] = 1;
		h[1] = (uint8_t)i;
		h[2] = 0; h[3] = 0; h[4] = 0; h[5] = 9;
		char name[64];
		snprintf(name, sizeof(name), "plain-%zu", i);
		write_seed(dir, name, h, p->len);
		pktbuf_free(fz_pool, p);
	}
	uint8_t ka[3] = { 0, 0, 0xff }, ike[10] = { 0 };
	write_seed(dir, "keepalive", ka, sizeof(ka));
	write_seed(dir, "ike", ike, sizeof(ike));
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_setup();
	const char *dir = getenv("FUZZ_ESP_WRITE_CORPUS");
	if (dir) {
		write_corpus(dir);
		exit(0);
	}
	return 0;
}

/* Encrypt payload as an authentic ESP packet of SA index idx. */
static void forge(uipsec_pkt_t *p, size_t idx, uint32_t seq_lo, const uint8_t *payload, size_t len)
{
	sa_t *sa = sad_lookup_out(fuzz_sas[idx].spi);
	uint64_t seq = seq_lo;
	if (sa->esn) {   /* place it near the receiver's window so inference can go both ways */
		sa_t *in = sad_lookup_spi(fuzz_sas[idx].spi, NULL);
		seq = (in->replay.top & ~0xffffffffull) | seq_lo;
	}
	/* CBC wants whole blocks: a refusal just leaves a packet that fails */
	esp_test_forge(p, sa, seq, payload, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 65535)
		return 0;
	uipsec_pkt_t *p = pktbuf_alloc(fz_pool);
	esp_result_t r;
	esp_in_meta_t meta, *m = NULL;
	db_read_lock();
	if (data[0] & 1) {
		if (size >= 6)
			forge(p, data[1] % G_N_ELEMENTS(fuzz_sas),
			      (uint32_t)data[2] << 24 | (uint32_t)data[3] << 16 | (uint32_t)data[4] << 8 | data[5],
			      data + 6, size - 6);
	} else {
		memcpy(uipsec_pkt_put(p, (uint32_t)(size - 2)), data + 2, size - 2);
		if (data[1] & 1) {
			if (!esp_strip_outer(p, &meta))
				goto out;
			m = &meta;
		}
	}
	esp_decap_batch(fz_worker, &p, 1, m, &r);
	if (r.verdict == ESP_DELIVER) {
		/* what is delivered is a whole, valid IP packet inside the buffer */
		ip_flow_t f;
		if (ip_parse_flow(uipsec_pkt_data(p), p->len, &f) != p->len)
			abort();
	}
out:
	db_read_unlock();
	pktbuf_free(fz_pool, p);
	return 0;
}
