/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crypto core: the algorithm table every provider agrees on, strongSwan's
 * ESP proposal keywords, provider choice and the AEAD-shaped ESP transform
 * (uipsec_xform_t) that composes cipher + integrity when the proposal is
 * not a real AEAD. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <uipsec/log.h>
#include "crypto/crypto_core.h"

#define LOG_SUBSYS "crypto"

#define ENCR(id, bits) UIPSEC_ALG(UIPSEC_TT_ENCR, (id), (bits))
#define INTEG(id, bits) UIPSEC_ALG(UIPSEC_TT_INTEG, (id), (bits))
#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- keywords */

/* strongSwan's ESP keywords; the first entry of an algorithm is canonical,
 * later ones are aliases strongSwan also accepts. */
typedef struct keyword {
	const char *name;
	uint32_t alg;
} keyword_t;

#define GCM(icv, bits) ENCR(UIPSEC_ENCR_AES_GCM_##icv, bits)
#define CCM(icv, bits) ENCR(UIPSEC_ENCR_AES_CCM_##icv, bits)
#define GMAC(bits) ENCR(UIPSEC_ENCR_NULL_AUTH_AES_GMAC, bits)

static const keyword_t aead_keywords[] = {
	{ "aes128gcm16", GCM(16, 128) }, { "aes192gcm16", GCM(16, 192) }, { "aes256gcm16", GCM(16, 256) },
	{ "aes128gcm12", GCM(12, 128) }, { "aes192gcm12", GCM(12, 192) }, { "aes256gcm12", GCM(12, 256) },
	{ "aes128gcm8", GCM(8, 128) },   { "aes192gcm8", GCM(8, 192) },   { "aes256gcm8", GCM(8, 256) },
	{ "aes128ccm16", CCM(16, 128) }, { "aes192ccm16", CCM(16, 192) }, { "aes256ccm16", CCM(16, 256) },
	{ "aes128ccm12", CCM(12, 128) }, { "aes192ccm12", CCM(12, 192) }, { "aes256ccm12", CCM(12, 256) },
	{ "aes128ccm8", CCM(8, 128) },   { "aes192ccm8", CCM(8, 192) },   { "aes256ccm8", CCM(8, 256) },
	{ "aes128gmac", GMAC(128) },     { "aes192gmac", GMAC(192) },     { "aes256gmac", GMAC(256) },
	{ "chacha20poly1305", ENCR(UIPSEC_ENCR_CHACHA20_POLY1305, 256) },
	/* aliases: ICV in bits, and the bare name meaning a 16-byte ICV */
	{ "aes128gcm128", GCM(16, 128) }, { "aes192gcm128", GCM(16, 192) }, { "aes256gcm128", GCM(16, 256) },
	{ "aes128gcm", GCM(16, 128) },    { "aes192gcm", GCM(16, 192) },    { "aes256gcm", GCM(16, 256) },
	{ "aes128gcm96", GCM(12, 128) },  { "aes192gcm96", GCM(12, 192) },  { "aes256gcm96", GCM(12, 256) },
	{ "aes128gcm64", GCM(8, 128) },   { "aes192gcm64", GCM(8, 192) },   { "aes256gcm64", GCM(8, 256) },
	{ "aes128ccm128", CCM(16, 128) }, { "aes192ccm128", CCM(16, 192) }, { "aes256ccm128", CCM(16, 256) },
	{ "aes128ccm", CCM(16, 128) },    { "aes192ccm", CCM(16, 192) },    { "aes256ccm", CCM(16, 256) },
	{ "aes128ccm96", CCM(12, 128) },  { "aes192ccm96", CCM(12, 192) },  { "aes256ccm96", CCM(12, 256) },
	{ "aes128ccm64", CCM(8, 128) },   { "aes192ccm64", CCM(8, 192) },   { "aes256ccm64", CCM(8, 256) },
	{ "chacha20poly1305_16", ENCR(UIPSEC_ENCR_CHACHA20_POLY1305, 256) },
};

static const keyword_t cipher_keywords[] = {
	{ "aes128", ENCR(UIPSEC_ENCR_AES_CBC, 128) },
	{ "aes192", ENCR(UIPSEC_ENCR_AES_CBC, 192) },
	{ "aes256", ENCR(UIPSEC_ENCR_AES_CBC, 256) },
	{ "aes128ctr", ENCR(UIPSEC_ENCR_AES_CTR, 128) },
	{ "aes192ctr", ENCR(UIPSEC_ENCR_AES_CTR, 192) },
	{ "aes256ctr", ENCR(UIPSEC_ENCR_AES_CTR, 256) },
	{ "null", ENCR(UIPSEC_ENCR_NULL, 0) },
	{ "aes", ENCR(UIPSEC_ENCR_AES_CBC, 128) },
};

static const keyword_t integ_keywords[] = {
	{ "sha1", INTEG(UIPSEC_AUTH_HMAC_SHA1_96, 160) },
	{ "sha256", INTEG(UIPSEC_AUTH_HMAC_SHA2_256_128, 256) },
	{ "sha384", INTEG(UIPSEC_AUTH_HMAC_SHA2_384_192, 384) },
	{ "sha512", INTEG(UIPSEC_AUTH_HMAC_SHA2_512_256, 512) },
	{ "aescmac", INTEG(UIPSEC_AUTH_AES_CMAC_96, 128) },
	{ "sha", INTEG(UIPSEC_AUTH_HMAC_SHA1_96, 160) },
	{ "sha2_256", INTEG(UIPSEC_AUTH_HMAC_SHA2_256_128, 256) },
	{ "sha2_384", INTEG(UIPSEC_AUTH_HMAC_SHA2_384_192, 384) },
	{ "sha2_512", INTEG(UIPSEC_AUTH_HMAC_SHA2_512_256, 512) },
};

/* Canonical keywords are the entries before the first alias. */
#define AEAD_CANONICAL 22
#define CIPHER_CANONICAL 7
#define INTEG_CANONICAL 5

static const keyword_t *keyword_find(const keyword_t *tab, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(tab[i].name) == len && g_ascii_strncasecmp(tab[i].name, name, len) == 0)
			return &tab[i];
	return NULL;
}

static const char *keyword_canonical(const keyword_t *tab, size_t n, uint32_t alg)
{
	for (size_t i = 0; i < n; i++)
		if (tab[i].alg == alg)
			return tab[i].name;
	return NULL;
}

const char *crypto_alg_keyword(uint32_t alg)
{
	const char *k = keyword_canonical(aead_keywords, N_ELEMENTS(aead_keywords), alg);
	if (!k)
		k = keyword_canonical(cipher_keywords, N_ELEMENTS(cipher_keywords), alg);
	if (!k)
		k = keyword_canonical(integ_keywords, N_ELEMENTS(integ_keywords), alg);
	return k;
}


bool crypto_proposal_parse(const char *keyword, crypto_proposal_t *out, uipsec_err_t *err)
{
	memset(out, 0, sizeof(*out));
	if (!keyword || !*keyword) {
		uipsec_err_set(err, UIPSEC_ERR, "empty ESP proposal");
		return false;
	}
	const char *dash = strchr(keyword, '-');
	size_t first_len = dash ? (size_t)(dash - keyword) : strlen(keyword);
	const keyword_t *e = keyword_find(aead_keywords, N_ELEMENTS(aead_keywords), keyword, first_len);
	if (e) {
		if (dash) {
			uipsec_err_set(err, UIPSEC_ERR, "ESP proposal '%s': %.*s is an AEAD and takes no integrity algorithm",
			        keyword, (int)first_len, keyword);
			return false;
		}
		out->encr = e->alg;
		out->encr_keyword = keyword_canonical(aead_keywords, N_ELEMENTS(aead_keywords), e->alg);
		snprintf(out->keyword, sizeof(out->keyword), "%s", out->encr_keyword);
		return true;
	}
	e = keyword_find(cipher_keywords, N_ELEMENTS(cipher_keywords), keyword, first_len);
	if (!e) {
		uipsec_err_set(err, UIPSEC_ERR, "ESP proposal '%s': unknown encryption algorithm '%.*s'",
		        keyword, (int)first_len, keyword);
		return false;
	}
	if (!dash) {
		uipsec_err_set(err, UIPSEC_ERR, "ESP proposal '%s': %s needs an integrity algorithm (e.g. %s-sha256)",
		        keyword, keyword, keyword);
		return false;
	}
	const char *ik = dash + 1;
	const keyword_t *i = keyword_find(integ_keywords, N_ELEMENTS(integ_keywords), ik, strlen(ik));
	if (!i) {
		uipsec_err_set(err, UIPSEC_ERR, "ESP proposal '%s': unknown integrity algorithm '%s'", keyword, ik);
		return false;
	}
	out->encr = e->alg;
	out->integ = i->alg;
	out->encr_keyword = keyword_canonical(cipher_keywords, N_ELEMENTS(cipher_keywords), e->alg);
	out->integ_keyword = keyword_canonical(integ_keywords, N_ELEMENTS(integ_keywords), i->alg);
	snprintf(out->keyword, sizeof(out->keyword), "%s-%s", out->encr_keyword, out->integ_keyword);
	return true;
}

char **crypto_proposal_keywords(void)
{
	GPtrArray *a = g_ptr_array_new();
	for (size_t i = 0; i < AEAD_CANONICAL; i++)
		g_ptr_array_add(a, g_strdup(aead_keywords[i].name));
	for (size_t c = 0; c < CIPHER_CANONICAL; c++)
		for (size_t i = 0; i < INTEG_CANONICAL; i++)
			g_ptr_array_add(a, g_strdup_printf("%s-%s", cipher_keywords[c].name,
			                                   integ_keywords[i].name));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/* ---------------------------------------------------------------- settings */

/* The options (uipsecd.crypto.selftest, uipsecd.crypto.<keyword>.provider)
 * are declared with the core's in options.c. */

static const uipsec_settings_t *crypto_settings;

bool crypto_selftest_enabled(void)
{
	return !crypto_settings || uipsec_settings_get_bool(crypto_settings, "uipsecd.crypto.selftest", true);
}

static void register_checks(void)
{
	static const uipsec_feature_type_t types[] = {
		UIPSEC_FT_AEAD, UIPSEC_FT_CIPHER, UIPSEC_FT_INTEG, UIPSEC_FT_RNG,
	};
	for (size_t i = 0; i < N_ELEMENTS(types); i++)
		features_register_check(types[i], crypto_selftest);
}

/* Self-tests must not depend on a caller remembering crypto_init(): the
 * checks are registered when libuipsec is loaded (the registry is static
 * data, ready before main). crypto_init() only adds the settings. */
__attribute__((constructor)) static void crypto_register_checks(void)
{
	register_checks();
}

void crypto_init(const uipsec_settings_t *s)
{
	crypto_settings = s;
	register_checks();
}

void crypto_deinit(void)
{
	crypto_settings = NULL;
}

/* ---------------------------------------------------------------- providers */

#define MAX_PROVIDERS 32

/* The value of the first override key that is set, else NULL. */
static char **override_lookup(const char *const *keys, const char **which)
{
	if (!crypto_settings)
		return NULL;
	for (size_t i = 0; keys[i]; i++) {
		char path[128];
		snprintf(path, sizeof(path), "uipsecd.crypto.%s", keys[i]);
		if (!uipsec_settings_get_str(crypto_settings, path, NULL))
			continue;
		char **names = uipsec_settings_get_list(crypto_settings, path);
		if (names && names[0]) {
			*which = keys[i];
			return names;
		}
		uipsec_strv_free(names);
	}
	return NULL;
}

const feature_provider_t *crypto_choose_provider(uipsec_feature_type_t type, uint32_t alg,
                                                 const char *proposal_keyword,
                                                 uipsec_err_t *err)
{
	const feature_provider_t *list[MAX_PROVIDERS];
	const uipsec_alg_info_t *info = uipsec_alg_info(alg);
	const char *alg_name = info ? info->name : "algorithm";
	size_t n = features_providers(type, alg, NULL, list, MAX_PROVIDERS);
	if (n > MAX_PROVIDERS)
		n = MAX_PROVIDERS;
	if (n == 0) {
		uipsec_err_set(err, UIPSEC_ERR, "no plugin provides %s (none loaded, or every provider failed its self-test)",
		        alg_name);
		return NULL;
	}

	/* most specific first: the proposal's keyword, then the algorithm's
	 * own ("aes128-sha256", then "aes128" for the cipher, "sha256" for
	 * the integrity part) */
	char k_prop[96] = "", k_alg[96] = "";
	const char *alg_kw = crypto_alg_keyword(alg);
	const char *keys[3];
	size_t nk = 0;
	if (proposal_keyword) {
		snprintf(k_prop, sizeof(k_prop), "%s.provider", proposal_keyword);
		keys[nk++] = k_prop;
	}
	if (alg_kw && (!proposal_keyword || strcmp(alg_kw, proposal_keyword) != 0)) {
		snprintf(k_alg, sizeof(k_alg), "%s.provider", alg_kw);
		keys[nk++] = k_alg;
	}
	keys[nk] = NULL;

	const char *which = NULL;
	char **names = override_lookup(keys, &which);
	if (!names)
		return list[0];
	for (size_t i = 0; names[i]; i++)
		for (size_t j = 0; j < n; j++)
			if (strcmp(names[i], list[j]->plugin) == 0) {
				uipsec_strv_free(names);
				return list[j];
			}
	uipsec_err_set(err, UIPSEC_ERR, "uipsecd.crypto.%s = %s: no such plugin provides %s (not loaded, or it failed its self-test)",
	        which, names[0], alg_name);
	uipsec_strv_free(names);
	return NULL;
}

/* ---------------------------------------------------------------- xform */

struct uipsec_xform {
	uipsec_xform_info_t info;
	crypto_proposal_t prop;
	const uipsec_alg_info_t *encr_info, *integ_info;
	/* AEAD */
	const uipsec_aead_ops_t *aead;
	/* cipher + integrity */
	const uipsec_cipher_ops_t *cipher;
	const uipsec_integ_ops_t *integ;
	void *ctx;        /* AEAD or cipher context */
	void *integ_ctx;
};

bool crypto_memeq_ct(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *pa = a, *pb = b;
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= pa[i] ^ pb[i];
	return d == 0;
}

static void xform_free(uipsec_xform_t *x)
{
	if (!x)
		return;
	if (x->ctx) {
		if (x->aead)
			x->aead->destroy(x->ctx);
		else
			x->cipher->destroy(x->ctx);
	}
	if (x->integ_ctx)
		x->integ->destroy(x->integ_ctx);
	g_free(x);
}

static int key_check(const uipsec_xform_t *x, const uipsec_alg_info_t *info, const char *what,
                     size_t got, uipsec_err_t *err)
{
	if (got == info->key_size)
		return UIPSEC_OK;
	if (info->salt_size)
		uipsec_err_set(err, UIPSEC_ERR, "%s: %s must be %u bytes (%u key + %u salt), got %zu", x->prop.keyword, what,
		        info->key_size, info->key_size - info->salt_size, info->salt_size, got);
	else
		uipsec_err_set(err, UIPSEC_ERR, "%s: %s must be %u bytes, got %zu", x->prop.keyword, what, info->key_size, got);
	return UIPSEC_ERR_INVAL;
}

int uipsec_xform_create(const char *keyword, const uint8_t *key, size_t key_len,
                        const uint8_t *integ_key, size_t integ_key_len,
                        uipsec_xform_t **out, uipsec_err_t *err)
{
	*out = NULL;
	uipsec_xform_t *x = g_new0(uipsec_xform_t, 1);
	if (!crypto_proposal_parse(keyword, &x->prop, err)) {
		g_free(x);
		return UIPSEC_ERR_NOTSUP;
	}
	x->encr_info = uipsec_alg_info(x->prop.encr);
	x->info.keyword = x->prop.keyword;
	x->info.aead = x->encr_info->kind == UIPSEC_ALG_KIND_AEAD;
	x->info.iv_size = x->encr_info->iv_size;
	x->info.block_size = x->encr_info->block_size;
	x->info.key_size = x->encr_info->key_size;
	x->info.salt_size = x->encr_info->salt_size;

	int rc = key_check(x, x->encr_info, "key", key_len, err);
	if (rc)
		goto fail;
	if (x->info.aead) {
		x->info.icv_size = x->encr_info->icv_size;
		if (integ_key_len) {
			uipsec_err_set(err, UIPSEC_ERR, "%s: an AEAD takes no integ_key", x->prop.keyword);
			rc = UIPSEC_ERR_INVAL;
			goto fail;
		}
	} else {
		x->integ_info = uipsec_alg_info(x->prop.integ);
		x->info.icv_size = x->integ_info->icv_size;
		x->info.integ_key_size = x->integ_info->key_size;
		rc = key_check(x, x->integ_info, "integ_key", integ_key_len, err);
		if (rc)
			goto fail;
	}

	const feature_provider_t *p = crypto_choose_provider(
		x->info.aead ? UIPSEC_FT_AEAD : UIPSEC_FT_CIPHER, x->prop.encr, x->prop.keyword, err);
	if (!p) {
		rc = UIPSEC_ERR_NOTSUP;
		goto fail;
	}
	x->info.provider = p->plugin;
	if (x->info.aead) {
		x->aead = p->feature->ops;
		rc = x->aead->create(p->state, x->prop.encr, key, key_len, &x->ctx);
	} else {
		x->cipher = p->feature->ops;
		rc = x->cipher->create(p->state, x->prop.encr, key, key_len, &x->ctx);
	}
	if (rc) {
		x->ctx = NULL;
		uipsec_err_set(err, UIPSEC_ERR, "%s: %s could not create %s: %s", x->prop.keyword, p->plugin,
		        x->encr_info->name, uipsec_status_str(rc));
		goto fail;
	}
	if (!x->info.aead) {
		p = crypto_choose_provider(UIPSEC_FT_INTEG, x->prop.integ, x->prop.keyword, err);
		if (!p) {
			rc = UIPSEC_ERR_NOTSUP;
			goto fail;
		}
		x->info.integ_provider = p->plugin;
		x->integ = p->feature->ops;
		rc = x->integ->create(p->state, x->prop.integ, integ_key, integ_key_len, &x->integ_ctx);
		if (rc) {
			x->integ_ctx = NULL;
			uipsec_err_set(err, UIPSEC_ERR, "%s: %s could not create %s: %s", x->prop.keyword, p->plugin,
			        x->integ_info->name, uipsec_status_str(rc));
			goto fail;
		}
	}
	*out = x;
	return UIPSEC_OK;
fail:
	xform_free(x);
	return rc;
}

int uipsec_xform_clone(const uipsec_xform_t *x, uipsec_xform_t **out)
{
	*out = NULL;
	uipsec_xform_t *c = g_memdup2(x, sizeof(*x));
	c->info.keyword = c->prop.keyword;
	c->ctx = c->integ_ctx = NULL;
	int rc = x->aead ? x->aead->clone(x->ctx, &c->ctx) : x->cipher->clone(x->ctx, &c->ctx);
	if (rc) {
		c->ctx = NULL;
		goto fail;
	}
	if (x->integ) {
		rc = x->integ->clone(x->integ_ctx, &c->integ_ctx);
		if (rc) {
			c->integ_ctx = NULL;
			goto fail;
		}
	}
	*out = c;
	return UIPSEC_OK;
fail:
	xform_free(c);
	return rc;
}

const uipsec_xform_info_t *uipsec_xform_info(const uipsec_xform_t *x)
{
	return &x->info;
}

static int length_check(const uipsec_xform_t *x, size_t tail_len, size_t len)
{
	if (x->aead && tail_len)
		return UIPSEC_ERR_INVAL;   /* an AEAD takes ESN in aad */
	/* block sizes are powers of two (1 or 16): no division per packet */
	if (len & (size_t)(x->info.block_size - 1))
		return UIPSEC_ERR_INVAL;
	return UIPSEC_OK;
}

/* MAC over aad || iv || data || aad_tail (RFC 4303 2.2.1 for ESN). */
static int composed_mac(uipsec_xform_t *x, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
                        const uint8_t *tail, size_t tail_len, const uint8_t *data, size_t len,
                        uint8_t *icv)
{
	const uipsec_iov_t seg[4] = {
		{ aad, aad_len }, { iv, x->info.iv_size }, { data, len }, { tail, tail_len },
	};
	return x->integ->mac(x->integ_ctx, seg, 4, icv);
}

int uipsec_xform_encrypt(uipsec_xform_t *x, const uint8_t *iv,
                         const uint8_t *aad, size_t aad_len,
                         const uint8_t *aad_tail, size_t tail_len,
                         uint8_t *data, size_t len, uint8_t *icv)
{
	int rc = length_check(x, tail_len, len);
	if (rc)
		return rc;
	if (x->aead)
		return x->aead->encrypt(x->ctx, iv, aad, aad_len, data, len, icv);
	rc = x->cipher->encrypt(x->ctx, iv, data, len);
	if (rc)
		return rc;
	return composed_mac(x, iv, aad, aad_len, aad_tail, tail_len, data, len, icv);
}

int uipsec_xform_decrypt(uipsec_xform_t *x, const uint8_t *iv,
                         const uint8_t *aad, size_t aad_len,
                         const uint8_t *aad_tail, size_t tail_len,
                         uint8_t *data, size_t len, const uint8_t *icv)
{
	int rc = length_check(x, tail_len, len);
	if (rc)
		return rc;
	if (x->aead)
		return x->aead->decrypt(x->ctx, iv, aad, aad_len, data, len, icv);
	uint8_t mac[64];
	rc = composed_mac(x, iv, aad, aad_len, aad_tail, tail_len, data, len, mac);
	if (rc)
		return rc;
	bool ok = crypto_memeq_ct(mac, icv, x->info.icv_size);
	uipsec_memwipe(mac, sizeof(mac));
	if (!ok)
		return UIPSEC_ERR_AUTH;
	return x->cipher->decrypt(x->ctx, iv, data, len);
}

void uipsec_xform_destroy(uipsec_xform_t *x)
{
	xform_free(x);
}

/* ---------------------------------------------------------------- RNG */

int uipsec_rng_bytes(uint8_t *buf, size_t len)
{
	const feature_provider_t *p;
	if (features_providers(UIPSEC_FT_RNG, 0, NULL, &p, 1) == 0)
		return UIPSEC_ERR_NOTSUP;
	const uipsec_rng_ops_t *ops = p->feature->ops;
	return ops->bytes(p->state, buf, len);
}
