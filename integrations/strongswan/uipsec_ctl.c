/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the uipsec authors
 *
 * Client of uipsecd's control socket: command connection + event thread.
 */

/* asprintf(), pipe2() */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "uipsec_ctl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <daemon.h>
#include <threading/mutex.h>
#include <threading/thread.h>
#include <utils/debug.h>

/** longest line accepted from uipsecd (list-sas of a large SAD) */
#define MAX_LINE (16 * 1024 * 1024)
/** backoff of the event connection, seconds */
#define BACKOFF_MIN 1
#define BACKOFF_MAX 30

/* ------------------------------------------------------------ ctl_args_t */

struct ctl_args_t {
	char *buf;
	size_t len;
	size_t cap;
};

/** grow to hold extra more bytes (+ NUL); the old buffer is wiped */
static void args_reserve(ctl_args_t *a, size_t extra)
{
	char *nbuf;
	size_t ncap;

	if (a->len + extra + 2 <= a->cap)
	{
		return;
	}
	ncap = max(a->cap * 2, a->len + extra + 64);
	nbuf = malloc(ncap);
	memcpy(nbuf, a->buf, a->len + 1);
	memwipe(a->buf, a->cap);
	free(a->buf);
	a->buf = nbuf;
	a->cap = ncap;
}

static void args_raw(ctl_args_t *a, const char *s, size_t n)
{
	args_reserve(a, n);
	memcpy(a->buf + a->len, s, n);
	a->len += n;
	a->buf[a->len] = '\0';
}

/** a JSON string, escaped */
static void args_quoted(ctl_args_t *a, const char *s)
{
	char esc[8];

	args_raw(a, "\"", 1);
	for (; *s; s++)
	{
		unsigned char c = *s;

		if (c == '"' || c == '\\')
		{
			esc[0] = '\\';
			esc[1] = c;
			args_raw(a, esc, 2);
		}
		else if (c < 0x20)
		{
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			args_raw(a, esc, 6);
		}
		else
		{
			args_raw(a, (const char*)&c, 1);
		}
	}
	args_raw(a, "\"", 1);
}

/** start a member: separator and key */
static void args_key(ctl_args_t *a, const char *key)
{
	/* buf is "{...": replace nothing, the closing brace is added on output */
	if (a->len > 1)
	{
		args_raw(a, ",", 1);
	}
	args_quoted(a, key);
	args_raw(a, ":", 1);
}

ctl_args_t *ctl_args_create(void)
{
	ctl_args_t *a;

	INIT(a,
		.cap = 256,
	);
	a->buf = malloc(a->cap);
	a->buf[0] = '{';
	a->buf[1] = '\0';
	a->len = 1;
	return a;
}

ctl_args_t *ctl_args_from_json(const char *json)
{
	ctl_args_t *a = ctl_args_create();
	size_t n = strlen(json);

	/* keep it open: strip the closing brace */
	while (n && json[n - 1] != '}')
	{
		n--;
	}
	if (n > 1)
	{
		a->len = 0;
		args_raw(a, json, n - 1);
	}
	return a;
}

void ctl_args_str(ctl_args_t *a, const char *key, const char *value)
{
	args_key(a, key);
	args_quoted(a, value);
}

void ctl_args_u64(ctl_args_t *a, const char *key, uint64_t value)
{
	char num[32];

	args_key(a, key);
	snprintf(num, sizeof(num), "%" PRIu64, value);
	args_raw(a, num, strlen(num));
}

void ctl_args_bool(ctl_args_t *a, const char *key, bool value)
{
	args_key(a, key);
	args_raw(a, value ? "true" : "false", value ? 4 : 5);
}

void ctl_args_hex(ctl_args_t *a, const char *key, chunk_t value)
{
	static const char hexdig[] = "0123456789abcdef";
	size_t i;

	args_key(a, key);
	args_reserve(a, value.len * 2 + 2);
	a->buf[a->len++] = '"';
	for (i = 0; i < value.len; i++)
	{
		a->buf[a->len++] = hexdig[value.ptr[i] >> 4];
		a->buf[a->len++] = hexdig[value.ptr[i] & 0x0f];
	}
	a->buf[a->len++] = '"';
	a->buf[a->len] = '\0';
}

void ctl_args_strv(ctl_args_t *a, const char *key, char **values, int count)
{
	int i;

	args_key(a, key);
	args_raw(a, "[", 1);
	for (i = 0; i < count; i++)
	{
		if (i)
		{
			args_raw(a, ",", 1);
		}
		args_quoted(a, values[i]);
	}
	args_raw(a, "]", 1);
}

const char *ctl_args_json(ctl_args_t *a)
{
	/* keep "}" out of the buffer proper: append, return, strip on next use */
	args_reserve(a, 1);
	a->buf[a->len] = '}';
	a->buf[a->len + 1] = '\0';
	return a->buf;
}

void ctl_args_destroy(ctl_args_t *a)
{
	if (a)
	{
		memwipe(a->buf, a->cap);
		free(a->buf);
		free(a);
	}
}

/* ------------------------------------------------------------ JSON helpers */

int64_t ctl_json_int(JsonObject *o, const char *name, int64_t def)
{
	JsonNode *n;

	if (!o)
	{
		return def;
	}
	n = json_object_get_member(o, name);
	if (!n || !JSON_NODE_HOLDS_VALUE(n))
	{
		return def;
	}
	switch (json_node_get_value_type(n))
	{
		case G_TYPE_INT64:
			return json_node_get_int(n);
		case G_TYPE_DOUBLE:
			return (int64_t)json_node_get_double(n);
		case G_TYPE_BOOLEAN:
			return json_node_get_boolean(n);
		default:
			return def;
	}
}

const char *ctl_json_str(JsonObject *o, const char *name)
{
	JsonNode *n;

	if (!o)
	{
		return NULL;
	}
	n = json_object_get_member(o, name);
	if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
		json_node_get_value_type(n) != G_TYPE_STRING)
	{
		return NULL;
	}
	return json_node_get_string(n);
}

/** parse one line into an object, NULL if it is not one */
static JsonObject *parse_line(const char *line, size_t len)
{
	JsonParser *parser;
	JsonNode *root;
	JsonObject *obj = NULL;

	parser = json_parser_new();
	if (json_parser_load_from_data(parser, line, len, NULL))
	{
		root = json_parser_get_root(parser);
		if (root && JSON_NODE_HOLDS_OBJECT(root))
		{
			obj = json_object_ref(json_node_get_object(root));
		}
	}
	g_object_unref(parser);
	return obj;
}

/* ------------------------------------------------------------ connections */

typedef struct {
	int fd;
	char *buf;
	size_t len;
	size_t cap;
} conn_t;

static void conn_close(conn_t *c)
{
	if (c->fd >= 0)
	{
		close(c->fd);
		c->fd = -1;
	}
	c->len = 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool conn_open(conn_t *c, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	conn_close(c);
	if (strlen(path) >= sizeof(addr.sun_path))
	{
		errno = ENAMETOOLONG;
		return FALSE;
	}
	strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
	{
		return FALSE;
	}
	if (connect(c->fd, (struct sockaddr*)&addr, sizeof(addr)) < 0)
	{
		conn_close(c);
		return FALSE;
	}
	return TRUE;
}

static bool conn_write(conn_t *c, const char *data, size_t len)
{
	ssize_t n;

	while (len)
	{
		n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n < 0)
		{
			if (errno == EINTR)
			{
				continue;
			}
			return FALSE;
		}
		data += n;
		len -= n;
	}
	return TRUE;
}

/**
 * Read one line (without the newline, NUL-terminated in c->buf; its length in
 * *len). Lines of an earlier call are consumed first. wake: an extra fd that
 * ends the wait (-1: none).
 *
 * @return	1 a line, 0 timeout/woken, -1 EOF or error
 */
static int conn_read_line(conn_t *c, int timeout_ms, int wake, size_t *len,
						  size_t *consumed)
{
	int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	struct pollfd pfd[2];
	char *nl;
	ssize_t n;
	int wait;

	/* drop the previous line */
	if (*consumed)
	{
		memmove(c->buf, c->buf + *consumed, c->len - *consumed);
		c->len -= *consumed;
		*consumed = 0;
	}
	while (TRUE)
	{
		nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl)
		{
			*nl = '\0';
			*len = nl - c->buf;
			*consumed = *len + 1;
			return 1;
		}
		if (c->len >= MAX_LINE)
		{
			DBG1(DBG_KNL, "uipsecd sent a line longer than %d bytes", MAX_LINE);
			return -1;
		}
		if (c->cap - c->len < 4096)
		{
			c->cap = max(c->cap * 2, (size_t)65536);
			c->buf = realloc(c->buf, c->cap);
		}
		wait = -1;
		if (timeout_ms >= 0)
		{
			wait = deadline - now_ms();
			if (wait <= 0)
			{
				return 0;
			}
		}
		pfd[0] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = wake, .events = POLLIN };
		if (poll(pfd, wake >= 0 ? 2 : 1, wait) < 0)
		{
			if (errno == EINTR)
			{
				continue;
			}
			return -1;
		}
		if (wake >= 0 && pfd[1].revents)
		{
			return 0;
		}
		if (!pfd[0].revents)
		{
			continue;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
		{
			continue;
		}
		if (n <= 0)
		{
			return -1;
		}
		c->len += n;
	}
}

/* ------------------------------------------------------------ the client */

typedef struct private_uipsec_ctl_t private_uipsec_ctl_t;

struct private_uipsec_ctl_t {

	/** public interface */
	uipsec_ctl_t public;

	/** control socket path */
	char *path;

	/** owner name */
	char *owner;

	/** command connection */
	conn_t cmd;

	/** bytes of cmd.buf consumed by the last line */
	size_t cmd_consumed;

	/** serializes requests */
	mutex_t *mutex;

	/** next request id */
	uint64_t next_id;

	/** status lock */
	mutex_t *status_lock;

	/** last status */
	ctl_daemon_status_t status;

	/** callbacks */
	ctl_event_cb_t event_cb;
	ctl_connected_cb_t connected_cb;
	void *user;

	/** event thread */
	thread_t *thread;

	/** pipe that stops the event thread */
	int stop[2];

	/** TRUE once the command connection failed (log once) */
	bool cmd_down_logged;

	/** TRUE once this owner's leftovers were flushed */
	bool flushed;
};

/** send one request and read its reply; the mutex is held */
static ctl_status_t do_request(private_uipsec_ctl_t *this, const char *cmd,
							   ctl_args_t *args, JsonObject **result,
							   char *err, size_t errlen, bool *retry)
{
	char head[128];
	ctl_args_t *line;
	JsonObject *reply, *e;
	ctl_status_t status = CTL_IO;
	uint64_t id = this->next_id++;
	const char *code, *msg;
	size_t len;
	int rc;

	*retry = FALSE;
	if (this->cmd.fd < 0)
	{
		if (!conn_open(&this->cmd, this->path))
		{
			if (!this->cmd_down_logged)
			{
				DBG1(DBG_KNL, "uipsecd control socket %s: %s", this->path,
					 strerror(errno));
				this->cmd_down_logged = TRUE;
			}
			snprintf(err, errlen, "uipsecd not reachable");
			return CTL_IO;
		}
		if (this->cmd_down_logged)
		{
			DBG1(DBG_KNL, "uipsecd control socket %s connected", this->path);
			this->cmd_down_logged = FALSE;
		}
		this->cmd_consumed = 0;
		if (!this->flushed)
		{	/* the first connection of this charon: remove what a crashed
			 * predecessor left behind (flush by owner) */
			ctl_args_t *fargs = ctl_args_create();
			JsonObject *fres = NULL;
			char ferr[256];
			bool fretry;

			this->flushed = TRUE;
			ctl_args_str(fargs, "owner", this->owner);
			if (do_request(this, "flush", fargs, &fres, ferr, sizeof(ferr),
						   &fretry) == CTL_OK)
			{
				DBG1(DBG_KNL, "kernel-uipsec: flushed owner '%s' in uipsecd "
					 "(%" PRId64 " SAs, %" PRId64 " policies left over)",
					 this->owner, ctl_json_int(fres, "sas", 0),
					 ctl_json_int(fres, "policies", 0));
			}
			else
			{
				DBG1(DBG_KNL, "kernel-uipsec: flush of owner '%s' failed: %s",
					 this->owner, ferr);
				this->flushed = FALSE;
			}
			if (fres)
			{
				json_object_unref(fres);
			}
			ctl_args_destroy(fargs);
			if (this->cmd.fd < 0)
			{
				snprintf(err, errlen, "connection to uipsecd lost");
				return CTL_IO;
			}
		}
	}
	/* the line, built in a wiped buffer: args may hold keys */
	line = ctl_args_create();
	snprintf(head, sizeof(head), "{\"v\":2,\"id\":%" PRIu64 ",\"cmd\":", id);
	line->len = 0;
	args_raw(line, head, strlen(head));
	args_quoted(line, cmd);
	args_raw(line, ",\"args\":", 8);
	if (args)
	{
		const char *a = ctl_args_json(args);
		args_raw(line, a, strlen(a));
	}
	else
	{
		args_raw(line, "{}", 2);
	}
	args_raw(line, "}\n", 2);
	if (!conn_write(&this->cmd, line->buf, line->len))
	{
		ctl_args_destroy(line);
		conn_close(&this->cmd);
		*retry = TRUE;
		snprintf(err, errlen, "write to uipsecd failed");
		return CTL_IO;
	}
	ctl_args_destroy(line);

	while (TRUE)
	{
		rc = conn_read_line(&this->cmd, UIPSEC_CTL_TIMEOUT_MS, -1, &len,
							&this->cmd_consumed);
		if (rc <= 0)
		{
			if (rc == 0)
			{
				DBG1(DBG_KNL, "uipsecd: no reply to '%s' within %d ms", cmd,
					 UIPSEC_CTL_TIMEOUT_MS);
				snprintf(err, errlen, "timeout");
			}
			else
			{	/* EOF: uipsecd closed the idle connection or restarted */
				*retry = TRUE;
				snprintf(err, errlen, "connection to uipsecd lost");
			}
			/* a late reply would be taken for the next request's */
			conn_close(&this->cmd);
			return CTL_IO;
		}
		reply = parse_line(this->cmd.buf, len);
		if (!reply)
		{
			DBG1(DBG_KNL, "uipsecd sent a line that is not a JSON object");
			conn_close(&this->cmd);
			snprintf(err, errlen, "garbage from uipsecd");
			return CTL_IO;
		}
		if (json_object_has_member(reply, "event") ||
			ctl_json_int(reply, "id", -1) != (int64_t)id)
		{	/* not ours (a late reply or an event): skip */
			json_object_unref(reply);
			continue;
		}
		break;
	}
	if (json_object_has_member(reply, "ok") &&
		json_object_get_boolean_member(reply, "ok"))
	{
		status = CTL_OK;
		if (result)
		{
			*result = NULL;
			if (json_object_has_member(reply, "result") &&
				JSON_NODE_HOLDS_OBJECT(json_object_get_member(reply, "result")))
			{
				*result = json_object_ref(
							json_object_get_object_member(reply, "result"));
			}
		}
	}
	else
	{
		status = CTL_ERROR;
		e = NULL;
		if (json_object_has_member(reply, "error") &&
			JSON_NODE_HOLDS_OBJECT(json_object_get_member(reply, "error")))
		{
			e = json_object_get_object_member(reply, "error");
		}
		code = ctl_json_str(e, "code");
		msg = ctl_json_str(e, "message");
		snprintf(err, errlen, "%s: %s", code ?: "failed", msg ?: "");
	}
	json_object_unref(reply);
	return status;
}

METHOD(uipsec_ctl_t, request, ctl_status_t,
	private_uipsec_ctl_t *this, const char *cmd, ctl_args_t *args,
	JsonObject **result, char *err, size_t errlen)
{
	char buf[256];
	ctl_status_t status;
	bool retry;

	if (!err)
	{
		err = buf;
		errlen = sizeof(buf);
	}
	err[0] = '\0';
	if (result)
	{
		*result = NULL;
	}
	this->mutex->lock(this->mutex);
	status = do_request(this, cmd, args, result, err, errlen, &retry);
	if (status == CTL_IO && retry)
	{	/* the idle timeout closed it, or uipsecd restarted: once more */
		DBG2(DBG_KNL, "kernel-uipsec: %s, reconnecting for '%s'", err, cmd);
		status = do_request(this, cmd, args, result, err, errlen, &retry);
	}
	this->mutex->unlock(this->mutex);
	return status;
}

/** read status into this->status; returns the old one in *old */
static bool read_status(private_uipsec_ctl_t *this, ctl_daemon_status_t *old,
						ctl_daemon_status_t *now)
{
	JsonObject *res;
	const char *tun;
	char err[256];

	if (request(this, "status", NULL, &res, err, sizeof(err)) != CTL_OK ||
		!res)
	{
		DBG1(DBG_KNL, "uipsecd status failed: %s", err);
		return FALSE;
	}
	memset(now, 0, sizeof(*now));
	now->pid = ctl_json_int(res, "pid", 0);
	now->started = ctl_json_int(res, "started", 0);
	now->protocol = ctl_json_int(res, "protocol", 1);
	now->fwmark = ctl_json_int(res, "fwmark", 0);
	now->port = ctl_json_int(res, "port", 0);
	now->raw_esp = ctl_json_int(res, "raw_esp", TRUE) != 0;
	tun = ctl_json_str(res, "tun");
	snprintf(now->tun, sizeof(now->tun), "%s", tun ?: "");
	json_object_unref(res);

	this->status_lock->lock(this->status_lock);
	if (old)
	{
		*old = this->status;
	}
	this->status = *now;
	this->status_lock->unlock(this->status_lock);
	return TRUE;
}

METHOD(uipsec_ctl_t, probe, bool,
	private_uipsec_ctl_t *this)
{
	ctl_daemon_status_t now;

	return read_status(this, NULL, &now);
}

METHOD(uipsec_ctl_t, get_status, void,
	private_uipsec_ctl_t *this, ctl_daemon_status_t *st)
{
	this->status_lock->lock(this->status_lock);
	*st = this->status;
	this->status_lock->unlock(this->status_lock);
}

METHOD(uipsec_ctl_t, get_owner, const char*,
	private_uipsec_ctl_t *this)
{
	return this->owner;
}

METHOD(uipsec_ctl_t, set_callbacks, void,
	private_uipsec_ctl_t *this, ctl_event_cb_t event,
	ctl_connected_cb_t connected, void *user)
{
	this->event_cb = event;
	this->connected_cb = connected;
	this->user = user;
}

/** wait up to secs seconds or until stopped; TRUE if stopped */
static bool wait_stop(private_uipsec_ctl_t *this, int secs)
{
	struct pollfd pfd = { .fd = this->stop[0], .events = POLLIN };

	return poll(&pfd, 1, secs * 1000) > 0;
}

/** subscribe on a fresh event connection */
static bool subscribe(private_uipsec_ctl_t *this, conn_t *c, size_t *consumed)
{
	static const char req[] = "{\"v\":2,\"id\":1,\"cmd\":\"subscribe\",\"args\":"
		"{\"events\":[\"expire-soft\",\"expire-hard\",\"acquire\",\"mapping\"]}}\n";
	JsonObject *reply;
	size_t len;
	bool ok;

	if (!conn_write(c, req, strlen(req)) ||
		conn_read_line(c, UIPSEC_CTL_TIMEOUT_MS, this->stop[0], &len,
					   consumed) != 1)
	{
		return FALSE;
	}
	reply = parse_line(c->buf, len);
	ok = reply && json_object_has_member(reply, "ok") &&
		 json_object_get_boolean_member(reply, "ok");
	if (reply)
	{
		json_object_unref(reply);
	}
	return ok;
}

static void dispatch(private_uipsec_ctl_t *this, const char *line, size_t len)
{
	JsonObject *o, *data = NULL;
	const char *event;

	o = parse_line(line, len);
	if (!o)
	{
		DBG1(DBG_KNL, "uipsecd sent an event line that is not JSON");
		return;
	}
	event = ctl_json_str(o, "event");
	if (json_object_has_member(o, "data") &&
		JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "data")))
	{
		data = json_object_get_object_member(o, "data");
	}
	if (event && data && this->event_cb)
	{
		this->event_cb(this->user, event, data);
	}
	json_object_unref(o);
}

static void *event_main(private_uipsec_ctl_t *this)
{
	conn_t c = { .fd = -1 };
	ctl_daemon_status_t old, now;
	size_t consumed = 0, len;
	int backoff = BACKOFF_MIN, rc;
	bool logged = FALSE, first;

	while (TRUE)
	{
		consumed = 0;
		if (!conn_open(&c, this->path) || !subscribe(this, &c, &consumed))
		{
			if (!logged)
			{
				DBG1(DBG_KNL, "uipsecd not reachable at %s, retrying (%d s .. "
					 "%d s)", this->path, BACKOFF_MIN, BACKOFF_MAX);
				logged = TRUE;
			}
			conn_close(&c);
			if (wait_stop(this, backoff))
			{
				break;
			}
			backoff = min(backoff * 2, BACKOFF_MAX);
			continue;
		}
		backoff = BACKOFF_MIN;
		logged = FALSE;
		if (!read_status(this, &old, &now))
		{
			conn_close(&c);
			if (wait_stop(this, backoff))
			{
				break;
			}
			continue;
		}
		first = old.pid == 0 && old.started == 0;
		DBG1(DBG_KNL, "uipsecd %" PRId64 " (protocol %" PRId64 ", tun %s, "
			 "port %u, fwmark 0x%x, %s) connected, events subscribed",
			 now.pid, now.protocol, now.tun, now.port, now.fwmark,
			 now.raw_esp ? "plain ESP and ESP in UDP"
						 : "ESP in UDP only (no raw ESP socket)");
		if (now.protocol < 2)
		{
			DBG1(DBG_KNL, "uipsecd speaks control protocol %" PRId64 ", "
				 "kernel-uipsec needs 2", now.protocol);
		}
		if (this->connected_cb)
		{
			this->connected_cb(this->user, first,
							   !first && (old.pid != now.pid ||
										  old.started != now.started), &now);
		}
		while (TRUE)
		{
			rc = conn_read_line(&c, -1, this->stop[0], &len, &consumed);
			if (rc == 1)
			{
				dispatch(this, c.buf, len);
				continue;
			}
			break;
		}
		if (rc == 0)
		{	/* stopped */
			break;
		}
		DBG1(DBG_KNL, "uipsecd closed the event connection, reconnecting");
		conn_close(&c);
	}
	conn_close(&c);
	free(c.buf);
	return NULL;
}

METHOD(uipsec_ctl_t, start, void,
	private_uipsec_ctl_t *this)
{
	if (!this->thread)
	{
		this->thread = thread_create((thread_main_t)event_main, this);
		if (!this->thread)
		{
			DBG1(DBG_KNL, "kernel-uipsec: creating the event thread failed");
		}
	}
}

METHOD(uipsec_ctl_t, destroy, void,
	private_uipsec_ctl_t *this)
{
	char c = 'x';

	if (this->thread)
	{
		ignore_result(write(this->stop[1], &c, 1));
		this->thread->join(this->thread);
	}
	close(this->stop[0]);
	close(this->stop[1]);
	conn_close(&this->cmd);
	free(this->cmd.buf);
	this->mutex->destroy(this->mutex);
	this->status_lock->destroy(this->status_lock);
	free(this->path);
	free(this->owner);
	free(this);
}

/** uipsecd's owner names: 1-32 of [A-Za-z0-9._-], not its own ones */
static bool owner_valid(const char *owner)
{
	size_t i, n = strlen(owner);

	if (n < 1 || n > 32 || streq(owner, "config") || streq(owner, "control"))
	{
		return FALSE;
	}
	for (i = 0; i < n; i++)
	{
		if (!isalnum((unsigned char)owner[i]) && !strchr("._-", owner[i]))
		{
			return FALSE;
		}
	}
	return TRUE;
}

uipsec_ctl_t *uipsec_ctl_create(void)
{
	private_uipsec_ctl_t *this;
	char *path;

	INIT(this,
		.public = {
			.request = _request,
			.set_callbacks = _set_callbacks,
			.start = _start,
			.get_status = _get_status,
			.probe = _probe,
			.get_owner = _get_owner,
			.destroy = _destroy,
		},
		.cmd = { .fd = -1 },
		.next_id = 1,
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
		.status_lock = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	path = lib->settings->get_str(lib->settings,
						"%s.plugins.kernel-uipsec.socket",
						"/run/uipsec/uipsecd.sock", lib->ns);
	if (strpfx(path, "unix://"))
	{
		path += strlen("unix://");
	}
	this->path = strdup(path);
	this->owner = strdup(lib->settings->get_str(lib->settings,
						"%s.plugins.kernel-uipsec.owner", "charon", lib->ns));
	if (!owner_valid(this->owner))
	{
		DBG1(DBG_KNL, "kernel-uipsec: owner '%s' is not 1-32 letters, digits, "
			 "'.', '-', '_' (or is uipsecd's 'config'/'control'): using "
			 "'charon'", this->owner);
		free(this->owner);
		this->owner = strdup("charon");
	}
	if (pipe2(this->stop, O_CLOEXEC) < 0)
	{
		DBG1(DBG_KNL, "kernel-uipsec: pipe: %s", strerror(errno));
		this->stop[0] = this->stop[1] = -1;
	}
	return &this->public;
}
