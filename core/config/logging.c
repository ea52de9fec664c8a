/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: a level per subsystem with a default, written to stderr (one
 * line per message) or syslog, or handed to a sink in tests. When stderr
 * is systemd's journal stream ($JOURNAL_STREAM names its device:inode),
 * each line starts with the syslog priority "<N>" (sd-daemon.h's SD_ERR
 * style) instead of a time stamp: the journal keeps the level and its own
 * time. GLib's and json-glib's own messages come through here too
 * (log_capture_glib()).
 *
 * uipsec_log_enabled() is on hot paths: it first compares against the
 * highest level any subsystem has enabled (one relaxed atomic load), and
 * only takes the read lock when some subsystem has a level of its own. */
#include "config.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "config/logging.h"
#include "config/settings_parser.h"

static atomic_int default_level = UIPSEC_LOG_INFO;
static atomic_int max_level = UIPSEC_LOG_INFO;   /* max over default and per-subsystem */
static atomic_int n_subsys_levels;
/* pthread, not GRWLock (a bare futex): ThreadSanitizer sees it */
static pthread_rwlock_t levels_lock = PTHREAD_RWLOCK_INITIALIZER;
static GHashTable *subsys_levels;                 /* char* -> GINT_TO_POINTER(level + 1) */

/* pthread (not GMutex, a bare futex on Linux) so ThreadSanitizer sees it */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static log_target_t out_target = LOG_TARGET_STDERR;
static bool syslog_opened;
static bool stderr_journal;     /* stderr is the journal's stream: "<N>" prefixes */
static log_sink_fn sink_fn;
static void *sink_user;

static const char *const level_names[] = {
	[UIPSEC_LOG_ERROR] = "error",
	[UIPSEC_LOG_WARN] = "warn",
	[UIPSEC_LOG_INFO] = "info",
	[UIPSEC_LOG_DEBUG] = "debug",
	[UIPSEC_LOG_TRACE] = "trace",
};
static const char *const level_tags[] = {
	[UIPSEC_LOG_ERROR] = "ERROR",
	[UIPSEC_LOG_WARN] = "WARN",
	[UIPSEC_LOG_INFO] = "INFO",
	[UIPSEC_LOG_DEBUG] = "DEBUG",
	[UIPSEC_LOG_TRACE] = "TRACE",
};
static const int level_syslog[] = {
	[UIPSEC_LOG_ERROR] = LOG_ERR,
	[UIPSEC_LOG_WARN] = LOG_WARNING,
	[UIPSEC_LOG_INFO] = LOG_INFO,
	[UIPSEC_LOG_DEBUG] = LOG_DEBUG,
	[UIPSEC_LOG_TRACE] = LOG_DEBUG,
};

bool log_level_parse(const char *name, uipsec_log_level_t *level)
{
	if (!name)
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(level_names); i++) {
		if (g_ascii_strcasecmp(name, level_names[i]) == 0) {
			*level = (uipsec_log_level_t)i;
			return true;
		}
	}
	if (g_ascii_strcasecmp(name, "warning") == 0) {
		*level = UIPSEC_LOG_WARN;
		return true;
	}
	return false;
}

const char *log_level_name(uipsec_log_level_t level)
{
	return (unsigned)level < G_N_ELEMENTS(level_names) ? level_names[level] : "?";
}

static uipsec_log_level_t clamp_level(int level)
{
	if (level < UIPSEC_LOG_ERROR)
		return UIPSEC_LOG_ERROR;
	return level > UIPSEC_LOG_TRACE ? UIPSEC_LOG_TRACE : (uipsec_log_level_t)level;
}

/* with levels_lock held for writing */
static void recompute_max_locked(void)
{
	int max = atomic_load(&default_level);
	if (subsys_levels) {
		GHashTableIter it;
		gpointer value;
		g_hash_table_iter_init(&it, subsys_levels);
		while (g_hash_table_iter_next(&it, NULL, &value))
			max = MAX(max, GPOINTER_TO_INT(value) - 1);
	}
	atomic_store(&n_subsys_levels, subsys_levels ? (int)g_hash_table_size(subsys_levels) : 0);
	atomic_store(&max_level, max);
}

void log_set_level(const char *subsys, uipsec_log_level_t level)
{
	level = clamp_level((int)level);
	pthread_rwlock_wrlock(&levels_lock);
	if (!subsys) {
		atomic_store(&default_level, (int)level);
	} else {
		if (!subsys_levels)
			subsys_levels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(subsys_levels, g_strdup(subsys), GINT_TO_POINTER((int)level + 1));
	}
	recompute_max_locked();
	pthread_rwlock_unlock(&levels_lock);
}

void log_clear_levels(void)
{
	pthread_rwlock_wrlock(&levels_lock);
	if (subsys_levels)
		g_hash_table_remove_all(subsys_levels);
	recompute_max_locked();
	pthread_rwlock_unlock(&levels_lock);
}

uipsec_log_level_t log_get_level(const char *subsys)
{
	int level = atomic_load(&default_level);
	if (subsys && atomic_load_explicit(&n_subsys_levels, memory_order_relaxed)) {
		pthread_rwlock_rdlock(&levels_lock);
		gpointer v = subsys_levels ? g_hash_table_lookup(subsys_levels, subsys) : NULL;
		if (v)
			level = GPOINTER_TO_INT(v) - 1;
		pthread_rwlock_unlock(&levels_lock);
	}
	return (uipsec_log_level_t)level;
}

bool uipsec_log_enabled(const char *subsys, uipsec_log_level_t level)
{
	if ((int)level > atomic_load_explicit(&max_level, memory_order_relaxed))
		return false;
	if (!atomic_load_explicit(&n_subsys_levels, memory_order_relaxed))
		return (int)level <= atomic_load_explicit(&default_level, memory_order_relaxed);
	return level <= log_get_level(subsys);
}

/* systemd sets JOURNAL_STREAM=DEV:INODE for a service whose stderr is
 * connected to the journal; a stderr redirected elsewhere by a child does
 * not match it */
static bool detect_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char end;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

bool log_stderr_is_journal(void)
{
	pthread_mutex_lock(&out_lock);
	bool j = stderr_journal;
	pthread_mutex_unlock(&out_lock);
	return j;
}

void log_set_target(log_target_t target)
{
	bool journal = target == LOG_TARGET_STDERR && detect_journal();
	pthread_mutex_lock(&out_lock);
	out_target = target;
	stderr_journal = journal;
	if (target == LOG_TARGET_SYSLOG && !syslog_opened) {
		openlog("uipsecd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		syslog_opened = true;
	}
	pthread_mutex_unlock(&out_lock);
}

void log_set_sink(log_sink_fn fn, void *user)
{
	pthread_mutex_lock(&out_lock);
	sink_fn = fn;
	sink_user = user;
	pthread_mutex_unlock(&out_lock);
}

/* One message, one line: control characters (e.g. from config values or
 * packets) could forge further lines. */
static void sanitize(char *msg)
{
	for (unsigned char *p = (unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = *p == '\t' ? ' ' : '?';
}

void uipsec_log(const char *subsys, uipsec_log_level_t level, const char *fmt, ...)
{
	if (!subsys)
		subsys = "-";
	level = clamp_level((int)level);
	/* direct calls (not through the macros) are filtered too */
	if (!uipsec_log_enabled(subsys, level))
		return;
	char stackbuf[512];
	char *msg = stackbuf;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(stackbuf, sizeof(stackbuf), fmt, ap);
	va_end(ap);
	if (n < 0) {
		g_strlcpy(stackbuf, "(unprintable log message)", sizeof(stackbuf));
	} else if ((size_t)n >= sizeof(stackbuf)) {
		va_start(ap, fmt);
		msg = g_strdup_vprintf(fmt, ap);
		va_end(ap);
	}
	sanitize(msg);

	pthread_mutex_lock(&out_lock);
	log_sink_fn fn = sink_fn;
	void *user = sink_user;
	log_target_t target = out_target;
	if (!fn && target == LOG_TARGET_SYSLOG) {
		syslog(level_syslog[level], "[%s] %s", subsys, msg);
	} else if (!fn && stderr_journal) {
		fprintf(stderr, "<%d>[%s] %s %s\n", level_syslog[level], subsys, level_tags[level], msg);
		fflush(stderr);
	} else if (!fn) {
		struct timespec ts;
		struct tm tm;
		char when[32] = "";
		clock_gettime(CLOCK_REALTIME, &ts);
		if (localtime_r(&ts.tv_sec, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld [%s] %s %s\n", when, ts.tv_nsec / 1000000L, subsys,
		        level_tags[level], msg);
		fflush(stderr);
	}
	pthread_mutex_unlock(&out_lock);
	if (fn)
		fn(subsys, level, msg, user);
	if (msg != stackbuf)
		g_free(msg);
}

/* ---------------------------------------------------------------- configuration */

typedef struct subsys_level {
	char *subsys;
	uipsec_log_level_t level;
} subsys_level_t;

static void add_error(GString *errors, const uipsec_settings_t *s, const char *key,
                      const char *expected, const char *value)
{
	if (errors->len)
		g_string_append_c(errors, '\n');
	g_string_append_printf(errors, "%s: '%s' expects %s, got '%s'", uipsec_settings_origin(s, key),
	                       key, expected, value);
}

#define LEVEL_EXPECTED "a log level (error, warn, info, debug, trace)"

bool log_configure(const uipsec_settings_t *s, GError **err)
{
	GString *errors = g_string_new(NULL);
	uipsec_log_level_t def = UIPSEC_LOG_INFO;
	log_target_t target = LOG_TARGET_STDERR;
	GArray *levels = g_array_new(FALSE, FALSE, sizeof(subsys_level_t));
	char **keys = uipsec_settings_keys(s, "uipsecd.log");
	for (char **k = keys; *k; k++) {
		char *key = g_strconcat("uipsecd.log.", *k, NULL);
		const char *value = uipsec_settings_get_str(s, key, NULL);
		if (strcmp(*k, "target") == 0) {
			if (g_ascii_strcasecmp(value, "syslog") == 0)
				target = LOG_TARGET_SYSLOG;
			else if (g_ascii_strcasecmp(value, "stderr") != 0)
				add_error(errors, s, key, "'stderr' or 'syslog'", value);
		} else {
			subsys_level_t sl = { .subsys = *k };
			if (!log_level_parse(value, &sl.level))
				add_error(errors, s, key, LEVEL_EXPECTED, value);
			else if (strcmp(*k, "default") == 0)
				def = sl.level;
			else
				g_array_append_val(levels, sl);
		}
		g_free(key);
	}
	bool ok = errors->len == 0;
	if (ok) {
		log_clear_levels();
		log_set_level(NULL, def);
		for (guint i = 0; i < levels->len; i++) {
			const subsys_level_t *sl = &g_array_index(levels, subsys_level_t, i);
			log_set_level(sl->subsys, sl->level);
		}
		log_set_target(target);
	} else {
		g_set_error_literal(err, UIPSEC_SETTINGS_ERROR, UIPSEC_SETTINGS_ERROR_VALUE, errors->str);
	}
	g_array_free(levels, TRUE);
	g_strfreev(keys);
	g_string_free(errors, TRUE);
	return ok;
}

/* ---------------------------------------------------------------- GLib's messages */

/* GLib's levels on ours; G_LOG_LEVEL_ERROR aborts after this in GLib */
static uipsec_log_level_t glib_level(GLogLevelFlags flags)
{
	static const struct { GLogLevelFlags flag; uipsec_log_level_t level; } map[] = {
		{ G_LOG_LEVEL_ERROR, UIPSEC_LOG_ERROR },   { G_LOG_LEVEL_CRITICAL, UIPSEC_LOG_ERROR },
		{ G_LOG_LEVEL_WARNING, UIPSEC_LOG_WARN },  { G_LOG_LEVEL_MESSAGE, UIPSEC_LOG_INFO },
		{ G_LOG_LEVEL_INFO, UIPSEC_LOG_INFO },     { G_LOG_LEVEL_DEBUG, UIPSEC_LOG_DEBUG },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
		if (flags & map[i].flag)
			return map[i].level;
	return UIPSEC_LOG_INFO;
}

static GLogWriterOutput glib_writer(GLogLevelFlags flags, const GLogField *fields, gsize n_fields, gpointer user)
{
	const char *domain = NULL, *message = NULL;
	for (gsize i = 0; i < n_fields; i++) {
		if (fields[i].length >= 0)
			continue;             /* binary fields: not ours to print */
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (strcmp(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	uipsec_log_level_t level = glib_level(flags);
	if (uipsec_log_enabled(LOG_GLIB_SUBSYS, level))
		uipsec_log(LOG_GLIB_SUBSYS, level, "%s%s%s", domain ? domain : "", domain ? ": " : "",
		           message ? message : "(no message)");
	return G_LOG_WRITER_HANDLED;
}

void log_capture_glib(void)
{
	/* GLib allows one writer per process, set before its first message */
	static gsize once;
	if (g_once_init_enter(&once)) {
		g_log_set_writer_func(glib_writer, NULL, NULL);
		g_once_init_leave(&once, 1);
	}
}
