/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inbound SPI reservations (spi_alloc.h). */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <uipsec/crypto.h>
#include "esp/sad.h"
#include "esp/spi_alloc.h"

/* Random picks before the scan: in a sparse range one nearly always does. */
#define RANDOM_TRIES 32
/* Candidates the scan looks at (from a random start): ranges up to this
 * size are searched exhaustively, so "exhausted" means exhausted there. */
#define SCAN_LIMIT 65536u

static GHashTable *reserved;   /* spi -> spi_reservation_t* */

static void init(void)
{
	if (!reserved)
		reserved = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
}

/* Free in the SAD (any destination) and among reservations. */
static bool spi_free(uint32_t spi)
{
	if (g_hash_table_contains(reserved, GUINT_TO_POINTER(spi)))
		return false;
	db_read_lock();
	bool used = sad_lookup_spi(spi, NULL) != NULL;
	db_read_unlock();
	return !used;
}

static int random_u32(uint32_t *out, uipsec_err_t *err)
{
	uint8_t b[4];
	int rc = uipsec_rng_bytes(b, sizeof(b));
	if (rc != UIPSEC_OK) {
		snprintf(err->msg, sizeof(err->msg), "no random numbers for an SPI");
		return rc;
	}
	memcpy(out, b, sizeof(*out));
	return UIPSEC_OK;
}

static int pick(uint32_t min, uint32_t max, uint32_t *spi, uipsec_err_t *err)
{
	uint64_t span = (uint64_t)max - min + 1;
	uint32_t r = 0;
	for (unsigned i = 0; i < RANDOM_TRIES; i++) {
		int rc = random_u32(&r, err);
		if (rc != UIPSEC_OK)
			return rc;
		uint32_t c = min + (uint32_t)(r % span);
		if (spi_free(c)) {
			*spi = c;
			return UIPSEC_OK;
		}
	}
	uint64_t n = MIN(span, SCAN_LIMIT);
	for (uint64_t i = 0; i < n; i++) {
		uint32_t c = min + (uint32_t)(((uint64_t)r + i) % span);
		if (spi_free(c)) {
			*spi = c;
			return UIPSEC_OK;
		}
	}
	snprintf(err->msg, sizeof(err->msg), "no free SPI in 0x%08x-0x%08x", min, max);
	return UIPSEC_ERR_NOMEM;
}

int spi_alloc_reserve(uint32_t min, uint32_t max, const uipsec_addr_t *dst, uint16_t owner,
                      uint32_t timeout_s, uint32_t *spi, uipsec_err_t *err)
{
	init();
	if (min < SPI_ALLOC_MIN || max < min) {
		snprintf(err->msg, sizeof(err->msg), "SPI range 0x%08x-0x%08x: needs %u <= min <= max", min, max,
		         SPI_ALLOC_MIN);
		return UIPSEC_ERR_INVAL;
	}
	if (g_hash_table_size(reserved) >= SPI_ALLOC_MAX_RESERVED) {
		snprintf(err->msg, sizeof(err->msg), "too many SPIs reserved (%u)", SPI_ALLOC_MAX_RESERVED);
		return UIPSEC_ERR_NOMEM;
	}
	int rc = pick(min, max, spi, err);
	if (rc != UIPSEC_OK)
		return rc;
	spi_reservation_t *res = g_new0(spi_reservation_t, 1);
	res->spi = *spi;
	res->owner = owner;
	if (dst)
		res->dst = *dst;
	res->expires = g_get_monotonic_time() + (int64_t)timeout_s * G_USEC_PER_SEC;
	g_hash_table_insert(reserved, GUINT_TO_POINTER(*spi), res);
	return UIPSEC_OK;
}

const spi_reservation_t *spi_alloc_find(uint32_t spi)
{
	return reserved ? g_hash_table_lookup(reserved, GUINT_TO_POINTER(spi)) : NULL;
}

bool spi_alloc_release(uint32_t spi)
{
	return reserved && g_hash_table_remove(reserved, GUINT_TO_POINTER(spi));
}

static gboolean expired(gpointer key, gpointer value, gpointer user)
{
	(void)key;
	return ((spi_reservation_t *)value)->expires <= *(int64_t *)user;
}

unsigned spi_alloc_expire(int64_t now)
{
	return reserved ? g_hash_table_foreach_remove(reserved, expired, &now) : 0;
}

static gboolean owned(gpointer key, gpointer value, gpointer user)
{
	(void)key;
	return ((spi_reservation_t *)value)->owner == *(uint16_t *)user;
}

unsigned spi_alloc_flush_owner(uint16_t owner)
{
	return reserved ? g_hash_table_foreach_remove(reserved, owned, &owner) : 0;
}

unsigned spi_alloc_count(void)
{
	return reserved ? g_hash_table_size(reserved) : 0;
}

void spi_alloc_reset(void)
{
	if (reserved)
		g_hash_table_destroy(reserved);
	reserved = NULL;
}
