/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Security Association Database (internal API).
 *
 * Inbound SAs are found by SPI (and outer destination address) in an
 * open hash table, O(1). Outbound SAs hang off their reqid: the policy
 * (spd.h) carries the reqid, sad_out_by_reqid() returns the newest usable
 * outbound SA for it, so installing a new outbound SA takes over at once
 * while old inbound SAs keep working until they are deleted (rekey
 * without loss).
 *
 * Locking (SAD and SPD together): one writer-preferring reader/writer
 * lock. The data path holds the read side for a whole batch (one lock
 * round trip per batch, never per packet) and may use SA and policy
 * pointers only inside it. Writers hold the write side only to link or
 * unlink an entry (O(1); table growth is amortised); everything slow
 * (creating crypto contexts, freeing) happens outside it. */
#ifndef UIPSEC_CORE_SAD_H
#define UIPSEC_CORE_SAD_H

#include <glib.h>
#include "esp/db_lock.h"
#include "esp/sa.h"

void sad_init(void);
/* Remove every SA (sa-down events raised). */
void sad_flush(void);

/* Create and install an SA. An inbound SA whose (SPI, dst) exists, or an
 * outbound SA whose SPI exists, is UIPSEC_ERR_EXISTS. Raises sa-up. */
int sad_add(const sa_cfg_t *cfg, uipsec_err_t *err);
/* sad_replace() flags */
enum {
	/* keep the old SA's algorithm and keys (cfg->esp and the keys are
	 * ignored): moving an SA to new addresses, ports or reqid */
	SAD_REPLACE_KEEP_KEYS = 1u << 0,
};
/* Replace the SA (dir, spi, dst; dst as for sad_del) by one made from cfg
 * (same SPI and direction; addresses, ports, reqid, lifetimes, window may
 * change). The new SA is created first, outside the lock: if that fails
 * the old one stays and err says why. Then it takes the old one's place
 * in every index under one write lock, so readers find the old or the new
 * SA, never none; an outbound SA keeps its rank among its reqid's SAs (a
 * new reqid: it becomes the newest there). With the same algorithm and
 * keys the new SA continues the old one (sa_continue: sequence numbers,
 * replay window, counters, lifetimes); with new keys it starts afresh.
 * Raises sa-updated (no sa-down/sa-up). UIPSEC_ERR_NOTFOUND when no
 * such SA, UIPSEC_ERR_EXISTS when an inbound SA with the new destination
 * exists. */
int sad_replace(sa_dir_t dir, uint32_t spi, const uipsec_addr_t *dst, const sa_cfg_t *cfg, unsigned flags,
                uipsec_err_t *err);
/* Remove; raises sa-down. dst may be NULL (any destination). */
int sad_del(sa_dir_t dir, uint32_t spi, const uipsec_addr_t *dst);

/* Data path, inside db_read_lock(). Inbound: by SPI and our outer address
 * (dst NULL or family 0: first SA with that SPI). */
sa_t *sad_lookup_spi(uint32_t spi, const uipsec_addr_t *dst);
/* Outbound SA for a policy's reqid: the newest one not hard-expired. */
sa_t *sad_out_by_reqid(uint32_t reqid);
/* Outbound SA by SPI (control). */
sa_t *sad_lookup_out(uint32_t spi);

uint32_t sad_count(void);
/* Visit every SA inside the read lock (listings). */
void sad_foreach(void (*fn)(sa_t *sa, void *user), void *user);
/* Check time lifetimes; remove hard-expired SAs. Call from the main loop
 * about once a second (sad_attach does it with a GLib timeout). */
void sad_tick(void);
/* Run sad_tick every second from ctx, and remove SAs on expire-hard
 * events (dispatch happens in ctx via events_attach). */
void sad_attach(GMainContext *ctx);
void sad_detach(void);

#endif
