/* SPDX-License-Identifier: MIT */
/*
 * The verifier and the order of the verification steps. Each step either
 * passes or records one precise message and stops the run: the first
 * failure decides, and nothing after it is reported as checked.
 */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "error.h"
#include "hex.h"
#include "msg.h"
#include "pki.h"
#include "read-input.h"
#include "rfc3339.h"
#include "strv.h"
#include "verify-internal.h"

#define ROOT_FILE_MAX (1024 * 1024)

/* Intel's QE (sgx_quote_4.h); dcap-qvl refuses any other vendor too. */
static const uint8_t intel_qe_vendor_id[16] = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07,
};

static const char *const step_names[STEP_COUNT] = {
    [TDX_VERIFY_STEP_NONE] = "",
    [TDX_VERIFY_STEP_PARSE] = "parse",
    [TDX_VERIFY_STEP_PCK_CHAIN] = "pck_chain",
    [TDX_VERIFY_STEP_QE_REPORT_SIGNATURE] = "qe_report_signature",
    [TDX_VERIFY_STEP_QE_REPORT_DATA] = "qe_report_data",
    [TDX_VERIFY_STEP_QUOTE_SIGNATURE] = "quote_signature",
    [TDX_VERIFY_STEP_COLLATERAL] = "collateral",
    [TDX_VERIFY_STEP_CRL] = "crl",
    [TDX_VERIFY_STEP_TCB_INFO] = "tcb_info",
    [TDX_VERIFY_STEP_QE_IDENTITY] = "qe_identity",
    [TDX_VERIFY_STEP_TDX_MODULE] = "tdx_module",
    [TDX_VERIFY_STEP_TCB_STATUS] = "tcb_status",
    [TDX_VERIFY_STEP_MEASUREMENTS] = "measurements",
    [TDX_VERIFY_STEP_REPORT_DATA] = "report_data",
    [TDX_VERIFY_STEP_TD_ATTRIBUTES] = "td_attributes",
    [TDX_VERIFY_STEP_XFAM] = "xfam",
    [TDX_VERIFY_STEP_MRSERVICETD] = "mrservicetd",
    [TDX_VERIFY_STEP_MRCONFIGID] = "mrconfigid",
    [TDX_VERIFY_STEP_MROWNER] = "mrowner",
    [TDX_VERIFY_STEP_MROWNERCONFIG] = "mrownerconfig",
    [TDX_VERIFY_STEP_MRSEAM] = "mrseam",
};

const char *tdx_verify_step_name(tdx_verify_step step)
{
    return (unsigned)step < STEP_COUNT ? step_names[step] : NULL;
}

void fmt_time(int64_t t, char out[32])
{
    if (t == INT64_MIN || t == INT64_MAX)
        snprintf(out, 32, "(none)");
    else
        rfc3339_format(t, out);
}

int vfail(struct vctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(c->res->message, sizeof(c->res->message), fmt, ap);
    va_end(ap);
    msg_finish(c->res->message, sizeof(c->res->message), n);
    c->res->code = code;
    return code;
}

static int step_parse(struct vctx *c)
{
    char got[33];
    if (memcmp(quote_at(c->q, 12), intel_qe_vendor_id, 16) != 0) {
        hex_encode(quote_at(c->q, 12), 16, got);
        return vfail(c, -EBADMSG, "QE vendor ID %s at offset 12 is not Intel's 939a7233f79c4ca9940a0db3957f0607", got);
    }
    return 0;
}

static int step_qe_report_signature(struct vctx *c)
{
    const tdx_quote *q = c->q;
    struct chain_entry *e = c->chain;
    int ok;

    /* The signature follows the report: both are one run of bytes. */
    if (e->qe_ok && memcmp(e->qe_signed, quote_at(q, q->qe_report), sizeof(e->qe_signed)) == 0)
        return 0;
    ok = pki_verify_p256(e->leaf_key, quote_at(q, q->qe_report_sig), quote_at(q, q->qe_report), QUOTE_QE_REPORT_SIZE);
    if (ok < 0)
        return vfail(c, ok, "out of memory");
    if (!ok)
        return vfail(c, -EKEYREJECTED,
                     "the QE report signature (offset %zu) does not verify with the PCK certificate's key",
                     q->qe_report_sig);
    memcpy(e->qe_signed, quote_at(q, q->qe_report), sizeof(e->qe_signed));
    e->qe_ok = true;
    return 0;
}

static int step_qe_report_data(struct vctx *c)
{
    const tdx_quote *q = c->q;
    const uint8_t *data = quote_at(q, q->qe_report) + QE_REPORT_DATA;
    static const uint8_t zero[32];
    uint8_t md[32];
    char got[65], want[65];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(ctx, quote_at(q, q->att_key), QUOTE_ECDSA_KEY_SIZE) &&
             EVP_DigestUpdate(ctx, quote_at(q, q->auth_data), q->auth_data_len) &&
             EVP_DigestFinal_ex(ctx, md, NULL);

    EVP_MD_CTX_free(ctx);
    if (!ok)
        return vfail(c, -ENOMEM, "out of memory");
    if (memcmp(data, md, 32) != 0) {
        hex_encode(data, 32, got);
        hex_encode(md, 32, want);
        return vfail(c, -EKEYREJECTED,
                     "QE report data %s is not SHA-256(attestation key || QE auth data) = %s: the attestation key "
                     "or auth data is not the QE's",
                     got, want);
    }
    if (memcmp(data + 32, zero, 32) != 0)
        return vfail(c, -EKEYREJECTED, "QE report data bytes 32..63 are not zero");
    return 0;
}

static int step_quote_signature(struct vctx *c)
{
    const tdx_quote *q = c->q;
    struct chain_entry *e = c->chain;
    int ok;

    if (!e->att_key || memcmp(e->att_raw, quote_at(q, q->att_key), QUOTE_ECDSA_KEY_SIZE) != 0) {
        EVP_PKEY *key = pki_p256_key(quote_at(q, q->att_key));
        if (!key)
            return vfail(c, -EKEYREJECTED, "the attestation key (offset %zu) is not a point on P-256", q->att_key);
        EVP_PKEY_free(e->att_key);
        e->att_key = key;
        memcpy(e->att_raw, quote_at(q, q->att_key), QUOTE_ECDSA_KEY_SIZE);
    }
    ok = pki_verify_p256(e->att_key, quote_at(q, q->signature), q->data, q->signed_size);
    if (ok < 0)
        return vfail(c, ok, "out of memory");
    if (!ok)
        return vfail(c, -EKEYREJECTED,
                     "the quote signature (offset %zu) over bytes 0..%zu does not verify with the attestation key",
                     q->signature, q->signed_size - 1);
    return 0;
}

static int step_report_data(struct vctx *c)
{
    uint8_t want[64] = { 0 };
    const uint8_t *got = quote_at(c->q, c->q->body) + BODY_REPORT_DATA;
    char a[129], b[129];

    memcpy(want, c->o->report_data, c->o->report_data_size);
    if (memcmp(got, want, 64) == 0)
        return 0;
    hex_encode(got, 64, a);
    hex_encode(want, 64, b);
    return vfail(c, -EPERM, "REPORTDATA is %s, expected %s", a, b);
}

static int step_collateral(struct vctx *c)
{
    return collateral_for_quote(c);
}

enum need { ALWAYS, COLLATERAL, EXPECTED, REPORT_DATA, XFAM, MRCONFIGID, MROWNER, MROWNERCONFIG, MRSEAM };

static const struct step {
    tdx_verify_step id;
    int (*run)(struct vctx *c);
    enum need need;
} steps[] = {
    { TDX_VERIFY_STEP_PARSE, step_parse, ALWAYS },
    { TDX_VERIFY_STEP_PCK_CHAIN, chain_verify, ALWAYS },
    { TDX_VERIFY_STEP_QE_REPORT_SIGNATURE, step_qe_report_signature, ALWAYS },
    { TDX_VERIFY_STEP_QE_REPORT_DATA, step_qe_report_data, ALWAYS },
    { TDX_VERIFY_STEP_QUOTE_SIGNATURE, step_quote_signature, ALWAYS },
    { TDX_VERIFY_STEP_COLLATERAL, step_collateral, COLLATERAL },
    { TDX_VERIFY_STEP_CRL, check_crls, COLLATERAL },
    { TDX_VERIFY_STEP_TCB_INFO, check_tcb_info, COLLATERAL },
    { TDX_VERIFY_STEP_QE_IDENTITY, check_qe_identity, COLLATERAL },
    { TDX_VERIFY_STEP_TDX_MODULE, check_tdx_module, COLLATERAL },
    { TDX_VERIFY_STEP_TCB_STATUS, check_tcb_status, COLLATERAL },
    { TDX_VERIFY_STEP_MEASUREMENTS, check_measurements, EXPECTED },
    { TDX_VERIFY_STEP_REPORT_DATA, step_report_data, REPORT_DATA },
    { TDX_VERIFY_STEP_TD_ATTRIBUTES, check_td_attributes, ALWAYS },
    { TDX_VERIFY_STEP_XFAM, check_xfam, XFAM },
    { TDX_VERIFY_STEP_MRSERVICETD, check_mrservicetd, ALWAYS },
    { TDX_VERIFY_STEP_MRCONFIGID, check_mrconfigid, MRCONFIGID },
    { TDX_VERIFY_STEP_MROWNER, check_mrowner, MROWNER },
    { TDX_VERIFY_STEP_MROWNERCONFIG, check_mrownerconfig, MROWNERCONFIG },
    { TDX_VERIFY_STEP_MRSEAM, check_mrseam, MRSEAM },
};

/* Whether the options ask for a step that checks only when asked. */
static bool wanted(const tdx_verify_options *o, enum need need)
{
    switch (need) {
    case ALWAYS: return true;
    case COLLATERAL: return true;
    case EXPECTED: return o->expected != NULL;
    case REPORT_DATA: return o->report_data != NULL;
    case XFAM: return o->xfam != NULL;
    case MRCONFIGID: return o->mrconfigid_count > 0;
    case MROWNER: return o->mrowner_count > 0;
    case MROWNERCONFIG: return o->mrownerconfig_count > 0;
    case MRSEAM: return o->mrseam_count > 0;
    }
    return false;
}

static void run_steps(struct vctx *c)
{
    bool have_collateral = c->v->files || c->v->pccs_url;

    for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
        const struct step *s = &steps[i];
        bool skip = (s->need == COLLATERAL && !have_collateral) || !wanted(c->o, s->need);
        int r;

        if (skip && s->id == TDX_VERIFY_STEP_TCB_STATUS &&
            (c->o->accept_tcb || c->o->accept_advisories || c->o->min_tcb_evaluation != TDX_UNSET)) {
            r = vfail(c, -ENOENT, "TCB checks were asked for, but the verifier has no collateral");
        } else if (skip) {
            c->res->checks[s->id] = CHECK_SKIPPED;
            continue;
        } else {
            r = s->run(c);
        }
        if (r < 0) {
            c->res->checks[s->id] = CHECK_FAILED;
            c->res->failed = s->id;
            c->res->code = r;
            return;
        }
        c->res->checks[s->id] = CHECK_PASSED;
    }
}

void tdx_verification_free(tdx_verification *r)
{
    if (!r)
        return;
    strv_free(r->advisories);
    free(r->collateral);
    free(r->measurement_id);
    tdx_quote_free(r->quote);
    free(r);
}

/* The caller's options as the current version: a version 1 struct ends
 * after allow_debug, and the fields after it keep their defaults. */
static void copy_options(const tdx_verify_options *in, tdx_verify_options *out)
{
    static const tdx_verify_options defaults = TDX_VERIFY_OPTIONS_INIT;

    *out = defaults;
    if (!in)
        return;
    memcpy(out, in, in->version == 1 ? offsetof(tdx_verify_options, allow_sept_ve) : sizeof(*out));
    out->version = TDX_VERIFY_OPTIONS_VERSION;
}

static int check_status_names(const char *const *names, tdx_error *err)
{
    for (const char *const *a = names; a && *a; a++) {
        tdx_tcb_status s;
        if (tcb_status_from_name(*a, &s) < 0)
            return tdx_err(err, -EINVAL,
                           "accept_tcb: unknown TCB status \"%s\" (expected UpToDate, SWHardeningNeeded, "
                           "ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate, "
                           "OutOfDateConfigurationNeeded, TDRelaunchAdvised, TDRelaunchAdvisedConfigurationNeeded)",
                           *a);
        if (s == TDX_TCB_REVOKED)
            return tdx_err(err, -EINVAL, "accept_tcb: a Revoked TCB is never accepted");
    }
    return 0;
}

static int check_options(const tdx_verify_options *o, tdx_error *err)
{
    if ((o->mrservicetd_count && !o->mrservicetd) || (o->mrconfigid_count && !o->mrconfigid) ||
        (o->mrowner_count && !o->mrowner) || (o->mrownerconfig_count && !o->mrownerconfig) ||
        (o->mrseam_count && !o->mrseam))
        return tdx_err(err, -EINVAL, "tdx_verifier_verify: a value list with a count but no values");
    if ((o->td_attributes_mask && !o->td_attributes) || (o->xfam_mask && !o->xfam))
        return tdx_err(err, -EINVAL, "tdx_verifier_verify: a mask without a value to pin");
    if (o->report_data && (o->report_data_size == 0 || o->report_data_size > 64))
        return tdx_err(err, -EINVAL, "tdx_verifier_verify: report_data: %zu bytes, expected 1 to 64",
                       o->report_data_size);
    if (o->min_tcb_evaluation != TDX_UNSET && o->min_tcb_evaluation < 0)
        return tdx_err(err, -EINVAL, "tdx_verifier_verify: min_tcb_evaluation: %lld is negative",
                       o->min_tcb_evaluation);
    for (const char *const *a = o->accept_advisories; a && *a; a++)
        if (!**a)
            return tdx_err(err, -EINVAL, "accept_advisories: an empty advisory ID");
    return check_status_names(o->accept_tcb, err);
}

int tdx_verifier_verify(tdx_verifier *verifier, const tdx_quote *quote, const tdx_verify_options *opts,
                        tdx_verification **out, tdx_error *err)
{
    tdx_verify_options o;
    struct vctx c = { .v = verifier, .q = quote, .o = &o };
    tdx_verification *res;
    int r;

    tdx_check_arg(verifier, err);
    tdx_check_arg(quote, err);
    tdx_check_options(opts, TDX_VERIFY_OPTIONS_VERSION, err);
    copy_options(opts, &o);
    r = check_options(&o, err);
    if (r < 0)
        return r;
    res = calloc(1, sizeof(*res));
    if (!res || quote_dup(quote, &res->quote) < 0) {
        free(res);
        return tdx_err_oom(err);
    }
    res->tcb_evaluation = res->qe_evaluation = -1;
    c.res = res;
    c.now = c.o->now == TDX_UNSET ? (int64_t)time(NULL) : c.o->now;
    res->now = c.now;
    run_steps(&c);
    ERR_clear_error();
    r = res->code;
    if (r == -ENOMEM) {
        tdx_verification_free(res);
        return tdx_err_oom(err);
    }
    if (r < 0)
        tdx_err(err, r, "%s: %s", step_names[res->failed], res->message);
    if (out)
        *out = res;
    else
        tdx_verification_free(res);
    return r;
}

int verifier_load_root(const char *root_file, const char *root_pem, X509 **root, bool *intel, tdx_error *err)
{
    _cleanup_free_ char *data = NULL;
    size_t size;
    int r;

    *intel = false;
    if (root_pem)
        return pki_load_root((const uint8_t *)root_pem, strlen(root_pem), "root_pem", root, err);
    if (!root_file) {
        *intel = true;
        return pki_intel_root(root, err);
    }
    r = read_input(root_file, ROOT_FILE_MAX, &data, &size, err);
    if (r < 0)
        return r;
    return pki_load_root((const uint8_t *)data, size, root_file, root, err);
}

/* A verifier on parsed collateral: its root and store by reference, unless
 * the caller names a root, which must be the collateral's. */
static int setup_shared(tdx_verifier *v, const tdx_verifier_options *o, tdx_error *err)
{
    tdx_collateral *c = o->parsed_collateral;
    int r;

    if (o->collateral || o->pccs_url)
        return tdx_err(err, -EINVAL, "tdx_verifier_new: parsed_collateral excludes collateral and pccs_url");
    if (o->root_file || o->root_pem) {
        if ((r = verifier_load_root(o->root_file, o->root_pem, &v->root, &v->intel_root, err)) < 0)
            return r;
        if (!pki_same_cert(v->root, c->root))
            return tdx_err(err, -EINVAL, "tdx_verifier_new: the root differs from the one parsed_collateral "
                                         "was checked against");
    } else {
        X509_up_ref(c->root);
        v->root = c->root;
        v->intel_root = c->intel_root;
    }
    X509_STORE_up_ref(c->store);
    v->store = c->store;
    v->shared = tdx_collateral_ref(c);
    v->files = c->col;
    return 0;
}

static int setup(tdx_verifier *v, const tdx_verifier_options *o, tdx_error *err)
{
    int r;

    if (o->root_file && o->root_pem)
        return tdx_err(err, -EINVAL, "tdx_verifier_new: root_file and root_pem are exclusive");
    if (o->collateral && o->pccs_url)
        return tdx_err(err, -EINVAL, "tdx_verifier_new: collateral and pccs_url are exclusive");
    if (o->pccs_url && !startswith(o->pccs_url, "https://") && !startswith(o->pccs_url, "http://"))
        return tdx_err(err, -EINVAL, "pccs_url: \"%s\" is not an http:// or https:// URL", o->pccs_url);
    if (o->fetch_timeout != TDX_UNSET && (o->fetch_timeout <= 0 || o->fetch_timeout > 3600))
        return tdx_err(err, -EINVAL, "fetch_timeout: %lld seconds, expected 1 to 3600", o->fetch_timeout);
    if (o->version >= 2 && o->parsed_collateral)
        return setup_shared(v, o, err);
    if ((r = verifier_load_root(o->root_file, o->root_pem, &v->root, &v->intel_root, err)) < 0)
        return r;
    v->store = X509_STORE_new();
    if (!v->store || !X509_STORE_add_cert(v->store, v->root))
        return tdx_err_oom(err);
    if (o->collateral) {
        struct collateral *col = NULL;
        if ((r = collateral_load(o->collateral, v->root, &col, err)) < 0)
            return r;
        if ((r = shared_collateral_new(col, v->root, v->store, v->intel_root, &v->shared, err)) < 0) {
            collateral_free(col);
            return r;
        }
        v->files = col;
    }
    v->timeout = o->fetch_timeout == TDX_UNSET ? 30 : (long)o->fetch_timeout;
    if (o->pccs_url) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return tdx_err(err, -ENOMEM, "cannot initialise libcurl");
        v->curl = true;
        if (!(v->pccs_url = strdup(o->pccs_url)))
            return tdx_err_oom(err);
    }
    if (o->cache_dir && !(v->cache_dir = strdup(o->cache_dir)))
        return tdx_err_oom(err);
    return 0;
}

static void collateral_free_item(void *p)
{
    collateral_free(p);
}

void tdx_verifier_free(tdx_verifier *v)
{
    if (!v)
        return;
    chain_cache_free(v);
    ptrvec_free_all(&v->fetched, collateral_free_item);
    tdx_collateral_unref(v->shared);
    X509_STORE_free(v->store);
    X509_free(v->root);
    if (v->curl)
        curl_global_cleanup();
    free(v->pccs_url);
    free(v->cache_dir);
    free(v);
}

int tdx_verifier_new(tdx_verifier **out, const tdx_verifier_options *opts, tdx_error *err)
{
    static const tdx_verifier_options defaults = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verifier *v;
    int r;

    tdx_check_arg(out, err);
    tdx_check_options(opts, TDX_VERIFIER_OPTIONS_VERSION, err);
    v = calloc(1, sizeof(*v));
    if (!v)
        return tdx_err_oom(err);
    r = setup(v, opts ? opts : &defaults, err);
    ERR_clear_error();
    if (r < 0) {
        tdx_verifier_free(v);
        return r;
    }
    *out = v;
    return 0;
}
