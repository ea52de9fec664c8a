/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the ESP tests, the decap fuzz target and the ESP
 * benchmark: crypto back-end loading, SA pairs, inner packets, outer
 * headers. */
#ifndef UIPSEC_TESTS_ESP_TEST_UTIL_H
#define UIPSEC_TESTS_ESP_TEST_UTIL_H

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/crypto_core.h"
#include "esp/esp_decap.h"
#include "esp/esp_encap.h"
#include "esp/events.h"
#include "esp/pktbuf.h"
#include "plugin/plugin_loader.h"
#include "esp/sad.h"
#include "config/settings_parser.h"
#include "esp/spd.h"
#include "esp/stats.h"

static uipsec_settings_t *esp_test_settings;

/* Load exactly one crypto plugin (by name); false if it cannot be loaded. */
static inline bool esp_test_load_crypto(const char *plugin)
{
	plugin_loader_unload();
	if (esp_test_settings)
		settings_free(esp_test_settings);
	esp_test_settings = settings_new();
	settings_set(esp_test_settings, "uipsecd.load", plugin);
	crypto_init(esp_test_settings);
	GError *err = NULL;
	bool ok = plugin_loader_load(esp_test_settings, &err);
	if (!ok) {
		g_test_message("loading %s: %s", plugin, err ? err->message : "?");
		g_clear_error(&err);
	}
	return ok;
}

static inline void esp_test_unload(void)
{
	plugin_loader_unload();
	crypto_deinit();
	if (esp_test_settings)
		settings_free(esp_test_settings);
	esp_test_settings = NULL;
}

static inline size_t esp_test_unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	for (; hex[0] && hex[1] && n < max; hex += 2)
		out[n++] = (uint8_t)(g_ascii_xdigit_value(hex[0]) << 4 | g_ascii_xdigit_value(hex[1]));
	return n;
}

/* Key sizes for a keyword: key (with salt) and integrity key. */
static inline bool esp_test_key_sizes(const char *esp, size_t *key_len, size_t *integ_len)
{
	crypto_proposal_t prop;
	if (!crypto_proposal_parse(esp, &prop, NULL))
		return false;
	const uipsec_alg_info_t *e = uipsec_alg_info(prop.encr);
	const uipsec_alg_info_t *i = prop.integ ? uipsec_alg_info(prop.integ) : NULL;
	if (!e)
		return false;
	*key_len = e->key_size;
	*integ_len = i ? i->key_size : 0;
	return true;
}

/* An SA config: outbound (us -> peer) or the matching inbound at the peer. */
static inline void esp_test_sa_cfg(sa_cfg_t *c, sa_dir_t dir, uint32_t spi, const char *esp,
                                   const uint8_t *key, size_t key_len, const uint8_t *ikey,
                                   size_t ikey_len, bool v6_outer)
{
	sa_cfg_init(c);
	c->spi = spi;
	c->dir = dir;
	c->esp = esp;
	c->key = key;
	c->key_len = key_len;
	c->integ_key = ikey;
	c->integ_key_len = ikey_len;
	g_assert_true(uipsec_addr_parse(v6_outer ? "2001:db8::1" : "192.0.2.1", &c->src.addr));
	g_assert_true(uipsec_addr_parse(v6_outer ? "2001:db8::2" : "192.0.2.2", &c->dst.addr));
	c->reqid = 1;
}

/* Fill p with an inner UDP packet of total length len (>= 28 / 48). */
static inline void esp_test_inner(uipsec_pkt_t *p, bool v6, uint32_t len, uint8_t fill)
{
	pktbuf_reset(p);
	uint8_t *d = uipsec_pkt_put(p, len);
	g_assert_nonnull(d);
	memset(d, fill, len);
	uipsec_addr_t s, t;
	g_assert_true(uipsec_addr_parse(v6 ? "fd00:1::1" : "10.1.0.1", &s));
	g_assert_true(uipsec_addr_parse(v6 ? "fd00:2::1" : "10.2.0.1", &t));
	uint32_t hl;
	if (v6) {
		ip6_write_hdr(d, &s, &t, IP_PROTO_UDP, (uint16_t)(len - IPV6_HDR_LEN), 64);
		hl = IPV6_HDR_LEN;
	} else {
		ip4_write_hdr(d, &s, &t, IP_PROTO_UDP, (uint16_t)len, 1, 64);
		hl = IPV4_HDR_LEN;
	}
	uint8_t *u = d + hl;
	u[0] = 0x30; u[1] = 0x39;   /* 12345 */
	u[2] = 0x00; u[3] = 0x35;   /* 53 */
	u[4] = (uint8_t)((len - hl) >> 8); u[5] = (uint8_t)(len - hl);
	u[6] = u[7] = 0;
}

/* Append an authentic ESP packet (SPI to ICV) with sequence number seq
 * and an arbitrary payload (trailer included) to p: lets tests and the
 * fuzz target produce packets that verify but have bad contents. The IV
 * is derived from seq. Inside db_read_lock(). */
static inline int esp_test_forge(uipsec_pkt_t *p, sa_t *sa, uint64_t seq, const uint8_t *payload,
                                 size_t len)
{
	uint8_t *d = uipsec_pkt_put(p, (uint32_t)(ESP_HDR_LEN + sa->iv_size + len + sa->icv_size));
	if (!d)
		return UIPSEC_ERR_INVAL;
	uint32_t spi = sa->spi;
	d[0] = (uint8_t)(spi >> 24); d[1] = (uint8_t)(spi >> 16); d[2] = (uint8_t)(spi >> 8); d[3] = (uint8_t)spi;
	d[4] = (uint8_t)(seq >> 24); d[5] = (uint8_t)(seq >> 16); d[6] = (uint8_t)(seq >> 8); d[7] = (uint8_t)seq;
	uint8_t *iv = d + ESP_HDR_LEN;
	memset(iv, 0x5c, sa->iv_size);
	if (sa->iv_size)
		iv[sa->iv_size - 1] = (uint8_t)seq;
	memcpy(iv + sa->iv_size, payload, len);
	uint8_t aad[12], tail[4];
	size_t tail_len, aad_len = esp_build_aad(sa, spi, seq, aad, tail, &tail_len);
	bool locked;
	uipsec_xform_t *x = sa_xform(sa, 0, &locked);
	int rc = uipsec_xform_encrypt(x, iv, aad, aad_len, tail, tail_len, iv + sa->iv_size, len,
	                              iv + sa->iv_size + len);
	sa_xform_unlock(sa, locked);
	return rc;
}

/* Fuzz targets: load crypto-openssl (from plugin_path unless
 * UIPSEC_PLUGIN_PATH is set) and fill key with a fixed pattern, so that
 * seeds written once stay valid. Aborts when it cannot. */
static inline void esp_test_fuzz_crypto(const char *plugin_path, uint8_t *key, size_t key_len)
{
	if (!getenv("UIPSEC_PLUGIN_PATH") && strlen(plugin_path) > 0)
		setenv("UIPSEC_PLUGIN_PATH", plugin_path, 1);
	if (!esp_test_load_crypto("crypto-openssl")) {
		fprintf(stderr, "fuzz: cannot load crypto-openssl (set UIPSEC_PLUGIN_PATH)\n");
		abort();
	}
	for (size_t i = 0; i < key_len; i++)
		key[i] = (uint8_t)(0x40 + i);
}

/* Fuzz targets: an inbound and an outbound SA of one SPI, keys cut from
 * key, adjusted by tweak(c, idx) (may be NULL) before sad_add(). Aborts
 * on any error. */
static inline void esp_test_fuzz_sa_pair(uint32_t spi, const char *esp, const uint8_t *key, bool v6,
                                         void (*tweak)(sa_cfg_t *c, size_t idx), size_t idx)
{
	size_t kl, il;
	if (!esp_test_key_sizes(esp, &kl, &il))
		abort();
	for (int dir = 0; dir < 2; dir++) {
		sa_cfg_t c;
		esp_test_sa_cfg(&c, dir ? SA_DIR_OUT : SA_DIR_IN, spi, esp, key, kl, key, il, v6);
		if (tweak)
			tweak(&c, idx);
		uipsec_err_t err;
		if (sad_add(&c, &err) != UIPSEC_OK) {
			fprintf(stderr, "fuzz: SA %s: %s\n", esp, err.msg);
			abort();
		}
	}
}

/* Push the outer IPv4/IPv6 + UDP headers the kernel's socket would add
 * in front of an ESP_SEND result (r->local -> r->peer), so that tests, the
 * fuzz targets and the scapy / tshark comparisons see whole datagrams
 * (esp_strip_outer() undoes it). IPv6 gets its UDP checksum, IPv4 a zero
 * one (RFC 3948 2.1). Returns the bytes pushed, 0 without headroom. */
static inline uint32_t esp_test_outer_push(uipsec_pkt_t *p, const esp_result_t *r)
{
	bool v6 = r->peer.addr.family == AF_INET6;
	uint32_t ip_len = v6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;
	uint32_t udp_len = UDP_HDR_LEN + p->len;
	if (uipsec_pkt_headroom(p) < ip_len + UDP_HDR_LEN || udp_len + (v6 ? 0 : ip_len) > 65535)
		return 0;
	uint8_t *udp = uipsec_pkt_push(p, UDP_HDR_LEN);
	const uint16_t f[4] = { r->local.port, r->peer.port, (uint16_t)udp_len, 0 };
	for (int i = 0; i < 4; i++) {
		udp[2 * i] = (uint8_t)(f[i] >> 8);
		udp[2 * i + 1] = (uint8_t)f[i];
	}
	uint8_t *ip = uipsec_pkt_push(p, ip_len);
	if (v6) {
		uint16_t c = ip_udp6_csum(r->local.addr.bytes, r->peer.addr.bytes, udp, udp_len);
		udp[6] = (uint8_t)(c >> 8);
		udp[7] = (uint8_t)c;
		ip6_write_hdr(ip, &r->local.addr, &r->peer.addr, IP_PROTO_UDP, (uint16_t)udp_len, 64);
	} else {
		ip4_write_hdr(ip, &r->local.addr, &r->peer.addr, IP_PROTO_UDP,
		              (uint16_t)(ip_len + udp_len), 0, 64);   /* DF: ID unused (RFC 6864) */
	}
	return ip_len + UDP_HDR_LEN;
}

/* A copy of p (tests send the same packet again). */
static inline uipsec_pkt_t *esp_test_copy_pkt(pktbuf_pool_t *pool, const uipsec_pkt_t *p)
{
	uipsec_pkt_t *c = pktbuf_alloc(pool);
	g_assert_nonnull(c);
	c->off = p->off;
	c->len = p->len;
	memcpy(c->buf, p->buf, p->cap);
	return c;
}

/* Events of type t (for SPI spi, 0 = any) among those a test collected
 * in seen, after delivering the queued ones. */
static inline unsigned esp_test_count_events(GArray *seen, event_type_t t, uint32_t spi)
{
	events_dispatch();
	unsigned n = 0;
	for (guint i = 0; i < seen->len; i++) {
		event_t *e = &g_array_index(seen, event_t, i);
		n += e->type == t && (!spi || e->spi == spi);
	}
	return n;
}

/* Between tests: no SA, no policy, no event, counters at zero. */
static inline void esp_test_reset(GArray *seen)
{
	sad_flush();
	spd_flush();
	events_dispatch();
	g_array_set_size(seen, 0);
	stats_reset();
}

#endif
