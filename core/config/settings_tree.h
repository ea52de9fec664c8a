/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The settings tree behind uipsec_settings_t, shared by the store
 * (settings_store.c) and the parser that fills it (settings_parser.c).
 *
 * The tree is sections of keys and subsections, both kept in order of first
 * definition (for uipsec_settings_sections() and deterministic messages) and
 * indexed by name. */
#ifndef UIPSEC_CORE_SETTINGS_TREE_H
#define UIPSEC_CORE_SETTINGS_TREE_H

#include <stdbool.h>
#include <glib.h>
#include <uipsec/settings.h>

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

section_t *section_new(const char *name);
void section_free(gpointer data);
/* The subsection name of sec; created when missing and create is set. */
section_t *section_sub(section_t *sec, const char *name, bool create);
/* Later definitions win: the value and origin are replaced, the position of
 * the first definition is kept. Takes ownership of value and origin. */
void section_set(section_t *sec, const char *name, char *value, char *origin);
/* Every key and subsection of src set in dst. */
void section_merge(section_t *dst, const section_t *src);
/* A dotted path of non-empty names. */
bool settings_path_valid(const char *key);

#endif
