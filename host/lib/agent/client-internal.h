/* SPDX-License-Identifier: MIT */
/* The agent client's request path, for the library's other protocol users
 * (secret delivery) that work with parsed JSON rather than text. */
#ifndef TDXHOST_LIB_AGENT_CLIENT_INTERNAL_H
#define TDXHOST_LIB_AGENT_CLIENT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tdxhost/agent.h"

struct json_t;

/* Sends {op, id, params...} (params stolen, may be NULL) and returns the
 * reply object (new reference). Errors as tdx_agent_call(). */
int agent_call_json(tdx_agent *agent, const char *op, struct json_t *params,
                    struct json_t **reply, tdx_error *err);

/* Decodes the base64 string member key of reply (at most max bytes) into a
 * heap buffer; -EPROTO naming the member when it is missing or malformed. */
int agent_reply_base64(tdx_agent *agent, struct json_t *reply, const char *op, const char *key,
                       size_t max, uint8_t **out, size_t *len, tdx_error *err);
/* The same, naming the agent by its address. */
int agent_reply_base64_from(const char *address, struct json_t *reply, const char *op, const char *key,
                            size_t max, uint8_t **out, size_t *len, tdx_error *err);

/* The "bootvars" reply into tdx_agent_boot_variables()'s result (every
 * check it documents). */
int agent_boot_variables_parse(const char *address, struct json_t *reply, tdx_boot_variable **vars,
                               size_t *n, tdx_error *err);

/* The expected shape of a reply, one member per entry: paths "a", "a.b"
 * and "a[].b" (b in every element of array a); members below a null
 * parent (REPLY_OBJECT_OR_NULL) are not looked for. */
enum agent_reply_type {
    REPLY_STRING,
    REPLY_BOOL,
    REPLY_COUNT,            /* an integer >= 0 */
    REPLY_OBJECT,
    REPLY_OBJECT_OR_NULL,
    REPLY_ARRAY,
    REPLY_STRING_ARRAY,
};

struct agent_reply_field {
    const char *path;
    enum agent_reply_type type;
};

/* -EPROTO naming the address, op and member ("secrets[2].name: expected a
 * string, got an integer") unless reply has every field. */
int agent_reply_check(const char *address, const struct json_t *reply, const char *op,
                      const struct agent_reply_field *fields, size_t n, tdx_error *err);

/* What docs/protocol.md promises for the replies to "info" and
 * "secrets.status" (and what tdxctl prints of them). */
extern const struct agent_reply_field agent_info_shape[];
extern const size_t agent_info_shape_len;
extern const struct agent_reply_field agent_status_shape[];
extern const size_t agent_status_shape_len;

/* agent_call_json() without params, agent_reply_check(), then the reply as
 * JSON text (sorted keys) in *text; free with tdx_free(). */
int agent_call_text(tdx_agent *agent, const char *op, const struct agent_reply_field *fields,
                    size_t n, char **text, tdx_error *err);

#endif
