/* SPDX-License-Identifier: MIT */
#include "wire.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "frame.h"
#include "json-bounds.h"
#include "json-reader.h"
#include "printable.h"

static const struct {
    const char *code;
    int errnum;
} codes[] = {
    { WIRE_E_BAD_FRAME, EPROTO },   { WIRE_E_TOO_LARGE, EMSGSIZE },
    { WIRE_E_BAD_JSON, EPROTO },    { WIRE_E_BAD_REQUEST, EINVAL },
    { WIRE_E_UNKNOWN_OP, EOPNOTSUPP }, { WIRE_E_BUSY, EBUSY },
    { WIRE_E_TIMEOUT, ETIMEDOUT },  { WIRE_E_UNAVAILABLE, ENXIO },
    { WIRE_E_QUOTE_FAILED, EIO },   { WIRE_E_IO, EIO },
    { WIRE_E_INTERNAL, EIO },
    { WIRE_E_FORBIDDEN, EPERM },   { WIRE_E_BAD_CHALLENGE, ESTALE },
    { WIRE_E_DECRYPT_FAILED, EBADMSG }, { WIRE_E_INVALID_SECRETS, EINVAL },
};

int wire_error_errno(const char *code)
{
    for (size_t i = 0; i < ELEMENTSOF(codes); i++)
        if (streq(code, codes[i].code))
            return -codes[i].errnum;
    return -EPROTO;
}

int wire_errorf(struct wire_error *e, const char *code, const char *fmt, ...)
{
    va_list ap;
    snprintf(e->code, sizeof(e->code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    printable_inplace(e->message, PRINTABLE_ASCII);
    return -EINVAL;
}

static bool valid_id(const json_t *id)
{
    if (json_is_string(id))
        return json_string_length(id) >= 1 && json_string_length(id) <= WIRE_ID_MAX;
    return json_is_integer(id) && json_integer_value(id) >= 0;
}

int wire_parse_request(const void *payload, size_t len, struct wire_request *req,
                       struct wire_error *e)
{
    const char *bound;
    json_error_t jerr;
    json_t *op, *id;
    char why[256];

    *req = (struct wire_request)WIRE_REQUEST_INIT;
    bound = json_bounds_check(payload, len, WIRE_DEPTH_MAX, WIRE_VALUES_MAX);
    if (bound)
        return wire_errorf(e, WIRE_E_BAD_JSON, "%s (at most %d levels and %d values)", bound,
                           WIRE_DEPTH_MAX, WIRE_VALUES_MAX);
    req->root = json_loadb(payload, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!req->root)
        return wire_errorf(e, WIRE_E_BAD_JSON, "not valid JSON: %s at byte %d",
                           jr_syntax_text(&jerr, why, sizeof(why)), jerr.position);
    if (!json_is_object(req->root))
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "expected a JSON object, got %s",
                           jr_type_name(req->root));
    id = json_object_get(req->root, "id");
    if (!id)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "id: required");
    if (!valid_id(id))
        return wire_errorf(e, WIRE_E_BAD_REQUEST,
                           "id: expected a string of 1 to %d bytes or a non-negative integer",
                           WIRE_ID_MAX);
    req->id = id;
    op = json_object_get(req->root, "op");
    if (!op)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "op: required");
    if (!json_is_string(op))
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "op: expected a string, got %s",
                           jr_type_name(op));
    req->op = json_string_value(op);
    return 0;
}

void wire_request_done(struct wire_request *req)
{
    json_decref(req->root);
    *req = (struct wire_request)WIRE_REQUEST_INIT;
}

int wire_check_params(const struct wire_request *req, const char *const *allowed,
                      struct wire_error *e)
{
    const char *key;
    json_t *v;

    json_object_foreach(req->root, key, v) {
        bool ok = streq(key, "op") || streq(key, "id");
        for (size_t i = 0; !ok && allowed && allowed[i]; i++)
            ok = streq(key, allowed[i]);
        if (!ok)
            return wire_errorf(e, WIRE_E_BAD_REQUEST, "%s: %.64s: unknown member", req->op, key);
    }
    return 0;
}

int wire_param_string(const struct wire_request *req, const char *key, size_t max_len,
                      const char **out, struct wire_error *e)
{
    json_t *v = json_object_get(req->root, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "%s: %s: expected a string, got %s", req->op,
                           key, jr_type_name(v));
    if (json_string_length(v) > max_len)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "%s: %s: expected at most %zu bytes", req->op,
                           key, max_len);
    *out = json_string_value(v);
    return 0;
}

int wire_param_uint(const struct wire_request *req, const char *key, unsigned long long max,
                    bool *present, unsigned long long *out, struct wire_error *e)
{
    json_t *v = json_object_get(req->root, key);
    *present = false;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (unsigned long long)json_integer_value(v) > max)
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "%s: %s: expected an integer from 0 to %llu",
                           req->op, key, max);
    *present = true;
    *out = (unsigned long long)json_integer_value(v);
    return 0;
}

json_t *wire_base64(const uint8_t *data, size_t n)
{
    size_t len = base64_encoded_len(n);
    char *text = malloc(len + 1);
    json_t *v;
    if (!text)
        return NULL;
    base64_encode(data, n, text);
    v = json_stringn_nocheck(text, len);   /* base64 is ASCII */
    free(text);
    return v;
}

int wire_param_bool(const struct wire_request *req, const char *key, bool *out,
                    struct wire_error *e)
{
    json_t *v = json_object_get(req->root, key);
    *out = false;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return wire_errorf(e, WIRE_E_BAD_REQUEST, "%s: %s: expected true or false, got %s",
                           req->op, key, jr_type_name(v));
    *out = json_is_true(v);
    return 0;
}

int wire_encode(json_t *obj, uint8_t **frame, size_t *len)
{
    size_t n;
    uint8_t *buf;

    if (!obj)
        return -ENOMEM;
    n = json_dumpb(obj, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);
    if (n == 0) {
        json_decref(obj);
        return -ENOMEM;
    }
    if (n > FRAME_MAX) {
        json_decref(obj);
        return -EMSGSIZE;
    }
    buf = malloc(FRAME_HEADER_SIZE + n);
    if (!buf) {
        json_decref(obj);
        return -ENOMEM;
    }
    if (json_dumpb(obj, (char *)buf + FRAME_HEADER_SIZE, n, JSON_COMPACT | JSON_SORT_KEYS) != n) {
        free(buf);
        json_decref(obj);
        return -ENOMEM;
    }
    json_decref(obj);
    frame_header_encode(buf, (uint32_t)n);
    *frame = buf;
    *len = FRAME_HEADER_SIZE + n;
    return 0;
}

static json_t *id_or_null(json_t *id)
{
    return id ? json_incref(id) : json_null();
}

int wire_reply_ok(json_t *id, json_t *result, uint8_t **frame, size_t *len)
{
    json_t *reply = result ? result : json_object();
    if (!reply || json_object_set_new(reply, "id", id_or_null(id)) < 0 ||
        json_object_set_new(reply, "ok", json_true()) < 0) {
        json_decref(reply);
        return -ENOMEM;
    }
    return wire_encode(reply, frame, len);
}

int wire_reply_error(json_t *id, const struct wire_error *e, uint8_t **frame, size_t *len)
{
    return wire_encode(json_pack("{s:o, s:b, s:{s:s, s:s}}", "id", id_or_null(id), "ok", 0,
                                 "error", "code", e->code, "message", e->message),
                       frame, len);
}

int wire_request_frame(const char *op, long long id, json_t *params, uint8_t **frame, size_t *len)
{
    json_t *req = params ? params : json_object();
    if (!req || json_object_set_new(req, "op", json_string(op)) < 0 ||
        json_object_set_new(req, "id", json_integer(id)) < 0) {
        json_decref(req);
        return -ENOMEM;
    }
    return wire_encode(req, frame, len);
}

static int reply_errorf(struct wire_error *e, const char *fmt, ...) _printf_(2, 3);
static int reply_errorf(struct wire_error *e, const char *fmt, ...)
{
    va_list ap;
    snprintf(e->code, sizeof(e->code), "%s", "protocol");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    printable_inplace(e->message, PRINTABLE_ASCII);
    return -EPROTO;
}

int wire_parse_reply(const void *payload, size_t len, long long expect_id, json_t **result,
                     struct wire_error *e)
{
    json_error_t jerr;
    json_t *root, *id, *ok, *error, *code, *message;
    char why[256];
    int r;

    if (json_bounds_check(payload, len, WIRE_DEPTH_MAX, 1u << 20))
        return reply_errorf(e, "reply JSON nested too deeply or too large");
    root = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return reply_errorf(e, "reply is not valid JSON: %s",
                            jr_syntax_text(&jerr, why, sizeof(why)));
    id = json_object_get(root, "id");
    ok = json_object_get(root, "ok");
    if (!json_is_object(root) || !json_is_boolean(ok)) {
        json_decref(root);
        return reply_errorf(e, "reply is not an object with a boolean \"ok\"");
    }
    if (!json_is_integer(id) || json_integer_value(id) != expect_id) {
        /* An error about the frame itself may come before the agent read the id. */
        if (!(json_is_null(id) && json_is_false(ok))) {
            json_decref(root);
            return reply_errorf(e, "reply id does not match request id %lld", expect_id);
        }
    }
    if (json_is_true(ok)) {
        *result = root;
        return 0;
    }
    error = json_object_get(root, "error");
    code = json_object_get(error, "code");
    message = json_object_get(error, "message");
    if (!json_is_string(code) || !json_is_string(message)) {
        json_decref(root);
        return reply_errorf(e, "error reply without a string code and message");
    }
    snprintf(e->code, sizeof(e->code), "%s", json_string_value(code));
    snprintf(e->message, sizeof(e->message), "%s", json_string_value(message));
    printable_inplace(e->code, PRINTABLE_ASCII);
    printable_inplace(e->message, PRINTABLE_ASCII);
    r = wire_error_errno(e->code);
    json_decref(root);
    return r;
}
