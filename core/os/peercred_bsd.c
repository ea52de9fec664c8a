/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Peer credentials on FreeBSD and macOS: getpeereid + LOCAL_PEERCRED. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <sys/ucred.h>
#include <sys/un.h>
#include "os/peercred.h"

/* the pid: FreeBSD 13 puts it into xucred, macOS has its own option */
static pid_t peer_pid(int fd, const struct xucred *xc)
{
#if defined(LOCAL_PEERPID)
	pid_t pid = 0;
	socklen_t len = sizeof(pid);
	(void)xc;
	return getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &pid, &len) == 0 ? pid : 0;
#else
	(void)fd;
	return xc->cr_pid;
#endif
}

bool os_peercred_get(int fd, os_peercred_t *cr)
{
	*cr = (os_peercred_t){ .uid = (uid_t)-1, .gid = (gid_t)-1 };
	uid_t uid;
	gid_t gid;
	if (getpeereid(fd, &uid, &gid) < 0)
		return false;
	cr->uid = uid;
	cr->gid = gid;
	struct xucred xc;
	socklen_t len = sizeof(xc);
	memset(&xc, 0, sizeof(xc));
	if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERCRED, &xc, &len) < 0 || xc.cr_version != XUCRED_VERSION)
		return true;   /* uid and gid are known; no groups: access by group is refused */
	cr->pid = peer_pid(fd, &xc);
	/* cr_groups[0] is the effective gid, the rest the supplementary groups */
	for (int i = 1; i < xc.cr_ngroups && cr->ngroups < OS_PEERCRED_MAX_GROUPS; i++)
		cr->groups[cr->ngroups++] = xc.cr_groups[i];
	return true;
}
