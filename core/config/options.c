/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Option registry: what the core and the plugins declare (type, default,
 * one-line help). Used to warn about unknown keys with the closest declared
 * key, to check values with file:line, and for uipsecd --help-options. */
#include "config.h"
#include <pthread.h>
#include <string.h>
#include "config/logging.h"
#include "config/settings_parser.h"

typedef struct declared {
	uipsec_option_t opt;      /* every string owned (plugins may be unloaded) */
	char **parts;             /* opt.key split at '.' */
	guint n_parts;
} declared_t;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static GPtrArray *registry;   /* declared_t*, in declaration order */

#define RUN_DIR UIPSEC_RUNSTATEDIR

/* The core's own options: docs/contract.md "Daemon options" and "Manually keyed tunnels". */
static const uipsec_option_t core_options[] = {
	{ "uipsecd", UIPSEC_OPT_SECTION, NULL, "daemon options" },
	{ "uipsecd.load", UIPSEC_OPT_LIST, UIPSEC_BUILT_PLUGINS,
	  "plugins to load, in order; the first that provides a feature is preferred; a trailing '!' marks a plugin critical" },
	{ "uipsecd.plugin_dir", UIPSEC_OPT_LIST, NULL, "extra plugin directories, searched before the built-in one" },
	{ "uipsecd.threads", UIPSEC_OPT_INT, "0", "data-path worker threads; 0 = one per online CPU" },
	{ "uipsecd.user", UIPSEC_OPT_STRING, "root",
	  "user uipsecd switches to after start-up, keeping only CAP_NET_ADMIN (group: its primary group); root = no switch (the Debian package sets uipsec)" },
	{ "uipsecd.pidfile", UIPSEC_OPT_STRING, RUN_DIR "/uipsecd.pid", "PID file of the daemon" },
	{ "uipsecd.state_dir", UIPSEC_OPT_STRING, "/var/lib/uipsec",
	  "where uipsecd keeps outbound sequence-number reservations of manually keyed tunnels" },
	{ "uipsecd.allow_peer_ts", UIPSEC_OPT_BOOL, "no",
	  "allow a remote traffic selector that equals the peer's address (host-to-host)" },
	{ "uipsecd.install_routes", UIPSEC_OPT_BOOL, "yes", "install routes that send protected traffic into the TUN device" },
	{ "uipsecd.log", UIPSEC_OPT_SECTION, NULL, "logging: default, target and a level per subsystem" },
	{ "uipsecd.log.default", UIPSEC_OPT_STRING, "info", "log level: error, warn, info, debug or trace" },
	{ "uipsecd.log.target", UIPSEC_OPT_STRING, "stderr", "where log messages go: stderr or syslog" },
	{ "uipsecd.log.*", UIPSEC_OPT_STRING, NULL,
	  "log level of one subsystem (loader, crypto, esp, net, tun, ctl, cfg or a plugin's name)" },
	{ "uipsecd.control.socket", UIPSEC_OPT_STRING, RUN_DIR "/uipsec/uipsecd.sock", "control socket path, or none for no control socket" },
	{ "uipsecd.control.mode", UIPSEC_OPT_STRING, "0600", "control socket file mode (octal)" },
	{ "uipsecd.control.group", UIPSEC_OPT_STRING, NULL, "group allowed to use the control socket" },
	{ "uipsecd.ike.socket", UIPSEC_OPT_STRING, RUN_DIR "/uipsec/ike.sock",
	  "IKE relay socket (SOCK_SEQPACKET): IKE datagrams on the ESP port go to the IKE daemon connected there; none = no relay" },
	{ "uipsecd.ike.mode", UIPSEC_OPT_STRING, "0600", "IKE relay socket file mode (octal)" },
	{ "uipsecd.ike.group", UIPSEC_OPT_STRING, NULL, "group allowed to use the IKE relay socket" },
	{ "uipsecd.socket.port", UIPSEC_OPT_INT, "4500", "UDP port for ESP-in-UDP (RFC 3948)" },
	{ "uipsecd.socket.address", UIPSEC_OPT_LIST, NULL, "local addresses to bind, IPv4 and IPv6 (default: any)" },
	{ "uipsecd.socket.fwmark", UIPSEC_OPT_INT, NULL, "SO_MARK on every packet the daemon sends (e.g. 0x42)" },
	{ "uipsecd.socket.raw_esp", UIPSEC_OPT_BOOL, "yes", "open raw IP protocol 50 sockets (IPv4 and IPv6) for SAs without UDP encapsulation" },
	{ "uipsecd.plugins", UIPSEC_OPT_SECTION, NULL, "plugin options, one subsection per plugin" },
	{ "uipsecd.crypto.selftest", UIPSEC_OPT_BOOL, "yes", "run known-answer tests on every crypto provider before use" },
	{ "uipsecd.crypto.*.provider", UIPSEC_OPT_STRING, NULL,
	  "plugin that must serve this algorithm (overrides load order and priorities)" },
	{ "tunnels", UIPSEC_OPT_SECTION, NULL, "manually keyed tunnels, one subsection per tunnel" },
	{ "tunnels.*.local", UIPSEC_OPT_STRING, NULL, "our outer address" },
	{ "tunnels.*.remote", UIPSEC_OPT_STRING, NULL, "the peer's outer address" },
	{ "tunnels.*.remote_port", UIPSEC_OPT_INT, NULL, "the peer's UDP port (default: uipsecd.socket.port)" },
	{ "tunnels.*.local_ts", UIPSEC_OPT_LIST, NULL, "local traffic selectors, e.g. 10.1.0.0/24[tcp/443]" },
	{ "tunnels.*.remote_ts", UIPSEC_OPT_LIST, NULL, "remote traffic selectors" },
	{ "tunnels.*.vip", UIPSEC_OPT_LIST, NULL, "virtual IP(s) put on the TUN device" },
	{ "tunnels.*.esp", UIPSEC_OPT_STRING, NULL, "ESP proposal keyword, e.g. aes128gcm16 or aes128-sha256" },
	{ "tunnels.*.esn", UIPSEC_OPT_BOOL, "no", "64-bit extended sequence numbers" },
	{ "tunnels.*.encap", UIPSEC_OPT_BOOL, "yes", "ESP in UDP (RFC 3948); no = raw ESP, IP protocol 50 (needs uipsecd.socket.raw_esp)" },
	{ "tunnels.*.replay_window", UIPSEC_OPT_INT, "1024", "inbound replay window in packets (0..65536); 0 disables the check" },
	{ "tunnels.*.keepalive", UIPSEC_OPT_DURATION, "20s", "NAT keepalive interval; 0 = off" },
	{ "tunnels.*.rekey_time", UIPSEC_OPT_DURATION, "0", "soft lifetime (an event only: manual keys cannot rekey)" },
	{ "tunnels.*.life_time", UIPSEC_OPT_DURATION, "0", "hard lifetime: the SA is removed; 0 = none" },
	{ "tunnels.*.life_bytes", UIPSEC_OPT_BYTES, "0", "hard byte limit; 0 = none" },
	{ "tunnels.*.life_packets", UIPSEC_OPT_INT, "0", "hard packet limit; 0 = none" },
	{ "tunnels.*.start", UIPSEC_OPT_BOOL, "yes", "install the tunnel at startup" },
	{ "tunnels.*.key_file", UIPSEC_OPT_STRING, NULL,
	  "file with the in/out sections (keys); owned by root or uipsecd.user, never world readable (docs/security.md)" },
	{ "tunnels.*.in.spi", UIPSEC_OPT_INT, NULL, "inbound SPI (peer -> us)" },
	{ "tunnels.*.in.key", UIPSEC_OPT_HEX, NULL, "inbound cipher/AEAD key (AEAD: including the salt)" },
	{ "tunnels.*.in.integ_key", UIPSEC_OPT_HEX, NULL, "inbound integrity key" },
	{ "tunnels.*.out.spi", UIPSEC_OPT_INT, NULL, "outbound SPI (us -> peer)" },
	{ "tunnels.*.out.key", UIPSEC_OPT_HEX, NULL, "outbound cipher/AEAD key (AEAD: including the salt)" },
	{ "tunnels.*.out.integ_key", UIPSEC_OPT_HEX, NULL, "outbound integrity key" },
	UIPSEC_OPTION_END
};

static const uipsec_option_t implicit_options[] = {
	{ "uipsecd.plugins.*.load", UIPSEC_OPT_STRING, "yes",
	  "'no' skips the plugin in the load list; an integer sets its priority" },
	UIPSEC_OPTION_END
};

static const char *const type_names[] = {
	[UIPSEC_OPT_STRING] = "string",
	[UIPSEC_OPT_BOOL] = "bool",
	[UIPSEC_OPT_INT] = "int",
	[UIPSEC_OPT_DURATION] = "duration",
	[UIPSEC_OPT_BYTES] = "bytes",
	[UIPSEC_OPT_LIST] = "list",
	[UIPSEC_OPT_HEX] = "hex",
	[UIPSEC_OPT_SECTION] = "section",
};

static const char *type_name(uipsec_opt_type_t t)
{
	return (unsigned)t < G_N_ELEMENTS(type_names) && type_names[t] ? type_names[t] : "?";
}

static void declared_free(gpointer data)
{
	declared_t *d = data;
	g_free((char *)d->opt.key);
	g_free((char *)d->opt.def);
	g_free((char *)d->opt.help);
	g_strfreev(d->parts);
	g_free(d);
}

/* with registry_lock held */
static void declare_locked(const char *prefix, const uipsec_option_t *opts)
{
	if (!registry) {
		registry = g_ptr_array_new_with_free_func(declared_free);
		declare_locked("", implicit_options);
	}
	for (const uipsec_option_t *o = opts; o && o->key; o++) {
		char *key = g_strconcat(prefix ? prefix : "", o->key, NULL);
		for (guint i = 0; i < registry->len; i++) {
			declared_t *old = g_ptr_array_index(registry, i);
			if (strcmp(old->opt.key, key) == 0) {
				g_ptr_array_remove_index(registry, i);
				break;
			}
		}
		declared_t *d = g_new0(declared_t, 1);
		d->opt = (uipsec_option_t){ key, o->type, g_strdup(o->def), g_strdup(o->help) };
		d->parts = g_strsplit(key, ".", -1);
		d->n_parts = g_strv_length(d->parts);
		g_ptr_array_add(registry, d);
	}
}

void options_declare(const char *prefix, const uipsec_option_t *opts)
{
	pthread_mutex_lock(&registry_lock);
	declare_locked(prefix, opts);
	pthread_mutex_unlock(&registry_lock);
}

void options_declare_core(void)
{
	options_declare("", core_options);
}

void options_reset(void)
{
	pthread_mutex_lock(&registry_lock);
	if (registry)
		g_ptr_array_free(registry, TRUE);
	registry = NULL;
	pthread_mutex_unlock(&registry_lock);
}

static bool pattern_matches(const declared_t *d, char **parts, guint n)
{
	if (d->n_parts != n)
		return false;
	for (guint i = 0; i < n; i++)
		if (strcmp(d->parts[i], "*") != 0 && strcmp(d->parts[i], parts[i]) != 0)
			return false;
	return true;
}

/* At the first position where exactly one of them has '*', the other wins. */
static bool more_specific(const declared_t *a, const declared_t *b)
{
	for (guint i = 0; i < a->n_parts && i < b->n_parts; i++) {
		bool wa = strcmp(a->parts[i], "*") == 0, wb = strcmp(b->parts[i], "*") == 0;
		if (wa != wb)
			return wb;
	}
	return false;
}

/* with registry_lock held; SECTION entries are not keys */
static const declared_t *find_locked(const char *key)
{
	if (!registry)
		declare_locked("", NULL);
	char **parts = g_strsplit(key, ".", -1);
	guint n = g_strv_length(parts);
	const declared_t *best = NULL;
	for (guint i = 0; i < registry->len; i++) {
		const declared_t *d = g_ptr_array_index(registry, i);
		if (d->opt.type != UIPSEC_OPT_SECTION && pattern_matches(d, parts, n) &&
		    (!best || more_specific(d, best)))
			best = d;
	}
	g_strfreev(parts);
	return best;
}

const uipsec_option_t *options_find(const char *key)
{
	pthread_mutex_lock(&registry_lock);
	const declared_t *d = key ? find_locked(key) : NULL;
	pthread_mutex_unlock(&registry_lock);
	return d ? &d->opt : NULL;
}

/* ---------------------------------------------------------------- unknown keys */

#define SUGGEST_MAX_EDITS 6
#define SUGGEST_MAX_SPAN 64

/* Optimal string alignment distance (Levenshtein plus transpositions) of
 * a and b if it is at most bound (<= SUGGEST_MAX_EDITS), else bound + 1.
 * A common prefix or suffix costs nothing (a candidate repeats the key's
 * tunnel name, say) and is skipped; of the rest only the band
 * |i - j| <= bound is computed, and a row whose every cell is over bound
 * ends it: no allocation, at most SUGGEST_MAX_SPAN rows. Values are capped at
 * bound + 1, which keeps every min() exact up to bound. Row i keeps D(i, j)
 * in cell j - i + bound + 1; cells 0 and 2 * bound + 2 stay over, as
 * everything outside the band is. */
static size_t edit_distance_within(const char *a, const char *b, size_t bound)
{
	size_t la = strlen(a), lb = strlen(b), over = bound + 1;
	g_assert(bound <= SUGGEST_MAX_EDITS);
	while (la && lb && *a == *b) {
		a++, b++;
		la--, lb--;
	}
	while (la && lb && a[la - 1] == b[lb - 1])
		la--, lb--;
	/* a typo is a few characters in an option's own words, which are
	 * short; a longer difference is no typo (and would cost length x band
	 * per option) */
	if ((la > lb ? la - lb : lb - la) > bound || MIN(la, lb) > SUGGEST_MAX_SPAN)
		return over;
	size_t rows[3][2 * SUGGEST_MAX_EDITS + 3];
	size_t *older = rows[0], *prev = rows[1], *cur = rows[2], width = 2 * bound + 3;
	for (size_t c = 0; c < width; c++)   /* row 0: D(0, j) = j */
		prev[c] = c >= bound + 1 && c - (bound + 1) <= lb ? MIN(c - (bound + 1), over) : over;
	for (size_t i = 1; i <= la; i++) {
		size_t row_min = over;
		for (size_t c = 0; c < width; c++)
			cur[c] = over;
		for (size_t c = 1; c + 1 < width; c++) {
			if (i + c < bound + 1 || i + c - (bound + 1) > lb)
				continue;   /* j outside 0..lb */
			size_t j = i + c - (bound + 1), v;
			if (j == 0) {
				v = i;
			} else {
				/* D(i-1, j) is cell c + 1 of the row before, D(i, j-1)
				 * cell c - 1 of this one, D(i-1, j-1) and D(i-2, j-2)
				 * cell c of theirs */
				size_t cost = a[i - 1] != b[j - 1];
				v = MIN(MIN(prev[c + 1] + 1, cur[c - 1] + 1), prev[c] + cost);
				if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
					v = MIN(v, older[c] + 1);
			}
			cur[c] = MIN(v, over);
			row_min = MIN(row_min, cur[c]);
		}
		if (row_min > bound)
			return over;
		size_t *t = older;
		older = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb + bound + 1 - la];
}

/* The declared key spelled with the unknown key's names in place of '*'. */
static char *instantiate(const declared_t *d, char **parts, guint n)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < d->n_parts; i++) {
		if (i)
			g_string_append_c(out, '.');
		bool wild = strcmp(d->parts[i], "*") == 0;
		g_string_append(out, wild && i < n ? parts[i] : d->parts[i]);
	}
	return g_string_free(out, FALSE);
}

/* with registry_lock held; NULL when nothing is reasonably close */
static char *closest_locked(const char *key)
{
	char **parts = g_strsplit(key, ".", -1);
	guint n = g_strv_length(parts);
	/* an eighth of the key, 2 to SUGGEST_MAX_EDITS: a key further from
	 * every option is no typo of one, and the bound keeps the comparison
	 * of long keys linear (a fuzzed 2 KiB file took 7 s without it) */
	size_t limit = CLAMP(strlen(key) / 8, 2, SUGGEST_MAX_EDITS);
	size_t best_dist = limit + 1;
	char *best = NULL;
	for (guint i = 0; i < registry->len; i++) {
		const declared_t *d = g_ptr_array_index(registry, i);
		if (d->opt.type == UIPSEC_OPT_SECTION)
			continue;
		char *cand = instantiate(d, parts, n);
		/* the length difference is a lower bound of the distance */
		size_t lk = strlen(key), lc = strlen(cand);
		if ((lk > lc ? lk - lc : lc - lk) >= best_dist) {
			g_free(cand);
			continue;
		}
		size_t dist = edit_distance_within(key, cand, best_dist - 1);
		if (dist < best_dist) {
			best_dist = dist;
			g_free(best);
			best = cand;
		} else {
			g_free(cand);
		}
	}
	g_strfreev(parts);
	return best;
}

static void check_unknown_one(const char *key, const char *value, const char *origin, void *user)
{
	unsigned *count = user;
	if (find_locked(key))
		return;
	(*count)++;
	char *best = closest_locked(key);
	if (best)
		uwarn("cfg", "%s: unknown option '%s', did you mean '%s'?", origin, key, best);
	else
		uwarn("cfg", "%s: unknown option '%s'", origin, key);
	g_free(best);
}

unsigned options_check_unknown(const uipsec_settings_t *s)
{
	unsigned count = 0;
	pthread_mutex_lock(&registry_lock);
	settings_foreach(s, check_unknown_one, &count);
	pthread_mutex_unlock(&registry_lock);
	return count;
}

/* ---------------------------------------------------------------- values */

/* NULL when value parses as type, else what was expected. */
static const char *type_mismatch(uipsec_opt_type_t type, const char *value)
{
	bool b;
	int64_t i;
	uint64_t u;
	size_t len;
	uint8_t *hex;
	switch (type) {
	case UIPSEC_OPT_BOOL:
		return settings_parse_bool(value, &b) ? NULL : "a boolean (yes, no, true, false, 1, 0)";
	case UIPSEC_OPT_INT:
		return settings_parse_int(value, &i) ? NULL : "an integer";
	case UIPSEC_OPT_DURATION:
		return settings_parse_duration(value, &u) ? NULL : "a duration (e.g. 30s, 5m, 1h, 1d)";
	case UIPSEC_OPT_BYTES:
		return settings_parse_bytes(value, &u) ? NULL : "a byte count (e.g. 1500, 500k, 10m, 1g)";
	case UIPSEC_OPT_HEX:
		hex = settings_parse_hex(value, &len);
		uipsec_hex_free(hex, len);
		return hex ? NULL : "a hex string (0x followed by an even number of hex digits)";
	default:
		return NULL;
	}
}

static void check_value_one(const char *key, const char *value, const char *origin, void *user)
{
	GString *errors = user;
	const declared_t *d = find_locked(key);
	/* an empty value means "unset" ("vip =") */
	const char *expected = d && *value ? type_mismatch(d->opt.type, value) : NULL;
	if (!expected)
		return;
	if (errors->len)
		g_string_append_c(errors, '\n');
	/* never echo key material */
	if (d->opt.type == UIPSEC_OPT_HEX)
		g_string_append_printf(errors, "%s: '%s' expects %s", origin, key, expected);
	else
		g_string_append_printf(errors, "%s: '%s' expects %s, got '%s'", origin, key, expected, value);
}

bool options_check_values(const uipsec_settings_t *s, GError **err)
{
	GString *errors = g_string_new(NULL);
	pthread_mutex_lock(&registry_lock);
	settings_foreach(s, check_value_one, errors);
	pthread_mutex_unlock(&registry_lock);
	bool ok = errors->len == 0;
	if (!ok)
		g_set_error_literal(err, UIPSEC_SETTINGS_ERROR, UIPSEC_SETTINGS_ERROR_VALUE, errors->str);
	g_string_free(errors, TRUE);
	return ok;
}

/* ---------------------------------------------------------------- help */

static gint compare_declared(gconstpointer a, gconstpointer b)
{
	const declared_t *da = *(const declared_t *const *)a, *db = *(const declared_t *const *)b;
	return strcmp(da->opt.key, db->opt.key);
}

void options_print_help(FILE *out)
{
	pthread_mutex_lock(&registry_lock);
	if (!registry)
		declare_locked("", NULL);
	GPtrArray *sorted = g_ptr_array_sized_new(registry->len);
	for (guint i = 0; i < registry->len; i++)
		g_ptr_array_add(sorted, g_ptr_array_index(registry, i));
	g_ptr_array_sort(sorted, compare_declared);
	for (guint i = 0; i < sorted->len; i++) {
		const uipsec_option_t *o = &((const declared_t *)g_ptr_array_index(sorted, i))->opt;
		if (o->def && *o->def)
			fprintf(out, "%s (%s, default: %s)\n", o->key, type_name(o->type), o->def);
		else
			fprintf(out, "%s (%s)\n", o->key, type_name(o->type));
		if (o->help && *o->help)
			fprintf(out, "    %s\n", o->help);
	}
	g_ptr_array_free(sorted, TRUE);
	pthread_mutex_unlock(&registry_lock);
}
