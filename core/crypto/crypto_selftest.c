/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Known-answer self-tests run on every crypto provider when its feature is
 * registered (the feature check of the plugin loader): a provider whose
 * output differs from the published vectors is dropped and never chosen,
 * like the Linux crypto API's "tested" flag. One vector per algorithm is
 * compiled in; tests/vectors/ holds the full sets. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <uipsec/log.h>
#include "crypto/crypto_core.h"
#include "util/hex.h"

typedef struct kat {
	uint32_t alg;
	/* hex; aad/pt/ct may be ""; icv may be longer than the algorithm's
	 * ICV (GCM tags truncate: the leading bytes are compared).
	 * INTEG: pt is the message, icv the (untruncated) MAC. */
	const char *key, *iv, *aad, *pt, *ct, *icv;
} kat_t;

#define ENCR(id, bits) UIPSEC_ALG(UIPSEC_TT_ENCR, UIPSEC_ENCR_##id, bits)
#define INTEG(id, bits) UIPSEC_ALG(UIPSEC_TT_INTEG, UIPSEC_AUTH_##id, bits)

/* The GCM spec (McGrew & Viega) test cases 4, 9 and 16 in ESP form
 * (RFC 4106: salt = first 4 bytes of the 96-bit IV). */
#define GCM_PT60 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
                 "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_PT64 GCM_PT60 "1aafd255"
#define GCM_AAD "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define GCM_128(id) { ENCR(id, 128), "feffe9928665731c6d6a8f9467308308" "cafebabe", \
	"facedbaddecaf888", GCM_AAD, GCM_PT60, \
	"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" \
	"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091", \
	"5bc94fbc3221a5db94fae95ae7121a47" }
#define GCM_192(id) { ENCR(id, 192), "feffe9928665731c6d6a8f9467308308feffe9928665731c" "cafebabe", \
	"facedbaddecaf888", "", GCM_PT64, \
	"3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c" \
	"7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256", \
	"9924a7c8587336bfb118024db8674a14" }
#define GCM_256(id) { ENCR(id, 256), \
	"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308" "cafebabe", \
	"facedbaddecaf888", GCM_AAD, GCM_PT60, \
	"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" \
	"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662", \
	"76fc6ece0f4e1768cddf8853bb2d551b" }

static const kat_t kats[] = {
	GCM_128(AES_GCM_16), GCM_128(AES_GCM_12), GCM_128(AES_GCM_8),
	GCM_192(AES_GCM_16), GCM_192(AES_GCM_12), GCM_192(AES_GCM_8),
	GCM_256(AES_GCM_16), GCM_256(AES_GCM_12), GCM_256(AES_GCM_8),
	/* RFC 7634 Appendix A (ESP example) */
	{ ENCR(CHACHA20_POLY1305, 256),
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" "a0a1a2a3",
	  "1011121314151617", "0102030400000005",
	  "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10"
	  "0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
	  "2425262728292a2b2c2d2e2f303132333435363701020204",
	  "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6"
	  "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3"
	  "cbec163fac469b502773f6fb94e664da9165b82829f641e0",
	  "76aaa8266b7fb0f7b11b369907e1ad43" },
	/* AES-CCM with 11-byte nonces (RFC 4309 form), from the Linux kernel's
	 * testmgr, originally NIST CAVS files */
	{ ENCR(AES_CCM_16, 128), "1e2c7e01419aefc00d58966e5ca24bd3" "4fa319", "d3015ad830601556",
	  "dae6289c452dfd635eda4cb6e6fcf9b70c56cbe4e0057ae10a630978bc2c55de",
	  "87a336fd96b39378a92863ba12a31485571e06c97b21ef767f387e8e29a43e7e",
	  "8a1e11f0026be219fc70c46d8eb799abc54ba2acd3f348ff3bb5ce53efdebb02",
	  "a986156c13feda0a22b8293dd8399a23" },
	{ ENCR(AES_CCM_16, 192), "56df5c8f263f0e42ef7ad3cefc846062cab440af5fc9c901" "d63c8c",
	  "8684b6cdef092e94",
	  "0265783ce9213091b1b9da769a786d95f28832a3f250cb4ce300736984698779",
	  "9fd2024b5249313c43693a2d8e70ad7ee0e54609808913b28c8bd93f86fbb56b",
	  "39df7c3c5a29b9625d51c216d8bd069f9b6a0970c15183c266881d4f9adae01e",
	  "c7791158e56b20407aea46428be46fe1" },
	{ ENCR(AES_CCM_16, 256),
	  "abd0e9330726e5838c7695d4b6dcf346f98fade3021383773fb0f1a1a1220f2b" "24a78b",
	  "07cbcc0ee633bff5",
	  "d4db301d03fefd5f87d48cb6b6f17a5dab90658d8eca4d4f160c40904bc73673",
	  "f5c67d48c1b7e692975acac4a96df93d6cdebcf190ea6ab2358636af5cfe4b3a",
	  "836f408772cfc113efbb8021046c5809071bfcdfc03f5bc7e079a86e717c3fcf",
	  "5cdab233e513e20d74d1efb50f3ab5f8" },
	{ ENCR(AES_CCM_12, 256),
	  "7cc8183b8d99e07c4541b8bd5ca7c2328ab80259a4fea92c09759a9b3c9b2739" "f9d94e",
	  "63b53d9d43f61e50",
	  "57f56b8b575c3d3b1302010c834c96358ed639cf7d149b94b03936e68f57e013",
	  "3b6c2936b6ef07a68372074fcffa66895fcab1bad58f2c2730db750993d465e4",
	  "b0885a33aae5c71d8523c7c62ff41e3dcc63442507784f9e96b888ebbc481f06",
	  "39af39acd84a80397b728af7" },
	{ ENCR(AES_CCM_8, 128), "ab2f8a74b71cd2b1ff802e487d82f8b9" "af9487", "783582817f889468",
	  "", "", "", "413cb88773cbf3f3" },
	{ ENCR(AES_CCM_8, 192), "585da096651a04d796e5c568aa9535e029a0ba9e4878d1ba" "ee4983",
	  "e9a9ffe957bafd9e",
	  "44a62c05e9e143b1587cf25c6d390a64a4f01305d177996711c4c6db00563661",
	  "85346642c8920f3658e06b913c985cbb0a85cc02ad7a96e96543a4c30fdc5581",
	  "fbe55d34bee5e8e75aef2fbf1f7fd4b266ca611e967a61b31c164552ba049c9f",
	  "b1d240bc527c6fb1" },
	{ ENCR(AES_CCM_8, 256),
	  "e08d997160d7971abd0199d58adf713ad3df244b5e3d4b4e307ab9d8530a5e2b" "1e2991",
	  "ad8ec1530acf2dbe",
	  "19b61f57c4f3f08b782b9402290f42276b75cb9834087e79e43e490d848b2287",
	  "e1d9d813eb3a753f9dbd5f66bedcbb66bf1799624a39271f1ddc24ae192f984c",
	  "19b86133452b43966f51d020307d9bc6263df8c96516a89ff0621734f21e8d75",
	  "4e13ccc0c32a542d" },
	/* CCM with a 12-byte ICV: no published 11-byte-nonce vector exists;
	 * these are strongSwan's self-defined ones (test_vectors/aes_ccm.c) */
	{ ENCR(AES_CCM_12, 128), "7cc8183b8d99e07c4541b8bd5ca7c232" "8ab802", "63b53d9d43f61e50",
	  "57f56b8b575c3d3b1302010c834c96358ed639cf7d149b94b03936e68f57e013",
	  "3b6c2936b6ef07a68372074fcffa66895fcab1bad58f2c2730db750993d465e4",
	  "2b94711ad32821e5e2eb75e809989c0ac9ea3ee43af9714c4f16731da510935b",
	  "83cddd30b93f86b314bb7d81" },
	{ ENCR(AES_CCM_12, 192), "7cc8183b8d99e07c4541b8bd5ca7c2328ab80259a4fea92c" "f9d94e",
	  "63b53d9d43f61e50",
	  "57f56b8b575c3d3b1302010c834c96358ed639cf7d149b94b03936e68f57e013",
	  "3b6c2936b6ef07a68372074fcffa66895fcab1bad58f2c2730db750993d465e4",
	  "481960bb65a800b826f17f161f3cfc6d866210c551cfef74acc6df28ac366fa0",
	  "3a382450680f401eafea4216" },
	/* AES-GMAC (RFC 4543): the RFC has no vectors; these were computed
	 * with OpenSSL 3.0 and libgcrypt 1.10 (which agree) from the GCM
	 * spec's keys and data. Nothing is encrypted: ct = pt. */
	{ ENCR(NULL_AUTH_AES_GMAC, 128), "feffe9928665731c6d6a8f9467308308" "cafebabe",
	  "facedbaddecaf888", "0000432100000007", GCM_PT60, GCM_PT60,
	  "3cc665bb5e5b4d9e5e57df594d49f654" },
	{ ENCR(NULL_AUTH_AES_GMAC, 192), "feffe9928665731c6d6a8f9467308308feffe9928665731c" "cafebabe",
	  "facedbaddecaf888", "00004321000000000000000a", GCM_PT64, GCM_PT64,
	  "c9c1b3c9e29a5652da72953c8e06af27" },
	{ ENCR(NULL_AUTH_AES_GMAC, 256),
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308" "cafebabe",
	  "facedbaddecaf888", "0000432100000007", "", "",
	  "6b7c06aedd294545e1faa1e224a7cc49" },
	/* RFC 3602 4 case 2; NIST SP 800-38A F.2.3 and F.2.5 */
	{ ENCR(AES_CBC, 128), "c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
	  "", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1", "" },
	{ ENCR(AES_CBC, 192), "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
	  "000102030405060708090a0b0c0d0e0f", "",
	  "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
	  "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a", "" },
	{ ENCR(AES_CBC, 256), "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
	  "000102030405060708090a0b0c0d0e0f", "",
	  "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
	  "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d", "" },
	/* RFC 3686 6, test vectors 3, 6 and 9 (36 bytes: a partial block) */
	{ ENCR(AES_CTR, 128), "7691be035e5020a8ac6e618529f9a0dc" "00e0017b", "27777f3f4a1786f0", "",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
	  "c1cf48a89f2ffdd9cf4652e9efdb72d74540a42bde6d7836d59a5ceaaef3105325b2072f", "" },
	{ ENCR(AES_CTR, 192), "02bf391ee8ecb159b959617b0965279bf59b60a786d3e0fe" "0007bdfd",
	  "5cbd60278dcc0912", "",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
	  "96893fc55e5c722f540b7dd1ddf7e758d288bc95c69165884536c811662f2188abee0935", "" },
	{ ENCR(AES_CTR, 256),
	  "ff7a617ce69148e4f1726e2f43581de2aa62d9f805532edff1eed687fb54153d" "001cc5b7",
	  "51a51d70a1c11148", "",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223",
	  "eb6c52821d0bbbf7ce7594462aca4faab407df866569fd07f48cc0b583d6071f1ec0e6b8", "" },
	{ ENCR(NULL, 0), "", "", "", "0102030405060708", "0102030405060708", "" },
	/* RFC 2202 2 test case 1; RFC 4868 2.7.2.1 (keys of the ESP sizes) */
	{ INTEG(HMAC_SHA1_96, 160), "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
	  "4869205468657265", "", "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ INTEG(HMAC_SHA2_256_128, 256),
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
	  "4869205468657265", "", "198a607eb44bfbc69903a0f1cf2bbdc5" },
	{ INTEG(HMAC_SHA2_384_192, 384),
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
	  "4869205468657265", "", "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973" },
	{ INTEG(HMAC_SHA2_512_256, 512),
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
	  "4869205468657265", "", "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8" },
	/* RFC 4494 4 test case 3 */
	{ INTEG(AES_CMAC_96, 128), "2b7e151628aed2a6abf7158809cf4f3c", "", "",
	  "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411",
	  "", "dfa66747de9ae63030ca3261" },
};

size_t crypto_selftest_count(uint32_t alg)
{
	size_t n = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(kats); i++)
		n += kats[i].alg == alg;
	return n;
}

/* Decoded vector; spaces in the hex are ignored. */
typedef struct bin {
	uint8_t *p;
	size_t len;
} bin_t;

static bin_t unhex(const char *hex)
{
	/* the vectors are spaced for reading: drop the spaces, then the one
	 * decoder (an empty field stays empty) */
	char *digits = g_strdup(hex), *w = digits;
	for (const char *c = hex; *c; c++)
		if (*c != ' ')
			*w++ = *c;
	*w = '\0';
	bin_t b = { g_malloc0(strlen(digits) / 2 + 1), 0 };
	if (*digits && hex_decode(digits, b.p, strlen(digits) / 2, &b.len) != HEX_OK)
		g_error("crypto self-test: bad hex in a built-in vector");
	g_free(digits);
	return b;
}

static void fail(uipsec_err_t *err, const uipsec_alg_info_t *info, const char *what)
{
	if (err)
		snprintf(err->msg, sizeof(err->msg), "self-test of %s failed: %s", info->name, what);
}

/* Known-answer check of one AEAD context (used for the original and a clone). */
static const char *aead_check(const uipsec_aead_ops_t *ops, void *ctx, const uipsec_alg_info_t *info,
                              const crypto_kat_t *k)
{
	const char *why = NULL;
	uint8_t tag[16];
	uint8_t *buf = g_malloc(k->pt_len + 1);
	memcpy(buf, k->pt, k->pt_len);
	if (ops->encrypt(ctx, k->iv, k->aad, k->aad_len, buf, k->pt_len, tag))
		why = "encryption failed";
	else if (memcmp(buf, k->ct, k->pt_len) != 0)
		why = "wrong ciphertext";
	else if (memcmp(tag, k->icv, info->icv_size) != 0)
		why = "wrong ICV";
	else if (ops->decrypt(ctx, k->iv, k->aad, k->aad_len, buf, k->pt_len, k->icv))
		why = "decryption failed";
	else if (memcmp(buf, k->pt, k->pt_len) != 0)
		why = "wrong plaintext";
	else {
		memcpy(tag, k->icv, info->icv_size);
		tag[info->icv_size - 1] ^= 1;
		memcpy(buf, k->ct, k->pt_len);
		if (ops->decrypt(ctx, k->iv, k->aad, k->aad_len, buf, k->pt_len, tag) != UIPSEC_ERR_AUTH)
			why = "a tampered ICV was not rejected";
	}
	g_free(buf);
	return why;
}

static const char *cipher_check(const uipsec_cipher_ops_t *ops, void *ctx, const crypto_kat_t *k)
{
	const char *why = NULL;
	uint8_t *buf = g_malloc(k->pt_len + 1);
	memcpy(buf, k->pt, k->pt_len);
	if (ops->encrypt(ctx, k->iv, buf, k->pt_len))
		why = "encryption failed";
	else if (memcmp(buf, k->ct, k->pt_len) != 0)
		why = "wrong ciphertext";
	else if (ops->decrypt(ctx, k->iv, buf, k->pt_len))
		why = "decryption failed";
	else if (memcmp(buf, k->pt, k->pt_len) != 0)
		why = "wrong plaintext";
	g_free(buf);
	return why;
}

static const char *integ_check(const uipsec_integ_ops_t *ops, void *ctx, const uipsec_alg_info_t *info,
                               const crypto_kat_t *k)
{
	uint8_t out[64];
	/* two segments, split mid-block, as ESP feeds header || IV || payload */
	size_t half = k->pt_len / 2 + 1 > k->pt_len ? k->pt_len : k->pt_len / 2 + 1;
	uipsec_iov_t seg[2] = { { k->pt, half }, { k->pt + half, k->pt_len - half } };
	if (ops->mac(ctx, seg, 2, out))
		return "MAC computation failed";
	if (memcmp(out, k->icv, info->icv_size) != 0)
		return "wrong MAC";
	/* and in one piece */
	uipsec_iov_t whole = { k->pt, k->pt_len };
	if (ops->mac(ctx, &whole, 1, out) || memcmp(out, k->icv, info->icv_size) != 0)
		return "wrong MAC over a single segment";
	return NULL;
}

const char *crypto_kat_check(uipsec_feature_type_t type, const void *ops, void *state,
                             uint32_t alg, const crypto_kat_t *k)
{
	const uipsec_alg_info_t *info = uipsec_alg_info(alg);
	const char *why = NULL;
	void *ctx = NULL, *copy = NULL;
	int (*create)(void *, uint32_t, const uint8_t *, size_t, void **);
	int (*clone)(void *, void **);
	void (*destroy)(void *);
	if (!info)
		return "unknown algorithm";
	if (type == UIPSEC_FT_AEAD) {
		const uipsec_aead_ops_t *o = ops;
		create = o->create; clone = o->clone; destroy = o->destroy;
		if (k->icv_len < info->icv_size || k->iv_len != info->iv_size || k->ct_len != k->pt_len)
			return "malformed vector";
	} else if (type == UIPSEC_FT_CIPHER) {
		const uipsec_cipher_ops_t *o = ops;
		create = o->create; clone = o->clone; destroy = o->destroy;
		if (k->iv_len != info->iv_size || k->ct_len != k->pt_len)
			return "malformed vector";
	} else if (type == UIPSEC_FT_INTEG) {
		const uipsec_integ_ops_t *o = ops;
		create = o->create; clone = o->clone; destroy = o->destroy;
		if (k->icv_len < info->icv_size)
			return "malformed vector";
	} else {
		return "not a keyed algorithm";
	}
	if (create(state, alg, k->key, k->key_len, &ctx) != UIPSEC_OK)
		return "cannot create a context (algorithm missing in this library version?)";
	if (clone(ctx, &copy) != UIPSEC_OK) {
		destroy(ctx);
		return "cannot clone a context";
	}
	/* the original and the clone must both give the known answer */
	void *ctxs[2] = { ctx, copy };
	for (int i = 0; i < 2 && !why; i++) {
		if (type == UIPSEC_FT_AEAD)
			why = aead_check(ops, ctxs[i], info, k);
		else if (type == UIPSEC_FT_CIPHER)
			why = cipher_check(ops, ctxs[i], k);
		else
			why = integ_check(ops, ctxs[i], info, k);
	}
	destroy(copy);
	destroy(ctx);
	return why;
}

static const char *run_kat(uipsec_feature_type_t type, const void *ops, void *state, const kat_t *k)
{
	bin_t key = unhex(k->key), iv = unhex(k->iv), aad = unhex(k->aad), pt = unhex(k->pt),
	      ct = unhex(k->ct), icv = unhex(k->icv);
	crypto_kat_t d = {
		.key = key.p, .key_len = key.len, .iv = iv.p, .iv_len = iv.len,
		.aad = aad.p, .aad_len = aad.len, .pt = pt.p, .pt_len = pt.len,
		.ct = ct.p, .ct_len = ct.len, .icv = icv.p, .icv_len = icv.len,
	};
	const char *why = crypto_kat_check(type, ops, state, k->alg, &d);
	uipsec_memwipe(key.p, key.len);
	g_free(key.p); g_free(iv.p); g_free(aad.p); g_free(pt.p); g_free(ct.p); g_free(icv.p);
	return why;
}

static bool rng_check(const uipsec_rng_ops_t *ops, void *state, uipsec_err_t *err)
{
	/* not a KAT (there is none for an RNG): catch a dead or stuck source */
	uint8_t a[32], b[32], zero[32] = { 0 };
	if (ops->bytes(state, a, sizeof(a)) || ops->bytes(state, b, sizeof(b)) ||
	    memcmp(a, b, sizeof(a)) == 0 || memcmp(a, zero, sizeof(a)) == 0) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "self-test of the RNG failed: no or repeated output");
		return false;
	}
	return true;
}

bool crypto_selftest_ops(uipsec_feature_type_t type, uint32_t alg, const void *ops,
                         void *state, uipsec_err_t *err)
{
	if (type == UIPSEC_FT_RNG)
		return rng_check(ops, state, err);
	const uipsec_alg_info_t *info = uipsec_alg_info(alg);
	if (!info) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "unknown algorithm 0x%08x", alg);
		return false;
	}
	static const uipsec_alg_kind_t kind_of[] = {
		[UIPSEC_FT_AEAD] = UIPSEC_ALG_KIND_AEAD,
		[UIPSEC_FT_CIPHER] = UIPSEC_ALG_KIND_CIPHER,
		[UIPSEC_FT_INTEG] = UIPSEC_ALG_KIND_INTEG,
	};
	if (type > UIPSEC_FT_INTEG || kind_of[type] != info->kind) {
		fail(err, info, "provided as the wrong feature type");
		return false;
	}
	size_t tested = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(kats); i++) {
		if (kats[i].alg != alg)
			continue;
		const char *why = run_kat(type, ops, state, &kats[i]);
		if (why) {
			fail(err, info, why);
			return false;
		}
		tested++;
	}
	if (!tested) {
		fail(err, info, "no known-answer vector");
		return false;
	}
	return true;
}

bool crypto_selftest(const feature_provider_t *p, uipsec_err_t *err)
{
	uipsec_err_t own = { .msg = "" };
	if (!crypto_selftest_enabled())
		return true;
	if (!err)
		err = &own;
	if (crypto_selftest_ops(p->feature->type, p->feature->alg, p->feature->ops, p->state, err))
		return true;
	/* the loader reports only the first dropped feature of a plugin it
	 * unloads: every failed self-test gets its own line here */
	uwarn("crypto", "plugin '%s': %s; it will not be used", p->plugin, err->msg);
	return false;
}
