/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crypto-gcrypt: unauthenticated ciphers for cipher + integrity proposals
 * (AES-CBC, AES-CTR per RFC 3686, ENCR_NULL). One handle per context holds
 * both key schedules; a packet only sets the IV or counter block. */
#include "config.h"
#include <string.h>
#include "gcrypt_plugin.h"

typedef struct gcr_cipher {
	uint32_t alg;
	bool ctr, null;
	gcry_cipher_hd_t hd;
	size_t key_len;
	uint8_t key[36];   /* AES key (+ CTR nonce last), for clone(); wiped on destroy */
} gcr_cipher_t;

static void cipher_destroy(void *ctx)
{
	gcr_cipher_t *c = ctx;
	if (!c)
		return;
	if (c->hd)
		gcry_cipher_close(c->hd);
	uipsec_memwipe(c, sizeof(*c));
	gcry_free(c);
}

static int cipher_create(void *state, uint32_t alg, const uint8_t *key, size_t key_len, void **out)
{
	const uipsec_alg_info_t *info = uipsec_alg_info(alg);
	int algo = gcr_aes_algo(UIPSEC_ALG_BITS(alg)), mode = 0;
	*out = NULL;
	if (!info || info->kind != UIPSEC_ALG_KIND_CIPHER)
		return UIPSEC_ERR_NOTSUP;
	switch (UIPSEC_ALG_ID(alg)) {
	case UIPSEC_ENCR_AES_CBC: mode = GCRY_CIPHER_MODE_CBC; break;
	case UIPSEC_ENCR_AES_CTR: mode = GCRY_CIPHER_MODE_CTR; break;
	case UIPSEC_ENCR_NULL: break;
	default: return UIPSEC_ERR_NOTSUP;
	}
	bool null = UIPSEC_ALG_ID(alg) == UIPSEC_ENCR_NULL;
	if (!null && !algo)
		return UIPSEC_ERR_NOTSUP;
	if (key_len != info->key_size || key_len > sizeof(((gcr_cipher_t *)0)->key))
		return UIPSEC_ERR_INVAL;
	gcr_cipher_t *c = gcry_calloc(1, sizeof(*c));
	if (!c)
		return UIPSEC_ERR_NOMEM;
	c->alg = alg;
	c->null = null;
	c->ctr = mode == GCRY_CIPHER_MODE_CTR;
	c->key_len = key_len;
	if (key_len)   /* ENCR_NULL passes no key (NULL, 0) */
		memcpy(c->key, key, key_len);
	if (!null && (gcry_cipher_open(&c->hd, algo, mode, 0) ||
	              gcry_cipher_setkey(c->hd, key, key_len - info->salt_size))) {
		cipher_destroy(c);
		return UIPSEC_ERR_NOTSUP;
	}
	*out = c;
	return UIPSEC_OK;
}

static int cipher_clone(void *ctx, void **copy)
{
	gcr_cipher_t *c = ctx;
	return cipher_create(NULL, c->alg, c->key, c->key_len, copy);
}

static int cipher_start(gcr_cipher_t *c, const uint8_t *iv, size_t len)
{
	if (c->ctr) {
		/* RFC 3686 4: nonce || IV || block counter starting at 1 */
		uint8_t block[16];
		memcpy(block, c->key + c->key_len - 4, 4);
		memcpy(block + 4, iv, 8);
		memcpy(block + 12, "\0\0\0\1", 4);
		return gcry_cipher_setctr(c->hd, block, 16) ? UIPSEC_ERR : UIPSEC_OK;
	}
	if (len % 16)
		return UIPSEC_ERR_INVAL;
	return gcry_cipher_setiv(c->hd, iv, 16) ? UIPSEC_ERR : UIPSEC_OK;
}

static int cipher_run(void *ctx, const uint8_t *iv, uint8_t *data, size_t len, bool encrypt)
{
	gcr_cipher_t *c = ctx;
	if (c->null)
		return UIPSEC_OK;
	int rc = cipher_start(c, iv, len);
	if (rc || !len)
		return rc;
	gcry_error_t e = encrypt ? gcry_cipher_encrypt(c->hd, data, len, NULL, 0)
	                         : gcry_cipher_decrypt(c->hd, data, len, NULL, 0);
	return e ? UIPSEC_ERR : UIPSEC_OK;
}

static int cipher_encrypt(void *ctx, const uint8_t *iv, uint8_t *data, size_t len)
{
	return cipher_run(ctx, iv, data, len, true);
}

static int cipher_decrypt(void *ctx, const uint8_t *iv, uint8_t *data, size_t len)
{
	return cipher_run(ctx, iv, data, len, false);
}

const uipsec_cipher_ops_t gcr_cipher_ops = {
	.create = cipher_create,
	.clone = cipher_clone,
	.encrypt = cipher_encrypt,
	.decrypt = cipher_decrypt,
	.destroy = cipher_destroy,
};
