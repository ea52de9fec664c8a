/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crypto-gcrypt: libgcrypt (>= 1.8) as an ESP crypto provider. */
#include "config.h"
#include <dlfcn.h>
#include <stdio.h>
#include "gcrypt_plugin.h"

/* oldest libgcrypt with every mode used here (CCM, GCM, Poly1305, CMAC) */
#define GCRYPT_MIN_VERSION "1.8.0"

static int rng_bytes(void *state, uint8_t *buf, size_t len)
{
	/* IVs must be unpredictable (CBC): strong level, not the nonce generator */
	gcry_randomize(buf, len, GCRY_STRONG_RANDOM);
	return UIPSEC_OK;
}

const uipsec_rng_ops_t gcr_rng_ops = { .bytes = rng_bytes };

/* Stay loaded after the loader's dlclose: libgcrypt keeps global state
 * (RNG, algorithm caches) that would otherwise be unmapped while still
 * allocated, and cannot be torn down and set up again within a process. */
static void pin_module(void)
{
	Dl_info self;
	if (dladdr((void *)pin_module, &self) && self.dli_fname)
		(void)dlopen(self.dli_fname, RTLD_NOW | RTLD_NODELETE);
}

static int plugin_init(uipsec_plugin_ctx_t *ctx, void **state, uipsec_err_t *err)
{
	*state = NULL;
	pin_module();
	/* Someone else in the process may have initialised libgcrypt already;
	 * then only the version check is ours to do. */
	if (!gcry_check_version(GCRYPT_MIN_VERSION)) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "libgcrypt %s is older than %s",
			         gcry_check_version(NULL), GCRYPT_MIN_VERSION);
		return UIPSEC_ERR_NOTSUP;
	}
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		/* Handles are wiped by libgcrypt on close and our key copies by
		 * uipsec_memwipe, so no locked secure-memory pool is needed (it
		 * would cap the number of SAs). Since 1.6 libgcrypt is thread
		 * safe without callbacks. */
		gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	return UIPSEC_OK;
}

/* Both libraries have every ESP algorithm (OpenSSL >= 3.0, libgcrypt >= 1.8);
 * one missing in a particular build fails its self-test and is dropped. */
static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_ESP_ALL(&gcr_aead_ops, &gcr_cipher_ops, &gcr_integ_ops),
	UIPSEC_PROVIDE(UIPSEC_FT_RNG, 0, UIPSEC_PRIO_DEFAULT, &gcr_rng_ops),
	UIPSEC_FEATURE_END
};

UIPSEC_PLUGIN_DEFINE(crypto_gcrypt, "crypto-gcrypt", GCRYPT_VERSION,
                     "ESP crypto from libgcrypt",
                     features, NULL, plugin_init, NULL);
