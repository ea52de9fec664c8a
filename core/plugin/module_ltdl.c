/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Module seam implemented with libltdl. lt_dlerror() often says only
 * "file not found" when a dependency of the module is missing, so on
 * failure the real reason is asked from dlopen() itself. */
#include "config.h"
#include <pthread.h>
#include <string.h>
#include <glib.h>
#include <ltdl.h>
#ifdef HAVE_DLFCN_H
#include <dlfcn.h>
#endif
#include "plugin/module.h"

struct module {
	lt_dlhandle handle;
};

/* pthread, not GMutex (a bare futex): ThreadSanitizer sees it */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned init_count;

static bool ltdl_ref(void)
{
	bool ok = true;
	pthread_mutex_lock(&init_lock);
	if (init_count == 0)
		ok = lt_dlinit() == 0;
	if (ok)
		init_count++;
	pthread_mutex_unlock(&init_lock);
	return ok;
}

static void ltdl_unref(void)
{
	pthread_mutex_lock(&init_lock);
	if (init_count && --init_count == 0)
		lt_dlexit();
	pthread_mutex_unlock(&init_lock);
}

/* The shared object a libtool archive names (dlname='...'), installed
 * next to it or, uninstalled, in .libs/. NULL if none exists. */
static char *la_shared_object(const char *la)
{
	char *text = NULL, *found = NULL;
	if (!g_file_get_contents(la, &text, NULL, NULL))
		return NULL;
	const char *line = strstr(text, "\ndlname='");
	if (line) {
		line += strlen("\ndlname='");
		char *dlname = g_strndup(line, strcspn(line, "'\n"));
		char *dir = g_path_get_dirname(la);
		char *candidates[] = {
			g_build_filename(dir, dlname, NULL),
			g_build_filename(dir, ".libs", dlname, NULL),
		};
		for (size_t i = 0; i < G_N_ELEMENTS(candidates); i++) {
			if (!found && *dlname && g_file_test(candidates[i], G_FILE_TEST_IS_REGULAR))
				found = g_strdup(candidates[i]);
			g_free(candidates[i]);
		}
		g_free(dir);
		g_free(dlname);
	}
	g_free(text);
	return found;
}

/* dlopen()'s message names the missing library or the bad file. */
static char *native_error(const char *path, const char *ltdl_msg)
{
#ifdef HAVE_DLFCN_H
	if (g_str_has_suffix(path, ".la")) {  /* a libtool archive is not ELF: ask its .so */
		char *so = la_shared_object(path);
		char *msg = so ? native_error(so, ltdl_msg) : g_strdup(ltdl_msg ? ltdl_msg : "unknown error");
		g_free(so);
		return msg;
	}
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *msg = dlerror();
		if (msg && *msg)
			return g_strdup(msg);
	} else {
		dlclose(h);
	}
#else
	(void)path;
#endif
	return g_strdup(ltdl_msg ? ltdl_msg : "unknown error");
}

module_t *module_open(const char *path, char **error)
{
	lt_dladvise advise;
	lt_dlhandle h = NULL;

	if (!ltdl_ref()) {
		*error = g_strdup_printf("libltdl initialisation failed: %s", lt_dlerror());
		return NULL;
	}
	if (lt_dladvise_init(&advise) == 0) {
		lt_dladvise_local(&advise);
		h = lt_dlopenadvise(path, advise);
		lt_dladvise_destroy(&advise);
	}
	if (!h) {
		*error = native_error(path, lt_dlerror());
		ltdl_unref();
		return NULL;
	}
	module_t *m = g_new0(module_t, 1);
	m->handle = h;
	return m;
}

void *module_symbol(module_t *m, const char *symbol)
{
	return lt_dlsym(m->handle, symbol);
}

void module_close(module_t *m)
{
	if (!m)
		return;
	lt_dlclose(m->handle);
	g_free(m);
	ltdl_unref();
}

const char *const *module_suffixes(void)
{
	static const char *const suffixes[] = { ".so", ".la", NULL };
	return suffixes;
}

const char *module_loader_name(void)
{
	return "ltdl";
}
