/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecctl's commands: what each sends to uipsecd and how its reply is
 * shown; the command table run_command() dispatches on. */
#include "config.h"
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "ctl/ctl.h"

typedef enum { NO_ARGS, ONE_ARG, ANY_ARGS } arity_t;

typedef struct command {
	const char *name;
	arity_t arity;    /* checked before --prometheus; ANY_ARGS: run checks */
	int (*run)(const struct command *cmd, char **argv, int argc);
	ctl_args_t args;                  /* cmd_with_args: the keywords it takes */
	void (*show)(JsonNode *result);   /* cmd_show: the text form of the result */
} command_t;

static const column_t sa_columns[] = {
	{ "SPI", "spi", fmt_hex },
	{ "DIR", "direction", NULL },
	{ "TUNNEL", "tunnel", NULL },
	{ "SRC", "src", fmt_endpoint },
	{ "DST", "dst", fmt_endpoint },
	{ "ENCAP", "encap", NULL },
	{ "ESP", "esp", NULL },
	{ "OWNER", "owner", NULL },
	{ "REQID", "reqid", NULL },
	{ "BYTES", "bytes", NULL },
	{ "PACKETS", "packets", NULL },
	{ "LAST USE", "last_use", fmt_ago },
	{ "LIFE LEFT", "time_left", fmt_left },
	{ "STATE", "state", NULL },
	{ "INBOUND CHECK", "inbound_check", fmt_inbound },
	{ NULL, NULL, NULL },
};

static const column_t policy_columns[] = {
	{ "ID", "id", NULL },
	{ "DIR", "dir", NULL },
	{ "SRC", "src", NULL },
	{ "DST", "dst", NULL },
	{ "PROTO", "proto", NULL },
	{ "SPORT", "sport", NULL },
	{ "DPORT", "dport", NULL },
	{ "ACTION", "action", NULL },
	{ "PRIORITY", "priority", NULL },
	{ "OWNER", "owner", NULL },
	{ "REQID", "reqid", NULL },
	{ "TUNNEL", "tunnel", NULL },
	{ NULL, NULL, NULL },
};

static const column_t tunnel_columns[] = {
	{ "NAME", "name", NULL },
	{ "STATE", "state", NULL },
	{ "LOCAL", "local", fmt_endpoint },
	{ "REMOTE", "remote", fmt_endpoint },
	{ "ENCAP", "encap", NULL },
	{ "REQID", "reqid", NULL },
	{ "ESP", "esp", NULL },
	{ "SPI IN", "spi_in", fmt_hex },
	{ "SPI OUT", "spi_out", fmt_hex },
	{ NULL, NULL, NULL },
};

static const column_t feature_columns[] = {
	{ "FEATURE", "feature", NULL },
	{ "PROVIDER", "plugin", NULL },
	{ "PRIORITY", "priority", NULL },
	{ "SELECTED", "selected", NULL },
	{ NULL, NULL, NULL },
};

typedef struct listing {
	const char *cmd;
	const char *member;      /* array inside the result */
	const column_t *columns;
	const char *empty;
} listing_t;

static const listing_t listings[] = {
	{ "list-sas", "sas", sa_columns, "no SAs installed" },
	{ "list-policies", "policies", policy_columns, "no policies installed" },
	{ "list-tunnels", "tunnels", tunnel_columns, "no tunnels configured" },
};

static int run_listing(const listing_t *l, JsonObject *args)
{
	JsonNode *reply = NULL, *result = NULL;
	int rc = call(l->cmd, args, &reply);
	if (!rc)
		rc = reply_status(reply, &result);
	if (!rc) {
		JsonArray *rows = result_array(result, l->member);
		if (ctl_opt.json) {
			if (rows) {
				JsonNode *n = json_node_init_array(json_node_alloc(), rows);
				print_json(n);
				json_node_unref(n);
			} else {
				print_json(result);
			}
		} else if (!rows || json_array_get_length(rows) == 0) {
			puts(l->empty);
		} else {
			print_table(rows, l->columns);
		}
	}
	if (reply)
		json_node_unref(reply);
	return rc;
}


/* The array member of one request's result; *reply keeps it alive. */
static int fetch_array(const char *cmd, const char *member, JsonNode **reply, JsonArray **rows)
{
	JsonNode *result = NULL;
	int rc = call(cmd, NULL, reply);
	if (!rc)
		rc = reply_status(*reply, &result);
	if (!rc && !(*rows = result_array(result, member)))
		rc = die_unreachable("malformed %s reply", cmd);
	return rc;
}

/* stats --prometheus: the counters, then the tunnels' and SAs' series */
static int stats_prometheus(JsonObject *stats)
{
	JsonNode *treply = NULL, *sreply = NULL;
	JsonArray *tunnels = NULL, *sas = NULL;
	int rc = fetch_array("list-tunnels", "tunnels", &treply, &tunnels);
	if (!rc)
		rc = fetch_array("list-sas", "sas", &sreply, &sas);
	if (!rc)
		print_prometheus(stats, tunnels, sas);
	if (treply)
		json_node_unref(treply);
	if (sreply)
		json_node_unref(sreply);
	return rc;
}

static int cmd_stats(const command_t *cmd, char **argv, int argc)
{
	(void)cmd;
	(void)argv;
	(void)argc;
	JsonNode *reply = NULL, *result = NULL;
	int rc = call("stats", NULL, &reply);
	if (!rc)
		rc = reply_status(reply, &result);
	if (!rc) {
		if (!JSON_NODE_HOLDS_OBJECT(result))
			rc = die_unreachable("malformed stats reply");
		else if (ctl_opt.prometheus)
			rc = stats_prometheus(json_node_get_object(result));
		else if (ctl_opt.json)
			print_json(result);
		else
			print_object(json_node_get_object(result), 0);
	}
	if (reply)
		json_node_unref(reply);
	return rc;
}

/* ------------------------------------------------------------ plain commands */

static int simple(const char *cmd, JsonObject *args, void (*show)(JsonNode *result))
{
	JsonNode *reply = NULL, *result = NULL;
	int rc = call(cmd, args, &reply);
	if (!rc)
		rc = reply_status(reply, &result);
	if (!rc) {
		if (ctl_opt.json)
			print_json(result);
		else if (show)
			show(result);
	}
	if (reply)
		json_node_unref(reply);
	return rc;
}

static void show_object(JsonNode *result)
{
	if (result && JSON_NODE_HOLDS_OBJECT(result))
		print_object(json_node_get_object(result), 0);
}

static void show_plugins(JsonNode *result)
{
	JsonArray *plugins = result_array(result, "plugins");
	if (plugins) {
		printf("loaded plugins:");
		for (guint i = 0; i < json_array_get_length(plugins); i++) {
			JsonNode *n = json_array_get_element(plugins, i);
			if (JSON_NODE_HOLDS_OBJECT(n))
				printf(" %s", json_object_get_string_member_with_default(json_node_get_object(n), "name", "?"));
			else if (json_node_get_value_type(n) == G_TYPE_STRING)
				printf(" %s", json_node_get_string(n));
		}
		printf("\n\n");
	}
	JsonArray *features = result_array(result, "features");
	if (features)
		print_table(features, feature_columns);
}

/* alloc-spi: the SPI alone, in hex, for scripts */
static void show_spi(JsonNode *result)
{
	if (result && JSON_NODE_HOLDS_OBJECT(result))
		printf("0x%08" G_GINT64_MODIFIER "x\n", json_object_get_int_member_with_default(json_node_get_object(result), "spi", 0));
}

static void show_ok(JsonNode *result)
{
	(void)result;
}

/* The keyword arguments of cmd (and --key-file for SAs) into a request
 * object; NULL after a usage message (*rc set). */
static JsonObject *keyword_args(const command_t *cmd, char **argv, int argc, int *rc);

/* add-sa, update-sa, del-sa, migrate-sa, add-policy, del-policy, alloc-spi,
 * query-sa, flush */
static int cmd_with_args(const command_t *cmd, char **argv, int argc)
{
	int rc = EXIT_OK;
	JsonObject *o = keyword_args(cmd, argv, argc, &rc);
	return o ? simple(cmd->name, o, cmd->show ? cmd->show : show_ok) : rc;
}

static JsonObject *keyword_args(const command_t *cmd, char **argv, int argc, int *rc_out)
{
	ctl_args_t which = cmd->args;
	/* "--key-file F" may stand anywhere among the SA arguments */
	const char *key_file = NULL;
	char **args = g_new0(char *, (size_t)argc + 1);
	int nargs = 0;
	for (int i = 0; i < argc; i++) {
		if (which == CTL_ARGS_SA && strcmp(argv[i], "--key-file") == 0) {
			if (i + 1 >= argc || key_file) {
				g_free(args);
				*rc_out = usage_error("--key-file needs one FILE (or - for stdin)");
				return NULL;
			}
			key_file = argv[++i];
		} else {
			args[nargs++] = argv[i];
		}
	}
	JsonObject *o = json_object_new();
	int rc = parse_args(which, args, nargs, o);
	g_free(args);
	if (!rc && key_file)
		rc = load_key_file(key_file, o);
	if (rc) {
		json_object_unref(o);
		*rc_out = rc;
		return NULL;
	}
	return o;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int cmd_monitor(const command_t *cmd, char **argv, int argc)
{
	(void)cmd;
	conn_t c = { .fd = -1 };
	JsonObject *args = json_object_new();
	if (argc) {
		JsonArray *events = json_array_new();
		for (int i = 0; i < argc; i++)
			json_array_add_string_element(events, argv[i]);
		json_object_set_array_member(args, "events", events);
	}
	int rc = conn_open(&c);
	if (rc) {
		json_object_unref(args);
		return rc;
	}
	bool sent = conn_send_request(&c, "monitor", "subscribe", args);
	if (!sent) {
		conn_close(&c);
		return die_unreachable("cannot send to uipsecd");
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	char *answer = conn_read_line(&c, ctl_opt.timeout_ms);
	JsonNode *reply = answer ? parse_json(answer) : NULL, *result = NULL;
	g_free(answer);
	rc = answer ? reply_status(reply, &result) : die_unreachable("no answer to subscribe");
	if (reply)
		json_node_unref(reply);
	if (!ctl_opt.json && !rc) {
		fprintf(stderr, "monitoring uipsecd events (Ctrl-C to stop)\n");
	}
	while (!rc && !interrupted) {
		char *ev = conn_read_line(&c, -1);
		if (!ev) {
			if (!interrupted)
				rc = die_unreachable("uipsecd closed the connection");
			break;
		}
		JsonNode *n = parse_json(ev);
		g_free(ev);
		if (n && JSON_NODE_HOLDS_OBJECT(n))
			print_event(n);
		if (n)
			json_node_unref(n);
	}
	conn_close(&c);
	return rc;
}


/* list-sas, list-policies [owner NAME]; list-tunnels */
static int cmd_listing(const command_t *cmd, char **argv, int argc)
{
	const listing_t *l = listings;
	while (strcmp(l->cmd, cmd->name))
		l++;
	int rc = EXIT_OK;
	JsonObject *o = cmd->args ? keyword_args(cmd, argv, argc, &rc) : NULL;
	return rc ? rc : run_listing(l, o);
}

/* A command without arguments whose result is shown by cmd->show. */
static int cmd_show(const command_t *cmd, char **argv, int argc)
{
	(void)argv;
	(void)argc;
	return simple(cmd->name, NULL, cmd->show);
}

/* up NAME, down NAME */
static int cmd_tunnel(const command_t *cmd, char **argv, int argc)
{
	(void)argc;
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "name", argv[0]);
	return simple(cmd->name, o, show_ok);
}

static int cmd_log_level(const command_t *cmd, char **argv, int argc)
{
	if (argc < 1 || argc > 2)
		return usage_error("log-level takes LEVEL [SUBSYSTEM]");
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "level", argv[0]);
	if (argc == 2)
		json_object_set_string_member(o, "subsystem", argv[1]);
	return simple(cmd->name, o, show_ok);
}

/* help [COMMAND]: no daemon needed */
static int cmd_help(const command_t *cmd, char **argv, int argc)
{
	(void)cmd;
	return ctl_help(argv, argc);
}

static const command_t commands[] = {
	{ "status", NO_ARGS, cmd_show, 0, show_object },
	{ "plugins", NO_ARGS, cmd_show, 0, show_plugins },
	{ "list-sas", ANY_ARGS, cmd_listing, CTL_ARGS_LIST, NULL },
	{ "list-policies", ANY_ARGS, cmd_listing, CTL_ARGS_LIST, NULL },
	{ "list-tunnels", NO_ARGS, cmd_listing, 0, NULL },
	{ "stats", NO_ARGS, cmd_stats, 0, NULL },
	{ "reload", NO_ARGS, cmd_show, 0, show_object },
	{ "up", ONE_ARG, cmd_tunnel, 0, NULL },
	{ "down", ONE_ARG, cmd_tunnel, 0, NULL },
	{ "add-sa", ANY_ARGS, cmd_with_args, CTL_ARGS_SA, NULL },
	{ "update-sa", ANY_ARGS, cmd_with_args, CTL_ARGS_SA, NULL },
	{ "del-sa", ANY_ARGS, cmd_with_args, CTL_ARGS_SA_DEL, NULL },
	{ "migrate-sa", ANY_ARGS, cmd_with_args, CTL_ARGS_SA_MIGRATE, NULL },
	{ "add-policy", ANY_ARGS, cmd_with_args, CTL_ARGS_POLICY, NULL },
	{ "del-policy", ANY_ARGS, cmd_with_args, CTL_ARGS_POLICY_DEL, NULL },
	{ "monitor", ANY_ARGS, cmd_monitor, 0, NULL },
	{ "log-level", ANY_ARGS, cmd_log_level, 0, NULL },
	/* protocol 2 */
	{ "alloc-spi", ANY_ARGS, cmd_with_args, CTL_ARGS_ALLOC_SPI, show_spi },
	{ "query-sa", ANY_ARGS, cmd_with_args, CTL_ARGS_SA_DEL, show_object },
	{ "flush", ANY_ARGS, cmd_with_args, CTL_ARGS_FLUSH, show_object },
	{ "help", ANY_ARGS, cmd_help, 0, NULL },
};

int run_command(const char *name, char **argv, int argc)
{
	const command_t *cmd = NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(commands) && !cmd; i++)
		if (strcmp(commands[i].name, name) == 0)
			cmd = &commands[i];
	if (cmd && cmd->arity == NO_ARGS && argc)
		return usage_error("%s takes no arguments", name);
	if (cmd && cmd->arity == ONE_ARG && argc != 1)
		return usage_error("%s takes one argument: the tunnel name", name);
	if (cmd && ctl_opt.owner && !(cmd->args & CTL_ARGS_OWNED))
		return usage_error("--owner goes with add-sa, update-sa, add-policy, list-sas, list-policies, alloc-spi, flush");
	if (ctl_opt.prometheus && strcmp(name, "stats"))
		return usage_error("--prometheus goes with stats");
	if (!cmd)
		return usage_error("unknown command '%s' (uipsecctl help: the list)", name);
	return cmd->run(cmd, argv, argc);
}
