/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Feature registry: the kept (resolved) features of loaded plugins and the
 * per-type checks run before a feature is kept. Filled by the plugin loader
 * at start-up, read at run time (possibly from worker threads). */
#include "config.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <uipsec/alg.h>
#include "plugin/feature_registry.h"

/* pthread, not GRWLock (a bare futex): ThreadSanitizer sees it */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static GPtrArray *kept;                 /* feature_provider_t*, in keep order */
static feature_check_fn checks[UIPSEC_FT_CUSTOM + 1];

static const char *const type_names[] = {
	[UIPSEC_FT_AEAD] = "AEAD",
	[UIPSEC_FT_CIPHER] = "CIPHER",
	[UIPSEC_FT_INTEG] = "INTEG",
	[UIPSEC_FT_RNG] = "RNG",
	[UIPSEC_FT_PKTIO] = "PKTIO",
	[UIPSEC_FT_NET] = "NET",
	[UIPSEC_FT_CUSTOM] = "CUSTOM",
};

static bool type_valid(unsigned type)
{
	return type > 0 && type < G_N_ELEMENTS(type_names);
}

const char *feature_describe(const uipsec_feature_t *f, char *buf, size_t len)
{
	const char *type = type_valid(f->type) ? type_names[f->type] : "UNKNOWN";

	if (f->type == UIPSEC_FT_CUSTOM) {
		snprintf(buf, len, "%s:%s", type, f->custom ? f->custom : "?");
	} else if (f->alg == 0) {
		snprintf(buf, len, "%s", type);
	} else {
		const uipsec_alg_info_t *info = uipsec_alg_info(f->alg);
		if (info)
			snprintf(buf, len, "%s:%s", type, info->name);
		else
			snprintf(buf, len, "%s:%u/%u/%u", type, (unsigned)UIPSEC_ALG_TYPE(f->alg),
			         (unsigned)UIPSEC_ALG_ID(f->alg), (unsigned)UIPSEC_ALG_BITS(f->alg));
	}
	return buf;
}

bool feature_matches(const uipsec_feature_t *p, const uipsec_feature_t *want)
{
	if (p->type != want->type)
		return false;
	if (want->type == UIPSEC_FT_CUSTOM)
		return !want->custom || (p->custom && strcmp(p->custom, want->custom) == 0);
	return want->alg == 0 || p->alg == want->alg;
}

void features_register_check(uipsec_feature_type_t type, feature_check_fn fn)
{
	g_return_if_fail(type_valid(type));
	pthread_rwlock_wrlock(&lock);
	checks[type] = fn;
	pthread_rwlock_unlock(&lock);
}

bool features_run_check(const feature_provider_t *p, uipsec_err_t *err)
{
	feature_check_fn fn;

	if (!type_valid(p->feature->type))
		return true;
	pthread_rwlock_rdlock(&lock);
	fn = checks[p->feature->type];
	pthread_rwlock_unlock(&lock);
	/* called unlocked: a check may look up other kept features */
	return fn ? fn(p, err) : true;
}

void features_keep(const feature_provider_t *p)
{
	pthread_rwlock_wrlock(&lock);
	if (!kept)
		kept = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(kept, g_memdup2(p, sizeof(*p)));
	pthread_rwlock_unlock(&lock);
}

void features_remove_plugin(const char *plugin)
{
	pthread_rwlock_wrlock(&lock);
	for (guint i = kept ? kept->len : 0; i-- > 0;) {
		const feature_provider_t *p = g_ptr_array_index(kept, i);
		if (strcmp(p->plugin, plugin) == 0)
			g_ptr_array_remove_index(kept, i);
	}
	pthread_rwlock_unlock(&lock);
}

void features_clear(void)
{
	pthread_rwlock_wrlock(&lock);
	g_clear_pointer(&kept, g_ptr_array_unref);
	pthread_rwlock_unlock(&lock);
}

/* best first: higher priority, then earlier in the load list, then table order */
static int provider_cmp(const void *a, const void *b)
{
	const feature_provider_t *x = *(const feature_provider_t *const *)a;
	const feature_provider_t *y = *(const feature_provider_t *const *)b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->load_index != y->load_index)
		return x->load_index < y->load_index ? -1 : 1;
	return x->feature < y->feature ? -1 : x->feature > y->feature;
}

size_t features_providers(uipsec_feature_type_t type, uint32_t alg, const char *custom,
                          const feature_provider_t **out, size_t max)
{
	const uipsec_feature_t want = { .kind = UIPSEC_FEAT_DEPENDS, .type = type,
	                                .alg = alg, .custom = custom };
	const feature_provider_t *stackbuf[32];
	const feature_provider_t **found = stackbuf;
	size_t n = 0, cap = G_N_ELEMENTS(stackbuf);

	pthread_rwlock_rdlock(&lock);
	for (guint i = 0; kept && i < kept->len; i++) {
		const feature_provider_t *p = g_ptr_array_index(kept, i);
		if (!feature_matches(p->feature, &want))
			continue;
		if (n == cap) {
			cap *= 2;
			found = found == stackbuf ? g_memdup2(stackbuf, sizeof(stackbuf))
			                          : found;
			found = g_renew(const feature_provider_t *, found, cap);
		}
		found[n++] = p;
	}
	pthread_rwlock_unlock(&lock);

	qsort(found, n, sizeof(*found), provider_cmp);
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = found[i];
	if (found != stackbuf)
		g_free(found);
	return n;
}

void features_foreach(void (*fn)(const feature_provider_t *p, void *user), void *user)
{
	pthread_rwlock_rdlock(&lock);
	guint n = kept ? kept->len : 0;
	const feature_provider_t **copy = g_new(const feature_provider_t *, n + 1);
	for (guint i = 0; i < n; i++)
		copy[i] = g_ptr_array_index(kept, i);
	pthread_rwlock_unlock(&lock);

	for (guint i = 0; i < n; i++)
		fn(copy[i], user);
	g_free(copy);
}

const void *uipsec_feature_get(uipsec_feature_type_t type, uint32_t alg,
                               const char *custom, void **plugin_state)
{
	const feature_provider_t *best = NULL;

	if (features_providers(type, alg, custom, &best, 1) == 0 || !best) {
		if (plugin_state)
			*plugin_state = NULL;
		return NULL;
	}
	if (plugin_state)
		*plugin_state = best->state;
	return best->feature->ops;
}
