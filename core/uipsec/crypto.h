/* uipsec public API: cryptography.
 *
 * Plugins provide three kinds of primitives (feature types AEAD, CIPHER,
 * INTEG) plus an RNG. Algorithms are named by IKEv2 IANA transform type and
 * ID plus key size in bits: UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_AES_GCM_16, 128).
 * Sizes (key, salt, IV, ICV, block) are fixed per algorithm by the core's
 * algorithm table (uipsec_alg_info), so every provider agrees on them.
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

UIPSEC_BEGIN_DECLS

/* IKEv2 transform types (RFC 7296 3.3.2) */
enum { UIPSEC_TT_ENCR = 1, UIPSEC_TT_INTEG = 3 };

/* IKEv2 encryption transform IDs (IANA) */
enum uipsec_encr_id {
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

/* IKEv2 integrity transform IDs (IANA) */
enum uipsec_integ_id {
	UIPSEC_AUTH_HMAC_SHA1_96 = 2,
	UIPSEC_AUTH_AES_CMAC_96 = 8,
	UIPSEC_AUTH_HMAC_SHA2_256_128 = 12,
	UIPSEC_AUTH_HMAC_SHA2_384_192 = 13,
	UIPSEC_AUTH_HMAC_SHA2_512_256 = 14,
};

/* type:8 | id:12 | key bits:12. Integrity algorithms use their natural key
 * size (SHA1 160, SHA2-256 256, SHA2-384 384, SHA2-512 512, CMAC 128);
 * ENCR_NULL uses 0. */
#define UIPSEC_ALG(tt, id, bits) ((uint32_t)(((uint32_t)(tt) << 24) | ((uint32_t)(id) << 12) | (uint32_t)(bits)))
#define UIPSEC_ALG_TYPE(a) ((a) >> 24)
#define UIPSEC_ALG_ID(a)   (((a) >> 12) & 0xfff)
#define UIPSEC_ALG_BITS(a) ((a) & 0xfff)

typedef enum uipsec_alg_kind {
	UIPSEC_ALG_KIND_AEAD = 1,
	UIPSEC_ALG_KIND_CIPHER,
	UIPSEC_ALG_KIND_INTEG,
} uipsec_alg_kind_t;

typedef struct uipsec_alg_info {
	uint32_t alg;
	const char *name;        /* e.g. "AES_GCM_16-128", "HMAC_SHA2_256_128" */
	uipsec_alg_kind_t kind;
	uint16_t key_size;       /* bytes of key material INCLUDING the salt/nonce */
	uint16_t salt_size;      /* GCM/GMAC/ChaCha 4, CCM 3, CTR 4 (nonce), else 0 */
	uint16_t iv_size;        /* explicit IV on the wire */
	uint16_t icv_size;       /* AEAD: tag; INTEG: truncated output; CIPHER: 0 */
	uint16_t block_size;     /* padding boundary (1 for stream modes) */
} uipsec_alg_info_t;

/* NULL for unknown algorithms. */
UIPSEC_EXPORT const uipsec_alg_info_t *uipsec_alg_info(uint32_t alg);

/* ---------------------------------------------------------------- plugin side */

typedef struct uipsec_iov {
	const uint8_t *base;
	size_t len;
} uipsec_iov_t;

/* AEAD (GCM, CCM, GMAC, ChaCha20-Poly1305). key holds key_size bytes, salt last
 * (RFC 4106/4309/4543/7634 and Linux ip-xfrm order). The nonce is salt || iv.
 * For GMAC nothing is encrypted: aad, iv and data are all authenticated,
 * in that order (RFC 4543 3.5). */
typedef struct uipsec_aead_ops {
	int  (*create)(void *plugin_state, uint32_t alg, const uint8_t *key, size_t key_len, void **ctx);
	int  (*clone)(void *ctx, void **copy);
	int  (*encrypt)(void *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
	                uint8_t *data, size_t len, uint8_t *icv);
	/* UIPSEC_OK, UIPSEC_ERR_AUTH on tag mismatch, other negative status otherwise */
	int  (*decrypt)(void *ctx, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
	                uint8_t *data, size_t len, const uint8_t *icv);
	void (*destroy)(void *ctx);
} uipsec_aead_ops_t;

/* Unauthenticated cipher (AES-CBC, AES-CTR, NULL), in place. len is a
 * multiple of the block size. CTR: key holds the AES key then the 4-byte
 * nonce; counter block = nonce || iv || 00000001 (RFC 3686). */
typedef struct uipsec_cipher_ops {
	int  (*create)(void *plugin_state, uint32_t alg, const uint8_t *key, size_t key_len, void **ctx);
	int  (*clone)(void *ctx, void **copy);
	int  (*encrypt)(void *ctx, const uint8_t *iv, uint8_t *data, size_t len);
	int  (*decrypt)(void *ctx, const uint8_t *iv, uint8_t *data, size_t len);
	void (*destroy)(void *ctx);
} uipsec_cipher_ops_t;

/* Integrity (HMAC, CMAC): MAC over the concatenation of nseg segments,
 * truncated to the algorithm's icv_size and written to icv. */
typedef struct uipsec_integ_ops {
	int  (*create)(void *plugin_state, uint32_t alg, const uint8_t *key, size_t key_len, void **ctx);
	int  (*clone)(void *ctx, void **copy);
	int  (*mac)(void *ctx, const uipsec_iov_t *seg, size_t nseg, uint8_t *icv);
	void (*destroy)(void *ctx);
} uipsec_integ_ops_t;

/* Random bytes suitable for IVs (thread safe). */
typedef struct uipsec_rng_ops {
	int (*bytes)(void *plugin_state, uint8_t *buf, size_t len);
} uipsec_rng_ops_t;

/* Feature-table helpers for crypto plugins (need <uipsec/plugin.h>). */
#define UIPSEC_PROVIDE_AEAD(id, bits, ops) \
	UIPSEC_PROVIDE(UIPSEC_FT_AEAD, UIPSEC_ALG(UIPSEC_TT_ENCR, (id), (bits)), UIPSEC_PRIO_DEFAULT, (ops))
#define UIPSEC_PROVIDE_AEAD_AES(id, ops) \
	UIPSEC_PROVIDE_AEAD(id, 128, ops), UIPSEC_PROVIDE_AEAD(id, 192, ops), UIPSEC_PROVIDE_AEAD(id, 256, ops)
#define UIPSEC_PROVIDE_CIPHER(id, bits, ops) \
	UIPSEC_PROVIDE(UIPSEC_FT_CIPHER, UIPSEC_ALG(UIPSEC_TT_ENCR, (id), (bits)), UIPSEC_PRIO_DEFAULT, (ops))
#define UIPSEC_PROVIDE_CIPHER_AES(id, ops) \
	UIPSEC_PROVIDE_CIPHER(id, 128, ops), UIPSEC_PROVIDE_CIPHER(id, 192, ops), UIPSEC_PROVIDE_CIPHER(id, 256, ops)
#define UIPSEC_PROVIDE_INTEG(id, bits, ops) \
	UIPSEC_PROVIDE(UIPSEC_FT_INTEG, UIPSEC_ALG(UIPSEC_TT_INTEG, (id), (bits)), UIPSEC_PRIO_DEFAULT, (ops))
/* Every algorithm of this header: for a plugin whose library has them all. */
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

/* ---------------------------------------------------------------- core side */

/* An ESP transform: AEAD-shaped, whatever the proposal. */
typedef struct uipsec_xform uipsec_xform_t;

typedef struct uipsec_xform_info {
	const char *keyword;     /* strongSwan proposal keyword, e.g. "aes128gcm16" */
	bool aead;               /* true AEAD; false = cipher + integrity */
	uint16_t iv_size, icv_size, block_size;
	uint16_t key_size, integ_key_size;   /* expected key lengths (key includes salt) */
	const char *provider;        /* plugin serving the AEAD or the cipher */
	const char *integ_provider;  /* plugin serving integrity, NULL for AEAD */
	uint16_t salt_size;          /* bytes at the end of the key that are salt/nonce */
} uipsec_xform_info_t;

/* keyword: strongSwan ESP proposal keyword ("aes128gcm16", "aes128-sha256",
 * "chacha20poly1305", "null-sha256", ...). Keys are copied; the caller wipes
 * its own copy. On failure returns a negative status and, if err is not
 * NULL, a message naming the problem (unknown keyword, wrong key length and
 * the expected one, no provider). */
UIPSEC_EXPORT int  uipsec_xform_create(const char *keyword, const uint8_t *key, size_t key_len,
                                       const uint8_t *integ_key, size_t integ_key_len,
                                       uipsec_xform_t **out, uipsec_err_t *err);
UIPSEC_EXPORT int  uipsec_xform_clone(const uipsec_xform_t *x, uipsec_xform_t **out);
UIPSEC_EXPORT const uipsec_xform_info_t *uipsec_xform_info(const uipsec_xform_t *x);
/* Encrypt data in place and write the ICV. aad is authenticated before the
 * IV and data; aad_tail after the data (ESN high-order bits for cipher +
 * integrity, RFC 4303 2.2.1; must be empty for a true AEAD, which takes ESN
 * in aad as RFC 4106 5 says). */
UIPSEC_EXPORT int  uipsec_xform_encrypt(uipsec_xform_t *x, const uint8_t *iv,
                                        const uint8_t *aad, size_t aad_len,
                                        const uint8_t *aad_tail, size_t tail_len,
                                        uint8_t *data, size_t len, uint8_t *icv);
/* UIPSEC_OK, or UIPSEC_ERR_AUTH when the ICV does not verify (data then
 * unspecified), or another negative status. */
UIPSEC_EXPORT int  uipsec_xform_decrypt(uipsec_xform_t *x, const uint8_t *iv,
                                        const uint8_t *aad, size_t aad_len,
                                        const uint8_t *aad_tail, size_t tail_len,
                                        uint8_t *data, size_t len, const uint8_t *icv);
UIPSEC_EXPORT void uipsec_xform_destroy(uipsec_xform_t *x);

/* Random bytes from the winning RNG provider. */
UIPSEC_EXPORT int  uipsec_rng_bytes(uint8_t *buf, size_t len);

UIPSEC_END_DECLS

#endif
