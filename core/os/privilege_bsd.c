/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Giving up root on FreeBSD and macOS: plain set*id, no capabilities (see
 * os/privilege.h). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include "os/privilege.h"

bool os_priv_available(char *why, size_t len)
{
	(void)why;
	(void)len;
	return true;
}

/* Nothing to cut in advance: without capabilities, the switch itself
 * takes everything. */
bool os_priv_prepare(char *why, size_t len)
{
	(void)why;
	(void)len;
	return true;
}

bool os_priv_switch(uid_t uid, gid_t gid, char *why, size_t len)
{
	/* setgid/setuid as root set the real, effective and saved ids (both
	 * systems; macOS has no setresuid) */
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		snprintf(why, len, "setgroups/setgid/setuid: %s", strerror(errno));
		return false;
	}
	return true;
}

bool os_priv_verify(uid_t uid, gid_t gid, char *why, size_t len)
{
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid) {
		snprintf(why, len, "the switch of user did not take");
		return false;
	}
	/* the saved ids: an effective id that can go back to 0 would show here */
	if (seteuid(0) == 0) {
		snprintf(why, len, "the switch of user can be undone (saved uid 0)");
		return false;
	}
	return true;
}

const char *os_priv_kept(void) { return "no privileges"; }

/* Creating a tun (FreeBSD: cloning /dev/tun, destroying it) or a utun
 * (macOS: the PF_SYSTEM control socket) needs root on both systems. */
bool os_priv_tun_later(uid_t uid, gid_t gid, char *why, size_t len)
{
	(void)uid;
	(void)gid;
	snprintf(why, len, "creating TUN devices needs root on this system: devices (and routes) for virtual IPs "
	         "added after start-up will fail (uipsecd.user = root for per-VIP devices that come and go)");
	return false;
}
