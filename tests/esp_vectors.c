/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prints ESP-in-UDP packets built by the engine, one per line, for
 * cross-checking with independent decoders (tests/test_esp_scapy.sh):
 *   keyword spi key integ_key esn seq_hi outer_packet inner_packet
 * (hex; '-' for an empty integrity key). */
#include "config.h"
#include <stdio.h>
#include "esp_test_util.h"

static const char *const proposals[] = {
	"aes128gcm16", "aes256gcm16", "chacha20poly1305", "aes128ccm16",
	"aes128-sha256", "aes256-sha512", "aes128-sha1", "aes256-sha384",
	"aes128ctr-sha256", "null-sha256",
};

static void hex(const uint8_t *d, size_t n)
{
	if (!n)
		fputc('-', stdout);
	for (size_t i = 0; i < n; i++)
		printf("%02x", d[i]);
}

int main(int argc, char **argv)
{
	const char *backend = argc > 1 ? argv[1] : "crypto-openssl";
	if (!esp_test_load_crypto(backend)) {
		fprintf(stderr, "esp-vectors: cannot load %s\n", backend);
		return 1;
	}
	pktbuf_pool_t *pool = pktbuf_pool_new(4, 4096);
	esp_worker_t *w = esp_worker_new(0);
	uint32_t spi = 0xc0de0100;
	for (size_t a = 0; a < G_N_ELEMENTS(proposals); a++) {
		for (int combo = 0; combo < 8; combo++) {
			bool v6_in = combo & 1, v6_out = combo & 2, esn = combo & 4;
			uint8_t key[64], ikey[64];
			size_t kl = 0, il = 0;
			if (!esp_test_key_sizes(proposals[a], &kl, &il))
				return 1;
			for (size_t i = 0; i < sizeof(key); i++) {
				key[i] = (uint8_t)g_random_int();
				ikey[i] = (uint8_t)g_random_int();
			}
			sa_cfg_t c;
			esp_test_sa_cfg(&c, SA_DIR_OUT, ++spi, proposals[a], key, kl, ikey, il, v6_out);
			c.esn = esn;
			/* with ESN start just below 2^32 so the high bits are non-zero */
			c.initial_seq = esn ? 0x1fffffffeull : 6;
			uipsec_err_t err;
			if (sad_add(&c, &err) != UIPSEC_OK) {
				fprintf(stderr, "esp-vectors: %s: %s\n", proposals[a], err.msg);
				return 1;
			}
			for (int n = 0; n < 3; n++) {
				uipsec_pkt_t *p = pktbuf_alloc(pool);
				uint32_t len = (v6_in ? 48 : 28) + 37u * (uint32_t)n + (uint32_t)combo;
				esp_test_inner(p, v6_in, len, (uint8_t)(n + 1));
				uint8_t inner[512];
				memcpy(inner, uipsec_pkt_data(p), len);
				esp_result_t r;
				db_read_lock();
				sa_t *sa = sad_lookup_out(spi);
				esp_encap_sa(w, sa, p, &r);
				uint64_t seq = atomic_load(&sa->seq_out);
				db_read_unlock();
				/* the checkers want the whole datagram, as on the wire */
				if (r.verdict != ESP_SEND || !esp_test_outer_push(p, &r))
					return 1;
				printf("%s %u ", proposals[a], spi);
				hex(key, kl);
				putchar(' ');
				hex(ikey, il);
				printf(" %d %u ", esn, (unsigned)(seq >> 32));
				hex(uipsec_pkt_data(p), p->len);
				putchar(' ');
				hex(inner, len);
				putchar('\n');
				pktbuf_free(pool, p);
			}
		}
	}
	sad_flush();
	esp_worker_free(w);
	pktbuf_pool_free(pool);
	esp_test_unload();
	return 0;
}
