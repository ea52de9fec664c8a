/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The process seams of core/os on real sockets and processes: peer
 * credentials over socketpair() and a listening UNIX socket (uid, gid, pid
 * and the supplementary groups match getuid/getgid/getgroups), a peer
 * that switched to other ids and groups (root only: a forked child), the
 * group check, and the process info of this and of a dead process. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "os/peercred.h"
#include "os/proc_info.h"

/* every group of getgroups() is in the peer's list (the primary one may
 * appear as cr.gid only) */
static void assert_groups_are_mine(const os_peercred_t *cr)
{
	gid_t mine[OS_PEERCRED_MAX_GROUPS];
	int n = getgroups(OS_PEERCRED_MAX_GROUPS, mine);
	g_assert_cmpint(n, >=, 0);
	for (int i = 0; i < n; i++)
		g_assert_true(os_peercred_in_group(cr, mine[i]));
	for (unsigned i = 0; i < cr->ngroups; i++) {
		bool found = cr->groups[i] == getegid();
		for (int j = 0; j < n && !found; j++)
			found = mine[j] == cr->groups[i];
		g_assert_true(found);
	}
}

static void assert_is_me(const os_peercred_t *cr)
{
	g_assert_cmpuint(cr->uid, ==, geteuid());
	g_assert_cmpuint(cr->gid, ==, getegid());
	g_assert_cmpint(cr->pid, ==, getpid());
	g_assert_true(os_peercred_in_group(cr, getegid()));
	assert_groups_are_mine(cr);
}

static void test_socketpair(void)
{
	int sv[2];
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	os_peercred_t cr;
	for (int i = 0; i < 2; i++) {
		g_assert_true(os_peercred_get(sv[i], &cr));
		assert_is_me(&cr);
	}
	close(sv[0]);
	close(sv[1]);
}

static void test_listen_socket(void)
{
	char *d = g_dir_make_tmp("uipsec-pc-XXXXXX", NULL);
	char *path = g_build_filename(d, "s.sock", NULL);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	g_assert_cmpint(bind(l, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	g_assert_cmpint(listen(l, 4), ==, 0);
	int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	g_assert_cmpint(connect(c, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	int a = accept(l, NULL, NULL);
	g_assert_cmpint(a, >=, 0);
	os_peercred_t cr;
	g_assert_true(os_peercred_get(a, &cr));   /* the server's view of the client */
	assert_is_me(&cr);
	g_assert_true(os_peercred_get(c, &cr));   /* the client's view of the listener */
	assert_is_me(&cr);
	/* the listening socket itself has no peer */
	errno = 0;
	bool got = os_peercred_get(l, &cr);
	if (!got) {
		g_assert_cmpuint(cr.uid, ==, (uid_t)-1);
		g_assert_cmpint(cr.pid, ==, 0);
		g_assert_cmpuint(cr.ngroups, ==, 0);
	}
	/* not a socket at all: refused */
	int fds[2];
	g_assert_cmpint(pipe(fds), ==, 0);
	g_assert_false(os_peercred_get(fds[0], &cr));
	g_assert_cmpuint(cr.uid, ==, (uid_t)-1);
	g_assert_cmpuint(cr.gid, ==, (gid_t)-1);
	close(fds[0]);
	close(fds[1]);
	close(a);
	close(c);
	close(l);
	g_unlink(path);
	g_rmdir(d);
	g_free(path);
	g_free(d);
}

/* A child that became uid 4242 / gid 4243 with groups 4244, 4245 connects
 * over a socketpair it inherited: the parent sees exactly that. */
#define C_UID 4242
#define C_GID 4243
static void test_other_user(void)
{
	if (geteuid() != 0) {
		g_test_skip("needs root to switch the peer's ids");
		return;
	}
	int sv[2];
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	pid_t pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		gid_t groups[] = { 4244, 4245 };
		close(sv[0]);
		if (setgroups(2, groups) < 0 || setgid(C_GID) < 0 || setuid(C_UID) < 0)
			_exit(1);
		/* the credentials count from connect/socketpair: a fresh pair made
		 * now, its end passed over the inherited one */
		int p[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
			_exit(2);
		char byte = 'x';
		struct iovec iov = { &byte, 1 };
		union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
		memset(&u, 0, sizeof(u));
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
		                    .msg_controllen = sizeof(u.b) };
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &p[0], sizeof(int));
		if (sendmsg(sv[1], &m, 0) != 1)
			_exit(3);
		/* stay alive until the parent has looked (its /proc must exist) */
		(void)!read(sv[1], &byte, 1);
		_exit(0);
	}
	close(sv[1]);
	char byte;
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	g_assert_cmpint(recvmsg(sv[0], &m, 0), ==, 1);
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	g_assert_nonnull(h);
	int fd;
	memcpy(&fd, CMSG_DATA(h), sizeof(int));
	/* fd is the child's p[0]; its peer p[1] was made by the child */
	os_peercred_t cr;
	g_assert_true(os_peercred_get(fd, &cr));
	g_assert_cmpuint(cr.uid, ==, C_UID);
	g_assert_cmpuint(cr.gid, ==, C_GID);
	g_assert_cmpint(cr.pid, ==, pid);
	g_assert_true(os_peercred_in_group(&cr, C_GID));
	g_assert_true(os_peercred_in_group(&cr, 4244));
	g_assert_true(os_peercred_in_group(&cr, 4245));
	g_assert_false(os_peercred_in_group(&cr, 0));
	g_assert_false(os_peercred_in_group(&cr, 4246));
	/* the same through the process info seam */
	gid_t g[8];
	int n = os_proc_groups(pid, g, G_N_ELEMENTS(g));
	g_assert_cmpint(n, >=, 2);
	bool has44 = false, has45 = false;
	for (int i = 0; i < n && i < (int)G_N_ELEMENTS(g); i++) {
		has44 |= g[i] == 4244;
		has45 |= g[i] == 4245;
		g_assert_true(g[i] == 4244 || g[i] == 4245 || g[i] == C_GID);
	}
	g_assert_true(has44 && has45);
	close(fd);
	close(sv[0]);   /* the child's read returns: it exits */
	int status;
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	/* a process that is gone */
	errno = 0;
	g_assert_cmpint(os_proc_groups(pid, g, G_N_ELEMENTS(g)), ==, -1);
	g_assert_cmpint(errno, ==, ESRCH);
}

static void test_in_group(void)
{
	os_peercred_t cr = { .uid = 1000, .gid = 100, .pid = 1, .ngroups = 2, .groups = { 20, 30 } };
	g_assert_true(os_peercred_in_group(&cr, 100));
	g_assert_true(os_peercred_in_group(&cr, 20));
	g_assert_true(os_peercred_in_group(&cr, 30));
	g_assert_false(os_peercred_in_group(&cr, 0));
	g_assert_false(os_peercred_in_group(&cr, 40));
	cr.ngroups = 0;
	g_assert_false(os_peercred_in_group(&cr, 20));
}

static void test_proc_groups_self(void)
{
	gid_t mine[OS_PEERCRED_MAX_GROUPS], got[OS_PEERCRED_MAX_GROUPS];
	int n = getgroups(OS_PEERCRED_MAX_GROUPS, mine);
	int m = os_proc_groups(getpid(), got, OS_PEERCRED_MAX_GROUPS);
	g_assert_cmpint(n, >=, 0);
	g_assert_cmpint(m, ==, n);
	for (int i = 0; i < n; i++)
		g_assert_cmpuint(got[i], ==, mine[i]);
	/* a short buffer: the count is still the whole one */
	if (n > 0)
		g_assert_cmpint(os_proc_groups(getpid(), got, 0), ==, n);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/os/peercred/socketpair", test_socketpair);
	g_test_add_func("/os/peercred/listen-socket", test_listen_socket);
	g_test_add_func("/os/peercred/other-user", test_other_user);
	g_test_add_func("/os/peercred/in-group", test_in_group);
	g_test_add_func("/os/proc-info/groups-self", test_proc_groups_self);
	return g_test_run();
}
