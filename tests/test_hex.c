/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one hex decoder for keys (core/util/hex.c): prefix stripped before the
 * length is checked, the length checked against the output capacity, bad
 * input refused with its reason and nothing left in the output. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <uipsec/settings.h>
#include "control/control_proto.h"
#include "util/hex.h"

/* Output buffer with a guard region after cap bytes: a decoder writing one
 * byte too far changes the guard. */
#define GUARD 16
static uint8_t out[CONTROL_KEY_MAX + GUARD];

static hex_status_t decode(const char *s, size_t cap, size_t *len)
{
	memset(out, 0xa5, sizeof(out));
	hex_status_t st = hex_decode(s, out, cap, len);
	for (size_t i = cap; i < sizeof(out); i++)
		if (out[i] != 0xa5)
			g_error("'%.20s...' wrote byte %zu of a %zu-byte buffer", s ? s : "(null)", i, cap);
	if (st != HEX_OK) {
		g_assert_cmpuint(*len, ==, 0);
		for (size_t i = 0; i < cap; i++)   /* untouched or wiped, never a partial key */
			g_assert_true(out[i] == 0xa5 || out[i] == 0);
	}
	return st;
}

static void test_cases(void)
{
	static const struct {
		const char *in;
		size_t cap;
		hex_status_t st;
		const char *bytes;   /* expected output, as hex */
	} cases[] = {
		{ "0x0011aAfF", 8, HEX_OK, "0011aaff" },
		{ "0X0011", 8, HEX_OK, "0011" },
		{ "deadBEEF", 4, HEX_OK, "deadbeef" },   /* bare, exactly the capacity */
		{ "0xdeadbeef", 4, HEX_OK, "deadbeef" },  /* prefixed, exactly the capacity */
		{ "0xdeadbeef00", 4, HEX_TOO_LONG, NULL },
		{ "deadbeef00", 4, HEX_TOO_LONG, NULL },
		{ "", 8, HEX_EMPTY, NULL },
		{ "0x", 8, HEX_EMPTY, NULL },
		{ "0X", 8, HEX_EMPTY, NULL },
		{ "0", 8, HEX_ODD, NULL },
		{ "0x012", 8, HEX_ODD, NULL },
		{ "012", 8, HEX_ODD, NULL },
		{ "0g", 8, HEX_NOT_HEX, NULL },
		{ "0x00112g", 8, HEX_NOT_HEX, NULL },
		{ "0x0011zz", 8, HEX_NOT_HEX, NULL },
		{ "00 11", 8, HEX_ODD, NULL },
		{ "0x 0011", 8, HEX_ODD, NULL },
		{ "0x-011", 8, HEX_NOT_HEX, NULL },
		{ "0x0x00", 8, HEX_NOT_HEX, NULL },
		{ "+0011", 8, HEX_ODD, NULL },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t len = 99;
		hex_status_t st = decode(cases[i].in, cases[i].cap, &len);
		if (st != cases[i].st)
			g_error("'%s': status %d (%s), wanted %d", cases[i].in, st, hex_status_str(st), cases[i].st);
		if (cases[i].bytes) {
			g_assert_cmpuint(len, ==, strlen(cases[i].bytes) / 2);
			for (size_t b = 0; b < len; b++) {
				char hx[3];
				snprintf(hx, sizeof(hx), "%02x", out[b]);
				g_assert_cmpmem(hx, 2, cases[i].bytes + 2 * b, 2);
			}
		}
	}
	size_t len;
	g_assert_cmpint(hex_decode(NULL, out, 8, &len), ==, HEX_EMPTY);
}

/* Keys of CONTROL_KEY_MAX bytes: 128 digits fit with or without 0x; 130
 * bare digits (the length of a prefixed maximum key) do not, and must not
 * write key[64]. */
static void test_key_max(void)
{
	char *d128 = g_strnfill(2 * CONTROL_KEY_MAX, 'f');
	char *d130 = g_strnfill(2 * CONTROL_KEY_MAX + 2, 'f');
	char *p128 = g_strconcat("0x", d128, NULL);
	char *p130 = g_strconcat("0x", d130, NULL);
	size_t len;
	g_assert_cmpint(decode(d128, CONTROL_KEY_MAX, &len), ==, HEX_OK);
	g_assert_cmpuint(len, ==, CONTROL_KEY_MAX);
	g_assert_cmpint(decode(p128, CONTROL_KEY_MAX, &len), ==, HEX_OK);
	g_assert_cmpuint(len, ==, CONTROL_KEY_MAX);
	g_assert_cmpint(decode(d130, CONTROL_KEY_MAX, &len), ==, HEX_TOO_LONG);
	g_assert_cmpint(decode(p130, CONTROL_KEY_MAX, &len), ==, HEX_TOO_LONG);
	/* a bad digit at the very end: the good part is not left behind */
	d128[2 * CONTROL_KEY_MAX - 1] = 'x';
	g_assert_cmpint(decode(d128, CONTROL_KEY_MAX, &len), ==, HEX_NOT_HEX);
	for (size_t i = 0; i < CONTROL_KEY_MAX; i++)
		g_assert_cmpuint(out[i], !=, 0xff);
	g_free(d128);
	g_free(d130);
	g_free(p128);
	g_free(p130);
}

static void test_alloc(void)
{
	size_t len = 0;
	hex_status_t st = HEX_EMPTY;
	uint8_t *p = hex_decode_alloc("0x00ff10", &len, &st);
	g_assert_nonnull(p);
	g_assert_cmpint(st, ==, HEX_OK);
	g_assert_cmpuint(len, ==, 3);
	g_assert_cmpmem(p, 3, "\x00\xff\x10", 3);
	uipsec_hex_free(p, len);
	g_assert_null(hex_decode_alloc("0x", &len, &st));
	g_assert_cmpint(st, ==, HEX_EMPTY);
	g_assert_null(hex_decode_alloc("abc", &len, &st));
	g_assert_cmpint(st, ==, HEX_ODD);
	g_assert_null(hex_decode_alloc("zz", &len, NULL));
	g_assert_null(hex_decode_alloc(NULL, &len, &st));
	/* every reason reads as "'key' <reason>" and never quotes the value */
	for (int i = HEX_EMPTY; i <= HEX_TOO_LONG; i++)
		g_assert_true(g_str_has_prefix(hex_status_str(i), "is ") || g_str_has_prefix(hex_status_str(i), "has "));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hex/cases", test_cases);
	g_test_add_func("/hex/key-max", test_key_max);
	g_test_add_func("/hex/alloc", test_alloc);
	return g_test_run();
}
