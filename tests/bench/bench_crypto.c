/* SPDX-License-Identifier: GPL-2.0-or-later */
/* make bench: ESP encryption through our xform API (loaded plugins, the
 * real provider choice) against a direct loop on the same library, in the
 * same run, per algorithm, backend and packet size. The direct loop does
 * what an application calling the library itself would do per packet
 * (context keyed once, set the nonce, AAD, data, tag), so the ratio is the
 * cost of our layers. Usage: bench-crypto [seconds-per-cell] [keyword...] */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>
#include <gcrypt.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "../../core/crypto/crypto_core.h"
#include "config/logging.h"
#include "plugin/plugin_loader.h"
#include "config/settings_parser.h"

static const char *const default_keywords[] = {
	"aes128gcm16", "aes256gcm16", "aes128gcm8", "chacha20poly1305", "aes128ccm16",
	"aes256ccm16", "aes128gmac", "aes256gmac", "aes128-sha256", "aes256-sha512",
	"aes128ctr-sha256", "aes128-sha1", "aes128-aescmac", "null-sha256", NULL,
};
static const size_t sizes[] = { 64, 512, 1400, 8192 };
static const uint8_t aad[8] = { 0, 0, 0x10, 0, 0, 0, 0, 1 };

typedef struct direct {
	crypto_proposal_t prop;
	const uipsec_alg_info_t *ei, *ii;
	uint8_t key[64], ikey[64], iv[16];
	/* OpenSSL */
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *cctx;
	EVP_MAC *mac;
	EVP_MAC_CTX *mctx;
	/* libgcrypt */
	gcry_cipher_hd_t gh;
	gcry_mac_hd_t gm;
} direct_t;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_mode(const direct_t *d, int id)
{
	return (int)UIPSEC_ALG_ID(d->prop.encr) == id;
}

static bool is_ccm(const direct_t *d)
{
	return is_mode(d, UIPSEC_ENCR_AES_CCM_8) || is_mode(d, UIPSEC_ENCR_AES_CCM_12) ||
	       is_mode(d, UIPSEC_ENCR_AES_CCM_16);
}

static const char *ossl_cipher_name(const direct_t *d)
{
	static char name[32];
	unsigned bits = UIPSEC_ALG_BITS(d->prop.encr);
	const char *mode;
	if (is_mode(d, UIPSEC_ENCR_CHACHA20_POLY1305))
		return "ChaCha20-Poly1305";
	if (is_mode(d, UIPSEC_ENCR_NULL))
		return NULL;
	mode = is_ccm(d) ? "CCM" : is_mode(d, UIPSEC_ENCR_AES_CBC) ? "CBC" : is_mode(d, UIPSEC_ENCR_AES_CTR) ? "CTR" : "GCM";
	snprintf(name, sizeof(name), "AES-%u-%s", bits, mode);
	return name;
}

/* ---------------------------------------------------------------- direct OpenSSL */

static void ossl_setup(direct_t *d)
{
	const char *name = ossl_cipher_name(d);
	int enc_key = d->ei->key_size - d->ei->salt_size;
	if (name) {
		d->cipher = EVP_CIPHER_fetch(NULL, name, NULL);
		d->cctx = EVP_CIPHER_CTX_new();
		EVP_EncryptInit_ex(d->cctx, d->cipher, NULL, NULL, NULL);
		if (d->ei->kind == UIPSEC_ALG_KIND_AEAD) {
			EVP_CIPHER_CTX_ctrl(d->cctx, EVP_CTRL_AEAD_SET_IVLEN, d->ei->salt_size + 8, NULL);
			if (is_ccm(d))
				EVP_CIPHER_CTX_ctrl(d->cctx, EVP_CTRL_AEAD_SET_TAG, d->ei->icv_size, NULL);
		} else {
			EVP_CIPHER_CTX_set_padding(d->cctx, 0);
		}
		EVP_EncryptInit_ex(d->cctx, NULL, NULL, d->key, NULL);
	}
	(void)enc_key;
	if (d->ii) {
		bool cmac = UIPSEC_ALG_ID(d->prop.integ) == UIPSEC_AUTH_AES_CMAC_96;
		static const char *const digest[] = {
			[UIPSEC_AUTH_HMAC_SHA1_96] = "SHA1", [UIPSEC_AUTH_HMAC_SHA2_256_128] = "SHA2-256",
			[UIPSEC_AUTH_HMAC_SHA2_384_192] = "SHA2-384", [UIPSEC_AUTH_HMAC_SHA2_512_256] = "SHA2-512",
			[UIPSEC_AUTH_AES_CMAC_96] = "AES-128-CBC",
		};
		d->mac = EVP_MAC_fetch(NULL, cmac ? "CMAC" : "HMAC", NULL);
		d->mctx = EVP_MAC_CTX_new(d->mac);
		OSSL_PARAM p[] = {
			OSSL_PARAM_construct_utf8_string(cmac ? OSSL_MAC_PARAM_CIPHER : OSSL_MAC_PARAM_DIGEST,
			                                 (char *)digest[UIPSEC_ALG_ID(d->prop.integ)], 0),
			OSSL_PARAM_construct_end(),
		};
		EVP_MAC_init(d->mctx, d->ikey, d->ii->key_size, p);
	}
}

static void ossl_packet(direct_t *d, uint8_t *buf, size_t len, uint8_t *icv)
{
	uint8_t nonce[16], block[16], full[64];
	int n;
	size_t outl;
	if (d->ei->kind == UIPSEC_ALG_KIND_AEAD) {
		memcpy(nonce, d->key + d->ei->key_size - d->ei->salt_size, d->ei->salt_size);
		memcpy(nonce + d->ei->salt_size, d->iv, 8);
		EVP_EncryptInit_ex(d->cctx, NULL, NULL, NULL, nonce);
		if (is_ccm(d))
			EVP_EncryptUpdate(d->cctx, NULL, &n, NULL, (int)len);
		EVP_EncryptUpdate(d->cctx, NULL, &n, aad, sizeof(aad));
		if (is_mode(d, UIPSEC_ENCR_NULL_AUTH_AES_GMAC)) {
			EVP_EncryptUpdate(d->cctx, NULL, &n, d->iv, 8);
			EVP_EncryptUpdate(d->cctx, NULL, &n, buf, (int)len);
		} else {
			EVP_EncryptUpdate(d->cctx, buf, &n, buf, (int)len);
		}
		EVP_EncryptFinal_ex(d->cctx, buf + len, &n);
		EVP_CIPHER_CTX_ctrl(d->cctx, EVP_CTRL_AEAD_GET_TAG, d->ei->icv_size, icv);
		return;
	}
	if (d->cctx) {
		const uint8_t *ivp = d->iv;
		if (is_mode(d, UIPSEC_ENCR_AES_CTR)) {
			memcpy(block, d->key + d->ei->key_size - 4, 4);
			memcpy(block + 4, d->iv, 8);
			memcpy(block + 12, "\0\0\0\1", 4);
			ivp = block;
		}
		EVP_EncryptInit_ex(d->cctx, NULL, NULL, NULL, ivp);
		EVP_EncryptUpdate(d->cctx, buf, &n, buf, (int)len);
	}
	EVP_MAC_init(d->mctx, NULL, 0, NULL);
	EVP_MAC_update(d->mctx, aad, sizeof(aad));
	EVP_MAC_update(d->mctx, d->iv, d->ei->iv_size);
	EVP_MAC_update(d->mctx, buf, len);
	EVP_MAC_final(d->mctx, full, &outl, sizeof(full));
	memcpy(icv, full, d->ii->icv_size);
}

/* ---------------------------------------------------------------- direct libgcrypt */

static void gcr_setup(direct_t *d)
{
	unsigned bits = UIPSEC_ALG_BITS(d->prop.encr);
	int algo = bits == 128 ? GCRY_CIPHER_AES128 : bits == 192 ? GCRY_CIPHER_AES192 : GCRY_CIPHER_AES256;
	int mode = is_ccm(d) ? GCRY_CIPHER_MODE_CCM : is_mode(d, UIPSEC_ENCR_AES_CBC) ? GCRY_CIPHER_MODE_CBC :
	           is_mode(d, UIPSEC_ENCR_AES_CTR) ? GCRY_CIPHER_MODE_CTR : GCRY_CIPHER_MODE_GCM;
	if (is_mode(d, UIPSEC_ENCR_CHACHA20_POLY1305)) {
		algo = GCRY_CIPHER_CHACHA20;
		mode = GCRY_CIPHER_MODE_POLY1305;
	}
	if (!is_mode(d, UIPSEC_ENCR_NULL)) {
		gcry_cipher_open(&d->gh, algo, mode, 0);
		gcry_cipher_setkey(d->gh, d->key, d->ei->key_size - d->ei->salt_size);
	}
	if (d->ii) {
		static const int macs[] = {
			[UIPSEC_AUTH_HMAC_SHA1_96] = GCRY_MAC_HMAC_SHA1, [UIPSEC_AUTH_HMAC_SHA2_256_128] = GCRY_MAC_HMAC_SHA256,
			[UIPSEC_AUTH_HMAC_SHA2_384_192] = GCRY_MAC_HMAC_SHA384, [UIPSEC_AUTH_HMAC_SHA2_512_256] = GCRY_MAC_HMAC_SHA512,
			[UIPSEC_AUTH_AES_CMAC_96] = GCRY_MAC_CMAC_AES,
		};
		gcry_mac_open(&d->gm, macs[UIPSEC_ALG_ID(d->prop.integ)], 0, NULL);
		gcry_mac_setkey(d->gm, d->ikey, d->ii->key_size);
	}
}

static void gcr_packet(direct_t *d, uint8_t *buf, size_t len, uint8_t *icv)
{
	uint8_t nonce[16], full[64];
	size_t outl = sizeof(full);
	if (d->ei->kind == UIPSEC_ALG_KIND_AEAD) {
		memcpy(nonce, d->key + d->ei->key_size - d->ei->salt_size, d->ei->salt_size);
		memcpy(nonce + d->ei->salt_size, d->iv, 8);
		gcry_cipher_setiv(d->gh, nonce, d->ei->salt_size + 8);
		if (is_ccm(d)) {
			uint64_t l[3] = { len, sizeof(aad), d->ei->icv_size };
			gcry_cipher_ctl(d->gh, GCRYCTL_SET_CCM_LENGTHS, l, sizeof(l));
		}
		gcry_cipher_authenticate(d->gh, aad, sizeof(aad));
		if (is_mode(d, UIPSEC_ENCR_NULL_AUTH_AES_GMAC)) {
			gcry_cipher_authenticate(d->gh, d->iv, 8);
			gcry_cipher_authenticate(d->gh, buf, len);
		} else {
			gcry_cipher_encrypt(d->gh, buf, len, NULL, 0);
		}
		gcry_cipher_gettag(d->gh, icv, d->ei->icv_size);
		return;
	}
	if (d->gh) {
		if (is_mode(d, UIPSEC_ENCR_AES_CTR)) {
			uint8_t block[16];
			memcpy(block, d->key + d->ei->key_size - 4, 4);
			memcpy(block + 4, d->iv, 8);
			memcpy(block + 12, "\0\0\0\1", 4);
			gcry_cipher_setctr(d->gh, block, 16);
		} else {
			gcry_cipher_setiv(d->gh, d->iv, 16);
		}
		gcry_cipher_encrypt(d->gh, buf, len, NULL, 0);
	}
	gcry_mac_reset(d->gm);
	gcry_mac_write(d->gm, aad, sizeof(aad));
	gcry_mac_write(d->gm, d->iv, d->ei->iv_size);
	gcry_mac_write(d->gm, buf, len);
	gcry_mac_read(d->gm, full, &outl);
	memcpy(icv, full, d->ii->icv_size);
}

static void direct_free(direct_t *d)
{
	EVP_CIPHER_CTX_free(d->cctx);
	EVP_CIPHER_free(d->cipher);
	EVP_MAC_CTX_free(d->mctx);
	EVP_MAC_free(d->mac);
	if (d->gh)
		gcry_cipher_close(d->gh);
	if (d->gm)
		gcry_mac_close(d->gm);
}

/* ---------------------------------------------------------------- runs */

typedef void (*packet_fn)(void *ctx, uint8_t *buf, size_t len, uint8_t *icv);

static void api_packet(void *ctx, uint8_t *buf, size_t len, uint8_t *icv)
{
	static const uint8_t iv[16] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uipsec_xform_encrypt(ctx, iv, aad, sizeof(aad), NULL, 0, buf, len, icv);
}

static void ossl_fn(void *ctx, uint8_t *buf, size_t len, uint8_t *icv) { ossl_packet(ctx, buf, len, icv); }
static void gcr_fn(void *ctx, uint8_t *buf, size_t len, uint8_t *icv) { gcr_packet(ctx, buf, len, icv); }

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* MB/s of two packet functions, measured in alternating short chunks for
 * `seconds` in total, as the median chunk rate of each: a burst of other
 * load on a shared machine hits both sides alike and the median drops it. */
static void run_pair(packet_fn fa, void *ca, packet_fn fb, void *cb, uint8_t *buf, size_t len,
                     double seconds, double *ra, double *rb)
{
	enum { MAX_CHUNKS = 4096 };
	static double a[MAX_CHUNKS], b[MAX_CHUNKS];
	uint8_t icv[64];
	unsigned per_chunk = (unsigned)(200000 / (len + 200)) + 1;   /* ~0.1-0.5 ms */
	size_t n = 0;
	double end = now() + seconds;
	while (n < MAX_CHUNKS && now() < end) {
		double t0 = now();
		for (unsigned i = 0; i < per_chunk; i++)
			fa(ca, buf, len, icv);
		double t1 = now();
		for (unsigned i = 0; i < per_chunk; i++)
			fb(cb, buf, len, icv);
		double t2 = now();
		a[n] = (double)per_chunk * (double)len / (t1 - t0) / 1e6;
		b[n] = (double)per_chunk * (double)len / (t2 - t1) / 1e6;
		n++;
	}
	qsort(a, n, sizeof(a[0]), cmp_double);
	qsort(b, n, sizeof(b[0]), cmp_double);
	*ra = a[n / 2];
	*rb = b[n / 2];
}

int main(int argc, char **argv)
{
	double cell = argc > 1 ? atof(argv[1]) : 0.3;
	const char *const *keywords = argc > 2 ? (const char *const *)argv + 2 : default_keywords;
	GError *err = NULL;
	if (cell <= 0)
		cell = 0.3;
	log_set_level(NULL, UIPSEC_LOG_WARN);
	if (!g_getenv("UIPSEC_PLUGIN_PATH"))
		g_setenv("UIPSEC_PLUGIN_PATH", "plugins/.libs", TRUE);
	uipsec_settings_t *s = settings_new();
	settings_load_string(s, "uipsecd { load = crypto-openssl crypto-gcrypt }", "bench", &err);
	crypto_init(s);
	if (!plugin_loader_load(s, &err)) {
		fprintf(stderr, "bench-crypto: %s\n", err->message);
		return 1;
	}
	static const char *const backends[] = { "crypto-openssl", "crypto-gcrypt" };
	uint8_t *buf = g_malloc0(8192 + 64);
	printf("%-18s %-15s %6s %10s %10s %7s\n", "keyword", "backend", "bytes", "api MB/s", "lib MB/s", "ratio");
	for (const char *const *kw = keywords; *kw; kw++) {
		direct_t d = { 0 };
		if (!crypto_proposal_parse(*kw, &d.prop, NULL)) {
			fprintf(stderr, "bench-crypto: unknown keyword %s\n", *kw);
			continue;
		}
		d.ei = uipsec_alg_info(d.prop.encr);
		d.ii = d.prop.integ ? uipsec_alg_info(d.prop.integ) : NULL;
		for (size_t i = 0; i < sizeof(d.key); i++)
			d.key[i] = d.ikey[i] = (uint8_t)(i * 7 + 1);
		memcpy(d.iv, (uint8_t[16]){ 1, 2, 3, 4, 5, 6, 7, 8 }, 16);
		for (size_t b = 0; b < 2; b++) {
			g_autofree char *opt = g_strdup_printf("uipsecd.crypto.%s.provider", *kw);
			settings_set(s, opt, backends[b]);
			uipsec_xform_t *x;
			uipsec_err_t xerr;
			if (uipsec_xform_create(*kw, d.key, d.ei->key_size, d.ii ? d.ikey : NULL,
			                        d.ii ? d.ii->key_size : 0, &x, &xerr)) {
				fprintf(stderr, "bench-crypto: %s: %s\n", *kw, xerr.msg);
				continue;
			}
			direct_t dd = d;
			if (b == 0)
				ossl_setup(&dd);
			else
				gcr_setup(&dd);
			for (size_t z = 0; z < G_N_ELEMENTS(sizes); z++) {
				size_t len = sizes[z] - sizes[z] % d.ei->block_size;
				double api, lib;
				run_pair(api_packet, x, b == 0 ? ossl_fn : gcr_fn, &dd, buf, len, cell, &api, &lib);
				printf("%-18s %-15s %6zu %10.1f %10.1f %6.1f%%\n", *kw, backends[b], len, api, lib,
				       100.0 * api / lib);
				fflush(stdout);
			}
			direct_free(&dd);
			uipsec_xform_destroy(x);
		}
	}
	g_free(buf);
	plugin_loader_unload();
	crypto_deinit();
	settings_free(s);
	return 0;
}
