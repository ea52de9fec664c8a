/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Giving up root on Linux: libcap-ng + prctl (see os/privilege.h). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#ifdef HAVE_LIBCAP_NG
#include <cap-ng.h>
#include <linux/capability.h>
#endif
#include "os/privilege.h"

#define TUN_DEV "/dev/net/tun"

static bool fail(char *why, size_t len, const char *what, int e)
{
	if (e)
		snprintf(why, len, "%s: %s", what, strerror(e));
	else
		snprintf(why, len, "%s", what);
	return false;
}

#ifndef HAVE_LIBCAP_NG
bool os_priv_available(char *why, size_t len)
{
	return fail(why, len, "this uipsecd was built without libcap-ng (no privilege drop)", 0);
}
bool os_priv_prepare(char *why, size_t len) { return os_priv_available(why, len); }
bool os_priv_switch(uid_t uid, gid_t gid, char *why, size_t len)
{
	(void)uid;
	(void)gid;
	return os_priv_available(why, len);
}
bool os_priv_verify(uid_t uid, gid_t gid, char *why, size_t len)
{
	(void)uid;
	(void)gid;
	return os_priv_available(why, len);
}
#else
bool os_priv_available(char *why, size_t len)
{
	(void)why;
	(void)len;
	return true;
}

bool os_priv_prepare(char *why, size_t len)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(why, len, "PR_SET_NO_NEW_PRIVS", errno);
	/* the bounding set only limits what an execve() could gain: cutting it
	 * now costs the start-up nothing and every later thread inherits it */
	if (capng_get_caps_process() < 0)
		return fail(why, len, "reading the capabilities", errno);
	capng_clear(CAPNG_SELECT_BOUNDS);
	if (capng_update(CAPNG_ADD, CAPNG_BOUNDING_SET, CAP_NET_ADMIN) < 0 || capng_apply(CAPNG_SELECT_BOUNDS) < 0)
		return fail(why, len, "reducing the capability bounding set to CAP_NET_ADMIN failed (CAP_SETPCAP is "
		            "needed at start-up)", 0);
	return true;
}

bool os_priv_switch(uid_t uid, gid_t gid, char *why, size_t len)
{
	/* this thread keeps its permitted set over the uid switch; the other
	 * threads (data-path workers) lose every capability with it */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return fail(why, len, "PR_SET_KEEPCAPS", errno);
	/* glibc's set*id apply to every thread of the process */
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return fail(why, len, "setgroups/setresgid/setresuid", errno);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	capng_get_caps_process();
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN) < 0 ||
	    capng_apply(CAPNG_SELECT_CAPS) < 0)
		return fail(why, len, "keeping CAP_NET_ADMIN after the switch failed", 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return true;
}

bool os_priv_verify(uid_t uid, gid_t gid, char *why, size_t len)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0 || r != uid || e != uid || s != uid ||
	    rg != gid || eg != gid || sg != gid)
		return fail(why, len, "the switch of user did not take", 0);
	capng_get_caps_process();
	for (unsigned c = 0; c <= CAP_LAST_CAP; c++)
		if (c != CAP_NET_ADMIN && (capng_have_capability(CAPNG_EFFECTIVE, c) ||
		                           capng_have_capability(CAPNG_PERMITTED, c) ||
		                           capng_have_capability(CAPNG_BOUNDING_SET, c))) {
			snprintf(why, len, "capability %s still held after the drop", capng_capability_to_name(c));
			return false;
		}
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN))
		return fail(why, len, "CAP_NET_ADMIN lost in the switch", 0);
	return true;
}
#endif

const char *os_priv_kept(void) { return "CAP_NET_ADMIN only"; }

/* CAP_NET_ADMIN covers creating a TUN device, the file permissions of
 * /dev/net/tun (0666 by Debian's udev rule) opening it. */
bool os_priv_tun_later(uid_t uid, gid_t gid, char *why, size_t len)
{
	struct stat st;
	if (stat(TUN_DEV, &st) < 0)
		return true;   /* no device node: opening fails as root too, and says so */
	mode_t rw = S_IROTH | S_IWOTH;
	if (st.st_uid == uid)
		rw = S_IRUSR | S_IWUSR;
	else if (st.st_gid == gid)
		rw = S_IRGRP | S_IWGRP;
	if ((st.st_mode & rw) == rw)
		return true;
	snprintf(why, len, TUN_DEV " (mode %04o) cannot be opened by the daemon user (chmod 666 " TUN_DEV
	         " as Debian's udev rule does, or uipsecd.user = root)", (unsigned)(st.st_mode & 07777));
	return false;
}
