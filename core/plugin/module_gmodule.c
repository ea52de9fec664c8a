/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Module seam implemented with GModule (its error message already is the
 * platform loader's own, e.g. dlerror()). */
#include "config.h"
#include <glib.h>
#include <gmodule.h>
#include "plugin/module.h"

struct module {
	GModule *handle;
};

module_t *module_open(const char *path, char **error)
{
	GModule *h = g_module_open(path, G_MODULE_BIND_LOCAL);
	if (!h) {
		*error = g_strdup(g_module_error());
		return NULL;
	}
	module_t *m = g_new0(module_t, 1);
	m->handle = h;
	return m;
}

void *module_symbol(module_t *m, const char *symbol)
{
	void *addr = NULL;
	if (!g_module_symbol(m->handle, symbol, &addr))
		return NULL;
	return addr;
}

void module_close(module_t *m)
{
	if (!m)
		return;
	g_module_close(m->handle);
	g_free(m);
}

const char *const *module_suffixes(void)
{
	static const char *const suffixes[] = { ".so", NULL };
	return suffixes;
}

const char *module_loader_name(void)
{
	return "gmodule";
}
