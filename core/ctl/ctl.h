/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uipsecctl's internal API, shared by the files of core/ctl: the global
 * options, exit codes, the connection to uipsecd, output formatting and the
 * ip-xfrm style argument parser. */
#ifndef UIPSEC_CTL_H
#define UIPSEC_CTL_H

#include <stdbool.h>
#include <stdio.h>
#include <json-glib/json-glib.h>

#define DEFAULT_SOCKET "/run/uipsec/uipsecd.sock"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

typedef struct ctl_options {
	const char *socket;
	bool json;
	bool prometheus;
	int timeout_ms;
	const char *owner;    /* --owner: the owner member of requests that take one */
} ctl_options_t;

/* Set once by main() from the command line. */
extern ctl_options_t ctl_opt;

/* Runs one command (ctl_commands.c); returns the exit status. */
int run_command(const char *name, char **argv, int argc);

/* ---- usage (ctl_help.c) */

/* The whole usage: every command, the shared argument grammars. */
void ctl_usage(FILE *out);
/* "help [COMMAND]": the usage, or one command's; unknown: EXIT_USAGE. */
int ctl_help(char **argv, int argc);

/* ---- errors (ctl_conn.c): print "uipsecctl: ..." and return the exit code */

int die_unreachable(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- connection (ctl_conn.c) */

typedef struct conn {
	int fd;
	GString *in;
} conn_t;

int conn_open(conn_t *c);
void conn_close(conn_t *c);
/* Sends one request line; id NULL = the number 1. args is consumed. */
bool conn_send_request(conn_t *c, const char *id, const char *cmd, JsonObject *args);
/* Next line from the daemon (without the newline); NULL on EOF, error or
 * timeout (timeout_ms < 0 waits forever). */
char *conn_read_line(conn_t *c, int timeout_ms);
JsonNode *parse_json(const char *line);
char *to_json(JsonNode *n, bool pretty);
/* An error object in the reply means the daemon refused (EXIT_REFUSED). */
int reply_status(JsonNode *reply, JsonNode **result);
/* One request, one reply. args is consumed. */
int call(const char *cmd, JsonObject *args, JsonNode **reply_out);

/* ---- output (ctl_output.c) */

typedef char *(*cell_fn)(JsonObject *row, const char *member);

typedef struct column {
	const char *header;
	const char *member;
	cell_fn format;      /* NULL = member_text */
} column_t;

void print_json(JsonNode *n);
/* Text of a member for tables: strings as they are, numbers in decimal. */
char *member_text(JsonObject *o, const char *name);
char *fmt_hex(JsonObject *row, const char *member);
char *fmt_left(JsonObject *row, const char *member);
char *fmt_ago(JsonObject *row, const char *member);
char *fmt_endpoint(JsonObject *row, const char *member);
char *fmt_inbound(JsonObject *row, const char *member);
void print_table(JsonArray *rows, const column_t *cols);
/* Print "key: value" for every member of an object (status, reload). */
void print_object(JsonObject *o, int indent);
/* stats --prometheus: the global counters (stats), each tunnel's state
 * (list-tunnels) and each SA's counters (list-sas); tunnels/sas may be NULL. */
void print_prometheus(JsonObject *stats, JsonArray *tunnels, JsonArray *sas);
void print_event(JsonNode *ev);
/* The result itself when it is an array, else its array member. */
JsonArray *result_array(JsonNode *result, const char *member);

/* ---- ip-xfrm style arguments (ctl_args.c, ctl_key_file.c) */

typedef enum ctl_args {
	CTL_ARGS_SA = 1 << 0,           /* add-sa, update-sa */
	CTL_ARGS_SA_DEL = 1 << 1,       /* del-sa */
	CTL_ARGS_POLICY = 1 << 2,       /* add-policy */
	CTL_ARGS_POLICY_DEL = 1 << 3,   /* del-policy */
	CTL_ARGS_TMPL = 1 << 4,         /* inside add-policy's "tmpl ..." */
	CTL_ARGS_ALLOC_SPI = 1 << 5,    /* alloc-spi */
	CTL_ARGS_FLUSH = 1 << 6,        /* flush */
	CTL_ARGS_LIST = 1 << 7,         /* list-sas, list-policies */
	/* the commands with an owner (--owner NAME or "owner NAME") */
	CTL_ARGS_OWNED = CTL_ARGS_SA | CTL_ARGS_POLICY | CTL_ARGS_ALLOC_SPI | CTL_ARGS_FLUSH | CTL_ARGS_LIST,
	CTL_ARGS_SA_MIGRATE = 1 << 8,   /* migrate-sa */
} ctl_args_t;

/* Keyword/value pairs of a command into a request object. */
int parse_args(ctl_args_t which, char **argv, int argc, JsonObject *o);
/* --key-file FILE or - (stdin) into the request's key members. */
int load_key_file(const char *path, JsonObject *o);

#endif
