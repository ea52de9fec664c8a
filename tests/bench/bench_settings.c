/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmarks: the cost of a filtered log call on the hot path
 * (uipsec_log_enabled) and of parsing a large configuration. */
#include "config.h"
#include <glib.h>
#include <stdio.h>
#include "config/logging.h"
#include "config/settings_parser.h"

static double now(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

static void bench_log_enabled(const char *what)
{
	enum { N = 50 * 1000 * 1000 };
	volatile unsigned hits = 0;
	double t0 = now();
	for (unsigned i = 0; i < N; i++)
		hits += uipsec_log_enabled("esp", UIPSEC_LOG_DEBUG);
	double dt = now() - t0;
	printf("uipsec_log_enabled (%s): %.2f ns/call (%u enabled)\n", what, dt * 1e9 / N, hits);
}

static void bench_parse(void)
{
	enum { TUNNELS = 2000, ROUNDS = 5 };
	GString *text = g_string_new("uipsecd {\n  threads = 4\n  log { default = info }\n}\ntunnels {\n");
	for (int i = 0; i < TUNNELS; i++)
		g_string_append_printf(text,
			"  t%d {\n    local = 192.0.2.1\n    remote = 198.51.100.%d\n"
			"    local_ts = 10.1.%d.0/24\n    remote_ts = 10.2.%d.0/24\n    esp = aes128gcm16\n"
			"    in  { spi = 0x%x  key = 0x00112233445566778899aabbccddeeff01020304 }\n"
			"    out { spi = 0x%x  key = 0xffeeddccbbaa99887766554433221100a0b0c0d0 }\n  }\n",
			i, i % 250 + 1, i % 256, i % 256, 0x1000 + i, 0x200000 + i);
	g_string_append(text, "}\n");
	options_declare_core();
	double best = 1e9, best_check = 1e9;
	for (int r = 0; r < ROUNDS; r++) {
		uipsec_settings_t *s = settings_new();
		double t0 = now();
		if (!settings_load_string(s, text->str, "bench.conf", NULL))
			g_error("bench config does not parse");
		double t1 = now();
		options_check_unknown(s);
		if (!options_check_values(s, NULL))
			g_error("bench config has bad values");
		double t2 = now();
		best = MIN(best, t1 - t0);
		best_check = MIN(best_check, t2 - t1);
		settings_free(s);
	}
	printf("parse %d tunnels (%zu KiB, %d keys): %.1f ms; option checks: %.1f ms\n", TUNNELS,
	       text->len / 1024, TUNNELS * 9, best * 1e3, best_check * 1e3);
	g_string_free(text, TRUE);
}

int main(void)
{
	log_set_level(NULL, UIPSEC_LOG_INFO);
	bench_log_enabled("default info, no subsystem levels");
	log_set_level("net", UIPSEC_LOG_INFO);
	bench_log_enabled("a subsystem level set, all at info");
	log_set_level("tun", UIPSEC_LOG_DEBUG);
	bench_log_enabled("another subsystem at debug: lookup");
	log_clear_levels();
	bench_parse();
	return 0;
}
