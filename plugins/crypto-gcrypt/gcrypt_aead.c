/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crypto-gcrypt: AEADs (AES-GCM, AES-CCM, AES-GMAC, ChaCha20-Poly1305).
 * One gcry_cipher_hd_t keyed at create; a packet only sets the nonce
 * (salt || iv), which also resets the mode's state. */
#include "config.h"
#include <string.h>
#include "gcrypt_plugin.h"

typedef enum aead_mode { MODE_GCM, MODE_CCM, MODE_GMAC, MODE_CHACHA } aead_mode_t;

typedef struct gcr_aead {
	uint32_t alg;
	aead_mode_t mode;
	gcry_cipher_hd_t hd;
	size_t icv_len, salt_len, key_len;
	uint8_t key[36];   /* kept for clone(), wiped on destroy */
	uint8_t nonce[16]; /* salt || iv: the salt is written once, at create */
} gcr_aead_t;

static void aead_destroy(void *ctx)
{
	gcr_aead_t *a = ctx;
	if (!a)
		return;
	gcry_cipher_close(a->hd);   /* libgcrypt wipes the handle */
	uipsec_memwipe(a, sizeof(*a));
	gcry_free(a);
}

static int aead_create(void *state, uint32_t alg, const uint8_t *key, size_t key_len, void **out)
{
	const uipsec_alg_info_t *info = uipsec_alg_info(alg);
	int algo = gcr_aes_algo(UIPSEC_ALG_BITS(alg)), mode;
	aead_mode_t m;
	*out = NULL;
	if (!info || info->kind != UIPSEC_ALG_KIND_AEAD)
		return UIPSEC_ERR_NOTSUP;
	switch (UIPSEC_ALG_ID(alg)) {
	case UIPSEC_ENCR_AES_GCM_8: case UIPSEC_ENCR_AES_GCM_12: case UIPSEC_ENCR_AES_GCM_16:
		m = MODE_GCM; mode = GCRY_CIPHER_MODE_GCM; break;
	case UIPSEC_ENCR_NULL_AUTH_AES_GMAC:
		m = MODE_GMAC; mode = GCRY_CIPHER_MODE_GCM; break;
	case UIPSEC_ENCR_AES_CCM_8: case UIPSEC_ENCR_AES_CCM_12: case UIPSEC_ENCR_AES_CCM_16:
		m = MODE_CCM; mode = GCRY_CIPHER_MODE_CCM; break;
	case UIPSEC_ENCR_CHACHA20_POLY1305:
		m = MODE_CHACHA; mode = GCRY_CIPHER_MODE_POLY1305; algo = GCRY_CIPHER_CHACHA20; break;
	default:
		return UIPSEC_ERR_NOTSUP;
	}
	if (!algo)
		return UIPSEC_ERR_NOTSUP;
	if (key_len != info->key_size || key_len > sizeof(((gcr_aead_t *)0)->key))
		return UIPSEC_ERR_INVAL;
	gcr_aead_t *a = gcry_calloc(1, sizeof(*a));
	if (!a)
		return UIPSEC_ERR_NOMEM;
	a->alg = alg;
	a->mode = m;
	a->icv_len = info->icv_size;
	a->salt_len = info->salt_size;
	a->key_len = key_len;
	memcpy(a->key, key, key_len);
	memcpy(a->nonce, key + key_len - a->salt_len, a->salt_len);
	if (gcry_cipher_open(&a->hd, algo, mode, 0) ||
	    gcry_cipher_setkey(a->hd, key, key_len - a->salt_len)) {
		aead_destroy(a);
		return UIPSEC_ERR_NOTSUP;
	}
	*out = a;
	return UIPSEC_OK;
}

static int aead_clone(void *ctx, void **copy)
{
	gcr_aead_t *a = ctx;
	return aead_create(NULL, a->alg, a->key, a->key_len, copy);
}

/* Nonce and AAD; for GMAC also the IV and the payload (RFC 4543 3.5). */
static int aead_start(gcr_aead_t *a, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
                      const uint8_t *data, size_t len)
{
	memcpy(a->nonce + a->salt_len, iv, 8);
	if (gcry_cipher_setiv(a->hd, a->nonce, a->salt_len + 8))
		return UIPSEC_ERR;
	if (a->mode == MODE_CCM) {
		uint64_t lengths[3] = { len, aad_len, a->icv_len };
		if (gcry_cipher_ctl(a->hd, GCRYCTL_SET_CCM_LENGTHS, lengths, sizeof(lengths)))
			return UIPSEC_ERR;
	}
	if (aad_len && gcry_cipher_authenticate(a->hd, aad, aad_len))
		return UIPSEC_ERR;
	if (a->mode == MODE_GMAC &&
	    (gcry_cipher_authenticate(a->hd, iv, 8) ||
	     (len && gcry_cipher_authenticate(a->hd, data, len))))
		return UIPSEC_ERR;
	return UIPSEC_OK;
}

static int aead_encrypt(void *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
                        uint8_t *data, size_t len, uint8_t *icv)
{
	gcr_aead_t *a = ctx;
	int rc = aead_start(a, iv, aad, aad_len, data, len);
	if (rc)
		return rc;
	if (a->mode != MODE_GMAC && len && gcry_cipher_encrypt(a->hd, data, len, NULL, 0))
		return UIPSEC_ERR;
	if (gcry_cipher_gettag(a->hd, icv, a->icv_len))
		return UIPSEC_ERR;
	return UIPSEC_OK;
}

static int aead_decrypt(void *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
                        uint8_t *data, size_t len, const uint8_t *icv)
{
	gcr_aead_t *a = ctx;
	int rc = aead_start(a, iv, aad, aad_len, data, len);
	if (rc)
		return rc;
	if (a->mode != MODE_GMAC && len && gcry_cipher_decrypt(a->hd, data, len, NULL, 0))
		return UIPSEC_ERR;
	gcry_error_t e = gcry_cipher_checktag(a->hd, icv, a->icv_len);
	if (gcry_err_code(e) == GPG_ERR_CHECKSUM)
		return UIPSEC_ERR_AUTH;
	return e ? UIPSEC_ERR : UIPSEC_OK;
}

const uipsec_aead_ops_t gcr_aead_ops = {
	.create = aead_create,
	.clone = aead_clone,
	.encrypt = aead_encrypt,
	.decrypt = aead_decrypt,
	.destroy = aead_destroy,
};
