/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control protocol request arguments: typed access to the members of
 * "args" (numbers, strings, booleans, enums, keys, addresses, selectors)
 * and the checks each implies. A failure fills the reply's error, so a
 * handler just returns false; see control_args.h. */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "control/control_args.h"
#include "util/hex.h"
#include "util/ip.h"

bool control_fail(control_reply_t *r, const char *code, const char *fmt, ...)
{
	va_list ap;
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	/* a name cut by "%.64s" or by the buffer may end inside a UTF-8
	 * sequence: the reply must stay UTF-8 (found by fuzz-control) */
	const char *bad;
	while (!g_utf8_validate(r->message, -1, &bad))
		*(char *)bad = '?';
	return false;
}

bool control_arg_uint(JsonObject *args, const char *name, uint64_t max, bool required,
                      uint64_t *out, control_reply_t *r)
{
	JsonNode *n = json_object_get_member(args, name);
	if (!n || JSON_NODE_HOLDS_NULL(n)) {
		if (required)
			return control_fail(r, CONTROL_ERR_ARGUMENT, "missing '%s'", name);
		return true;
	}
	uint64_t v;
	if (json_node_get_value_type(n) == G_TYPE_INT64) {
		gint64 i = json_node_get_int(n);
		if (i < 0)
			return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' must not be negative", name);
		v = (uint64_t)i;
	} else if (json_node_get_value_type(n) == G_TYPE_STRING) {
		/* "0x1000" or "4096": SPIs are written in hex by habit */
		const char *s = json_node_get_string(n);
		char *end;
		errno = 0;
		if (!*s || *s == '-' || *s == '+' || g_ascii_isspace(*s))
			return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' is not a number", name);
		v = g_ascii_strtoull(s, &end, 0);
		if (errno || *end)
			return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' is not a number", name);
	} else {
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' must be a number", name);
	}
	if (v > max)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' out of range (max %" G_GUINT64_FORMAT ")", name, (guint64)max);
	*out = v;
	return true;
}

bool control_arg_u32(JsonObject *args, const char *name, bool required, uint32_t *out, control_reply_t *r)
{
	uint64_t v = *out;
	if (!control_arg_uint(args, name, UINT32_MAX, required, &v, r))
		return false;
	*out = (uint32_t)v;
	return true;
}

bool control_arg_u16(JsonObject *args, const char *name, uint16_t *out, control_reply_t *r)
{
	uint64_t v = *out;
	if (!control_arg_uint(args, name, UINT16_MAX, false, &v, r))
		return false;
	*out = (uint16_t)v;
	return true;
}

bool control_arg_u64(JsonObject *args, const char *name, uint64_t *out, control_reply_t *r)
{
	return control_arg_uint(args, name, UINT64_MAX, false, out, r);
}

/* A string member; NULL result when absent and not required. */
bool control_arg_str(JsonObject *args, const char *name, size_t max, bool required,
                     const char **out, control_reply_t *r)
{
	JsonNode *n = json_object_get_member(args, name);
	*out = NULL;
	if (!n || JSON_NODE_HOLDS_NULL(n)) {
		if (required)
			return control_fail(r, CONTROL_ERR_ARGUMENT, "missing '%s'", name);
		return true;
	}
	if (json_node_get_value_type(n) != G_TYPE_STRING)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' must be a string", name);
	const char *s = json_node_get_string(n);
	if (!*s && required)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' must not be empty", name);
	if (strlen(s) > max)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' is too long (max %zu)", name, max);
	*out = s;
	return true;
}

bool control_arg_owner(JsonObject *args, bool may_reserved, char out[CONTROL_OWNER_MAX + 1], control_reply_t *r)
{
	const char *s;
	out[0] = '\0';
	if (!control_arg_str(args, "owner", CONTROL_OWNER_MAX, false, &s, r))
		return false;
	if (!s)
		return true;
	if (!*s)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'owner' must not be empty");
	for (const char *p = s; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return control_fail(r, CONTROL_ERR_ARGUMENT, "'owner' may hold letters, digits, '.', '-' and '_'");
	if (!may_reserved && strcmp(s, CONTROL_OWNER_RESERVED) == 0)
		return control_fail(r, CONTROL_ERR_PERMISSION, "owner '%s' is the configured tunnels'", s);
	g_strlcpy(out, s, CONTROL_OWNER_MAX + 1);
	return true;
}

bool control_arg_bool(JsonObject *args, const char *name, bool *out, control_reply_t *r)
{
	JsonNode *n = json_object_get_member(args, name);
	if (!n || JSON_NODE_HOLDS_NULL(n))
		return true;
	if (json_node_get_value_type(n) != G_TYPE_BOOLEAN)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' must be true or false", name);
	*out = json_node_get_boolean(n);
	return true;
}

bool control_arg_spi(JsonObject *args, uint32_t *out, control_reply_t *r)
{
	uint64_t spi = 0;
	if (!control_arg_uint(args, "spi", UINT32_MAX, true, &spi, r))
		return false;
	if (spi < 256)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'spi' 0-255 are reserved (RFC 4303)");
	*out = (uint32_t)spi;
	return true;
}

/* Name tables for enums on the wire. */
typedef struct name_value {
	const char *name;
	int value;
} name_value_t;

static const name_value_t dir_names[] = {
	{ "in", CONTROL_DIR_IN }, { "out", CONTROL_DIR_OUT }, { "fwd", CONTROL_DIR_FWD }, { NULL, 0 },
};
static const name_value_t action_names[] = {
	{ "protect", CONTROL_ACTION_PROTECT }, { "bypass", CONTROL_ACTION_BYPASS },
	{ "drop", CONTROL_ACTION_DROP }, { "trap", CONTROL_ACTION_TRAP }, { NULL, 0 },
};

static const char *nv_name(const name_value_t *t, int v)
{
	for (; t->name; t++)
		if (t->value == v)
			return t->name;
	return "?";
}

const char *control_dir_name(control_dir_t d) { return nv_name(dir_names, d); }
const char *control_action_name(control_action_t a) { return nv_name(action_names, a); }

static bool get_enum(JsonObject *args, const char *name, const name_value_t *t, bool required,
                     int *out, control_reply_t *r)
{
	const char *s;
	if (!control_arg_str(args, name, 32, required, &s, r))
		return false;
	if (!s)
		return true;
	for (const name_value_t *e = t; e->name; e++)
		if (strcmp(e->name, s) == 0) {
			*out = e->value;
			return true;
		}
	GString *opts = g_string_new(NULL);
	for (const name_value_t *e = t; e->name; e++)
		g_string_append_printf(opts, "%s%s", opts->len ? ", " : "", e->name);
	control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' must be one of: %s", name, opts->str);
	g_string_free(opts, TRUE);
	return false;
}

bool control_arg_dir(JsonObject *args, const char *name, int *out, control_reply_t *r)
{
	return get_enum(args, name, dir_names, true, out, r);
}

bool control_arg_action(JsonObject *args, const char *name, int *out, control_reply_t *r)
{
	return get_enum(args, name, action_names, false, out, r);
}

/* "proto": a name of util/ip.h's table or a number up to 255. */
bool control_arg_proto(JsonObject *args, uint8_t *out, control_reply_t *r)
{
	JsonNode *n = json_object_get_member(args, "proto");
	if (!n || json_node_get_value_type(n) != G_TYPE_STRING) {
		uint64_t v = *out;
		if (!control_arg_uint(args, "proto", 255, false, &v, r))
			return false;
		*out = (uint8_t)v;
		return true;
	}
	const char *s;
	if (!control_arg_str(args, "proto", 32, false, &s, r))
		return false;
	if (ip_proto_parse(s, out))
		return true;
	char names[128];
	return control_fail(r, CONTROL_ERR_ARGUMENT, "'proto' must be one of: %s", ip_proto_list(names, sizeof(names)));
}

bool control_arg_addr(JsonObject *args, const char *name, bool required, bool *has,
                      uipsec_addr_t *out, control_reply_t *r)
{
	const char *s;
	if (!control_arg_str(args, name, INET6_ADDRSTRLEN, required, &s, r))
		return false;
	if (!s)
		return true;
	if (!uipsec_addr_parse(s, out))
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s': '%s' is not an IPv4 or IPv6 address", name, s);
	if (has)
		*has = true;
	return true;
}

bool control_arg_ts(JsonObject *args, const char *name, const char *port_name,
                    control_ts_t *ts, control_reply_t *r)
{
	const char *s;
	if (!control_arg_str(args, name, INET6_ADDRSTRLEN + 4, true, &s, r))
		return false;
	if (!ip_prefix_parse(s, &ts->prefix, true))
		return control_fail(r, CONTROL_ERR_ARGUMENT,
		            "'%s': '%s' is not a prefix (address/length, host bits zero)", name, s);
	ts->port_from = 0;
	ts->port_to = UINT16_MAX;
	uint16_t port = 0;
	if (json_object_has_member(args, port_name)) {
		if (!control_arg_u16(args, port_name, &port, r))
			return false;
		ts->port_from = ts->port_to = port;
	}
	return true;
}

/* A selector list: one string or an array of strings, each in ts.h syntax. */
static bool get_ts_list(JsonObject *args, const char *name, ts_t *out, unsigned *n, control_reply_t *r)
{
	JsonNode *n0 = json_object_get_member(args, name);
	*n = 0;
	if (!n0 || JSON_NODE_HOLDS_NULL(n0))
		return true;
	JsonArray *arr = JSON_NODE_HOLDS_ARRAY(n0) ? json_node_get_array(n0) : NULL;
	guint count = arr ? json_array_get_length(arr) : 1;
	if (count == 0 || count > CONTROL_TS_MAX)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' takes 1 to %d selectors", name, CONTROL_TS_MAX);
	for (guint i = 0; i < count; i++) {
		JsonNode *e = arr ? json_array_get_element(arr, i) : n0;
		if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
			return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' must be a string or an array of strings", name);
		char *why = NULL;
		if (!ts_parse(json_node_get_string(e), &out[i], &why)) {
			control_fail(r, CONTROL_ERR_ARGUMENT, "'%s': %s", name, why);
			g_free(why);
			return false;
		}
	}
	*n = count;
	return true;
}

/* local_ts / remote_ts / any of add-sa and update-sa. */
bool control_arg_sa_ts(JsonObject *a, control_sa_t *sa, control_reply_t *r)
{
	if (!get_ts_list(a, "local_ts", sa->local_ts, &sa->n_local_ts, r) ||
	    !get_ts_list(a, "remote_ts", sa->remote_ts, &sa->n_remote_ts, r) || !control_arg_bool(a, "any", &sa->any, r))
		return false;
	if (!sa->n_local_ts != !sa->n_remote_ts)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "give both 'local_ts' and 'remote_ts' or neither");
	if (sa->any && sa->n_local_ts)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'any' excludes 'local_ts' and 'remote_ts'");
	spd_sel_t sel[1];
	if (sa->n_local_ts && !ts_inbound_sels(sel, 1, sa->remote_ts, sa->n_remote_ts, sa->local_ts, sa->n_local_ts))
		return control_fail(r, CONTROL_ERR_ARGUMENT, "no 'remote_ts' and 'local_ts' of the same family and protocol");
	return true;
}

/* A hex key: "0x..." or bare hex digits, even count, at most CONTROL_KEY_MAX
 * bytes (hex_decode checks the length after stripping "0x"). The message
 * never quotes the value. */
bool control_arg_key(JsonObject *args, const char *name, bool required, uint8_t *out,
                     size_t *out_len, control_reply_t *r)
{
	const char *s;
	if (!control_arg_str(args, name, 2 + 2 * CONTROL_KEY_MAX, required, &s, r))
		return false;
	*out_len = 0;
	if (!s)
		return true;
	hex_status_t st = hex_decode(s, out, CONTROL_KEY_MAX, out_len);
	if (st != HEX_OK)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' %s (at most %d bytes)", name, hex_status_str(st),
		            CONTROL_KEY_MAX);
	return true;
}

void control_sa_wipe(control_sa_t *sa)
{
	uipsec_memwipe(sa->key, sizeof(sa->key));
	uipsec_memwipe(sa->integ_key, sizeof(sa->integ_key));
	sa->key_len = sa->integ_key_len = 0;
}
