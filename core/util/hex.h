/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one hex decoder for key material: tunnel keys in the config, keys in
 * control requests, and uipsecctl's key arguments and key files all go
 * through it, so they accept exactly the same spellings. */
#ifndef UIPSEC_CORE_HEX_H
#define UIPSEC_CORE_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <uipsec/common.h>

typedef enum hex_status {
	HEX_OK = 0,
	HEX_EMPTY,      /* no digits (NULL, "" or "0x" alone) */
	HEX_ODD,        /* odd number of digits */
	HEX_NOT_HEX,    /* a character that is not a hex digit */
	HEX_TOO_LONG,   /* more bytes than the output holds */
} hex_status_t;

/* Decode "0x..." / "0X..." or bare hex digits into out (cap bytes). The
 * prefix is stripped first; then the digit count is checked (even, not
 * zero, at most 2 * cap) before a byte is written. On error *len is 0 and
 * nothing decoded from the bad string is left in out (it may be a key). */
UIPSEC_EXPORT hex_status_t hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len);

/* The same into a g_malloc'd buffer of the decoded size; NULL on error
 * (*st says why when st is not NULL). Free with uipsec_hex_free(). */
UIPSEC_EXPORT uint8_t *hex_decode_alloc(const char *s, size_t *len, hex_status_t *st);

/* What is wrong, for "'key' <reason>" messages; never quotes the value. */
UIPSEC_EXPORT const char *hex_status_str(hex_status_t st);

#endif
