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

/* ------------------------------------------------------------------------ */
/* Policy files                                                             */

static tdx_policy *policy(const char *json, const char *base_dir)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_policy *p = NULL;
    ck_assert_msg(tdx_policy_load_buffer(&p, "p.json", base_dir, json, strlen(json), &err) == 0, "%s", err.message);
    return p;
}

static int verify_with(const tdx_policy *p, char *msg)
{
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    ck_assert_int_eq(tdx_policy_verify_options(p, &o, &err), 0);
    err.message[0] = '\0';
    int r = tdx_verifier_verify(V, Q, &o, NULL, &err);
    strcpy(msg, err.message);
    return r;
}

START_TEST(policy_file_fields_apply)
{
    char json[4096], msg[TDX_ERROR_MESSAGE_SIZE], *dir = tmpdir_new(), m[1024];
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    static const char zero[] = "000000000000000000000000000000000000000000000000"
                               "000000000000000000000000000000000000000000000000";
    tdx_policy *p;

    /* Expected measurements by file name, relative to the policy's directory. */
    snprintf(m, sizeof(m), "{\"registers\": {\"mrtd\": \"%s\"}}", regs[0]);
    write_text(dir, "measurements.json", m);
    snprintf(json, sizeof(json),
             "{\"format\": 1, \"expected\": \"measurements.json\", \"mrconfigid\": \"%s\", \"mrowner\": [\"%s\"],"
             " \"mrownerconfig\": [\"%s\", \"%s\"], \"xfam\": {\"value\": \"e700060000000000\", \"mask\": "
             "\"ffffffffffffffff\"}, \"td_attributes\": \"0000001000000000\", \"allow_debug\": false,"
             " \"report_data\": \"00\", \"root\": \"root.pem\", \"collateral\": \"/abs/dir\", \"cache_dir\": \"c\","
             " \"now\": \"2025-07-10T00:00:00Z\", \"allow_tcb\": [\"UpToDate\", \"TDRelaunchAdvised\"],"
             " \"allow_advisories\": [\"INTEL-SA-00837\"], \"min_tcb_evaluation\": 17, \"no_cache\": true}",
             zero, zero, regs[0], zero);
    p = policy(json, dir);
    ck_assert_msg(verify_with(p, msg) == -ENOENT, "%s", msg);      /* TCB checks asked for, no collateral */
    ck_assert_int_eq(tdx_policy_verify_options(p, &o, &err), 0);
    ck_assert_ptr_nonnull(o.expected);
    ck_assert_uint_eq(o.report_data_size, 1);
    ck_assert_int_eq(o.now, at("2025-07-10T00:00:00Z"));
    ck_assert_str_eq(o.accept_tcb[1], "TDRelaunchAdvised");
    ck_assert_ptr_null(o.accept_tcb[2]);
    ck_assert_str_eq(o.accept_advisories[0], "INTEL-SA-00837");
    ck_assert_int_eq(o.min_tcb_evaluation, 17);
    ck_assert_int_eq(o.allow_debug, 0);
    ck_assert_int_eq(o.allow_sept_ve, TDX_UNSET);
    ck_assert_uint_eq(o.mrconfigid_count, 1);
    ck_assert_uint_eq(o.mrowner_count, 1);
    ck_assert_uint_eq(o.mrownerconfig_count, 2);
    ck_assert_uint_eq(o.mrseam_count, 0);
    ck_assert_int_eq(o.xfam[0], 0xe7);
    ck_assert_int_eq(o.td_attributes[3], 0x10);
    ck_assert_int_eq(o.td_attributes_mask[7], 0xff);
    ck_assert_int_eq(tdx_policy_verifier_options(p, &vo, &err), 0);
    ck_assert_str_eq(vo.collateral, "/abs/dir");
    ck_assert_str_eq(strrchr(vo.root_file, '/') + 1, "root.pem");
    ck_assert_int_eq(strncmp(vo.root_file, dir, strlen(dir)), 0);
    ck_assert_int_eq(tdx_policy_no_cache(p), 1);
    tdx_policy_free(p);

    /* Without the TCB fields the same pins pass on this quote... */
    snprintf(json, sizeof(json),
             "{\"expected\": [\"measurements.json\", {\"registers\": {\"rtmr3\": \"%s\"}}], \"mrconfigid\": \"%s\","
             " \"mrownerconfig\": [\"%s\", \"%s\"], \"xfam\": \"e700060000000000\"}", zero, zero, regs[0], zero);
    p = policy(json, dir);
    ck_assert_msg(verify_with(p, msg) == 0, "%s", msg);
    tdx_policy_free(p);
    /* ... and each pin off by one bit fails at its step. */
    snprintf(json, sizeof(json), "{\"mrowner\": \"%.95s1\"}", zero);
    p = policy(json, NULL);
    ck_assert_int_eq(verify_with(p, msg), -EPERM);
    ck_assert_contains(msg, "mrowner: MROWNER is 0000");
    tdx_policy_free(p);
    p = policy("{\"xfam\": \"e700060000000001\"}", NULL);
    ck_assert_int_eq(verify_with(p, msg), -EPERM);
    ck_assert_contains(msg, "xfam: XFAM e700060000000000 differs from the pinned e700060000000001");
    tdx_policy_free(p);
    p = policy("{\"xfam\": {\"value\": \"e700060000000001\", \"mask\": \"ffffffffffffff00\"}}", NULL);
    ck_assert_msg(verify_with(p, msg) == 0, "%s", msg);
    tdx_policy_free(p);
    /* A second acceptable set that matches (a rolling upgrade). */
    snprintf(m, sizeof(m), "{\"registers\": {\"mrtd\": \"%.95s0\"}}", zero);
    write_text(dir, "old.json", m);
    p = policy("{\"expected\": [\"old.json\"]}", dir);
    ck_assert_int_eq(verify_with(p, msg), -EPERM);
    tdx_policy_free(p);
    p = policy("{\"expected\": [\"old.json\", \"measurements.json\"]}", dir);
    ck_assert_msg(verify_with(p, msg) == 0, "%s", msg);
    tdx_policy_free(p);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(policy_file_errors_name_the_field)
{
    static const struct {
        const char *json, *message;
    } bad[] = {
        { "{\"allow_tcp\": [\"UpToDate\"]}", "p.json: allow_tcp: unknown key; did you mean \"allow_tcb\"?" },
        { "{\"expectd\": \"m.json\"}", "p.json: expectd: unknown key; did you mean \"expected\"?" },
        { "{\"colour\": 1}", "p.json: colour: unknown key; expected one of \"format\", \"expected\"" },
        { "{\"format\": 2}", "p.json: format: expected an integer from 1 to 1, got 2" },
        { "{\"allow_debug\": 1}", "p.json: allow_debug: expected a boolean, got an integer" },
        { "{\"allow_sept_ve\": \"yes\"}", "p.json: allow_sept_ve: expected a boolean, got a string" },
        { "{\"allow_migratable\": []}", "p.json: allow_migratable: expected a boolean, got an array" },
        { "{\"no_cache\": 0}", "p.json: no_cache: expected a boolean" },
        { "{\"allow_tcb\": \"UpToDate\"}", "p.json: allow_tcb: expected an array of strings, got a string" },
        { "{\"allow_tcb\": [\"UpToDate\", \"Revoked\"]}",
          "p.json: allow_tcb[1]: expected a TCB status that can be accepted (UpToDate, " },
        { "{\"allow_tcb\": [\"Fine\"]}", "TDRelaunchAdvisedConfigurationNeeded), got \"Fine\"" },
        { "{\"allow_advisories\": [1]}", "p.json: allow_advisories[0]: expected a string, got an integer" },
        { "{\"allow_advisories\": [\"\"]}", "p.json: allow_advisories[0]: expected a non-empty string" },
        { "{\"min_tcb_evaluation\": -1}", "p.json: min_tcb_evaluation: expected an integer from 0 to 2147483647, got -1" },
        { "{\"min_tcb_evaluation\": \"17\"}", "p.json: min_tcb_evaluation: expected an integer, got a string" },
        { "{\"report_data\": \"abc\"}", "p.json: report_data: expected 2 to 128 hex digits, got \"abc\"" },
        { "{\"report_data\": \"zz\"}", "p.json: report_data: expected 2 to 128 hex digits" },
        { "{\"now\": \"yesterday\"}", "p.json: now: expected an RFC 3339 time (e.g. 2025-07-01T00:00:00Z), got \"yesterday\"" },
        { "{\"pccs\": \"ftp://x\"}", "p.json: pccs: expected an http:// or https:// URL, got \"ftp://x\"" },
        { "{\"root\": \"\"}", "p.json: root: expected a non-empty string" },
        { "{\"collateral\": 5}", "p.json: collateral: expected a string, got an integer" },
        { "{\"cache_dir\": []}", "p.json: cache_dir: expected a string, got an array" },
        { "{\"td_attributes\": \"10\"}", "p.json: td_attributes: expected 16 hex digits (8 bytes as the quote stores them)" },
        { "{\"td_attributes\": {\"mask\": \"ffffffffffffffff\"}}", "p.json: td_attributes.value: required" },
        { "{\"xfam\": {\"value\": \"e700060000000000\", \"mask\": \"ff\"}}", "p.json: xfam.mask: expected 16 hex digits" },
        { "{\"xfam\": {\"value\": \"e700060000000000\", \"bits\": 1}}",
          "p.json: xfam.bits: unknown key; expected one of \"value\", \"mask\"" },
        { "{\"mrowner\": \"00\"}", "p.json: mrowner: expected 96 hex digits (48 bytes), got \"00\"" },
        { "{\"mrconfigid\": [\"00\"]}", "p.json: mrconfigid[0]: expected 96 hex digits (48 bytes)" },
        { "{\"mrservicetd\": 1}", "p.json: mrservicetd: expected a string, got an integer" },
        { "{\"mrseam\": [null]}", "p.json: mrseam[0]: expected a string, got null" },
        { "{\"mrownerconfig\": {}}", "p.json: mrownerconfig: expected a string, got an object" },
        { "{\"expected\": 5}", "p.json: expected: expected a file name, a measurement object or a measurements list, got an integer" },
        { "{\"expected\": []}", "p.json: expected: expected 1 to 256 acceptable sets, got 0" },
        { "{\"expected\": [\"\"]}", "p.json: expected[0]: expected a non-empty file name" },
        { "{\"expected\": {\"registers\": {\"mrtd\": \"ab\"}}}", "p.json: expected: registers.mrtd: expected 96 hex digits" },
        { "{\"expected\": [{\"registers\": {}}, 3]}", "p.json: expected[0]: registers: every register is null" },
        { "{\"expected\": \"/nonexistent/m.json\"}", "p.json: expected: /nonexistent/m.json: cannot read" },
        { "[]", "p.json: expected a JSON object at the top level, got an array" },
        { "{\"allow_debug\": true, \"allow_debug\": false}", "p.json:1:35: duplicate member name" },
        { "{", "p.json:1:1: unexpected end of text" },
    };
    tdx_error err = TDX_ERROR_INIT;
    tdx_policy *p = NULL;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = tdx_policy_load_buffer(&p, "p.json", NULL, bad[i].json, strlen(bad[i].json), &err);
        ck_assert_msg(r < 0, "%s: accepted", bad[i].json);
        ck_assert_ptr_null(p);
        ck_assert_msg(strstr(err.message, bad[i].message), "%s: \"%s\" lacks \"%s\"", bad[i].json, err.message,
                      bad[i].message);
    }
    /* null is the same as absent, as in every document the project reads. */
    p = policy("{\"allow_migratable\": null, \"expected\": null}", NULL);
    tdx_policy_free(p);
    ck_assert_int_eq(tdx_policy_load(&p, "/nonexistent/p.json", &err), -ENOENT);
    ck_assert_contains(err.message, "/nonexistent/p.json: cannot read");
    /* Programming errors. */
    ck_assert_int_eq(tdx_policy_load_buffer(NULL, "p", NULL, "{}", 2, &err), -EINVAL);
    p = policy("{}", NULL);
    {
        tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
        o.version = 1;
        ck_assert_int_eq(tdx_policy_verify_options(p, &o, &err), -EINVAL);
        ck_assert_contains(err.message, "options version 1 (expected 2");
    }
    tdx_policy_free(p);
}
END_TEST

/* The starter policy loads, pins what a plain image has, and this quote
 * (SEPT_VE_DISABLE set, no service TD, zero MRCONFIGID/MROWNER/...) passes
 * it with its own measurements. */
START_TEST(starter_policy_loads_and_passes)
{
    char *text = NULL, *dir = tmpdir_new(), m[1024], path[512], msg[TDX_ERROR_MESSAGE_SIZE];
    tdx_error err = TDX_ERROR_INIT;
    tdx_policy *p = NULL;

    ck_assert_int_eq(tdx_policy_starter_json("measurements.json", &text, &err), 0);
    ck_assert_contains(text, "\"expected\": \"measurements.json\"");
    ck_assert_contains(text, "\"allow_sept_ve\": false");
    ck_assert_contains(text, "\"mrconfigid\": [\n    \"000000");
    ck_assert(text[strlen(text) - 1] == '\n');
    snprintf(m, sizeof(m), "{\"registers\": {\"mrtd\": \"%s\", \"rtmr0\": \"%s\"}}", regs[0], regs[1]);
    write_text(dir, "measurements.json", m);
    write_text(dir, "policy.json", text);
    snprintf(path, sizeof(path), "%s/policy.json", dir);
    ck_assert_msg(tdx_policy_load(&p, path, &err) == 0, "%s", err.message);
    /* UpToDate needs collateral: without, the TCB part fails, named. */
    ck_assert_int_eq(verify_with(p, msg), -ENOENT);
    ck_assert_str_eq(msg, "tcb_status: TCB checks were asked for, but the verifier has no collateral");
    {
        tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
        tdx_verification *res = NULL;
        char *json = NULL;
        ck_assert_int_eq(tdx_policy_verify_options(p, &o, &err), 0);
        o.accept_tcb = NULL;
        ck_assert_msg(tdx_verifier_verify(V, Q, &o, &res, &err) == 0, "%s", err.message);
        ck_assert_int_eq(tdx_verification_to_json(res, &json, &err), 0);
        ck_assert_contains(json, "\"measurements\":\"passed\"");
        ck_assert_contains(json, "\"mrconfigid\":\"passed\"");
        ck_assert_contains(json, "\"mrowner\":\"passed\"");
        ck_assert_contains(json, "\"mrownerconfig\":\"passed\"");
        ck_assert_contains(json, "\"mrservicetd\":\"passed\"");
        tdx_free(json);
        tdx_verification_free(res);
    }
    tdx_policy_free(p);
    tdx_free(text);
    ck_assert_int_eq(tdx_policy_starter_json("", &text, &err), -EINVAL);
    tmpdir_remove(dir);
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
    tcase_add_test(tc, policy_file_fields_apply);
    tcase_add_test(tc, policy_file_errors_name_the_field);
    tcase_add_test(tc, starter_policy_loads_and_passes);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
