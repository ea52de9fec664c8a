/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Manually keyed tunnels at run time: up/down, reload, hard expiry, NAT
 * rebinding, keepalives, sequence number reservations. Parsing and keys:
 * tunnel_config.c; the data plane around them: dataplane.c. */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <uipsec/crypto.h>
#include <uipsec/log.h>

#include "esp/events.h"
#include "datapath/mtu.h"
#include "esp/sad.h"
#include "esp/seq_store.h"
#include "esp/spd.h"
#include "esp/ts.h"
#include "datapath/tunnel.h"
#include "datapath/mapping.h"
#include "datapath/tunnel_config.h"
#include "datapath/udp_socket.h"

#define SUBSYS "tunnel"
#define DEFAULT_TUN_MTU 1400
#define SEQ_STATE_DIR_DEFAULT "/var/lib/uipsec"

struct tunnels {
	GPtrArray *list;        /* tunnel_t */
	uint16_t port;
	uint32_t socket_fwmark;
	datapath_t *dp;
	route_mgr_t *rm;
	const uipsec_net_ops_t *net_ops;
	uipsec_net_t *net;
	unsigned expire_sub;    /* events subscription */
	seq_store_t *store;     /* uipsecd.state_dir */
	guint reserve_watch, reserve_tick;
};

tunnels_t *tunnels_new(const uipsec_settings_t *s, GError **err)
{
	tunnels_t *ts = g_new0(tunnels_t, 1);
	ts->list = g_ptr_array_new_with_free_func((GDestroyNotify)tunnel_config_free);
	ts->port = (uint16_t)uipsec_settings_get_int(s, "uipsecd.socket.port", 4500);
	ts->socket_fwmark = (uint32_t)uipsec_settings_get_int(s, "uipsecd.socket.fwmark", 0);
	ts->store = seq_store_new(uipsec_settings_get_str(s, "uipsecd.state_dir", SEQ_STATE_DIR_DEFAULT));
	char **names = uipsec_settings_sections(s, "tunnels");
	for (char **n = names; n && *n; n++) {
		tunnel_t *t = tunnel_config_parse(s, *n, ts->port, err);
		if (!t) {
			uipsec_strv_free(names);
			tunnels_free(ts);
			return NULL;
		}
		t->reqid = ts->list->len + 1;
		g_ptr_array_add(ts->list, t);
	}
	uipsec_strv_free(names);
	/* SPIs identify SAs: two tunnels with one inbound SPI cannot both work */
	for (guint i = 0; i < ts->list->len; i++)
		for (guint j = i + 1; j < ts->list->len; j++) {
			tunnel_t *a = ts->list->pdata[i], *b = ts->list->pdata[j];
			if (a->in.spi == b->in.spi || a->out.spi == b->out.spi) {
				g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnels %s and %s use the same %s SPI 0x%x",
				            b->origin, a->name, b->name, a->in.spi == b->in.spi ? "inbound" : "outbound",
				            a->in.spi == b->in.spi ? a->in.spi : a->out.spi);
				tunnels_free(ts);
				return NULL;
			}
		}
	return ts;
}

static tunnel_t *find_tunnel(tunnels_t *ts, const char *name)
{
	for (guint i = 0; i < ts->list->len; i++) {
		tunnel_t *t = ts->list->pdata[i];
		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

/* A control request's tunnel, or NULL with "no tunnel named ..." */
static tunnel_t *find_named(tunnels_t *ts, const char *name, uipsec_err_t *err)
{
	tunnel_t *t = find_tunnel(ts, name);
	if (!t)
		snprintf(err->msg, sizeof(err->msg), "no tunnel named '%s'", name);
	return t;
}

static uint32_t tunnel_room(const tunnel_t *t, uint32_t path_mtu)
{
	uipsec_xform_t *x = NULL;
	if (uipsec_xform_create(t->esp, t->out.key, t->out.key_len, t->out.integ_key, t->out.integ_key_len, &x,
	                        NULL) != UIPSEC_OK)
		return 0;
	uint32_t room = mtu_inner_room(uipsec_xform_info(x), t->peer.addr.family, t->encap, path_mtu);
	uipsec_xform_destroy(x);
	return room;
}

uint32_t tunnels_default_mtu(const tunnels_t *ts, uint32_t link_mtu)
{
	uint32_t mtu = 0;
	for (guint i = 0; i < ts->list->len; i++) {
		uint32_t room = tunnel_room(ts->list->pdata[i], link_mtu);
		if (room && (!mtu || room < mtu))
			mtu = room;
	}
	return mtu ? mtu : DEFAULT_TUN_MTU;
}

static void tunnel_uninstall(tunnels_t *ts, tunnel_t *t);
static void update_inner_room(tunnels_t *ts);
static gboolean tunnels_reserve(gpointer user);
static tunnel_t *find_by_reqid(tunnels_t *ts, uint32_t reqid);
static bool on_rebind(uint32_t reqid, uint32_t spi, const ip_endpoint_t *from, void *user);

/* An SA of a tunnel reached its hard lifetime (the SAD removes it): the
 * whole tunnel goes down, and its keys are not used again. */
static void on_expire_hard(const event_t *ev, void *user)
{
	tunnels_t *ts = user;
	tunnel_t *t = find_by_reqid(ts, ev->reqid);   /* reload keeps reqids, not positions */
	if (!t || !t->up || (ev->spi != t->in.spi && ev->spi != t->out.spi))
		return;
	uwarn(SUBSYS, "tunnel %s down: SA 0x%08x reached its hard lifetime (%s); new keys are needed", t->name,
	      ev->spi, event_reason_name(ev->reason));
	tunnel_uninstall(ts, t);
	t->expired = true;
	update_inner_room(ts);
}

void tunnels_attach(tunnels_t *ts, datapath_t *dp, route_mgr_t *rm, const uipsec_net_ops_t *net_ops,
                    uipsec_net_t *net)
{
	if (!ts->expire_sub)
		ts->expire_sub = events_subscribe(1u << EVENT_EXPIRE_HARD, on_expire_hard, ts);
	if (seq_store_enabled(ts->store) && !ts->reserve_watch) {
		/* workers ask when half a block is used; the tick retries failures */
		ts->reserve_watch = seq_store_watch(tunnels_reserve, ts);
		ts->reserve_tick = g_timeout_add_seconds(1, tunnels_reserve, ts);
	}
	ts->dp = dp;
	ts->rm = rm;
	ts->net_ops = net_ops;
	ts->net = net;
	if (dp)
		datapath_set_rebind_cb(dp, on_rebind, ts);
}

/* ------------------------------------------------------------ install */

static void sa_cfg_fill(const tunnels_t *ts, const tunnel_t *t, sa_dir_t dir, sa_cfg_t *c)
{
	sa_cfg_init(c);
	const keyset_t *k = dir == SA_DIR_IN ? &t->in : &t->out;
	c->spi = k->spi;
	c->dir = dir;
	c->src = dir == SA_DIR_OUT ? t->local : t->peer;
	c->dst = dir == SA_DIR_OUT ? t->peer : t->local;
	c->esp = t->esp;
	c->key = k->key;
	c->key_len = k->key_len;
	c->integ_key = k->integ_key;
	c->integ_key_len = k->integ_key_len;
	c->esn = t->esn;
	c->encap = t->encap ? SA_ENCAP_UDP : SA_ENCAP_NONE;
	c->replay_window = t->replay_window;
	c->soft.time_s = t->rekey_time;
	c->hard.time_s = t->life_time;
	c->hard.bytes = t->life_bytes;
	c->hard.packets = t->life_packets;
	c->reqid = t->reqid;
	c->tunnel = t->name;
	if (dir == SA_DIR_IN) {
		/* inbound packets go from a remote selector to a local one */
		c->n_ts = ts_inbound_sels(c->ts, SA_MAX_TS, t->remote_ts, t->n_remote_ts, t->local_ts, t->n_local_ts);
		c->ts_mode = SA_TS_LIST;
	}
}

static void keepalive_stop(tunnel_t *t)
{
	if (t->keepalive_src)
		g_source_remove(t->keepalive_src);
	t->keepalive_src = 0;
}

typedef struct ka_ctx { tunnels_t *ts; tunnel_t *t; } ka_ctx_t;

static gboolean keepalive_send(gpointer data)
{
	ka_ctx_t *c = data;
	if (!datapath_send_keepalive(c->ts->dp, &c->t->peer))
		udebug(SUBSYS, "tunnel %s: NAT keepalive not sent", c->t->name);
	return G_SOURCE_CONTINUE;
}

static void keepalive_start(tunnels_t *ts, tunnel_t *t)
{
	/* NAT keepalives are UDP (RFC 3948): none for raw ESP */
	if (t->keepalive && t->encap && ts->dp) {
		ka_ctx_t *kc = g_new0(ka_ctx_t, 1);
		kc->ts = ts;
		kc->t = t;
		t->keepalive_src = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, (guint)t->keepalive, keepalive_send,
		                                             kc, g_free);
	}
}

/* Smallest room over every tunnel that is up, published to the workers. */
static void update_inner_room(tunnels_t *ts)
{
	uint32_t room = 0;
	for (guint i = 0; i < ts->list->len; i++) {
		tunnel_t *t = ts->list->pdata[i];
		if (t->up && t->inner_room && (!room || t->inner_room < room))
			room = t->inner_room;
	}
	/* a TUN device smaller than the room never delivers too-big packets:
	 * skip the per-packet check entirely */
	if (room && ts->dp && room >= datapath_mtu(ts->dp))
		room = 0;
	if (ts->dp)
		datapath_set_inner_room(ts->dp, room);
}

static void path_mtu_probe(tunnels_t *ts, tunnel_t *t)
{
	uint32_t path = MTU_DEFAULT_LINK;
	if (ts->net_ops && ts->net && ts->net_ops->route_get) {
		uipsec_route_lookup_t lk;
		uipsec_err_t e = { "" };
		memset(&lk, 0, sizeof(lk));
		if (ts->net_ops->route_get(ts->net, &t->peer.addr, ts->socket_fwmark, &lk, &e) == UIPSEC_OK) {
			uint32_t m = mtu_of_interface(lk.ifname);
			if (m)
				path = m;
		}
	}
	t->inner_room = tunnel_room(t, path);
	udebug(SUBSYS, "tunnel %s: outer path MTU %u, inner packets up to %u bytes", t->name, path, t->inner_room);
}

/* Remove the outbound SA; returns its last sequence number. sad_del()
 * waits until no worker uses the SA, so the number is final. */
static uint64_t remove_out_sa(tunnel_t *t)
{
	db_read_lock();
	sa_t *old = sad_lookup_out(t->out.spi);
	if (old)
		sa_ref(old);
	db_read_unlock();
	sad_del(SA_DIR_OUT, t->out.spi, NULL);
	uint64_t seq = old ? atomic_load(&old->seq_out) : t->out_seq;
	if (old)
		sa_unref(old);
	return seq;
}

/* Add the outbound SA continuing after last_seq. With a state directory
 * it starts above what earlier runs reserved with these keys, and a new
 * block is on disk before the SA exists. */
static int add_out_sa(tunnels_t *ts, tunnel_t *t, uint64_t last_seq, uipsec_err_t *err)
{
	sa_cfg_t c;
	sa_cfg_fill(ts, t, SA_DIR_OUT, &c);
	c.initial_seq = last_seq;
	if (seq_store_enabled(ts->store)) {
		GError *gerr = NULL;
		if (!t->resv)
			t->resv = seq_resv_open(ts->store, t->name, t->out.spi, t->out.key, t->out.key_len, t->out.integ_key,
			                        t->out.integ_key_len, &gerr);
		uint64_t end = 0;
		if (t->resv) {
			c.initial_seq = MAX(last_seq, seq_resv_floor(t->resv));
			if (!t->esn && c.initial_seq >= SA_SEQ_MAX_32) {
				snprintf(err->msg, sizeof(err->msg), "earlier runs used up the 2^32 sequence numbers of these "
				         "keys (%s): configure new keys", seq_resv_path(t->resv));
				return UIPSEC_ERR_PERM;
			}
			end = seq_resv_want(t->resv, c.initial_seq, g_get_monotonic_time(), true);
		}
		if (!t->resv || !seq_resv_commit(t->resv, end, &gerr)) {
			snprintf(err->msg, sizeof(err->msg), "%s", gerr->message);
			g_error_free(gerr);
			return UIPSEC_ERR_IO;
		}
		c.seq_reserved = seq_resv_end(t->resv);
		c.seq_wake = seq_resv_wake_at(t->resv);
		t->resv_failed = false;
	} else {
		static bool warned;
		if (!warned)
			uwarn(SUBSYS, "uipsecd.state_dir = none: outbound sequence numbers of manually keyed tunnels are "
			      "not kept; after a restart they start at 1 again and reuse AEAD nonces with the same keys");
		warned = true;
	}
	return sad_add(&c, err);
}

/* Main loop: extend every outbound reservation with less than half a block
 * left, raising the SA's limit only once the new end is on disk. */
static gboolean tunnels_reserve(gpointer user)
{
	tunnels_t *ts = user;
	for (guint i = 0; i < ts->list->len; i++) {
		tunnel_t *t = ts->list->pdata[i];
		if (!t->up || !t->resv)
			continue;
		db_read_lock();
		sa_t *sa = sad_lookup_out(t->out.spi);
		if (sa)
			sa_ref(sa);
		db_read_unlock();
		if (!sa)
			continue;
		uint64_t end = seq_resv_want(t->resv, atomic_load(&sa->seq_out), g_get_monotonic_time(), false);
		GError *gerr = NULL;
		if (end && seq_resv_commit(t->resv, end, &gerr)) {
			atomic_store(&sa->seq_limit, seq_resv_end(t->resv));
			atomic_store(&sa->seq_wake, seq_resv_wake_at(t->resv));
			if (t->resv_failed)
				uinfo(SUBSYS, "tunnel %s: sequence numbers reserved again", t->name);
			t->resv_failed = false;
		} else if (end) {
			if (!t->resv_failed)
				uerror(SUBSYS, "tunnel %s: %s; packets beyond sequence number %llu are dropped "
				       "(seq_reserve_wait)", t->name, gerr->message,
				       (unsigned long long)atomic_load(&sa->seq_limit));
			t->resv_failed = true;
			g_error_free(gerr);
		}
		sa_unref(sa);
	}
	return G_SOURCE_CONTINUE;
}

static void tunnel_uninstall(tunnels_t *ts, tunnel_t *t)
{
	keepalive_stop(t);
	if (ts->rm && route_mgr_has_tunnel(ts->rm, t->name)) {
		uipsec_err_t e = { "" };
		if (route_mgr_tunnel_del(ts->rm, t->name, &e) != UIPSEC_OK)
			uwarn(SUBSYS, "tunnel %s: %s", t->name, e.msg);
	}
	for (unsigned i = 0; i < t->n_policies; i++)
		spd_del(t->policies[i]);
	t->n_policies = 0;
	t->out_seq = remove_out_sa(t);
	sad_del(SA_DIR_IN, t->in.spi, &t->local.addr);
	t->up = false;
	t->peer = t->configured_peer;
}

/* Inbound SA, then outbound SA (continuing out_seq). */
static int install_sas(tunnels_t *ts, tunnel_t *t, uipsec_err_t *err)
{
	int rc;
	uipsec_err_t e = { "" };
	sa_cfg_t c;
	if (!t->encap && ts->dp && !datapath_raw_esp(ts->dp)) {
		snprintf(err->msg, sizeof(err->msg), "tunnel %s: encap = no needs the raw ESP sockets "
		         "(uipsecd.socket.raw_esp = yes)", t->name);
		return UIPSEC_ERR_NOTSUP;
	}
	sa_cfg_fill(ts, t, SA_DIR_IN, &c);
	if ((rc = sad_add(&c, &e)) != UIPSEC_OK) {
		snprintf(err->msg, sizeof(err->msg), "tunnel %s: inbound SA 0x%08x: %s", t->name, t->in.spi, e.msg);
		return rc;
	}
	if ((rc = add_out_sa(ts, t, t->out_seq, &e)) != UIPSEC_OK) {
		snprintf(err->msg, sizeof(err->msg), "tunnel %s: outbound SA 0x%08x: %s", t->name, t->out.spi, e.msg);
		sad_del(SA_DIR_IN, t->in.spi, &t->local.addr);
		return rc;
	}
	return UIPSEC_OK;
}

/* A protect policy pair (out and in) for every selector pair that fits. */
static int install_policies(tunnel_t *t, uipsec_err_t *err)
{
	uipsec_err_t e = { "" };
	for (unsigned l = 0; l < t->n_local_ts; l++)
		for (unsigned r = 0; r < t->n_remote_ts; r++) {
			if (!ts_pair_ok(&t->local_ts[l], &t->remote_ts[r]))
				continue;
			spd_policy_cfg_t pc;
			memset(&pc, 0, sizeof(pc));
			pc.action = SPD_PROTECT;
			pc.reqid = t->reqid;
			pc.tunnel = t->name;
			for (int d = 0; d < 2; d++) {
				pc.dir = d ? SPD_DIR_IN : SPD_DIR_OUT;
				if (d)
					ts_sel(&pc.sel, &t->remote_ts[r], &t->local_ts[l]);
				else
					ts_sel(&pc.sel, &t->local_ts[l], &t->remote_ts[r]);
				uint32_t id = 0;
				int rc = spd_add(&pc, &id, &e);
				if (rc != UIPSEC_OK) {
					snprintf(err->msg, sizeof(err->msg), "tunnel %s: policy %s === %s %s: %s", t->name,
					         t->local_ts[l].text, t->remote_ts[r].text, d ? "in" : "out", e.msg);
					return rc;
				}
				t->policies[t->n_policies++] = id;
			}
		}
	return UIPSEC_OK;
}

/* The device of this tunnel's virtual IPs (per_vip), up; NULL with err. */
static const char *vip_device(tunnels_t *ts, tunnel_t *t, uipsec_err_t *err)
{
	uipsec_addr_t va[TUNNEL_MAX_TS];
	for (unsigned i = 0; i < t->n_vips; i++)
		va[i] = t->vips[i].addr;
	GError *verr = NULL;
	uipsec_err_t e = { "" };
	const char *ifname = datapath_vip_device(ts->dp, va, t->n_vips, &verr);
	if (ifname && ts->net_ops && ts->net && ts->net_ops->link_set(ts->net, ifname, true, 0, &e) != UIPSEC_OK) {
		snprintf(err->msg, sizeof(err->msg), "tunnel %s: bringing %s up: %s", t->name, ifname, e.msg);
		return NULL;
	}
	if (!ifname) {
		snprintf(err->msg, sizeof(err->msg), "tunnel %s: %s", t->name, verr->message);
		g_error_free(verr);
	}
	return ifname;
}

/* Routes into the TUN device (or the tunnel's own per_vip device). */
static int install_routes(tunnels_t *ts, tunnel_t *t, uipsec_err_t *err)
{
	uipsec_prefix_t lp[TUNNEL_MAX_TS], rp[TUNNEL_MAX_TS];
	size_t nl = 0, nr = 0;
	for (unsigned i = 0; i < t->n_local_ts; i++)
		if (t->local_ts[i].is_prefix)
			lp[nl++] = t->local_ts[i].prefix;
	for (unsigned i = 0; i < t->n_remote_ts; i++)
		if (t->remote_ts[i].is_prefix)
			rp[nr++] = t->remote_ts[i].prefix;
		else
			uwarn(SUBSYS, "tunnel %s: remote_ts %s is not a prefix: no route installed for it", t->name,
			      t->remote_ts[i].text);
	const char *ifname = datapath_ifname(ts->dp);
	if (t->n_vips && datapath_per_vip(ts->dp) && !(ifname = vip_device(ts, t, err)))
		return UIPSEC_ERR_IO;
	route_mgr_tunnel_t rt = {
		.name = t->name, .ifname = ifname,
		.local_ts = lp, .local_ts_count = nl, .remote_ts = rp, .remote_ts_count = nr,
		.vips = t->n_vips ? t->vips : NULL, .vip_count = t->n_vips,
	};
	rt.local = t->local.addr;
	rt.remote = t->peer.addr;
	uipsec_err_t e = { "" };
	int rc = route_mgr_tunnel_add(ts->rm, &rt, &e);
	if (rc != UIPSEC_OK)
		snprintf(err->msg, sizeof(err->msg), "%s", e.msg);
	return rc;
}

int tunnel_up(tunnels_t *ts, const char *name, uipsec_err_t *err)
{
	tunnel_t *t = find_named(ts, name, err);
	if (!t)
		return UIPSEC_ERR_NOTFOUND;
	if (t->up)
		return UIPSEC_OK;
	if (t->expired) {
		snprintf(err->msg, sizeof(err->msg),
		         "tunnel %s: its keys reached their hard lifetime; configure new keys and reload", name);
		return UIPSEC_ERR_PERM;
	}
	int rc = install_sas(ts, t, err);
	if (rc != UIPSEC_OK)
		return rc;
	t->up = true;   /* from here on tunnel_uninstall() undoes what exists */
	if ((rc = install_policies(t, err)) != UIPSEC_OK ||
	    (ts->rm && ts->dp && (rc = install_routes(ts, t, err)) != UIPSEC_OK)) {
		tunnel_uninstall(ts, t);
		return rc;
	}
	keepalive_start(ts, t);
	path_mtu_probe(ts, t);
	update_inner_room(ts);
	char a[64], b[64];
	uinfo(SUBSYS, "tunnel %s up: %s <-> %s, %s, SPIs in 0x%08x out 0x%08x", name,
	      udp_endpoint_str(&t->local, a, sizeof(a)), udp_endpoint_str(&t->peer, b, sizeof(b)), t->esp, t->in.spi,
	      t->out.spi);
	return UIPSEC_OK;
}

int tunnel_down(tunnels_t *ts, const char *name, uipsec_err_t *err)
{
	tunnel_t *t = find_named(ts, name, err);
	if (!t)
		return UIPSEC_ERR_NOTFOUND;
	if (!t->up)
		return UIPSEC_OK;
	tunnel_uninstall(ts, t);
	update_inner_room(ts);
	uinfo(SUBSYS, "tunnel %s down", name);
	return UIPSEC_OK;
}

bool tunnels_start(tunnels_t *ts, GError **err)
{
	bool ok = true;
	for (guint i = 0; i < ts->list->len; i++) {
		tunnel_t *t = ts->list->pdata[i];
		if (!t->start)
			continue;
		uipsec_err_t e = { "" };
		if (tunnel_up(ts, t->name, &e) != UIPSEC_OK) {
			uerror(SUBSYS, "%s", e.msg);
			if (ok)
				g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s", e.msg);
			ok = false;
		}
	}
	return ok;
}

void tunnels_free(tunnels_t *ts)
{
	if (!ts)
		return;
	if (ts->expire_sub)
		events_unsubscribe(ts->expire_sub);
	if (ts->reserve_watch)
		g_source_remove(ts->reserve_watch);
	if (ts->reserve_tick)
		g_source_remove(ts->reserve_tick);
	for (guint i = 0; i < ts->list->len; i++) {
		tunnel_t *t = ts->list->pdata[i];
		if (t->up)
			tunnel_uninstall(ts, t);
	}
	g_ptr_array_free(ts->list, TRUE);
	seq_store_free(ts->store);
	g_free(ts);
}

void tunnels_foreach(tunnels_t *ts, void (*fn)(const tunnel_info_t *info, void *user), void *user)
{
	for (guint i = 0; i < ts->list->len; i++) {
		tunnel_t *t = ts->list->pdata[i];
		tunnel_info_t info = {
			.name = t->name, .up = t->up, .esp = t->esp, .local = t->local, .peer = t->peer,
			.spi_in = t->in.spi, .spi_out = t->out.spi, .reqid = t->reqid, .encap = t->encap,
		};
		fn(&info, user);
	}
}

/* ------------------------------------------------------------ reload (control) */

static tunnel_t *find_by_reqid(tunnels_t *ts, uint32_t reqid)
{
	for (guint i = 0; i < ts->list->len; i++) {
		tunnel_t *t = ts->list->pdata[i];
		if (t->reqid == reqid)
			return t;
	}
	return NULL;
}

/* Replace an installed tunnel by its new configuration without a gap:
 * the new SAs go in first (the newest outbound SA of a reqid takes over at
 * once), the old ones are removed after; policies and routes stay. Only
 * possible when both SPIs changed and the plumbing did not. */
static bool tunnel_swap_sas(tunnels_t *ts, tunnel_t *old, tunnel_t *nt, uipsec_err_t *err)
{
	if (!tunnel_config_same_plumbing(old, nt) || old->in.spi == nt->in.spi || old->out.spi == nt->out.spi)
		return false;
	sa_cfg_t c;
	uipsec_err_t e = { "" };
	sa_cfg_fill(ts, nt, SA_DIR_IN, &c);
	if (sad_add(&c, &e) != UIPSEC_OK) {
		snprintf(err->msg, sizeof(err->msg), "inbound SA 0x%08x: %s", nt->in.spi, e.msg);
		return false;
	}
	if (add_out_sa(ts, nt, 0, &e) != UIPSEC_OK) {
		snprintf(err->msg, sizeof(err->msg), "outbound SA 0x%08x: %s", nt->out.spi, e.msg);
		sad_del(SA_DIR_IN, nt->in.spi, &nt->local.addr);
		return false;
	}
	sad_del(SA_DIR_OUT, old->out.spi, NULL);
	sad_del(SA_DIR_IN, old->in.spi, &old->local.addr);
	keepalive_stop(old);
	memcpy(nt->policies, old->policies, sizeof(old->policies));
	nt->n_policies = old->n_policies;
	old->n_policies = 0;
	nt->inner_room = old->inner_room;
	nt->up = true;
	old->up = false;
	keepalive_start(ts, nt);
	return true;
}

bool tunnels_reload(tunnels_t *ts, const uipsec_settings_t *s, tunnel_reload_cb cb, void *user, GError **err)
{
	tunnels_t *nts = tunnels_new(s, err);
	if (!nts)
		return false;
	/* removed tunnels */
	for (guint i = ts->list->len; i-- > 0;) {
		tunnel_t *t = ts->list->pdata[i];
		if (find_tunnel(nts, t->name))
			continue;
		if (t->up)
			tunnel_uninstall(ts, t);
		cb(t->name, TUNNEL_RELOAD_REMOVED, NULL, user);
		g_ptr_array_remove_index(ts->list, i);
	}
	uint32_t next_reqid = 1;
	for (guint i = 0; i < ts->list->len; i++)
		next_reqid = MAX(next_reqid, ((tunnel_t *)ts->list->pdata[i])->reqid + 1);
	while (nts->list->len) {
		tunnel_t *nt = g_ptr_array_steal_index(nts->list, 0);
		tunnel_t *old = find_tunnel(ts, nt->name);
		uipsec_err_t e = { "" };
		if (!old) {
			nt->reqid = next_reqid++;
			g_ptr_array_add(ts->list, nt);
			bool ok = !nt->start || tunnel_up(ts, nt->name, &e) == UIPSEC_OK;
			cb(nt->name, TUNNEL_RELOAD_ADDED, ok ? NULL : e.msg, user);
			continue;
		}
		if (tunnel_config_same(old, nt)) {
			/* untouched: its SAs keep their counters and sequence numbers */
			bool ok = old->up || !nt->start || tunnel_up(ts, old->name, &e) == UIPSEC_OK;
			cb(old->name, TUNNEL_RELOAD_UNCHANGED, ok ? NULL : e.msg, user);
			tunnel_config_free(nt);
			continue;
		}
		nt->reqid = old->reqid;
		guint idx;
		g_ptr_array_find(ts->list, old, &idx);
		bool was_up = old->up, ok = true;
		const char *how = NULL;
		if (was_up && tunnel_swap_sas(ts, old, nt, &e)) {
			how = "new SAs installed before the old ones were removed";
		} else {
			if (was_up)
				tunnel_uninstall(ts, old);
			e.msg[0] = '\0';
		}
		/* the same outbound SPI continues its sequence numbers (the peer's
		 * replay window; with unchanged keys, no nonce twice), and used-up
		 * keys stay used up */
		if (!nt->up && old->out.spi == nt->out.spi)
			nt->out_seq = old->out_seq;
		/* the same outbound keys keep their reservation (and its floor) */
		if (!nt->resv && tunnel_keyset_equal(&old->out, &nt->out)) {
			nt->resv = old->resv;
			old->resv = NULL;
		}
		nt->expired = old->expired && tunnel_keyset_equal(&old->out, &nt->out) && tunnel_keyset_equal(&old->in, &nt->in);
		ts->list->pdata[idx] = nt;
		tunnel_config_free(old);
		if (!nt->up && (was_up || nt->start))
			ok = tunnel_up(ts, nt->name, &e) == UIPSEC_OK;
		cb(nt->name, TUNNEL_RELOAD_CHANGED, ok ? how : e.msg, user);
	}
	tunnels_free(nts);
	update_inner_room(ts);
	return true;
}

/* ------------------------------------------------------------ NAT rebinding */

/* An authenticated packet came from a new address/port: send there from
 * now on. The outbound SA is replaced by one with the new destination that
 * continues the sequence numbers (a reused sequence number would reuse a
 * nonce), after the old one is gone (sad_del waits for the workers). */
/* Is inbound SA spi (of t = the tunnel with its reqid, may be NULL) a
 * configured tunnel's? Otherwise a client added it over the control
 * socket and decides itself where its peer is. (When SAs carry an owner,
 * this becomes a look at it.) */
static bool tunnel_owns_sa(const tunnel_t *t, uint32_t spi)
{
	return t && t->up && t->in.spi == spi;
}

static bool on_rebind(uint32_t reqid, uint32_t spi, const ip_endpoint_t *from, void *user)
{
	tunnels_t *ts = user;
	tunnel_t *t = find_by_reqid(ts, reqid);   /* control: reload keeps reqids, not positions */
	if (!tunnel_owns_sa(t, spi)) {
		mapping_report(reqid, spi, from);   /* the client's IKE daemon decides */
		return false;
	}
	if (udp_endpoint_equal(&t->peer, from))
		return false;
	char a[64], b[64];
	uinfo(SUBSYS, "tunnel %s: peer moved from %s to %s (NAT rebinding), adopted", t->name,
	      udp_endpoint_str(&t->peer, a, sizeof(a)), udp_endpoint_str(from, b, sizeof(b)));
	uint64_t seq = remove_out_sa(t);
	t->peer = *from;
	uipsec_err_t e = { "" };
	if (add_out_sa(ts, t, seq, &e) != UIPSEC_OK)
		uerror(SUBSYS, "tunnel %s: re-adding the outbound SA after NAT rebinding: %s", t->name, e.msg);
	return true;
}
