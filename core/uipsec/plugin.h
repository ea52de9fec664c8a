/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file
 * @brief uipsec public API: plugins and their feature tables.
 *
 * A plugin is a shared module that exports exactly one symbol, its
 * descriptor, named after the plugin: "uipsec_plugin_" + name with '-'
 * replaced by '_' (plugin "crypto-openssl" -> uipsec_plugin_crypto_openssl).
 * UIPSEC_PLUGIN_DEFINE() emits it.
 *
 * ABI rule (checked by the loader before anything else is touched):
 *   abi_major == UIPSEC_ABI_MAJOR of the core, abi_minor <= the core's,
 *   and struct_size == sizeof(uipsec_plugin_desc_t) of that ABI.
 *
 * Loading happens in two phases, as in strongSwan: every plugin of the load
 * list is opened and initialised, then features are resolved: a PROVIDE
 * entry is kept only when each of its DEPENDS entries is provided by some
 * kept feature (SDEPEND entries are ordering hints that may stay unmet)
 * and the check the core registered for its type (e.g. a crypto self-test)
 * passes; a cycle of DEPENDS drops every feature in it. Plugins left with
 * no kept feature are unloaded (fini() is called). Plugins are unloaded in
 * reverse activation order: a plugin is unloaded before the plugins whose
 * features it depends on. docs/plugin-guide.md has the details.
 */
#ifndef UIPSEC_PLUGIN_H
#define UIPSEC_PLUGIN_H

#include <uipsec/common.h>
#include <uipsec/settings.h>

UIPSEC_BEGIN_DECLS

#define UIPSEC_ABI_MAJOR 2
#define UIPSEC_ABI_MINOR 0
/** @def UIPSEC_ABI_MAJOR
 * Plugin ABI major version: changed on any incompatible change.
 * @def UIPSEC_ABI_MINOR
 * Plugin ABI minor version: raised by compatible additions. */

/* ---------------------------------------------------------------- features */

/** What a feature-table entry says (uipsec_feature_t::kind). */
typedef enum uipsec_feature_kind {
	/** @var UIPSEC_FEAT_END
	 * ends the table (UIPSEC_FEATURE_END) */
	UIPSEC_FEAT_END = 0,
	UIPSEC_FEAT_PROVIDE,   /* this plugin provides the feature */
	UIPSEC_FEAT_DEPENDS,   /* the preceding PROVIDE needs this feature */
	UIPSEC_FEAT_SDEPEND,   /* soft dependency: used if present, load after it */
} uipsec_feature_kind_t;

/** What a feature is (uipsec_feature_t::type) and which ops table a
 * PROVIDE entry of it carries. */
typedef enum uipsec_feature_type {
	UIPSEC_FT_AEAD = 1,    /* ops: uipsec_aead_ops_t   (uipsec/crypto.h), alg: UIPSEC_ALG_* */
	UIPSEC_FT_CIPHER,      /* ops: uipsec_cipher_ops_t (uipsec/crypto.h) */
	UIPSEC_FT_INTEG,       /* ops: uipsec_integ_ops_t  (uipsec/crypto.h) */
	UIPSEC_FT_RNG,         /* ops: uipsec_rng_ops_t    (uipsec/crypto.h) */
	UIPSEC_FT_PKTIO,       /* ops: uipsec_pktio_ops_t  (uipsec/pktio.h), single slot */
	UIPSEC_FT_NET,         /* ops: uipsec_net_ops_t    (uipsec/net.h), single slot */
	UIPSEC_FT_CUSTOM,      /* ops: anything, identified by the string 'custom' */
} uipsec_feature_type_t;

/** Default priority of a PROVIDE. Among providers of one feature the highest
 * priority wins; on equal priority the plugin earlier in the load list wins.
 * `uipsecd.plugins.<name>.load = <integer>` replaces the priority of all
 * features of that plugin. */
#define UIPSEC_PRIO_DEFAULT 0

/** One entry of a plugin's feature table; written with the UIPSEC_PROVIDE,
 * UIPSEC_DEPENDS, ... macros below, never by hand. */
typedef struct uipsec_feature {
	uint8_t kind;          /* uipsec_feature_kind_t */
	uint8_t type;          /* uipsec_feature_type_t */
	/** 0 */
	uint16_t reserved;
	uint32_t alg;          /* crypto types: UIPSEC_ALG(...); 0 = any (DEPENDS only) */
	const char *custom;    /* UIPSEC_FT_CUSTOM: the feature's name */
	int32_t priority;      /* PROVIDE only */
	const void *ops;       /* PROVIDE only: the type's operations table */
} uipsec_feature_t;

/** Provide a feature of type_ (uipsec_feature_type_t) for algorithm alg_
 * (crypto types, else 0) with priority prio_ and the ops table ops_. */
#define UIPSEC_PROVIDE(type_, alg_, prio_, ops_) \
	{ UIPSEC_FEAT_PROVIDE, (type_), 0, (alg_), NULL, (prio_), (ops_) }
/** Provide the custom feature named name_ with the ops table ops_. */
#define UIPSEC_PROVIDE_CUSTOM(name_, prio_, ops_) \
	{ UIPSEC_FEAT_PROVIDE, UIPSEC_FT_CUSTOM, 0, 0, (name_), (prio_), (ops_) }
/** The preceding PROVIDE needs a feature of type_ (alg_ 0 = any algorithm). */
#define UIPSEC_DEPENDS(type_, alg_)     { UIPSEC_FEAT_DEPENDS, (type_), 0, (alg_), NULL, 0, NULL }
/** The preceding PROVIDE uses a feature of type_ if present (load after it). */
#define UIPSEC_SDEPEND(type_, alg_)     { UIPSEC_FEAT_SDEPEND, (type_), 0, (alg_), NULL, 0, NULL }
/** The preceding PROVIDE needs the custom feature name_. */
#define UIPSEC_DEPENDS_CUSTOM(name_)    { UIPSEC_FEAT_DEPENDS, UIPSEC_FT_CUSTOM, 0, 0, (name_), 0, NULL }
/** The preceding PROVIDE uses the custom feature name_ if present. */
#define UIPSEC_SDEPEND_CUSTOM(name_)    { UIPSEC_FEAT_SDEPEND, UIPSEC_FT_CUSTOM, 0, 0, (name_), 0, NULL }
/** Terminates a feature table. */
#define UIPSEC_FEATURE_END              { UIPSEC_FEAT_END, 0, 0, 0, NULL, 0, NULL }

/* ---------------------------------------------------------------- descriptor */

/** The core's view of one plugin, handed to init(); valid until fini() returns. */
typedef struct uipsec_plugin_ctx uipsec_plugin_ctx_t;

/** This plugin's name (as loaded, e.g. "crypto-openssl"). */
UIPSEC_EXPORT const char *uipsec_plugin_ctx_name(const uipsec_plugin_ctx_t *ctx);
/** The whole configuration (uipsec/settings.h), keys from the top.
 * A reload (SIGHUP, uipsecctl reload) replaces it and frees the old one:
 * neither it nor a string read from it with the uipsec_settings_*()
 * getters may be kept beyond the call that read them (copy them, or use
 * uipsec_plugin_opt_str(), whose strings last). */
UIPSEC_EXPORT const uipsec_settings_t *uipsec_plugin_ctx_settings(const uipsec_plugin_ctx_t *ctx);
/** @name Options of this plugin
 * key is relative to "uipsecd.plugins.<name>."; def is returned when the
 * option is unset or does not parse (as the uipsec_settings_get_*()
 * functions of uipsec/settings.h).
 * @{ */
/** String option of this plugin, or def; the string stays valid while
 * the plugin is loaded, across reloads. */
UIPSEC_EXPORT const char *uipsec_plugin_opt_str(const uipsec_plugin_ctx_t *ctx, const char *key, const char *def);
/** Boolean option of this plugin, or def. */
UIPSEC_EXPORT bool    uipsec_plugin_opt_bool(const uipsec_plugin_ctx_t *ctx, const char *key, bool def);
/** Integer option of this plugin, or def. */
UIPSEC_EXPORT int64_t uipsec_plugin_opt_int(const uipsec_plugin_ctx_t *ctx, const char *key, int64_t def);
/** @} */

/** A plugin's descriptor: the one symbol a plugin exports, emitted by
 * UIPSEC_PLUGIN_DEFINE(). The loader checks the ABI fields first. */
typedef struct uipsec_plugin_desc {
	/** @var uipsec_plugin_desc::abi_major
	 * UIPSEC_ABI_MAJOR the plugin was built with
	 * @var uipsec_plugin_desc::abi_minor
	 * UIPSEC_ABI_MINOR the plugin was built with */
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t struct_size;            /* sizeof(uipsec_plugin_desc_t) */
	const char *name;                /* must equal the name the file was loaded as */
	/** the plugin's version string, shown by uipsecctl */
	const char *version;
	/** one line saying what the plugin does */
	const char *description;
	const uipsec_feature_t *features; /* terminated by UIPSEC_FEATURE_END */
	const uipsec_option_t *options;   /* plugin options, may be NULL; terminated by UIPSEC_OPTION_END */
	/** Called once after the ABI check, before features are resolved. Returns
	 * UIPSEC_OK or a negative uipsec_status_t; on failure it may fill err.
	 * *state is passed as the first argument of every constructor in the
	 * plugin's ops tables and to fini(). May be NULL. */
	int (*init)(uipsec_plugin_ctx_t *ctx, void **state, uipsec_err_t *err);
	/** Called on unload after a successful init(), including when none of
	 * the plugin's features could be kept. May be NULL. */
	void (*fini)(void *state);
} uipsec_plugin_desc_t;

/** Prefix of the descriptor symbol; the rest is the plugin's name with
 * '-' replaced by '_'. */
#define UIPSEC_PLUGIN_SYMBOL_PREFIX "uipsec_plugin_"

/** Define the plugin's exported descriptor (uipsec_plugin_desc_t) with the
 * ABI fields filled in:
 * @code
 * UIPSEC_PLUGIN_DEFINE(crypto_openssl, "crypto-openssl", "1.0", "OpenSSL crypto",
 *                      features, options, init, fini);
 * @endcode
 * ident_ is name_ with '-' replaced by '_'. */
#define UIPSEC_PLUGIN_DEFINE(ident_, name_, version_, descr_, features_, options_, init_, fini_) \
	UIPSEC_EXPORT extern const uipsec_plugin_desc_t uipsec_plugin_##ident_; \
	UIPSEC_EXPORT const uipsec_plugin_desc_t uipsec_plugin_##ident_ = { \
		.abi_major = UIPSEC_ABI_MAJOR, .abi_minor = UIPSEC_ABI_MINOR, \
		.struct_size = sizeof(uipsec_plugin_desc_t), \
		.name = (name_), .version = (version_), .description = (descr_), \
		.features = (features_), .options = (options_), \
		.init = (init_), .fini = (fini_), \
	}

/** Looking up a provider at run time (for the core and plugins that use other
 * plugins' features). Returns the winning provider's ops (highest priority,
 * then earliest in the load list) and its plugin state, or NULL when no
 * kept feature matches. alg 0 / custom NULL match any. Thread safe.
 * @param type   the feature type
 * @param alg    crypto types: UIPSEC_ALG(...), 0 = any
 * @param custom UIPSEC_FT_CUSTOM: the feature's name, NULL = any
 * @param[out] plugin_state the provider's plugin state (may be NULL)
 * @return the ops table, or NULL */
UIPSEC_EXPORT const void *uipsec_feature_get(uipsec_feature_type_t type, uint32_t alg,
                                             const char *custom, void **plugin_state);

UIPSEC_END_DECLS

#endif
