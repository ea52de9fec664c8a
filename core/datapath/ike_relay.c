/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IKE relay: the SEQPACKET socket, its one client, both directions. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <glib-unix.h>

#include <uipsec/log.h>
#include "esp/stats.h"
#include "util/unix_listen.h"
#include "datapath/ike_frame.h"
#include "datapath/ike_relay.h"

#define SUBSYS "ike"
/* frames read from the client per main-loop turn: IKE is slow, the rest
 * of the main loop must not wait behind a flood */
#define READ_BUDGET 64

struct ike_relay {
	ike_relay_send_fn send;
	void *send_ctx;
	unix_listen_t listen;
	GSource *listen_src;
	GSource *client_src;
	/* Workers send on client_fd under the read lock; the main loop
	 * replaces and closes it under the write lock, so no worker ever
	 * writes to a descriptor number already reused for something else.
	 * pthread, not GMutex: TSan understands it. Workers only try the lock
	 * (a replacement in progress is a drop, never a wait). */
	pthread_rwlock_t lock;
	int client_fd;
	pid_t client_pid;
	uint8_t *buf;        /* one frame from the client, and a byte to spot larger ones */
};

/* ------------------------------------------------------------ workers */

bool ike_relay_forward(ike_relay_t *r, const uint8_t *data, size_t len, const ip_endpoint_t *peer,
                       const udp_local_t *local, uint16_t port)
{
	if (pthread_rwlock_tryrdlock(&r->lock) != 0) {
		stats_inc(STAT_IKE_RELAY_DROPPED);   /* the client is being replaced */
		return true;
	}
	int fd = r->client_fd;
	if (fd < 0) {
		pthread_rwlock_unlock(&r->lock);
		return false;
	}
	ike_frame_t f = { .src = *peer, .ifindex = local->ifindex };
	/* where the kernel did not say (no PKTINFO), the any address of the
	 * peer's family: the IKE daemon then lets the kernel pick */
	if (local->addr.family == peer->addr.family)
		f.dst.addr = local->addr;
	else
		f.dst.addr.family = peer->addr.family;
	f.dst.port = port;
	uint8_t hdr[IKE_FRAME_HDR_LEN];
	bool sent = false;
	if (len <= IKE_FRAME_MAX_PAYLOAD && ike_frame_encode(&f, hdr) == IKE_FRAME_OK) {
		struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)data, len } };
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t n;
		do
			n = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		sent = n == (ssize_t)(sizeof(hdr) + len);
	}
	pthread_rwlock_unlock(&r->lock);
	/* a full socket (the IKE daemon does not keep up) or a client that
	 * just went away: the main loop notices the latter */
	if (!sent)
		stats_inc(STAT_IKE_RELAY_DROPPED);
	return true;
}

/* ------------------------------------------------------------ main loop */

static void set_client(ike_relay_t *r, int fd, pid_t pid)
{
	pthread_rwlock_wrlock(&r->lock);
	int old = r->client_fd;
	r->client_fd = fd;
	r->client_pid = pid;
	pthread_rwlock_unlock(&r->lock);
	if (r->client_src) {
		g_source_destroy(r->client_src);
		g_source_unref(r->client_src);
		r->client_src = NULL;
	}
	if (old >= 0)
		close(old);
}

/* One frame from the client: check it, send its payload from the ESP port. */
static void send_frame(ike_relay_t *r, size_t len)
{
	ike_frame_t f;
	const uint8_t *payload;
	size_t plen;
	ike_frame_status_t st = ike_frame_decode(r->buf, len, &f, &payload, &plen);
	if (st == IKE_FRAME_OK && (f.dst.port == 0 || f.dst.addr.family == 0))
		st = IKE_FRAME_BAD_FAMILY;
	if (st != IKE_FRAME_OK) {
		udebug(SUBSYS, "frame from the IKE daemon rejected: %s", ike_frame_status_str(st));
		stats_inc(STAT_IKE_RELAY_MALFORMED);
		return;
	}
	/* the source port is always ours (the frame's sport is not used) */
	if (!r->send(r->send_ctx, payload, plen, &f.src.addr, f.ifindex, &f.dst))
		stats_inc(STAT_IKE_RELAY_DROPPED);
}

/* After a 0-byte read: end of file, or an empty message? A SEQPACKET
 * socket whose peer closed reports POLLHUP (POSIX; POLLRDHUP is
 * Linux-only and adds nothing here). */
static bool peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) != 0 && (p.revents & (POLLHUP | POLLERR));
}

static gboolean client_io(gint fd, GIOCondition cond, gpointer user)
{
	ike_relay_t *r = user;
	for (int i = 0; i < READ_BUDGET; i++) {
		struct iovec iov = { r->buf, IKE_FRAME_HDR_LEN + IKE_FRAME_MAX_PAYLOAD + 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return G_SOURCE_CONTINUE;
		if (n == 0 && !peer_gone(fd)) {
			/* an empty SEQPACKET message reads as 0 bytes too */
			stats_inc(STAT_IKE_RELAY_MALFORMED);
			continue;
		}
		if (n <= 0) {
			/* end of file, or an error: the IKE daemon is gone */
			uinfo(SUBSYS, "IKE daemon (pid %d) disconnected from %s", (int)r->client_pid, r->listen.path);
			set_client(r, -1, 0);
			return G_SOURCE_REMOVE;   /* set_client destroyed the source: removing it twice is harmless */
		}
		/* MSG_TRUNC: longer than any frame may be; the byte past the
		 * largest frame tells the same when the flag is not set */
		if (m.msg_flags & MSG_TRUNC)
			n = (ssize_t)(IKE_FRAME_HDR_LEN + IKE_FRAME_MAX_PAYLOAD + 1);
		send_frame(r, (size_t)n);
	}
	(void)cond;
	return G_SOURCE_CONTINUE;
}

static gboolean listen_io(gint fd, GIOCondition cond, gpointer user)
{
	ike_relay_t *r = user;
	(void)cond;
	(void)fd;
	for (;;) {
		int e, cfd = unix_listen_accept(&r->listen, &e);
		if (cfd < 0) {
			if (e)
				uwarn(SUBSYS, "accept on %s: %s", r->listen.path, g_strerror(e));
			return G_SOURCE_CONTINUE;
		}
		uid_t uid;
		gid_t gid;
		pid_t pid;
		if (!unix_listen_peer_allowed(&r->listen, cfd, &uid, &gid, &pid)) {
			uwarn(SUBSYS, "refused IKE relay connection from uid %d gid %d pid %d", (int)uid, (int)gid, (int)pid);
			close(cfd);
			continue;
		}
		if (r->client_fd >= 0)
			uinfo(SUBSYS, "IKE daemon pid %d replaces pid %d on %s", (int)pid, (int)r->client_pid, r->listen.path);
		else
			uinfo(SUBSYS, "IKE daemon pid %d connected to %s", (int)pid, r->listen.path);
		set_client(r, cfd, pid);
		r->client_src = g_unix_fd_source_new(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR);
		g_source_set_callback(r->client_src, G_SOURCE_FUNC(client_io), r, NULL);
		g_source_attach(r->client_src, NULL);
	}
}

ike_relay_t *ike_relay_start(const uipsec_settings_t *s, ike_relay_send_fn send, void *ctx, GError **err)
{
	const char *path = uipsec_settings_get_str(s, "uipsecd.ike.socket", IKE_RELAY_DEFAULT_SOCKET);
	if (!path || !*path || strcmp(path, IKE_RELAY_SOCKET_NONE) == 0)
		return NULL;
	unsigned mode = 0600;
	const char *v = uipsec_settings_get_str(s, "uipsecd.ike.mode", NULL);
	if (v && *v && !unix_mode_parse(v, &mode))
		uwarn(SUBSYS, "%s: uipsecd.ike.mode '%s' is not an octal file mode, using 0600",
		      uipsec_settings_origin(s, "uipsecd.ike.mode"), v);
	ike_relay_t *r = g_new0(ike_relay_t, 1);
	r->send = send;
	r->send_ctx = ctx;
	r->client_fd = -1;
	pthread_rwlock_init(&r->lock, NULL);
	if (!unix_listen_open(&r->listen, path, SOCK_SEQPACKET, mode, uipsec_settings_get_str(s, "uipsecd.ike.group", NULL),
	                      "IKE relay socket", err)) {
		ike_relay_stop(r);
		return NULL;
	}
	r->buf = g_malloc(IKE_FRAME_HDR_LEN + IKE_FRAME_MAX_PAYLOAD + 1);
	r->listen_src = g_unix_fd_source_new(r->listen.fd, G_IO_IN);
	g_source_set_callback(r->listen_src, G_SOURCE_FUNC(listen_io), r, NULL);
	g_source_attach(r->listen_src, NULL);
	uinfo(SUBSYS, "IKE relay socket %s (mode %04o%s%s)", path, mode, r->listen.has_group ? ", group " : "",
	      r->listen.has_group ? uipsec_settings_get_str(s, "uipsecd.ike.group", "") : "");
	return r;
}

void ike_relay_stop(ike_relay_t *r)
{
	if (!r)
		return;
	set_client(r, -1, 0);
	if (r->listen_src) {
		g_source_destroy(r->listen_src);
		g_source_unref(r->listen_src);
	}
	unix_listen_close(&r->listen);
	pthread_rwlock_destroy(&r->lock);
	g_free(r->buf);
	g_free(r);
}

const char *ike_relay_path(const ike_relay_t *r)
{
	return r->listen.path;
}

bool ike_relay_connected(ike_relay_t *r)
{
	pthread_rwlock_rdlock(&r->lock);
	bool c = r->client_fd >= 0;
	pthread_rwlock_unlock(&r->lock);
	return c;
}
