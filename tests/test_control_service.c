/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control service over a real socket with the real SAD, SPD, counters,
 * events and crypto (crypto-openssl or crypto-gcrypt loaded through the
 * plugin loader): every request's success path and the daemon-side errors.
 * No data path runs here (tunnels: test-control-ctl.sh); the service runs
 * in the default main context as in uipsecd, the client in a thread. */
#include "config.h"
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include "control/control_server.h"
#include "control/control_service.h"
#include "crypto/crypto_core.h"
#include "datapath/dataplane.h"
#include "config/logging.h"
#include "plugin/plugin_loader.h"
#include "config/settings_parser.h"
#include "esp/sad.h"
#include "esp/spd.h"

static char *tmpdir, *sock_path;
static const char *crypto_plugin;

static int client_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	g_strlcpy(sun.sun_path, sock_path, sizeof(sun.sun_path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
	return fd;
}

static char *read_line(int fd)
{
	GString *s = g_string_new(NULL);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		g_assert_cmpint(poll(&pfd, 1, 10000), ==, 1);
		char ch;
		if (recv(fd, &ch, 1, 0) != 1) {
			g_string_free(s, TRUE);
			return NULL;
		}
		if (ch == '\n')
			return g_string_free(s, FALSE);
		g_string_append_c(s, ch);
	}
}

static JsonNode *parse(const char *line)
{
	JsonParser *p = json_parser_new();
	g_assert_true(json_parser_load_from_data(p, line, -1, NULL));
	JsonNode *n = json_node_copy(json_parser_get_root(p));
	g_object_unref(p);
	return n;
}

/* Request -> reply object; *result set on success. */
static JsonNode *rpc(int fd, const char *req)
{
	char *line = g_strconcat(req, "\n", NULL);
	g_assert_cmpint(send(fd, line, strlen(line), MSG_NOSIGNAL), ==, (ssize_t)strlen(line));
	g_free(line);
	char *ans = read_line(fd);
	g_assert_nonnull(ans);
	JsonNode *n = parse(ans);
	g_free(ans);
	return n;
}

static JsonObject *ok_result(JsonNode *reply, const char *req)
{
	JsonObject *o = json_node_get_object(reply);
	if (!json_object_get_boolean_member(o, "ok")) {
		JsonObject *e = json_object_get_object_member(o, "error");
		g_error("%s: %s: %s", req, json_object_get_string_member(e, "code"),
		        json_object_get_string_member(e, "message"));
	}
	return json_object_get_object_member(o, "result");
}

/* Runs req, expects success; returns the reply (unref it). */
static JsonNode *ok(int fd, const char *req, JsonObject **result)
{
	JsonNode *r = rpc(fd, req);
	JsonObject *res = ok_result(r, req);
	if (result)
		*result = res;
	return r;
}

static void expect_error(int fd, const char *req, const char *code)
{
	JsonNode *r = rpc(fd, req);
	JsonObject *o = json_node_get_object(r);
	g_assert_false(json_object_get_boolean_member(o, "ok"));
	const char *got = json_object_get_string_member(json_object_get_object_member(o, "error"), "code");
	if (strcmp(got, code))
		g_error("%s: expected %s, got %s", req, code, got);
	json_node_unref(r);
}

static void ok_void(int fd, const char *req)
{
	json_node_unref(ok(fd, req, NULL));
}

/* Next event line on a subscribed connection. */
static JsonObject *next_event(int fd, JsonNode **holder)
{
	char *line = read_line(fd);
	g_assert_nonnull(line);
	*holder = parse(line);
	g_free(line);
	JsonObject *o = json_node_get_object(*holder);
	g_assert_true(json_object_has_member(o, "event"));
	return o;
}

#define KEY20 "0x00112233445566778899aabbccddeeff00112233"
#define SA_IN(spi, extra) "{\"cmd\":\"add-sa\",\"args\":{\"spi\":" spi ",\"direction\":\"in\",\"src\":\"192.0.2.2\"," \
	"\"dst\":\"192.0.2.1\",\"esp\":\"aes128gcm16\",\"key\":\"" KEY20 "\",\"reqid\":1000" extra "}}"
#define SA_OUT(spi, extra) "{\"cmd\":\"add-sa\",\"args\":{\"spi\":" spi ",\"direction\":\"out\",\"src\":\"192.0.2.1\"," \
	"\"dst\":\"192.0.2.2\",\"esp\":\"aes128gcm16\",\"key\":\"" KEY20 "\",\"reqid\":1000" extra "}}"

static JsonArray *listing(int fd, const char *cmd, const char *member, JsonNode **holder)
{
	char *req = g_strdup_printf("{\"cmd\":\"%s\"}", cmd);
	JsonObject *res;
	*holder = ok(fd, req, &res);
	g_free(req);
	return json_object_get_array_member(res, member);
}

static JsonObject *find_sa(JsonArray *sas, gint64 spi)
{
	for (guint i = 0; i < json_array_get_length(sas); i++) {
		JsonObject *o = json_array_get_object_element(sas, i);
		if (json_object_get_int_member(o, "spi") == spi)
			return o;
	}
	return NULL;
}

static void scenario(void)
{
	int fd = client_connect();
	int mon = client_connect();
	JsonNode *h, *h2;
	JsonObject *res;

	/* subscribe first: the SA changes below raise events */
	h = ok(mon, "{\"id\":\"m\",\"cmd\":\"subscribe\",\"args\":{\"events\":[\"sa-added\",\"sa-deleted\",\"sa-updated\",\"expire-soft\",\"expire-hard\"]}}", NULL);
	json_node_unref(h);

	/* status and plugins */
	h = ok(fd, "{\"cmd\":\"status\"}", &res);
	g_assert_cmpstr(json_object_get_string_member(res, "version"), ==, PACKAGE_VERSION);
	g_assert_cmpint(json_object_get_int_member(res, "pid"), ==, getpid());
	g_assert_cmpint(json_object_get_int_member(res, "sas"), ==, 0);
	g_assert_cmpint(json_object_get_int_member(res, "control_clients"), ==, 2);
	JsonArray *plugins = json_object_get_array_member(res, "plugins");
	g_assert_cmpstr(json_array_get_string_element(plugins, 0), ==, crypto_plugin);
	json_node_unref(h);
	JsonArray *features = listing(fd, "plugins", "features", &h);
	bool gcm = false;
	for (guint i = 0; i < json_array_get_length(features); i++) {
		JsonObject *f = json_array_get_object_element(features, i);
		if (strcmp(json_object_get_string_member(f, "feature"), "AEAD:AES_GCM_16-128") == 0) {
			g_assert_cmpstr(json_object_get_string_member(f, "plugin"), ==, crypto_plugin);
			g_assert_true(json_object_get_boolean_member(f, "selected"));
			gcm = true;
		}
	}
	g_assert_true(gcm);
	json_node_unref(h);

	/* SAs. An inbound SA without selectors and without dir in policies
	 * for its reqid would accept any inner packet: refused... */
	expect_error(fd, SA_IN("4096", ",\"tunnel\":\"t\",\"replay_window\":64"), CONTROL_ERR_ARGUMENT);
	/* ...unless "any" is explicit, or its selectors or policies exist */
	ok_void(fd, SA_IN("4097", ",\"any\":true"));
	expect_error(fd, SA_IN("4098", ",\"any\":true,\"local_ts\":\"10.1.0.0/24\",\"remote_ts\":\"10.2.0.0/24\""),
	             CONTROL_ERR_ARGUMENT);
	expect_error(fd, SA_IN("4098", ",\"local_ts\":\"10.1.0.0/24\""), CONTROL_ERR_ARGUMENT);
	expect_error(fd, SA_IN("4098", ",\"local_ts\":\"10.1.0.0/33\",\"remote_ts\":\"10.2.0.0/24\""),
	             CONTROL_ERR_ARGUMENT);
	expect_error(fd, SA_IN("4098", ",\"local_ts\":\"10.1.0.0/24\",\"remote_ts\":\"2001:db8::/64\""),
	             CONTROL_ERR_ARGUMENT);
	expect_error(fd, SA_IN("4098", ",\"local_ts\":[],\"remote_ts\":\"10.2.0.0/24\""), CONTROL_ERR_ARGUMENT);
	expect_error(fd, SA_IN("4098", ",\"local_ts\":[7],\"remote_ts\":\"10.2.0.0/24\""), CONTROL_ERR_ARGUMENT);
	ok_void(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"10.2.0.0/24\",\"dst\":\"10.1.0.0/24\",\"dir\":\"in\",\"reqid\":1000}}");
	ok_void(fd, SA_IN("4098", ""));
	ok_void(fd, "{\"cmd\":\"del-policy\",\"args\":{\"src\":\"10.2.0.0/24\",\"dst\":\"10.1.0.0/24\",\"dir\":\"in\"}}");
	ok_void(fd, "{\"cmd\":\"del-sa\",\"args\":{\"spi\":4097,\"direction\":\"in\"}}");
	JsonArray *sas = listing(fd, "list-sas", "sas", &h);
	g_assert_cmpstr(json_object_get_string_member(find_sa(sas, 4098), "inbound_check"), ==, "in-policies");
	json_node_unref(h);
	ok_void(fd, "{\"cmd\":\"del-sa\",\"args\":{\"spi\":4098,\"direction\":\"in\"}}");
	for (int i = 0; i < 4; i++) {   /* added and deleted 4097, 4098 */
		JsonObject *ev = next_event(mon, &h);
		g_assert_cmpstr(json_object_get_string_member(ev, "event"), ==, i < 2 ? "sa-added" : "sa-deleted");
		json_node_unref(h);
	}
	ok_void(fd, SA_IN("4096", ",\"tunnel\":\"t\",\"replay_window\":64,"
	                  "\"local_ts\":[\"10.1.0.0/24\",\"10.3.0.1-10.3.0.9[tcp/443]\"],\"remote_ts\":\"10.2.0.0/24\""));
	ok_void(fd, SA_OUT("\"0x2000\"", ",\"soft_bytes\":100,\"hard_bytes\":200,\"hard_time\":3600"));
	expect_error(fd, SA_IN("4096", ",\"any\":true"), CONTROL_ERR_EXISTS);
	expect_error(fd, "{\"cmd\":\"add-sa\",\"args\":{\"spi\":5000,\"direction\":\"in\",\"src\":\"192.0.2.2\",\"dst\":\"192.0.2.1\",\"esp\":\"aes128gcm16\",\"key\":\"0x0011\"}}", CONTROL_ERR_ARGUMENT);
	expect_error(fd, "{\"cmd\":\"add-sa\",\"args\":{\"spi\":5000,\"direction\":\"in\",\"src\":\"192.0.2.2\",\"dst\":\"192.0.2.1\",\"esp\":\"rot13\",\"key\":\"0x0011\",\"any\":true}}", CONTROL_ERR_NOT_SUPPORTED);
	sas = listing(fd, "list-sas", "sas", &h);
	g_assert_cmpint(json_array_get_length(sas), ==, 2);
	JsonObject *in = find_sa(sas, 4096), *out = find_sa(sas, 0x2000);
	g_assert_nonnull(in);
	g_assert_nonnull(out);
	g_assert_cmpstr(json_object_get_string_member(in, "direction"), ==, "in");
	g_assert_cmpstr(json_object_get_string_member(in, "tunnel"), ==, "t");
	g_assert_cmpstr(json_object_get_string_member(in, "esp"), ==, "aes128gcm16");
	g_assert_cmpstr(json_object_get_string_member(in, "src"), ==, "192.0.2.2");
	g_assert_cmpint(json_object_get_int_member(in, "src_port"), ==, 4500);
	g_assert_cmpint(json_object_get_int_member(in, "bytes"), ==, 0);
	g_assert_cmpint(json_object_get_int_member(in, "packets"), ==, 0);
	g_assert_cmpint(json_object_get_int_member(in, "time_left"), ==, -1);
	g_assert_cmpint(json_object_get_int_member(out, "bytes_left"), ==, 200);
	g_assert_cmpint(json_object_get_int_member(out, "time_left"), >, 3500);
	g_assert_cmpstr(json_object_get_string_member(out, "state"), ==, "active");
	/* the inbound SA's selectors, remote -> local */
	g_assert_cmpstr(json_object_get_string_member(in, "inbound_check"), ==, "selectors");
	g_assert_cmpint(json_object_get_int_member(in, "policy_dropped"), ==, 0);
	JsonArray *sels = json_object_get_array_member(in, "selectors");
	g_assert_cmpint(json_array_get_length(sels), ==, 2);
	JsonObject *s0 = json_array_get_object_element(sels, 0), *s1 = json_array_get_object_element(sels, 1);
	g_assert_cmpstr(json_object_get_string_member(s0, "src"), ==, "10.2.0.0/24");
	g_assert_cmpstr(json_object_get_string_member(s0, "dst"), ==, "10.1.0.0/24");
	g_assert_cmpstr(json_object_get_string_member(s0, "proto"), ==, "any");
	g_assert_cmpstr(json_object_get_string_member(s1, "dst"), ==, "10.3.0.1-10.3.0.9");
	g_assert_cmpstr(json_object_get_string_member(s1, "proto"), ==, "tcp");
	g_assert_cmpint(json_object_get_int_member(s1, "dport"), ==, 443);
	g_assert_false(json_object_has_member(out, "inbound_check"));
	json_node_unref(h);
	for (int i = 0; i < 2; i++) {
		JsonObject *ev = next_event(mon, &h);
		g_assert_cmpstr(json_object_get_string_member(ev, "event"), ==, "sa-added");
		g_assert_cmpstr(json_object_get_string_member(ev, "id"), ==, "m");
		json_node_unref(h);
	}

	/* update-sa keeps one SA under that SPI (replaced in place) */
	ok_void(fd, "{\"cmd\":\"update-sa\",\"args\":{\"spi\":8192,\"direction\":\"out\",\"src\":\"192.0.2.1\",\"dst\":\"192.0.2.2\",\"esp\":\"aes256gcm16\",\"key\":\"0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233\",\"reqid\":1000}}");
	expect_error(fd, "{\"cmd\":\"update-sa\",\"args\":{\"spi\":8192,\"direction\":\"out\",\"src\":\"192.0.2.1\",\"dst\":\"192.0.2.2\",\"esp\":\"aes256gcm16\",\"key\":\"0x00\",\"reqid\":1000}}", CONTROL_ERR_ARGUMENT);
	expect_error(fd, "{\"cmd\":\"update-sa\",\"args\":{\"spi\":9999,\"direction\":\"out\",\"src\":\"192.0.2.1\",\"dst\":\"192.0.2.2\",\"esp\":\"aes128gcm16\",\"key\":\"" KEY20 "\"}}", CONTROL_ERR_NOT_FOUND);
	sas = listing(fd, "list-sas", "sas", &h);
	g_assert_cmpint(json_array_get_length(sas), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(find_sa(sas, 0x2000), "esp"), ==, "aes256gcm16");
	json_node_unref(h);
	/* one sa-updated, not a delete and an add; the failed updates raise nothing */
	JsonObject *upd = next_event(mon, &h);
	g_assert_cmpstr(json_object_get_string_member(upd, "event"), ==, "sa-updated");
	g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(upd, "data"), "spi"), ==, 0x2000);
	json_node_unref(h);

	/* policies */
	ok_void(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"10.1.0.0/24\",\"dst\":\"10.2.0.0/24\",\"dir\":\"out\",\"reqid\":1000}}");
	ok_void(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"10.2.0.0/24\",\"dst\":\"10.1.0.0/24\",\"dir\":\"in\",\"spi\":8192,\"proto\":\"udp\",\"sport\":53,\"priority\":7}}");
	ok_void(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"2001:db8:1::/48\",\"dst\":\"2001:db8:2::/48\",\"dir\":\"out\",\"action\":\"drop\"}}");
	expect_error(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"10.1.0.0/24\",\"dst\":\"10.2.0.0/24\",\"dir\":\"out\",\"reqid\":1000}}", CONTROL_ERR_EXISTS);
	expect_error(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"10.1.0.0/24\",\"dst\":\"10.2.0.0/24\",\"dir\":\"fwd\",\"action\":\"bypass\"}}", CONTROL_ERR_NOT_SUPPORTED);
	expect_error(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"10.1.0.0/24\",\"dst\":\"10.9.0.0/24\",\"dir\":\"out\",\"spi\":7777}}", CONTROL_ERR_NOT_FOUND);
	expect_error(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"10.1.0.0/24\",\"dst\":\"10.9.0.0/24\",\"dir\":\"out\",\"spi\":8192,\"reqid\":5}}", CONTROL_ERR_ARGUMENT);
	JsonArray *pols = listing(fd, "list-policies", "policies", &h);
	g_assert_cmpint(json_array_get_length(pols), ==, 3);
	JsonObject *p1 = json_array_get_object_element(pols, 1);
	g_assert_cmpstr(json_object_get_string_member(p1, "dir"), ==, "in");
	g_assert_cmpstr(json_object_get_string_member(p1, "src"), ==, "10.2.0.0/24");
	g_assert_cmpstr(json_object_get_string_member(p1, "proto"), ==, "udp");
	g_assert_cmpint(json_object_get_int_member(p1, "sport"), ==, 53);
	g_assert_cmpstr(json_object_get_string_member(p1, "dport"), ==, "any");
	g_assert_cmpint(json_object_get_int_member(p1, "priority"), ==, 7);
	g_assert_cmpint(json_object_get_int_member(p1, "reqid"), ==, 1000);
	JsonObject *p2 = json_array_get_object_element(pols, 2);
	g_assert_cmpstr(json_object_get_string_member(p2, "action"), ==, "drop");
	g_assert_cmpstr(json_object_get_string_member(p2, "dst"), ==, "2001:db8:2::/48");
	gint64 drop_id = json_object_get_int_member(p2, "id");
	json_node_unref(h);
	char *del = g_strdup_printf("{\"cmd\":\"del-policy\",\"args\":{\"id\":%" G_GINT64_FORMAT "}}", drop_id);
	ok_void(fd, del);
	expect_error(fd, del, CONTROL_ERR_NOT_FOUND);
	g_free(del);
	ok_void(fd, "{\"cmd\":\"del-policy\",\"args\":{\"src\":\"10.2.0.0/24\",\"dst\":\"10.1.0.0/24\",\"dir\":\"in\",\"proto\":\"udp\",\"sport\":53}}");
	expect_error(fd, "{\"cmd\":\"del-policy\",\"args\":{\"src\":\"10.1.0.0/24\",\"dst\":\"10.2.0.0/24\",\"dir\":\"in\"}}", CONTROL_ERR_NOT_FOUND);
	pols = listing(fd, "list-policies", "policies", &h);
	g_assert_cmpint(json_array_get_length(pols), ==, 1);
	json_node_unref(h);

	/* stats: every SPEC counter */
	h = ok(fd, "{\"cmd\":\"stats\"}", &res);
	static const char *const counters[] = { "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "auth_failed",
		"replay_dropped", "bad_spi", "malformed", "policy_dropped", "no_sa", "keepalive_rx", "ike_rx",
		"queue_dropped", "ike_relay_dropped", "ike_relay_malformed", NULL };
	for (unsigned i = 0; counters[i]; i++)
		g_assert_true(json_node_get_value_type(json_object_get_member(res, counters[i])) == G_TYPE_INT64);
	json_node_unref(h);

	/* no data path here: tunnels are empty, up/down say so */
	JsonArray *tunnels = listing(fd, "list-tunnels", "tunnels", &h);
	g_assert_cmpint(json_array_get_length(tunnels), ==, 0);
	json_node_unref(h);
	expect_error(fd, "{\"cmd\":\"up\",\"args\":{\"name\":\"x\"}}", CONTROL_ERR_FAILED);
	expect_error(fd, "{\"cmd\":\"down\",\"args\":{\"name\":\"x\"}}", CONTROL_ERR_FAILED);
	expect_error(fd, "{\"cmd\":\"reload\"}", CONTROL_ERR_NOT_SUPPORTED);   /* no reload hook here */

	/* log levels */
	ok_void(fd, "{\"cmd\":\"log-level\",\"args\":{\"level\":\"debug\",\"subsystem\":\"esp\"}}");
	g_assert_cmpint(log_get_level("esp"), ==, UIPSEC_LOG_DEBUG);
	ok_void(fd, "{\"cmd\":\"log-level\",\"args\":{\"level\":\"warn\"}}");
	g_assert_cmpint(log_get_level("tun"), ==, UIPSEC_LOG_WARN);

	/* time lifetimes: expire-soft, expire-hard, then the SA is removed */
	ok_void(fd, SA_OUT("12288", ",\"soft_time\":1,\"hard_time\":2"));
	const char *want[] = { "sa-added", "expire-soft", "expire-hard", "sa-deleted" };
	for (int i = 0; i < 4; i++) {
		JsonObject *ev = next_event(mon, &h);
		g_assert_cmpstr(json_object_get_string_member(ev, "event"), ==, want[i]);
		JsonObject *d = json_object_get_object_member(ev, "data");
		g_assert_cmpint(json_object_get_int_member(d, "spi"), ==, 12288);
		if (i == 1 || i == 2)
			g_assert_cmpstr(json_object_get_string_member(d, "reason"), ==, "time");
		json_node_unref(h);
	}
	sas = listing(fd, "list-sas", "sas", &h2);
	g_assert_null(find_sa(sas, 12288));
	json_node_unref(h2);

	/* deletes */
	ok_void(fd, "{\"cmd\":\"del-sa\",\"args\":{\"spi\":4096,\"direction\":\"in\",\"dst\":\"192.0.2.1\"}}");
	expect_error(fd, "{\"cmd\":\"del-sa\",\"args\":{\"spi\":4096,\"direction\":\"in\"}}", CONTROL_ERR_NOT_FOUND);
	ok_void(fd, "{\"cmd\":\"del-sa\",\"args\":{\"spi\":8192,\"direction\":\"out\"}}");
	sas = listing(fd, "list-sas", "sas", &h);
	g_assert_cmpint(json_array_get_length(sas), ==, 0);
	json_node_unref(h);

	close(mon);
	close(fd);
}

static gboolean quit_loop(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------ protocol 2 */

static gint64 int_of(JsonObject *res, const char *member) { return json_object_get_int_member(res, member); }

/* alloc-spi with args; returns the SPI (0: error code in *code) */
static gint64 alloc_spi(int fd, const char *args, const char **code)
{
	char *req = g_strdup_printf("{\"cmd\":\"alloc-spi\",\"args\":{%s}}", args);
	JsonNode *r = rpc(fd, req);
	g_free(req);
	JsonObject *o = json_node_get_object(r);
	gint64 spi = 0;
	static char last_code[32];
	if (json_object_get_boolean_member(o, "ok")) {
		spi = int_of(json_object_get_object_member(o, "result"), "spi");
	} else {
		g_strlcpy(last_code, json_object_get_string_member(json_object_get_object_member(o, "error"), "code"),
		          sizeof(last_code));
		*code = last_code;
	}
	json_node_unref(r);
	return spi;
}

static gint64 status_int(int fd, const char *member)
{
	JsonObject *res;
	JsonNode *h = ok(fd, "{\"cmd\":\"status\"}", &res);
	gint64 v = int_of(res, member);
	json_node_unref(h);
	return v;
}

static guint list_len(int fd, const char *cmd, const char *member, const char *owner)
{
	char *req = g_strdup_printf("{\"cmd\":\"%s\",\"args\":{\"owner\":\"%s\"}}", cmd, owner);
	JsonObject *res;
	JsonNode *h = ok(fd, req, &res);
	guint n = json_array_get_length(json_object_get_array_member(res, member));
	json_node_unref(h);
	g_free(req);
	return n;
}

#define CONFIG_SPI 0x100000
#define SA_OWNED(dir, spi, owner, reqid, extra) "{\"v\":2,\"cmd\":\"add-sa\",\"args\":{\"spi\":" spi ",\"direction\":\"" dir "\"," \
	"\"src\":\"192.0.2.2\",\"dst\":\"192.0.2.1\",\"esp\":\"aes128gcm16\",\"key\":\"" KEY20 "\",\"reqid\":" reqid \
	",\"owner\":\"" owner "\"" extra "}}"

static char *add_in_owned(gint64 spi, const char *owner)
{
	return g_strdup_printf("{\"cmd\":\"add-sa\",\"args\":{\"spi\":%" G_GINT64_FORMAT ",\"direction\":\"in\","
	                       "\"src\":\"192.0.2.2\",\"dst\":\"192.0.2.1\",\"esp\":\"aes128gcm16\",\"key\":\"" KEY20 "\","
	                       "\"reqid\":1,\"any\":true,\"owner\":\"%s\"}}", spi, owner);
}

static void scenario_v2(void)
{
	int fd = client_connect(), mon = client_connect();
	JsonNode *h;
	JsonObject *res;
	const char *code = NULL;

	ok_void(mon, "{\"cmd\":\"subscribe\",\"args\":{\"events\":[\"expire-hard\"]}}");
	g_assert_cmpint(status_int(fd, "protocol"), ==, 2);
	g_assert_cmpint(status_int(fd, "fwmark"), ==, 42);

	/* owners and their reqid namespaces: charon's reqid 1, the v1
	 * default owner's reqid 1 and the configured tunnel's reqid 1 (added
	 * in test_service_v2) are three different things */
	ok_void(fd, SA_OWNED("out", "12288", "charon", "1", ""));
	ok_void(fd, "{\"cmd\":\"add-sa\",\"args\":{\"spi\":12289,\"direction\":\"out\",\"src\":\"192.0.2.1\",\"dst\":\"192.0.2.2\","
	            "\"esp\":\"aes128gcm16\",\"key\":\"" KEY20 "\",\"reqid\":1}}");
	ok_void(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"10.1.0.0/24\",\"dst\":\"10.2.0.0/24\",\"dir\":\"out\",\"reqid\":1,\"owner\":\"charon\"}}");
	ok_void(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"10.1.0.0/24\",\"dst\":\"10.3.0.0/24\",\"dir\":\"out\",\"spi\":12288,\"reqid\":1,\"owner\":\"charon\"}}");
	/* charon's reqid 1 is not the configured SA's reqid 1 */
	expect_error(fd, "{\"cmd\":\"add-policy\",\"args\":{\"src\":\"10.1.0.0/24\",\"dst\":\"10.4.0.0/24\",\"dir\":\"out\",\"spi\":1048576,\"reqid\":1,\"owner\":\"charon\"}}", CONTROL_ERR_ARGUMENT);
	expect_error(fd, SA_OWNED("out", "12290", "config", "1", ""), CONTROL_ERR_PERMISSION);
	/* update-sa: only the SA's owner (the configured tunnel's SA is not charon's, nor control's) */
	expect_error(fd, "{\"cmd\":\"update-sa\",\"args\":{\"spi\":1048576,\"direction\":\"out\",\"src\":\"192.0.2.1\",\"dst\":\"192.0.2.3\","
	             "\"esp\":\"aes128gcm16\",\"key\":\"" KEY20 "\",\"reqid\":1}}", CONTROL_ERR_PERMISSION);
	expect_error(fd, "{\"cmd\":\"update-sa\",\"args\":{\"spi\":12289,\"direction\":\"out\",\"src\":\"192.0.2.1\",\"dst\":\"192.0.2.2\","
	             "\"esp\":\"aes128gcm16\",\"key\":\"" KEY20 "\",\"reqid\":1,\"owner\":\"charon\"}}", CONTROL_ERR_PERMISSION);
	ok_void(fd, "{\"cmd\":\"update-sa\",\"args\":{\"spi\":12288,\"direction\":\"out\",\"src\":\"192.0.2.2\",\"dst\":\"192.0.2.1\","
	        "\"esp\":\"aes128gcm16\",\"key\":\"" KEY20 "\",\"reqid\":1,\"owner\":\"charon\"}}");
	db_read_lock();
	g_assert_cmpuint(sad_out_by_reqid(1)->spi, ==, CONFIG_SPI);
	db_read_unlock();
	JsonArray *sas = listing(fd, "list-sas", "sas", &h);
	g_assert_cmpint(json_array_get_length(sas), ==, 3);
	JsonObject *o = find_sa(sas, 12288);
	g_assert_cmpstr(json_object_get_string_member(o, "owner"), ==, "charon");
	g_assert_cmpint(int_of(o, "reqid"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(find_sa(sas, 12289), "owner"), ==, "control");
	g_assert_cmpint(int_of(find_sa(sas, 12289), "reqid"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(find_sa(sas, CONFIG_SPI), "owner"), ==, "config");
	json_node_unref(h);
	g_assert_cmpuint(list_len(fd, "list-sas", "sas", "charon"), ==, 1);
	g_assert_cmpuint(list_len(fd, "list-sas", "sas", "config"), ==, 1);
	g_assert_cmpuint(list_len(fd, "list-sas", "sas", "nobody"), ==, 0);
	g_assert_cmpuint(list_len(fd, "list-policies", "policies", "charon"), ==, 2);
	g_assert_cmpuint(list_len(fd, "list-policies", "policies", "config"), ==, 1);
	JsonArray *pols = listing(fd, "list-policies", "policies", &h);
	for (guint i = 0; i < json_array_get_length(pols); i++)
		g_assert_cmpint(int_of(json_array_get_object_element(pols, i), "reqid"), ==, 1);
	json_node_unref(h);

	/* alloc-spi: 1000 SPIs in a range of 1000, all distinct, then exhausted */
	GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (unsigned i = 0; i < 1000; i++) {
		gint64 spi = alloc_spi(fd, "\"min\":4096,\"max\":5095,\"owner\":\"spitest\"", &code);
		g_assert_cmpint(spi, >=, 4096);
		g_assert_cmpint(spi, <=, 5095);
		g_assert_false(g_hash_table_contains(seen, GINT_TO_POINTER(spi)));
		g_hash_table_add(seen, GINT_TO_POINTER(spi));
	}
	g_hash_table_destroy(seen);
	g_assert_cmpint(alloc_spi(fd, "\"min\":4096,\"max\":5095,\"owner\":\"spitest\"", &code), ==, 0);
	g_assert_cmpstr(code, ==, CONTROL_ERR_EXHAUSTED);
	g_assert_cmpint(status_int(fd, "spis_reserved"), ==, 1000);
	h = ok(fd, "{\"cmd\":\"flush\",\"args\":{\"owner\":\"spitest\"}}", &res);
	g_assert_cmpint(int_of(res, "spis"), ==, 1000);
	g_assert_cmpint(int_of(res, "sas"), ==, 0);
	json_node_unref(h);
	g_assert_cmpint(status_int(fd, "spis_reserved"), ==, 0);
	/* SPIs in use by an SA are never handed out: 12288 is taken (outbound
	 * SAs do not count), an inbound one is */
	ok_void(fd, SA_OWNED("in", "8192", "charon", "1", ",\"any\":true"));
	g_assert_cmpint(alloc_spi(fd, "\"min\":8192,\"max\":8192,\"owner\":\"charon\"", &code), ==, 0);
	g_assert_cmpstr(code, ==, CONTROL_ERR_EXHAUSTED);

	/* a reservation is consumed by its owner's add-sa, blocks another's */
	gint64 spi = alloc_spi(fd, "\"min\":20480,\"max\":24575,\"dst\":\"192.0.2.1\",\"owner\":\"charon\"", &code);
	g_assert_cmpint(spi, >=, 20480);
	char *add_other = add_in_owned(spi, "other"), *add_charon = add_in_owned(spi, "charon");
	expect_error(fd, add_other, CONTROL_ERR_EXISTS);
	ok_void(fd, add_charon);
	g_assert_cmpint(status_int(fd, "spis_reserved"), ==, 0);
	/* query-sa: found by hash, with counters and both clocks */
	char *q = g_strdup_printf("{\"cmd\":\"query-sa\",\"args\":{\"spi\":%" G_GINT64_FORMAT ",\"direction\":\"in\",\"dst\":\"192.0.2.1\"}}", spi);
	h = ok(fd, q, &res);
	g_assert_cmpint(int_of(res, "spi"), ==, spi);
	g_assert_cmpstr(json_object_get_string_member(res, "owner"), ==, "charon");
	g_assert_cmpint(int_of(res, "reqid"), ==, 1);
	g_assert_cmpint(int_of(res, "bytes"), ==, 0);
	g_assert_cmpint(int_of(res, "packets"), ==, 0);
	g_assert_cmpint(int_of(res, "last_use"), ==, 0);
	g_assert_cmpint(int_of(res, "last_use_mono"), ==, 0);
	g_assert_cmpint(int_of(res, "now_mono"), >, 0);
	g_assert_cmpint(int_of(res, "time_left"), ==, -1);
	json_node_unref(h);
	g_free(q);
	q = g_strdup_printf("{\"cmd\":\"query-sa\",\"args\":{\"spi\":%" G_GINT64_FORMAT ",\"direction\":\"in\",\"dst\":\"192.0.2.9\"}}", spi);
	expect_error(fd, q, CONTROL_ERR_NOT_FOUND);
	g_free(q);
	expect_error(fd, "{\"cmd\":\"query-sa\",\"args\":{\"spi\":39321,\"direction\":\"out\"}}", CONTROL_ERR_NOT_FOUND);
	expect_error(fd, "{\"cmd\":\"query-sa\",\"args\":{\"spi\":12288,\"direction\":\"out\",\"dst\":\"192.0.2.9\"}}", CONTROL_ERR_NOT_FOUND);
	h = ok(fd, "{\"cmd\":\"query-sa\",\"args\":{\"spi\":12288,\"direction\":\"out\"}}", &res);
	g_assert_cmpstr(json_object_get_string_member(res, "direction"), ==, "out");
	json_node_unref(h);
	g_free(add_other);
	g_free(add_charon);

	/* del-sa releases a reservation that got no SA */
	spi = alloc_spi(fd, "\"owner\":\"charon\"", &code);
	g_assert_cmpint(spi, >=, 0xc0000000);
	g_assert_cmpint(spi, <=, 0xcfffffff);
	char *del = g_strdup_printf("{\"cmd\":\"del-sa\",\"args\":{\"spi\":%" G_GINT64_FORMAT ",\"direction\":\"in\"}}", spi);
	ok_void(fd, del);
	expect_error(fd, del, CONTROL_ERR_NOT_FOUND);
	g_free(del);

	/* reservations expire (timeout in seconds, checked every second) */
	spi = alloc_spi(fd, "\"min\":30000,\"max\":30000,\"timeout\":1", &code);
	g_assert_cmpint(spi, ==, 30000);
	g_assert_cmpint(alloc_spi(fd, "\"min\":30000,\"max\":30000", &code), ==, 0);
	g_usleep(2500 * 1000);
	g_assert_cmpint(status_int(fd, "spis_reserved"), ==, 0);
	g_assert_cmpint(alloc_spi(fd, "\"min\":30000,\"max\":30000,\"owner\":\"other\"", &code), ==, 30000);

	/* expire events name the SA's destination and owner, and the reqid in its namespace */
	ok_void(fd, SA_OWNED("out", "12291", "charon", "7", ",\"hard_time\":1"));
	JsonObject *ev = next_event(mon, &h);
	JsonObject *d = json_object_get_object_member(ev, "data");
	g_assert_cmpint(int_of(d, "spi"), ==, 12291);
	g_assert_cmpstr(json_object_get_string_member(d, "owner"), ==, "charon");
	g_assert_cmpstr(json_object_get_string_member(d, "dst"), ==, "192.0.2.1");
	g_assert_cmpint(int_of(d, "reqid"), ==, 7);
	json_node_unref(h);

	/* flush: charon's SAs, policies, SPIs; others and the configuration stay */
	alloc_spi(fd, "\"owner\":\"charon\"", &code);
	h = ok(fd, "{\"cmd\":\"flush\",\"args\":{\"owner\":\"charon\"}}", &res);
	g_assert_cmpstr(json_object_get_string_member(res, "owner"), ==, "charon");
	g_assert_cmpint(int_of(res, "sas"), ==, 3);
	g_assert_cmpint(int_of(res, "policies"), ==, 2);
	g_assert_cmpint(int_of(res, "spis"), ==, 1);
	json_node_unref(h);
	g_assert_cmpuint(list_len(fd, "list-sas", "sas", "charon"), ==, 0);
	g_assert_cmpuint(list_len(fd, "list-policies", "policies", "charon"), ==, 0);
	g_assert_cmpuint(list_len(fd, "list-sas", "sas", "config"), ==, 1);
	g_assert_cmpuint(list_len(fd, "list-policies", "policies", "config"), ==, 1);
	g_assert_cmpuint(list_len(fd, "list-sas", "sas", "control"), ==, 1);
	h = ok(fd, "{\"cmd\":\"flush\",\"args\":{\"owner\":\"nobody\"}}", &res);
	g_assert_cmpint(int_of(res, "sas"), ==, 0);
	json_node_unref(h);
	expect_error(fd, "{\"cmd\":\"flush\",\"args\":{\"owner\":\"config\"}}", CONTROL_ERR_PERMISSION);
	expect_error(fd, "{\"cmd\":\"flush\"}", CONTROL_ERR_ARGUMENT);
	ok_void(fd, "{\"cmd\":\"flush\",\"args\":{\"owner\":\"control\"}}");
	ok_void(fd, "{\"cmd\":\"flush\",\"args\":{\"owner\":\"other\"}}");
	close(mon);
	close(fd);
}

static void (*current_scenario)(void);

static gpointer scenario_thread(gpointer loop)
{
	current_scenario();
	g_idle_add(quit_loop, loop);
	return NULL;
}

/* A configured tunnel's SA and policy, as tunnel.c installs them: owner
 * "config" (0), reqid 1. */
static void add_config_state(void)
{
	uint8_t key[20] = { 1 };
	sa_cfg_t c;
	sa_cfg_init(&c);
	c.spi = CONFIG_SPI;
	c.dir = SA_DIR_OUT;
	uipsec_addr_parse("192.0.2.1", &c.src.addr);
	uipsec_addr_parse("192.0.2.3", &c.dst.addr);
	c.esp = "aes128gcm16";
	c.key = key;
	c.key_len = sizeof(key);
	c.reqid = 1;
	c.tunnel = "site";
	uipsec_err_t err = { "" };
	g_assert_cmpint(sad_add(&c, &err), ==, UIPSEC_OK);
	spd_policy_cfg_t p = { .dir = SPD_DIR_OUT, .action = SPD_PROTECT, .reqid = 1, .tunnel = "site" };
	spd_sel_any(&p.sel, AF_INET);
	g_assert_true(spd_sel_parse_addr(&p.sel, true, "10.9.0.0/24"));
	uint32_t id;
	g_assert_cmpint(spd_add(&p, &id, &err), ==, UIPSEC_OK);
}

static void run_service(void (*fn)(void), bool v2)
{
	uipsec_settings_t *s = settings_new();
	settings_set(s, "uipsecd.load", crypto_plugin);
	settings_set(s, "uipsecd.control.socket", sock_path);
	settings_set(s, "uipsecd.socket.fwmark", "42");
	crypto_init(s);
	GError *err = NULL;
	if (!plugin_loader_load(s, &err)) {
		g_test_skip(err->message);
		g_error_free(err);
		settings_free(s);
		return;
	}
	dataplane_events_attach();   /* the daemon's "events and SA lifetimes" step */
	g_assert_true(control_service_start(s, NULL, NULL, &err));
	g_assert_no_error(err);
	if (v2)
		add_config_state();
	current_scenario = fn;
	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	GThread *th = g_thread_new("client", scenario_thread, loop);
	g_main_loop_run(loop);
	g_thread_join(th);
	g_main_loop_unref(loop);
	control_service_stop();
	dataplane_events_detach();
	g_assert_false(g_file_test(sock_path, G_FILE_TEST_EXISTS));
	sad_flush();
	spd_flush();
	plugin_loader_unload();
	settings_free(s);
}

static void test_service(void) { run_service(scenario, false); }
static void test_service_v2(void) { run_service(scenario_v2, true); }

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("uipsec-ctlsvc-XXXXXX", NULL);
	sock_path = g_build_filename(tmpdir, "ctl.sock", NULL);
	crypto_plugin = g_getenv("UIPSEC_TEST_CRYPTO") ? g_getenv("UIPSEC_TEST_CRYPTO") : "crypto-openssl";
	g_test_add_func("/control/service/requests", test_service);
	g_test_add_func("/control/service/v2", test_service_v2);
	int rc = g_test_run();
	g_rmdir(tmpdir);
	g_free(sock_path);
	g_free(tmpdir);
	return rc;
}
