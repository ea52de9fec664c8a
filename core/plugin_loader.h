/* Plugin loader: opens the plugins of the load list through the module
 * seam (libltdl or GModule), checks descriptors, runs init, resolves
 * features, unloads plugins left without features (internal API). */
#ifndef UIPSEC_CORE_PLUGIN_LOADER_H
#define UIPSEC_CORE_PLUGIN_LOADER_H

#include <glib.h>
#include <uipsec/plugin.h>

/* Load what uipsecd.load (or the built-in list) names, searching
 * UIPSEC_PLUGIN_PATH, uipsecd.plugin_dir, then UIPSEC_PLUGINDIR.
 * Every failure is logged as "plugin 'NAME' (PATH): failed to load - REASON".
 * Returns false when a critical plugin ('!') failed or a required
 * single-slot role (packet I/O, network backend) has no provider; err says why. */
bool plugin_loader_load(const uipsec_settings_t *s, GError **err);
/* Also accept a plugin already in memory (built-in plugins, tests). Call before plugin_loader_load(). */
void plugin_loader_add_static(const uipsec_plugin_desc_t *desc);
/* Unload every plugin, in reverse load order. */
void plugin_loader_unload(void);
/* Names of loaded plugins, in load order; free with g_strfreev(). */
char **plugin_loader_loaded(void);
/* The one-line summary, e.g. "loaded plugins: crypto-openssl io-tun net-netlink". */
char *plugin_loader_summary(void);

#endif
