/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Raw ESP sockets: what raw_esp_parse() accepts of what an IPv4 / IPv6
 * raw socket delivers (every length checked, each drop in the counter
 * its UDP twin uses), and a batch sent and received on loopback. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "util/byteorder.h"
#include "esp/pktbuf.h"
#include "datapath/raw_socket.h"

#define CAP 2048

static uipsec_pkt_t *pkt_new(void)
{
	uipsec_pkt_t *p = g_malloc0(sizeof(*p) + CAP);
	p->buf = (uint8_t *)(p + 1);
	p->cap = CAP;
	p->off = UIPSEC_PKT_HEADROOM;
	return p;
}

/* An IPv4 header (IHL ihl words) + an ESP header with spi + extra bytes. */
static uint32_t build_v4(uipsec_pkt_t *p, unsigned ihl, uint32_t spi, uint32_t extra)
{
	uint8_t *d = uipsec_pkt_data(p);
	uint32_t hl = ihl * 4, tot = hl + 8 + extra;
	memset(d, 0, tot);
	d[0] = (uint8_t)(0x40 | ihl);
	put_be16(d + 2, (uint16_t)tot);
	d[8] = 64;
	d[9] = IP_PROTO_ESP;
	d[12] = 192; d[13] = 0; d[14] = 2; d[15] = 2;
	d[16] = 192; d[17] = 0; d[18] = 2; d[19] = 1;
	put_be32(d + hl, spi);
	put_be32(d + hl + 4, 1);
	p->len = tot;
	return tot;
}

static void test_parse_v4(void)
{
	uipsec_pkt_t *p = pkt_new();
	uipsec_addr_t local;
	stats_id_t why;

	/* well-formed, IHL 5 and 15 (options): the ESP packet remains */
	for (unsigned ihl = 5; ihl <= 15; ihl += 10) {
		p->off = UIPSEC_PKT_HEADROOM;
		build_v4(p, ihl, 0x1000, 24);
		g_assert_true(raw_esp_parse(p, AF_INET, &local, &why));
		g_assert_cmpuint(p->len, ==, 8 + 24);
		g_assert_cmphex(get_be32(uipsec_pkt_data(p)), ==, 0x1000);
		g_assert_cmpint(local.family, ==, AF_INET);
		g_assert_cmpuint(local.bytes[3], ==, 1);
	}
	/* bytes behind the total length (link padding) are cut off */
	p->off = UIPSEC_PKT_HEADROOM;
	build_v4(p, 5, 0x1000, 16);
	p->len += 6;
	g_assert_true(raw_esp_parse(p, AF_INET, &local, &why));
	g_assert_cmpuint(p->len, ==, 24);

	/* every short read: nothing below a full header and ESP header passes */
	for (uint32_t len = 0; len < 20 + 8; len++) {
		p->off = UIPSEC_PKT_HEADROOM;
		build_v4(p, 5, 0x1000, 0);
		p->len = len;
		g_assert_false(raw_esp_parse(p, AF_INET, &local, &why));
		g_assert_cmpint(why, ==, STAT_MALFORMED);
	}
	/* total length below the read but short of an ESP header */
	for (uint32_t tot = 20; tot < 28; tot++) {
		p->off = UIPSEC_PKT_HEADROOM;
		build_v4(p, 5, 0x1000, 8);
		put_be16(uipsec_pkt_data(p) + 2, (uint16_t)tot);
		g_assert_false(raw_esp_parse(p, AF_INET, &local, &why));
		g_assert_cmpint(why, ==, STAT_MALFORMED);
	}
	static const struct { unsigned off; uint8_t val; const char *what; } bad[] = {
		{ 0, 0x44, "IHL 4" },
		{ 0, 0x45 | 0x10, "version 5" },
		{ 0, 0x4f, "IHL beyond the packet" },   /* 60 > 20 + 8 + 8 */
		{ 2, 0xff, "total length beyond the read" },
		{ 3, 10, "total length below the header" },   /* with byte 2 = 0 below */
		{ 6, 0x20, "more fragments" },
		{ 7, 0x01, "fragment offset" },
		{ 9, IP_PROTO_UDP, "not protocol 50" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		p->off = UIPSEC_PKT_HEADROOM;
		build_v4(p, 5, 0x1000, 8);
		uint8_t *d = uipsec_pkt_data(p);
		if (bad[i].off == 3)
			d[2] = 0;
		d[bad[i].off] = bad[i].val;
		g_test_message("%s", bad[i].what);
		g_assert_false(raw_esp_parse(p, AF_INET, &local, &why));
		g_assert_cmpint(why, ==, STAT_MALFORMED);
	}
	/* SPI 0 is reserved (in UDP: the IKE marker): bad_spi */
	p->off = UIPSEC_PKT_HEADROOM;
	build_v4(p, 5, 0, 16);
	g_assert_false(raw_esp_parse(p, AF_INET, &local, &why));
	g_assert_cmpint(why, ==, STAT_BAD_SPI);
	/* an unknown family */
	p->off = UIPSEC_PKT_HEADROOM;
	build_v4(p, 5, 0x1000, 16);
	g_assert_false(raw_esp_parse(p, AF_UNIX, &local, &why));
	g_free(p);
}

static void test_parse_v6(void)
{
	uipsec_pkt_t *p = pkt_new();
	uipsec_addr_t local = { .family = AF_INET6 };
	stats_id_t why;
	/* the payload only: ESP header or nothing */
	for (uint32_t len = 0; len < 40; len++) {
		p->off = UIPSEC_PKT_HEADROOM;
		uint8_t *d = uipsec_pkt_data(p);
		memset(d, 0, 40);
		put_be32(d, 0x2000);
		p->len = len;
		bool ok = raw_esp_parse(p, AF_INET6, &local, &why);
		g_assert_true(ok == (len >= 8));
		if (ok)
			g_assert_cmpuint(p->len, ==, len);
		else
			g_assert_cmpint(why, ==, STAT_MALFORMED);
	}
	p->off = UIPSEC_PKT_HEADROOM;
	memset(uipsec_pkt_data(p), 0, 16);
	p->len = 16;
	g_assert_false(raw_esp_parse(p, AF_INET6, &local, &why));
	g_assert_cmpint(why, ==, STAT_BAD_SPI);
	g_assert_cmpint(local.family, ==, AF_INET6);   /* PKTINFO's, untouched */
	g_free(p);
}

/* A batch to 127.0.0.1 through the raw socket comes back through it, IP
 * header included; our SPI tells it from any other ESP on loopback. */
static void test_loopback(void)
{
	udp_socket_cfg_t cfg = { .port = 4500 };
	char *addrs[] = { (char *)"127.0.0.1", NULL };
	cfg.addresses = addrs;
	GError *err = NULL;
	raw_socket_t *rs = raw_socket_open(&cfg, &err);
	if (!rs) {
		g_test_skip(err->message);   /* no CAP_NET_RAW */
		g_error_free(err);
		return;
	}
	int fd;
	g_assert_cmpuint(raw_socket_fds(rs, &fd, 1), ==, 1);
	enum { N = 8 };
	uipsec_pkt_t *tx[N], *rx[N];
	ip_endpoint_t to[N], from[N];
	udp_local_t local[N];
	const uint32_t spi = 0x5a000000u | (uint32_t)(getpid() & 0xffff);
	for (int i = 0; i < N; i++) {
		tx[i] = pkt_new();
		rx[i] = pkt_new();
		uint8_t *d = uipsec_pkt_data(tx[i]);
		memset(d, 0xab, 64);
		put_be32(d, spi);
		put_be32(d + 4, (uint32_t)i + 1);
		tx[i]->len = 32 + (uint32_t)i;
		memset(&to[i], 0, sizeof(to[i]));
		to[i].addr.family = AF_INET;
		to[i].addr.bytes[0] = 127;
		to[i].addr.bytes[3] = 1;
		to[i].port = 4500;   /* ignored */
	}
	g_assert_cmpint(raw_socket_send(rs, tx, to, N), ==, N);
	int got = 0;
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (got < N && g_get_monotonic_time() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		uint32_t drops;
		int n = raw_socket_recv(rs, fd, rx, from, local, N, &drops);
		for (int i = 0; i < n; i++) {
			stats_id_t why;
			uipsec_addr_t our;
			g_assert_true(raw_esp_parse(rx[i], from[i].addr.family, &our, &why));
			if (get_be32(uipsec_pkt_data(rx[i])) != spi)
				continue;   /* someone else's */
			uint32_t seq = get_be32(uipsec_pkt_data(rx[i]) + 4);
			g_assert_cmpuint(seq, >=, 1);
			g_assert_cmpuint(rx[i]->len, ==, 32 + seq - 1);
			g_assert_cmpuint(from[i].port, ==, 0);
			g_assert_cmpuint(our.bytes[0], ==, 127);
			got++;
		}
	}
	g_assert_cmpint(got, ==, N);
	for (int i = 0; i < N; i++) {
		g_free(tx[i]);
		g_free(rx[i]);
	}
	raw_socket_close(rs);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/raw-socket/parse-v4", test_parse_v4);
	g_test_add_func("/raw-socket/parse-v6", test_parse_v6);
	g_test_add_func("/raw-socket/loopback", test_loopback);
	return g_test_run();
}
