/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Manually keyed tunnels: SAs, policies, routes, keepalives, NAT rebinding. */
#include "config.h"
#include <glib-unix.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <uipsec/crypto.h>
#include <uipsec/log.h>
#include <uipsec/plugin.h>

#include "events.h"
#include "hex.h"
#include "mtu.h"
#include "sad.h"
#include "seq_store.h"
#include "settings.h"
#include "spd.h"
#include "ts.h"
#include "tunnel.h"
#include "udp_socket.h"
#include "replay.h"

#define SUBSYS "tunnel"
#define MAX_TS 8
#define MAX_POLICIES (2 * MAX_TS * MAX_TS)
#define DEFAULT_TUN_MTU 1400
#define SEQ_STATE_DIR_DEFAULT "/var/lib/uipsec"


typedef struct keyset {
	uint32_t spi;
	uint8_t *key, *integ_key;
	size_t key_len, integ_key_len;
} keyset_t;

typedef struct tunnel {
	char *name;
	char *origin;           /* file:line of the tunnel's definition */
	ip_endpoint_t local, peer, configured_peer;
	ts_t local_ts[MAX_TS], remote_ts[MAX_TS];
	unsigned n_local_ts, n_remote_ts;
	uipsec_prefix_t vips[MAX_TS];
	unsigned n_vips;
	char *esp;
	bool esn, start;
	uint32_t replay_window;
	uint64_t keepalive, rekey_time, life_time, life_bytes, life_packets;
	keyset_t in, out;
	uint32_t reqid;

	bool up;
	uint32_t policies[MAX_POLICIES];
	unsigned n_policies;
	guint keepalive_src;
	uint32_t inner_room;    /* outer path MTU minus overhead, 0 unknown */
	/* last outbound sequence number of an earlier install: a tunnel taken
	 * down and up again continues there (the peer's replay window has
	 * seen the old numbers, and the same key with the same sequence
	 * number would repeat an AEAD nonce) */
	uint64_t out_seq;
	/* an SA reached its hard lifetime: these keys are used up */
	bool expired;
	/* outbound sequence numbers reserved on disk (NULL: not opened yet or
	 * uipsecd.state_dir = none); kept across down/up */
	seq_resv_t *resv;
	bool resv_failed;       /* extending it failed (logged once) */
} tunnel_t;

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

/* ------------------------------------------------------------ parsing */

static void keyset_clear(keyset_t *k)
{
	if (k->key)
		uipsec_hex_free(k->key, k->key_len);
	if (k->integ_key)
		uipsec_hex_free(k->integ_key, k->integ_key_len);
	memset(k, 0, sizeof(*k));
}

static void tunnel_free(tunnel_t *t)
{
	keyset_clear(&t->in);
	keyset_clear(&t->out);
	seq_resv_free(t->resv);
	g_free(t->name);
	g_free(t->origin);
	g_free(t->esp);
	g_free(t);
}

static bool get_endpoint(const char *val, uint16_t port, ip_endpoint_t *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->port = port;
	return val && ip_addr_parse(val, &ep->addr);
}

/* One hex key setting (a missing key is fine for null encryption; the
 * proposal check names the expected length otherwise). An inline key in a
 * config file readable by group or others is refused as such a key_file
 * is; values that come from no file (command line, strings) are not. */
static bool get_key(tunnel_t *t, const uipsec_settings_t *src, const char *key, const char *name,
                    uint8_t **out, size_t *len, const char *where, GError **err)
{
	const char *v = uipsec_settings_get_str(src, key, NULL);
	if (!v || !*v)
		return true;
	const char *ko = uipsec_settings_origin(src, key);
	char *prefix = g_strdup_printf("%s: tunnel %s", ko ? ko : where, t->name);
	bool ok = true;
	char *file = ko ? g_strdup(ko) : NULL;
	char *colon = file ? strrchr(file, ':') : NULL;
	if (colon) {
		*colon = '\0';
		char *what = g_strdup_printf("%s: config file", name);
		if (g_file_test(file, G_FILE_TEST_IS_REGULAR))
			ok = settings_check_private(-1, file, prefix, what, err);
		g_free(what);
	}
	hex_status_t st;
	if (ok && !(*out = hex_decode_alloc(v, len, &st))) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s %s", prefix, name, hex_status_str(st));
		ok = false;
	}
	g_free(file);
	g_free(prefix);
	return ok;
}

/* Keys: from the config, or from key_file with the same in/out sections. */
static bool load_keys(tunnel_t *t, const uipsec_settings_t *s, const char *prefix, GError **err)
{
	const uipsec_settings_t *src = s;
	uipsec_settings_t *ks = NULL;
	char *kp = g_strdup(prefix);
	char *key_file_key = g_strconcat(prefix, "key_file", NULL);
	const char *key_file = uipsec_settings_get_str(s, key_file_key, NULL);
	const char *kf_origin = uipsec_settings_origin(s, key_file_key);
	char *path = NULL;
	bool ok = false;
	if (key_file) {
		/* relative to the file that names it */
		if (!g_path_is_absolute(key_file) && kf_origin) {
			char *file = g_strdup(kf_origin);
			char *colon = strrchr(file, ':');
			if (colon)
				*colon = '\0';
			char *dir = g_path_get_dirname(file);
			path = g_build_filename(dir, key_file, NULL);
			g_free(dir);
			g_free(file);
		} else {
			path = g_strdup(key_file);
		}
		char *where = g_strdup_printf("%s: tunnel %s", kf_origin ? kf_origin : "config", t->name);
		bool private = settings_check_private(-1, path, where, "key_file", err);
		g_free(where);
		if (!private)
			goto out;
		ks = settings_new();
		if (!settings_load_file(ks, path, err))
			goto out;
		src = ks;
		g_free(kp);
		kp = g_strdup("");
	}
	struct { keyset_t *k; const char *dir; } sets[] = { { &t->in, "in" }, { &t->out, "out" } };
	for (size_t i = 0; i < G_N_ELEMENTS(sets); i++) {
		char *spi_key = g_strdup_printf("%s%s.spi", kp, sets[i].dir);
		char *key_key = g_strdup_printf("%s%s.key", kp, sets[i].dir);
		char *ikey_key = g_strdup_printf("%s%s.integ_key", kp, sets[i].dir);
		int64_t spi = uipsec_settings_get_int(src, spi_key, 0);
		const char *where = uipsec_settings_origin(src, spi_key);
		if (!where)
			where = path ? path : t->origin;
		bool good = true;
		if (spi < 256 || spi > 0xffffffffLL) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "%s: tunnel %s: %s.spi missing or invalid (256..0xffffffff; 1-255 are reserved)", where,
			            t->name, sets[i].dir);
			good = false;
		} else {
			sets[i].k->spi = (uint32_t)spi;
			char *kn = g_strdup_printf("%s.key", sets[i].dir), *ikn = g_strdup_printf("%s.integ_key", sets[i].dir);
			good = get_key(t, src, key_key, kn, &sets[i].k->key, &sets[i].k->key_len, where, err) &&
			       get_key(t, src, ikey_key, ikn, &sets[i].k->integ_key, &sets[i].k->integ_key_len, where, err);
			g_free(kn);
			g_free(ikn);
		}
		g_free(spi_key);
		g_free(key_key);
		g_free(ikey_key);
		if (!good)
			goto out;
	}
	ok = true;
out:
	if (ks)
		settings_free(ks);
	g_free(path);
	g_free(kp);
	g_free(key_file_key);
	return ok;
}

/* Check the proposal and key lengths now, so a bad tunnel fails at start-up
 * with file:line rather than when it is brought up. */
static bool check_xform(tunnel_t *t, const keyset_t *k, const char *where, GError **err)
{
	uipsec_xform_t *x = NULL;
	uipsec_err_t e = { "" };
	int rc = uipsec_xform_create(t->esp, k->key, k->key_len, k->integ_key, k->integ_key_len, &x, &e);
	if (rc != UIPSEC_OK) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: esp = %s: %s", where, t->name, t->esp,
		            e.msg[0] ? e.msg : uipsec_status_str(rc));
		return false;
	}
	uipsec_xform_destroy(x);
	return true;
}

static tunnel_t *tunnel_parse(const uipsec_settings_t *s, const char *name, uint16_t port, GError **err)
{
	tunnel_t *t = g_new0(tunnel_t, 1);
	t->name = g_strdup(name);
	char *p = g_strdup_printf("tunnels.%s.", name);
#define K(k) (g_snprintf(key, sizeof(key), "%s%s", p, (k)), key)
	char key[512];
	const char *o;
	t->origin = g_strdup((o = uipsec_settings_origin(s, K("esp"))) ? o :
	                     (o = uipsec_settings_origin(s, K("remote"))) ? o : "config");
	int64_t rport = uipsec_settings_get_int(s, K("remote_port"), port);
	if (rport < 1 || rport > 65535) {
		o = uipsec_settings_origin(s, K("remote_port"));
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: remote_port %lld is not a UDP port",
		            o ? o : t->origin, name, (long long)rport);
		goto fail;
	}
	const char *addr_keys[] = { "local", "remote" };
	ip_endpoint_t *eps[] = { &t->local, &t->peer };
	uint16_t ports[] = { port, (uint16_t)rport };
	for (int i = 0; i < 2; i++) {
		const char *v = uipsec_settings_get_str(s, K(addr_keys[i]), NULL);
		if (!get_endpoint(v, ports[i], eps[i])) {
			o = uipsec_settings_origin(s, key);
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: %s %s", o ? o : t->origin, name,
			            addr_keys[i], v ? "is not an IPv4/IPv6 address" : "is missing");
			goto fail;
		}
	}
	if (t->local.addr.family != t->peer.addr.family) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: local and remote are of different families",
		            t->origin, name);
		goto fail;
	}
	t->configured_peer = t->peer;
	struct { const char *k; ts_t *arr; unsigned *n; } tss[] = {
		{ "local_ts", t->local_ts, &t->n_local_ts }, { "remote_ts", t->remote_ts, &t->n_remote_ts },
	};
	for (int i = 0; i < 2; i++) {
		char **list = uipsec_settings_get_list(s, K(tss[i].k));
		o = uipsec_settings_origin(s, key);
		bool good = list && list[0];
		char *why = NULL;
		if (!good)
			why = g_strdup("missing");
		for (char **l = list; good && *l; l++) {
			if (*tss[i].n == MAX_TS) {
				why = g_strdup_printf("more than %d selectors", MAX_TS);
				good = false;
				break;
			}
			good = ts_parse(*l, &tss[i].arr[*tss[i].n], &why);
			(*tss[i].n)++;
		}
		uipsec_strv_free(list);
		if (!good) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: %s %s", o ? o : t->origin, name,
			            tss[i].k, why);
			g_free(why);
			goto fail;
		}
	}
	char **vips = uipsec_settings_get_list(s, K("vip"));
	for (char **v = vips; v && *v; v++) {
		if (t->n_vips == MAX_TS || !uipsec_prefix_parse(*v, &t->vips[t->n_vips])) {
			o = uipsec_settings_origin(s, key);
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: vip '%s' is not an address",
			            o ? o : t->origin, name, *v);
			uipsec_strv_free(vips);
			goto fail;
		}
		t->n_vips++;
	}
	uipsec_strv_free(vips);
	const char *esp = uipsec_settings_get_str(s, K("esp"), NULL);
	if (!esp) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: esp (the proposal, e.g. aes128gcm16) is missing",
		            t->origin, name);
		goto fail;
	}
	t->esp = g_strdup(esp);
	t->esn = uipsec_settings_get_bool(s, K("esn"), false);
	t->start = uipsec_settings_get_bool(s, K("start"), true);
	int64_t rw = uipsec_settings_get_int(s, K("replay_window"), REPLAY_WINDOW_DEFAULT);
	if (rw < 0 || rw > REPLAY_WINDOW_MAX) {
		o = uipsec_settings_origin(s, key);
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: replay_window %lld out of range (0..%d)",
		            o ? o : t->origin, name, (long long)rw, REPLAY_WINDOW_MAX);
		goto fail;
	}
	t->replay_window = (uint32_t)rw;
	t->keepalive = uipsec_settings_get_duration(s, K("keepalive"), TUNNEL_KEEPALIVE_DEFAULT);
	t->rekey_time = uipsec_settings_get_duration(s, K("rekey_time"), 0);
	t->life_time = uipsec_settings_get_duration(s, K("life_time"), 0);
	t->life_bytes = uipsec_settings_get_bytes(s, K("life_bytes"), 0);
	int64_t lp = uipsec_settings_get_int(s, K("life_packets"), 0);
	t->life_packets = lp > 0 ? (uint64_t)lp : 0;
	if (!load_keys(t, s, p, err))
		goto fail;
	o = uipsec_settings_origin(s, K("esp"));
	if (!check_xform(t, &t->out, o ? o : t->origin, err) || !check_xform(t, &t->in, o ? o : t->origin, err))
		goto fail;
#undef K
	g_free(p);
	return t;
fail:
	g_free(p);
	tunnel_free(t);
	return NULL;
}

tunnels_t *tunnels_new(const uipsec_settings_t *s, GError **err)
{
	tunnels_t *ts = g_new0(tunnels_t, 1);
	ts->list = g_ptr_array_new_with_free_func((GDestroyNotify)tunnel_free);
	ts->port = (uint16_t)uipsec_settings_get_int(s, "uipsecd.socket.port", 4500);
	ts->socket_fwmark = (uint32_t)uipsec_settings_get_int(s, "uipsecd.socket.fwmark", 0);
	ts->store = seq_store_new(uipsec_settings_get_str(s, "uipsecd.state_dir", SEQ_STATE_DIR_DEFAULT));
	char **names = uipsec_settings_sections(s, "tunnels");
	for (char **n = names; n && *n; n++) {
		tunnel_t *t = tunnel_parse(s, *n, ts->port, err);
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

static uint32_t tunnel_room(const tunnel_t *t, uint32_t path_mtu)
{
	uipsec_xform_t *x = NULL;
	if (uipsec_xform_create(t->esp, t->out.key, t->out.key_len, t->out.integ_key, t->out.integ_key_len, &x,
	                        NULL) != UIPSEC_OK)
		return 0;
	uint32_t room = mtu_inner_room(uipsec_xform_info(x), t->peer.addr.family, path_mtu);
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

static void to_uipsec_addr(const ip_addr_t *in, uipsec_addr_t *out)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	memcpy(out->bytes, in->a, sizeof(out->bytes));
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
		uipsec_addr_t dst;
		to_uipsec_addr(&t->peer.addr, &dst);
		uipsec_route_lookup_t lk;
		uipsec_err_t e = { "" };
		memset(&lk, 0, sizeof(lk));
		if (ts->net_ops->route_get(ts->net, &dst, ts->socket_fwmark, &lk, &e) == UIPSEC_OK) {
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

int tunnel_up(tunnels_t *ts, const char *name, uipsec_err_t *err)
{
	tunnel_t *t = find_tunnel(ts, name);
	if (!t) {
		snprintf(err->msg, sizeof(err->msg), "no tunnel named '%s'", name);
		return UIPSEC_ERR_NOTFOUND;
	}
	if (t->up)
		return UIPSEC_OK;
	if (t->expired) {
		snprintf(err->msg, sizeof(err->msg),
		         "tunnel %s: its keys reached their hard lifetime; configure new keys and reload", name);
		return UIPSEC_ERR_PERM;
	}
	int rc;
	uipsec_err_t e = { "" };
	sa_cfg_t c;
	sa_cfg_fill(ts, t, SA_DIR_IN, &c);
	if ((rc = sad_add(&c, &e)) != UIPSEC_OK) {
		snprintf(err->msg, sizeof(err->msg), "tunnel %s: inbound SA 0x%08x: %s", name, t->in.spi, e.msg);
		return rc;
	}
	if ((rc = add_out_sa(ts, t, t->out_seq, &e)) != UIPSEC_OK) {
		snprintf(err->msg, sizeof(err->msg), "tunnel %s: outbound SA 0x%08x: %s", name, t->out.spi, e.msg);
		sad_del(SA_DIR_IN, t->in.spi, &t->local.addr);
		return rc;
	}
	t->up = true;   /* from here on tunnel_uninstall() undoes what exists */
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
				if ((rc = spd_add(&pc, &id, &e)) != UIPSEC_OK) {
					snprintf(err->msg, sizeof(err->msg), "tunnel %s: policy %s === %s %s: %s", name,
					         t->local_ts[l].text, t->remote_ts[r].text, d ? "in" : "out", e.msg);
					tunnel_uninstall(ts, t);
					return rc;
				}
				t->policies[t->n_policies++] = id;
			}
		}
	if (ts->rm && ts->dp) {
		uipsec_prefix_t lp[MAX_TS], rp[MAX_TS];
		size_t nl = 0, nr = 0;
		for (unsigned i = 0; i < t->n_local_ts; i++)
			if (t->local_ts[i].is_prefix)
				lp[nl++] = t->local_ts[i].prefix;
		for (unsigned i = 0; i < t->n_remote_ts; i++)
			if (t->remote_ts[i].is_prefix)
				rp[nr++] = t->remote_ts[i].prefix;
			else
				uwarn(SUBSYS, "tunnel %s: remote_ts %s is not a prefix: no route installed for it", name,
				      t->remote_ts[i].text);
		const char *ifname = datapath_ifname(ts->dp);
		if (t->n_vips && datapath_per_vip(ts->dp)) {
			/* this tunnel's virtual IPs get a device of their own */
			ip_addr_t va[MAX_TS];
			for (unsigned i = 0; i < t->n_vips; i++) {
				memset(&va[i], 0, sizeof(va[i]));
				va[i].family = t->vips[i].addr.family;
				memcpy(va[i].a, t->vips[i].addr.bytes, sizeof(va[i].a));
			}
			GError *verr = NULL;
			ifname = datapath_vip_device(ts->dp, va, t->n_vips, &verr);
			if (ifname && ts->net_ops && ts->net &&
			    ts->net_ops->link_set(ts->net, ifname, true, 0, &e) != UIPSEC_OK) {
				snprintf(err->msg, sizeof(err->msg), "tunnel %s: bringing %s up: %s", name, ifname, e.msg);
				tunnel_uninstall(ts, t);
				return UIPSEC_ERR_IO;
			}
			if (!ifname) {
				snprintf(err->msg, sizeof(err->msg), "tunnel %s: %s", name, verr->message);
				g_error_free(verr);
				tunnel_uninstall(ts, t);
				return UIPSEC_ERR_IO;
			}
		}
		route_mgr_tunnel_t rt = {
			.name = t->name, .ifname = ifname,
			.local_ts = lp, .local_ts_count = nl, .remote_ts = rp, .remote_ts_count = nr,
			.vips = t->n_vips ? t->vips : NULL, .vip_count = t->n_vips,
		};
		to_uipsec_addr(&t->local.addr, &rt.local);
		to_uipsec_addr(&t->peer.addr, &rt.remote);
		if ((rc = route_mgr_tunnel_add(ts->rm, &rt, &e)) != UIPSEC_OK) {
			snprintf(err->msg, sizeof(err->msg), "%s", e.msg);
			tunnel_uninstall(ts, t);
			return rc;
		}
	}
	if (t->keepalive && ts->dp) {
		ka_ctx_t *kc = g_new0(ka_ctx_t, 1);
		kc->ts = ts;
		kc->t = t;
		t->keepalive_src = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, (guint)t->keepalive, keepalive_send,
		                                             kc, g_free);
	}
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
	tunnel_t *t = find_tunnel(ts, name);
	if (!t) {
		snprintf(err->msg, sizeof(err->msg), "no tunnel named '%s'", name);
		return UIPSEC_ERR_NOTFOUND;
	}
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
			.spi_in = t->in.spi, .spi_out = t->out.spi, .reqid = t->reqid,
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

static bool bytes_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool keyset_equal(const keyset_t *a, const keyset_t *b)
{
	return a->spi == b->spi && bytes_equal(a->key, a->key_len, b->key, b->key_len) &&
	       bytes_equal(a->integ_key, a->integ_key_len, b->integ_key, b->integ_key_len);
}

static bool ts_list_equal(const ts_t *a, unsigned na, const ts_t *b, unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++)
		if (strcmp(a[i].text, b[i].text) != 0)
			return false;
	return true;
}

/* Same addresses, selectors and virtual IPs: policies and routes can stay. */
static bool tunnel_same_plumbing(const tunnel_t *a, const tunnel_t *b)
{
	return udp_endpoint_equal(&a->local, &b->local) && udp_endpoint_equal(&a->configured_peer, &b->configured_peer) &&
	       ts_list_equal(a->local_ts, a->n_local_ts, b->local_ts, b->n_local_ts) &&
	       ts_list_equal(a->remote_ts, a->n_remote_ts, b->remote_ts, b->n_remote_ts) &&
	       a->n_vips == b->n_vips && memcmp(a->vips, b->vips, a->n_vips * sizeof(a->vips[0])) == 0;
}

/* Everything that shapes the installed tunnel ('start' only matters at start). */
static bool tunnel_same(const tunnel_t *a, const tunnel_t *b)
{
	return tunnel_same_plumbing(a, b) && strcmp(a->esp, b->esp) == 0 && a->esn == b->esn &&
	       a->replay_window == b->replay_window && a->keepalive == b->keepalive &&
	       a->rekey_time == b->rekey_time && a->life_time == b->life_time && a->life_bytes == b->life_bytes &&
	       a->life_packets == b->life_packets && keyset_equal(&a->in, &b->in) && keyset_equal(&a->out, &b->out);
}

static void keepalive_start(tunnels_t *ts, tunnel_t *t)
{
	if (t->keepalive && ts->dp) {
		ka_ctx_t *kc = g_new0(ka_ctx_t, 1);
		kc->ts = ts;
		kc->t = t;
		t->keepalive_src = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, (guint)t->keepalive, keepalive_send,
		                                             kc, g_free);
	}
}

/* Replace an installed tunnel by its new configuration without a gap:
 * the new SAs go in first (the newest outbound SA of a reqid takes over at
 * once), the old ones are removed after; policies and routes stay. Only
 * possible when both SPIs changed and the plumbing did not. */
static bool tunnel_swap_sas(tunnels_t *ts, tunnel_t *old, tunnel_t *nt, uipsec_err_t *err)
{
	if (!tunnel_same_plumbing(old, nt) || old->in.spi == nt->in.spi || old->out.spi == nt->out.spi)
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
		if (tunnel_same(old, nt)) {
			/* untouched: its SAs keep their counters and sequence numbers */
			bool ok = old->up || !nt->start || tunnel_up(ts, old->name, &e) == UIPSEC_OK;
			cb(old->name, TUNNEL_RELOAD_UNCHANGED, ok ? NULL : e.msg, user);
			tunnel_free(nt);
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
		if (!nt->resv && keyset_equal(&old->out, &nt->out)) {
			nt->resv = old->resv;
			old->resv = NULL;
		}
		nt->expired = old->expired && keyset_equal(&old->out, &nt->out) && keyset_equal(&old->in, &nt->in);
		ts->list->pdata[idx] = nt;
		tunnel_free(old);
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
static void on_rebind(uint32_t reqid, uint32_t spi, const ip_endpoint_t *from, void *user)
{
	tunnels_t *ts = user;
	tunnel_t *t = find_by_reqid(ts, reqid);   /* control: reload keeps reqids, not positions */
	if (!t || !t->up || t->in.spi != spi || udp_endpoint_equal(&t->peer, from))
		return;
	char a[64], b[64];
	uinfo(SUBSYS, "tunnel %s: peer moved from %s to %s (NAT rebinding), adopted", t->name,
	      udp_endpoint_str(&t->peer, a, sizeof(a)), udp_endpoint_str(from, b, sizeof(b)));
	uint64_t seq = remove_out_sa(t);
	t->peer = *from;
	uipsec_err_t e = { "" };
	if (add_out_sa(ts, t, seq, &e) != UIPSEC_OK)
		uerror(SUBSYS, "tunnel %s: re-adding the outbound SA after NAT rebinding: %s", t->name, e.msg);
}

/* ------------------------------------------------------------ service */

struct tunnel_service {
	tunnels_t *tunnels;
	datapath_t *dp;
	const uipsec_net_ops_t *net_ops;
	uipsec_net_t *net;
	route_mgr_t *rm;
	guint net_watch;        /* the backend's link/address/route events */
};

/* A burst of network events (one `ip route replace` is several messages)
 * is acted on once, this long after its first message. */
#define NET_EVENT_DELAY_MS 100

static void on_net_event(const uipsec_net_event_t *ev, void *user)
{
	route_mgr_handle_event(user, ev);
}

static gboolean on_net_readable(gint fd, GIOCondition cond, gpointer user)
{
	tunnel_service_t *svc = user;
	(void)fd;
	(void)cond;
	svc->net_ops->event_dispatch(svc->net);
	return G_SOURCE_CONTINUE;
}

/* Exception routes and preferred sources follow the host's network. */
static void net_events_watch(tunnel_service_t *svc)
{
	const uipsec_net_ops_t *ops = svc->net_ops;
	int fd = ops->event_fd && ops->event_dispatch && ops->set_event_cb ? ops->event_fd(svc->net) : -1;
	if (fd < 0) {
		uwarn(SUBSYS, "the network backend reports no changes: exception routes keep the next hop they "
		      "were installed with");
		return;
	}
	ops->set_event_cb(svc->net, on_net_event, svc->rm);
	svc->net_watch = g_unix_fd_add(fd, G_IO_IN, on_net_readable, svc);
}

route_mgr_t *tunnel_service_route_mgr(tunnel_service_t *svc) { return svc->rm; }

static tunnel_service_t *current_service;

tunnel_service_t *tunnel_service_current(void) { return current_service; }
tunnels_t *tunnel_service_tunnels(tunnel_service_t *svc) { return svc->tunnels; }
datapath_t *tunnel_service_datapath(tunnel_service_t *svc) { return svc->dp; }

tunnel_service_t *tunnel_service_start(const uipsec_settings_t *s, GError **err)
{
	tunnel_service_t *svc = g_new0(tunnel_service_t, 1);
	spd_init();
	sad_init();
	svc->tunnels = tunnels_new(s, err);
	if (!svc->tunnels)
		goto fail;
	uint32_t mtu = tunnels_default_mtu(svc->tunnels, MTU_DEFAULT_LINK);
	svc->dp = datapath_start(s, mtu, err);
	if (!svc->dp)
		goto fail;
	void *nstate = NULL;
	svc->net_ops = uipsec_feature_get(UIPSEC_FT_NET, 0, NULL, &nstate);
	uipsec_err_t e = { "" };
	if (!svc->net_ops) {
		uwarn(SUBSYS, "no network backend loaded: %s stays down, no routes are installed",
		      datapath_ifname(svc->dp));
	} else if (svc->net_ops->create(nstate, &svc->net, &e) != UIPSEC_OK) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "network backend: %s", e.msg);
		goto fail;
	} else if (svc->net_ops->link_set(svc->net, datapath_ifname(svc->dp), true, 0, &e) != UIPSEC_OK) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "bringing %s up: %s", datapath_ifname(svc->dp), e.msg);
		goto fail;
	}
	if (svc->net) {
		route_mgr_cfg_t rc = {
			.install_routes = uipsec_settings_get_bool(s, "uipsecd.install_routes", true),
			.allow_peer_ts = uipsec_settings_get_bool(s, "uipsecd.allow_peer_ts", false),
			.socket_fwmark = (uint32_t)uipsec_settings_get_int(s, "uipsecd.socket.fwmark", 0),
			.event_delay_ms = NET_EVENT_DELAY_MS,
		};
		svc->rm = route_mgr_new(svc->net_ops, svc->net, &rc);
		if (route_mgr_start(svc->rm, &e) != UIPSEC_OK) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "routing: %s", e.msg);
			goto fail;
		}
		net_events_watch(svc);
	}
	tunnels_attach(svc->tunnels, svc->dp, svc->rm, svc->net_ops, svc->net);
	datapath_set_rebind_cb(svc->dp, on_rebind, svc->tunnels);
	GError *terr = NULL;
	if (!tunnels_start(svc->tunnels, &terr)) {
		/* a tunnel that cannot come up does not stop the others */
		g_error_free(terr);
	}
	current_service = svc;
	return svc;
fail:
	tunnel_service_stop(svc);
	return NULL;
}

void tunnel_service_stop(tunnel_service_t *svc)
{
	if (!svc)
		return;
	if (current_service == svc)
		current_service = NULL;
	tunnels_free(svc->tunnels);
	if (svc->net_watch) {
		g_source_remove(svc->net_watch);
		svc->net_ops->set_event_cb(svc->net, NULL, NULL);
	}
	if (svc->rm)
		route_mgr_free(svc->rm);
	datapath_stop(svc->dp);
	if (svc->net)
		svc->net_ops->destroy(svc->net);
	g_free(svc);
}
