/* SPDX-License-Identifier: MIT */
#include "quotes.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "hex.h"
#include "rfc3339.h"

/* Versions, body types and trailing byte counts as testdata/SOURCES.md and
 * reference/agent.md §3 list them; FMSPCs from the matching collateral. */
const struct real_quote real_quotes[] = {
    { "dcapqvl_v4.dat", 4, 2, 70, "b0c06f000000", 0, 0, NULL },
    { "dcapqvl_v4_b.dat", 4, 2, 70, NULL, 0, 0, NULL },
    { "dcapqvl_v4_tappd.dat", 4, 2, 70, NULL, 0, 0, NULL },
    { "dcapqvl_v5_outdated.dat", 5, 3, 0, "90c06f000000", 0, 0, NULL },
    { "gotdx_v4_cos113_zeropad.dat", 4, 2, 3065, NULL, 0, 0, NULL },
    { "gotdx_v4_spr_e4_trailing.dat", 4, 2, 39, "50806f000000", 0, 1, NULL },
    { "gotdx_v5_sample.dat", 5, 3, 0, "90c06f000000", 0, 0, NULL },
    { "trustee_azure_v4.dat", 4, 2, 70, NULL, 0, 1, NULL },
    { "trustee_v4_exact.dat", 4, 2, 0, NULL, 1, 0, NULL },
    { "trustee_v4_zeropad.dat", 4, 2, 70, NULL, 0, 0, NULL },
    { "trustee_v5.dat", 5, 3, 0, NULL, 0, 0,
      "383c87d3bbb047b2d171eaca95312ede99f258088dc788f6ae2ccf8b6dd848fe8d47629e08b3f6cbd4a00dd47a5a033d" },
};

void allow_real_quote(const struct real_quote *r, tdx_verify_options *o, uint8_t servicetd[48])
{
    o->allow_debug = r->debug;
    o->allow_sept_ve = r->sept_ve;
    if (r->mrservicetd) {
        ck_assert_int_eq(hex_decode(r->mrservicetd, servicetd, 48), 48);
        o->mrservicetd = (const uint8_t (*)[48])servicetd;
        o->mrservicetd_count = 1;
    }
}
const size_t n_real_quotes = sizeof(real_quotes) / sizeof(real_quotes[0]);

const char *testdata(const char *rel)
{
    return testdata_path(rel);
}

uint8_t *read_testdata(const char *rel, size_t *size)
{
    char *data = read_text(testdata(rel), size);
    ck_assert_msg(data != NULL, "cannot read %s", testdata(rel));
    return (uint8_t *)data;
}

tdx_verify_step verify_bytes(tdx_verifier *v, const uint8_t *data, size_t size, const tdx_verify_options *o,
                             char *message, size_t message_size)
{
    tdx_error err = TDX_ERROR_INIT;
    tdx_quote *q = NULL;
    tdx_verification *res = NULL;
    tdx_verify_step step;
    int r;

    if (tdx_quote_parse(&q, data, size, &err) < 0) {
        snprintf(message, message_size, "%s", err.message);
        return TDX_VERIFY_STEP_PARSE;
    }
    r = tdx_verifier_verify(v, q, o, &res, &err);
    ck_assert_msg(res != NULL, "no outcome: %s", err.message);
    step = tdx_verification_failed_step(res);
    ck_assert_int_eq(r == 0, step == TDX_VERIFY_STEP_NONE);
    ck_assert_int_eq(tdx_verification_ok(res), r == 0);
    if (r < 0)
        ck_assert_str_eq(strchr(err.message, ':') + 2, tdx_verification_message(res));
    snprintf(message, message_size, "%s", tdx_verification_message(res));
    tdx_verification_free(res);
    tdx_quote_free(q);
    return step;
}

long long at(const char *s)
{
    int64_t t;
    ck_assert_msg(rfc3339_parse(s, &t) == 0, "bad time %s", s);
    return (long long)t;
}
