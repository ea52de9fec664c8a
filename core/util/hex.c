/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hex decoding of key material (see hex.h). */
#include "config.h"
#include <string.h>
#include <glib.h>
#include "util/hex.h"

static const char *const hex_reasons[] = {
	[HEX_OK] = "is valid hex",
	[HEX_EMPTY] = "is empty (no hex digits)",
	[HEX_ODD] = "has an odd number of hex digits",
	[HEX_NOT_HEX] = "is not hex (0x followed by hex digits)",
	[HEX_TOO_LONG] = "is too long",
};

const char *hex_status_str(hex_status_t st)
{
	return (unsigned)st < G_N_ELEMENTS(hex_reasons) ? hex_reasons[st] : "is not valid hex";
}

static const char *skip_prefix(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s + 2 : s;
}

hex_status_t hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	*len = 0;
	if (!s)
		return HEX_EMPTY;
	/* strip first: a limit checked on the prefixed string would let a bare
	 * string two digits longer through */
	s = skip_prefix(s);
	size_t n = strlen(s);
	if (n == 0)
		return HEX_EMPTY;
	if (n % 2)
		return HEX_ODD;
	if (n / 2 > cap)
		return HEX_TOO_LONG;
	for (size_t i = 0; i < n; i += 2) {
		int hi = g_ascii_xdigit_value(s[i]), lo = g_ascii_xdigit_value(s[i + 1]);
		if (hi < 0 || lo < 0) {
			uipsec_memwipe(out, i / 2);
			return HEX_NOT_HEX;
		}
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return HEX_OK;
}

uint8_t *hex_decode_alloc(const char *s, size_t *len, hex_status_t *st)
{
	size_t cap = s ? strlen(skip_prefix(s)) / 2 : 0;
	uint8_t *buf = g_malloc(cap ? cap : 1);
	hex_status_t rc = hex_decode(s, buf, cap, len);
	if (st)
		*st = rc;
	if (rc != HEX_OK) {
		g_free(buf);   /* wiped by hex_decode */
		return NULL;
	}
	return buf;
}
