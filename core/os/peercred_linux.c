/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Peer credentials on Linux: SO_PEERCRED + the groups from /proc. */
#include "config.h"
#include <errno.h>
#include <sys/socket.h>
#include "os/peercred.h"
#include "os/proc_info.h"

bool os_peercred_get(int fd, os_peercred_t *cr)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	*cr = (os_peercred_t){ .uid = (uid_t)-1, .gid = (gid_t)-1 };
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return false;
	cr->uid = uc.uid;
	cr->gid = uc.gid;
	cr->pid = uc.pid;
	/* SO_PEERCRED carries the primary group only; a peer gone meanwhile
	 * just has no supplementary groups (access by group is then refused) */
	int n = uc.pid > 0 ? os_proc_groups(uc.pid, cr->groups, OS_PEERCRED_MAX_GROUPS) : -1;
	cr->ngroups = n < 0 ? 0 : n > OS_PEERCRED_MAX_GROUPS ? OS_PEERCRED_MAX_GROUPS : (unsigned)n;
	return true;
}
