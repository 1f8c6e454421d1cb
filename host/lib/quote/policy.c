/* SPDX-License-Identifier: MIT */
/* A policy into verification options, and the starter policy of an image. */
#include <errno.h>
#include <jansson.h>

#include "error.h"
#include "policy.h"

#define SET_VALUES(o, p, name)                                       \
    do {                                                             \
        if ((p)->name.count) {                                       \
            (o)->name = (const uint8_t (*)[48])(p)->name.values;     \
            (o)->name##_count = (p)->name.count;                     \
        }                                                            \
    } while (0)

int tdx_policy_verify_options(const tdx_policy *p, tdx_verify_options *o, tdx_error *err)
{
    tdx_check_arg(p, err);
    tdx_check_arg(o, err);
    if (o->version < 2 || o->version > TDX_VERIFY_OPTIONS_VERSION)
        return tdx_err(err, -EINVAL, "tdx_policy_verify_options: options version %u (expected 2 to %u)",
                       o->version, TDX_VERIFY_OPTIONS_VERSION);
    if (p->expected)
        o->expected = p->expected;
    if (p->report_data_size) {
        o->report_data = p->report_data;
        o->report_data_size = p->report_data_size;
    }
    if (p->allow_tcb)
        o->accept_tcb = (const char *const *)p->allow_tcb;
    if (p->allow_advisories)
        o->accept_advisories = (const char *const *)p->allow_advisories;
    if (p->min_tcb_evaluation != TDX_UNSET)
        o->min_tcb_evaluation = p->min_tcb_evaluation;
    if (p->now != TDX_UNSET)
        o->now = p->now;
    if (p->allow_debug != TDX_UNSET)
        o->allow_debug = p->allow_debug;
    if (p->allow_sept_ve != TDX_UNSET)
        o->allow_sept_ve = p->allow_sept_ve;
    if (p->allow_migratable != TDX_UNSET)
        o->allow_migratable = p->allow_migratable;
    if (p->td_attributes.set) {
        o->td_attributes = p->td_attributes.value;
        o->td_attributes_mask = p->td_attributes.mask;
    }
    if (p->xfam.set) {
        o->xfam = p->xfam.value;
        o->xfam_mask = p->xfam.mask;
    }
    SET_VALUES(o, p, mrservicetd);
    SET_VALUES(o, p, mrconfigid);
    SET_VALUES(o, p, mrowner);
    SET_VALUES(o, p, mrownerconfig);
    SET_VALUES(o, p, mrseam);
    return 0;
}

int tdx_policy_verifier_options(const tdx_policy *p, tdx_verifier_options *o, tdx_error *err)
{
    tdx_check_arg(p, err);
    tdx_check_arg(o, err);
    tdx_check_options(o, TDX_VERIFIER_OPTIONS_VERSION, err);
    if (p->root)
        o->root_file = p->root;
    if (p->collateral)
        o->collateral = p->collateral;
    if (p->pccs)
        o->pccs_url = p->pccs;
    if (p->cache_dir)
        o->cache_dir = p->cache_dir;
    return 0;
}

int tdx_policy_no_cache(const tdx_policy *p)
{
    return p && p->no_cache > 0;
}

int tdx_policy_starter_json(const char *expected_file, char **out, tdx_error *err)
{
    static const char zero[97] = "000000000000000000000000000000000000000000000000"
                                 "000000000000000000000000000000000000000000000000";
    json_t *o;
    char *text;

    tdx_check_arg(expected_file && *expected_file, err);
    tdx_check_arg(out, err);
    o = json_pack("{s:i, s:s, s:[s], s:b, s:b, s:b, s:[], s:[s], s:[s], s:[s]}",
                  "format", 1,
                  "expected", expected_file,
                  "allow_tcb", "UpToDate",
                  "allow_debug", 0,
                  "allow_sept_ve", 0,
                  "allow_migratable", 0,
                  "mrservicetd",
                  "mrconfigid", zero,
                  "mrowner", zero,
                  "mrownerconfig", zero);
    text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!text || !(*out = malloc(strlen(text) + 2))) {
        free(text);
        return tdx_err_oom(err);
    }
    strcpy(*out, text);
    strcat(*out, "\n");
    free(text);
    return 0;
}
