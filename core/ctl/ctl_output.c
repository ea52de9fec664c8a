/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecctl's output: replies as JSON, tables, "key value" lists, the
 * Prometheus exposition of stats (global, per tunnel, per SA), and event
 * lines of monitor. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "ctl/ctl.h"

void print_json(JsonNode *n)
{
	char *s = to_json(n, true);
	puts(s);
	g_free(s);
}

/* Text of a member for tables: strings as they are, numbers in decimal. */
char *member_text(JsonObject *o, const char *name)
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


char *fmt_hex(JsonObject *row, const char *member)
{
	gint64 v = json_object_get_int_member_with_default(row, member, 0);
	return g_strdup_printf("0x%08" G_GINT64_MODIFIER "x", v);
}

/* seconds left: -1 = unlimited */
char *fmt_left(JsonObject *row, const char *member)
{
	gint64 v = json_object_get_int_member_with_default(row, member, -1);
	if (v < 0)
		return g_strdup("-");
	return g_strdup_printf("%" G_GINT64_FORMAT "s", v);
}

/* unix time -> "12s ago" */
char *fmt_ago(JsonObject *row, const char *member)
{
	gint64 v = json_object_get_int_member_with_default(row, member, 0);
	if (v <= 0)
		return g_strdup("never");
	gint64 d = (gint64)time(NULL) - v;
	return g_strdup_printf("%" G_GINT64_FORMAT "s ago", d < 0 ? 0 : d);
}

char *fmt_endpoint(JsonObject *row, const char *member)
{
	char *addr = member_text(row, member);
	char port_member[32];
	snprintf(port_member, sizeof(port_member), "%s_port", member);
	/* raw ESP (encap none) has no port to show */
	gint64 port = g_strcmp0(json_object_get_string_member_with_default(row, "encap", "udp"), "none") == 0
	                  ? 0 : json_object_get_int_member_with_default(row, port_member, 0);
	char *s = port ? g_strdup_printf(strchr(addr, ':') ? "[%s]:%" G_GINT64_FORMAT : "%s:%" G_GINT64_FORMAT,
	                                 addr, port)
	               : g_strdup(addr);
	g_free(addr);
	return s;
}

void print_table(JsonArray *rows, const column_t *cols)
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
void print_object(JsonObject *o, int indent)
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

JsonArray *result_array(JsonNode *result, const char *member)
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

/* An inbound SA's check: its selectors "src>dst[proto]", or the mode. */
char *fmt_inbound(JsonObject *row, const char *member)
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
	{ "ike_relay_dropped", "IKE datagrams the relay could not pass on (IKE daemon not keeping up)" },
	{ "ike_relay_malformed", "Frames from the IKE daemon rejected by the relay" },
	{ "encap_mismatch", "ESP packets that arrived in UDP for a raw ESP SA or as raw ESP for a UDP SA" },
	{ "raw_esp_rx", "IP protocol 50 packets read from the raw ESP sockets" },
	{ "raw_esp_tx", "ESP packets sent as IP protocol 50 (SAs with encap none)" },
	{ "tun_down", "Times a TUN device of the daemon was set down from outside" },
	{ "tun_lost", "TUN devices of the daemon deleted from outside (or failing reads)" },
	{ "routes_reinstalled", "Routes, rules and virtual IPs removed by someone else and reinstalled" },
	{ "net_events_lost", "Network notification overruns (netlink ENOBUFS) that forced a full re-check" },
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

/* A label value in the exposition format: \\, \" and \n escaped. */
static void put_label_value(GString *s, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			g_string_append_c(s, '\\');
		if (*v == '\n')
			g_string_append(s, "\\n");
		else
			g_string_append_c(s, *v);
	}
}

static void put_label(GString *s, const char *name, const char *value)
{
	g_string_append_printf(s, "%s%s=\"", s->len > 1 ? "," : "", name);
	put_label_value(s, value);
	g_string_append_c(s, '"');
}

/* One metric family: HELP and TYPE once, before its first sample (none
 * without samples). */
typedef struct family {
	const char *name;
	const char *type;
	const char *help;
	bool started;
} family_t;

static void put_sample(family_t *f, const char *labels, gint64 value)
{
	if (!f->started) {
		printf("# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
		f->started = true;
	}
	printf("%s%s %" G_GINT64_FORMAT "\n", f->name, labels, value);
}

static void print_counters(JsonObject *o)
{
	GList *names = json_object_get_members(o);
	for (GList *l = names; l; l = l->next) {
		JsonNode *n = json_object_get_member(o, l->data);
		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
			continue;
		char *m = metric_name(l->data);
		const char *help = help_of(l->data);
		family_t f = { m, "counter", help ? help : (const char *)l->data, false };
		put_sample(&f, "", json_node_get_int(n));
		g_free(m);
	}
	g_list_free(names);
}

/* {tunnel="..."} of a list-tunnels row */
static char *tunnel_labels(JsonObject *t)
{
	GString *s = g_string_new("{");
	put_label(s, "tunnel", json_object_get_string_member_with_default(t, "name", ""));
	g_string_append_c(s, '}');
	return g_string_free(s, FALSE);
}

/* {tunnel, spi, direction, owner, peer} of a list-sas row: an outbound SPI
 * is chosen by the peer, so two peers' SAs may share one (peer tells them
 * apart) */
static char *sa_labels(JsonObject *sa)
{
	GString *s = g_string_new("{");
	char *spi = fmt_hex(sa, "spi");
	put_label(s, "tunnel", json_object_get_string_member_with_default(sa, "tunnel", ""));
	put_label(s, "spi", spi);
	put_label(s, "direction", json_object_get_string_member_with_default(sa, "direction", ""));
	put_label(s, "owner", json_object_get_string_member_with_default(sa, "owner", ""));
	put_label(s, "peer", json_object_get_string_member_with_default(sa, "peer", ""));
	g_string_append_c(s, '}');
	g_free(spi);
	return g_string_free(s, FALSE);
}

/* Per-SA series from list-sas members; min: samples below it are left out
 * (-1 = unlimited lifetime, 0 = never used). */
static const struct sa_series {
	const char *member;
	gint64 min;
	family_t family;
} sa_series[] = {
	{ "bytes", 0, { "uipsec_sa_bytes_total", "counter", "Inner bytes protected (out) or delivered (in) by the SA", false } },
	{ "packets", 0, { "uipsec_sa_packets_total", "counter", "Packets protected (out) or delivered (in) by the SA", false } },
	{ "auth_failed", 0, { "uipsec_sa_auth_failed_total", "counter", "ESP packets for the SA whose ICV did not verify", false } },
	{ "replay_dropped", 0, { "uipsec_sa_replay_dropped_total", "counter", "ESP packets for the SA dropped as replayed or too old", false } },
	{ "policy_dropped", 0, { "uipsec_sa_policy_dropped_total", "counter", "Decrypted packets the SA's inbound check dropped", false } },
	{ "time_left", 0, { "uipsec_sa_lifetime_remaining_seconds", "gauge", "Seconds until the SA's hard lifetime (absent: unlimited)", false } },
	{ "last_use", 1, { "uipsec_sa_last_use_timestamp_seconds", "gauge", "Unix time the SA last carried a packet (absent: never)", false } },
	{ "added", 1, { "uipsec_sa_added_timestamp_seconds", "gauge", "Unix time the SA was installed", false } },
};

void print_prometheus(JsonObject *stats, JsonArray *tunnels, JsonArray *sas)
{
	print_counters(stats);
	family_t up = { "uipsec_tunnel_up", "gauge", "1 when the configured tunnel is up (its SAs installed), else 0", false };
	for (guint i = 0; tunnels && i < json_array_get_length(tunnels); i++) {
		JsonNode *n = json_array_get_element(tunnels, i);
		if (!JSON_NODE_HOLDS_OBJECT(n))
			continue;
		JsonObject *t = json_node_get_object(n);
		char *labels = tunnel_labels(t);
		put_sample(&up, labels, strcmp(json_object_get_string_member_with_default(t, "state", ""), "up") == 0);
		g_free(labels);
	}
	guint nsa = sas ? json_array_get_length(sas) : 0;
	char **labels = g_new0(char *, nsa + 1);
	for (guint i = 0; i < nsa; i++) {
		JsonNode *n = json_array_get_element(sas, i);
		labels[i] = JSON_NODE_HOLDS_OBJECT(n) ? sa_labels(json_node_get_object(n)) : NULL;
	}
	/* family by family: the exposition format wants each one's samples together */
	for (size_t k = 0; k < G_N_ELEMENTS(sa_series); k++) {
		family_t f = sa_series[k].family;
		for (guint i = 0; i < nsa; i++) {
			JsonObject *sa = labels[i] ? json_array_get_object_element(sas, i) : NULL;
			JsonNode *v = sa ? json_object_get_member(sa, sa_series[k].member) : NULL;
			if (v && JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_INT64 &&
			    json_node_get_int(v) >= sa_series[k].min)
				put_sample(&f, labels[i], json_node_get_int(v));
		}
	}
	for (guint i = 0; i < nsa; i++)
		g_free(labels[i]);
	g_free(labels);
}

void print_event(JsonNode *ev)
{
	if (ctl_opt.json) {
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
