/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Control protocol: one JSON request object per line in, one reply object
 * per line out (docs/control-protocol.md). This module parses and validates
 * requests, dispatches them through a table (command name -> handler) and
 * builds replies. What a request does to the daemon goes through
 * control_backend_t, so the parser runs (and is fuzzed) without a daemon.
 * Main-loop thread only. */
#ifndef UIPSEC_CORE_CONTROL_PROTO_H
#define UIPSEC_CORE_CONTROL_PROTO_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <uipsec/net.h>
#include "esp/ts.h"

#define CONTROL_PROTO_VERSION 1
/* keys of up to 64 bytes (ChaCha20 + salt is 36, HMAC-SHA512 is 64) */
#define CONTROL_KEY_MAX 64
#define CONTROL_TS_MAX 8

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
} control_policy_t;

/* What the daemon plugs in. Every function runs on the main-loop thread.
 * Functions returning JsonNode* hand over a new reference; on failure they
 * return NULL / a negative uipsec_status_t and fill err. A NULL member makes
 * its command answer "unavailable". */
typedef struct control_backend {
	JsonNode *(*status)(void *user);
	JsonNode *(*plugins)(void *user);
	JsonNode *(*list_sas)(void *user);
	JsonNode *(*list_policies)(void *user);
	JsonNode *(*list_tunnels)(void *user);
	JsonNode *(*stats)(void *user);
	int (*sa_add)(void *user, const control_sa_t *sa, uipsec_err_t *err);
	int (*sa_del)(void *user, const control_sa_t *sa, uipsec_err_t *err);
	int (*policy_add)(void *user, const control_policy_t *p, uipsec_err_t *err);
	int (*policy_del)(void *user, const control_policy_t *p, uipsec_err_t *err);
	int (*tunnel_up)(void *user, const char *name, uipsec_err_t *err);
	int (*tunnel_down)(void *user, const char *name, uipsec_err_t *err);
	/* returns a report object (added/removed/changed/unchanged...) or NULL
	 * with err set; a config error must leave the running state as it was */
	JsonNode *(*reload)(void *user, int *status, uipsec_err_t *err);
	int (*log_level)(void *user, const char *subsystem, const char *level, uipsec_err_t *err);
	void *user;
} control_backend_t;

/* Event names a client can subscribe to (bit i = control_event_names[i]). */
UIPSEC_EXPORT extern const char *const control_event_names[];
#define CONTROL_EVENT_ALL 0xffffffffu
/* bit of an event name (or of its old alias: sa-added, sa-deleted), 0 if unknown */
UIPSEC_EXPORT uint32_t control_event_bit(const char *name);
/* The name a subscriber sees for event `name`: its old alias when the
 * subscriber asked for it by that alias (alias_mask), else `name`. */
UIPSEC_EXPORT const char *control_event_wire_name(const char *name, uint32_t alias_mask);

/* What a request asks of the connection beyond its reply. */
typedef struct control_request_effects {
	bool subscribe;
	uint32_t event_mask;
	uint32_t alias_mask;          /* events asked for by their old names */
	JsonNode *sub_id;             /* the subscribe request's id, echoed in events (owned) */
} control_request_effects_t;

/* Handle one request line (without the newline). Always returns a reply
 * object serialised on one line, with no trailing newline (free with
 * g_free). Never echoes key material. */
UIPSEC_EXPORT char *control_proto_handle(const control_backend_t *be, const char *line, size_t len,
                           control_request_effects_t *fx, size_t *reply_len);

/* An error reply line for a request that never got parsed (too large,
 * too many clients, permission denied). */
UIPSEC_EXPORT char *control_proto_error_line(const char *code, const char *message, size_t *reply_len);

/* Serialise one event for a subscriber: {"v":1,"id":...,"event":NAME,"time":..,"data":{..}} */
UIPSEC_EXPORT char *control_proto_event_line(JsonNode *sub_id, const char *event, JsonNode *data, size_t *len);

/* Helpers for backends and uipsecctl: the names of the enums, and parsers. */
UIPSEC_EXPORT const char *control_dir_name(control_dir_t d);
UIPSEC_EXPORT const char *control_action_name(control_action_t a);
/* = uipsec_addr_parse() (<uipsec/net.h>), the one address parser */
UIPSEC_EXPORT bool control_parse_addr(const char *s, uipsec_addr_t *out);

/* Wipe the key material of a parsed SA. */
UIPSEC_EXPORT void control_sa_wipe(control_sa_t *sa);

#endif
