/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tunnel section: parsing, keys and key_file, validation with file:line. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <uipsec/crypto.h>
#include <uipsec/plugin.h>

#include "util/hex.h"
#include "esp/replay.h"
#include "config/settings_parser.h"
#include "datapath/tunnel_config.h"
#include "datapath/udp_socket.h"

/* ------------------------------------------------------------ parsing */

static void keyset_clear(keyset_t *k)
{
	if (k->key)
		uipsec_hex_free(k->key, k->key_len);
	if (k->integ_key)
		uipsec_hex_free(k->integ_key, k->integ_key_len);
	memset(k, 0, sizeof(*k));
}

void tunnel_config_free(tunnel_t *t)
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
	return val && uipsec_addr_parse(val, &ep->addr);
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

#define K(k) (g_snprintf(key, sizeof(key), "%s%s", p, (k)), key)

/* local, remote and remote_port */
static bool parse_endpoints(tunnel_t *t, const uipsec_settings_t *s, const char *p, uint16_t port, GError **err)
{
	char key[512];
	const char *o;
	int64_t rport = uipsec_settings_get_int(s, K("remote_port"), port);
	if (rport < 1 || rport > 65535) {
		o = uipsec_settings_origin(s, K("remote_port"));
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: remote_port %lld is not a UDP port",
		            o ? o : t->origin, t->name, (long long)rport);
		return false;
	}
	const char *addr_keys[] = { "local", "remote" };
	ip_endpoint_t *eps[] = { &t->local, &t->peer };
	uint16_t ports[] = { port, (uint16_t)rport };
	for (int i = 0; i < 2; i++) {
		const char *v = uipsec_settings_get_str(s, K(addr_keys[i]), NULL);
		if (!get_endpoint(v, ports[i], eps[i])) {
			o = uipsec_settings_origin(s, key);
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: %s %s", o ? o : t->origin, t->name,
			            addr_keys[i], v ? "is not an IPv4/IPv6 address" : "is missing");
			return false;
		}
	}
	if (t->local.addr.family != t->peer.addr.family) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: local and remote are of different families",
		            t->origin, t->name);
		return false;
	}
	t->configured_peer = t->peer;
	return true;
}

/* local_ts, remote_ts and vip */
static bool parse_selectors(tunnel_t *t, const uipsec_settings_t *s, const char *p, GError **err)
{
	char key[512];
	const char *o;
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
			if (*tss[i].n == TUNNEL_MAX_TS) {
				why = g_strdup_printf("more than %d selectors", TUNNEL_MAX_TS);
				good = false;
				break;
			}
			good = ts_parse(*l, &tss[i].arr[*tss[i].n], &why);
			(*tss[i].n)++;
		}
		uipsec_strv_free(list);
		if (!good) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: %s %s", o ? o : t->origin, t->name,
			            tss[i].k, why);
			g_free(why);
			return false;
		}
	}
	char **vips = uipsec_settings_get_list(s, K("vip"));
	for (char **v = vips; v && *v; v++) {
		if (t->n_vips == TUNNEL_MAX_TS || !uipsec_prefix_parse(*v, &t->vips[t->n_vips])) {
			o = uipsec_settings_origin(s, key);
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: vip '%s' is not an address",
			            o ? o : t->origin, t->name, *v);
			uipsec_strv_free(vips);
			return false;
		}
		t->n_vips++;
	}
	uipsec_strv_free(vips);
	return true;
}

/* esp, esn, encap, start, replay_window, keepalive and the lifetimes */
static bool parse_options(tunnel_t *t, const uipsec_settings_t *s, const char *p, GError **err)
{
	char key[512];
	const char *esp = uipsec_settings_get_str(s, K("esp"), NULL);
	if (!esp) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: esp (the proposal, e.g. aes128gcm16) is missing",
		            t->origin, t->name);
		return false;
	}
	t->esp = g_strdup(esp);
	t->esn = uipsec_settings_get_bool(s, K("esn"), false);
	t->start = uipsec_settings_get_bool(s, K("start"), true);
	t->encap = uipsec_settings_get_bool(s, K("encap"), true);
	int64_t rw = uipsec_settings_get_int(s, K("replay_window"), REPLAY_WINDOW_DEFAULT);
	if (rw < 0 || rw > REPLAY_WINDOW_MAX) {
		const char *o = uipsec_settings_origin(s, key);
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: tunnel %s: replay_window %lld out of range (0..%d)",
		            o ? o : t->origin, t->name, (long long)rw, REPLAY_WINDOW_MAX);
		return false;
	}
	t->replay_window = (uint32_t)rw;
	t->keepalive = uipsec_settings_get_duration(s, K("keepalive"), TUNNEL_KEEPALIVE_DEFAULT);
	t->rekey_time = uipsec_settings_get_duration(s, K("rekey_time"), 0);
	t->life_time = uipsec_settings_get_duration(s, K("life_time"), 0);
	t->life_bytes = uipsec_settings_get_bytes(s, K("life_bytes"), 0);
	int64_t lp = uipsec_settings_get_int(s, K("life_packets"), 0);
	t->life_packets = lp > 0 ? (uint64_t)lp : 0;
	return true;
}

tunnel_t *tunnel_config_parse(const uipsec_settings_t *s, const char *name, uint16_t port, GError **err)
{
	tunnel_t *t = g_new0(tunnel_t, 1);
	t->name = g_strdup(name);
	char *p = g_strdup_printf("tunnels.%s.", name);
	char key[512];
	const char *o;
	t->origin = g_strdup((o = uipsec_settings_origin(s, K("esp"))) ? o :
	                     (o = uipsec_settings_origin(s, K("remote"))) ? o : "config");
	bool ok = parse_endpoints(t, s, p, port, err) && parse_selectors(t, s, p, err) &&
	          parse_options(t, s, p, err) && load_keys(t, s, p, err);
	if (ok) {
		o = uipsec_settings_origin(s, K("esp"));
		ok = check_xform(t, &t->out, o ? o : t->origin, err) && check_xform(t, &t->in, o ? o : t->origin, err);
	}
	g_free(p);
	if (!ok) {
		tunnel_config_free(t);
		return NULL;
	}
	return t;
}
#undef K

/* ------------------------------------------------------------ comparing */

static bool bytes_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

bool tunnel_keyset_equal(const keyset_t *a, const keyset_t *b)
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

bool tunnel_config_same_plumbing(const tunnel_t *a, const tunnel_t *b)
{
	return udp_endpoint_equal(&a->local, &b->local) && udp_endpoint_equal(&a->configured_peer, &b->configured_peer) &&
	       ts_list_equal(a->local_ts, a->n_local_ts, b->local_ts, b->n_local_ts) &&
	       ts_list_equal(a->remote_ts, a->n_remote_ts, b->remote_ts, b->n_remote_ts) &&
	       a->n_vips == b->n_vips && memcmp(a->vips, b->vips, a->n_vips * sizeof(a->vips[0])) == 0;
}

bool tunnel_config_same(const tunnel_t *a, const tunnel_t *b)
{
	return tunnel_config_same_plumbing(a, b) && strcmp(a->esp, b->esp) == 0 && a->esn == b->esn &&
	       a->encap == b->encap && a->replay_window == b->replay_window && a->keepalive == b->keepalive &&
	       a->rekey_time == b->rekey_time && a->life_time == b->life_time && a->life_bytes == b->life_bytes &&
	       a->life_packets == b->life_packets && tunnel_keyset_equal(&a->in, &b->in) && tunnel_keyset_equal(&a->out, &b->out);
}
