/* SPDX-License-Identifier: MIT */
/*
 * Collateral fetched over HTTP from a real server on 127.0.0.1 that answers
 * Intel's v4 PCS/PCCS paths: the real dcap-qvl collateral for the real
 * quote, then a test PKI for the root CA CRL distribution point. Checks the
 * result, the memory and disk caches, and the failures a fetch can have.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "helpers.h"
#include "hex.h"
#include "httpd.h"
#include "quotes.h"
#include "testpki.h"

struct served {
    char *tcb_body, *qe_body, *tcb_headers, *qe_headers, *crl_headers;
    uint8_t *pck_crl, *root_crl_hex;
    size_t pck_crl_size, root_crl_hex_size;
    struct route routes[4];
};

static char *header(const char *name, const char *pem)
{
    char *enc = url_encode(pem), *out = NULL;
    ck_assert(asprintf(&out, "%s: %s\r\n", name, enc) > 0);
    free(enc);
    return out;
}

/* The dcap-qvl collateral JSON turned back into the PCCS responses it came from. */
static void serve_dcap_collateral(struct served *s, const char *tcb_target)
{
    json_t *j = json_load_file(testdata("collateral/dcap-qvl/tdx_quote_collateral.json"), 0, NULL);
    const char *pck_hex;

    ck_assert_ptr_nonnull(j);
#define STR(k) json_string_value(json_object_get(j, k))
    ck_assert(asprintf(&s->tcb_body, "{\"tcbInfo\":%s,\"signature\":\"%s\"}", STR("tcb_info"),
                       STR("tcb_info_signature")) > 0);
    ck_assert(asprintf(&s->qe_body, "{\"enclaveIdentity\":%s,\"signature\":\"%s\"}", STR("qe_identity"),
                       STR("qe_identity_signature")) > 0);
    s->tcb_headers = header("TCB-Info-Issuer-Chain", STR("tcb_info_issuer_chain"));
    s->qe_headers = header("SGX-Enclave-Identity-Issuer-Chain", STR("qe_identity_issuer_chain"));
    s->crl_headers = header("SGX-PCK-CRL-Issuer-Chain", STR("pck_crl_issuer_chain"));
    pck_hex = STR("pck_crl");
    s->pck_crl = malloc(strlen(pck_hex) / 2);
    s->pck_crl_size = (size_t)hex_decode(pck_hex, s->pck_crl, strlen(pck_hex) / 2);
    /* A PCCS serves the root CA CRL hex-encoded. */
    s->root_crl_hex = (uint8_t *)strdup(STR("root_ca_crl"));
    s->root_crl_hex_size = strlen((char *)s->root_crl_hex);
#undef STR
    json_decref(j);
    s->routes[0] = (struct route){ "/sgx/certification/v4/pckcrl?ca=platform&encoding=der", 200, s->crl_headers,
                                   s->pck_crl, s->pck_crl_size };
    s->routes[1] = (struct route){ tcb_target, 200, s->tcb_headers, s->tcb_body, strlen(s->tcb_body) };
    s->routes[2] = (struct route){ "/tdx/certification/v4/qe/identity", 200, s->qe_headers, s->qe_body,
                                   strlen(s->qe_body) };
    s->routes[3] = (struct route){ "/sgx/certification/v4/rootcacrl", 200, NULL, s->root_crl_hex,
                                   s->root_crl_hex_size };
}

static void served_free(struct served *s)
{
    free(s->tcb_body);
    free(s->qe_body);
    free(s->tcb_headers);
    free(s->qe_headers);
    free(s->crl_headers);
    free(s->pck_crl);
    free(s->root_crl_hex);
}

static int verify_with(const char *url, const char *cache, const char *root_pem, const tdx_quote *q, long long now,
                       char *message, size_t size)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;
    int r;

    vo.pccs_url = url;
    vo.cache_dir = cache;
    vo.root_pem = root_pem;
    vo.fetch_timeout = 10;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), 0);
    o.now = now;
    r = tdx_verifier_verify(v, q, &o, NULL, &err);
    snprintf(message, size, "%s", err.message);
    tdx_verifier_free(v);
    return r;
}

START_TEST(fetches_from_a_pccs_and_caches)
{
    char *dir = tmpdir_new(), log[512], url[64], cache[512], msg[TDX_ERROR_MESSAGE_SIZE], path[600];
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;
    tdx_verification *res = NULL;
    tdx_quote *q = NULL;
    struct served s = { 0 };
    struct httpd h;
    struct stat st;

    snprintf(log, sizeof(log), "%s/requests.log", dir);
    snprintf(cache, sizeof(cache), "%s/cache/collateral", dir);
    ck_assert_int_eq(tdx_quote_load_file(&q, testdata("quotes/dcapqvl_v4.dat"), &err), 0);
    serve_dcap_collateral(&s, "/tdx/certification/v4/tcb?fmspc=B0C06F000000");
    httpd_listen(&h, log);
    httpd_serve(&h, s.routes, 4);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", h.port);

    vo.pccs_url = url;
    vo.cache_dir = cache;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), 0);
    o.now = at("2025-07-10T00:00:00Z");
    ck_assert_msg(tdx_verifier_verify(v, q, &o, &res, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tdx_verification_tcb_status(res), TDX_TCB_UP_TO_DATE);
    tdx_verification_free(res);
    ck_assert_int_eq(httpd_requests(&h), 4);
    /* The verifier keeps what it fetched while it is valid. */
    ck_assert_int_eq(tdx_verifier_verify(v, q, &o, NULL, &err), 0);
    ck_assert_int_eq(httpd_requests(&h), 4);
    tdx_verifier_free(v);

    /* The responses are on disk as a collateral directory ... */
    snprintf(path, sizeof(path), "%s/b0c06f000000-platform/tcbinfo-issuer-chain.pem", cache);
    ck_assert_int_eq(stat(path, &st), 0);
    snprintf(path, sizeof(path), "%s/b0c06f000000-platform", cache);
    {
        tdx_verifier_options fo = TDX_VERIFIER_OPTIONS_INIT;
        fo.collateral = path;
        ck_assert_int_eq(tdx_verifier_new(&v, &fo, &err), 0);
        ck_assert_int_eq(tdx_verifier_verify(v, q, &o, NULL, &err), 0);
        tdx_verifier_free(v);
    }
    /* ... which a new verifier uses without the server. */
    httpd_stop(&h);
    ck_assert_msg(verify_with(url, cache, NULL, q, o.now, msg, sizeof(msg)) == 0, "%s", msg);
    /* Once the cached set has expired it must be fetched again, and with
     * the server gone that fails at the collateral step. */
    ck_assert_int_eq(verify_with(url, cache, NULL, q, at("2025-08-01T00:00:00Z"), msg, sizeof(msg)), -ECONNREFUSED);
    ck_assert_contains(msg, "collateral: GET http://127.0.0.1:");
    ck_assert_contains(msg, "/sgx/certification/v4/pckcrl?ca=platform&encoding=der: ");

    tdx_quote_free(q);
    served_free(&s);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(fetch_failures_are_named)
{
    char *dir = tmpdir_new(), log[512], url[64], msg[TDX_ERROR_MESSAGE_SIZE];
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *q = NULL;
    struct served s = { 0 };
    struct httpd h;
    long long now = at("2025-07-10T00:00:00Z");

    snprintf(log, sizeof(log), "%s/requests.log", dir);
    ck_assert_int_eq(tdx_quote_load_file(&q, testdata("quotes/dcapqvl_v4.dat"), &err), 0);

    /* The server does not know this FMSPC. */
    serve_dcap_collateral(&s, "/tdx/certification/v4/tcb?fmspc=000000000000");
    httpd_listen(&h, log);
    httpd_serve(&h, s.routes, 4);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", h.port);
    ck_assert_int_eq(verify_with(url, NULL, NULL, q, now, msg, sizeof(msg)), -ENOENT);
    ck_assert_contains(msg, "/tdx/certification/v4/tcb?fmspc=B0C06F000000: HTTP 404");
    httpd_stop(&h);

    /* A response without its issuer chain. */
    s.routes[1].target = "/tdx/certification/v4/tcb?fmspc=B0C06F000000";
    s.routes[1].headers = NULL;
    httpd_listen(&h, log);
    httpd_serve(&h, s.routes, 4);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", h.port);
    ck_assert_int_eq(verify_with(url, NULL, NULL, q, now, msg, sizeof(msg)), -EBADMSG);
    ck_assert_contains(msg, "no TCB-Info-Issuer-Chain header");
    httpd_stop(&h);

    tdx_quote_free(q);
    served_free(&s);
    tmpdir_remove(dir);
}
END_TEST

/* Intel's PCS has no rootcacrl path: the root CA CRL then comes from the
 * root certificate's CRL distribution point. Test PKI, so the point can be
 * on this server. */
START_TEST(root_crl_from_the_distribution_point)
{
    char *dir = tmpdir_new(), log[512], url[64], dp[128], msg[TDX_ERROR_MESSAGE_SIZE], *root_pem, *text = NULL;
    char *tcb_body, *qe_body, *tcb_chain, *chain_header, *pck_header, *ca_pem;
    struct testpki_options po = { .fmspc = { 0xab, 0xcd, 0xef, 0, 1, 2 }, .pcesvn = 11 };
    struct testpki pki;
    struct testquote tq;
    struct httpd h;
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *q = NULL;
    uint8_t *quote, *root_crl, *pck_crl;
    size_t quote_size, root_crl_size, pck_crl_size;
    int64_t now = (int64_t)time(NULL);
    char issue[32], next[32];

    snprintf(log, sizeof(log), "%s/requests.log", dir);
    httpd_listen(&h, log);
    snprintf(dp, sizeof(dp), "http://127.0.0.1:%d/IntelSGXRootCA.der", h.port);
    po.root_crl_url = dp;
    for (int i = 0; i < 8; i++)
        po.comp[i] = 4;
    testpki_init(&pki, &po);
    root_pem = testpki_pem(pki.root);
    testquote_init(&tq);
    tq.body[0] = 6;
    quote = testpki_quote(&pki, &tq, &quote_size);
    ck_assert_int_eq(tdx_quote_parse(&q, quote, quote_size, &err), 0);

    strftime(issue, sizeof(issue), "%Y-%m-%dT%H:%M:%SZ", gmtime(&(time_t){ (time_t)(now - 3600) }));
    strftime(next, sizeof(next), "%Y-%m-%dT%H:%M:%SZ", gmtime(&(time_t){ (time_t)(now + 86400) }));
    ck_assert(asprintf(&text,
                       "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\",\"fmspc\":\"ABCDEF000102\","
                       "\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":19,\"tdxModule\":{\"mrsigner\":\"%096d\","
                       "\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},"
                       "\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\":[{\"svn\":4},{\"svn\":4},{\"svn\":4},{\"svn\":4},"
                       "{\"svn\":4},{\"svn\":4},{\"svn\":4},{\"svn\":4},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
                       "{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}],\"pcesvn\":11,\"tdxtcbcomponents\":[{\"svn\":0},"
                       "{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
                       "{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}]},"
                       "\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"SWHardeningNeeded\","
                       "\"advisoryIDs\":[\"INTEL-SA-00615\"]}]}",
                       issue, next, 0) > 0);
    tcb_body = testpki_sign_json(&pki, "tcbInfo", text);
    free(text);
    ck_assert(asprintf(&text,
                       "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\",\"tcbEvaluationDataNumber\":19,"
                       "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
                       "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
                       "\"mrsigner\":\"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5\",\"isvprodid\":2,"
                       "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":8},\"tcbStatus\":\"UpToDate\"}]}",
                       issue, next) > 0);
    qe_body = testpki_sign_json(&pki, "enclaveIdentity", text);
    free(text);
    {
        char *a = testpki_pem(pki.tcb);
        ck_assert(asprintf(&tcb_chain, "%s%s", a, root_pem) > 0);
        free(a);
        ca_pem = testpki_pem(pki.ca);
        ck_assert(asprintf(&text, "%s%s", ca_pem, root_pem) > 0);
        pck_header = header("SGX-PCK-CRL-Issuer-Chain", text);
        free(text);
        free(ca_pem);
    }
    root_crl = testpki_crl(pki.root, pki.root_key, NULL, 0, now - 3600, now + 86400, &root_crl_size);
    pck_crl = testpki_crl(pki.ca, pki.ca_key, NULL, 0, now - 3600, now + 86400, &pck_crl_size);
    {
        char *tcb_header = header("TCB-Info-Issuer-Chain", tcb_chain);
        chain_header = header("SGX-Enclave-Identity-Issuer-Chain", tcb_chain);
        struct route routes[] = {
            { "/sgx/certification/v4/pckcrl?ca=platform&encoding=der", 200, pck_header, pck_crl, pck_crl_size },
            { "/tdx/certification/v4/tcb?fmspc=ABCDEF000102", 200, tcb_header, tcb_body, strlen(tcb_body) },
            { "/tdx/certification/v4/qe/identity", 200, chain_header, qe_body, strlen(qe_body) },
            { "/IntelSGXRootCA.der", 200, NULL, root_crl, root_crl_size },
        };
        httpd_serve(&h, routes, 4);
        snprintf(url, sizeof(url), "http://127.0.0.1:%d", h.port);
        ck_assert_msg(verify_with(url, NULL, root_pem, q, TDX_UNSET, msg, sizeof(msg)) == -EPERM, "%s", msg);
        ck_assert_str_eq(msg, "tcb_status: TCB status SWHardeningNeeded is not accepted (accepted: UpToDate); "
                              "advisories: INTEL-SA-00615");
        /* rootcacrl (404), then the distribution point. */
        ck_assert_int_eq(httpd_requests(&h), 5);
        httpd_stop(&h);
        free(tcb_header);
    }
    tdx_quote_free(q);
    free(quote);
    free(root_crl);
    free(pck_crl);
    free(tcb_body);
    free(qe_body);
    free(tcb_chain);
    free(chain_header);
    free(pck_header);
    free(root_pem);
    testpki_free(&pki);
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pccs");
    TCase *tc = tcase_create("fetch");

    tcase_add_test(tc, fetches_from_a_pccs_and_caches);
    tcase_add_test(tc, fetch_failures_are_named);
    tcase_add_test(tc, root_crl_from_the_distribution_point);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
