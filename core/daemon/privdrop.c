/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecd's least privilege (uipsecd.user; docs/security.md).
 *
 * uipsecd starts as root and ends up as the daemon user, in three places of
 * the start-up; what the system can keep over the switch is the seam
 * core/os/privilege.h (Linux: CAP_NET_ADMIN in the main thread; FreeBSD,
 * macOS: nothing):
 *
 *  1. daemon_user_resolve() (before any step): the user must exist; from
 *     then on key files are checked for what that user can read at reload.
 *  2. step "privileges" (first step, while the process has one thread):
 *     os_priv_prepare() (Linux: PR_SET_NO_NEW_PRIVS and the capability
 *     bounding set cut to CAP_NET_ADMIN, inherited by every later thread);
 *     the state directory is created or handed to the daemon user.
 *  3. step "privilege drop" (last step: every socket, TUN device and file
 *     that needs more is open by then): os_priv_switch() changes uid and
 *     gids of every thread; the data-path workers keep nothing, which is
 *     all they need.
 *
 * uipsecd.user = root skips all of it (the behaviour before the option). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <uipsec/log.h>
#include "os/privilege.h"
#include "config/settings_parser.h"
#include "daemon/daemon.h"

#define LOG_SUBSYS "daemon"
#define USER_DEFAULT "root"
#define STATE_DIR_DEFAULT "/var/lib/uipsec"   /* as core/datapath/tunnel.c */

static void priv_error(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void priv_error(GError **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(err, G_FILE_ERROR, G_FILE_ERROR_PERM, msg);
	g_free(msg);
}

bool daemon_user_resolve(daemon_t *d, GError **err)
{
	daemon_user_t *u = &d->user;
	const char *name = uipsec_settings_get_str(d->settings, "uipsecd.user", USER_DEFAULT);
	const char *origin = uipsec_settings_origin(d->settings, "uipsecd.user");
	g_free(u->name);
	memset(u, 0, sizeof(*u));
	u->name = g_strdup(name && *name ? name : USER_DEFAULT);
	if (strcmp(u->name, "root") == 0)
		return true;
	struct passwd *pw = getpwnam(u->name);
	if (!pw) {
		priv_error(err, "%s%suipsecd.user: no user '%s' on this system; create it (adduser --system --group "
		           "--no-create-home %s) or set uipsecd.user = root to run as root (docs/security.md)",
		           origin ? origin : "", origin ? ": " : "", u->name, u->name);
		return false;
	}
	if (pw->pw_uid == 0) {
		/* another name of uid 0: nothing to drop */
		return true;
	}
	char why[256];
	if (!os_priv_available(why, sizeof(why))) {
		priv_error(err, "uipsecd.user = %s: %s; set uipsecd.user = root", u->name, why);
		return false;
	}
	u->drop = true;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	/* key files are checked for this user from now on, at start-up too:
	 * what cannot be read again at reload is refused at once */
	settings_set_key_reader(u->uid, u->gid, u->name);
	return true;
}

void daemon_user_clear(daemon_t *d)
{
	g_free(d->user.name);
	memset(&d->user, 0, sizeof(d->user));
}

/* ---------------------------------------------------------------- state directory */

static const char *state_dir(const daemon_t *d)
{
	const char *dir = uipsec_settings_get_str(d->settings, "uipsecd.state_dir", STATE_DIR_DEFAULT);
	return dir && *dir && strcmp(dir, "none") != 0 ? dir : NULL;
}

static bool hand_over(const char *dir, const daemon_user_t *u, const char *how, GError **err)
{
	if (lchown(dir, u->uid, u->gid) < 0) {
		priv_error(err, "uipsecd.state_dir: chown %s: %s", dir, g_strerror(errno));
		return false;
	}
	uinfo(LOG_SUBSYS, "state directory %s %s user %s", dir, how, u->name);
	return true;
}

/* The daemon user writes its sequence-number reservations there after the
 * drop: it must own the directory. Created when missing (0700, parents
 * 0755). An existing one of root with mode 0700 -- what uipsecd running as
 * root made, or systemd's StateDirectory= -- is handed over; anything else
 * (/var/lib, somebody else's) is refused rather than taken. */
static bool state_dir_prepare(daemon_t *d, GError **err)
{
	const char *dir = state_dir(d);
	const daemon_user_t *u = &d->user;
	if (!dir)
		return true;
	struct stat st;
	if (lstat(dir, &st) < 0 && errno == ENOENT) {
		char *parent = g_path_get_dirname(dir);
		int rc = g_mkdir_with_parents(parent, 0755);
		g_free(parent);
		if (rc < 0 || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
			priv_error(err, "uipsecd.state_dir: cannot create %s: %s", dir, g_strerror(errno));
			return false;
		}
		return hand_over(dir, u, "created for", err);
	}
	if (lstat(dir, &st) < 0) {
		priv_error(err, "uipsecd.state_dir: %s: %s", dir, g_strerror(errno));
		return false;
	}
	unsigned mode = (unsigned)(st.st_mode & 07777);
	if (!S_ISDIR(st.st_mode)) {
		priv_error(err, "uipsecd.state_dir: %s is not a directory", dir);
		return false;
	}
	if (st.st_uid == u->uid)
		return true;
	if (st.st_uid != 0 || (mode & 077)) {
		priv_error(err, "uipsecd.state_dir: %s (owner uid %u, mode %04o) must belong to the daemon user %s: "
		           "chown %s: %s && chmod 700 %s, or use a directory of its own (docs/security.md)", dir,
		           (unsigned)st.st_uid, mode, u->name, u->name, u->name, dir);
		return false;
	}
	return hand_over(dir, u, "handed to", err);
}

/* Reservation files written before the drop (by this start-up as root, or
 * left by a root run) become the daemon user's: it rewrites them later. */
static bool state_files_chown(daemon_t *d, GError **err)
{
	const char *dir = state_dir(d);
	if (!dir)
		return true;
	GError *e = NULL;
	GDir *gd = g_dir_open(dir, 0, &e);
	if (!gd) {
		priv_error(err, "uipsecd.state_dir: %s", e->message);
		g_error_free(e);
		return false;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = dfd >= 0;
	for (const char *f; ok && (f = g_dir_read_name(gd));) {
		if (!g_str_has_suffix(f, ".seq") && !g_str_has_suffix(f, ".seq.tmp"))
			continue;
		struct stat st;
		if (fstatat(dfd, f, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) || st.st_uid == d->user.uid)
			continue;
		if (fchownat(dfd, f, d->user.uid, d->user.gid, AT_SYMLINK_NOFOLLOW) < 0) {
			priv_error(err, "uipsecd.state_dir: chown %s/%s: %s", dir, f, g_strerror(errno));
			ok = false;
		}
	}
	if (dfd < 0)
		priv_error(err, "uipsecd.state_dir: %s: %s", dir, g_strerror(errno));
	else
		close(dfd);
	g_dir_close(gd);
	return ok;
}

/* ---------------------------------------------------------------- TUN devices later */

/* io-tun's per-VIP mode creates a TUN device for each new virtual IP, also
 * after the drop: whether the daemon user still can is the system's
 * business (os_priv_tun_later). */
static void warn_tun_access(const daemon_t *d)
{
	char why[512];
	if (uipsec_settings_get_bool(d->settings, "uipsecd.plugins.io-tun.per_vip_device", false) &&
	    !os_priv_tun_later(d->user.uid, d->user.gid, why, sizeof(why)))
		uwarn(LOG_SUBSYS, "plugins.io-tun.per_vip_device, uipsecd.user = %s: %s", d->user.name, why);
}

/* ---------------------------------------------------------------- the steps */

bool daemon_privileges_prepare(daemon_t *d, GError **err)
{
	if (!d->user.drop)
		return true;
	if (geteuid() != 0) {
		priv_error(err, "uipsecd.user = %s: uipsecd must be started as root to switch to it (or set "
		           "uipsecd.user = root)", d->user.name);
		return false;
	}
	char why[256];
	if (!os_priv_prepare(why, sizeof(why))) {
		priv_error(err, "%s", why);
		return false;
	}
	warn_tun_access(d);
	return state_dir_prepare(d, err);
}

/* After the switch: neither root again nor anything the system would not
 * keep (os_priv_verify checks the saved ids and capabilities). */
static bool verify_dropped(const daemon_user_t *u, GError **err)
{
	char why[256];
	if (setuid(0) == 0) {
		priv_error(err, "the switch to user %s can be undone: refusing to run", u->name);
		return false;
	}
	if (!os_priv_verify(u->uid, u->gid, why, sizeof(why))) {
		priv_error(err, "user %s: %s", u->name, why);
		return false;
	}
	return true;
}

/* What reload needs from the file system, checked as the daemon user. */
static bool check_after_drop(daemon_t *d, GError **err)
{
	const daemon_user_t *u = &d->user;
	if (access(d->opts.config, R_OK) < 0) {
		priv_error(err, "%s is not readable by the daemon user %s (uipsecd.user), so a reload could not "
		           "read it: chgrp %s it and chmod 640 (0644 when it holds no keys)", d->opts.config, u->name,
		           u->name);
		return false;
	}
	const char *dir = state_dir(d);
	if (dir && access(dir, R_OK | W_OK | X_OK) < 0) {
		priv_error(err, "uipsecd.state_dir %s is not writable by the daemon user %s: %s", dir, u->name,
		           g_strerror(errno));
		return false;
	}
	return true;
}

bool daemon_privileges_drop(daemon_t *d, GError **err)
{
	const daemon_user_t *u = &d->user;
	if (!u->drop)
		return true;
	if (!state_files_chown(d, err))
		return false;
	char why[256];
	if (!os_priv_switch(u->uid, u->gid, why, sizeof(why))) {
		priv_error(err, "switching to user %s (uid %u, gid %u): %s", u->name, (unsigned)u->uid,
		           (unsigned)u->gid, why);
		return false;
	}
	if (!verify_dropped(u, err) || !check_after_drop(d, err))
		return false;
	uinfo(LOG_SUBSYS, "running as user %s (uid %u, gid %u) with %s", u->name, (unsigned)u->uid,
	      (unsigned)u->gid, os_priv_kept());
	return true;
}
