/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control protocol v2 arguments (internal API of control_proto.c): the
 * routing members of add-policy ("route", "peer") and the request of
 * migrate-sa. Same contract as control_args.h: true when valid or absent,
 * false after filling the reply's error. Main-loop thread only. */
#ifndef UIPSEC_CORE_CONTROL_ARGS_V2_H
#define UIPSEC_CORE_CONTROL_ARGS_V2_H

#include "control/control_args.h"

/* migrate-sa: the SA (spi, direction, dst) and what changes (has_*). */
typedef struct control_migrate {
	uint32_t spi;
	control_dir_t dir;
	uipsec_addr_t dst;            /* the SA's outer destination now */
	bool has_new_src, has_new_dst, has_new_sport, has_new_dport, has_new_reqid, has_encap;
	bool encap;                   /* has_encap: ESP in UDP (true) or raw ESP (false) from now on */
	uipsec_addr_t new_src, new_dst;
	uint16_t new_sport, new_dport;
	uint32_t new_reqid;
} control_migrate_t;

/* add-policy "route" (bool) and "peer" (an address): only dir out policies
 * route; "peer" needs "route" and the family of the selectors. */
bool control_arg_policy_route(JsonObject *a, control_policy_t *p, control_reply_t *r);
/* migrate-sa: spi, direction, dst required; at least one new_* member. */
bool control_arg_migrate(JsonObject *a, control_migrate_t *m, control_reply_t *r);

#endif
