/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Feature registry: which kept (resolved) feature is provided by whom
 * (internal API, implemented with the plugin loader). */
#ifndef UIPSEC_CORE_FEATURE_REGISTRY_H
#define UIPSEC_CORE_FEATURE_REGISTRY_H

#include <uipsec/plugin.h>

typedef struct feature_provider {
	const char *plugin;               /* plugin name */
	const uipsec_feature_t *feature;  /* the PROVIDE entry */
	void *state;                      /* the plugin's state from init() */
	int32_t priority;                 /* effective priority (after plugins.<name>.load = N) */
	unsigned load_index;              /* position in the load list */
} feature_provider_t;

/* A check run on every PROVIDE of a type before it is kept (e.g. crypto
 * known-answer self-tests). Returning false drops the feature, logged with
 * err's message, so it can never be chosen. */
typedef bool (*feature_check_fn)(const feature_provider_t *p, uipsec_err_t *err);
void features_register_check(uipsec_feature_type_t type, feature_check_fn fn);

/* Kept providers of (type, alg, custom), best first: higher priority, then
 * earlier in the load list. alg 0 / custom NULL match any. Fills up to max
 * entries, returns the total count. Pointers stay valid until unload. */
size_t features_providers(uipsec_feature_type_t type, uint32_t alg, const char *custom,
                          const feature_provider_t **out, size_t max);

/* Calls fn for every kept provider (listing, --list-plugins, control socket). */
void features_foreach(void (*fn)(const feature_provider_t *p, void *user), void *user);

/* Human-readable name of a feature, e.g. "AEAD:AES_GCM_16-128", "NET", "CUSTOM:foo". */
const char *feature_describe(const uipsec_feature_t *f, char *buf, size_t len);
#define FEATURE_DESCRIBE_MAX 96

/* Does the PROVIDE entry p satisfy the DEPENDS/SDEPEND entry want (same
 * type; want's alg 0 / custom NULL match any)? */
bool feature_matches(const uipsec_feature_t *p, const uipsec_feature_t *want);

/* ---- for the plugin loader ---- */

/* Run the check registered for p's type (true when there is none). */
bool features_run_check(const feature_provider_t *p, uipsec_err_t *err);
/* Record p (copied) as kept. */
void features_keep(const feature_provider_t *p);
/* Forget every kept feature of a plugin (before it is unloaded). */
void features_remove_plugin(const char *plugin);
/* Forget every kept feature; registered checks stay. */
void features_clear(void);

#endif
