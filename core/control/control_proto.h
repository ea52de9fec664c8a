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
#include "control/control_args.h"
#include "control/control_args_v2.h"

/* The line format ("v" of requests, replies and events) is version 1;
 * the request set is version 2 (owners, alloc-spi, query-sa, flush),
 * which status reports as "protocol". Requests may say "v": 1 or 2. */
#define CONTROL_PROTO_VERSION 1
#define CONTROL_PROTO_LEVEL 2

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
	/* protocol 2: list-sas / list-policies of one owner */
	JsonNode *(*list_owned)(void *user, bool policies, const char *owner);
	int (*alloc_spi)(void *user, const control_spi_req_t *q, uint32_t *spi, uipsec_err_t *err);
	/* the SA (spi, dir, dst if has_dst) as list-sas shows it, plus last use */
	JsonNode *(*query_sa)(void *user, const control_sa_t *sa, int *status, uipsec_err_t *err);
	/* remove what owner installed; returns the counts */
	JsonNode *(*flush)(void *user, const char *owner, int *status, uipsec_err_t *err);
	/* v2: move an SA, keeping its keys, sequence numbers and replay state */
	int (*sa_migrate)(void *user, const control_migrate_t *m, uipsec_err_t *err);
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

#endif
