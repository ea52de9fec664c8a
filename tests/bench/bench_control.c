/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark: install and remove 100 000 SAs through the control socket
 * (JSON lines over the UNIX socket, requests pipelined in windows of 64)
 * and the same through direct in-process calls of the control service.
 * Prints SAs/s and the process RSS growth per installed SA. Then what an
 * IKE daemon does, one request at a time (it waits for every answer):
 * SA installs (protocol 2, owner and selectors) and rekeys of a CHILD_SA
 * (alloc-spi, new inbound SA, new outbound SA, old outbound and old
 * inbound deleted: five round trips). The server
 * runs in a thread and main context of its own so that the benchmark's
 * client can block (uipsecd serves it from its main loop). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "control/control_server.h"
#include "control/control_service.h"
#include "crypto/crypto_core.h"
#include "esp/events.h"
#include "config/logging.h"
#include "plugin/plugin_loader.h"
#include "esp/sad.h"
#include "config/settings_parser.h"
#include "esp/spd.h"

#define N_SA 100000
#define WINDOW 64
#define SPI_BASE 0x10000u

static const char key_hex[] = "0x00112233445566778899aabbccddeeff00112233";

static long rss_kib(void)
{
	char *text = NULL;
	long kib = -1;
	if (g_file_get_contents("/proc/self/status", &text, NULL, NULL)) {
		char *p = strstr(text, "VmRSS:");
		if (p)
			kib = strtol(p + 6, NULL, 10);
	}
	g_free(text);
	return kib;
}

typedef struct server {
	GMainContext *ctx;
	GMainLoop *loop;
	control_config_t cfg;
	control_t *ctl;
	GMutex lock;
	GCond cond;
	bool ready;
} server_t;

static gpointer server_main(gpointer user)
{
	server_t *s = user;
	GError *err = NULL;
	g_main_context_push_thread_default(s->ctx);
	events_attach(s->ctx);
	s->ctl = control_start(&s->cfg, control_service_backend(), s->ctx, &err);
	if (!s->ctl) {
		fprintf(stderr, "control_start: %s\n", err->message);
		exit(1);
	}
	g_mutex_lock(&s->lock);
	s->ready = true;
	g_cond_signal(&s->cond);
	g_mutex_unlock(&s->lock);
	g_main_loop_run(s->loop);
	control_stop(s->ctl);
	g_main_context_pop_thread_default(s->ctx);
	return NULL;
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0) {
			perror("send");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Read n reply lines; every one must be a success. */
static void read_replies(int fd, unsigned n, GString *buf)
{
	while (n) {
		char *nl;
		while (n && (nl = memchr(buf->str, '\n', buf->len))) {
			size_t len = (size_t)(nl - buf->str);
			if (!g_strstr_len(buf->str, (gssize)len, "\"ok\":true")) {
				fprintf(stderr, "request failed: %.*s\n", (int)len, buf->str);
				exit(1);
			}
			g_string_erase(buf, 0, (gssize)len + 1);
			n--;
		}
		if (!n)
			break;
		char tmp[65536];
		ssize_t r = recv(fd, tmp, sizeof(tmp), 0);
		if (r <= 0) {
			perror("recv");
			exit(1);
		}
		g_string_append_len(buf, tmp, r);
	}
}

static double run_socket(const char *path, bool add)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("connect");
		exit(1);
	}
	GString *req = g_string_new(NULL), *in = g_string_new(NULL);
	gint64 t0 = g_get_monotonic_time();
	for (unsigned i = 0; i < N_SA; i += WINDOW) {
		unsigned n = MIN(WINDOW, N_SA - i);
		g_string_truncate(req, 0);
		for (unsigned j = 0; j < n; j++) {
			if (add)
				g_string_append_printf(req, "{\"id\":%u,\"cmd\":\"add-sa\",\"args\":{\"spi\":%u,\"direction\":\"in\","
				                       "\"src\":\"192.0.2.2\",\"dst\":\"192.0.2.1\",\"esp\":\"aes128gcm16\","
				                       "\"key\":\"%s\",\"reqid\":5,\"any\":true}}\n", i + j, SPI_BASE + i + j, key_hex);
			else
				g_string_append_printf(req, "{\"id\":%u,\"cmd\":\"del-sa\",\"args\":{\"spi\":%u,\"direction\":\"in\"}}\n",
				                       i + j, SPI_BASE + i + j);
		}
		send_all(fd, req->str, req->len);
		read_replies(fd, n, in);
	}
	double secs = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	close(fd);
	g_string_free(req, TRUE);
	g_string_free(in, TRUE);
	return secs;
}

/* One request, one reply (a success); the reply's "spi" when asked. */
static unsigned long round_trip(int fd, GString *in, const char *req)
{
	send_all(fd, req, strlen(req));
	char *nl;
	while (!(nl = memchr(in->str, '\n', in->len))) {
		char tmp[4096];
		ssize_t r = recv(fd, tmp, sizeof(tmp), 0);
		if (r <= 0) {
			perror("recv");
			exit(1);
		}
		g_string_append_len(in, tmp, r);
	}
	*nl = '\0';
	if (!strstr(in->str, "\"ok\":true")) {
		fprintf(stderr, "request failed: %s\nrequest: %s", in->str, req);
		exit(1);
	}
	const char *spi = strstr(in->str, "\"spi\":");
	unsigned long v = spi ? strtoul(spi + 6, NULL, 10) : 0;
	g_string_erase(in, 0, nl - in->str + 1);
	return v;
}

#define N_IKE_SA 20000
#define N_REKEY 5000
#define IKE_SA_FMT "{\"v\":2,\"id\":1,\"cmd\":\"add-sa\",\"args\":{\"spi\":%lu,\"direction\":\"%s\"," \
	"\"src\":\"%s\",\"dst\":\"%s\",\"esp\":\"aes128gcm16\",\"key\":\"%s\",\"reqid\":%u," \
	"\"owner\":\"bench\"%s}}\n"
#define IKE_TS ",\"local_ts\":\"10.1.0.0/24\",\"remote_ts\":\"10.2.0.0/24\""

/* An IKE daemon's pace: installs (inbound SAs with selectors), then
 * rekeys of one CHILD_SA; each request waits for its reply. */
static void run_ike(const char *path, double *installs_s, double *rekeys_s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	g_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("connect");
		exit(1);
	}
	GString *in = g_string_new(NULL);
	char req[1024];
	gint64 t0 = g_get_monotonic_time();
	for (unsigned i = 0; i < N_IKE_SA; i++) {
		snprintf(req, sizeof(req), IKE_SA_FMT, (unsigned long)SPI_BASE + i, "in", "192.0.2.2", "192.0.2.1",
		         key_hex, 100 + i, IKE_TS);
		round_trip(fd, in, req);
	}
	*installs_s = N_IKE_SA / ((double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	snprintf(req, sizeof(req), "{\"v\":2,\"id\":1,\"cmd\":\"flush\",\"args\":{\"owner\":\"bench\"}}\n");
	round_trip(fd, in, req);

	/* the CHILD_SA: inbound SPI from alloc-spi, outbound SPI the peer's */
	unsigned long in_spi = round_trip(fd, in, "{\"v\":2,\"id\":1,\"cmd\":\"alloc-spi\",\"args\":{\"owner\":\"bench\"}}\n");
	unsigned long out_spi = 0x20000;
	snprintf(req, sizeof(req), IKE_SA_FMT, in_spi, "in", "192.0.2.2", "192.0.2.1", key_hex, 1u, IKE_TS);
	round_trip(fd, in, req);
	snprintf(req, sizeof(req), IKE_SA_FMT, out_spi, "out", "192.0.2.1", "192.0.2.2", key_hex, 1u, "");
	round_trip(fd, in, req);
	t0 = g_get_monotonic_time();
	for (unsigned i = 0; i < N_REKEY; i++) {
		unsigned long new_in = round_trip(fd, in, "{\"v\":2,\"id\":1,\"cmd\":\"alloc-spi\",\"args\":{\"owner\":\"bench\"}}\n");
		unsigned long new_out = out_spi + 1;
		snprintf(req, sizeof(req), IKE_SA_FMT, new_in, "in", "192.0.2.2", "192.0.2.1", key_hex, 1u, IKE_TS);
		round_trip(fd, in, req);
		snprintf(req, sizeof(req), IKE_SA_FMT, new_out, "out", "192.0.2.1", "192.0.2.2", key_hex, 1u, "");
		round_trip(fd, in, req);
		snprintf(req, sizeof(req), "{\"v\":2,\"id\":1,\"cmd\":\"del-sa\",\"args\":{\"spi\":%lu,\"direction\":\"out\"}}\n", out_spi);
		round_trip(fd, in, req);
		snprintf(req, sizeof(req), "{\"v\":2,\"id\":1,\"cmd\":\"del-sa\",\"args\":{\"spi\":%lu,\"direction\":\"in\",\"dst\":\"192.0.2.1\"}}\n", in_spi);
		round_trip(fd, in, req);
		in_spi = new_in;
		out_spi = new_out;
	}
	*rekeys_s = N_REKEY / ((double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
	round_trip(fd, in, "{\"v\":2,\"id\":1,\"cmd\":\"flush\",\"args\":{\"owner\":\"bench\"}}\n");
	close(fd);
	g_string_free(in, TRUE);
}

static double run_direct(bool add)
{
	const control_backend_t *be = control_service_backend();
	control_sa_t sa = { .dir = CONTROL_DIR_IN, .has_src = true, .has_dst = true, .reqid = 5, .replay_window = 32, .any = true };
	uipsec_addr_parse("192.0.2.2", &sa.src);
	uipsec_addr_parse("192.0.2.1", &sa.dst);
	g_strlcpy(sa.esp, "aes128gcm16", sizeof(sa.esp));
	sa.key_len = 20;
	for (unsigned i = 0; i < sa.key_len; i++)
		sa.key[i] = (uint8_t)(i * 17);
	gint64 t0 = g_get_monotonic_time();
	for (unsigned i = 0; i < N_SA; i++) {
		uipsec_err_t err = { "" };
		sa.spi = SPI_BASE + i;
		int rc = add ? be->sa_add(be->user, &sa, &err) : be->sa_del(be->user, &sa, &err);
		if (rc != UIPSEC_OK) {
			fprintf(stderr, "direct %s: %s\n", add ? "add" : "del", err.msg);
			exit(1);
		}
		events_dispatch();   /* keep the event queue drained as the main loop would */
	}
	control_sa_wipe(&sa);
	return (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

static gboolean quit_loop(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(void)
{
	const char *path = g_getenv("UIPSEC_PLUGIN_PATH");
	if (!path || !*path)
		g_setenv("UIPSEC_PLUGIN_PATH", BENCH_PLUGIN_PATH, TRUE);
	uipsec_settings_t *s = settings_new();
	settings_set(s, "uipsecd.load", "crypto-openssl");
	settings_set(s, "uipsecd.log.default", "warn");
	log_configure(s, NULL);
	crypto_init(s);
	GError *err = NULL;
	if (!plugin_loader_load(s, &err)) {
		fprintf(stderr, "loading crypto-openssl: %s\n", err->message);
		return 1;
	}
	sad_init();
	spd_init();

	/* direct calls first, in the main thread */
	long rss0 = rss_kib();
	double t_add = run_direct(true);
	long rss1 = rss_kib();
	double t_del = run_direct(false);
	printf("direct:  %u SAs installed in %.3f s = %.0f SAs/s, removed at %.0f SAs/s, RSS +%.2f KiB per SA\n",
	       N_SA, t_add, N_SA / t_add, N_SA / t_del, (double)(rss1 - rss0) / N_SA);

	char *dir = g_dir_make_tmp("uipsec-bench-XXXXXX", NULL);
	server_t srv = { .ctx = g_main_context_new() };
	srv.loop = g_main_loop_new(srv.ctx, FALSE);
	control_config_init(&srv.cfg, NULL);
	g_free(srv.cfg.path);
	srv.cfg.path = g_build_filename(dir, "ctl.sock", NULL);
	srv.cfg.idle_timeout = 0;
	g_mutex_init(&srv.lock);
	g_cond_init(&srv.cond);
	events_reset();
	GThread *th = g_thread_new("ctl", server_main, &srv);
	g_mutex_lock(&srv.lock);
	while (!srv.ready)
		g_cond_wait(&srv.cond, &srv.lock);
	g_mutex_unlock(&srv.lock);

	rss0 = rss_kib();
	t_add = run_socket(srv.cfg.path, true);
	rss1 = rss_kib();
	t_del = run_socket(srv.cfg.path, false);
	printf("socket:  %u SAs installed in %.3f s = %.0f SAs/s, removed at %.0f SAs/s, RSS +%.2f KiB per SA"
	       " (target >= 20000 installs/s)\n",
	       N_SA, t_add, N_SA / t_add, N_SA / t_del, (double)(rss1 - rss0) / N_SA);
	double ike_installs, ike_rekeys;
	run_ike(srv.cfg.path, &ike_installs, &ike_rekeys);
	printf("IKE daemon's pace (one request per round trip, protocol 2): %u inbound SAs with selectors at %.0f installs/s;"
	       " %u CHILD_SA rekeys (alloc-spi, add in, add out, del out, del in) at %.0f rekeys/s\n",
	       N_IKE_SA, ike_installs, N_REKEY, ike_rekeys);

	g_main_context_invoke(srv.ctx, quit_loop, srv.loop);
	g_thread_join(th);
	g_main_loop_unref(srv.loop);
	g_main_context_unref(srv.ctx);
	control_config_clear(&srv.cfg);
	g_rmdir(dir);
	g_free(dir);
	plugin_loader_unload();
	settings_free(s);
	return 0;
}
