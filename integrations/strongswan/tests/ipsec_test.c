/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TAP test of what kernel_uipsec_ipsec.c asks uipsecd for the
 * encapsulation of an SA (issue 15), without charon's daemon and without
 * root: libcharon is initialized (no plugins), the plugin's kernel_ipsec_t
 * talks to a control socket of this test that answers every request with
 * "ok" and records the request lines. Checked:
 *  - get_features: no KERNEL_REQUIRE_UDP_ENCAPSULATION while uipsecd's
 *    status has no "raw_esp" or "raw_esp": true, required with false
 *  - add_sa: plain ESP sends "encap": false and no ports; ESP in UDP sends
 *    no "encap" (uipsecd's default) and the NAT-T ports
 *  - update_sa: encap false -> true sends "encap": true with both ports
 *    (also when the ports did not change: IKE was on 4500 already);
 *    true -> false sends "encap": false without ports; no change of the
 *    encapsulation sends no "encap"; port changes without UDP send nothing
 *
 * Build: as socket_test.c, with ../kernel_uipsec_ipsec.c ../uipsec_ctl.c
 * and json-glib. Run: ./ipsec_test [-v]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <json-glib/json-glib.h>

#include <library.h>
#include <daemon.h>
#include <threading/thread.h>
#include <threading/mutex.h>

#include "kernel_uipsec_ipsec.h"

static int t_num, t_failed;
static bool verbose;

static void check(bool ok, const char *what)
{
	t_num++;
	if (!ok)
	{
		t_failed++;
	}
	printf("%sok %d - %s\n", ok ? "" : "not ", t_num, what);
	fflush(stdout);
}

static void log_cb(logger_t *this, debug_t group, level_t level, int thread,
				   ike_sa_t *ike_sa, const char *message)
{
	if (verbose)
	{
		printf("# [%d] %s\n", level, message);
	}
}

static level_t log_level(logger_t *this, debug_t group)
{
	return group == DBG_KNL ? LEVEL_DIAG : LEVEL_SILENT;
}

static logger_t logger = {
	.log = log_cb,
	.get_level = log_level,
};

/* ------------------------------------------------------------ recording uipsecd */

#define MAX_CONN 8

static char sock_path[100];
static int listen_fd = -1;
/** the "raw_esp" member of status: -1 none, 0 false, 1 true */
static int status_raw_esp = -1;
/** the last request of each command we look at, as received */
static mutex_t *rec_lock;
static char *last_add_sa, *last_migrate_sa;
static int migrate_count;
static int stop_pipe[2];

/** answer one request line on fd, record what the test looks at */
static void serve_line(int fd, const char *line)
{
	JsonParser *parser = json_parser_new();
	JsonObject *req;
	const char *cmd;
	char reply[512], result[256] = "{}";
	int64_t id;

	if (!json_parser_load_from_data(parser, line, -1, NULL) ||
		!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
	{
		g_object_unref(parser);
		return;
	}
	req = json_node_get_object(json_parser_get_root(parser));
	cmd = json_object_get_string_member(req, "cmd");
	id = json_object_get_int_member(req, "id");
	if (streq(cmd, "status"))
	{
		snprintf(result, sizeof(result), "{\"pid\":4242,\"started\":1,"
				 "\"protocol\":2,\"port\":4500,\"tun\":\"uipsec0\"%s}",
				 status_raw_esp < 0 ? "" : status_raw_esp ?
				 ",\"raw_esp\":true" : ",\"raw_esp\":false");
	}
	rec_lock->lock(rec_lock);
	if (streq(cmd, "add-sa"))
	{
		free(last_add_sa);
		last_add_sa = strdup(line);
	}
	else if (streq(cmd, "migrate-sa"))
	{
		free(last_migrate_sa);
		last_migrate_sa = strdup(line);
		migrate_count++;
	}
	rec_lock->unlock(rec_lock);
	snprintf(reply, sizeof(reply), "{\"v\":2,\"id\":%" PRId64 ",\"ok\":true,"
			 "\"result\":%s}\n", id, result);
	if (send(fd, reply, strlen(reply), MSG_NOSIGNAL) < 0 && verbose)
	{	/* a client that went away (the plugin destroyed) */
		printf("# fake uipsecd: write: %s\n", strerror(errno));
	}
	g_object_unref(parser);
}

/** the fake uipsecd: accepts connections, answers lines, until stopped */
static void *server_main(void *arg)
{
	struct pollfd p[MAX_CONN + 2];
	static char buf[MAX_CONN][65536];
	size_t fill[MAX_CONN] = {};
	int fds[MAX_CONN], n, i;
	char *nl;
	ssize_t r;

	for (i = 0; i < MAX_CONN; i++)
	{
		fds[i] = -1;
	}
	while (TRUE)
	{
		p[0] = (struct pollfd){ .fd = stop_pipe[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		for (i = 0; i < MAX_CONN; i++)
		{
			p[i + 2] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		}
		if (poll(p, MAX_CONN + 2, -1) < 0 || p[0].revents)
		{
			break;
		}
		if (p[1].revents & POLLIN)
		{
			n = accept(listen_fd, NULL, NULL);
			for (i = 0; n >= 0 && i < MAX_CONN && fds[i] >= 0; i++)
			{
			}
			if (n >= 0 && i < MAX_CONN)
			{
				fds[i] = n;
				fill[i] = 0;
			}
			else if (n >= 0)
			{
				close(n);
			}
		}
		for (i = 0; i < MAX_CONN; i++)
		{
			if (fds[i] < 0 || !p[i + 2].revents)
			{
				continue;
			}
			r = read(fds[i], buf[i] + fill[i], sizeof(buf[i]) - 1 - fill[i]);
			if (r <= 0)
			{
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			fill[i] += r;
			buf[i][fill[i]] = '\0';
			while ((nl = strchr(buf[i], '\n')))
			{
				*nl = '\0';
				serve_line(fds[i], buf[i]);
				fill[i] -= nl + 1 - buf[i];
				memmove(buf[i], nl + 1, fill[i] + 1);
			}
		}
	}
	for (i = 0; i < MAX_CONN; i++)
	{
		if (fds[i] >= 0)
		{
			close(fds[i]);
		}
	}
	return NULL;
}

static void server_listen(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	unlink(sock_path);
	strncpy(addr.sun_path, sock_path, sizeof(addr.sun_path) - 1);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr*)&addr, sizeof(addr)) ||
		listen(listen_fd, 8) || pipe(stop_pipe))
	{
		printf("Bail out! fake uipsecd socket %s: %s\n", sock_path,
			   strerror(errno));
		exit(1);
	}
}

/* ------------------------------------------------------------ requests */

/** the args object of a recorded request line (json_object_unref), NULL if none */
static JsonObject *args_of(char **line)
{
	JsonParser *parser;
	JsonObject *args = NULL, *req;

	rec_lock->lock(rec_lock);
	if (*line)
	{
		parser = json_parser_new();
		if (json_parser_load_from_data(parser, *line, -1, NULL))
		{
			req = json_node_get_object(json_parser_get_root(parser));
			args = json_object_ref(json_object_get_object_member(req, "args"));
		}
		g_object_unref(parser);
		free(*line);
		*line = NULL;
	}
	rec_lock->unlock(rec_lock);
	return args;
}

/** member NAME of o is the boolean WANT */
static bool is_bool(JsonObject *o, const char *name, bool want)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) &&
		   json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
		   json_node_get_boolean(n) == want;
}

/** member NAME of o is the integer WANT */
static bool is_int(JsonObject *o, const char *name, int64_t want)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) &&
		   json_node_get_value_type(n) == G_TYPE_INT64 &&
		   json_node_get_int(n) == want;
}

/** o has none of the members (NULL-terminated) */
static bool lacks(JsonObject *o, ...)
{
	va_list ap;
	const char *name;
	bool ok = o != NULL;

	va_start(ap, o);
	while ((name = va_arg(ap, const char*)))
	{
		if (o && json_object_has_member(o, name))
		{
			printf("# unexpected member '%s'\n", name);
			ok = FALSE;
		}
	}
	va_end(ap);
	return ok;
}

static host_t *H(const char *addr, uint16_t port)
{
	return host_create_from_string((char*)addr, port);
}

static uint8_t keybuf[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
							  15, 16, 17, 18, 19, 20 };

/** add an outbound aes128gcm16 SA SPI src -> dst with encap */
static status_t add_out(kernel_ipsec_t *k, uint32_t spi, host_t *src,
						host_t *dst, bool encap)
{
	kernel_ipsec_sa_id_t id = {
		.src = src, .dst = dst, .spi = htonl(spi), .proto = IPPROTO_ESP,
	};
	kernel_ipsec_add_sa_t data = {
		.reqid = 1,
		.mode = MODE_TUNNEL,
		.enc_alg = ENCR_AES_GCM_ICV16,
		.enc_key = chunk_from_thing(keybuf),
		.encap = encap,
	};

	return k->add_sa(k, &id, &data);
}

/** update_sa of the SA SPI (src -> dst) to new_src -> new_dst */
static status_t update(kernel_ipsec_t *k, uint32_t spi, host_t *src,
					   host_t *dst, host_t *new_src, host_t *new_dst,
					   bool encap, bool new_encap)
{
	kernel_ipsec_sa_id_t id = {
		.src = src, .dst = dst, .spi = htonl(spi), .proto = IPPROTO_ESP,
	};
	kernel_ipsec_update_sa_t data = {
		.new_src = new_src, .new_dst = new_dst,
		.encap = encap, .new_encap = new_encap,
	};

	return k->update_sa(k, &id, &data);
}

/** features of a kernel-uipsec whose uipsecd's status says raw_esp (-1: absent) */
static kernel_feature_t features_with(int raw_esp)
{
	kernel_uipsec_ipsec_t *ipsec;
	kernel_feature_t f;

	status_raw_esp = raw_esp;
	ipsec = kernel_uipsec_ipsec_create();
	f = ipsec->interface.get_features(&ipsec->interface);
	ipsec->interface.destroy(&ipsec->interface);
	return f;
}

int main(int argc, char *argv[])
{
	char dir[] = "/tmp/kui-test.XXXXXX", conf[64];
	kernel_uipsec_ipsec_t *ipsec;
	kernel_ipsec_t *k;
	kernel_feature_t f;
	thread_t *server;
	JsonObject *a;
	host_t *a500, *b500, *a4500, *b4500, *a2_4500, *nat, *nat2, *a3;
	int before;
	FILE *f_conf;

	verbose = argc > 1 && streq(argv[1], "-v");
	if (!mkdtemp(dir))
	{
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/uipsecd.sock", dir);
	snprintf(conf, sizeof(conf), "%s/strongswan.conf", dir);
	f_conf = fopen(conf, "w");
	if (!f_conf)
	{
		printf("Bail out! %s: %s\n", conf, strerror(errno));
		return 1;
	}
	fprintf(f_conf, "charon {\n  plugins {\n    kernel-uipsec {\n"
			"      socket = unix://%s\n    }\n  }\n}\n", sock_path);
	fclose(f_conf);
	if (!library_init(conf, "charon") || !libcharon_init())
	{
		printf("Bail out! library_init/libcharon_init failed\n");
		return 1;
	}
	charon->bus->add_logger(charon->bus, &logger);
	rec_lock = mutex_create(MUTEX_TYPE_DEFAULT);
	server_listen();
	server = thread_create(server_main, NULL);

	/* 1-3: features follow uipsecd's raw ESP socket */
	f = features_with(-1);
	check(!(f & KERNEL_REQUIRE_UDP_ENCAPSULATION) && (f & KERNEL_ESP_V3_TFC),
		  "status without raw_esp: no KERNEL_REQUIRE_UDP_ENCAPSULATION, "
		  "KERNEL_ESP_V3_TFC");
	f = features_with(1);
	check(!(f & KERNEL_REQUIRE_UDP_ENCAPSULATION),
		  "status raw_esp true: no KERNEL_REQUIRE_UDP_ENCAPSULATION");
	f = features_with(0);
	check((f & KERNEL_REQUIRE_UDP_ENCAPSULATION) && (f & KERNEL_ESP_V3_TFC),
		  "status raw_esp false: KERNEL_REQUIRE_UDP_ENCAPSULATION (charon "
		  "encapsulates every CHILD_SA)");

	status_raw_esp = -1;
	ipsec = kernel_uipsec_ipsec_create();
	k = &ipsec->interface;
	a500 = H("198.51.100.1", 500);
	b500 = H("192.0.2.2", 500);
	a4500 = H("198.51.100.1", 4500);
	b4500 = H("192.0.2.2", 4500);
	a2_4500 = H("198.51.100.3", 4500);
	nat = H("192.0.2.254", 31000);
	a3 = H("198.51.100.4", 4500);
	nat2 = H("192.0.2.254", 31001);

	/* 4-5: add_sa */
	a = NULL;
	check(add_out(k, 0xc0000001, a500, b500, FALSE) == SUCCESS &&
		  (a = args_of(&last_add_sa)) && is_bool(a, "encap", FALSE) &&
		  lacks(a, "sport", "dport", NULL) && is_int(a, "spi", 0xc0000001),
		  "add_sa without encap: \"encap\": false, no sport/dport (IKE's 500 "
		  "is no ESP port)");
	if (a)
	{
		json_object_unref(a);
	}
	a = NULL;
	check(add_out(k, 0xc0000002, a4500, b4500, TRUE) == SUCCESS &&
		  (a = args_of(&last_add_sa)) && lacks(a, "encap", NULL) &&
		  is_int(a, "sport", 4500) && is_int(a, "dport", 4500),
		  "add_sa with encap: no \"encap\" (uipsecd's default: UDP), sport "
		  "and dport 4500");
	if (a)
	{
		json_object_unref(a);
	}

	/* 6: none -> UDP, IKE on 4500 already (MOBIKE), A moved behind a NAT
	 * (as B sees it: A at the NAT's address and port) */
	a = NULL;
	check(update(k, 0xc0000001, b4500, a4500, b4500, nat, FALSE, TRUE) ==
		  SUCCESS && (a = args_of(&last_migrate_sa)) &&
		  is_bool(a, "encap", TRUE) && is_int(a, "new_sport", 4500) &&
		  is_int(a, "new_dport", 31000) && json_object_has_member(a, "new_dst"),
		  "update_sa none -> UDP: migrate-sa \"encap\": true, new_sport 4500 "
		  "(unchanged, sent), new_dport 31000, new_dst");
	if (a)
	{
		json_object_unref(a);
	}
	/* 7: none -> UDP, same addresses and ports: encap alone changes */
	a = NULL;
	check(update(k, 0xc0000001, a4500, b4500, a4500, b4500, FALSE, TRUE) ==
		  SUCCESS && (a = args_of(&last_migrate_sa)) &&
		  is_bool(a, "encap", TRUE) && is_int(a, "new_sport", 4500) &&
		  is_int(a, "new_dport", 4500) && lacks(a, "new_src", "new_dst", NULL),
		  "update_sa none -> UDP, nothing else changed: \"encap\": true with "
		  "both ports, no new addresses");
	if (a)
	{
		json_object_unref(a);
	}
	/* 8: UDP -> none: no ports */
	a = NULL;
	check(update(k, 0xc0000002, a2_4500, b4500, a3, b4500, TRUE, FALSE) ==
		  SUCCESS && (a = args_of(&last_migrate_sa)) &&
		  is_bool(a, "encap", FALSE) && lacks(a, "new_sport", "new_dport", NULL) &&
		  json_object_has_member(a, "new_src"),
		  "update_sa UDP -> none: \"encap\": false, new_src, no ports");
	if (a)
	{
		json_object_unref(a);
	}
	/* 9: UDP stays, the NAT's port changes: no "encap" */
	a = NULL;
	check(update(k, 0xc0000002, a4500, nat, a4500, nat2,
				 TRUE, TRUE) == SUCCESS && (a = args_of(&last_migrate_sa)) &&
		  lacks(a, "encap", "new_sport", "new_src", "new_dst", NULL) &&
		  is_int(a, "new_dport", 31001),
		  "update_sa UDP -> UDP, a new NAT port: new_dport only, no \"encap\"");
	if (a)
	{
		json_object_unref(a);
	}
	/* 10: plain ESP stays, only IKE's ports differ: nothing to migrate */
	rec_lock->lock(rec_lock);
	before = migrate_count;
	rec_lock->unlock(rec_lock);
	check(update(k, 0xc0000001, a500, b500, a4500, b4500, FALSE, FALSE) ==
		  SUCCESS && migrate_count == before,
		  "update_sa none -> none, only IKE's ports changed: no migrate-sa");

	k->destroy(k);
	a500->destroy(a500);
	b500->destroy(b500);
	a4500->destroy(a4500);
	b4500->destroy(b4500);
	a2_4500->destroy(a2_4500);
	nat->destroy(nat);
	a3->destroy(a3);
	nat2->destroy(nat2);

	if (write(stop_pipe[1], "x", 1) != 1)
	{
		printf("# stop pipe: %s\n", strerror(errno));
	}
	server->join(server);
	close(listen_fd);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	unlink(sock_path);
	unlink(conf);
	rmdir(dir);
	free(last_add_sa);
	free(last_migrate_sa);
	rec_lock->destroy(rec_lock);
	charon->bus->remove_logger(charon->bus, &logger);
	libcharon_deinit();
	library_deinit();
	printf("1..%d\n", t_num);
	return t_failed ? 1 : 0;
}
