/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Persistent outbound sequence-number reservations of manually keyed SAs
 * (internal API).
 *
 * With manual keys the same key is used again after a daemon restart; the
 * IV of counter modes (GCM, CCM, CTR, ChaCha20-Poly1305, GMAC) is the
 * sequence number, so starting again at 1 would repeat nonces. Each
 * outbound SA of a tunnel therefore has a small file in uipsecd.state_dir
 * holding the END of a reserved range of sequence numbers: a number is
 * only sent once the file says it is reserved, and a restart starts above
 * the stored end. Files are named TUNNEL.SPI.HASH.seq where HASH is a
 * truncated SHA-256 of the keys (never the key bytes); a file is found by
 * HASH alone, so a renamed tunnel or a changed SPI with the same keys
 * continues too, while new keys start fresh. Files are never removed.
 *
 * Workers never write: they compare against the SA's seq_limit/seq_wake
 * (sa.h) and call seq_store_wake() when half the block is used; the main
 * loop then extends the reservation. Everything else runs in the main loop. */
#ifndef UIPSEC_CORE_SEQ_STORE_H
#define UIPSEC_CORE_SEQ_STORE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Reservation block: about one second of traffic, at least SEQ_BLOCK_MIN
 * and at most SEQ_BLOCK_MAX sequence numbers. A restart skips at most
 * 1.5 blocks. */
#define SEQ_BLOCK_MIN (UINT64_C(1) << 16)
#define SEQ_BLOCK_MAX (UINT64_C(1) << 24)

typedef struct seq_store seq_store_t;
typedef struct seq_resv seq_resv_t;

/* dir NULL, "" or "none": reservations are not persisted. Nothing is
 * touched on disk until a reservation is opened. */
seq_store_t *seq_store_new(const char *dir);
void seq_store_free(seq_store_t *st);
bool seq_store_enabled(const seq_store_t *st);
const char *seq_store_dir(const seq_store_t *st);

/* Open the reservation of one outbound SA: creates the directory (0700)
 * when missing and reads what earlier runs reserved with these keys.
 * Fails (err names the path and uipsecd.state_dir) when the directory
 * cannot be created or read, or a file for these keys cannot be parsed. */
seq_resv_t *seq_resv_open(seq_store_t *st, const char *tunnel, uint32_t spi, const uint8_t *key,
                          size_t key_len, const uint8_t *integ_key, size_t integ_key_len, GError **err);
void seq_resv_free(seq_resv_t *r);
const char *seq_resv_path(const seq_resv_t *r);
/* Every number <= floor may have been sent by an earlier run. */
uint64_t seq_resv_floor(const seq_resv_t *r);
/* End of the reserved range (on disk). */
uint64_t seq_resv_end(const seq_resv_t *r);
/* Workers ask for more once they send this number (end - block/2). */
uint64_t seq_resv_wake_at(const seq_resv_t *r);
/* New end to reserve when the SA has sent up to seq at now_us
 * (g_get_monotonic_time()), or 0 when more than half a block is left. The
 * block follows the rate seen since the last reservation. force: always
 * return a new end (at install). */
uint64_t seq_resv_want(seq_resv_t *r, uint64_t seq, int64_t now_us, bool force);
/* Persist end (>= the current end): temp file, fsync, rename, fsync of the
 * directory. The end is only raised once it is on disk. */
bool seq_resv_commit(seq_resv_t *r, uint64_t end, GError **err);

/* Worker -> main loop: a reservation should be extended (thread-safe; one
 * wake-up of the default main context per request, cheap while pending). */
void seq_store_wake(void);
/* Run fn(user) in the default main context after seq_store_wake(); one
 * watch per process. Returns the source id (g_source_remove). */
guint seq_store_watch(GSourceFunc fn, gpointer user);

#endif
