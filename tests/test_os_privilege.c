/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The privilege seam (core/os/privilege.h) for real, in a forked child
 * (root only): prepare, switch to uid/gid 4242/4243, verify; afterwards
 * root cannot be regained, the ids and groups are the new ones, and the
 * verification refuses a process that did not switch. */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/wait.h>
#include <glib.h>

#include "os/privilege.h"

#define D_UID 4242
#define D_GID 4243

/* the child's checks, as an exit code naming the first that failed */
static int child(void)
{
	char why[256] = "";
	if (os_priv_verify(D_UID, D_GID, why, sizeof(why)))
		return 10;   /* still root: must not pass as dropped */
	if (!os_priv_prepare(why, sizeof(why)))
		return 11;
	if (!os_priv_switch(D_UID, D_GID, why, sizeof(why)))
		return 12;
	if (!os_priv_verify(D_UID, D_GID, why, sizeof(why)))
		return 13;
	if (getuid() != D_UID || geteuid() != D_UID || getgid() != D_GID || getegid() != D_GID)
		return 14;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return 15;
	gid_t g[4];
	int n = getgroups(4, g);
	for (int i = 0; i < n; i++)
		if (g[i] != D_GID)
			return 16;   /* root's groups are gone */
	if (os_priv_verify(D_UID + 1, D_GID, why, sizeof(why)))
		return 17;
	return 0;
}

static void test_switch(void)
{
	char why[256];
	if (!os_priv_available(why, sizeof(why))) {
		g_test_skip(why);
		return;
	}
	if (geteuid() != 0) {
		g_test_skip("needs root");
		return;
	}
	pid_t pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0)
		_exit(child());
	int status;
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void test_kept_and_tun(void)
{
	const char *kept = os_priv_kept();
	g_assert_nonnull(kept);
	g_assert_true(strcmp(kept, "CAP_NET_ADMIN only") == 0 || strcmp(kept, "no privileges") == 0);
	/* whatever the answer, a refusal says why */
	char why[512] = "";
	if (!os_priv_tun_later(D_UID, D_GID, why, sizeof(why)))
		g_assert_cmpuint(strlen(why), >, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/os/privilege/switch", test_switch);
	g_test_add_func("/os/privilege/kept-and-tun", test_kept_and_tun);
	return g_test_run();
}
