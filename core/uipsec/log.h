/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file
 * @brief uipsec public API: logging.
 *
 * Every message has a subsystem ("loader", "crypto", "esp", "net", "tun",
 * "ctl", "cfg", or a plugin's name) and a level. Levels can be set per
 * subsystem (`uipsecd.log.<subsystem>`). Never pass key material to these
 * functions, at any level. */
#ifndef UIPSEC_LOG_H
#define UIPSEC_LOG_H

#include <uipsec/common.h>

UIPSEC_BEGIN_DECLS

/** Severity of a message; a subsystem set to a level shows that level and
 * every level before it in this list. */
typedef enum uipsec_log_level {
	/** @var UIPSEC_LOG_ERROR
	 * something failed
	 * @var UIPSEC_LOG_WARN
	 * something unexpected the daemon works around
	 * @var UIPSEC_LOG_INFO
	 * state changes worth a line in normal operation
	 * @var UIPSEC_LOG_DEBUG
	 * details for debugging configuration and control flow
	 * @var UIPSEC_LOG_TRACE
	 * per-packet detail (costly; off by default) */
	UIPSEC_LOG_ERROR = 0,
	UIPSEC_LOG_WARN,
	UIPSEC_LOG_INFO,
	UIPSEC_LOG_DEBUG,
	UIPSEC_LOG_TRACE,
} uipsec_log_level_t;

/** Whether a message of this subsystem and level would be written (to skip
 * building expensive arguments).
 * @param subsys subsystem name, e.g. "esp" or the plugin's name
 * @param level  the message's level
 * @return true when the message would be written */
UIPSEC_EXPORT bool uipsec_log_enabled(const char *subsys, uipsec_log_level_t level);
/** Write a message if its subsystem's level lets it through.
 * @param subsys subsystem name, e.g. "esp" or the plugin's name
 * @param level  the message's level
 * @param fmt    printf-style format; never key material */
UIPSEC_EXPORT void uipsec_log(const char *subsys, uipsec_log_level_t level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Log with printf-style arguments that are only evaluated when the level
 * is enabled (uipsec_log_enabled()). */
#define UIPSEC_LOG(subsys, level, ...) \
	do { if (uipsec_log_enabled((subsys), (level))) uipsec_log((subsys), (level), __VA_ARGS__); } while (0)
/** @def uerror
 * UIPSEC_LOG() at UIPSEC_LOG_ERROR.
 * @def uwarn
 * UIPSEC_LOG() at UIPSEC_LOG_WARN.
 * @def uinfo
 * UIPSEC_LOG() at UIPSEC_LOG_INFO.
 * @def udebug
 * UIPSEC_LOG() at UIPSEC_LOG_DEBUG.
 * @def utrace
 * UIPSEC_LOG() at UIPSEC_LOG_TRACE.
 */
#define uerror(subsys, ...) UIPSEC_LOG(subsys, UIPSEC_LOG_ERROR, __VA_ARGS__)
#define uwarn(subsys, ...)  UIPSEC_LOG(subsys, UIPSEC_LOG_WARN, __VA_ARGS__)
#define uinfo(subsys, ...)  UIPSEC_LOG(subsys, UIPSEC_LOG_INFO, __VA_ARGS__)
#define udebug(subsys, ...) UIPSEC_LOG(subsys, UIPSEC_LOG_DEBUG, __VA_ARGS__)
#define utrace(subsys, ...) UIPSEC_LOG(subsys, UIPSEC_LOG_TRACE, __VA_ARGS__)

UIPSEC_END_DECLS

#endif
