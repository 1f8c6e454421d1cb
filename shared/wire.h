/* SPDX-License-Identifier: MIT */
/*
 * Messages of the agent protocol (docs/protocol.md), on top of frame.h:
 * requests {"op", "id", params...}, replies {"id", "ok": true, results...}
 * or {"id", "ok": false, "error": {"code", "message"}}.
 *
 * Compiled into the agent and the host library. The implementation uses
 * jansson; this header only forward-declares its json_t.
 */
#ifndef TDX_SHARED_WIRE_H
#define TDX_SHARED_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define WIRE_PROTOCOL 1
#define WIRE_ID_MAX 128          /* bytes of a string id */
#define WIRE_DEPTH_MAX 32        /* nesting of a request */
#define WIRE_VALUES_MAX 4096     /* values in a request */

/* Error codes. Append-only: clients match on them. */
#define WIRE_E_BAD_FRAME "bad_frame"
#define WIRE_E_TOO_LARGE "too_large"
#define WIRE_E_BAD_JSON "bad_json"
#define WIRE_E_BAD_REQUEST "bad_request"
#define WIRE_E_UNKNOWN_OP "unknown_op"
#define WIRE_E_BUSY "busy"
#define WIRE_E_TIMEOUT "timeout"
#define WIRE_E_UNAVAILABLE "unavailable"
#define WIRE_E_QUOTE_FAILED "quote_failed"
#define WIRE_E_IO "io_error"
#define WIRE_E_INTERNAL "internal"
#define WIRE_E_FORBIDDEN "forbidden"              /* the image's manifest does not allow it */
#define WIRE_E_BAD_CHALLENGE "bad_challenge"      /* unknown, used or expired challenge */
#define WIRE_E_DECRYPT_FAILED "decrypt_failed"    /* sealed secrets did not open */
#define WIRE_E_INVALID_SECRETS "invalid_secrets"  /* unknown name or a value against its schema */

/* The negative errno a client reports for a code (-EPROTO for unknown codes). */
int wire_error_errno(const char *code);

struct wire_error {
    char code[32];
    char message[320];   /* one line, printable ASCII */
};

/* Fills e; non-printable and non-ASCII bytes of the message become '?', so
 * it is always valid UTF-8 and one line. Returns -EINVAL. */
int wire_errorf(struct wire_error *e, const char *code, const char *fmt, ...) _printf_(3, 4);

struct json_t;

struct wire_request {
    struct json_t *root;   /* the request object (owned) */
    const char *op;        /* borrowed from root */
    struct json_t *id;     /* borrowed from root; NULL until read */
};

#define WIRE_REQUEST_INIT { NULL, NULL, NULL }

/*
 * Parses a request payload: bounded, valid UTF-8 JSON holding one object
 * with a string "op" and an "id" that is a string of 1 to WIRE_ID_MAX bytes
 * or a non-negative integer. Returns 0, or -EINVAL with e filled
 * (bad_json, bad_request); req->id is set whenever the id could be read, so
 * the error reply can carry it. Call wire_request_done() either way.
 */
int wire_parse_request(const void *payload, size_t len, struct wire_request *req,
                       struct wire_error *e);
void wire_request_done(struct wire_request *req);

/* Fails with bad_request naming the first member that is not "op", "id" or
 * one of allowed (NULL-terminated). */
int wire_check_params(const struct wire_request *req, const char *const *allowed,
                      struct wire_error *e);

/* Optional parameters: *present false when absent; -EINVAL (bad_request
 * naming the field) for a wrong type or bound. */
int wire_param_string(const struct wire_request *req, const char *key, size_t max_len,
                      const char **out, struct wire_error *e);
int wire_param_uint(const struct wire_request *req, const char *key, unsigned long long max,
                    bool *present, unsigned long long *out, struct wire_error *e);
/* false when absent. */
int wire_param_bool(const struct wire_request *req, const char *key, bool *out,
                    struct wire_error *e);

/* A JSON string holding data in base64, or NULL when out of memory. */
struct json_t *wire_base64(const uint8_t *data, size_t n);

/* Encodes obj (stolen) as one frame, header included: 0, -ENOMEM, or
 * -EMSGSIZE when it exceeds FRAME_MAX. */
int wire_encode(struct json_t *obj, uint8_t **frame, size_t *len);

/* Reply frames. result (stolen; NULL for none) is an object whose members
 * join "id" and "ok". id may be NULL (the request had none). */
int wire_reply_ok(struct json_t *id, struct json_t *result, uint8_t **frame, size_t *len);
int wire_reply_error(struct json_t *id, const struct wire_error *e, uint8_t **frame, size_t *len);

/* Builds a request frame; params (stolen, may be NULL) is an object whose
 * members join "op" and "id". */
int wire_request_frame(const char *op, long long id, struct json_t *params, uint8_t **frame,
                       size_t *len);

/*
 * Parses a reply: an object whose "id" is the integer expect_id and with a
 * boolean "ok". On "ok": true returns 0 and the reply object in *result (a
 * new reference). On "ok": false fills e with the agent's code and message
 * and returns wire_error_errno(code). Malformed replies return -EPROTO with
 * e saying why.
 */
int wire_parse_reply(const void *payload, size_t len, long long expect_id,
                     struct json_t **result, struct wire_error *e);

#endif
