/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target for the control protocol's request parser: any bytes
 * as one request line must give one well-formed reply object (never a
 * crash, never a key echoed). No daemon behind it: requests that pass
 * validation answer "unavailable". */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include "control/control_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;   /* the server refuses longer lines before parsing */
	control_request_effects_t fx = { 0 };
	size_t len = 0;
	char *reply = control_proto_handle(NULL, (const char *)data, size, &fx, &len);
	if (!reply || len == 0 || reply[0] != '{' || strlen(reply) != len || memchr(reply, '\n', len))
		abort();
	JsonParser *p = json_parser_new();
	if (!json_parser_load_from_data(p, reply, (gssize)len, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
		abort();
	JsonObject *o = json_node_get_object(json_parser_get_root(p));
	if (json_object_get_int_member_with_default(o, "v", 0) != CONTROL_PROTO_VERSION ||
	    !json_object_has_member(o, "id") || !json_object_has_member(o, "ok"))
		abort();
	g_object_unref(p);
	g_free(reply);
	if (fx.sub_id)
		json_node_unref(fx.sub_id);
	return 0;
}
