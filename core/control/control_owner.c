/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Owner names <-> ids and the per-owner reqid namespaces (control_owner.h). */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include "control/control_owner.h"

static GPtrArray *names;          /* id -> name */
static GHashTable *to_internal;   /* (owner << 32 | client) -> internal */
static GHashTable *to_client;     /* internal -> client */
static uint32_t next_internal = CONTROL_REQID_BASE;

static void owners_init(void)
{
	if (names)
		return;
	names = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(names, g_strdup(CONTROL_OWNER_CONFIG));
	g_ptr_array_add(names, g_strdup(CONTROL_OWNER_DEFAULT));
	to_internal = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	to_client = g_hash_table_new(g_direct_hash, g_direct_equal);
}

int control_owner_id(const char *name, bool create, uint16_t *id, uipsec_err_t *err)
{
	owners_init();
	if (!name || !name[0])
		name = CONTROL_OWNER_DEFAULT;
	for (guint i = 0; i < names->len; i++)
		if (strcmp(names->pdata[i], name) == 0) {
			*id = (uint16_t)i;
			return UIPSEC_OK;
		}
	if (!create) {
		snprintf(err->msg, sizeof(err->msg), "no owner '%s'", name);
		return UIPSEC_ERR_NOTFOUND;
	}
	if (names->len >= CONTROL_OWNERS_MAX) {
		snprintf(err->msg, sizeof(err->msg), "too many owners (%u)", CONTROL_OWNERS_MAX);
		return UIPSEC_ERR_NOMEM;
	}
	*id = (uint16_t)names->len;
	g_ptr_array_add(names, g_strdup(name));
	return UIPSEC_OK;
}

const char *control_owner_name(uint16_t id)
{
	owners_init();
	return id < names->len ? names->pdata[id] : "?";
}

int control_reqid_map(uint16_t owner, uint32_t client, uint32_t *internal, uipsec_err_t *err)
{
	owners_init();
	if (owner == CONTROL_OWNER_CONFIG_ID || !client) {
		*internal = client;
		return UIPSEC_OK;
	}
	gint64 key = (gint64)owner << 32 | client;
	gpointer v = g_hash_table_lookup(to_internal, &key);
	if (v) {
		*internal = GPOINTER_TO_UINT(v);
		return UIPSEC_OK;
	}
	if (g_hash_table_size(to_client) >= CONTROL_REQIDS_MAX) {
		snprintf(err->msg, sizeof(err->msg), "too many reqids in use (%u)", CONTROL_REQIDS_MAX);
		return UIPSEC_ERR_NOMEM;
	}
	*internal = next_internal++;
	g_hash_table_insert(to_internal, g_memdup2(&key, sizeof(key)), GUINT_TO_POINTER(*internal));
	g_hash_table_insert(to_client, GUINT_TO_POINTER(*internal), GUINT_TO_POINTER(client));
	return UIPSEC_OK;
}

uint32_t control_reqid_client(uint32_t internal)
{
	gpointer v = to_client ? g_hash_table_lookup(to_client, GUINT_TO_POINTER(internal)) : NULL;
	return v ? GPOINTER_TO_UINT(v) : internal;
}

void control_owner_reset(void)
{
	if (!names)
		return;
	g_ptr_array_free(names, TRUE);
	g_hash_table_destroy(to_internal);
	g_hash_table_destroy(to_client);
	names = NULL;
	to_internal = to_client = NULL;
	next_internal = CONTROL_REQID_BASE;
}
