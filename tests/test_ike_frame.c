/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IKE relay frame (core/datapath/ike_frame.c): the header round-trips
 * for both families, the wire bytes are those docs/control-protocol.md
 * describes, and every bad length, version, family and flag is rejected
 * without reading past the message. */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <glib.h>

#include "datapath/ike_frame.h"

static ike_frame_t frame(int af, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint32_t ifindex)
{
	ike_frame_t f;
	memset(&f, 0, sizeof(f));
	f.src.addr.family = f.dst.addr.family = (uint8_t)af;
	g_assert_cmpint(inet_pton(af, src, f.src.addr.bytes), ==, 1);
	g_assert_cmpint(inet_pton(af, dst, f.dst.addr.bytes), ==, 1);
	f.src.port = sport;
	f.dst.port = dport;
	f.ifindex = ifindex;
	return f;
}

/* header + payload in one heap block of exactly len bytes: ASan sees a
 * read past the message */
static uint8_t *message(const uint8_t *hdr, size_t hdr_len, const uint8_t *payload, size_t plen)
{
	uint8_t *m = g_malloc(hdr_len + plen + 1);
	memcpy(m, hdr, hdr_len);
	if (plen)
		memcpy(m + hdr_len, payload, plen);
	return m;
}

static void test_roundtrip_v4(void)
{
	ike_frame_t f = frame(AF_INET, "192.0.2.1", 4500, "198.51.100.2", 4501, 7);
	uint8_t hdr[IKE_FRAME_HDR_LEN];
	g_assert_cmpint(ike_frame_encode(&f, hdr), ==, IKE_FRAME_OK);
	/* the wire bytes, field by field, network order */
	static const uint8_t want[IKE_FRAME_HDR_LEN] = {
		1, 4, 0, 0, 0x11, 0x94, 0x11, 0x95, 0, 0, 0, 7,
		192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		198, 51, 100, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	g_assert_cmpmem(hdr, sizeof(hdr), want, sizeof(want));
	static const uint8_t ike[] = { 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef };
	uint8_t *m = message(hdr, sizeof(hdr), ike, sizeof(ike));
	ike_frame_t g;
	const uint8_t *p = NULL;
	size_t plen = 0;
	g_assert_cmpint(ike_frame_decode(m, sizeof(hdr) + sizeof(ike), &g, &p, &plen), ==, IKE_FRAME_OK);
	g_assert_true(ip_addr_eq(&g.src.addr, &f.src.addr));
	g_assert_true(ip_addr_eq(&g.dst.addr, &f.dst.addr));
	g_assert_cmpuint(g.src.port, ==, 4500);
	g_assert_cmpuint(g.dst.port, ==, 4501);
	g_assert_cmpuint(g.ifindex, ==, 7);
	g_assert_cmpmem(p, plen, ike, sizeof(ike));
	g_free(m);
}

static void test_roundtrip_v6_keepalive(void)
{
	ike_frame_t f = frame(AF_INET6, "2001:db8::1", 4500, "2001:db8:1::2", 1234, 0x01020304);
	uint8_t hdr[IKE_FRAME_HDR_LEN];
	g_assert_cmpint(ike_frame_encode(&f, hdr), ==, IKE_FRAME_OK);
	g_assert_cmpuint(hdr[1], ==, 6);
	g_assert_cmpuint(hdr[8], ==, 1);
	g_assert_cmpuint(hdr[11], ==, 4);
	static const uint8_t ka[] = { 0xff };   /* a NAT keepalive passes like any payload */
	uint8_t *m = message(hdr, sizeof(hdr), ka, 1);
	ike_frame_t g;
	const uint8_t *p;
	size_t plen;
	g_assert_cmpint(ike_frame_decode(m, sizeof(hdr) + 1, &g, &p, &plen), ==, IKE_FRAME_OK);
	g_assert_true(ip_addr_eq(&g.src.addr, &f.src.addr));
	g_assert_true(ip_addr_eq(&g.dst.addr, &f.dst.addr));
	g_assert_cmpuint(g.ifindex, ==, 0x01020304);
	g_assert_cmpuint(plen, ==, 1);
	g_assert_cmpuint(p[0], ==, 0xff);
	g_free(m);
}

static void test_encode_bad_family(void)
{
	uint8_t hdr[IKE_FRAME_HDR_LEN];
	memset(hdr, 0xaa, sizeof(hdr));
	ike_frame_t f = frame(AF_INET, "192.0.2.1", 1, "192.0.2.2", 2, 0);
	f.dst.addr.family = AF_INET6;   /* mixed */
	g_assert_cmpint(ike_frame_encode(&f, hdr), ==, IKE_FRAME_BAD_FAMILY);
	f.src.addr.family = f.dst.addr.family = 0;
	g_assert_cmpint(ike_frame_encode(&f, hdr), ==, IKE_FRAME_BAD_FAMILY);
	f.src.addr.family = f.dst.addr.family = AF_UNIX;
	g_assert_cmpint(ike_frame_encode(&f, hdr), ==, IKE_FRAME_BAD_FAMILY);
	g_assert_cmpuint(hdr[0], ==, 0xaa);   /* nothing written */
}

static ike_frame_status_t decode(const uint8_t *hdr, size_t hdr_len, size_t plen)
{
	uint8_t *payload = g_malloc0(plen + 1);
	uint8_t *m = message(hdr, hdr_len, payload, plen);
	ike_frame_t f;
	const uint8_t *p = NULL;
	size_t got = 0;
	ike_frame_status_t st = ike_frame_decode(m, hdr_len + plen, &f, &p, &got);
	if (st == IKE_FRAME_OK)
		g_assert_cmpuint(got, ==, plen);
	else
		g_assert_null(p);   /* nothing handed out on failure */
	g_free(m);
	g_free(payload);
	return st;
}

static void test_decode_rejects(void)
{
	ike_frame_t f = frame(AF_INET, "192.0.2.1", 4500, "198.51.100.2", 4500, 0);
	uint8_t hdr[IKE_FRAME_HDR_LEN];
	g_assert_cmpint(ike_frame_encode(&f, hdr), ==, IKE_FRAME_OK);

	/* every length short of the header, the empty message included */
	for (size_t l = 0; l < IKE_FRAME_HDR_LEN; l++)
		g_assert_cmpint(decode(hdr, l, 0), ==, IKE_FRAME_SHORT);
	/* a header and nothing else */
	g_assert_cmpint(decode(hdr, sizeof(hdr), 0), ==, IKE_FRAME_EMPTY);
	/* payload sizes: 1, the largest, one more */
	g_assert_cmpint(decode(hdr, sizeof(hdr), 1), ==, IKE_FRAME_OK);
	g_assert_cmpint(decode(hdr, sizeof(hdr), IKE_FRAME_MAX_PAYLOAD), ==, IKE_FRAME_OK);
	g_assert_cmpint(decode(hdr, sizeof(hdr), IKE_FRAME_MAX_PAYLOAD + 1), ==, IKE_FRAME_TOO_BIG);

	/* versions other than 1 */
	static const uint8_t versions[] = { 0, 2, 0x7f, 0xff };
	for (unsigned i = 0; i < G_N_ELEMENTS(versions); i++) {
		uint8_t h[IKE_FRAME_HDR_LEN];
		memcpy(h, hdr, sizeof(h));
		h[0] = versions[i];
		g_assert_cmpint(decode(h, sizeof(h), 8), ==, IKE_FRAME_BAD_VERSION);
	}
	/* families other than 4 and 6 (the OS values of AF_INET6 too) */
	static const uint8_t families[] = { 0, 1, 2, 5, 10, 28, 30, 0xff };
	for (unsigned i = 0; i < G_N_ELEMENTS(families); i++) {
		uint8_t h[IKE_FRAME_HDR_LEN];
		memcpy(h, hdr, sizeof(h));
		h[1] = families[i];
		g_assert_cmpint(decode(h, sizeof(h), 8), ==, IKE_FRAME_BAD_FAMILY);
	}
	/* any flag bit */
	for (unsigned bit = 0; bit < 16; bit++) {
		uint8_t h[IKE_FRAME_HDR_LEN];
		memcpy(h, hdr, sizeof(h));
		h[2] = (uint8_t)((1u << bit) >> 8);
		h[3] = (uint8_t)(1u << bit);
		g_assert_cmpint(decode(h, sizeof(h), 8), ==, IKE_FRAME_BAD_FLAGS);
	}
	/* the checks come in order: a short message with a bad version is short */
	uint8_t h[IKE_FRAME_HDR_LEN];
	memcpy(h, hdr, sizeof(h));
	h[0] = 9;
	g_assert_cmpint(decode(h, 3, 0), ==, IKE_FRAME_SHORT);
	for (int st = IKE_FRAME_OK; st <= IKE_FRAME_TOO_BIG; st++)
		g_assert_cmpstr(ike_frame_status_str((ike_frame_status_t)st), !=, "?");
}

/* An IPv4 frame's unused address bytes do not leak into the address. */
static void test_decode_v4_ignores_tail(void)
{
	ike_frame_t f = frame(AF_INET, "192.0.2.1", 4500, "198.51.100.2", 4500, 0);
	uint8_t hdr[IKE_FRAME_HDR_LEN];
	g_assert_cmpint(ike_frame_encode(&f, hdr), ==, IKE_FRAME_OK);
	memset(hdr + 16, 0xee, 12);
	memset(hdr + 32, 0xee, 12);
	static const uint8_t one = 0xff;
	uint8_t *m = message(hdr, sizeof(hdr), &one, 1);
	ike_frame_t g;
	const uint8_t *p;
	size_t plen;
	g_assert_cmpint(ike_frame_decode(m, sizeof(hdr) + 1, &g, &p, &plen), ==, IKE_FRAME_OK);
	g_assert_true(ip_addr_eq(&g.src.addr, &f.src.addr));
	g_assert_true(memcmp(&g.src.addr, &f.src.addr, sizeof(g.src.addr)) == 0);
	g_assert_true(memcmp(&g.dst.addr, &f.dst.addr, sizeof(g.dst.addr)) == 0);
	g_free(m);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ike-frame/roundtrip-v4", test_roundtrip_v4);
	g_test_add_func("/ike-frame/roundtrip-v6-keepalive", test_roundtrip_v6_keepalive);
	g_test_add_func("/ike-frame/encode-bad-family", test_encode_bad_family);
	g_test_add_func("/ike-frame/decode-rejects", test_decode_rejects);
	g_test_add_func("/ike-frame/decode-v4-ignores-tail", test_decode_v4_ignores_tail);
	return g_test_run();
}
