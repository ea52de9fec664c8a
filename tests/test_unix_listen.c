/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The listening UNIX sockets shared by the control socket and the IKE
 * relay (core/util/unix_listen.c): mode, a stale file taken over, a live
 * socket of either type left alone, a symlinked, foreign or world-writable
 * directory refused, the file removed at close only while it is ours, and
 * the peer check. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "util/unix_listen.h"

static char *tmpdir(void)
{
	char *d = g_dir_make_tmp("uipsec-ul-XXXXXX", NULL);
	g_assert_nonnull(d);
	g_assert_cmpint(chmod(d, 0755), ==, 0);
	return d;
}

static void rm_rf(const char *d)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", d);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(cmd);
}

static int connect_to(const char *path, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_mode_parse(void)
{
	unsigned m = 0;
	g_assert_true(unix_mode_parse("0660", &m));
	g_assert_cmpuint(m, ==, 0660);
	g_assert_true(unix_mode_parse("600", &m));
	g_assert_cmpuint(m, ==, 0600);
	g_assert_false(unix_mode_parse("", &m));
	g_assert_false(unix_mode_parse(NULL, &m));
	g_assert_false(unix_mode_parse("0800", &m));
	g_assert_false(unix_mode_parse("1777", &m));
	g_assert_false(unix_mode_parse("rw", &m));
}

static void test_open_close(void)
{
	char *d = tmpdir();
	char *path = g_build_filename(d, "sub", "s.sock", NULL);
	unix_listen_t ul;
	GError *err = NULL;
	g_assert_true(unix_listen_open(&ul, path, SOCK_SEQPACKET, 0640, NULL, "test socket", &err));
	g_assert_no_error(err);
	struct stat st;
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpuint(st.st_mode & 0777, ==, 0640);

	/* a peer connects; root (these tests) passes the check */
	int c = connect_to(path, SOCK_SEQPACKET);
	g_assert_cmpint(c, >=, 0);
	int e = -1, a = -1;
	for (int i = 0; i < 100 && a < 0; i++) {
		a = unix_listen_accept(&ul, &e);
		if (a < 0)
			g_usleep(10000);
	}
	g_assert_cmpint(a, >=, 0);
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool allowed = unix_listen_peer_allowed(&ul, a, &uid, &gid, &pid);
	g_assert_cmpint(pid, ==, getpid());
	g_assert_true(allowed == (getuid() == 0));
	close(a);
	close(c);
	g_assert_cmpint(unix_listen_accept(&ul, &e), <, 0);
	g_assert_cmpint(e, ==, 0);   /* none waits: not an error */

	/* a second one on the same path: the first still answers, of its own type */
	unix_listen_t ul2;
	g_assert_false(unix_listen_open(&ul2, path, SOCK_SEQPACKET, 0600, NULL, "test socket", &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
	g_clear_error(&err);

	unix_listen_close(&ul);
	g_assert_cmpint(access(path, F_OK), <, 0);   /* removed */
	g_free(path);
	rm_rf(d);
	g_free(d);
}

static void test_stale_and_replaced(void)
{
	char *d = tmpdir();
	char *path = g_build_filename(d, "s.sock", NULL);
	/* a socket file nobody listens on: taken over */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	close(fd);
	unix_listen_t ul;
	GError *err = NULL;
	g_assert_true(unix_listen_open(&ul, path, SOCK_STREAM, 0600, NULL, "test socket", &err));
	g_assert_no_error(err);
	/* replaced by someone else meanwhile: close leaves their file */
	g_assert_cmpint(unlink(path), ==, 0);
	g_assert_true(g_file_set_contents(path, "theirs", -1, NULL));
	unix_listen_close(&ul);
	g_assert_cmpint(access(path, F_OK), ==, 0);
	/* a plain file in the way is refused, not removed */
	g_assert_false(unix_listen_open(&ul, path, SOCK_STREAM, 0600, NULL, "test socket", &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS);
	g_clear_error(&err);
	g_free(path);
	rm_rf(d);
	g_free(d);
}

static void test_bad_directories(void)
{
	char *d = tmpdir();
	unix_listen_t ul;
	GError *err = NULL;

	/* a symlinked directory */
	char *real = g_build_filename(d, "real", NULL), *link = g_build_filename(d, "link", NULL);
	g_assert_cmpint(g_mkdir(real, 0755), ==, 0);
	g_assert_cmpint(symlink(real, link), ==, 0);
	char *p = g_build_filename(link, "s.sock", NULL);
	g_assert_false(unix_listen_open(&ul, p, SOCK_SEQPACKET, 0600, NULL, "test socket", &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
	g_assert_nonnull(strstr(err->message, "symbolic link"));
	g_clear_error(&err);
	g_free(p);

	/* writable by anybody, not sticky */
	char *open_dir = g_build_filename(d, "open", NULL);
	g_assert_cmpint(g_mkdir(open_dir, 0755), ==, 0);
	g_assert_cmpint(chmod(open_dir, 0777), ==, 0);
	p = g_build_filename(open_dir, "s.sock", NULL);
	g_assert_false(unix_listen_open(&ul, p, SOCK_SEQPACKET, 0600, NULL, "test socket", &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
	g_clear_error(&err);
	/* sticky, as /tmp: fine */
	g_assert_cmpint(chmod(open_dir, 01777), ==, 0);
	g_assert_true(unix_listen_open(&ul, p, SOCK_SEQPACKET, 0600, NULL, "test socket", &err));
	g_assert_no_error(err);
	unix_listen_close(&ul);
	g_free(p);

	/* owned by another user (needs root to arrange) */
	if (geteuid() == 0) {
		char *foreign = g_build_filename(d, "foreign", NULL);
		g_assert_cmpint(g_mkdir(foreign, 0755), ==, 0);
		g_assert_cmpint(chown(foreign, 65534, 65534), ==, 0);
		p = g_build_filename(foreign, "s.sock", NULL);
		g_assert_false(unix_listen_open(&ul, p, SOCK_SEQPACKET, 0600, NULL, "test socket", &err));
		g_assert_error(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
		g_clear_error(&err);
		g_free(p);
		g_free(foreign);
	}

	/* a group that does not exist; a path too long */
	p = g_build_filename(d, "s.sock", NULL);
	g_assert_false(unix_listen_open(&ul, p, SOCK_SEQPACKET, 0600, "no-such-group-uipsec", "test socket", &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
	g_clear_error(&err);
	g_free(p);
	char *longp = g_strnfill(200, 'x');
	p = g_build_filename(d, longp, NULL);
	g_assert_false(unix_listen_open(&ul, p, SOCK_SEQPACKET, 0600, NULL, "test socket", &err));
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error(&err);
	g_free(p);
	g_free(longp);

	g_free(real);
	g_free(link);
	g_free(open_dir);
	rm_rf(d);
	g_free(d);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/unix-listen/mode-parse", test_mode_parse);
	g_test_add_func("/unix-listen/open-close", test_open_close);
	g_test_add_func("/unix-listen/stale-and-replaced", test_stale_and_replaced);
	g_test_add_func("/unix-listen/bad-directories", test_bad_directories);
	return g_test_run();
}
