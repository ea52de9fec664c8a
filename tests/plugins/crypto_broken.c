/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test plugin "crypto-broken": an AES-GCM that computes a wrong ICV and an
 * RNG that repeats itself. The core's self-tests must drop both. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <uipsec/crypto.h>
#include <uipsec/plugin.h>

static int create(void *state, uint32_t alg, const uint8_t *key, size_t key_len, void **ctx)
{
	*ctx = calloc(1, 1);
	return *ctx ? UIPSEC_OK : UIPSEC_ERR_NOMEM;
}

static int clone_ctx(void *ctx, void **copy)
{
	return create(NULL, 0, NULL, 0, copy);
}

/* "encrypts" by leaving the data alone and emitting a zero tag */
static int encrypt(void *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
                   uint8_t *data, size_t len, uint8_t *icv)
{
	memset(icv, 0, 16);
	return UIPSEC_OK;
}

static int decrypt(void *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
                   uint8_t *data, size_t len, const uint8_t *icv)
{
	return UIPSEC_OK;
}

static const uipsec_aead_ops_t aead_ops = {
	.create = create, .clone = clone_ctx, .encrypt = encrypt, .decrypt = decrypt, .destroy = free,
};

static int rng_bytes(void *state, uint8_t *buf, size_t len)
{
	memset(buf, 0x42, len);
	return UIPSEC_OK;
}

static const uipsec_rng_ops_t rng_ops = { .bytes = rng_bytes };

static const uipsec_feature_t features[] = {
	UIPSEC_PROVIDE(UIPSEC_FT_AEAD, UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_AES_GCM_16, 128),
	               UIPSEC_PRIO_DEFAULT, &aead_ops),
	UIPSEC_PROVIDE(UIPSEC_FT_RNG, 0, UIPSEC_PRIO_DEFAULT, &rng_ops),
	UIPSEC_FEATURE_END
};

UIPSEC_PLUGIN_DEFINE(crypto_broken, "crypto-broken", "1.0", "deliberately wrong crypto (tests)",
                     features, NULL, NULL, NULL);
