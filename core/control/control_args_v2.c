/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control protocol v2 arguments: add-policy's routing members and the
 * migrate-sa request, checked before anything reaches the daemon (fuzzed
 * with control_proto.c). */
#include "config.h"
#include <string.h>
#include "control/control_args_v2.h"

bool control_arg_policy_route(JsonObject *a, control_policy_t *p, control_reply_t *r)
{
	if (!control_arg_bool(a, "route", &p->route, r) ||
	    !control_arg_addr(a, "peer", false, &p->has_peer, &p->peer, r))
		return false;
	if (p->route && p->dir != CONTROL_DIR_OUT)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'route' needs a dir out policy (only outbound traffic is routed)");
	if (p->has_peer && !p->route)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'peer' is used for routes only: give 'route': true");
	if (p->has_peer && p->peer.family != p->dst.prefix.addr.family)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'peer' and 'dst' are of different address families");
	return true;
}

/* A port that, when given, is 1-65535: 0 is no UDP port to send to. */
static bool new_port(JsonObject *a, const char *name, bool *has, uint16_t *out, control_reply_t *r)
{
	if (!json_object_has_member(a, name))
		return true;
	if (!control_arg_u16(a, name, out, r))
		return false;
	if (!*out)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'%s' must be 1-65535", name);
	*has = true;
	return true;
}

bool control_arg_migrate(JsonObject *a, control_migrate_t *m, control_reply_t *r)
{
	int dir = CONTROL_DIR_IN;
	bool has_dst = false;
	if (!control_arg_spi(a, &m->spi, r) || !control_arg_dir(a, "direction", &dir, r))
		return false;
	if (dir == CONTROL_DIR_FWD)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'direction' of an SA is in or out");
	m->dir = dir;
	if (!control_arg_addr(a, "dst", true, &has_dst, &m->dst, r) ||
	    !control_arg_addr(a, "new_src", false, &m->has_new_src, &m->new_src, r) ||
	    !control_arg_addr(a, "new_dst", false, &m->has_new_dst, &m->new_dst, r) ||
	    !new_port(a, "new_sport", &m->has_new_sport, &m->new_sport, r) ||
	    !new_port(a, "new_dport", &m->has_new_dport, &m->new_dport, r))
		return false;
	if (json_object_has_member(a, "new_reqid")) {
		if (!control_arg_u32(a, "new_reqid", true, &m->new_reqid, r))
			return false;
		m->has_new_reqid = true;
	}
	JsonNode *en = json_object_get_member(a, "encap");
	if (en && !JSON_NODE_HOLDS_NULL(en)) {
		if (!control_arg_bool(a, "encap", &m->encap, r))
			return false;
		m->has_encap = true;
	}
	if (!m->has_new_src && !m->has_new_dst && !m->has_new_sport && !m->has_new_dport && !m->has_new_reqid &&
	    !m->has_encap)
		return control_fail(r, CONTROL_ERR_ARGUMENT,
		            "nothing to change: give new_src, new_dst, new_sport, new_dport, new_reqid or encap");
	/* one family for both ends; a family change moves both at once */
	const uipsec_addr_t *s = m->has_new_src ? &m->new_src : NULL, *d = m->has_new_dst ? &m->new_dst : &m->dst;
	if (s && s->family != d->family)
		return control_fail(r, CONTROL_ERR_ARGUMENT, "'new_src' and the destination are of different address families");
	return true;
}
