/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP inbound: RFC 3948 UDP payload -> verified, decrypted inner packet.
 * Every drop is counted under its own global counter (and the SA's). */
#include "config.h"
#include <string.h>
#include <glib.h>
#include <uipsec/crypto.h>
#include "util/byteorder.h"
#include "esp/esp_decap.h"
#include "esp/pktbuf.h"
#include "esp/sad.h"

static esp_verdict_t drop(esp_result_t *res, stats_id_t why)
{
	stats_inc(why);
	res->verdict = ESP_DROP;
	res->reason = why;
	return ESP_DROP;
}

static esp_verdict_t drop_sa(esp_result_t *res, stats_id_t why, _Atomic uint64_t *sa_ctr)
{
	if (sa_ctr)
		atomic_fetch_add_explicit(sa_ctr, 1, memory_order_relaxed);
	return drop(res, why);
}

static replay_verdict_t replay_locked(sa_t *sa, uint32_t seq_lo, uint64_t *seq, bool update)
{
	pthread_mutex_lock(&sa->replay_lock);
	replay_verdict_t v;
	if (update) {
		v = replay_update(&sa->replay, *seq);
	} else {
		*seq = replay_infer(&sa->replay, seq_lo);
		v = replay_check(&sa->replay, *seq);
	}
	pthread_mutex_unlock(&sa->replay_lock);
	return v;
}

/* Our address as the SA knows it: a dual-stack IPv6 socket reports IPv4
 * peers as ::ffff:a.b.c.d. NULL when unknown (the SPI alone decides). */
static const uipsec_addr_t *our_addr(const uipsec_addr_t *a, uipsec_addr_t *buf)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!a->family)
		return NULL;
	if (a->family == AF_INET6 && memcmp(a->bytes, v4mapped, sizeof(v4mapped)) == 0) {
		memset(buf, 0, sizeof(*buf));
		buf->family = AF_INET;
		memcpy(buf->bytes, a->bytes + 12, 4);
		return buf;
	}
	return a;
}

/* ESN inference takes a number left of the window for the next epoch
 * (RFC 4303 A2.2). When that fails the ICV and the same-epoch reading is
 * simply too old, it was a late packet, not a forgery: count it so. */
static bool esn_too_old(sa_t *sa, uint64_t seq)
{
	if (!sa->esn || seq < (1ull << 32))
		return false;
	pthread_mutex_lock(&sa->replay_lock);
	bool old = (seq >> 32) > (sa->replay.top >> 32) &&
	           replay_check(&sa->replay, seq - (1ull << 32)) == REPLAY_TOO_OLD;
	pthread_mutex_unlock(&sa->replay_lock);
	return old;
}

/* The last SPI lookup of a batch: consecutive packets usually belong to
 * one SA, and the SAD does not change under db_read_lock(). */
typedef struct spi_memo {
	bool valid;
	uint32_t spi;
	bool have_dst;
	uipsec_addr_t dst;
	sa_t *sa;
} spi_memo_t;

static sa_t *lookup_spi(spi_memo_t *m, uint32_t spi, const uipsec_addr_t *dst)
{
	if (m->valid && m->spi == spi && m->have_dst == (dst != NULL) &&
	    (!dst || ip_addr_eq(&m->dst, dst)))
		return m->sa;
	/* the SA for the address it arrived at; else one with that SPI (its
	 * destination is another of ours, or behind a NAT): the ICV decides */
	m->sa = sad_lookup_spi(spi, dst);
	if (!m->sa && dst)
		m->sa = sad_lookup_spi(spi, NULL);
	m->spi = spi;
	m->have_dst = dst != NULL;
	if (dst)
		m->dst = *dst;
	m->valid = true;
	return m->sa;
}

/* The last inbound check of a batch: consecutive packets usually belong
 * to one flow of one SA, and the SPD does not change under db_read_lock(). */
typedef struct check_memo {
	const sa_t *sa;          /* NULL = empty */
	ip_flow_t flow;
	bool ok;
} check_memo_t;

/* The inbound policy check of a decrypted packet. An in-policy matching
 * the inner flow must protect (or trap) with this SA's reqid; without a
 * matching in-policy an SA that takes its selectors from the policies
 * accepts nothing. The SA's own selectors always apply. */
static bool inbound_allowed(esp_worker_t *w, check_memo_t *m, const sa_t *sa, const ip_flow_t *flow)
{
	if (m->sa == sa && ip_flow_eq(&m->flow, flow))
		return m->ok;
	bool ok = sa_ts_match(sa, flow);
	if (ok) {
		/* no in-policies at all (host-to-host tests): skip the lookup */
		const spd_policy_t *pol =
			spd_count_dir(SPD_DIR_IN) ? spd_cache_lookup(w->in_cache, SPD_DIR_IN, flow) : NULL;
		if (!pol)
			ok = sa->ts_mode != SA_TS_POLICIES;
		else
			ok = (pol->action == SPD_PROTECT || pol->action == SPD_TRAP) && pol->reqid == sa->reqid;
	}
	m->sa = sa;
	m->flow = *flow;
	m->ok = ok;
	return ok;
}

/* What a batch adds up and moves to the shared counters once at its end. */
typedef struct tally {
	sa_acct_t acct;
	uint64_t packets, bytes;
	check_memo_t check;
} tally_t;

/* One packet, the checks in the order esp_decap.h lists. Over 80 lines on
 * purpose: the per-packet hot path; every early return is a counted drop
 * and the checks share the parsed header state, so one straight function
 * keeps the order visible and the state in registers. */
static esp_verdict_t decap_one(esp_worker_t *w, spi_memo_t *memo, tally_t *tally, uipsec_pkt_t *p,
                               const esp_in_meta_t *meta, esp_result_t *res)
{
	uint8_t *d = uipsec_pkt_data(p);
	uint32_t len = p->len;

	/* RFC 3948: a single 0xFF is a NAT keepalive, four zero bytes mark IKE. */
	if (len == 1 && d[0] == 0xff) {
		stats_inc(STAT_KEEPALIVE_RX);
		res->verdict = ESP_KEEPALIVE;
		return ESP_KEEPALIVE;
	}
	if (len < ESP_HDR_LEN) {
		if (len >= 4 && get_be32(d) == 0)
			goto ike;
		return drop(res, STAT_MALFORMED);
	}
	uint32_t spi = get_be32(d);
	uipsec_addr_t dst_buf;
	if (spi == 0)
		goto ike;
	res->spi = spi;
	sa_t *sa = lookup_spi(memo, spi, meta ? our_addr(&meta->dst.addr, &dst_buf) : NULL);
	if (!sa || !sa_usable(sa))
		return drop(res, STAT_BAD_SPI);
	/* RFC 4303 and RFC 3948 leave it open; Linux XFRM drops ESP that
	 * arrives other than its state's encapsulation (XfrmInStateMismatch):
	 * so do we, in a counter of its own (docs/datapath.md) */
	if (meta && sa->encap != meta->encap)
		return drop(res, STAT_ENCAP_MISMATCH);

	/* Lengths before anything else: header, IV, at least the trailer
	 * padded to the block size, ICV; the cipher text a whole number of blocks. */
	uint32_t fixed = ESP_HDR_LEN + sa->iv_size + sa->icv_size;
	uint32_t align = sa->block_size > 4 ? sa->block_size : 4;
	if (len < fixed + align)
		return drop_sa(res, STAT_MALFORMED, &sa->ctr.malformed);
	uint32_t clen = len - fixed;
	uint32_t block = sa->block_size > 1 ? sa->block_size : 1;
	if ((block & (block - 1)) == 0 ? clen & (block - 1) : clen % block)   /* no division if we can */
		return drop_sa(res, STAT_MALFORMED, &sa->ctr.malformed);

	/* Replay check before spending cycles on the ICV. */
	uint64_t seq;
	if (replay_locked(sa, get_be32(d + 4), &seq, false) != REPLAY_OK)
		return drop_sa(res, STAT_REPLAY_DROPPED, &sa->ctr.replay_dropped);

	uint8_t aad[12], tail[4];
	size_t tail_len;
	size_t aad_len = esp_build_aad(sa, spi, seq, aad, tail, &tail_len);
	uint8_t *iv = d + ESP_HDR_LEN;
	uint8_t *payload = iv + sa->iv_size;
	bool locked;
	uipsec_xform_t *xf = sa_xform(sa, w->id, &locked);
	if (!xf) {
		sa_error(sa, "cannot clone the transform for a worker", UIPSEC_ERR_NOMEM);
		return drop(res, STAT_CRYPTO_FAILED);
	}
	int rc = uipsec_xform_decrypt(xf, iv, aad, aad_len, tail, tail_len, payload, clen,
	                              payload + clen);
	sa_xform_unlock(sa, locked);
	if (rc == UIPSEC_ERR_AUTH) {
		if (esn_too_old(sa, seq))
			return drop_sa(res, STAT_REPLAY_DROPPED, &sa->ctr.replay_dropped);
		return drop_sa(res, STAT_AUTH_FAILED, &sa->ctr.auth_failed);
	}
	if (rc != UIPSEC_OK) {
		sa_error(sa, "decryption failed", rc);
		return drop(res, STAT_CRYPTO_FAILED);
	}

	/* Authentic: move the window (another worker may have taken seq meanwhile). */
	if (replay_locked(sa, 0, &seq, true) != REPLAY_OK)
		return drop_sa(res, STAT_REPLAY_DROPPED, &sa->ctr.replay_dropped);

	uint8_t next_header = payload[clen - 1];
	uint32_t pad = payload[clen - 2];
	if (pad + ESP_TRAILER_LEN > clen)
		return drop_sa(res, STAT_MALFORMED, &sa->ctr.malformed);
	const uint8_t *padding = payload + clen - ESP_TRAILER_LEN - pad;
	for (uint32_t i = 0; i < pad; i++)
		if (padding[i] != (uint8_t)(i + 1))
			return drop_sa(res, STAT_MALFORMED, &sa->ctr.malformed);
	if (next_header == IP_PROTO_NONE)
		return drop(res, STAT_DUMMY_DROPPED);   /* TFC dummy packet: silently */
	if (next_header != IP_PROTO_IPIP && next_header != IP_PROTO_IPV6)
		return drop_sa(res, STAT_MALFORMED, &sa->ctr.malformed);

	uint32_t inner_len = clen - ESP_TRAILER_LEN - pad;
	ip_flow_t flow;
	size_t tot = ip_parse_flow(payload, inner_len, &flow);
	if (!tot || (payload[0] >> 4 == 4) != (next_header == IP_PROTO_IPIP))
		return drop_sa(res, STAT_MALFORMED, &sa->ctr.malformed);
	if (!inbound_allowed(w, &tally->check, sa, &flow))
		return drop_sa(res, STAT_POLICY_DROPPED, &sa->ctr.policy_dropped);
	if (!sa_account_deferred(&tally->acct, sa, tot, w->now_real))
		return drop(res, STAT_NO_SA);

	/* Inner packet in place; TFC padding behind it is cut off. */
	uipsec_pkt_pull(p, ESP_HDR_LEN + sa->iv_size);
	p->len = (uint32_t)tot;
	tally->packets++;
	tally->bytes += tot;
	res->verdict = ESP_DELIVER;
	res->reqid = sa->reqid;
	res->local = sa->dst;
	res->peer = sa->src;
	return ESP_DELIVER;

ike:
	stats_inc(STAT_IKE_RX);
	res->verdict = ESP_IKE;
	return ESP_IKE;
}

void esp_decap_batch(esp_worker_t *w, uipsec_pkt_t **pkts, uint32_t n,
                     const esp_in_meta_t *meta, esp_result_t *res)
{
	w->now_real = g_get_real_time();
	spi_memo_t memo = { .valid = false };
	tally_t tally = { .packets = 0 };
	for (uint32_t i = 0; i < n; i++) {
		if (i + 1 < n)
			pktbuf_prefetch(pkts[i + 1]);   /* read while this one is decrypted */
		memset(&res[i], 0, sizeof(res[i]));
		decap_one(w, &memo, &tally, pkts[i], meta ? &meta[i] : NULL, &res[i]);
	}
	sa_acct_flush(&tally.acct);
	if (tally.packets) {
		stats_add(STAT_RX_PACKETS, tally.packets);
		stats_add(STAT_RX_BYTES, tally.bytes);
	}
	w->now_real = 0;
}

bool esp_strip_outer(uipsec_pkt_t *p, esp_in_meta_t *meta)
{
	const uint8_t *d = uipsec_pkt_data(p);
	uint32_t len = p->len, hl;
	memset(meta, 0, sizeof(*meta));
	if (len < 1)
		return false;
	if (d[0] >> 4 == 4) {
		if (len < IPV4_HDR_LEN)
			return false;
		hl = (uint32_t)(d[0] & 0x0f) * 4;
		uint32_t tot = get_be16(d + 2);
		if (hl < IPV4_HDR_LEN || tot < hl + UDP_HDR_LEN || tot > len || d[9] != IP_PROTO_UDP ||
		    (get_be16(d + 6) & 0x3fff) != 0)   /* fragments are reassembled by the kernel */
			return false;
		meta->src.addr.family = meta->dst.addr.family = AF_INET;
		memcpy(meta->src.addr.bytes, d + 12, 4);
		memcpy(meta->dst.addr.bytes, d + 16, 4);
		len = tot;
	} else if (d[0] >> 4 == 6) {
		if (len < IPV6_HDR_LEN + UDP_HDR_LEN || d[6] != IP_PROTO_UDP)
			return false;
		hl = IPV6_HDR_LEN;
		uint32_t tot = IPV6_HDR_LEN + get_be16(d + 4);
		if (tot > len || tot < hl + UDP_HDR_LEN)
			return false;
		meta->src.addr.family = meta->dst.addr.family = AF_INET6;
		memcpy(meta->src.addr.bytes, d + 8, 16);
		memcpy(meta->dst.addr.bytes, d + 24, 16);
		len = tot;
	} else {
		return false;
	}
	const uint8_t *udp = d + hl;
	uint32_t ulen = get_be16(udp + 4);
	if (ulen < UDP_HDR_LEN || ulen > len - hl)
		return false;
	meta->src.port = get_be16(udp);
	meta->dst.port = get_be16(udp + 2);
	uipsec_pkt_pull(p, hl + UDP_HDR_LEN);
	p->len = ulen - UDP_HDR_LEN;
	return true;
}
