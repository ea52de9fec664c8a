/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Settings: a hand parser for the strongswan.conf syntax and the typed
 * getters of <uipsec/settings.h>.
 *
 * The tree is sections of keys and subsections, both kept in order of first
 * definition (for uipsec_settings_sections() and deterministic messages) and
 * indexed by name. A load parses into a fresh tree and merges it only on
 * success, so a failed load leaves the settings unchanged. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/hex.h"
#include "config/settings_parser.h"

#define MAX_INCLUDE_DEPTH 16
#define MAX_SECTION_DEPTH 64
#define MAX_FILE_SIZE (16u << 20)
#define ORIGIN_COMMAND_LINE "(command line)"

typedef struct setting_kv {
	char *name;
	char *value;
	char *origin;            /* "file:line"; NULL = settings_set() */
} setting_kv_t;

typedef struct section {
	char *name;
	GHashTable *kv_index;    /* name -> setting_kv_t*, owned by kvs */
	GPtrArray *kvs;          /* in order of first definition */
	GHashTable *sub_index;   /* name -> section_t*, owned by subs */
	GPtrArray *subs;
} section_t;

struct uipsec_settings {
	section_t *root;
};

G_DEFINE_QUARK(uipsec-settings-error-quark, uipsec_settings_error)

/* ---------------------------------------------------------------- tree */

static void kv_free(gpointer data)
{
	setting_kv_t *kv = data;
	/* values may be keys */
	uipsec_memwipe(kv->value, strlen(kv->value));
	g_free(kv->value);
	g_free(kv->name);
	g_free(kv->origin);
	g_free(kv);
}

static void section_free(gpointer data);

static section_t *section_new(const char *name)
{
	section_t *sec = g_new0(section_t, 1);
	sec->name = g_strdup(name);
	sec->kv_index = g_hash_table_new(g_str_hash, g_str_equal);
	sec->kvs = g_ptr_array_new_with_free_func(kv_free);
	sec->sub_index = g_hash_table_new(g_str_hash, g_str_equal);
	sec->subs = g_ptr_array_new_with_free_func(section_free);
	return sec;
}

static void section_free(gpointer data)
{
	section_t *sec = data;
	g_hash_table_destroy(sec->kv_index);
	g_ptr_array_free(sec->kvs, TRUE);
	g_hash_table_destroy(sec->sub_index);
	g_ptr_array_free(sec->subs, TRUE);
	g_free(sec->name);
	g_free(sec);
}

static section_t *section_sub(section_t *sec, const char *name, bool create)
{
	section_t *sub = g_hash_table_lookup(sec->sub_index, name);
	if (!sub && create) {
		sub = section_new(name);
		g_ptr_array_add(sec->subs, sub);
		g_hash_table_insert(sec->sub_index, sub->name, sub);
	}
	return sub;
}

/* Later definitions win: the value and origin are replaced, the position of
 * the first definition is kept. Takes ownership of value and origin. */
static void section_set(section_t *sec, const char *name, char *value, char *origin)
{
	setting_kv_t *kv = g_hash_table_lookup(sec->kv_index, name);
	if (kv) {
		uipsec_memwipe(kv->value, strlen(kv->value));
		g_free(kv->value);
		g_free(kv->origin);
	} else {
		kv = g_new0(setting_kv_t, 1);
		kv->name = g_strdup(name);
		g_ptr_array_add(sec->kvs, kv);
		g_hash_table_insert(sec->kv_index, kv->name, kv);
	}
	kv->value = value;
	kv->origin = origin;
}

static void section_merge(section_t *dst, const section_t *src)
{
	for (guint i = 0; i < src->kvs->len; i++) {
		const setting_kv_t *kv = g_ptr_array_index(src->kvs, i);
		section_set(dst, kv->name, g_strdup(kv->value), g_strdup(kv->origin));
	}
	for (guint i = 0; i < src->subs->len; i++) {
		const section_t *sub = g_ptr_array_index(src->subs, i);
		section_merge(section_sub(dst, sub->name, true), sub);
	}
}

/* Walks the first n_parts dot-separated components of path from root.
 * Returns NULL when a section is missing or a component is too long. */
static section_t *find_section(const section_t *root, const char *path, size_t n_parts)
{
	section_t *sec = (section_t *)root;
	const char *p = path;
	char comp[256];
	for (size_t i = 0; i < n_parts && sec; i++) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || len >= sizeof(comp))
			return NULL;
		memcpy(comp, p, len);
		comp[len] = '\0';
		sec = g_hash_table_lookup(sec->sub_index, comp);
		p = dot ? dot + 1 : p + len;
	}
	return sec;
}

static size_t count_parts(const char *path)
{
	size_t n = 1;
	for (const char *p = path; *p; p++)
		n += *p == '.';
	return n;
}

static const setting_kv_t *find_kv(const uipsec_settings_t *s, const char *key)
{
	if (!s || !key || !*key)
		return NULL;
	const section_t *sec = find_section(s->root, key, count_parts(key) - 1);
	if (!sec)
		return NULL;
	const char *last = strrchr(key, '.');
	return g_hash_table_lookup(sec->kv_index, last ? last + 1 : key);
}

static const section_t *find_section_path(const uipsec_settings_t *s, const char *path)
{
	if (!s)
		return NULL;
	if (!path || !*path)
		return s->root;
	return find_section(s->root, path, count_parts(path));
}

uipsec_settings_t *settings_new(void)
{
	uipsec_settings_t *s = g_new0(uipsec_settings_t, 1);
	s->root = section_new("");
	return s;
}

void settings_free(uipsec_settings_t *s)
{
	if (!s)
		return;
	section_free(s->root);
	g_free(s);
}

static bool valid_path(const char *key)
{
	if (!key || !*key)
		return false;
	gchar **parts = g_strsplit(key, ".", -1);
	bool ok = true;
	for (gchar **p = parts; *p; p++)
		ok = ok && **p;
	g_strfreev(parts);
	return ok;
}

/* Sets path (dotted) in the tree below root; components must be non-empty. */
static void tree_set_path(section_t *root, const char *path, char *value, char *origin)
{
	gchar **parts = g_strsplit(path, ".", -1);
	guint n = g_strv_length(parts);
	section_t *sec = root;
	for (guint i = 0; i + 1 < n; i++)
		sec = section_sub(sec, parts[i], true);
	section_set(sec, parts[n - 1], value, origin);
	g_strfreev(parts);
}

bool settings_set(uipsec_settings_t *s, const char *key, const char *value)
{
	if (!s || !valid_path(key) || !value)
		return false;
	tree_set_path(s->root, key, g_strdup(value), NULL);
	return true;
}

static void foreach_in(const section_t *sec, GString *path, settings_foreach_fn fn, void *user)
{
	gsize base = path->len;
	for (guint i = 0; i < sec->kvs->len; i++) {
		const setting_kv_t *kv = g_ptr_array_index(sec->kvs, i);
		g_string_truncate(path, base);
		if (base)
			g_string_append_c(path, '.');
		g_string_append(path, kv->name);
		fn(path->str, kv->value, kv->origin ? kv->origin : ORIGIN_COMMAND_LINE, user);
	}
	for (guint i = 0; i < sec->subs->len; i++) {
		const section_t *sub = g_ptr_array_index(sec->subs, i);
		g_string_truncate(path, base);
		if (base)
			g_string_append_c(path, '.');
		g_string_append(path, sub->name);
		foreach_in(sub, path, fn, user);
	}
	g_string_truncate(path, base);
}

void settings_foreach(const uipsec_settings_t *s, settings_foreach_fn fn, void *user)
{
	if (!s)
		return;
	GString *path = g_string_new(NULL);
	foreach_in(s->root, path, fn, user);
	g_string_free(path, TRUE);
}

/* ---------------------------------------------------------------- parser */

typedef struct parser {
	const char *file;          /* name in messages */
	const char *dir;           /* base of relative includes; NULL = cwd */
	const char *p, *end;
	unsigned line;
	unsigned include_depth;
	GPtrArray *include_stack;  /* canonical paths of the files being parsed */
	GError **err;
} parser_t;

static bool fail_at(parser_t *ps, unsigned line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static bool fail_at(parser_t *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(ps->err, UIPSEC_SETTINGS_ERROR, UIPSEC_SETTINGS_ERROR_PARSE,
	            "%s:%u: %s", ps->file, line, msg);
	g_free(msg);
	return false;
}

static bool is_name_char(char c)
{
	unsigned char u = (unsigned char)c;
	return u > 0x20 && u != 0x7f && !strchr("{}=#\"", c);
}

static bool at_end(const parser_t *ps)
{
	return ps->p >= ps->end;
}

static void skip_blanks(parser_t *ps)
{
	while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r'))
		ps->p++;
}

/* Skips whitespace, newlines and comments. */
static void skip_space(parser_t *ps)
{
	while (!at_end(ps)) {
		char c = *ps->p;
		if (c == '\n') {
			ps->line++;
			ps->p++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			ps->p++;
		} else if (c == '#') {
			while (!at_end(ps) && *ps->p != '\n')
				ps->p++;
		} else {
			break;
		}
	}
}

/* In a section opened on the current line ("in { spi = 1  key = 0x.. }")
 * an unquoted value also ends where the next "name =" or "name {" starts. */
static bool next_statement_starts(const char *q, const char *end)
{
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	const char *name = q;
	while (q < end && is_name_char(*q))
		q++;
	if (q == name)
		return false;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	return q < end && (*q == '=' || *q == '{');
}

/* Reads an unquoted value (or include pattern) up to the end of the line,
 * a comment, a '}' closing a section, or (one_line) the next statement. */
static char *read_bare_value(parser_t *ps, bool in_section, bool one_line)
{
	const char *start = ps->p;
	while (!at_end(ps)) {
		char c = *ps->p;
		if (c == '\n' || c == '#' || (in_section && c == '}'))
			break;
		if (one_line && (c == ' ' || c == '\t') && next_statement_starts(ps->p, ps->end))
			break;
		ps->p++;
	}
	char *value = g_strndup(start, (gsize)(ps->p - start));
	return g_strstrip(value);
}

/* Reads a "quoted string" starting at the opening quote. */
static char *read_quoted(parser_t *ps, bool in_section, bool one_line)
{
	unsigned line = ps->line;
	/* sized for the rest of the line: no realloc leaves copies of keys behind */
	const char *eol = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	GString *out = g_string_sized_new((gsize)((eol ? eol : ps->end) - ps->p));
	ps->p++;
	for (;;) {
		if (at_end(ps) || *ps->p == '\n') {
			fail_at(ps, line, "unterminated string (missing '\"')");
			goto fail;
		}
		char c = *ps->p++;
		if (c == '"')
			break;
		if (c != '\\') {
			g_string_append_c(out, c);
			continue;
		}
		char e = at_end(ps) ? '\n' : *ps->p;
		static const char escapes[] = "\"\"\\\\n\nt\t";
		const char *m = NULL;
		for (const char *x = escapes; *x; x += 2)
			if (*x == e) {
				m = x;
				break;
			}
		if (!m) {
			if (e == '\n')
				fail_at(ps, line, "unterminated string (missing '\"')");
			else
				fail_at(ps, line, "invalid escape '\\%c' in string (use \\\", \\\\, \\n or \\t)",
				        g_ascii_isprint(e) ? e : '?');
			goto fail;
		}
		g_string_append_c(out, m[1]);
		ps->p++;
	}
	/* only a comment, the end of the line, '}' or (one-line) the next
	 * statement may follow */
	skip_blanks(ps);
	if (!at_end(ps) && *ps->p != '\n' && *ps->p != '#' && !(in_section && *ps->p == '}') &&
	    !(one_line && next_statement_starts(ps->p, ps->end))) {
		fail_at(ps, ps->line, "unexpected text after quoted string");
		goto fail;
	}
	return g_string_free(out, FALSE);
fail:
	uipsec_memwipe(out->str, out->len);
	g_string_free(out, TRUE);
	return NULL;
}

static char *read_value(parser_t *ps, bool in_section, bool one_line)
{
	skip_blanks(ps);
	if (!at_end(ps) && *ps->p == '"')
		return read_quoted(ps, in_section, one_line);
	return read_bare_value(ps, in_section, one_line);
}

/* Reads a whole file, with errno on failure. Included files must be
 * regular files (a FIFO or /dev/stdin would block the daemon). */
static char *read_file(const char *path, bool regular_only, gsize *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	int bad = S_ISDIR(st.st_mode) ? EISDIR
	        : regular_only && !S_ISREG(st.st_mode) ? EINVAL
	        : st.st_size > (off_t)MAX_FILE_SIZE ? EFBIG : 0;
	if (bad) {
		close(fd);
		errno = bad;
		return NULL;
	}
	GString *buf = g_string_sized_new((gsize)st.st_size + 1);
	char chunk[8192];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			g_string_free(buf, TRUE);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		if (buf->len + (gsize)n > MAX_FILE_SIZE) {
			close(fd);
			g_string_free(buf, TRUE);
			errno = EFBIG;
			return NULL;
		}
		g_string_append_len(buf, chunk, n);
	}
	close(fd);
	*len = buf->len;
	return g_string_free(buf, FALSE);
}

static bool parse_text(parser_t *ps, section_t *sec);

static bool include_file(parser_t *ps, section_t *sec, const char *path, const char *pattern,
                         unsigned line)
{
	if (ps->include_depth >= MAX_INCLUDE_DEPTH)
		return fail_at(ps, line, "include '%s': includes nested too deeply (more than %u levels)",
		               pattern, MAX_INCLUDE_DEPTH);
	char *canon = realpath(path, NULL);
	if (!canon)
		return fail_at(ps, line, "include '%s': %s", pattern, g_strerror(errno));
	for (guint i = 0; i < ps->include_stack->len; i++) {
		if (strcmp(g_ptr_array_index(ps->include_stack, i), canon) == 0) {
			fail_at(ps, line, "include '%s': include loop (%s is already being read)", pattern, canon);
			free(canon);
			return false;
		}
	}
	gsize len = 0;
	char *text = read_file(path, true, &len);
	if (!text) {
		fail_at(ps, line, "include '%s': %s", pattern,
		        errno == EINVAL ? "not a regular file" : g_strerror(errno));
		free(canon);
		return false;
	}
	char *dir = g_path_get_dirname(path);
	parser_t sub = {
		.file = path, .dir = dir, .p = text, .end = text + len, .line = 1,
		.include_depth = ps->include_depth + 1, .include_stack = ps->include_stack,
		.err = ps->err,
	};
	g_ptr_array_add(ps->include_stack, canon);
	bool ok = parse_text(&sub, sec);
	g_ptr_array_steal_index(ps->include_stack, ps->include_stack->len - 1);
	free(canon);
	g_free(dir);
	uipsec_memwipe(text, len);
	g_free(text);
	return ok;
}

/* "include PATTERN": a glob matching nothing is fine, a missing literal file
 * is an error. Relative patterns are relative to the including file. */
static bool parse_include(parser_t *ps, section_t *sec, bool in_section, bool one_line)
{
	unsigned line = ps->line;
	char *pattern = read_value(ps, in_section, one_line);
	if (!pattern)
		return false;
	if (!*pattern) {
		g_free(pattern);
		return fail_at(ps, line, "include needs a file name or pattern");
	}
	/* lexically canonical ("a/../b" -> "b") so messages name files plainly */
	char *base = ps->dir ? g_canonicalize_filename(ps->dir, NULL) : g_get_current_dir();
	char *path = g_canonicalize_filename(pattern, base);
	g_free(base);
	bool ok = true;
	if (!strpbrk(pattern, "*?[")) {
		ok = include_file(ps, sec, path, pattern, line);
	} else {
		glob_t g;
		int rc = glob(path, 0, NULL, &g);
		if (rc == 0) {
			for (size_t i = 0; ok && i < g.gl_pathc; i++)
				ok = include_file(ps, sec, g.gl_pathv[i], pattern, line);
		} else if (rc != GLOB_NOMATCH) {
			ok = fail_at(ps, line, "include '%s': cannot expand pattern", pattern);
		}
		globfree(&g);
	}
	g_free(path);
	g_free(pattern);
	return ok;
}

/* Reads a name; dots separate path components ("a.b = 1" is a { b = 1 }). */
static char *read_name(parser_t *ps)
{
	const char *start = ps->p;
	while (!at_end(ps) && is_name_char(*ps->p))
		ps->p++;
	return g_strndup(start, (gsize)(ps->p - start));
}

/* Descends into the (created) section for every dotted component of name
 * but the last, which is returned in *last. */
static section_t *descend(section_t *sec, const char *name, const char **last)
{
	const char *dot;
	while ((dot = strchr(name, '.'))) {
		char *comp = g_strndup(name, (gsize)(dot - name));
		sec = section_sub(sec, comp, true);
		g_free(comp);
		name = dot + 1;
	}
	*last = name;
	return sec;
}

/* Parses statements into sec until EOF (depth 0) or the '}' closing the
 * section opened at open_line (depth > 0). */
static bool parse_block(parser_t *ps, section_t *sec, unsigned depth, unsigned open_line,
                        const char *open_name)
{
	for (;;) {
		skip_space(ps);
		if (at_end(ps)) {
			if (depth)
				return fail_at(ps, open_line, "section '%s' is not closed (missing '}')", open_name);
			return true;
		}
		char c = *ps->p;
		unsigned line = ps->line;
		bool one_line = depth && line == open_line;
		if (c == '}') {
			if (!depth)
				return fail_at(ps, line, "unexpected '}'");
			ps->p++;
			return true;
		}
		if (c == '{')
			return fail_at(ps, line, "unexpected '{' (section name missing)");
		if (c == '=')
			return fail_at(ps, line, "unexpected '=' (key name missing)");
		if (c == '"')
			return fail_at(ps, line, "unexpected quoted string (key name missing)");
		if (!is_name_char(c))
			return fail_at(ps, line, "unexpected character 0x%02x", (unsigned char)c);

		char *name = read_name(ps);
		skip_blanks(ps);
		if (strcmp(name, "include") == 0 && !at_end(ps) && *ps->p != '=' && *ps->p != '{' &&
		    *ps->p != '\n' && *ps->p != '#') {
			g_free(name);
			if (!parse_include(ps, sec, depth > 0, one_line))
				return false;
			continue;
		}
		if (!valid_path(name) || name[strlen(name) - 1] == '.') {
			fail_at(ps, line, "invalid name '%s' (empty path component)", name);
			g_free(name);
			return false;
		}
		skip_space(ps);
		if (at_end(ps) || (*ps->p != '=' && *ps->p != '{')) {
			fail_at(ps, line, "expected '=' or '{' after '%s'", name);
			g_free(name);
			return false;
		}
		const char *last;
		section_t *target = descend(sec, name, &last);
		bool ok;
		if (*ps->p == '{') {
			ps->p++;
			if (depth + 1 >= MAX_SECTION_DEPTH) {
				ok = fail_at(ps, line, "sections nested too deeply (more than %u levels)",
				             MAX_SECTION_DEPTH);
			} else {
				ok = parse_block(ps, section_sub(target, last, true), depth + 1, ps->line, name);
			}
		} else {
			ps->p++;
			/* the value may start on the '=' line only */
			char *value = read_value(ps, depth > 0, depth && ps->line == open_line);
			ok = value != NULL;
			if (ok)
				section_set(target, last, value, g_strdup_printf("%s:%u", ps->file, line));
		}
		g_free(name);
		if (!ok)
			return false;
	}
}

static bool parse_text(parser_t *ps, section_t *sec)
{
	for (const char *q = ps->p; q < ps->end; q++) {
		if (*q == '\0') {
			unsigned line = 1;
			for (const char *r = ps->p; r < q; r++)
				line += *r == '\n';
			return fail_at(ps, line, "NUL byte in file");
		}
	}
	return parse_block(ps, sec, 0, 0, NULL);
}

static void free_str(gpointer p)
{
	free(p);
}

static bool load_text(uipsec_settings_t *s, const char *text, gsize len, const char *name,
                      const char *dir, char *canon, GError **err)
{
	section_t *tmp = section_new("");
	GPtrArray *stack = g_ptr_array_new_with_free_func(free_str);
	if (canon)
		g_ptr_array_add(stack, canon);
	parser_t ps = {
		.file = name, .dir = dir, .p = text, .end = text + len, .line = 1,
		.include_stack = stack, .err = err,
	};
	bool ok = parse_text(&ps, tmp);
	if (ok)
		section_merge(s->root, tmp);
	section_free(tmp);
	g_ptr_array_free(stack, TRUE);
	return ok;
}

bool settings_load_string(uipsec_settings_t *s, const char *text, const char *name, GError **err)
{
	g_return_val_if_fail(s && text, false);
	return load_text(s, text, strlen(text), name ? name : "(string)", NULL, NULL, err);
}

bool settings_load_file(uipsec_settings_t *s, const char *path, GError **err)
{
	g_return_val_if_fail(s && path, false);
	gsize len = 0;
	char *text = read_file(path, false, &len);
	char *canon = text ? realpath(path, NULL) : NULL;
	if (!text || !canon) {
		g_set_error(err, UIPSEC_SETTINGS_ERROR, UIPSEC_SETTINGS_ERROR_IO, "%s: %s", path,
		            g_strerror(errno));
		g_free(text);
		return false;
	}
	char *dir = g_path_get_dirname(path);
	bool ok = load_text(s, text, len, path, dir, canon, err);
	g_free(dir);
	uipsec_memwipe(text, len);
	g_free(text);
	return ok;
}

/* ---------------------------------------------------------------- values */

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

/* ---------------------------------------------------------------- public getters */

const char *uipsec_settings_get_str(const uipsec_settings_t *s, const char *key, const char *def)
{
	const setting_kv_t *kv = find_kv(s, key);
	return kv ? kv->value : def;
}

bool uipsec_settings_get_bool(const uipsec_settings_t *s, const char *key, bool def)
{
	bool v;
	return settings_parse_bool(uipsec_settings_get_str(s, key, NULL), &v) ? v : def;
}

int64_t uipsec_settings_get_int(const uipsec_settings_t *s, const char *key, int64_t def)
{
	int64_t v;
	return settings_parse_int(uipsec_settings_get_str(s, key, NULL), &v) ? v : def;
}

uint64_t uipsec_settings_get_duration(const uipsec_settings_t *s, const char *key, uint64_t def)
{
	uint64_t v;
	return settings_parse_duration(uipsec_settings_get_str(s, key, NULL), &v) ? v : def;
}

uint64_t uipsec_settings_get_bytes(const uipsec_settings_t *s, const char *key, uint64_t def)
{
	uint64_t v;
	return settings_parse_bytes(uipsec_settings_get_str(s, key, NULL), &v) ? v : def;
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

char **uipsec_settings_get_list(const uipsec_settings_t *s, const char *key)
{
	return settings_split_list(uipsec_settings_get_str(s, key, NULL));
}

uint8_t *uipsec_settings_get_hex(const uipsec_settings_t *s, const char *key, size_t *len)
{
	size_t n = 0;
	uint8_t *buf = settings_parse_hex(uipsec_settings_get_str(s, key, NULL), &n);
	if (len)
		*len = buf ? n : 0;
	return buf;
}

void uipsec_hex_free(uint8_t *p, size_t len)
{
	if (!p)
		return;
	uipsec_memwipe(p, len);
	g_free(p);
}

void uipsec_strv_free(char **v)
{
	g_strfreev(v);
}

char **uipsec_settings_sections(const uipsec_settings_t *s, const char *section)
{
	const section_t *sec = find_section_path(s, section);
	guint n = sec ? sec->subs->len : 0;
	char **out = g_new0(char *, n + 1);
	for (guint i = 0; i < n; i++)
		out[i] = g_strdup(((const section_t *)g_ptr_array_index(sec->subs, i))->name);
	return out;
}

char **uipsec_settings_keys(const uipsec_settings_t *s, const char *section)
{
	const section_t *sec = find_section_path(s, section);
	guint n = sec ? sec->kvs->len : 0;
	char **out = g_new0(char *, n + 1);
	for (guint i = 0; i < n; i++)
		out[i] = g_strdup(((const setting_kv_t *)g_ptr_array_index(sec->kvs, i))->name);
	return out;
}

const char *uipsec_settings_origin(const uipsec_settings_t *s, const char *key)
{
	const setting_kv_t *kv = find_kv(s, key);
	if (!kv)
		return NULL;
	return kv->origin ? kv->origin : ORIGIN_COMMAND_LINE;
}
