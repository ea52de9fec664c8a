/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Software TCP segmentation and checksum completion for TUN offloads. */
#include "config.h"

#include <string.h>

#include <uipsec/pktio.h>
#include "util/ip.h"
#include "datapath/gso.h"

/* Where the transport header starts and which protocol it is; 0 if unknown. */
static uint32_t l4_offset(const uint8_t *d, uint32_t len, bool *v6, uint8_t *proto)
{
	if (len < IPV4_HDR_LEN)
		return 0;
	if ((d[0] >> 4) == 4) {
		uint32_t ihl = (d[0] & 15) * 4u;
		if (ihl < IPV4_HDR_LEN || ihl > len)
			return 0;
		*v6 = false;
		*proto = d[9];
		return ihl;
	}
	if ((d[0] >> 4) == 6 && len >= IPV6_HDR_LEN) {
		*v6 = true;
		*proto = d[6];   /* the kernel's TCP/UDP offload packets carry no extension headers */
		return IPV6_HDR_LEN;
	}
	return 0;
}

bool gso_csum_complete(uipsec_pkt_t *p)
{
	uint8_t *d = uipsec_pkt_data(p);
	bool v6;
	uint8_t proto;
	uint32_t l4 = l4_offset(d, p->len, &v6, &proto);
	if (!l4 || (proto != IP_PROTO_TCP && proto != IP_PROTO_UDP))
		return false;
	uint32_t csum_off = proto == IP_PROTO_TCP ? 16 : 6;
	if (l4 + csum_off + 2 > p->len)
		return false;
	uint32_t l4len = p->len - l4;
	d[l4 + csum_off] = d[l4 + csum_off + 1] = 0;
	uint16_t c = ip_csum_fold(ip_csum_add(ip_pseudo_sum(d, v6, proto, l4len), d + l4, l4len));
	if (proto == IP_PROTO_UDP && c == 0)
		c = 0xffff;
	put_be16(d + l4 + csum_off, c);
	p->flags &= ~UIPSEC_PKT_F_CSUM_PARTIAL;
	return true;
}

int gso_segment_tcp(const uipsec_pkt_t *p, uipsec_pkt_t **out, int max)
{
	const uint8_t *d = uipsec_pkt_data(p);
	bool v6;
	uint8_t proto;
	uint32_t l4 = l4_offset(d, p->len, &v6, &proto);
	if (!l4 || proto != IP_PROTO_TCP || l4 + 20 > p->len || !p->gso_size)
		return 0;
	uint32_t thl = (d[l4 + 12] >> 4) * 4u;
	uint32_t hdr = l4 + thl;
	if (thl < 20 || hdr > p->len)
		return 0;
	uint32_t payload = p->len - hdr, mss = p->gso_size;
	int n = (int)((payload + mss - 1) / mss);
	if (n < 1 || n > max)
		return 0;
	uint32_t seq0 = get_be32(d + l4 + 4);
	uint16_t id0 = v6 ? 0 : get_be16(d + 4);
	uint8_t flags = d[l4 + 13];
	for (int i = 0; i < n; i++) {
		uipsec_pkt_t *s = out[i];
		uint32_t off = (uint32_t)i * mss;
		uint32_t chunk = payload - off < mss ? payload - off : mss;
		s->off = UIPSEC_PKT_HEADROOM;
		s->flags = 0;
		s->gso_size = 0;
		s->gso_type = UIPSEC_GSO_NONE;
		if (s->cap < s->off + hdr + chunk + UIPSEC_PKT_TAILROOM)
			return 0;
		uint8_t *o = s->buf + s->off;
		memcpy(o, d, hdr);
		memcpy(o + hdr, d + hdr + off, chunk);
		s->len = hdr + chunk;
		if (v6) {
			put_be16(o + 4, (uint16_t)(thl + chunk));
		} else {
			put_be16(o + 2, (uint16_t)(hdr + chunk));
			put_be16(o + 4, (uint16_t)(id0 + i));
			ip4_fill_csum(o, l4);
		}
		uint8_t *t = o + l4;
		uint32_t seq = seq0 + off;
		put_be32(t + 4, seq);
		uint8_t f = flags;
		if (i > 0)
			f &= (uint8_t)~0x80;            /* CWR only on the first segment */
		if (i < n - 1)
			f &= (uint8_t)~(0x01 | 0x08);   /* FIN and PSH only on the last */
		t[13] = f;
		t[16] = t[17] = 0;
		put_be16(t + 16, ip_csum_fold(ip_csum_add(ip_pseudo_sum(o, v6, IP_PROTO_TCP, thl + chunk),
		                                          t, thl + chunk)));
	}
	return n;
}

/* What identifies a TCP segment for merging. */
typedef struct tcp_seg {
	bool ok, v6;
	uint32_t l4, thl, hdr, payload;
	uint32_t seq;
	uint8_t flags;
} tcp_seg_t;

static void tcp_seg_parse(const uipsec_pkt_t *p, tcp_seg_t *s)
{
	const uint8_t *d = uipsec_pkt_data(p);
	uint8_t proto;
	memset(s, 0, sizeof(*s));
	s->l4 = l4_offset(d, p->len, &s->v6, &proto);
	if (!s->l4 || proto != IP_PROTO_TCP || s->l4 + 20 > p->len)
		return;
	if (!s->v6) {
		/* no options, no fragments, length field matching */
		if (s->l4 != IPV4_HDR_LEN || (get_be16(d + 6) & 0x3fff) || get_be16(d + 2) != p->len)
			return;
	} else if ((uint32_t)IPV6_HDR_LEN + get_be16(d + 4) != p->len) {
		return;
	}
	s->thl = (d[s->l4 + 12] >> 4) * 4u;
	s->hdr = s->l4 + s->thl;
	if (s->thl < 20 || s->hdr > p->len)
		return;
	s->payload = p->len - s->hdr;
	s->flags = d[s->l4 + 13];
	/* plain data segments only: ACK, optionally PSH */
	if ((s->flags & ~0x08) != 0x10 || !s->payload)
		return;
	s->seq = get_be32(d + s->l4 + 4);
	s->ok = true;
}

/* Same flow and same headers (addresses, ports, ack, window, options; IP
 * TOS/TTL/DF or IPv6 class/flow/hop limit), not looking at lengths,
 * checksums, IP id, sequence numbers and PSH. */
static bool tcp_same(const uint8_t *a, const uint8_t *b, const tcp_seg_t *sa, const tcp_seg_t *sb)
{
	if (sa->v6 != sb->v6 || sa->thl != sb->thl)
		return false;
	if (sa->v6) {
		if (memcmp(a, b, 4) || memcmp(a + 6, b + 6, 34))
			return false;
	} else {
		if (a[1] != b[1] || a[6] != b[6] || a[8] != b[8] || memcmp(a + 12, b + 12, 8))
			return false;
	}
	const uint8_t *ta = a + sa->l4, *tb = b + sb->l4;
	return memcmp(ta, tb, 4) == 0 &&              /* ports */
	       memcmp(ta + 8, tb + 8, 4) == 0 &&      /* ack */
	       memcmp(ta + 14, tb + 14, 2) == 0 &&    /* window */
	       memcmp(ta + 20, tb + 20, sa->thl - 20) == 0;   /* options (timestamps) */
}

int gso_coalesce_tcp(uipsec_pkt_t **pkts, int n, uipsec_pkt_t **out, uipsec_pkt_t **spare, int nspare)
{
	int no = 0, used = 0;
	for (int i = 0; i < n;) {
		tcp_seg_t first;
		tcp_seg_parse(pkts[i], &first);
		int j = i + 1;
		if (first.ok && !(first.flags & 0x08)) {
			uint32_t total = pkts[i]->len, next_seq = first.seq + first.payload;
			const uint8_t *fd = uipsec_pkt_data(pkts[i]);
			while (j < n) {
				tcp_seg_t s;
				tcp_seg_parse(pkts[j], &s);
				if (!s.ok || s.seq != next_seq || s.payload > first.payload ||
				    total + s.payload > 65535 - 64 || !tcp_same(fd, uipsec_pkt_data(pkts[j]), &first, &s))
					break;
				total += s.payload;
				next_seq += s.payload;
				j++;
				/* a shorter segment or PSH ends the super-packet */
				if (s.payload < first.payload || (s.flags & 0x08))
					break;
			}
		}
		if (j - i < 2 || used == nspare ||
		    spare[used]->cap < UIPSEC_PKT_HEADROOM + 65535 + UIPSEC_PKT_TAILROOM) {
			for (int k = i; k < j; k++)
				out[no++] = pkts[k];
			i = j;
			continue;
		}
		uipsec_pkt_t *m = spare[used++];
		m->off = UIPSEC_PKT_HEADROOM;
		m->flags = 0;
		uint8_t *o = m->buf + m->off;
		memcpy(o, uipsec_pkt_data(pkts[i]), pkts[i]->len);
		uint32_t len = pkts[i]->len;
		uint8_t last_flags = first.flags;
		for (int k = i + 1; k < j; k++) {
			tcp_seg_t s;
			tcp_seg_parse(pkts[k], &s);
			memcpy(o + len, uipsec_pkt_data(pkts[k]) + s.hdr, s.payload);
			len += s.payload;
			last_flags = s.flags;
		}
		m->len = len;
		m->gso_size = (uint16_t)first.payload;
		m->gso_type = first.v6 ? UIPSEC_GSO_TCPV6 : UIPSEC_GSO_TCPV4;
		uint8_t *t = o + first.l4;
		t[13] = last_flags;   /* PSH of the last segment */
		if (first.v6) {
			put_be16(o + 4, (uint16_t)(len - IPV6_HDR_LEN));
		} else {
			put_be16(o + 2, (uint16_t)len);
			ip4_fill_csum(o, first.l4);
		}
		/* partial checksum: the folded pseudo-header sum, not complemented */
		put_be16(t + 16, (uint16_t)~ip_csum_fold(ip_pseudo_sum(o, first.v6, IP_PROTO_TCP, len - first.l4)));
		out[no++] = m;
		i = j;
	}
	return no;
}
