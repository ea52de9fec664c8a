/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP engine: the per-worker context and the per-packet result shared by
 * the outbound (esp_encap.h) and inbound (esp_decap.h) sides (internal API). */
#ifndef UIPSEC_CORE_ESP_WORKER_H
#define UIPSEC_CORE_ESP_WORKER_H

#include <uipsec/packet.h>
#include "util/ip.h"
#include "esp/sa.h"
#include "esp/spd.h"
#include "esp/stats.h"

#define ESP_HDR_LEN 8        /* SPI + sequence number */
#define ESP_TRAILER_LEN 2    /* pad length + next header */
#define ESP_UDP_PORT 4500

typedef enum esp_verdict {
	ESP_DROP = 0,        /* counted under res.reason; caller frees the packet */
	ESP_SEND,            /* outbound: UDP payload for the peer (pkt starts at the ESP header) */
	ESP_BYPASS,          /* outbound: bypass policy; counted `bypass`, and the caller
	                      * drops it (such traffic leaves through the normal
	                      * stack, kept off the TUN by a throw route) */
	ESP_DELIVER,         /* inbound: inner IP packet, write it to the TUN device */
	ESP_IKE,             /* inbound: non-ESP marker; IKE message after the 4 zero bytes */
	ESP_KEEPALIVE,       /* inbound: NAT keepalive, nothing to do */
} esp_verdict_t;

typedef struct esp_result {
	esp_verdict_t verdict;
	stats_id_t reason;       /* ESP_DROP: the counter that counted it */
	uint32_t spi;            /* SA used (0 = none) */
	uint32_t reqid;          /* ESP_DELIVER: the inbound SA's reqid (NAT rebinding needs
	                          * no second SPI lookup) */
	ip_endpoint_t local;     /* ESP_SEND: our outer address/port (source);
	                          * ESP_DELIVER: the SA's destination (ours) */
	ip_endpoint_t peer;      /* ESP_SEND: where to send; ESP_DELIVER: the SA's source */
	uint8_t encap;           /* ESP_SEND: the SA's sa_encap_t (UDP socket or raw socket) */
} esp_result_t;

typedef struct esp_worker esp_worker_t;
typedef int (*esp_iv_fn)(void *user, uint8_t *iv, size_t len);

/* Per-worker state; fields are private to the esp_*.c files. */
struct esp_worker {
	uint32_t id;
	int64_t now_real;            /* g_get_real_time() once per batch */
	spd_cache_t *cache;          /* outbound flow cache */
	spd_cache_t *in_cache;       /* dir in policies of decrypted packets */
	esp_iv_fn iv_fn;             /* tests: fixed IVs */
	void *iv_user;
	uint32_t rnd_pos;            /* random IV bytes, fetched in bulk */
	uint8_t rnd[2048];
};

/* id: 0-based worker index (selects the SA's transform clone). */
esp_worker_t *esp_worker_new(uint32_t id);
void esp_worker_free(esp_worker_t *w);
uint32_t esp_worker_id(const esp_worker_t *w);

/* Tests and known-answer vectors only: take every IV (CBC and counter
 * modes) from this function instead of the RNG / sequence number. */
void esp_worker_set_iv_source(esp_worker_t *w, esp_iv_fn fn, void *user);

/* Padding bytes for an inner packet of len bytes (hot path: inline). */
static inline uint32_t esp_pad_len(const sa_t *sa, uint32_t len)
{
	/* RFC 4303 2.4: pad to the cipher block size and to 4 bytes */
	uint32_t align = sa->block_size > 4 ? sa->block_size : 4;
	if (__builtin_expect((align & (align - 1)) == 0, 1))   /* every cipher's: no division */
		return (0u - (len + ESP_TRAILER_LEN)) & (align - 1);
	return (align - (len + ESP_TRAILER_LEN) % align) % align;
}

/* Build the AAD for (spi, seq); returns its length; tail gets seq_hi for
 * cipher + integrity with ESN (tail_len 4), else tail_len 0. */
size_t esp_build_aad(const sa_t *sa, uint32_t spi, uint64_t seq, uint8_t aad[12],
                     uint8_t tail[4], size_t *tail_len);

/* Bytes an SA adds to an inner packet of len bytes (headers, padding,
 * trailer, ICV; outer IP and, with encap udp, UDP included). */
uint32_t esp_overhead(const sa_t *sa, uint32_t len);

#endif
