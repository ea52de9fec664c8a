/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Seam: who is on the other end of a connected UNIX socket (internal API).
 *
 * Linux (peercred_linux.c): SO_PEERCRED gives uid, primary gid and pid; the
 * supplementary groups come from the process info seam (/proc/PID/status).
 * FreeBSD, macOS (peercred_bsd.c): getpeereid() gives uid and gid,
 * LOCAL_PEERCRED's struct xucred the groups (the first XU_NGROUPS = 16
 * only: a group past them is not seen, access by it is refused); the pid from
 * xucred.cr_pid (FreeBSD 13) or LOCAL_PEERPID (macOS). The credentials are
 * those of the peer when it called connect() or socketpair() on every
 * system. */
#ifndef UIPSEC_CORE_OS_PEERCRED_H
#define UIPSEC_CORE_OS_PEERCRED_H

#include <stdbool.h>
#include <sys/types.h>

/* more than a process usually has; a longer list is cut (in_group may then
 * miss one of the groups past the cut: access is refused, never granted) */
#define OS_PEERCRED_MAX_GROUPS 64

typedef struct os_peercred {
	uid_t uid;
	gid_t gid;                  /* the primary (effective) group */
	pid_t pid;                  /* 0 when the system does not tell */
	unsigned ngroups;           /* supplementary groups known */
	gid_t groups[OS_PEERCRED_MAX_GROUPS];
} os_peercred_t;

/* The credentials of fd's peer. false with errno set when the system
 * cannot tell (not a UNIX socket, not connected); cr then holds uid and
 * gid (gid_t)-1, pid 0 and no groups. */
bool os_peercred_get(int fd, os_peercred_t *cr);

/* Is gid the peer's primary group or one of its supplementary groups? */
bool os_peercred_in_group(const os_peercred_t *cr, gid_t gid);

#endif
