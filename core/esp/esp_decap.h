/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP engine, inbound side (internal API). See esp_worker.h for the worker
 * context, esp_encap.h for the batch conventions.
 *
 * Order of checks per packet: keepalive / non-ESP marker, length, SPI
 * lookup (bad_spi), encapsulation the SA's (encap_mismatch), replay check before decryption (replay_dropped),
 * ICV (auth_failed), replay window update, padding and next header
 * (malformed; 59 = dummy, dropped silently), inner packet validation and
 * TFC padding trimmed (malformed), inbound policy (policy_dropped): the
 * inner flow must match the SA's selectors, and the dir in policy that
 * matches it, if any, must be protect or trap with the SA's reqid; with no
 * matching dir in policy an SA added without selectors and without "any"
 * (SA_TS_POLICIES) drops the packet. */
#ifndef UIPSEC_CORE_ESP_DECAP_H
#define UIPSEC_CORE_ESP_DECAP_H

#include "esp/esp_worker.h"

/* Where a received ESP packet came from (recvmsg addresses) and how. */
typedef struct esp_in_meta {
	ip_endpoint_t src;       /* the peer */
	ip_endpoint_t dst;       /* our address (selects among equal SPIs) */
	uint8_t encap;           /* sa_encap_t it arrived with: the SA's must match */
} esp_in_meta_t;

/* pkts[i] holds the UDP payload (from a UDP socket) or, with meta encap
 * SA_ENCAP_NONE, the IP payload of a protocol 50 packet (a raw socket;
 * its reader drops what is shorter than the ESP header or has SPI 0, so
 * nothing raw is taken for IKE or a keepalive). meta may be NULL (SPI
 * alone selects the SA, any encapsulation). Must run inside
 * db_read_lock(). */
void esp_decap_batch(esp_worker_t *w, uipsec_pkt_t **pkts, uint32_t n,
                     const esp_in_meta_t *meta, esp_result_t *res);

/* For raw captures: strip an outer IPv4/IPv6 + UDP header from p (the
 * packet starts with the IP header) and fill meta. false if it is not a
 * well-formed UDP datagram. */
bool esp_strip_outer(uipsec_pkt_t *p, esp_in_meta_t *meta);

#endif
