/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file
 * @brief uipsec public API: configuration settings (strongswan.conf syntax).
 *
 * Keys are dotted paths from the top of the file, e.g.
 * "uipsecd.plugins.io-tun.mtu". Getters return the default when a key is
 * unset or its value does not parse; the parser has already reported
 * unparseable values of declared options with file:line. */
#ifndef UIPSEC_SETTINGS_H
#define UIPSEC_SETTINGS_H

#include <uipsec/common.h>

UIPSEC_BEGIN_DECLS

/** The parsed configuration (opaque, read-only for plugins). */
typedef struct uipsec_settings uipsec_settings_t;

/** Value type of a declared option (how the parser checks its value). */
typedef enum uipsec_opt_type {
	/** @var UIPSEC_OPT_STRING
	 * any string */
	UIPSEC_OPT_STRING = 1,
	UIPSEC_OPT_BOOL,      /* yes|no|true|false|1|0 */
	UIPSEC_OPT_INT,       /* decimal or 0x hex, may be negative */
	UIPSEC_OPT_DURATION,  /* 30s 5m 1h 1d, bare number = seconds */
	UIPSEC_OPT_BYTES,     /* 500k 10m 1g, bare number = bytes */
	UIPSEC_OPT_LIST,      /* space or comma separated */
	UIPSEC_OPT_HEX,       /* 0x... byte string (keys) */
	UIPSEC_OPT_SECTION,   /* a section whose subsections have free names */
} uipsec_opt_type_t;

/** A declared option. Plugins declare theirs relative to
 * "uipsecd.plugins.<name>."; a "*" path component matches any name
 * (e.g. "tunnels.*.in.spi"). Declared options are what --help-options
 * prints and what "did you mean" suggestions are drawn from. */
typedef struct uipsec_option {
	/** dotted key, relative as described above; NULL ends a table */
	const char *key;
	/** how the value is checked */
	uipsec_opt_type_t type;
	const char *def;     /* default as written in a config file, NULL = none */
	const char *help;    /* one line */
} uipsec_option_t;

/** Terminates a table of uipsec_option_t. */
#define UIPSEC_OPTION_END { NULL, 0, NULL, NULL }

/** @name Getters
 * Each takes the settings, a full dotted key and a default returned when
 * the key is unset or its value does not parse.
 * @{ */
/** String value of key, or def. */
UIPSEC_EXPORT const char *uipsec_settings_get_str(const uipsec_settings_t *s, const char *key, const char *def);
/** Boolean value of key (yes|no|true|false|1|0), or def. */
UIPSEC_EXPORT bool     uipsec_settings_get_bool(const uipsec_settings_t *s, const char *key, bool def);
/** Integer value of key (decimal or 0x hex, may be negative), or def. */
UIPSEC_EXPORT int64_t  uipsec_settings_get_int(const uipsec_settings_t *s, const char *key, int64_t def);
/** Duration value of key in seconds (30s 5m 1h 1d, bare number =
 * seconds), or def. */
UIPSEC_EXPORT uint64_t uipsec_settings_get_duration(const uipsec_settings_t *s, const char *key, uint64_t def);
/** Size value of key in bytes (500k 10m 1g, bare number = bytes), or def. */
UIPSEC_EXPORT uint64_t uipsec_settings_get_bytes(const uipsec_settings_t *s, const char *key, uint64_t def);
/** List value of key (space or comma separated) as a NULL-terminated
 * array (empty array when unset); free with uipsec_strv_free(). */
UIPSEC_EXPORT char   **uipsec_settings_get_list(const uipsec_settings_t *s, const char *key);
/** Decoded 0x.. hex string of key (keys); NULL when unset or invalid.
 * @param s   the settings
 * @param key full dotted key
 * @param[out] len number of bytes returned
 * @return the bytes; free with uipsec_hex_free() (wipes) */
UIPSEC_EXPORT uint8_t *uipsec_settings_get_hex(const uipsec_settings_t *s, const char *key, size_t *len);
/** @} */

/** Wipe and free the result of uipsec_settings_get_hex() (NULL is ignored).
 * @param p   the bytes
 * @param len their number, as returned */
UIPSEC_EXPORT void     uipsec_hex_free(uint8_t *p, size_t len);
/** Free a string array returned by the settings functions (NULL is ignored). */
UIPSEC_EXPORT void     uipsec_strv_free(char **v);
/** Names of the subsections of a section (e.g. "tunnels"), as a
 * NULL-terminated array; free with uipsec_strv_free(). */
UIPSEC_EXPORT char   **uipsec_settings_sections(const uipsec_settings_t *s, const char *section);
/** Names of the keys set directly in a section (NULL or "" = top level), in
 * file order, as a NULL-terminated array; free with uipsec_strv_free(). */
UIPSEC_EXPORT char   **uipsec_settings_keys(const uipsec_settings_t *s, const char *section);
/** Where a key was set, for error messages: "file:line", NULL when unset. */
UIPSEC_EXPORT const char *uipsec_settings_origin(const uipsec_settings_t *s, const char *key);

UIPSEC_END_DECLS

#endif
