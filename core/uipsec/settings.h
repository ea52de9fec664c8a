/* uipsec public API: configuration settings (strongswan.conf syntax).
 *
 * Keys are dotted paths from the top of the file, e.g.
 * "uipsecd.plugins.io-tun.mtu". Getters return the default when a key is
 * unset or its value does not parse; the parser has already reported
 * unparseable values of declared options with file:line. */
#ifndef UIPSEC_SETTINGS_H
#define UIPSEC_SETTINGS_H

#include <uipsec/common.h>

UIPSEC_BEGIN_DECLS

typedef struct uipsec_settings uipsec_settings_t;

typedef enum uipsec_opt_type {
	UIPSEC_OPT_STRING = 1,
	UIPSEC_OPT_BOOL,      /* yes|no|true|false|1|0 */
	UIPSEC_OPT_INT,       /* decimal or 0x hex, may be negative */
	UIPSEC_OPT_DURATION,  /* 30s 5m 1h 1d, bare number = seconds */
	UIPSEC_OPT_BYTES,     /* 500k 10m 1g, bare number = bytes */
	UIPSEC_OPT_LIST,      /* space or comma separated */
	UIPSEC_OPT_HEX,       /* 0x... byte string (keys) */
	UIPSEC_OPT_SECTION,   /* a section whose subsections have free names */
} uipsec_opt_type_t;

/* A declared option. Plugins declare theirs relative to
 * "uipsecd.plugins.<name>."; a "*" path component matches any name
 * (e.g. "tunnels.*.in.spi"). Declared options are what --help-options
 * prints and what "did you mean" suggestions are drawn from. */
typedef struct uipsec_option {
	const char *key;
	uipsec_opt_type_t type;
	const char *def;     /* default as written in a config file, NULL = none */
	const char *help;    /* one line */
} uipsec_option_t;

#define UIPSEC_OPTION_END { NULL, 0, NULL, NULL }

UIPSEC_EXPORT const char *uipsec_settings_get_str(const uipsec_settings_t *s, const char *key, const char *def);
UIPSEC_EXPORT bool     uipsec_settings_get_bool(const uipsec_settings_t *s, const char *key, bool def);
UIPSEC_EXPORT int64_t  uipsec_settings_get_int(const uipsec_settings_t *s, const char *key, int64_t def);
/* seconds */
UIPSEC_EXPORT uint64_t uipsec_settings_get_duration(const uipsec_settings_t *s, const char *key, uint64_t def);
UIPSEC_EXPORT uint64_t uipsec_settings_get_bytes(const uipsec_settings_t *s, const char *key, uint64_t def);
/* NULL-terminated array (empty array when unset); free with uipsec_strv_free() */
UIPSEC_EXPORT char   **uipsec_settings_get_list(const uipsec_settings_t *s, const char *key);
/* decoded 0x.. hex string; NULL when unset or invalid; free with uipsec_hex_free() (wipes) */
UIPSEC_EXPORT uint8_t *uipsec_settings_get_hex(const uipsec_settings_t *s, const char *key, size_t *len);
UIPSEC_EXPORT void     uipsec_hex_free(uint8_t *p, size_t len);
UIPSEC_EXPORT void     uipsec_strv_free(char **v);
/* names of the subsections of a section (e.g. "tunnels"); free with uipsec_strv_free() */
UIPSEC_EXPORT char   **uipsec_settings_sections(const uipsec_settings_t *s, const char *section);
/* names of the keys set directly in a section (NULL or "" = top level), in
 * file order; free with uipsec_strv_free() */
UIPSEC_EXPORT char   **uipsec_settings_keys(const uipsec_settings_t *s, const char *section);
/* where a key was set, for error messages: "file:line", NULL when unset */
UIPSEC_EXPORT const char *uipsec_settings_origin(const uipsec_settings_t *s, const char *key);

UIPSEC_END_DECLS

#endif
