/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file
 * @brief uipsec public API: cryptography.
 *
 * Plugins provide three kinds of primitives (feature types AEAD, CIPHER,
 * INTEG) plus an RNG. Algorithms are named by IKEv2 IANA transform type and
 * ID plus key size in bits: UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_AES_GCM_16, 128).
 * Sizes (key, salt, IV, ICV, block) are fixed per algorithm by the core's
 * algorithm table (uipsec_alg_info(), <uipsec/alg.h>), so every provider
 * agrees on them.
 *
 * The ESP engine uses one AEAD-shaped object for every proposal,
 * uipsec_xform_t: a real AEAD, or a cipher + integrity pair the core
 * composes (the two may come from different plugins).
 *
 * Threads: a context (plugin ctx or uipsec_xform_t) is used by one thread at
 * a time; clone() gives another thread its own copy cheaply. Destroying a
 * context wipes the key material it holds.
 */
#ifndef UIPSEC_CRYPTO_H
#define UIPSEC_CRYPTO_H

#include <uipsec/common.h>
#include <uipsec/alg.h>

UIPSEC_BEGIN_DECLS

/* ---------------------------------------------------------------- plugin side */

/** A segment of input to a MAC. */
typedef struct uipsec_iov {
	/** first byte */
	const uint8_t *base;
	/** number of bytes */
	size_t len;
} uipsec_iov_t;

/** AEAD (GCM, CCM, GMAC, ChaCha20-Poly1305). key holds key_size bytes, salt last
 * (RFC 4106/4309/4543/7634 and Linux ip-xfrm order). The nonce is salt || iv.
 * For GMAC nothing is encrypted: aad, iv and data are all authenticated,
 * in that order (RFC 4543 3.5).
 * The ops of a UIPSEC_FT_AEAD feature (uipsec/plugin.h). */
typedef struct uipsec_aead_ops {
	/** Create a context for alg with key (key_len = the algorithm's
	 * key_size, salt included); returns a uipsec_status_t. */
	int  (*create)(void *plugin_state, uint32_t alg, const uint8_t *key, size_t key_len, void **ctx);
	/** Copy a context (same key) for another thread. */
	int  (*clone)(void *ctx, void **copy);
	/** Encrypt len bytes of data in place, authenticating aad first, and
	 * write the tag to icv (icv_size bytes). */
	int  (*encrypt)(void *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
	                uint8_t *data, size_t len, uint8_t *icv);
	/** Verify icv and decrypt data in place: UIPSEC_OK, UIPSEC_ERR_AUTH on
	 * tag mismatch, other negative status otherwise */
	int  (*decrypt)(void *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
	                uint8_t *data, size_t len, const uint8_t *icv);
	/** Wipe the key material and free the context. */
	void (*destroy)(void *ctx);
} uipsec_aead_ops_t;

/** Unauthenticated cipher (AES-CBC, AES-CTR, NULL), in place. len is a
 * multiple of the block size. CTR: key holds the AES key then the 4-byte
 * nonce; counter block = nonce || iv || 00000001 (RFC 3686).
 * The ops of a UIPSEC_FT_CIPHER feature (uipsec/plugin.h). */
typedef struct uipsec_cipher_ops {
	/** Create a context for alg with key (key_len = the algorithm's
	 * key_size, nonce included); returns a uipsec_status_t. */
	int  (*create)(void *plugin_state, uint32_t alg, const uint8_t *key, size_t key_len, void **ctx);
	/** Copy a context (same key) for another thread. */
	int  (*clone)(void *ctx, void **copy);
	/** Encrypt len bytes of data in place with iv. */
	int  (*encrypt)(void *ctx, const uint8_t *iv, uint8_t *data, size_t len);
	/** Decrypt len bytes of data in place with iv. */
	int  (*decrypt)(void *ctx, const uint8_t *iv, uint8_t *data, size_t len);
	/** Wipe the key material and free the context. */
	void (*destroy)(void *ctx);
} uipsec_cipher_ops_t;

/** Integrity (HMAC, CMAC): MAC over the concatenation of nseg segments,
 * truncated to the algorithm's icv_size and written to icv.
 * The ops of a UIPSEC_FT_INTEG feature (uipsec/plugin.h). */
typedef struct uipsec_integ_ops {
	/** Create a context for alg with key (key_len = the algorithm's
	 * key_size); returns a uipsec_status_t. */
	int  (*create)(void *plugin_state, uint32_t alg, const uint8_t *key, size_t key_len, void **ctx);
	/** Copy a context (same key) for another thread. */
	int  (*clone)(void *ctx, void **copy);
	/** Compute the truncated MAC of the segments into icv. */
	int  (*mac)(void *ctx, const uipsec_iov_t *seg, size_t nseg, uint8_t *icv);
	/** Wipe the key material and free the context. */
	void (*destroy)(void *ctx);
} uipsec_integ_ops_t;

/** Random bytes suitable for IVs (thread safe).
 * The ops of a UIPSEC_FT_RNG feature (uipsec/plugin.h). */
typedef struct uipsec_rng_ops {
	/** Fill buf with len random bytes; returns a uipsec_status_t. */
	int (*bytes)(void *plugin_state, uint8_t *buf, size_t len);
} uipsec_rng_ops_t;

/** @name Feature-table helpers for crypto plugins (need <uipsec/plugin.h>)
 * PROVIDE entries at UIPSEC_PRIO_DEFAULT for an encryption or integrity
 * transform ID with a key size in bits; the _AES forms provide the 128,
 * 192 and 256 bit variants.
 * @{ */
/** Provide AEAD id with a bits-bit key. */
#define UIPSEC_PROVIDE_AEAD(id, bits, ops) \
	UIPSEC_PROVIDE(UIPSEC_FT_AEAD, UIPSEC_ALG(UIPSEC_TT_ENCR, (id), (bits)), UIPSEC_PRIO_DEFAULT, (ops))
/** Provide AEAD id with 128, 192 and 256 bit keys. */
#define UIPSEC_PROVIDE_AEAD_AES(id, ops) \
	UIPSEC_PROVIDE_AEAD(id, 128, ops), UIPSEC_PROVIDE_AEAD(id, 192, ops), UIPSEC_PROVIDE_AEAD(id, 256, ops)
/** Provide cipher id with a bits-bit key. */
#define UIPSEC_PROVIDE_CIPHER(id, bits, ops) \
	UIPSEC_PROVIDE(UIPSEC_FT_CIPHER, UIPSEC_ALG(UIPSEC_TT_ENCR, (id), (bits)), UIPSEC_PRIO_DEFAULT, (ops))
/** Provide cipher id with 128, 192 and 256 bit keys. */
#define UIPSEC_PROVIDE_CIPHER_AES(id, ops) \
	UIPSEC_PROVIDE_CIPHER(id, 128, ops), UIPSEC_PROVIDE_CIPHER(id, 192, ops), UIPSEC_PROVIDE_CIPHER(id, 256, ops)
/** Provide integrity algorithm id with its natural key size bits. */
#define UIPSEC_PROVIDE_INTEG(id, bits, ops) \
	UIPSEC_PROVIDE(UIPSEC_FT_INTEG, UIPSEC_ALG(UIPSEC_TT_INTEG, (id), (bits)), UIPSEC_PRIO_DEFAULT, (ops))
/** Every algorithm of this header: for a plugin whose library has them all. */
#define UIPSEC_PROVIDE_ESP_ALL(aead_ops, cipher_ops, integ_ops) \
	UIPSEC_PROVIDE_AEAD_AES(UIPSEC_ENCR_AES_GCM_16, aead_ops), \
	UIPSEC_PROVIDE_AEAD_AES(UIPSEC_ENCR_AES_GCM_12, aead_ops), \
	UIPSEC_PROVIDE_AEAD_AES(UIPSEC_ENCR_AES_GCM_8, aead_ops), \
	UIPSEC_PROVIDE_AEAD(UIPSEC_ENCR_CHACHA20_POLY1305, 256, aead_ops), \
	UIPSEC_PROVIDE_AEAD_AES(UIPSEC_ENCR_AES_CCM_16, aead_ops), \
	UIPSEC_PROVIDE_AEAD_AES(UIPSEC_ENCR_AES_CCM_12, aead_ops), \
	UIPSEC_PROVIDE_AEAD_AES(UIPSEC_ENCR_AES_CCM_8, aead_ops), \
	UIPSEC_PROVIDE_AEAD_AES(UIPSEC_ENCR_NULL_AUTH_AES_GMAC, aead_ops), \
	UIPSEC_PROVIDE_CIPHER_AES(UIPSEC_ENCR_AES_CBC, cipher_ops), \
	UIPSEC_PROVIDE_CIPHER_AES(UIPSEC_ENCR_AES_CTR, cipher_ops), \
	UIPSEC_PROVIDE_CIPHER(UIPSEC_ENCR_NULL, 0, cipher_ops), \
	UIPSEC_PROVIDE_INTEG(UIPSEC_AUTH_HMAC_SHA1_96, 160, integ_ops), \
	UIPSEC_PROVIDE_INTEG(UIPSEC_AUTH_HMAC_SHA2_256_128, 256, integ_ops), \
	UIPSEC_PROVIDE_INTEG(UIPSEC_AUTH_HMAC_SHA2_384_192, 384, integ_ops), \
	UIPSEC_PROVIDE_INTEG(UIPSEC_AUTH_HMAC_SHA2_512_256, 512, integ_ops), \
	UIPSEC_PROVIDE_INTEG(UIPSEC_AUTH_AES_CMAC_96, 128, integ_ops)
/** @} */

/* ---------------------------------------------------------------- core side */

/** An ESP transform: AEAD-shaped, whatever the proposal (opaque). */
typedef struct uipsec_xform uipsec_xform_t;

/** What a transform is and who serves it (uipsec_xform_info()). */
typedef struct uipsec_xform_info {
	const char *keyword;     /* strongSwan proposal keyword, e.g. "aes128gcm16" */
	bool aead;               /* true AEAD; false = cipher + integrity */
	/** @var uipsec_xform_info::iv_size
	 * explicit IV bytes on the wire
	 * @var uipsec_xform_info::icv_size
	 * ICV bytes (the AEAD tag or the truncated MAC)
	 * @var uipsec_xform_info::block_size
	 * padding boundary (1 for stream modes) */
	uint16_t iv_size, icv_size, block_size;
	/** @var uipsec_xform_info::key_size
	 * expected length of the (cipher or AEAD) key, salt included */
	uint16_t key_size, integ_key_size;   /* expected key lengths (key includes salt) */
	const char *provider;        /* plugin serving the AEAD or the cipher */
	const char *integ_provider;  /* plugin serving integrity, NULL for AEAD */
	uint16_t salt_size;          /* bytes at the end of the key that are salt/nonce */
} uipsec_xform_info_t;

/** Create a transform.
 * keyword: strongSwan ESP proposal keyword ("aes128gcm16", "aes128-sha256",
 * "chacha20poly1305", "null-sha256", ...). Keys are copied; the caller wipes
 * its own copy. On failure returns a negative status and, if err is not
 * NULL, a message naming the problem (unknown keyword, wrong key length and
 * the expected one, no provider).
 * @param keyword       the proposal keyword
 * @param key           cipher or AEAD key (salt last)
 * @param key_len       its length
 * @param integ_key     integrity key (NULL for a true AEAD)
 * @param integ_key_len its length (0 for a true AEAD)
 * @param[out] out      the new transform
 * @param[out] err      the reason on failure (may be NULL)
 * @return UIPSEC_OK or a negative uipsec_status_t */
UIPSEC_EXPORT int  uipsec_xform_create(const char *keyword, const uint8_t *key, size_t key_len,
                                       const uint8_t *integ_key, size_t integ_key_len,
                                       uipsec_xform_t **out, uipsec_err_t *err);
/** Copy a transform (same keys) for another thread.
 * @param x the transform
 * @param[out] out the copy
 * @return UIPSEC_OK or a negative uipsec_status_t */
UIPSEC_EXPORT int  uipsec_xform_clone(const uipsec_xform_t *x, uipsec_xform_t **out);
/** What x is and who serves it; valid as long as x. */
UIPSEC_EXPORT const uipsec_xform_info_t *uipsec_xform_info(const uipsec_xform_t *x);
/** Encrypt data in place and write the ICV. aad is authenticated before the
 * IV and data; aad_tail after the data (ESN high-order bits for cipher +
 * integrity, RFC 4303 2.2.1; must be empty for a true AEAD, which takes ESN
 * in aad as RFC 4106 5 says). Returns UIPSEC_OK or a negative
 * uipsec_status_t. */
UIPSEC_EXPORT int  uipsec_xform_encrypt(uipsec_xform_t *x, const uint8_t *iv,
                                        const uint8_t *aad, size_t aad_len,
                                        const uint8_t *aad_tail, size_t tail_len,
                                        uint8_t *data, size_t len, uint8_t *icv);
/** Verify the ICV and decrypt data in place, with aad and aad_tail as for
 * uipsec_xform_encrypt(). Returns
 * UIPSEC_OK, or UIPSEC_ERR_AUTH when the ICV does not verify (data then
 * unspecified), or another negative status. */
UIPSEC_EXPORT int  uipsec_xform_decrypt(uipsec_xform_t *x, const uint8_t *iv,
                                        const uint8_t *aad, size_t aad_len,
                                        const uint8_t *aad_tail, size_t tail_len,
                                        uint8_t *data, size_t len, const uint8_t *icv);
/** Wipe the keys and free the transform (NULL is ignored). */
UIPSEC_EXPORT void uipsec_xform_destroy(uipsec_xform_t *x);

/** Random bytes from the winning RNG provider; returns UIPSEC_OK or a
 * negative uipsec_status_t. */
UIPSEC_EXPORT int  uipsec_rng_bytes(uint8_t *buf, size_t len);

UIPSEC_END_DECLS

#endif
