/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Listening UNIX sockets with a mode, a group and a checked directory. */
#include "config.h"
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>
#include "os/peercred.h"
#include "os/sockfd.h"
#include "util/unix_listen.h"

bool unix_mode_parse(const char *s, unsigned *mode)
{
	/* file modes are octal even without a leading 0 */
	char *end;
	if (!s || !*s)
		return false;
	unsigned long m = strtoul(s, &end, 8);
	if (*end || m > 0777)
		return false;
	*mode = (unsigned)m;
	return true;
}

static bool resolve_group(unix_listen_t *ul, const char *group, const char *what, GError **err)
{
	if (!group || !*group)
		return true;
	char *end;
	unsigned long gid = strtoul(group, &end, 10);
	if (!*end) {
		ul->gid = (gid_t)gid;
	} else {
		struct group *gr = getgrnam(group);
		if (!gr) {
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no group '%s'", what, group);
			return false;
		}
		ul->gid = gr->gr_gid;
	}
	ul->has_group = true;
	return true;
}

/* The socket's own mode and the peer credentials do the access control; the
 * directory only has to let root and group members through. One that
 * somebody else controls could swap the socket file for theirs. */
static bool check_dir(const char *path, const char *what, GError **err)
{
	char *dir = g_path_get_dirname(path);
	struct stat st;
	const char *why = NULL;
	if (g_mkdir_with_parents(dir, 0755) < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno), "%s: cannot create %s: %s", what, dir,
		            g_strerror(errno));
	} else if (lstat(dir, &st) < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno), "%s: %s: %s", what, dir, g_strerror(errno));
	} else if (S_ISLNK(st.st_mode)) {
		why = "is a symbolic link";
	} else if (!S_ISDIR(st.st_mode)) {
		why = "is not a directory";
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		why = "belongs to another user";
	} else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		why = "is writable by anybody (and not sticky)";
	} else {
		g_free(dir);
		return true;
	}
	if (why)
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s: directory %s %s", what, dir, why);
	g_free(dir);
	return false;
}

/* A socket file left by a daemon that died is removed; one that still
 * answers belongs to a running daemon. */
static bool clear_stale(const char *path, int type, const char *what, GError **err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return true;
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s: %s exists and is not a socket", what, path);
		return false;
	}
	/* the probe has the socket's own type: a SOCK_STREAM connect to a
	 * SEQPACKET socket fails even when somebody listens */
	int fd = os_socket(AF_UNIX, type, 0, false);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	bool alive = fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	if (fd >= 0)
		close(fd);
	if (alive) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, "%s: another uipsecd is serving %s", what, path);
		return false;
	}
	unlink(path);
	return true;
}

bool unix_listen_open(unix_listen_t *ul, const char *path, int type, unsigned mode, const char *group,
                      const char *what, GError **err)
{
	memset(ul, 0, sizeof(*ul));
	ul->fd = -1;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (!path || !*path || strlen(path) >= sizeof(sun.sun_path)) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s path '%s' is empty or longer than %zu bytes",
		            what, path ? path : "", sizeof(sun.sun_path) - 1);
		return false;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (!resolve_group(ul, group, what, err) || !check_dir(path, what, err) || !clear_stale(path, type, what, err))
		return false;
	int fd = os_socket(AF_UNIX, type, 0, true);
	if (fd < 0) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno), "%s: socket: %s", what, g_strerror(errno));
		return false;
	}
	/* bind under a strict umask so the file never exists with wider rights */
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	int bind_errno = errno;
	umask(old);
	if (rc < 0 || chmod(path, mode) < 0 || (ul->has_group && chown(path, (uid_t)-1, ul->gid) < 0) ||
	    listen(fd, 128) < 0) {
		int e = rc < 0 ? bind_errno : errno;
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e), "%s %s: %s", what, path, g_strerror(e));
		close(fd);
		if (rc == 0)
			unlink(path);
		return false;
	}
	struct stat st;
	if (stat(path, &st) == 0) {
		ul->dev = st.st_dev;
		ul->ino = st.st_ino;
		ul->dev_ino_valid = true;
	}
	ul->fd = fd;
	ul->path = g_strdup(path);
	return true;
}

void unix_listen_close(unix_listen_t *ul)
{
	if (ul->fd >= 0) {
		close(ul->fd);
		/* remove the file only if it is still ours (a new daemon may have replaced it) */
		struct stat st;
		if (ul->dev_ino_valid && stat(ul->path, &st) == 0 && st.st_dev == ul->dev && st.st_ino == ul->ino)
			unlink(ul->path);
	}
	ul->fd = -1;
	g_free(ul->path);
	ul->path = NULL;
}

int unix_listen_accept(const unix_listen_t *ul, int *error)
{
	int fd = os_accept(ul->fd);
	*error = fd < 0 && errno != EAGAIN && errno != EWOULDBLOCK ? errno : 0;
	return fd;
}

bool unix_listen_peer_allowed(const unix_listen_t *ul, int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
	os_peercred_t cr;
	bool known = os_peercred_get(fd, &cr);
	*uid = cr.uid;
	*gid = cr.gid;
	*pid = cr.pid;
	if (!known)
		return false;
	if (cr.uid == 0)
		return true;
	return ul->has_group && os_peercred_in_group(&cr, ul->gid);
}
