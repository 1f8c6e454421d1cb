/* SPDX-License-Identifier: MIT */
/* The policy steps: expected measurements in both file formats, expected
 * REPORTDATA, and the errors a bad measurement file gets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "hex.h"
#include "quotes.h"

static tdx_quote *Q;
static tdx_verifier *V;
static char regs[5][97];

static void setup(void)
{
    static const tdx_quote_field f[5] = { TDX_QUOTE_MRTD, TDX_QUOTE_RTMR0, TDX_QUOTE_RTMR1, TDX_QUOTE_RTMR2,
                                          TDX_QUOTE_RTMR3 };
    tdx_error err = TDX_ERROR_INIT;
    ck_assert_int_eq(tdx_quote_load_file(&Q, testdata("quotes/gotdx_v4_cos113_zeropad.dat"), &err), 0);
    ck_assert_int_eq(tdx_verifier_new(&V, NULL, &err), 0);
    for (int i = 0; i < 5; i++) {
        const uint8_t *p;
        size_t n;
        ck_assert_int_eq(tdx_quote_get_field(Q, f[i], &p, &n), 0);
        hex_encode(p, n, regs[i]);
    }
}

static void teardown(void)
{
    tdx_quote_free(Q);
    tdx_verifier_free(V);
}

static tdx_expected *expected(const char *json)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_expected *e = NULL;
    ck_assert_msg(tdx_expected_load_buffer(&e, "m.json", json, strlen(json), &err) == 0, "%s", err.message);
    return e;
}

static int check(const tdx_expected *e, const uint8_t *report_data, size_t rd_size, char *msg, char *json_out)
{
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verification *res = NULL;
    char *json = NULL;
    int r;

    o.expected = e;
    o.report_data = report_data;
    o.report_data_size = rd_size;
    r = tdx_verifier_verify(V, Q, &o, &res, &err);
    ck_assert_ptr_nonnull(res);
    strcpy(msg, err.message);
    ck_assert_int_eq(tdx_verification_to_json(res, &json, &err), 0);
    if (json_out)
        strcpy(json_out, json);
    tdx_free(json);
    tdx_verification_free(res);
    return r;
}

START_TEST(measurement_json_registers)
{
    char json[1024], msg[TDX_ERROR_MESSAGE_SIZE], out[16384];
    tdx_expected *e;

    snprintf(json, sizeof(json),
             "{\"kind\": \"other members are ignored\", \"registers\": {\"mrtd\": \"%s\", \"rtmr0\": \"%s\", "
             "\"rtmr1\": \"%s\", \"rtmr2\": \"%s\", \"rtmr3\": null}}", regs[0], regs[1], regs[2], regs[3]);
    e = expected(json);
    ck_assert_int_eq(check(e, NULL, 0, msg, out), 0);
    ck_assert_contains(out, "\"measurements\":\"passed\"");
    ck_assert_contains(out, "\"report_data\":\"skipped\"");
    ck_assert_contains(out, "\"measurement_id\":null");
    tdx_expected_free(e);

    /* One register off: named, with both values. */
    regs[2][95] = regs[2][95] == '0' ? '1' : '0';
    snprintf(json, sizeof(json), "{\"registers\": {\"mrtd\": \"%s\", \"rtmr1\": \"%s\"}}", regs[0], regs[2]);
    e = expected(json);
    ck_assert_int_eq(check(e, NULL, 0, msg, NULL), -EPERM);
    ck_assert_contains(msg, "measurements: rtmr1 is ");
    ck_assert_contains(msg, ", expected ");
    ck_assert_contains(msg, regs[2]);
    tdx_expected_free(e);
}
END_TEST

START_TEST(cvm_reverse_proxy_list)
{
    char json[4096], msg[TDX_ERROR_MESSAGE_SIZE], out[16384], wrong[97];
    tdx_expected *e;

    memset(wrong, 'a', 96);
    wrong[96] = '\0';
    snprintf(json, sizeof(json),
             "[{\"measurement_id\": \"azure\", \"attestation_type\": \"azure-tdx\", \"measurements\": "
             "{\"4\": {\"expected\": \"ea92\"}}},"
             " {\"measurement_id\": \"old-image\", \"attestation_type\": \"dcap-tdx\", \"measurements\": "
             "{\"0\": {\"expected\": \"%s\"}, \"1\": {\"expected\": \"%s\"}}},"
             " {\"measurement_id\": \"cos-113\", \"attestation_type\": \"dcap-tdx\", \"measurements\": "
             "{\"0\": {\"expected\": \"%s\"}, \"1\": {\"expected\": \"%s\"}, \"2\": {\"expected\": \"%s\"}, "
             "\"3\": {\"expected\": \"%s\"}, \"4\": {\"expected\": \"%s\"}}}]",
             regs[0], wrong, regs[0], regs[1], regs[2], regs[3], regs[4]);
    e = expected(json);
    ck_assert_int_eq(check(e, NULL, 0, msg, out), 0);
    ck_assert_contains(out, "\"measurement_id\":\"cos-113\"");
    tdx_expected_free(e);

    /* Only the mismatching entry: the message names it and the register. */
    snprintf(json, sizeof(json),
             "[{\"measurement_id\": \"old-image\", \"attestation_type\": \"dcap-tdx\", \"measurements\": "
             "{\"0\": {\"expected\": \"%s\"}, \"1\": {\"expected\": \"%s\"}}}]", regs[0], wrong);
    e = expected(json);
    ck_assert_int_eq(check(e, NULL, 0, msg, NULL), -EPERM);
    ck_assert_contains(msg, "measurements: no expected entry matches (1 tried); the first, \"old-image\": rtmr0 is ");
    ck_assert_contains(msg, wrong);
    tdx_expected_free(e);
}
END_TEST

START_TEST(bad_measurement_files_are_named)
{
    static const struct {
        const char *json, *message;
    } bad[] = {
        { "{\"registers\": {\"mrtd\": \"abcd\"}}", "m.json: registers.mrtd: expected 96 hex digits (48 bytes)" },
        { "{\"registers\": {\"rtmr4\": null}}", "m.json: registers.rtmr4: unknown register" },
        { "{\"registers\": {\"mrtd\": null, \"rtmr0\": null}}", "m.json: registers: every register is null" },
        { "{\"measurements\": {}}", "m.json: registers: required, an object" },
        { "[{\"measurement_id\": \"x\", \"attestation_type\": \"azure-tdx\", \"measurements\": {}}]",
          "m.json: no entry with \"attestation_type\": \"dcap-tdx\"" },
        { "[{\"measurement_id\": \"x\", \"attestation_type\": \"dcap-tdx\", \"measurements\": {\"5\": {}}}]",
          "m.json: [0].measurements.5: unknown index (expected 0 = MRTD, 1..4 = RTMR0..3)" },
        { "[{\"measurement_id\": \"x\", \"attestation_type\": \"dcap-tdx\", \"measurements\": {\"0\": {\"expected\": 1}}}]",
          "m.json: [0].measurements.0.expected: expected 96 hex digits" },
        { "[{\"attestation_type\": \"dcap-tdx\", \"measurements\": {}}]", "m.json: [0]: expected \"measurement_id\"" },
        { "[{\"measurement_id\": \"x\", \"attestation_type\": \"dcap-tdx\", \"measurements\": {}}]",
          "m.json: [0].measurements: empty, nothing to check" },
        { "\"text\"", "m.json: expected a measurement object or a measurements list" },
        { "{\"registers\": ", "m.json:1:14: unexpected end of text" },
        { "{\"registers\": {}, \"registers\": {}}", "m.json:1:29: duplicate member name near '\"registers\"'" },
    };
    tdx_error err = TDX_ERROR_INIT;
    tdx_expected *e = NULL;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(tdx_expected_load_buffer(&e, "m.json", bad[i].json, strlen(bad[i].json), &err), -EINVAL);
        ck_assert_ptr_null(e);
        ck_assert_contains(err.message, bad[i].message);
    }
    ck_assert_int_eq(tdx_expected_load_file(&e, "/nonexistent/m.json", &err), -ENOENT);
    ck_assert_contains(err.message, "/nonexistent/m.json: cannot read");
}
END_TEST

START_TEST(report_data_is_compared_zero_padded)
{
    uint8_t rd[64] = { 0 };
    char msg[TDX_ERROR_MESSAGE_SIZE];

    /* This quote's REPORTDATA is 64 zero bytes. */
    ck_assert_int_eq(check(NULL, rd, 64, msg, NULL), 0);
    ck_assert_int_eq(check(NULL, rd, 1, msg, NULL), 0);
    rd[31] = 1;
    ck_assert_int_eq(check(NULL, rd, 32, msg, NULL), -EPERM);
    ck_assert_contains(msg, "report_data: REPORTDATA is 0000");
    ck_assert_contains(msg, ", expected 0000000000000000000000000000000000000000000000000000000000000001"
                            "0000000000000000000000000000000000000000000000000000000000000000");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("policy");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, measurement_json_registers);
    tcase_add_test(tc, cvm_reverse_proxy_list);
    tcase_add_test(tc, bad_measurement_files_are_named);
    tcase_add_test(tc, report_data_is_compared_zero_padded);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
