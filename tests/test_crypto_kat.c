/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Known-answer vectors (the tests/vectors/ files) against every provider that
 * claims the algorithm -- a generic test over the feature registry, so a
 * third-party provider loaded here is tested the same way -- and the
 * self-tests that drop a wrong provider at registration. */
#include "config.h"
#include <stdlib.h>
#include "crypto_test.h"

#define BOTH "uipsecd { load = crypto-openssl crypto-gcrypt }"
static const char *const built[] = { "crypto-openssl", "crypto-gcrypt" };

static const uipsec_alg_info_t *alg_by_name(const char *name)
{
	size_t n;
	const uipsec_alg_info_t *t = alg_table_all(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static GBytes *hex_field(GKeyFile *kf, const char *group, const char *key)
{
	g_autofree char *hex = g_key_file_get_string(kf, group, key, NULL);
	if (!hex)
		return g_bytes_new(NULL, 0);
	g_strstrip(hex);
	size_t len = strlen(hex);
	g_assert_cmpuint(len % 2, ==, 0);
	uint8_t *b = g_malloc(len / 2 + 1);
	for (size_t i = 0; i < len / 2; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			g_error("[%s] %s: not hex", group, key);
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return g_bytes_new_take(b, len / 2);
}

static const uint8_t *bytes(GBytes *b, size_t *len)
{
	return g_bytes_get_data(b, len);
}

/* Every vector of every file, against every provider of its algorithm. */
static void test_vectors(void)
{
	uipsec_settings_t *s = crypto_test_load(BOTH);
	g_autofree char *dir = g_build_filename(g_getenv("top_srcdir") ? g_getenv("top_srcdir") : ".",
	                                        "tests", "vectors", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	g_assert_nonnull(d);
	size_t nalg;
	const uipsec_alg_info_t *table = alg_table_all(&nalg);
	g_autofree unsigned *vectors_of = g_new0(unsigned, nalg);
	unsigned runs = 0, files = 0;
	const char *name;
	while ((name = g_dir_read_name(d))) {
		if (!g_str_has_suffix(name, ".vec"))
			continue;
		files++;
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autoptr(GKeyFile) kf = g_key_file_new();
		GError *err = NULL;
		if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err))
			g_error("%s: %s", path, err->message);
		g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
		for (char **g = groups; *g; g++) {
			g_autofree char *source = g_key_file_get_string(kf, *g, "source", NULL);
			g_autofree char *alg_name = g_key_file_get_string(kf, *g, "alg", NULL);
			if (!source || !*source)
				g_error("%s [%s]: every vector names its source", name, *g);
			const uipsec_alg_info_t *info = alg_name ? alg_by_name(alg_name) : NULL;
			if (!info)
				g_error("%s [%s]: unknown alg '%s'", name, *g, alg_name);
			vectors_of[info - table]++;
			GBytes *f[6];
			static const char *const keys[6] = { "key", "iv", "aad", "pt", "ct", "icv" };
			for (int i = 0; i < 6; i++)
				f[i] = hex_field(kf, *g, keys[i]);
			crypto_kat_t k;
			k.key = bytes(f[0], &k.key_len);
			k.iv = bytes(f[1], &k.iv_len);
			k.aad = bytes(f[2], &k.aad_len);
			k.pt = bytes(f[3], &k.pt_len);
			k.ct = bytes(f[4], &k.ct_len);
			k.icv = bytes(f[5], &k.icv_len);

			const feature_provider_t *prov[16];
			uipsec_feature_type_t type = crypto_test_type(info);
			size_t n = features_providers(type, info->alg, NULL, prov, G_N_ELEMENTS(prov));
			/* both plugins built here claim every algorithm */
			for (size_t b = 0; b < G_N_ELEMENTS(built); b++) {
				bool found = false;
				for (size_t p = 0; p < n; p++)
					found |= strcmp(prov[p]->plugin, built[b]) == 0;
				if (!found)
					g_error("%s does not serve %s (%zu providers; log: %s)", built[b], info->name, n,
					        crypto_test_logged("failed") ? crypto_test_logged("failed") : "-");
			}
			for (size_t p = 0; p < n; p++) {
				const char *why = crypto_kat_check(type, prov[p]->feature->ops, prov[p]->state,
				                                   info->alg, &k);
				if (why)
					g_error("%s [%s] (%s) with %s: %s", name, *g, source, prov[p]->plugin, why);
				runs++;
			}
			for (int i = 0; i < 6; i++)
				g_bytes_unref(f[i]);
		}
	}
	g_dir_close(d);
	g_assert_cmpuint(files, >=, 9);
	/* every algorithm of the table has published (or documented) vectors */
	for (size_t i = 0; i < nalg; i++) {
		if (!vectors_of[i])
			g_error("no vector in tests/vectors for %s", table[i].name);
		g_assert_cmpuint(crypto_selftest_count(table[i].alg), >=, 1);
	}
	g_test_message("%u vector runs in %u files", runs, files);
	g_assert_cmpuint(runs, >=, 2 * 80);
	crypto_test_unload(s);
}

/* Every algorithm passed its self-test in both plugins (nothing dropped). */
static void test_selftest_all_kept(void)
{
	uipsec_settings_t *s = crypto_test_load(BOTH);
	size_t nalg;
	const uipsec_alg_info_t *table = alg_table_all(&nalg);
	for (size_t i = 0; i < nalg; i++) {
		const feature_provider_t *prov[4];
		size_t n = features_providers(crypto_test_type(&table[i]), table[i].alg, NULL, prov, 4);
		if (n != 2)
			g_error("%s: %zu providers kept, expected 2", table[i].name, n);
	}
	const feature_provider_t *rng[4];
	g_assert_cmpuint(features_providers(UIPSEC_FT_RNG, 0, NULL, rng, 4), ==, 2);
	g_assert_null(crypto_test_logged("failed its check"));
	crypto_test_unload(s);
}

/* A wrong implementation is logged and never selected. */
static void test_selftest_drops_broken(void)
{
	uipsec_settings_t *s = crypto_test_load("uipsecd { load = crypto-broken crypto-openssl }");
	const feature_provider_t *prov[4];
	size_t n = features_providers(UIPSEC_FT_AEAD,
	                              UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_AES_GCM_16, 128), NULL, prov, 4);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpstr(prov[0]->plugin, ==, "crypto-openssl");
	g_assert_nonnull(crypto_test_logged("self-test of AES_GCM_16-128 failed: wrong ciphertext"));
	g_assert_nonnull(crypto_test_logged("self-test of the RNG failed"));
	n = features_providers(UIPSEC_FT_RNG, 0, NULL, prov, 4);
	g_assert_cmpuint(n, ==, 1);
	g_assert_cmpstr(prov[0]->plugin, ==, "crypto-openssl");

	/* and the xform API therefore uses OpenSSL, although crypto-broken loads first */
	uint8_t key[20] = { 1 };
	uipsec_xform_t *x;
	uipsec_err_t err;
	g_assert_cmpint(uipsec_xform_create("aes128gcm16", key, sizeof(key), NULL, 0, &x, &err), ==, UIPSEC_OK);
	g_assert_cmpstr(uipsec_xform_info(x)->provider, ==, "crypto-openssl");
	uipsec_xform_destroy(x);
	crypto_test_unload(s);
}

/* uipsecd.crypto.selftest = no skips the check: the broken one is kept. */
static void test_selftest_disabled(void)
{
	uipsec_settings_t *s = crypto_test_load(
		"uipsecd { load = crypto-broken crypto-openssl\n crypto { selftest = no } }");
	const feature_provider_t *prov[4];
	size_t n = features_providers(UIPSEC_FT_AEAD,
	                              UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_AES_GCM_16, 128), NULL, prov, 4);
	g_assert_cmpuint(n, ==, 2);
	g_assert_cmpstr(prov[0]->plugin, ==, "crypto-broken");
	g_assert_null(crypto_test_logged("self-test of"));
	crypto_test_unload(s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/crypto/kat/vectors", test_vectors);
	g_test_add_func("/crypto/selftest/all-kept", test_selftest_all_kept);
	g_test_add_func("/crypto/selftest/drops-broken", test_selftest_drops_broken);
	g_test_add_func("/crypto/selftest/disabled", test_selftest_disabled);
	return g_test_run();
}
