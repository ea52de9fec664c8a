/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Plugin loader and feature resolution, with the deliberately broken test
 * plugins of tests/plugins (found through UIPSEC_PLUGIN_PATH). Every
 * failure message is asserted word for word. */
#include "config.h"
#include <string.h>
#include <glib.h>
#include <uipsec/crypto.h>
#include <uipsec/plugin.h>
#include "plugin/feature_registry.h"
#include "config/logging.h"
#include "plugin/module.h"
#include "plugin/plugin_loader.h"
#include "config/settings_parser.h"

/* ---------------------------------------------------------------- fixture */

typedef struct logged {
	char *subsys;
	uipsec_log_level_t level;
	char *msg;
} logged_t;

static GPtrArray *log_lines;    /* logged_t* */
static GMutex log_lock;

static void logged_free(logged_t *l)
{
	g_free(l->subsys);
	g_free(l->msg);
	g_free(l);
}

static void sink(const char *subsys, uipsec_log_level_t level, const char *msg, void *user)
{
	logged_t *l = g_new0(logged_t, 1);
	l->subsys = g_strdup(subsys);
	l->level = level;
	l->msg = g_strdup(msg);
	g_mutex_lock(&log_lock);
	g_ptr_array_add(log_lines, l);
	g_mutex_unlock(&log_lock);
}

typedef struct fixture {
	uipsec_settings_t *s;
	GError *err;
	bool ok;
} fixture_t;

static void fixture_setup(fixture_t *f, gconstpointer data)
{
	log_lines = g_ptr_array_new_with_free_func((GDestroyNotify)logged_free);
	log_set_level(NULL, UIPSEC_LOG_DEBUG);
	log_set_sink(sink, NULL);
	f->s = settings_new();
}

static void fixture_teardown(fixture_t *f, gconstpointer data)
{
	plugin_loader_unload();
	features_register_check(UIPSEC_FT_CUSTOM, NULL);
	options_reset();
	log_set_sink(NULL, NULL);
	settings_free(f->s);
	g_clear_error(&f->err);
	g_ptr_array_unref(log_lines);
	log_lines = NULL;
}

/* Load with config text. */
static bool load(fixture_t *f, const char *conf)
{
	GError *err = NULL;
	if (!settings_load_string(f->s, conf, "test.conf", &err))
		g_error("test config: %s", err->message);
	f->ok = plugin_loader_load(f->s, &f->err);
	return f->ok;
}

/* The logged line equal to msg (at the given level, -1 = any), or NULL. */
static const logged_t *find_line(const char *msg, int level)
{
	for (guint i = 0; i < log_lines->len; i++) {
		const logged_t *l = g_ptr_array_index(log_lines, i);
		if (strcmp(l->msg, msg) == 0 && (level < 0 || (int)l->level == level))
			return l;
	}
	return NULL;
}

static guint line_index(const char *msg)
{
	for (guint i = 0; i < log_lines->len; i++) {
		const logged_t *l = g_ptr_array_index(log_lines, i);
		if (strcmp(l->msg, msg) == 0)
			return i;
	}
	return G_MAXUINT;
}

static void dump_log(void)
{
	for (guint i = 0; i < log_lines->len; i++) {
		const logged_t *l = g_ptr_array_index(log_lines, i);
		g_test_message("log [%s] %s: %s", l->subsys, log_level_name(l->level), l->msg);
	}
}

static void assert_logged_impl(const char *msg, int level, const char *file, int line)
{
	if (!find_line(msg, level)) {
		dump_log();
		g_error("%s:%d: not logged (level %d): %s", file, line, level, msg);
	}
}
#define assert_logged(msg, level) assert_logged_impl((msg), (level), __FILE__, __LINE__)

static void assert_logged_fmt(int level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void assert_logged_fmt(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	assert_logged(msg, level);
	g_free(msg);
}

/* Where the build put a test plugin (the directory UIPSEC_PLUGIN_PATH lists). */
static char *plugin_path(const char *name)
{
	const char *top = g_getenv("top_builddir");
	g_assert_nonnull(top);
	char *file = g_strconcat("uipsec-", name, ".so", NULL);
	char *path = g_build_filename(top, "tests", "plugins", ".libs", file, NULL);
	g_free(file);
	return path;
}

/* "plugin 'NAME' (PATH): failed to load - REASON" logged at WARN (ERROR if critical) */
static void assert_failed(const char *name, bool critical, const char *reason)
{
	char *path = plugin_path(name);
	assert_logged_fmt(critical ? UIPSEC_LOG_ERROR : UIPSEC_LOG_WARN,
	                  "plugin '%s' (%s): failed to load - %s", name, path, reason);
	g_free(path);
}

static void assert_loaded(const char *expected)
{
	char *summary = plugin_loader_summary();
	g_assert_cmpstr(summary, ==, expected);
	assert_logged(summary, UIPSEC_LOG_INFO);
	g_free(summary);
}

/* ---------------------------------------------------------------- open errors */

static void test_not_found(fixture_t *f, gconstpointer data)
{
	g_assert_true(load(f, "uipsecd { load = no-such test-net\n plugin_dir = /nonexistent/a /nonexistent/b }"));
	char **env = g_strsplit(g_getenv("UIPSEC_PLUGIN_PATH"), ":", -1);
	char *dirs = g_strjoinv(", ", env);
	assert_logged_fmt(UIPSEC_LOG_WARN,
	                  "plugin 'no-such' (uipsec-no-such.so): failed to load - not found in "
	                  "%s, /nonexistent/a, /nonexistent/b, %s", dirs, UIPSEC_PLUGINDIR);
	g_free(dirs);
	g_strfreev(env);
	assert_loaded("loaded plugins: test-net");
}

static void test_cannot_open(fixture_t *f, gconstpointer data)
{
	load(f, "uipsecd.load = missing-lib");
	char *path = plugin_path("missing-lib");
	char *reason = g_strdup_printf("cannot open: libuipsec-test-absent.so.0: cannot open shared "
	                               "object file: No such file or directory (missing shared "
	                               "library? check `ldd %s`)", path);
	assert_failed("missing-lib", false, reason);
	g_free(reason);
	g_free(path);
	assert_loaded("loaded plugins: (none)");
}

static void test_la_file(fixture_t *f, gconstpointer data)
{
	if (strcmp(module_loader_name(), "ltdl") != 0) {
		g_test_skip("only libltdl opens libtool archives (.la)");
		return;
	}
	/* the directory with the .la files, not .libs */
	char *saved = g_strdup(g_getenv("UIPSEC_PLUGIN_PATH"));
	char *dir = g_build_filename(g_getenv("top_builddir"), "tests", "plugins", NULL);
	g_setenv("UIPSEC_PLUGIN_PATH", dir, TRUE);
	load(f, "uipsecd.load = test-net missing-lib");
	g_setenv("UIPSEC_PLUGIN_PATH", saved, TRUE);

	assert_loaded("loaded plugins: test-net");
	/* the real reason, not libltdl's "file not found" */
	assert_logged_fmt(UIPSEC_LOG_WARN, "plugin 'missing-lib' (%s/uipsec-missing-lib.la): failed to "
	                  "load - cannot open: libuipsec-test-absent.so.0: cannot open shared object "
	                  "file: No such file or directory (missing shared library? check `ldd` on "
	                  "the library %s/uipsec-missing-lib.la names)", dir, dir);
	g_free(dir);
	g_free(saved);
}

static void test_no_symbol(fixture_t *f, gconstpointer data)
{
	load(f, "uipsecd.load = no-symbol");
	assert_failed("no-symbol", false, "no descriptor symbol 'uipsec_plugin_no_symbol' "
	              "(a plugin defines it with UIPSEC_PLUGIN_DEFINE)");
}

static void test_abi_major(fixture_t *f, gconstpointer data)
{
	load(f, "uipsecd.load = abi-major");
	char *reason = g_strdup_printf("ABI mismatch: plugin built for ABI %d.0, core has %d.%d",
	                               UIPSEC_ABI_MAJOR + 1, UIPSEC_ABI_MAJOR, UIPSEC_ABI_MINOR);
	assert_failed("abi-major", false, reason);
	g_free(reason);
}

static void test_abi_minor(fixture_t *f, gconstpointer data)
{
	load(f, "uipsecd.load = abi-minor");
	char *reason = g_strdup_printf("ABI mismatch: plugin built for ABI %d.%d, core has %d.%d "
	                               "(plugin needs a newer core)", UIPSEC_ABI_MAJOR,
	                               UIPSEC_ABI_MINOR + 1, UIPSEC_ABI_MAJOR, UIPSEC_ABI_MINOR);
	assert_failed("abi-minor", false, reason);
	g_free(reason);
	/* its feature must not be there */
	g_assert_null(uipsec_feature_get(UIPSEC_FT_CUSTOM, 0, "abi-minor", NULL));
}

static void test_bad_size(fixture_t *f, gconstpointer data)
{
	load(f, "uipsecd.load = bad-size");
	char *reason = g_strdup_printf("descriptor size mismatch: plugin has %zu bytes, core expects %zu",
	                               sizeof(uipsec_plugin_desc_t) - 8, sizeof(uipsec_plugin_desc_t));
	assert_failed("bad-size", false, reason);
	g_free(reason);
}

static void test_name_mismatch(fixture_t *f, gconstpointer data)
{
	load(f, "uipsecd.load = name-mismatch");
	assert_failed("name-mismatch", false, "name mismatch: descriptor says 'other-name'");
}

static void test_init_fail(fixture_t *f, gconstpointer data)
{
	/* the plugin's message includes one of its options */
	load(f, "uipsecd { load = init-fail\n plugins { init-fail { why = busy } } }");
	assert_failed("init-fail", false, "init failed: cannot open /dev/uipsec-test: busy");
	assert_loaded("loaded plugins: (none)");
}

static void test_critical(fixture_t *f, gconstpointer data)
{
	g_assert_false(load(f, "uipsecd.load = test-net abi-major! test-pktio"));
	g_assert_error(f->err, UIPSEC_LOADER_ERROR, 0);
	g_assert_cmpstr(f->err->message, ==, "critical plugin(s) failed to load: abi-major");
	char *reason = g_strdup_printf("ABI mismatch: plugin built for ABI %d.0, core has %d.%d",
	                               UIPSEC_ABI_MAJOR + 1, UIPSEC_ABI_MAJOR, UIPSEC_ABI_MINOR);
	assert_failed("abi-major", true, reason);
	g_free(reason);
	/* the others are still loaded (the daemon unloads them and exits) */
	assert_loaded("loaded plugins: test-net test-pktio");
}

static void test_critical_not_found(fixture_t *f, gconstpointer data)
{
	g_assert_false(load(f, "uipsecd.load = test-net! no-such!"));
	g_assert_cmpstr(f->err->message, ==, "critical plugin(s) failed to load: no-such");
}

static void test_critical_no_feature(fixture_t *f, gconstpointer data)
{
	/* opened fine, but none of its features is usable: also a failure */
	g_assert_false(load(f, "uipsecd.load = dep-unmet!"));
	assert_failed("dep-unmet", true, "unmet dependency: CUSTOM:dep-unmet needs "
	              "CUSTOM:no-such-feature, provided by none of the loaded plugins");
}

/* ---------------------------------------------------------------- features */

static void test_dep_unmet(fixture_t *f, gconstpointer data)
{
	g_assert_true(load(f, "uipsecd.load = dep-unmet test-net"));
	assert_failed("dep-unmet", false, "unmet dependency: CUSTOM:dep-unmet needs "
	              "CUSTOM:no-such-feature, provided by none of the loaded plugins");
	assert_logged("unloading plugin 'dep-unmet': none of its features is usable", UIPSEC_LOG_INFO);
	assert_loaded("loaded plugins: test-net");
	g_assert_null(uipsec_feature_get(UIPSEC_FT_CUSTOM, 0, "dep-unmet", NULL));
}

static void collect_custom(const feature_provider_t *fp, void *user)
{
	g_ptr_array_add(user, (gpointer)fp->feature->custom);
}

static void test_dep_soft(fixture_t *f, gconstpointer data)
{
	g_assert_true(load(f, "uipsecd.load = dep-soft"));
	assert_loaded("loaded plugins: dep-soft");
	const feature_provider_t *p[4];
	g_assert_cmpuint(features_providers(UIPSEC_FT_CUSTOM, 0, "dep-soft", p, 4), ==, 1);
	g_assert_cmpstr(p[0]->plugin, ==, "dep-soft");
	g_assert_cmpuint(features_providers(UIPSEC_FT_CUSTOM, 0, "dep-soft-base", p, 4), ==, 1);
	/* dep-soft-base is kept first: dep-soft needs it */
	GPtrArray *order = g_ptr_array_new();
	features_foreach(collect_custom, order);
	g_assert_cmpuint(order->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(order, 0), ==, "dep-soft-base");
	g_assert_cmpstr(g_ptr_array_index(order, 1), ==, "dep-soft");
	g_ptr_array_unref(order);
}

static void test_loop(fixture_t *f, gconstpointer data)
{
	g_assert_true(load(f, "uipsecd.load = loop-a loop-b test-net"));
	const char *loop = "dependency loop: CUSTOM:loop-a (loop-a) -> CUSTOM:loop-b (loop-b) -> "
	                   "CUSTOM:loop-a (loop-a)";
	assert_failed("loop-a", false, loop);
	assert_failed("loop-b", false, loop);
	assert_loaded("loaded plugins: test-net");
}

static void test_priorities(fixture_t *f, gconstpointer data)
{
	/* prio-high (5) wins over prio-low (1) though listed later */
	g_assert_true(load(f, "uipsecd.load = prio-low prio-high"));
	assert_loaded("loaded plugins: prio-low prio-high");
	const feature_provider_t *p[4];
	g_assert_cmpuint(features_providers(UIPSEC_FT_CUSTOM, 0, "prio", p, 4), ==, 2);
	g_assert_cmpstr(p[0]->plugin, ==, "prio-high");
	g_assert_cmpint(p[0]->priority, ==, 5);
	g_assert_cmpstr(p[1]->plugin, ==, "prio-low");
	g_assert_cmpstr(uipsec_feature_get(UIPSEC_FT_NET, 0, NULL, NULL), ==, "prio-high");
	assert_logged("network backend: prio-high (priority 5), also provided by: prio-low (priority 1)",
	              UIPSEC_LOG_INFO);
}

static void test_priority_option(fixture_t *f, gconstpointer data)
{
	/* plugins.<name>.load = N replaces the priority of all its features */
	g_assert_true(load(f, "uipsecd { load = prio-high prio-low\n plugins.prio-low.load = 10 }"));
	g_assert_cmpstr(uipsec_feature_get(UIPSEC_FT_CUSTOM, 0, "prio", NULL), ==, "prio-low");
	assert_logged("network backend: prio-low (priority 10), also provided by: prio-high (priority 5)",
	              UIPSEC_LOG_INFO);
}

static void test_equal_priority(fixture_t *f, gconstpointer data)
{
	/* equal priority: the plugin earlier in the load list wins */
	g_assert_true(load(f, "uipsecd { load = prio-low prio-high\n plugins.prio-high.load = 1 }"));
	g_assert_cmpstr(uipsec_feature_get(UIPSEC_FT_NET, 0, NULL, NULL), ==, "prio-low");
	plugin_loader_unload();
	settings_free(f->s);
	f->s = settings_new();
	g_assert_true(load(f, "uipsecd { load = prio-high prio-low\n plugins.prio-high.load = 1 }"));
	g_assert_cmpstr(uipsec_feature_get(UIPSEC_FT_NET, 0, NULL, NULL), ==, "prio-high");
}

static void test_load_no(fixture_t *f, gconstpointer data)
{
	g_assert_true(load(f, "uipsecd { load = prio-high! prio-low\n plugins.prio-high.load = no }"));
	assert_logged("plugin 'prio-high' skipped: uipsecd.plugins.prio-high.load = no", UIPSEC_LOG_INFO);
	assert_loaded("loaded plugins: prio-low");
	g_assert_cmpstr(uipsec_feature_get(UIPSEC_FT_NET, 0, NULL, NULL), ==, "prio-low");
}

static bool reject_prio_high(const feature_provider_t *p, uipsec_err_t *err)
{
	if (strcmp(p->plugin, "prio-high") != 0)
		return true;
	g_snprintf(err->msg, sizeof(err->msg), "self-test failed");
	return false;
}

static void test_check(fixture_t *f, gconstpointer data)
{
	/* a registered check drops a feature: the other provider serves it */
	features_register_check(UIPSEC_FT_CUSTOM, reject_prio_high);
	g_assert_true(load(f, "uipsecd.load = prio-low prio-high"));
	g_assert_cmpstr(uipsec_feature_get(UIPSEC_FT_CUSTOM, 0, "prio", NULL), ==, "prio-low");
	/* prio-high keeps its NET feature */
	g_assert_cmpstr(uipsec_feature_get(UIPSEC_FT_NET, 0, NULL, NULL), ==, "prio-high");
	char *path = plugin_path("prio-high");
	assert_logged_fmt(UIPSEC_LOG_WARN, "plugin 'prio-high' (%s): feature not loaded - "
	                  "CUSTOM:prio failed its check: self-test failed", path);
	g_free(path);
}

static void test_roles(fixture_t *f, gconstpointer data)
{
	GError *err = NULL;

	g_assert_true(load(f, "uipsecd.load = test-pktio"));
	g_assert_false(plugin_loader_require_roles(&err));
	g_assert_cmpstr(err->message, ==, "no network backend: load net-netlink (Linux) or "
	                "net-pfroute (BSD/macOS)");
	assert_logged("no network backend: load net-netlink (Linux) or net-pfroute (BSD/macOS)",
	              UIPSEC_LOG_ERROR);
	g_clear_error(&err);
	plugin_loader_unload();

	g_assert_true(load(f, "uipsecd.load = test-net"));
	g_assert_false(plugin_loader_require_roles(&err));
	g_assert_cmpstr(err->message, ==, "no packet I/O: load io-tun");
	g_clear_error(&err);
	plugin_loader_unload();

	g_assert_true(load(f, "uipsecd.load = test-net test-pktio"));
	g_assert_true(plugin_loader_require_roles(&err));
	g_assert_no_error(err);
	assert_logged("packet I/O: test-pktio (priority 0)", UIPSEC_LOG_INFO);
}

static void test_unload_order(fixture_t *f, gconstpointer data)
{
	/* order-user is listed first but needs order-base: order-base is
	 * activated first, so it is unloaded last */
	g_assert_true(load(f, "uipsecd.load = order-user order-base"));
	assert_loaded("loaded plugins: order-user order-base");
	g_assert_cmpuint(line_index("init order-user"), <, line_index("init order-base"));
	plugin_loader_unload();
	guint user = line_index("fini order-user"), base = line_index("fini order-base");
	g_assert_cmpuint(user, !=, G_MAXUINT);
	g_assert_cmpuint(base, !=, G_MAXUINT);
	g_assert_cmpuint(user, <, base);
	g_assert_null(uipsec_feature_get(UIPSEC_FT_CUSTOM, 0, "order-base", NULL));
}

static void test_options(fixture_t *f, gconstpointer data)
{
	/* a plugin's options are declared under uipsecd.plugins.<name>. and
	 * read through its context */
	g_assert_true(load(f, "uipsecd { load = test-net\n plugins.test-net.greeting = bonjour }"));
	assert_logged("test-net: greeting bonjour", UIPSEC_LOG_INFO);
	const uipsec_option_t *o = options_find("uipsecd.plugins.test-net.greeting");
	g_assert_nonnull(o);
	g_assert_cmpstr(o->def, ==, "hello");
}

static void test_invalid_name(fixture_t *f, gconstpointer data)
{
	/* names become file names: no paths */
	load(f, "uipsecd.load = ../tests/plugins/.libs/test-net");
	assert_logged("plugin '../tests/plugins/.libs/test-net' (-): failed to load - invalid plugin "
	              "name (letters, digits, '-' and '_' only)", UIPSEC_LOG_WARN);
	assert_loaded("loaded plugins: (none)");
}

static void test_load_twice(fixture_t *f, gconstpointer data)
{
	g_assert_true(load(f, "uipsecd.load = test-net"));
	GError *err = NULL;
	g_assert_false(plugin_loader_load(f->s, &err));
	g_assert_cmpstr(err->message, ==, "plugins are already loaded (unload them first)");
	g_error_free(err);
	const feature_provider_t *p[2];
	g_assert_cmpuint(features_providers(UIPSEC_FT_NET, 0, NULL, p, 2), ==, 1);
}

static void test_duplicate(fixture_t *f, gconstpointer data)
{
	g_assert_true(load(f, "uipsecd.load = test-net test-net"));
	assert_logged("plugin 'test-net' is listed twice in uipsecd.load, loading it once", UIPSEC_LOG_WARN);
	assert_loaded("loaded plugins: test-net");
}

/* A plugin linked into the program. */
static const uipsec_feature_t static_features[] = {
	UIPSEC_PROVIDE_CUSTOM("static-one", 3, "static ops"),
	UIPSEC_FEATURE_END
};
UIPSEC_PLUGIN_DEFINE(static_one, "static-one", "1.0", "built in", static_features, NULL, NULL, NULL);

static void check_static_info(const plugin_info_t *p, void *user)
{
	g_assert_cmpstr(p->name, ==, "static-one");
	g_assert_cmpstr(p->path, ==, "(built-in)");
	g_assert_cmpstr(p->version, ==, "1.0");
	g_assert_cmpint(p->status, ==, PLUGIN_LOADED);
	(*(unsigned *)user)++;
}

static void test_static(fixture_t *f, gconstpointer data)
{
	plugin_loader_add_static(&uipsec_plugin_static_one);
	g_assert_true(load(f, "uipsecd.load = static-one"));
	assert_loaded("loaded plugins: static-one");
	g_assert_cmpstr(uipsec_feature_get(UIPSEC_FT_CUSTOM, 0, "static-one", NULL), ==, "static ops");
	unsigned seen = 0;
	plugin_loader_foreach(check_static_info, &seen);
	g_assert_cmpuint(seen, ==, 1);
}

static void test_describe(void)
{
	char buf[FEATURE_DESCRIBE_MAX];
	const uipsec_feature_t aead = UIPSEC_DEPENDS(UIPSEC_FT_AEAD,
		UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_AES_GCM_16, 128));
	const uipsec_feature_t net = UIPSEC_PROVIDE(UIPSEC_FT_NET, 0, 0, NULL);
	const uipsec_feature_t custom = UIPSEC_DEPENDS_CUSTOM("foo");
	const uipsec_feature_t unknown = UIPSEC_DEPENDS(UIPSEC_FT_CIPHER, UIPSEC_ALG(UIPSEC_TT_ENCR, 99, 64));
	g_assert_cmpstr(feature_describe(&aead, buf, sizeof(buf)), ==, "AEAD:AES_GCM_16-128");
	g_assert_cmpstr(feature_describe(&net, buf, sizeof(buf)), ==, "NET");
	g_assert_cmpstr(feature_describe(&custom, buf, sizeof(buf)), ==, "CUSTOM:foo");
	g_assert_cmpstr(feature_describe(&unknown, buf, sizeof(buf)), ==, "CIPHER:1/99/64");
}

/* A reload frees the tree it replaced: an option string a plugin read
 * before must still be there (plugin.h), the context gives the new value */
static void test_option_across_reload(void)
{
	uipsec_settings_t *s1 = settings_new(), *s2 = settings_new();
	GError *err = NULL;
	g_assert_true(settings_load_string(s1, "uipsecd.plugins.demo.colour = red\n", "a.conf", &err));
	g_assert_true(settings_load_string(s2, "uipsecd.plugins.demo.colour = blue\n", "b.conf", &err));
	uipsec_plugin_ctx_t *ctx = plugin_ctx_new("demo", s1);
	const char *before = uipsec_plugin_opt_str(ctx, "colour", "none");
	plugin_ctx_set_settings(ctx, s2);
	settings_free(s1);   /* ASan and valgrind see a read of it */
	g_assert_cmpstr(before, ==, "red");
	g_assert_cmpstr(uipsec_plugin_opt_str(ctx, "colour", "none"), ==, "blue");
	g_assert_cmpstr(uipsec_plugin_opt_str(ctx, "shade", "none"), ==, "none");
	plugin_ctx_free(ctx);
	settings_free(s2);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_nonnull(g_getenv("UIPSEC_PLUGIN_PATH"));
	g_test_message("module loader: %s", module_loader_name());

#define ADD(name, fn) g_test_add("/loader/" name, fixture_t, NULL, fixture_setup, fn, fixture_teardown)
	ADD("not-found", test_not_found);
	ADD("cannot-open", test_cannot_open);
	ADD("la-file", test_la_file);
	ADD("no-symbol", test_no_symbol);
	ADD("abi-major", test_abi_major);
	ADD("abi-minor", test_abi_minor);
	ADD("bad-size", test_bad_size);
	ADD("name-mismatch", test_name_mismatch);
	ADD("init-fail", test_init_fail);
	ADD("critical", test_critical);
	ADD("critical-not-found", test_critical_not_found);
	ADD("critical-no-feature", test_critical_no_feature);
	ADD("dep-unmet", test_dep_unmet);
	ADD("dep-soft", test_dep_soft);
	ADD("loop", test_loop);
	ADD("priorities", test_priorities);
	ADD("priority-option", test_priority_option);
	ADD("equal-priority", test_equal_priority);
	ADD("load-no", test_load_no);
	ADD("check", test_check);
	ADD("roles", test_roles);
	ADD("unload-order", test_unload_order);
	ADD("options", test_options);
	ADD("invalid-name", test_invalid_name);
	ADD("load-twice", test_load_twice);
	ADD("duplicate", test_duplicate);
	ADD("static", test_static);
	g_test_add_func("/loader/describe", test_describe);
	g_test_add_func("/loader/option-across-reload", test_option_across_reload);
	return g_test_run();
}
