/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: levels, per-subsystem filtering, configuration, output format. */
#include "config.h"
#include <glib.h>
#include <pthread.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "config/logging.h"
#include "config/settings_parser.h"

typedef struct entry {
	char *subsys;
	uipsec_log_level_t level;
	char *msg;
} entry_t;

static pthread_mutex_t captured_lock = PTHREAD_MUTEX_INITIALIZER;
static GPtrArray *captured;

static void entry_free(gpointer p)
{
	entry_t *e = p;
	g_free(e->subsys);
	g_free(e->msg);
	g_free(e);
}

static void sink(const char *subsys, uipsec_log_level_t level, const char *msg, void *user)
{
	entry_t *e = g_new0(entry_t, 1);
	e->subsys = g_strdup(subsys);
	e->level = level;
	e->msg = g_strdup(msg);
	pthread_mutex_lock(&captured_lock);
	g_ptr_array_add(captured, e);
	(*(int *)user)++;
	pthread_mutex_unlock(&captured_lock);
}

static int sink_calls;

/* Every test starts from the defaults with the sink installed. */
static void setup(void)
{
	if (captured)
		g_ptr_array_free(captured, TRUE);
	captured = g_ptr_array_new_with_free_func(entry_free);
	sink_calls = 0;
	log_clear_levels();
	log_set_level(NULL, UIPSEC_LOG_INFO);
	log_set_target(LOG_TARGET_STDERR);
	log_set_sink(sink, &sink_calls);
}

static const entry_t *entry(guint i)
{
	g_assert_cmpuint(i, <, captured->len);
	return g_ptr_array_index(captured, i);
}

static void test_level_names(void)
{
	static const struct { const char *name; uipsec_log_level_t level; } names[] = {
		{ "error", UIPSEC_LOG_ERROR }, { "warn", UIPSEC_LOG_WARN }, { "warning", UIPSEC_LOG_WARN },
		{ "info", UIPSEC_LOG_INFO }, { "debug", UIPSEC_LOG_DEBUG }, { "TRACE", UIPSEC_LOG_TRACE },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		uipsec_log_level_t l = UIPSEC_LOG_ERROR;
		g_assert_true(log_level_parse(names[i].name, &l));
		g_assert_cmpint(l, ==, names[i].level);
	}
	uipsec_log_level_t l = UIPSEC_LOG_DEBUG;
	g_assert_false(log_level_parse("loud", &l));
	g_assert_false(log_level_parse("", &l));
	g_assert_false(log_level_parse(NULL, &l));
	g_assert_cmpint(l, ==, UIPSEC_LOG_DEBUG);
	g_assert_cmpstr(log_level_name(UIPSEC_LOG_WARN), ==, "warn");
	g_assert_cmpstr(log_level_name(UIPSEC_LOG_TRACE), ==, "trace");
}

static void test_default_level(void)
{
	setup();
	g_assert_true(uipsec_log_enabled("esp", UIPSEC_LOG_ERROR));
	g_assert_true(uipsec_log_enabled("esp", UIPSEC_LOG_INFO));
	g_assert_false(uipsec_log_enabled("esp", UIPSEC_LOG_DEBUG));
	uinfo("esp", "hello %d", 5);
	udebug("esp", "not shown %d", 6);
	uerror("net", "broken: %s", "route");
	g_assert_cmpuint(captured->len, ==, 2);
	g_assert_cmpstr(entry(0)->subsys, ==, "esp");
	g_assert_cmpint(entry(0)->level, ==, UIPSEC_LOG_INFO);
	g_assert_cmpstr(entry(0)->msg, ==, "hello 5");
	g_assert_cmpstr(entry(1)->subsys, ==, "net");
	g_assert_cmpint(entry(1)->level, ==, UIPSEC_LOG_ERROR);
	g_assert_cmpstr(entry(1)->msg, ==, "broken: route");

	log_set_level(NULL, UIPSEC_LOG_TRACE);
	utrace("esp", "now visible");
	log_set_level(NULL, UIPSEC_LOG_ERROR);
	uwarn("esp", "hidden");
	uerror("esp", "shown");
	g_assert_cmpuint(captured->len, ==, 4);
	g_assert_cmpstr(entry(2)->msg, ==, "now visible");
	g_assert_cmpstr(entry(3)->msg, ==, "shown");
}

static void test_subsystem_levels(void)
{
	setup();
	log_set_level("esp", UIPSEC_LOG_DEBUG);
	log_set_level("net", UIPSEC_LOG_ERROR);
	g_assert_cmpint(log_get_level("esp"), ==, UIPSEC_LOG_DEBUG);
	g_assert_cmpint(log_get_level("net"), ==, UIPSEC_LOG_ERROR);
	g_assert_cmpint(log_get_level("tun"), ==, UIPSEC_LOG_INFO);
	g_assert_cmpint(log_get_level(NULL), ==, UIPSEC_LOG_INFO);

	udebug("esp", "esp debug");
	udebug("tun", "tun debug");   /* default info: filtered */
	uwarn("net", "net warn");     /* net lowered to error: filtered */
	uerror("net", "net error");
	uinfo("tun", "tun info");
	utrace("esp", "esp trace");   /* filtered */
	g_assert_cmpuint(captured->len, ==, 3);
	g_assert_cmpstr(entry(0)->msg, ==, "esp debug");
	g_assert_cmpstr(entry(1)->msg, ==, "net error");
	g_assert_cmpstr(entry(2)->msg, ==, "tun info");

	/* changing the default leaves subsystems with their own level alone */
	log_set_level(NULL, UIPSEC_LOG_WARN);
	g_assert_false(uipsec_log_enabled("tun", UIPSEC_LOG_INFO));
	g_assert_true(uipsec_log_enabled("esp", UIPSEC_LOG_DEBUG));
	/* and clearing makes them follow the default again */
	log_clear_levels();
	g_assert_false(uipsec_log_enabled("esp", UIPSEC_LOG_INFO));
	g_assert_true(uipsec_log_enabled("net", UIPSEC_LOG_WARN));
	/* direct calls below the level are filtered too */
	uipsec_log("esp", UIPSEC_LOG_DEBUG, "direct");
	g_assert_cmpuint(captured->len, ==, 3);
}

static void test_configure(void)
{
	setup();
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	g_assert_true(settings_load_string(s,
		"uipsecd {\n  log {\n    default = warn\n    esp = trace\n    cfg = error\n    target = stderr\n  }\n}\n",
		"log.conf", &err));
	g_assert_true(log_configure(s, &err));
	g_assert_no_error(err);
	g_assert_cmpint(log_get_level(NULL), ==, UIPSEC_LOG_WARN);
	g_assert_cmpint(log_get_level("esp"), ==, UIPSEC_LOG_TRACE);
	g_assert_cmpint(log_get_level("cfg"), ==, UIPSEC_LOG_ERROR);
	g_assert_cmpint(log_get_level("net"), ==, UIPSEC_LOG_WARN);
	settings_free(s);

	/* an invalid value changes nothing and names file:line */
	s = settings_new();
	g_assert_true(settings_load_string(s,
		"uipsecd.log {\n  default = debug\n  net = loud\n  target = printer\n}\n", "bad.conf", &err));
	g_assert_false(log_configure(s, &err));
	g_assert_error(err, UIPSEC_SETTINGS_ERROR, UIPSEC_SETTINGS_ERROR_VALUE);
	g_assert_cmpstr(err->message, ==,
		"bad.conf:3: 'uipsecd.log.net' expects a log level (error, warn, info, debug, trace), got 'loud'\n"
		"bad.conf:4: 'uipsecd.log.target' expects 'stderr' or 'syslog', got 'printer'");
	g_clear_error(&err);
	g_assert_cmpint(log_get_level(NULL), ==, UIPSEC_LOG_WARN);
	g_assert_cmpint(log_get_level("esp"), ==, UIPSEC_LOG_TRACE);
	settings_free(s);

	/* a reload without per-subsystem levels drops the old ones */
	s = settings_new();
	g_assert_true(settings_set(s, "uipsecd.log.default", "debug"));
	g_assert_true(log_configure(s, &err));
	g_assert_cmpint(log_get_level("esp"), ==, UIPSEC_LOG_DEBUG);
	g_assert_cmpint(log_get_level("cfg"), ==, UIPSEC_LOG_DEBUG);
	settings_free(s);

	/* no log section at all: defaults */
	s = settings_new();
	g_assert_true(log_configure(s, &err));
	g_assert_cmpint(log_get_level(NULL), ==, UIPSEC_LOG_INFO);
	settings_free(s);
}

static void test_one_line(void)
{
	setup();
	uinfo("ctl", "line one\nline two\r\tend\x7f");
	g_assert_cmpuint(captured->len, ==, 1);
	g_assert_cmpstr(entry(0)->msg, ==, "line one?line two? end?");
}

static void test_long_message(void)
{
	setup();
	char *big = g_strnfill(5000, 'x');
	uinfo("esp", "%s|end", big);
	g_assert_cmpuint(captured->len, ==, 1);
	g_assert_cmpuint(strlen(entry(0)->msg), ==, 5004);
	g_assert_true(g_str_has_suffix(entry(0)->msg, "x|end"));
	g_free(big);
}

typedef struct worker_arg {
	const char *subsys;
	int count;
} worker_arg_t;

static gpointer log_worker(gpointer data)
{
	worker_arg_t *a = data;
	for (int i = 0; i < a->count; i++) {
		uinfo(a->subsys, "message %d", i);
		udebug("quiet", "never %d", i);
	}
	return NULL;
}

static void test_threads(void)
{
	setup();
	enum { THREADS = 4, PER_THREAD = 2000 };
	static const char *const subsys[THREADS] = { "esp", "net", "tun", "ctl" };
	worker_arg_t args[THREADS];
	GThread *threads[THREADS];
	for (int i = 0; i < THREADS; i++) {
		args[i] = (worker_arg_t){ subsys[i], PER_THREAD };
		threads[i] = g_thread_new("log", log_worker, &args[i]);
	}
	/* level changes while the workers log: info stays enabled for all of
	 * them, debug never for "quiet" */
	for (int i = 0; i < 2000; i++) {
		log_set_level(subsys[i % THREADS], (i & 1) ? UIPSEC_LOG_TRACE : UIPSEC_LOG_INFO);
		log_set_level("quiet", UIPSEC_LOG_INFO);
		if (i % 100 == 0)
			log_clear_levels();
	}
	for (int i = 0; i < THREADS; i++)
		g_thread_join(threads[i]);
	g_assert_cmpuint(captured->len, ==, THREADS * PER_THREAD);
	g_assert_cmpint(sink_calls, ==, THREADS * PER_THREAD);
	for (guint i = 0; i < captured->len; i++)
		g_assert_cmpstr(entry(i)->subsys, !=, "quiet");
}

/* Runs fn with stderr redirected to a file; returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
	char *path = NULL;
	GError *err = NULL;
	int fd = g_file_open_tmp("uipsec-log-XXXXXX", &path, &err);
	g_assert_no_error(err);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	g_assert_cmpint(dup2(fd, STDERR_FILENO), ==, STDERR_FILENO);
	fn();
	fflush(stderr);
	g_assert_cmpint(dup2(saved, STDERR_FILENO), ==, STDERR_FILENO);
	close(saved);
	close(fd);
	char *text = NULL;
	g_file_get_contents(path, &text, NULL, &err);
	g_assert_no_error(err);
	g_unlink(path);
	g_free(path);
	return text;
}

static void log_some_to_stderr(void)
{
	uinfo("esp", "hello %s", "world");
	udebug("esp", "hidden");
	uwarn("cfg", "careful");
}

/* The stderr format: "2026-11-26T18:01:02.123 [esp] INFO message". */
static void test_stderr_format(void)
{
	setup();
	log_set_sink(NULL, NULL);
	char *text = capture_stderr(log_some_to_stderr);
	log_set_sink(sink, &sink_calls);
	GRegex *re = g_regex_new("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[esp\\] INFO hello world\n"
	                         "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[cfg\\] WARN careful\n$",
	                         0, 0, NULL);
	g_assert_nonnull(re);
	if (!g_regex_match(re, text, 0, NULL))
		g_error("unexpected stderr output: '%s'", text);
	g_regex_unref(re);
	g_free(text);
	g_assert_cmpuint(captured->len, ==, 0);
}

/* With target syslog nothing goes to stderr. */
static void test_syslog_target(void)
{
	setup();
	log_set_sink(NULL, NULL);
	uipsec_settings_t *s = settings_new();
	g_assert_true(settings_set(s, "uipsecd.log.target", "syslog"));
	g_assert_true(log_configure(s, NULL));
	settings_free(s);
	char *text = capture_stderr(log_some_to_stderr);
	log_set_target(LOG_TARGET_STDERR);
	g_assert_cmpstr(text, ==, "");
	g_free(text);
}

/* Under systemd (JOURNAL_STREAM names stderr's device:inode) each line
 * starts with its syslog priority and carries no time stamp. */
static bool journal_seen;
static void log_to_journal_stream(void)
{
	struct stat st;
	g_assert_cmpint(fstat(STDERR_FILENO, &st), ==, 0);
	char *js = g_strdup_printf("%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	g_setenv("JOURNAL_STREAM", js, TRUE);
	g_free(js);
	log_set_target(LOG_TARGET_STDERR);
	journal_seen = log_stderr_is_journal();
	uerror("esp", "broken");
	uwarn("cfg", "careful");
	uinfo("esp", "hello world");
	log_set_level(NULL, UIPSEC_LOG_DEBUG);
	udebug("net", "details");
	g_unsetenv("JOURNAL_STREAM");
	log_set_target(LOG_TARGET_STDERR);
}

static void log_to_other_stream(void)
{
	g_setenv("JOURNAL_STREAM", "1:2", TRUE);   /* the journal, but not our stderr */
	log_set_target(LOG_TARGET_STDERR);
	journal_seen = log_stderr_is_journal();
	uinfo("esp", "hello world");
	g_unsetenv("JOURNAL_STREAM");
	log_set_target(LOG_TARGET_STDERR);
}

static void test_journal_prefix(void)
{
	setup();
	log_set_sink(NULL, NULL);
	char *text = capture_stderr(log_to_journal_stream);
	g_assert_true(journal_seen);
	g_assert_cmpstr(text, ==, "<3>[esp] ERROR broken\n<4>[cfg] WARN careful\n<6>[esp] INFO hello world\n"
	                          "<7>[net] DEBUG details\n");
	g_free(text);
	text = capture_stderr(log_to_other_stream);
	g_assert_false(journal_seen);
	g_assert_true(g_regex_match_simple("^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+ \\[esp\\] INFO hello world\n$", text, 0, 0));
	g_free(text);
	g_assert_false(log_stderr_is_journal());
	log_set_sink(sink, &sink_calls);
}

/* GLib's and json-glib's own messages reach our logger (subsystem glib,
 * "DOMAIN: message", mapped levels) and its level filter. */
static void test_glib_capture(void)
{
	setup();
	/* g_test_init() made warnings fatal; a daemon's are not */
	g_log_set_always_fatal(G_LOG_FATAL_MASK);
	log_capture_glib();
	log_capture_glib();   /* twice is fine */
	g_log("Json", G_LOG_LEVEL_WARNING, "bad member %d", 7);
	g_log("GLib-GIO", G_LOG_LEVEL_MESSAGE, "note");
	g_log("GLib", G_LOG_LEVEL_DEBUG, "hidden at level info");
	g_assert_cmpuint(captured->len, ==, 2);
	entry_t *e = g_ptr_array_index(captured, 0);
	g_assert_cmpstr(e->subsys, ==, "glib");
	g_assert_cmpint(e->level, ==, UIPSEC_LOG_WARN);
	g_assert_cmpstr(e->msg, ==, "Json: bad member 7");
	e = g_ptr_array_index(captured, 1);
	g_assert_cmpint(e->level, ==, UIPSEC_LOG_INFO);
	g_assert_cmpstr(e->msg, ==, "GLib-GIO: note");
	log_set_level(LOG_GLIB_SUBSYS, UIPSEC_LOG_DEBUG);
	g_log("GLib", G_LOG_LEVEL_DEBUG, "shown at level debug");
	g_assert_cmpuint(captured->len, ==, 3);
	e = g_ptr_array_index(captured, 2);
	g_assert_cmpint(e->level, ==, UIPSEC_LOG_DEBUG);
	g_assert_cmpstr(e->msg, ==, "GLib: shown at level debug");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/log/level-names", test_level_names);
	g_test_add_func("/log/default-level", test_default_level);
	g_test_add_func("/log/subsystem-levels", test_subsystem_levels);
	g_test_add_func("/log/configure", test_configure);
	g_test_add_func("/log/one-line", test_one_line);
	g_test_add_func("/log/long-message", test_long_message);
	g_test_add_func("/log/threads", test_threads);
	g_test_add_func("/log/stderr-format", test_stderr_format);
	g_test_add_func("/log/syslog-target", test_syslog_target);
	g_test_add_func("/log/journal-prefix", test_journal_prefix);
	g_test_add_func("/log/glib-capture", test_glib_capture);
	int rc = g_test_run();
	log_set_sink(NULL, NULL);
	if (captured)
		g_ptr_array_free(captured, TRUE);
	return rc;
}
