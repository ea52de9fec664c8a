/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPv4/IPv6 helpers for the ESP engine: protocol names, address prefixes,
 * headers, inner packet validation. */
#include "config.h"
#include <stdio.h>
#include <strings.h>
#include "util/ip.h"

static const struct {
	const char *name;
	uint8_t proto;
} proto_names[] = {
	{ "any", 0 }, { "icmp", IP_PROTO_ICMP }, { "tcp", IP_PROTO_TCP }, { "udp", IP_PROTO_UDP },
	{ "ipv6-icmp", IP_PROTO_ICMPV6 }, { "icmpv6", IP_PROTO_ICMPV6 }, { "sctp", IP_PROTO_SCTP },
};
#define N_PROTO_NAMES (sizeof(proto_names) / sizeof(proto_names[0]))

bool ip_proto_parse(const char *name, uint8_t *out)
{
	for (size_t i = 0; i < N_PROTO_NAMES; i++)
		if (strcasecmp(name, proto_names[i].name) == 0) {
			*out = proto_names[i].proto;
			return true;
		}
	return false;
}

const char *ip_proto_name(uint8_t proto)
{
	for (size_t i = 0; i < N_PROTO_NAMES; i++)
		if (proto_names[i].proto == proto)
			return proto_names[i].name;
	return NULL;
}

const char *ip_proto_list(char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < N_PROTO_NAMES && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", proto_names[i].name);
		used += n > 0 ? (size_t)n : 0;
	}
	return buf;
}

void ip_addr_prefix_end(uipsec_addr_t *a, unsigned plen, bool last)
{
	unsigned bits = (unsigned)ip_addr_len(a->family) * 8;
	for (unsigned i = plen; i < bits; i++) {
		uint8_t m = (uint8_t)(0x80u >> (i % 8));
		if (last)
			a->bytes[i / 8] |= m;
		else
			a->bytes[i / 8] &= (uint8_t)~m;
	}
}

int ip_addr_cmp(const uipsec_addr_t *x, const uipsec_addr_t *y)
{
	int c = memcmp(x->bytes, y->bytes, ip_addr_len(x->family));
	return (c > 0) - (c < 0);
}

uint16_t ip_udp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *udp, size_t len)
{
	uint32_t s = ip_csum_add(ip_csum_add(0, src, 16), dst, 16) + IP_PROTO_UDP +
	             (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	s = ip_csum_add(s, udp, len);
	uint16_t c = ip_csum_fold(s);
	return c ? c : 0xffff;   /* RFC 8200 8.1: zero is transmitted as all ones */
}

static inline uint32_t addr4_sum(const uipsec_addr_t *a)
{
	return (uint32_t)get_be16(a->bytes) + get_be16(a->bytes + 2);
}

void ip4_write_hdr(uint8_t *h, const uipsec_addr_t *src, const uipsec_addr_t *dst, uint8_t proto,
                   uint16_t total_len, uint16_t id, uint8_t ttl)
{
	/* The checksum from the field values: reading the header back right
	 * after writing it would stall on store-to-load forwarding. */
	uint32_t sum = 0x4500u + total_len + id + 0x4000u + ((uint32_t)ttl << 8 | proto) +
	               addr4_sum(src) + addr4_sum(dst);
	h[0] = 0x45;
	h[1] = 0;
	put_be16(h + 2, total_len);
	put_be16(h + 4, id);
	put_be16(h + 6, 0x4000);   /* DF: the peer's path MTU is handled by the inner MTU */
	h[8] = ttl;
	h[9] = proto;
	put_be16(h + 10, ip_csum_fold(sum));
	memcpy(h + 12, src->bytes, 4);
	memcpy(h + 16, dst->bytes, 4);
}

void ip6_write_hdr(uint8_t *h, const uipsec_addr_t *src, const uipsec_addr_t *dst, uint8_t proto,
                   uint16_t payload_len, uint8_t hop_limit)
{
	h[0] = 0x60;
	h[1] = h[2] = h[3] = 0;
	put_be16(h + 4, payload_len);
	h[6] = proto;
	h[7] = hop_limit;
	memcpy(h + 8, src->bytes, 16);
	memcpy(h + 24, dst->bytes, 16);
}

static void flow_ports(const uint8_t *l4, size_t avail, ip_flow_t *f)
{
	switch (f->proto) {
	case IP_PROTO_TCP:
	case IP_PROTO_UDP:
	case IP_PROTO_SCTP:
	case IP_PROTO_UDPLITE:
		if (avail >= 4) {
			f->sport = get_be16(l4);
			f->dport = get_be16(l4 + 2);
		}
		break;
	case IP_PROTO_ICMP:
	case IP_PROTO_ICMPV6:
		if (avail >= 2) {
			f->sport = l4[0];
			f->dport = l4[1];
		}
		break;
	default:
		break;
	}
}

static size_t parse_v4(const uint8_t *p, size_t len, ip_flow_t *f)
{
	if (len < IPV4_HDR_LEN)
		return 0;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	size_t tot = get_be16(p + 2);
	if (ihl < IPV4_HDR_LEN || tot < ihl || tot > len)
		return 0;
	f->src.family = f->dst.family = AF_INET;
	memcpy(f->src.bytes, p + 12, 4);
	memcpy(f->dst.bytes, p + 16, 4);
	f->proto = p[9];
	/* Only the first fragment carries the transport header. */
	if ((get_be16(p + 6) & 0x1fff) == 0)
		flow_ports(p + ihl, tot - ihl, f);
	return tot;
}

static size_t parse_v6(const uint8_t *p, size_t len, ip_flow_t *f)
{
	if (len < IPV6_HDR_LEN)
		return 0;
	size_t tot = IPV6_HDR_LEN + (size_t)get_be16(p + 4);
	if (tot > len)
		return 0;   /* jumbograms (payload length 0 + option) do not fit a TUN MTU */
	f->src.family = f->dst.family = AF_INET6;
	memcpy(f->src.bytes, p + 8, 16);
	memcpy(f->dst.bytes, p + 24, 16);
	uint8_t nh = p[6];
	size_t off = IPV6_HDR_LEN;
	bool first_frag = true;
	/* Walk extension headers to the upper-layer protocol. */
	for (int hops = 0; hops < 8; hops++) {
		if (nh == 0 || nh == 43 || nh == 60) {          /* hop-by-hop, routing, dest opts */
			if (off + 8 > tot)
				break;
			uint8_t next = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			nh = next;
		} else if (nh == 44) {                            /* fragment */
			if (off + 8 > tot)
				break;
			first_frag = (get_be16(p + off + 2) & 0xfff8) == 0;
			nh = p[off];
			off += 8;
		} else {
			break;
		}
	}
	f->proto = nh;
	if (first_frag && off <= tot)
		flow_ports(p + off, tot - off, f);
	return tot;
}

size_t ip_parse_flow(const uint8_t *p, size_t len, ip_flow_t *flow)
{
	memset(flow, 0, sizeof(*flow));
	if (len < 1)
		return 0;
	switch (p[0] >> 4) {
	case 4: return parse_v4(p, len, flow);
	case 6: return parse_v6(p, len, flow);
	default: return 0;
	}
}
