/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Settings values: the parsers of booleans, numbers, durations, sizes, hex
 * and lists behind the typed getters and the option checks, and the check
 * that a file holding keys is private. */
#include "config.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
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

/* Who must be able to read key files later: the user uipsecd switches to
 * (settings_set_key_reader()). A property of the process, like its uid:
 * set once by the daemon before it reads any key, read by every check. */
static struct {
	bool set;
	uid_t uid;
	gid_t gid;
	char name[64];
} key_reader;

void settings_set_key_reader(uid_t uid, gid_t gid, const char *name)
{
	key_reader.set = true;
	key_reader.uid = uid;
	key_reader.gid = gid;
	g_strlcpy(key_reader.name, name ? name : "", sizeof(key_reader.name));
}

void settings_clear_key_reader(void)
{
	memset(&key_reader, 0, sizeof(key_reader));
}

static char *group_name(gid_t gid)
{
	struct group *gr = getgrgid(gid);
	return gr ? g_strdup(gr->gr_name) : g_strdup_printf("%u", (unsigned)gid);
}

static char *user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	return pw ? g_strdup(pw->pw_name) : g_strdup_printf("%u", (unsigned)uid);
}

/* The rule when the daemon runs as key_reader (docs/security.md): owned by
 * root or the daemon user, group access only for the daemon's group,
 * nothing for others, and readable by the daemon user. NULL when fine,
 * else why not (g_free). */
static char *reader_refusal(const struct stat *st)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);
	const char *u = key_reader.name;
	char *why = NULL, *owner = user_name(st->st_uid), *group = group_name(st->st_gid);
	char *dgroup = group_name(key_reader.gid);
	if (mode & 007)
		why = g_strdup_printf("is accessible by others (mode %04o); key files are never world-readable "
		                      "(chmod o-rwx)", mode);
	else if (st->st_uid != 0 && st->st_uid != key_reader.uid)
		why = g_strdup_printf("belongs to user %s; key files must belong to root or to the daemon user %s "
		                      "(uipsecd.user)", owner, u);
	else if ((mode & 070) && st->st_gid != key_reader.gid)
		why = g_strdup_printf("gives group %s access (mode %04o); only the daemon's group %s may have it "
		                      "(chgrp %s, or chmod 600)", group, mode, dgroup, dgroup);
	else if (!((st->st_uid == key_reader.uid && (mode & 0400)) || (st->st_gid == key_reader.gid && (mode & 040))))
		why = g_strdup_printf("cannot be read by the daemon user %s (owner %s, group %s, mode %04o), so a "
		                      "reload could not read it again; chown %s it, or chgrp %s it and chmod 640",
		                      u, owner, group, mode, u, dgroup);
	g_free(owner);
	g_free(group);
	g_free(dgroup);
	return why;
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
	if (!S_ISREG(st.st_mode))
		return true;
	if (key_reader.set) {
		char *why = reader_refusal(&st);
		if (why)
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_PERM, "%s%s%s %s %s", where ? where : "",
			            where ? ": " : "", what, path, why);
		g_free(why);
		return why == NULL;
	}
	if (st.st_mode & 077) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_PERM,
		            "%s%s%s %s is readable by group or others (mode %04o); refusing it (chmod 600)",
		            where ? where : "", where ? ": " : "", what, path, (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

