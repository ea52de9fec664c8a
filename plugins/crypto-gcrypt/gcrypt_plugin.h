/* SPDX-License-Identifier: GPL-2.0-or-later */
/* crypto-gcrypt: shared definitions of the plugin's modules. */
#ifndef UIPSEC_GCRYPT_PLUGIN_H
#define UIPSEC_GCRYPT_PLUGIN_H

#include <gcrypt.h>
#include <uipsec/crypto.h>
#include <uipsec/plugin.h>

/* libgcrypt AES cipher id for a key size in bits, 0 if none */
static inline int gcr_aes_algo(unsigned bits)
{
	return bits == 128 ? GCRY_CIPHER_AES128 : bits == 192 ? GCRY_CIPHER_AES192 :
	       bits == 256 ? GCRY_CIPHER_AES256 : 0;
}

extern const uipsec_aead_ops_t gcr_aead_ops;
extern const uipsec_cipher_ops_t gcr_cipher_ops;
extern const uipsec_integ_ops_t gcr_integ_ops;
extern const uipsec_rng_ops_t gcr_rng_ops;

#endif
