/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Traffic selector parser shared by tunnels and the control protocol. */
#include "config.h"
#include <string.h>
#include <glib.h>
#include "esp/ts.h"

static bool parse_proto(const char *s, uint8_t *out)
{
	if (ip_proto_parse(s, out))
		return true;
	guint64 v;
	if (!g_ascii_string_to_unsigned(s, 10, 0, 255, &v, NULL))
		return false;
	*out = (uint8_t)v;
	return true;
}

static bool parse_ports(const char *s, uint16_t *from, uint16_t *to)
{
	if (!*s || strcmp(s, "%any") == 0) {
		*from = 0;
		*to = 65535;
		return true;
	}
	char **r = g_strsplit(s, "-", 2);
	guint64 a, b;
	bool ok = g_ascii_string_to_unsigned(r[0], 10, 0, 65535, &a, NULL);
	b = a;
	if (ok && r[1])
		ok = g_ascii_string_to_unsigned(r[1], 10, 0, 65535, &b, NULL) && b >= a;
	g_strfreev(r);
	if (ok) {
		*from = (uint16_t)a;
		*to = (uint16_t)b;
	}
	return ok;
}

bool ts_parse(const char *text, ts_t *ts, char **why)
{
	memset(ts, 0, sizeof(*ts));
	ts->port_to = 65535;
	if (strlen(text) >= sizeof(ts->text)) {
		*why = g_strdup_printf("selector longer than %d characters", TS_TEXT_MAX - 1);
		return false;
	}
	g_strlcpy(ts->text, text, sizeof(ts->text));
	const char *br = strchr(text, '[');
	char *addr = br ? g_strndup(text, (gsize)(br - text)) : g_strdup(text);
	bool ok = true;
	if (br) {
		const char *end = strchr(br, ']');
		if (!end || end[1]) {
			*why = g_strdup_printf("'%s': expected [proto/port] at the end", text);
			g_free(addr);
			return false;
		}
		char *inner = g_strndup(br + 1, (gsize)(end - br - 1));
		char *slash = strchr(inner, '/');
		if (slash)
			*slash = '\0';
		ok = (!*inner || strcmp(inner, "%any") == 0 || parse_proto(inner, &ts->proto)) &&
		     (!slash || parse_ports(slash + 1, &ts->port_from, &ts->port_to));
		g_free(inner);
		if (!ok)
			*why = g_strdup_printf("'%s': bad protocol or port", text);
	}
	if (ok) {
		spd_sel_t sel;
		spd_sel_any(&sel, strchr(addr, ':') ? AF_INET6 : AF_INET);
		ok = spd_sel_parse_addr(&sel, false, addr);
		if (ok) {
			ts->family = sel.family;
			ts->from = sel.src_from;
			ts->to = sel.src_to;
			ts->is_prefix = uipsec_prefix_parse(addr, &ts->prefix);
		} else {
			*why = g_strdup_printf("'%s' is not an address, prefix or range", text);
		}
	}
	g_free(addr);
	return ok;
}

bool ts_pair_ok(const ts_t *a, const ts_t *b)
{
	return a->family == b->family && (!a->proto || !b->proto || a->proto == b->proto);
}

void ts_sel(spd_sel_t *sel, const ts_t *src, const ts_t *dst)
{
	spd_sel_any(sel, src->family);
	sel->src_from = src->from;
	sel->src_to = src->to;
	sel->dst_from = dst->from;
	sel->dst_to = dst->to;
	sel->proto = src->proto ? src->proto : dst->proto;
	sel->sport_from = src->port_from;
	sel->sport_to = src->port_to;
	sel->dport_from = dst->port_from;
	sel->dport_to = dst->port_to;
}

unsigned ts_inbound_sels(spd_sel_t *out, unsigned max, const ts_t *remote, unsigned n_remote,
                         const ts_t *local, unsigned n_local)
{
	unsigned n = 0;
	for (unsigned r = 0; r < n_remote; r++)
		for (unsigned l = 0; l < n_local; l++)
			if (n < max && ts_pair_ok(&remote[r], &local[l]))
				ts_sel(&out[n++], &remote[r], &local[l]);
	return n;
}
