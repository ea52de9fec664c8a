/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugins order-user and order-base (one source): order-user needs
 * order-base's feature, so order-base is activated first and unloaded
 * last whatever the load list says. init/fini log to show the order. */
#include <uipsec/log.h>
#include <uipsec/plugin.h>

#ifdef ORDER_USER
static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("order-user", 0, NULL),
		UIPSEC_DEPENDS_CUSTOM("order-base"),
	UIPSEC_FEATURE_END
};
#define NAME "order-user"
#define IDENT order_user
#else
static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("order-base", 0, NULL),
	UIPSEC_FEATURE_END
};
#define NAME "order-base"
#define IDENT order_base
#endif

static int marker;

static int init(uipsec_plugin_ctx_t *ctx, void **state, uipsec_err_t *err)
{
	*state = &marker;
	uinfo(NAME, "init %s", NAME);
	return UIPSEC_OK;
}

static void fini(void *state)
{
	/* state must be what init() set */
	uinfo(NAME, "fini %s%s", NAME, state == &marker ? "" : " (wrong state)");
}

#define DEFINE(ident) UIPSEC_PLUGIN_DEFINE(ident, NAME, "1.0", "unload order test", \
                                           features, NULL, init, fini)
DEFINE(IDENT);
