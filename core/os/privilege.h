/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Seam: giving up root (internal API; the start-up order is in
 * core/daemon/privdrop.c, the policy in docs/security.md).
 *
 * Linux (privilege_linux.c, libcap-ng + prctl): PR_SET_NO_NEW_PRIVS and the
 * capability bounding set cut to CAP_NET_ADMIN at start-up; at the switch
 * the main thread keeps CAP_NET_ADMIN (PR_SET_KEEPCAPS), so routes and TUN
 * devices of virtual IPs added later still work. Built without libcap-ng
 * it cannot drop at all (uipsecd.user must be root).
 * FreeBSD, macOS (privilege_bsd.c): no capabilities to keep: the switch is
 * plain setgroups/setgid/setuid and the daemon keeps no privilege, so what
 * needs root after it (a TUN device or a route for a virtual IP added
 * later) fails and is logged; run as root for per-VIP devices that come
 * and go (docs/bsd.md).
 *
 * Every function returns false with a message in why[0..len) on failure. */
#ifndef UIPSEC_CORE_OS_PRIVILEGE_H
#define UIPSEC_CORE_OS_PRIVILEGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Can this build switch to another user at all? */
bool os_priv_available(char *why, size_t len);

/* At start-up, while the process has one thread (what it sets is
 * inherited by the threads started later). */
bool os_priv_prepare(char *why, size_t len);

/* Switch uid, gid and groups (to gid alone) of the whole process, keeping
 * what os_priv_kept() names. */
bool os_priv_switch(uid_t uid, gid_t gid, char *why, size_t len);

/* After the switch: real, effective and saved ids are uid/gid, root cannot
 * be regained, and nothing is held beyond os_priv_kept(). */
bool os_priv_verify(uid_t uid, gid_t gid, char *why, size_t len);

/* What the daemon holds after the switch, for the log line:
 * "CAP_NET_ADMIN only" or "no privileges". */
const char *os_priv_kept(void);

/* Can the daemon, switched to uid/gid, still create TUN devices (per-VIP
 * mode adds one for each new virtual IP)? false with the reason and the
 * remedy in why when it cannot. */
bool os_priv_tun_later(uid_t uid, gid_t gid, char *why, size_t len);

#endif
