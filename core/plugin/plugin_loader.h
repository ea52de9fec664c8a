/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Plugin loader: opens the plugins of the load list through the module
 * seam (libltdl or GModule), checks descriptors, runs init, resolves
 * features, unloads plugins left without features (internal API). */
#ifndef UIPSEC_CORE_PLUGIN_LOADER_H
#define UIPSEC_CORE_PLUGIN_LOADER_H

#include <glib.h>
#include <uipsec/plugin.h>

#define UIPSEC_LOADER_ERROR (uipsec_loader_error_quark())
GQuark uipsec_loader_error_quark(void);

/* Load what uipsecd.load (or the built-in list) names, searching
 * UIPSEC_PLUGIN_PATH, uipsecd.plugin_dir, then UIPSEC_PLUGINDIR.
 * Every failure is logged as "plugin 'NAME' (PATH): failed to load - REASON".
 * Returns false when a critical plugin ('!') failed; err says why. The
 * other plugins stay loaded (call plugin_loader_unload()). s must stay
 * valid until unload or the next plugin_loader_set_settings(). Call once;
 * unload before loading again. */
bool plugin_loader_load(const uipsec_settings_t *s, GError **err);
/* The daemon needs one packet I/O and one network backend: false (and a
 * message naming plugins that could provide it, also logged) when a role
 * has no kept provider. Separate so that tests can load without them. */
bool plugin_loader_require_roles(GError **err);
/* Hand plugins a new configuration (after a reload). */
void plugin_loader_set_settings(const uipsec_settings_t *s);

/* What became of each plugin named in the load list (listing, control socket). */
typedef enum plugin_status {
	PLUGIN_LOADED = 0,
	PLUGIN_FAILED,          /* could not be loaded, or no feature was usable */
	PLUGIN_SKIPPED,         /* uipsecd.plugins.<name>.load = no */
} plugin_status_t;

typedef struct plugin_info {
	const char *name;
	const char *path;        /* file, "(built-in)", or the file name when not found */
	const char *version;     /* NULL unless the descriptor was read */
	const char *description;
	plugin_status_t status;
	const char *reason;      /* PLUGIN_FAILED: why */
	bool critical;
	bool has_priority;       /* uipsecd.plugins.<name>.load = N */
	int32_t priority;
	unsigned load_index;     /* position in the load list */
	unsigned dropped;        /* features that were not kept */
} plugin_info_t;

/* Every plugin of the last load, in load-list order. */
void plugin_loader_foreach(void (*fn)(const plugin_info_t *p, void *user), void *user);
/* Also accept a plugin already in memory (built-in plugins, tests). Call before plugin_loader_load(). */
void plugin_loader_add_static(const uipsec_plugin_desc_t *desc);
/* Unload every plugin, in reverse activation order (a plugin is activated
 * when its first feature is kept; dependencies are kept first, so they are
 * unloaded after the plugins that use them). Forgets static plugins. */
void plugin_loader_unload(void);
/* Names of loaded plugins, in load order; free with g_strfreev(). */
char **plugin_loader_loaded(void);
/* The one-line summary, e.g. "loaded plugins: crypto-openssl io-tun net-netlink". */
char *plugin_loader_summary(void);

/* Plugin contexts handed to init() (implemented in plugin_ctx.c). */
uipsec_plugin_ctx_t *plugin_ctx_new(const char *name, const uipsec_settings_t *s);
void plugin_ctx_set_settings(uipsec_plugin_ctx_t *ctx, const uipsec_settings_t *s);
void plugin_ctx_free(uipsec_plugin_ctx_t *ctx);

#endif
