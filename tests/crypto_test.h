/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the crypto tests: load crypto plugins through the real
 * plugin loader with a config text, and capture the log. */
#ifndef UIPSEC_TESTS_CRYPTO_TEST_H
#define UIPSEC_TESTS_CRYPTO_TEST_H

#include <string.h>
#include <glib.h>
#include "crypto/crypto_core.h"
#include "config/logging.h"
#include "plugin/plugin_loader.h"
#include "config/settings_parser.h"

static GPtrArray *crypto_test_log;   /* char*: "subsys: message" */
static GMutex crypto_test_log_lock;

static void crypto_test_sink(const char *subsys, uipsec_log_level_t level, const char *msg, void *user)
{
	g_mutex_lock(&crypto_test_log_lock);
	if (crypto_test_log)
		g_ptr_array_add(crypto_test_log, g_strdup_printf("%s: %s", subsys, msg));
	g_mutex_unlock(&crypto_test_log_lock);
}

/* Load plugins as the daemon does: settings -> crypto_init -> loader. */
static uipsec_settings_t *crypto_test_load(const char *conf)
{
	GError *err = NULL;
	if (!crypto_test_log)
		crypto_test_log = g_ptr_array_new_with_free_func(g_free);
	log_set_level(NULL, UIPSEC_LOG_DEBUG);
	log_set_sink(crypto_test_sink, NULL);
	uipsec_settings_t *s = settings_new();
	if (!settings_load_string(s, conf, "test.conf", &err))
		g_error("test config: %s", err->message);
	crypto_init(s);
	if (!plugin_loader_load(s, &err))
		g_error("plugin_loader_load: %s", err->message);
	return s;
}

static void crypto_test_unload(uipsec_settings_t *s)
{
	plugin_loader_unload();
	crypto_deinit();
	settings_free(s);
	log_set_sink(NULL, NULL);
	g_mutex_lock(&crypto_test_log_lock);
	g_ptr_array_set_size(crypto_test_log, 0);
	g_mutex_unlock(&crypto_test_log_lock);
}

/* A logged line containing needle, or NULL. */
G_GNUC_UNUSED static const char *crypto_test_logged(const char *needle)
{
	const char *found = NULL;
	g_mutex_lock(&crypto_test_log_lock);
	for (guint i = 0; crypto_test_log && i < crypto_test_log->len && !found; i++)
		if (strstr(g_ptr_array_index(crypto_test_log, i), needle))
			found = g_ptr_array_index(crypto_test_log, i);
	g_mutex_unlock(&crypto_test_log_lock);
	return found;
}

G_GNUC_UNUSED static uipsec_feature_type_t crypto_test_type(const uipsec_alg_info_t *info)
{
	static const uipsec_feature_type_t of_kind[] = {
		[UIPSEC_ALG_KIND_AEAD] = UIPSEC_FT_AEAD,
		[UIPSEC_ALG_KIND_CIPHER] = UIPSEC_FT_CIPHER,
		[UIPSEC_ALG_KIND_INTEG] = UIPSEC_FT_INTEG,
	};
	return of_kind[info->kind];
}

#endif
