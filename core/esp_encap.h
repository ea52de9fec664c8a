/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP engine, outbound side, and the per-worker context shared with the
 * inbound side (internal API).
 *
 * RFC 4303 tunnel mode in UDP (RFC 3948). A data-path worker owns one
 * esp_worker_t and hands it batches of packets:
 *
 *   db_read_lock();                      // sad.h: SAs/policies stable
 *   esp_encap_batch(w, pkts, n, res);    // cleartext -> ESP (the UDP payload)
 *   esp_decap_batch(w, pkts, n, meta, res);  // ESP -> cleartext (esp_decap.h)
 *   db_read_unlock();
 *
 * Packets are transformed in place (headers pushed into the headroom,
 * trailer put into the tailroom). Both directions work on the UDP payload
 * (SPI .. ICV): the outer IP + UDP headers are the socket's, so the kernel
 * fills them in (and the IPv6 UDP checksum) on sendmmsg. res[i].verdict
 * says what to do with pkts[i]; dropped packets stay owned by the caller,
 * counted already. */
#ifndef UIPSEC_CORE_ESP_ENCAP_H
#define UIPSEC_CORE_ESP_ENCAP_H

#include <uipsec/packet.h>
#include "ip.h"
#include "sa.h"
#include "spd.h"
#include "stats.h"

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
} esp_result_t;

typedef struct esp_worker esp_worker_t;
typedef int (*esp_iv_fn)(void *user, uint8_t *iv, size_t len);

/* Per-worker state; fields are private to esp_encap.c / esp_decap.c. */
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

/* Outbound: look each packet's policy up (flow cache + SPD), then
 * protect / bypass / drop / trap. Must run inside db_read_lock(). */
void esp_encap_batch(esp_worker_t *w, uipsec_pkt_t **pkts, uint32_t n, esp_result_t *res);

/* Encapsulate one inner packet with a given SA (no policy lookup; inside
 * db_read_lock() or holding a reference to sa). Returns ESP_SEND or ESP_DROP. */
esp_verdict_t esp_encap_sa(esp_worker_t *w, sa_t *sa, uipsec_pkt_t *p, esp_result_t *res);

/* Build the AAD for (spi, seq); returns its length; tail gets seq_hi for
 * cipher + integrity with ESN (tail_len 4), else tail_len 0. */
size_t esp_build_aad(const sa_t *sa, uint32_t spi, uint64_t seq, uint8_t aad[12],
                     uint8_t tail[4], size_t *tail_len);

/* Bytes an SA adds to an inner packet of len bytes (headers, padding,
 * trailer, ICV; outer IP + UDP included). */
uint32_t esp_overhead(const sa_t *sa, uint32_t len);

#endif
