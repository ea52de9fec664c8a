/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Address, prefix and fwmark helpers of <uipsec/net.h>: plain C so every
 * backend and the route manager agree on what a prefix and a mark mean. */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uipsec/net.h>
#include "util/ip.h"

unsigned uipsec_addr_bits(uint8_t family)
{
	switch (family) {
	case AF_INET:  return 32;
	case AF_INET6: return 128;
	default:       return 0;
	}
}

bool uipsec_addr_parse(const char *s, uipsec_addr_t *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return false;
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = AF_INET6;
		return true;
	}
	memset(out, 0, sizeof(*out));
	return false;
}

bool ip_prefix_parse(const char *s, uipsec_prefix_t *out, bool host_bits_zero)
{
	char buf[UIPSEC_PREFIX_STRLEN];
	memset(out, 0, sizeof(*out));
	if (!s || strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (!uipsec_addr_parse(buf, &out->addr))
		return false;
	unsigned bits = uipsec_addr_bits(out->addr.family);
	if (!slash) {
		out->len = (uint8_t)bits;
		return true;
	}
	/* digits only: strtoul would take a sign or leading blanks */
	if (*slash < '0' || *slash > '9')
		goto bad;
	char *end;
	errno = 0;
	unsigned long len = strtoul(slash, &end, 10);
	if (errno || *end || len > bits)
		goto bad;
	out->len = (uint8_t)len;
	uipsec_addr_t written = out->addr;
	ip_addr_prefix_end(&out->addr, out->len, false);
	if (host_bits_zero && !uipsec_addr_equal(&written, &out->addr))
		goto bad;
	return true;
bad:
	memset(out, 0, sizeof(*out));
	return false;
}

bool uipsec_prefix_parse(const char *s, uipsec_prefix_t *out)
{
	return ip_prefix_parse(s, out, false);
}

const char *uipsec_addr_str(const uipsec_addr_t *a, char *buf, size_t len)
{
	if (!a || !uipsec_addr_bits(a->family) || !inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "(none)");
	return buf;
}

const char *uipsec_prefix_str(const uipsec_prefix_t *p, char *buf, size_t len)
{
	char a[UIPSEC_ADDR_STRLEN];
	if (!p || !uipsec_addr_bits(p->addr.family))
		snprintf(buf, len, "(none)");
	else
		snprintf(buf, len, "%s/%u", uipsec_addr_str(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

const char *uipsec_route_str(const uipsec_route_t *r, char *buf, size_t len)
{
	char d[UIPSEC_PREFIX_STRLEN], g[UIPSEC_ADDR_STRLEN], s[UIPSEC_ADDR_STRLEN], t[24] = "", mt[24] = "";
	if (r->table)
		snprintf(t, sizeof(t), " table %u", r->table);
	if (r->metric)
		snprintf(mt, sizeof(mt), " metric %u", r->metric);
	snprintf(buf, len, "%s%s%s%s%s%s%s%s%s%s", r->type == UIPSEC_ROUTE_THROW ? "throw " : "",
	         uipsec_prefix_str(&r->dst, d, sizeof(d)),
	         r->has_gateway ? " via " : "", r->has_gateway ? uipsec_addr_str(&r->gateway, g, sizeof(g)) : "",
	         r->ifname[0] ? " dev " : "", r->ifname,
	         r->has_src ? " src " : "", r->has_src ? uipsec_addr_str(&r->src, s, sizeof(s)) : "", mt, t);
	return buf;
}

bool uipsec_addr_equal(const uipsec_addr_t *a, const uipsec_addr_t *b)
{
	unsigned bits = uipsec_addr_bits(a->family);
	return a->family == b->family && memcmp(a->bytes, b->bytes, bits / 8) == 0;
}

bool uipsec_prefix_contains(const uipsec_prefix_t *p, const uipsec_addr_t *a)
{
	if (p->addr.family != a->family || !uipsec_addr_bits(a->family))
		return false;
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->addr.bytes, a->bytes, full) != 0)
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));
		if ((p->addr.bytes[full] & m) != (a->bytes[full] & m))
			return false;
	}
	return true;
}

bool uipsec_prefix_equal(const uipsec_prefix_t *a, const uipsec_prefix_t *b)
{
	return a->addr.family == b->addr.family && a->len == b->len &&
	       uipsec_prefix_contains(a, &b->addr);
}

static bool parse_u32(const char *s, uint32_t *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool uipsec_fwmark_parse(const char *s, bool *invert, uint32_t *mark, uint32_t *mask, uipsec_err_t *err)
{
	char buf[64];
	if (!s || !*s || strlen(s) >= sizeof(buf)) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "invalid fwmark '%s': expected [!]mark[/mask]", s ? s : "");
		return false;
	}
	strcpy(buf, s);
	char *p = buf;
	*invert = false;
	if (*p == '!') {
		*invert = true;
		p++;
	}
	char *slash = strchr(p, '/');
	if (slash)
		*slash++ = '\0';
	*mask = 0xffffffffu;
	if (!parse_u32(p, mark) || (slash && !parse_u32(slash, mask))) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
			         "invalid fwmark '%s': expected [!]mark[/mask], e.g. !0x42 or 0x42/0xff", s);
		return false;
	}
	if (*mark & ~*mask) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
			         "invalid fwmark '%s': mark has bits outside the mask", s);
		return false;
	}
	return true;
}
