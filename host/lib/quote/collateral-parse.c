/* SPDX-License-Identifier: MIT */
/*
 * TCB info (TDX, version 3) and QE identity (TD_QE, version 2) from the
 * exact JSON text Intel signed. Only that text is read, so what is evaluated
 * is what the signature covers; duplicate keys are refused for the same
 * reason. Every value is range-checked; errors name the JSON path.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

#include "collateral.h"
#include "error.h"
#include "hex.h"
#include "rfc3339.h"
#include "strv.h"

#define LEVELS_MAX 256
#define ADVISORIES_MAX 256
#define IDENTITIES_MAX 64

struct reader {
    const char *origin;
    tdx_error *err;
};

static int rerr(struct reader *r, const char *path, const char *fmt, ...) _printf_(3, 4);
static int rerr(struct reader *r, const char *path, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tdx_err(r->err, -EBADMSG, "%s: %s: %s", r->origin, path, msg);
}

static void join(char *buf, size_t size, const char *path, const char *key)
{
    snprintf(buf, size, "%.300s.%.60s", path, key);
}

static json_t *member(struct reader *r, json_t *obj, const char *key, const char *path, json_type type,
                      const char *what, int *ret)
{
    char where[400];
    json_t *v = json_object_get(obj, key);

    join(where, sizeof(where), path, key);
    if (!v) {
        *ret = rerr(r, where, "required");
        return NULL;
    }
    if (json_typeof(v) != type) {
        *ret = rerr(r, where, "expected %s", what);
        return NULL;
    }
    return v;
}

static int get_int(struct reader *r, json_t *obj, const char *key, const char *path, long long max,
                   long long *out)
{
    char where[400];
    int ret = 0;
    json_t *v = member(r, obj, key, path, JSON_INTEGER, "an integer", &ret);

    if (!v)
        return ret;
    if (json_integer_value(v) < 0 || json_integer_value(v) > max) {
        join(where, sizeof(where), path, key);
        return rerr(r, where, "%lld is out of range 0..%lld", (long long)json_integer_value(v), max);
    }
    *out = json_integer_value(v);
    return 0;
}

static int get_hex(struct reader *r, json_t *obj, const char *key, const char *path, uint8_t *out,
                   size_t size)
{
    char where[400];
    int ret = 0;
    json_t *v = member(r, obj, key, path, JSON_STRING, "a string", &ret);

    if (!v)
        return ret;
    if (json_string_length(v) != 2 * size || hex_decode(json_string_value(v), out, size) != (int)size) {
        join(where, sizeof(where), path, key);
        return rerr(r, where, "expected %zu hex digits", 2 * size);
    }
    return 0;
}

static int get_time(struct reader *r, json_t *obj, const char *key, const char *path, int64_t *out)
{
    char where[400];
    int ret = 0;
    json_t *v = member(r, obj, key, path, JSON_STRING, "a string", &ret);

    if (!v)
        return ret;
    if (rfc3339_parse(json_string_value(v), out) < 0) {
        join(where, sizeof(where), path, key);
        return rerr(r, where, "\"%.40s\" is not an RFC 3339 time", json_string_value(v));
    }
    return 0;
}

static int expect_string(struct reader *r, json_t *obj, const char *key, const char *path,
                         const char *want)
{
    char where[400];
    int ret = 0;
    json_t *v = member(r, obj, key, path, JSON_STRING, "a string", &ret);

    if (!v)
        return ret;
    if (!streq(json_string_value(v), want)) {
        join(where, sizeof(where), path, key);
        return rerr(r, where, "expected \"%s\", got \"%.40s\"", want, json_string_value(v));
    }
    return 0;
}

static const char *const status_names[] = {
    [TDX_TCB_UP_TO_DATE] = "UpToDate",
    [TDX_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [TDX_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [TDX_TCB_OUT_OF_DATE] = "OutOfDate",
    [TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [TDX_TCB_REVOKED] = "Revoked",
    [TDX_TCB_TD_RELAUNCH_ADVISED] = "TDRelaunchAdvised",
    [TDX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED] = "TDRelaunchAdvisedConfigurationNeeded",
};

const char *tdx_tcb_status_name(tdx_tcb_status status)
{
    if (status == TDX_TCB_STATUS_NONE)
        return "";
    if ((unsigned)status >= ELEMENTSOF(status_names))
        return NULL;
    return status_names[status];
}

int tcb_status_from_name(const char *name, tdx_tcb_status *out)
{
    for (size_t i = 1; i < ELEMENTSOF(status_names); i++)
        if (streq(name, status_names[i])) {
            *out = (tdx_tcb_status)i;
            return 0;
        }
    return -EINVAL;
}

/* A level's tcbStatus, advisoryIDs (optional) and tcbDate (checked only). */
static int get_level_common(struct reader *r, json_t *level, const char *path, tdx_tcb_status *status,
                            char ***advisories)
{
    char where[400];
    int64_t date;
    json_t *v, *a;
    size_t i;
    int ret = 0;

    v = member(r, level, "tcbStatus", path, JSON_STRING, "a string", &ret);
    if (!v)
        return ret;
    /* The relaunch statuses are verdicts, never a level's status. */
    if (tcb_status_from_name(json_string_value(v), status) < 0 || *status > TDX_TCB_REVOKED) {
        join(where, sizeof(where), path, "tcbStatus");
        return rerr(r, where, "unknown status \"%.60s\"", json_string_value(v));
    }
    if (json_object_get(level, "tcbDate") && (ret = get_time(r, level, "tcbDate", path, &date)) < 0)
        return ret;
    a = json_object_get(level, "advisoryIDs");
    if (!a)
        return 0;
    join(where, sizeof(where), path, "advisoryIDs");
    if (!json_is_array(a) || json_array_size(a) > ADVISORIES_MAX)
        return rerr(r, where, "expected an array of at most %d strings", ADVISORIES_MAX);
    json_array_foreach(a, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64)
            return rerr(r, where, "item %zu: expected a string of 1 to 64 characters", i);
        if (strv_push(advisories, json_string_value(v)) < 0)
            return tdx_err_oom(r->err);
    }
    return 0;
}

static json_t *get_array(struct reader *r, json_t *obj, const char *key, const char *path, size_t min,
                         size_t max, int *ret)
{
    char where[400];
    json_t *v = member(r, obj, key, path, JSON_ARRAY, "an array", ret);

    if (v && (json_array_size(v) < min || json_array_size(v) > max)) {
        join(where, sizeof(where), path, key);
        *ret = min == max ? rerr(r, where, "expected %zu entries, got %zu", min, json_array_size(v))
                          : rerr(r, where, "expected %zu to %zu entries, got %zu", min, max, json_array_size(v));
        return NULL;
    }
    return v;
}

/* sgxtcbcomponents / tdxtcbcomponents: 16 objects with "svn" 0..255. */
static int get_components(struct reader *r, json_t *tcb, const char *key, const char *path, uint8_t out[16])
{
    char where[400], item[440];
    int ret = 0;
    json_t *a = get_array(r, tcb, key, path, 16, 16, &ret), *v;
    size_t i;

    if (!a)
        return ret;
    join(where, sizeof(where), path, key);
    json_array_foreach(a, i, v) {
        long long svn;
        snprintf(item, sizeof(item), "%s[%zu]", where, i);
        if (!json_is_object(v))
            return rerr(r, item, "expected an object");
        if ((ret = get_int(r, v, "svn", item, 255, &svn)) < 0)
            return ret;
        out[i] = (uint8_t)svn;
    }
    return 0;
}

static int get_tcb_level(struct reader *r, json_t *v, const char *path, struct tcb_level *out)
{
    char where[400];
    long long pcesvn;
    int ret = 0;
    json_t *tcb;

    if (!json_is_object(v))
        return rerr(r, path, "expected an object");
    tcb = member(r, v, "tcb", path, JSON_OBJECT, "an object", &ret);
    if (!tcb)
        return ret;
    join(where, sizeof(where), path, "tcb");
    if ((ret = get_components(r, tcb, "sgxtcbcomponents", where, out->sgx)) < 0 ||
        (ret = get_int(r, tcb, "pcesvn", where, 65535, &pcesvn)) < 0 ||
        (ret = get_components(r, tcb, "tdxtcbcomponents", where, out->tdx)) < 0)
        return ret;
    out->pcesvn = (uint16_t)pcesvn;
    return get_level_common(r, v, path, &out->status, &out->advisories);
}

static int get_module(struct reader *r, json_t *m, const char *path, struct module_identity *out,
                      bool identity)
{
    char where[400], item[440];
    int ret = 0;
    json_t *levels, *v;
    size_t i;

    if (!json_is_object(m))
        return rerr(r, path, "expected an object");
    if ((ret = get_hex(r, m, "mrsigner", path, out->mrsigner, 48)) < 0 ||
        (ret = get_hex(r, m, "attributes", path, out->attributes, 8)) < 0 ||
        (ret = get_hex(r, m, "attributesMask", path, out->attributes_mask, 8)) < 0)
        return ret;
    if (!identity)
        return 0;
    v = member(r, m, "id", path, JSON_STRING, "a string", &ret);
    if (!v)
        return ret;
    if (json_string_length(v) >= sizeof(out->id)) {
        join(where, sizeof(where), path, "id");
        return rerr(r, where, "longer than %zu characters", sizeof(out->id) - 1);
    }
    snprintf(out->id, sizeof(out->id), "%s", json_string_value(v));
    levels = get_array(r, m, "tcbLevels", path, 1, LEVELS_MAX, &ret);
    if (!levels)
        return ret;
    out->levels = calloc(json_array_size(levels), sizeof(*out->levels));
    if (!out->levels)
        return tdx_err_oom(r->err);
    join(where, sizeof(where), path, "tcbLevels");
    json_array_foreach(levels, i, v) {
        struct module_level *l = &out->levels[out->n_levels++];
        char tcbp[440];
        json_t *tcb;
        long long isvsvn;
        snprintf(item, sizeof(item), "%s[%zu]", where, i);
        if (!json_is_object(v))
            return rerr(r, item, "expected an object");
        tcb = member(r, v, "tcb", item, JSON_OBJECT, "an object", &ret);
        if (!tcb)
            return ret;
        join(tcbp, sizeof(tcbp), item, "tcb");
        if ((ret = get_int(r, tcb, "isvsvn", tcbp, 255, &isvsvn)) < 0)
            return ret;
        l->isvsvn = (uint8_t)isvsvn;
        if ((ret = get_level_common(r, v, item, &l->status, &l->advisories)) < 0)
            return ret;
    }
    return 0;
}

/* Reads the signature and the signed text into d, and parses the text:
 * its "id" and "version" must be Intel's, its dates and evaluation number
 * are common to both documents. */
static int load_doc(struct reader *r, struct signed_doc *d, const char *what, const char *path, const char *raw,
                    size_t len, const char *signature_hex, const char *id, long long version, json_t **out)
{
    char where[64];
    long long v;
    json_error_t jerr;
    json_t *root;
    int ret;

    d->what = what;
    if (!signature_hex || strlen(signature_hex) != 128 || hex_decode(signature_hex, d->signature, 64) != 64)
        return rerr(r, "signature", "expected 128 hex digits (ECDSA r||s)");
    root = json_loadb(raw, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tdx_err_lib(r->err, -EBADMSG, TDX_ERROR_LIBRARY_JANSSON, json_error_code(&jerr),
                           "%s: %s: invalid JSON at line %d column %d: %s", r->origin, path, jerr.line,
                           jerr.column, jerr.text);
    *out = root;
    if (!json_is_object(root))
        return rerr(r, path, "expected an object");
    if ((ret = expect_string(r, root, "id", path, id)) < 0 || (ret = get_int(r, root, "version", path, 1000, &v)) < 0)
        return ret;
    if (v != version) {
        snprintf(where, sizeof(where), "%s.version", path);
        return rerr(r, where, "expected %lld (%s %s), got %lld", version, id, what, v);
    }
    if ((ret = get_time(r, root, "issueDate", path, &d->issue_date)) < 0 ||
        (ret = get_time(r, root, "nextUpdate", path, &d->next_update)) < 0 ||
        (ret = get_int(r, root, "tcbEvaluationDataNumber", path, INT32_MAX, &d->evaluation)) < 0)
        return ret;
    d->raw = malloc(len + 1);
    d->origin = strdup(r->origin);
    if (!d->raw || !d->origin)
        return tdx_err_oom(r->err);
    memcpy(d->raw, raw, len);
    d->raw[len] = '\0';
    d->raw_len = len;
    return 0;
}

static void free_doc(struct signed_doc *d)
{
    free(d->raw);
    free(d->origin);
}

static void free_module(struct module_identity *m)
{
    for (size_t i = 0; i < m->n_levels; i++)
        strv_free(m->levels[i].advisories);
    free(m->levels);
}

void tcb_info_free(struct tcb_info *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_levels; i++)
        strv_free(t->levels[i].advisories);
    free(t->levels);
    for (size_t i = 0; i < t->n_identities; i++)
        free_module(&t->identities[i]);
    free(t->identities);
    free_doc(&t->doc);
    free(t);
}

void qe_identity_free(struct qe_identity *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n_levels; i++)
        strv_free(q->levels[i].advisories);
    free(q->levels);
    free_doc(&q->doc);
    free(q);
}

static int parse_tcb_info(struct reader *r, json_t *root, struct tcb_info *t)
{
    const char *p = "tcbInfo";
    char where[400];
    json_t *a, *v;
    size_t i;
    int ret = 0;

    if ((ret = get_hex(r, root, "fmspc", p, t->fmspc, 6)) < 0 || (ret = get_hex(r, root, "pceId", p, t->pceid, 2)) < 0)
        return ret;
    v = member(r, root, "tdxModule", p, JSON_OBJECT, "an object", &ret);
    if (!v || (ret = get_module(r, v, "tcbInfo.tdxModule", &t->module, false)) < 0)
        return ret;
    a = json_object_get(root, "tdxModuleIdentities");
    if (a) {
        a = get_array(r, root, "tdxModuleIdentities", p, 0, IDENTITIES_MAX, &ret);
        if (!a)
            return ret;
        t->identities = calloc(json_array_size(a) + 1, sizeof(*t->identities));
        if (!t->identities)
            return tdx_err_oom(r->err);
        json_array_foreach(a, i, v) {
            snprintf(where, sizeof(where), "tcbInfo.tdxModuleIdentities[%zu]", i);
            t->n_identities++;
            if ((ret = get_module(r, v, where, &t->identities[i], true)) < 0)
                return ret;
        }
    }
    a = get_array(r, root, "tcbLevels", p, 1, LEVELS_MAX, &ret);
    if (!a)
        return ret;
    t->levels = calloc(json_array_size(a), sizeof(*t->levels));
    if (!t->levels)
        return tdx_err_oom(r->err);
    json_array_foreach(a, i, v) {
        snprintf(where, sizeof(where), "tcbInfo.tcbLevels[%zu]", i);
        t->n_levels++;
        if ((ret = get_tcb_level(r, v, where, &t->levels[i])) < 0)
            return ret;
    }
    return 0;
}

int tcb_info_parse(const char *raw, size_t raw_len, const char *signature_hex, const char *origin,
                   struct tcb_info **out, tdx_error *err)
{
    struct reader r = { origin, err };
    struct tcb_info *t = calloc(1, sizeof(*t));
    json_t *root = NULL;
    int ret;

    if (!t)
        return tdx_err_oom(err);
    ret = load_doc(&r, &t->doc, "TCB info", "tcbInfo", raw, raw_len, signature_hex, "TDX", 3, &root);
    if (ret >= 0)
        ret = parse_tcb_info(&r, root, t);
    json_decref(root);
    if (ret < 0) {
        tcb_info_free(t);
        return ret;
    }
    *out = t;
    return 0;
}

static int parse_qe_identity(struct reader *r, json_t *root, struct qe_identity *q)
{
    const char *p = "enclaveIdentity";
    char where[400];
    long long prodid;
    json_t *a, *v;
    size_t i;
    int ret = 0;

    if ((ret = get_hex(r, root, "miscselect", p, q->miscselect, 4)) < 0 ||
        (ret = get_hex(r, root, "miscselectMask", p, q->miscselect_mask, 4)) < 0 ||
        (ret = get_hex(r, root, "attributes", p, q->attributes, 16)) < 0 ||
        (ret = get_hex(r, root, "attributesMask", p, q->attributes_mask, 16)) < 0 ||
        (ret = get_hex(r, root, "mrsigner", p, q->mrsigner, 32)) < 0 ||
        (ret = get_int(r, root, "isvprodid", p, 65535, &prodid)) < 0)
        return ret;
    q->isvprodid = (uint16_t)prodid;
    a = get_array(r, root, "tcbLevels", p, 1, LEVELS_MAX, &ret);
    if (!a)
        return ret;
    q->levels = calloc(json_array_size(a), sizeof(*q->levels));
    if (!q->levels)
        return tdx_err_oom(r->err);
    json_array_foreach(a, i, v) {
        char tcbp[420];
        long long isvsvn;
        json_t *tcb;
        snprintf(where, sizeof(where), "enclaveIdentity.tcbLevels[%zu]", i);
        q->n_levels++;
        if (!json_is_object(v))
            return rerr(r, where, "expected an object");
        tcb = member(r, v, "tcb", where, JSON_OBJECT, "an object", &ret);
        if (!tcb)
            return ret;
        join(tcbp, sizeof(tcbp), where, "tcb");
        if ((ret = get_int(r, tcb, "isvsvn", tcbp, 65535, &isvsvn)) < 0 ||
            (ret = get_level_common(r, v, where, &q->levels[i].status, &q->levels[i].advisories)) < 0)
            return ret;
        q->levels[i].isvsvn = (uint16_t)isvsvn;
    }
    return 0;
}

int qe_identity_parse(const char *raw, size_t raw_len, const char *signature_hex, const char *origin,
                      struct qe_identity **out, tdx_error *err)
{
    struct reader r = { origin, err };
    struct qe_identity *q = calloc(1, sizeof(*q));
    json_t *root = NULL;
    int ret;

    if (!q)
        return tdx_err_oom(err);
    ret = load_doc(&r, &q->doc, "QE identity", "enclaveIdentity", raw, raw_len, signature_hex, "TD_QE", 2, &root);
    if (ret >= 0)
        ret = parse_qe_identity(&r, root, q);
    json_decref(root);
    if (ret < 0) {
        qe_identity_free(q);
        return ret;
    }
    *out = q;
    return 0;
}
