/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ESP-in-UDP sockets on loopback: configuration, SO_REUSEPORT groups,
 * recvmmsg/sendmmsg batches, keepalives. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>

#include "config/settings_parser.h"
#include "datapath/udp_socket.h"

static uint16_t free_port(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	g_assert_cmpint(bind(s, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	socklen_t l = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &l);
	close(s);
	return ntohs(a.sin_port);
}

static udp_socket_cfg_t cfg_for(const char *text)
{
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	g_assert_true(settings_load_string(s, text, "test.conf", &err));
	udp_socket_cfg_t cfg;
	g_assert_true(udp_socket_cfg_load(&cfg, s, &err));
	g_assert_no_error(err);
	settings_free(s);
	return cfg;
}

static void test_cfg(void)
{
	udp_socket_cfg_t cfg = cfg_for("uipsecd { socket { port = 4501\n address = 127.0.0.1, ::1\n fwmark = 0x42 } }\n");
	g_assert_cmpuint(cfg.port, ==, 4501);
	g_assert_true(cfg.has_fwmark);
	g_assert_cmpuint(cfg.fwmark, ==, 0x42);
	g_assert_cmpstr(cfg.addresses[0], ==, "127.0.0.1");
	g_assert_cmpstr(cfg.addresses[1], ==, "::1");
	udp_socket_cfg_clear(&cfg);
	cfg = cfg_for("");
	g_assert_cmpuint(cfg.port, ==, 4500);
	g_assert_false(cfg.has_fwmark);
	udp_socket_cfg_clear(&cfg);

	const char *bad[] = {
		"uipsecd { socket { port = 70000 } }\n",
		"uipsecd { socket { address = 192.0.2.300 } }\n",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		uipsec_settings_t *s = settings_new();
		GError *err = NULL;
		g_assert_true(settings_load_string(s, bad[i], "bad.conf", &err));
		g_assert_false(udp_socket_cfg_load(&cfg, s, &err));
		g_assert_nonnull(err);
		g_assert_nonnull(strstr(err->message, "bad.conf:1"));
		g_error_free(err);
		settings_free(s);
	}
}

static uipsec_pkt_t *pkt_new(void)
{
	uipsec_pkt_t *p = g_new0(uipsec_pkt_t, 1);
	p->cap = 2048;
	p->buf = g_malloc0(p->cap);
	p->off = UIPSEC_PKT_HEADROOM;
	return p;
}

static void test_batches(void)
{
	uint16_t port = free_port();
	char *text = g_strdup_printf("uipsecd.socket.port = %u\nuipsecd.socket.address = 127.0.0.1\n", port);
	udp_socket_cfg_t cfg = cfg_for(text);
	g_free(text);
	GError *err = NULL;
	/* two workers' sockets share the port */
	udp_socket_t *a = udp_socket_open(&cfg, &err);
	g_assert_no_error(err);
	udp_socket_t *b = udp_socket_open(&cfg, &err);
	g_assert_no_error(err);
	udp_socket_cfg_clear(&cfg);

	/* a peer sends 20 datagrams to the port */
	int peer = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in pa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	g_assert_cmpint(bind(peer, (struct sockaddr *)&pa, sizeof(pa)), ==, 0);
	socklen_t pl = sizeof(pa);
	getsockname(peer, (struct sockaddr *)&pa, &pl);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	for (int i = 0; i < 20; i++) {
		uint8_t d[100];
		memset(d, i + 1, sizeof(d));
		g_assert_cmpint(sendto(peer, d, 10 + i, 0, (struct sockaddr *)&to, sizeof(to)), ==, 10 + i);
	}
	uipsec_pkt_t *pk[64];
	ip_endpoint_t from[64];
	for (int i = 0; i < 64; i++)
		pk[i] = pkt_new();
	int total = 0;
	udp_socket_t *sets[] = { a, b };
	for (int round = 0; round < 50 && total < 20; round++) {
		for (int s = 0; s < 2; s++) {
			int fds[UDP_SOCKET_MAX_FDS];
			unsigned nfd = udp_socket_fds(sets[s], fds, UDP_SOCKET_MAX_FDS);
			g_assert_cmpuint(nfd, ==, 1);
			uint32_t drops = 99;
			int n = udp_socket_recv(sets[s], fds[0], pk, from, NULL, NULL, 64, &drops);
			g_assert_cmpint(n, >=, 0);
			g_assert_cmpuint(drops, ==, 0);
			for (int i = 0; i < n; i++) {
				int idx = total + i;
				/* one peer 4-tuple always lands on the same socket, in order */
				g_assert_cmpuint(pk[i]->len, ==, 10 + idx);
				g_assert_cmpuint(uipsec_pkt_data(pk[i])[0], ==, idx + 1);
				g_assert_cmpuint(from[i].addr.family, ==, AF_INET);
				g_assert_cmpuint(from[i].port, ==, ntohs(pa.sin_port));
			}
			total += n;
		}
		if (total < 20)
			g_usleep(10000);
	}
	g_assert_cmpint(total, ==, 20);

	/* a batch back to the peer with sendmmsg */
	ip_endpoint_t dst[5];
	for (int i = 0; i < 5; i++) {
		memset(&dst[i], 0, sizeof(dst[i]));
		dst[i].addr.family = AF_INET;
		memcpy(dst[i].addr.bytes, &pa.sin_addr, 4);
		dst[i].port = ntohs(pa.sin_port);
		pk[i]->off = UIPSEC_PKT_HEADROOM;
		pk[i]->len = 50 + i;
		memset(uipsec_pkt_data(pk[i]), 0xa0 + i, pk[i]->len);
	}
	g_assert_cmpint(udp_socket_send(a, pk, dst, 5), ==, 5);
	g_assert_true(udp_socket_send_keepalive(b, &dst[0]));
	for (int i = 0; i < 6; i++) {
		uint8_t buf[200];
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		struct pollfd p = { .fd = peer, .events = POLLIN };
		g_assert_cmpint(poll(&p, 1, 2000), ==, 1);
		ssize_t r = recvfrom(peer, buf, sizeof(buf), 0, (struct sockaddr *)&src, &sl);
		g_assert_cmpuint(ntohs(src.sin_port), ==, port);   /* from the ESP-in-UDP port */
		if (i < 5) {
			g_assert_cmpint(r, ==, 50 + i);
			g_assert_cmpuint(buf[0], ==, 0xa0 + i);
		} else {
			g_assert_cmpint(r, ==, 1);                      /* RFC 3948 keepalive */
			g_assert_cmpuint(buf[0], ==, 0xff);
		}
	}
	char s[64];
	char *want = g_strdup_printf("127.0.0.1:%u", ntohs(pa.sin_port));
	g_assert_cmpstr(udp_endpoint_str(&dst[0], s, sizeof(s)), ==, want);
	g_free(want);
	g_assert_true(udp_endpoint_equal(&dst[0], &dst[1]));
	dst[1].port++;
	g_assert_false(udp_endpoint_equal(&dst[0], &dst[1]));
	for (int i = 0; i < 64; i++) {
		g_free(pk[i]->buf);
		g_free(pk[i]);
	}
	close(peer);
	udp_socket_close(a);
	udp_socket_close(b);
}

static void test_port_in_use(void)
{
	uint16_t port = free_port();
	int s = socket(AF_INET, SOCK_DGRAM, 0);   /* without SO_REUSEPORT */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	g_assert_cmpint(bind(s, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	char *text = g_strdup_printf("uipsecd.socket.port = %u\nuipsecd.socket.address = 127.0.0.1\n", port);
	udp_socket_cfg_t cfg = cfg_for(text);
	g_free(text);
	GError *err = NULL;
	g_assert_null(udp_socket_open(&cfg, &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, "127.0.0.1"));
	g_error_free(err);
	udp_socket_cfg_clear(&cfg);
	close(s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/udp-socket/config", test_cfg);
	g_test_add_func("/udp-socket/batches", test_batches);
	g_test_add_func("/udp-socket/port-in-use", test_port_in_use);
	return g_test_run();
}
