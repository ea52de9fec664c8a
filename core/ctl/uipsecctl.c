/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecctl: drive and observe a running uipsecd over its control socket
 * (docs/control-protocol.md, uipsecctl(8)). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <json-glib/json-glib.h>
#include "control/control_proto.h"
#include "util/hex.h"
#include "config/settings_parser.h"

#define DEFAULT_SOCKET "/run/uipsec/uipsecd.sock"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

typedef struct options {
	const char *socket;
	bool json;
	bool prometheus;
	int timeout_ms;
} options_t;

static options_t opt;

/* ------------------------------------------------------------ connection */

typedef struct conn {
	int fd;
	GString *in;
} conn_t;

static int die_unreachable(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die_unreachable(const char *fmt, ...)
{
	va_list ap;
	fputs("uipsecctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_UNREACHABLE;
}

static int conn_open(conn_t *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(opt.socket) >= sizeof(sun.sun_path))
		return die_unreachable("socket path too long: %s", opt.socket);
	strcpy(sun.sun_path, opt.socket);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return die_unreachable("socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(c->fd);
		return die_unreachable("cannot reach uipsecd at %s: %s%s", opt.socket, strerror(e),
		                       e == ENOENT || e == ECONNREFUSED ? " (is uipsecd running?)" : "");
	}
	c->in = g_string_new(NULL);
	return EXIT_OK;
}

static void conn_close(conn_t *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->in) {
		explicit_bzero(c->in->str, c->in->allocated_len);
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
static char *conn_read_line(conn_t *c, int timeout_ms)
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

static JsonNode *parse_json(const char *line)
{
	JsonParser *p = json_parser_new();
	JsonNode *root = NULL;
	if (json_parser_load_from_data(p, line, -1, NULL) && json_parser_get_root(p))
		root = json_node_copy(json_parser_get_root(p));
	g_object_unref(p);
	return root;
}

static char *to_json(JsonNode *n, bool pretty)
{
	JsonGenerator *g = json_generator_new();
	json_generator_set_root(g, n);
	json_generator_set_pretty(g, pretty);
	char *s = json_generator_to_data(g, NULL);
	g_object_unref(g);
	return s;
}

/* Reply checks: an error object means the daemon refused (exit 1). */
static int reply_status(JsonNode *reply, JsonNode **result)
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

/* One request, one reply. args is consumed. */
static int call(const char *cmd, JsonObject *args, JsonNode **reply_out)
{
	conn_t c = { .fd = -1 };
	int rc = conn_open(&c);
	if (rc) {
		if (args)
			json_object_unref(args);
		return rc;
	}
	JsonObject *req = json_object_new();
	json_object_set_int_member(req, "v", CONTROL_PROTO_VERSION);
	json_object_set_int_member(req, "id", 1);
	json_object_set_string_member(req, "cmd", cmd);
	if (args)
		json_object_set_object_member(req, "args", args);
	JsonNode *root = json_node_init_object(json_node_alloc(), req);
	json_object_unref(req);
	char *line = to_json(root, false);
	json_node_unref(root);
	size_t len = strlen(line);
	bool sent = send_all(c.fd, line, len) && send_all(c.fd, "\n", 1);
	int send_errno = errno;
	explicit_bzero(line, len);   /* may hold keys */
	g_free(line);
	/* a refusing daemon answers and closes at once: its answer may be
	 * waiting even though our request could not be sent */
	char *answer = conn_read_line(&c, sent ? opt.timeout_ms : 1000);
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

/* ------------------------------------------------------------ output */

static void print_json(JsonNode *n)
{
	char *s = to_json(n, true);
	puts(s);
	g_free(s);
}

/* Text of a member for tables: strings as they are, numbers in decimal. */
static char *member_text(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);
	if (!n || JSON_NODE_HOLDS_NULL(n))
		return g_strdup("-");
	if (JSON_NODE_HOLDS_ARRAY(n)) {
		GString *s = g_string_new(NULL);
		JsonArray *a = json_node_get_array(n);
		for (guint i = 0; i < json_array_get_length(a); i++) {
			char *t = NULL;
			JsonNode *e = json_array_get_element(a, i);
			if (JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING)
				t = g_strdup(json_node_get_string(e));
			else
				t = to_json(e, false);
			g_string_append_printf(s, "%s%s", i ? "," : "", t);
			g_free(t);
		}
		return g_string_free(s, s->len == 0) ?: g_strdup("-");
	}
	if (!JSON_NODE_HOLDS_VALUE(n))
		return to_json(n, false);
	switch (json_node_get_value_type(n)) {
	case G_TYPE_STRING: return g_strdup(*json_node_get_string(n) ? json_node_get_string(n) : "-");
	case G_TYPE_INT64: return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
	case G_TYPE_BOOLEAN: return g_strdup(json_node_get_boolean(n) ? "yes" : "no");
	default: return g_strdup_printf("%g", json_node_get_double(n));
	}
}

typedef char *(*cell_fn)(JsonObject *row, const char *member);

typedef struct column {
	const char *header;
	const char *member;
	cell_fn format;      /* NULL = member_text */
} column_t;

static char *fmt_hex(JsonObject *row, const char *member)
{
	gint64 v = json_object_get_int_member_with_default(row, member, 0);
	return g_strdup_printf("0x%08" G_GINT64_MODIFIER "x", v);
}

/* seconds left: -1 = unlimited */
static char *fmt_left(JsonObject *row, const char *member)
{
	gint64 v = json_object_get_int_member_with_default(row, member, -1);
	if (v < 0)
		return g_strdup("-");
	return g_strdup_printf("%" G_GINT64_FORMAT "s", v);
}

/* unix time -> "12s ago" */
static char *fmt_ago(JsonObject *row, const char *member)
{
	gint64 v = json_object_get_int_member_with_default(row, member, 0);
	if (v <= 0)
		return g_strdup("never");
	gint64 d = (gint64)time(NULL) - v;
	return g_strdup_printf("%" G_GINT64_FORMAT "s ago", d < 0 ? 0 : d);
}

static char *fmt_endpoint(JsonObject *row, const char *member)
{
	char *addr = member_text(row, member);
	char port_member[32];
	snprintf(port_member, sizeof(port_member), "%s_port", member);
	gint64 port = json_object_get_int_member_with_default(row, port_member, 0);
	char *s = port ? g_strdup_printf(strchr(addr, ':') ? "[%s]:%" G_GINT64_FORMAT : "%s:%" G_GINT64_FORMAT,
	                                 addr, port)
	               : g_strdup(addr);
	g_free(addr);
	return s;
}

static void print_table(JsonArray *rows, const column_t *cols)
{
	size_t ncol = 0;
	while (cols[ncol].header)
		ncol++;
	guint nrow = json_array_get_length(rows);
	char ***cells = g_new0(char **, nrow);
	size_t *width = g_new0(size_t, ncol);
	for (size_t c = 0; c < ncol; c++)
		width[c] = strlen(cols[c].header);
	for (guint r = 0; r < nrow; r++) {
		JsonNode *n = json_array_get_element(rows, r);
		cells[r] = g_new0(char *, ncol);
		for (size_t c = 0; c < ncol; c++) {
			if (!JSON_NODE_HOLDS_OBJECT(n))
				cells[r][c] = g_strdup("?");
			else
				cells[r][c] = (cols[c].format ? cols[c].format : member_text)(json_node_get_object(n),
				                                                              cols[c].member);
			width[c] = MAX(width[c], strlen(cells[r][c]));
		}
	}
	for (size_t c = 0; c < ncol; c++)
		printf("%-*s%s", c + 1 < ncol ? (int)width[c] : 0, cols[c].header, c + 1 < ncol ? "  " : "\n");
	for (guint r = 0; r < nrow; r++) {
		for (size_t c = 0; c < ncol; c++) {
			printf("%-*s%s", c + 1 < ncol ? (int)width[c] : 0, cells[r][c], c + 1 < ncol ? "  " : "\n");
			g_free(cells[r][c]);
		}
		g_free(cells[r]);
	}
	g_free(cells);
	g_free(width);
}

/* Print "key: value" for every member of an object (status, reload). */
static void print_object(JsonObject *o, int indent)
{
	GList *names = json_object_get_members(o);
	for (GList *l = names; l; l = l->next) {
		JsonNode *n = json_object_get_member(o, l->data);
		if (JSON_NODE_HOLDS_OBJECT(n)) {
			printf("%*s%s:\n", indent, "", (const char *)l->data);
			print_object(json_node_get_object(n), indent + 2);
		} else {
			char *t = member_text(o, l->data);
			printf("%*s%-16s %s\n", indent, "", (const char *)l->data, t);
			g_free(t);
		}
	}
	g_list_free(names);
}

static JsonArray *result_array(JsonNode *result, const char *member)
{
	if (result && JSON_NODE_HOLDS_ARRAY(result))
		return json_node_get_array(result);
	if (result && JSON_NODE_HOLDS_OBJECT(result)) {
		JsonNode *n = json_object_get_member(json_node_get_object(result), member);
		if (n && JSON_NODE_HOLDS_ARRAY(n))
			return json_node_get_array(n);
	}
	return NULL;
}

/* ------------------------------------------------------------ listings */

/* An inbound SA's check: its selectors "src>dst[proto]", or the mode. */
static char *fmt_inbound(JsonObject *row, const char *member)
{
	const char *mode = json_object_get_string_member_with_default(row, member, "");
	JsonArray *sels = json_object_has_member(row, "selectors") ? json_object_get_array_member(row, "selectors") : NULL;
	if (!*mode)
		return g_strdup("-");
	if (strcmp(mode, "selectors") != 0 || !sels)
		return g_strdup(mode);
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < json_array_get_length(sels); i++) {
		JsonObject *o = json_array_get_object_element(sels, i);
		char *proto = member_text(o, "proto"), *sport = member_text(o, "sport"), *dport = member_text(o, "dport");
		g_string_append_printf(s, "%s%s>%s", i ? "," : "", json_object_get_string_member_with_default(o, "src", "?"),
		                       json_object_get_string_member_with_default(o, "dst", "?"));
		if (strcmp(proto, "any") || strcmp(sport, "any") || strcmp(dport, "any"))
			g_string_append_printf(s, "[%s/%s/%s]", proto, sport, dport);
		g_free(proto);
		g_free(sport);
		g_free(dport);
	}
	return g_string_free(s, FALSE);
}

static const column_t sa_columns[] = {
	{ "SPI", "spi", fmt_hex },
	{ "DIR", "direction", NULL },
	{ "TUNNEL", "tunnel", NULL },
	{ "SRC", "src", fmt_endpoint },
	{ "DST", "dst", fmt_endpoint },
	{ "ESP", "esp", NULL },
	{ "REQID", "reqid", NULL },
	{ "BYTES", "bytes", NULL },
	{ "PACKETS", "packets", NULL },
	{ "LAST USE", "last_use", fmt_ago },
	{ "LIFE LEFT", "time_left", fmt_left },
	{ "STATE", "state", NULL },
	{ "INBOUND CHECK", "inbound_check", fmt_inbound },
	{ NULL, NULL, NULL },
};

static const column_t policy_columns[] = {
	{ "ID", "id", NULL },
	{ "DIR", "dir", NULL },
	{ "SRC", "src", NULL },
	{ "DST", "dst", NULL },
	{ "PROTO", "proto", NULL },
	{ "SPORT", "sport", NULL },
	{ "DPORT", "dport", NULL },
	{ "ACTION", "action", NULL },
	{ "PRIORITY", "priority", NULL },
	{ "REQID", "reqid", NULL },
	{ "TUNNEL", "tunnel", NULL },
	{ NULL, NULL, NULL },
};

static const column_t tunnel_columns[] = {
	{ "NAME", "name", NULL },
	{ "STATE", "state", NULL },
	{ "LOCAL", "local", fmt_endpoint },
	{ "REMOTE", "remote", fmt_endpoint },
	{ "REQID", "reqid", NULL },
	{ "ESP", "esp", NULL },
	{ "SPI IN", "spi_in", fmt_hex },
	{ "SPI OUT", "spi_out", fmt_hex },
	{ NULL, NULL, NULL },
};

static const column_t feature_columns[] = {
	{ "FEATURE", "feature", NULL },
	{ "PROVIDER", "plugin", NULL },
	{ "PRIORITY", "priority", NULL },
	{ "SELECTED", "selected", NULL },
	{ NULL, NULL, NULL },
};

typedef struct listing {
	const char *cmd;
	const char *member;      /* array inside the result */
	const column_t *columns;
	const char *empty;
} listing_t;

static const listing_t listings[] = {
	{ "list-sas", "sas", sa_columns, "no SAs installed" },
	{ "list-policies", "policies", policy_columns, "no policies installed" },
	{ "list-tunnels", "tunnels", tunnel_columns, "no tunnels configured" },
};

static int run_listing(const listing_t *l)
{
	JsonNode *reply = NULL, *result = NULL;
	int rc = call(l->cmd, NULL, &reply);
	if (!rc)
		rc = reply_status(reply, &result);
	if (!rc) {
		JsonArray *rows = result_array(result, l->member);
		if (opt.json) {
			if (rows) {
				JsonNode *n = json_node_init_array(json_node_alloc(), rows);
				print_json(n);
				json_node_unref(n);
			} else {
				print_json(result);
			}
		} else if (!rows || json_array_get_length(rows) == 0) {
			puts(l->empty);
		} else {
			print_table(rows, l->columns);
		}
	}
	if (reply)
		json_node_unref(reply);
	return rc;
}

/* ------------------------------------------------------------ stats */

/* HELP texts for the Prometheus exposition; names are SPEC.md's. */
static const struct {
	const char *name;
	const char *help;
} stat_help[] = {
	{ "rx_packets", "ESP packets decapsulated and delivered" },
	{ "tx_packets", "ESP packets built and sent" },
	{ "rx_bytes", "Inner bytes delivered from ESP packets" },
	{ "tx_bytes", "Inner bytes encapsulated into ESP packets" },
	{ "auth_failed", "ESP packets whose ICV did not verify" },
	{ "replay_dropped", "ESP packets dropped as replayed or too old" },
	{ "bad_spi", "ESP packets for an unknown SPI" },
	{ "malformed", "Malformed packets dropped" },
	{ "policy_dropped", "Packets dropped by policy" },
	{ "no_sa", "Packets dropped for lack of an SA" },
	{ "keepalive_rx", "NAT keepalives received" },
	{ "ike_rx", "Non-ESP (IKE) packets received on the ESP-in-UDP port" },
	{ "queue_dropped", "Packets dropped because a data-path queue was full" },
	{ "icmp_suppressed", "ICMP too-big replies not sent because of the rate limit" },
};

static const char *help_of(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(stat_help); i++)
		if (strcmp(stat_help[i].name, name) == 0)
			return stat_help[i].help;
	return NULL;
}

/* Prometheus metric names: [a-zA-Z_:][a-zA-Z0-9_:]* */
static char *metric_name(const char *name)
{
	char *m = g_strdup_printf("uipsec_%s_total", name);
	for (char *p = m; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '_')
			*p = '_';
	return m;
}

static void print_prometheus(JsonObject *o)
{
	GList *names = json_object_get_members(o);
	for (GList *l = names; l; l = l->next) {
		JsonNode *n = json_object_get_member(o, l->data);
		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
			continue;
		char *m = metric_name(l->data);
		const char *help = help_of(l->data);
		printf("# HELP %s %s\n", m, help ? help : (const char *)l->data);
		printf("# TYPE %s counter\n", m);
		printf("%s %" G_GINT64_FORMAT "\n", m, json_node_get_int(n));
		g_free(m);
	}
	g_list_free(names);
}

static int cmd_stats(void)
{
	JsonNode *reply = NULL, *result = NULL;
	int rc = call("stats", NULL, &reply);
	if (!rc)
		rc = reply_status(reply, &result);
	if (!rc) {
		if (!JSON_NODE_HOLDS_OBJECT(result))
			rc = die_unreachable("malformed stats reply");
		else if (opt.prometheus)
			print_prometheus(json_node_get_object(result));
		else if (opt.json)
			print_json(result);
		else
			print_object(json_node_get_object(result), 0);
	}
	if (reply)
		json_node_unref(reply);
	return rc;
}

/* ------------------------------------------------------------ plain commands */

static int simple(const char *cmd, JsonObject *args, void (*show)(JsonNode *result))
{
	JsonNode *reply = NULL, *result = NULL;
	int rc = call(cmd, args, &reply);
	if (!rc)
		rc = reply_status(reply, &result);
	if (!rc) {
		if (opt.json)
			print_json(result);
		else if (show)
			show(result);
	}
	if (reply)
		json_node_unref(reply);
	return rc;
}

static void show_object(JsonNode *result)
{
	if (result && JSON_NODE_HOLDS_OBJECT(result))
		print_object(json_node_get_object(result), 0);
}

static void show_plugins(JsonNode *result)
{
	JsonArray *plugins = result_array(result, "plugins");
	if (plugins) {
		printf("loaded plugins:");
		for (guint i = 0; i < json_array_get_length(plugins); i++) {
			JsonNode *n = json_array_get_element(plugins, i);
			if (JSON_NODE_HOLDS_OBJECT(n))
				printf(" %s", json_object_get_string_member_with_default(json_node_get_object(n), "name", "?"));
			else if (json_node_get_value_type(n) == G_TYPE_STRING)
				printf(" %s", json_node_get_string(n));
		}
		printf("\n\n");
	}
	JsonArray *features = result_array(result, "features");
	if (features)
		print_table(features, feature_columns);
}

static void show_ok(JsonNode *result)
{
	(void)result;
}

/* ------------------------------------------------------------ ip-xfrm style arguments */

typedef enum arg_kind {
	ARG_STR,      /* copied as a string */
	ARG_NUM,      /* number (decimal or 0x) */
	ARG_FLAG,     /* no value: sets true */
	ARG_LIST,     /* comma-separated strings, repeatable: appended to an array */
	ARG_IGNORE,   /* accepted for ip-xfrm familiarity, value checked against 'only' */
} arg_kind_t;

typedef struct arg_spec {
	const char *word;        /* command-line keyword */
	const char *member;      /* request member */
	arg_kind_t kind;
	const char *only;        /* ARG_IGNORE: the one value accepted */
} arg_spec_t;

static const arg_spec_t sa_args[] = {
	{ "src", "src", ARG_STR, NULL },
	{ "dst", "dst", ARG_STR, NULL },
	{ "proto", NULL, ARG_IGNORE, "esp" },
	{ "mode", NULL, ARG_IGNORE, "tunnel" },
	{ "spi", "spi", ARG_NUM, NULL },
	{ "dir", "direction", ARG_STR, NULL },
	{ "esp", "esp", ARG_STR, NULL },
	{ "key", "key", ARG_STR, NULL },
	{ "integ-key", "integ_key", ARG_STR, NULL },
	{ "reqid", "reqid", ARG_NUM, NULL },
	{ "replay-window", "replay_window", ARG_NUM, NULL },
	{ "sport", "sport", ARG_NUM, NULL },
	{ "dport", "dport", ARG_NUM, NULL },
	{ "tunnel", "tunnel", ARG_STR, NULL },
	{ "esn", "esn", ARG_FLAG, NULL },
	{ "local-ts", "local_ts", ARG_LIST, NULL },
	{ "remote-ts", "remote_ts", ARG_LIST, NULL },
	{ "any", "any", ARG_FLAG, NULL },
	/* ip xfrm: limit time-soft N time-hard N byte-soft N ... */
	{ "time-soft", "soft_time", ARG_NUM, NULL },
	{ "time-hard", "hard_time", ARG_NUM, NULL },
	{ "byte-soft", "soft_bytes", ARG_NUM, NULL },
	{ "byte-hard", "hard_bytes", ARG_NUM, NULL },
	{ "packet-soft", "soft_packets", ARG_NUM, NULL },
	{ "packet-hard", "hard_packets", ARG_NUM, NULL },
	{ NULL, NULL, 0, NULL },
};

static const arg_spec_t sa_del_args[] = {
	{ "src", "src", ARG_STR, NULL },
	{ "dst", "dst", ARG_STR, NULL },
	{ "proto", NULL, ARG_IGNORE, "esp" },
	{ "spi", "spi", ARG_NUM, NULL },
	{ "dir", "direction", ARG_STR, NULL },
	{ NULL, NULL, 0, NULL },
};

static const arg_spec_t policy_args[] = {
	{ "src", "src", ARG_STR, NULL },
	{ "dst", "dst", ARG_STR, NULL },
	{ "proto", "proto", ARG_STR, NULL },
	{ "sport", "sport", ARG_NUM, NULL },
	{ "dport", "dport", ARG_NUM, NULL },
	{ "dir", "dir", ARG_STR, NULL },
	{ "action", "action", ARG_STR, NULL },
	{ "priority", "priority", ARG_NUM, NULL },
	{ "reqid", "reqid", ARG_NUM, NULL },
	{ "spi", "spi", ARG_NUM, NULL },
	{ NULL, NULL, 0, NULL },
};

static const arg_spec_t policy_del_args[] = {
	{ "id", "id", ARG_NUM, NULL },
	{ "src", "src", ARG_STR, NULL },
	{ "dst", "dst", ARG_STR, NULL },
	{ "proto", "proto", ARG_STR, NULL },
	{ "sport", "sport", ARG_NUM, NULL },
	{ "dport", "dport", ARG_NUM, NULL },
	{ "dir", "dir", ARG_STR, NULL },
	{ NULL, NULL, 0, NULL },
};

/* Inside "tmpl ...": the SA template of ip xfrm policy. Only spi and reqid
 * say something to uipsecd (the SA carries its own endpoints). */
static const arg_spec_t tmpl_args[] = {
	{ "src", NULL, ARG_IGNORE, NULL },
	{ "dst", NULL, ARG_IGNORE, NULL },
	{ "proto", NULL, ARG_IGNORE, "esp" },
	{ "mode", NULL, ARG_IGNORE, "tunnel" },
	{ "spi", "spi", ARG_NUM, NULL },
	{ "reqid", "reqid", ARG_NUM, NULL },
	{ NULL, NULL, 0, NULL },
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("uipsecctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see uipsecctl --help)\n", stderr);
	return EXIT_USAGE;
}

static const arg_spec_t *find_arg(const arg_spec_t *t, const char *word)
{
	for (; t->word; t++)
		if (strcmp(t->word, word) == 0)
			return t;
	return NULL;
}

static bool set_number(JsonObject *o, const char *member, const char *text)
{
	char *end;
	errno = 0;
	if (!*text || *text == '-')
		return false;
	guint64 v = g_ascii_strtoull(text, &end, 0);
	if (errno || *end || v > G_MAXINT64)
		return false;
	json_object_set_int_member(o, member, (gint64)v);
	return true;
}

/* ip xfrm "aead ALGO KEY ICV-BITS" / "enc ALGO KEY" + "auth-trunc ALGO KEY BITS":
 * the Linux crypto names translated to strongSwan keywords by key size. */
typedef struct xfrm_alg {
	const char *linux_name;
	const char *kind;       /* "aead", "enc", "auth" */
	int bits;               /* key bits (without salt) or ICV bits for aead; 0 = any */
	const char *keyword;    /* aead: full keyword; enc/auth: the part before/after '-' */
} xfrm_alg_t;

static const xfrm_alg_t xfrm_algs[] = {
	{ "rfc4106(gcm(aes))", "aead", 128, "gcm16" },
	{ "rfc4106(gcm(aes))", "aead", 96, "gcm12" },
	{ "rfc4106(gcm(aes))", "aead", 64, "gcm8" },
	{ "rfc4309(ccm(aes))", "aead", 128, "ccm16" },
	{ "rfc4309(ccm(aes))", "aead", 96, "ccm12" },
	{ "rfc4309(ccm(aes))", "aead", 64, "ccm8" },
	{ "rfc4543(gcm(aes))", "aead", 128, "gmac" },
	{ "rfc7539esp(chacha20,poly1305)", "aead", 128, "chacha20poly1305" },
	{ "cbc(aes)", "enc", 0, "" },
	{ "rfc3686(ctr(aes))", "enc", 0, "ctr" },
	{ "ecb(cipher_null)", "enc", 0, "null" },
	{ "hmac(sha1)", "auth", 0, "sha1" },
	{ "hmac(sha256)", "auth", 0, "sha256" },
	{ "hmac(sha384)", "auth", 0, "sha384" },
	{ "hmac(sha512)", "auth", 0, "sha512" },
};

/* Decoded length of a key argument; 0 (and a usage message) when it is
 * not a key the daemon would take. */
static size_t key_bytes(const char *kind, const char *key)
{
	uint8_t buf[CONTROL_KEY_MAX];
	size_t n;
	hex_status_t st = hex_decode(key, buf, sizeof(buf), &n);
	uipsec_memwipe(buf, sizeof(buf));
	if (st != HEX_OK)
		usage_error("%s key %s (at most %d bytes)", kind, hex_status_str(st), CONTROL_KEY_MAX);
	return n;
}

typedef struct xfrm_state {
	char enc[32], auth[16];
} xfrm_state_t;

/* Consumes ALGO KEY [BITS] after "aead"/"enc"/"auth"/"auth-trunc". */
static int parse_xfrm_alg(JsonObject *o, xfrm_state_t *xs, const char *kind, char **argv, int argc, int *i)
{
	bool with_bits = strcmp(kind, "aead") == 0 || strcmp(kind, "auth-trunc") == 0;
	int need = with_bits ? 3 : 2;
	if (*i + need >= argc + 1)
		return usage_error("'%s' needs ALGO KEY%s", kind, with_bits ? " BITS" : "");
	const char *name = argv[*i], *key = argv[*i + 1];
	int bits = with_bits ? atoi(argv[*i + 2]) : 0;
	const char *k = strcmp(kind, "auth-trunc") == 0 ? "auth" : kind;
	*i += need;
	for (size_t a = 0; a < G_N_ELEMENTS(xfrm_algs); a++) {
		const xfrm_alg_t *x = &xfrm_algs[a];
		if (strcmp(x->linux_name, name) || strcmp(x->kind, k))
			continue;
		if (strcmp(k, "aead") == 0) {
			if (x->bits != bits)
				continue;
			size_t kb = key_bytes(kind, key), salt = strstr(name, "ccm") ? 3 : 4;
			if (kb <= salt)
				return kb ? usage_error("aead key too short for '%s'", name) : EXIT_USAGE;
			if (strstr(name, "chacha"))
				g_strlcpy(xs->enc, x->keyword, sizeof(xs->enc));
			else  /* AES key bits: key minus salt (4 bytes GCM/GMAC, 3 CCM) */
				snprintf(xs->enc, sizeof(xs->enc), "aes%zu%s", (kb - salt) * 8, x->keyword);
			json_object_set_string_member(o, "key", key);
		} else if (strcmp(k, "enc") == 0) {
			size_t kb = 0, nonce = strstr(name, "ctr") ? 4 : 0;
			if (strcmp(x->keyword, "null") == 0)
				g_strlcpy(xs->enc, "null", sizeof(xs->enc));
			else if ((kb = key_bytes(kind, key)) <= nonce)
				return kb ? usage_error("enc key too short for '%s'", name) : EXIT_USAGE;
			else
				snprintf(xs->enc, sizeof(xs->enc), "aes%zu%s", (kb - nonce) * 8, x->keyword);
			json_object_set_string_member(o, "key", key);
		} else {
			if (!key_bytes(kind, key))
				return EXIT_USAGE;
			g_strlcpy(xs->auth, x->keyword, sizeof(xs->auth));
			json_object_set_string_member(o, "integ_key", key);
		}
		return EXIT_OK;
	}
	return usage_error("unknown %s algorithm '%s'%s", kind, name, with_bits ? " with that ICV length" : "");
}

/* Keyword/value pairs into a request object. */
static int parse_args(const arg_spec_t *spec, char **argv, int argc, JsonObject *o, bool allow_xfrm)
{
	xfrm_state_t xs = { "", "" };
	for (int i = 0; i < argc;) {
		const char *w = argv[i];
		if (strcmp(w, "limit") == 0 || strcmp(w, "flag") == 0) {
			i++;               /* ip-xfrm noise words: "limit time-soft 10", "flag esn" */
			continue;
		}
		if (strcmp(w, "encap") == 0) {
			/* encap espinudp SPORT DPORT [OADDR] */
			if (i + 3 >= argc + 0 || strcmp(argv[i + 1], "espinudp"))
				return usage_error("'encap' takes: espinudp SPORT DPORT");
			if (!set_number(o, "sport", argv[i + 2]) || !set_number(o, "dport", argv[i + 3]))
				return usage_error("'encap espinudp' ports must be numbers");
			i += 4;
			if (i < argc && control_parse_addr(argv[i], &(uipsec_addr_t){ 0 }))
				i++;
			continue;
		}
		if (strcmp(w, "tmpl") == 0 && spec == policy_args) {
			/* the rest belongs to the template */
			i++;
			while (i < argc) {
				const arg_spec_t *t = find_arg(tmpl_args, argv[i]);
				if (!t)
					return usage_error("unknown tmpl argument '%s'", argv[i]);
				if (i + 1 >= argc)
					return usage_error("tmpl '%s' needs a value", argv[i]);
				if (t->kind == ARG_IGNORE && t->only && strcmp(argv[i + 1], t->only))
					return usage_error("tmpl %s must be '%s'", t->word, t->only);
				if (t->member && !set_number(o, t->member, argv[i + 1]))
					return usage_error("tmpl %s: '%s' is not a number", t->word, argv[i + 1]);
				i += 2;
			}
			continue;
		}
		if (allow_xfrm && (strcmp(w, "aead") == 0 || strcmp(w, "enc") == 0 ||
		                   strcmp(w, "auth") == 0 || strcmp(w, "auth-trunc") == 0)) {
			i++;
			int rc = parse_xfrm_alg(o, &xs, w, argv, argc, &i);
			if (rc)
				return rc;
			continue;
		}
		const arg_spec_t *a = find_arg(spec, w);
		if (!a)
			return usage_error("unknown argument '%s'", w);
		if (a->kind == ARG_FLAG) {
			json_object_set_boolean_member(o, a->member, TRUE);
			i++;
			continue;
		}
		if (i + 1 >= argc)
			return usage_error("'%s' needs a value", w);
		const char *v = argv[i + 1];
		i += 2;
		switch (a->kind) {
		case ARG_STR:
			json_object_set_string_member(o, a->member, v);
			break;
		case ARG_NUM:
			if (!set_number(o, a->member, v))
				return usage_error("%s: '%s' is not a number", w, v);
			break;
		case ARG_LIST: {
			JsonArray *arr = json_object_has_member(o, a->member) ? json_object_get_array_member(o, a->member)
			                                                      : NULL;
			if (!arr) {
				arr = json_array_new();
				json_object_set_array_member(o, a->member, arr);
			}
			char **parts = g_strsplit(v, ",", -1);
			for (char **p = parts; *p; p++)
				json_array_add_string_element(arr, *p);
			g_strfreev(parts);
			break;
		}
		case ARG_IGNORE:
			if (a->only && strcmp(v, a->only))
				return usage_error("%s must be '%s'", w, a->only);
			break;
		case ARG_FLAG:
			break;
		}
	}
	if (xs.enc[0] && !json_object_has_member(o, "esp")) {
		char *kw = xs.auth[0] ? g_strdup_printf("%s-%s", xs.enc, xs.auth) : g_strdup(xs.enc);
		json_object_set_string_member(o, "esp", kw);
		g_free(kw);
	}
	return EXIT_OK;
}

/* Bytes read from a key file, more than any key file needs. */
#define KEY_FILE_MAX 4096

static int key_file_error(const char *path, const char *what)
{
	fprintf(stderr, "uipsecctl: --key-file %s: %s\n", path, what);
	return EXIT_USAGE;
}

/* --key-file FILE or - (stdin): "key = 0x.." and optionally
 * "integ_key = 0x.." lines, the syntax of a tunnel's key_file, so keys
 * stay out of argv (and /proc/PID/cmdline). Like a key_file, a file
 * readable by group or others is refused. */
static int load_key_file(const char *path, JsonObject *o)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "(stdin)" : path;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return key_file_error(path, g_strerror(errno));
	GError *err = NULL;
	int rc = EXIT_OK;
	char buf[KEY_FILE_MAX + 1];
	size_t len = 0;
	if (!settings_check_private(fd, name, NULL, "--key-file", &err)) {
		fprintf(stderr, "uipsecctl: %s\n", err->message);
		g_clear_error(&err);
		rc = EXIT_USAGE;
		goto out;
	}
	for (ssize_t n; len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0;) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = key_file_error(name, g_strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (len > KEY_FILE_MAX) {
		rc = key_file_error(name, "longer than " G_STRINGIFY(KEY_FILE_MAX) " bytes");
		goto out;
	}
	buf[len] = '\0';
	uipsec_settings_t *ks = settings_new();
	if (!settings_load_string(ks, buf, name, &err)) {
		fprintf(stderr, "uipsecctl: --key-file %s\n", err->message);
		g_clear_error(&err);
		rc = EXIT_USAGE;
	}
	/* the setting names are the request members */
	static const char *const members[] = { "key", "integ_key" };
	char **keys = uipsec_settings_keys(ks, NULL), **sections = uipsec_settings_sections(ks, NULL);
	for (char **k = keys; !rc && *k; k++)
		if (!g_strv_contains(members, *k))
			rc = key_file_error(name, "only 'key' and 'integ_key' may be set");
	if (!rc && sections[0])
		rc = key_file_error(name, "only 'key' and 'integ_key' may be set");
	if (!rc && !uipsec_settings_get_str(ks, "key", NULL))
		rc = key_file_error(name, "no 'key ='");
	for (size_t i = 0; !rc && i < G_N_ELEMENTS(members); i++) {
		const char *v = uipsec_settings_get_str(ks, members[i], NULL);
		if (!v)
			continue;
		if (json_object_has_member(o, members[i])) {
			rc = usage_error("%s is given both on the command line and in --key-file", members[i]);
			break;
		}
		uint8_t key[CONTROL_KEY_MAX];
		size_t n;
		hex_status_t st = hex_decode(v, key, sizeof(key), &n);
		uipsec_memwipe(key, sizeof(key));
		if (st != HEX_OK) {
			fprintf(stderr, "uipsecctl: --key-file %s: %s %s (at most %d bytes)\n",
			        uipsec_settings_origin(ks, members[i]), members[i], hex_status_str(st), CONTROL_KEY_MAX);
			rc = EXIT_USAGE;
			break;
		}
		json_object_set_string_member(o, members[i], v);
	}
	g_strfreev(keys);
	g_strfreev(sections);
	settings_free(ks);
out:
	uipsec_memwipe(buf, sizeof(buf));
	if (!is_stdin)
		close(fd);
	return rc;
}

static int cmd_with_args(const char *cmd, const arg_spec_t *spec, bool xfrm, char **argv, int argc)
{
	/* "--key-file F" may stand anywhere among the SA arguments */
	const char *key_file = NULL;
	char **args = g_new0(char *, (size_t)argc + 1);
	int nargs = 0;
	for (int i = 0; i < argc; i++) {
		if (spec == sa_args && strcmp(argv[i], "--key-file") == 0) {
			if (i + 1 >= argc || key_file) {
				g_free(args);
				return usage_error("--key-file needs one FILE (or - for stdin)");
			}
			key_file = argv[++i];
		} else {
			args[nargs++] = argv[i];
		}
	}
	JsonObject *o = json_object_new();
	int rc = parse_args(spec, args, nargs, o, xfrm);
	g_free(args);
	if (!rc && key_file)
		rc = load_key_file(key_file, o);
	if (rc) {
		json_object_unref(o);
		return rc;
	}
	return simple(cmd, o, show_ok);
}

/* ------------------------------------------------------------ monitor */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void show_event(JsonNode *ev)
{
	if (opt.json) {
		char *s = to_json(ev, false);
		puts(s);
		g_free(s);
		fflush(stdout);
		return;
	}
	JsonObject *o = json_node_get_object(ev);
	time_t t = (time_t)json_object_get_int_member_with_default(o, "time", 0);
	char ts[32];
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", localtime(&t));
	printf("%s %-12s", ts, json_object_get_string_member_with_default(o, "event", "?"));
	JsonNode *d = json_object_get_member(o, "data");
	if (d && JSON_NODE_HOLDS_OBJECT(d)) {
		JsonObject *data = json_node_get_object(d);
		GList *names = json_object_get_members(data);
		for (GList *l = names; l; l = l->next) {
			char *v = strcmp(l->data, "spi") == 0 ? fmt_hex(data, l->data) : member_text(data, l->data);
			printf(" %s=%s", (const char *)l->data, v);
			g_free(v);
		}
		g_list_free(names);
	}
	putchar('\n');
	fflush(stdout);
}

static int cmd_monitor(char **argv, int argc)
{
	conn_t c = { .fd = -1 };
	JsonObject *args = json_object_new();
	if (argc) {
		JsonArray *events = json_array_new();
		for (int i = 0; i < argc; i++)
			json_array_add_string_element(events, argv[i]);
		json_object_set_array_member(args, "events", events);
	}
	int rc = conn_open(&c);
	if (rc) {
		json_object_unref(args);
		return rc;
	}
	JsonObject *req = json_object_new();
	json_object_set_int_member(req, "v", CONTROL_PROTO_VERSION);
	json_object_set_string_member(req, "id", "monitor");
	json_object_set_string_member(req, "cmd", "subscribe");
	json_object_set_object_member(req, "args", args);
	JsonNode *root = json_node_init_object(json_node_alloc(), req);
	json_object_unref(req);
	char *line = to_json(root, false);
	json_node_unref(root);
	bool sent = send_all(c.fd, line, strlen(line)) && send_all(c.fd, "\n", 1);
	g_free(line);
	if (!sent) {
		conn_close(&c);
		return die_unreachable("cannot send to uipsecd");
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	char *answer = conn_read_line(&c, opt.timeout_ms);
	JsonNode *reply = answer ? parse_json(answer) : NULL, *result = NULL;
	g_free(answer);
	rc = answer ? reply_status(reply, &result) : die_unreachable("no answer to subscribe");
	if (reply)
		json_node_unref(reply);
	if (!opt.json && !rc) {
		fprintf(stderr, "monitoring uipsecd events (Ctrl-C to stop)\n");
	}
	while (!rc && !interrupted) {
		char *ev = conn_read_line(&c, -1);
		if (!ev) {
			if (!interrupted)
				rc = die_unreachable("uipsecd closed the connection");
			break;
		}
		JsonNode *n = parse_json(ev);
		g_free(ev);
		if (n && JSON_NODE_HOLDS_OBJECT(n))
			show_event(n);
		if (n)
			json_node_unref(n);
	}
	conn_close(&c);
	return rc;
}

/* ------------------------------------------------------------ commands */

static const char usage_text[] =
	"usage: uipsecctl [--socket PATH] [--json] [--timeout SECONDS] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  status                      daemon version, uptime, plugins, TUN device, threads\n"
	"  plugins                     loaded plugins, features, provider of each algorithm\n"
	"  list-sas                    installed SAs with counters and lifetime left\n"
	"  list-policies               installed policies\n"
	"  list-tunnels                configured tunnels and their state\n"
	"  stats [--prometheus]        global counters\n"
	"  up NAME | down NAME         install / remove a configured tunnel\n"
	"  add-sa SA-ARGS              install an SA\n"
	"  update-sa SA-ARGS           replace an installed SA (same spi and dir) atomically;\n"
	"                              the same keys continue its sequence numbers\n"
	"  del-sa spi SPI dir in|out [dst ADDR]\n"
	"  add-policy POLICY-ARGS      install a policy\n"
	"  del-policy id ID | del-policy src PREFIX dst PREFIX dir DIR [proto P sport N dport N]\n"
	"  reload                      re-read the configuration\n"
	"  monitor [EVENT...]          print events until interrupted\n"
	"  log-level LEVEL [SUBSYSTEM] error, warn, info, debug or trace\n"
	"\n"
	"SA-ARGS (as ip xfrm state):\n"
	"  src ADDR dst ADDR [proto esp] spi SPI dir in|out [mode tunnel] [reqid N]\n"
	"  esp KEYWORD key HEX [integ-key HEX]    (strongSwan proposal, e.g. aes128gcm16)\n"
	"   or esp KEYWORD --key-file FILE|-      (key = 0x.. / integ_key = 0x.. lines, mode 0600)\n"
	"   or aead rfc4106(gcm(aes)) HEX 128 | enc cbc(aes) HEX auth-trunc hmac(sha256) HEX 128\n"
	"  [encap espinudp SPORT DPORT] [replay-window N] [flag esn] [tunnel LABEL]\n"
	"  [local-ts TS[,TS...] remote-ts TS[,TS...] | any]   inner traffic a dir in SA accepts\n"
	"   (TS as local_ts in a tunnel, e.g. 10.1.0.0/24[tcp/443]; neither = the dir in policies\n"
	"   with the SA's reqid)\n"
	"  [limit time-soft S time-hard S byte-soft N byte-hard N packet-soft N packet-hard N]\n"
	"\n"
	"POLICY-ARGS (as ip xfrm policy):\n"
	"  src PREFIX dst PREFIX [proto tcp|udp|icmp|N] [sport N] [dport N] dir in|out|fwd\n"
	"  [action protect|bypass|drop|trap] [priority N] [tmpl [src A dst B proto esp mode tunnel] reqid N | spi SPI]\n"
	"\n"
	"socket: --socket, else $UIPSEC_SOCKET, else " DEFAULT_SOCKET "\n"
	"exit status: 0 ok, 1 refused by uipsecd, 2 usage error, 3 uipsecd not reachable\n";

static int run(const char *cmd, char **argv, int argc)
{
	typedef enum { NONE, ONE, ANY } arity_t;
	static const struct {
		const char *name;
		arity_t args;
	} arity[] = {
		{ "status", NONE }, { "plugins", NONE }, { "list-sas", NONE }, { "list-policies", NONE },
		{ "list-tunnels", NONE }, { "stats", NONE }, { "reload", NONE }, { "up", ONE }, { "down", ONE },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(arity); i++) {
		if (strcmp(arity[i].name, cmd))
			continue;
		if (arity[i].args == NONE && argc)
			return usage_error("%s takes no arguments", cmd);
		if (arity[i].args == ONE && argc != 1)
			return usage_error("%s takes one argument: the tunnel name", cmd);
	}
	if (opt.prometheus && strcmp(cmd, "stats"))
		return usage_error("--prometheus goes with stats");

	for (size_t i = 0; i < G_N_ELEMENTS(listings); i++)
		if (strcmp(listings[i].cmd, cmd) == 0)
			return run_listing(&listings[i]);
	if (strcmp(cmd, "status") == 0)
		return simple("status", NULL, show_object);
	if (strcmp(cmd, "plugins") == 0)
		return simple("plugins", NULL, show_plugins);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats();
	if (strcmp(cmd, "reload") == 0)
		return simple("reload", NULL, show_object);
	if (strcmp(cmd, "up") == 0 || strcmp(cmd, "down") == 0) {
		JsonObject *o = json_object_new();
		json_object_set_string_member(o, "name", argv[0]);
		return simple(cmd, o, show_ok);
	}
	if (strcmp(cmd, "add-sa") == 0 || strcmp(cmd, "update-sa") == 0)
		return cmd_with_args(cmd, sa_args, true, argv, argc);
	if (strcmp(cmd, "del-sa") == 0)
		return cmd_with_args(cmd, sa_del_args, false, argv, argc);
	if (strcmp(cmd, "add-policy") == 0)
		return cmd_with_args(cmd, policy_args, false, argv, argc);
	if (strcmp(cmd, "del-policy") == 0)
		return cmd_with_args(cmd, policy_del_args, false, argv, argc);
	if (strcmp(cmd, "monitor") == 0)
		return cmd_monitor(argv, argc);
	if (strcmp(cmd, "log-level") == 0) {
		if (argc < 1 || argc > 2)
			return usage_error("log-level takes LEVEL [SUBSYSTEM]");
		JsonObject *o = json_object_new();
		json_object_set_string_member(o, "level", argv[0]);
		if (argc == 2)
			json_object_set_string_member(o, "subsystem", argv[1]);
		return simple("log-level", o, show_ok);
	}
	return usage_error("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
	char **rest = g_new0(char *, argc + 1);
	int nrest = 0;
	const char *cmd = NULL;

	opt.socket = g_getenv("UIPSEC_SOCKET");
	opt.timeout_ms = 30000;
	/* global options may appear anywhere, so "uipsecctl list-sas --json" works */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
			opt.json = true;
		} else if (strcmp(a, "--prometheus") == 0) {
			opt.prometheus = true;
		} else if (strcmp(a, "--socket") == 0 || strcmp(a, "-s") == 0 || strcmp(a, "--timeout") == 0) {
			if (i + 1 >= argc) {
				g_free(rest);
				return usage_error("%s needs a value", a);
			}
			if (a[2] == 't') {
				char *end;
				double t = g_ascii_strtod(argv[++i], &end);
				if (*end || t <= 0 || t > 86400) {
					g_free(rest);
					return usage_error("--timeout takes seconds");
				}
				opt.timeout_ms = (int)(t * 1000);
			} else {
				opt.socket = argv[++i];
			}
		} else if (strncmp(a, "--socket=", 9) == 0) {
			opt.socket = a + 9;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			g_free(rest);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("uipsecctl %s (control protocol %d)\n", PACKAGE_VERSION, CONTROL_PROTO_VERSION);
			g_free(rest);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1] == '-' && !cmd) {
			g_free(rest);
			return usage_error("unknown option '%s'", a);
		} else if (!cmd) {
			cmd = a;
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (!opt.socket || !*opt.socket)
		opt.socket = DEFAULT_SOCKET;
	int rc;
	if (!cmd) {
		fputs(usage_text, stderr);
		rc = EXIT_USAGE;
	} else {
		rc = run(cmd, rest, nrest);
	}
	g_free(rest);
	return rc;
}
