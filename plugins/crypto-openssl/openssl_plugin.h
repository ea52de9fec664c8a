/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crypto-openssl: shared definitions of the plugin's modules. */
#ifndef UIPSEC_OPENSSL_PLUGIN_H
#define UIPSEC_OPENSSL_PLUGIN_H

#include <openssl/evp.h>
#include <uipsec/crypto.h>
#include <uipsec/plugin.h>

/* The library objects fetched once at init (EVP_CIPHER_fetch/EVP_MAC_fetch),
 * so no per-packet or per-SA name lookups happen. NULL when this OpenSSL
 * lacks the algorithm: create() then fails and the self-test drops it. */
enum ossl_cipher_idx {
	OSSL_GCM_128, OSSL_GCM_192, OSSL_GCM_256,
	OSSL_CCM_128, OSSL_CCM_192, OSSL_CCM_256,
	OSSL_CBC_128, OSSL_CBC_192, OSSL_CBC_256,
	OSSL_CTR_128, OSSL_CTR_192, OSSL_CTR_256,
	OSSL_CHACHA20_POLY1305,
	OSSL_CIPHER_COUNT,
};

typedef struct ossl_state {
	EVP_CIPHER *cipher[OSSL_CIPHER_COUNT];
	EVP_MAC *hmac, *cmac;
} ossl_state_t;

extern const char *const ossl_cipher_names[OSSL_CIPHER_COUNT];

/* AES key bits -> 0/1/2 index offset, -1 if not an AES size */
static inline int ossl_aes_idx(unsigned bits)
{
	return bits == 128 ? 0 : bits == 192 ? 1 : bits == 256 ? 2 : -1;
}

extern const uipsec_aead_ops_t ossl_aead_ops;
extern const uipsec_cipher_ops_t ossl_cipher_ops;
extern const uipsec_integ_ops_t ossl_integ_ops;
extern const uipsec_rng_ops_t ossl_rng_ops;

#endif
