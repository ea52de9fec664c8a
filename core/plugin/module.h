/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Module seam: the one place that opens shared objects. Two
 * implementations, chosen at configure time (--with-module-loader):
 * module_ltdl.c (libltdl) and module_gmodule.c (GModule). The plugin loader
 * sees only this interface (internal API). */
#ifndef UIPSEC_CORE_MODULE_H
#define UIPSEC_CORE_MODULE_H

#include <stdbool.h>

typedef struct module module_t;

/* Open the shared object at path with local symbol binding. On failure
 * returns NULL and *error (free with g_free) holds the dynamic loader's
 * own message, as specific as the platform gives it (e.g. the name of a
 * missing shared library). */
module_t *module_open(const char *path, char **error);
/* Address of symbol, or NULL when the module does not export it. */
void *module_symbol(module_t *m, const char *symbol);
void module_close(module_t *m);

/* File name endings tried in each directory, most preferred first
 * (NULL-terminated): ".so" everywhere, ".la" too with libltdl. */
const char *const *module_suffixes(void);
/* "ltdl" or "gmodule" */
const char *module_loader_name(void);

#endif
