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

#endif
