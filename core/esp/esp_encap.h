/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP engine, outbound side (internal API); the worker context and the
 * result of both directions: esp_worker.h.
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

#include "esp/esp_worker.h"

/* Outbound: look each packet's policy up (flow cache + SPD), then
 * protect / bypass / drop / trap. Must run inside db_read_lock(). */
void esp_encap_batch(esp_worker_t *w, uipsec_pkt_t **pkts, uint32_t n, esp_result_t *res);

/* Encapsulate one inner packet with a given SA (no policy lookup; inside
 * db_read_lock() or holding a reference to sa). Returns ESP_SEND or ESP_DROP. */
esp_verdict_t esp_encap_sa(esp_worker_t *w, sa_t *sa, uipsec_pkt_t *p, esp_result_t *res);

#endif
