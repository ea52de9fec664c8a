/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The algorithm table every provider agrees on (key, salt, IV, ICV and
 * block sizes). In the plugin layer because features are named by it: the
 * loader's messages and listings say "AEAD:AES_GCM_16-128". */
#include "config.h"
#include <stddef.h>
#include <uipsec/alg.h>
#include "plugin/alg_table.h"

#define ENCR(id, bits) UIPSEC_ALG(UIPSEC_TT_ENCR, (id), (bits))
#define INTEG(id, bits) UIPSEC_ALG(UIPSEC_TT_INTEG, (id), (bits))

/* key_size includes the salt; ESP pads stream modes to 4 bytes itself */
#define AEAD_ALG(id, bits, name, salt, icv) \
	{ ENCR(id, bits), name, UIPSEC_ALG_KIND_AEAD, (bits) / 8 + (salt), (salt), 8, (icv), 1 }
#define CIPHER_ALG(id, bits, name, salt, iv, block) \
	{ ENCR(id, bits), name, UIPSEC_ALG_KIND_CIPHER, (bits) / 8 + (salt), (salt), (iv), 0, (block) }
#define INTEG_ALG(id, bits, name, icv) \
	{ INTEG(id, bits), name, UIPSEC_ALG_KIND_INTEG, (bits) / 8, 0, 0, (icv), 1 }

static const uipsec_alg_info_t alg_table[] = {
	AEAD_ALG(UIPSEC_ENCR_AES_GCM_8, 128, "AES_GCM_8-128", 4, 8),
	AEAD_ALG(UIPSEC_ENCR_AES_GCM_8, 192, "AES_GCM_8-192", 4, 8),
	AEAD_ALG(UIPSEC_ENCR_AES_GCM_8, 256, "AES_GCM_8-256", 4, 8),
	AEAD_ALG(UIPSEC_ENCR_AES_GCM_12, 128, "AES_GCM_12-128", 4, 12),
	AEAD_ALG(UIPSEC_ENCR_AES_GCM_12, 192, "AES_GCM_12-192", 4, 12),
	AEAD_ALG(UIPSEC_ENCR_AES_GCM_12, 256, "AES_GCM_12-256", 4, 12),
	AEAD_ALG(UIPSEC_ENCR_AES_GCM_16, 128, "AES_GCM_16-128", 4, 16),
	AEAD_ALG(UIPSEC_ENCR_AES_GCM_16, 192, "AES_GCM_16-192", 4, 16),
	AEAD_ALG(UIPSEC_ENCR_AES_GCM_16, 256, "AES_GCM_16-256", 4, 16),
	AEAD_ALG(UIPSEC_ENCR_AES_CCM_8, 128, "AES_CCM_8-128", 3, 8),
	AEAD_ALG(UIPSEC_ENCR_AES_CCM_8, 192, "AES_CCM_8-192", 3, 8),
	AEAD_ALG(UIPSEC_ENCR_AES_CCM_8, 256, "AES_CCM_8-256", 3, 8),
	AEAD_ALG(UIPSEC_ENCR_AES_CCM_12, 128, "AES_CCM_12-128", 3, 12),
	AEAD_ALG(UIPSEC_ENCR_AES_CCM_12, 192, "AES_CCM_12-192", 3, 12),
	AEAD_ALG(UIPSEC_ENCR_AES_CCM_12, 256, "AES_CCM_12-256", 3, 12),
	AEAD_ALG(UIPSEC_ENCR_AES_CCM_16, 128, "AES_CCM_16-128", 3, 16),
	AEAD_ALG(UIPSEC_ENCR_AES_CCM_16, 192, "AES_CCM_16-192", 3, 16),
	AEAD_ALG(UIPSEC_ENCR_AES_CCM_16, 256, "AES_CCM_16-256", 3, 16),
	AEAD_ALG(UIPSEC_ENCR_NULL_AUTH_AES_GMAC, 128, "NULL_AUTH_AES_GMAC-128", 4, 16),
	AEAD_ALG(UIPSEC_ENCR_NULL_AUTH_AES_GMAC, 192, "NULL_AUTH_AES_GMAC-192", 4, 16),
	AEAD_ALG(UIPSEC_ENCR_NULL_AUTH_AES_GMAC, 256, "NULL_AUTH_AES_GMAC-256", 4, 16),
	AEAD_ALG(UIPSEC_ENCR_CHACHA20_POLY1305, 256, "CHACHA20_POLY1305-256", 4, 16),
	CIPHER_ALG(UIPSEC_ENCR_AES_CBC, 128, "AES_CBC-128", 0, 16, 16),
	CIPHER_ALG(UIPSEC_ENCR_AES_CBC, 192, "AES_CBC-192", 0, 16, 16),
	CIPHER_ALG(UIPSEC_ENCR_AES_CBC, 256, "AES_CBC-256", 0, 16, 16),
	CIPHER_ALG(UIPSEC_ENCR_AES_CTR, 128, "AES_CTR-128", 4, 8, 1),
	CIPHER_ALG(UIPSEC_ENCR_AES_CTR, 192, "AES_CTR-192", 4, 8, 1),
	CIPHER_ALG(UIPSEC_ENCR_AES_CTR, 256, "AES_CTR-256", 4, 8, 1),
	CIPHER_ALG(UIPSEC_ENCR_NULL, 0, "NULL", 0, 0, 1),
	INTEG_ALG(UIPSEC_AUTH_HMAC_SHA1_96, 160, "HMAC_SHA1_96", 12),
	INTEG_ALG(UIPSEC_AUTH_HMAC_SHA2_256_128, 256, "HMAC_SHA2_256_128", 16),
	INTEG_ALG(UIPSEC_AUTH_HMAC_SHA2_384_192, 384, "HMAC_SHA2_384_192", 24),
	INTEG_ALG(UIPSEC_AUTH_HMAC_SHA2_512_256, 512, "HMAC_SHA2_512_256", 32),
	INTEG_ALG(UIPSEC_AUTH_AES_CMAC_96, 128, "AES_CMAC_96", 12),
};

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

const uipsec_alg_info_t *uipsec_alg_info(uint32_t alg)
{
	for (size_t i = 0; i < N_ELEMENTS(alg_table); i++)
		if (alg_table[i].alg == alg)
			return &alg_table[i];
	return NULL;
}

const uipsec_alg_info_t *alg_table_all(size_t *n)
{
	*n = N_ELEMENTS(alg_table);
	return alg_table;
}
