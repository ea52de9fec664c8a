/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecctl --key-file: an SA's keys read from a private file or stdin
 * instead of argv. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "control/control_proto.h"
#include "util/hex.h"
#include "config/settings_parser.h"
#include "ctl/ctl.h"

/* Bytes read from a key file, more than any key file needs. */
#define KEY_FILE_MAX 4096

static int key_file_error(const char *path, const char *what)
{
	fprintf(stderr, "uipsecctl: --key-file %s: %s\n", path, what);
	return EXIT_USAGE;
}

/* The private file's text into buf, NUL-terminated. */
static int read_key_file(int fd, const char *name, char buf[KEY_FILE_MAX + 1])
{
	GError *err = NULL;
	size_t len = 0;
	if (!settings_check_private(fd, name, NULL, "--key-file", &err)) {
		fprintf(stderr, "uipsecctl: %s\n", err->message);
		g_clear_error(&err);
		return EXIT_USAGE;
	}
	for (ssize_t n; len < KEY_FILE_MAX + 1 && (n = read(fd, buf + len, KEY_FILE_MAX + 1 - len)) != 0;) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return key_file_error(name, g_strerror(errno));
		len += (size_t)n;
	}
	if (len > KEY_FILE_MAX)
		return key_file_error(name, "longer than " G_STRINGIFY(KEY_FILE_MAX) " bytes");
	buf[len] = '\0';
	return EXIT_OK;
}

/* The keys of the parsed file as request members: only "key" (required)
 * and "integ_key", each a key uipsecd could take, neither also in argv. */
static int keys_into_request(const uipsec_settings_t *ks, const char *name, JsonObject *o)
{
	/* the setting names are the request members */
	static const char *const members[] = { "key", "integ_key" };
	int rc = EXIT_OK;
	char **keys = uipsec_settings_keys(ks, NULL), **sections = uipsec_settings_sections(ks, NULL);
	for (char **k = keys; !rc && *k; k++)
		if (!g_strv_contains(members, *k))
			rc = key_file_error(name, "only 'key' and 'integ_key' may be set");
	if (!rc && sections[0])
		rc = key_file_error(name, "only 'key' and 'integ_key' may be set");
	if (!rc && !uipsec_settings_get_str(ks, "key", NULL))
		rc = key_file_error(name, "no 'key ='");
	for (size_t i = 0; !rc && i < G_N_ELEMENTS(members); i++) {
		const char *v = uipsec_settings_get_str(ks, members[i], NULL);
		if (!v)
			continue;
		if (json_object_has_member(o, members[i])) {
			rc = usage_error("%s is given both on the command line and in --key-file", members[i]);
			break;
		}
		uint8_t key[CONTROL_KEY_MAX];
		size_t n;
		hex_status_t st = hex_decode(v, key, sizeof(key), &n);
		uipsec_memwipe(key, sizeof(key));
		if (st != HEX_OK) {
			fprintf(stderr, "uipsecctl: --key-file %s: %s %s (at most %d bytes)\n",
			        uipsec_settings_origin(ks, members[i]), members[i], hex_status_str(st), CONTROL_KEY_MAX);
			rc = EXIT_USAGE;
			break;
		}
		json_object_set_string_member(o, members[i], v);
	}
	g_strfreev(keys);
	g_strfreev(sections);
	return rc;
}

/* --key-file FILE or - (stdin): "key = 0x.." and optionally
 * "integ_key = 0x.." lines, the syntax of a tunnel's key_file, so keys
 * stay out of argv (and /proc/PID/cmdline). Like a key_file, a file
 * readable by group or others is refused. */
int load_key_file(const char *path, JsonObject *o)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "(stdin)" : path;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return key_file_error(path, g_strerror(errno));
	char buf[KEY_FILE_MAX + 1];
	int rc = read_key_file(fd, name, buf);
	if (!rc) {
		GError *err = NULL;
		uipsec_settings_t *ks = settings_new();
		if (!settings_load_string(ks, buf, name, &err)) {
			fprintf(stderr, "uipsecctl: --key-file %s\n", err->message);
			g_clear_error(&err);
			rc = EXIT_USAGE;
		} else {
			rc = keys_into_request(ks, name, o);
		}
		settings_free(ks);
	}
	uipsec_memwipe(buf, sizeof(buf));
	if (!is_stdin)
		close(fd);
	return rc;
}
