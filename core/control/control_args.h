/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control protocol request arguments: the error codes, the requests'
 * types (SA, policy, selector) and enum names, the reply a request builds
 * (control_reply_t), and typed access to the members of its "args" object
 * with the checks each implies (internal API of control_proto.c).
 * Every control_arg_*() returns true when the member is valid, or absent
 * and not required (out is then left alone), false after filling the
 * reply's error with a message that names the member. Main-loop thread
 * only. */
#ifndef UIPSEC_CORE_CONTROL_ARGS_H
#define UIPSEC_CORE_CONTROL_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <uipsec/net.h>
#include "esp/ts.h"

/* keys of up to 64 bytes (ChaCha20 + salt is 36, HMAC-SHA512 is 64) */
#define CONTROL_KEY_MAX 64
#define CONTROL_TS_MAX 8
/* owner names: 1-32 of A-Z a-z 0-9 . _ - (control_owner.h) */
#define CONTROL_OWNER_MAX 32
#define CONTROL_OWNER_RESERVED "config"

/* Error codes on the wire ("error": {"code": ..., "message": ...}). */
#define CONTROL_ERR_PARSE        "parse-error"        /* not JSON */
#define CONTROL_ERR_INVALID      "invalid-request"    /* JSON, but not a request object */
#define CONTROL_ERR_VERSION      "unsupported-version"
#define CONTROL_ERR_TOO_LARGE    "too-large"
#define CONTROL_ERR_UNKNOWN      "unknown-command"
#define CONTROL_ERR_ARGUMENT     "invalid-argument"
#define CONTROL_ERR_NOT_FOUND    "not-found"
#define CONTROL_ERR_EXISTS       "exists"
#define CONTROL_ERR_NOT_SUPPORTED "not-supported"
#define CONTROL_ERR_FAILED       "failed"
#define CONTROL_ERR_PERMISSION   "permission-denied"
#define CONTROL_ERR_BUSY         "too-many-clients"
#define CONTROL_ERR_UNAVAILABLE  "unavailable"        /* no backend for this command */
#define CONTROL_ERR_CONFIG       "config-error"       /* reload: config rejected, state kept */
#define CONTROL_ERR_EXHAUSTED    "exhausted"          /* alloc-spi: no free SPI, or a table is full */

typedef enum control_dir {
	CONTROL_DIR_IN = 0,
	CONTROL_DIR_OUT,
	CONTROL_DIR_FWD,
} control_dir_t;

typedef enum control_action {
	CONTROL_ACTION_PROTECT = 0,   /* send through the SA */
	CONTROL_ACTION_BYPASS,        /* pass in clear */
	CONTROL_ACTION_DROP,
	CONTROL_ACTION_TRAP,          /* drop and raise an acquire event */
} control_action_t;

/* A traffic selector: prefix plus optional protocol and port range. */
typedef struct control_ts {
	uipsec_prefix_t prefix;
	uint8_t proto;                /* 0 = any */
	uint16_t port_from, port_to;  /* 0-65535 = any */
} control_ts_t;

/* add-sa / update-sa / del-sa */
typedef struct control_sa {
	uint32_t spi;
	control_dir_t dir;
	bool has_src, has_dst;
	uipsec_addr_t src, dst;       /* outer addresses */
	uint16_t sport, dport;        /* UDP encapsulation ports, 0 = socket.port */
	bool encap;                   /* "encap": ESP in UDP (true, the default) or raw ESP */
	char esp[32];                 /* proposal keyword */
	uint8_t key[CONTROL_KEY_MAX];
	size_t key_len;
	uint8_t integ_key[CONTROL_KEY_MAX];
	size_t integ_key_len;
	bool esn;
	uint32_t replay_window;
	uint64_t soft_time, hard_time;        /* seconds, 0 = none */
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	char tunnel[64];              /* free label shown in listings */
	uint32_t reqid;
	bool update;                  /* update-sa: replace an existing SA */
	/* Inbound check (ts.h syntax). Neither given: what the dir in
	 * policies with this reqid allow; any: no check of its own. */
	ts_t local_ts[CONTROL_TS_MAX], remote_ts[CONTROL_TS_MAX];
	unsigned n_local_ts, n_remote_ts;
	bool any;
	char owner[CONTROL_OWNER_MAX + 1];   /* "" = the default owner */
} control_sa_t;

/* add-policy / del-policy */
typedef struct control_policy {
	control_ts_t src, dst;
	control_dir_t dir;
	control_action_t action;
	uint32_t priority;
	bool has_spi;
	uint32_t spi;                 /* protect: take the reqid of this outbound SA */
	uint32_t reqid;               /* protect/trap: links the policy to its SAs */
	uint32_t id;                  /* del-policy by id (0 = by selectors) */
	char owner[CONTROL_OWNER_MAX + 1];   /* "" = the default owner */
	/* v2 (control_args_v2.c): route like a tunnel, peer for the exception route */
	bool route, has_peer;
	uipsec_addr_t peer;
} control_policy_t;

/* alloc-spi */
typedef struct control_spi_req {
	uint32_t min, max;            /* range, inclusive */
	bool has_dst;
	uipsec_addr_t dst;            /* our address the SA will have */
	uint32_t timeout;             /* seconds until the reservation lapses */
	char owner[CONTROL_OWNER_MAX + 1];
} control_spi_req_t;

/* Helpers for backends and uipsecctl: the names of the enums, and parsers. */
UIPSEC_EXPORT const char *control_dir_name(control_dir_t d);
UIPSEC_EXPORT const char *control_action_name(control_action_t a);

/* Wipe the key material of a parsed SA. */
UIPSEC_EXPORT void control_sa_wipe(control_sa_t *sa);

/* The answer to one request: an error code and message, or a result. */
typedef struct control_reply {
	const char *code;      /* NULL = success */
	char message[320];
	JsonNode *result;      /* success payload, may be NULL */
} control_reply_t;

/* Set r's error (code, printf-style message); returns false. */
__attribute__((format(printf, 3, 4)))
bool control_fail(control_reply_t *r, const char *code, const char *fmt, ...);

/* A number up to max: a JSON integer or a string ("0x1000", "4096"). */
bool control_arg_uint(JsonObject *args, const char *name, uint64_t max, bool required,
                      uint64_t *out, control_reply_t *r);
bool control_arg_u32(JsonObject *args, const char *name, bool required, uint32_t *out, control_reply_t *r);
bool control_arg_u16(JsonObject *args, const char *name, uint16_t *out, control_reply_t *r);
bool control_arg_u64(JsonObject *args, const char *name, uint64_t *out, control_reply_t *r);
/* A string of at most max bytes; *out NULL when absent and not required. */
bool control_arg_str(JsonObject *args, const char *name, size_t max, bool required,
                     const char **out, control_reply_t *r);
bool control_arg_bool(JsonObject *args, const char *name, bool *out, control_reply_t *r);
/* "spi" (required): 256 and above, RFC 4303 reserves 0-255. */
bool control_arg_spi(JsonObject *args, uint32_t *out, control_reply_t *r);
/* "in", "out", "fwd" (required) / "protect", "bypass", "drop", "trap". */
bool control_arg_dir(JsonObject *args, const char *name, int *out, control_reply_t *r);
bool control_arg_action(JsonObject *args, const char *name, int *out, control_reply_t *r);
/* "proto": a name of util/ip.h's table or a number up to 255. */
bool control_arg_proto(JsonObject *args, uint8_t *out, control_reply_t *r);
/* An IPv4 or IPv6 address; *has set when given. */
bool control_arg_addr(JsonObject *args, const char *name, bool required, bool *has,
                      uipsec_addr_t *out, control_reply_t *r);
/* A policy side: prefix name (host bits zero) and port port_name. */
bool control_arg_ts(JsonObject *args, const char *name, const char *port_name,
                    control_ts_t *ts, control_reply_t *r);
/* local_ts / remote_ts / any of add-sa and update-sa (esp/ts.h syntax). */
bool control_arg_sa_ts(JsonObject *a, control_sa_t *sa, control_reply_t *r);
/* A hex key of at most CONTROL_KEY_MAX bytes; never quoted in messages. */
/* "owner" into out ("" when absent); the reserved name only when
 * may_reserved (filters: listing the configured tunnels' state). */
bool control_arg_owner(JsonObject *args, bool may_reserved, char out[CONTROL_OWNER_MAX + 1], control_reply_t *r);
bool control_arg_key(JsonObject *args, const char *name, bool required, uint8_t *out,
                     size_t *out_len, control_reply_t *r);

#endif
