/* SPDX-License-Identifier: MIT */
/* Quote parsing and the cryptographic steps: every real quote, every prefix
 * of one, corrupted lengths and header values, a single flipped byte in
 * each region, the synthetic Intel QVL quote, and quotes from a test PKI. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "hex.h"
#include "quote/quote-internal.h"
#include "quotes.h"
#include "testpki.h"

static tdx_quote *load(const char *file)
{
    char rel[256];
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *q = NULL;
    snprintf(rel, sizeof(rel), "quotes/%s", file);
    ck_assert_msg(tdx_quote_load_file(&q, testdata(rel), &err) == 0, "%s", err.message);
    return q;
}

static char *field_hex(const tdx_quote *q, tdx_quote_field f)
{
    static char buf[1024];
    const uint8_t *p;
    size_t n;
    ck_assert_int_eq(tdx_quote_get_field(q, f, &p, &n), 0);
    ck_assert_uint_lt(n, 500);
    hex_encode(p, n, buf);
    return buf;
}

START_TEST(real_quotes_parse)
{
    const struct real_quote *r = &real_quotes[_i];
    tdx_quote *q = load(r->file);
    const uint8_t *p;
    size_t n;

    ck_assert_uint_eq(tdx_quote_version(q), r->version);
    ck_assert_uint_eq(tdx_quote_body_type(q), r->body_type);
    ck_assert_uint_eq(tdx_quote_trailing_bytes(q), r->trailing);
    ck_assert_uint_eq(tdx_quote_signed_size(q), r->version == 4 ? 632 : 702);
    ck_assert_str_eq(field_hex(q, TDX_QUOTE_QE_VENDOR_ID), "939a7233f79c4ca9940a0db3957f0607");
    ck_assert_int_eq(tdx_quote_get_field(q, TDX_QUOTE_MRSERVICETD, &p, &n), r->body_type == 3 ? 0 : -ENOENT);
    ck_assert_int_eq(tdx_quote_get_field(q, TDX_QUOTE_QE_AUTH_DATA, &p, &n), 0);
    ck_assert_uint_eq(n, 32);
    ck_assert_int_eq(tdx_quote_get_field(q, TDX_QUOTE_FIELD_COUNT, &p, &n), -EINVAL);
    tdx_quote_free(q);
}
END_TEST

/* Values read off the files by an independent script during planning. */
START_TEST(fields_come_from_intels_offsets)
{
    tdx_quote *q = load("trustee_v5.dat");
    char *json = NULL;
    tdx_error err = TDX_ERROR_INIT;

    ck_assert_str_eq(field_hex(q, TDX_QUOTE_MRSERVICETD),
                     "383c87d3bbb047b2d171eaca95312ede99f258088dc788f6ae2ccf8b6dd848fe8d47629e08b3f6cbd4a00dd47a5a033d");
    ck_assert_str_eq(field_hex(q, TDX_QUOTE_TEE_TCB_SVN2), "05010200000000000000000000000000");
    ck_assert_str_eq(field_hex(q, TDX_QUOTE_XFAM), "e742060000000000");
    ck_assert_int_eq(tdx_quote_to_json(q, &json, &err), 0);
    ck_assert_contains(json, "\"trailing_bytes\":0");
    ck_assert_contains(json, "\"version\":5");
    ck_assert_contains(json, "\"qe_isvsvn\":6");
    tdx_free(json);
    tdx_quote_free(q);

    q = load("trustee_v4_exact.dat");
    ck_assert_str_eq(field_hex(q, TDX_QUOTE_TD_ATTRIBUTES), "0100001000000000");
    ck_assert_str_eq(field_hex(q, TDX_QUOTE_TEE_TCB_SVN), "03000500000000000000000000000000");
    tdx_quote_free(q);

    q = load("gotdx_v4_cos113_zeropad.dat");
    ck_assert_str_eq(field_hex(q, TDX_QUOTE_REPORT_DATA),
                     "0000000000000000000000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000000000000000000000000000000000");
    ck_assert_str_eq(field_hex(q, TDX_QUOTE_TEE_TCB_SVN), "04010700000000000000000000000000");
    tdx_quote_free(q);
}
END_TEST

/* Every prefix shorter than the signature data's end is refused with an
 * offset; longer ones parse and report the rest as trailing bytes. */
START_TEST(every_truncation_is_refused)
{
    const char *files[] = { "trustee_v4_zeropad.dat", "gotdx_v5_sample.dat" };
    size_t size;
    uint8_t *data = read_testdata(_i == 0 ? "quotes/trustee_v4_zeropad.dat" : "quotes/gotdx_v5_sample.dat", &size);
    struct tdx_quote layout;
    size_t end;

    (void)files;
    ck_assert_int_eq(quote_layout(&layout, data, size, NULL), 0);
    end = layout.end;
    for (size_t n = 0; n <= size; n++) {
        tdx_error err = TDX_ERROR_INIT;
        tdx_quote *q = NULL;
        int r = tdx_quote_parse(&q, data, n, &err);
        if (n < end) {
            ck_assert_msg(r == -EBADMSG, "prefix of %zu bytes: %d", n, r);
            ck_assert_msg(strncmp(err.message, "quote: ", 7) == 0, "%s", err.message);
        } else {
            ck_assert_msg(r == 0, "prefix of %zu bytes: %s", n, err.message);
            ck_assert_uint_eq(tdx_quote_trailing_bytes(q), n - end);
        }
        tdx_quote_free(q);
    }
    free(data);
}
END_TEST

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void expect_parse_error(const uint8_t *data, size_t size, const char *fragment)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *q = NULL;
    ck_assert_int_eq(tdx_quote_parse(&q, data, size, &err), -EBADMSG);
    ck_assert_ptr_null(q);
    ck_assert_contains(err.message, fragment);
}

START_TEST(bad_lengths_and_header_values_are_named)
{
    size_t size;
    uint8_t *orig = read_testdata("quotes/trustee_v4_exact.dat", &size), *d = malloc(size);
    struct tdx_quote l;
    size_t cert_type_off;

    ck_assert_int_eq(quote_layout(&l, orig, size, NULL), 0);
    cert_type_off = l.sig_data + 128;

#define RESET() memcpy(d, orig, size)
    RESET(); d[0] = 3;
    expect_parse_error(d, size, "quote: offset 0: version 3 is not a TDX quote version (4 or 5)");
    RESET(); d[2] = 3;
    expect_parse_error(d, size, "offset 2: attestation key type 3 is not supported");
    RESET(); d[4] = 0;
    expect_parse_error(d, size, "offset 4: TEE type 0x0 is not TDX (0x81)");
    RESET(); put32(d + 632, 4301);
    expect_parse_error(d, size, "offset 632: signature data length 4301 exceeds the 4300 bytes left");
    RESET(); put32(d + 632, 100);
    expect_parse_error(d, size, "offset 632: signature data length 100 is less than the 134 fixed bytes");
    /* Every other certification data type is refused by its name. */
    {
        static const char *const names[] = {
            NULL, "1, PPID in clear text (PCK_ID_PLAIN_PPID), is not supported",
            "2, PPID encrypted with RSA-2048-OAEP (PCK_ID_ENCRYPTED_PPID_2048), is not supported",
            "3, PPID encrypted with RSA-3072-OAEP (PCK_ID_ENCRYPTED_PPID_3072), is not supported",
            "4, PCK leaf certificate in clear text (PCK_ID_PCK_CERTIFICATE), is not supported",
            "5, PCK certificate chain (PCK_ID_PCK_CERT_CHAIN), is not supported",
            "6, QE report certification data (ECDSA_SIG_AUX_DATA), is not supported",
            "7, platform manifest (PCK_ID_PLATFORM_MANIFEST), is not supported", "8, unknown, is not supported",
        };
        char want[200];
        for (int t = 1; t <= 8; t++) {
            if (t != 6) {
                RESET(); d[cert_type_off] = (uint8_t)t;
                snprintf(want, sizeof(want), "certification data type %s (only 6, QE report certification data)",
                         names[t]);
                expect_parse_error(d, size, want);
            }
            if (t != 5) {
                RESET(); d[l.pck_chain - 6] = (uint8_t)t;
                snprintf(want, sizeof(want), "inner certification data type %s (only 5, PCK certificate chain)",
                         names[t]);
                expect_parse_error(d, size, want);
            }
        }
    }
    RESET(); d[cert_type_off + 2] ^= 1;
    expect_parse_error(d, size, "certification data size");
    /* One more auth data byte moves the inner header by one. */
    RESET(); d[l.auth_data - 2] = 33;
    expect_parse_error(d, size, "offset 1253: inner certification data type 24064, unknown, is not supported");
    RESET(); d[l.auth_data - 1] = 0x7f;
    expect_parse_error(d, size, "the QE auth data needs");
    RESET(); d[l.pck_chain - 4] ^= 1;
    expect_parse_error(d, size, "PCK certificate chain size");
    RESET();
    expect_parse_error(d, 10, "quote: 10 bytes, shorter than the 48-byte header");
#undef RESET
    free(d);
    free(orig);
}
END_TEST

START_TEST(v5_descriptor_is_checked)
{
    size_t size;
    uint8_t *d = read_testdata("quotes/trustee_v5.dat", &size);

    d[48] = 1;
    expect_parse_error(d, size, "offset 48: body type 1 is not a TD report (2 or 3); 1 is an SGX enclave report");
    d[48] = 2;
    expect_parse_error(d, size, "offset 50: body size 648 does not match body type 2 (584 bytes)");
    free(d);
}
END_TEST

START_TEST(every_real_quote_verifies_against_the_intel_root)
{
    const struct real_quote *r = &real_quotes[_i];
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;
    tdx_verification *res = NULL;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_quote *q = load(r->file);
    char *json = NULL;

    uint8_t servicetd[48];

    ck_assert_int_eq(tdx_verifier_new(&v, NULL, &err), 0);
    allow_real_quote(r, &o, servicetd);
    ck_assert_msg(tdx_verifier_verify(v, q, &o, &res, &err) == 0, "%s: %s", r->file, err.message);
    ck_assert(tdx_verification_ok(res));
    ck_assert_int_eq(tdx_verification_failed_step(res), TDX_VERIFY_STEP_NONE);
    ck_assert_str_eq(tdx_verification_message(res), "");
    ck_assert_int_eq(tdx_verification_tcb_status(res), TDX_TCB_STATUS_NONE);
    ck_assert_ptr_null(tdx_verification_advisories(res)[0]);
    ck_assert_int_eq(tdx_verification_to_json(res, &json, &err), 0);
    ck_assert_contains(json, "\"verified\":true");
    ck_assert_contains(json, "\"pck_chain\":\"passed\"");
    ck_assert_contains(json, "\"quote_signature\":\"passed\"");
    ck_assert_contains(json, "\"collateral\":\"skipped\"");
    ck_assert_contains(json, "\"tcb_status\":null");
    ck_assert_contains(json, "\"ca\":\"platform\"");
    if (r->fmspc) {
        char want[40];
        snprintf(want, sizeof(want), "\"fmspc\":\"%s\"", r->fmspc);
        ck_assert_contains(json, want);
    }
    ck_assert_uint_eq(tdx_quote_trailing_bytes(tdx_verification_quote(res)), r->trailing);
    tdx_free(json);
    tdx_verification_free(res);

    /* The same again comes from the chain cache and must agree. */
    ck_assert_int_eq(tdx_verifier_verify(v, q, &o, NULL, &err), 0);
    /* Each allowance is needed: without it the quote is refused at its step. */
    o.allow_debug = TDX_UNSET;
    ck_assert_int_eq(tdx_verifier_verify(v, q, &o, NULL, &err), r->debug ? -EPERM : 0);
    if (r->debug)
        ck_assert_contains(err.message, "td_attributes: TD attribute DEBUG (bit 0) is set");
    o.allow_debug = r->debug;
    o.allow_sept_ve = TDX_UNSET;
    ck_assert_int_eq(tdx_verifier_verify(v, q, &o, NULL, &err), r->sept_ve ? -EPERM : 0);
    if (r->sept_ve)
        ck_assert_contains(err.message, "td_attributes: TD attribute SEPT_VE_DISABLE (bit 28) is clear");
    o.allow_sept_ve = r->sept_ve;
    o.mrservicetd_count = 0;
    ck_assert_int_eq(tdx_verifier_verify(v, q, &o, NULL, &err), r->mrservicetd ? -EPERM : 0);
    if (r->mrservicetd)
        ck_assert_contains(err.message, "mrservicetd: MRSERVICETD is 383c87d3");
    tdx_verifier_free(v);
    tdx_quote_free(q);
}
END_TEST

/* A region of the quote and the step a changed byte in it must fail at. */
struct region {
    const char *name;
    size_t start, len;
    tdx_verify_step step;
};

static size_t regions_of(const struct tdx_quote *l, struct region *out)
{
    size_t n = 0, S = l->sig_data;
#define R(nm, s, ln, st) out[n++] = (struct region){ nm, s, ln, TDX_VERIFY_STEP_##st }
    R("header: version, key type, TEE type", 0, 8, PARSE);
    R("header: reserved", 8, 4, QUOTE_SIGNATURE);
    R("header: QE vendor ID", 12, 16, PARSE);
    R("header: user data", 28, 20, QUOTE_SIGNATURE);
    if (l->version == 5)
        R("body descriptor", 48, 6, PARSE);
    R("body", l->body, l->body_size, QUOTE_SIGNATURE);
    R("signature data length", S - 4, 4, PARSE);
    R("signature", l->signature, 64, QUOTE_SIGNATURE);
    R("attestation key", l->att_key, 64, QE_REPORT_DATA);
    R("certification data type and size", S + 128, 6, PARSE);
    R("QE report", l->qe_report, 384, QE_REPORT_SIGNATURE);
    R("QE report signature", l->qe_report_sig, 64, QE_REPORT_SIGNATURE);
    R("QE auth data size", l->auth_data - 2, 2, PARSE);
    R("QE auth data", l->auth_data, l->auth_data_len, QE_REPORT_DATA);
    R("PCK chain type and size", l->pck_chain - 6, 6, PARSE);
    R("certificate chain", l->pck_chain, l->pck_chain_len, PCK_CHAIN);
    if (l->size > l->end)
        R("trailing bytes", l->end, l->size - l->end, NONE);
#undef R
    return n;
}

START_TEST(a_flipped_byte_fails_at_its_step)
{
    const struct real_quote *rq = &real_quotes[_i];
    char rel[256], msg[TDX_ERROR_MESSAGE_SIZE];
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;
    struct region regions[20];
    struct tdx_quote l;
    uint8_t *data;
    size_t size, n;

    snprintf(rel, sizeof(rel), "quotes/%s", rq->file);
    data = read_testdata(rel, &size);
    ck_assert_int_eq(quote_layout(&l, data, size, NULL), 0);
    uint8_t servicetd[48];

    ck_assert_int_eq(tdx_verifier_new(&v, NULL, &err), 0);
    allow_real_quote(rq, &o, servicetd);
    o.allow_debug = 1;
    ck_assert_int_eq(verify_bytes(v, data, size, &o, msg, sizeof(msg)), TDX_VERIFY_STEP_NONE);
    n = regions_of(&l, regions);
    for (size_t i = 0; i < n; i++) {
        const struct region *r = &regions[i];
        /* Small regions byte by byte, large ones at 16 spread positions
         * including both ends; two different flips at each. */
        size_t step = r->len <= 16 ? 1 : (r->len - 1) / 15;
        for (size_t k = 0; k < r->len; k += step) {
            size_t off = r->start + (k + step >= r->len ? r->len - 1 : k);
            for (int f = 0; f < 2; f++) {
                uint8_t saved = data[off];
                tdx_verify_step got;
                data[off] ^= f ? 0x80 : 0x01;
                got = verify_bytes(v, data, size, &o, msg, sizeof(msg));
                data[off] = saved;
                ck_assert_msg(got == r->step, "%s: %s: byte %zu ^ 0x%02x failed at \"%s\", expected \"%s\": %s",
                              rq->file, r->name, off, f ? 0x80 : 0x01, tdx_verify_step_name(got),
                              tdx_verify_step_name(r->step), msg);
            }
            if (k + step >= r->len)
                break;
        }
    }
    tdx_verifier_free(v);
    free(data);
}
END_TEST

START_TEST(synthetic_intel_qvl_quote_fails_against_intel_root)
{
    size_t size, chain_size;
    uint8_t *data = read_testdata("synthetic-intel-qvl/quote.dat", &size);
    uint8_t *chain = read_testdata("synthetic-intel-qvl/pckSignChain.pem", &chain_size);
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;
    char msg[TDX_ERROR_MESSAGE_SIZE], *root, *end;

    ck_assert_int_eq(tdx_verifier_new(&v, NULL, &err), 0);
    ck_assert_int_eq(verify_bytes(v, data, size, NULL, msg, sizeof(msg)), TDX_VERIFY_STEP_PCK_CHAIN);
    /* Its root imitates Intel's name; the fingerprints tell them apart. */
    ck_assert_contains(msg, "the chain's root (CN=Intel SGX Root CA, SHA-256 bf85a53f");
    ck_assert_contains(msg, "is not the trusted root (Intel SGX Root CA, SHA-256 44a0196b2b99f889");
    tdx_verifier_free(v);

    /* With its own root (the first certificate of pckSignChain.pem) the
     * crypto holds: its certificates are DER, root first. */
    root = strndup((char *)chain, chain_size);
    end = strstr(root, "-----END CERTIFICATE-----");
    ck_assert_ptr_nonnull(end);
    end[strlen("-----END CERTIFICATE-----")] = '\0';
    vo.root_pem = root;
    ck_assert_msg(tdx_verifier_new(&v, &vo, &err) == 0, "%s", err.message);
    /* Intel's sample TD has no TD attribute set, SEPT_VE_DISABLE neither. */
    ck_assert_int_eq(verify_bytes(v, data, size, NULL, msg, sizeof(msg)), TDX_VERIFY_STEP_TD_ATTRIBUTES);
    ck_assert_contains(msg, "SEPT_VE_DISABLE (bit 28) is clear");
    o.allow_sept_ve = 1;
    ck_assert_int_eq(verify_bytes(v, data, size, &o, msg, sizeof(msg)), TDX_VERIFY_STEP_NONE);
    tdx_verifier_free(v);
    free(root);
    free(chain);
    free(data);
}
END_TEST

START_TEST(a_caller_root_replaces_intels)
{
    struct testpki pki;
    struct testpki_options po = { .fmspc = { 1, 2, 3, 4, 5, 6 } };
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;
    char msg[TDX_ERROR_MESSAGE_SIZE], *pem;
    size_t size;
    uint8_t *data = read_testdata("quotes/dcapqvl_v4.dat", &size);

    testpki_init(&pki, &po);
    pem = testpki_pem(pki.root);
    vo.root_pem = pem;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), 0);
    ck_assert_int_eq(verify_bytes(v, data, size, NULL, msg, sizeof(msg)), TDX_VERIFY_STEP_PCK_CHAIN);
    ck_assert_contains(msg, "(CN=Intel SGX Root CA, SHA-256 44a0196b");
    ck_assert_contains(msg, "is not the trusted root (SHA-256 ");
    tdx_verifier_free(v);
    free(pem);
    free(data);
    testpki_free(&pki);
}
END_TEST

/* Quotes made with a test PKI in the real layout: v4 and v5, the chain in
 * any order, PEM or DER, trailing bytes; refused under Intel's root. */
START_TEST(test_pki_quotes_verify_only_under_their_root)
{
    static const int orders[][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 0, 2 } };
    struct testpki pki;
    struct testpki_options po = { .fmspc = { 1, 2, 3, 4, 5, 6 } };
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL, *intel = NULL;
    struct testquote tq;
    char msg[TDX_ERROR_MESSAGE_SIZE], *pem;

    testpki_init(&pki, &po);
    pem = testpki_pem(pki.root);
    vo.root_pem = pem;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), 0);
    ck_assert_int_eq(tdx_verifier_new(&intel, NULL, &err), 0);
    for (int variant = 0; variant < 8; variant++) {
        size_t size;
        uint8_t *data;
        testquote_init(&tq);
        tq.version = variant & 1 ? 5 : 4;
        tq.body_type = variant & 1 && variant & 4 ? 3 : 2;
        tq.der_chain = variant & 2;
        memcpy(tq.order, orders[variant % 3], sizeof(tq.order));
        tq.trailing = (size_t)variant * 7;
        data = testpki_quote(&pki, &tq, &size);
        ck_assert_msg(verify_bytes(v, data, size, NULL, msg, sizeof(msg)) == TDX_VERIFY_STEP_NONE, "variant %d: %s",
                      variant, msg);
        ck_assert_int_eq(verify_bytes(intel, data, size, NULL, msg, sizeof(msg)), TDX_VERIFY_STEP_PCK_CHAIN);
        ck_assert_contains(msg, "is not the trusted root (Intel SGX Root CA");
        free(data);
    }
    tdx_verifier_free(intel);
    tdx_verifier_free(v);
    free(pem);
    testpki_free(&pki);
}
END_TEST

/* An attestation key the QE vouches for, but not on the curve. */
START_TEST(attestation_key_must_be_on_the_curve)
{
    struct testpki pki;
    struct testpki_options po = { .fmspc = { 1, 2, 3, 4, 5, 6 } };
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;
    struct testquote tq;
    uint8_t key[64];
    char msg[TDX_ERROR_MESSAGE_SIZE], *pem;
    size_t size;
    uint8_t *data;

    testpki_init(&pki, &po);
    pem = testpki_pem(pki.root);
    vo.root_pem = pem;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), 0);
    for (int i = 0; i < 64; i++)
        key[i] = (uint8_t)(i + 1);
    testquote_init(&tq);
    tq.att_key = key;
    data = testpki_quote(&pki, &tq, &size);
    ck_assert_int_eq(verify_bytes(v, data, size, NULL, msg, sizeof(msg)), TDX_VERIFY_STEP_QUOTE_SIGNATURE);
    ck_assert_str_eq(msg, "the attestation key (offset 700) is not a point on P-256");
    tdx_verifier_free(v);
    free(data);
    free(pem);
    testpki_free(&pki);
}
END_TEST

START_TEST(certificate_validity_is_checked_at_now)
{
    struct testpki pki;
    struct testpki_options po = { .not_before = at("2030-01-01T00:00:00Z"), .not_after = at("2031-01-01T00:00:00Z") };
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;
    struct testquote tq;
    char msg[TDX_ERROR_MESSAGE_SIZE], *pem;
    size_t size;
    uint8_t *data;

    testpki_init(&pki, &po);
    pem = testpki_pem(pki.root);
    vo.root_pem = pem;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), 0);
    testquote_init(&tq);
    data = testpki_quote(&pki, &tq, &size);
    o.now = at("2030-06-01T00:00:00Z");
    ck_assert_int_eq(verify_bytes(v, data, size, &o, msg, sizeof(msg)), TDX_VERIFY_STEP_NONE);
    /* Cached now, but the windows still apply. */
    o.now = at("2031-06-01T00:00:00Z");
    ck_assert_int_eq(verify_bytes(v, data, size, &o, msg, sizeof(msg)), TDX_VERIFY_STEP_PCK_CHAIN);
    ck_assert_contains(msg, "is not valid at 2031-06-01T00:00:00Z: valid 2030-01-01T00:00:00Z to 2031-01-01T00:00:00Z");
    o.now = at("2029-06-01T00:00:00Z");
    ck_assert_int_eq(verify_bytes(v, data, size, &o, msg, sizeof(msg)), TDX_VERIFY_STEP_PCK_CHAIN);
    ck_assert_contains(msg, "is not valid at 2029-06-01T00:00:00Z");
    tdx_verifier_free(v);
    free(data);
    free(pem);
    testpki_free(&pki);
}
END_TEST

START_TEST(options_and_roots_are_checked)
{
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verifier *v = NULL;
    tdx_verification *res = NULL;
    tdx_quote *q = load("dcapqvl_v4.dat");
    const char *bad_tcb[] = { "Revoked", NULL }, *unknown_tcb[] = { "Fine", NULL };
    char *two = NULL;
    size_t n;
    char *pem = (char *)read_testdata("roots/intel_sgx_root_ca.pem", &n);

    vo.version = 99;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), -EINVAL);
    ck_assert_contains(err.message, "tdx_verifier_new: unsupported options version 99");
    vo = (tdx_verifier_options)TDX_VERIFIER_OPTIONS_INIT;
    vo.collateral = "x";
    vo.pccs_url = "http://x";
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), -EINVAL);
    vo = (tdx_verifier_options)TDX_VERIFIER_OPTIONS_INIT;
    vo.pccs_url = "ftp://x";
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), -EINVAL);
    ck_assert_contains(err.message, "not an http:// or https:// URL");
    vo = (tdx_verifier_options)TDX_VERIFIER_OPTIONS_INIT;
    ck_assert(asprintf(&two, "%s%s", pem, pem) > 0);
    vo.root_pem = two;
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), -EINVAL);
    ck_assert_contains(err.message, "holds 2 certificates, expected one root certificate");
    vo.root_pem = NULL;
    vo.root_file = "/nonexistent/root.pem";
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), -ENOENT);
    ck_assert_contains(err.message, "/nonexistent/root.pem: cannot read");
    /* Intel's root given explicitly works like the built-in one. */
    vo.root_file = testdata("roots/intel_sgx_root_ca.pem");
    ck_assert_int_eq(tdx_verifier_new(&v, &vo, &err), 0);
    ck_assert_int_eq(tdx_verifier_verify(v, q, NULL, NULL, &err), 0);

    o.accept_tcb = bad_tcb;
    ck_assert_int_eq(tdx_verifier_verify(v, q, &o, &res, &err), -EINVAL);
    ck_assert_ptr_null(res);
    ck_assert_contains(err.message, "a Revoked TCB is never accepted");
    o.accept_tcb = unknown_tcb;
    ck_assert_int_eq(tdx_verifier_verify(v, q, &o, &res, &err), -EINVAL);
    ck_assert_contains(err.message, "unknown TCB status \"Fine\"");
    /* TCB checks without collateral fail rather than pass unchecked. */
    o.accept_tcb = NULL;
    o.min_tcb_evaluation = 17;
    ck_assert_int_eq(tdx_verifier_verify(v, q, &o, &res, &err), -ENOENT);
    ck_assert_int_eq(tdx_verification_failed_step(res), TDX_VERIFY_STEP_TCB_STATUS);
    ck_assert_str_eq(err.message, "tcb_status: TCB checks were asked for, but the verifier has no collateral");
    tdx_verification_free(res);
    o.min_tcb_evaluation = TDX_UNSET;
    o.report_data_size = 65;
    o.report_data = (const uint8_t *)pem;
    ck_assert_int_eq(tdx_verifier_verify(v, q, &o, NULL, &err), -EINVAL);
    ck_assert_int_eq(tdx_verifier_verify(NULL, q, NULL, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "tdx_verifier_verify: invalid argument: verifier");
    tdx_verifier_free(v);
    tdx_quote_free(q);
    free(two);
    free(pem);
}
END_TEST

START_TEST(names_of_steps_and_statuses)
{
    ck_assert_str_eq(tdx_verify_step_name(TDX_VERIFY_STEP_NONE), "");
    ck_assert_str_eq(tdx_verify_step_name(TDX_VERIFY_STEP_QE_REPORT_DATA), "qe_report_data");
    ck_assert_str_eq(tdx_verify_step_name(TDX_VERIFY_STEP_TD_ATTRIBUTES), "td_attributes");
    ck_assert_ptr_null(tdx_verify_step_name((tdx_verify_step)99));
    ck_assert_str_eq(tdx_tcb_status_name(TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED),
                     "ConfigurationAndSWHardeningNeeded");
    ck_assert_str_eq(tdx_tcb_status_name(TDX_TCB_STATUS_NONE), "");
    ck_assert_ptr_null(tdx_tcb_status_name((tdx_tcb_status)42));
    ck_assert_str_eq(tdx_quote_field_name(TDX_QUOTE_MROWNERCONFIG), "mrownerconfig");
    ck_assert_ptr_null(tdx_quote_field_name(TDX_QUOTE_FIELD_COUNT));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("quote");
    TCase *tc = tcase_create("parse");
    TCase *crypto = tcase_create("crypto");

    tcase_add_loop_test(tc, real_quotes_parse, 0, (int)n_real_quotes);
    tcase_add_test(tc, fields_come_from_intels_offsets);
    tcase_add_loop_test(tc, every_truncation_is_refused, 0, 2);
    tcase_add_test(tc, bad_lengths_and_header_values_are_named);
    tcase_add_test(tc, v5_descriptor_is_checked);
    tcase_add_test(tc, names_of_steps_and_statuses);
    suite_add_tcase(s, tc);
    tcase_add_loop_test(crypto, every_real_quote_verifies_against_the_intel_root, 0, (int)n_real_quotes);
    tcase_add_loop_test(crypto, a_flipped_byte_fails_at_its_step, 0, (int)n_real_quotes);
    tcase_add_test(crypto, synthetic_intel_qvl_quote_fails_against_intel_root);
    tcase_add_test(crypto, a_caller_root_replaces_intels);
    tcase_add_test(crypto, test_pki_quotes_verify_only_under_their_root);
    tcase_add_test(crypto, certificate_validity_is_checked_at_now);
    tcase_add_test(crypto, attestation_key_must_be_on_the_curve);
    tcase_add_test(crypto, options_and_roots_are_checked);
    suite_add_tcase(s, crypto);
    return run_suite(s);
}
