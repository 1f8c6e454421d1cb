/* SPDX-License-Identifier: MIT */
/* The quote simulator and its test PKI: tdx_sim_pki_create() makes a chain
 * that verifies; the sim provider's quotes pass every check of
 * quote-check.c; a wrong or broken directory is refused with a message. */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "macro.h"
#include "quote-check.h"
#include "quote-provider.h"
#include "sim-pki.h"

static char *make_pki(const uint8_t *mrtd, const uint8_t *rtmr2)
{
    char *dir = tmpdir_new(), *pki = malloc(strlen(dir) + 8);
    tdx_sim_pki_options o = TDX_SIM_PKI_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;

    sprintf(pki, "%s/pki", dir);
    o.mrtd = mrtd;
    o.rtmr[2] = rtmr2;
    ck_assert_msg(tdx_sim_pki_create(pki, &o, &err) == 0, "%s", err.message);
    free(dir);
    return pki;
}

static void remove_pki(char *pki)
{
    char *parent = strdup(pki);
    *strrchr(parent, '/') = '\0';
    tmpdir_remove(parent);
    free(pki);
}

START_TEST(pki_files_and_modes)
{
    char *pki = make_pki(NULL, NULL), path[600];
    static const struct { const char *name; unsigned mode; } files[] = {
        { SIM_PKI_ROOT_CERT, 0644 },       { SIM_PKI_ROOT_KEY, 0600 },
        { SIM_PKI_INTERMEDIATE_CERT, 0644 }, { SIM_PKI_INTERMEDIATE_KEY, 0600 },
        { SIM_PKI_PCK_CERT, 0644 },        { SIM_PKI_PCK_KEY, 0600 },
        { SIM_PKI_ATTESTATION_KEY, 0600 }, { SIM_PKI_MEASUREMENTS, 0644 },
    };
    for (size_t i = 0; i < ELEMENTSOF(files); i++) {
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", pki, files[i].name);
        ck_assert_msg(stat(path, &st) == 0, "%s missing", path);
        ck_assert_uint_eq(st.st_mode & 07777, files[i].mode);
    }
    /* The certificates say what they are. */
    snprintf(path, sizeof(path), "%s/%s", pki, SIM_PKI_ROOT_CERT);
    FILE *f = fopen(path, "r");
    X509 *root = PEM_read_X509(f, NULL, NULL, NULL);
    char subject[256];
    fclose(f);
    ck_assert_ptr_nonnull(root);
    X509_NAME_oneline(X509_get_subject_name(root), subject, sizeof(subject));
    ck_assert_contains(subject, "O=tdx-agent SIMULATION (not Intel)");
    X509_free(root);

    /* An existing, non-empty directory is never replaced. */
    tdx_error err = TDX_ERROR_INIT;
    ck_assert_int_eq(tdx_sim_pki_create(pki, NULL, &err), -EEXIST);
    tdx_sim_pki_options bad = TDX_SIM_PKI_OPTIONS_INIT;
    bad.version = 99;
    ck_assert_int_eq(tdx_sim_pki_create("/tmp/x", &bad, &err), -EINVAL);
    ck_assert_contains(err.message, "tdx_sim_pki_create: unsupported options version 99");
    remove_pki(pki);
}
END_TEST

START_TEST(quotes_verify_and_carry_the_measurements)
{
    uint8_t mrtd[48], rtmr2[48], data[64], data2[64], *q = NULL, *q2 = NULL;
    struct quote_provider *p = NULL;
    struct sim_measurements m;
    char msg[300], root[600], *text, *pki;
    size_t n, n2;
    const char *why;

    memset(mrtd, 0xab, sizeof(mrtd));
    memset(rtmr2, 0x2c, sizeof(rtmr2));
    pki = make_pki(mrtd, rtmr2);
    for (int i = 0; i < 64; i++) {
        data[i] = (uint8_t)i;
        data2[i] = (uint8_t)(255 - i);
    }
    ck_assert_msg(quote_sim_new(pki, &p, msg, sizeof(msg)) == 0, "%s", msg);
    ck_assert_str_eq(p->name, "sim");
    ck_assert(p->simulated);
    ck_assert_int_eq(p->get(p, data, &q, &n, msg, sizeof(msg)), 0);
    ck_assert_int_eq(p->get(p, data2, &q2, &n2, msg, sizeof(msg)), 0);

    snprintf(root, sizeof(root), "%s/%s", pki, SIM_PKI_MEASUREMENTS);
    text = read_text(root, &n2);
    sim_measurements_default(&m);
    ck_assert_int_eq(sim_measurements_parse("m", text, n2, &m, msg, sizeof(msg)), 0);
    free(text);
    ck_assert(memcmp(m.mrtd, mrtd, 48) == 0);
    ck_assert(memcmp(m.rtmr[2], rtmr2, 48) == 0);

    snprintf(root, sizeof(root), "%s/%s", pki, SIM_PKI_ROOT_CERT);
    why = quote_check(q, n, root, data, &m);
    ck_assert_msg(why == NULL, "%s", why);
    why = quote_check(q2, n, root, data2, &m);
    ck_assert_msg(why == NULL, "%s", why);
    ck_assert(memcmp(q + 28, "tdx-agent sim", 13) == 0);   /* marked in the header */

    /* The checks can fail: wrong report data, a flipped body byte, another root. */
    ck_assert_ptr_nonnull(quote_check(q, n, root, data2, NULL));
    q[200] ^= 1;
    why = quote_check(q, n, root, NULL, NULL);
    ck_assert_msg(why && strstr(why, "quote signature"), "%s", why ? why : "accepted");
    q[200] ^= 1;
    q[636 + 134 + 10] ^= 1;   /* inside the QE report */
    why = quote_check(q, n, root, NULL, NULL);
    ck_assert_msg(why && strstr(why, "QE report"), "%s", why ? why : "accepted");
    q[636 + 134 + 10] ^= 1;
    {
        char *other = make_pki(NULL, NULL), other_root[600];
        snprintf(other_root, sizeof(other_root), "%s/%s", other, SIM_PKI_ROOT_CERT);
        why = quote_check(q, n, other_root, NULL, NULL);
        ck_assert_msg(why && strstr(why, "root"), "%s", why ? why : "accepted");
        remove_pki(other);
    }
    free(q);
    free(q2);
    quote_provider_free(p);
    remove_pki(pki);
}
END_TEST


/* Verified against Intel's root (no --root), a simulated quote is named for
 * what it is: its root copies Intel's common name, but the organisation says
 * test PKI, and the message points at the root that does verify it. */
START_TEST(sim_quotes_under_intels_root_name_the_test_root)
{
    struct quote_provider *p = NULL;
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verifier *intel = NULL, *own = NULL;
    tdx_verification *res = NULL;
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *quote = NULL;
    uint8_t data[64] = { 1 }, *q = NULL;
    char msg[300], root[600], *pki = make_pki(NULL, NULL);
    size_t n;

    ck_assert_msg(quote_sim_new(pki, &p, msg, sizeof(msg)) == 0, "%s", msg);
    ck_assert_int_eq(p->get(p, data, &q, &n, msg, sizeof(msg)), 0);
    ck_assert_int_eq(tdx_quote_parse(&quote, q, n, &err), 0);

    ck_assert_int_eq(tdx_verifier_new(&intel, NULL, &err), 0);
    ck_assert_int_eq(tdx_verifier_verify(intel, quote, NULL, &res, &err), -EKEYREJECTED);
    ck_assert_int_eq(tdx_verification_failed_step(res), TDX_VERIFY_STEP_PCK_CHAIN);
    ck_assert_contains(tdx_verification_message(res), "the chain's root (CN=Intel SGX Root CA, "
                                                      "O=" SIM_PKI_ORG ", SHA-256 ");
    ck_assert_contains(tdx_verification_message(res), "is the test root of a simulated quote, "
                                                      "not the trusted root (Intel SGX Root CA, ");
    ck_assert_contains(tdx_verification_message(res), "(--root DIR/root.pem)");
    ck_assert_contains(err.message, "test root of a simulated quote");
    tdx_verification_free(res);
    res = NULL;

    /* Under its own root the chain step passes. */
    snprintf(root, sizeof(root), "%s/%s", pki, SIM_PKI_ROOT_CERT);
    vo.root_file = root;
    ck_assert_msg(tdx_verifier_new(&own, &vo, &err) == 0, "%s", err.message);
    tdx_verifier_verify(own, quote, NULL, &res, &err);
    ck_assert_int_ne(tdx_verification_failed_step(res), TDX_VERIFY_STEP_PCK_CHAIN);
    ck_assert_ptr_null(strstr(tdx_verification_message(res), "test root"));
    tdx_verification_free(res);
    tdx_verifier_free(own);
    tdx_verifier_free(intel);
    tdx_quote_free(quote);
    free(q);
    quote_provider_free(p);
    remove_pki(pki);
}
END_TEST

START_TEST(broken_directories_are_refused)
{
    char *pki = make_pki(NULL, NULL), *other = make_pki(NULL, NULL), path[600], path2[600], msg[300];
    struct quote_provider *p = NULL;

    ck_assert_int_eq(quote_sim_new("/nonexistent", &p, msg, sizeof(msg)), -ENOENT);
    ck_assert_contains(msg, "/nonexistent/measurements.json: cannot read");

    /* A PCK certificate of another key. */
    snprintf(path, sizeof(path), "%s/%s", pki, SIM_PKI_PCK_CERT);
    snprintf(path2, sizeof(path2), "%s/%s", other, SIM_PKI_PCK_CERT);
    ck_assert_int_eq(rename(path2, path), 0);
    ck_assert_int_eq(quote_sim_new(pki, &p, msg, sizeof(msg)), -EINVAL);
    ck_assert_contains(msg, "pck.pem: not a certificate of pck.key");

    /* Bad measurements. */
    write_text(other, SIM_PKI_MEASUREMENTS, "{\"mrtd\": \"00\"}");
    ck_assert_int_eq(quote_sim_new(other, &p, msg, sizeof(msg)), -EINVAL);
    ck_assert_contains(msg, "mrtd: expected 96 hex digits");
    write_text(other, SIM_PKI_MEASUREMENTS, "{\"mrtdd\": \"00\"}");
    ck_assert_int_eq(quote_sim_new(other, &p, msg, sizeof(msg)), -EINVAL);
    ck_assert_contains(msg, "measurements.json: mrtdd: unknown key; did you mean \"mrtd\"?");

    /* Not a key. */
    write_text(other, SIM_PKI_MEASUREMENTS, "{}");
    write_text(other, SIM_PKI_ATTESTATION_KEY, "junk");
    ck_assert_int_eq(quote_sim_new(other, &p, msg, sizeof(msg)), -EINVAL);
    ck_assert_contains(msg, "attestation.key: expected a PEM EC P-256 private key");
    ck_assert_ptr_null(p);
    remove_pki(pki);
    remove_pki(other);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, pki_files_and_modes);
    tcase_add_test(tc, quotes_verify_and_carry_the_measurements);
    tcase_add_test(tc, sim_quotes_under_intels_root_name_the_test_root);
    tcase_add_test(tc, broken_directories_are_refused);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
