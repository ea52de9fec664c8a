/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crypto-gcrypt: integrity (HMAC-SHA1/SHA2 truncated per RFC 2404/4868,
 * AES-CMAC-96 per RFC 4494) with gcry_mac. The key is set once at create;
 * gcry_mac_reset() restarts from the keyed state. */
#include "config.h"
#include <string.h>
#include "gcrypt_plugin.h"

#define MAX_HMAC_KEY 256

typedef struct gcr_integ {
	uint32_t alg;
	gcry_mac_hd_t hd;
	size_t icv_len, key_len;
	uint8_t key[MAX_HMAC_KEY];   /* for clone(); wiped on destroy */
} gcr_integ_t;

static const struct {
	uint16_t id;
	int algo;
} integ_algs[] = {
	{ UIPSEC_AUTH_HMAC_SHA1_96, GCRY_MAC_HMAC_SHA1 },
	{ UIPSEC_AUTH_HMAC_SHA2_256_128, GCRY_MAC_HMAC_SHA256 },
	{ UIPSEC_AUTH_HMAC_SHA2_384_192, GCRY_MAC_HMAC_SHA384 },
	{ UIPSEC_AUTH_HMAC_SHA2_512_256, GCRY_MAC_HMAC_SHA512 },
	{ UIPSEC_AUTH_AES_CMAC_96, GCRY_MAC_CMAC_AES },
};

static void integ_destroy(void *ctx)
{
	gcr_integ_t *i = ctx;
	if (!i)
		return;
	if (i->hd)
		gcry_mac_close(i->hd);
	uipsec_memwipe(i, sizeof(*i));
	gcry_free(i);
}

static int integ_create(void *state, uint32_t alg, const uint8_t *key, size_t key_len, void **out)
{
	const uipsec_alg_info_t *info = uipsec_alg_info(alg);
	int algo = 0;
	*out = NULL;
	if (!info || info->kind != UIPSEC_ALG_KIND_INTEG)
		return UIPSEC_ERR_NOTSUP;
	for (size_t k = 0; k < sizeof(integ_algs) / sizeof(integ_algs[0]); k++)
		if (integ_algs[k].id == UIPSEC_ALG_ID(alg))
			algo = integ_algs[k].algo;
	if (!algo)
		return UIPSEC_ERR_NOTSUP;
	/* HMAC takes any key length (RFC 2104); CMAC exactly the AES key */
	bool cmac = algo == GCRY_MAC_CMAC_AES;
	if ((cmac && key_len != info->key_size) || key_len == 0 || key_len > MAX_HMAC_KEY)
		return UIPSEC_ERR_INVAL;
	gcr_integ_t *i = gcry_calloc(1, sizeof(*i));
	if (!i)
		return UIPSEC_ERR_NOMEM;
	i->alg = alg;
	i->icv_len = info->icv_size;
	i->key_len = key_len;
	memcpy(i->key, key, key_len);
	if (gcry_mac_open(&i->hd, algo, 0, NULL) || gcry_mac_setkey(i->hd, key, key_len)) {
		integ_destroy(i);
		return UIPSEC_ERR_NOTSUP;
	}
	*out = i;
	return UIPSEC_OK;
}

static int integ_clone(void *ctx, void **copy)
{
	gcr_integ_t *i = ctx;
	return integ_create(NULL, i->alg, i->key, i->key_len, copy);
}

static int integ_mac(void *ctx, const uipsec_iov_t *seg, size_t nseg, uint8_t *icv)
{
	gcr_integ_t *i = ctx;
	uint8_t full[64];
	size_t outl = sizeof(full);
	if (gcry_mac_reset(i->hd))
		return UIPSEC_ERR;
	for (size_t k = 0; k < nseg; k++)
		if (seg[k].len && gcry_mac_write(i->hd, seg[k].base, seg[k].len))
			return UIPSEC_ERR;
	if (gcry_mac_read(i->hd, full, &outl) || outl < i->icv_len)
		return UIPSEC_ERR;
	memcpy(icv, full, i->icv_len);
	uipsec_memwipe(full, sizeof(full));
	return UIPSEC_OK;
}

const uipsec_integ_ops_t gcr_integ_ops = {
	.create = integ_create,
	.clone = integ_clone,
	.mac = integ_mac,
	.destroy = integ_destroy,
};
