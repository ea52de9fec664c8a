/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control service: what each control request does to the daemon. */
#include "config.h"
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uipsec/crypto.h>
#include <uipsec/log.h>
#include "control/control_owner.h"
#include "control/control_server.h"
#include "control/control_service.h"
#include "control/control_service_v2.h"
#include "esp/events.h"
#include "util/ip.h"
#include "plugin/feature_registry.h"
#include "config/logging.h"
#include "plugin/plugin_loader.h"
#include "esp/sad.h"
#include "esp/spi_alloc.h"
#include "config/settings_parser.h"
#include "esp/spd.h"
#include "esp/stats.h"
#include "datapath/dataplane.h"
#include "datapath/tunnel.h"
#include "datapath/datapath.h"

#define LOG_SUBSYS "ctl"

typedef struct service {
	control_t *ctl;
	control_reload_fn reload;
	void *reload_user;
	unsigned event_sub;
	int64_t started;          /* g_get_real_time() */
	int64_t started_mono;
	uint32_t fwmark;          /* uipsecd.socket.fwmark, for status */
	unsigned spi_timer;       /* expires alloc-spi reservations */
} service_t;

static service_t svc;

/* ------------------------------------------------------------ JSON helpers */

static JsonNode *obj_node(JsonObject *o)
{
	JsonNode *n = json_node_init_object(json_node_alloc(), o);
	json_object_unref(o);
	return n;
}

static void set_addr(JsonObject *o, const char *member, const uipsec_addr_t *a)
{
	char buf[INET6_ADDRSTRLEN];
	json_object_set_string_member(o, member, a->family ? uipsec_addr_str(a, buf, sizeof(buf)) : "");
}

static void set_endpoint(JsonObject *o, const char *member, const ip_endpoint_t *ep)
{
	char port_member[32];
	set_addr(o, member, &ep->addr);
	snprintf(port_member, sizeof(port_member), "%s_port", member);
	json_object_set_int_member(o, port_member, ep->port);
}

/* "10.1.0.0/24" when the range is a prefix, else "from-to" */
static void set_range(JsonObject *o, const char *member, const uipsec_addr_t *from, const uipsec_addr_t *to)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], out[2 * INET6_ADDRSTRLEN + 8];
	unsigned bits = from->family == AF_INET6 ? 128 : 32;
	for (unsigned plen = 0; plen <= bits; plen++) {
		uipsec_addr_t lo = *from, hi = *from;
		ip_addr_prefix_end(&lo, plen, false);
		ip_addr_prefix_end(&hi, plen, true);
		if (ip_addr_eq(&lo, from) && ip_addr_eq(&hi, to)) {
			snprintf(out, sizeof(out), "%s/%u", uipsec_addr_str(from, a, sizeof(a)), plen);
			json_object_set_string_member(o, member, out);
			return;
		}
	}
	snprintf(out, sizeof(out), "%s-%s", uipsec_addr_str(from, a, sizeof(a)), uipsec_addr_str(to, b, sizeof(b)));
	json_object_set_string_member(o, member, out);
}

static void set_ports(JsonObject *o, const char *member, uint16_t from, uint16_t to)
{
	if (from == 0 && to == UINT16_MAX)
		json_object_set_string_member(o, member, "any");
	else if (from == to)
		json_object_set_int_member(o, member, from);
	else {
		char buf[16];
		snprintf(buf, sizeof(buf), "%u-%u", from, to);
		json_object_set_string_member(o, member, buf);
	}
}

static tunnels_t *current_tunnels(void)
{
	dataplane_t *ts = dataplane_current();
	return ts ? dataplane_tunnels(ts) : NULL;
}

/* ------------------------------------------------------------ listings */

typedef struct tunnel_count {
	unsigned total, up;
} tunnel_count_t;

static void count_tunnel(const tunnel_info_t *info, void *user)
{
	tunnel_count_t *c = user;
	c->total++;
	c->up += info->up;
}

static JsonNode *be_status(void *user)
{
	(void)user;
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "version", PACKAGE_VERSION);
	json_object_set_int_member(o, "protocol", CONTROL_PROTO_LEVEL);
	json_object_set_int_member(o, "pid", getpid());
	json_object_set_int_member(o, "started", svc.started / G_USEC_PER_SEC);
	json_object_set_int_member(o, "uptime", (g_get_monotonic_time() - svc.started_mono) / G_USEC_PER_SEC);
	JsonArray *plugins = json_array_new();
	char **names = plugin_loader_loaded();
	for (char **n = names; n && *n; n++)
		json_array_add_string_element(plugins, *n);
	g_strfreev(names);
	json_object_set_array_member(o, "plugins", plugins);
	dataplane_t *ts = dataplane_current();
	datapath_t *dp = ts ? dataplane_datapath(ts) : NULL;
	json_object_set_string_member(o, "tun", dp ? datapath_ifname(dp) : "");
	json_object_set_int_member(o, "mtu", dp ? datapath_mtu(dp) : 0);
	json_object_set_int_member(o, "threads", dp ? datapath_threads(dp) : 0);
	json_object_set_int_member(o, "port", dp ? datapath_port(dp) : 0);
	/* an IKE daemon negotiates plain ESP only when this is true */
	json_object_set_boolean_member(o, "raw_esp", dp && datapath_raw_esp(dp));
	json_object_set_string_member(o, "datapath", datapath_flavour());
	json_object_set_int_member(o, "fwmark", svc.fwmark);
	json_object_set_int_member(o, "spis_reserved", spi_alloc_count());
	json_object_set_int_member(o, "sas", sad_count());
	json_object_set_int_member(o, "policies", spd_count());
	tunnel_count_t tc = { 0, 0 };
	tunnels_t *t = current_tunnels();
	if (t)
		tunnels_foreach(t, count_tunnel, &tc);
	json_object_set_int_member(o, "tunnels", tc.total);
	json_object_set_int_member(o, "tunnels_up", tc.up);
	json_object_set_int_member(o, "control_clients", svc.ctl ? control_client_count(svc.ctl) : 0);
	return obj_node(o);
}

typedef struct plugin_walk {
	JsonArray *features;
} plugin_walk_t;

static void add_feature(const feature_provider_t *p, void *user)
{
	plugin_walk_t *w = user;
	char desc[FEATURE_DESCRIBE_MAX];
	const feature_provider_t *best = NULL;
	features_providers(p->feature->type, p->feature->alg, p->feature->custom, &best, 1);
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "feature", feature_describe(p->feature, desc, sizeof(desc)));
	json_object_set_string_member(o, "plugin", p->plugin);
	json_object_set_int_member(o, "priority", p->priority);
	json_object_set_boolean_member(o, "selected", best && best->feature == p->feature &&
	                                              strcmp(best->plugin, p->plugin) == 0);
	json_array_add_object_element(w->features, o);
}

static JsonNode *be_plugins(void *user)
{
	(void)user;
	JsonObject *o = json_object_new();
	JsonArray *plugins = json_array_new();
	char **names = plugin_loader_loaded();
	for (char **n = names; n && *n; n++) {
		JsonObject *p = json_object_new();
		json_object_set_string_member(p, "name", *n);
		json_array_add_object_element(plugins, p);
	}
	g_strfreev(names);
	json_object_set_array_member(o, "plugins", plugins);
	plugin_walk_t w = { json_array_new() };
	features_foreach(add_feature, &w);
	json_object_set_array_member(o, "features", w.features);
	return obj_node(o);
}

static void set_sel(JsonObject *o, const spd_sel_t *sel);

static const char *const sa_state_names[] = { "active", "soft-expired", "hard-expired" };

/* lifetime left of a limit: -1 unlimited */
static int64_t left_of(uint64_t limit, uint64_t used)
{
	if (!limit)
		return -1;
	return used >= limit ? 0 : (int64_t)(limit - used);
}

typedef struct sa_walk {
	JsonArray *sas;
	int64_t now;
	int owner;                /* only this owner's, -1 = all */
} sa_walk_t;

/* Who installed it, and the reqid in that owner's namespace. */
static void set_owner(JsonObject *o, uint16_t owner, uint32_t reqid)
{
	json_object_set_string_member(o, "owner", control_owner_name(owner));
	json_object_set_int_member(o, "reqid", control_reqid_client(reqid));
}

/* The listing object of one SA (list-sas, query-sa). */
static JsonObject *sa_object(sa_t *sa, int64_t now);

static void add_sa(sa_t *sa, void *user)
{
	sa_walk_t *w = user;
	if (w->owner < 0 || w->owner == sa->owner)
		json_array_add_object_element(w->sas, sa_object(sa, w->now));
}

static JsonObject *sa_object(sa_t *sa, int64_t now)
{
	JsonObject *o = json_object_new();
	uint64_t bytes = atomic_load_explicit(&sa->ctr.bytes, memory_order_relaxed);
	uint64_t packets = atomic_load_explicit(&sa->ctr.packets, memory_order_relaxed);
	int64_t last = atomic_load_explicit(&sa->ctr.last_use, memory_order_relaxed);
	int state = atomic_load_explicit(&sa->state, memory_order_relaxed);
	json_object_set_int_member(o, "spi", sa->spi);
	json_object_set_string_member(o, "direction", sa->dir == SA_DIR_IN ? "in" : "out");
	json_object_set_string_member(o, "tunnel", sa->tunnel);
	json_object_set_string_member(o, "esp", sa->esp);
	set_endpoint(o, "src", &sa->src);
	set_endpoint(o, "dst", &sa->dst);
	json_object_set_string_member(o, "encap", sa_encap_name(sa->encap));
	json_object_set_string_member(o, "peer", "");
	set_addr(o, "peer", sa->dir == SA_DIR_IN ? &sa->src.addr : &sa->dst.addr);
	set_owner(o, sa->owner, sa->reqid);
	json_object_set_boolean_member(o, "esn", sa->esn);
	json_object_set_int_member(o, "bytes", (gint64)bytes);
	json_object_set_int_member(o, "packets", (gint64)packets);
	json_object_set_int_member(o, "last_use", last / G_USEC_PER_SEC);
	json_object_set_int_member(o, "added", sa->added_real / G_USEC_PER_SEC);
	json_object_set_string_member(o, "state", (unsigned)state < 3 ? sa_state_names[state] : "?");
	json_object_set_int_member(o, "time_left", sa_time_left(sa, now));
	int64_t age = (now - sa->added) / G_USEC_PER_SEC;
	json_object_set_int_member(o, "soft_time_left", left_of(sa->soft.time_s, (uint64_t)MAX(age, 0)));
	json_object_set_int_member(o, "bytes_left", left_of(sa->hard.bytes, bytes));
	json_object_set_int_member(o, "packets_left", left_of(sa->hard.packets, packets));
	json_object_set_int_member(o, "auth_failed", (gint64)atomic_load(&sa->ctr.auth_failed));
	json_object_set_int_member(o, "replay_dropped", (gint64)atomic_load(&sa->ctr.replay_dropped));
	json_object_set_int_member(o, "policy_dropped", (gint64)atomic_load(&sa->ctr.policy_dropped));
	if (sa->dir == SA_DIR_IN) {
		/* what decrypted packets must match (selectors as src -> dst) */
		json_object_set_string_member(o, "inbound_check", sa_ts_mode_name(sa->ts_mode));
		JsonArray *sels = json_array_new();
		for (unsigned i = 0; i < sa->n_ts; i++) {
			JsonObject *so = json_object_new();
			set_sel(so, &sa->ts[i]);
			json_array_add_object_element(sels, so);
		}
		json_object_set_array_member(o, "selectors", sels);
	}
	return o;
}

static JsonNode *list_sas(int owner)
{
	sa_walk_t w = { json_array_new(), g_get_monotonic_time(), owner };
	db_read_lock();
	sad_foreach(add_sa, &w);
	db_read_unlock();
	JsonObject *o = json_object_new();
	json_object_set_array_member(o, "sas", w.sas);
	return obj_node(o);
}

static JsonNode *be_list_sas(void *user)
{
	(void)user;
	return list_sas(-1);
}

/* src, dst, proto, sport, dport of a selector */
static void set_sel(JsonObject *o, const spd_sel_t *sel)
{
	set_range(o, "src", &sel->src_from, &sel->src_to);
	set_range(o, "dst", &sel->dst_from, &sel->dst_to);
	const char *proto = ip_proto_name(sel->proto);
	if (proto)
		json_object_set_string_member(o, "proto", proto);
	else
		json_object_set_int_member(o, "proto", sel->proto);
	set_ports(o, "sport", sel->sport_from, sel->sport_to);
	set_ports(o, "dport", sel->dport_from, sel->dport_to);
}

typedef struct policy_walk {
	JsonArray *policies;
	int owner;                /* only this owner's, -1 = all */
} policy_walk_t;

static void add_policy(const spd_policy_t *p, void *user)
{
	policy_walk_t *w = user;
	if (w->owner >= 0 && w->owner != p->owner)
		return;
	JsonObject *o = json_object_new();
	json_object_set_int_member(o, "id", p->id);
	json_object_set_string_member(o, "dir", spd_dir_name(p->dir));
	json_object_set_string_member(o, "action", spd_action_name(p->action));
	json_object_set_int_member(o, "priority", p->priority);
	set_sel(o, &p->sel);
	set_owner(o, p->owner, p->reqid);
	json_object_set_string_member(o, "tunnel", p->tunnel);
	json_array_add_object_element(w->policies, o);
}

static JsonNode *list_policies(int owner)
{
	policy_walk_t w = { json_array_new(), owner };
	db_read_lock();
	spd_foreach(add_policy, &w);
	db_read_unlock();
	JsonObject *o = json_object_new();
	json_object_set_array_member(o, "policies", w.policies);
	return obj_node(o);
}

static JsonNode *be_list_policies(void *user)
{
	(void)user;
	return list_policies(-1);
}

/* An owner nobody used has nothing: an empty listing. */
static JsonNode *be_list_owned(void *user, bool policies, const char *owner)
{
	(void)user;
	uipsec_err_t err = { "" };
	uint16_t id = 0;
	int o = control_owner_id(owner, false, &id, &err) == UIPSEC_OK ? id : CONTROL_OWNERS_MAX;
	return policies ? list_policies(o) : list_sas(o);
}

static void add_tunnel(const tunnel_info_t *t, void *user)
{
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "name", t->name);
	json_object_set_string_member(o, "state", t->up ? "up" : "down");
	set_endpoint(o, "local", &t->local);
	set_endpoint(o, "remote", &t->peer);
	json_object_set_string_member(o, "esp", t->esp);
	json_object_set_int_member(o, "spi_in", t->spi_in);
	json_object_set_int_member(o, "spi_out", t->spi_out);
	json_object_set_int_member(o, "reqid", t->reqid);
	json_object_set_string_member(o, "encap", sa_encap_name(t->encap ? SA_ENCAP_UDP : SA_ENCAP_NONE));
	json_array_add_object_element(user, o);
}

static JsonNode *be_list_tunnels(void *user)
{
	(void)user;
	JsonArray *a = json_array_new();
	tunnels_t *t = current_tunnels();
	if (t)
		tunnels_foreach(t, add_tunnel, a);
	JsonObject *o = json_object_new();
	json_object_set_array_member(o, "tunnels", a);
	return obj_node(o);
}

/* The contract's counters (docs/contract.md), in its order, then the engine's extra ones. */
static JsonNode *be_stats(void *user)
{
	(void)user;
	uint64_t v[STAT_COUNT];
	stats_snapshot(v);
	JsonObject *o = json_object_new();
	for (unsigned i = 0; i < STAT_COUNT; i++)
		json_object_set_int_member(o, stats_name((stats_id_t)i), (gint64)v[i]);
	json_object_set_int_member(o, "events_dropped", (gint64)events_dropped());
	return obj_node(o);
}

/* ------------------------------------------------------------ changes */

static void find_in_reqid(const spd_policy_t *p, void *user)
{
	uint32_t *reqid = user;
	if (*reqid && p->dir == SPD_DIR_IN && (p->action == SPD_PROTECT || p->action == SPD_TRAP) && p->reqid == *reqid)
		*reqid = 0;
}

/* What an inbound SA accepts: its selectors; without them what the dir in
 * policies with its reqid allow (refused when there is none, as the SA
 * would accept nothing); "any" only when asked for. Outbound SAs are
 * chosen by out policies: their selectors are not used. */
static bool sa_inbound_check(const control_sa_t *r, sa_cfg_t *c, uipsec_err_t *err)
{
	if (c->dir != SA_DIR_IN)
		return true;
	if (r->n_local_ts) {
		c->n_ts = ts_inbound_sels(c->ts, SA_MAX_TS, r->remote_ts, r->n_remote_ts, r->local_ts, r->n_local_ts);
		c->ts_mode = SA_TS_LIST;
		return true;
	}
	if (r->any) {
		c->ts_mode = SA_TS_ANY;
		return true;
	}
	uint32_t missing = c->reqid;
	db_read_lock();
	spd_foreach(find_in_reqid, &missing);
	db_read_unlock();
	if (!r->reqid || missing) {
		snprintf(err->msg, sizeof(err->msg), "inbound SA 0x%08x: no 'local_ts'/'remote_ts' and no dir in "
		         "protect policy with reqid %u: give selectors or \"any\": true", r->spi, r->reqid);
		return false;
	}
	c->ts_mode = SA_TS_POLICIES;
	return true;
}

/* The owner's id and its internal reqid for a client's (owner, reqid). */
static int owner_reqid(const char *owner, uint32_t reqid, uint16_t *id, uint32_t *internal, uipsec_err_t *err)
{
	int rc = control_owner_id(owner, true, id, err);
	return rc == UIPSEC_OK ? control_reqid_map(*id, reqid, internal, err) : rc;
}

/* An SPI reserved by alloc-spi goes to an SA of its owner only. */
static int spi_reserved_check(const sa_cfg_t *c, uipsec_err_t *err)
{
	const spi_reservation_t *res = c->dir == SA_DIR_IN ? spi_alloc_find(c->spi) : NULL;
	if (!res || res->owner == c->owner)
		return UIPSEC_OK;
	snprintf(err->msg, sizeof(err->msg), "SPI 0x%08x is reserved by owner '%s'", c->spi,
	         control_owner_name(res->owner));
	return UIPSEC_ERR_EXISTS;
}

/* update-sa replaces an SA of the same owner only: another's (a
 * configured tunnel's above all) would change hands and reqid namespace. */
static int update_owner_check(const sa_cfg_t *c, uipsec_err_t *err)
{
	db_read_lock();
	sa_t *old = c->dir == SA_DIR_IN ? sad_lookup_spi(c->spi, &c->dst.addr) : sad_lookup_out(c->spi);
	int owner = old ? old->owner : c->owner;
	db_read_unlock();
	if (owner == c->owner)
		return UIPSEC_OK;   /* or no such SA: sad_replace says not-found */
	snprintf(err->msg, sizeof(err->msg), "SA 0x%08x belongs to owner '%s'", c->spi, control_owner_name((uint16_t)owner));
	return UIPSEC_ERR_PERM;
}

static int be_sa_add(void *user, const control_sa_t *r, uipsec_err_t *err)
{
	(void)user;
	sa_cfg_t c;
	sa_cfg_init(&c);
	int rc = owner_reqid(r->owner, r->reqid, &c.owner, &c.reqid, err);
	if (rc != UIPSEC_OK)
		return rc;
	dataplane_t *ts = dataplane_current();
	datapath_t *dp = ts ? dataplane_datapath(ts) : NULL;
	uint16_t port = dp ? datapath_port(dp) : 4500;
	c.spi = r->spi;
	c.dir = r->dir == CONTROL_DIR_IN ? SA_DIR_IN : SA_DIR_OUT;
	c.src.addr = r->src;
	c.dst.addr = r->dst;
	c.src.port = r->sport ? r->sport : port;
	c.dst.port = r->dport ? r->dport : port;
	c.encap = r->encap ? SA_ENCAP_UDP : SA_ENCAP_NONE;
	if (!r->encap && dp && !datapath_raw_esp(dp)) {
		snprintf(err->msg, sizeof(err->msg), "raw ESP (encap false) needs uipsecd.socket.raw_esp = yes");
		return UIPSEC_ERR_NOTSUP;
	}
	c.esp = r->esp;
	c.key = r->key;
	c.key_len = r->key_len;
	c.integ_key = r->integ_key_len ? r->integ_key : NULL;
	c.integ_key_len = r->integ_key_len;
	c.esn = r->esn;
	c.replay_window = r->replay_window;
	c.soft = (sa_limits_t){ r->soft_time, r->soft_bytes, r->soft_packets };
	c.hard = (sa_limits_t){ r->hard_time, r->hard_bytes, r->hard_packets };
	c.tunnel = r->tunnel[0] ? r->tunnel : NULL;
	if (!sa_inbound_check(r, &c, err))
		return UIPSEC_ERR_INVAL;
	if ((rc = spi_reserved_check(&c, err)) != UIPSEC_OK || (r->update && (rc = update_owner_check(&c, err)) != UIPSEC_OK))
		return rc;
	/* update: an atomic replace; the same keys continue the sequence
	 * numbers and the replay window (sad_replace) */
	rc = r->update ? sad_replace(c.dir, c.spi, c.dir == SA_DIR_IN ? &c.dst.addr : NULL, &c, 0, err)
	                   : sad_add(&c, err);
	if (rc == UIPSEC_OK) {
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		if (c.dir == SA_DIR_IN)
			spi_alloc_release(c.spi);   /* the reservation is used up */
		uinfo(LOG_SUBSYS, "%s SA %s 0x%08x %s -> %s %s reqid %u owner %s", r->update ? "updated" : "added",
		      r->dir == CONTROL_DIR_IN ? "in" : "out", r->spi, uipsec_addr_str(&c.src.addr, a, sizeof(a)),
		      uipsec_addr_str(&c.dst.addr, b, sizeof(b)), r->esp, r->reqid, control_owner_name(c.owner));
	}
	return rc;
}

static int be_sa_del(void *user, const control_sa_t *r, uipsec_err_t *err)
{
	(void)user;
	sa_dir_t dir = r->dir == CONTROL_DIR_IN ? SA_DIR_IN : SA_DIR_OUT;
	int rc = sad_del(dir, r->spi, r->has_dst ? &r->dst : NULL);
	/* del-sa of an SPI from alloc-spi that got no SA releases it */
	if (dir == SA_DIR_IN && spi_alloc_release(r->spi) && rc == UIPSEC_ERR_NOTFOUND)
		rc = UIPSEC_OK;
	if (rc == UIPSEC_ERR_NOTFOUND)
		snprintf(err->msg, sizeof(err->msg), "no %s SA with SPI 0x%08x", dir == SA_DIR_IN ? "inbound" : "outbound", r->spi);
	else if (rc == UIPSEC_OK)
		uinfo(LOG_SUBSYS, "deleted SA %s 0x%08x", dir == SA_DIR_IN ? "in" : "out", r->spi);
	return rc;
}

static const spd_action_t action_map[] = {
	[CONTROL_ACTION_PROTECT] = SPD_PROTECT,
	[CONTROL_ACTION_BYPASS] = SPD_BYPASS,
	[CONTROL_ACTION_DROP] = SPD_DROP,
	[CONTROL_ACTION_TRAP] = SPD_TRAP,
};

static int policy_sel(const control_policy_t *p, spd_sel_t *sel, spd_dir_t *dir, uipsec_err_t *err)
{
	if (p->dir == CONTROL_DIR_FWD) {
		snprintf(err->msg, sizeof(err->msg),
		         "fwd policies do not exist in uipsecd: forwarded traffic passes the TUN device, use dir out/in");
		return UIPSEC_ERR_NOTSUP;
	}
	*dir = p->dir == CONTROL_DIR_IN ? SPD_DIR_IN : SPD_DIR_OUT;
	spd_sel_any(sel, p->src.prefix.addr.family);
	spd_sel_set_prefix(sel, false, &p->src.prefix.addr, p->src.prefix.len);
	spd_sel_set_prefix(sel, true, &p->dst.prefix.addr, p->dst.prefix.len);
	sel->proto = p->src.proto;
	sel->sport_from = p->src.port_from;
	sel->sport_to = p->src.port_to;
	sel->dport_from = p->dst.port_from;
	sel->dport_to = p->dst.port_to;
	return UIPSEC_OK;
}

static route_mgr_t *current_route_mgr(void)
{
	dataplane_t *ts = dataplane_current();
	return ts ? dataplane_route_mgr(ts) : NULL;
}

static bool ts_all_ports(const control_ts_t *t)
{
	return t->proto == 0 && t->port_from == 0 && t->port_to == UINT16_MAX;
}

/* Outbound bypass traffic must not enter the TUN device (there it could
 * only be dropped): the route manager throws it past the tunnel table. */
static int bypass_route_add(const control_policy_t *p, spd_dir_t dir, uint32_t id, uipsec_err_t *err)
{
	route_mgr_t *rm = current_route_mgr();
	if (p->action != CONTROL_ACTION_BYPASS || dir != SPD_DIR_OUT || !rm)
		return UIPSEC_OK;
	return route_mgr_bypass_add(rm, id, &p->dst.prefix, ts_all_ports(&p->src) && ts_all_ports(&p->dst), err);
}

static int be_policy_add(void *user, const control_policy_t *p, uipsec_err_t *err)
{
	(void)user;
	spd_policy_cfg_t c;
	memset(&c, 0, sizeof(c));
	int rc = policy_sel(p, &c.sel, &c.dir, err);
	if (rc != UIPSEC_OK)
		return rc;
	c.action = action_map[p->action];
	c.priority = p->priority;
	if ((rc = owner_reqid(p->owner, p->reqid, &c.owner, &c.reqid, err)) != UIPSEC_OK)
		return rc;
	if (p->has_spi) {
		/* the policy follows the outbound SA's reqid */
		db_read_lock();
		sa_t *sa = sad_lookup_out(p->spi);
		uint32_t reqid = sa ? sa->reqid : 0;
		db_read_unlock();
		if (!sa) {
			snprintf(err->msg, sizeof(err->msg), "no outbound SA with SPI 0x%08x", p->spi);
			return UIPSEC_ERR_NOTFOUND;
		}
		if (!reqid) {
			snprintf(err->msg, sizeof(err->msg), "outbound SA 0x%08x has no reqid to link a policy to", p->spi);
			return UIPSEC_ERR_INVAL;
		}
		if (p->reqid && c.reqid != reqid) {
			snprintf(err->msg, sizeof(err->msg), "SA 0x%08x has reqid %u, not %u", p->spi,
			         control_reqid_client(reqid), p->reqid);
			return UIPSEC_ERR_INVAL;
		}
		c.reqid = reqid;
	}
	uint32_t id = 0;
	rc = spd_add(&c, &id, err);
	if (rc == UIPSEC_OK && (rc = bypass_route_add(p, c.dir, id, err)) != UIPSEC_OK)
		spd_del(id);   /* a bypass that would only drop is not added */
	else if (rc == UIPSEC_OK && (rc = control_policy_route_add(p, id, err)) != UIPSEC_OK)
		spd_del(id);   /* route: true is all or nothing */
	if (rc == UIPSEC_OK) {
		char s[64], d[64];
		uinfo(LOG_SUBSYS, "added policy %u: %s === %s %s %s reqid %u", id,
		      uipsec_prefix_str(&p->src.prefix, s, sizeof(s)), uipsec_prefix_str(&p->dst.prefix, d, sizeof(d)),
		      spd_dir_name(c.dir), spd_action_name(c.action), c.reqid);
	}
	return rc;
}

typedef struct policy_find {
	spd_dir_t dir;
	const spd_sel_t *sel;
	uint32_t id;
} policy_find_t;

static bool sel_equal(const spd_sel_t *a, const spd_sel_t *b)
{
	return a->family == b->family && ip_addr_eq(&a->src_from, &b->src_from) && ip_addr_eq(&a->src_to, &b->src_to) &&
	       ip_addr_eq(&a->dst_from, &b->dst_from) && ip_addr_eq(&a->dst_to, &b->dst_to) && a->proto == b->proto &&
	       a->sport_from == b->sport_from && a->sport_to == b->sport_to && a->dport_from == b->dport_from &&
	       a->dport_to == b->dport_to;
}

static void find_policy(const spd_policy_t *p, void *user)
{
	policy_find_t *f = user;
	if (!f->id && p->dir == f->dir && sel_equal(&p->sel, f->sel))
		f->id = p->id;
}

static int be_policy_del(void *user, const control_policy_t *p, uipsec_err_t *err)
{
	(void)user;
	uint32_t id = p->id;
	if (!id) {
		spd_sel_t sel;
		policy_find_t f = { .sel = &sel };
		int rc = policy_sel(p, &sel, &f.dir, err);
		if (rc != UIPSEC_OK)
			return rc;
		db_read_lock();
		spd_foreach(find_policy, &f);
		db_read_unlock();
		id = f.id;
	}
	int rc = id ? spd_del(id) : UIPSEC_ERR_NOTFOUND;
	if (rc == UIPSEC_ERR_NOTFOUND)
		snprintf(err->msg, sizeof(err->msg), "no such policy");
	else if (rc == UIPSEC_OK)
		uinfo(LOG_SUBSYS, "deleted policy %u", id);
	route_mgr_t *rm = current_route_mgr();
	uipsec_err_t e = { "" };
	int brc = rc == UIPSEC_OK && rm ? route_mgr_bypass_del(rm, id, &e) : UIPSEC_ERR_NOTFOUND;
	if (brc != UIPSEC_OK && brc != UIPSEC_ERR_NOTFOUND)
		uwarn(LOG_SUBSYS, "%s", e.msg);   /* the policy is gone all the same */
	if (rc == UIPSEC_OK)
		control_policy_route_del(id);
	return rc;
}

static int tunnel_change(const char *name, bool up, uipsec_err_t *err)
{
	tunnels_t *t = current_tunnels();
	if (!t) {
		snprintf(err->msg, sizeof(err->msg), "the data path is not running");
		return UIPSEC_ERR;
	}
	return up ? tunnel_up(t, name, err) : tunnel_down(t, name, err);
}

static int be_tunnel_up(void *user, const char *name, uipsec_err_t *err)
{
	(void)user;
	return tunnel_change(name, true, err);
}

static int be_tunnel_down(void *user, const char *name, uipsec_err_t *err)
{
	(void)user;
	return tunnel_change(name, false, err);
}

static JsonNode *be_reload(void *user, int *status, uipsec_err_t *err)
{
	(void)user;
	if (!svc.reload) {
		*status = UIPSEC_ERR_NOTSUP;
		snprintf(err->msg, sizeof(err->msg), "this daemon cannot reload");
		return NULL;
	}
	GError *e = NULL;
	JsonNode *report = svc.reload(svc.reload_user, &e);
	if (!report) {
		*status = UIPSEC_ERR_INVAL;
		snprintf(err->msg, sizeof(err->msg), "%s (running configuration kept)", e ? e->message : "reload failed");
		g_clear_error(&e);
	}
	return report;
}

static int be_log_level(void *user, const char *subsys, const char *level, uipsec_err_t *err)
{
	(void)user;
	uipsec_log_level_t l;
	if (!log_level_parse(level, &l)) {
		snprintf(err->msg, sizeof(err->msg), "unknown log level '%s'", level);
		return UIPSEC_ERR_INVAL;
	}
	log_set_level(subsys, l);
	uinfo(LOG_SUBSYS, "log level of %s set to %s", subsys ? subsys : "every subsystem", log_level_name(l));
	return UIPSEC_OK;
}

/* ------------------------------------------------------------ protocol 2 */

static int be_alloc_spi(void *user, const control_spi_req_t *q, uint32_t *spi, uipsec_err_t *err)
{
	(void)user;
	uint16_t owner = 0;
	int rc = control_owner_id(q->owner, true, &owner, err);
	if (rc == UIPSEC_OK)
		rc = spi_alloc_reserve(q->min, q->max, q->has_dst ? &q->dst : NULL, owner, q->timeout, spi, err);
	if (rc == UIPSEC_OK)
		udebug(LOG_SUBSYS, "reserved SPI 0x%08x for %s, %u s", *spi, control_owner_name(owner), q->timeout);
	return rc;
}

/* The SA by (spi, direction, dst): hash lookups, no scan. Last use on
 * both clocks: the counters keep the wall clock, the monotonic time is
 * derived from it (a client's timers run on that one). */
static JsonNode *be_query_sa(void *user, const control_sa_t *r, int *status, uipsec_err_t *err)
{
	(void)user;
	int64_t now = g_get_monotonic_time(), now_real = g_get_real_time();
	JsonObject *o = NULL;
	db_read_lock();
	sa_t *sa = r->dir == CONTROL_DIR_IN ? sad_lookup_spi(r->spi, r->has_dst ? &r->dst : NULL) : sad_lookup_out(r->spi);
	if (sa && r->dir == CONTROL_DIR_OUT && r->has_dst && !ip_addr_eq(&sa->dst.addr, &r->dst))
		sa = NULL;
	if (sa) {
		o = sa_object(sa, now);
		int64_t last = atomic_load_explicit(&sa->ctr.last_use, memory_order_relaxed);
		json_object_set_int_member(o, "last_use_mono", last ? (now - (now_real - last)) / G_USEC_PER_SEC : 0);
		json_object_set_int_member(o, "now_mono", now / G_USEC_PER_SEC);
	}
	db_read_unlock();
	if (!o) {
		*status = UIPSEC_ERR_NOTFOUND;
		snprintf(err->msg, sizeof(err->msg), "no %s SA with SPI 0x%08x", r->dir == CONTROL_DIR_IN ? "inbound" : "outbound",
		         r->spi);
		return NULL;
	}
	return obj_node(o);
}

typedef struct owned_sa {
	sa_dir_t dir;
	uint32_t spi;
	uipsec_addr_t dst;
} owned_sa_t;

typedef struct owned_walk {
	uint16_t owner;
	GArray *found;            /* owned_sa_t or policy ids */
} owned_walk_t;

static void collect_sa(sa_t *sa, void *user)
{
	owned_walk_t *w = user;
	owned_sa_t o = { sa->dir, sa->spi, sa->dst.addr };
	if (sa->owner == w->owner)
		g_array_append_val(w->found, o);
}

static void collect_policy(const spd_policy_t *p, void *user)
{
	owned_walk_t *w = user;
	if (p->owner == w->owner)
		g_array_append_val(w->found, p->id);
}

/* Remove everything owner installed: what an IKE daemon does when it
 * starts again after a crash. Never reaches the configured tunnels
 * (the reserved owner is refused before this). */
static JsonNode *be_flush(void *user, const char *owner, int *status, uipsec_err_t *err)
{
	(void)user;
	uint16_t id = 0;
	JsonObject *o = json_object_new();
	unsigned n_sas = 0, n_pols = 0, n_spis = 0;
	(void)status;
	(void)err;
	if (control_owner_id(owner, false, &id, err) == UIPSEC_OK && id != CONTROL_OWNER_CONFIG_ID) {
		owned_walk_t w = { id, g_array_new(FALSE, FALSE, sizeof(owned_sa_t)) };
		db_read_lock();
		sad_foreach(collect_sa, &w);
		db_read_unlock();
		for (guint i = 0; i < w.found->len; i++) {
			owned_sa_t *s = &g_array_index(w.found, owned_sa_t, i);
			n_sas += sad_del(s->dir, s->spi, s->dir == SA_DIR_IN ? &s->dst : NULL) == UIPSEC_OK;
		}
		g_array_free(w.found, TRUE);
		w.found = g_array_new(FALSE, FALSE, sizeof(uint32_t));
		db_read_lock();
		spd_foreach(collect_policy, &w);
		db_read_unlock();
		route_mgr_t *rm = current_route_mgr();
		for (guint i = 0; i < w.found->len; i++) {
			uint32_t pid = g_array_index(w.found, uint32_t, i);
			uipsec_err_t e = { "" };
			if (spd_del(pid) != UIPSEC_OK)
				continue;
			n_pols++;
			int brc = rm ? route_mgr_bypass_del(rm, pid, &e) : UIPSEC_ERR_NOTFOUND;
			if (brc != UIPSEC_OK && brc != UIPSEC_ERR_NOTFOUND)
				uwarn(LOG_SUBSYS, "%s", e.msg);   /* the policy is gone all the same */
			/* and its route ("route": true), as del-policy does */
			control_policy_route_del(pid);
		}
		g_array_free(w.found, TRUE);
		n_spis = spi_alloc_flush_owner(id);
		uinfo(LOG_SUBSYS, "flushed owner %s: %u SAs, %u policies, %u SPIs", owner, n_sas, n_pols, n_spis);
	}
	json_object_set_string_member(o, "owner", owner);
	json_object_set_int_member(o, "sas", n_sas);
	json_object_set_int_member(o, "policies", n_pols);
	json_object_set_int_member(o, "spis", n_spis);
	return obj_node(o);
}

static const control_backend_t backend = {
	.status = be_status,
	.plugins = be_plugins,
	.list_sas = be_list_sas,
	.list_policies = be_list_policies,
	.list_tunnels = be_list_tunnels,
	.stats = be_stats,
	.sa_add = be_sa_add,
	.sa_del = be_sa_del,
	.policy_add = be_policy_add,
	.policy_del = be_policy_del,
	.tunnel_up = be_tunnel_up,
	.tunnel_down = be_tunnel_down,
	.reload = be_reload,
	.log_level = be_log_level,
	.list_owned = be_list_owned,
	.alloc_spi = be_alloc_spi,
	.query_sa = be_query_sa,
	.flush = be_flush,
	.sa_migrate = control_be_sa_migrate,
};

const control_backend_t *control_service_backend(void)
{
	return &backend;
}

/* ------------------------------------------------------------ reload */

/* Options read once at start-up: a change needs a restart. */
static const char *const restart_keys[] = {
	"uipsecd.load", "uipsecd.plugin_dir", "uipsecd.threads", "uipsecd.user", "uipsecd.socket.port",
	"uipsecd.socket.address", "uipsecd.socket.fwmark", "uipsecd.control.socket", "uipsecd.control.mode",
	"uipsecd.control.group", "uipsecd.install_routes", "uipsecd.allow_peer_ts",
	"uipsecd.plugins.io-tun.name", "uipsecd.plugins.io-tun.mtu", "uipsecd.plugins.net-netlink.table",
	"uipsecd.plugins.net-netlink.rule_priority", "uipsecd.plugins.net-netlink.fwmark", NULL,
};

typedef struct reload_report {
	JsonArray *lists[4];      /* by tunnel_reload_what_t */
	JsonArray *notes;
} reload_report_t;

static const char *const reload_list_names[] = { "added", "removed", "changed", "unchanged" };

static void on_tunnel_reloaded(const char *name, tunnel_reload_what_t what, const char *note, void *user)
{
	reload_report_t *r = user;
	json_array_add_string_element(r->lists[what], name);
	if (note) {
		char *n = g_strdup_printf("%s: %s", name, note);
		json_array_add_string_element(r->notes, n);
		g_free(n);
	}
	uinfo(LOG_SUBSYS, "reload: tunnel %s %s%s%s", name, reload_list_names[what], note ? ": " : "", note ? note : "");
}

void control_report_free(JsonNode *report)
{
	if (report)
		json_node_unref(report);
}

JsonNode *control_reload_apply(const uipsec_settings_t *old_s, const uipsec_settings_t *new_s, GError **err)
{
	reload_report_t r;
	for (unsigned i = 0; i < 4; i++)
		r.lists[i] = json_array_new();
	r.notes = json_array_new();
	JsonArray *restart = json_array_new();
	for (unsigned i = 0; restart_keys[i]; i++)
		if (g_strcmp0(uipsec_settings_get_str(old_s, restart_keys[i], NULL),
		              uipsec_settings_get_str(new_s, restart_keys[i], NULL)) != 0) {
			json_array_add_string_element(restart, restart_keys[i]);
			uwarn(LOG_SUBSYS, "reload: %s changed: takes effect when uipsecd is restarted", restart_keys[i]);
		}
	tunnels_t *t = current_tunnels();
	bool ok = true;
	if (t) {
		ok = tunnels_reload(t, new_s, on_tunnel_reloaded, &r, err);
	} else {
		/* no data path: check the tunnels section all the same */
		tunnels_t *check = tunnels_new(new_s, err);
		ok = check != NULL;
		tunnels_free(check);
	}
	JsonObject *o = json_object_new();
	for (unsigned i = 0; i < 4; i++)
		json_object_set_array_member(o, reload_list_names[i], r.lists[i]);
	json_object_set_array_member(o, "notes", r.notes);
	json_object_set_array_member(o, "restart_required", restart);
	JsonNode *n = obj_node(o);
	if (!ok) {
		json_node_unref(n);
		return NULL;
	}
	control_post_event(svc.ctl, "reload", n);
	return n;
}

/* ------------------------------------------------------------ events */

static void on_event(const event_t *ev, void *user)
{
	(void)user;
	JsonObject *o = json_object_new();
	if (ev->type == EVENT_ACQUIRE) {
		json_object_set_int_member(o, "policy", ev->policy_id);
		set_addr(o, "src", &ev->flow.src);
		set_addr(o, "dst", &ev->flow.dst);
		json_object_set_int_member(o, "proto", ev->flow.proto);
		json_object_set_int_member(o, "sport", ev->flow.sport);
		json_object_set_int_member(o, "dport", ev->flow.dport);
	} else if (ev->type != EVENT_ERROR || ev->spi) {
		json_object_set_int_member(o, "spi", ev->spi);
		json_object_set_string_member(o, "direction", ev->dir == SA_DIR_IN ? "in" : "out");
		set_addr(o, "dst", &ev->dst.addr);
		if (ev->spi)
			json_object_set_string_member(o, "encap", sa_encap_name(ev->encap));
	}
	set_owner(o, ev->owner, ev->reqid);
	if (ev->tunnel[0])
		json_object_set_string_member(o, "tunnel", ev->tunnel);
	if (ev->reason != EVENT_REASON_NONE)
		json_object_set_string_member(o, "reason", event_reason_name(ev->reason));
	if (ev->msg[0])
		json_object_set_string_member(o, "message", ev->msg);
	if (ev->type == EVENT_MAPPING)
		control_mapping_data(o, ev);
	JsonNode *n = obj_node(o);
	control_post_event(svc.ctl, event_type_name(ev->type), n);
	json_node_unref(n);
}

/* ------------------------------------------------------------ start/stop */

static gboolean expire_spis(gpointer user)
{
	(void)user;
	unsigned n = spi_alloc_expire(g_get_monotonic_time());
	if (n)
		udebug(LOG_SUBSYS, "%u SPI reservations expired", n);
	return G_SOURCE_CONTINUE;
}

bool control_service_start(const uipsec_settings_t *s, control_reload_fn reload, void *reload_user,
                           GError **err)
{
	control_declare_options();
	if (g_strcmp0(uipsec_settings_get_str(s, "uipsecd.control.socket", NULL), CONTROL_SOCKET_NONE) == 0) {
		uinfo(LOG_SUBSYS, "no control socket (uipsecd.control.socket = none)");
		return true;
	}
	control_config_t cfg;
	control_config_init(&cfg, s);
	svc.ctl = control_start(&cfg, &backend, NULL, err);
	control_config_clear(&cfg);
	if (!svc.ctl)
		return false;
	svc.reload = reload;
	svc.reload_user = reload_user;
	svc.started = g_get_real_time();
	svc.started_mono = g_get_monotonic_time();
	svc.fwmark = (uint32_t)uipsec_settings_get_int(s, "uipsecd.socket.fwmark", 0);
	svc.spi_timer = g_timeout_add_seconds(1, expire_spis, NULL);
	/* delivered from the main loop (dataplane_events_attach, socket or not) */
	svc.event_sub = events_subscribe(0, on_event, NULL);
	return true;
}

void control_service_declare_options(void) { control_declare_options(); }

void control_service_stop(void)
{
	if (svc.event_sub)
		events_unsubscribe(svc.event_sub);
	if (svc.spi_timer)
		g_source_remove(svc.spi_timer);
	spi_alloc_reset();
	control_owner_reset();
	if (svc.ctl)
		control_stop(svc.ctl);
	memset(&svc, 0, sizeof(svc));
}
