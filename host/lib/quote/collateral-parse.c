/* SPDX-License-Identifier: MIT */
/*
 * TCB info (TDX, version 3) and QE identity (TD_QE, version 2) from the
 * exact JSON text Intel signed. Only that text is read, so what is evaluated
 * is what the signature covers; duplicate keys are refused for the same
 * reason. Every value is range-checked; errors name the JSON path.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "collateral.h"
#include "error.h"
#include "hex.h"
#include "json-error.h"
#include "rfc3339.h"
#include "strv.h"

#define LEVELS_MAX 256
#define ADVISORIES_MAX 256
#define IDENTITIES_MAX 64

/* The signed texts are a few thousand values; more is not Intel's. */
#define DOC_DEPTH_MAX 16
#define DOC_VALUES_MAX (256 * 1024)

/* A member of exactly size bytes written as 2 * size hex digits. */
static int get_hex(struct json_reader *R, json_t *obj, const char *path, const char *key,
                   uint8_t *out, size_t size)
{
    char where[JR_PATH_MAX];
    const char *s = NULL;
    int r = jr_string(R, obj, path, key, JR_REQUIRED, NULL, &s);

    if (r < 0)
        return r;
    if (strlen(s) != 2 * size || hex_decode(s, out, size) != (int)size)
        return jr_fail(R, jr_path_key(where, path, key), "expected %zu hex digits", 2 * size);
    return 0;
}

/* An RFC 3339 time; 0 when absent and not required. */
static int get_time(struct json_reader *R, json_t *obj, const char *path, const char *key,
                    unsigned flags, int64_t *out)
{
    char where[JR_PATH_MAX];
    const char *s = NULL;
    int r = jr_string(R, obj, path, key, flags, NULL, &s);

    if (r <= 0)
        return r;
    if (rfc3339_parse(s, out) < 0)
        return jr_fail(R, jr_path_key(where, path, key), "\"%.40s\" is not an RFC 3339 time", s);
    return 0;
}

static int expect_string(struct json_reader *R, json_t *obj, const char *path, const char *key,
                         const char *want)
{
    char where[JR_PATH_MAX];
    const char *s = NULL;
    int r = jr_string(R, obj, path, key, JR_REQUIRED, NULL, &s);

    if (r < 0)
        return r;
    if (!streq(s, want))
        return jr_fail(R, jr_path_key(where, path, key), "expected \"%s\", got \"%.40s\"", want, s);
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

static const char *check_advisory(const char *s)
{
    return strlen(s) > 64 ? "expected at most 64 characters" : NULL;
}

/* A level's tcbStatus, advisoryIDs (optional) and tcbDate (checked only). */
static int get_level_common(struct json_reader *R, json_t *level, const char *path,
                            tdx_tcb_status *status, char ***advisories)
{
    _cleanup_free_ const char **ids = NULL;
    char where[JR_PATH_MAX];
    const char *name = NULL;
    int64_t date;
    int r;

    if ((r = jr_string(R, level, path, "tcbStatus", JR_REQUIRED, NULL, &name)) < 0)
        return r;
    /* The relaunch statuses are verdicts, never a level's status. */
    if (tcb_status_from_name(name, status) < 0 || *status > TDX_TCB_REVOKED)
        return jr_fail(R, jr_path_key(where, path, "tcbStatus"), "unknown status \"%.60s\"", name);
    if ((r = get_time(R, level, path, "tcbDate", 0, &date)) < 0 ||
        (r = jr_strv(R, level, path, "advisoryIDs", JR_NONEMPTY, 0, ADVISORIES_MAX,
                     check_advisory, &ids)) < 0)
        return r;
    for (size_t i = 0; ids && ids[i]; i++)
        if (strv_push(advisories, ids[i]) < 0)
            return jr_oom(R);
    return 0;
}

/* sgxtcbcomponents / tdxtcbcomponents: 16 objects with "svn" 0..255. */
static int get_components(struct json_reader *R, json_t *tcb, const char *path, const char *key,
                          uint8_t out[16])
{
    char where[JR_PATH_MAX], item[JR_PATH_MAX];
    json_t *a = NULL, *v;
    long long svn;
    size_t i;
    int r;

    if ((r = jr_array(R, tcb, path, key, JR_REQUIRED, 16, 16, &a)) < 0)
        return r;
    jr_path_key(where, path, key);
    json_array_foreach(a, i, v) {
        jr_path_index(item, where, i);
        if ((r = jr_object(R, v, item, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
            (r = jr_int(R, v, item, "svn", JR_REQUIRED, 0, 255, &svn)) < 0)
            return r;
        out[i] = (uint8_t)svn;
    }
    return 0;
}

static int get_tcb_level(struct json_reader *R, json_t *v, const char *path, struct tcb_level *out)
{
    char where[JR_PATH_MAX];
    json_t *tcb = NULL;
    long long pcesvn;
    int r;

    jr_path_key(where, path, "tcb");
    if ((r = jr_object(R, v, path, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = jr_object(R, v, path, "tcb", JR_REQUIRED, SIZE_MAX, &tcb)) < 0 ||
        (r = get_components(R, tcb, where, "sgxtcbcomponents", out->sgx)) < 0 ||
        (r = jr_int(R, tcb, where, "pcesvn", JR_REQUIRED, 0, 65535, &pcesvn)) < 0 ||
        (r = get_components(R, tcb, where, "tdxtcbcomponents", out->tdx)) < 0)
        return r;
    out->pcesvn = (uint16_t)pcesvn;
    return get_level_common(R, v, path, &out->status, &out->advisories);
}

/* A module identity's TCB levels: {"tcb": {"isvsvn": N}, "tcbStatus": ...}. */
static int get_module_levels(struct json_reader *R, json_t *m, const char *path,
                             struct module_identity *out)
{
    char where[JR_PATH_MAX], item[JR_PATH_MAX], tcbp[JR_PATH_MAX];
    json_t *levels = NULL, *v, *tcb;
    long long isvsvn;
    size_t i;
    int r;

    if ((r = jr_array(R, m, path, "tcbLevels", JR_REQUIRED, 1, LEVELS_MAX, &levels)) < 0)
        return r;
    out->levels = calloc(json_array_size(levels), sizeof(*out->levels));
    if (!out->levels)
        return jr_oom(R);
    jr_path_key(where, path, "tcbLevels");
    json_array_foreach(levels, i, v) {
        struct module_level *l = &out->levels[out->n_levels++];
        jr_path_index(item, where, i);
        tcb = NULL;
        if ((r = jr_object(R, v, item, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
            (r = jr_object(R, v, item, "tcb", JR_REQUIRED, SIZE_MAX, &tcb)) < 0 ||
            (r = jr_int(R, tcb, jr_path_key(tcbp, item, "tcb"), "isvsvn", JR_REQUIRED, 0, 255, &isvsvn)) < 0)
            return r;
        l->isvsvn = (uint8_t)isvsvn;
        if ((r = get_level_common(R, v, item, &l->status, &l->advisories)) < 0)
            return r;
    }
    return 0;
}

static int get_module(struct json_reader *R, json_t *m, const char *path,
                      struct module_identity *out, bool identity)
{
    const char *id = NULL;
    char where[JR_PATH_MAX];
    int r;

    if ((r = jr_object(R, m, path, NULL, JR_REQUIRED, SIZE_MAX, &m)) < 0 ||
        (r = get_hex(R, m, path, "mrsigner", out->mrsigner, 48)) < 0 ||
        (r = get_hex(R, m, path, "attributes", out->attributes, 8)) < 0 ||
        (r = get_hex(R, m, path, "attributesMask", out->attributes_mask, 8)) < 0)
        return r;
    if (!identity)
        return 0;
    if ((r = jr_string(R, m, path, "id", JR_REQUIRED, NULL, &id)) < 0)
        return r;
    if (strlen(id) >= sizeof(out->id))
        return jr_fail(R, jr_path_key(where, path, "id"), "longer than %zu characters",
                       sizeof(out->id) - 1);
    snprintf(out->id, sizeof(out->id), "%s", id);
    return get_module_levels(R, m, path, out);
}

/* Reads the signature and the signed text into d, and parses the text:
 * its "id" and "version" must be Intel's, its dates and evaluation number
 * are common to both documents. */
static int load_doc(struct json_reader *R, struct signed_doc *d, const char *what,
                    const char *path, const char *raw, size_t len, const char *signature_hex,
                    const char *id, long long version, json_t **out)
{
    char where[JR_PATH_MAX];
    long long v;
    int r;

    d->what = what;
    if (!signature_hex || strlen(signature_hex) != 128 || hex_decode(signature_hex, d->signature, 64) != 64)
        return jr_fail(R, "signature", "expected 128 hex digits (ECDSA r||s)");
    if ((r = jr_parse(R, raw, len, DOC_DEPTH_MAX, DOC_VALUES_MAX, out)) < 0)
        return r;
    if ((r = expect_string(R, *out, path, "id", id)) < 0 ||
        (r = jr_int(R, *out, path, "version", JR_REQUIRED, 0, 1000, &v)) < 0)
        return r;
    if (v != version)
        return jr_fail(R, jr_path_key(where, path, "version"), "expected %lld (%s %s), got %lld",
                       version, id, what, v);
    if ((r = get_time(R, *out, path, "issueDate", JR_REQUIRED, &d->issue_date)) < 0 ||
        (r = get_time(R, *out, path, "nextUpdate", JR_REQUIRED, &d->next_update)) < 0 ||
        (r = jr_int(R, *out, path, "tcbEvaluationDataNumber", JR_REQUIRED, 0, INT32_MAX,
                    &d->evaluation)) < 0)
        return r;
    d->raw = malloc(len + 1);
    d->origin = strdup(R->file);
    if (!d->raw || !d->origin)
        return jr_oom(R);
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

static int parse_tcb_info(struct json_reader *R, json_t *root, struct tcb_info *t)
{
    const char *p = "tcbInfo";
    char where[JR_PATH_MAX];
    json_t *a = NULL, *v = NULL;
    size_t i;
    int r;

    if ((r = get_hex(R, root, p, "fmspc", t->fmspc, 6)) < 0 ||
        (r = get_hex(R, root, p, "pceId", t->pceid, 2)) < 0 ||
        (r = jr_object(R, root, p, "tdxModule", JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
        (r = get_module(R, v, "tcbInfo.tdxModule", &t->module, false)) < 0 ||
        (r = jr_array(R, root, p, "tdxModuleIdentities", 0, 0, IDENTITIES_MAX, &a)) < 0)
        return r;
    if (a) {
        t->identities = calloc(json_array_size(a) + 1, sizeof(*t->identities));
        if (!t->identities)
            return jr_oom(R);
        json_array_foreach(a, i, v) {
            t->n_identities++;
            jr_path_index(where, "tcbInfo.tdxModuleIdentities", i);
            if ((r = get_module(R, v, where, &t->identities[i], true)) < 0)
                return r;
        }
    }
    if ((r = jr_array(R, root, p, "tcbLevels", JR_REQUIRED, 1, LEVELS_MAX, &a)) < 0)
        return r;
    t->levels = calloc(json_array_size(a), sizeof(*t->levels));
    if (!t->levels)
        return jr_oom(R);
    json_array_foreach(a, i, v) {
        t->n_levels++;
        if ((r = get_tcb_level(R, v, jr_path_index(where, "tcbInfo.tcbLevels", i), &t->levels[i])) < 0)
            return r;
    }
    return 0;
}

static void init_reader(struct json_reader *R, const char *origin, tdx_error *err)
{
    jr_init_err(R, origin, err);
    R->code = -EBADMSG;
}

int tcb_info_parse(const char *raw, size_t raw_len, const char *signature_hex, const char *origin,
                   struct tcb_info **out, tdx_error *err)
{
    struct tcb_info *t = calloc(1, sizeof(*t));
    struct json_reader R;
    json_t *root = NULL;
    int r;

    if (!t)
        return tdx_err_oom(err);
    init_reader(&R, origin, err);
    r = load_doc(&R, &t->doc, "TCB info", "tcbInfo", raw, raw_len, signature_hex, "TDX", 3, &root);
    if (r >= 0)
        r = parse_tcb_info(&R, root, t);
    json_decref(root);
    if (r < 0) {
        tcb_info_free(t);
        return r;
    }
    *out = t;
    return 0;
}

static int parse_qe_identity(struct json_reader *R, json_t *root, struct qe_identity *q)
{
    const char *p = "enclaveIdentity";
    char where[JR_PATH_MAX], tcbp[JR_PATH_MAX];
    long long prodid, isvsvn;
    json_t *a = NULL, *v, *tcb;
    size_t i;
    int r;

    if ((r = get_hex(R, root, p, "miscselect", q->miscselect, 4)) < 0 ||
        (r = get_hex(R, root, p, "miscselectMask", q->miscselect_mask, 4)) < 0 ||
        (r = get_hex(R, root, p, "attributes", q->attributes, 16)) < 0 ||
        (r = get_hex(R, root, p, "attributesMask", q->attributes_mask, 16)) < 0 ||
        (r = get_hex(R, root, p, "mrsigner", q->mrsigner, 32)) < 0 ||
        (r = jr_int(R, root, p, "isvprodid", JR_REQUIRED, 0, 65535, &prodid)) < 0 ||
        (r = jr_array(R, root, p, "tcbLevels", JR_REQUIRED, 1, LEVELS_MAX, &a)) < 0)
        return r;
    q->isvprodid = (uint16_t)prodid;
    q->levels = calloc(json_array_size(a), sizeof(*q->levels));
    if (!q->levels)
        return jr_oom(R);
    json_array_foreach(a, i, v) {
        jr_path_index(where, "enclaveIdentity.tcbLevels", i);
        q->n_levels++;
        tcb = NULL;
        if ((r = jr_object(R, v, where, NULL, JR_REQUIRED, SIZE_MAX, &v)) < 0 ||
            (r = jr_object(R, v, where, "tcb", JR_REQUIRED, SIZE_MAX, &tcb)) < 0 ||
            (r = jr_int(R, tcb, jr_path_key(tcbp, where, "tcb"), "isvsvn", JR_REQUIRED, 0, 65535, &isvsvn)) < 0 ||
            (r = get_level_common(R, v, where, &q->levels[i].status, &q->levels[i].advisories)) < 0)
            return r;
        q->levels[i].isvsvn = (uint16_t)isvsvn;
    }
    return 0;
}

int qe_identity_parse(const char *raw, size_t raw_len, const char *signature_hex, const char *origin,
                      struct qe_identity **out, tdx_error *err)
{
    struct qe_identity *q = calloc(1, sizeof(*q));
    struct json_reader R;
    json_t *root = NULL;
    int r;

    if (!q)
        return tdx_err_oom(err);
    init_reader(&R, origin, err);
    r = load_doc(&R, &q->doc, "QE identity", "enclaveIdentity", raw, raw_len, signature_hex,
                 "TD_QE", 2, &root);
    if (r >= 0)
        r = parse_qe_identity(&R, root, q);
    json_decref(root);
    if (r < 0) {
        qe_identity_free(q);
        return r;
    }
    *out = q;
    return 0;
}
