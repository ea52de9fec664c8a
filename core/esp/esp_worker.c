/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-worker context of the ESP engine and what both directions share
 * (overhead, AAD). */
#include "config.h"
#include <stdlib.h>
#include <uipsec/common.h>
#include "util/byteorder.h"
#include "esp/esp_worker.h"

#define SPD_CACHE_LOG2 12

esp_worker_t *esp_worker_new(uint32_t id)
{
	esp_worker_t *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->id = id;
	w->cache = spd_cache_new(SPD_CACHE_LOG2);
	w->in_cache = spd_cache_new(SPD_CACHE_LOG2);
	w->rnd_pos = sizeof(w->rnd);
	return w;
}

void esp_worker_free(esp_worker_t *w)
{
	if (!w)
		return;
	spd_cache_free(w->cache);
	spd_cache_free(w->in_cache);
	uipsec_memwipe(w->rnd, sizeof(w->rnd));
	free(w);
}

uint32_t esp_worker_id(const esp_worker_t *w) { return w->id; }

void esp_worker_set_iv_source(esp_worker_t *w, esp_iv_fn fn, void *user)
{
	w->iv_fn = fn;
	w->iv_user = user;
}

uint32_t esp_overhead(const sa_t *sa, uint32_t len)
{
	uint32_t ip = sa->dst.addr.family == AF_INET6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;
	return ip + (sa->encap == SA_ENCAP_UDP ? UDP_HDR_LEN : 0) + ESP_HDR_LEN + sa->iv_size + esp_pad_len(sa, len) + ESP_TRAILER_LEN +
	       sa->icv_size;
}

/* ESP AAD (RFC 4303 2.2.1, RFC 4106 5): SPI || [seq_hi] || seq_lo for a
 * true AEAD; SPI || seq_lo with seq_hi after the payload otherwise. */
size_t esp_build_aad(const sa_t *sa, uint32_t spi, uint64_t seq, uint8_t aad[12],
                     uint8_t tail[4], size_t *tail_len)
{
	put_be32(aad, spi);
	*tail_len = 0;
	if (!sa->esn) {
		put_be32(aad + 4, (uint32_t)seq);
		return 8;
	}
	if (sa->aead) {
		put_be32(aad + 4, (uint32_t)(seq >> 32));
		put_be32(aad + 8, (uint32_t)seq);
		return 12;
	}
	put_be32(aad + 4, (uint32_t)seq);
	put_be32(tail, (uint32_t)(seq >> 32));
	*tail_len = 4;
	return 8;
}
