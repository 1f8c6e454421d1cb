/* SPDX-License-Identifier: MIT */
/*
 * The shape of an agent's reply, checked before anyone reads it: a reply is
 * outside input (the agent may be old, broken or not an agent at all), and a
 * member that is missing or of the wrong type used to reach the terminal as
 * "(null)" or a zero while the command still exited 0.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "client-internal.h"
#include "error.h"
#include "json-reader.h"

static bool type_ok(const json_t *v, enum agent_reply_type t)
{
    size_t i;
    json_t *e;

    switch (t) {
    case REPLY_STRING: return json_is_string(v);
    case REPLY_BOOL: return json_is_boolean(v);
    case REPLY_COUNT: return json_is_integer(v) && json_integer_value(v) >= 0;
    case REPLY_OBJECT: return json_is_object(v);
    case REPLY_OBJECT_OR_NULL: return json_is_object(v) || json_is_null(v);
    case REPLY_ARRAY: return json_is_array(v);
    case REPLY_STRING_ARRAY:
        if (!json_is_array(v))
            return false;
        json_array_foreach(v, i, e)
            if (!json_is_string(e))
                return false;
        return true;
    }
    return false;
}

static const char *type_name(enum agent_reply_type t)
{
    switch (t) {
    case REPLY_STRING: return "a string";
    case REPLY_BOOL: return "a boolean";
    case REPLY_COUNT: return "a non-negative integer";
    case REPLY_OBJECT: return "an object";
    case REPLY_OBJECT_OR_NULL: return "an object or null";
    case REPLY_ARRAY: return "an array";
    case REPLY_STRING_ARRAY: return "an array of strings";
    }
    return "a value";
}

struct walk {
    const char *address;
    const char *op;
    enum agent_reply_type type;
    tdx_error *err;
};

/* Checks the member that path names below v; where[0, used) spells the path
 * walked so far, for the message. */
static int walk(const struct walk *w, const json_t *v, const char *path, char *where,
                size_t used, size_t size)
{
    size_t n = strcspn(path, ".[");
    bool each = path[n] == '[';
    const char *rest = path + n + (each ? 3 : path[n] == '.' ? 1 : 0);
    json_t *m;
    int k;

    if (!json_is_object(v))
        return 0;   /* a null parent (REPLY_OBJECT_OR_NULL): nothing below it */
    k = snprintf(where + used, size - used, "%s%.*s", used ? "." : "", (int)n, path);
    used = k < 0 || (size_t)k >= size - used ? size - 1 : used + (size_t)k;
    m = json_object_getn(v, path, n);
    if (each) {
        size_t i;
        json_t *e;
        if (!json_is_array(m))
            return tdx_err(w->err, -EPROTO, "%s: %s: reply: %s: expected an array, got %s",
                           w->address, w->op, where,
                           m ? jr_type_name(m) : "nothing");
        json_array_foreach(m, i, e) {
            int r;
            /* A path too long for the message is cut there; the check is not. */
            k = snprintf(where + used, size - used, "[%zu]", i);
            k = k < 0 || (size_t)k >= size - used ? (int)(size - 1 - used) : k;
            if (!json_is_object(e))
                return tdx_err(w->err, -EPROTO, "%s: %s: reply: %s: expected an object, got %s",
                               w->address, w->op, where, jr_type_name(e));
            r = walk(w, e, rest, where, used + (size_t)k, size);
            if (r < 0)
                return r;
        }
        return 0;
    }
    if (*rest)
        return m ? walk(w, m, rest, where, used, size)
                 : tdx_err(w->err, -EPROTO, "%s: %s: reply: %s: missing",
                           w->address, w->op, where);
    if (!type_ok(m, w->type))
        return tdx_err(w->err, -EPROTO, "%s: %s: reply: %s: expected %s, got %s",
                       w->address, w->op, where, type_name(w->type),
                       m ? jr_type_name(m) : "nothing");
    return 0;
}

const struct agent_reply_field agent_info_shape[] = {
    { "agent", REPLY_STRING }, { "version", REPLY_STRING }, { "protocol", REPLY_COUNT },
    { "quote_provider", REPLY_STRING }, { "simulated", REPLY_BOOL },
    { "tdx", REPLY_OBJECT }, { "tdx.cpuid", REPLY_BOOL }, { "tdx.configfs_tsm", REPLY_BOOL },
    { "tdx.ccel", REPLY_BOOL }, { "listeners", REPLY_STRING_ARRAY },
    { "uptime_seconds", REPLY_COUNT }, { "manifest", REPLY_OBJECT_OR_NULL },
    { "manifest.path", REPLY_STRING }, { "manifest.secrets", REPLY_COUNT },
    { "manifest.required", REPLY_COUNT },
};
const size_t agent_info_shape_len = sizeof(agent_info_shape) / sizeof(agent_info_shape[0]);

const struct agent_reply_field agent_status_shape[] = {
    { "secrets", REPLY_ARRAY }, { "secrets[].name", REPLY_STRING },
    { "secrets[].required", REPLY_BOOL }, { "secrets[].present", REPLY_BOOL },
    { "ready", REPLY_BOOL }, { "missing", REPLY_STRING_ARRAY },
};
const size_t agent_status_shape_len = sizeof(agent_status_shape) / sizeof(agent_status_shape[0]);

int agent_reply_check(const char *address, const json_t *reply, const char *op,
                      const struct agent_reply_field *fields, size_t n, tdx_error *err)
{
    char where[160];

    for (size_t i = 0; i < n; i++) {
        struct walk w = { address, op, fields[i].type, err };
        int r;
        where[0] = '\0';
        r = walk(&w, reply, fields[i].path, where, 0, sizeof(where));
        if (r < 0)
            return r;
    }
    return 0;
}

int agent_call_text(tdx_agent *agent, const char *op, const struct agent_reply_field *fields,
                    size_t n, char **text, tdx_error *err)
{
    json_t *reply = NULL;
    int r;

    r = agent_call_json(agent, op, NULL, &reply, err);
    if (r >= 0)
        r = agent_reply_check(tdx_agent_address(agent), reply, op, fields, n, err);
    if (r >= 0 && !(*text = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS)))
        r = tdx_err_oom(err);
    json_decref(reply);
    return r;
}
