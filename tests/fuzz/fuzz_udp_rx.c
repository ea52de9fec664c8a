/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the receive path of a worker without its socket.
 *
 * The input describes what one recvmmsg() with UDP_GRO returned: up to
 * UDP_RX coalesced buffers, each with its own segment size. udp_split()
 * cuts them into views, at most `max` per call (from the input), and every
 * chunk goes through esp_decap_batch() with real SAs installed, as
 * udp_rx() in core/datapath/datapath.c does. Checked: no chunk exceeds max, the
 * views tile each buffer exactly, and a delivered packet lies inside its
 * view and is a whole IP packet.
 *
 * Input: [max-1: 1] then records [seg: 2][len: 2][plen: 1][pattern: plen]
 * (big endian); buffer = pattern repeated to len bytes, so a few bytes
 * describe 128 copies of one ESP packet or 64 KiB of 1-byte segments.
 * Records past DATAGRAM_BUDGET datagrams are left out.
 *
 * FUZZ_UDP_RX_WRITE_CORPUS=dir writes seed inputs to dir and exits. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include "../esp_test_util.h"
#include "datapath/udp_split.h"

#ifndef FUZZ_PLUGIN_PATH
#define FUZZ_PLUGIN_PATH ""
#endif

#define UDP_RX 16   /* as core/datapath/datapath.c */
#define GRO_MAX 65535u
/* Datagrams per input, summed over its buffers: one buffer of 65535 1-byte
 * segments still fits, 16 of them (a million views, 1 ms each input) do
 * not; the split keeps no per-call state that more buffers could push
 * further (offsets and counts are 32-bit) */
#define DATAGRAM_BUDGET 65536u

/* SPIs installed: an AEAD one and an integrity-only one, both without a
 * replay window so that repeated copies of one packet all decrypt */
static const struct { uint32_t spi; const char *esp; } fz_sas[] = {
	{ 0x00000100, "aes128gcm16" },
	{ 0x00000103, "null-sha256" },
};

static pktbuf_pool_t *fz_pool;
static esp_worker_t *fz_worker;
static uint8_t fz_key[64];

static void no_replay_window(sa_cfg_t *c, size_t idx)
{
	(void)idx;
	c->replay_window = 0;
}

static void fuzz_setup(void)
{
	esp_test_fuzz_crypto(FUZZ_PLUGIN_PATH, fz_key, sizeof(fz_key));
	for (size_t i = 0; i < G_N_ELEMENTS(fz_sas); i++)
		esp_test_fuzz_sa_pair(fz_sas[i].spi, fz_sas[i].esp, fz_key, false, no_replay_window, 0);
	/* the worker's receive buffers: 64 KiB each */
	fz_pool = pktbuf_pool_new(UDP_RX, UIPSEC_PKT_HEADROOM + 65536 + UIPSEC_PKT_TAILROOM);
	fz_worker = esp_worker_new(0);
}

static void put16(GByteArray *a, uint32_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	g_byte_array_append(a, b, 2);
}

/* one record: len bytes of pattern repeated, cut into seg-byte datagrams */
static void add_record(GByteArray *a, uint32_t seg, uint32_t len, const uint8_t *pat, uint8_t plen)
{
	put16(a, seg);
	put16(a, len);
	g_byte_array_append(a, &plen, 1);
	g_byte_array_append(a, pat, plen);
}

static void write_seed(const char *dir, const char *name, GByteArray *a)
{
	char *path = g_build_filename(dir, name, NULL);
	if (!g_file_set_contents(path, (const char *)a->data, (gssize)a->len, NULL))
		fprintf(stderr, "fuzz: cannot write %s\n", path);
	g_free(path);
	g_byte_array_free(a, TRUE);
}

/* Seeds: the 16 x 128 one-byte segments that broke the old split,
 * coalesced authentic ESP packets per SA, and the odd sizes (segment
 * size 0, larger than the buffer, empty buffers). */
static void write_corpus(const char *dir)
{
	g_mkdir_with_parents(dir, 0755);
	uint8_t zero = 0;
	GByteArray *a = g_byte_array_new();
	uint8_t max = 63;
	g_byte_array_append(a, &max, 1);
	for (int i = 0; i < UDP_RX; i++)
		add_record(a, 1, 128, &zero, 1);
	write_seed(dir, "max-segments", a);
	for (size_t i = 0; i < G_N_ELEMENTS(fz_sas); i++) {
		uipsec_pkt_t *p = pktbuf_alloc(fz_pool);
		esp_test_inner(p, false, 100, (uint8_t)i);
		esp_result_t r;
		db_read_lock();
		esp_encap_sa(fz_worker, sad_lookup_out(fz_sas[i].spi), p, &r);
		db_read_unlock();   /* p: the UDP payload, as a socket delivers it */
		if (p->len > 255)
			abort();
		a = g_byte_array_new();
		max = 15;
		g_byte_array_append(a, &max, 1);
		add_record(a, p->len, p->len * 128, uipsec_pkt_data(p), (uint8_t)p->len);
		add_record(a, p->len, p->len * 3 + 5, uipsec_pkt_data(p), (uint8_t)p->len);
		add_record(a, 0, p->len, uipsec_pkt_data(p), (uint8_t)p->len);
		char name[32];
		snprintf(name, sizeof(name), "esp-%zu", i);
		write_seed(dir, name, a);
		pktbuf_free(fz_pool, p);
	}
	a = g_byte_array_new();
	max = 0;
	g_byte_array_append(a, &max, 1);
	uint8_t spi[8] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1 };
	add_record(a, 0, 0, &zero, 0);
	add_record(a, 4000, 1000, spi, 8);
	add_record(a, 8, 1024, spi, 8);
	add_record(a, 100, 0, spi, 8);
	add_record(a, 7, GRO_MAX, spi, 8);
	write_seed(dir, "odd-sizes", a);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	const char *dir = getenv("FUZZ_UDP_RX_WRITE_CORPUS");
	if (dir) {
		write_corpus(dir);
		exit(0);
	}
	return 0;
}

/* len bytes of pat repeated: the copied part doubles each round */
static void fill_pattern(uint8_t *d, size_t len, const uint8_t *pat, size_t plen)
{
	if (!len)
		return;
	size_t have = MIN(plen, len);
	memcpy(d, pat, have);
	while (have < len) {
		size_t n = MIN(have, len - have);
		memcpy(d + have, d, n);
		have += n;
	}
}

/* The harness's own loops and checks are not what is fuzzed: without
 * coverage instrumentation they neither cost the comparison callbacks
 * (a third of the run time with a million 1-byte datagrams) nor add
 * features of their own. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
__attribute__((no_sanitize("coverage")))
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t max = 1 + data[0] % PKTBUF_BATCH;
	size_t pos = 1;
	uipsec_pkt_t *bufs[UDP_RX];
	uint16_t seg[UDP_RX];
	ip_endpoint_t from[UDP_RX];
	uint32_t n = 0;
	memset(from, 0, sizeof(from));
	uint32_t budget = DATAGRAM_BUDGET;
	while (n < UDP_RX && size - pos >= 5) {
		uint32_t s = (uint32_t)data[pos] << 8 | data[pos + 1];
		uint32_t len = (uint32_t)data[pos + 2] << 8 | data[pos + 3];
		size_t plen = data[pos + 4];
		uint32_t datagrams = plen && s && len ? (len + s - 1) / s : 1;
		if (datagrams > budget)
			break;
		budget -= datagrams;
		pos += 5;
		if (plen > size - pos)
			plen = size - pos;
		uipsec_pkt_t *p = bufs[n] = pktbuf_alloc(fz_pool);
		uint8_t *d = uipsec_pkt_put(p, plen ? len : 0);
		fill_pattern(d, plen ? len : 0, data + pos, plen);
		pos += plen;
		seg[n] = (uint16_t)s;
		from[n].addr.family = AF_INET;
		from[n].port = (uint16_t)(4500 + n);
		n++;
	}
	/* the views, exactly as large as one chunk may be: ASan sees a write
	 * past them */
	uipsec_pkt_t *views = g_new(uipsec_pkt_t, max), **vptr = g_new(uipsec_pkt_t *, max);
	ip_endpoint_t *vfrom = g_new(ip_endpoint_t, max);
	uint32_t *vbuf = g_new(uint32_t, max);
	esp_in_meta_t *meta = g_new0(esp_in_meta_t, max);
	esp_result_t *res = g_new(esp_result_t, max);
	udp_split_t split = { 0, 0 };
	uint32_t nv, b = 0, next = 0;
	while ((nv = udp_split(&split, bufs, seg, from, n, views, vptr, vfrom, vbuf, max)) > 0) {
		if (nv > max)
			abort();
		for (uint32_t k = 0; k < nv; k++) {
			/* views tile the buffers in order; an empty buffer has one
			 * empty view */
			if (b >= n || views[k].buf != bufs[b]->buf || views[k].off != bufs[b]->off + next ||
			    views[k].cap != views[k].off + views[k].len || vptr[k] != &views[k] ||
			    vfrom[k].port != from[b].port || vbuf[k] != b)
				abort();
			next += views[k].len;
			if (next >= bufs[b]->len) {
				b++;
				next = 0;
			}
			memset(&meta[k].dst, 0, sizeof(meta[k].dst));
			meta[k].src = vfrom[k];
		}
		/* what the views looked like before decapsulation moved them */
		uint32_t lo[PKTBUF_BATCH], hi[PKTBUF_BATCH];
		for (uint32_t k = 0; k < nv; k++) {
			lo[k] = views[k].off;
			hi[k] = views[k].cap;
		}
		db_read_lock();
		esp_decap_batch(fz_worker, vptr, nv, meta, res);
		for (uint32_t k = 0; k < nv; k++) {
			if (res[k].verdict != ESP_DELIVER)
				continue;
			ip_flow_t f;
			if (views[k].off < lo[k] || views[k].off + views[k].len > hi[k] ||
			    ip_parse_flow(uipsec_pkt_data(&views[k]), views[k].len, &f) != views[k].len)
				abort();
		}
		db_read_unlock();
	}
	if (b != n)   /* every buffer split to its end */
		abort();
	g_free(views);
	g_free(vptr);
	g_free(vfrom);
	g_free(vbuf);
	g_free(meta);
	g_free(res);
	for (uint32_t i = 0; i < n; i++)
		pktbuf_free(fz_pool, bufs[i]);
	return 0;
}
