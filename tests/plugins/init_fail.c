/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin: init() fails with a message. */
#include <stdio.h>
#include <uipsec/plugin.h>

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_CUSTOM("init-fail", 0, NULL),
	UIPSEC_FEATURE_END
};

static int init(uipsec_plugin_ctx_t *ctx, void **state, uipsec_err_t *err)
{
	snprintf(err->msg, sizeof(err->msg), "cannot open /dev/uipsec-test: %s",
	         uipsec_plugin_opt_str(ctx, "why", "no such device"));
	return UIPSEC_ERR_IO;
}

UIPSEC_PLUGIN_DEFINE(init_fail, "init-fail", "1.0", "init fails", features, NULL, init, NULL);
