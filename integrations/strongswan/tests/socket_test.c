/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TAP test of kernel_uipsec_socket.c without charon's daemon and without
 * root: libcharon is initialized (no plugins), the socket binds a random
 * port on the loopback (charon.port = 0) and connects to a fake uipsecd IKE
 * relay (a SOCK_SEQPACKET listener of this test). Checked: frames in both
 * directions byte for byte, every kind of malformed frame is skipped, NAT
 * keepalives pass, the UDP path with PKTINFO, reconnection after the relay
 * closes, send() failing while the relay is gone and reconnecting on its
 * own when it is back, and cancellation of the receiving thread.
 *
 * Build (see ../README or the build helper):
 *   cc -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -include $CFG \
 *      -isystem $SW/src/libstrongswan -isystem $SW/src/libcharon -I.. \
 *      -o socket_test socket_test.c ../kernel_uipsec_socket.c \
 *      -L/usr/lib/ipsec -lcharon -lstrongswan -Wl,-rpath,/usr/lib/ipsec
 * Run: ./socket_test [-v]   (-v: charon's log lines of the socket as TAP
 * comments)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <library.h>
#include <daemon.h>
#include <threading/thread.h>

#include "kernel_uipsec_socket.h"

#define HDR 44

static int t_num, t_failed;
static bool verbose;

static void check(bool ok, const char *what)
{
	t_num++;
	if (!ok)
	{
		t_failed++;
	}
	printf("%sok %d - %s\n", ok ? "" : "not ", t_num, what);
	fflush(stdout);
}

/* ------------------------------------------------------------ log */

static void log_cb(logger_t *this, debug_t group, level_t level, int thread,
				   ike_sa_t *ike_sa, const char *message)
{
	if (verbose)
	{
		printf("# [%d] %s\n", level, message);
	}
}

static level_t log_level(logger_t *this, debug_t group)
{
	return group == DBG_NET ? LEVEL_CTRL : LEVEL_SILENT;
}

static logger_t logger = {
	.log = log_cb,
	.get_level = log_level,
};

/* ------------------------------------------------------------ fake relay */

static char relay_path[100];
static int listen_fd = -1;
static int client_fd = -1;

static void relay_listen(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	unlink(relay_path);
	strncpy(addr.sun_path, relay_path, sizeof(addr.sun_path) - 1);
	listen_fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr*)&addr, sizeof(addr)) ||
		listen(listen_fd, 4))
	{
		printf("Bail out! fake relay socket %s: %s\n", relay_path,
			   strerror(errno));
		exit(1);
	}
}

static void relay_unlisten(void)
{
	close(listen_fd);
	listen_fd = -1;
	unlink(relay_path);
}

/* the socket's connection, within ms */
static bool relay_accept(int ms)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
	{
		return FALSE;
	}
	if (client_fd >= 0)
	{
		close(client_fd);
	}
	client_fd = accept(listen_fd, NULL, NULL);
	return client_fd >= 0;
}

/* one frame written by the socket into buf, its length or -1 */
static ssize_t relay_recv(uint8_t *buf, size_t size, int ms)
{
	struct pollfd p = { .fd = client_fd, .events = POLLIN };

	if (client_fd < 0 || poll(&p, 1, ms) != 1)
	{
		return -1;
	}
	return recv(client_fd, buf, size, 0);
}

static size_t frame(uint8_t *buf, int ver, int fam, int flags, int sport,
					int dport, uint32_t ifindex, const char *src,
					const char *dst, const void *payload, size_t len)
{
	int af = fam == 6 ? AF_INET6 : AF_INET;

	memset(buf, 0, HDR);
	buf[0] = ver;
	buf[1] = fam;
	buf[2] = flags >> 8;
	buf[3] = flags;
	buf[4] = sport >> 8;
	buf[5] = sport;
	buf[6] = dport >> 8;
	buf[7] = dport;
	buf[8] = ifindex >> 24;
	buf[9] = ifindex >> 16;
	buf[10] = ifindex >> 8;
	buf[11] = ifindex;
	if (src)
	{
		inet_pton(af, src, buf + 12);
	}
	if (dst)
	{
		inet_pton(af, dst, buf + 28);
	}
	memcpy(buf + HDR, payload, len);
	return HDR + len;
}

static void relay_send(const uint8_t *buf, size_t len)
{
	if (send(client_fd, buf, len, 0) != (ssize_t)len)
	{
		printf("# fake relay: send: %s\n", strerror(errno));
	}
}

/* ------------------------------------------------------------ receiver */

static socket_t *skt;
static int queue[2];

/* charon's receiver thread: every packet into the queue */
static void *receiver_main(void *arg)
{
	packet_t *pkt;

	while (TRUE)
	{
		if (skt->receive(skt, &pkt) == SUCCESS &&
			write(queue[1], &pkt, sizeof(pkt)) != sizeof(pkt))
		{
			pkt->destroy(pkt);
		}
	}
	return NULL;
}

static packet_t *next_packet(int ms)
{
	struct pollfd p = { .fd = queue[0], .events = POLLIN };
	packet_t *pkt;

	if (poll(&p, 1, ms) != 1 ||
		read(queue[0], &pkt, sizeof(pkt)) != sizeof(pkt))
	{
		return NULL;
	}
	return pkt;
}

/* "address[port]", as charon's %#H prints it */
static void host_str(host_t *host, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	chunk_t a = host->get_address(host);

	inet_ntop(host->get_family(host), a.ptr, addr, sizeof(addr));
	snprintf(buf, size, "%s[%u]", addr, host->get_port(host));
}

/* pkt is from SRC to DST (host strings with [port]) and carries data */
static bool packet_is(packet_t *pkt, const char *src, const char *dst,
					  const void *data, size_t len)
{
	char s[64], d[64];
	chunk_t c;

	if (!pkt)
	{
		printf("# no packet\n");
		return FALSE;
	}
	host_str(pkt->get_source(pkt), s, sizeof(s));
	host_str(pkt->get_destination(pkt), d, sizeof(d));
	c = pkt->get_data(pkt);
	if (strcmp(s, src) || strcmp(d, dst) || c.len != len ||
		memcmp(c.ptr, data, len))
	{
		printf("# got %s -> %s, %zu bytes\n", s, d, c.len);
		return FALSE;
	}
	return TRUE;
}

static status_t send_packet(const char *src, int sport, const char *dst,
							int dport, const void *data, size_t len)
{
	packet_t *pkt;
	status_t st;

	pkt = packet_create_from_data(host_create_from_string((char*)src, sport),
								  host_create_from_string((char*)dst, dport),
								  chunk_clone(chunk_create((u_char*)data, len)));
	st = skt->send(skt, pkt);
	pkt->destroy(pkt);
	return st;
}

/* ------------------------------------------------------------ tests */

int main(int argc, char *argv[])
{
	static const uint8_t ike[] = { 0, 0, 0, 0, 'I', 'K', 'E', '!' };
	uint8_t buf[20000], exp[200], big[12000];
	char dir[] = "/tmp/kus-test.XXXXXX", conf[64];
	thread_t *receiver;
	packet_t *pkt;
	ssize_t n;
	size_t len;
	uint16_t port;
	int udp, i;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	FILE *f;

	verbose = argc > 1 && streq(argv[1], "-v");
	if (!mkdtemp(dir))
	{
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(relay_path, sizeof(relay_path), "%s/ike.sock", dir);
	snprintf(conf, sizeof(conf), "%s/strongswan.conf", dir);
	f = fopen(conf, "w");
	fprintf(f, "charon {\n  port = 0\n  port_nat_t = 4500\n"
			"  plugins {\n    kernel-uipsec {\n"
			"      ike_socket = unix://%s\n    }\n  }\n}\n", relay_path);
	fclose(f);
	if (!library_init(conf, "charon") || !libcharon_init())
	{
		printf("Bail out! library_init/libcharon_init failed\n");
		return 1;
	}
	charon->bus->add_logger(charon->bus, &logger);
	if (pipe(queue))
	{
		return 1;
	}
	relay_listen();

	/* 1-3: construction, ports, families, the first connection */
	skt = kernel_uipsec_socket_create();
	check(skt != NULL, "socket created (charon.port = 0: a random port)");
	if (!skt)
	{
		printf("Bail out! no socket\n");
		return 1;
	}
	port = skt->get_port(skt, FALSE);
	check(port != 0 && skt->get_port(skt, TRUE) == 4500,
		  "get_port: the bound port, NAT-T: charon.port_nat_t (4500)");
	check(skt->supported_families(skt) & SOCKET_FAMILY_IPV4,
		  "supported_families has IPv4");
	check(relay_accept(1000), "connected to the relay at once");
	receiver = thread_create(receiver_main, NULL);

	/* 5: relay -> charon, IPv4 */
	len = frame(buf, 1, 4, 0, 4500, 4500, 2, "192.0.2.1", "192.0.2.2",
				ike, sizeof(ike));
	relay_send(buf, len);
	pkt = next_packet(2000);
	check(packet_is(pkt, "192.0.2.1[4500]", "192.0.2.2[4500]", ike,
					sizeof(ike)),
		  "IPv4 frame: addresses, ports, payload with the marker");
	DESTROY_IF(pkt);

	/* 6: malformed frames are skipped, the next good one passes */
	relay_send(buf, 0);                                     /* empty message */
	relay_send(buf, 10);                                    /* short */
	relay_send(buf, frame(buf, 2, 4, 0, 4500, 4500, 0, "192.0.2.1",
						  "192.0.2.2", ike, sizeof(ike)));  /* version */
	relay_send(buf, frame(buf, 1, 5, 0, 4500, 4500, 0, NULL, NULL,
						  ike, sizeof(ike)));               /* family */
	relay_send(buf, frame(buf, 1, 4, 1, 4500, 4500, 0, "192.0.2.1",
						  "192.0.2.2", ike, sizeof(ike)));  /* flags */
	relay_send(buf, frame(buf, 1, 4, 0, 4500, 4500, 0, "192.0.2.1",
						  "192.0.2.2", ike, 0));            /* no payload */
	relay_send(buf, frame(buf, 1, 4, 0, 0, 4500, 0, "192.0.2.1",
						  "192.0.2.2", ike, sizeof(ike)));  /* sport 0 */
	relay_send(buf, frame(buf, 1, 4, 0, 4500, 0, 0, "192.0.2.1",
						  "192.0.2.2", ike, sizeof(ike)));  /* dport 0 */
	memset(big, 0, sizeof(big));
	relay_send(buf, frame(buf, 1, 4, 0, 4500, 4500, 0, "192.0.2.1",
						  "192.0.2.2", big, sizeof(big)));  /* > max_packet */
	relay_send(buf, frame(buf, 1, 6, 0, 4501, 4500, 0, "2001:db8::1",
						  "2001:db8::2", ike, sizeof(ike)));
	pkt = next_packet(2000);
	check(packet_is(pkt, "2001:db8::1[4501]", "2001:db8::2[4500]", ike,
					sizeof(ike)),
		  "9 malformed frames skipped, the IPv6 frame after them passes");
	DESTROY_IF(pkt);
	pkt = next_packet(200);
	check(pkt == NULL, "nothing else came out of them");
	DESTROY_IF(pkt);

	/* 9: NAT keepalive, link-local address scoped by the ifindex */
	relay_send(buf, frame(buf, 1, 6, 0, 4500, 4500, 1, "fe80::1", "fe80::2",
						  "\xff", 1));
	pkt = next_packet(2000);
	check(packet_is(pkt, "fe80::1[4500]", "fe80::2[4500]", "\xff", 1) &&
		  ((struct sockaddr_in6*)pkt->get_source(pkt)->get_sockaddr(
				pkt->get_source(pkt)))->sin6_scope_id == 1,
		  "keepalive 0xff passes; link-local source scoped to ifindex 1");
	DESTROY_IF(pkt);

	/* 10-11: charon -> relay */
	check(send_packet("192.0.2.2", 4500, "192.0.2.1", 4501, ike,
					  sizeof(ike)) == SUCCESS, "send from port 4500: SUCCESS");
	n = relay_recv(buf, sizeof(buf), 1000);
	len = frame(exp, 1, 4, 0, 4500, 4501, 0, "192.0.2.2", "192.0.2.1", ike,
				sizeof(ike));
	check(n == (ssize_t)len && memcmp(buf, exp, len) == 0,
		  "the relay gets the frame byte for byte (IPv4, source set)");
	send_packet("::", 4500, "2001:db8::1", 4500, "\xff", 1);
	n = relay_recv(buf, sizeof(buf), 1000);
	len = frame(exp, 1, 6, 0, 4500, 4500, 0, NULL, "2001:db8::1", "\xff", 1);
	check(n == (ssize_t)len && memcmp(buf, exp, len) == 0,
		  "IPv6 keepalive from the any address: source all zero");

	/* 12-13: the own UDP socket, with PKTINFO */
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(udp, (struct sockaddr*)&sin, sizeof(sin)) ||
		getsockname(udp, (struct sockaddr*)&sin, &sl))
	{
		printf("Bail out! udp socket: %s\n", strerror(errno));
		return 1;
	}
	check(send_packet("127.0.0.1", port, "127.0.0.1", ntohs(sin.sin_port),
					  "hello", 5) == SUCCESS &&
		  recv(udp, buf, sizeof(buf), MSG_DONTWAIT) == 5 &&
		  memcmp(buf, "hello", 5) == 0, "send from charon.port: UDP");
	sin.sin_port = htons(port);
	{
		char src[64], dst[64];

		getsockname(udp, (struct sockaddr*)&sin, &sl);
		snprintf(src, sizeof(src), "127.0.0.1[%u]", ntohs(sin.sin_port));
		snprintf(dst, sizeof(dst), "127.0.0.1[%u]", port);
		sin.sin_port = htons(port);
		sendto(udp, "world", 5, 0, (struct sockaddr*)&sin, sizeof(sin));
		pkt = next_packet(2000);
		check(packet_is(pkt, src, dst, "world", 5),
			  "receive on charon.port: source, PKTINFO destination, data");
		DESTROY_IF(pkt);
	}

	/* 14-15: the relay closes (uipsecd restarts or replaces us) */
	close(client_fd);
	client_fd = -1;
	check(relay_accept(3000), "reconnected after the relay closed");
	relay_send(buf, frame(buf, 1, 4, 0, 4500, 4500, 0, "192.0.2.1",
						  "192.0.2.2", ike, sizeof(ike)));
	pkt = next_packet(2000);
	check(packet_is(pkt, "192.0.2.1[4500]", "192.0.2.2[4500]", ike,
					sizeof(ike)), "frames flow on the new connection");
	DESTROY_IF(pkt);

	/* 16-18: uipsecd gone: send() fails, then reconnects by itself */
	close(client_fd);
	client_fd = -1;
	relay_unlisten();
	usleep(100 * 1000);
	check(send_packet("192.0.2.2", 4500, "192.0.2.1", 4500, ike,
					  sizeof(ike)) == FAILED,
		  "send through the relay fails while uipsecd is gone");
	relay_listen();
	for (i = 0; i < 50; i++)
	{
		/* IKE retransmits: the first send() after uipsecd is back (or the
		 * receiver's own reconnection, whichever comes first) connects */
		if (send_packet("192.0.2.2", 4500, "192.0.2.1", 4500, ike,
						sizeof(ike)) == SUCCESS)
		{
			break;
		}
		usleep(100 * 1000);
	}
	check(i < 50, "send succeeds once uipsecd is back");
	check(relay_accept(1000) && relay_recv(buf, sizeof(buf), 1000) ==
		  (ssize_t)(HDR + sizeof(ike)), "and the relay gets the frame");

	/* 19: the receiving thread is cancellable in poll() */
	receiver->cancel(receiver);
	receiver->join(receiver);
	check(TRUE, "receiver thread cancelled and joined");
	skt->destroy(skt);

	close(udp);
	if (client_fd >= 0)
	{
		close(client_fd);
	}
	relay_unlisten();
	unlink(conf);
	rmdir(dir);
	charon->bus->remove_logger(charon->bus, &logger);
	libcharon_deinit();
	library_deinit();
	printf("1..%d\n", t_num);
	return t_failed ? 1 : 0;
}
