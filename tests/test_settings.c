/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Settings parser, typed getters and the option registry. */
#include "config.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config/logging.h"
#include "config/settings_parser.h"

/* ---------------------------------------------------------------- helpers */

static uipsec_settings_t *load_ok(const char *text)
{
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	gboolean ok = settings_load_string(s, text, "t.conf", &err);
	g_assert_no_error(err);
	g_assert_true(ok);
	return s;
}

/* Loading text fails with exactly message. */
static void assert_parse_error(const char *text, const char *message)
{
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	g_assert_false(settings_load_string(s, text, "t.conf", &err));
	g_assert_error(err, UIPSEC_SETTINGS_ERROR, UIPSEC_SETTINGS_ERROR_PARSE);
	g_assert_cmpstr(err->message, ==, message);
	g_error_free(err);
	settings_free(s);
}

static void assert_strv(char **got, const char *const *want)
{
	g_assert_nonnull(got);
	guint n = g_strv_length(got);
	g_assert_cmpuint(n, ==, g_strv_length((gchar **)want));
	for (guint i = 0; i < n; i++)
		g_assert_cmpstr(got[i], ==, want[i]);
	uipsec_strv_free(got);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);
	char *parent = g_path_get_dirname(path);
	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	GError *err = NULL;
	g_file_set_contents(path, text, -1, &err);
	g_assert_no_error(err);
	g_free(parent);
	g_free(path);
}

static void remove_tree(const char *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		GDir *d = g_dir_open(path, 0, NULL);
		const char *name;
		while (d && (name = g_dir_read_name(d))) {
			char *child = g_build_filename(path, name, NULL);
			remove_tree(child);
			g_free(child);
		}
		if (d)
			g_dir_close(d);
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

static char *make_tmp_dir(void)
{
	GError *err = NULL;
	char *dir = g_dir_make_tmp("uipsec-settings-XXXXXX", &err);
	g_assert_no_error(err);
	/* messages name canonical paths (include loops) */
	char *canon = realpath(dir, NULL);
	g_assert_nonnull(canon);
	g_free(dir);
	dir = g_strdup(canon);
	free(canon);
	return dir;
}

/* Captures log messages of subsystem "cfg". */
typedef struct captured {
	GPtrArray *messages;
} captured_t;

static void capture_sink(const char *subsys, uipsec_log_level_t level, const char *msg, void *user)
{
	captured_t *c = user;
	if (strcmp(subsys, "cfg") == 0 && level == UIPSEC_LOG_WARN)
		g_ptr_array_add(c->messages, g_strdup(msg));
}

/* ---------------------------------------------------------------- value types */

static void test_bool(void)
{
	uipsec_settings_t *s = load_ok(
		"a = yes\nb = no\nc = true\nd = false\ne = 1\nf = 0\ng = YES\nh = maybe\ni =\n");
	g_assert_true(uipsec_settings_get_bool(s, "a", false));
	g_assert_false(uipsec_settings_get_bool(s, "b", true));
	g_assert_true(uipsec_settings_get_bool(s, "c", false));
	g_assert_false(uipsec_settings_get_bool(s, "d", true));
	g_assert_true(uipsec_settings_get_bool(s, "e", false));
	g_assert_false(uipsec_settings_get_bool(s, "f", true));
	g_assert_true(uipsec_settings_get_bool(s, "g", false));
	/* unparseable, empty and unset values give the default */
	g_assert_true(uipsec_settings_get_bool(s, "h", true));
	g_assert_false(uipsec_settings_get_bool(s, "h", false));
	g_assert_true(uipsec_settings_get_bool(s, "i", true));
	g_assert_true(uipsec_settings_get_bool(s, "unset", true));
	settings_free(s);
}

static void test_int(void)
{
	uipsec_settings_t *s = load_ok(
		"dec = 4500\nhex = 0x42\nHEX = 0XfF\nneg = -17\nneghex = -0x10\nplus = +5\n"
		"max = 9223372036854775807\nmin = -9223372036854775808\n"
		"over = 9223372036854775808\nbig = 0x10000000000000000\n"
		"junk = 12abc\nempty =\nspace = 1 2\noctal = 010\nbare0x = 0x\n");
	g_assert_cmpint(uipsec_settings_get_int(s, "dec", 0), ==, 4500);
	g_assert_cmpint(uipsec_settings_get_int(s, "hex", 0), ==, 0x42);
	g_assert_cmpint(uipsec_settings_get_int(s, "HEX", 0), ==, 255);
	g_assert_cmpint(uipsec_settings_get_int(s, "neg", 0), ==, -17);
	g_assert_cmpint(uipsec_settings_get_int(s, "neghex", 0), ==, -16);
	g_assert_cmpint(uipsec_settings_get_int(s, "plus", 0), ==, 5);
	g_assert_cmpint(uipsec_settings_get_int(s, "max", 0), ==, INT64_MAX);
	g_assert_cmpint(uipsec_settings_get_int(s, "min", 0), ==, INT64_MIN);
	/* decimal, not octal */
	g_assert_cmpint(uipsec_settings_get_int(s, "octal", 0), ==, 10);
	g_assert_cmpint(uipsec_settings_get_int(s, "over", -1), ==, -1);
	g_assert_cmpint(uipsec_settings_get_int(s, "big", -1), ==, -1);
	g_assert_cmpint(uipsec_settings_get_int(s, "junk", -1), ==, -1);
	g_assert_cmpint(uipsec_settings_get_int(s, "empty", -1), ==, -1);
	g_assert_cmpint(uipsec_settings_get_int(s, "space", -1), ==, -1);
	g_assert_cmpint(uipsec_settings_get_int(s, "bare0x", -1), ==, -1);
	g_assert_cmpint(uipsec_settings_get_int(s, "unset", 7), ==, 7);
	settings_free(s);
}

static void test_duration(void)
{
	uipsec_settings_t *s = load_ok(
		"s = 30s\nm = 5m\nh = 1h\nd = 1d\nbare = 45\nzero = 0\nupper = 2H\n"
		"bad = 5x\nnounit = m\nneg = -5s\ntwo = 5mm\nover = 999999999999999999d\n");
	g_assert_cmpuint(uipsec_settings_get_duration(s, "s", 0), ==, 30);
	g_assert_cmpuint(uipsec_settings_get_duration(s, "m", 0), ==, 300);
	g_assert_cmpuint(uipsec_settings_get_duration(s, "h", 0), ==, 3600);
	g_assert_cmpuint(uipsec_settings_get_duration(s, "d", 0), ==, 86400);
	g_assert_cmpuint(uipsec_settings_get_duration(s, "bare", 0), ==, 45);
	g_assert_cmpuint(uipsec_settings_get_duration(s, "zero", 9), ==, 0);
	g_assert_cmpuint(uipsec_settings_get_duration(s, "upper", 0), ==, 7200);
	const char *bad[] = { "bad", "nounit", "neg", "two", "over", "unset" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_cmpuint(uipsec_settings_get_duration(s, bad[i], 11), ==, 11);
	settings_free(s);
}

static void test_bytes(void)
{
	uipsec_settings_t *s = load_ok(
		"b = 1500\nk = 500k\nm = 10m\ng = 1g\nG = 2G\nt = 1t\n"
		"frac = 1.5k\nbad = 10q\nover = 99999999999999g\n");
	g_assert_cmpuint(uipsec_settings_get_bytes(s, "b", 0), ==, 1500);
	g_assert_cmpuint(uipsec_settings_get_bytes(s, "k", 0), ==, 500 * 1024);
	g_assert_cmpuint(uipsec_settings_get_bytes(s, "m", 0), ==, 10 * 1024 * 1024);
	g_assert_cmpuint(uipsec_settings_get_bytes(s, "g", 0), ==, 1024ull * 1024 * 1024);
	g_assert_cmpuint(uipsec_settings_get_bytes(s, "G", 0), ==, 2048ull * 1024 * 1024);
	g_assert_cmpuint(uipsec_settings_get_bytes(s, "t", 0), ==, 1ull << 40);
	g_assert_cmpuint(uipsec_settings_get_bytes(s, "frac", 3), ==, 3);
	g_assert_cmpuint(uipsec_settings_get_bytes(s, "bad", 3), ==, 3);
	g_assert_cmpuint(uipsec_settings_get_bytes(s, "over", 3), ==, 3);
	settings_free(s);
}

static void test_list(void)
{
	uipsec_settings_t *s = load_ok(
		"spaces = crypto-openssl io-tun   net-netlink\n"
		"commas = a,b , c,,d\n"
		"tabs = x\ty\n"
		"one = single\n"
		"empty =\n");
	assert_strv(uipsec_settings_get_list(s, "spaces"),
	            (const char *const[]){ "crypto-openssl", "io-tun", "net-netlink", NULL });
	assert_strv(uipsec_settings_get_list(s, "commas"), (const char *const[]){ "a", "b", "c", "d", NULL });
	assert_strv(uipsec_settings_get_list(s, "tabs"), (const char *const[]){ "x", "y", NULL });
	assert_strv(uipsec_settings_get_list(s, "one"), (const char *const[]){ "single", NULL });
	assert_strv(uipsec_settings_get_list(s, "empty"), (const char *const[]){ NULL });
	assert_strv(uipsec_settings_get_list(s, "unset"), (const char *const[]){ NULL });
	settings_free(s);
}

static void test_hex(void)
{
	uipsec_settings_t *s = load_ok(
		"key = 0x00112233445566778899aabbccddeeff01020304\n"
		"upper = 0XABCD\nnoprefix = dead\nodd = 0xabc\nbad = 0xzz\nempty = 0x\n");
	size_t len = 99;
	uint8_t *k = uipsec_settings_get_hex(s, "key", &len);
	g_assert_nonnull(k);
	g_assert_cmpuint(len, ==, 20);
	g_assert_cmpuint(k[0], ==, 0x00);
	g_assert_cmpuint(k[1], ==, 0x11);
	g_assert_cmpuint(k[15], ==, 0xff);
	g_assert_cmpuint(k[19], ==, 0x04);
	uipsec_hex_free(k, len);
	k = uipsec_settings_get_hex(s, "upper", &len);
	g_assert_cmpuint(len, ==, 2);
	g_assert_cmpuint(k[0], ==, 0xab);
	g_assert_cmpuint(k[1], ==, 0xcd);
	uipsec_hex_free(k, len);
	k = uipsec_settings_get_hex(s, "noprefix", &len);
	g_assert_cmpuint(len, ==, 2);
	g_assert_cmpuint(k[0], ==, 0xde);
	uipsec_hex_free(k, len);
	const char *bad[] = { "odd", "bad", "empty", "unset" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		len = 99;
		g_assert_null(uipsec_settings_get_hex(s, bad[i], &len));
		g_assert_cmpuint(len, ==, 0);
	}
	uipsec_hex_free(NULL, 0);
	settings_free(s);
}

static void test_str(void)
{
	uipsec_settings_t *s = load_ok("a = hello world  \nb =\n  c   =   x  y  \n");
	g_assert_cmpstr(uipsec_settings_get_str(s, "a", NULL), ==, "hello world");
	g_assert_cmpstr(uipsec_settings_get_str(s, "b", NULL), ==, "");
	g_assert_cmpstr(uipsec_settings_get_str(s, "c", NULL), ==, "x  y");
	g_assert_cmpstr(uipsec_settings_get_str(s, "unset", "def"), ==, "def");
	g_assert_cmpstr(uipsec_settings_get_str(s, "", "def"), ==, "def");
	g_assert_cmpstr(uipsec_settings_get_str(s, "a.", "def"), ==, "def");
	g_assert_cmpstr(uipsec_settings_get_str(NULL, "a", "def"), ==, "def");
	settings_free(s);
}

/* ---------------------------------------------------------------- structure */

static void test_sections(void)
{
	uipsec_settings_t *s = load_ok(
		"uipsecd {\n"
		"    threads = 4\n"
		"    plugins {\n"
		"        io-tun {\n"
		"            mtu = 1400\n"
		"        }\n"
		"        net-netlink { table = 220 }\n"
		"    }\n"
		"}\n"
		"tunnels {\n"
		"    site-b {\n"
		"        local = 192.0.2.1\n"
		"    }\n"
		"    site-a\n"
		"    {\n"
		"        local = 192.0.2.3\n"
		"    }\n"
		"}\n");
	g_assert_cmpint(uipsec_settings_get_int(s, "uipsecd.threads", 0), ==, 4);
	g_assert_cmpint(uipsec_settings_get_int(s, "uipsecd.plugins.io-tun.mtu", 0), ==, 1400);
	g_assert_cmpint(uipsec_settings_get_int(s, "uipsecd.plugins.net-netlink.table", 0), ==, 220);
	g_assert_cmpstr(uipsec_settings_get_str(s, "tunnels.site-a.local", NULL), ==, "192.0.2.3");
	/* a section is not a key */
	g_assert_null(uipsec_settings_get_str(s, "uipsecd.plugins", NULL));
	g_assert_null(uipsec_settings_get_str(s, "uipsecd.threads.x", NULL));
	/* subsections in file order, not sorted */
	assert_strv(uipsec_settings_sections(s, "tunnels"), (const char *const[]){ "site-b", "site-a", NULL });
	assert_strv(uipsec_settings_sections(s, NULL), (const char *const[]){ "uipsecd", "tunnels", NULL });
	assert_strv(uipsec_settings_sections(s, "uipsecd.plugins"),
	            (const char *const[]){ "io-tun", "net-netlink", NULL });
	assert_strv(uipsec_settings_sections(s, "nothing.here"), (const char *const[]){ NULL });
	assert_strv(uipsec_settings_keys(s, "uipsecd"), (const char *const[]){ "threads", NULL });
	g_assert_cmpstr(uipsec_settings_origin(s, "uipsecd.plugins.io-tun.mtu"), ==, "t.conf:5");
	g_assert_cmpstr(uipsec_settings_origin(s, "uipsecd.plugins.net-netlink.table"), ==, "t.conf:7");
	g_assert_null(uipsec_settings_origin(s, "uipsecd.nothing"));
	settings_free(s);
}

static void test_one_line_sections(void)
{
	uipsec_settings_t *s = load_ok(
		"tunnels {\n"
		"  site-b {\n"
		"    in  { spi = 0x1000  key = 0x0011  integ_key = 0xaabb }   # peer -> us\n"
		"    out { spi = 0x2000  key = \"0x2233\"  integ_key = 0xccdd }\n"
		"    load = a b c\n"
		"    nested { x { y = 1 z = two words } w = 3 }\n"
		"    multi { a = 1\n"
		"            b = 2 c = 3 }\n"
		"  }\n"
		"}\n"
		"p { q = 1 } r = 2\n");
	g_assert_cmpint(uipsec_settings_get_int(s, "tunnels.site-b.in.spi", 0), ==, 0x1000);
	g_assert_cmpstr(uipsec_settings_get_str(s, "tunnels.site-b.in.key", NULL), ==, "0x0011");
	g_assert_cmpstr(uipsec_settings_get_str(s, "tunnels.site-b.in.integ_key", NULL), ==, "0xaabb");
	g_assert_cmpint(uipsec_settings_get_int(s, "tunnels.site-b.out.spi", 0), ==, 0x2000);
	g_assert_cmpstr(uipsec_settings_get_str(s, "tunnels.site-b.out.key", NULL), ==, "0x2233");
	g_assert_cmpstr(uipsec_settings_get_str(s, "tunnels.site-b.out.integ_key", NULL), ==, "0xccdd");
	/* on its own line a value runs to the end of the line */
	g_assert_cmpstr(uipsec_settings_get_str(s, "tunnels.site-b.load", NULL), ==, "a b c");
	g_assert_cmpint(uipsec_settings_get_int(s, "tunnels.site-b.nested.x.y", 0), ==, 1);
	g_assert_cmpstr(uipsec_settings_get_str(s, "tunnels.site-b.nested.x.z", NULL), ==, "two words");
	g_assert_cmpint(uipsec_settings_get_int(s, "tunnels.site-b.nested.w", 0), ==, 3);
	g_assert_cmpint(uipsec_settings_get_int(s, "tunnels.site-b.multi.a", 0), ==, 1);
	/* not on the line that opened the section: runs to the '}' */
	g_assert_cmpstr(uipsec_settings_get_str(s, "tunnels.site-b.multi.b", NULL), ==, "2 c = 3");
	g_assert_cmpint(uipsec_settings_get_int(s, "p.q", 0), ==, 1);
	g_assert_cmpint(uipsec_settings_get_int(s, "r", 0), ==, 2);
	g_assert_cmpstr(uipsec_settings_origin(s, "tunnels.site-b.out.integ_key"), ==, "t.conf:4");
	settings_free(s);
}

static void test_dotted_names(void)
{
	uipsec_settings_t *s = load_ok("uipsecd.log.default = debug\nuipsecd.plugins.io-tun { mtu = 1300 }\n");
	g_assert_cmpstr(uipsec_settings_get_str(s, "uipsecd.log.default", NULL), ==, "debug");
	g_assert_cmpint(uipsec_settings_get_int(s, "uipsecd.plugins.io-tun.mtu", 0), ==, 1300);
	assert_strv(uipsec_settings_sections(s, "uipsecd"), (const char *const[]){ "log", "plugins", NULL });
	settings_free(s);
}

static void test_quoted(void)
{
	uipsec_settings_t *s = load_ok(
		"a = \"  spaces kept  \"\n"
		"b = \"quote \\\" backslash \\\\ newline \\n tab \\t end\"\n"
		"c = \"# not a comment\"   # but this is\n"
		"d = \"\"\n"
		"e = \"{ braces } = equals\"\n"
		"f = x \"inner\" y\n");
	g_assert_cmpstr(uipsec_settings_get_str(s, "a", NULL), ==, "  spaces kept  ");
	g_assert_cmpstr(uipsec_settings_get_str(s, "b", NULL), ==, "quote \" backslash \\ newline \n tab \t end");
	g_assert_cmpstr(uipsec_settings_get_str(s, "c", NULL), ==, "# not a comment");
	g_assert_cmpstr(uipsec_settings_get_str(s, "d", "x"), ==, "");
	g_assert_cmpstr(uipsec_settings_get_str(s, "e", NULL), ==, "{ braces } = equals");
	/* quotes inside an unquoted value are kept as they are */
	g_assert_cmpstr(uipsec_settings_get_str(s, "f", NULL), ==, "x \"inner\" y");
	settings_free(s);
}

static void test_comments(void)
{
	uipsec_settings_t *s = load_ok(
		"# leading comment\n"
		"   # indented comment\n"
		"a = 1 # trailing\n"
		"b = # only a comment\n"
		"sec { # after brace\n"
		"  c = 3#tight\n"
		"} # after close\n"
		"# d = 4\n"
		"\n\r\n\t\n");
	g_assert_cmpint(uipsec_settings_get_int(s, "a", 0), ==, 1);
	g_assert_cmpstr(uipsec_settings_get_str(s, "b", NULL), ==, "");
	g_assert_cmpint(uipsec_settings_get_int(s, "sec.c", 0), ==, 3);
	g_assert_null(uipsec_settings_get_str(s, "d", NULL));
	settings_free(s);
}

static void test_crlf(void)
{
	uipsec_settings_t *s = load_ok("a = 1\r\nsec {\r\n  b = two\r\n}\r\n");
	g_assert_cmpint(uipsec_settings_get_int(s, "a", 0), ==, 1);
	g_assert_cmpstr(uipsec_settings_get_str(s, "sec.b", NULL), ==, "two");
	settings_free(s);
}

/* ---------------------------------------------------------------- overrides */

static void test_override_same_file(void)
{
	uipsec_settings_t *s = load_ok(
		"a = 1\n"
		"sec { x = 1\n y = 1 }\n"
		"a = 2\n"
		"sec {\n  x = 2\n  z = 2\n}\n");
	g_assert_cmpint(uipsec_settings_get_int(s, "a", 0), ==, 2);
	g_assert_cmpstr(uipsec_settings_origin(s, "a"), ==, "t.conf:4");
	/* sections merge: y survives, x is replaced, z is added */
	g_assert_cmpint(uipsec_settings_get_int(s, "sec.x", 0), ==, 2);
	g_assert_cmpint(uipsec_settings_get_int(s, "sec.y", 0), ==, 1);
	g_assert_cmpint(uipsec_settings_get_int(s, "sec.z", 0), ==, 2);
	g_assert_cmpstr(uipsec_settings_origin(s, "sec.x"), ==, "t.conf:6");
	/* key order is the order of first definition */
	assert_strv(uipsec_settings_keys(s, "sec"), (const char *const[]){ "x", "y", "z", NULL });
	settings_free(s);
}

static void test_override_across_loads(void)
{
	uipsec_settings_t *s = load_ok("a = 1\nb = 1\n");
	GError *err = NULL;
	g_assert_true(settings_load_string(s, "b = 2\nc = 2\n", "second.conf", &err));
	g_assert_no_error(err);
	g_assert_cmpint(uipsec_settings_get_int(s, "a", 0), ==, 1);
	g_assert_cmpint(uipsec_settings_get_int(s, "b", 0), ==, 2);
	g_assert_cmpint(uipsec_settings_get_int(s, "c", 0), ==, 2);
	g_assert_cmpstr(uipsec_settings_origin(s, "b"), ==, "second.conf:1");
	g_assert_true(settings_set(s, "b", "3"));
	g_assert_cmpint(uipsec_settings_get_int(s, "b", 0), ==, 3);
	g_assert_cmpstr(uipsec_settings_origin(s, "b"), ==, "(command line)");
	g_assert_true(settings_set(s, "new.deep.key", "x"));
	g_assert_cmpstr(uipsec_settings_get_str(s, "new.deep.key", NULL), ==, "x");
	g_assert_false(settings_set(s, "bad..key", "x"));
	g_assert_false(settings_set(s, "", "x"));
	g_assert_false(settings_set(s, "trailing.", "x"));
	settings_free(s);
}

static void test_error_leaves_unchanged(void)
{
	uipsec_settings_t *s = load_ok("a = 1\n");
	GError *err = NULL;
	g_assert_false(settings_load_string(s, "a = 2\nb = 2\nc {\n", "bad.conf", &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	g_assert_cmpint(uipsec_settings_get_int(s, "a", 0), ==, 1);
	g_assert_null(uipsec_settings_get_str(s, "b", NULL));
	assert_strv(uipsec_settings_sections(s, NULL), (const char *const[]){ NULL });
	settings_free(s);
}

/* ---------------------------------------------------------------- includes */

static void test_include_glob(void)
{
	char *dir = make_tmp_dir();
	write_file(dir, "main.conf",
	           "a = main\n"
	           "b = main\n"
	           "include conf.d/*.conf\n"
	           "c = main\n"
	           "include nothing/*.conf\n"
	           "sec {\n"
	           "  include sub/inner.conf\n"
	           "}\n");
	write_file(dir, "conf.d/10-first.conf", "b = first\nc = first\nd = first\nsec { y = 1 }\n");
	write_file(dir, "conf.d/20-second.conf", "d = second\ninclude ../more/extra.conf\n");
	write_file(dir, "conf.d/ignored.txt", "a = ignored\n");
	write_file(dir, "more/extra.conf", "e = extra\n");
	write_file(dir, "sub/inner.conf", "x = inner\ninclude \"deeper.conf\"\n");
	write_file(dir, "sub/deeper.conf", "z = deeper\n");

	/* relative includes are relative to the including file, not the cwd */
	char *cwd = g_get_current_dir();
	g_assert_cmpint(chdir("/"), ==, 0);
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	char *main_path = g_build_filename(dir, "main.conf", NULL);
	g_assert_true(settings_load_file(s, main_path, &err));
	g_assert_no_error(err);
	g_assert_cmpint(chdir(cwd), ==, 0);

	g_assert_cmpstr(uipsec_settings_get_str(s, "a", NULL), ==, "main");
	/* included after: the included file wins */
	g_assert_cmpstr(uipsec_settings_get_str(s, "b", NULL), ==, "first");
	/* defined after the include: main wins */
	g_assert_cmpstr(uipsec_settings_get_str(s, "c", NULL), ==, "main");
	/* glob matches are read in sorted order */
	g_assert_cmpstr(uipsec_settings_get_str(s, "d", NULL), ==, "second");
	g_assert_cmpstr(uipsec_settings_get_str(s, "e", NULL), ==, "extra");
	/* an include inside a section merges into that section */
	g_assert_cmpstr(uipsec_settings_get_str(s, "sec.x", NULL), ==, "inner");
	g_assert_cmpstr(uipsec_settings_get_str(s, "sec.z", NULL), ==, "deeper");
	g_assert_cmpint(uipsec_settings_get_int(s, "sec.y", 0), ==, 1);
	char *want = g_strdup_printf("%s/conf.d/20-second.conf:1", dir);
	g_assert_cmpstr(uipsec_settings_origin(s, "d"), ==, want);
	g_free(want);
	want = g_strdup_printf("%s/sub/deeper.conf:1", dir);
	g_assert_cmpstr(uipsec_settings_origin(s, "sec.z"), ==, want);
	g_free(want);

	settings_free(s);
	g_free(main_path);
	g_free(cwd);
	remove_tree(dir);
	g_free(dir);
}

static void test_include_absolute(void)
{
	char *dir = make_tmp_dir();
	write_file(dir, "abs.conf", "k = absolute\n");
	char *text = g_strdup_printf("include %s/abs.conf\ninclude %s/*.none\n", dir, dir);
	uipsec_settings_t *s = load_ok(text);
	g_assert_cmpstr(uipsec_settings_get_str(s, "k", NULL), ==, "absolute");
	settings_free(s);
	g_free(text);
	remove_tree(dir);
	g_free(dir);
}

/* message_fmt with @DIR@ for the directory */
static void assert_file_error(const char *dir, const char *file, const char *message_fmt)
{
	char *path = g_build_filename(dir, file, NULL);
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	g_assert_false(settings_load_file(s, path, &err));
	g_assert_error(err, UIPSEC_SETTINGS_ERROR, UIPSEC_SETTINGS_ERROR_PARSE);
	gchar **parts = g_strsplit(message_fmt, "@DIR@", -1);
	char *want = g_strjoinv(dir, parts);
	g_strfreev(parts);
	g_assert_cmpstr(err->message, ==, want);
	g_free(want);
	g_error_free(err);
	settings_free(s);
	g_free(path);
}

static void test_include_errors(void)
{
	char *dir = make_tmp_dir();
	write_file(dir, "missing.conf", "a = 1\n\ninclude does-not-exist.conf\n");
	write_file(dir, "self.conf", "a = 1\ninclude self.conf\n");
	write_file(dir, "loop-a.conf", "include loop-b.conf\n");
	write_file(dir, "loop-b.conf", "x = 1\ninclude loop-a.conf\n");
	write_file(dir, "bad-inner.conf", "include inner/broken.conf\n");
	write_file(dir, "inner/broken.conf", "ok = 1\n}\n");
	write_file(dir, "empty-include.conf", "include \"\"\n");
	char *adir = g_build_filename(dir, "adir", NULL);
	g_assert_cmpint(g_mkdir_with_parents(adir, 0700), ==, 0);
	g_free(adir);
	write_file(dir, "dir.conf", "include adir\n");

	assert_file_error(dir, "missing.conf",
	                  "@DIR@/missing.conf:3: include 'does-not-exist.conf': No such file or directory");
	assert_file_error(dir, "self.conf",
	                  "@DIR@/self.conf:2: include 'self.conf': include loop (@DIR@/self.conf is already being read)");
	assert_file_error(dir, "loop-a.conf",
	                  "@DIR@/loop-b.conf:2: include 'loop-a.conf': include loop (@DIR@/loop-a.conf is already being read)");
	/* errors inside an included file name that file and its line */
	assert_file_error(dir, "bad-inner.conf", "@DIR@/inner/broken.conf:2: unexpected '}'");
	assert_file_error(dir, "empty-include.conf", "@DIR@/empty-include.conf:1: include needs a file name or pattern");
	assert_file_error(dir, "dir.conf", "@DIR@/dir.conf:1: include 'adir': Is a directory");

	/* the top-level file itself is missing */
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	char *path = g_build_filename(dir, "nope.conf", NULL);
	g_assert_false(settings_load_file(s, path, &err));
	g_assert_error(err, UIPSEC_SETTINGS_ERROR, UIPSEC_SETTINGS_ERROR_IO);
	char *want = g_strdup_printf("%s: No such file or directory", path);
	g_assert_cmpstr(err->message, ==, want);
	g_free(want);
	g_free(path);
	g_error_free(err);
	settings_free(s);

	remove_tree(dir);
	g_free(dir);
}

static void test_include_depth(void)
{
	/* a chain of distinct files deeper than the limit */
	char *dir = make_tmp_dir();
	for (int i = 0; i < 20; i++) {
		char name[32], text[64];
		g_snprintf(name, sizeof(name), "f%02d.conf", i);
		g_snprintf(text, sizeof(text), "k%d = %d\ninclude f%02d.conf\n", i, i, i + 1);
		write_file(dir, name, text);
	}
	char *path = g_build_filename(dir, "f00.conf", NULL);
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	g_assert_false(settings_load_file(s, path, &err));
	g_assert_nonnull(strstr(err->message, "f16.conf:2: include 'f17.conf': includes nested too deeply"));
	g_error_free(err);
	settings_free(s);
	g_free(path);
	remove_tree(dir);
	g_free(dir);
}

/* ---------------------------------------------------------------- syntax errors */

static void test_syntax_errors(void)
{
	assert_parse_error("a = 1\n}\n", "t.conf:2: unexpected '}'");
	assert_parse_error("a = 1\nb\nc = 2\n", "t.conf:2: expected '=' or '{' after 'b'");
	assert_parse_error("a = 1\nb\n", "t.conf:2: expected '=' or '{' after 'b'");
	assert_parse_error("a = 1\n\nb = \"open\nc = 2\n", "t.conf:3: unterminated string (missing '\"')");
	assert_parse_error("b = \"open", "t.conf:1: unterminated string (missing '\"')");
	assert_parse_error("b = \"ends in backslash\\", "t.conf:1: unterminated string (missing '\"')");
	assert_parse_error("x = 1\nsec {\n  a = 1\n  inner {\n  }\n", "t.conf:2: section 'sec' is not closed (missing '}')");
	assert_parse_error("x {\n y = 1\n z {\n", "t.conf:3: section 'z' is not closed (missing '}')");
	assert_parse_error("\n\n= 5\n", "t.conf:3: unexpected '=' (key name missing)");
	assert_parse_error("a = 1\n{ b = 2 }\n", "t.conf:2: unexpected '{' (section name missing)");
	assert_parse_error("a = \"x\" y\n", "t.conf:1: unexpected text after quoted string");
	assert_parse_error("a = 1\n\"key\" = 2\n", "t.conf:2: unexpected quoted string (key name missing)");
	assert_parse_error("a..b = 1\n", "t.conf:1: invalid name 'a..b' (empty path component)");
	assert_parse_error("a. = 1\n", "t.conf:1: invalid name 'a.' (empty path component)");
	assert_parse_error("\n\na = \"bad \\q escape\"\n",
	                   "t.conf:3: invalid escape '\\q' in string (use \\\", \\\\, \\n or \\t)");
	assert_parse_error("a = 1\nb \x01= 2\n", "t.conf:2: expected '=' or '{' after 'b'");
	assert_parse_error("a = 1\n\x01\n", "t.conf:2: unexpected character 0x01");
	assert_parse_error("a { b = 1 } }\n", "t.conf:1: unexpected '}'");
}

static void test_nul_byte(void)
{
	char *dir = make_tmp_dir();
	char *path = g_build_filename(dir, "nul.conf", NULL);
	GError *err = NULL;
	g_file_set_contents(path, "a = 1\nb = x\0y\n", 13, &err);
	g_assert_no_error(err);
	uipsec_settings_t *s = settings_new();
	g_assert_false(settings_load_file(s, path, &err));
	char *want = g_strdup_printf("%s:2: NUL byte in file", path);
	g_assert_cmpstr(err->message, ==, want);
	g_free(want);
	g_error_free(err);
	settings_free(s);
	g_free(path);
	remove_tree(dir);
	g_free(dir);
}

static void test_deep_nesting(void)
{
	GString *text = g_string_new(NULL);
	for (int i = 0; i < 100; i++)
		g_string_append(text, "a {\n");
	assert_parse_error(text->str, "t.conf:64: sections nested too deeply (more than 64 levels)");
	g_string_free(text, TRUE);
}

/* Mangled versions of a real config never crash and never leak (valgrind). */
static void test_garbage(void)
{
	static const char seed[] =
		"uipsecd {\n load = a b!\n log { default = debug }\n}\n"
		"tunnels { t { in { spi = 0x1 key = \"0x00\" } local = 192.0.2.1 } }\n"
		"include /nonexistent/*.conf\n";
	GRand *rand = g_rand_new_with_seed(42);
	for (int round = 0; round < 2000; round++) {
		char buf[sizeof(seed)];
		memcpy(buf, seed, sizeof(seed));
		int flips = g_rand_int_range(rand, 1, 6);
		for (int i = 0; i < flips; i++) {
			static const char alphabet[] = "{}=\"#\\\n .ab*";
			buf[g_rand_int_range(rand, 0, sizeof(seed) - 1)] =
				alphabet[g_rand_int_range(rand, 0, sizeof(alphabet) - 1)];
		}
		uipsec_settings_t *s = settings_new();
		GError *err = NULL;
		if (!settings_load_string(s, buf, "fuzz.conf", &err)) {
			g_assert_nonnull(err);
			g_assert_true(g_str_has_prefix(err->message, "fuzz.conf:"));
			g_error_free(err);
		}
		settings_free(s);
	}
	g_rand_free(rand);
}

/* ---------------------------------------------------------------- options */

static const uipsec_option_t io_tun_options[] = {
	{ "name", UIPSEC_OPT_STRING, "uipsec0", "TUN device name" },
	{ "mtu", UIPSEC_OPT_INT, "1400", "TUN device MTU" },
	UIPSEC_OPTION_END
};

static void test_options_unknown(void)
{
	options_reset();
	options_declare_core();
	options_declare("uipsecd.plugins.io-tun.", io_tun_options);
	captured_t cap = { g_ptr_array_new_with_free_func(g_free) };
	log_set_sink(capture_sink, &cap);

	uipsec_settings_t *s = load_ok(
		"uipsecd {\n"
		"    threads = 2\n"
		"    plugins {\n"
		"        io-tun {\n"
		"            mut = 1400\n"
		"            load = yes\n"
		"        }\n"
		"        anything { load = no }\n"
		"    }\n"
		"    thread = 3\n"
		"    log { esp = debug }\n"
		"}\n"
		"tunnels {\n"
		"    site-b {\n"
		"        locl = 192.0.2.1\n"
		"        in { spi = 0x1000  key = 0x00 }\n"
		"        out { spii = 1 }\n"
		"        lcoal = 192.0.2.9\n"
		"    }\n"
		"    a-tunnel-with-a-rather-long-name-for-testing-the-suggestions {\n"
		"        remtoe = 192.0.2.2\n"
		"    }\n"
		"}\n"
		"completely.unrelated.thing = 1\n");
	unsigned n = options_check_unknown(s);
	log_set_sink(NULL, NULL);
	for (guint i = 0; i < cap.messages->len; i++)
		g_test_message("%s", (const char *)g_ptr_array_index(cap.messages, i));
	g_assert_cmpuint(n, ==, 7);
	g_assert_cmpuint(cap.messages->len, ==, 7);
	const char *want[] = {
		"t.conf:10: unknown option 'uipsecd.thread', did you mean 'uipsecd.threads'?",
		"t.conf:5: unknown option 'uipsecd.plugins.io-tun.mut', did you mean 'uipsecd.plugins.io-tun.mtu'?",
		"t.conf:15: unknown option 'tunnels.site-b.locl', did you mean 'tunnels.site-b.local'?",
		/* a transposition (values come before subsections) */
		"t.conf:18: unknown option 'tunnels.site-b.lcoal', did you mean 'tunnels.site-b.local'?",
		"t.conf:17: unknown option 'tunnels.site-b.out.spii', did you mean 'tunnels.site-b.out.spi'?",
		/* a tunnel name longer than the typo allows: only the differing
		 * middle is compared */
		"t.conf:21: unknown option 'tunnels.a-tunnel-with-a-rather-long-name-for-testing-the-suggestions.remtoe', "
		"did you mean 'tunnels.a-tunnel-with-a-rather-long-name-for-testing-the-suggestions.remote'?",
		"t.conf:24: unknown option 'completely.unrelated.thing'",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
		g_assert_cmpstr(g_ptr_array_index(cap.messages, i), ==, want[i]);
	g_ptr_array_free(cap.messages, TRUE);
	settings_free(s);
	options_reset();
}

static void test_options_values(void)
{
	options_reset();
	options_declare_core();
	uipsec_settings_t *s = load_ok(
		"uipsecd {\n"
		"    threads = many\n"
		"    install_routes = perhaps\n"
		"    socket { port = 4500 }\n"
		"}\n"
		"tunnels {\n"
		"    t1 {\n"
		"        keepalive = 20 seconds\n"
		"        life_bytes = 10x\n"
		"        in { key = 0xsecretsecret }\n"
		"        vip =\n"
		"        esn = yes\n"
		"    }\n"
		"}\n");
	GError *err = NULL;
	g_assert_false(options_check_values(s, &err));
	g_assert_error(err, UIPSEC_SETTINGS_ERROR, UIPSEC_SETTINGS_ERROR_VALUE);
	g_assert_cmpstr(err->message, ==,
		"t.conf:2: 'uipsecd.threads' expects an integer, got 'many'\n"
		"t.conf:3: 'uipsecd.install_routes' expects a boolean (yes, no, true, false, 1, 0), got 'perhaps'\n"
		"t.conf:8: 'tunnels.t1.keepalive' expects a duration (e.g. 30s, 5m, 1h, 1d), got '20 seconds'\n"
		"t.conf:9: 'tunnels.t1.life_bytes' expects a byte count (e.g. 1500, 500k, 10m, 1g), got '10x'\n"
		"t.conf:10: 'tunnels.t1.in.key' expects a hex string (0x followed by an even number of hex digits)");
	/* key material is never echoed */
	g_assert_null(strstr(err->message, "secret"));
	g_clear_error(&err);
	settings_free(s);

	s = load_ok("uipsecd { threads = 0x4\n crypto { selftest = no\n aes-gcm { provider = crypto-openssl } } }\n");
	g_assert_true(options_check_values(s, &err));
	g_assert_no_error(err);
	settings_free(s);
	options_reset();
}

static void test_options_find(void)
{
	options_reset();
	options_declare_core();
	const uipsec_option_t *o = options_find("uipsecd.log.default");
	g_assert_nonnull(o);
	g_assert_cmpstr(o->key, ==, "uipsecd.log.default");
	g_assert_cmpstr(o->def, ==, "info");
	o = options_find("uipsecd.log.esp");
	g_assert_cmpstr(o->key, ==, "uipsecd.log.*");
	o = options_find("uipsecd.plugins.io-tun.load");
	g_assert_cmpstr(o->key, ==, "uipsecd.plugins.*.load");
	o = options_find("tunnels.x.in.spi");
	g_assert_cmpint(o->type, ==, UIPSEC_OPT_INT);
	/* sections are not keys */
	g_assert_null(options_find("tunnels"));
	g_assert_null(options_find("uipsecd.plugins.io-tun.mtu"));
	/* a plugin declaring its own 'load' is more specific than the wildcard */
	static const uipsec_option_t own_load[] = {
		{ "load", UIPSEC_OPT_INT, "5", "own" }, UIPSEC_OPTION_END
	};
	options_declare("uipsecd.plugins.io-tun.", own_load);
	g_assert_cmpstr(options_find("uipsecd.plugins.io-tun.load")->help, ==, "own");
	/* declaring again replaces */
	static const uipsec_option_t own_load2[] = {
		{ "load", UIPSEC_OPT_INT, "6", "own again" }, UIPSEC_OPTION_END
	};
	options_declare("uipsecd.plugins.io-tun.", own_load2);
	g_assert_cmpstr(options_find("uipsecd.plugins.io-tun.load")->def, ==, "6");
	options_reset();
	g_assert_null(options_find("uipsecd.threads"));
	/* the implicit plugin 'load' survives a reset */
	g_assert_nonnull(options_find("uipsecd.plugins.foo.load"));
}

static void test_options_help(void)
{
	options_reset();
	options_declare_core();
	options_declare("uipsecd.plugins.io-tun.", io_tun_options);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	options_print_help(out);
	fclose(out);
	g_assert_nonnull(strstr(buf, "uipsecd.threads (int, default: 0)\n"
	                             "    data-path worker threads; 0 = one per online CPU\n"));
	g_assert_nonnull(strstr(buf, "uipsecd.plugins.io-tun.mtu (int, default: 1400)\n    TUN device MTU\n"));
	g_assert_nonnull(strstr(buf, "tunnels.*.in.key (hex)\n"));
	g_assert_nonnull(strstr(buf, "uipsecd.crypto.selftest (bool, default: yes)\n"));
	/* sorted by key */
	const char *a = strstr(buf, "tunnels.*.esp ");
	const char *b = strstr(buf, "tunnels.*.local ");
	const char *c = strstr(buf, "uipsecd.allow_peer_ts ");
	g_assert_true(a && b && c && a < b && b < c);
	free(buf);
	options_reset();
}

static void test_example_config(void)
{
	/* the shipped example parses without errors or unknown keys */
	const char *srcdir = g_getenv("top_srcdir");
	char *path = g_build_filename(srcdir ? srcdir : ".", "conf", "uipsec.conf", NULL);
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_free(path);
		g_test_skip("conf/uipsec.conf not found (top_srcdir unset)");
		return;
	}
	options_reset();
	options_declare_core();
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	g_assert_true(settings_load_file(s, path, &err));
	g_assert_no_error(err);
	g_assert_true(options_check_values(s, &err));
	g_assert_no_error(err);
	settings_free(s);
	g_free(path);
	options_reset();
}

static void test_data_full(void)
{
	const char *srcdir = g_getenv("top_srcdir");
	char *path = g_build_filename(srcdir ? srcdir : ".", "tests", "data", "settings", "full.conf", NULL);
	if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		g_free(path);
		g_test_skip("tests/data/settings/full.conf not found (top_srcdir unset)");
		return;
	}
	options_reset();
	options_declare_core();
	captured_t cap = { g_ptr_array_new_with_free_func(g_free) };
	log_set_sink(capture_sink, &cap);
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	g_assert_true(settings_load_file(s, path, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(options_check_unknown(s), ==, 0);
	log_set_sink(NULL, NULL);
	g_assert_cmpuint(cap.messages->len, ==, 0);
	g_assert_true(options_check_values(s, &err));
	g_assert_no_error(err);

	assert_strv(uipsec_settings_get_list(s, "uipsecd.load"),
	            (const char *const[]){ "crypto-openssl", "crypto-gcrypt", "io-tun!", "net-netlink", NULL });
	assert_strv(uipsec_settings_get_list(s, "uipsecd.plugin_dir"),
	            (const char *const[]){ "/usr/local/lib/uipsec/plugins", "/opt/uipsec/plugins", NULL });
	g_assert_cmpint(uipsec_settings_get_int(s, "uipsecd.socket.fwmark", 0), ==, 0x42);
	g_assert_cmpint(uipsec_settings_get_int(s, "uipsecd.plugins.crypto-gcrypt.load", 0), ==, 5);
	g_assert_false(uipsec_settings_get_bool(s, "uipsecd.plugins.net-pfroute.load", true));
	assert_strv(uipsec_settings_sections(s, "tunnels"), (const char *const[]){ "site-b", "site-c", NULL });
	g_assert_cmpuint(uipsec_settings_get_duration(s, "tunnels.site-b.rekey_time", 0), ==, 3000);
	g_assert_cmpuint(uipsec_settings_get_bytes(s, "tunnels.site-b.life_bytes", 0), ==, 10ull << 30);
	g_assert_cmpint(uipsec_settings_get_int(s, "tunnels.site-b.out.spi", 0), ==, 0x2000);
	size_t len = 0;
	uint8_t *key = uipsec_settings_get_hex(s, "tunnels.site-b.out.key", &len);
	g_assert_cmpuint(len, ==, 20);
	g_assert_cmpuint(key[0], ==, 0xff);
	g_assert_cmpuint(key[19], ==, 0xd0);
	uipsec_hex_free(key, len);
	g_assert_true(g_str_has_suffix(uipsec_settings_origin(s, "tunnels.site-c.key_file"),
	                               "tests/data/settings/full.d/site-b.conf:28"));

	g_ptr_array_free(cap.messages, TRUE);
	settings_free(s);
	g_free(path);
	options_reset();
}

/* Files holding keys: refused when group or others may read them, by path
 * or by an open descriptor, with the "WHERE: WHAT PATH ... (chmod 600)" text. */
static void test_check_private(void)
{
	char *dir = g_dir_make_tmp("uipsec-priv-XXXXXX", NULL);
	char *path = g_build_filename(dir, "k.conf", NULL);
	g_assert_true(g_file_set_contents(path, "key = 0x00\n", -1, NULL));
	GError *err = NULL;
	g_assert_cmpint(chmod(path, 0644), ==, 0);
	g_assert_false(settings_check_private(-1, path, "a.conf:3: tunnel t", "key_file", &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_PERM);
	char *want = g_strdup_printf("a.conf:3: tunnel t: key_file %s is readable by group or others (mode 0644); "
	                             "refusing it (chmod 600)", path);
	g_assert_cmpstr(err->message, ==, want);
	g_free(want);
	g_clear_error(&err);
	g_assert_cmpint(chmod(path, 0640), ==, 0);
	int fd = open(path, O_RDONLY);
	g_assert_cmpint(fd, >=, 0);
	g_assert_false(settings_check_private(fd, "(stdin)", NULL, "--key-file", &err));
	g_assert_true(g_str_has_prefix(err->message, "--key-file (stdin) is readable by group or others (mode 0640)"));
	g_clear_error(&err);
	g_assert_cmpint(chmod(path, 0600), ==, 0);
	g_assert_true(settings_check_private(fd, "(stdin)", NULL, "--key-file", &err));
	g_assert_true(settings_check_private(-1, path, "x", "key_file", &err));
	g_assert_no_error(err);
	close(fd);
	/* a pipe holds nothing for others to find */
	int p[2];
	g_assert_cmpint(pipe(p), ==, 0);
	g_assert_true(settings_check_private(p[0], "(stdin)", NULL, "--key-file", &err));
	close(p[0]);
	close(p[1]);
	g_assert_cmpint(unlink(path), ==, 0);
	g_assert_false(settings_check_private(-1, path, "x", "key_file", &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_clear_error(&err);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

/* With a key reader (uipsecd.user, after settings_set_key_reader()): owner
 * root or the reader, group access only for its group, none for others,
 * and the reader must be able to read the file. */
static void refused_with(const char *path, const char *why)
{
	GError *err = NULL;
	g_assert_false(settings_check_private(-1, path, "a.conf:3: tunnel t", "key_file", &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_PERM);
	if (!strstr(err->message, why))
		g_error("'%s' does not say '%s'", err->message, why);
	g_assert_true(g_str_has_prefix(err->message, "a.conf:3: tunnel t: key_file "));
	g_error_free(err);
}

static void test_key_reader(void)
{
	char *dir = g_dir_make_tmp("uipsec-reader-XXXXXX", NULL);
	char *path = g_build_filename(dir, "k.conf", NULL);
	g_assert_true(g_file_set_contents(path, "key = 0x00\n", -1, NULL));
	struct stat st;
	g_assert_cmpint(stat(path, &st), ==, 0);
	GError *err = NULL;
	/* the reader owns the file (or it is root's and the reader is us) */
	settings_set_key_reader(st.st_uid, st.st_gid, "tester");
	g_assert_cmpint(chmod(path, 0600), ==, 0);
	g_assert_true(settings_check_private(-1, path, NULL, "key_file", &err));
	g_assert_cmpint(chmod(path, 0640), ==, 0);
	g_assert_true(settings_check_private(-1, path, NULL, "key_file", &err));   /* the reader's group */
	g_assert_no_error(err);
	g_assert_cmpint(chmod(path, 0604), ==, 0);
	refused_with(path, "is accessible by others (mode 0604); key files are never world-readable");
	/* a reader of another group: group access is not for that one */
	settings_set_key_reader(st.st_uid, st.st_gid + 1, "tester");
	g_assert_cmpint(chmod(path, 0640), ==, 0);
	refused_with(path, "access (mode 0640); only the daemon's group");
	/* another reader: the file is ours, not root's (unless we are root) */
	settings_set_key_reader(st.st_uid + 4242, st.st_gid + 4242, "tester");
	g_assert_cmpint(chmod(path, 0600), ==, 0);
	if (st.st_uid == 0)
		refused_with(path, "cannot be read by the daemon user tester (owner root");
	else
		refused_with(path, "key files must belong to root or to the daemon user tester");
	/* without a reader: the rule before (no group or other access) */
	settings_clear_key_reader();
	g_assert_true(settings_check_private(-1, path, NULL, "key_file", &err));
	g_assert_cmpint(chmod(path, 0640), ==, 0);
	refused_with(path, "is readable by group or others (mode 0640); refusing it (chmod 600)");
	g_assert_cmpint(unlink(path), ==, 0);
	g_assert_cmpint(rmdir(dir), ==, 0);
	g_free(path);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/settings/value/bool", test_bool);
	g_test_add_func("/settings/value/int", test_int);
	g_test_add_func("/settings/value/duration", test_duration);
	g_test_add_func("/settings/value/bytes", test_bytes);
	g_test_add_func("/settings/value/list", test_list);
	g_test_add_func("/settings/value/hex", test_hex);
	g_test_add_func("/settings/value/str", test_str);
	g_test_add_func("/settings/syntax/sections", test_sections);
	g_test_add_func("/settings/syntax/one-line-sections", test_one_line_sections);
	g_test_add_func("/settings/syntax/dotted-names", test_dotted_names);
	g_test_add_func("/settings/syntax/quoted", test_quoted);
	g_test_add_func("/settings/syntax/comments", test_comments);
	g_test_add_func("/settings/syntax/crlf", test_crlf);
	g_test_add_func("/settings/override/same-file", test_override_same_file);
	g_test_add_func("/settings/override/across-loads", test_override_across_loads);
	g_test_add_func("/settings/override/error-leaves-unchanged", test_error_leaves_unchanged);
	g_test_add_func("/settings/include/glob-relative", test_include_glob);
	g_test_add_func("/settings/include/absolute", test_include_absolute);
	g_test_add_func("/settings/include/errors", test_include_errors);
	g_test_add_func("/settings/include/depth", test_include_depth);
	g_test_add_func("/settings/error/syntax", test_syntax_errors);
	g_test_add_func("/settings/error/nul-byte", test_nul_byte);
	g_test_add_func("/settings/error/deep-nesting", test_deep_nesting);
	g_test_add_func("/settings/error/garbage", test_garbage);
	g_test_add_func("/settings/options/unknown", test_options_unknown);
	g_test_add_func("/settings/options/values", test_options_values);
	g_test_add_func("/settings/options/find", test_options_find);
	g_test_add_func("/settings/options/help", test_options_help);
	g_test_add_func("/settings/options/example-config", test_example_config);
	g_test_add_func("/settings/data/full", test_data_full);
	g_test_add_func("/settings/check-private", test_check_private);
	g_test_add_func("/settings/key-reader", test_key_reader);
	return g_test_run();
}
