/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: levels per subsystem, stderr or syslog, a capture hook for tests
 * (internal API; plugins see only <uipsec/log.h>).
 * Exported from libuipsec for uipsecd and the tests, but not installed. */
#ifndef UIPSEC_CORE_LOG_H
#define UIPSEC_CORE_LOG_H

#include <glib.h>
#include <uipsec/log.h>
#include <uipsec/settings.h>

typedef enum log_target {
	LOG_TARGET_STDERR,
	LOG_TARGET_SYSLOG,
} log_target_t;

/* "error", "warn", "info", "debug", "trace" (also "warning"); false if unknown */
UIPSEC_EXPORT bool log_level_parse(const char *name, uipsec_log_level_t *level);
UIPSEC_EXPORT const char *log_level_name(uipsec_log_level_t level);

/* Level of one subsystem; subsys NULL sets the default for subsystems
 * without a level of their own. Takes effect at once, from any thread. */
UIPSEC_EXPORT void log_set_level(const char *subsys, uipsec_log_level_t level);
/* Forget every per-subsystem level (they follow the default again). */
UIPSEC_EXPORT void log_clear_levels(void);
UIPSEC_EXPORT uipsec_log_level_t log_get_level(const char *subsys);

/* Also looks at whether stderr is systemd's journal stream (the
 * JOURNAL_STREAM variable names stderr's device and inode): its lines then
 * start with the syslog priority, "<3>" for errors, and carry no time. */
UIPSEC_EXPORT void log_set_target(log_target_t target);
/* Whether the last log_set_target() found stderr to be the journal. */
UIPSEC_EXPORT bool log_stderr_is_journal(void);

/* Subsystem of GLib's and json-glib's own messages (log_capture_glib). */
#define LOG_GLIB_SUBSYS "glib"
/* From now on GLib's messages (g_warning(), g_critical(), ... of GLib,
 * GIO and json-glib) are logged as subsystem "glib", "DOMAIN: message",
 * with the matching level, to the daemon's target. Once per process. */
UIPSEC_EXPORT void log_capture_glib(void);

/* Apply uipsecd.log.default, uipsecd.log.target and uipsecd.log.<subsystem>
 * from s, replacing earlier per-subsystem levels. Nothing changes when a
 * value is invalid; err then says "file:line: ..." for each. */
UIPSEC_EXPORT bool log_configure(const uipsec_settings_t *s, GError **err);

/* Messages that pass the level filter go to sink instead of the target
 * (tests capture them this way). NULL restores the target. The message has
 * no timestamp or newline. Called with no lock held. */
typedef void (*log_sink_fn)(const char *subsys, uipsec_log_level_t level, const char *msg, void *user);
UIPSEC_EXPORT void log_set_sink(log_sink_fn fn, void *user);

#endif
