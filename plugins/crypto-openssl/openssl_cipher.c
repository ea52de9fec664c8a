/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crypto-openssl: unauthenticated ciphers for cipher + integrity proposals
 * (AES-CBC, AES-CTR per RFC 3686, ENCR_NULL). Keyed once per direction at
 * create (CBC decryption needs its own key schedule). */
#include "config.h"
#include <limits.h>
#include <string.h>
#include <openssl/crypto.h>
#include "openssl_plugin.h"

typedef struct ossl_cipher {
	ossl_state_t *st;
	uint32_t alg;
	bool ctr, null;
	EVP_CIPHER_CTX *enc, *dec;
	size_t key_len;
	uint8_t key[36];   /* AES key (+ CTR nonce last), for clone(); wiped on destroy */
} ossl_cipher_t;

static void cipher_destroy(void *ctx)
{
	ossl_cipher_t *c = ctx;
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->enc);
	EVP_CIPHER_CTX_free(c->dec);
	OPENSSL_clear_free(c, sizeof(*c));
}

static EVP_CIPHER_CTX *ctx_new(const EVP_CIPHER *cipher, const uint8_t *key, int enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	if (!c)
		return NULL;
	if (EVP_CipherInit_ex(c, cipher, NULL, key, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1) {
		EVP_CIPHER_CTX_free(c);
		return NULL;
	}
	return c;
}

static int cipher_create(void *state, uint32_t alg, const uint8_t *key, size_t key_len, void **out)
{
	ossl_state_t *st = state;
	const uipsec_alg_info_t *info = uipsec_alg_info(alg);
	*out = NULL;
	if (!info || info->kind != UIPSEC_ALG_KIND_CIPHER)
		return UIPSEC_ERR_NOTSUP;
	if (key_len != info->key_size || key_len > sizeof(((ossl_cipher_t *)0)->key))
		return UIPSEC_ERR_INVAL;
	int idx = -1, bits_idx = ossl_aes_idx(UIPSEC_ALG_BITS(alg));
	switch (UIPSEC_ALG_ID(alg)) {
	case UIPSEC_ENCR_AES_CBC: idx = bits_idx < 0 ? -1 : OSSL_CBC_128 + bits_idx; break;
	case UIPSEC_ENCR_AES_CTR: idx = bits_idx < 0 ? -1 : OSSL_CTR_128 + bits_idx; break;
	case UIPSEC_ENCR_NULL: break;
	default: return UIPSEC_ERR_NOTSUP;
	}
	bool null = UIPSEC_ALG_ID(alg) == UIPSEC_ENCR_NULL;
	if (!null && (idx < 0 || !st->cipher[idx]))
		return UIPSEC_ERR_NOTSUP;
	ossl_cipher_t *c = OPENSSL_zalloc(sizeof(*c));
	if (!c)
		return UIPSEC_ERR_NOMEM;
	c->st = st;
	c->alg = alg;
	c->null = null;
	c->ctr = UIPSEC_ALG_ID(alg) == UIPSEC_ENCR_AES_CTR;
	c->key_len = key_len;
	if (key_len)   /* ENCR_NULL passes no key (NULL, 0) */
		memcpy(c->key, key, key_len);
	if (!null) {
		c->enc = ctx_new(st->cipher[idx], key, 1);
		/* CTR decrypts by encrypting: one context serves both directions */
		c->dec = c->ctr ? NULL : ctx_new(st->cipher[idx], key, 0);
		if (!c->enc || (!c->ctr && !c->dec)) {
			cipher_destroy(c);
			return UIPSEC_ERR;
		}
	}
	*out = c;
	return UIPSEC_OK;
}

static int cipher_clone(void *ctx, void **copy)
{
	ossl_cipher_t *c = ctx;
	return cipher_create(c->st, c->alg, c->key, c->key_len, copy);
}

static int cipher_run(ossl_cipher_t *c, EVP_CIPHER_CTX *x, const uint8_t *iv, uint8_t *data, size_t len)
{
	uint8_t block[16];
	const uint8_t *ivp = iv;
	int n;
	if (c->null)
		return UIPSEC_OK;
	if (len > INT_MAX)
		return UIPSEC_ERR_INVAL;
	if (c->ctr) {
		/* RFC 3686 4: nonce || IV || block counter starting at 1 */
		memcpy(block, c->key + c->key_len - 4, 4);
		memcpy(block + 4, iv, 8);
		memcpy(block + 12, "\0\0\0\1", 4);
		ivp = block;
	} else if (len % 16) {
		return UIPSEC_ERR_INVAL;
	}
	if (EVP_CipherInit_ex(x, NULL, NULL, NULL, ivp, -1) != 1 ||
	    (len && EVP_CipherUpdate(x, data, &n, data, (int)len) != 1))
		return UIPSEC_ERR;
	return UIPSEC_OK;
}

static int cipher_encrypt(void *ctx, const uint8_t *iv, uint8_t *data, size_t len)
{
	ossl_cipher_t *c = ctx;
	return cipher_run(c, c->enc, iv, data, len);
}

static int cipher_decrypt(void *ctx, const uint8_t *iv, uint8_t *data, size_t len)
{
	ossl_cipher_t *c = ctx;
	return cipher_run(c, c->ctr ? c->enc : c->dec, iv, data, len);
}

const uipsec_cipher_ops_t ossl_cipher_ops = {
	.create = cipher_create,
	.clone = cipher_clone,
	.encrypt = cipher_encrypt,
	.decrypt = cipher_decrypt,
	.destroy = cipher_destroy,
};
