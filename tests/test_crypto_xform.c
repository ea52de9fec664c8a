/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ESP transform API: keywords, key checks, cross-backend round trips
 * with tampering, provider choice by load order, priority and override,
 * cloning for worker threads, the RNG. Everything runs through the real
 * plugin loader with the real crypto-openssl and crypto-gcrypt plugins. */
#include "config.h"
#include "crypto_test.h"

#define BOTH "uipsecd { load = crypto-openssl crypto-gcrypt }"
static const char *const backends[] = { "crypto-openssl", "crypto-gcrypt" };

static void random_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)g_test_rand_int_range(0, 256);
}

/* ---------------------------------------------------------------- keywords */

static void test_keywords(void)
{
	crypto_proposal_t p;
	uipsec_err_t err;
	static const struct { const char *in, *canonical; } ok[] = {
		{ "aes128gcm16", "aes128gcm16" }, { "aes256gcm128", "aes256gcm16" },
		{ "aes192gcm", "aes192gcm16" }, { "aes128gcm64", "aes128gcm8" },
		{ "AES128GCM12", "aes128gcm12" }, { "chacha20poly1305", "chacha20poly1305" },
		{ "aes256ccm96", "aes256ccm12" }, { "aes128gmac", "aes128gmac" },
		{ "aes128-sha256", "aes128-sha256" }, { "aes256-sha2_512", "aes256-sha512" },
		{ "aes-sha1", "aes128-sha1" }, { "aes192ctr-aescmac", "aes192ctr-aescmac" },
		{ "null-sha256", "null-sha256" }, { "aes128-sha", "aes128-sha1" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		g_assert_true(crypto_proposal_parse(ok[i].in, &p, &err));
		g_assert_cmpstr(p.keyword, ==, ok[i].canonical);
	}
	static const struct { const char *in, *msg; } bad[] = {
		{ "aes128gcm16-sha256", "ESP proposal 'aes128gcm16-sha256': aes128gcm16 is an AEAD and takes no integrity algorithm" },
		{ "aes128", "ESP proposal 'aes128': aes128 needs an integrity algorithm (e.g. aes128-sha256)" },
		{ "3des-sha1", "ESP proposal '3des-sha1': unknown encryption algorithm '3des'" },
		{ "aes128-md5", "ESP proposal 'aes128-md5': unknown integrity algorithm 'md5'" },
		{ "", "empty ESP proposal" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_false(crypto_proposal_parse(bad[i].in, &p, &err));
		g_assert_cmpstr(err.msg, ==, bad[i].msg);
	}
	/* the canonical list: 22 AEAD keywords and 7 ciphers x 5 integrity */
	g_auto(GStrv) all = crypto_proposal_keywords();
	g_assert_cmpuint(g_strv_length(all), ==, 22 + 7 * 5);
	for (char **k = all; *k; k++) {
		g_assert_true(crypto_proposal_parse(*k, &p, &err));
		g_assert_cmpstr(p.keyword, ==, *k);
	}
}

static void test_alg_info(void)
{
	const uipsec_alg_info_t *i = uipsec_alg_info(UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_AES_GCM_16, 256));
	g_assert_nonnull(i);
	g_assert_cmpstr(i->name, ==, "AES_GCM_16-256");
	g_assert_cmpuint(i->key_size, ==, 36);
	g_assert_cmpuint(i->salt_size, ==, 4);
	g_assert_cmpuint(i->iv_size, ==, 8);
	g_assert_cmpuint(i->icv_size, ==, 16);
	i = uipsec_alg_info(UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_AES_CCM_8, 192));
	g_assert_cmpuint(i->key_size, ==, 27);
	g_assert_cmpuint(i->icv_size, ==, 8);
	i = uipsec_alg_info(UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_AES_CBC, 128));
	g_assert_cmpuint(i->iv_size, ==, 16);
	g_assert_cmpuint(i->block_size, ==, 16);
	i = uipsec_alg_info(UIPSEC_ALG(UIPSEC_TT_INTEG, UIPSEC_AUTH_HMAC_SHA2_384_192, 384));
	g_assert_cmpuint(i->key_size, ==, 48);
	g_assert_cmpuint(i->icv_size, ==, 24);
	g_assert_null(uipsec_alg_info(UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_AES_GCM_16, 64)));
	g_assert_null(uipsec_alg_info(0));
}

/* ---------------------------------------------------------------- xform basics */

static void test_key_checks(void)
{
	uipsec_settings_t *s = crypto_test_load(BOTH);
	uint8_t key[80] = { 0 };
	uipsec_xform_t *x = (void *)1;
	uipsec_err_t err;
	g_assert_cmpint(uipsec_xform_create("aes128gcm16", key, 16, NULL, 0, &x, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_null(x);
	g_assert_cmpstr(err.msg, ==, "aes128gcm16: key must be 20 bytes (16 key + 4 salt), got 16");
	g_assert_cmpint(uipsec_xform_create("aes128gcm16", key, 20, key, 32, &x, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpstr(err.msg, ==, "aes128gcm16: an AEAD takes no integ_key");
	g_assert_cmpint(uipsec_xform_create("aes256-sha384", key, 32, key, 32, &x, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpstr(err.msg, ==, "aes256-sha384: integ_key must be 48 bytes, got 32");
	g_assert_cmpint(uipsec_xform_create("aes128ccm8", key, 16, NULL, 0, &x, &err), ==, UIPSEC_ERR_INVAL);
	g_assert_cmpstr(err.msg, ==, "aes128ccm8: key must be 19 bytes (16 key + 3 salt), got 16");
	g_assert_cmpint(uipsec_xform_create("twofish-sha1", key, 16, key, 20, &x, &err), ==, UIPSEC_ERR_NOTSUP);
	g_assert_cmpstr(err.msg, ==, "ESP proposal 'twofish-sha1': unknown encryption algorithm 'twofish'");

	/* what the ESP engine reads */
	g_assert_cmpint(uipsec_xform_create("aes256-sha512", key, 32, key, 64, &x, &err), ==, UIPSEC_OK);
	const uipsec_xform_info_t *i = uipsec_xform_info(x);
	g_assert_false(i->aead);
	g_assert_cmpuint(i->iv_size, ==, 16);
	g_assert_cmpuint(i->icv_size, ==, 32);
	g_assert_cmpuint(i->block_size, ==, 16);
	g_assert_cmpuint(i->key_size, ==, 32);
	g_assert_cmpuint(i->salt_size, ==, 0);
	g_assert_cmpuint(i->integ_key_size, ==, 64);
	g_assert_cmpstr(i->provider, ==, "crypto-openssl");
	g_assert_cmpstr(i->integ_provider, ==, "crypto-openssl");
	/* ESN high bits go in aad_tail for cipher + integrity; lengths checked */
	uint8_t iv[16] = { 0 }, data[32] = { 0 }, icv[32];
	g_assert_cmpint(uipsec_xform_encrypt(x, iv, data, 8, data, 4, data, 17, icv), ==, UIPSEC_ERR_INVAL);
	uipsec_xform_destroy(x);

	g_assert_cmpint(uipsec_xform_create("chacha20poly1305", key, 36, NULL, 0, &x, &err), ==, UIPSEC_OK);
	i = uipsec_xform_info(x);
	g_assert_true(i->aead);
	g_assert_cmpuint(i->icv_size, ==, 16);
	g_assert_cmpuint(i->block_size, ==, 1);
	g_assert_cmpuint(i->key_size, ==, 36);
	g_assert_cmpuint(i->salt_size, ==, 4);
	g_assert_null(i->integ_provider);
	/* a true AEAD takes the ESN in aad, never after the data */
	g_assert_cmpint(uipsec_xform_encrypt(x, iv, data, 8, data, 4, data, 16, icv), ==, UIPSEC_ERR_INVAL);
	uipsec_xform_destroy(x);
	crypto_test_unload(s);
}

/* ---------------------------------------------------------------- cross backend */

typedef struct packet {
	uint8_t key[64], integ_key[64], iv[16], aad[12], tail[4];
	size_t aad_len, tail_len, len;
	uint8_t *pt, *ct, icv[32];
} packet_t;

static uipsec_xform_t *xform_from(uipsec_settings_t *s, const char *kw, const char *backend,
                                  const packet_t *pk, size_t key_len, size_t integ_len)
{
	g_autofree char *opt = g_strdup_printf("uipsecd.crypto.%s.provider", kw);
	settings_set(s, opt, backend);
	uipsec_xform_t *x;
	uipsec_err_t err;
	if (uipsec_xform_create(kw, pk->key, key_len, integ_len ? pk->integ_key : NULL, integ_len, &x, &err))
		g_error("%s with %s: %s", kw, backend, err.msg);
	g_assert_cmpstr(uipsec_xform_info(x)->provider, ==, backend);
	if (!uipsec_xform_info(x)->aead)
		g_assert_cmpstr(uipsec_xform_info(x)->integ_provider, ==, backend);
	return x;
}

static int decrypt_copy(uipsec_xform_t *x, const packet_t *pk, const uint8_t *aad, const uint8_t *tail,
                        const uint8_t *ct, const uint8_t *icv, uint8_t *out)
{
	memcpy(out, ct, pk->len);
	return uipsec_xform_decrypt(x, pk->iv, aad, pk->aad_len, tail, pk->tail_len, out, pk->len, icv);
}

/* Encrypt with one backend, decrypt with the other, for every keyword; the
 * two must produce identical bytes; any tampering fails authentication. */
static void test_cross_backend(void)
{
	uipsec_settings_t *s = crypto_test_load(BOTH);
	g_auto(GStrv) kws = crypto_proposal_keywords();
	static const size_t fixed_lens[] = { 0, 1, 3, 15, 16, 17, 64, 255, 1400, 1501, 8192, 9000 };
	unsigned checked = 0;
	for (char **kw = kws; *kw; kw++) {
		crypto_proposal_t prop;
		g_assert_true(crypto_proposal_parse(*kw, &prop, NULL));
		const uipsec_alg_info_t *ei = uipsec_alg_info(prop.encr);
		const uipsec_alg_info_t *ii = prop.integ ? uipsec_alg_info(prop.integ) : NULL;
		bool gmac = UIPSEC_ALG_ID(prop.encr) == UIPSEC_ENCR_NULL_AUTH_AES_GMAC;
		bool null = UIPSEC_ALG_ID(prop.encr) == UIPSEC_ENCR_NULL;
		for (size_t round = 0; round < G_N_ELEMENTS(fixed_lens) + 4; round++) {
			packet_t pk = { 0 };
			size_t len = round < G_N_ELEMENTS(fixed_lens) ? fixed_lens[round]
			                                              : (size_t)g_test_rand_int_range(0, 9001);
			pk.len = len - len % ei->block_size;
			random_fill(pk.key, sizeof(pk.key));
			random_fill(pk.integ_key, sizeof(pk.integ_key));
			random_fill(pk.iv, sizeof(pk.iv));
			random_fill(pk.aad, sizeof(pk.aad));
			random_fill(pk.tail, sizeof(pk.tail));
			pk.aad_len = g_test_rand_bit() ? 12 : 8;           /* SPI+seq, + ESN for AEAD */
			pk.tail_len = ii && g_test_rand_bit() ? 4 : 0;      /* ESN high bits */
			pk.pt = g_malloc(pk.len + 1);
			random_fill(pk.pt, pk.len);
			uint8_t *ct[2], *out = g_malloc(pk.len + 1), icv[2][32];
			uipsec_xform_t *x[2];
			for (int b = 0; b < 2; b++) {
				x[b] = xform_from(s, *kw, backends[b], &pk, ei->key_size, ii ? ii->key_size : 0);
				ct[b] = g_memdup2(pk.pt, pk.len + 1);
				g_assert_cmpint(uipsec_xform_encrypt(x[b], pk.iv, pk.aad, pk.aad_len, pk.tail,
				                                     pk.tail_len, ct[b], pk.len, icv[b]), ==, UIPSEC_OK);
			}
			size_t icv_len = uipsec_xform_info(x[0])->icv_size;
			/* identical on the wire */
			if (memcmp(ct[0], ct[1], pk.len) || memcmp(icv[0], icv[1], icv_len))
				g_error("%s len %zu: openssl and gcrypt disagree", *kw, pk.len);
			if (pk.len >= 16 && !gmac && !null)
				g_assert_true(memcmp(ct[0], pk.pt, pk.len) != 0);
			for (int b = 0; b < 2; b++) {
				uipsec_xform_t *d = x[1 - b];
				/* round trip across backends */
				g_assert_cmpint(decrypt_copy(d, &pk, pk.aad, pk.tail, ct[b], icv[b], out), ==, UIPSEC_OK);
				g_assert_true(memcmp(out, pk.pt, pk.len) == 0);
				/* tampered ciphertext, AAD, ICV, ESN tail */
				uint8_t bad[32], aad[12], tail[4];
				if (pk.len) {
					size_t at = (size_t)g_test_rand_int_range(0, (gint32)pk.len);
					uint8_t flip = (uint8_t)(1u << g_test_rand_int_range(0, 8));
					ct[b][at] ^= flip;
					g_assert_cmpint(decrypt_copy(d, &pk, pk.aad, pk.tail, ct[b], icv[b], out), ==, UIPSEC_ERR_AUTH);
					ct[b][at] ^= flip;
				}
				memcpy(aad, pk.aad, sizeof(aad));
				aad[g_test_rand_int_range(0, (gint32)pk.aad_len)] ^= 0x80;
				g_assert_cmpint(decrypt_copy(d, &pk, aad, pk.tail, ct[b], icv[b], out), ==, UIPSEC_ERR_AUTH);
				memcpy(bad, icv[b], icv_len);
				bad[g_test_rand_int_range(0, (gint32)icv_len)] ^= 0x01;
				g_assert_cmpint(decrypt_copy(d, &pk, pk.aad, pk.tail, ct[b], bad, out), ==, UIPSEC_ERR_AUTH);
				if (pk.tail_len) {
					memcpy(tail, pk.tail, 4);
					tail[3] ^= 0x01;
					g_assert_cmpint(decrypt_copy(d, &pk, pk.aad, tail, ct[b], icv[b], out), ==, UIPSEC_ERR_AUTH);
				}
				/* a context that rejected forgeries still accepts the genuine packet */
				g_assert_cmpint(decrypt_copy(d, &pk, pk.aad, pk.tail, ct[b], icv[b], out), ==, UIPSEC_OK);
				g_assert_true(memcmp(out, pk.pt, pk.len) == 0);
				checked++;
			}
			for (int b = 0; b < 2; b++) {
				uipsec_xform_destroy(x[b]);
				g_free(ct[b]);
			}
			g_free(out);
			g_free(pk.pt);
		}
	}
	g_test_message("%u cross-backend round trips", checked);
	g_assert_cmpuint(checked, ==, 57 * (12 + 4) * 2);
	crypto_test_unload(s);
}

/* Cipher from one plugin, integrity from the other: still one transform. */
static void test_mixed_providers(void)
{
	uipsec_settings_t *s = crypto_test_load(BOTH "\nuipsecd { crypto {\n"
	                                        " aes128 { provider = crypto-gcrypt }\n"
	                                        " sha256 { provider = crypto-openssl } } }");
	uint8_t key[16] = { 7 }, ikey[32] = { 9 }, iv[16] = { 1 }, aad[8] = { 2 }, data[64] = { 3 }, icv[16];
	uipsec_xform_t *x, *y;
	uipsec_err_t err;
	g_assert_cmpint(uipsec_xform_create("aes128-sha256", key, 16, ikey, 32, &x, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(uipsec_xform_info(x)->provider, ==, "crypto-gcrypt");
	g_assert_cmpstr(uipsec_xform_info(x)->integ_provider, ==, "crypto-openssl");
	g_assert_cmpint(uipsec_xform_encrypt(x, iv, aad, 8, NULL, 0, data, 64, icv), ==, UIPSEC_OK);
	/* the same proposal served by one plugin decrypts it */
	settings_set(s, "uipsecd.crypto.aes128-sha256.provider", "crypto-openssl");
	g_assert_cmpint(uipsec_xform_create("aes128-sha256", key, 16, ikey, 32, &y, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(uipsec_xform_info(y)->provider, ==, "crypto-openssl");
	g_assert_cmpstr(uipsec_xform_info(y)->integ_provider, ==, "crypto-openssl");
	g_assert_cmpint(uipsec_xform_decrypt(y, iv, aad, 8, NULL, 0, data, 64, icv), ==, UIPSEC_OK);
	for (size_t i = 0; i < 64; i++)
		g_assert_cmpuint(data[i], ==, i == 0 ? 3 : 0);
	uipsec_xform_destroy(x);
	uipsec_xform_destroy(y);
	crypto_test_unload(s);
}

/* ---------------------------------------------------------------- provider choice */

static const char *provider_of(const char *kw)
{
	uint8_t key[36] = { 0 };
	uipsec_xform_t *x;
	uipsec_err_t err;
	if (uipsec_xform_create(kw, key, 20, NULL, 0, &x, &err))
		g_error("%s: %s", kw, err.msg);
	const char *p = uipsec_xform_info(x)->provider;   /* plugin names outlive the xform */
	uipsec_xform_destroy(x);
	return p;
}

static void test_load_order(void)
{
	uipsec_settings_t *s = crypto_test_load("uipsecd { load = crypto-gcrypt crypto-openssl }");
	g_assert_cmpstr(provider_of("aes128gcm16"), ==, "crypto-gcrypt");
	crypto_test_unload(s);
	s = crypto_test_load("uipsecd { load = crypto-openssl crypto-gcrypt }");
	g_assert_cmpstr(provider_of("aes128gcm16"), ==, "crypto-openssl");
	crypto_test_unload(s);
	/* a priority beats the load order */
	s = crypto_test_load("uipsecd { load = crypto-openssl crypto-gcrypt\n"
	                     " plugins { crypto-gcrypt { load = 10 } } }");
	g_assert_cmpstr(provider_of("aes128gcm16"), ==, "crypto-gcrypt");
	crypto_test_unload(s);
}

static void test_override(void)
{
	uipsec_settings_t *s = crypto_test_load(BOTH "\nuipsecd { crypto { aes128gcm16 { provider = crypto-gcrypt } } }");
	g_assert_cmpstr(provider_of("aes128gcm16"), ==, "crypto-gcrypt");
	g_assert_cmpstr(provider_of("aes128gcm8"), ==, "crypto-openssl");   /* other keywords untouched */
	/* an alias names the same proposal */
	g_assert_cmpstr(provider_of("aes128gcm128"), ==, "crypto-gcrypt");
	/* a preference list: first loaded one wins */
	settings_set(s, "uipsecd.crypto.aes128gcm8.provider", "crypto-foo, crypto-gcrypt");
	g_assert_cmpstr(provider_of("aes128gcm8"), ==, "crypto-gcrypt");
	/* a plugin that does not serve it is an error, not a silent fallback */
	settings_set(s, "uipsecd.crypto.aes128gcm12.provider", "crypto-foo");
	uint8_t key[20] = { 0 };
	uipsec_xform_t *x;
	uipsec_err_t err;
	g_assert_cmpint(uipsec_xform_create("aes128gcm12", key, 20, NULL, 0, &x, &err), ==, UIPSEC_ERR_NOTSUP);
	g_assert_cmpstr(err.msg, ==, "uipsecd.crypto.aes128gcm12.provider = crypto-foo: no such plugin provides "
	                "AES_GCM_12-128 (not loaded, or it failed its self-test)");
	crypto_test_unload(s);

	/* no provider at all */
	s = crypto_test_load("uipsecd { load = crypto-broken }");
	g_assert_cmpint(uipsec_xform_create("aes128gcm12", key, 20, NULL, 0, &x, &err), ==, UIPSEC_ERR_NOTSUP);
	g_assert_cmpstr(err.msg, ==, "no plugin provides AES_GCM_12-128 (none loaded, or every provider failed its self-test)");
	uint8_t buf[8];
	g_assert_cmpint(uipsec_rng_bytes(buf, sizeof(buf)), ==, UIPSEC_ERR_NOTSUP);
	crypto_test_unload(s);
}

/* Key bytes appear in no log line and no error message, at trace level. */
static void test_no_key_in_log(void)
{
	uipsec_settings_t *s = crypto_test_load("uipsecd { load = crypto-broken crypto-openssl crypto-gcrypt }");
	log_set_level(NULL, UIPSEC_LOG_TRACE);
	uint8_t key[64];
	memset(key, 0xd7, sizeof(key));
	const char *kws[] = { "aes128gcm16", "aes128-sha256", "chacha20poly1305", "aes128ccm8" };
	uipsec_err_t err;
	for (size_t i = 0; i < G_N_ELEMENTS(kws); i++)
		for (size_t len = 0; len <= 40; len += 4) {
			uipsec_xform_t *x = NULL;
			memset(err.msg, 0, sizeof(err.msg));
			if (uipsec_xform_create(kws[i], key, len, key, len, &x, &err) == UIPSEC_OK)
				uipsec_xform_destroy(x);
			g_assert_null(strstr(err.msg, "d7d7"));
			g_assert_null(strstr(err.msg, "D7D7"));
			g_assert_null(strstr(err.msg, "\xd7\xd7"));
		}
	g_assert_null(crypto_test_logged("d7d7"));
	g_assert_null(crypto_test_logged("D7D7"));
	g_assert_null(crypto_test_logged("\xd7\xd7"));
	g_assert_nonnull(crypto_test_logged("self-test of AES_GCM_16-128 failed"));   /* the log was captured */
	crypto_test_unload(s);
}

/* ---------------------------------------------------------------- threads, RNG */

typedef struct worker {
	uipsec_xform_t *x;
	uint8_t icv[16];
	int rc;
} worker_t;

static gpointer worker_run(gpointer data)
{
	worker_t *w = data;
	uint8_t iv[8] = { 0 }, aad[8] = { 1 }, buf[1400];
	w->rc = UIPSEC_OK;
	for (unsigned i = 0; i < 2000 && w->rc == UIPSEC_OK; i++) {
		memset(buf, 0x5a, sizeof(buf));
		iv[7] = (uint8_t)i;
		w->rc = uipsec_xform_encrypt(w->x, iv, aad, 8, NULL, 0, buf, sizeof(buf), w->icv);
		if (w->rc == UIPSEC_OK)
			w->rc = uipsec_xform_decrypt(w->x, iv, aad, 8, NULL, 0, buf, sizeof(buf), w->icv);
		if (w->rc == UIPSEC_OK && buf[0] != 0x5a)
			w->rc = UIPSEC_ERR;
	}
	return NULL;
}

static void test_clone_threads(void)
{
	uipsec_settings_t *s = crypto_test_load(BOTH);
	for (size_t b = 0; b < G_N_ELEMENTS(backends); b++) {
		settings_set(s, "uipsecd.crypto.aes256gcm16.provider", backends[b]);
		uint8_t key[36];
		random_fill(key, sizeof(key));
		uipsec_xform_t *x;
		uipsec_err_t err;
		g_assert_cmpint(uipsec_xform_create("aes256gcm16", key, 36, NULL, 0, &x, &err), ==, UIPSEC_OK);
		worker_t w[4];
		GThread *t[4];
		for (int i = 0; i < 4; i++) {
			g_assert_cmpint(uipsec_xform_clone(x, &w[i].x), ==, UIPSEC_OK);
			g_assert_cmpstr(uipsec_xform_info(w[i].x)->keyword, ==, "aes256gcm16");
			t[i] = g_thread_new("crypto-worker", worker_run, &w[i]);
		}
		for (int i = 0; i < 4; i++) {
			g_thread_join(t[i]);
			g_assert_cmpint(w[i].rc, ==, UIPSEC_OK);
			/* every clone computed the same last ICV as the others */
			g_assert_true(memcmp(w[i].icv, w[0].icv, 16) == 0);
			uipsec_xform_destroy(w[i].x);
		}
		uipsec_xform_destroy(x);
	}
	crypto_test_unload(s);
}

static void test_rng(void)
{
	uipsec_settings_t *s = crypto_test_load(BOTH);
	uint8_t a[64] = { 0 }, b[64] = { 0 }, zero[64] = { 0 };
	g_assert_cmpint(uipsec_rng_bytes(a, sizeof(a)), ==, UIPSEC_OK);
	g_assert_cmpint(uipsec_rng_bytes(b, sizeof(b)), ==, UIPSEC_OK);
	g_assert_true(memcmp(a, b, sizeof(a)) != 0);
	g_assert_true(memcmp(a, zero, sizeof(a)) != 0);
	crypto_test_unload(s);
}

static void test_memeq(void)
{
	uint8_t a[32], b[32];
	random_fill(a, sizeof(a));
	memcpy(b, a, sizeof(a));
	g_assert_true(crypto_memeq_ct(a, b, sizeof(a)));
	g_assert_true(crypto_memeq_ct(a, b, 0));
	for (size_t i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x40;
		g_assert_false(crypto_memeq_ct(a, b, sizeof(a)));
		b[i] ^= 0x40;
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/crypto/keywords", test_keywords);
	g_test_add_func("/crypto/alg-info", test_alg_info);
	g_test_add_func("/crypto/xform/key-checks", test_key_checks);
	g_test_add_func("/crypto/xform/cross-backend", test_cross_backend);
	g_test_add_func("/crypto/xform/mixed-providers", test_mixed_providers);
	g_test_add_func("/crypto/provider/load-order", test_load_order);
	g_test_add_func("/crypto/provider/override", test_override);
	g_test_add_func("/crypto/xform/clone-threads", test_clone_threads);
	g_test_add_func("/crypto/no-key-in-log", test_no_key_in_log);
	g_test_add_func("/crypto/rng", test_rng);
	g_test_add_func("/crypto/memeq", test_memeq);
	return g_test_run();
}
