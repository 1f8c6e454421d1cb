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

int main(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("errors");
    tcase_add_loop_test(tc, options_version_refused, 0,
                        (int)(sizeof(options_cases) / sizeof(options_cases[0])));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
