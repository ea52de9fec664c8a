/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ICMP "too big" replies and IPv4 fragmentation before encryption. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "os/sockfd.h"
#include "util/ip.h"
#include "datapath/mtu.h"

#define ESP_HDR 8
#define ICMP_HDR 8

uint32_t mtu_esp_overhead(const uipsec_xform_info_t *xi, int outer_family, bool udp, uint32_t inner_len)
{
	uint32_t block = xi->block_size > 4 ? xi->block_size : 4;   /* ESP aligns to 4 at least */
	uint32_t body = inner_len + 2;                              /* pad length + next header */
	uint32_t padded = (body + block - 1) / block * block;
	return (outer_family == AF_INET6 ? IPV6_HDR_LEN : IPV4_HDR_LEN) + (udp ? UDP_HDR_LEN : 0) + ESP_HDR +
	       xi->iv_size + (padded - inner_len) + xi->icv_size;
}

uint32_t mtu_inner_room(const uipsec_xform_info_t *xi, int outer_family, bool udp, uint32_t path_mtu)
{
	uint32_t fixed = (outer_family == AF_INET6 ? IPV6_HDR_LEN : IPV4_HDR_LEN) + (udp ? UDP_HDR_LEN : 0) + ESP_HDR +
	                 xi->iv_size + xi->icv_size;
	if (path_mtu <= fixed + 2)
		return 0;
	uint32_t block = xi->block_size > 4 ? xi->block_size : 4;
	/* the encrypted part (inner + 2) must be a whole number of blocks */
	uint32_t enc = (path_mtu - fixed) / block * block;
	return enc - 2;
}

mtu_verdict_t mtu_check(const uint8_t *pkt, uint32_t len, uint32_t room)
{
	if (len < 1)
		return MTU_MALFORMED;
	if (len <= room)
		return MTU_FITS;
	switch (pkt[0] >> 4) {
	case 4:
		if (len < IPV4_HDR_LEN)
			return MTU_MALFORMED;
		return (pkt[6] & 0x40) ? MTU_TOO_BIG : MTU_FRAGMENT;
	case 6:
		return MTU_TOO_BIG;
	default:
		return MTU_MALFORMED;
	}
}

/* The IP header of an error about orig: from its destination to its
 * source; len is the IPv4 total / IPv6 payload length. */
static void reply_hdr(uint8_t *h, const uint8_t *orig, bool v6, uint8_t proto, uint16_t len)
{
	uipsec_addr_t from = { .family = v6 ? AF_INET6 : AF_INET }, to = from;
	size_t n = ip_addr_len(from.family);
	memcpy(from.bytes, orig + (v6 ? 24 : 16), n);
	memcpy(to.bytes, orig + (v6 ? 8 : 12), n);
	if (v6)
		ip6_write_hdr(h, &from, &to, proto, len, 64);
	else
		ip4_write_hdr(h, &from, &to, proto, len, 0, 64);   /* DF set */
}

static bool ip4_src_ok(const uint8_t *a)
{
	/* no errors to unspecified, multicast or broadcast sources */
	return !(a[0] == 0 || a[0] >= 224);
}

bool mtu_build_too_big(const uint8_t *orig, uint32_t len, uint32_t mtu, uipsec_pkt_t *reply)
{
	if (len < 1)
		return false;
	reply->off = UIPSEC_PKT_HEADROOM;
	reply->len = 0;
	reply->flags = 0;
	uint32_t room = reply->cap - reply->off;
	if ((orig[0] >> 4) == 4) {
		uint32_t ihl = (orig[0] & 0x0f) * 4u;
		if (len < IPV4_HDR_LEN || ihl < IPV4_HDR_LEN || ihl > len || !ip4_src_ok(orig + 12))
			return false;
		/* never answer an ICMP error with an error (RFC 1122 3.2.2) */
		if (orig[9] == IP_PROTO_ICMP && len >= ihl + 1 && orig[ihl] != 8 && orig[ihl] != 0 && orig[ihl] != 13 &&
		    orig[ihl] != 14)
			return false;
		if ((get_be16(orig + 6) & 0x1fff) != 0)
			return false;   /* only for the first fragment */
		/* quote the header and 8 bytes; include more as RFC 1812 allows */
		uint32_t quote = len < ihl + 8 ? len : ihl + 8;
		if (mtu > 0xffff)
			mtu = 0xffff;
		uint32_t total = IPV4_HDR_LEN + ICMP_HDR + quote;
		if (total > room)
			return false;
		uint8_t *h = reply->buf + reply->off;
		reply_hdr(h, orig, false, IP_PROTO_ICMP, (uint16_t)total);
		uint8_t *icmp = h + IPV4_HDR_LEN;
		memset(icmp, 0, ICMP_HDR);
		icmp[0] = 3;    /* destination unreachable */
		icmp[1] = 4;    /* fragmentation needed and DF set */
		put_be16(icmp + 6, (uint16_t)mtu);
		memcpy(icmp + ICMP_HDR, orig, quote);
		put_be16(icmp + 2, ip_csum_fold(ip_csum_add(0, icmp, ICMP_HDR + quote)));
		reply->len = total;
		return true;
	}
	if ((orig[0] >> 4) == 6) {
		if (len < IPV6_HDR_LEN || orig[8] == 0xff /* multicast src */)
			return false;
		static const uint8_t unspec[16];
		if (memcmp(orig + 8, unspec, 16) == 0)
			return false;
		if (orig[6] == IP_PROTO_ICMPV6 && len > IPV6_HDR_LEN && orig[IPV6_HDR_LEN] < 128)
			return false;   /* an ICMPv6 error itself */
		if (mtu < MTU_IPV6_MIN)
			mtu = MTU_IPV6_MIN;
		/* as much of the original as fits in the minimum MTU */
		uint32_t quote = len;
		if (quote > MTU_IPV6_MIN - IPV6_HDR_LEN - ICMP_HDR)
			quote = MTU_IPV6_MIN - IPV6_HDR_LEN - ICMP_HDR;
		uint32_t plen = ICMP_HDR + quote;
		if (IPV6_HDR_LEN + plen > room)
			return false;
		uint8_t *h = reply->buf + reply->off;
		reply_hdr(h, orig, true, IP_PROTO_ICMPV6, (uint16_t)plen);
		uint8_t *icmp = h + IPV6_HDR_LEN;
		memset(icmp, 0, ICMP_HDR);
		icmp[0] = 2;    /* packet too big */
		put_be32(icmp + 4, mtu);
		memcpy(icmp + ICMP_HDR, orig, quote);
		uint32_t sum = ip_pseudo_sum(h, true, IP_PROTO_ICMPV6, plen);
		put_be16(icmp + 2, ip_csum_fold(ip_csum_add(sum, icmp, plen)));
		reply->len = IPV6_HDR_LEN + plen;
		return true;
	}
	return false;
}

bool mtu_icmp_allow(mtu_icmp_limit_t *l, uint64_t now_ns)
{
	const uint64_t ns_per_token = 1000000000ull / MTU_ICMP_PER_SEC;
	/* a clock that went back earns nothing */
	uint64_t elapsed = now_ns > l->last_ns ? now_ns - l->last_ns : 0;
	if (elapsed >= ns_per_token * MTU_ICMP_BURST) {
		/* idle long enough (or a fresh limit): a full bucket */
		l->tokens = MTU_ICMP_BURST;
		l->last_ns = now_ns;
	} else if (elapsed >= ns_per_token) {
		uint64_t add = elapsed / ns_per_token;
		l->tokens = l->tokens + add > MTU_ICMP_BURST ? MTU_ICMP_BURST : l->tokens + (uint32_t)add;
		/* keep the fraction of a token already earned */
		l->last_ns += add * ns_per_token;
	}
	if (!l->tokens)
		return false;
	l->tokens--;
	return true;
}

int mtu_ip4_fragment(const uint8_t *pkt, uint32_t len, uint32_t room, uipsec_pkt_t **out, int max)
{
	if (len < IPV4_HDR_LEN || (pkt[0] >> 4) != 4)
		return 0;
	uint32_t ihl = (pkt[0] & 0x0f) * 4u;
	uint32_t total = get_be16(pkt + 2);
	if (ihl < IPV4_HDR_LEN || total < ihl || total > len || (pkt[6] & 0x40))
		return 0;
	uint32_t frag_field = get_be16(pkt + 6);
	uint32_t base_off = (frag_field & 0x1fff) * 8u;  /* re-fragmenting a fragment keeps its offset */
	bool last_mf = (frag_field & 0x2000) != 0;
	/* a fragment reaching past 65 535 bytes (header included) belongs to
	 * no valid datagram, and offsets past 8191 * 8 would wrap the 13-bit
	 * field: refuse (the caller counts it) rather than send it elsewhere */
	if (base_off + total > 0xffffu)
		return 0;
	if (room <= ihl + 8)
		return 0;
	uint32_t chunk = (room - ihl) & ~7u;
	uint32_t payload = total - ihl;
	int need = (int)((payload + chunk - 1) / chunk);
	if (need > max)
		return 0;
	for (int i = 0; i < need; i++) {
		uipsec_pkt_t *f = out[i];
		uint32_t off = (uint32_t)i * chunk;
		uint32_t n = payload - off < chunk ? payload - off : chunk;
		f->off = UIPSEC_PKT_HEADROOM;
		f->flags = 0;
		if (f->cap < f->off + ihl + n)
			return 0;
		uint8_t *h = f->buf + f->off;
		/* options are copied into every fragment: simpler than filtering
		 * by the copied flag and harmless for the receiver */
		memcpy(h, pkt, ihl);
		memcpy(h + ihl, pkt + ihl + off, n);
		bool mf = (i < need - 1) || last_mf;
		uint32_t fo = (base_off + off) / 8u;
		put_be16(h + 2, (uint16_t)(ihl + n));
		put_be16(h + 6, (uint16_t)((mf ? 0x2000 : 0) | (fo & 0x1fff)));
		ip4_fill_csum(h, ihl);
		f->len = ihl + n;
	}
	return need;
}

uint32_t mtu_of_interface(const char *ifname)
{
	if (!ifname || !*ifname)
		return 0;
	int s = os_socket(AF_INET, SOCK_DGRAM, 0, false);
	if (s < 0)
		return 0;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	int rc = ioctl(s, SIOCGIFMTU, &ifr);
	close(s);
	return rc < 0 || ifr.ifr_mtu <= 0 ? 0 : (uint32_t)ifr.ifr_mtu;
}
