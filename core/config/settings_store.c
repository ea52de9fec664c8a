/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Settings store: the tree of sections and keys (settings_tree.h), command
 * line overrides, iteration, and the typed getters of <uipsec/settings.h>. */
#include "config.h"
#include <string.h>
#include "config/settings_parser.h"
#include "config/settings_tree.h"

#define ORIGIN_COMMAND_LINE "(command line)"

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

section_t *section_new(const char *name)
{
	section_t *sec = g_new0(section_t, 1);
	sec->name = g_strdup(name);
	sec->kv_index = g_hash_table_new(g_str_hash, g_str_equal);
	sec->kvs = g_ptr_array_new_with_free_func(kv_free);
	sec->sub_index = g_hash_table_new(g_str_hash, g_str_equal);
	sec->subs = g_ptr_array_new_with_free_func(section_free);
	return sec;
}

void section_free(gpointer data)
{
	section_t *sec = data;
	g_hash_table_destroy(sec->kv_index);
	g_ptr_array_free(sec->kvs, TRUE);
	g_hash_table_destroy(sec->sub_index);
	g_ptr_array_free(sec->subs, TRUE);
	g_free(sec->name);
	g_free(sec);
}

section_t *section_sub(section_t *sec, const char *name, bool create)
{
	section_t *sub = g_hash_table_lookup(sec->sub_index, name);
	if (!sub && create) {
		sub = section_new(name);
		g_ptr_array_add(sec->subs, sub);
		g_hash_table_insert(sec->sub_index, sub->name, sub);
	}
	return sub;
}

void section_set(section_t *sec, const char *name, char *value, char *origin)
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

void section_merge(section_t *dst, const section_t *src)
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
 * Returns NULL when a section is missing. Components of any length: the
 * parser accepts long section names, and refusing them here made such a
 * section's settings unreachable (found by fuzz-config). */
static section_t *find_section(const section_t *root, const char *path, size_t n_parts)
{
	section_t *sec = (section_t *)root;
	const char *p = path;
	char buf[256];
	for (size_t i = 0; i < n_parts && sec; i++) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0)
			return NULL;
		char *comp = len < sizeof(buf) ? buf : g_malloc(len + 1);
		memcpy(comp, p, len);
		comp[len] = '\0';
		sec = g_hash_table_lookup(sec->sub_index, comp);
		if (comp != buf)
			g_free(comp);
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

bool settings_path_valid(const char *key)
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
	if (!s || !settings_path_valid(key) || !value)
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
