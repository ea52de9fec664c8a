/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crypto-openssl: OpenSSL (libcrypto >= 1.1.1; 3.x uses fetched
 * algorithms) as an ESP crypto provider. */
#include "config.h"
#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <stdio.h>
#include "openssl_plugin.h"

const char *const ossl_cipher_names[OSSL_CIPHER_COUNT] = {
	[OSSL_GCM_128] = "AES-128-GCM", [OSSL_GCM_192] = "AES-192-GCM", [OSSL_GCM_256] = "AES-256-GCM",
	[OSSL_CCM_128] = "AES-128-CCM", [OSSL_CCM_192] = "AES-192-CCM", [OSSL_CCM_256] = "AES-256-CCM",
	[OSSL_CBC_128] = "AES-128-CBC", [OSSL_CBC_192] = "AES-192-CBC", [OSSL_CBC_256] = "AES-256-CBC",
	[OSSL_CTR_128] = "AES-128-CTR", [OSSL_CTR_192] = "AES-192-CTR", [OSSL_CTR_256] = "AES-256-CTR",
	[OSSL_CHACHA20_POLY1305] = "ChaCha20-Poly1305",
};

static int rng_bytes(void *state, uint8_t *buf, size_t len)
{
	while (len) {
		int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
		if (RAND_bytes(buf, chunk) != 1)
			return UIPSEC_ERR;
		buf += chunk;
		len -= (size_t)chunk;
	}
	return UIPSEC_OK;
}

const uipsec_rng_ops_t ossl_rng_ops = { .bytes = rng_bytes };

static void plugin_fini(void *state)
{
	ossl_state_t *st = state;
	if (!st)
		return;
	for (int i = 0; i < OSSL_CIPHER_COUNT; i++)
		EVP_CIPHER_free(st->cipher[i]);
	EVP_MAC_free(st->hmac);
	EVP_MAC_free(st->cmac);
	OPENSSL_free(st);
}

/* Stay loaded after the loader's dlclose: libcrypto keeps global state
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
	ossl_state_t *st = OPENSSL_zalloc(sizeof(*st));
	if (!st)
		return UIPSEC_ERR_NOMEM;
	pin_module();
	/* A missing algorithm leaves NULL: its create() fails, so the core's
	 * self-test logs it and drops the feature. */
	for (int i = 0; i < OSSL_CIPHER_COUNT; i++)
		st->cipher[i] = EVP_CIPHER_fetch(NULL, ossl_cipher_names[i], NULL);
	st->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	st->cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	ERR_clear_error();
	*state = st;
	return UIPSEC_OK;
}

/* Both libraries have every ESP algorithm (OpenSSL >= 3.0, libgcrypt >= 1.8);
 * one missing in a particular build fails its self-test and is dropped. */
static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE_ESP_ALL(&ossl_aead_ops, &ossl_cipher_ops, &ossl_integ_ops),
	UIPSEC_PROVIDE(UIPSEC_FT_RNG, 0, UIPSEC_PRIO_DEFAULT, &ossl_rng_ops),
	UIPSEC_FEATURE_END
};

UIPSEC_PLUGIN_DEFINE(crypto_openssl, "crypto-openssl", OPENSSL_VERSION_TEXT,
                     "ESP crypto from OpenSSL libcrypto",
                     features, NULL, plugin_init, plugin_fini);
