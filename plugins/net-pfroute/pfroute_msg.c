/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pfroute_msg: routing socket messages (building, splitting their sockaddr
 * lists), conversions between pfr_addr_t and sockaddrs, interface names
 * from link sockaddrs, and the errors of pfroute_os.h. */
#include "pfroute_internal.h"

int pfr_fail(pfr_err_t *err, int errnum, const char *fmt, ...)
{
	if (err) {
		char what[160];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		snprintf(err->msg, sizeof(err->msg), "%s: %s", what, strerror(errnum));
	}
	return -errnum;
}

static size_t sa_space(size_t sa_len)
{
	return sa_len == 0 ? PFR_SA_ALIGN : 1 + ((sa_len - 1) | (PFR_SA_ALIGN - 1));
}

const char *pfr_addr_str(const pfr_addr_t *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "(family %d)", a->family);
	return buf;
}

int pfr_cloexec_socket(int domain, int type, int proto)
{
	int fd = socket(domain, type, proto);
	if (fd >= 0)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/* ------------------------------------------------------------ sockaddrs */

int pfr_sa_from_addr(pfr_sa_t *s, const pfr_addr_t *a)
{
	memset(s, 0, sizeof(*s));
	switch (a->family) {
	case AF_INET:
		s->in4.sin_len = sizeof(s->in4);
		s->in4.sin_family = AF_INET;
		memcpy(&s->in4.sin_addr, a->bytes, 4);
		return 0;
	case AF_INET6:
		s->in6.sin6_len = sizeof(s->in6);
		s->in6.sin6_family = AF_INET6;
		memcpy(&s->in6.sin6_addr, a->bytes, 16);
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

/* The BSD kernels embed the scope of link-local addresses in bytes 2-3
 * (KAME); users never see that form. */
static void clear_embedded_scope(pfr_addr_t *a)
{
	if (a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80) {
		a->bytes[2] = 0;
		a->bytes[3] = 0;
	}
}

bool pfr_addr_from_sa(pfr_addr_t *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_len < offsetof(struct sockaddr, sa_data))
		return false;
	if (sa->sa_family == AF_INET && sa->sa_len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)(const void *)sa;
		a->family = AF_INET;
		memcpy(a->bytes, &in4->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && sa->sa_len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		a->family = AF_INET6;
		memcpy(a->bytes, &in6->sin6_addr, 16);
		clear_embedded_scope(a);
		return true;
	}
	return false;
}

void pfr_sa_mask(pfr_sa_t *s, int family, unsigned prefixlen)
{
	uint8_t *bytes;
	unsigned i, max;

	memset(s, 0, sizeof(*s));
	if (family == AF_INET) {
		s->in4.sin_len = sizeof(s->in4);
		s->in4.sin_family = AF_INET;
		bytes = (uint8_t *)&s->in4.sin_addr;
		max = 32;
	} else {
		s->in6.sin6_len = sizeof(s->in6);
		s->in6.sin6_family = AF_INET6;
		bytes = (uint8_t *)&s->in6.sin6_addr;
		max = 128;
	}
	if (prefixlen > max)
		prefixlen = max;
	for (i = 0; i < prefixlen / 8; i++)
		bytes[i] = 0xff;
	if (prefixlen % 8)
		bytes[i] = (uint8_t)(0xff << (8 - prefixlen % 8));
}

/* Prefix length of a netmask sockaddr. Kernels trim trailing zero bytes from
 * masks in routing messages (sa_len shorter than the full sockaddr) and may
 * leave sa_family 0, so the family comes from the address it belongs to. */
unsigned pfr_mask_prefixlen(const struct sockaddr *mask, int family)
{
	size_t off = family == AF_INET ? offsetof(struct sockaddr_in, sin_addr)
	                               : offsetof(struct sockaddr_in6, sin6_addr);
	size_t n = family == AF_INET ? 4 : 16;
	const uint8_t *p = (const uint8_t *)mask;
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < n && off + i < mask->sa_len; i++) {
		uint8_t b = p[off + i];
		while (b & 0x80) {
			bits++;
			b = (uint8_t)(b << 1);
		}
		if (p[off + i] != 0xff)
			break;
	}
	return bits;
}

int pfr_sa_link(pfr_sa_t *s, const char *ifname)
{
	memset(s, 0, sizeof(*s));
	s->dl.sdl_len = sizeof(s->dl);
	s->dl.sdl_family = AF_LINK;
	if (ifname) {
		unsigned idx = if_nametoindex(ifname);
		if (idx == 0)
			return -ENXIO;
		s->dl.sdl_index = (unsigned short)idx;
	}
	return 0;
}

/* ------------------------------------------------------------ messages */

void pfr_msg_init(pfr_t *p, pfr_msg_t *m, int type, int flags)
{
	memset(m, 0, sizeof(*m));
	m->hdr.rtm_version = RTM_VERSION;
	m->hdr.rtm_type = (unsigned char)type;
	m->hdr.rtm_flags = flags;
	m->hdr.rtm_seq = ++p->seq;
	m->hdr.rtm_pid = p->pid;
	m->hdr.rtm_msglen = sizeof(m->hdr);
}

void pfr_msg_add(pfr_msg_t *m, int rta, const pfr_sa_t *s)
{
	size_t len = s->sa.sa_len;
	char *at = (char *)m + m->hdr.rtm_msglen;

	memcpy(at, s, len);
	m->hdr.rtm_msglen = (unsigned short)(m->hdr.rtm_msglen + sa_space(len));
	m->hdr.rtm_addrs |= rta;
}

bool pfr_msg_sockaddrs(const void *msg, size_t msglen, size_t hdr_len, int addrs,
                       const struct sockaddr *rti[RTAX_MAX])
{
	const char *p = (const char *)msg + hdr_len;
	const char *end = (const char *)msg + msglen;
	int i;

	for (i = 0; i < RTAX_MAX; i++) {
		rti[i] = NULL;
		if (!(addrs & (1 << i)))
			continue;
		if (p >= end)
			return false;
		const struct sockaddr *sa = (const struct sockaddr *)(const void *)p;
		if (sa->sa_len > (size_t)(end - p))
			return false;
		rti[i] = sa;
		p += sa_space(sa->sa_len);
	}
	return true;
}

void pfr_ifname_from(char out[PFR_IFNAMSIZ], const struct sockaddr *ifp, unsigned index)
{
	out[0] = '\0';
	if (ifp && ifp->sa_len >= offsetof(struct sockaddr_dl, sdl_data) &&
	    ifp->sa_family == AF_LINK) {
		const struct sockaddr_dl *dl = (const struct sockaddr_dl *)(const void *)ifp;
		size_t n = dl->sdl_nlen;
		if (n > 0 && n < PFR_IFNAMSIZ &&
		    offsetof(struct sockaddr_dl, sdl_data) + n <= dl->sdl_len) {
			memcpy(out, dl->sdl_data, n);
			out[n] = '\0';
			return;
		}
		if (dl->sdl_index)
			index = dl->sdl_index;
	}
	char buf[IF_NAMESIZE];
	if (index && if_indextoname(index, buf))
		snprintf(out, PFR_IFNAMSIZ, "%s", buf);
}
