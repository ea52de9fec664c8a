/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --list-plugins and the --check-config summary: every plugin of the load
 * list with its fate, then every feature with the provider that serves it
 * (the winner) and the others that could. */
#include "config.h"
#include <string.h>
#include <glib.h>
#include "plugin/feature_registry.h"
#include "daemon/daemon.h"
#include "plugin/plugin_loader.h"

typedef struct listing {
	FILE *out;
	bool verbose;
	GPtrArray *kinds;        /* const feature_provider_t*: one per distinct feature */
} listing_t;

static const char *status_name(plugin_status_t status)
{
	static const char *const names[] = {
		[PLUGIN_LOADED] = "loaded", [PLUGIN_FAILED] = "FAILED", [PLUGIN_SKIPPED] = "skipped",
	};
	return names[status];
}

typedef struct plugin_features {
	FILE *out;
	const char *plugin;
} plugin_features_t;

static void print_plugin_feature(const feature_provider_t *fp, void *user)
{
	plugin_features_t *pf = user;
	char buf[FEATURE_DESCRIBE_MAX];
	if (strcmp(fp->plugin, pf->plugin) == 0)
		fprintf(pf->out, "      provides %s (priority %d)\n",
		        feature_describe(fp->feature, buf, sizeof(buf)), fp->priority);
}

static void print_plugin(const plugin_info_t *p, void *user)
{
	listing_t *l = user;

	fprintf(l->out, "  %s%s  %s", p->name, p->critical ? "!" : "", status_name(p->status));
	if (p->version)
		fprintf(l->out, "  version %s", p->version);
	if (p->has_priority)
		fprintf(l->out, "  priority %d (uipsecd.plugins.%s.load)", p->priority, p->name);
	fprintf(l->out, "\n");
	if (l->verbose && p->path && strcmp(p->path, "-") != 0)
		fprintf(l->out, "      file: %s\n", p->path);
	if (p->status == PLUGIN_FAILED && p->reason)
		fprintf(l->out, "      reason: %s\n", p->reason);
	if (p->status == PLUGIN_LOADED && p->dropped)
		fprintf(l->out, "      %u feature(s) not loaded (see the log)\n", p->dropped);
	if (l->verbose && p->status == PLUGIN_LOADED) {
		plugin_features_t pf = { l->out, p->name };
		features_foreach(print_plugin_feature, &pf);
	}
}

static bool same_feature(const uipsec_feature_t *a, const uipsec_feature_t *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == UIPSEC_FT_CUSTOM)
		return g_strcmp0(a->custom, b->custom) == 0;
	return a->alg == b->alg;
}

static void collect_kind(const feature_provider_t *fp, void *user)
{
	listing_t *l = user;
	for (guint i = 0; i < l->kinds->len; i++) {
		const feature_provider_t *k = g_ptr_array_index(l->kinds, i);
		if (same_feature(k->feature, fp->feature))
			return;
	}
	g_ptr_array_add(l->kinds, (gpointer)fp);
}

static int kind_cmp(const void *a, const void *b)
{
	const feature_provider_t *x = *(const feature_provider_t *const *)a;
	const feature_provider_t *y = *(const feature_provider_t *const *)b;
	char bx[FEATURE_DESCRIBE_MAX], by[FEATURE_DESCRIBE_MAX];
	if (x->feature->type != y->feature->type)
		return x->feature->type < y->feature->type ? -1 : 1;
	return strcmp(feature_describe(x->feature, bx, sizeof(bx)),
	              feature_describe(y->feature, by, sizeof(by)));
}

static void print_features(listing_t *l)
{
	features_foreach(collect_kind, l);
	g_ptr_array_sort(l->kinds, kind_cmp);

	fprintf(l->out, "features (winner first):\n");
	if (l->kinds->len == 0)
		fprintf(l->out, "  (none)\n");
	for (guint i = 0; i < l->kinds->len; i++) {
		const feature_provider_t *k = g_ptr_array_index(l->kinds, i);
		const uipsec_feature_t *f = k->feature;
		char buf[FEATURE_DESCRIBE_MAX];
		const feature_provider_t *prov[16];
		size_t n = features_providers(f->type, f->type == UIPSEC_FT_CUSTOM ? 0 : f->alg,
		                              f->type == UIPSEC_FT_CUSTOM ? f->custom : NULL,
		                              prov, G_N_ELEMENTS(prov));
		fprintf(l->out, "  %-28s", feature_describe(f, buf, sizeof(buf)));
		unsigned shown = 0;
		for (size_t j = 0; j < n && j < G_N_ELEMENTS(prov); j++) {
			/* a lookup of alg 0 ("any") matches every alg: list exact ones */
			if (!same_feature(prov[j]->feature, f))
				continue;
			fprintf(l->out, "%s%s (priority %d)%s", shown ? ", " : " ", prov[j]->plugin,
			        prov[j]->priority, shown ? "" : " [in use]");
			shown++;
		}
		fprintf(l->out, "\n");
	}
}

void daemon_print_plugins(FILE *out, bool verbose)
{
	listing_t l = { out, verbose, g_ptr_array_new() };
	fprintf(out, "plugins (load order):\n");
	plugin_loader_foreach(print_plugin, &l);
	print_features(&l);
	g_ptr_array_unref(l.kinds);
}
