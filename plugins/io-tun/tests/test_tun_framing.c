/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The 4-byte address-family header of FreeBSD tun (TUNSIFHEAD) and macOS
 * utun: built from the IP version nibble for IPv4 and IPv6 alike, checked
 * and stripped on read. The device code itself needs a BSD kernel; these
 * helpers are the same code on every system. */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "../tun_bsd.h"

/* The values the two systems put in the header (their AF_INET/AF_INET6). */
static const tun_af_values_t macos_af = { 2, 30 };
static const tun_af_values_t freebsd_af = { 2, 28 };

/* 20-byte IPv4 header 192.0.2.1 -> 192.0.2.2, ICMP */
static const uint8_t ipv4_pkt[] = {
	0x45, 0x00, 0x00, 0x14, 0x00, 0x01, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00,
	0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02,
};

/* 40-byte IPv6 header 2001:db8::1 -> 2001:db8::2, no payload */
static const uint8_t ipv6_pkt[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3b, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
};

static void assert_hdr(const uint8_t hdr[4], uint32_t family)
{
	const uint8_t want[4] = { (uint8_t)(family >> 24), (uint8_t)(family >> 16),
	                          (uint8_t)(family >> 8), (uint8_t)family };
	g_assert_cmpmem(hdr, 4, want, 4);
}

static void test_build_ipv4(void)
{
	uint8_t hdr[TUN_AF_HDR_LEN];

	g_assert_cmpint(tun_af_hdr_build(hdr, ipv4_pkt, sizeof(ipv4_pkt), &macos_af), ==, 0);
	assert_hdr(hdr, 2);
	g_assert_cmpint(tun_af_hdr_build(hdr, ipv4_pkt, sizeof(ipv4_pkt), &freebsd_af), ==, 0);
	assert_hdr(hdr, 2);
}

/* The case strongSwan's utun code got wrong: IPv6 must carry AF_INET6. */
static void test_build_ipv6(void)
{
	uint8_t hdr[TUN_AF_HDR_LEN];

	g_assert_cmpint(tun_af_hdr_build(hdr, ipv6_pkt, sizeof(ipv6_pkt), &macos_af), ==, 0);
	assert_hdr(hdr, 30);
	g_assert_cmpint(tun_af_hdr_build(hdr, ipv6_pkt, sizeof(ipv6_pkt), &freebsd_af), ==, 0);
	assert_hdr(hdr, 28);
}

static void test_build_rejects(void)
{
	uint8_t hdr[TUN_AF_HDR_LEN] = { 0xaa, 0xaa, 0xaa, 0xaa };
	uint8_t bad[sizeof(ipv4_pkt)];

	g_assert_cmpint(tun_af_hdr_build(hdr, ipv4_pkt, 0, &macos_af), ==, -EINVAL);
	g_assert_cmpint(tun_af_hdr_build(hdr, NULL, 20, &macos_af), ==, -EINVAL);
	memcpy(bad, ipv4_pkt, sizeof(bad));
	for (unsigned v = 0; v < 16; v++) {
		if (v == 4 || v == 6)
			continue;
		bad[0] = (uint8_t)(v << 4 | 5);
		g_assert_cmpint(tun_af_hdr_build(hdr, bad, sizeof(bad), &macos_af), ==, -EINVAL);
	}
	/* nothing written on failure */
	g_assert_cmpuint(hdr[0], ==, 0xaa);
}

static void test_parse(void)
{
	const uint8_t h_inet[4] = { 0, 0, 0, 2 };
	const uint8_t h_mac6[4] = { 0, 0, 0, 30 };
	const uint8_t h_bsd6[4] = { 0, 0, 0, 28 };
	const uint8_t h_le[4] = { 2, 0, 0, 0 };     /* host order on a little-endian box: wrong */

	g_assert_cmpint(tun_af_hdr_parse(h_inet, ipv4_pkt, sizeof(ipv4_pkt), &macos_af), ==, 4);
	g_assert_cmpint(tun_af_hdr_parse(h_mac6, ipv6_pkt, sizeof(ipv6_pkt), &macos_af), ==, 6);
	g_assert_cmpint(tun_af_hdr_parse(h_bsd6, ipv6_pkt, sizeof(ipv6_pkt), &freebsd_af), ==, 6);
	/* a family that contradicts the version nibble */
	g_assert_cmpint(tun_af_hdr_parse(h_inet, ipv6_pkt, sizeof(ipv6_pkt), &macos_af), ==, -EINVAL);
	g_assert_cmpint(tun_af_hdr_parse(h_mac6, ipv4_pkt, sizeof(ipv4_pkt), &macos_af), ==, -EINVAL);
	/* the other system's AF_INET6 */
	g_assert_cmpint(tun_af_hdr_parse(h_bsd6, ipv6_pkt, sizeof(ipv6_pkt), &macos_af), ==, -EINVAL);
	g_assert_cmpint(tun_af_hdr_parse(h_le, ipv4_pkt, sizeof(ipv4_pkt), &macos_af), ==, -EINVAL);
	g_assert_cmpint(tun_af_hdr_parse(h_inet, ipv4_pkt, 0, &macos_af), ==, -EINVAL);
}

/* In place, the way the data path uses it: headroom before the packet. */
static void test_prepend_strip_roundtrip(void)
{
	const struct { const uint8_t *pkt; size_t len; } pkts[] = {
		{ ipv4_pkt, sizeof(ipv4_pkt) },
		{ ipv6_pkt, sizeof(ipv6_pkt) },
	};
	const tun_af_values_t *afs[] = { &macos_af, &freebsd_af };

	for (size_t a = 0; a < G_N_ELEMENTS(afs); a++) {
		for (size_t i = 0; i < G_N_ELEMENTS(pkts); i++) {
			uint8_t buf[64 + TUN_AF_HDR_LEN];
			uint8_t *ip = buf + TUN_AF_HDR_LEN;

			memcpy(ip, pkts[i].pkt, pkts[i].len);
			ssize_t framed = tun_af_prepend(ip, pkts[i].len, afs[a]);
			g_assert_cmpint(framed, ==, (ssize_t)(pkts[i].len + TUN_AF_HDR_LEN));
			assert_hdr(buf, pkts[i].pkt[0] >> 4 == 4 ? afs[a]->inet : afs[a]->inet6);
			/* the packet itself is untouched */
			g_assert_cmpmem(ip, pkts[i].len, pkts[i].pkt, pkts[i].len);

			ssize_t ip_len = tun_af_strip(buf, (size_t)framed, afs[a]);
			g_assert_cmpint(ip_len, ==, (ssize_t)pkts[i].len);
			g_assert_cmpmem(buf + TUN_AF_HDR_LEN, (size_t)ip_len, pkts[i].pkt, pkts[i].len);
		}
	}
}

static void test_strip_rejects(void)
{
	uint8_t buf[TUN_AF_HDR_LEN + sizeof(ipv6_pkt)] = { 0 };

	/* header only, or not even that */
	g_assert_cmpint(tun_af_strip(buf, 0, &macos_af), ==, -EINVAL);
	g_assert_cmpint(tun_af_strip(buf, TUN_AF_HDR_LEN, &macos_af), ==, -EINVAL);
	g_assert_cmpint(tun_af_strip(NULL, 40, &macos_af), ==, -EINVAL);
	/* FreeBSD's AF_INET6 in front of an IPv6 packet, read as macOS */
	memcpy(buf + TUN_AF_HDR_LEN, ipv6_pkt, sizeof(ipv6_pkt));
	g_assert_cmpint(tun_af_prepend(buf + TUN_AF_HDR_LEN, sizeof(ipv6_pkt), &freebsd_af), >, 0);
	g_assert_cmpint(tun_af_strip(buf, sizeof(buf), &macos_af), ==, -EINVAL);
	g_assert_cmpint(tun_af_strip(buf, sizeof(buf), &freebsd_af), ==, (ssize_t)sizeof(ipv6_pkt));
	/* prepend refuses what is not IP */
	buf[TUN_AF_HDR_LEN] = 0x00;
	g_assert_cmpint(tun_af_prepend(buf + TUN_AF_HDR_LEN, sizeof(ipv6_pkt), &macos_af), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tun-framing/build-ipv4", test_build_ipv4);
	g_test_add_func("/tun-framing/build-ipv6", test_build_ipv6);
	g_test_add_func("/tun-framing/build-rejects", test_build_rejects);
	g_test_add_func("/tun-framing/parse", test_parse);
	g_test_add_func("/tun-framing/prepend-strip-roundtrip", test_prepend_strip_roundtrip);
	g_test_add_func("/tun-framing/strip-rejects", test_strip_rejects);
	return g_test_run();
}
