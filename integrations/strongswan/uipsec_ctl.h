/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 * Copyright (C) 2026 the uipsec authors
 */

/**
 * @defgroup uipsec_ctl uipsec_ctl
 * @{ @ingroup kernel_uipsec
 *
 * Client of uipsecd's control socket (docs/control-protocol.md, version 2).
 *
 * Two connections: a command connection (one request line, then the reply
 * line with the same id, serialized by a mutex, reconnected on EOF since
 * uipsecd closes idle clients) and an event connection (`subscribe`) read by
 * its own thread, which (re)connects with a backoff of 1 s .. 30 s, so charon
 * starts and runs while uipsecd is absent. Every (re)connection of the event
 * connection re-reads `status`; a changed `pid`/`started` is a restart of
 * uipsecd, reported through the connected callback.
 */

#ifndef UIPSEC_CTL_H_
#define UIPSEC_CTL_H_

#include <library.h>
#include <json-glib/json-glib.h>

typedef struct uipsec_ctl_t uipsec_ctl_t;
typedef struct ctl_args_t ctl_args_t;

/** reply timeout of a command, in ms */
#define UIPSEC_CTL_TIMEOUT_MS 2000

/** outcome of a request */
typedef enum {
	/** the daemon answered ok */
	CTL_OK = 0,
	/** the daemon answered with an error (code in err) */
	CTL_ERROR,
	/** no answer: not connected, I/O error, timeout or garbage */
	CTL_IO,
} ctl_status_t;

/** what uipsecd's `status` said */
typedef struct {
	/** the daemon's pid, 0 = unknown (never connected) */
	int64_t pid;
	/** its start time (unix time) */
	int64_t started;
	/** protocol version */
	int64_t protocol;
	/** mark of its ESP socket's packets (0 = none) */
	uint32_t fwmark;
	/** its ESP-in-UDP port */
	uint16_t port;
	/** its TUN device name, "" if unknown */
	char tun[64];
	/** it sends and receives plain ESP (IP protocol 50): `raw_esp`, TRUE
	 *  when the member is absent */
	bool raw_esp;
} ctl_daemon_status_t;

/**
 * Event callback, called from the event thread.
 *
 * @param user		user data given to set_callbacks()
 * @param event		event name ("expire-soft", "acquire", ...)
 * @param data		the event's data object (borrowed)
 */
typedef void (*ctl_event_cb_t)(void *user, const char *event, JsonObject *data);

/**
 * Connection callback, called from the event thread each time the event
 * connection is (re)established and the status was read.
 *
 * @param user		user data given to set_callbacks()
 * @param first		TRUE the first time uipsecd is reached by this charon
 * @param restarted	TRUE if uipsecd's pid/start time changed since the last
 *					connection (it lost all SAs and policies)
 * @param st		the daemon's status
 */
typedef void (*ctl_connected_cb_t)(void *user, bool first, bool restarted,
								   ctl_daemon_status_t *st);

struct uipsec_ctl_t {

	/**
	 * Send one request on the command connection and wait for its reply.
	 *
	 * @param cmd		command name
	 * @param args		arguments (may be NULL); not consumed
	 * @param result	the reply's result object if ok (NULL to ignore;
	 *					json_object_unref() it)
	 * @param err		the error code (and message) on CTL_ERROR, may be NULL
	 * @param errlen	size of err
	 * @return			outcome
	 */
	ctl_status_t (*request)(uipsec_ctl_t *this, const char *cmd,
							ctl_args_t *args, JsonObject **result,
							char *err, size_t errlen);

	/**
	 * Register callbacks, before start().
	 */
	void (*set_callbacks)(uipsec_ctl_t *this, ctl_event_cb_t event,
						  ctl_connected_cb_t connected, void *user);

	/**
	 * Start the event thread.
	 */
	void (*start)(uipsec_ctl_t *this);

	/**
	 * The last status read (pid 0 if uipsecd was never reached).
	 */
	void (*get_status)(uipsec_ctl_t *this, ctl_daemon_status_t *st);

	/**
	 * Try to reach uipsecd once now (command connection + status), without
	 * waiting for the event thread. Used at plugin start.
	 *
	 * @return			TRUE if the status was read
	 */
	bool (*probe)(uipsec_ctl_t *this);

	/**
	 * The owner name of every object this client installs.
	 */
	const char *(*get_owner)(uipsec_ctl_t *this);

	/**
	 * Stop the event thread, close the connections, free.
	 */
	void (*destroy)(uipsec_ctl_t *this);
};

/**
 * Create a client from the settings charon.plugins.kernel-uipsec.socket and
 * .owner. Does not connect yet.
 */
uipsec_ctl_t *uipsec_ctl_create(void);

/**
 * Arguments of a request: a JSON object built in a buffer that is wiped when
 * it grows and when it is destroyed (keys go out as hex).
 */
ctl_args_t *ctl_args_create(void);
void ctl_args_str(ctl_args_t *a, const char *key, const char *value);
void ctl_args_u64(ctl_args_t *a, const char *key, uint64_t value);
void ctl_args_bool(ctl_args_t *a, const char *key, bool value);
/** key material or other bytes as a hex string */
void ctl_args_hex(ctl_args_t *a, const char *key, chunk_t value);
/** an array of strings */
void ctl_args_strv(ctl_args_t *a, const char *key, char **values, int count);
/** arguments from a complete JSON object text (as ctl_args_json() gave) */
ctl_args_t *ctl_args_from_json(const char *json);
/** the JSON text built so far (valid until the next change) */
const char *ctl_args_json(ctl_args_t *a);
void ctl_args_destroy(ctl_args_t *a);

/**
 * Helpers to read members of a result or event object; a missing member or
 * one of another type gives the default.
 */
int64_t ctl_json_int(JsonObject *o, const char *name, int64_t def);
const char *ctl_json_str(JsonObject *o, const char *name);

#endif /** UIPSEC_CTL_H_ @}*/
