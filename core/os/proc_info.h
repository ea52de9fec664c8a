/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Seam: facts about another process of this machine (internal API).
 *
 * Linux (proc_info_linux.c): /proc/PID/status. FreeBSD, macOS
 * (proc_info_bsd.c): sysctl kern.proc.pid.PID (struct kinfo_proc: ki_groups
 * on FreeBSD, kp_eproc.e_ucred.cr_groups on macOS; both hold at most 16
 * groups). */
#ifndef UIPSEC_CORE_OS_PROC_INFO_H
#define UIPSEC_CORE_OS_PROC_INFO_H

#include <stddef.h>
#include <sys/types.h>

/* The supplementary groups of process pid, at most max of them into
 * groups: how many the process has (may be more than max: the rest is
 * cut), or -1 with errno set (ESRCH: no such process). */
int os_proc_groups(pid_t pid, gid_t *groups, size_t max);

#endif
