/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: what a raw ESP socket (IP protocol 50) delivers, as
 * raw_rx() in core/datapath/datapath.c handles it: raw_esp_parse() (IPv4:
 * header checked and stripped; IPv6: the payload as it is), then
 * esp_decap_batch() with real SAs of encapsulation none installed.
 * Checked: an accepted packet lies inside the read, holds at least the
 * ESP header, and a delivered one is a whole IP packet inside it.
 *
 * Input: [flags: 1] (bit 0: IPv6 socket) then the read, copied into a
 * buffer exactly as large (ASan sees any read past it). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include "../esp_test_util.h"
#include "datapath/raw_socket.h"

#ifndef FUZZ_PLUGIN_PATH
#define FUZZ_PLUGIN_PATH ""
#endif

static const struct { uint32_t spi; const char *esp; } fz_sas[] = {
	{ 0x00000100, "aes128gcm16" },
	{ 0x00000103, "null-sha256" },
};

static esp_worker_t *fz_worker;
static uint8_t fz_key[64];

/* raw ESP SAs without a replay window: repeated inputs all decrypt */
static void raw_sa(sa_cfg_t *c, size_t idx)
{
	(void)idx;
	c->replay_window = 0;
	c->encap = SA_ENCAP_NONE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz_worker) {
		esp_test_fuzz_crypto(FUZZ_PLUGIN_PATH, fz_key, sizeof(fz_key));
		for (size_t i = 0; i < G_N_ELEMENTS(fz_sas); i++)
			esp_test_fuzz_sa_pair(fz_sas[i].spi, fz_sas[i].esp, fz_key, false, raw_sa, 0);
		fz_worker = esp_worker_new(0);
	}
	if (size < 1 || size > 65536)
		return 0;
	int family = (data[0] & 1) ? AF_INET6 : AF_INET;
	uint32_t len = (uint32_t)(size - 1);
	uipsec_pkt_t pkt = { 0 };
	pkt.cap = UIPSEC_PKT_HEADROOM + len;
	pkt.buf = malloc(pkt.cap ? pkt.cap : 1);
	pkt.off = UIPSEC_PKT_HEADROOM;
	pkt.len = len;
	memcpy(pkt.buf + pkt.off, data + 1, len);
	uipsec_addr_t local = { .family = family };
	stats_id_t why;
	if (raw_esp_parse(&pkt, family, &local, &why)) {
		if (pkt.off < UIPSEC_PKT_HEADROOM || pkt.off + pkt.len > pkt.cap || pkt.len < ESP_HDR_LEN)
			abort();
		uint32_t lo = pkt.off, hi = pkt.off + pkt.len;
		esp_in_meta_t meta = { .encap = SA_ENCAP_NONE };
		meta.src.addr.family = family;
		meta.dst.addr = local;
		esp_result_t res;
		uipsec_pkt_t *v = &pkt;
		db_read_lock();
		esp_decap_batch(fz_worker, &v, 1, &meta, &res);
		db_read_unlock();
		ip_flow_t f;
		if (res.verdict == ESP_DELIVER &&
		    (pkt.off < lo || pkt.off + pkt.len > hi ||
		     ip_parse_flow(uipsec_pkt_data(&pkt), pkt.len, &f) != pkt.len))
			abort();
		if (res.verdict == ESP_IKE || res.verdict == ESP_KEEPALIVE)
			abort();   /* nothing raw is IKE or a keepalive */
	} else if (why != STAT_MALFORMED && why != STAT_BAD_SPI) {
		abort();
	}
	free(pkt.buf);
	return 0;
}
