/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control service, protocol v2: what "route": true on add-policy and
 * migrate-sa do to the daemon. Kept apart from control_service.c so the
 * v1 service stays as it was. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <uipsec/log.h>
#include "control/control_owner.h"
#include "control/control_service_v2.h"
#include "esp/sad.h"
#include "net/route_mgr.h"
#include "datapath/dataplane.h"
#include "datapath/datapath.h"

#define LOG_SUBSYS "ctl"

/* ------------------------------------------------------------ policy routes */

int control_policy_route_add(const control_policy_t *p, uint32_t id, uipsec_err_t *err)
{
	dataplane_t *ts = dataplane_current();
	route_mgr_t *rm = ts ? dataplane_route_mgr(ts) : NULL;
	datapath_t *dp = ts ? dataplane_datapath(ts) : NULL;
	if (!p->route || p->dir != CONTROL_DIR_OUT || p->action == CONTROL_ACTION_BYPASS || !rm || !dp)
		return UIPSEC_OK;
	route_mgr_policy_t rp = { .ifname = datapath_ifname(dp), .src = p->src.prefix, .dst = p->dst.prefix };
	if (p->has_peer)
		rp.peer = p->peer;
	int rc = route_mgr_policy_add(rm, id, &rp, err);
	/* allow_peer_ts is the daemon's setting, not the client's right: the
	 * request is what is wrong, not the client's credentials */
	return rc == UIPSEC_ERR_PERM ? UIPSEC_ERR_INVAL : rc;
}

void control_policy_route_del(uint32_t id)
{
	dataplane_t *ts = dataplane_current();
	route_mgr_t *rm = ts ? dataplane_route_mgr(ts) : NULL;
	uipsec_err_t e = { "" };
	int rc = rm ? route_mgr_policy_del(rm, id, &e) : UIPSEC_ERR_NOTFOUND;
	if (rc != UIPSEC_OK && rc != UIPSEC_ERR_NOTFOUND)
		uwarn(LOG_SUBSYS, "%s", e.msg);   /* the policy is gone all the same */
}

/* ------------------------------------------------------------ mapping */

void control_mapping_data(JsonObject *o, const event_t *ev)
{
	char a[UIPSEC_ADDR_STRLEN];
	/* our address: the inbound SA's destination (charon finds it by spi + dst) */
	db_read_lock();
	sa_t *in = sad_lookup_spi(ev->spi, NULL);
	if (in)
		json_object_set_string_member(o, "dst", uipsec_addr_str(&in->dst.addr, a, sizeof(a)));
	db_read_unlock();
	json_object_set_string_member(o, "old_src", uipsec_addr_str(&ev->src.addr, a, sizeof(a)));
	json_object_set_int_member(o, "old_sport", ev->src.port);
	json_object_set_string_member(o, "new_src", uipsec_addr_str(&ev->dst.addr, a, sizeof(a)));
	json_object_set_int_member(o, "new_sport", ev->dst.port);
}

/* ------------------------------------------------------------ migrate-sa */

/* The SA's configuration as it is now (keys aside: sad_replace keeps them). */
static int current_cfg(const control_migrate_t *m, sa_cfg_t *c, char *tunnel, size_t tunnel_size,
                       uipsec_err_t *err)
{
	sa_dir_t dir = m->dir == CONTROL_DIR_IN ? SA_DIR_IN : SA_DIR_OUT;
	int rc = UIPSEC_OK;
	db_read_lock();
	sa_t *sa = dir == SA_DIR_IN ? sad_lookup_spi(m->spi, &m->dst) : sad_lookup_out(m->spi);
	if (!sa || !ip_addr_eq(&sa->dst.addr, &m->dst)) {
		char a[UIPSEC_ADDR_STRLEN];
		snprintf(err->msg, sizeof(err->msg), "no %s SA with SPI 0x%08x and dst %s",
		         dir == SA_DIR_IN ? "inbound" : "outbound", m->spi, uipsec_addr_str(&m->dst, a, sizeof(a)));
		rc = UIPSEC_ERR_NOTFOUND;
	} else {
		c->spi = sa->spi;
		c->dir = sa->dir;
		c->src = sa->src;
		c->dst = sa->dst;
		c->esn = sa->esn;
		c->encap = (sa_encap_t)sa->encap;
		c->replay_window = sa->replay.window;
		c->soft = sa->soft;
		c->hard = sa->hard;
		c->reqid = sa->reqid;
		c->owner = sa->owner;   /* a migrated SA keeps its owner and namespace */
		g_strlcpy(tunnel, sa->tunnel, tunnel_size);
		c->tunnel = tunnel[0] ? tunnel : NULL;
		c->n_ts = MIN(sa->n_ts, SA_MAX_TS);
		if (c->n_ts)
			memcpy(c->ts, sa->ts, c->n_ts * sizeof(c->ts[0]));
		c->ts_mode = sa->ts_mode;
	}
	db_read_unlock();
	return rc;
}

int control_be_sa_migrate(void *user, const control_migrate_t *m, uipsec_err_t *err)
{
	(void)user;
	sa_cfg_t *c = g_new0(sa_cfg_t, 1);   /* 64 selectors: not for the stack */
	char tunnel[64];
	sa_cfg_init(c);
	int rc = current_cfg(m, c, tunnel, sizeof(tunnel), err);
	if (rc != UIPSEC_OK)
		goto out;
	uipsec_addr_t old_dst = c->dst.addr;
	if (m->has_new_src)
		c->src.addr = m->new_src;
	if (m->has_new_dst)
		c->dst.addr = m->new_dst;
	if (m->has_new_sport)
		c->src.port = m->new_sport;
	if (m->has_new_dport)
		c->dst.port = m->new_dport;
	if (m->has_encap)
		c->encap = m->encap ? SA_ENCAP_UDP : SA_ENCAP_NONE;
	dataplane_t *cur = dataplane_current();
	if (c->encap == SA_ENCAP_NONE && cur && dataplane_datapath(cur) && !datapath_raw_esp(dataplane_datapath(cur))) {
		snprintf(err->msg, sizeof(err->msg), "raw ESP (encap false) needs uipsecd.socket.raw_esp = yes");
		rc = UIPSEC_ERR_NOTSUP;
		goto out;
	}
	/* the new reqid is in the SA owner's namespace, as add-sa's */
	if (m->has_new_reqid && (rc = control_reqid_map(c->owner, m->new_reqid, &c->reqid, err)) != UIPSEC_OK)
		goto out;
	if (c->src.addr.family != c->dst.addr.family) {
		snprintf(err->msg, sizeof(err->msg), "SA 0x%08x: the new addresses are of different families (give "
		         "new_src and new_dst together to change the family)", m->spi);
		rc = UIPSEC_ERR_INVAL;
		goto out;
	}
	/* the old SA's keys, sequence numbers, replay window and counters
	 * carry over; readers find the old SA or the new one, never none */
	rc = sad_replace(c->dir, c->spi, &old_dst, c, SAD_REPLACE_KEEP_KEYS, err);
	if (rc == UIPSEC_OK) {
		/* the peer may now be elsewhere than where the SA sends: mapping */
		dataplane_t *dpl = dataplane_current();
		if (dpl && dataplane_datapath(dpl))
			datapath_recheck_peers(dataplane_datapath(dpl));
		char a[UIPSEC_ADDR_STRLEN], b[UIPSEC_ADDR_STRLEN];
		uinfo(LOG_SUBSYS, "migrated SA %s 0x%08x to %s:%u -> %s:%u reqid %u encap %s",
		      c->dir == SA_DIR_IN ? "in" : "out", c->spi, uipsec_addr_str(&c->src.addr, a, sizeof(a)), c->src.port,
		      uipsec_addr_str(&c->dst.addr, b, sizeof(b)), c->dst.port, c->reqid, sa_encap_name(c->encap));
	} else if (rc == UIPSEC_ERR_EXISTS) {
		char a[UIPSEC_ADDR_STRLEN];
		snprintf(err->msg, sizeof(err->msg), "an inbound SA with SPI 0x%08x and dst %s exists", m->spi,
		         uipsec_addr_str(&c->dst.addr, a, sizeof(a)));
	}
out:
	g_free(c);
	return rc;
}
