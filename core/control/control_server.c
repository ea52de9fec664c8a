/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control socket server: accept, check credentials, frame JSON lines,
 * enforce limits, stream events to subscribers. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib-unix.h>
#include <uipsec/log.h>
#include "control/control_server.h"
#include "config/settings_parser.h"
#include "esp/stats.h"
#include "os/wake.h"
#include "util/unix_listen.h"

#define LOG_SUBSYS "ctl"
#define READ_CHUNK 16384
/* Back-pressure: once this much of a client's output (replies and events)
 * is unsent, no further request of it is answered and nothing more is read
 * from it, until the output drains below OUTPUT_RESUME. Replies are only
 * generated below the mark, so a client holds at most OUTPUT_PAUSE plus
 * one reply (and events up to max_output) however much it pipelines. */
#define OUTPUT_PAUSE (1u << 20)
#define OUTPUT_RESUME (256u << 10)

typedef struct client {
	control_t *srv;
	int fd;
	GSource *watch;          /* fd source waiting for cond */
	GIOCondition cond;       /* what watch waits for */
	uid_t uid;
	pid_t pid;
	GByteArray *in;
	bool discarding;         /* skipping the rest of an oversized line */
	GByteArray *out;
	bool paused;             /* output over OUTPUT_PAUSE: not reading, not answering */
	bool busy;               /* in client_process_input (events may re-enter client_update) */
	gint64 last_active;      /* monotonic us */
	gint64 last_drain;       /* monotonic us: the socket last took output (or out was empty) */
	bool subscribed;
	uint32_t event_mask;
	uint32_t alias_mask;     /* events subscribed to by their old names */
	JsonNode *sub_id;
	bool closing;            /* close once out is flushed */
	bool dead;
} client_t;

typedef struct pending_event {
	char *name;
	JsonNode *data;
} pending_event_t;

struct control {
	control_config_t cfg;
	control_backend_t be;
	GMainContext *ctx;
	GThread *owner;          /* the thread serving ctx (events from others are queued) */
	unix_listen_t listen;
	GSource *listen_src;
	GSource *tick_src;
	GSource *reap_src;       /* pending reap() of dead clients (not owned) */
	os_wake_t *wake;         /* signalled when other threads queued events */
	GSource *wake_src;
	pthread_mutex_t lock;    /* guards queue; pthread, not GMutex (a bare futex): TSan sees it */
	GQueue queue;
	GList *clients;
	unsigned n_clients;
};

/* ------------------------------------------------------------ config */

static const uipsec_option_t control_options[] = {
	{ "uipsecd.control.max_request", UIPSEC_OPT_BYTES, "64k", "largest control request line accepted" },
	{ "uipsecd.control.max_clients", UIPSEC_OPT_INT, "64", "concurrent control connections" },
	{ "uipsecd.control.idle_timeout", UIPSEC_OPT_DURATION, "60s", "close control clients silent this long (monitor excepted)" },
	UIPSEC_OPTION_END,
};

void control_declare_options(void)
{
	options_declare("", control_options);
}

void control_config_init(control_config_t *cfg, const uipsec_settings_t *s)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->path = g_strdup(CONTROL_DEFAULT_SOCKET);
	cfg->mode = 0600;
	cfg->max_request = 64 * 1024;
	cfg->max_clients = 64;
	cfg->idle_timeout = 60;
	cfg->max_output = 8u << 20;
	if (!s)
		return;
	const char *v = uipsec_settings_get_str(s, "uipsecd.control.socket", NULL);
	if (v && *v) {
		g_free(cfg->path);
		cfg->path = g_strdup(v);
	}
	v = uipsec_settings_get_str(s, "uipsecd.control.mode", NULL);
	if (v && *v) {
		if (!unix_mode_parse(v, &cfg->mode))
			uwarn(LOG_SUBSYS, "%s: uipsecd.control.mode '%s' is not an octal file mode, using 0600",
			      uipsec_settings_origin(s, "uipsecd.control.mode"), v);
	}
	v = uipsec_settings_get_str(s, "uipsecd.control.group", NULL);
	if (v && *v)
		cfg->group = g_strdup(v);
	cfg->max_request = (size_t)CLAMP(uipsec_settings_get_bytes(s, "uipsecd.control.max_request", cfg->max_request),
	                                 1024, 16u << 20);
	cfg->max_clients = (unsigned)CLAMP(uipsec_settings_get_int(s, "uipsecd.control.max_clients", cfg->max_clients),
	                                   1, 4096);
	cfg->idle_timeout = (unsigned)MIN(uipsec_settings_get_duration(s, "uipsecd.control.idle_timeout", cfg->idle_timeout),
	                                  86400);
}

void control_config_clear(control_config_t *cfg)
{
	g_free(cfg->path);
	g_free(cfg->group);
	cfg->path = cfg->group = NULL;
}

/* ------------------------------------------------------------ clients */

static gboolean client_io(gint fd, GIOCondition cond, gpointer user);

static void client_set_watch(client_t *cl, GIOCondition cond)
{
	if (cl->watch && cl->cond == cond)
		return;
	if (cl->watch) {
		g_source_destroy(cl->watch);
		g_source_unref(cl->watch);
	}
	cl->cond = cond;
	cl->watch = g_unix_fd_source_new(cl->fd, cond);
	g_source_set_callback(cl->watch, G_SOURCE_FUNC(client_io), cl, NULL);
	g_source_attach(cl->watch, cl->srv->ctx);
}

static void client_free(client_t *cl)
{
	control_t *srv = cl->srv;
	if (cl->watch) {
		g_source_destroy(cl->watch);
		g_source_unref(cl->watch);
	}
	close(cl->fd);
	/* the input may hold a request's keys */
	uipsec_memwipe(cl->in->data, cl->in->len);
	g_byte_array_unref(cl->in);
	g_byte_array_unref(cl->out);
	if (cl->sub_id)
		json_node_unref(cl->sub_id);
	srv->clients = g_list_remove(srv->clients, cl);
	srv->n_clients--;
	g_free(cl);
}

/* Write as much as the socket takes; false when the client is gone. */
static bool client_flush(client_t *cl)
{
	while (cl->out->len) {
		ssize_t n = send(cl->fd, cl->out->data, cl->out->len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			udebug(LOG_SUBSYS, "client pid %d: write failed: %s", (int)cl->pid, g_strerror(errno));
			return false;
		}
		g_byte_array_remove_range(cl->out, 0, (guint)n);
		cl->last_drain = g_get_monotonic_time();
	}
	return true;
}

static void client_queue(client_t *cl, const char *line, size_t len)
{
	if (!cl->out->len)
		cl->last_drain = g_get_monotonic_time();   /* the stall clock starts now */
	g_byte_array_append(cl->out, (const guint8 *)line, (guint)len);
	g_byte_array_append(cl->out, (const guint8 *)"\n", 1);
}

static void client_process_input(client_t *cl);

/* Send what the socket takes, answer the lines held back while paused once
 * the output has drained, and re-arm the watch for what the client needs
 * next. */
static bool client_update(client_t *cl)
{
	for (;;) {
		if (cl->dead || (cl->out->len && !client_flush(cl)))
			return false;
		if (cl->out->len >= OUTPUT_PAUSE)
			cl->paused = true;
		/* an event queued while one of its requests runs lands here too:
		 * the loop already running answers the rest */
		if (!cl->paused || cl->out->len >= OUTPUT_RESUME || cl->busy)
			break;
		cl->paused = false;
		client_process_input(cl);   /* may pause it again */
	}
	if (cl->closing && !cl->out->len && !cl->paused)
		return false;
	GIOCondition cond = 0;
	if (!cl->closing && !cl->paused)
		cond |= G_IO_IN;
	if (cl->out->len)
		cond |= G_IO_OUT;
	client_set_watch(cl, cond | G_IO_HUP | G_IO_ERR);
	return true;
}

static void client_handle_line(client_t *cl, const char *line, size_t len)
{
	control_request_effects_t fx = { 0 };
	size_t rlen;
	if (len && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return;   /* blank lines keep a connection alive */
	char *reply = control_proto_handle(&cl->srv->be, line, len, &fx, &rlen);
	client_queue(cl, reply, rlen);
	g_free(reply);
	if (fx.subscribe) {
		cl->subscribed = true;
		cl->event_mask = fx.event_mask;
		cl->alias_mask = fx.alias_mask;
		if (cl->sub_id)
			json_node_unref(cl->sub_id);
		cl->sub_id = fx.sub_id;
	} else if (fx.sub_id) {
		json_node_unref(fx.sub_id);
	}
}

static void client_error(client_t *cl, const char *code, const char *msg)
{
	size_t len;
	char *line = control_proto_error_line(code, msg, &len);
	client_queue(cl, line, len);
	g_free(line);
}

/* Split the input into lines and answer each. */
static void client_process_lines(client_t *cl)
{
	size_t max = cl->srv->cfg.max_request;
	for (;;) {
		/* the rest waits in cl->in until the output drains (client_update) */
		if (cl->out->len >= OUTPUT_PAUSE) {
			cl->paused = true;
			return;
		}
		guint8 *nl = memchr(cl->in->data, '\n', cl->in->len);
		if (!nl) {
			if (cl->in->len > max) {
				if (!cl->discarding) {
					char msg[96];
					snprintf(msg, sizeof(msg), "request longer than %zu bytes", max);
					client_error(cl, CONTROL_ERR_TOO_LARGE, msg);
					uwarn(LOG_SUBSYS, "client pid %d: request longer than %zu bytes refused",
					      (int)cl->pid, max);
				}
				cl->discarding = true;
				uipsec_memwipe(cl->in->data, cl->in->len);
				g_byte_array_set_size(cl->in, 0);
			}
			return;
		}
		size_t len = (size_t)(nl - cl->in->data);
		if (cl->discarding) {
			cl->discarding = false;
		} else if (len > max) {
			char msg[96];
			snprintf(msg, sizeof(msg), "request longer than %zu bytes", max);
			client_error(cl, CONTROL_ERR_TOO_LARGE, msg);
		} else {
			client_handle_line(cl, (const char *)cl->in->data, len);
		}
		uipsec_memwipe(cl->in->data, len + 1);
		g_byte_array_remove_range(cl->in, 0, (guint)(len + 1));
		if (cl->dead)
			return;
	}
}

static void client_process_input(client_t *cl)
{
	cl->busy = true;
	client_process_lines(cl);
	cl->busy = false;
}

static bool client_read(client_t *cl)
{
	guint8 buf[READ_CHUNK];
	ssize_t n = recv(cl->fd, buf, sizeof(buf), 0);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK;
	if (n == 0) {
		/* half close: answer what was sent, then close */
		cl->closing = true;
		return true;
	}
	cl->last_active = g_get_monotonic_time();
	g_byte_array_append(cl->in, buf, (guint)n);
	uipsec_memwipe(buf, (size_t)n);
	client_process_input(cl);
	return true;
}

static gboolean client_io(gint fd, GIOCondition cond, gpointer user)
{
	client_t *cl = user;
	(void)fd;
	bool ok = true;
	if (cond & G_IO_IN)
		ok = client_read(cl);
	else if (cond & (G_IO_HUP | G_IO_ERR))
		ok = false;           /* peer gone: nothing left to read or send */
	if (ok)
		ok = client_update(cl);
	if (!ok) {
		client_free(cl);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ credentials */

static void refuse(int fd, const char *code, const char *msg)
{
	size_t len;
	char *line = control_proto_error_line(code, msg, &len);
	/* best effort: the socket is fresh, its buffer takes one line */
	if (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len)
		(void)!send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	g_free(line);
	close(fd);
}

static gboolean listen_io(gint fd, GIOCondition cond, gpointer user)
{
	control_t *srv = user;
	(void)cond;
	(void)fd;
	for (;;) {
		int e, cfd = unix_listen_accept(&srv->listen, &e);
		if (cfd < 0) {
			if (e)
				uwarn(LOG_SUBSYS, "accept on %s: %s", srv->cfg.path, g_strerror(e));
			return G_SOURCE_CONTINUE;
		}
		struct { uid_t uid; gid_t gid; pid_t pid; } cr;   /* not struct ucred: Linux only */
		if (!unix_listen_peer_allowed(&srv->listen, cfd, &cr.uid, &cr.gid, &cr.pid)) {
			uwarn(LOG_SUBSYS, "refused control connection from uid %d gid %d pid %d",
			      (int)cr.uid, (int)cr.gid, (int)cr.pid);
			refuse(cfd, CONTROL_ERR_PERMISSION,
			       srv->listen.has_group ? "only root or members of the control group may control uipsecd"
			                      : "only root may control uipsecd");
			continue;
		}
		if (srv->n_clients >= srv->cfg.max_clients) {
			uwarn(LOG_SUBSYS, "refused control connection from pid %d: %u clients connected",
			      (int)cr.pid, srv->n_clients);
			refuse(cfd, CONTROL_ERR_BUSY, "too many control clients, try again later");
			continue;
		}
		client_t *cl = g_new0(client_t, 1);
		cl->srv = srv;
		cl->fd = cfd;
		cl->uid = cr.uid;
		cl->pid = cr.pid;
		cl->in = g_byte_array_new();
		cl->out = g_byte_array_new();
		cl->last_active = cl->last_drain = g_get_monotonic_time();
		srv->clients = g_list_prepend(srv->clients, cl);
		srv->n_clients++;
		udebug(LOG_SUBSYS, "control client connected: uid %u pid %d", (unsigned)cr.uid, (int)cr.pid);
		client_set_watch(cl, G_IO_IN | G_IO_HUP | G_IO_ERR);
	}
}

/* A client that does not read what it is sent is closed: its output is
 * the daemon's memory. Logged and counted (control_stalled). */
static void client_stalled(client_t *cl, const char *why)
{
	uwarn(LOG_SUBSYS, "control client pid %d %s (%u bytes unsent): disconnected", (int)cl->pid, why,
	      cl->out->len);
	stats_inc(STAT_CONTROL_STALLED);
}

/* Close clients that stayed silent too long (subscribers wait for events)
 * and clients whose socket took none of their output for as long. */
static gboolean tick(gpointer user)
{
	control_t *srv = user;
	gint64 limit = g_get_monotonic_time() - (gint64)srv->cfg.idle_timeout * G_USEC_PER_SEC;
	for (GList *l = srv->clients, *next; l; l = next) {
		client_t *cl = l->data;
		next = l->next;
		if (cl->dead)
			continue;
		if (cl->out->len && cl->last_drain < limit) {
			client_stalled(cl, "does not read its output");
			client_free(cl);
		} else if (!cl->subscribed && cl->last_active < limit && !cl->out->len) {
			udebug(LOG_SUBSYS, "closing idle control client pid %d", (int)cl->pid);
			client_free(cl);
		}
	}
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ events */

/* Events may be delivered while a client's request is being handled, so
 * clients are never freed here: they are reaped from an idle callback. */
static gboolean reap(gpointer user)
{
	control_t *srv = user;
	for (GList *l = srv->clients, *next; l; l = next) {
		next = l->next;
		if (((client_t *)l->data)->dead)
			client_free(l->data);
	}
	srv->reap_src = NULL;
	return G_SOURCE_REMOVE;
}

static void mark_dead(client_t *cl)
{
	control_t *srv = cl->srv;
	cl->dead = true;
	if (!srv->reap_src) {
		srv->reap_src = g_idle_source_new();
		g_source_set_callback(srv->reap_src, reap, srv, NULL);
		g_source_attach(srv->reap_src, srv->ctx);
		g_source_unref(srv->reap_src);
	}
}

static void deliver_event(control_t *srv, const char *name, JsonNode *data)
{
	uint32_t bit = control_event_bit(name);
	for (GList *l = srv->clients, *next; l; l = next) {
		client_t *cl = l->data;
		next = l->next;
		if (!cl->subscribed || !(cl->event_mask & bit) || cl->closing || cl->dead)
			continue;
		size_t len;
		char *line = control_proto_event_line(cl->sub_id, control_event_wire_name(name, cl->alias_mask),
		                                      data, &len);
		client_queue(cl, line, len);
		g_free(line);
		if (cl->out->len > srv->cfg.max_output) {
			client_stalled(cl, "does not read its events");
			mark_dead(cl);
			continue;
		}
		if (!client_update(cl))
			mark_dead(cl);
	}
}

static void pending_free(pending_event_t *ev)
{
	g_free(ev->name);
	if (ev->data)
		json_node_unref(ev->data);
	g_free(ev);
}

static gboolean wake_io(gint fd, GIOCondition cond, gpointer user)
{
	control_t *srv = user;
	(void)fd;
	(void)cond;
	os_wake_drain(srv->wake);
	for (;;) {
		pthread_mutex_lock(&srv->lock);
		pending_event_t *ev = g_queue_pop_head(&srv->queue);
		pthread_mutex_unlock(&srv->lock);
		if (!ev)
			break;
		deliver_event(srv, ev->name, ev->data);
		pending_free(ev);
	}
	return G_SOURCE_CONTINUE;
}

void control_post_event(control_t *srv, const char *event, JsonNode *data)
{
	if (!srv || !control_event_bit(event))
		return;
	if (g_thread_self() == srv->owner) {
		deliver_event(srv, event, data);
		return;
	}
	pending_event_t *ev = g_new0(pending_event_t, 1);
	ev->name = g_strdup(event);
	ev->data = data ? json_node_copy(data) : NULL;
	pthread_mutex_lock(&srv->lock);
	g_queue_push_tail(&srv->queue, ev);
	pthread_mutex_unlock(&srv->lock);
	if (!os_wake_signal(srv->wake))
		uwarn(LOG_SUBSYS, "event wake-up: %s", g_strerror(errno));
}

/* ------------------------------------------------------------ socket */

static GSource *add_fd_source(control_t *srv, int fd, GUnixFDSourceFunc fn)
{
	GSource *src = g_unix_fd_source_new(fd, G_IO_IN);
	g_source_set_callback(src, G_SOURCE_FUNC(fn), srv, NULL);
	g_source_attach(src, srv->ctx);
	return src;
}

control_t *control_start(const control_config_t *cfg, const control_backend_t *be,
                         GMainContext *ctx, GError **err)
{
	control_t *srv = g_new0(control_t, 1);
	srv->cfg = *cfg;
	srv->cfg.path = g_strdup(cfg->path);
	srv->cfg.group = g_strdup(cfg->group);
	if (!srv->cfg.max_request)
		srv->cfg.max_request = 64 * 1024;
	if (!srv->cfg.max_clients)
		srv->cfg.max_clients = 64;
	if (!srv->cfg.max_output)
		srv->cfg.max_output = 8u << 20;
	if (be)
		srv->be = *be;
	srv->ctx = g_main_context_ref(ctx ? ctx : g_main_context_ref_thread_default());
	if (!ctx)
		g_main_context_unref(srv->ctx);
	srv->owner = g_thread_self();
	srv->listen.fd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	g_queue_init(&srv->queue);
	if (!unix_listen_open(&srv->listen, srv->cfg.path, SOCK_STREAM, srv->cfg.mode, srv->cfg.group,
	                      "control socket", err)) {
		control_stop(srv);
		return NULL;
	}
	srv->wake = os_wake_create();
	if (!srv->wake) {
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(errno), "event wake-up (%s): %s", os_wake_kind(),
		            g_strerror(errno));
		control_stop(srv);
		return NULL;
	}
	srv->listen_src = add_fd_source(srv, srv->listen.fd, listen_io);
	srv->wake_src = add_fd_source(srv, os_wake_fd(srv->wake), wake_io);
	if (srv->cfg.idle_timeout) {
		srv->tick_src = g_timeout_source_new_seconds(1);
		g_source_set_callback(srv->tick_src, tick, srv, NULL);
		g_source_attach(srv->tick_src, srv->ctx);
	}
	uinfo(LOG_SUBSYS, "control socket %s (mode %04o%s%s)", srv->cfg.path, srv->cfg.mode,
	      srv->listen.has_group ? ", group " : "", srv->listen.has_group ? srv->cfg.group : "");
	return srv;
}

static void drop_source(GSource **s)
{
	if (*s) {
		g_source_destroy(*s);
		g_source_unref(*s);
		*s = NULL;
	}
}

void control_stop(control_t *srv)
{
	if (!srv)
		return;
	while (srv->clients)
		client_free(srv->clients->data);
	drop_source(&srv->listen_src);
	drop_source(&srv->wake_src);
	drop_source(&srv->tick_src);
	if (srv->reap_src)
		g_source_destroy(srv->reap_src);
	unix_listen_close(&srv->listen);
	os_wake_destroy(srv->wake);
	pending_event_t *ev;
	while ((ev = g_queue_pop_head(&srv->queue)))
		pending_free(ev);
	pthread_mutex_destroy(&srv->lock);
	if (srv->ctx)
		g_main_context_unref(srv->ctx);
	control_config_clear(&srv->cfg);
	g_free(srv);
}

unsigned control_client_count(const control_t *srv)
{
	return srv->n_clients;
}

const char *control_socket_path(const control_t *srv)
{
	return srv->cfg.path;
}
