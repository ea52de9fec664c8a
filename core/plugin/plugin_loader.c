/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Plugin loader. Two phases, as in strongSwan:
 *  1. open every plugin of the load list, check its descriptor (ABI, size,
 *     name), declare its options and run init();
 *  2. resolve features: a PROVIDE is kept when each DEPENDS after it is
 *     provided by a kept feature (recursively, loops detected) and the
 *     check registered for its type passes. Plugins left without a kept
 *     feature are unloaded.
 * Every failure is logged as "plugin 'NAME' (PATH): failed to load - REASON". */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <uipsec/log.h>
#include "plugin/feature_registry.h"
#include "plugin/module.h"
#include "plugin/plugin_loader.h"
#include "config/settings_parser.h"

#define LOG_SUBSYS "loader"

G_DEFINE_QUARK(uipsec-loader-error-quark, uipsec_loader_error)

typedef struct plugin {
	plugin_info_t info;          /* public view; strings below are owned */
	char *name, *path, *reason;
	char *version, *description; /* copied: the descriptor goes with the module */
	module_t *module;            /* NULL for static plugins */
	const uipsec_plugin_desc_t *desc;   /* NULL once closed */
	uipsec_plugin_ctx_t *ctx;
	void *state;
	bool initialised;
	bool activated;              /* has a kept feature */
	unsigned kept;
} plugin_t;

typedef enum entry_state {
	ENTRY_NEW = 0,
	ENTRY_RESOLVING,
	ENTRY_KEPT,
	ENTRY_DROPPED,
} entry_state_t;

/* One PROVIDE of a plugin's table and the DEPENDS/SDEPEND entries after it. */
typedef struct entry {
	plugin_t *plugin;
	const uipsec_feature_t *provide;
	const uipsec_feature_t *deps;
	size_t ndeps;
	entry_state_t state;
	char *reason;                /* ENTRY_DROPPED: why */
	char *loop;                  /* set when the entry is part of a dependency loop */
} entry_t;

static GPtrArray *plugins;       /* plugin_t*, load-list order (incl. failed/skipped) */
static GPtrArray *active;        /* plugin_t*, activation order: unload in reverse */
static GPtrArray *statics;       /* const uipsec_plugin_desc_t* */

/* ---------------------------------------------------------------- helpers */

static void plugin_free(plugin_t *p)
{
	plugin_ctx_free(p->ctx);
	g_free(p->name);
	g_free(p->path);
	g_free(p->reason);
	g_free(p->version);
	g_free(p->description);
	g_free(p);
}

static void plugin_sync_info(plugin_t *p)
{
	p->info.name = p->name;
	p->info.path = p->path;
	p->info.reason = p->reason;
	p->info.version = p->version;
	p->info.description = p->description;
}

/* Log the one failure line and remember the reason. */
static void plugin_fail(plugin_t *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void plugin_fail(plugin_t *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_free(p->reason);
	p->reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	p->info.status = PLUGIN_FAILED;
	plugin_sync_info(p);
	UIPSEC_LOG(LOG_SUBSYS, p->info.critical ? UIPSEC_LOG_ERROR : UIPSEC_LOG_WARN,
	           "plugin '%s' (%s): failed to load - %s", p->name, p->path, p->reason);
}

static void plugin_close(plugin_t *p)
{
	if (p->initialised && p->desc->fini)
		p->desc->fini(p->state);
	p->initialised = false;
	p->state = NULL;
	if (p->module) {
		/* leak checkers cannot name functions of unmapped modules: with
		 * UIPSEC_KEEP_MODULES set, modules stay mapped (still reachable) */
		static GPtrArray *kept_modules;
		if (g_getenv("UIPSEC_KEEP_MODULES")) {
			if (!kept_modules)
				kept_modules = g_ptr_array_new();
			g_ptr_array_add(kept_modules, p->module);
		} else {
			module_close(p->module);
		}
	}
	p->module = NULL;
	p->desc = NULL;
}

static int32_t effective_priority(const plugin_t *p, const uipsec_feature_t *f)
{
	return p->info.has_priority ? p->info.priority : f->priority;
}

/* ---------------------------------------------------------------- phase 1: open */

static char **search_dirs(const uipsec_settings_t *s)
{
	GPtrArray *dirs = g_ptr_array_new();
	const char *env = g_getenv("UIPSEC_PLUGIN_PATH");

	if (env) {
		char **parts = g_strsplit(env, ":", -1);
		for (char **d = parts; *d; d++)
			if (**d)
				g_ptr_array_add(dirs, g_strdup(*d));
		g_strfreev(parts);
	}
	char **conf = uipsec_settings_get_list(s, "uipsecd.plugin_dir");
	for (char **d = conf; d && *d; d++)
		if (**d)
			g_ptr_array_add(dirs, g_strdup(*d));
	uipsec_strv_free(conf);
	g_ptr_array_add(dirs, g_strdup(UIPSEC_PLUGINDIR));
	g_ptr_array_add(dirs, NULL);
	return (char **)g_ptr_array_free(dirs, FALSE);
}

static char *find_file(const char *name, char **dirs)
{
	for (char **d = dirs; *d; d++) {
		for (const char *const *suffix = module_suffixes(); *suffix; suffix++) {
			char *file = g_strconcat("uipsec-", name, *suffix, NULL);
			char *path = g_build_filename(*d, file, NULL);
			g_free(file);
			if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
				return path;
			g_free(path);
		}
	}
	return NULL;
}

static const uipsec_plugin_desc_t *find_static(const char *name)
{
	for (guint i = 0; statics && i < statics->len; i++) {
		const uipsec_plugin_desc_t *d = g_ptr_array_index(statics, i);
		if (d->name && strcmp(d->name, name) == 0)
			return d;
	}
	return NULL;
}

/* The dynamic loader's message, plus a hint when a library is missing
 * (the message then names another .so than the plugin itself). */
static char *open_error(const char *path, const char *msg)
{
	char *rest = g_strdup(msg ? msg : "unknown error");
	char *at = strstr(rest, path);
	if (at)
		memset(at, ' ', strlen(path));      /* ignore the plugin's own name */
	bool names_lib = strstr(rest, ".so") != NULL ||
	                 strstr(rest, "cannot open shared object") != NULL;
	g_free(rest);
	if (names_lib && g_str_has_suffix(path, ".la"))
		return g_strdup_printf("cannot open: %s (missing shared library? check `ldd` on the "
		                       "library %s names)", msg, path);
	if (names_lib)
		return g_strdup_printf("cannot open: %s (missing shared library? check `ldd %s`)",
		                       msg, path);
	return g_strdup_printf("cannot open: %s", msg ? msg : "unknown error");
}

static bool name_valid(const char *name)
{
	if (!*name)
		return false;
	for (const char *c = name; *c; c++)
		if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
			return false;
	return true;
}

static char *symbol_for(const char *name)
{
	char *sym = g_strconcat(UIPSEC_PLUGIN_SYMBOL_PREFIX, name, NULL);
	for (char *c = sym; *c; c++)
		if (*c == '-')
			*c = '_';
	return sym;
}

/* ABI major/minor, descriptor size, name: in this order, so that nothing
 * is read from a descriptor whose layout we do not know. */
static bool check_descriptor(plugin_t *p, const uipsec_plugin_desc_t *d)
{
	if (d->abi_major != UIPSEC_ABI_MAJOR || d->abi_minor > UIPSEC_ABI_MINOR) {
		plugin_fail(p, "ABI mismatch: plugin built for ABI %u.%u, core has %u.%u%s",
		            d->abi_major, d->abi_minor, UIPSEC_ABI_MAJOR, UIPSEC_ABI_MINOR,
		            d->abi_major == UIPSEC_ABI_MAJOR ? " (plugin needs a newer core)" : "");
		return false;
	}
	if (d->struct_size != sizeof(uipsec_plugin_desc_t)) {
		plugin_fail(p, "descriptor size mismatch: plugin has %u bytes, core expects %zu",
		            (unsigned)d->struct_size, sizeof(uipsec_plugin_desc_t));
		return false;
	}
	if (!d->name || strcmp(d->name, p->name) != 0) {
		plugin_fail(p, "name mismatch: descriptor says '%s'", d->name ? d->name : "(null)");
		return false;
	}
	return true;
}

static bool plugin_open(plugin_t *p, char **dirs, const uipsec_settings_t *s)
{
	const uipsec_plugin_desc_t *d = find_static(p->name);

	if (d) {
		p->path = g_strdup("(built-in)");
	} else {
		p->path = find_file(p->name, dirs);
		if (!p->path) {
			char *list = g_strjoinv(", ", dirs);
			p->path = g_strconcat("uipsec-", p->name, module_suffixes()[0], NULL);
			plugin_fail(p, "not found in %s", list);
			g_free(list);
			return false;
		}
		char *msg = NULL;
		p->module = module_open(p->path, &msg);
		if (!p->module) {
			char *reason = open_error(p->path, msg);
			plugin_fail(p, "%s", reason);
			g_free(reason);
			g_free(msg);
			return false;
		}
		char *sym = symbol_for(p->name);
		d = module_symbol(p->module, sym);
		if (!d) {
			plugin_fail(p, "no descriptor symbol '%s' (a plugin defines it with UIPSEC_PLUGIN_DEFINE)", sym);
			g_free(sym);
			return false;
		}
		g_free(sym);
	}
	if (!check_descriptor(p, d))
		return false;
	p->desc = d;
	p->version = g_strdup(d->version);
	p->description = g_strdup(d->description);
	plugin_sync_info(p);

	if (d->options) {
		char *prefix = g_strconcat("uipsecd.plugins.", p->name, ".", NULL);
		options_declare(prefix, d->options);
		g_free(prefix);
	}
	p->ctx = plugin_ctx_new(p->name, s);
	if (d->init) {
		uipsec_err_t err = { .msg = "" };
		int rc = d->init(p->ctx, &p->state, &err);
		if (rc != UIPSEC_OK) {
			plugin_fail(p, "init failed: %s", err.msg[0] ? err.msg : uipsec_status_str(rc));
			return false;
		}
	}
	p->initialised = true;
	return true;
}

/* uipsecd.plugins.<name>.load: "no" skips, an integer sets the priority. */
static bool plugin_read_load_option(plugin_t *p, const uipsec_settings_t *s)
{
	char *key = g_strconcat("uipsecd.plugins.", p->name, ".load", NULL);
	const char *v = uipsec_settings_get_str(s, key, NULL);
	bool load = true;

	if (v) {
		int64_t prio;
		bool yes;
		/* an integer first: "1" and "0" are priorities here, not booleans */
		if (settings_parse_int(v, &prio) && prio >= INT32_MIN && prio <= INT32_MAX) {
			p->info.has_priority = true;
			p->info.priority = (int32_t)prio;
		} else if (settings_parse_bool(v, &yes)) {
			load = yes;
		} else {
			const char *origin = uipsec_settings_origin(s, key);
			uwarn(LOG_SUBSYS, "%s%s%s = %s: expected yes, no or a priority; loading it",
			      origin ? origin : "", origin ? ": " : "", key, v);
		}
	}
	g_free(key);
	return load;
}

/* ---------------------------------------------------------------- phase 2: features */

typedef struct resolver {
	GPtrArray *entries;          /* entry_t* */
	GPtrArray *stack;            /* entry_t* being resolved, outermost first */
} resolver_t;

static void entry_free(entry_t *e)
{
	g_free(e->reason);
	g_free(e->loop);
	g_free(e);
}

static void collect_entries(resolver_t *r)
{
	for (guint i = 0; i < plugins->len; i++) {
		plugin_t *p = g_ptr_array_index(plugins, i);
		if (!p->initialised || !p->desc->features)
			continue;
		entry_t *cur = NULL;
		for (const uipsec_feature_t *f = p->desc->features; f->kind != UIPSEC_FEAT_END; f++) {
			if (f->kind == UIPSEC_FEAT_PROVIDE) {
				cur = g_new0(entry_t, 1);
				cur->plugin = p;
				cur->provide = f;
				cur->deps = f + 1;
				g_ptr_array_add(r->entries, cur);
			} else if (cur && (f->kind == UIPSEC_FEAT_DEPENDS || f->kind == UIPSEC_FEAT_SDEPEND)) {
				cur->ndeps++;
			}
		}
	}
}

static int candidate_cmp(const void *a, const void *b)
{
	const entry_t *x = *(const entry_t *const *)a, *y = *(const entry_t *const *)b;
	int32_t px = effective_priority(x->plugin, x->provide);
	int32_t py = effective_priority(y->plugin, y->provide);

	if (px != py)
		return px > py ? -1 : 1;
	if (x->plugin->info.load_index != y->plugin->info.load_index)
		return x->plugin->info.load_index < y->plugin->info.load_index ? -1 : 1;
	return x->provide < y->provide ? -1 : x->provide > y->provide;
}

/* Providers of want among all initialised plugins, best first. */
static GPtrArray *candidates(resolver_t *r, const uipsec_feature_t *want)
{
	GPtrArray *c = g_ptr_array_new();
	for (guint i = 0; i < r->entries->len; i++) {
		entry_t *e = g_ptr_array_index(r->entries, i);
		if (feature_matches(e->provide, want))
			g_ptr_array_add(c, e);
	}
	g_ptr_array_sort(c, candidate_cmp);
	return c;
}

static char *entry_label(const entry_t *e)
{
	char buf[FEATURE_DESCRIBE_MAX];
	return g_strdup_printf("%s (%s)", feature_describe(e->provide, buf, sizeof(buf)),
	                       e->plugin->name);
}

/* target is on the stack: every entry from it to the top is in the loop. */
static void mark_loop(resolver_t *r, entry_t *target)
{
	guint start = 0;
	while (start < r->stack->len && g_ptr_array_index(r->stack, start) != target)
		start++;
	GString *loop = g_string_new(NULL);
	for (guint i = start; i < r->stack->len; i++) {
		char *label = entry_label(g_ptr_array_index(r->stack, i));
		g_string_append_printf(loop, "%s -> ", label);
		g_free(label);
	}
	char *label = entry_label(target);
	g_string_append(loop, label);
	g_free(label);
	for (guint i = start; i < r->stack->len; i++) {
		entry_t *e = g_ptr_array_index(r->stack, i);
		if (!e->loop)
			e->loop = g_strdup(loop->str);
	}
	g_string_free(loop, TRUE);
}

static char *unmet_reason(const entry_t *e, const uipsec_feature_t *dep, GPtrArray *cands)
{
	char fbuf[FEATURE_DESCRIBE_MAX], dbuf[FEATURE_DESCRIBE_MAX];
	feature_describe(e->provide, fbuf, sizeof(fbuf));
	feature_describe(dep, dbuf, sizeof(dbuf));

	if (cands->len == 0)
		return g_strdup_printf("unmet dependency: %s needs %s, provided by none of the loaded plugins",
		                       fbuf, dbuf);
	GString *who = g_string_new(NULL);
	for (guint i = 0; i < cands->len; i++) {
		const entry_t *c = g_ptr_array_index(cands, i);
		g_string_append_printf(who, "%s%s", i ? ", " : "", c->plugin->name);
	}
	char *reason = g_strdup_printf("unmet dependency: %s needs %s, whose providers (%s) are not usable",
	                               fbuf, dbuf, who->str);
	g_string_free(who, TRUE);
	return reason;
}

static feature_provider_t provider_of(const entry_t *e)
{
	const plugin_t *p = e->plugin;
	return (feature_provider_t){
		.plugin = p->name, .feature = e->provide, .state = p->state,
		.priority = effective_priority(p, e->provide), .load_index = p->info.load_index,
	};
}

static void entry_keep(entry_t *e)
{
	plugin_t *p = e->plugin;
	feature_provider_t fp = provider_of(e);
	features_keep(&fp);
	e->state = ENTRY_KEPT;
	p->kept++;
	if (!p->activated) {
		p->activated = true;
		g_ptr_array_add(active, p);
	}
}

static bool resolve(resolver_t *r, entry_t *e)
{
	if (e->state == ENTRY_KEPT)
		return true;
	if (e->state != ENTRY_NEW)
		return false;

	e->state = ENTRY_RESOLVING;
	g_ptr_array_add(r->stack, e);

	bool ok = true;
	for (size_t i = 0; i < e->ndeps && ok; i++) {
		const uipsec_feature_t *dep = &e->deps[i];
		bool hard = dep->kind == UIPSEC_FEAT_DEPENDS;
		bool met = false;
		GPtrArray *cands = candidates(r, dep);

		for (guint c = 0; c < cands->len && !met; c++) {
			entry_t *cand = g_ptr_array_index(cands, c);
			if (cand->state == ENTRY_RESOLVING) {
				if (hard)      /* a soft dependency only orders: no loop */
					mark_loop(r, cand);
				continue;
			}
			met = resolve(r, cand);
		}
		if (!met && hard) {
			ok = false;
			e->reason = e->loop ? g_strdup_printf("dependency loop: %s", e->loop)
			                    : unmet_reason(e, dep, cands);
		}
		g_ptr_array_unref(cands);
	}

	if (ok) {
		feature_provider_t fp = provider_of(e);
		uipsec_err_t err = { .msg = "" };
		if (!features_run_check(&fp, &err)) {
			char buf[FEATURE_DESCRIBE_MAX];
			ok = false;
			e->reason = g_strdup_printf("%s failed its check: %s",
			                            feature_describe(e->provide, buf, sizeof(buf)),
			                            err.msg[0] ? err.msg : "no reason given");
		}
	}
	g_ptr_array_remove_index(r->stack, r->stack->len - 1);
	if (ok)
		entry_keep(e);
	else
		e->state = ENTRY_DROPPED;
	return ok;
}

/* Report dropped features; unload plugins that kept none. */
static void settle_plugins(resolver_t *r)
{
	for (guint i = 0; i < plugins->len; i++) {
		plugin_t *p = g_ptr_array_index(plugins, i);
		if (!p->initialised)
			continue;
		const entry_t *first_drop = NULL;
		unsigned dropped = 0;
		for (guint j = 0; j < r->entries->len; j++) {
			const entry_t *e = g_ptr_array_index(r->entries, j);
			if (e->plugin != p || e->state != ENTRY_DROPPED)
				continue;
			if (!first_drop)
				first_drop = e;
			dropped++;
			if (p->kept)
				uwarn(LOG_SUBSYS, "plugin '%s' (%s): feature not loaded - %s",
				      p->name, p->path, e->reason);
		}
		p->info.dropped = dropped;
		if (p->kept)
			continue;
		if (!first_drop)
			plugin_fail(p, "provides no features");
		else if (dropped == 1)
			plugin_fail(p, "%s", first_drop->reason);
		else
			plugin_fail(p, "%s (and %u more features)", first_drop->reason, dropped - 1);
		uinfo(LOG_SUBSYS, "unloading plugin '%s': none of its features is usable", p->name);
		plugin_close(p);
	}
}

/* Single-slot roles: log who won among several providers. */
static const struct role {
	uipsec_feature_type_t type;
	const char *what;
	const char *hint;            /* which plugins could provide it */
} roles[] = {
	{ UIPSEC_FT_PKTIO, "packet I/O", "load io-tun" },
	{ UIPSEC_FT_NET, "network backend", "load net-netlink (Linux) or net-pfroute (BSD/macOS)" },
};

static void log_role_winners(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(roles); i++) {
		const feature_provider_t *prov[16];
		size_t n = features_providers(roles[i].type, 0, NULL, prov, G_N_ELEMENTS(prov));
		if (n == 0)
			continue;
		GString *others = g_string_new(NULL);
		for (size_t j = 1; j < n && j < G_N_ELEMENTS(prov); j++)
			g_string_append_printf(others, "%s%s (priority %d)", j > 1 ? ", " : "",
			                       prov[j]->plugin, prov[j]->priority);
		uinfo(LOG_SUBSYS, "%s: %s (priority %d)%s%s", roles[i].what, prov[0]->plugin,
		      prov[0]->priority, others->len ? ", also provided by: " : "", others->str);
		g_string_free(others, TRUE);
	}
}

bool plugin_loader_require_roles(GError **err)
{
	GString *missing = g_string_new(NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(roles); i++) {
		if (features_providers(roles[i].type, 0, NULL, NULL, 0) > 0)
			continue;
		uerror(LOG_SUBSYS, "no %s: %s", roles[i].what, roles[i].hint);
		g_string_append_printf(missing, "%sno %s: %s", missing->len ? "; " : "",
		                       roles[i].what, roles[i].hint);
	}
	bool ok = missing->len == 0;
	if (!ok)
		g_set_error(err, UIPSEC_LOADER_ERROR, 0, "%s", missing->str);
	g_string_free(missing, TRUE);
	return ok;
}

/* ---------------------------------------------------------------- public */

void plugin_loader_add_static(const uipsec_plugin_desc_t *desc)
{
	if (!statics)
		statics = g_ptr_array_new();
	g_ptr_array_add(statics, (gpointer)desc);
}

static char **load_list(const uipsec_settings_t *s)
{
	char **list = uipsec_settings_get_list(s, "uipsecd.load");
	if (list && *list)
		return list;
	uipsec_strv_free(list);
	return g_strsplit_set(UIPSEC_BUILT_PLUGINS, " ", -1);
}

static bool already_listed(const char *name)
{
	for (guint i = 0; i < plugins->len; i++) {
		const plugin_t *p = g_ptr_array_index(plugins, i);
		if (strcmp(p->name, name) == 0)
			return true;
	}
	return false;
}

/* A plugin_t for one item of the load list ("name" or "name!" for a
 * critical one); NULL for an empty item or a name listed before. */
static plugin_t *list_item_plugin(const char *item, unsigned *index)
{
	char *name = g_strstrip(g_strdup(item));
	bool critical = g_str_has_suffix(name, "!");
	if (critical)
		name[strlen(name) - 1] = '\0';
	if (!*name) {
		g_free(name);
		return NULL;
	}
	if (already_listed(name)) {
		uwarn(LOG_SUBSYS, "plugin '%s' is listed twice in uipsecd.load, loading it once", name);
		g_free(name);
		return NULL;
	}
	plugin_t *p = g_new0(plugin_t, 1);
	p->name = name;
	p->info.critical = critical;
	p->info.load_index = (*index)++;
	g_ptr_array_add(plugins, p);
	return p;
}

/* Phase 1 for one listed plugin: skipped, failed or opened and initialised. */
static void load_listed_plugin(plugin_t *p, char **dirs, const uipsec_settings_t *s)
{
	if (!name_valid(p->name)) {
		p->path = g_strdup("-");
		plugin_fail(p, "invalid plugin name (letters, digits, '-' and '_' only)");
		return;
	}
	if (!plugin_read_load_option(p, s)) {
		p->path = g_strdup("-");
		p->info.status = PLUGIN_SKIPPED;
		plugin_sync_info(p);
		uinfo(LOG_SUBSYS, "plugin '%s' skipped: uipsecd.plugins.%s.load = no", p->name, p->name);
		return;
	}
	if (plugin_open(p, dirs, s))
		udebug(LOG_SUBSYS, "plugin '%s' (%s) opened, version %s", p->name, p->path,
		       p->version ? p->version : "?");
	else
		plugin_close(p);
}

static void open_plugins(const uipsec_settings_t *s)
{
	char **dirs = search_dirs(s);
	char **list = load_list(s);
	unsigned index = 0;

	for (char **item = list; *item; item++) {
		plugin_t *p = list_item_plugin(*item, &index);
		if (p)
			load_listed_plugin(p, dirs, s);
	}
	g_strfreev(dirs);
	uipsec_strv_free(list);
}

static void resolve_features(void)
{
	resolver_t r = { g_ptr_array_new_with_free_func((GDestroyNotify)entry_free), g_ptr_array_new() };
	collect_entries(&r);
	for (guint i = 0; i < r.entries->len; i++)
		resolve(&r, g_ptr_array_index(r.entries, i));
	settle_plugins(&r);
	g_ptr_array_unref(r.entries);
	g_ptr_array_unref(r.stack);
}

/* False (and err) when a critical plugin ("name!" in the list) failed. */
static bool critical_plugins_loaded(GError **err)
{
	GString *failed = g_string_new(NULL);
	for (guint i = 0; i < plugins->len; i++) {
		plugin_t *p = g_ptr_array_index(plugins, i);
		plugin_sync_info(p);
		if (p->info.critical && p->info.status == PLUGIN_FAILED)
			g_string_append_printf(failed, "%s%s", failed->len ? ", " : "", p->name);
	}
	bool ok = failed->len == 0;
	if (!ok) {
		uerror(LOG_SUBSYS, "critical plugin(s) failed to load: %s", failed->str);
		g_set_error(err, UIPSEC_LOADER_ERROR, 0, "critical plugin(s) failed to load: %s", failed->str);
	}
	g_string_free(failed, TRUE);
	return ok;
}

bool plugin_loader_load(const uipsec_settings_t *s, GError **err)
{
	if (plugins && plugins->len) {
		/* features would be resolved twice */
		g_set_error(err, UIPSEC_LOADER_ERROR, 0, "plugins are already loaded (unload them first)");
		return false;
	}
	if (!plugins)
		plugins = g_ptr_array_new_with_free_func((GDestroyNotify)plugin_free);
	if (!active)
		active = g_ptr_array_new();

	open_plugins(s);
	resolve_features();

	log_role_winners();
	char *summary = plugin_loader_summary();
	uinfo(LOG_SUBSYS, "%s", summary);
	g_free(summary);
	return critical_plugins_loaded(err);
}

void plugin_loader_set_settings(const uipsec_settings_t *s)
{
	for (guint i = 0; plugins && i < plugins->len; i++) {
		plugin_t *p = g_ptr_array_index(plugins, i);
		if (p->ctx)
			plugin_ctx_set_settings(p->ctx, s);
	}
}

void plugin_loader_unload(void)
{
	for (guint i = active ? active->len : 0; i-- > 0;) {
		plugin_t *p = g_ptr_array_index(active, i);
		features_remove_plugin(p->name);
		udebug(LOG_SUBSYS, "unloading plugin '%s'", p->name);
		plugin_close(p);
	}
	features_clear();
	g_clear_pointer(&active, g_ptr_array_unref);
	g_clear_pointer(&plugins, g_ptr_array_unref);
	g_clear_pointer(&statics, g_ptr_array_unref);
}

char **plugin_loader_loaded(void)
{
	GPtrArray *names = g_ptr_array_new();
	for (guint i = 0; plugins && i < plugins->len; i++) {
		const plugin_t *p = g_ptr_array_index(plugins, i);
		if (p->activated && p->initialised)
			g_ptr_array_add(names, g_strdup(p->name));
	}
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

char *plugin_loader_summary(void)
{
	char **names = plugin_loader_loaded();
	char *list = g_strjoinv(" ", names);
	char *summary = g_strdup_printf("loaded plugins: %s", *list ? list : "(none)");
	g_free(list);
	g_strfreev(names);
	return summary;
}

void plugin_loader_foreach(void (*fn)(const plugin_info_t *p, void *user), void *user)
{
	for (guint i = 0; plugins && i < plugins->len; i++) {
		plugin_t *p = g_ptr_array_index(plugins, i);
		plugin_sync_info(p);
		fn(&p->info, user);
	}
}
