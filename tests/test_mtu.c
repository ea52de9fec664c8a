/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MTU handling: room after ESP overhead, ICMP too-big replies, IPv4
 * fragmentation before encryption. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <glib.h>

#include "datapath/mtu.h"

static uint32_t csum(const uint8_t *d, size_t len, uint32_t sum)
{
	for (; len > 1; d += 2, len -= 2)
		sum += (uint32_t)d[0] << 8 | d[1];
	if (len)
		sum += (uint32_t)d[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uipsec_pkt_t *pkt_new(uint32_t cap)
{
	uipsec_pkt_t *p = g_new0(uipsec_pkt_t, 1);
	p->buf = g_malloc0(cap);
	p->cap = cap;
	p->off = UIPSEC_PKT_HEADROOM;
	return p;
}

static void pkt_free(uipsec_pkt_t *p)
{
	g_free(p->buf);
	g_free(p);
}

/* IPv4 packet 10.1.0.1 -> 10.2.0.1, UDP-ish payload of a counting pattern */
static uint8_t *ip4_packet(uint32_t total, bool df)
{
	uint8_t *p = g_malloc0(total);
	p[0] = 0x45;
	p[2] = (uint8_t)(total >> 8);
	p[3] = (uint8_t)total;
	p[4] = 0x12;
	p[5] = 0x34;
	p[6] = df ? 0x40 : 0;
	p[8] = 64;
	p[9] = 17;
	uint8_t src[] = { 10, 1, 0, 1 }, dst[] = { 10, 2, 0, 1 };
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	uint16_t c = (uint16_t)~csum(p, 20, 0);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	for (uint32_t i = 20; i < total; i++)
		p[i] = (uint8_t)(i * 7);
	return p;
}

static const uipsec_xform_info_t gcm = { .keyword = "aes128gcm16", .aead = true, .iv_size = 8, .icv_size = 16,
                                         .block_size = 1 };
static const uipsec_xform_info_t cbc = { .keyword = "aes128-sha256", .aead = false, .iv_size = 16, .icv_size = 16,
                                         .block_size = 16 };

static void test_room(void)
{
	const uipsec_xform_info_t *xs[] = { &gcm, &cbc };
	int fams[] = { AF_INET, AF_INET6 };
	for (unsigned x = 0; x < 2; x++)
		for (unsigned f = 0; f < 2; f++)
			for (int udp = 0; udp < 2; udp++)
				for (uint32_t path = 1280; path <= 9000; path += 97) {
					uint32_t room = mtu_inner_room(xs[x], fams[f], udp, path);
					g_assert_cmpuint(room, >, 1000);
					/* the room fits, one byte more does not */
					g_assert_cmpuint(room + mtu_esp_overhead(xs[x], fams[f], udp, room), <=, path);
					g_assert_cmpuint(room + 1 + mtu_esp_overhead(xs[x], fams[f], udp, room + 1), >, path);
				}
	/* the well-known figure: AES-GCM over IPv4 in UDP leaves 1438 of 1500;
	 * raw ESP (no UDP header) 8 more */
	g_assert_cmpuint(mtu_inner_room(&gcm, AF_INET, true, 1500), ==, 1438);
	g_assert_cmpuint(mtu_inner_room(&gcm, AF_INET, false, 1500), ==, 1446);
	g_assert_cmpuint(mtu_inner_room(&cbc, AF_INET6, false, 1500) - mtu_inner_room(&cbc, AF_INET6, true, 1500), <=, 8);
	g_assert_cmpuint(mtu_inner_room(&gcm, AF_INET, true, 40), ==, 0);
}

static void test_check(void)
{
	uint8_t *df = ip4_packet(1500, true), *nodf = ip4_packet(1500, false);
	g_assert_cmpint(mtu_check(df, 1500, 1500), ==, MTU_FITS);
	g_assert_cmpint(mtu_check(df, 1500, 1400), ==, MTU_TOO_BIG);
	g_assert_cmpint(mtu_check(nodf, 1500, 1400), ==, MTU_FRAGMENT);
	uint8_t v6[60] = { 0x60 };
	g_assert_cmpint(mtu_check(v6, sizeof(v6), 50), ==, MTU_TOO_BIG);
	uint8_t junk[30] = { 0x20 };
	g_assert_cmpint(mtu_check(junk, sizeof(junk), 10), ==, MTU_MALFORMED);
	g_free(df);
	g_free(nodf);
}

static void test_icmp4(void)
{
	uint8_t *orig = ip4_packet(1500, true);
	uipsec_pkt_t *r = pkt_new(2048);
	g_assert_true(mtu_build_too_big(orig, 1500, 1438, r));
	const uint8_t *h = uipsec_pkt_data(r);
	g_assert_cmpuint(r->len, ==, 20 + 8 + 28);
	g_assert_cmpuint(h[9], ==, 1);
	g_assert_cmpuint(csum(h, 20, 0), ==, 0xffff);                 /* IP header checksum */
	g_assert_cmpmem(h + 12, 4, orig + 16, 4);                     /* from the original destination */
	g_assert_cmpmem(h + 16, 4, orig + 12, 4);                     /* to the original source */
	const uint8_t *icmp = h + 20;
	g_assert_cmpuint(icmp[0], ==, 3);
	g_assert_cmpuint(icmp[1], ==, 4);
	g_assert_cmpuint((uint32_t)icmp[6] << 8 | icmp[7], ==, 1438);
	g_assert_cmpuint(csum(icmp, r->len - 20, 0), ==, 0xffff);
	g_assert_cmpmem(icmp + 8, 28, orig, 28);
	/* no error about an ICMP error */
	uint8_t err_pkt[56];
	memcpy(err_pkt, h, 56);
	uipsec_pkt_t *r2 = pkt_new(2048);
	g_assert_false(mtu_build_too_big(err_pkt, 56, 500, r2));
	/* nor to a multicast source */
	orig[12] = 224;
	g_assert_false(mtu_build_too_big(orig, 1500, 1400, r2));
	pkt_free(r);
	pkt_free(r2);
	g_free(orig);
}

static void test_icmp6(void)
{
	uint8_t orig[1500];
	memset(orig, 0xab, sizeof(orig));
	orig[0] = 0x60;
	orig[4] = (1500 - 40) >> 8;
	orig[5] = (1500 - 40) & 0xff;
	orig[6] = 17;
	orig[7] = 64;
	memset(orig + 8, 0, 32);
	orig[8] = 0xfd; orig[23] = 1;     /* fd00::1 */
	orig[24] = 0xfd; orig[39] = 2;    /* fd00::2 */
	uipsec_pkt_t *r = pkt_new(2048);
	g_assert_true(mtu_build_too_big(orig, sizeof(orig), 1400, r));
	const uint8_t *h = uipsec_pkt_data(r);
	g_assert_cmpuint(r->len, ==, 1280);                           /* as much as fits the minimum MTU */
	g_assert_cmpuint(h[6], ==, 58);
	g_assert_cmpmem(h + 8, 16, orig + 24, 16);
	g_assert_cmpmem(h + 24, 16, orig + 8, 16);
	const uint8_t *icmp = h + 40;
	g_assert_cmpuint(icmp[0], ==, 2);
	g_assert_cmpuint((uint32_t)icmp[4] << 24 | icmp[5] << 16 | icmp[6] << 8 | icmp[7], ==, 1400);
	uint32_t plen = r->len - 40;
	uint32_t sum = csum(h + 8, 32, 0);
	sum = csum(icmp, plen, sum + plen + 58);
	g_assert_cmpuint(sum, ==, 0xffff);
	/* an MTU below the IPv6 minimum is reported as 1280 */
	g_assert_true(mtu_build_too_big(orig, sizeof(orig), 1000, r));
	icmp = uipsec_pkt_data(r) + 40;
	g_assert_cmpuint((uint32_t)icmp[6] << 8 | icmp[7], ==, 1280);
	pkt_free(r);
}

/* The fragments f[0..n-1] of orig (an IPv4 packet of total bytes whose
 * own fragment offset is base bytes): each fits room, has a valid header,
 * and together, at the offsets they state, they are orig's payload. */
static void check_fragments(const uint8_t *orig, uint32_t total, uint32_t base, uipsec_pkt_t **f, int n,
                            uint32_t room)
{
	uint8_t *re = g_malloc0(total);
	memcpy(re, orig, 20);
	uint32_t covered = 0;
	for (int i = 0; i < n; i++) {
		const uint8_t *h = uipsec_pkt_data(f[i]);
		g_assert_cmpuint(f[i]->len, <=, room);
		g_assert_cmpuint(csum(h, 20, 0), ==, 0xffff);
		g_assert_cmpuint((uint32_t)h[2] << 8 | h[3], ==, f[i]->len);
		g_assert_cmpmem(h + 4, 2, orig + 4, 2);                  /* same identification */
		bool mf = h[6] & 0x20;
		g_assert_true(mf == (i < n - 1 || (orig[6] & 0x20)));
		uint32_t off = (((uint32_t)h[6] << 8 | h[7]) & 0x1fff) * 8;
		g_assert_cmpuint(off, ==, base + covered);
		/* nothing ends past what an IPv4 datagram can hold */
		g_assert_cmpuint(off + f[i]->len, <=, 0xffff);
		memcpy(re + 20 + covered, h + 20, f[i]->len - 20);
		covered += f[i]->len - 20;
	}
	g_assert_cmpuint(covered, ==, total - 20);
	g_assert_cmpmem(re + 20, total - 20, orig + 20, total - 20);
	g_free(re);
}

static void test_fragment(void)
{
	const uint32_t total = 4000, room = 1400;
	uint8_t *orig = ip4_packet(total, false);
	uipsec_pkt_t *f[8];
	for (int i = 0; i < 8; i++)
		f[i] = pkt_new(2048);
	int n = mtu_ip4_fragment(orig, total, room, f, 8);
	g_assert_cmpint(n, ==, 3);
	check_fragments(orig, total, 0, f, n, room);
	/* too many fragments needed, DF set, or no room: refused */
	g_assert_cmpint(mtu_ip4_fragment(orig, total, room, f, 2), ==, 0);
	g_assert_cmpint(mtu_ip4_fragment(orig, total, 24, f, 8), ==, 0);
	uint8_t *df = ip4_packet(total, true);
	g_assert_cmpint(mtu_ip4_fragment(df, total, room, f, 8), ==, 0);
	/* length field larger than the data: malformed, refused */
	g_assert_cmpint(mtu_ip4_fragment(orig, 100, room, f, 8), ==, 0);
	for (int i = 0; i < 8; i++)
		pkt_free(f[i]);
	g_free(orig);
	g_free(df);
}

/* Set the fragment offset (bytes, a multiple of 8) of an ip4_packet(). */
static void set_frag_off(uint8_t *p, uint32_t off, bool mf)
{
	p[6] = (uint8_t)((mf ? 0x20 : 0) | (off / 8) >> 8);
	p[7] = (uint8_t)(off / 8);
	p[10] = p[11] = 0;
	uint16_t c = (uint16_t)~csum(p, 20, 0);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
}

/* The largest datagram, alone and inside a larger buffer (a TUN read with
 * offloads can be 64 KiB and more): every offset is exact, none wraps.
 * A fragment that would end past 65 535 bytes is refused. */
static void test_fragment_64k(void)
{
	enum { MAXF = 48 };   /* what the worker has (SPARE) */
	const uint32_t total = 0xffff, room = 1400;
	uipsec_pkt_t *f[MAXF];
	for (int i = 0; i < MAXF; i++)
		f[i] = pkt_new(2048);
	uint8_t *orig = ip4_packet(total, false);
	int n = mtu_ip4_fragment(orig, total, room, f, MAXF);
	g_assert_cmpint(n, ==, MAXF);
	check_fragments(orig, total, 0, f, n, room);

	uint8_t *big = g_malloc(70000);
	memcpy(big, orig, total);
	memset(big + total, 0xee, 70000 - total);
	n = mtu_ip4_fragment(big, 70000, room, f, MAXF);
	g_assert_cmpint(n, ==, MAXF);
	check_fragments(orig, total, 0, f, n, room);

	/* the last fragment of a 65 535-byte datagram, cut again */
	uint8_t *tail = ip4_packet(1535, false);
	set_frag_off(tail, 64000, false);
	n = mtu_ip4_fragment(tail, 1535, 1000, f, MAXF);
	g_assert_cmpint(n, ==, 2);
	check_fragments(tail, 1535, 64000, f, n, 1000);
	/* one byte more would end past 65 535: offsets would wrap past 8191 */
	uint8_t *over = ip4_packet(3000, false);
	for (uint32_t off = 64000; off <= 65528; off += 8) {
		set_frag_off(over, off, off & 8);
		g_assert_cmpint(mtu_ip4_fragment(over, 3000, 1000, f, MAXF), ==, 0);
	}
	set_frag_off(tail, 64008, false);
	g_assert_cmpint(mtu_ip4_fragment(tail, 1535, 1000, f, MAXF), ==, 0);
	for (int i = 0; i < MAXF; i++)
		pkt_free(f[i]);
	g_free(orig);
	g_free(big);
	g_free(tail);
	g_free(over);
}

/* The per-worker limit on ICMP replies: a burst, then a steady rate. */
static void test_icmp_limit(void)
{
	mtu_icmp_limit_t l = { 0, 0 };
	const uint64_t sec = 1000000000ull, t0 = 5 * sec, tick = sec / MTU_ICMP_PER_SEC;
	unsigned ok = 0;
	for (unsigned i = 0; i < 1000; i++)
		ok += mtu_icmp_allow(&l, t0);
	g_assert_cmpuint(ok, ==, MTU_ICMP_BURST);
	/* half a token's time earns nothing, a whole one earns one */
	g_assert_false(mtu_icmp_allow(&l, t0 + tick / 2));
	g_assert_true(mtu_icmp_allow(&l, t0 + tick));
	g_assert_false(mtu_icmp_allow(&l, t0 + tick));
	/* a flood for one second, every 10 us: the rate, not more */
	ok = 0;
	uint64_t t;
	for (t = t0 + tick; t < t0 + tick + sec; t += 10000)
		ok += mtu_icmp_allow(&l, t);
	g_assert_cmpuint(ok, >=, MTU_ICMP_PER_SEC - 1);
	g_assert_cmpuint(ok, <=, MTU_ICMP_PER_SEC);
	/* after a long pause only a burst again, never more */
	ok = 0;
	for (unsigned i = 0; i < 1000; i++)
		ok += mtu_icmp_allow(&l, t + 3600 * sec);
	g_assert_cmpuint(ok, ==, MTU_ICMP_BURST);
	/* a clock going back earns nothing */
	g_assert_false(mtu_icmp_allow(&l, t0));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mtu/room", test_room);
	g_test_add_func("/mtu/check", test_check);
	g_test_add_func("/mtu/icmp4-frag-needed", test_icmp4);
	g_test_add_func("/mtu/icmp6-packet-too-big", test_icmp6);
	g_test_add_func("/mtu/ip4-fragment", test_fragment);
	g_test_add_func("/mtu/ip4-fragment-64k", test_fragment_64k);
	g_test_add_func("/mtu/icmp-limit", test_icmp_limit);
	return g_test_run();
}
