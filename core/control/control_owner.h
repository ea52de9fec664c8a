/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Owners of control-installed state and their reqid namespaces (internal
 * API of the control service). An owner is a short name a client gives
 * (an IKE daemon: "charon"); SAs and policies carry its small id
 * (sa_t.owner, spd_policy_t.owner). Id 0 is "config", the configured
 * tunnels, which no client may name; clients that give no owner share
 * "control" (protocol v1 behaviour).
 *
 * reqids: each client owner has its own namespace. The reqid a client
 * gives is mapped to an internal reqid from CONTROL_REQID_BASE up, so that
 * no owner's reqid meets another's nor a configured tunnel's (those count
 * from 1). Mappings and names are kept for the daemon's life (bounded by
 * CONTROL_OWNERS_MAX / CONTROL_REQIDS_MAX): an event raised about an SA
 * just flushed still names its owner and the client's reqid.
 * Main-loop thread only. */
#ifndef UIPSEC_CORE_CONTROL_OWNER_H
#define UIPSEC_CORE_CONTROL_OWNER_H

#include <stdbool.h>
#include <stdint.h>
#include <uipsec/common.h>
#include "control/control_args.h"

#define CONTROL_OWNER_CONFIG_ID 0
#define CONTROL_OWNER_CONFIG CONTROL_OWNER_RESERVED
#define CONTROL_OWNER_DEFAULT "control"
#define CONTROL_OWNERS_MAX 256
#define CONTROL_REQID_BASE 0x40000000u
#define CONTROL_REQIDS_MAX (1u << 20)

/* The id of owner name (NULL or "" = CONTROL_OWNER_DEFAULT), created when
 * create is set. UIPSEC_ERR_NOTFOUND (not known, !create),
 * UIPSEC_ERR_NOMEM (too many owners). */
int control_owner_id(const char *name, bool create, uint16_t *id, uipsec_err_t *err);
/* The name of id ("?" when unknown). */
const char *control_owner_name(uint16_t id);
/* The internal reqid of the owner's client reqid (0 stays 0; the config
 * owner's reqids are their own). Creates the mapping; UIPSEC_ERR_NOMEM
 * when CONTROL_REQIDS_MAX are in use. */
int control_reqid_map(uint16_t owner, uint32_t client, uint32_t *internal, uipsec_err_t *err);
/* The client's reqid of an internal reqid (the same when not mapped). */
uint32_t control_reqid_client(uint32_t internal);
/* Forget every owner and mapping (tests, service stop). */
void control_owner_reset(void);

#endif
