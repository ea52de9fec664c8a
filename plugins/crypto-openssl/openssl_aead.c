/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crypto-openssl: AEADs (AES-GCM, AES-CCM, AES-GMAC, ChaCha20-Poly1305).
 * One EVP_CIPHER_CTX per direction is keyed once at create; a packet only
 * sets the nonce (salt || iv), so nothing is allocated per packet. */
#include "config.h"
#include <limits.h>
#include <string.h>
#include <openssl/crypto.h>
#include "openssl_plugin.h"

typedef enum aead_mode { MODE_GCM, MODE_CCM, MODE_GMAC, MODE_CHACHA } aead_mode_t;

typedef struct ossl_aead {
	ossl_state_t *st;
	uint32_t alg;
	aead_mode_t mode;
	EVP_CIPHER_CTX *enc, *dec;
	size_t icv_len, salt_len, key_len;
	uint8_t key[36];   /* kept for clone(), wiped on destroy */
	uint8_t nonce[16]; /* salt || iv: the salt is written once, at create */
} ossl_aead_t;

static int aead_mode(uint32_t alg, aead_mode_t *mode, int *cipher_idx)
{
	int bits_idx = ossl_aes_idx(UIPSEC_ALG_BITS(alg));
	switch (UIPSEC_ALG_ID(alg)) {
	case UIPSEC_ENCR_AES_GCM_8: case UIPSEC_ENCR_AES_GCM_12: case UIPSEC_ENCR_AES_GCM_16:
		*mode = MODE_GCM;
		*cipher_idx = OSSL_GCM_128 + bits_idx;
		break;
	case UIPSEC_ENCR_NULL_AUTH_AES_GMAC:
		*mode = MODE_GMAC;
		*cipher_idx = OSSL_GCM_128 + bits_idx;
		break;
	case UIPSEC_ENCR_AES_CCM_8: case UIPSEC_ENCR_AES_CCM_12: case UIPSEC_ENCR_AES_CCM_16:
		*mode = MODE_CCM;
		*cipher_idx = OSSL_CCM_128 + bits_idx;
		break;
	case UIPSEC_ENCR_CHACHA20_POLY1305:
		*mode = MODE_CHACHA;
		*cipher_idx = OSSL_CHACHA20_POLY1305;
		return UIPSEC_ALG_BITS(alg) == 256 ? UIPSEC_OK : UIPSEC_ERR_NOTSUP;
	default:
		return UIPSEC_ERR_NOTSUP;
	}
	return bits_idx < 0 ? UIPSEC_ERR_NOTSUP : UIPSEC_OK;
}

/* Key one direction: CCM needs nonce and tag length before the key. */
static EVP_CIPHER_CTX *ctx_new(const ossl_aead_t *a, const EVP_CIPHER *cipher, int enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return NULL;
	int nonce_len = (int)(a->salt_len + 8);
	if (EVP_CipherInit_ex(c, cipher, NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, nonce_len, NULL) != 1 ||
	    (a->mode == MODE_CCM &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)a->icv_len, NULL) != 1) ||
	    EVP_CipherInit_ex(c, NULL, NULL, a->key, NULL, enc) != 1) {
		EVP_CIPHER_CTX_free(c);
		return NULL;
	}
	return c;
}

static void aead_destroy(void *ctx)
{
	ossl_aead_t *a = ctx;
	if (!a)
		return;
	EVP_CIPHER_CTX_free(a->enc);   /* cleanses the key schedule */
	EVP_CIPHER_CTX_free(a->dec);
	OPENSSL_clear_free(a, sizeof(*a));
}

static int aead_create(void *state, uint32_t alg, const uint8_t *key, size_t key_len, void **out)
{
	ossl_state_t *st = state;
	const uipsec_alg_info_t *info = uipsec_alg_info(alg);
	aead_mode_t mode;
	int idx;
	*out = NULL;
	if (!info || info->kind != UIPSEC_ALG_KIND_AEAD || aead_mode(alg, &mode, &idx))
		return UIPSEC_ERR_NOTSUP;
	if (key_len != info->key_size || key_len > sizeof(((ossl_aead_t *)0)->key))
		return UIPSEC_ERR_INVAL;
	if (!st->cipher[idx])
		return UIPSEC_ERR_NOTSUP;
	ossl_aead_t *a = OPENSSL_zalloc(sizeof(*a));
	if (!a)
		return UIPSEC_ERR_NOMEM;
	a->st = st;
	a->alg = alg;
	a->mode = mode;
	a->icv_len = info->icv_size;
	a->salt_len = info->salt_size;
	a->key_len = key_len;
	memcpy(a->key, key, key_len);
	memcpy(a->nonce, key + key_len - a->salt_len, a->salt_len);
	a->enc = ctx_new(a, st->cipher[idx], 1);
	a->dec = ctx_new(a, st->cipher[idx], 0);
	if (!a->enc || !a->dec) {
		aead_destroy(a);
		return UIPSEC_ERR;
	}
	*out = a;
	return UIPSEC_OK;
}

static int aead_clone(void *ctx, void **copy)
{
	ossl_aead_t *a = ctx;
	return aead_create(a->st, a->alg, a->key, a->key_len, copy);
}

typedef int (*update_fn)(EVP_CIPHER_CTX *c, unsigned char *out, int *outl,
                         const unsigned char *in, int inl);

/* Feed everything up to the tag; the tag is handled by the caller. The
 * direction's own update function skips EVP_CipherUpdate's dispatch. */
static int aead_run(ossl_aead_t *a, EVP_CIPHER_CTX *c, bool enc, const uint8_t *iv,
                    const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len)
{
	update_fn update = enc ? EVP_EncryptUpdate : EVP_DecryptUpdate;
	int n;
	if (len > INT_MAX / 2 || aad_len > INT_MAX / 2)
		return UIPSEC_ERR_INVAL;
	memcpy(a->nonce + a->salt_len, iv, 8);   /* salt || iv */
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, a->nonce, enc) != 1)
		return UIPSEC_ERR;
	if (a->mode == MODE_CCM && update(c, NULL, &n, NULL, (int)len) != 1)
		return UIPSEC_ERR;
	if (aad_len && update(c, NULL, &n, aad, (int)aad_len) != 1)
		return UIPSEC_ERR;
	if (a->mode == MODE_GMAC) {
		/* RFC 4543 3.5: the IV and the payload are authenticated only */
		if (update(c, NULL, &n, iv, 8) != 1)
			return UIPSEC_ERR;
		if (len && update(c, NULL, &n, data, (int)len) != 1)
			return UIPSEC_ERR;
		return UIPSEC_OK;
	}
	if ((len || a->mode == MODE_CCM) && update(c, data, &n, data, (int)len) != 1)
		return a->mode == MODE_CCM && !enc ? UIPSEC_ERR_AUTH : UIPSEC_ERR;
	return UIPSEC_OK;
}

static int aead_encrypt(void *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
                        uint8_t *data, size_t len, uint8_t *icv)
{
	ossl_aead_t *a = ctx;
	int n, rc = aead_run(a, a->enc, true, iv, aad, aad_len, data, len);
	if (rc)
		return rc;
	if (EVP_EncryptFinal_ex(a->enc, data + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->enc, EVP_CTRL_AEAD_GET_TAG, (int)a->icv_len, icv) != 1)
		return UIPSEC_ERR;
	return UIPSEC_OK;
}

static int aead_decrypt(void *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
                        uint8_t *data, size_t len, const uint8_t *icv)
{
	ossl_aead_t *a = ctx;
	int n;
	/* CCM checks the tag inside the data update: it must be known first */
	if (EVP_CIPHER_CTX_ctrl(a->dec, EVP_CTRL_AEAD_SET_TAG, (int)a->icv_len, (void *)icv) != 1)
		return UIPSEC_ERR;
	int rc = aead_run(a, a->dec, false, iv, aad, aad_len, data, len);
	if (rc || a->mode == MODE_CCM)
		return rc;
	return EVP_DecryptFinal_ex(a->dec, data + len, &n) == 1 ? UIPSEC_OK : UIPSEC_ERR_AUTH;
}

const uipsec_aead_ops_t ossl_aead_ops = {
	.create = aead_create,
	.clone = aead_clone,
	.encrypt = aead_encrypt,
	.decrypt = aead_decrypt,
	.destroy = aead_destroy,
};
