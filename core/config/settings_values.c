/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Settings values: the parsers of booleans, numbers, durations, sizes, hex
 * and lists behind the typed getters and the option checks, and the check
 * that a file holding keys is private. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/hex.h"
#include "config/settings_parser.h"

bool settings_parse_bool(const char *v, bool *out)
{
	static const struct { const char *word; bool value; } words[] = {
		{ "yes", true }, { "true", true }, { "1", true },
		{ "no", false }, { "false", false }, { "0", false },
	};
	if (!v)
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
		if (g_ascii_strcasecmp(v, words[i].word) == 0) {
			*out = words[i].value;
			return true;
		}
	}
	return false;
}

/* Unsigned decimal (or hex with allow_hex and a 0x prefix); *end is what follows. */
static bool parse_u64(const char *v, bool allow_hex, uint64_t *out, const char **end)
{
	unsigned base = 10;
	if (allow_hex && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
	}
	if (!(base == 16 ? g_ascii_isxdigit(*v) : g_ascii_isdigit(*v)))
		return false;
	char *e;
	errno = 0;
	guint64 n = g_ascii_strtoull(v, &e, base);
	if (errno == ERANGE)
		return false;
	*out = n;
	*end = e;
	return true;
}

bool settings_parse_int(const char *v, int64_t *out)
{
	if (!v)
		return false;
	bool neg = *v == '-';
	if (*v == '-' || *v == '+')
		v++;
	uint64_t mag;
	const char *end;
	if (!parse_u64(v, true, &mag, &end) || *end)
		return false;
	if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return true;
}

typedef struct unit {
	char suffix;
	uint64_t factor;
} unit_t;

static bool parse_with_units(const char *v, const unit_t *units, size_t n_units, uint64_t *out)
{
	uint64_t n;
	const char *end;
	if (!v || !parse_u64(v, false, &n, &end))
		return false;
	uint64_t factor = 1;
	if (*end) {
		size_t i;
		for (i = 0; i < n_units; i++)
			if (g_ascii_tolower(*end) == units[i].suffix)
				break;
		if (i == n_units || end[1])
			return false;
		factor = units[i].factor;
	}
	if (n > UINT64_MAX / factor)
		return false;
	*out = n * factor;
	return true;
}

bool settings_parse_duration(const char *v, uint64_t *out)
{
	static const unit_t units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	return parse_with_units(v, units, G_N_ELEMENTS(units), out);
}

bool settings_parse_bytes(const char *v, uint64_t *out)
{
	static const unit_t units[] = {
		{ 'k', 1ull << 10 }, { 'm', 1ull << 20 }, { 'g', 1ull << 30 }, { 't', 1ull << 40 },
	};
	return parse_with_units(v, units, G_N_ELEMENTS(units), out);
}

uint8_t *settings_parse_hex(const char *v, size_t *len)
{
	return hex_decode_alloc(v, len, NULL);
}

char **settings_split_list(const char *v)
{
	GPtrArray *out = g_ptr_array_new();
	if (v) {
		gchar **parts = g_strsplit_set(v, " \t,", -1);
		for (gchar **p = parts; *p; p++)
			if (**p)
				g_ptr_array_add(out, g_strdup(*p));
		g_strfreev(parts);
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

bool settings_check_private(int fd, const char *path, const char *where, const char *what, GError **err)
{
	struct stat st;
	if ((fd >= 0 ? fstat(fd, &st) : stat(path, &st)) < 0) {
		int e = errno;
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s%s%s %s: %s", where ? where : "",
		            where ? ": " : "", what, path, g_strerror(e));
		return false;
	}
	/* a FIFO or terminal (uipsecctl --key-file - from a pipe) is nobody
	 * else's to read; only files keep the key for others to find */
	if (S_ISREG(st.st_mode) && (st.st_mode & 077)) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_PERM,
		            "%s%s%s %s is readable by group or others (mode %04o); refusing it (chmod 600)",
		            where ? where : "", where ? ": " : "", what, path, (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

