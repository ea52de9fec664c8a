/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file
 * @brief uipsec public API: algorithm identifiers and their fixed sizes.
 *
 * The vocabulary plugins use to name what they provide (feature
 * UIPSEC_FEATURE_AEAD(UIPSEC_ALG(...)) and so on) and the core's table of
 * sizes every provider agrees on. Included by <uipsec/crypto.h>; separate so
 * that the plugin loader can name features without the crypto API.
 */
#ifndef UIPSEC_ALG_H
#define UIPSEC_ALG_H

#include <uipsec/common.h>

UIPSEC_BEGIN_DECLS

/** IKEv2 transform types (RFC 7296 3.3.2)
 * @var UIPSEC_TT_ENCR
 * encryption algorithm (AEADs and ciphers)
 * @var UIPSEC_TT_INTEG
 * integrity algorithm */
enum { UIPSEC_TT_ENCR = 1, UIPSEC_TT_INTEG = 3 };

/** IKEv2 encryption transform IDs (IANA); CCM/GCM _8/_12/_16 are the ICV
 * length in bytes. */
enum uipsec_encr_id {
	/** @var UIPSEC_ENCR_NULL
	 * no encryption (RFC 2410), with an integrity algorithm
	 * @var UIPSEC_ENCR_AES_CBC
	 * AES-CBC (RFC 3602)
	 * @var UIPSEC_ENCR_AES_CTR
	 * AES-CTR (RFC 3686)
	 * @var UIPSEC_ENCR_AES_CCM_8
	 * AES-CCM, 8-byte ICV (RFC 4309)
	 * @var UIPSEC_ENCR_AES_CCM_12
	 * AES-CCM, 12-byte ICV (RFC 4309)
	 * @var UIPSEC_ENCR_AES_CCM_16
	 * AES-CCM, 16-byte ICV (RFC 4309)
	 * @var UIPSEC_ENCR_AES_GCM_8
	 * AES-GCM, 8-byte ICV (RFC 4106)
	 * @var UIPSEC_ENCR_AES_GCM_12
	 * AES-GCM, 12-byte ICV (RFC 4106)
	 * @var UIPSEC_ENCR_AES_GCM_16
	 * AES-GCM, 16-byte ICV (RFC 4106)
	 * @var UIPSEC_ENCR_NULL_AUTH_AES_GMAC
	 * AES-GMAC: authentication only (RFC 4543)
	 * @var UIPSEC_ENCR_CHACHA20_POLY1305
	 * ChaCha20-Poly1305 (RFC 7634) */
	UIPSEC_ENCR_NULL = 11,
	UIPSEC_ENCR_AES_CBC = 12,
	UIPSEC_ENCR_AES_CTR = 13,
	UIPSEC_ENCR_AES_CCM_8 = 14,
	UIPSEC_ENCR_AES_CCM_12 = 15,
	UIPSEC_ENCR_AES_CCM_16 = 16,
	UIPSEC_ENCR_AES_GCM_8 = 18,
	UIPSEC_ENCR_AES_GCM_12 = 19,
	UIPSEC_ENCR_AES_GCM_16 = 20,
	UIPSEC_ENCR_NULL_AUTH_AES_GMAC = 21,
	UIPSEC_ENCR_CHACHA20_POLY1305 = 28,
};

/** IKEv2 integrity transform IDs (IANA); the suffix is the ICV length in bits. */
enum uipsec_integ_id {
	/** @var UIPSEC_AUTH_HMAC_SHA1_96
	 * HMAC-SHA1-96 (RFC 2404)
	 * @var UIPSEC_AUTH_AES_CMAC_96
	 * AES-CMAC-96 (RFC 4494)
	 * @var UIPSEC_AUTH_HMAC_SHA2_256_128
	 * HMAC-SHA-256-128 (RFC 4868)
	 * @var UIPSEC_AUTH_HMAC_SHA2_384_192
	 * HMAC-SHA-384-192 (RFC 4868)
	 * @var UIPSEC_AUTH_HMAC_SHA2_512_256
	 * HMAC-SHA-512-256 (RFC 4868) */
	UIPSEC_AUTH_HMAC_SHA1_96 = 2,
	UIPSEC_AUTH_AES_CMAC_96 = 8,
	UIPSEC_AUTH_HMAC_SHA2_256_128 = 12,
	UIPSEC_AUTH_HMAC_SHA2_384_192 = 13,
	UIPSEC_AUTH_HMAC_SHA2_512_256 = 14,
};

/** An algorithm as one number: type:8 | id:12 | key bits:12. Integrity algorithms use their natural key
 * size (SHA1 160, SHA2-256 256, SHA2-384 384, SHA2-512 512, CMAC 128);
 * ENCR_NULL uses 0. */
#define UIPSEC_ALG(tt, id, bits) ((uint32_t)(((uint32_t)(tt) << 24) | ((uint32_t)(id) << 12) | (uint32_t)(bits)))
/** Transform type of an algorithm number (UIPSEC_TT_*). */
#define UIPSEC_ALG_TYPE(a) ((a) >> 24)
/** Transform ID of an algorithm number (uipsec_encr_id or uipsec_integ_id). */
#define UIPSEC_ALG_ID(a)   (((a) >> 12) & 0xfff)
/** Key size in bits of an algorithm number. */
#define UIPSEC_ALG_BITS(a) ((a) & 0xfff)

/** The kind of primitive an algorithm is, i.e. which ops table serves it. */
typedef enum uipsec_alg_kind {
	/** @var UIPSEC_ALG_KIND_AEAD
	 * authenticated encryption: uipsec_aead_ops_t
	 * @var UIPSEC_ALG_KIND_CIPHER
	 * cipher without integrity: uipsec_cipher_ops_t
	 * @var UIPSEC_ALG_KIND_INTEG
	 * integrity (MAC): uipsec_integ_ops_t */
	UIPSEC_ALG_KIND_AEAD = 1,
	UIPSEC_ALG_KIND_CIPHER,
	UIPSEC_ALG_KIND_INTEG,
} uipsec_alg_kind_t;

/** The fixed properties of one algorithm (from the core's table). */
typedef struct uipsec_alg_info {
	/** UIPSEC_ALG(type, id, bits) */
	uint32_t alg;
	const char *name;        /* e.g. "AES_GCM_16-128", "HMAC_SHA2_256_128" */
	/** which ops table serves it */
	uipsec_alg_kind_t kind;
	uint16_t key_size;       /* bytes of key material INCLUDING the salt/nonce */
	uint16_t salt_size;      /* GCM/GMAC/ChaCha 4, CCM 3, CTR 4 (nonce), else 0 */
	uint16_t iv_size;        /* explicit IV on the wire */
	uint16_t icv_size;       /* AEAD: tag; INTEG: truncated output; CIPHER: 0 */
	uint16_t block_size;     /* padding boundary (1 for stream modes) */
} uipsec_alg_info_t;

/** The properties of an algorithm.
 * @param alg UIPSEC_ALG(type, id, bits)
 * @return the table entry, NULL for unknown algorithms */
UIPSEC_EXPORT const uipsec_alg_info_t *uipsec_alg_info(uint32_t alg);

UIPSEC_END_DECLS

#endif
