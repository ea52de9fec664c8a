/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecctl's side of the control socket: connect, send a JSON-lines
 * request, read the reply (docs/control-protocol.md), and the error exits. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uipsec/common.h>
#include "os/sockfd.h"
#include "control/control_proto.h"
#include "ctl/ctl.h"

static void vreport(const char *fmt, va_list ap, const char *suffix) G_GNUC_PRINTF(1, 0);
static void vreport(const char *fmt, va_list ap, const char *suffix)
{
	fputs("uipsecctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(suffix, stderr);
}

int die_unreachable(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap, "\n");
	va_end(ap);
	return EXIT_UNREACHABLE;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(fmt, ap, " (see uipsecctl --help)\n");
	va_end(ap);
	return EXIT_USAGE;
}

int conn_open(conn_t *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(ctl_opt.socket) >= sizeof(sun.sun_path))
		return die_unreachable("socket path too long: %s", ctl_opt.socket);
	strcpy(sun.sun_path, ctl_opt.socket);
	c->fd = os_socket(AF_UNIX, SOCK_STREAM, 0, false);
	if (c->fd < 0)
		return die_unreachable("socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(c->fd);
		return die_unreachable("cannot reach uipsecd at %s: %s%s", ctl_opt.socket, strerror(e),
		                       e == ENOENT || e == ECONNREFUSED ? " (is uipsecd running?)" : "");
	}
	c->in = g_string_new(NULL);
	return EXIT_OK;
}

void conn_close(conn_t *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->in) {
		uipsec_memwipe(c->in->str, c->in->allocated_len);
		g_string_free(c->in, TRUE);
	}
}

static bool send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Next line from the daemon (without the newline); NULL on EOF, error or
 * timeout (timeout_ms < 0 waits forever). */
char *conn_read_line(conn_t *c, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(c->in->str, '\n', c->in->len);
		if (nl) {
			char *line = g_strndup(c->in->str, (gsize)(nl - c->in->str));
			g_string_erase(c->in, 0, nl - c->in->str + 1);
			return line;
		}
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int rc = poll(&pfd, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			return NULL;
		if (rc <= 0) {
			if (rc == 0)
				fprintf(stderr, "uipsecctl: no answer from uipsecd within %d ms\n", timeout_ms);
			return NULL;
		}
		char buf[65536];
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		g_string_append_len(c->in, buf, n);
	}
}

JsonNode *parse_json(const char *line)
{
	JsonParser *p = json_parser_new();
	JsonNode *root = NULL;
	if (json_parser_load_from_data(p, line, -1, NULL) && json_parser_get_root(p))
		root = json_node_copy(json_parser_get_root(p));
	g_object_unref(p);
	return root;
}

char *to_json(JsonNode *n, bool pretty)
{
	JsonGenerator *g = json_generator_new();
	json_generator_set_root(g, n);
	json_generator_set_pretty(g, pretty);
	char *s = json_generator_to_data(g, NULL);
	g_object_unref(g);
	return s;
}

/* Reply checks: an error object means the daemon refused (exit 1). */
int reply_status(JsonNode *reply, JsonNode **result)
{
	if (!reply || !JSON_NODE_HOLDS_OBJECT(reply))
		return die_unreachable("malformed reply from uipsecd");
	JsonObject *o = json_node_get_object(reply);
	if (json_object_has_member(o, "error")) {
		JsonNode *e = json_object_get_member(o, "error");
		const char *code = "error", *msg = "";
		if (JSON_NODE_HOLDS_OBJECT(e)) {
			JsonObject *eo = json_node_get_object(e);
			code = json_object_get_string_member_with_default(eo, "code", code);
			msg = json_object_get_string_member_with_default(eo, "message", msg);
		}
		fprintf(stderr, "uipsecctl: uipsecd refused: %s (%s)\n", msg, code);
		return EXIT_REFUSED;
	}
	*result = json_object_get_member(o, "result");
	return EXIT_OK;
}

bool conn_send_request(conn_t *c, const char *id, const char *cmd, JsonObject *args)
{
	JsonObject *req = json_object_new();
	json_object_set_int_member(req, "v", CONTROL_PROTO_VERSION);
	if (id)
		json_object_set_string_member(req, "id", id);
	else
		json_object_set_int_member(req, "id", 1);
	json_object_set_string_member(req, "cmd", cmd);
	if (args)
		json_object_set_object_member(req, "args", args);
	JsonNode *root = json_node_init_object(json_node_alloc(), req);
	json_object_unref(req);
	char *line = to_json(root, false);
	json_node_unref(root);
	size_t len = strlen(line);
	bool sent = send_all(c->fd, line, len) && send_all(c->fd, "\n", 1);
	int send_errno = errno;
	uipsec_memwipe(line, len);   /* may hold keys */
	g_free(line);
	errno = send_errno;
	return sent;
}

/* One request, one reply. args is consumed. */
int call(const char *cmd, JsonObject *args, JsonNode **reply_out)
{
	conn_t c = { .fd = -1 };
	int rc = conn_open(&c);
	if (rc) {
		if (args)
			json_object_unref(args);
		return rc;
	}
	bool sent = conn_send_request(&c, NULL, cmd, args);
	int send_errno = errno;
	/* a refusing daemon answers and closes at once: its answer may be
	 * waiting even though our request could not be sent */
	char *answer = conn_read_line(&c, sent ? ctl_opt.timeout_ms : 1000);
	if (!sent && !answer) {
		conn_close(&c);
		return die_unreachable("cannot send to uipsecd: %s", strerror(send_errno));
	}
	conn_close(&c);
	if (!answer)
		return die_unreachable("uipsecd closed the connection without answering");
	*reply_out = parse_json(answer);
	g_free(answer);
	if (!*reply_out)
		return die_unreachable("malformed reply from uipsecd");
	return EXIT_OK;
}
