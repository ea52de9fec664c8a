/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control service, protocol v2 (internal API of control_service.c): routes
 * for policies added with "route": true, migrate-sa. Main-loop thread. */
#ifndef UIPSEC_CORE_CONTROL_SERVICE_V2_H
#define UIPSEC_CORE_CONTROL_SERVICE_V2_H

#include <uipsec/common.h>
#include "control/control_args_v2.h"
#include "esp/events.h"

/* Route policy id as p asks ("route": true, dir out, not bypass; bypass
 * policies get their throw route elsewhere). UIPSEC_OK when nothing is to
 * be routed or there is no route manager (no network backend). */
int control_policy_route_add(const control_policy_t *p, uint32_t id, uipsec_err_t *err);
/* Drop policy id's route references, if it has any (failures logged). */
void control_policy_route_del(uint32_t id);

/* The mapping event's own members: dst (our address), old_src/old_sport
 * (where the peer was), new_src/new_sport (where the packet came from). */
void control_mapping_data(JsonObject *o, const event_t *ev);

/* migrate-sa: sad_replace() with SAD_REPLACE_KEEP_KEYS. */
int control_be_sa_migrate(void *user, const control_migrate_t *m, uipsec_err_t *err);

#endif
