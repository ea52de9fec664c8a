/* uipsec public API: logging.
 *
 * Every message has a subsystem ("loader", "crypto", "esp", "net", "tun",
 * "ctl", "cfg", or a plugin's name) and a level. Levels can be set per
 * subsystem (uipsecd.log.<subsystem>). Never pass key material to these
 * functions, at any level. */
#ifndef UIPSEC_LOG_H
#define UIPSEC_LOG_H

#include <uipsec/common.h>

UIPSEC_BEGIN_DECLS

typedef enum uipsec_log_level {
	UIPSEC_LOG_ERROR = 0,
	UIPSEC_LOG_WARN,
	UIPSEC_LOG_INFO,
	UIPSEC_LOG_DEBUG,
	UIPSEC_LOG_TRACE,
} uipsec_log_level_t;

UIPSEC_EXPORT bool uipsec_log_enabled(const char *subsys, uipsec_log_level_t level);
UIPSEC_EXPORT void uipsec_log(const char *subsys, uipsec_log_level_t level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define UIPSEC_LOG(subsys, level, ...) \
	do { if (uipsec_log_enabled((subsys), (level))) uipsec_log((subsys), (level), __VA_ARGS__); } while (0)
#define uerror(subsys, ...) UIPSEC_LOG(subsys, UIPSEC_LOG_ERROR, __VA_ARGS__)
#define uwarn(subsys, ...)  UIPSEC_LOG(subsys, UIPSEC_LOG_WARN, __VA_ARGS__)
#define uinfo(subsys, ...)  UIPSEC_LOG(subsys, UIPSEC_LOG_INFO, __VA_ARGS__)
#define udebug(subsys, ...) UIPSEC_LOG(subsys, UIPSEC_LOG_DEBUG, __VA_ARGS__)
#define utrace(subsys, ...) UIPSEC_LOG(subsys, UIPSEC_LOG_TRACE, __VA_ARGS__)

UIPSEC_END_DECLS

#endif
