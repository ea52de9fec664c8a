/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Settings parser: a hand parser for the strongswan.conf syntax (sections,
 * keys, quoted values, includes) filling the settings tree. A load parses
 * into a fresh tree and merges it only on success, so a failed load leaves
 * the settings unchanged. */
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
#include "config/settings_tree.h"

#define MAX_INCLUDE_DEPTH 16
#define MAX_SECTION_DEPTH 64
#define MAX_FILE_SIZE (16u << 20)

G_DEFINE_QUARK(uipsec-settings-error-quark, uipsec_settings_error)

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
		if (!settings_path_valid(name) || name[strlen(name) - 1] == '.') {
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

