/* SPDX-License-Identifier: MIT */
/*
 * The protocol's operations (docs/protocol.md). Each builds the result
 * members of a reply or fails with a wire error. Operations that may block
 * (file or device I/O) run on worker threads; the others on the event loop.
 * Later operations (secrets.*) are rows added to the table in ops.c.
 */
#ifndef TDX_AGENT_OPS_H
#define TDX_AGENT_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct agent;
struct json_t;

struct op_def {
    const char *name;
    bool blocking;       /* run on a worker thread */
    int (*run)(struct agent *a, const struct wire_request *req, struct json_t **result,
               struct wire_error *e);
};

const struct op_def *ops_find(const char *name);

/* Runs op and encodes its reply frame, an error reply when it fails.
 * Returns 0, or -ENOMEM when not even an error reply could be built. */
int ops_reply(struct agent *a, const struct op_def *op, const struct wire_request *req,
              uint8_t **frame, size_t *len);

#endif
