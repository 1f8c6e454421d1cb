/* SPDX-License-Identifier: MIT */
/*
 * The error rules of docs/api-conventions.md, checked across the public API:
 * an options struct of an unknown version is refused by one check that names
 * the function, and the code a function returns does not depend on whether
 * the caller passed a tdx_error.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "measure/measurements.h"
#include "tdxhost/tdxhost.h"

/* ---- options versions -------------------------------------------------- */

/* Each case calls one public function with an options struct of version v. */
struct options_case {
    const char *func;
    unsigned max;
    int (*call)(unsigned v, tdx_error *err);
};

static tdx_image *small_image(void)
{
    tdx_image *image = NULL;
    ck_assert_int_eq(tdx_image_new(&image, NULL, NULL), 0);
    return image;
}

static int call_image_new(unsigned v, tdx_error *err)
{
    tdx_image_options o = TDX_IMAGE_OPTIONS_INIT;
    tdx_image *image = NULL;
    int r;
    o.version = v;
    r = tdx_image_new(&image, &o, err);
    tdx_image_free(image);
    return r;
}

static int call_image_add_service(unsigned v, tdx_error *err)
{
    tdx_service_options o = TDX_SERVICE_OPTIONS_INIT;
    tdx_image *image = small_image();
    int r;
    o.version = v;
    o.exec = "/bin/true";
    r = tdx_image_add_service(image, "svc", &o, err);
    tdx_image_free(image);
    return r;
}

static int call_emit(unsigned v, tdx_error *err)
{
    tdx_emit_options o = TDX_EMIT_OPTIONS_INIT;
    tdx_image *image = small_image();
    int r;
    o.version = v;
    r = tdx_emit_mkosi(image, "/nonexistent/never-written", &o, err);
    tdx_image_free(image);
    return r;
}

static int call_deb_extract(unsigned v, tdx_error *err)
{
    tdx_deb_extract_options o = TDX_DEB_EXTRACT_OPTIONS_INIT;
    o.version = v;
    return tdx_deb_extract("/nonexistent.deb", "/nonexistent/out", &o, err);
}

static int call_deb_index_open(unsigned v, tdx_error *err)
{
    tdx_deb_options o = TDX_DEB_OPTIONS_INIT;
    tdx_deb_index *x = NULL;
    int r;
    o.version = v;
    r = tdx_deb_index_open(&x, &o, err);
    tdx_deb_index_free(x);
    return r;
}

static int call_fetch(unsigned v, tdx_error *err)
{
    tdx_fetch_options o = TDX_FETCH_OPTIONS_INIT;
    o.version = v;
    return tdx_fetch("https://example.invalid/x",
                     "0000000000000000000000000000000000000000000000000000000000000000", &o,
                     NULL, err);
}

static int call_fetch_git(unsigned v, tdx_error *err)
{
    tdx_git_options o = TDX_GIT_OPTIONS_INIT;
    o.version = v;
    o.tag = "v1";
    return tdx_fetch_git("https://example.invalid/x.git",
                         "0000000000000000000000000000000000000000000000000000000000000000", &o,
                         NULL, NULL, err);
}

static int call_lock_resolve(unsigned v, tdx_error *err)
{
    tdx_lock_options o = TDX_LOCK_OPTIONS_INIT;
    tdx_image *image = small_image();
    tdx_lock *lock = NULL;
    int r;
    ck_assert_int_eq(tdx_lock_new(&lock, NULL), 0);
    o.version = v;
    r = tdx_lock_resolve(lock, image, &o, err);
    tdx_lock_free(lock);
    tdx_image_free(image);
    return r;
}

static int call_lock_fetch_all(unsigned v, tdx_error *err)
{
    tdx_fetch_options o = TDX_FETCH_OPTIONS_INIT;
    tdx_lock *lock = NULL;
    int r;
    ck_assert_int_eq(tdx_lock_new(&lock, NULL), 0);
    o.version = v;
    r = tdx_lock_fetch_all(lock, &o, err);
    tdx_lock_free(lock);
    return r;
}

static int call_agent_connect(unsigned v, tdx_error *err)
{
    tdx_agent_options o = TDX_AGENT_OPTIONS_INIT;
    tdx_agent *a = NULL;
    int r;
    o.version = v;
    r = tdx_agent_connect(&a, "unix:/nonexistent/agent.sock", &o, err);
    tdx_agent_free(a);
    return r;
}

static int call_sim_pki(unsigned v, tdx_error *err)
{
    tdx_sim_pki_options o = TDX_SIM_PKI_OPTIONS_INIT;
    o.version = v;
    return tdx_sim_pki_create("/nonexistent/pki", &o, err);
}

static int call_measure(unsigned v, tdx_error *err)
{
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    int r;
    o.version = v;
    r = tdx_measure_direct_boot(&m, "/nonexistent/OVMF.fd", "/nonexistent/vmlinuz", &o, err);
    tdx_measurements_free(m);
    return r;
}

static int call_uki(unsigned v, tdx_error *err)
{
    tdx_uki_options o = TDX_UKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    int r;
    o.version = v;
    r = tdx_measure_uki_tpm(&m, "/nonexistent/uki.efi", &o, err);
    tdx_measurements_free(m);
    return r;
}

static int call_disk_boot(unsigned v, tdx_error *err)
{
    tdx_measure_options o = TDX_MEASURE_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    int r;
    o.version = v;
    r = tdx_measure_uki_disk_boot(&m, "/nonexistent/OVMF.fd", "/nonexistent/disk.raw", "/nonexistent/uki.efi", &o,
                                  NULL, err);
    tdx_measurements_free(m);
    return r;
}

static int call_disk_boot_uki(unsigned v, tdx_error *err)
{
    tdx_uki_options o = TDX_UKI_OPTIONS_INIT;
    tdx_measurements *m = NULL;
    int r;
    o.version = v;
    r = tdx_measure_uki_disk_boot(&m, "/nonexistent/OVMF.fd", "/nonexistent/disk.raw", "/nonexistent/uki.efi", NULL,
                                  &o, err);
    tdx_measurements_free(m);
    return r;
}

static int call_eventlog(unsigned v, tdx_error *err)
{
    tdx_eventlog_options o = TDX_EVENTLOG_OPTIONS_INIT;
    tdx_eventlog *log = NULL;
    int r;
    o.version = v;
    r = tdx_eventlog_load_file(&log, "/nonexistent/log", &o, err);
    tdx_eventlog_free(log);
    return r;
}

static int call_verifier_new(unsigned v, tdx_error *err)
{
    tdx_verifier_options o = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verifier *ver = NULL;
    int r;
    o.version = v;
    r = tdx_verifier_new(&ver, &o, err);
    tdx_verifier_free(ver);
    return r;
}

static const struct options_case options_cases[] = {
    { "tdx_image_new", TDX_IMAGE_OPTIONS_VERSION, call_image_new },
    { "tdx_image_add_service", TDX_SERVICE_OPTIONS_VERSION, call_image_add_service },
    { "tdx_emit_mkosi", TDX_EMIT_OPTIONS_VERSION, call_emit },
    { "tdx_deb_extract", TDX_DEB_EXTRACT_OPTIONS_VERSION, call_deb_extract },
    { "tdx_deb_index_open", TDX_DEB_OPTIONS_VERSION, call_deb_index_open },
    { "tdx_fetch", TDX_FETCH_OPTIONS_VERSION, call_fetch },
    { "tdx_fetch_git", TDX_GIT_OPTIONS_VERSION, call_fetch_git },
    { "tdx_lock_resolve", TDX_LOCK_OPTIONS_VERSION, call_lock_resolve },
    { "tdx_lock_fetch_all", TDX_FETCH_OPTIONS_VERSION, call_lock_fetch_all },
    { "tdx_agent_connect", TDX_AGENT_OPTIONS_VERSION, call_agent_connect },
    { "tdx_sim_pki_create", TDX_SIM_PKI_OPTIONS_VERSION, call_sim_pki },
    { "tdx_measure_direct_boot", TDX_MEASURE_OPTIONS_VERSION, call_measure },
    { "tdx_measure_uki_tpm", TDX_UKI_OPTIONS_VERSION, call_uki },
    { "tdx_measure_uki_disk_boot", TDX_MEASURE_OPTIONS_VERSION, call_disk_boot },
    { "tdx_measure_uki_disk_boot", TDX_UKI_OPTIONS_VERSION, call_disk_boot_uki },
    { "tdx_eventlog_load_file", TDX_EVENTLOG_OPTIONS_VERSION, call_eventlog },
    { "tdx_verifier_new", TDX_VERIFIER_OPTIONS_VERSION, call_verifier_new },
};

START_TEST(options_version_refused)
{
    const struct options_case *c = &options_cases[_i];
    unsigned bad[2] = { 0, c->max + 1 };

    for (int k = 0; k < 2; k++) {
        tdx_error err = TDX_ERROR_INIT;
        char want[160];

        snprintf(want, sizeof(want), "%s: unsupported options version %u (this library knows 1 to %u)",
                 c->func, bad[k], c->max);
        ck_assert_int_eq(c->call(bad[k], &err), -EINVAL);
        ck_assert_int_eq(err.code, -EINVAL);
        ck_assert_str_eq(err.message, want);
        /* Same code without a tdx_error. */
        ck_assert_int_eq(c->call(bad[k], NULL), -EINVAL);
    }
}
END_TEST



/* The register helpers behind the measuring functions: a refused register
 * name gives -EINVAL whether or not there is a tdx_error to read it from
 * (they used to answer -ENOMEM without one). */
START_TEST(register_helpers_return_their_code)
{
    static const tdx_hash_alg sha384 = TDX_HASH_SHA384;
    static const uint8_t digest[1][TDX_DIGEST_MAX];
    tdx_measurements *m = NULL;
    tdx_error err = TDX_ERROR_INIT;
    struct mreg *reg = NULL;

    ck_assert_int_eq(meas_new(&m, MEAS_TDX, &sha384, 1, NULL), 0);
    ck_assert_int_eq(meas_reg_get(m, "rtmr0", &reg, NULL), 0);
    ck_assert_str_eq(reg->name, "rtmr0");
    ck_assert_int_eq(meas_reg_get(m, "much-too-long", NULL, NULL), -EINVAL);
    ck_assert_int_eq(meas_reg_get(m, "much-too-long", NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "register name \"much-too-long\" is too long");
    ck_assert_int_eq(meas_unknown(m, "much-too-long", NULL, "why"), -EINVAL);
    ck_assert_int_eq(meas_extend(m, "much-too-long", 1, digest, NULL, "event"), -EINVAL);
    tdx_measurements_free(m);
}
END_TEST

/* ---- the returned code does not depend on err ------------------------- */

/* A scratch directory with a file of junk and a non-empty directory. */
static char *scratch;
static char junk[600], nonempty[600];

static void scratch_setup(void)
{
    scratch = tmpdir_new();
    write_text(scratch, "junk", "this is not any format the library reads\n");
    write_text(scratch, "nonempty/file", "x");
    snprintf(junk, sizeof(junk), "%s/junk", scratch);
    snprintf(nonempty, sizeof(nonempty), "%s/nonempty", scratch);
}

static void scratch_teardown(void)
{
    tmpdir_remove(scratch);
    scratch = NULL;
}

#define FAIL_CASE(name, body)                        \
    static int name(tdx_error *err)                  \
    {                                                \
        body                                         \
    }

FAIL_CASE(f_image_load_missing, {
    tdx_image *i = NULL;
    int r = tdx_image_load_file(&i, "/nonexistent/recipe.json", err);
    tdx_image_free(i);
    return r;
})
FAIL_CASE(f_image_load_syntax, {
    tdx_image *i = NULL;
    int r = tdx_image_load_buffer(&i, "r.json", "{", 1, scratch, err);
    tdx_image_free(i);
    return r;
})
FAIL_CASE(f_image_load_unknown_key, {
    static const char json[] = "{\"nmae\": \"x\"}";
    tdx_image *i = NULL;
    int r = tdx_image_load_buffer(&i, "r.json", json, sizeof(json) - 1, scratch, err);
    tdx_image_free(i);
    return r;
})
FAIL_CASE(f_image_bad_user, {
    tdx_image *i = small_image();
    int r = tdx_image_add_user(i, "Not A Name", NULL, err);
    tdx_image_free(i);
    return r;
})
FAIL_CASE(f_emit_nonempty, {
    tdx_image *i = small_image();
    int r = tdx_emit_mkosi(i, nonempty, NULL, err);
    tdx_image_free(i);
    return r;
})
FAIL_CASE(f_measure_junk, {
    tdx_measurements *m = NULL;
    int r = tdx_measure_direct_boot(&m, junk, junk, NULL, err);
    tdx_measurements_free(m);
    return r;
})
FAIL_CASE(f_measure_missing, {
    tdx_measurements *m = NULL;
    int r = tdx_measure_direct_boot(&m, "/nonexistent/OVMF.fd", junk, NULL, err);
    tdx_measurements_free(m);
    return r;
})
FAIL_CASE(f_uki_junk, {
    tdx_measurements *m = NULL;
    int r = tdx_measure_uki_tpm(&m, junk, NULL, err);
    tdx_measurements_free(m);
    return r;
})
FAIL_CASE(f_disk_boot_junk, {
    tdx_measurements *m = NULL;
    int r = tdx_measure_uki_disk_boot(&m, junk, junk, junk, NULL, NULL, err);
    tdx_measurements_free(m);
    return r;
})
FAIL_CASE(f_eventlog_junk, {
    tdx_eventlog *l = NULL;
    int r = tdx_eventlog_load_file(&l, junk, NULL, err);
    tdx_eventlog_free(l);
    return r;
})
FAIL_CASE(f_eventlog_parse_short, {
    tdx_eventlog *l = NULL;
    int r = tdx_eventlog_parse(&l, "log", "\0\0\0", 3, TDX_EVENTLOG_CC, err);
    tdx_eventlog_free(l);
    return r;
})
FAIL_CASE(f_measurements_json_junk, {
    tdx_measurements *m = NULL;
    int r = tdx_measurements_load_json(&m, junk, err);
    tdx_measurements_free(m);
    return r;
})
FAIL_CASE(f_expected_array, {
    tdx_expected *e = NULL;
    int r = tdx_expected_load_buffer(&e, "e.json", "[]", 2, err);
    tdx_expected_free(e);
    return r;
})
FAIL_CASE(f_quote_short, {
    tdx_quote *q = NULL;
    int r = tdx_quote_parse(&q, "abc", 3, err);
    tdx_quote_free(q);
    return r;
})
FAIL_CASE(f_quote_missing, {
    tdx_quote *q = NULL;
    int r = tdx_quote_load_file(&q, "/nonexistent/quote.bin", err);
    tdx_quote_free(q);
    return r;
})
FAIL_CASE(f_verifier_bad_root, {
    tdx_verifier_options o = TDX_VERIFIER_OPTIONS_INIT;
    tdx_verifier *v = NULL;
    int r;
    o.root_file = junk;
    r = tdx_verifier_new(&v, &o, err);
    tdx_verifier_free(v);
    return r;
})
FAIL_CASE(f_lock_junk, {
    tdx_lock *l = NULL;
    int r = tdx_lock_load(&l, junk, err);
    tdx_lock_free(l);
    return r;
})
FAIL_CASE(f_lock_empty_object, {
    tdx_lock *l = NULL;
    int r = tdx_lock_load_buffer(&l, "l.json", "{}", 2, err);
    tdx_lock_free(l);
    return r;
})
FAIL_CASE(f_deb_junk, {
    char out[700];
    snprintf(out, sizeof(out), "%s/deb-out", scratch);
    return tdx_deb_extract(junk, out, NULL, err);
})
FAIL_CASE(f_tree_hash_missing, {
    char *h = NULL;
    int r = tdx_tree_hash("/nonexistent/dir", &h, err);
    tdx_free(h);
    return r;
})
FAIL_CASE(f_fetch_hash_missing, {
    char *h = NULL;
    int r = tdx_fetch_hash("/nonexistent/file", NULL, &h, NULL, err);
    tdx_free(h);
    return r;
})
FAIL_CASE(f_agent_bad_address, {
    tdx_agent *a = NULL;
    int r = tdx_agent_connect(&a, "carrier-pigeon:1", NULL, err);
    tdx_agent_free(a);
    return r;
})
FAIL_CASE(f_sim_pki_nonempty, { return tdx_sim_pki_create(nonempty, NULL, err); })
FAIL_CASE(f_secrets_junk, {
    tdx_secrets *s = NULL;
    int r = tdx_secrets_load_file(&s, junk, err);
    tdx_secrets_free(s);
    return r;
})

static const struct {
    const char *what;
    int (*call)(tdx_error *err);
} fail_cases[] = {
    { "tdx_image_load_file: missing file", f_image_load_missing },
    { "tdx_image_load_buffer: syntax error", f_image_load_syntax },
    { "tdx_image_load_buffer: unknown key", f_image_load_unknown_key },
    { "tdx_image_add_user: bad name", f_image_bad_user },
    { "tdx_emit_mkosi: non-empty target", f_emit_nonempty },
    { "tdx_measure_direct_boot: junk firmware", f_measure_junk },
    { "tdx_measure_direct_boot: missing firmware", f_measure_missing },
    { "tdx_measure_uki_tpm: not a PE file", f_uki_junk },
    { "tdx_measure_uki_disk_boot: junk firmware", f_disk_boot_junk },
    { "tdx_eventlog_load_file: junk", f_eventlog_junk },
    { "tdx_eventlog_parse: truncated", f_eventlog_parse_short },
    { "tdx_measurements_load_json: junk", f_measurements_json_junk },
    { "tdx_expected_load_buffer: not an object", f_expected_array },
    { "tdx_quote_parse: truncated", f_quote_short },
    { "tdx_quote_load_file: missing", f_quote_missing },
    { "tdx_verifier_new: junk root", f_verifier_bad_root },
    { "tdx_lock_load: junk", f_lock_junk },
    { "tdx_lock_load_buffer: empty object", f_lock_empty_object },
    { "tdx_deb_extract: not a .deb", f_deb_junk },
    { "tdx_tree_hash: missing directory", f_tree_hash_missing },
    { "tdx_fetch_hash: missing file", f_fetch_hash_missing },
    { "tdx_agent_connect: bad address", f_agent_bad_address },
    { "tdx_sim_pki_create: non-empty directory", f_sim_pki_nonempty },
    { "tdx_secrets_load_file: junk", f_secrets_junk },
};

START_TEST(code_does_not_depend_on_err)
{
    tdx_error err = TDX_ERROR_INIT;
    int with_err = fail_cases[_i].call(&err);
    int without = fail_cases[_i].call(NULL);

    ck_assert_msg(with_err < 0, "%s: expected a failure, got %d", fail_cases[_i].what, with_err);
    ck_assert_msg(err.code == with_err, "%s: err.code %d, returned %d", fail_cases[_i].what,
                  err.code, with_err);
    ck_assert_msg(err.message[0] && !strchr(err.message, '\n'), "%s: message \"%s\"",
                  fail_cases[_i].what, err.message);
    ck_assert_msg(without == with_err, "%s: returned %d with a tdx_error, %d without",
                  fail_cases[_i].what, with_err, without);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("errors");
    tcase_add_loop_test(tc, options_version_refused, 0,
                        (int)(sizeof(options_cases) / sizeof(options_cases[0])));
    suite_add_tcase(s, tc);
    tc = tcase_create("code");
    tcase_add_test(tc, register_helpers_return_their_code);
    tcase_add_checked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_loop_test(tc, code_does_not_depend_on_err, 0,
                        (int)(sizeof(fail_cases) / sizeof(fail_cases[0])));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
