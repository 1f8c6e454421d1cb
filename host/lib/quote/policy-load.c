/* SPDX-License-Identifier: MIT */
/*
 * Policy files: one JSON object whose fields are named like tdxctl's
 * verification flags with underscores (allow_debug, allow_tcb, ...), plus
 * the TD pins. A table maps each field to a typed reader; the readers are
 * the only code that knows jansson, so the file can move onto a shared
 * member reader without changing its fields or messages.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "hex.h"
#include "policy.h"
#include "read-input.h"
#include "rfc3339.h"
#include "strv.h"
#include "verify-internal.h"

#define POLICY_FILE_MAX (1024 * 1024)
#define VALUES_MAX 256

struct preader {
    const char *name;           /* labels messages */
    const char *base_dir;       /* relative paths start here; NULL: cwd */
    tdx_policy *p;
    tdx_error *err;
};

static int bad(struct preader *r, const char *field, const char *what)
{
    return tdx_err(r->err, -EINVAL, "%s: %s: %s", r->name, field, what);
}

static int read_bool(struct preader *r, json_t *v, const char *key, int *out)
{
    if (!json_is_boolean(v))
        return bad(r, key, "expected true or false");
    *out = json_is_true(v);
    return 0;
}

static int read_path(struct preader *r, json_t *v, const char *key, char **out)
{
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) >= PATH_MAX)
        return bad(r, key, "expected a non-empty path");
    if (s[0] == '/' || !r->base_dir)
        *out = strdup(s);
    else if (asprintf(out, "%s/%s", r->base_dir, s) < 0)
        *out = NULL;
    return *out ? 0 : tdx_err_oom(r->err);
}

/* A list of strings, or NULL-terminated: each 1 to 64 characters. */
static int read_names(struct preader *r, json_t *v, const char *key, char ***out)
{
    char where[96];
    json_t *item;
    size_t i;

    if (!json_is_array(v) || json_array_size(v) > VALUES_MAX)
        return bad(r, key, "expected an array of at most 256 strings");
    json_array_foreach(v, i, item) {
        snprintf(where, sizeof(where), "%s[%zu]", key, i);
        if (!json_is_string(item) || json_string_length(item) == 0 || json_string_length(item) > 64)
            return bad(r, where, "expected a string of 1 to 64 characters");
        if (strv_push(out, json_string_value(item)) < 0)
            return tdx_err_oom(r->err);
    }
    if (!*out && !(*out = calloc(1, sizeof(char *))))
        return tdx_err_oom(r->err);
    return 0;
}

/* 8 bytes as the quote stores them: "HEX16" or {"value": HEX16, "mask": HEX16}. */
static int read_bits(struct preader *r, json_t *v, const char *key, struct policy_bits *out)
{
    json_t *value = v, *mask = NULL;
    char where[96];

    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m)
            if (!streq(k, "value") && !streq(k, "mask")) {
                snprintf(where, sizeof(where), "%s.%.40s", key, k);
                return bad(r, where, "unknown field (expected \"value\" and \"mask\")");
            }
        value = json_object_get(v, "value");
        mask = json_object_get(v, "mask");
        snprintf(where, sizeof(where), "%s.value", key);
    } else {
        snprintf(where, sizeof(where), "%s", key);
    }
    if (!json_is_string(value) || json_string_length(value) != 16 || hex_decode(json_string_value(value), out->value, 8) != 8)
        return bad(r, where, "expected 16 hex digits (8 bytes as the quote stores them)");
    out->set = true;
    memset(out->mask, 0xff, 8);
    if (mask) {
        snprintf(where, sizeof(where), "%s.mask", key);
        if (!json_is_string(mask) || json_string_length(mask) != 16 || hex_decode(json_string_value(mask), out->mask, 8) != 8)
            return bad(r, where, "expected 16 hex digits (8 bytes as the quote stores them)");
    }
    return 0;
}

/* HEX96 or [HEX96, ...]: accepted values of a 48-byte field. */
static int read_values(struct preader *r, json_t *v, const char *key, struct policy_values *out)
{
    char where[96];
    json_t *item;
    size_t n = json_is_array(v) ? json_array_size(v) : 1;

    if (n > VALUES_MAX)
        return bad(r, key, "more than 256 values");
    out->values = calloc(n ? n : 1, 48);
    if (!out->values)
        return tdx_err_oom(r->err);
    for (size_t i = 0; i < n; i++) {
        item = json_is_array(v) ? json_array_get(v, i) : v;
        if (json_is_array(v))
            snprintf(where, sizeof(where), "%s[%zu]", key, i);
        else
            snprintf(where, sizeof(where), "%s", key);
        if (!json_is_string(item) || json_string_length(item) != 96 ||
            hex_decode(json_string_value(item), out->values[i], 48) != 48)
            return bad(r, where, "expected 96 hex digits (48 bytes)");
    }
    out->count = n;
    return 0;
}

static int add_expected(struct preader *r, tdx_expected *e)
{
    int ret;
    if (!r->p->expected) {
        r->p->expected = e;
        return 0;
    }
    ret = expected_merge(r->p->expected, e);
    if (ret < 0) {
        tdx_expected_free(e);
        return tdx_err_oom(r->err);
    }
    return 0;
}

/* One item of "expected": a file name, or the measurement JSON inline. */
static int read_expected_item(struct preader *r, json_t *v, const char *where)
{
    _cleanup_free_ char *path = NULL, *text = NULL, *label = NULL;
    tdx_expected *e = NULL;
    int ret;

    if (json_is_string(v)) {
        if ((ret = read_path(r, v, where, &path)) < 0)
            return ret;
        ret = tdx_expected_load_file(&e, path, r->err);
        if (ret < 0)
            return tdx_err_prefix(r->err, ret, "%s: %s", r->name, where);
    } else if (json_is_object(v) || json_is_array(v)) {
        text = json_dumps(v, JSON_COMPACT);
        if (!text || asprintf(&label, "%s: %s", r->name, where) < 0)
            return tdx_err_oom(r->err);
        ret = tdx_expected_load_buffer(&e, label, text, strlen(text), r->err);
        if (ret < 0)
            return ret;
    } else {
        return bad(r, where, "expected a file name, a measurement object or a measurements list");
    }
    return add_expected(r, e);
}

/* "expected": an item, or a list of items (acceptable sets, for rolling
 * upgrades). A cvm-reverse-proxy list inline is one item. */
static int read_expected(struct preader *r, json_t *v, const char *key)
{
    char where[64];
    json_t *item;
    size_t i;
    int ret;

    if (!json_is_array(v) || (json_array_size(v) && json_object_get(json_array_get(v, 0), "attestation_type")))
        return read_expected_item(r, v, key);
    if (json_array_size(v) == 0 || json_array_size(v) > VALUES_MAX)
        return bad(r, key, "expected 1 to 256 acceptable sets");
    json_array_foreach(v, i, item) {
        snprintf(where, sizeof(where), "%s[%zu]", key, i);
        if ((ret = read_expected_item(r, item, where)) < 0)
            return ret;
    }
    return 0;
}

static int read_field(struct preader *r, const char *key, json_t *v)
{
    tdx_policy *p = r->p;
    int ret;

#define BOOL(name) if (streq(key, #name)) return read_bool(r, v, key, &p->name)
#define PATH(name) if (streq(key, #name)) return read_path(r, v, key, &p->name)
#define BITS(name) if (streq(key, #name)) return read_bits(r, v, key, &p->name)
#define VALUES(name) if (streq(key, #name)) return read_values(r, v, key, &p->name)
    BOOL(allow_debug);
    BOOL(allow_sept_ve);
    BOOL(allow_migratable);
    BOOL(no_cache);
    PATH(root);
    PATH(collateral);
    PATH(cache_dir);
    BITS(td_attributes);
    BITS(xfam);
    VALUES(mrservicetd);
    VALUES(mrconfigid);
    VALUES(mrowner);
    VALUES(mrownerconfig);
    VALUES(mrseam);
#undef BOOL
#undef PATH
#undef BITS
#undef VALUES
    if (streq(key, "format"))
        return json_integer_value(v) == 1 && json_is_integer(v) ? 0 : bad(r, key, "expected 1");
    if (streq(key, "expected"))
        return read_expected(r, v, key);
    if (streq(key, "allow_tcb")) {
        if ((ret = read_names(r, v, key, &p->allow_tcb)) < 0)
            return ret;
        for (char **s = p->allow_tcb; *s; s++) {
            tdx_tcb_status st;
            if (tcb_status_from_name(*s, &st) < 0 || st == TDX_TCB_REVOKED)
                return tdx_err(r->err, -EINVAL, "%s: allow_tcb: \"%s\" is not a TCB status that can be accepted",
                               r->name, *s);
        }
        return 0;
    }
    if (streq(key, "allow_advisories"))
        return read_names(r, v, key, &p->allow_advisories);
    if (streq(key, "min_tcb_evaluation")) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
            return bad(r, key, "expected a number 0..2147483647");
        p->min_tcb_evaluation = json_integer_value(v);
        return 0;
    }
    if (streq(key, "report_data")) {
        size_t len = json_string_length(v);
        if (!json_is_string(v) || len < 2 || len > 128 || len % 2 ||
            hex_decode(json_string_value(v), p->report_data, 64) != (int)(len / 2))
            return bad(r, key, "expected 2 to 128 hex digits");
        p->report_data_size = len / 2;
        return 0;
    }
    if (streq(key, "now")) {
        int64_t t;
        if (!json_is_string(v) || rfc3339_parse(json_string_value(v), &t) < 0)
            return bad(r, key, "expected an RFC 3339 time (e.g. 2025-07-01T00:00:00Z)");
        p->now = t;
        return 0;
    }
    if (streq(key, "pccs")) {
        const char *s = json_string_value(v);
        if (!s || (!startswith(s, "https://") && !startswith(s, "http://")))
            return bad(r, key, "expected an http:// or https:// URL");
        return (p->pccs = strdup(s)) ? 0 : tdx_err_oom(r->err);
    }
    return 1;   /* not a field */
}

static const char *const field_names[] = {
    "format", "expected", "report_data", "allow_tcb", "allow_advisories", "min_tcb_evaluation", "allow_debug",
    "allow_sept_ve", "allow_migratable", "td_attributes", "xfam", "mrservicetd", "mrconfigid", "mrowner",
    "mrownerconfig", "mrseam", "root", "collateral", "pccs", "cache_dir", "no_cache", "now",
};

/* Edit distance, capped: small enough for a misspelt field name. The same
 * as recipe/json-load.c's; both give way to jr_key_distance() when the
 * shared JSON reader (shared/json-reader.h) lands on main. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 63 || lb >= 63)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

static int unknown_field(struct preader *r, const char *key)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < ELEMENTSOF(field_names); i++) {
        size_t d = distance(key, field_names[i]);
        if (d < best_d) {
            best_d = d;
            best = field_names[i];
        }
    }
    if (best)
        return tdx_err(r->err, -EINVAL, "%s: \"%.64s\": unknown field; did you mean \"%s\"?", r->name, key, best);
    return tdx_err(r->err, -EINVAL, "%s: \"%.64s\": unknown field (docs/verification.md lists the fields)", r->name,
                   key);
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
    struct preader r = { name, base_dir, NULL, err };
    json_error_t jerr;
    const char *key;
    json_t *root, *v;
    int ret = 0;

    tdx_check_arg(out, err);
    tdx_check_arg(name, err);
    tdx_check_arg(data || size == 0, err);
    if (size > POLICY_FILE_MAX)
        return tdx_err(err, -EFBIG, "%s: larger than %d bytes", name, POLICY_FILE_MAX);
    root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tdx_err_lib(err, -EINVAL, TDX_ERROR_LIBRARY_JANSSON, json_error_code(&jerr),
                           "%s: invalid JSON at line %d column %d: %s", name, jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return tdx_err(err, -EINVAL, "%s: expected a JSON object (a policy)", name);
    }
    r.p = calloc(1, sizeof(*r.p));
    if (!r.p) {
        json_decref(root);
        return tdx_err_oom(err);
    }
    r.p->allow_debug = r.p->allow_sept_ve = r.p->allow_migratable = r.p->no_cache = TDX_UNSET;
    r.p->min_tcb_evaluation = r.p->now = TDX_UNSET;
    json_object_foreach(root, key, v) {
        ret = read_field(&r, key, v);
        if (ret > 0)
            ret = unknown_field(&r, key);
        if (ret < 0)
            break;
    }
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
