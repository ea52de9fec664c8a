/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Listening UNIX sockets of the daemon (internal API): the control socket
 * and the IKE relay socket share one implementation of the file's mode and
 * group, the refusal of a symlinked or foreign directory, the stale-file
 * takeover, the peer check (root or a member of the group, os/peercred.h)
 * and removing the file at stop only while it is still ours. */
#ifndef UIPSEC_CORE_UNIX_LISTEN_H
#define UIPSEC_CORE_UNIX_LISTEN_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

typedef struct unix_listen {
	int fd;                 /* -1 when not open */
	char *path;
	bool has_group;
	gid_t gid;
	bool dev_ino_valid;     /* the file we bound, to remove only our own */
	dev_t dev;
	ino_t ino;
} unix_listen_t;

/* "0660" or "660": an octal file mode up to 0777. */
bool unix_mode_parse(const char *s, unsigned *mode);

/* Create path's directory (0755), refuse a directory that is a symlink,
 * owned by another user than us or root, or writable by others without
 * the sticky bit; remove a stale socket file (one nobody answers on), bind
 * a socket of type (SOCK_STREAM, SOCK_SEQPACKET) non-blocking, give it
 * mode and group (a name or a number; NULL = root only) and listen. what
 * names the socket in errors ("control socket"). false with err, ul->fd
 * = -1, on failure. */
bool unix_listen_open(unix_listen_t *ul, const char *path, int type, unsigned mode, const char *group,
                      const char *what, GError **err);
/* Close, and remove the file if it is still the one we bound. */
void unix_listen_close(unix_listen_t *ul);

/* The next waiting connection (non-blocking, close-on-exec), or -1 with
 * *error 0 when none waits, else the errno to log. */
int unix_listen_accept(const unix_listen_t *ul, int *error);

/* May the peer of connection fd talk to us (root, or in the group)?
 * Fills uid/gid/pid (for logs; pid 0 when the system does not tell);
 * false also when the credentials cannot be read. */
bool unix_listen_peer_allowed(const unix_listen_t *ul, int fd, uid_t *uid, gid_t *gid, pid_t *pid);

#endif
