/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mapping event (internal API): an authenticated ESP packet of an SA
 * a client added over the control socket came from a new peer address or
 * port. The IKE daemon decides what to do (migrate-sa); uipsecd does not
 * move such an SA itself. Main-loop thread only. */
#ifndef UIPSEC_CORE_MAPPING_H
#define UIPSEC_CORE_MAPPING_H

#include <stdbool.h>
#include <stdint.h>
#include "util/ip.h"

/* At most one event per SA this often; a change inside it is reported
 * when it ends (if the peer did not return meanwhile). */
#define MAPPING_INTERVAL_MS 1000

/* Inbound SA spi (reqid) got a packet from `from`, which is not where the
 * outbound SA of its reqid sends: raise `mapping` once for this change. */
void mapping_report(uint32_t reqid, uint32_t spi, const ip_endpoint_t *from);
/* Forget every SA's last report (tests, data path stop). */
void mapping_reset(void);

#endif
