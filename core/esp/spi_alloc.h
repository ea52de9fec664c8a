/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inbound SPI reservations (internal API): what alloc-spi hands out
 * before the SA exists, as the kernel's larval SAs. A reservation holds a
 * random SPI, unused in the SAD and among reservations, for one owner
 * (sa_t.owner) until add-sa installs an SA with it (consumed), del-sa
 * names it (released) or its time runs out (spi_alloc_expire from the main
 * loop). Inbound SPIs are kept unique across destinations, so a
 * reservation is found by SPI alone. Main-loop thread only. */
#ifndef UIPSEC_CORE_SPI_ALLOC_H
#define UIPSEC_CORE_SPI_ALLOC_H

#include <stdbool.h>
#include <stdint.h>
#include <uipsec/common.h>
#include <uipsec/net.h>

/* RFC 4303: SPIs 1-255 are reserved by IANA, 0 is "no SA" */
#define SPI_ALLOC_MIN 256u
#define SPI_ALLOC_TIMEOUT_DEFAULT 180u     /* seconds, as the kernel's larval SAs */
#define SPI_ALLOC_MAX_RESERVED 65536u

typedef struct spi_reservation {
	uint32_t spi;
	uint16_t owner;
	uipsec_addr_t dst;
	int64_t expires;                   /* g_get_monotonic_time() */
} spi_reservation_t;

/* Reserve a random SPI in [min, max] (min >= SPI_ALLOC_MIN) for dst until
 * now + timeout_s. UIPSEC_ERR_INVAL (bad range), UIPSEC_ERR_NOMEM (range
 * exhausted or too many reservations), err says which. */
int spi_alloc_reserve(uint32_t min, uint32_t max, const uipsec_addr_t *dst, uint16_t owner,
                      uint32_t timeout_s, uint32_t *spi, uipsec_err_t *err);
/* The reservation of spi, NULL if none (valid until the next change). */
const spi_reservation_t *spi_alloc_find(uint32_t spi);
/* Drop the reservation of spi (consumed by add-sa or released by del-sa);
 * false when there was none. */
bool spi_alloc_release(uint32_t spi);
/* Drop reservations that expired by now (monotonic us); returns how many. */
unsigned spi_alloc_expire(int64_t now);
/* Drop every reservation of owner; returns how many. */
unsigned spi_alloc_flush_owner(uint16_t owner);
unsigned spi_alloc_count(void);
/* Drop everything (tests, shutdown). */
void spi_alloc_reset(void);

#endif
