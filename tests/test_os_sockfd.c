/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The socket and wipe seams (core/os/sockfd.h, core/os/wipe.h): sockets
 * and accepted connections are close-on-exec, non-blocking as asked, and
 * an empty accept says EAGAIN; a wipe leaves zeros. Built twice: with this
 * system's implementation (test_os_sockfd) and with the fcntl one macOS
 * uses (test_os_sockfd_fcntl), both on real UNIX sockets. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "os/sockfd.h"
#include "os/wipe.h"

static void assert_flags(int fd, bool nonblock)
{
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	g_assert_cmpint(!!(fcntl(fd, F_GETFL) & O_NONBLOCK), ==, nonblock);
}

static void test_socket_accept(void)
{
	int b = os_socket(AF_UNIX, SOCK_STREAM, 0, false);
	assert_flags(b, false);
	close(b);

	char *d = g_dir_make_tmp("uipsec-sfd-XXXXXX", NULL);
	char *path = g_build_filename(d, "s.sock", NULL);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	int l = os_socket(AF_UNIX, SOCK_SEQPACKET, 0, true);
	assert_flags(l, true);
	g_assert_cmpint(bind(l, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	g_assert_cmpint(listen(l, 4), ==, 0);
	errno = 0;
	g_assert_cmpint(os_accept(l), ==, -1);   /* nobody waits */
	g_assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	int c = os_socket(AF_UNIX, SOCK_SEQPACKET, 0, false);
	g_assert_cmpint(connect(c, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	int a = os_accept(l);
	assert_flags(a, true);
	g_assert_cmpint(send(c, "x", 1, 0), ==, 1);
	char buf[4];
	g_assert_cmpint(recv(a, buf, sizeof(buf), 0), ==, 1);
	close(a);
	close(c);
	close(l);
	g_unlink(path);
	g_rmdir(d);
	g_free(path);
	g_free(d);
	/* a type the system refuses: -1 with errno, nothing left open */
	errno = 0;
	g_assert_cmpint(os_socket(AF_UNIX, 12345, 0, true), ==, -1);
	g_assert_cmpint(errno, !=, 0);
}

static void test_wipe(void)
{
	unsigned char key[37];
	memset(key, 0xa5, sizeof(key));
	os_wipe(key, sizeof(key));
	for (size_t i = 0; i < sizeof(key); i++)
		g_assert_cmpuint(key[i], ==, 0);
	os_wipe(key, 0);   /* nothing to do, no fault */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/os/sockfd/socket-accept", test_socket_accept);
	g_test_add_func("/os/wipe/zeros", test_wipe);
	return g_test_run();
}
