/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The batched datagram I/O seam (core/os/dgram.h), whichever implementation
 * configure picked, on loopback UDP sockets: several datagrams out and in
 * with their lengths and addresses, an empty queue, and the offloads
 * (UDP_SEGMENT) where the build has them, refused where it has not. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <glib.h>

#include "os/dgram.h"

static int udp_bound(struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	g_assert_cmpint(fd, >=, 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), ==, 0);
	socklen_t sl = sizeof(*sin);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)sin, &sl), ==, 0);
	return fd;
}

#define N 8

/* Polls until n datagrams came in (the loopback delivers at once; the
 * deadline is for a loaded machine). */
static int recv_all(int fd, os_dgram_t *m, unsigned n)
{
	int got = 0;
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while ((unsigned)got < n && g_get_monotonic_time() < end) {
		int r = os_dgram_recv(fd, m + got, n - (unsigned)got);
		g_assert_cmpint(r, >=, 0);
		got += r;
		if ((unsigned)got < n)
			g_usleep(1000);
	}
	return got;
}

static void test_batch(void)
{
	struct sockaddr_in a, b;
	int fa = udp_bound(&a), fb = udp_bound(&b);
	g_assert_true(os_dgram_enable_drop_count(fb));
	char out[N][64];
	struct iovec iov[N];
	os_dgram_t m[N];
	for (unsigned i = 0; i < N; i++) {
		memset(out[i], 'a' + (int)i, sizeof(out[i]));
		os_dgram_prepare(&m[i], &iov[i], out[i], 10 + i * 5, &b, sizeof(b), NULL, 0);
	}
	g_assert_cmpint(os_dgram_send(fa, m, N), ==, N);
	for (unsigned i = 0; i < N; i++)
		g_assert_cmpuint(m[i].len, ==, 10 + i * 5);

	char in[N][128];
	struct sockaddr_in from[N];
	union { char buf[64]; struct cmsghdr align; } ctl[N];
	for (unsigned i = 0; i < N; i++) {
		os_dgram_prepare(&m[i], &iov[i], in[i], sizeof(in[i]), &from[i], sizeof(from[i]), ctl[i].buf,
		                 sizeof(ctl[i].buf));
	}
	g_assert_cmpint(recv_all(fb, m, N), ==, N);
	for (unsigned i = 0; i < N; i++) {
		g_assert_cmpuint(m[i].len, ==, 10 + i * 5);
		g_assert_cmpint(memcmp(in[i], out[i], m[i].len), ==, 0);
		g_assert_cmpuint(m[i].hdr.msg_namelen, ==, sizeof(struct sockaddr_in));
		g_assert_cmpint(from[i].sin_port, ==, a.sin_port);
		g_assert_cmpuint(from[i].sin_addr.s_addr, ==, htonl(INADDR_LOOPBACK));
		/* the drop counter, when the build has one, says 0 */
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m[i].hdr); c; c = CMSG_NXTHDR(&m[i].hdr, c)) {
			uint32_t drops = 1;
			if (os_dgram_drop_count(c, &drops))
				g_assert_cmpuint(drops, ==, 0);
		}
	}
	/* nothing waiting: 0, not an error */
	m[0].hdr.msg_namelen = sizeof(from[0]);
	m[0].hdr.msg_controllen = sizeof(ctl[0].buf);
	g_assert_cmpint(os_dgram_recv(fb, m, 1), ==, 0);
	close(fa);
	close(fb);
}

/* A batch bigger than the receiver asks for: the rest stays queued. */
static void test_partial(void)
{
	struct sockaddr_in a, b;
	int fa = udp_bound(&a), fb = udp_bound(&b);
	for (int i = 0; i < 5; i++)
		g_assert_cmpint(sendto(fa, "xyz", 3, 0, (struct sockaddr *)&b, sizeof(b)), ==, 3);
	char buf[5][16];
	struct iovec iov[5];
	os_dgram_t m[5];
	for (unsigned i = 0; i < 5; i++) {
		os_dgram_prepare(&m[i], &iov[i], buf[i], sizeof(buf[i]), NULL, 0, NULL, 0);
	}
	g_assert_cmpint(recv_all(fb, m, 2), ==, 2);
	g_assert_cmpint(recv_all(fb, m, 5), ==, 3);
	g_assert_cmpuint(m[2].len, ==, 3);
	close(fa);
	close(fb);
}

/* With the offloads, one send with UDP_SEGMENT leaves as several
 * datagrams; without, the seam refuses to write the control message. */
static void test_segment(void)
{
	union { char buf[OS_DGRAM_SEGMENT_SPACE]; struct cmsghdr align; } ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct sockaddr_in a, b;
	int fa = udp_bound(&a), fb = udp_bound(&b);
	if (!os_dgram_offloads()) {
		g_assert_false(os_dgram_put_segment(&ctl.align, 100));
		g_assert_false(os_dgram_enable_gro(fb));
		g_assert_cmpint(errno, ==, ENOPROTOOPT);
		g_test_message("no UDP offloads in this build (%s)", os_dgram_kind());
		close(fa);
		close(fb);
		return;
	}
	char data[250];
	memset(data, 'q', sizeof(data));
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	os_dgram_t m;
	memset(&m, 0, sizeof(m));
	m.hdr.msg_iov = &iov;
	m.hdr.msg_iovlen = 1;
	m.hdr.msg_name = &b;
	m.hdr.msg_namelen = sizeof(b);
	m.hdr.msg_control = ctl.buf;
	m.hdr.msg_controllen = sizeof(ctl.buf);
	g_assert_true(os_dgram_put_segment(CMSG_FIRSTHDR(&m.hdr), 100));
	g_assert_cmpint(os_dgram_send(fa, &m, 1), ==, 1);
	char in[3][300];
	struct iovec iv[3];
	os_dgram_t r[3];
	for (unsigned i = 0; i < 3; i++) {
		os_dgram_prepare(&r[i], &iv[i], in[i], sizeof(in[i]), NULL, 0, NULL, 0);
	}
	g_assert_cmpint(recv_all(fb, r, 3), ==, 3);
	g_assert_cmpuint(r[0].len, ==, 100);
	g_assert_cmpuint(r[1].len, ==, 100);
	g_assert_cmpuint(r[2].len, ==, 50);
	close(fa);
	close(fb);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/os/dgram/batch", test_batch);
	g_test_add_func("/os/dgram/partial", test_partial);
	g_test_add_func("/os/dgram/segment", test_segment);
	return g_test_run();
}
