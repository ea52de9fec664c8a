/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Process info on FreeBSD and macOS: sysctl kern.proc.pid.PID. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <sys/param.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#if defined(__FreeBSD__)
#include <sys/user.h>   /* struct kinfo_proc (macOS: sys/sysctl.h) */
#endif
#include "os/proc_info.h"

int os_proc_groups(pid_t pid, gid_t *groups, size_t max)
{
	int mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)pid };
	struct kinfo_proc kp;
	size_t len = sizeof(kp);
	memset(&kp, 0, sizeof(kp));
	if (sysctl(mib, 4, &kp, &len, NULL, 0) < 0)
		return -1;
	if (len < sizeof(kp)) {
		errno = ESRCH;   /* an empty answer: no such process */
		return -1;
	}
#if defined(__APPLE__)
	const gid_t *g = kp.kp_eproc.e_ucred.cr_groups;
	int n = kp.kp_eproc.e_ucred.cr_ngroups;
#else
	const gid_t *g = kp.ki_groups;
	int n = kp.ki_ngroups;
#endif
	/* the list starts with the effective group, as getgroups() does */
	for (int i = 0; i < n && (size_t)i < max; i++)
		groups[i] = g[i];
	return n;
}
