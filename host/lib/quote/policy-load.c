/* SPDX-License-Identifier: MIT */
/*
 * Policy files: one JSON object whose fields are named like tdxctl's
 * verification flags with underscores (allow_debug, allow_tcb, ...), plus
 * the TD pins, read with the project's JSON reader (shared/json-reader.h):
 * its message shape, null as absent, unknown keys with a suggestion.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "hex.h"
#include "json-error.h"
#include "policy.h"
#include "read-input.h"
#include "rfc3339.h"
#include "strv.h"
#include "verify-internal.h"

#define POLICY_FILE_MAX (1024 * 1024)
#define POLICY_DEPTH_MAX 16
#define POLICY_VALUES_MAX 100000
#define VALUES_MAX 256

static const char *const fields[] = {
    "format", "expected", "report_data", "allow_tcb", "allow_advisories", "min_tcb_evaluation", "allow_debug",
    "allow_sept_ve", "allow_migratable", "td_attributes", "xfam", "mrservicetd", "mrconfigid", "mrowner",
    "mrownerconfig", "mrseam", "root", "collateral", "pccs", "cache_dir", "no_cache", "now", NULL,
};

struct preader {
    struct json_reader R;
    const char *base_dir;       /* relative paths start here; NULL: cwd */
    tdx_policy *p;
};

/* Value checks: NULL, or what was expected. */
static const char *hex16(const char *s)
{
    uint8_t b[8];
    return strlen(s) == 16 && hex_decode(s, b, 8) == 8 ? NULL : "expected 16 hex digits (8 bytes as the quote stores them)";
}

static const char *hex96(const char *s)
{
    uint8_t b[48];
    return strlen(s) == 96 && hex_decode(s, b, 48) == 48 ? NULL : "expected 96 hex digits (48 bytes)";
}

static const char *report_hex(const char *s)
{
    uint8_t b[64];
    size_t n = strlen(s);
    return n >= 2 && n <= 128 && n % 2 == 0 && hex_decode(s, b, 64) == (int)(n / 2) ? NULL
                                                                                    : "expected 2 to 128 hex digits";
}

static const char *rfc3339(const char *s)
{
    int64_t t;
    return rfc3339_parse(s, &t) == 0 ? NULL : "expected an RFC 3339 time (e.g. 2025-07-01T00:00:00Z)";
}

static const char *http_url(const char *s)
{
    return startswith(s, "https://") || startswith(s, "http://") ? NULL : "expected an http:// or https:// URL";
}

static const char *acceptable_status(const char *s)
{
    tdx_tcb_status st;
    return tcb_status_from_name(s, &st) == 0 && st != TDX_TCB_REVOKED
               ? NULL
               : "expected a TCB status that can be accepted (UpToDate, SWHardeningNeeded, ConfigurationNeeded, "
                 "ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded, TDRelaunchAdvised, "
                 "TDRelaunchAdvisedConfigurationNeeded)";
}

static const char *advisory_id(const char *s)
{
    return strlen(s) <= 64 ? NULL : "expected at most 64 characters";
}

static int read_path(struct preader *r, json_t *root, const char *key, char **out)
{
    const char *s;
    int ret = jr_string(&r->R, root, "", key, JR_NONEMPTY | JR_ONE_LINE, NULL, &s);

    if (ret <= 0)
        return ret;
    if (s[0] == '/' || !r->base_dir)
        *out = strdup(s);
    else if (asprintf(out, "%s/%s", r->base_dir, s) < 0)
        *out = NULL;
    return *out ? 0 : jr_oom(&r->R);
}

/* An array of names, copied (NULL-terminated). */
static int read_names(struct preader *r, json_t *root, const char *key, const char *(*check)(const char *),
                      char ***out)
{
    const char **list = NULL;
    int ret = jr_strv(&r->R, root, "", key, JR_NONEMPTY | JR_ONE_LINE, 0, VALUES_MAX, check, &list);

    if (ret <= 0)
        return ret;
    *out = strv_copy(list);
    free(list);
    return *out ? 0 : jr_oom(&r->R);
}

/* 8 bytes as the quote stores them: "HEX16" or {"value": HEX16, "mask": HEX16}. */
static int read_bits(struct preader *r, json_t *root, const char *key, struct policy_bits *out)
{
    static const char *const members[] = { "value", "mask", NULL };
    json_t *v = json_object_get(root, key);
    const char *value = NULL, *mask = NULL;
    int ret;

    if (json_is_object(v)) {
        if ((ret = jr_keys(&r->R, v, key, members)) < 0 ||
            (ret = jr_string(&r->R, v, key, "value", JR_REQUIRED, hex16, &value)) < 0 ||
            (ret = jr_string(&r->R, v, key, "mask", 0, hex16, &mask)) < 0)
            return ret;
    } else if ((ret = jr_string(&r->R, root, "", key, 0, hex16, &value)) <= 0) {
        return ret;
    }
    hex_decode(value, out->value, 8);
    memset(out->mask, 0xff, 8);
    if (mask)
        hex_decode(mask, out->mask, 8);
    out->set = true;
    return 0;
}

/* HEX96 or [HEX96, ...]: accepted values of a 48-byte field. */
static int read_values(struct preader *r, json_t *root, const char *key, struct policy_values *out)
{
    const char **list = NULL, *one = NULL;
    size_t n = 0;
    int ret;

    if (json_is_array(json_object_get(root, key)))
        ret = jr_strv(&r->R, root, "", key, 0, 0, VALUES_MAX, hex96, &list);
    else
        ret = jr_string(&r->R, root, "", key, 0, hex96, &one);
    if (ret <= 0)
        return ret;
    while (list && list[n])
        n++;
    out->values = calloc(one ? 1 : n + 1, 48);
    if (!out->values) {
        free(list);
        return jr_oom(&r->R);
    }
    for (size_t i = 0; i < (one ? 1 : n); i++)
        hex_decode(one ? one : list[i], out->values[i], 48);
    out->count = one ? 1 : n;
    free(list);
    return 0;
}

static int add_expected(struct preader *r, tdx_expected *e)
{
    if (!r->p->expected) {
        r->p->expected = e;
        return 0;
    }
    if (expected_merge(r->p->expected, e) < 0) {
        tdx_expected_free(e);
        return jr_oom(&r->R);
    }
    return 0;
}

/* One item of "expected": a file name, or the measurement JSON inline.
 * The expected-measurements loader reports into the same tdx_error. */
static int read_expected_item(struct preader *r, json_t *v, const char *where)
{
    _cleanup_free_ char *path = NULL, *text = NULL, *label = NULL;
    tdx_error *err = r->R.report_ctx;
    tdx_expected *e = NULL;
    int ret;

    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!*s)
            return jr_fail(&r->R, where, "expected a non-empty file name");
        if (s[0] == '/' || !r->base_dir)
            path = strdup(s);
        else if (asprintf(&path, "%s/%s", r->base_dir, s) < 0)
            path = NULL;
        if (!path)
            return jr_oom(&r->R);
        ret = tdx_expected_load_file(&e, path, err);
        if (ret < 0)
            return tdx_err_prefix(err, ret, "%s: %s", r->R.file, where);
    } else if (json_is_object(v) || json_is_array(v)) {
        text = json_dumps(v, JSON_COMPACT);
        if (!text || asprintf(&label, "%s: %s", r->R.file, where) < 0)
            return jr_oom(&r->R);
        ret = tdx_expected_load_buffer(&e, label, text, strlen(text), err);
        if (ret < 0)
            return ret;
    } else {
        return jr_fail(&r->R, where, "expected a file name, a measurement object or a measurements list, got %s",
                       jr_type_name(v));
    }
    return add_expected(r, e);
}

/* "expected": an item, or a list of items (acceptable sets, for rolling
 * upgrades). A cvm-reverse-proxy list inline is one item. */
static int read_expected(struct preader *r, json_t *root)
{
    char where[JR_PATH_MAX];
    json_t *v = json_object_get(root, "expected"), *item;
    size_t i;
    int ret;

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v) || (json_array_size(v) && json_object_get(json_array_get(v, 0), "attestation_type")))
        return read_expected_item(r, v, "expected");
    if (json_array_size(v) == 0 || json_array_size(v) > VALUES_MAX)
        return jr_fail(&r->R, "expected", "expected 1 to %d acceptable sets, got %zu", VALUES_MAX, json_array_size(v));
    json_array_foreach(v, i, item)
        if ((ret = read_expected_item(r, item, jr_path_index(where, "expected", i))) < 0)
            return ret;
    return 0;
}

static int read_fields(struct preader *r, json_t *root)
{
    tdx_policy *p = r->p;
    const char *s = NULL;
    uint64_t format;
    long long n;
    int ret;

    if ((ret = jr_keys(&r->R, root, "", fields)) < 0 ||
        (ret = jr_uint(&r->R, root, "", "format", 0, 1, 1, &format)) < 0 ||
        (ret = read_expected(r, root)) < 0 ||
        (ret = jr_bool(&r->R, root, "", "allow_debug", 0, &p->allow_debug)) < 0 ||
        (ret = jr_bool(&r->R, root, "", "allow_sept_ve", 0, &p->allow_sept_ve)) < 0 ||
        (ret = jr_bool(&r->R, root, "", "allow_migratable", 0, &p->allow_migratable)) < 0 ||
        (ret = jr_bool(&r->R, root, "", "no_cache", 0, &p->no_cache)) < 0 ||
        (ret = read_names(r, root, "allow_tcb", acceptable_status, &p->allow_tcb)) < 0 ||
        (ret = read_names(r, root, "allow_advisories", advisory_id, &p->allow_advisories)) < 0 ||
        (ret = read_path(r, root, "root", &p->root)) < 0 ||
        (ret = read_path(r, root, "collateral", &p->collateral)) < 0 ||
        (ret = read_path(r, root, "cache_dir", &p->cache_dir)) < 0 ||
        (ret = read_bits(r, root, "td_attributes", &p->td_attributes)) < 0 ||
        (ret = read_bits(r, root, "xfam", &p->xfam)) < 0 ||
        (ret = read_values(r, root, "mrservicetd", &p->mrservicetd)) < 0 ||
        (ret = read_values(r, root, "mrconfigid", &p->mrconfigid)) < 0 ||
        (ret = read_values(r, root, "mrowner", &p->mrowner)) < 0 ||
        (ret = read_values(r, root, "mrownerconfig", &p->mrownerconfig)) < 0 ||
        (ret = read_values(r, root, "mrseam", &p->mrseam)) < 0)
        return ret;
    if ((ret = jr_int(&r->R, root, "", "min_tcb_evaluation", 0, 0, INT32_MAX, &n)) < 0)
        return ret;
    if (ret > 0)
        p->min_tcb_evaluation = n;
    if ((ret = jr_string(&r->R, root, "", "report_data", 0, report_hex, &s)) < 0)
        return ret;
    if (ret > 0)
        p->report_data_size = (size_t)hex_decode(s, p->report_data, 64);
    if ((ret = jr_string(&r->R, root, "", "now", 0, rfc3339, &s)) < 0)
        return ret;
    if (ret > 0) {
        int64_t t = 0;
        rfc3339_parse(s, &t);
        p->now = t;
    }
    if ((ret = jr_string(&r->R, root, "", "pccs", JR_ONE_LINE, http_url, &s)) < 0)
        return ret;
    if (ret > 0 && !(p->pccs = strdup(s)))
        return jr_oom(&r->R);
    return 0;
}

void tdx_policy_free(tdx_policy *p)
{
    if (!p)
        return;
    tdx_expected_free(p->expected);
    strv_free(p->allow_tcb);
    strv_free(p->allow_advisories);
    free(p->mrservicetd.values);
    free(p->mrconfigid.values);
    free(p->mrowner.values);
    free(p->mrownerconfig.values);
    free(p->mrseam.values);
    free(p->root);
    free(p->collateral);
    free(p->pccs);
    free(p->cache_dir);
    free(p);
}

int tdx_policy_load_buffer(tdx_policy **out, const char *name, const char *base_dir, const char *data, size_t size,
                           tdx_error *err)
{
    struct preader r = { .base_dir = base_dir };
    json_t *root = NULL;
    int ret;

    tdx_check_arg(out, err);
    tdx_check_arg(name, err);
    tdx_check_arg(data || size == 0, err);
    if (size > POLICY_FILE_MAX)
        return tdx_err(err, -EFBIG, "%s: larger than %d bytes", name, POLICY_FILE_MAX);
    jr_init_err(&r.R, name, err);
    ret = jr_parse(&r.R, data, size, POLICY_DEPTH_MAX, POLICY_VALUES_MAX, &root);
    if (ret < 0)
        return ret;
    r.p = calloc(1, sizeof(*r.p));
    if (!r.p) {
        json_decref(root);
        return tdx_err_oom(err);
    }
    r.p->allow_debug = r.p->allow_sept_ve = r.p->allow_migratable = r.p->no_cache = TDX_UNSET;
    r.p->min_tcb_evaluation = r.p->now = TDX_UNSET;
    ret = read_fields(&r, root);
    json_decref(root);
    if (ret < 0) {
        tdx_policy_free(r.p);
        return ret;
    }
    *out = r.p;
    return 0;
}

int tdx_policy_load(tdx_policy **out, const char *path, tdx_error *err)
{
    _cleanup_free_ char *data = NULL, *dir = NULL;
    const char *slash;
    size_t size;
    int ret;

    tdx_check_arg(out, err);
    tdx_check_arg(path, err);
    ret = read_input(path, POLICY_FILE_MAX, &data, &size, err);
    if (ret < 0)
        return ret;
    slash = strrchr(path, '/');
    if (slash && !(dir = strndup(path, slash == path ? 1 : (size_t)(slash - path))))
        return tdx_err_oom(err);
    return tdx_policy_load_buffer(out, path, dir, data, size, err);
}
