/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecd's PID file, locked with flock() for as long as the daemon runs:
 * a second instance finds it locked and refuses to start, while a file
 * left behind by a crashed instance is simply taken over. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <uipsec/log.h>
#include "daemon/daemon.h"

bool daemon_pidfile_acquire(daemon_t *d, GError **err)
{
	if (strcmp(d->pidfile, "none") == 0)
		return true;
	int fd = open(d->pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot open pidfile %s: %s", d->pidfile, g_strerror(errno));
		return false;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char buf[32] = "";
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		g_strstrip(buf);
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
		            "another uipsecd is running (pid %s, pidfile %s)", *buf ? buf : "?", d->pidfile);
		close(fd);
		return false;
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot write pidfile %s: %s", d->pidfile, g_strerror(errno));
		close(fd);
		return false;
	}
	d->pidfile_fd = fd;
	return true;
}

void daemon_pidfile_release(daemon_t *d)
{
	if (d->pidfile_fd < 0)
		return;
	/* after the privilege drop the directory (/run) may not let us remove
	 * it: an empty file names no process that a recycled PID could match */
	if (g_unlink(d->pidfile) < 0 && ftruncate(d->pidfile_fd, 0) < 0)
		udebug("daemon", "cannot remove or empty %s: %s", d->pidfile, g_strerror(errno));
	close(d->pidfile_fd);     /* releases the lock */
	d->pidfile_fd = -1;
}
