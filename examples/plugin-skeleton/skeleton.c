/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsec plugin skeleton: the smallest complete third-party plugin.
 *
 * It provides one CUSTOM feature, "skeleton-hello", whose operations table
 * other plugins can look up with
 *     uipsec_feature_get(UIPSEC_FT_CUSTOM, 0, "skeleton-hello", &state);
 * and has one option, uipsecd.plugins.skeleton.greeting. Build it with the
 * Makefile next to this file (pkg-config uipsec-plugin only). */
#include <stdlib.h>
#include <string.h>
#include <uipsec/log.h>
#include <uipsec/plugin.h>

/* What this plugin offers other code: a table of functions. */
typedef struct skeleton_hello_ops {
	const char *(*greeting)(void *state);
} skeleton_hello_ops_t;

typedef struct skeleton_state {
	char *greeting;
} skeleton_state_t;

static const char *skeleton_greeting(void *state)
{
	return ((skeleton_state_t *)state)->greeting;
}

static const skeleton_hello_ops_t hello_ops = { .greeting = skeleton_greeting };

/* Feature table: one PROVIDE. A DEPENDS line after it would make the
 * feature conditional on another feature being loaded, e.g.
 *     UIPSEC_DEPENDS(UIPSEC_FT_RNG, 0),                                */
static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("skeleton-hello", UIPSEC_PRIO_DEFAULT, &hello_ops),
	UIPSEC_FEATURE_END
};

/* Options, relative to uipsecd.plugins.skeleton. (uipsecd --help-options) */
static const uipsec_option_t options[] = {
	{ "greeting", UIPSEC_OPT_STRING, "hello", "what skeleton-hello says" },
	UIPSEC_OPTION_END
};

static int skeleton_init(uipsec_plugin_ctx_t *ctx, void **state, uipsec_err_t *err)
{
	skeleton_state_t *st = calloc(1, sizeof(*st));
	if (!st) {
		strcpy(err->msg, "out of memory");
		return UIPSEC_ERR_NOMEM;
	}
	st->greeting = strdup(uipsec_plugin_opt_str(ctx, "greeting", "hello"));
	if (!st->greeting) {
		free(st);
		strcpy(err->msg, "out of memory");
		return UIPSEC_ERR_NOMEM;
	}
	uinfo("skeleton", "skeleton plugin ready, greeting '%s'", st->greeting);
	*state = st;
	return UIPSEC_OK;
}

static void skeleton_fini(void *state)
{
	skeleton_state_t *st = state;
	free(st->greeting);
	free(st);
}

/* Exports the descriptor uipsec_plugin_skeleton (name "skeleton", so the
 * file must be uipsec-skeleton.so). */
UIPSEC_PLUGIN_DEFINE(skeleton, "skeleton", "1.0", "example third-party plugin",
                     features, options, skeleton_init, skeleton_fini);
