/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The context a plugin's init() gets: its name and the configuration, with
 * option getters relative to "uipsecd.plugins.<name>.". */
#include "config.h"
#include <glib.h>
#include <uipsec/plugin.h>
#include "plugin/plugin_loader.h"

struct uipsec_plugin_ctx {
	char *name;
	char *prefix;                    /* "uipsecd.plugins.<name>." */
	const uipsec_settings_t *settings;
};

uipsec_plugin_ctx_t *plugin_ctx_new(const char *name, const uipsec_settings_t *s)
{
	uipsec_plugin_ctx_t *ctx = g_new0(uipsec_plugin_ctx_t, 1);
	ctx->name = g_strdup(name);
	ctx->prefix = g_strconcat("uipsecd.plugins.", name, ".", NULL);
	ctx->settings = s;
	return ctx;
}

void plugin_ctx_set_settings(uipsec_plugin_ctx_t *ctx, const uipsec_settings_t *s)
{
	ctx->settings = s;
}

void plugin_ctx_free(uipsec_plugin_ctx_t *ctx)
{
	if (!ctx)
		return;
	g_free(ctx->name);
	g_free(ctx->prefix);
	g_free(ctx);
}

const char *uipsec_plugin_ctx_name(const uipsec_plugin_ctx_t *ctx)
{
	return ctx->name;
}

const uipsec_settings_t *uipsec_plugin_ctx_settings(const uipsec_plugin_ctx_t *ctx)
{
	return ctx->settings;
}

/* Keys are short; a stack buffer avoids an allocation per lookup. */
#define WITH_KEY(ctx, key, var) \
	char var[256]; \
	if (g_snprintf(var, sizeof(var), "%s%s", (ctx)->prefix, (key)) >= (int)sizeof(var)) \
		return def;

const char *uipsec_plugin_opt_str(const uipsec_plugin_ctx_t *ctx, const char *key, const char *def)
{
	WITH_KEY(ctx, key, full);
	const char *v = ctx->settings ? uipsec_settings_get_str(ctx->settings, full, NULL) : NULL;
	/* interned: the string outlives the reload that frees its tree, as
	 * plugin.h promises; a value is stored once however often it is read */
	return v ? g_intern_string(v) : def;
}

bool uipsec_plugin_opt_bool(const uipsec_plugin_ctx_t *ctx, const char *key, bool def)
{
	WITH_KEY(ctx, key, full);
	return ctx->settings ? uipsec_settings_get_bool(ctx->settings, full, def) : def;
}

int64_t uipsec_plugin_opt_int(const uipsec_plugin_ctx_t *ctx, const char *key, int64_t def)
{
	WITH_KEY(ctx, key, full);
	return ctx->settings ? uipsec_settings_get_int(ctx->settings, full, def) : def;
}
