/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Settings: the strongswan.conf-syntax parser and the registry of declared
 * options (internal API; plugins see only <uipsec/settings.h>).
 * Exported from libuipsec for uipsecd and the tests, but not installed. */
#ifndef UIPSEC_CORE_SETTINGS_H
#define UIPSEC_CORE_SETTINGS_H

#include <stdio.h>
#include <sys/types.h>
#include <glib.h>
#include <uipsec/settings.h>

#define UIPSEC_SETTINGS_ERROR (uipsec_settings_error_quark())
UIPSEC_EXPORT GQuark uipsec_settings_error_quark(void);

typedef enum settings_error {
	UIPSEC_SETTINGS_ERROR_PARSE,   /* syntax error, bad include: "file:line: problem" */
	UIPSEC_SETTINGS_ERROR_IO,      /* the top-level file cannot be read: "file: reason" */
	UIPSEC_SETTINGS_ERROR_VALUE,   /* declared option with a bad value: "file:line: ..." */
} settings_error_t;

UIPSEC_EXPORT uipsec_settings_t *settings_new(void);
UIPSEC_EXPORT void settings_free(uipsec_settings_t *s);
/* Parse a file and merge it (later definitions override earlier ones).
 * Errors are "file:line: problem" in err; on error s is left unchanged. */
UIPSEC_EXPORT bool settings_load_file(uipsec_settings_t *s, const char *path, GError **err);
/* Same for text; name is used in messages in place of a file name, relative
 * includes are relative to the current directory. */
UIPSEC_EXPORT bool settings_load_string(uipsec_settings_t *s, const char *text, const char *name, GError **err);
/* Set one value (command line overrides such as --debug); its origin is
 * "(command line)". False when key is not a dotted path of non-empty names. */
UIPSEC_EXPORT bool settings_set(uipsec_settings_t *s, const char *key, const char *value);

/* Every key with its full dotted path, value and origin ("file:line"), in
 * file order (keys of a section before its subsections). */
typedef void (*settings_foreach_fn)(const char *key, const char *value, const char *origin, void *user);
UIPSEC_EXPORT void settings_foreach(const uipsec_settings_t *s, settings_foreach_fn fn, void *user);

/* Value parsers shared by the getters and the option checks; false/NULL
 * when v does not parse. */
UIPSEC_EXPORT bool settings_parse_bool(const char *v, bool *out);
UIPSEC_EXPORT bool settings_parse_int(const char *v, int64_t *out);
UIPSEC_EXPORT bool settings_parse_duration(const char *v, uint64_t *out);
UIPSEC_EXPORT bool settings_parse_bytes(const char *v, uint64_t *out);
/* g_malloc'd, free with uipsec_hex_free() */
UIPSEC_EXPORT uint8_t *settings_parse_hex(const char *v, size_t *len);
/* NULL-terminated, never NULL; free with g_strfreev() */
UIPSEC_EXPORT char **settings_split_list(const char *v);

/* Files holding keys (a tunnel's key_file, a config with inline keys,
 * uipsecctl --key-file) must not be readable by group or others. Checks fd
 * with fstat when fd >= 0 (path only names it), else path with stat. On
 * refusal err is "WHERE: WHAT PATH is readable by group or others (mode
 * 0644); refusing it (chmod 600)" (G_FILE_ERROR_PERM); a file that cannot
 * be examined is an error too. where may be NULL. */
UIPSEC_EXPORT bool settings_check_private(int fd, const char *path, const char *where, const char *what,
                                          GError **err);
/* From now on settings_check_private() applies the rule for a daemon that
 * runs as this user (uipsecd.user, not root) and must read key files again
 * at reload: owned by root or uid, group access only for gid, no access for
 * others, readable by uid (as owner or through gid). name is for messages.
 * Without it (uipsecctl, a daemon running as root) the rule is: no group or
 * other access at all. */
UIPSEC_EXPORT void settings_set_key_reader(uid_t uid, gid_t gid, const char *name);
/* Back to the rule without a key reader (tests). */
UIPSEC_EXPORT void settings_clear_key_reader(void);

/* Option registry. prefix is prepended to every key of opts ("" for the
 * core's own, "uipsecd.plugins.<name>." for a plugin's). Declaring a key
 * again replaces it. "uipsecd.plugins.*.load" is always declared. */
UIPSEC_EXPORT void options_declare(const char *prefix, const uipsec_option_t *opts);
/* The core's own options (uipsecd.*, tunnels.*.*). */
UIPSEC_EXPORT void options_declare_core(void);
UIPSEC_EXPORT void options_reset(void);
/* The declared option matching key (most specific match), NULL if none. */
UIPSEC_EXPORT const uipsec_option_t *options_find(const char *key);
/* Warn (log subsystem "cfg") about every key no one declared, naming
 * file:line and the closest declared key; returns how many. */
UIPSEC_EXPORT unsigned options_check_unknown(const uipsec_settings_t *s);
/* Check the values of declared options parse as their type; every error is
 * one "file:line: ..." line in err. */
UIPSEC_EXPORT bool options_check_values(const uipsec_settings_t *s, GError **err);
UIPSEC_EXPORT void options_print_help(FILE *out);

#endif
