/* Settings: the strongswan.conf-syntax parser and the registry of declared
 * options (internal API; plugins see only <uipsec/settings.h>). */
#ifndef UIPSEC_CORE_SETTINGS_H
#define UIPSEC_CORE_SETTINGS_H

#include <stdio.h>
#include <glib.h>
#include <uipsec/settings.h>

#define UIPSEC_SETTINGS_ERROR (uipsec_settings_error_quark())
GQuark uipsec_settings_error_quark(void);

uipsec_settings_t *settings_new(void);
void settings_free(uipsec_settings_t *s);
/* Parse a file and merge it (later definitions override earlier ones).
 * Errors are "file:line: problem" in err; on error s is left unchanged. */
bool settings_load_file(uipsec_settings_t *s, const char *path, GError **err);
/* Same for text; name is used in messages in place of a file name. */
bool settings_load_string(uipsec_settings_t *s, const char *text, const char *name, GError **err);
/* Set one value (command line overrides such as --debug). */
void settings_set(uipsec_settings_t *s, const char *key, const char *value);

/* Option registry. prefix is prepended to every key of opts ("" for the
 * core's own, "uipsecd.plugins.<name>." for a plugin's). */
void options_declare(const char *prefix, const uipsec_option_t *opts);
void options_reset(void);
/* Warn (log subsystem "cfg") about every key no one declared, naming
 * file:line and the closest declared key; returns how many. */
unsigned options_check_unknown(const uipsec_settings_t *s);
/* Check the values of declared options parse as their type; errors in err. */
bool options_check_values(const uipsec_settings_t *s, GError **err);
void options_print_help(FILE *out);

#endif
