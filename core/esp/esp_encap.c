/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP outbound: policy lookup, then RFC 4303 tunnel mode, built in place
 * in the packet's head- and tailroom. The result is the RFC 3948 UDP
 * payload; the socket adds the outer headers. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <uipsec/crypto.h>
#include "util/byteorder.h"
#include "esp/esp_encap.h"
#include "esp/events.h"
#include "esp/pktbuf.h"
#include "esp/sad.h"
#include "esp/seq_store.h"

/* Random IV bytes: the RNG is asked for a block at a time, not per packet. */
static int random_iv(esp_worker_t *w, uint8_t *iv, size_t len)
{
	if (w->iv_fn)
		return w->iv_fn(w->iv_user, iv, len);
	if (len > sizeof(w->rnd))
		return UIPSEC_ERR_INVAL;
	if (w->rnd_pos + len > sizeof(w->rnd)) {
		int rc = uipsec_rng_bytes(w->rnd, sizeof(w->rnd));
		if (rc != UIPSEC_OK)
			return rc;
		w->rnd_pos = 0;
	}
	memcpy(iv, w->rnd + w->rnd_pos, len);
	memset(w->rnd + w->rnd_pos, 0, len);   /* never hand out the same bytes twice */
	w->rnd_pos += (uint32_t)len;
	return UIPSEC_OK;
}

/* Past the wake-up mark of a persisted reservation (seq_store.h): ask the
 * main loop for more; a number beyond the reservation is never sent. */
static __attribute__((noinline, cold)) bool seq_reserved(sa_t *sa, uint64_t seq)
{
	seq_store_wake();
	if (seq <= atomic_load_explicit(&sa->seq_limit, memory_order_relaxed))
		return true;
	sa_error(sa, "sequence number not reserved on disk yet (uipsecd.state_dir)", UIPSEC_ERR_AGAIN);
	return false;
}

static esp_verdict_t drop(esp_result_t *res, stats_id_t why)
{
	stats_inc(why);
	res->verdict = ESP_DROP;
	res->reason = why;
	return ESP_DROP;
}

/* What a batch adds up and moves to the shared counters once at its end. */
typedef struct tally {
	sa_acct_t acct;
	uint64_t packets, bytes;
} tally_t;

static void tally_flush(tally_t *t)
{
	sa_acct_flush(&t->acct);
	if (t->packets) {
		stats_add(STAT_TX_PACKETS, t->packets);
		stats_add(STAT_TX_BYTES, t->bytes);
	}
	t->packets = t->bytes = 0;
}

/* One packet, RFC 4303 3.3 in order. Over 80 lines on purpose: this is the
 * per-packet hot path, and the steps share the header pointers, lengths and
 * the sequence number; split into calls, that state would be passed through
 * pointers on every packet, and the RFC's order would be harder to follow. */
static esp_verdict_t encap_one(esp_worker_t *w, sa_t *sa, uipsec_pkt_t *p, esp_result_t *res,
                               tally_t *tally)
{
	res->spi = sa->spi;
	uint8_t *inner = uipsec_pkt_data(p);
	uint32_t len = p->len;
	if (len < 1 || (inner[0] >> 4 != 4 && inner[0] >> 4 != 6))
		return drop(res, STAT_MALFORMED);
	uint8_t next_header = inner[0] >> 4 == 4 ? IP_PROTO_IPIP : IP_PROTO_IPV6;
	bool v6 = sa->dst.addr.family == AF_INET6;
	uint32_t ip_len = v6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;   /* the kernel's, counted in the limit */
	uint32_t pad = esp_pad_len(sa, len);
	uint32_t payload = len + pad + ESP_TRAILER_LEN;           /* encrypted part */
	uint32_t esp_len = ESP_HDR_LEN + sa->iv_size + payload + sa->icv_size;
	if (UDP_HDR_LEN + esp_len + (v6 ? 0 : ip_len) > 65535 ||
	    uipsec_pkt_tailroom(p) < pad + ESP_TRAILER_LEN + sa->icv_size ||
	    uipsec_pkt_headroom(p) < ESP_HDR_LEN + (uint32_t)sa->iv_size)
		return drop(res, STAT_MALFORMED);
	if (!sa_usable(sa))
		return drop(res, STAT_NO_SA);

	uint64_t seq = atomic_fetch_add_explicit(&sa->seq_out, 1, memory_order_relaxed) + 1;
	if (__builtin_expect(seq >= atomic_load_explicit(&sa->seq_wake, memory_order_relaxed), 0) &&
	    !seq_reserved(sa, seq))
		return drop(res, STAT_SEQ_RESERVE_WAIT);
	if (!sa->esn && seq > SA_SEQ_MAX_32) {
		sa_expire_hard(sa, EVENT_REASON_SEQ);
		return drop(res, STAT_NO_SA);
	}
	if (seq == 0) {   /* 2^64 packets: unreachable, but never wrap */
		sa_expire_hard(sa, EVENT_REASON_SEQ);
		return drop(res, STAT_NO_SA);
	}
	if (!sa_account_deferred(&tally->acct, sa, len, w->now_real ? w->now_real : g_get_real_time()))
		return drop(res, STAT_NO_SA);
	if (!sa->esn) {
		if (seq == SA_SEQ_MAX_32)
			sa_expire_hard(sa, EVENT_REASON_SEQ);   /* this is the last one */
		else if (seq >= SA_SEQ_SOFT_32)
			sa_expire_soft(sa, EVENT_REASON_SEQ);
	}

	/* Trailer: padding 1, 2, 3, ..., pad length, next header; then the ICV. */
	uint8_t *trailer = uipsec_pkt_put(p, pad + ESP_TRAILER_LEN + sa->icv_size);
	for (uint32_t i = 0; i < pad; i++)
		trailer[i] = (uint8_t)(i + 1);
	trailer[pad] = (uint8_t)pad;
	trailer[pad + 1] = next_header;
	uint8_t *icv = trailer + pad + ESP_TRAILER_LEN;

	uint8_t *iv = uipsec_pkt_push(p, sa->iv_size);
	uint8_t *esp = uipsec_pkt_push(p, ESP_HDR_LEN);
	put_be32(esp, sa->spi);
	put_be32(esp + 4, (uint32_t)seq);
	int rc;
	if (sa->iv_size) {
		if (sa->iv_random || w->iv_fn) {
			if ((rc = random_iv(w, iv, sa->iv_size)) != UIPSEC_OK) {
				sa_error(sa, "no random IV", rc);
				goto crypto_failed;
			}
		} else {
			/* Counter modes: the 64-bit sequence number is unique per key. */
			if (sa->iv_size == 8) {
				put_be64(iv, seq);
			} else {
				memset(iv, 0, sa->iv_size);
				uint32_t n = sa->iv_size < 8 ? sa->iv_size : 8;
				for (uint32_t i = 0; i < n; i++)
					iv[sa->iv_size - 1 - i] = (uint8_t)(seq >> (8 * i));
			}
		}
	}

	uint8_t aad[12], tail[4];
	size_t tail_len;
	size_t aad_len = esp_build_aad(sa, sa->spi, seq, aad, tail, &tail_len);
	bool locked;
	uipsec_xform_t *xf = sa_xform(sa, w->id, &locked);
	if (!xf) {
		sa_error(sa, "cannot clone the transform for a worker", UIPSEC_ERR_NOMEM);
		goto crypto_failed;
	}
	rc = uipsec_xform_encrypt(xf, iv, aad, aad_len, tail, tail_len, iv + sa->iv_size, payload, icv);
	sa_xform_unlock(sa, locked);
	if (rc != UIPSEC_OK) {
		sa_error(sa, "encryption failed", rc);
		goto crypto_failed;
	}

	tally->packets++;
	tally->bytes += len;
	res->verdict = ESP_SEND;
	res->local = sa->src;
	res->peer = sa->dst;
	res->encap = sa->encap;
	return ESP_SEND;

crypto_failed:
	return drop(res, STAT_CRYPTO_FAILED);
}

esp_verdict_t esp_encap_sa(esp_worker_t *w, sa_t *sa, uipsec_pkt_t *p, esp_result_t *res)
{
	tally_t tally = { .packets = 0 };
	esp_verdict_t v = encap_one(w, sa, p, res, &tally);
	tally_flush(&tally);
	return v;
}

static void raise_acquire(esp_worker_t *w, spd_policy_t *pol, const ip_flow_t *flow)
{
	if (!spd_acquire_allowed(pol, g_get_monotonic_time()))
		return;
	event_t ev = { 0 };
	ev.type = EVENT_ACQUIRE;
	ev.reqid = pol->reqid;
	ev.owner = pol->owner;
	ev.policy_id = pol->id;
	ev.flow = *flow;
	ev.time = w->now_real;
	g_strlcpy(ev.tunnel, pol->tunnel, sizeof(ev.tunnel));
	events_emit(&ev);
}

void esp_encap_batch(esp_worker_t *w, uipsec_pkt_t **pkts, uint32_t n, esp_result_t *res)
{
	w->now_real = g_get_real_time();
	/* Consecutive packets usually share a flow and a policy: remember the
	 * last flow's policy and the policy's SA (the SPD and SAD do not change
	 * under db_read_lock()). */
	const spd_policy_t *last_pol = NULL;
	sa_t *last_sa = NULL;
	ip_flow_t last_flow;
	spd_policy_t *last_flow_pol = NULL;
	bool have_last_flow = false;
	tally_t tally = { .packets = 0 };
	for (uint32_t i = 0; i < n; i++) {
		uipsec_pkt_t *p = pkts[i];
		esp_result_t *r = &res[i];
		if (i + 1 < n)
			pktbuf_prefetch(pkts[i + 1]);   /* read while this one is encrypted */
		memset(r, 0, sizeof(*r));
		ip_flow_t flow;
		size_t tot = ip_parse_flow(uipsec_pkt_data(p), p->len, &flow);
		if (!tot) {
			drop(r, STAT_MALFORMED);
			continue;
		}
		p->len = (uint32_t)tot;   /* anything behind the IP packet is not part of it */
		spd_policy_t *pol;
		if (have_last_flow && ip_flow_eq(&flow, &last_flow)) {
			pol = last_flow_pol;
		} else {
			pol = spd_cache_lookup(w->cache, SPD_DIR_OUT, &flow);
			last_flow = flow;
			last_flow_pol = pol;
			have_last_flow = true;
		}
		if (!pol) {
			drop(r, STAT_POLICY_DROPPED);
			continue;
		}
		switch (pol->action) {
		case SPD_BYPASS:
			stats_inc(STAT_BYPASS);
			r->verdict = ESP_BYPASS;
			continue;
		case SPD_DROP:
			drop(r, STAT_POLICY_DROPPED);
			continue;
		case SPD_PROTECT:
		case SPD_TRAP:
			break;
		}
		sa_t *sa = pol == last_pol ? last_sa : sad_out_by_reqid(pol->reqid);
		if (sa && !sa_usable(sa))
			sa = sad_out_by_reqid(pol->reqid);
		last_pol = pol;
		last_sa = sa;
		if (!sa) {
			if (pol->action == SPD_TRAP)
				raise_acquire(w, pol, &flow);
			drop(r, STAT_NO_SA);
			continue;
		}
		encap_one(w, sa, p, r, &tally);
	}
	tally_flush(&tally);
	w->now_real = 0;
}
