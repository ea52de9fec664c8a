/* crypto-gcrypt: libgcrypt (>= 1.8) as an ESP crypto provider. */
#include "config.h"
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

static int plugin_init(uipsec_plugin_ctx_t *ctx, void **state, uipsec_err_t *err)
{
	*state = NULL;
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

#define E(id, bits) UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_##id, bits)
#define I(id, bits) UIPSEC_ALG(UIPSEC_TT_INTEG, UIPSEC_AUTH_##id, bits)
#define AEAD(id, bits) UIPSEC_PROVIDE(UIPSEC_FT_AEAD, E(id, bits), UIPSEC_PRIO_DEFAULT, &gcr_aead_ops)
#define AEAD3(id) AEAD(id, 128), AEAD(id, 192), AEAD(id, 256)
#define CIPHER(id, bits) UIPSEC_PROVIDE(UIPSEC_FT_CIPHER, E(id, bits), UIPSEC_PRIO_DEFAULT, &gcr_cipher_ops)
#define INTEG(id, bits) UIPSEC_PROVIDE(UIPSEC_FT_INTEG, I(id, bits), UIPSEC_PRIO_DEFAULT, &gcr_integ_ops)

static const uipsec_feature_t features[] = {
	AEAD3(AES_GCM_16), AEAD3(AES_GCM_12), AEAD3(AES_GCM_8),
	AEAD(CHACHA20_POLY1305, 256),
	AEAD3(AES_CCM_16), AEAD3(AES_CCM_12), AEAD3(AES_CCM_8),
	AEAD3(NULL_AUTH_AES_GMAC),
	CIPHER(AES_CBC, 128), CIPHER(AES_CBC, 192), CIPHER(AES_CBC, 256),
	CIPHER(AES_CTR, 128), CIPHER(AES_CTR, 192), CIPHER(AES_CTR, 256),
	/* ENCR_NULL spelled out: NULL is a macro */
	UIPSEC_PROVIDE(UIPSEC_FT_CIPHER, UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_NULL, 0), UIPSEC_PRIO_DEFAULT, &gcr_cipher_ops),
	INTEG(HMAC_SHA1_96, 160),
	INTEG(HMAC_SHA2_256_128, 256),
	INTEG(HMAC_SHA2_384_192, 384),
	INTEG(HMAC_SHA2_512_256, 512),
	INTEG(AES_CMAC_96, 128),
	UIPSEC_PROVIDE(UIPSEC_FT_RNG, 0, UIPSEC_PRIO_DEFAULT, &gcr_rng_ops),
	UIPSEC_FEATURE_END
};

UIPSEC_PLUGIN_DEFINE(crypto_gcrypt, "crypto-gcrypt", GCRYPT_VERSION,
                     "ESP crypto from libgcrypt",
                     features, NULL, plugin_init, NULL);
