/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crypto core (internal API): the algorithm and proposal-keyword tables,
 * provider choice, and the known-answer self-tests run when a crypto
 * feature is registered. The public side is <uipsec/crypto.h>. */
#ifndef UIPSEC_CORE_CRYPTO_H
#define UIPSEC_CORE_CRYPTO_H

#include <uipsec/crypto.h>
#include <uipsec/plugin.h>
#include <uipsec/settings.h>
#include "plugin/alg_table.h"
#include "plugin/feature_registry.h"

/* Remember the settings (for uipsecd.crypto.selftest and the per-keyword
 * provider overrides); the self-test checks are registered with the
 * feature registry when libuipsec loads (and again here, e.g. after a test
 * replaced them). Call before plugin_loader_load() and after a reload.
 * s may be NULL (defaults); it must stay valid until the next call or
 * crypto_deinit(). */
void crypto_init(const uipsec_settings_t *s);
/* uipsecd.crypto.selftest (default yes). */
bool crypto_selftest_enabled(void);
/* Forget the settings (call before freeing them). */
void crypto_deinit(void);

/* A parsed ESP proposal keyword. */
typedef struct crypto_proposal {
	uint32_t encr;   /* AEAD or cipher algorithm */
	uint32_t integ;  /* integrity algorithm, 0 for an AEAD */
	char keyword[48];            /* canonical keyword, e.g. "aes128-sha256" */
	const char *encr_keyword;    /* canonical keyword of each part */
	const char *integ_keyword;   /* NULL for an AEAD */
} crypto_proposal_t;

/* Parse a strongSwan ESP keyword (aliases accepted, e.g. "aes128gcm128" =
 * "aes128gcm16", "aes128-sha2_256" = "aes128-sha256"). false + message in
 * err (may be NULL) when unknown. */
bool crypto_proposal_parse(const char *keyword, crypto_proposal_t *out, uipsec_err_t *err);
/* Every canonical ESP keyword the core knows, NULL terminated; g_strfreev(). */
char **crypto_proposal_keywords(void);
/* The strongSwan keyword of one algorithm ("aes128gcm16", "sha256",
 * "aes128ctr"), NULL when unknown. */
const char *crypto_alg_keyword(uint32_t alg);

/* The provider serving (type, alg) for a proposal, honouring
 * uipsecd.crypto.<keyword>.provider for the proposal's keyword and then
 * for the algorithm's own keyword (e.g. "sha256"). NULL + err when none. */
const feature_provider_t *crypto_choose_provider(uipsec_feature_type_t type, uint32_t alg,
                                                 const char *proposal_keyword,
                                                 uipsec_err_t *err);

/* Constant-time comparison: true when equal. Time depends only on n. */
bool crypto_memeq_ct(const void *a, const void *b, size_t n);

/* Known-answer self-test of one provider of an AEAD, CIPHER, INTEG or RNG
 * feature (registered as the feature check; also used by tests). */
bool crypto_selftest(const feature_provider_t *p, uipsec_err_t *err);
/* Same, with the ops and state given directly. */
bool crypto_selftest_ops(uipsec_feature_type_t type, uint32_t alg, const void *ops,
                         void *state, uipsec_err_t *err);
/* One known-answer vector. AEAD: key (salt last), iv, aad, pt, ct (same
 * length as pt), icv (compared up to the algorithm's ICV size). CIPHER:
 * key, iv, pt, ct. INTEG: key, pt (the message), icv (the MAC, compared
 * up to the truncated size). */
typedef struct crypto_kat {
	const uint8_t *key, *iv, *aad, *pt, *ct, *icv;
	size_t key_len, iv_len, aad_len, pt_len, ct_len, icv_len;
} crypto_kat_t;
/* Run one vector against one provider's ops (a fresh context and a clone
 * of it; AEADs must also reject a tampered ICV). NULL when it passes, else
 * what went wrong (never key material). */
const char *crypto_kat_check(uipsec_feature_type_t type, const void *ops, void *state,
                             uint32_t alg, const crypto_kat_t *k);
/* How many known-answer vectors the core has compiled in for alg. */
size_t crypto_selftest_count(uint32_t alg);

#endif
