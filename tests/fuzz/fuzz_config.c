/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the config parser, the typed getters and the option
 * checks must turn any input into settings or a "file:line: problem" error,
 * never a crash, hang or leak. The target runs in an empty directory and
 * skips inputs that could include files elsewhere (a '/' after "include"),
 * so it never reads /proc or /sys; relative includes (globs matching
 * nothing, missing files) are still exercised. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config/logging.h"
#include "config/settings_parser.h"

static void quiet_sink(const char *subsys, uipsec_log_level_t level, const char *msg, void *user)
{
	(void)subsys;
	(void)level;
	(void)user;
	/* touch the message so a bad one shows up under ASan */
	volatile size_t n = strlen(msg);
	(void)n;
}

static void use_value(const char *key, const char *value, const char *origin, void *user)
{
	const uipsec_settings_t *s = user;
	size_t len;
	uipsec_hex_free(uipsec_settings_get_hex(s, key, &len), len);
	uipsec_strv_free(uipsec_settings_get_list(s, key));
	(void)uipsec_settings_get_int(s, key, 0);
	(void)uipsec_settings_get_duration(s, key, 0);
	(void)uipsec_settings_get_bytes(s, key, 0);
	(void)uipsec_settings_get_bool(s, key, false);
	if (strcmp(uipsec_settings_origin(s, key), origin) != 0 ||
	    strcmp(uipsec_settings_get_str(s, key, ""), value) != 0)
		__builtin_trap();
}

static char *work_dir;

static void remove_work_dir(void)
{
	if (work_dir)
		rmdir(work_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized;
	if (!initialized) {
		work_dir = g_dir_make_tmp("uipsec-fuzz-config-XXXXXX", NULL);
		if (!work_dir || chdir(work_dir) != 0)
			__builtin_trap();
		atexit(remove_work_dir);
		log_set_sink(quiet_sink, NULL);
		options_declare_core();
		initialized = true;
	}
	const char *inc = memmem(data, size, "include", 7);
	if (inc && memchr(inc, '/', size - (size_t)(inc - (const char *)data)))
		return 0;
	char *text = g_strndup((const char *)data, size);
	uipsec_settings_t *s = settings_new();
	GError *err = NULL;
	if (settings_load_string(s, text, "fuzz.conf", &err)) {
		settings_foreach(s, use_value, s);
		options_check_unknown(s);
		if (!options_check_values(s, &err))
			g_clear_error(&err);
		uipsec_strv_free(uipsec_settings_sections(s, "tunnels"));
		if (!log_configure(s, &err))
			g_clear_error(&err);
	} else {
		/* every error names the file (or an included one) and a line */
		if (!err || (strncmp(err->message, "fuzz.conf:", 10) != 0 && err->message[0] != '/'))
			__builtin_trap();
		g_clear_error(&err);
	}
	settings_free(s);
	g_free(text);
	return 0;
}
