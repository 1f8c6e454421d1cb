/* SPDX-License-Identifier: MIT */
/*
 * The collateral steps. Real collateral (dcap-qvl's JSON, go-tdx-guest's PCS
 * responses) with the quotes it belongs to, at fixed times inside and after
 * its windows; then collateral signed by a test PKI to reach every TCB
 * status, the TDX module identity rules, the QE identity checks and CRL
 * revocation.
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "hex.h"
#include "quotes.h"
#include "rfc3339.h"
#include "testpki.h"

static const char *dcap_json = "collateral/dcap-qvl/tdx_quote_collateral.json";
static const char *dcap_outdated_json = "collateral/dcap-qvl/tdx_quote_outdated_collateral.json";

struct run {
    int code;
    tdx_verify_step step;
    tdx_tcb_status status, platform, module, qe;
    char message[TDX_ERROR_MESSAGE_SIZE];
    char json[16384];
};

static void run_verify(const char *collateral, const char *root_pem, const uint8_t *data, size_t size,
                       const tdx_verify_options *o, struct run *out)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;
    tdx_verification *res = NULL;
    tdx_quote *q = NULL;
    char *json = NULL;

    vo.collateral = collateral;
    vo.root_pem = root_pem;
    ck_assert_msg(tdx_verifier_new(&v, &vo, &err) == 0, "%s", err.message);
    ck_assert_msg(tdx_quote_parse(&q, data, size, &err) == 0, "%s", err.message);
    out->code = tdx_verifier_verify(v, q, o, &res, &err);
    ck_assert_ptr_nonnull(res);
    out->step = tdx_verification_failed_step(res);
    out->status = tdx_verification_tcb_status(res);
    snprintf(out->message, sizeof(out->message), "%s", tdx_verification_message(res));
    ck_assert_int_eq(tdx_verification_to_json(res, &json, &err), 0);
    snprintf(out->json, sizeof(out->json), "%s", json);
    tdx_free(json);
    /* Verifying again reuses the caches and must say the same. */
    ck_assert_int_eq(tdx_verifier_verify(v, q, o, NULL, &err), out->code);
    tdx_verification_free(res);
    tdx_quote_free(q);
    tdx_verifier_free(v);
}

static void run_real(const char *quote, const char *collateral, const char *now, struct run *out)
{
    char rel[256];
    size_t size;
    uint8_t *data;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;

    snprintf(rel, sizeof(rel), "quotes/%s", quote);
    data = read_testdata(rel, &size);
    o.now = at(now);
    o.accept_tcb = (const char *const[]){ "UpToDate", "OutOfDate", NULL };
    run_verify(testdata(collateral), NULL, data, size, &o, out);
    free(data);
}

START_TEST(dcap_qvl_quote_is_up_to_date_with_its_collateral)
{
    static const char *const times[] = { "2025-06-19T10:32:27Z", "2025-07-10T00:00:00Z", "2025-07-19T10:00:35Z" };
    struct run r;
    run_real("dcapqvl_v4.dat", dcap_json, times[_i], &r);
    ck_assert_msg(r.code == 0, "%s", r.message);
    ck_assert_int_eq(r.status, TDX_TCB_UP_TO_DATE);
    ck_assert_contains(r.json, "\"tcb_status\":\"UpToDate\"");
    ck_assert_contains(r.json, "\"platform_tcb_status\":\"UpToDate\"");
    ck_assert_contains(r.json, "\"tdx_module_tcb_status\":\"UpToDate\"");
    ck_assert_contains(r.json, "\"qe_tcb_status\":\"UpToDate\"");
    ck_assert_contains(r.json, "\"advisory_ids\":[]");
    ck_assert_contains(r.json, "\"tcb_evaluation_number\":17");
    ck_assert_contains(r.json, "\"qe_tcb_evaluation_number\":17");
    ck_assert_contains(r.json, "\"fmspc\":\"b0c06f000000\"");
    ck_assert_contains(r.json, "\"crl\":\"passed\",\"measurements\":\"skipped\"");
}
END_TEST

START_TEST(collateral_outside_its_window_fails_saying_so)
{
    struct run r;
    run_real("dcapqvl_v4.dat", dcap_json, "2025-07-19T10:00:36Z", &r);
    ck_assert_int_eq(r.code, -EKEYEXPIRED);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_CRL);
    ck_assert_contains(r.message, "PCK CRL (");
    ck_assert_contains(r.message, "tdx_quote_collateral.json: pck_crl) expired: nextUpdate 2025-07-19T10:00:35Z "
                                  "is before now 2025-07-19T10:00:36Z");
    run_real("dcapqvl_v4.dat", dcap_json, "2025-08-01T00:00:00Z", &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_CRL);
    ck_assert_contains(r.message, "expired: nextUpdate 2025-07-19T10:00:35Z is before now 2025-08-01T00:00:00Z");
    /* Before the TCB info was issued. */
    run_real("dcapqvl_v4.dat", dcap_json, "2025-06-19T10:20:00Z", &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_QE_IDENTITY);
    ck_assert_contains(r.message, "QE identity (");
    ck_assert_contains(r.message, "is not yet valid: issueDate 2025-06-19T10:32:27Z is after now 2025-06-19T10:20:00Z");
    run_real("dcapqvl_v4.dat", dcap_json, "2025-06-19T10:10:00Z", &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TCB_INFO);
    ck_assert_contains(r.message, "TCB info (");
    ck_assert_contains(r.message, "is not yet valid: issueDate 2025-06-19T10:16:03Z");
}
END_TEST

/* The outdated set: every signature, window and identity checks out, but
 * the platform's PCK components are below every TCB level Intel lists for
 * FMSPC 90C06F000000 (SEAMLDR ACM SVN 3, every level wants 5): Intel's QVL
 * calls that TCB_NOT_SUPPORTED, and so does this verifier. */
START_TEST(dcap_qvl_outdated_quote_matches_no_tcb_level)
{
    struct run r;
    run_real("dcapqvl_v5_outdated.dat", dcap_outdated_json, "2026-03-01T00:00:00Z", &r);
    ck_assert_int_eq(r.code, -EKEYREJECTED);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TCB_STATUS);
    ck_assert_contains(r.message, "matches: PCK SGX components 3,3,2,2,4,1,0,3,0,0,0,0,0,0,0,0, PCESVN 13, "
                                  "TEE_TCB_SVN 7,1,3,0,0,0,0,0,0,0,0,0,0,0,0,0");
    ck_assert_contains(r.json, "\"tdx_module\":\"passed\"");
    ck_assert_contains(r.json, "\"tdx_module_tcb_status\":\"UpToDate\"");
    ck_assert_contains(r.json, "\"qe_tcb_status\":\"UpToDate\"");
    ck_assert_contains(r.json, "\"tcb_evaluation_number\":18");
    run_real("dcapqvl_v5_outdated.dat", dcap_outdated_json, "2026-03-21T00:00:00Z", &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_CRL);
    ck_assert_contains(r.message, "expired: nextUpdate 2026-03-20T10:41:15Z is before now 2026-03-21T00:00:00Z");
}
END_TEST

/* go-tdx-guest's PCS responses as a directory (any file names). The SPR
 * quote's PCK components (3,3,2,2,2,1,0,2) are below both TCB levels of its
 * sample TCB info, which is why go-tdx-guest's own test rewrites them. */
START_TEST(go_tdx_guest_directory)
{
    struct run r;
    run_real("gotdx_v4_spr_e4_trailing.dat", "collateral/go-tdx-guest", "2023-07-01T01:00:00Z", &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TCB_STATUS);
    ck_assert_contains(r.message, "sample_tcbInfo_response) matches: PCK SGX components 3,3,2,2,2,1,0,2,");
    ck_assert_contains(r.json, "\"qe_identity\":\"passed\"");
    ck_assert_contains(r.json, "\"tdx_module\":\"passed\"");
    ck_assert_contains(r.json, "\"tdx_module_tcb_status\":null");
    ck_assert_contains(r.json, "\"tcb_evaluation_number\":15");
    run_real("gotdx_v4_spr_e4_trailing.dat", "collateral/go-tdx-guest", "2023-07-09T00:00:00Z", &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_CRL);
    ck_assert_contains(r.message, "pckcrl) expired: nextUpdate 2023-07-08T07:27:52Z");
    /* The v5 TCB info is there, but the QE identity and CRLs are from 2023. */
    run_real("gotdx_v5_sample.dat", "collateral/go-tdx-guest", "2026-02-03T01:00:00Z", &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_CRL);
    ck_assert_int_eq(r.code, -EKEYEXPIRED);
}
END_TEST

/* Changing the signed text of real collateral breaks its signature. */
START_TEST(tampered_real_collateral_is_refused)
{
    char *dir = tmpdir_new(), path[512];
    json_t *j = json_load_file(testdata(dcap_json), 0, NULL);
    const char *members[] = { "tcb_info", "qe_identity" };
    struct run r;

    ck_assert_ptr_nonnull(j);
    for (int i = 0; i < 2; i++) {
        json_t *copy = json_deep_copy(j);
        char *text = strdup(json_string_value(json_object_get(copy, members[i]))), *p;
        p = strstr(text, "\"tcbEvaluationDataNumber\":17");
        ck_assert_ptr_nonnull(p);
        p[strlen("\"tcbEvaluationDataNumber\":1")] = '8';
        json_object_set_new(copy, members[i], json_string(text));
        snprintf(path, sizeof(path), "%s/c%d.json", dir, i);
        ck_assert_int_eq(json_dump_file(copy, path, 0), 0);
        {
            size_t size;
            uint8_t *data = read_testdata("quotes/dcapqvl_v4.dat", &size);
            tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
            o.now = at("2025-07-10T00:00:00Z");
            run_verify(path, NULL, data, size, &o, &r);
            free(data);
        }
        ck_assert_int_eq(r.code, -EKEYREJECTED);
        ck_assert_int_eq(r.step, i == 0 ? TDX_VERIFY_STEP_TCB_INFO : TDX_VERIFY_STEP_QE_IDENTITY);
        ck_assert_contains(r.message, "the signature does not verify with the TCB signing key");
        free(text);
        json_decref(copy);
    }
    json_decref(j);
    tmpdir_remove(dir);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* One parsed collateral, shared                                            */

struct thread_job {
    tdx_collateral *col;
    tdx_quote *quote;
    int rounds;
    int ok, refused;            /* counts */
    char failure[TDX_ERROR_MESSAGE_SIZE];
};

/* Each round: a new verifier on the shared collateral, one verification
 * inside the window (must pass, UpToDate) and one after it (must fail at
 * crl with the same message every time). */
static void *verify_rounds(void *arg)
{
    struct thread_job *j = arg;
    for (int i = 0; i < j->rounds; i++) {
        tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
        tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
        tdx_error err = TDX_ERROR_INIT;
        tdx_verification *res = NULL;
        tdx_verifier *v = NULL;

        vo.parsed_collateral = j->col;
        if (tdx_verifier_new(&v, &vo, &err) < 0) {
            snprintf(j->failure, sizeof(j->failure), "tdx_verifier_new: %s", err.message);
            return NULL;
        }
        o.now = at("2025-07-10T00:00:00Z");
        if (tdx_verifier_verify(v, j->quote, &o, &res, &err) == 0 &&
            tdx_verification_tcb_status(res) == TDX_TCB_UP_TO_DATE)
            j->ok++;
        else
            snprintf(j->failure, sizeof(j->failure), "inside the window: %s", err.message);
        tdx_verification_free(res);
        o.now = at("2025-08-01T00:00:00Z");
        if (tdx_verifier_verify(v, j->quote, &o, NULL, &err) == -EKEYEXPIRED &&
            strstr(err.message, "crl: PCK CRL (") && strstr(err.message, "expired: nextUpdate 2025-07-19T10:00:35Z"))
            j->refused++;
        else
            snprintf(j->failure, sizeof(j->failure), "after the window: %s", err.message);
        tdx_verifier_free(v);
    }
    return NULL;
}

START_TEST(one_parsed_collateral_shared_by_threads)
{
    enum { THREADS = 4, ROUNDS = 40 };
    struct thread_job jobs[THREADS];
    pthread_t threads[THREADS];
    tdx_error err = TDX_ERROR_INIT;
    tdx_collateral *col = NULL;
    tdx_quote *q = NULL;

    ck_assert_msg(tdx_collateral_load(&col, testdata(dcap_json), NULL, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_quote_load_file(&q, testdata("quotes/dcapqvl_v4.dat"), &err), 0);
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (struct thread_job){ .col = col, .quote = q, .rounds = ROUNDS };
        ck_assert_int_eq(pthread_create(&threads[i], NULL, verify_rounds, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
        ck_assert_msg(jobs[i].ok == ROUNDS && jobs[i].refused == ROUNDS, "thread %d: %d passed, %d refused: %s", i,
                      jobs[i].ok, jobs[i].refused, jobs[i].failure);
    }
    tdx_quote_free(q);
    tdx_collateral_unref(col);
}
END_TEST

START_TEST(parsed_collateral_references_and_roots)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_collateral_options co = TDX_COLLATERAL_OPTIONS_INIT;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_collateral *col = NULL;
    tdx_verifier *v = NULL;
    tdx_quote *q = NULL;
    struct testpki pki;
    struct testpki_options po = { .fmspc = { 1 } };
    char *other;

    ck_assert_int_eq(tdx_collateral_load(&col, testdata(dcap_json), NULL, &err), 0);
    ck_assert_ptr_eq(tdx_collateral_ref(col), col);
    tdx_collateral_unref(col);
    ck_assert_int_eq(tdx_quote_load_file(&q, testdata("quotes/dcapqvl_v4.dat"), &err), 0);
    vo.parsed_collateral = col;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), 0);
    /* The verifier holds its own reference: the caller's may go first. */
    tdx_collateral_unref(col);
    o.now = at("2025-07-10T00:00:00Z");
    ck_assert_msg(tdx_verifier_verify(v, q, &o, NULL, &err) == 0, "%s", err.message);
    /* Freeing the verifier drops the last reference (ASan and valgrind
     * see a leak or a double free otherwise). */
    tdx_verifier_free(v);
    /* Intel's root named explicitly is the same root. */
    ck_assert_int_eq(tdx_collateral_load(&col, testdata(dcap_json), NULL, &err), 0);
    vo.parsed_collateral = col;
    vo.root_file = testdata("roots/intel_sgx_root_ca.pem");
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), 0);
    ck_assert_msg(tdx_verifier_verify(v, q, &o, NULL, &err) == 0, "%s", err.message);
    tdx_verifier_free(v);
    /* Another root is refused, and so is a second source of collateral. */
    testpki_init(&pki, &po);
    other = testpki_pem(pki.root);
    vo.root_file = NULL;
    vo.root_pem = other;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), -EINVAL);
    ck_assert_contains(err.message, "the root differs from the one parsed_collateral was checked against");
    vo.root_pem = NULL;
    vo.collateral = testdata(dcap_json);
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), -EINVAL);
    ck_assert_contains(err.message, "parsed_collateral excludes collateral and pccs_url");
    tdx_collateral_unref(col);
    /* Collateral checked against another root loads: that its TCB signing
     * chain does not lead there is recorded for the tcb_info step, not
     * returned. */
    co.root_pem = other;
    ck_assert_int_eq(tdx_collateral_load(&col, testdata(dcap_json), &co, &err), 0);
    tdx_collateral_unref(col);
    co.root_file = "x";
    ck_assert_int_eq(tdx_collateral_load(&col, testdata(dcap_json), &co, &err), -EINVAL);
    ck_assert_contains(err.message, "root_file and root_pem are exclusive");
    co = (tdx_collateral_options)TDX_COLLATERAL_OPTIONS_INIT;
    ck_assert_int_eq(tdx_collateral_load(&col, "/nonexistent/c.json", &co, &err), -ENOENT);
    co.version = 9;
    ck_assert_int_eq(tdx_collateral_load(&col, testdata(dcap_json), &co, &err), -EINVAL);
    ck_assert_contains(err.message, "tdx_collateral_load: unsupported options version 9");
    tdx_collateral_unref(NULL);
    ck_assert_ptr_null(tdx_collateral_ref(NULL));
    free(other);
    testpki_free(&pki);
    tdx_quote_free(q);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Collateral made with a test PKI                                          */

struct fixture {
    struct testpki pki;
    char *root_pem;
    char *dir;
    int64_t now;
    struct testquote quote;
    /* collateral contents */
    char levels[8192];
    char identities[4096];
    char qe_levels[1024];
    char qe_extra[512];         /* replaces the QE identity's matching fields */
    char tdx_module[512];
    char pceid[8];
    int evaluation;
    int64_t issue, next;
    X509 *pck_revoked, *root_revoked;
    bool no_qe_identity, no_pck_crl, crl_signed_by_root;
    bool pck_crl_chain;         /* write the PCK CRL issuer chain (CA, root) too */
    X509 *pck_crl_chain_ca;     /* its CA instead of the quote's (another PKI's) */
};

static struct fixture F;

static void fixture_setup(void)
{
    struct testpki_options po = { .fmspc = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 }, .pcesvn = 11 };
    for (int i = 0; i < 16; i++)
        po.comp[i] = i < 8 ? 5 : 0;
    memset(&F, 0, sizeof(F));
    testpki_init(&F.pki, &po);
    F.root_pem = testpki_pem(F.pki.root);
    F.dir = tmpdir_new();
    F.now = (int64_t)time(NULL);
    F.issue = F.now - 86400;
    F.next = F.now + 30 * 86400;
    F.evaluation = 17;
    snprintf(F.pceid, sizeof(F.pceid), "0000");
    snprintf(F.qe_levels, sizeof(F.qe_levels), "[{\"tcb\":{\"isvsvn\":8},\"tcbDate\":\"2024-03-13T00:00:00Z\","
                                               "\"tcbStatus\":\"UpToDate\"}]");
    snprintf(F.tdx_module, sizeof(F.tdx_module), "{\"mrsigner\":\"%096d\",\"attributes\":\"0000000000000000\","
                                                 "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"}", 0);
    testquote_init(&F.quote);
    F.quote.body[0] = 6;    /* TEE_TCB_SVN: module ISVSVN 6, version 1, ... */
    F.quote.body[1] = 1;
    F.quote.body[2] = 3;
}

static void fixture_teardown(void)
{
    testpki_free(&F.pki);
    free(F.root_pem);
    tmpdir_remove(F.dir);
}

/* One TCB level: every SGX component `sgx`, PCESVN, TDX components 0..2. */
static void add_level(const char *status, int sgx, int pcesvn, int tdx0, int tdx1, int tdx2, const char *advisories)
{
    size_t n = strlen(F.levels);
    char comps[512] = "", tdx[512] = "";
    for (int i = 0; i < 16; i++) {
        char c[32];
        snprintf(c, sizeof(c), "%s{\"svn\":%d}", i ? "," : "", i < 8 ? sgx : 0);
        strcat(comps, c);
        snprintf(c, sizeof(c), "%s{\"svn\":%d}", i ? "," : "", i == 0 ? tdx0 : i == 1 ? tdx1 : i == 2 ? tdx2 : 0);
        strcat(tdx, c);
    }
    snprintf(F.levels + n, sizeof(F.levels) - n,
             "%s{\"tcb\":{\"sgxtcbcomponents\":[%s],\"pcesvn\":%d,\"tdxtcbcomponents\":[%s]},"
             "\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"%s\"%s%s%s}",
             n ? "," : "", comps, pcesvn, tdx, status, advisories ? ",\"advisoryIDs\":[" : "",
             advisories ? advisories : "", advisories ? "]" : "");
}

static void add_identity(const char *id, const char *levels)
{
    size_t n = strlen(F.identities);
    snprintf(F.identities + n, sizeof(F.identities) - n,
             "%s{\"id\":\"%s\",\"mrsigner\":\"%096d\",\"attributes\":\"0000000000000000\","
             "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[%s]}", n ? "," : "", id, 0, levels);
}

static char *iso(int64_t t)
{
    static char bufs[4][RFC3339_SIZE];
    static int next;
    char *b = bufs[next++ % 4];
    rfc3339_format(t, b);
    return b;
}

static void write_bin(const char *name, const uint8_t *data, size_t size)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", F.dir, name);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    fclose(f);
}

static void write_collateral(void)
{
    char *text = NULL, *signed_text, *chain, *root;
    uint8_t *crl;
    size_t size;

    ck_assert(asprintf(&text,
                       "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\",\"fmspc\":\"112233445566\","
                       "\"pceId\":\"%s\",\"tcbType\":0,\"tcbEvaluationDataNumber\":%d,\"tdxModule\":%s,"
                       "\"tdxModuleIdentities\":[%s],\"tcbLevels\":[%s]}",
                       iso(F.issue), iso(F.next), F.pceid, F.evaluation, F.tdx_module, F.identities, F.levels) > 0);
    signed_text = testpki_sign_json(&F.pki, "tcbInfo", text);
    write_text(F.dir, "tcbinfo.json", signed_text);
    free(signed_text);
    free(text);
    if (!F.no_qe_identity) {
        ck_assert(asprintf(&text,
                           "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
                           "\"tcbEvaluationDataNumber\":%d,%s\"tcbLevels\":%s}",
                           iso(F.issue), iso(F.next), F.evaluation,
                           F.qe_extra[0] ? F.qe_extra
                                         : "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
                                           "\"attributes\":\"11000000000000000000000000000000\","
                                           "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
                                           "\"mrsigner\":\"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5\","
                                           "\"isvprodid\":2,",
                           F.qe_levels) > 0);
        signed_text = testpki_sign_json(&F.pki, "enclaveIdentity", text);
        write_text(F.dir, "qeidentity.json", signed_text);
        free(signed_text);
        free(text);
    }
    chain = testpki_pem(F.pki.tcb);
    root = testpki_pem(F.pki.root);
    ck_assert(asprintf(&text, "%s%s", chain, root) > 0);
    write_text(F.dir, "tcb-chain.pem", text);
    free(text);
    free(chain);
    free(root);
    crl = testpki_crl(F.pki.root, F.pki.root_key, &F.root_revoked, F.root_revoked ? 1 : 0, F.issue, F.next, &size);
    write_bin("rootcrl.der", crl, size);
    free(crl);
    if (!F.no_pck_crl) {
        crl = testpki_crl(F.pki.ca, F.crl_signed_by_root ? F.pki.root_key : F.pki.ca_key, &F.pck_revoked,
                          F.pck_revoked ? 1 : 0, F.issue, F.next, &size);
        write_bin("pckcrl.der", crl, size);
        free(crl);
    }
    if (F.pck_crl_chain) {
        chain = testpki_pem(F.pck_crl_chain_ca ? F.pck_crl_chain_ca : F.pki.ca);
        root = testpki_pem(F.pki.root);
        ck_assert(asprintf(&text, "%s%s", chain, root) > 0);
        write_text(F.dir, "pckcrl-chain.pem", text);
        free(text);
        free(chain);
        free(root);
    }
}

/* Verifies a fresh quote against the fixture's collateral (written first
 * unless `keep`), at the fixture's "now". */
static void verify_fixture_with(tdx_verify_options *o, bool keep, struct run *out)
{
    size_t size;
    uint8_t *data;

    if (!keep)
        write_collateral();
    data = testpki_quote(&F.pki, &F.quote, &size);
    o->now = F.now;
    run_verify(F.dir, F.root_pem, data, size, o, out);
    free(data);
}

static void verify_fixture(const char *const *accept, struct run *out)
{
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    o.accept_tcb = accept;
    verify_fixture_with(&o, false, out);
}

static const char *const all_statuses[] = {
    "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded", "OutOfDate",
    "OutOfDateConfigurationNeeded", NULL,
};

static const char *const up[] = { "{\"tcb\":{\"isvsvn\":6},\"tcbStatus\":\"UpToDate\"}" };

/* Platform level, module level and QE level statuses and what they give. */
static const struct status_case {
    const char *platform, *module, *qe;
    tdx_tcb_status want;
    const char *advisories;     /* as JSON */
} status_cases[] = {
    { "UpToDate", "UpToDate", "UpToDate", TDX_TCB_UP_TO_DATE, "[]" },
    { "SWHardeningNeeded", "UpToDate", "UpToDate", TDX_TCB_SW_HARDENING_NEEDED, "[\"INTEL-SA-00001\"]" },
    { "ConfigurationNeeded", "UpToDate", "UpToDate", TDX_TCB_CONFIGURATION_NEEDED, "[\"INTEL-SA-00001\"]" },
    { "ConfigurationAndSWHardeningNeeded", "UpToDate", "UpToDate", TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
      "[\"INTEL-SA-00001\"]" },
    { "OutOfDate", "UpToDate", "UpToDate", TDX_TCB_OUT_OF_DATE, "[\"INTEL-SA-00001\"]" },
    { "OutOfDateConfigurationNeeded", "UpToDate", "UpToDate", TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
      "[\"INTEL-SA-00001\"]" },
    { "UpToDate", "OutOfDate", "UpToDate", TDX_TCB_OUT_OF_DATE, "[\"INTEL-SA-00002\"]" },
    { "SWHardeningNeeded", "OutOfDate", "UpToDate", TDX_TCB_OUT_OF_DATE, "[\"INTEL-SA-00001\",\"INTEL-SA-00002\"]" },
    { "ConfigurationNeeded", "OutOfDate", "UpToDate", TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
      "[\"INTEL-SA-00001\",\"INTEL-SA-00002\"]" },
    { "ConfigurationAndSWHardeningNeeded", "UpToDate", "OutOfDate", TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
      "[\"INTEL-SA-00001\",\"INTEL-SA-00003\"]" },
    { "UpToDate", "UpToDate", "OutOfDate", TDX_TCB_OUT_OF_DATE, "[\"INTEL-SA-00003\"]" },
    { "UpToDate", "Revoked", "UpToDate", TDX_TCB_REVOKED, "[\"INTEL-SA-00002\"]" },
    { "UpToDate", "UpToDate", "Revoked", TDX_TCB_REVOKED, "[\"INTEL-SA-00003\"]" },
    { "Revoked", "UpToDate", "UpToDate", TDX_TCB_REVOKED, "[\"INTEL-SA-00001\"]" },
};

START_TEST(tcb_statuses_combine_as_intels_qvl)
{
    const struct status_case *c = &status_cases[_i];
    char module[256], want[128];
    struct run r;

    add_level(c->platform, 5, 11, 0, 0, 3, strcmp(c->platform, "UpToDate") ? "\"INTEL-SA-00001\"" : NULL);
    snprintf(module, sizeof(module), "{\"tcb\":{\"isvsvn\":6},\"tcbStatus\":\"%s\"%s}", c->module,
             strcmp(c->module, "UpToDate") ? ",\"advisoryIDs\":[\"INTEL-SA-00002\"]" : "");
    add_identity("TDX_01", module);
    snprintf(F.qe_levels, sizeof(F.qe_levels), "[{\"tcb\":{\"isvsvn\":8},\"tcbStatus\":\"%s\"%s}]", c->qe,
             strcmp(c->qe, "UpToDate") ? ",\"advisoryIDs\":[\"INTEL-SA-00003\"]" : "");
    verify_fixture(all_statuses, &r);
    ck_assert_int_eq(r.status, c->want);
    snprintf(want, sizeof(want), "\"advisory_ids\":%s", c->advisories);
    ck_assert_contains(r.json, want);
    snprintf(want, sizeof(want), "\"platform_tcb_status\":\"%s\"", c->platform);
    ck_assert_contains(r.json, want);
    if (c->want == TDX_TCB_REVOKED) {
        ck_assert_int_eq(r.code, -EKEYREVOKED);
        ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TCB_STATUS);
        ck_assert_contains(r.message, "TCB status Revoked");
    } else {
        ck_assert_msg(r.code == 0, "%s", r.message);
    }
}
END_TEST

START_TEST(first_matching_level_decides)
{
    struct run r;
    /* Level 1 wants more than the PCK has, level 2 more PCESVN, level 3 a
     * higher TDX late microcode SVN than TEE_TCB_SVN[2]; level 4 fits. */
    add_level("UpToDate", 6, 11, 0, 0, 3, NULL);
    add_level("SWHardeningNeeded", 5, 12, 0, 0, 3, "\"INTEL-SA-00010\"");
    add_level("ConfigurationNeeded", 5, 11, 0, 0, 4, "\"INTEL-SA-00011\"");
    add_level("OutOfDate", 5, 11, 0, 0, 3, "\"INTEL-SA-00012\",\"INTEL-SA-00010\"");
    add_identity("TDX_01", up[0]);
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.code, -EPERM);
    ck_assert_int_eq(r.status, TDX_TCB_OUT_OF_DATE);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TCB_STATUS);
    ck_assert_str_eq(r.message, "TCB status OutOfDate is not accepted (accepted: UpToDate); advisories: "
                                "INTEL-SA-00010, INTEL-SA-00012");
    verify_fixture((const char *const[]){ "UpToDate", "OutOfDate", NULL }, &r);
    ck_assert_int_eq(r.code, 0);
    ck_assert_contains(r.json, "\"advisory_ids\":[\"INTEL-SA-00010\",\"INTEL-SA-00012\"]");
}
END_TEST

/* With TEE_TCB_SVN[1] (module version) 0 the tdxModule identity applies and
 * TDX components 0 and 1 count; with version 1 they are skipped. */
START_TEST(tdx_components_0_and_1_count_only_without_a_module_version)
{
    struct run r;
    add_level("UpToDate", 5, 11, 9, 9, 3, NULL);
    add_level("OutOfDate", 5, 11, 0, 0, 3, NULL);
    add_identity("TDX_01", up[0]);
    verify_fixture(all_statuses, &r);
    ck_assert_int_eq(r.code, 0);
    ck_assert_int_eq(r.status, TDX_TCB_UP_TO_DATE);

    F.quote.body[1] = 0;
    verify_fixture(all_statuses, &r);
    ck_assert_int_eq(r.code, 0);
    ck_assert_int_eq(r.status, TDX_TCB_OUT_OF_DATE);
    ck_assert_contains(r.json, "\"tdx_module_tcb_status\":null");
}
END_TEST

START_TEST(tdx_module_identity_rules)
{
    struct run r;
    add_level("UpToDate", 5, 11, 0, 0, 3, NULL);
    add_identity("TDX_01", "{\"tcb\":{\"isvsvn\":7},\"tcbStatus\":\"UpToDate\"}");
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.code, -EKEYREJECTED);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TDX_MODULE);
    ck_assert_str_eq(r.message, "TDX module ISVSVN 6 (TEE_TCB_SVN[0]) is below every TCB level of TDX_01");

    F.quote.body[1] = 2;
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TDX_MODULE);
    ck_assert_contains(r.message, "no TDX module identity TDX_02 (TEE_TCB_SVN[1] = 2) in the TCB info");

    F.quote.body[1] = 1;
    F.identities[0] = '\0';
    add_identity("tdx_01", up[0]);      /* ids compare case-insensitively */
    F.quote.body[64] = 0xaa;            /* MRSIGNERSEAM */
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TDX_MODULE);
    ck_assert_contains(r.message, "MRSIGNERSEAM aa0000");
    ck_assert_contains(r.message, "differs from TDX_01's mrsigner 0000");

    F.quote.body[64] = 0;
    F.quote.body[112] = 0x01;           /* SEAMATTRIBUTES */
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TDX_MODULE);
    ck_assert_contains(r.message, "SEAMATTRIBUTES 0100000000000000 do not match TDX_01's attributes");

    F.quote.body[112] = 0;
    verify_fixture(NULL, &r);
    ck_assert_msg(r.code == 0, "%s", r.message);
}
END_TEST

/* TDX 1.5 (QVL checkForRelaunch): launched on an OutOfDate module
 * (TEE_TCB_SVN), running on the latest (TEE_TCB_SVN2): TDRelaunchAdvised. */
START_TEST(tdx15_relaunch_advised)
{
    static const char *const relaunch[] = { "TDRelaunchAdvised", "TDRelaunchAdvisedConfigurationNeeded",
                                            "OutOfDate", "OutOfDateConfigurationNeeded", NULL };
    static const char *const module_levels = "{\"tcb\":{\"isvsvn\":7},\"tcbStatus\":\"UpToDate\"},"
                                             "{\"tcb\":{\"isvsvn\":6},\"tcbStatus\":\"OutOfDate\","
                                             "\"advisoryIDs\":[\"INTEL-SA-00020\"]}";
    struct run r;

    F.quote.version = 5;
    F.quote.body_type = 3;
    F.quote.body[584] = 7;              /* TEE_TCB_SVN2: the running module, ISVSVN 7 */
    F.quote.body[585] = 1;
    F.quote.body[586] = 3;
    add_level("UpToDate", 5, 11, 0, 0, 3, NULL);
    add_identity("TDX_01", module_levels);
    verify_fixture(relaunch, &r);
    ck_assert_msg(r.code == 0, "%s", r.message);
    ck_assert_int_eq(r.status, TDX_TCB_TD_RELAUNCH_ADVISED);
    ck_assert_contains(r.json, "\"tcb_status\":\"TDRelaunchAdvised\"");
    ck_assert_contains(r.json, "\"tdx_module_tcb_status\":\"OutOfDate\"");
    ck_assert_contains(r.json, "\"advisory_ids\":[\"INTEL-SA-00020\"]");
    /* Never accepted unless named. */
    verify_fixture((const char *const[]){ "UpToDate", "OutOfDate", NULL }, &r);
    ck_assert_int_eq(r.code, -EPERM);
    ck_assert_contains(r.message, "TCB status TDRelaunchAdvised is not accepted");

    /* The running module is no newer: OutOfDate, as in TDX 1.0. */
    F.quote.body[584] = 6;
    verify_fixture(relaunch, &r);
    ck_assert_int_eq(r.status, TDX_TCB_OUT_OF_DATE);
    /* A v4-style TDX 1.0 body never gets the relaunch status. */
    F.quote.body[584] = 7;
    F.quote.version = 4;
    F.quote.body_type = 2;
    verify_fixture(relaunch, &r);
    ck_assert_int_eq(r.status, TDX_TCB_OUT_OF_DATE);
    F.quote.version = 5;
    F.quote.body_type = 3;

    /* A late microcode update missing (TEE_TCB_SVN2[2] below the latest
     * level's): no relaunch helps. */
    F.quote.body[586] = 2;
    verify_fixture(relaunch, &r);
    ck_assert_int_eq(r.status, TDX_TCB_OUT_OF_DATE);
    F.quote.body[586] = 3;

    /* Configuration needed on the platform carries over. */
    F.levels[0] = '\0';
    add_level("ConfigurationNeeded", 5, 11, 0, 0, 3, "\"INTEL-SA-00021\"");
    verify_fixture(relaunch, &r);
    ck_assert_msg(r.code == 0, "%s", r.message);
    ck_assert_int_eq(r.status, TDX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED);
    ck_assert_contains(r.json, "\"tcb_status\":\"TDRelaunchAdvisedConfigurationNeeded\"");

    /* An OutOfDate QE rules the relaunch out. */
    snprintf(F.qe_levels, sizeof(F.qe_levels), "[{\"tcb\":{\"isvsvn\":8},\"tcbStatus\":\"OutOfDate\"}]");
    verify_fixture(relaunch, &r);
    ck_assert_int_eq(r.status, TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED);

    /* The running module's identity must be in the TCB info. */
    snprintf(F.qe_levels, sizeof(F.qe_levels), "[{\"tcb\":{\"isvsvn\":8},\"tcbStatus\":\"UpToDate\"}]");
    F.quote.body[585] = 2;
    verify_fixture(relaunch, &r);
    ck_assert_int_eq(r.code, -EKEYREJECTED);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TCB_STATUS);
    ck_assert_contains(r.message, "no TDX module identity TDX_02 (TEE_TCB_SVN2[1] = 2, the running module)");
}
END_TEST

/* accept_advisories: a status is accepted only with known advisories. */
START_TEST(advisory_ids_policy)
{
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    struct run r;

    add_level("SWHardeningNeeded", 5, 11, 0, 0, 3, "\"INTEL-SA-00615\",\"INTEL-SA-00837\"");
    add_identity("TDX_01", up[0]);
    o.accept_tcb = all_statuses;
    o.accept_advisories = (const char *const[]){ "INTEL-SA-00615", NULL };
    verify_fixture_with(&o, false, &r);
    ck_assert_int_eq(r.code, -EPERM);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TCB_STATUS);
    ck_assert_str_eq(r.message, "TCB status SWHardeningNeeded comes with advisory INTEL-SA-00837, which is not "
                                "accepted (accepted: INTEL-SA-00615)");
    o.accept_advisories = (const char *const[]){ "INTEL-SA-00837", "INTEL-SA-00615", NULL };
    verify_fixture_with(&o, true, &r);
    ck_assert_msg(r.code == 0, "%s", r.message);
}
END_TEST

START_TEST(qe_identity_must_match_the_qe_report)
{
    static const struct {
        const char *extra;
        const char *message;
    } cases[] = {
        { "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
          "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"isvprodid\":2,",
          "QE report MRSIGNER dc9e2a7c" },
        { "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
          "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5\",\"isvprodid\":3,",
          "QE report ISVPRODID 2 differs from the QE identity's 3" },
        { "\"miscselect\":\"01000000\",\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
          "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5\",\"isvprodid\":2,",
          "QE report MISCSELECT 00000000 does not match the QE identity's 01000000 under its mask" },
        { "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"13000000000000000000000000000000\","
          "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5\",\"isvprodid\":2,",
          "QE report ATTRIBUTES 1500000000000000e700000000000000 do not match" },
    };
    struct run r;
    add_level("UpToDate", 5, 11, 0, 0, 3, NULL);
    add_identity("TDX_01", up[0]);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(F.qe_extra, sizeof(F.qe_extra), "%s", cases[i].extra);
        verify_fixture(NULL, &r);
        ck_assert_int_eq(r.step, TDX_VERIFY_STEP_QE_IDENTITY);
        ck_assert_int_eq(r.code, -EKEYREJECTED);
        ck_assert_contains(r.message, cases[i].message);
    }
    F.qe_extra[0] = '\0';
    snprintf(F.qe_levels, sizeof(F.qe_levels), "[{\"tcb\":{\"isvsvn\":9},\"tcbStatus\":\"UpToDate\"}]");
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_QE_IDENTITY);
    ck_assert_str_eq(r.message, "QE report ISVSVN 8 is below every TCB level of the QE identity");
}
END_TEST

/* A CRL that lists the PCK certificate (or the intermediate, or the TCB
 * signing certificate) makes verification fail. */
START_TEST(revoked_certificates_fail)
{
    struct run r;
    add_level("UpToDate", 5, 11, 0, 0, 3, NULL);
    add_identity("TDX_01", up[0]);
    verify_fixture(NULL, &r);
    ck_assert_msg(r.code == 0, "%s", r.message);

    F.pck_revoked = F.pki.pck;
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.code, -EKEYREVOKED);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_CRL);
    ck_assert_contains(r.message, "PCK certificate (serial 03) is revoked by the PCK CRL (");
    ck_assert_contains(r.message, "pckcrl.der) since ");

    F.pck_revoked = NULL;
    F.root_revoked = F.pki.ca;
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_CRL);
    ck_assert_contains(r.message, "intermediate CA (serial 02) is revoked by the root CA CRL");

    F.root_revoked = F.pki.tcb;
    verify_fixture(NULL, &r);
    ck_assert_contains(r.message, "TCB signing certificate (serial 04) is revoked by the root CA CRL");

    F.root_revoked = NULL;
    F.crl_signed_by_root = true;
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.code, -EKEYREJECTED);
    ck_assert_contains(r.message, "pckcrl.der) is not signed by CN=Test SGX PCK Platform CA");
}
END_TEST

/* With its issuer chain the PCK CRL is checked once, at load, against the
 * chain's CA; without, or with a CA that is not the quote's, against the
 * quote's intermediate each time. Either way a CRL the CA did not sign is
 * refused, and a revoked PCK certificate is found. */
START_TEST(pck_crl_issuer_chain)
{
    struct testpki other;
    struct testpki_options po = { .fmspc = { 9 } };
    struct run r;

    add_level("UpToDate", 5, 11, 0, 0, 3, NULL);
    add_identity("TDX_01", up[0]);
    F.pck_crl_chain = true;
    verify_fixture(NULL, &r);
    ck_assert_msg(r.code == 0, "%s", r.message);
    F.crl_signed_by_root = true;
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_CRL);
    ck_assert_contains(r.message, "pckcrl.der) is not signed by CN=Test SGX PCK Platform CA");
    F.crl_signed_by_root = false;
    F.pck_revoked = F.pki.pck;
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.code, -EKEYREVOKED);
    ck_assert_contains(r.message, "PCK certificate (serial");
    F.pck_revoked = NULL;
    /* A CA of another PKI in the chain (same name, not the root's): the
     * CRL is checked against the quote's own intermediate instead. */
    testpki_init(&other, &po);
    F.pck_crl_chain_ca = other.ca;
    verify_fixture(NULL, &r);
    ck_assert_msg(r.code == 0, "%s", r.message);
    F.crl_signed_by_root = true;
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_CRL);
    testpki_free(&other);
}
END_TEST

START_TEST(missing_and_mismatched_collateral)
{
    struct run r;
    char path[600];
    add_level("UpToDate", 5, 11, 0, 0, 3, NULL);
    add_identity("TDX_01", up[0]);

    F.no_qe_identity = true;
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.code, -ENOENT);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_COLLATERAL);
    ck_assert_contains(r.message, "no QE identity in ");

    F.no_qe_identity = false;
    F.no_pck_crl = true;
    snprintf(path, sizeof(path), "%s/pckcrl.der", F.dir);
    unlink(path);
    verify_fixture(NULL, &r);
    ck_assert_contains(r.message, "no PCK CRL issued by CN=Test SGX PCK Platform CA in ");

    F.no_pck_crl = false;
    {
        /* Only another platform's TCB info. */
        tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
        char *other = read_text(testdata("collateral/go-tdx-guest/sample_tcbInfo_response"), NULL);
        write_collateral();
        write_text(F.dir, "tcbinfo.json", other);
        free(other);
        verify_fixture_with(&o, true, &r);
        ck_assert_int_eq(r.code, -ENOENT);
        ck_assert_int_eq(r.step, TDX_VERIFY_STEP_COLLATERAL);
        ck_assert_contains(r.message, "no TCB info for FMSPC 112233445566 in ");
    }
    snprintf(F.pceid, sizeof(F.pceid), "0100");
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_TCB_INFO);
    ck_assert_contains(r.message, "the PCK certificate's PCE ID 0000 differs from the TCB info's 0100");

    snprintf(F.pceid, sizeof(F.pceid), "0000");
    F.next = F.now - 60;
    verify_fixture(NULL, &r);
    ck_assert_int_eq(r.code, -EKEYEXPIRED);
    ck_assert_int_eq(r.step, TDX_VERIFY_STEP_CRL);
    ck_assert_contains(r.message, "root CA CRL (");
    ck_assert_contains(r.message, "rootcrl.der) expired: nextUpdate ");
}
END_TEST

START_TEST(tcb_evaluation_number_policy)
{
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    struct run r;

    add_level("UpToDate", 5, 11, 0, 0, 3, NULL);
    add_identity("TDX_01", up[0]);
    o.min_tcb_evaluation = 17;
    verify_fixture_with(&o, false, &r);
    ck_assert_int_eq(r.code, 0);
    o.min_tcb_evaluation = 18;
    verify_fixture_with(&o, true, &r);
    ck_assert_int_eq(r.code, -EPERM);
    ck_assert_str_eq(r.message, "the TCB info's tcbEvaluationDataNumber 17 is below the required 18");
}
END_TEST

static void expect_load_failure(const char *fragment, int code)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;

    vo.collateral = F.dir;
    vo.root_pem = F.root_pem;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), code);
    ck_assert_contains(err.message, fragment);
    tdx_verifier_free(v);
}

START_TEST(malformed_collateral_is_named_by_path)
{
    char *copy;
    add_level("UpToDate", 595, 11, 0, 0, 3, NULL);
    add_identity("TDX_01", up[0]);
    write_collateral();
    expect_load_failure("tcbinfo.json: tcbInfo.tcbLevels[0].tcb.sgxtcbcomponents[0].svn: expected an integer from 0 to 255, got 595",
                        -EBADMSG);

    F.levels[0] = '\0';
    add_level("UpToDate", 5, 11, 0, 0, 3, NULL);
    copy = strdup(F.levels);
    *strstr(F.levels, "UpToDate") = 'X';
    write_collateral();
    expect_load_failure("tcbinfo.json: tcbInfo.tcbLevels[0].tcbStatus: unknown status \"XpToDate\"", -EBADMSG);

    strcpy(F.levels, copy);
    write_collateral();
    {
        char *other = read_text(testdata("collateral/go-tdx-guest/sample_tcbInfo_response"), NULL);
        write_text(F.dir, "second-tcbinfo.json", other);
        free(other);
    }
    expect_load_failure("", 0);                 /* another FMSPC: fine */
    {
        char path[600], *again;
        snprintf(path, sizeof(path), "%s/tcbinfo.json", F.dir);
        again = read_text(path, NULL);
        write_text(F.dir, "z-tcbinfo.json", again);
        free(again);
    }
    expect_load_failure("z-tcbinfo.json: a second TCB info for FMSPC 112233445566 (first: ", -EINVAL);
    write_text(F.dir, "z-tcbinfo.json", "just text");
    expect_load_failure("z-tcbinfo.json: not collateral (expected a TCB info or QE identity response", -EBADMSG);
    write_text(F.dir, "z-tcbinfo.json", "{\"tcbInfo\": 1}");
    expect_load_failure("z-tcbinfo.json: not a PCS response", -EBADMSG);
    /* The signed text's own members, by their JSON path. */
    {
        char sig[129], text[400];
        memset(sig, 'a', 128);
        sig[128] = '\0';
        snprintf(text, sizeof(text), "{\"tcbInfo\": {\"id\": \"TDX\"}, \"signature\": \"%s\"}", sig);
        write_text(F.dir, "z-tcbinfo.json", text);
        expect_load_failure("z-tcbinfo.json: tcbInfo.version: required", -EBADMSG);
        snprintf(text, sizeof(text), "{\"tcbInfo\": {\"id\": \"TDX\", \"version\": \"3\"}, \"signature\": \"%s\"}", sig);
        write_text(F.dir, "z-tcbinfo.json", text);
        expect_load_failure("z-tcbinfo.json: tcbInfo.version: expected an integer, got a string", -EBADMSG);
    }
    write_text(F.dir, "z-tcbinfo.json", "{\"tcbInfo\": \"\\u0000\"}");
    expect_load_failure("z-tcbinfo.json:1:20: NUL byte in string", -EBADMSG);
    /* One dcap-qvl JSON file: its members by name. */
    {
        tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
        tdx_error err = TDX_ERROR_INIT;
        tdx_verifier *v = NULL;
        char path[600];
        snprintf(path, sizeof(path), "%s/z-tcbinfo.json", F.dir);
        write_text(F.dir, "z-tcbinfo.json", "{\"tcb_info\": 5}");
        vo.collateral = path;
        vo.root_pem = F.root_pem;
        ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), -EBADMSG);
        ck_assert_str_eq(err.message + strlen(path), ": tcb_info: expected a string, got an integer");
        ck_assert_int_eq(tdx_verifier_new(&v, &vo, NULL), -EBADMSG);
    }
    free(copy);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("collateral");
    TCase *real = tcase_create("real");
    TCase *pki = tcase_create("test-pki");

    tcase_add_loop_test(real, dcap_qvl_quote_is_up_to_date_with_its_collateral, 0, 3);
    tcase_add_test(real, collateral_outside_its_window_fails_saying_so);
    tcase_add_test(real, dcap_qvl_outdated_quote_matches_no_tcb_level);
    tcase_add_test(real, go_tdx_guest_directory);
    tcase_add_test(real, tampered_real_collateral_is_refused);
    tcase_add_test(real, one_parsed_collateral_shared_by_threads);
    tcase_add_test(real, parsed_collateral_references_and_roots);
    suite_add_tcase(s, real);
    tcase_add_checked_fixture(pki, fixture_setup, fixture_teardown);
    tcase_add_loop_test(pki, tcb_statuses_combine_as_intels_qvl, 0,
                        (int)(sizeof(status_cases) / sizeof(status_cases[0])));
    tcase_add_test(pki, first_matching_level_decides);
    tcase_add_test(pki, tdx_components_0_and_1_count_only_without_a_module_version);
    tcase_add_test(pki, tdx_module_identity_rules);
    tcase_add_test(pki, tdx15_relaunch_advised);
    tcase_add_test(pki, advisory_ids_policy);
    tcase_add_test(pki, pck_crl_issuer_chain);
    tcase_add_test(pki, qe_identity_must_match_the_qe_report);
    tcase_add_test(pki, revoked_certificates_fail);
    tcase_add_test(pki, missing_and_mismatched_collateral);
    tcase_add_test(pki, tcb_evaluation_number_policy);
    tcase_add_test(pki, malformed_collateral_is_named_by_path);
    suite_add_tcase(s, pki);
    return run_suite(s);
}
