/* SPDX-License-Identifier: MIT */
/* The outcome of a verification: accessors and JSON. */
#include <errno.h>
#include <jansson.h>

#include "error.h"
#include "hex.h"
#include "verify-internal.h"

int tdx_verification_ok(const tdx_verification *r)
{
    return r && r->code == 0;
}

tdx_verify_step tdx_verification_failed_step(const tdx_verification *r)
{
    return r ? r->failed : TDX_VERIFY_STEP_NONE;
}

const char *tdx_verification_message(const tdx_verification *r)
{
    return r ? r->message : "";
}

tdx_tcb_status tdx_verification_tcb_status(const tdx_verification *r)
{
    return r ? r->status : TDX_TCB_STATUS_NONE;
}

const char *const *tdx_verification_advisories(const tdx_verification *r)
{
    static const char *const none[] = { NULL };
    return r && r->advisories ? (const char *const *)r->advisories : none;
}

const tdx_quote *tdx_verification_quote(const tdx_verification *r)
{
    return r ? r->quote : NULL;
}

static json_t *status_json(tdx_tcb_status s)
{
    return s == TDX_TCB_STATUS_NONE ? json_null() : json_string(tdx_tcb_status_name(s));
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char buf[2 * 16 + 1];
    hex_encode(p, n, buf);
    return json_string(buf);
}

static json_t *checks_json(const tdx_verification *r)
{
    static const char *const states[] = { "not reached", "passed", "failed", "skipped" };
    json_t *o = json_object();
    for (int s = TDX_VERIFY_STEP_PARSE; o && s < STEP_COUNT; s++)
        if (json_object_set_new(o, tdx_verify_step_name((tdx_verify_step)s), json_string(states[r->checks[s]])) < 0) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();
    for (; a && v && *v; v++)
        if (json_array_append_new(a, json_string(*v)) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *number_or_null(long long n)
{
    return n < 0 ? json_null() : json_integer(n);
}

int tdx_verification_to_json(const tdx_verification *r, char **out, tdx_error *err)
{
    char now[32];
    json_t *o;
    char *text;
    bool ok;

    tdx_check_arg(r, err);
    tdx_check_arg(out, err);
    ok = r->code == 0;
    fmt_time(r->now, now);
    o = json_pack("{s:b, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                  "verified", ok,
                  "step", ok ? json_null() : json_string(tdx_verify_step_name(r->failed)),
                  "message", ok ? json_null() : json_string(r->message),
                  "checks", checks_json(r),
                  "now", now,
                  "tcb_status", status_json(r->status),
                  "platform_tcb_status", status_json(r->platform_status),
                  "tdx_module_tcb_status", status_json(r->module_status),
                  "qe_tcb_status", status_json(r->qe_status),
                  "advisory_ids", strv_json(r->advisories),
                  "fmspc", r->have_pck ? hex_json(r->fmspc, 6) : json_null(),
                  "pce_id", r->have_pck ? hex_json(r->pceid, 2) : json_null(),
                  "ca", r->ca ? json_string(r->ca) : json_null(),
                  "tcb_evaluation_number", number_or_null(r->tcb_evaluation),
                  "qe_tcb_evaluation_number", number_or_null(r->qe_evaluation),
                  "collateral", r->collateral ? json_string(r->collateral) : json_null(),
                  "measurement_id", r->measurement_id ? json_string(r->measurement_id) : json_null(),
                  "quote", quote_json(r->quote));
    text = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return tdx_err_oom(err);
    *out = text;
    return 0;
}
