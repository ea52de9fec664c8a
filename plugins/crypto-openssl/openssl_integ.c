/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crypto-openssl: integrity (HMAC-SHA1/SHA2 truncated per RFC 2404/4868,
 * AES-CMAC-96 per RFC 4494) with EVP_MAC. The key is set once at create;
 * EVP_MAC_init() without a key restarts from the keyed state. */
#include "config.h"
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include "openssl_plugin.h"

typedef struct ossl_integ {
	ossl_state_t *st;
	uint32_t alg;
	EVP_MAC_CTX *mac;
	size_t icv_len, key_len;
	uint8_t key[256];  /* for clone(); wiped on destroy */
} ossl_integ_t;

static const struct {
	uint16_t id;
	const char *param;   /* HMAC digest or CMAC cipher */
} integ_algs[] = {
	{ UIPSEC_AUTH_HMAC_SHA1_96, "SHA1" },
	{ UIPSEC_AUTH_HMAC_SHA2_256_128, "SHA2-256" },
	{ UIPSEC_AUTH_HMAC_SHA2_384_192, "SHA2-384" },
	{ UIPSEC_AUTH_HMAC_SHA2_512_256, "SHA2-512" },
	{ UIPSEC_AUTH_AES_CMAC_96, "AES-128-CBC" },
};

static void integ_destroy(void *ctx)
{
	ossl_integ_t *i = ctx;
	if (!i)
		return;
	EVP_MAC_CTX_free(i->mac);
	OPENSSL_clear_free(i, sizeof(*i));
}

static int integ_create(void *state, uint32_t alg, const uint8_t *key, size_t key_len, void **out)
{
	ossl_state_t *st = state;
	const uipsec_alg_info_t *info = uipsec_alg_info(alg);
	const char *param = NULL;
	*out = NULL;
	if (!info || info->kind != UIPSEC_ALG_KIND_INTEG)
		return UIPSEC_ERR_NOTSUP;
	for (size_t k = 0; k < sizeof(integ_algs) / sizeof(integ_algs[0]); k++)
		if (integ_algs[k].id == UIPSEC_ALG_ID(alg))
			param = integ_algs[k].param;
	bool cmac = UIPSEC_ALG_ID(alg) == UIPSEC_AUTH_AES_CMAC_96;
	EVP_MAC *mac = cmac ? st->cmac : st->hmac;
	if (!param || !mac)
		return UIPSEC_ERR_NOTSUP;
	/* HMAC takes any key length (RFC 2104); CMAC exactly the AES key */
	if ((cmac && key_len != info->key_size) || key_len == 0 ||
	    key_len > sizeof(((ossl_integ_t *)0)->key))
		return UIPSEC_ERR_INVAL;
	ossl_integ_t *i = OPENSSL_zalloc(sizeof(*i));
	if (!i)
		return UIPSEC_ERR_NOMEM;
	i->st = st;
	i->alg = alg;
	i->icv_len = info->icv_size;
	i->key_len = key_len;
	memcpy(i->key, key, key_len);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(cmac ? OSSL_MAC_PARAM_CIPHER : OSSL_MAC_PARAM_DIGEST,
		                                 (char *)param, 0),
		OSSL_PARAM_construct_end(),
	};
	i->mac = EVP_MAC_CTX_new(mac);
	if (!i->mac || EVP_MAC_init(i->mac, key, key_len, params) != 1) {
		integ_destroy(i);
		return UIPSEC_ERR;
	}
	*out = i;
	return UIPSEC_OK;
}

static int integ_clone(void *ctx, void **copy)
{
	ossl_integ_t *i = ctx;
	return integ_create(i->st, i->alg, i->key, i->key_len, copy);
}

static int integ_mac(void *ctx, const uipsec_iov_t *seg, size_t nseg, uint8_t *icv)
{
	ossl_integ_t *i = ctx;
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t outl;
	if (EVP_MAC_init(i->mac, NULL, 0, NULL) != 1)
		return UIPSEC_ERR;
	for (size_t k = 0; k < nseg; k++)
		if (seg[k].len && EVP_MAC_update(i->mac, seg[k].base, seg[k].len) != 1)
			return UIPSEC_ERR;
	if (EVP_MAC_final(i->mac, full, &outl, sizeof(full)) != 1 || outl < i->icv_len)
		return UIPSEC_ERR;
	memcpy(icv, full, i->icv_len);
	OPENSSL_cleanse(full, sizeof(full));
	return UIPSEC_OK;
}

const uipsec_integ_ops_t ossl_integ_ops = {
	.create = integ_create,
	.clone = integ_clone,
	.mac = integ_mac,
	.destroy = integ_destroy,
};
