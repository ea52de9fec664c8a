/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control protocol: request parsing, dispatch to the command handlers,
 * replies and events. The arguments of a request: control_args.c. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <uipsec/log.h>
#include "control/control_args.h"
#include "control/control_args_v2.h"
#include "control/control_proto.h"
#include "util/ip.h"
#include "esp/replay.h"

/* json-glib's parser recurses per nesting level: bound it before parsing. */
#define CONTROL_MAX_DEPTH 16

const char *const control_event_names[] = {
	"sa-up", "sa-down", "expire-soft", "expire-hard", "acquire", "error",
	"reload", "sa-updated", "mapping", NULL,
};

/* The first release's names, accepted for one more release: a client that
 * subscribes to an event by its old name receives it under that name. */
static const struct {
	const char *old;
	unsigned index;    /* into control_event_names */
} event_aliases[] = {
	{ "sa-added", 0 },
	{ "sa-deleted", 1 },
};

uint32_t control_event_bit(const char *name)
{
	for (unsigned i = 0; control_event_names[i]; i++)
		if (strcmp(control_event_names[i], name) == 0)
			return 1u << i;
	for (unsigned i = 0; i < G_N_ELEMENTS(event_aliases); i++)
		if (strcmp(event_aliases[i].old, name) == 0)
			return 1u << event_aliases[i].index;
	return 0;
}

static bool is_event_alias(const char *name)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(event_aliases); i++)
		if (strcmp(event_aliases[i].old, name) == 0)
			return true;
	return false;
}

const char *control_event_wire_name(const char *name, uint32_t alias_mask)
{
	uint32_t bit = control_event_bit(name);
	for (unsigned i = 0; i < G_N_ELEMENTS(event_aliases); i++)
		if ((alias_mask & bit) && bit == 1u << event_aliases[i].index)
			return event_aliases[i].old;
	return name;
}

/* ------------------------------------------------------------ replies */

static const struct {
	int status;
	const char *code;
} status_codes[] = {
	{ UIPSEC_ERR_INVAL, CONTROL_ERR_ARGUMENT },
	{ UIPSEC_ERR_NOTFOUND, CONTROL_ERR_NOT_FOUND },
	{ UIPSEC_ERR_EXISTS, CONTROL_ERR_EXISTS },
	{ UIPSEC_ERR_NOTSUP, CONTROL_ERR_NOT_SUPPORTED },
	{ UIPSEC_ERR_PERM, CONTROL_ERR_PERMISSION },
	{ UIPSEC_ERR_NOMEM, CONTROL_ERR_EXHAUSTED },
};

static bool fail_status(control_reply_t *r, int status, const uipsec_err_t *err)
{
	const char *code = CONTROL_ERR_FAILED;
	for (size_t i = 0; i < G_N_ELEMENTS(status_codes); i++)
		if (status_codes[i].status == status)
			code = status_codes[i].code;
	return control_fail(r, code, "%s", err->msg[0] ? err->msg : uipsec_status_str(status));
}

static char *node_to_line(JsonNode *root, size_t *len)
{
	JsonGenerator *gen = json_generator_new();
	json_generator_set_root(gen, root);
	gsize n = 0;
	char *s = json_generator_to_data(gen, &n);
	g_object_unref(gen);
	if (len)
		*len = n;
	return s;
}

/* json_node_init_object() takes its own reference */
static JsonNode *empty_object_node(void)
{
	JsonObject *o = json_object_new();
	JsonNode *n = json_node_init_object(json_node_alloc(), o);
	json_object_unref(o);
	return n;
}

static JsonObject *reply_head(JsonNode *id)
{
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "v", CONTROL_PROTO_VERSION);
	json_object_set_member(o, "id", id ? json_node_copy(id) : json_node_new(JSON_NODE_NULL));
	return o;
}

static char *reply_line(JsonNode *id, control_reply_t *r, size_t *len)
{
	JsonObject *o = reply_head(id);
	if (r->code) {
		JsonObject *e = json_object_new();
		json_object_set_string_member(e, "code", r->code);
		json_object_set_string_member(e, "message", r->message);
		json_object_set_boolean_member(o, "ok", FALSE);
		json_object_set_object_member(o, "error", e);
		if (r->result)
			json_node_unref(r->result);
	} else {
		json_object_set_boolean_member(o, "ok", TRUE);
		json_object_set_member(o, "result",
		                       r->result ? r->result : empty_object_node());
	}
	r->result = NULL;
	JsonNode *root = json_node_init_object(json_node_alloc(), o);
	json_object_unref(o);
	char *s = node_to_line(root, len);
	json_node_unref(root);
	return s;
}

char *control_proto_error_line(const char *code, const char *message, size_t *reply_len)
{
	control_reply_t r = { .code = code };
	g_strlcpy(r.message, message, sizeof(r.message));
	return reply_line(NULL, &r, reply_len);
}

char *control_proto_event_line(JsonNode *sub_id, const char *event, JsonNode *data, size_t *len)
{
	JsonObject *o = reply_head(sub_id);
	json_object_set_string_member(o, "event", event);
	json_object_set_int_member(o, "time", g_get_real_time() / G_USEC_PER_SEC);
	json_object_set_member(o, "data", data ? json_node_copy(data) : empty_object_node());
	JsonNode *root = json_node_init_object(json_node_alloc(), o);
	json_object_unref(o);
	char *s = node_to_line(root, len);
	json_node_unref(root);
	return s;
}

/* ------------------------------------------------------------ handlers */

typedef struct call {
	const control_backend_t *be;
	JsonObject *args;
	JsonNode *id;
	control_reply_t *r;
	control_request_effects_t *fx;
} call_t;

static bool need(call_t *c, const void *fn, const char *what)
{
	if (fn)
		return true;
	return control_fail(c->r, CONTROL_ERR_UNAVAILABLE, "%s is not available in this daemon", what);
}

typedef JsonNode *(*listing_fn)(void *user);

static bool run_listing(call_t *c, listing_fn fn, const char *what)
{
	if (!need(c, fn ? (const void *)fn : NULL, what))
		return false;
	c->r->result = fn(c->be->user);
	if (!c->r->result)
		return control_fail(c->r, CONTROL_ERR_FAILED, "%s failed", what);
	return true;
}

static bool h_status(call_t *c)        { return run_listing(c, c->be ? c->be->status : NULL, "status"); }
static bool h_plugins(call_t *c)       { return run_listing(c, c->be ? c->be->plugins : NULL, "plugins"); }
/* list-sas / list-policies: everything, or one owner's ("config": the
 * configured tunnels') */
static bool list_owned(call_t *c, bool policies, listing_fn all, const char *what)
{
	char owner[CONTROL_OWNER_MAX + 1];
	if (!control_arg_owner(c->args, true, owner, c->r))
		return false;
	if (!owner[0])
		return run_listing(c, all, what);
	if (!need(c, c->be ? (const void *)c->be->list_owned : NULL, what))
		return false;
	c->r->result = c->be->list_owned(c->be->user, policies, owner);
	return c->r->result ? true : control_fail(c->r, CONTROL_ERR_FAILED, "%s failed", what);
}

static bool h_list_sas(call_t *c)      { return list_owned(c, false, c->be ? c->be->list_sas : NULL, "list-sas"); }
static bool h_list_policies(call_t *c) { return list_owned(c, true, c->be ? c->be->list_policies : NULL, "list-policies"); }
static bool h_list_tunnels(call_t *c)  { return run_listing(c, c->be ? c->be->list_tunnels : NULL, "list-tunnels"); }
static bool h_stats(call_t *c)         { return run_listing(c, c->be ? c->be->stats : NULL, "stats"); }

static bool check_status(call_t *c, int st, const uipsec_err_t *err)
{
	if (st == UIPSEC_OK)
		return true;
	return fail_status(c->r, st, err);
}

static bool parse_sa(call_t *c, control_sa_t *sa, bool full)
{
	JsonObject *a = c->args;
	control_reply_t *r = c->r;
	int dir = CONTROL_DIR_IN;
	const char *esp, *tunnel;

	if (!control_arg_spi(a, &sa->spi, r) || !control_arg_dir(a, "direction", &dir, r))
		return false;
	if (dir == CONTROL_DIR_FWD)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'direction' of an SA is in or out");
	sa->dir = dir;
	if (!control_arg_addr(a, "src", full, &sa->has_src, &sa->src, r) ||
	    !control_arg_addr(a, "dst", full, &sa->has_dst, &sa->dst, r))
		return false;
	if (sa->has_src && sa->has_dst && sa->src.family != sa->dst.family)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'src' and 'dst' are of different address families");
	if (!full)
		return true;
	sa->encap = true;   /* RFC 3948, as before the member existed */
	if (!control_arg_u16(a, "sport", &sa->sport, r) || !control_arg_u16(a, "dport", &sa->dport, r) ||
	    !control_arg_bool(a, "encap", &sa->encap, r))
		return false;
	if (!control_arg_str(a, "esp", sizeof(sa->esp) - 1, true, &esp, r))
		return false;
	g_strlcpy(sa->esp, esp, sizeof(sa->esp));
	if (!control_arg_key(a, "key", true, sa->key, &sa->key_len, r) ||
	    !control_arg_key(a, "integ_key", false, sa->integ_key, &sa->integ_key_len, r))
		return false;
	sa->replay_window = REPLAY_WINDOW_DEFAULT;
	if (!control_arg_bool(a, "esn", &sa->esn, r) ||
	    !control_arg_u32(a, "replay_window", false, &sa->replay_window, r) ||
	    !control_arg_u64(a, "soft_time", &sa->soft_time, r) || !control_arg_u64(a, "hard_time", &sa->hard_time, r) ||
	    !control_arg_u64(a, "soft_bytes", &sa->soft_bytes, r) || !control_arg_u64(a, "hard_bytes", &sa->hard_bytes, r) ||
	    !control_arg_u64(a, "soft_packets", &sa->soft_packets, r) ||
	    !control_arg_u64(a, "hard_packets", &sa->hard_packets, r) ||
	    !control_arg_u32(a, "reqid", false, &sa->reqid, r))
		return false;
	if (sa->replay_window > REPLAY_WINDOW_MAX)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'replay_window' out of range (max %u)", REPLAY_WINDOW_MAX);
	if (!control_arg_str(a, "tunnel", sizeof(sa->tunnel) - 1, false, &tunnel, r) || !control_arg_sa_ts(a, sa, r))
		return false;
	if (tunnel)
		g_strlcpy(sa->tunnel, tunnel, sizeof(sa->tunnel));
	if (!control_arg_owner(a, false, sa->owner, r))
		return false;
	/* a soft limit above the hard one would never fire before removal */
	static const struct { size_t soft, hard; const char *name; } pairs[] = {
		{ offsetof(control_sa_t, soft_time), offsetof(control_sa_t, hard_time), "time" },
		{ offsetof(control_sa_t, soft_bytes), offsetof(control_sa_t, hard_bytes), "bytes" },
		{ offsetof(control_sa_t, soft_packets), offsetof(control_sa_t, hard_packets), "packets" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
		uint64_t soft = *(const uint64_t *)((const char *)sa + pairs[i].soft);
		uint64_t hard = *(const uint64_t *)((const char *)sa + pairs[i].hard);
		if (soft && hard && soft > hard)
			return control_fail(r, CONTROL_ERR_ARGUMENT, "'soft_%s' exceeds 'hard_%s'", pairs[i].name, pairs[i].name);
	}
	return true;
}

static bool sa_change(call_t *c, bool update)
{
	control_sa_t sa = { .update = update };
	bool ok = parse_sa(c, &sa, true) && need(c, c->be ? (const void *)c->be->sa_add : NULL, "add-sa");
	if (ok) {
		uipsec_err_t err = { "" };
		ok = check_status(c, c->be->sa_add(c->be->user, &sa, &err), &err);
	}
	control_sa_wipe(&sa);
	return ok;
}

static bool h_add_sa(call_t *c)    { return sa_change(c, false); }
static bool h_update_sa(call_t *c) { return sa_change(c, true); }

static bool h_del_sa(call_t *c)
{
	control_sa_t sa = { 0 };
	if (!parse_sa(c, &sa, false) || !need(c, c->be ? (const void *)c->be->sa_del : NULL, "del-sa"))
		return false;
	uipsec_err_t err = { "" };
	return check_status(c, c->be->sa_del(c->be->user, &sa, &err), &err);
}

static bool parse_policy(call_t *c, control_policy_t *p, bool full)
{
	JsonObject *a = c->args;
	control_reply_t *r = c->r;
	int dir = CONTROL_DIR_OUT, action = CONTROL_ACTION_PROTECT;
	uint8_t proto = 0;

	if (!control_arg_ts(a, "src", "sport", &p->src, r) || !control_arg_ts(a, "dst", "dport", &p->dst, r))
		return false;
	if (p->src.prefix.addr.family != p->dst.prefix.addr.family)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'src' and 'dst' are of different address families");
	if (!control_arg_dir(a, "dir", &dir, r))
		return false;
	p->dir = dir;
	if (!control_arg_proto(a, &proto, r))
		return false;
	p->src.proto = p->dst.proto = proto;
	if ((p->src.port_from || p->src.port_to != UINT16_MAX ||
	     p->dst.port_from || p->dst.port_to != UINT16_MAX) &&
	    proto != IP_PROTO_TCP && proto != IP_PROTO_UDP && proto != IP_PROTO_SCTP)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "ports need 'proto' tcp, udp or sctp");
	if (!full)
		return true;
	if (!control_arg_action(a, "action", &action, r) ||
	    !control_arg_u32(a, "priority", false, &p->priority, r) ||
	    !control_arg_u32(a, "reqid", false, &p->reqid, r))
		return false;
	p->action = action;
	if (!control_arg_owner(a, false, p->owner, r))
		return false;
	if (json_object_has_member(a, "spi")) {
		if (!control_arg_spi(a, &p->spi, r))
			return false;
		p->has_spi = true;
	}
	if (p->action == CONTROL_ACTION_PROTECT && !p->has_spi && !p->reqid)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "a protect policy needs 'reqid' or 'spi'");
	if (p->action != CONTROL_ACTION_PROTECT && p->action != CONTROL_ACTION_TRAP && (p->has_spi || p->reqid))
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' policies take no SA", control_action_name(p->action));
	return control_arg_policy_route(a, p, r);
}

static bool h_add_policy(call_t *c)
{
	control_policy_t p = { 0 };
	if (!parse_policy(c, &p, true) || !need(c, c->be ? (const void *)c->be->policy_add : NULL, "add-policy"))
		return false;
	uipsec_err_t err = { "" };
	return check_status(c, c->be->policy_add(c->be->user, &p, &err), &err);
}

static bool h_del_policy(call_t *c)
{
	control_policy_t p = { 0 };
	if (json_object_has_member(c->args, "id")) {
		if (json_object_get_size(c->args) != 1)
			return control_fail(c->r, CONTROL_ERR_ARGUMENT, "give either 'id' or the selectors");
		if (!control_arg_u32(c->args, "id", true, &p.id, c->r))
			return false;
		if (!p.id)
			return control_fail(c->r, CONTROL_ERR_ARGUMENT, "'id' starts at 1");
	} else if (!parse_policy(c, &p, false)) {
		return false;
	}
	if ( !need(c, c->be ? (const void *)c->be->policy_del : NULL, "del-policy"))
		return false;
	uipsec_err_t err = { "" };
	return check_status(c, c->be->policy_del(c->be->user, &p, &err), &err);
}

static bool h_migrate_sa(call_t *c)
{
	control_migrate_t m = { 0 };
	if (!control_arg_migrate(c->args, &m, c->r) ||
	    !need(c, c->be ? (const void *)c->be->sa_migrate : NULL, "migrate-sa"))
		return false;
	uipsec_err_t err = { "" };
	return check_status(c, c->be->sa_migrate(c->be->user, &m, &err), &err);
}

static bool tunnel_change(call_t *c, bool up)
{
	const char *name;
	if (!control_arg_str(c->args, "name", 63, true, &name, c->r))
		return false;
	int (*fn)(void *, const char *, uipsec_err_t *) = !c->be ? NULL : up ? c->be->tunnel_up : c->be->tunnel_down;
	if (!need(c, fn ? (const void *)fn : NULL, up ? "up" : "down"))
		return false;
	uipsec_err_t err = { "" };
	return check_status(c, fn(c->be->user, name, &err), &err);
}

static bool h_up(call_t *c)   { return tunnel_change(c, true); }
static bool h_down(call_t *c) { return tunnel_change(c, false); }

static bool h_reload(call_t *c)
{
	if (!need(c, c->be ? (const void *)c->be->reload : NULL, "reload"))
		return false;
	uipsec_err_t err = { "" };
	int st = UIPSEC_OK;
	c->r->result = c->be->reload(c->be->user, &st, &err);
	if (!c->r->result) {
		if (st != UIPSEC_ERR_INVAL)
			return fail_status(c->r, st, &err);
		return control_fail(c->r, CONTROL_ERR_CONFIG, "%s", err.msg[0] ? err.msg : "reload failed");
	}
	return true;
}

/* ------------------------------------------------------------ protocol 2 */

/* charon's default SPI range (0xc0000000-0xcfffffff) */
#define ALLOC_SPI_MIN_DEFAULT 0xc0000000u
#define ALLOC_SPI_MAX_DEFAULT 0xcfffffffu
#define ALLOC_SPI_TIMEOUT_DEFAULT 180u
#define ALLOC_SPI_TIMEOUT_MAX 86400u

static bool h_alloc_spi(call_t *c)
{
	control_spi_req_t q = { .min = ALLOC_SPI_MIN_DEFAULT, .max = ALLOC_SPI_MAX_DEFAULT,
	                        .timeout = ALLOC_SPI_TIMEOUT_DEFAULT };
	JsonObject *a = c->args;
	if (!control_arg_u32(a, "min", false, &q.min, c->r) || !control_arg_u32(a, "max", false, &q.max, c->r) ||
	    !control_arg_u32(a, "timeout", false, &q.timeout, c->r) ||
	    !control_arg_addr(a, "dst", false, &q.has_dst, &q.dst, c->r) || !control_arg_owner(a, false, q.owner, c->r))
		return false;
	/* RFC 4303: 1-255 are reserved, 0 means no SA */
	if (q.min < 256)
		return control_fail(c->r, CONTROL_ERR_ARGUMENT, "'min' must be 256 or above (RFC 4303 reserves 0-255)");
	if (q.max < q.min)
		return control_fail(c->r, CONTROL_ERR_ARGUMENT, "'max' is below 'min'");
	if (!q.timeout || q.timeout > ALLOC_SPI_TIMEOUT_MAX)
		return control_fail(c->r, CONTROL_ERR_ARGUMENT, "'timeout' must be 1-%u seconds", ALLOC_SPI_TIMEOUT_MAX);
	if (!need(c, c->be ? (const void *)c->be->alloc_spi : NULL, "alloc-spi"))
		return false;
	uipsec_err_t err = { "" };
	uint32_t spi = 0;
	if (!check_status(c, c->be->alloc_spi(c->be->user, &q, &spi, &err), &err))
		return false;
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "spi", spi);
	json_object_set_int_member(o, "timeout", q.timeout);
	c->r->result = json_node_init_object(json_node_alloc(), o);
	json_object_unref(o);
	return true;
}

/* a backend call answering with a result object or a status */
typedef JsonNode *(*result_fn)(call_t *c, int *st, uipsec_err_t *err);

static bool run_result(call_t *c, result_fn fn)
{
	uipsec_err_t err = { "" };
	int st = UIPSEC_ERR;
	c->r->result = fn(c, &st, &err);
	if (c->r->result)
		return true;
	return c->r->code ? false : fail_status(c->r, st, &err);   /* arguments: failed already */
}

static JsonNode *query_sa(call_t *c, int *st, uipsec_err_t *err)
{
	control_sa_t sa = { 0 };
	if (!parse_sa(c, &sa, false) || !need(c, c->be ? (const void *)c->be->query_sa : NULL, "query-sa"))
		return NULL;   /* the reply holds the error already */
	return c->be->query_sa(c->be->user, &sa, st, err);
}

static bool h_query_sa(call_t *c) { return run_result(c, query_sa); }

static JsonNode *flush(call_t *c, int *st, uipsec_err_t *err)
{
	char owner[CONTROL_OWNER_MAX + 1];
	if (!control_arg_owner(c->args, false, owner, c->r))
		return NULL;
	if (!owner[0]) {
		control_fail(c->r, CONTROL_ERR_ARGUMENT, "missing 'owner' (flush removes one owner's state)");
		return NULL;
	}
	if (!need(c, c->be ? (const void *)c->be->flush : NULL, "flush"))
		return NULL;
	return c->be->flush(c->be->user, owner, st, err);
}

static bool h_flush(call_t *c) { return run_result(c, flush); }

static const char *const log_levels[] = { "error", "warn", "info", "debug", "trace", NULL };

static bool h_log_level(call_t *c)
{
	const char *level, *subsys;
	if (!control_arg_str(c->args, "level", 16, true, &level, c->r) ||
	    !control_arg_str(c->args, "subsystem", 32, false, &subsys, c->r))
		return false;
	if (!g_strv_contains(log_levels, level))
		return control_fail(c->r, CONTROL_ERR_ARGUMENT, "'level' must be one of: error, warn, info, debug, trace");
	if (subsys) {
		for (const char *p = subsys; *p; p++)
			if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
				return control_fail(c->r, CONTROL_ERR_ARGUMENT, "'subsystem' may hold letters, digits, - and _");
	}
	if (!need(c, c->be ? (const void *)c->be->log_level : NULL, "log-level"))
		return false;
	uipsec_err_t err = { "" };
	return check_status(c, c->be->log_level(c->be->user, subsys, level, &err), &err);
}

static bool h_subscribe(call_t *c)
{
	uint32_t mask = 0, alias_mask = 0, canonical = 0;
	JsonNode *n = json_object_get_member(c->args, "events");
	if (!n || JSON_NODE_HOLDS_NULL(n)) {
		mask = CONTROL_EVENT_ALL;
	} else {
		if (!JSON_NODE_HOLDS_ARRAY(n))
			return control_fail(c->r, CONTROL_ERR_ARGUMENT, "'events' must be an array of event names");
		JsonArray *arr = json_node_get_array(n);
		for (guint i = 0; i < json_array_get_length(arr); i++) {
			JsonNode *e = json_array_get_element(arr, i);
			const char *name = json_node_get_value_type(e) == G_TYPE_STRING ? json_node_get_string(e) : NULL;
			uint32_t bit = name ? control_event_bit(name) : 0;
			if (!bit)
				return control_fail(c->r, CONTROL_ERR_ARGUMENT, "'events'[%u] is not an event name", i);
			mask |= bit;
			*(is_event_alias(name) ? &alias_mask : &canonical) |= bit;
		}
	}
	c->fx->subscribe = true;
	c->fx->event_mask = mask;
	/* asked for by both names: the current one */
	c->fx->alias_mask = alias_mask & ~canonical;
	if (c->fx->sub_id)
		json_node_unref(c->fx->sub_id);
	c->fx->sub_id = c->id ? json_node_copy(c->id) : NULL;
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "events");
	json_builder_begin_array(b);
	for (unsigned i = 0; control_event_names[i]; i++)
		if (mask & (1u << i))
			json_builder_add_string_value(b, control_event_wire_name(control_event_names[i],
			                                                         c->fx->alias_mask));
	json_builder_end_array(b);
	json_builder_end_object(b);
	c->r->result = json_builder_get_root(b);
	g_object_unref(b);
	return true;
}

/* ------------------------------------------------------------ dispatch */

#define F(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ARGS ((const char *const[]){ NULL })
#define SA_FIELDS F("spi", "direction", "src", "dst", "sport", "dport", "encap", "esp", "key", "integ_key", \
	"esn", "replay_window", "soft_time", "hard_time", "soft_bytes", "hard_bytes", \
	"soft_packets", "hard_packets", "tunnel", "reqid", "local_ts", "remote_ts", "any", "owner")
#define POLICY_FIELDS F("src", "dst", "sport", "dport", "proto", "dir", "action", "priority", \
	"spi", "reqid", "owner", "route", "peer")

typedef struct command {
	const char *name;
	bool (*handler)(call_t *c);
	const char *const *fields;    /* the members "args" may have */
} command_t;

static const command_t commands[] = {
	{ "status", h_status, NO_ARGS },
	{ "plugins", h_plugins, NO_ARGS },
	{ "list-sas", h_list_sas, F("owner") },
	{ "list-policies", h_list_policies, F("owner") },
	{ "list-tunnels", h_list_tunnels, NO_ARGS },
	{ "stats", h_stats, NO_ARGS },
	{ "add-sa", h_add_sa, SA_FIELDS },
	{ "update-sa", h_update_sa, SA_FIELDS },
	{ "del-sa", h_del_sa, F("spi", "direction", "src", "dst") },
	{ "migrate-sa", h_migrate_sa, F("spi", "direction", "dst", "new_src", "new_dst", "new_sport", "new_dport",
	                                "new_reqid", "encap") },
	{ "add-policy", h_add_policy, POLICY_FIELDS },
	{ "del-policy", h_del_policy, F("id", "src", "dst", "sport", "dport", "proto", "dir") },
	{ "up", h_up, F("name") },
	{ "down", h_down, F("name") },
	{ "reload", h_reload, NO_ARGS },
	{ "subscribe", h_subscribe, F("events") },
	{ "log-level", h_log_level, F("level", "subsystem") },
	/* protocol 2 */
	{ "alloc-spi", h_alloc_spi, F("min", "max", "dst", "timeout", "owner") },
	{ "query-sa", h_query_sa, F("spi", "direction", "dst") },
	{ "flush", h_flush, F("owner") },
};

static const command_t *find_command(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Names quoted back in error messages: a long run of hex digits may be a
 * key pasted in the wrong place, so it is withheld. */
static const char *quotable(const char *name)
{
	const char *p = name;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	size_t n = 0;
	while (g_ascii_isxdigit(p[n]))
		n++;
	return (n >= 16 && !p[n]) ? "(withheld: looks like key material)" : name;
}

static bool check_fields(JsonObject *args, const char *const *allowed, control_reply_t *r)
{
	GList *names = json_object_get_members(args);
	bool ok = true;
	for (GList *l = names; l && ok; l = l->next)
		if (!g_strv_contains(allowed, l->data))
			ok = control_fail(r, CONTROL_ERR_ARGUMENT, "unknown argument '%.64s'", quotable(l->data));
	g_list_free(names);
	return ok;
}

/* Nesting depth outside strings; bounded before json-glib recurses. */
static bool depth_ok(const char *s, size_t len)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '{' || ch == '[') {
			if (++depth > CONTROL_MAX_DEPTH)
				return false;
		} else if (ch == '}' || ch == ']') {
			depth--;
		}
	}
	return true;
}

static bool valid_id(JsonNode *id)
{
	return JSON_NODE_HOLDS_NULL(id) || JSON_NODE_HOLDS_VALUE(id);
}

static bool dispatch(const control_backend_t *be, JsonNode *root, JsonNode **id_out,
                     control_request_effects_t *fx, control_reply_t *r)
{
	if (!JSON_NODE_HOLDS_OBJECT(root))
		return control_fail(r, CONTROL_ERR_INVALID, "a request is a JSON object");
	JsonObject *req = json_node_get_object(root);
	JsonNode *id = json_object_get_member(req, "id");
	if (id && valid_id(id))
		*id_out = id;
	GList *names = json_object_get_members(req);
	static const char *const top[] = { "v", "id", "cmd", "args", NULL };
	const char *bad = NULL;
	for (GList *l = names; l && !bad; l = l->next)
		if (!g_strv_contains(top, l->data))
			bad = l->data;
	if (bad) {
		control_fail(r, CONTROL_ERR_INVALID, "unknown request member '%.64s'", quotable(bad));
		g_list_free(names);
		return false;
	}
	g_list_free(names);
	if (id && !valid_id(id))
		return control_fail(r, CONTROL_ERR_INVALID, "'id' must be a string, number or null");
	JsonNode *v = json_object_get_member(req, "v");
	if (v && (json_node_get_value_type(v) != G_TYPE_INT64 || json_node_get_int(v) < CONTROL_PROTO_VERSION ||
	          json_node_get_int(v) > CONTROL_PROTO_LEVEL))
		return control_fail(r, CONTROL_ERR_VERSION, "this daemon speaks protocol versions %d-%d",
		                    CONTROL_PROTO_VERSION, CONTROL_PROTO_LEVEL);
	JsonNode *cmdn = json_object_get_member(req, "cmd");
	if (!cmdn || json_node_get_value_type(cmdn) != G_TYPE_STRING)
		return control_fail(r, CONTROL_ERR_INVALID, "missing 'cmd' (a string)");
	const char *name = json_node_get_string(cmdn);
	const command_t *cmd = find_command(name);
	if (!cmd)
		return control_fail(r, CONTROL_ERR_UNKNOWN, "unknown command '%.64s'", quotable(name));
	JsonNode *argn = json_object_get_member(req, "args");
	JsonObject *args;
	if (!argn || JSON_NODE_HOLDS_NULL(argn)) {
		args = json_object_new();
	} else if (JSON_NODE_HOLDS_OBJECT(argn)) {
		args = json_object_ref(json_node_get_object(argn));
	} else {
		return control_fail(r, CONTROL_ERR_INVALID, "'args' must be an object");
	}
	bool ok = check_fields(args, cmd->fields, r);
	if (ok) {
		call_t c = { .be = be, .args = args, .id = *id_out, .r = r, .fx = fx };
		ok = cmd->handler(&c);
	}
	json_object_unref(args);
	return ok;
}

/* json-glib quotes the offending token ("unexpected identifier `...'",
 * "invalid string constant \"...\""), which may be key material: keep
 * position and reason, drop the token. A string token comes unescaped
 * ("\221" as byte 0x91): what is left must be ASCII, or the reply would
 * not be UTF-8 (found by fuzz-control). */
static void parse_error_message(const char *msg, control_reply_t *r)
{
	unsigned line = 0, col = 0;
	const char *reason = strstr(msg, "Parse error: ");
	GString *clean = g_string_new(NULL);
	char close = 0;   /* the quote that ends the token being dropped */
	for (const char *p = reason ? reason + 13 : msg; *p && clean->len < 120; p++) {
		if (!close && (*p == '`' || *p == '"'))
			close = *p == '`' ? '\'' : '"';
		else if (close && *p == close)
			close = 0, g_string_append(clean, "(token)");
		else if (!close)
			g_string_append_c(clean, (*p & 0x80) ? '?' : *p);
	}
	if (sscanf(msg, "<data>:%u:%u", &line, &col) == 2)
		control_fail(r, CONTROL_ERR_PARSE, "not valid JSON at column %u: %s", col, clean->str);
	else
		control_fail(r, CONTROL_ERR_PARSE, "not valid JSON: %s", clean->str);
	g_string_free(clean, TRUE);
}

/* The parsed tree holds the request's keys as strings: wipe them before
 * json-glib frees them. */
static void wipe_keys(JsonNode *root)
{
	static const char *const key_members[] = { "key", "integ_key", NULL };
	if (!root || !JSON_NODE_HOLDS_OBJECT(root))
		return;
	JsonNode *argn = json_object_get_member(json_node_get_object(root), "args");
	if (!argn || !JSON_NODE_HOLDS_OBJECT(argn))
		return;
	JsonObject *args = json_node_get_object(argn);
	for (unsigned i = 0; key_members[i]; i++) {
		JsonNode *k = json_object_get_member(args, key_members[i]);
		if (k && json_node_get_value_type(k) == G_TYPE_STRING) {
			char *s = (char *)json_node_get_string(k);
			uipsec_memwipe(s, strlen(s));
		}
	}
}

char *control_proto_handle(const control_backend_t *be, const char *line, size_t len,
                           control_request_effects_t *fx, size_t *reply_len)
{
	control_reply_t r = { 0 };
	JsonNode *id = NULL;
	JsonParser *parser = NULL;
	char *out;

	if (memchr(line, '\0', len) || !g_utf8_validate(line, (gssize)len, NULL)) {
		control_fail(&r, CONTROL_ERR_PARSE, "request is not UTF-8 text");
	} else if (!depth_ok(line, len)) {
		control_fail(&r, CONTROL_ERR_PARSE, "request nests deeper than %d levels", CONTROL_MAX_DEPTH);
	} else {
		GError *err = NULL;
		parser = json_parser_new_immutable();
		if (!json_parser_load_from_data(parser, line, (gssize)len, &err)) {
			parse_error_message(err->message, &r);
			g_error_free(err);
		} else if (!json_parser_get_root(parser)) {
			control_fail(&r, CONTROL_ERR_INVALID, "empty request");
		} else {
			dispatch(be, json_parser_get_root(parser), &id, fx, &r);
		}
	}
	out = reply_line(id, &r, reply_len);
	if (parser) {
		wipe_keys(json_parser_get_root(parser));
		g_object_unref(parser);
	}
	return out;
}
