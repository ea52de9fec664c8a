/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TCP segmentation of TUN super-packets and checksum completion, checked
 * against a plain RFC 1071 checksum written independently here. */
#include "config.h"

#include <string.h>
#include <glib.h>
#include <uipsec/pktio.h>

#include "datapath/gso.h"

static uint16_t ref_csum(const uint8_t *d, size_t len, uint32_t sum)
{
	for (; len > 1; d += 2, len -= 2)
		sum += (uint32_t)d[0] << 8 | d[1];
	if (len)
		sum += (uint32_t)d[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* 0xffff when the L4 checksum (in place) verifies */
static uint16_t l4_verify(const uint8_t *ip, bool v6, uint32_t l4, uint32_t l4len, uint8_t proto)
{
	uint32_t sum = v6 ? ref_csum(ip + 8, 32, 0) : ref_csum(ip + 12, 8, 0);
	sum += proto + l4len;
	return ref_csum(ip + l4, l4len, sum);
}

static uipsec_pkt_t *pkt_new(uint32_t cap)
{
	uipsec_pkt_t *p = g_new0(uipsec_pkt_t, 1);
	p->buf = g_malloc0(cap);
	p->cap = cap;
	p->off = UIPSEC_PKT_HEADROOM;
	return p;
}

static void pkt_free(uipsec_pkt_t *p) { g_free(p->buf); g_free(p); }

/* IPv4 or IPv6 TCP packet with payload bytes of pattern, partial checksum */
static uipsec_pkt_t *tcp_super(bool v6, uint32_t payload, uint16_t mss, uint8_t flags)
{
	uipsec_pkt_t *p = pkt_new(UIPSEC_PKT_HEADROOM + 70000 + UIPSEC_PKT_TAILROOM);
	uint8_t *d = uipsec_pkt_data(p);
	uint32_t l4 = v6 ? 40 : 20, thl = 32;   /* with 12 bytes of options (timestamps) */
	if (v6) {
		d[0] = 0x60;
		d[4] = (uint8_t)((thl + payload) >> 8);
		d[5] = (uint8_t)(thl + payload);
		d[6] = 6;
		d[7] = 64;
		d[8] = 0x20; d[9] = 0x01; d[10] = 0x0d; d[11] = 0xb8; d[23] = 1;
		d[24] = 0x20; d[25] = 0x01; d[26] = 0x0d; d[27] = 0xb8; d[39] = 2;
	} else {
		d[0] = 0x45;
		d[2] = (uint8_t)((20 + thl + payload) >> 8);
		d[3] = (uint8_t)(20 + thl + payload);
		d[4] = 0x10; d[5] = 0x00;
		d[6] = 0x40;
		d[8] = 64;
		d[9] = 6;
		d[12] = 10; d[13] = 1; d[15] = 1;
		d[16] = 10; d[17] = 2; d[19] = 1;
	}
	uint8_t *t = d + l4;
	t[0] = 0x9c; t[1] = 0x40; t[2] = 0x14; t[3] = 0x51;
	t[4] = 0xff; t[5] = 0xff; t[6] = 0xfe; t[7] = 0x00;   /* sequence number wraps during the packet */
	t[12] = (uint8_t)((thl / 4) << 4);
	t[13] = flags;
	t[20] = 1; t[21] = 1; t[22] = 8; t[23] = 10;
	for (uint32_t i = 0; i < payload; i++)
		d[l4 + thl + i] = (uint8_t)(i * 31 + 7);
	p->len = l4 + thl + payload;
	p->gso_size = mss;
	p->gso_type = v6 ? UIPSEC_GSO_TCPV6 : UIPSEC_GSO_TCPV4;
	p->flags = UIPSEC_PKT_F_CSUM_PARTIAL;
	return p;
}

static void check_segments(bool v6)
{
	const uint32_t payload = 10000, mss = 1388, l4 = v6 ? 40 : 20, thl = 32;
	uipsec_pkt_t *p = tcp_super(v6, payload, mss, 0x18 | 0x01 | 0x80);   /* PSH ACK FIN CWR */
	uipsec_pkt_t *seg[16];
	for (int i = 0; i < 16; i++)
		seg[i] = pkt_new(2048);
	int n = gso_segment_tcp(p, seg, 16);
	g_assert_cmpint(n, ==, 8);
	uint32_t got = 0;
	for (int i = 0; i < n; i++) {
		const uint8_t *d = uipsec_pkt_data(seg[i]);
		uint32_t chunk = seg[i]->len - l4 - thl;
		g_assert_cmpuint(chunk, ==, i < n - 1 ? mss : payload - 7 * mss);
		if (v6) {
			g_assert_cmpuint((uint32_t)d[4] << 8 | d[5], ==, thl + chunk);
		} else {
			g_assert_cmpuint((uint32_t)d[2] << 8 | d[3], ==, seg[i]->len);
			g_assert_cmpuint(ref_csum(d, 20, 0), ==, 0xffff);
			g_assert_cmpuint((uint32_t)d[4] << 8 | d[5], ==, 0x1000u + (uint32_t)i);
		}
		const uint8_t *t = d + l4;
		uint32_t seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
		g_assert_cmpuint(seq, ==, 0xfffffe00u + got);
		g_assert_cmpuint(t[13] & 0x01, ==, i == n - 1 ? 0x01 : 0);   /* FIN last only */
		g_assert_cmpuint(t[13] & 0x08, ==, i == n - 1 ? 0x08 : 0);   /* PSH last only */
		g_assert_cmpuint(t[13] & 0x80, ==, i == 0 ? 0x80 : 0);       /* CWR first only */
		g_assert_cmpuint(t[13] & 0x10, ==, 0x10);                    /* ACK everywhere */
		g_assert_cmpmem(t + 20, 12, uipsec_pkt_data(p) + l4 + 20, 12);   /* options copied */
		g_assert_cmpuint(l4_verify(d, v6, l4, thl + chunk, 6), ==, 0xffff);
		g_assert_cmpmem(d + l4 + thl, chunk, uipsec_pkt_data(p) + l4 + thl + got, chunk);
		got += chunk;
	}
	g_assert_cmpuint(got, ==, payload);
	/* too many segments for the room given: refused */
	g_assert_cmpint(gso_segment_tcp(p, seg, 4), ==, 0);
	for (int i = 0; i < 16; i++)
		pkt_free(seg[i]);
	pkt_free(p);
}

static void test_tcp4(void) { check_segments(false); }
static void test_tcp6(void) { check_segments(true); }

static void test_csum_complete(void)
{
	/* odd lengths exercise the trailing byte */
	for (uint32_t payload = 0; payload < 40; payload += 7) {
		for (int v6 = 0; v6 < 2; v6++) {
			uipsec_pkt_t *p = tcp_super(v6, payload, 0, 0x10);
			g_assert_true(gso_csum_complete(p));
			g_assert_false(p->flags & UIPSEC_PKT_F_CSUM_PARTIAL);
			uint32_t l4 = v6 ? 40 : 20;
			g_assert_cmpuint(l4_verify(uipsec_pkt_data(p), v6, l4, p->len - l4, 6), ==, 0xffff);
			pkt_free(p);
		}
	}
	/* UDP: a zero result is sent as 0xffff */
	uipsec_pkt_t *u = pkt_new(512);
	uint8_t *d = uipsec_pkt_data(u);
	d[0] = 0x45; d[3] = 20 + 8 + 5; d[9] = 17;
	d[12] = 10; d[15] = 1; d[16] = 10; d[19] = 2;
	d[24] = 0; d[25] = 13;
	memcpy(d + 28, "hello", 5);
	u->len = 33;
	g_assert_true(gso_csum_complete(u));
	g_assert_cmpuint(l4_verify(d, false, 20, 13, 17), ==, 0xffff);
	/* not TCP/UDP: refused */
	d[9] = 1;
	g_assert_false(gso_csum_complete(u));
	pkt_free(u);
}

/* segmenting and coalescing again gives the original super-packet back
 * (with a partial checksum), other traffic passes unchanged and in order */
static void check_coalesce(bool v6)
{
	const uint32_t payload = 10000, mss = 1388, l4 = v6 ? 40 : 20, thl = 32;
	uipsec_pkt_t *p = tcp_super(v6, payload, mss, 0x10 | 0x08);
	uipsec_pkt_t *seg[16], *out[16], *spare[2];
	for (int i = 0; i < 16; i++)
		seg[i] = pkt_new(2048);
	for (int i = 0; i < 2; i++)
		spare[i] = pkt_new(UIPSEC_PKT_HEADROOM + 65536 + UIPSEC_PKT_TAILROOM);
	int n = gso_segment_tcp(p, seg, 16);
	g_assert_cmpint(n, ==, 8);
	/* an unrelated packet (UDP) in front and one behind */
	uipsec_pkt_t *u1 = pkt_new(256), *u2 = pkt_new(256);
	uint8_t *d = uipsec_pkt_data(u1);
	d[0] = 0x45; d[3] = 28; d[9] = 17; u1->len = 28;
	memcpy(uipsec_pkt_data(u2), d, 28); u2->len = 28;
	uipsec_pkt_t *in[10] = { u1 };
	for (int i = 0; i < n; i++)
		in[1 + i] = seg[i];
	in[9] = u2;
	int no = gso_coalesce_tcp(in, 10, out, spare, 2);
	g_assert_cmpint(no, ==, 3);
	g_assert_true(out[0] == u1);
	g_assert_true(out[2] == u2);
	uipsec_pkt_t *m = out[1];
	g_assert_true(m == spare[0]);
	g_assert_cmpuint(m->len, ==, p->len);
	g_assert_cmpuint(m->gso_size, ==, mss);
	g_assert_cmpuint(m->gso_type, ==, v6 ? UIPSEC_GSO_TCPV6 : UIPSEC_GSO_TCPV4);
	const uint8_t *a = uipsec_pkt_data(m), *b = uipsec_pkt_data(p);
	/* everything equal but the IP id/checksum and the TCP checksum */
	if (!v6) {
		g_assert_cmpmem(a, 4, b, 4);
		g_assert_cmpuint(ref_csum(a, 20, 0), ==, 0xffff);
		g_assert_cmpmem(a + 12, 8, b + 12, 8);
	} else {
		g_assert_cmpmem(a, 40, b, 40);
	}
	g_assert_cmpmem(a + l4, 16, b + l4, 16);
	g_assert_cmpmem(a + l4 + 18, m->len - l4 - 18, b + l4 + 18, m->len - l4 - 18);
	/* the partial checksum completes to a valid one */
	m->flags = UIPSEC_PKT_F_CSUM_PARTIAL;
	g_assert_true(gso_csum_complete(m));
	g_assert_cmpuint(l4_verify(a, v6, l4, m->len - l4, 6), ==, 0xffff);
	(void)thl;
	/* a gap in the sequence numbers stops merging */
	in[0] = seg[0]; in[1] = seg[2];
	g_assert_cmpint(gso_coalesce_tcp(in, 2, out, spare, 2), ==, 2);
	for (int i = 0; i < 16; i++)
		pkt_free(seg[i]);
	for (int i = 0; i < 2; i++)
		pkt_free(spare[i]);
	pkt_free(u1);
	pkt_free(u2);
	pkt_free(p);
}

static void test_coalesce4(void) { check_coalesce(false); }
static void test_coalesce6(void) { check_coalesce(true); }

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/gso/tcp4-segments", test_tcp4);
	g_test_add_func("/gso/tcp6-segments", test_tcp6);
	g_test_add_func("/gso/csum-complete", test_csum_complete);
	g_test_add_func("/gso/tcp4-coalesce", test_coalesce4);
	g_test_add_func("/gso/tcp6-coalesce", test_coalesce6);
	return g_test_run();
}
