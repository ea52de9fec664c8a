/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: links a shared library that is not installed anywhere the
 * dynamic loader looks, so opening it fails with the loader's message. */
#include <uipsec/plugin.h>

int uipsec_test_gone(void);

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("missing-lib", 0, NULL),
	UIPSEC_FEATURE_END
};

static int init(uipsec_plugin_ctx_t *ctx, void **state, uipsec_err_t *err)
{
	return uipsec_test_gone();
}

UIPSEC_PLUGIN_DEFINE(missing_lib, "missing-lib", "1.0", "needs a missing library",
                     features, NULL, init, NULL);
