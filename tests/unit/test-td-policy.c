/* SPDX-License-Identifier: MIT */
/*
 * The TD policy steps on quotes signed by a test PKI: every attribute bit
 * and pinned field changed in a freshly signed quote is refused at its own
 * step, naming the bit or the field; the safe defaults hold with no option
 * given; each allowance lets exactly its bit through.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "quotes.h"
#include "testpki.h"

static struct testpki P;
static char *root_pem;
static tdx_verifier *V;

static void setup(void)
{
    struct testpki_options po = { .fmspc = { 1, 2, 3, 4, 5, 6 } };
    tdx_verifier_options vo = TDX_VERIFIER_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;

    testpki_init(&P, &po);
    root_pem = testpki_pem(P.root);
    vo.root_pem = root_pem;
    ck_assert_msg(tdx_verifier_new(&V, &vo, &err) == 0, "%s", err.message);
}

static void teardown(void)
{
    tdx_verifier_free(V);
    free(root_pem);
    testpki_free(&P);
}

/* Signs q and verifies it; returns the failed step, the message in msg. */
static tdx_verify_step run(const struct testquote *q, const tdx_verify_options *o, char *msg)
{
    size_t size;
    uint8_t *data = testpki_quote(&P, q, &size);
    tdx_verify_step step = verify_bytes(V, data, size, o, msg, TDX_ERROR_MESSAGE_SIZE);
    free(data);
    return step;
}

static void set_bit(struct testquote *q, int off, int bit)
{
    q->body[off + bit / 8] |= (uint8_t)(1u << (bit % 8));
}

START_TEST(defaults_accept_a_plain_td)
{
    struct testquote q;
    char msg[TDX_ERROR_MESSAGE_SIZE];

    testquote_init(&q);
    ck_assert_msg(run(&q, NULL, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);
    /* The features a TD may use freely: PKS, KL, PERFMON. */
    set_bit(&q, 120, 30);
    set_bit(&q, 120, 31);
    set_bit(&q, 120, 63);
    ck_assert_msg(run(&q, NULL, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);
}
END_TEST

START_TEST(each_attribute_rule_refuses_at_td_attributes)
{
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    struct testquote q;
    char msg[TDX_ERROR_MESSAGE_SIZE];

    testquote_init(&q);
    set_bit(&q, 120, 0);
    ck_assert_int_eq(run(&q, NULL, msg), TDX_VERIFY_STEP_TD_ATTRIBUTES);
    ck_assert_contains(msg, "TD attribute DEBUG (bit 0) is set");
    o.allow_debug = 1;
    ck_assert_msg(run(&q, &o, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);

    testquote_init(&q);
    q.body[123] = 0;        /* SEPT_VE_DISABLE clear */
    ck_assert_int_eq(run(&q, NULL, msg), TDX_VERIFY_STEP_TD_ATTRIBUTES);
    ck_assert_str_eq(msg, "TD attribute SEPT_VE_DISABLE (bit 28) is clear (attributes 0000000000000000): EPT "
                          "violations reach the TD as #VE, which the host can raise at will; refused unless "
                          "allowed (allow_sept_ve)");
    o = (tdx_verify_options)TDX_VERIFY_OPTIONS_INIT;
    o.allow_sept_ve = 1;
    ck_assert_msg(run(&q, &o, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);

    testquote_init(&q);
    set_bit(&q, 120, 29);
    ck_assert_int_eq(run(&q, NULL, msg), TDX_VERIFY_STEP_TD_ATTRIBUTES);
    ck_assert_contains(msg, "TD attribute MIGRATABLE (bit 29) is set");
    o = (tdx_verify_options)TDX_VERIFY_OPTIONS_INIT;
    o.allow_migratable = 1;
    ck_assert_msg(run(&q, &o, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);
}
END_TEST

/* Every reserved bit, one at a time, is refused by number even with every
 * allowance given. */
START_TEST(each_reserved_bit_is_refused_by_number)
{
    static const int named[] = { 0, 28, 29, 30, 31, 63 };
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    char msg[TDX_ERROR_MESSAGE_SIZE], want[64];
    struct testquote q;
    int bit = _i;

    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
        if (named[i] == bit)
            return;
    o.allow_debug = o.allow_sept_ve = o.allow_migratable = 1;
    testquote_init(&q);
    set_bit(&q, 120, bit);
    ck_assert_int_eq(run(&q, &o, msg), TDX_VERIFY_STEP_TD_ATTRIBUTES);
    snprintf(want, sizeof(want), ": reserved bit %d set; reserved bits must be zero", bit);
    ck_assert_contains(msg, want);
}
END_TEST

START_TEST(attribute_and_xfam_pins)
{
    static const uint8_t attrs[8] = { 0, 0, 0, 0x10 }, mask_sec[8] = { 0, 0, 0, 0xff };
    static const uint8_t xfam[8] = { 0xe7, 0x02, 0x06 }, x87_sse[8] = { 0x03 };
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    char msg[TDX_ERROR_MESSAGE_SIZE];
    struct testquote q;

    testquote_init(&q);
    o.td_attributes = attrs;
    o.xfam = xfam;
    ck_assert_msg(run(&q, &o, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);
    set_bit(&q, 120, 30);                           /* PKS: allowed by the rules, not by the pin */
    ck_assert_int_eq(run(&q, &o, msg), TDX_VERIFY_STEP_TD_ATTRIBUTES);
    ck_assert_str_eq(msg, "TD attributes 0000005000000000 differs from the pinned 0000001000000000 under mask "
                          "ffffffffffffffff: bits PKS (bit 30)");
    o.td_attributes_mask = mask_sec;                /* bits 24..31 only */
    ck_assert_int_eq(run(&q, &o, msg), TDX_VERIFY_STEP_TD_ATTRIBUTES);
    set_bit(&q, 120, 63);
    q.body[123] = 0x10;
    ck_assert_msg(run(&q, &o, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);

    testquote_init(&q);
    q.body[129] = 0x00;                             /* XFAM: AMX/AVX-512 state bits dropped */
    ck_assert_int_eq(run(&q, &o, msg), TDX_VERIFY_STEP_XFAM);
    ck_assert_contains(msg, "XFAM e700060000000000 differs from the pinned e702060000000000 under mask "
                            "ffffffffffffffff: bits bit 9");
    o.xfam_mask = x87_sse;
    ck_assert_msg(run(&q, &o, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);
    o.xfam_mask = NULL;
    o.xfam = NULL;
    ck_assert_msg(run(&q, &o, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);
}
END_TEST

/* The 48-byte fields: a changed byte is refused at the field's step when it
 * is pinned, and passes unpinned (except MRSERVICETD, which must be zero). */
static const struct field_case {
    const char *name;
    int offset;
    tdx_verify_step step;
} fields[] = {
    { "MRCONFIGID", 184, TDX_VERIFY_STEP_MRCONFIGID },
    { "MROWNER", 232, TDX_VERIFY_STEP_MROWNER },
    { "MROWNERCONFIG", 280, TDX_VERIFY_STEP_MROWNERCONFIG },
    { "MRSEAM", 16, TDX_VERIFY_STEP_MRSEAM },
    { "MRSERVICETD", 600, TDX_VERIFY_STEP_MRSERVICETD },
};

static void pin(tdx_verify_options *o, tdx_verify_step step, const uint8_t (*values)[48], size_t n)
{
    switch (step) {
    case TDX_VERIFY_STEP_MRCONFIGID: o->mrconfigid = values; o->mrconfigid_count = n; break;
    case TDX_VERIFY_STEP_MROWNER: o->mrowner = values; o->mrowner_count = n; break;
    case TDX_VERIFY_STEP_MROWNERCONFIG: o->mrownerconfig = values; o->mrownerconfig_count = n; break;
    case TDX_VERIFY_STEP_MRSEAM: o->mrseam = values; o->mrseam_count = n; break;
    case TDX_VERIFY_STEP_MRSERVICETD: o->mrservicetd = values; o->mrservicetd_count = n; break;
    default: ck_abort();
    }
}

START_TEST(each_pinned_field_is_refused_at_its_step)
{
    const struct field_case *f = &fields[_i];
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    uint8_t values[2][48];
    char msg[TDX_ERROR_MESSAGE_SIZE], want[200];
    struct testquote q;

    testquote_init(&q);
    q.version = 5;
    q.body_type = 3;
    memset(values, 0, sizeof(values));
    for (int i = 0; i < 48; i++)
        values[0][i] = (uint8_t)(0x40 + i);
    values[1][47] = 0x99;
    memcpy(q.body + f->offset, values[0], 48);
    if (f->step == TDX_VERIFY_STEP_MRSERVICETD) {
        ck_assert_int_eq(run(&q, NULL, msg), f->step);
        ck_assert_contains(msg, "MRSERVICETD is 404142");
        ck_assert_contains(msg, "a service TD is bound to this TD");
    } else {
        ck_assert_msg(run(&q, NULL, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);
    }
    pin(&o, f->step, (const uint8_t (*)[48])values, 1);
    ck_assert_msg(run(&q, &o, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);
    q.body[f->offset + 47] ^= 1;
    ck_assert_int_eq(run(&q, &o, msg), f->step);
    snprintf(want, sizeof(want), "%s is 404142", f->name);
    ck_assert_contains(msg, want);
    ck_assert_contains(msg, ", expected 404142");
    /* Two accepted values (a rolling upgrade): either passes, a third not. */
    pin(&o, f->step, (const uint8_t (*)[48])values, 2);
    ck_assert_int_eq(run(&q, &o, msg), f->step);
    snprintf(want, sizeof(want), "%s 404142", f->name);
    ck_assert_contains(msg, want);
    ck_assert_contains(msg, "is none of the 2 expected values");
    memcpy(q.body + f->offset, values[1], 48);
    ck_assert_msg(run(&q, &o, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);
}
END_TEST

START_TEST(a_tdx10_body_has_no_service_td)
{
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    uint8_t value[48] = { 1 }, zero[48] = { 0 };
    char msg[TDX_ERROR_MESSAGE_SIZE];
    struct testquote q;

    testquote_init(&q);
    o.mrservicetd = (const uint8_t (*)[48])value;
    o.mrservicetd_count = 1;
    ck_assert_int_eq(run(&q, &o, msg), TDX_VERIFY_STEP_MRSERVICETD);
    ck_assert_contains(msg, "MRSERVICETD is 0000");
    o.mrservicetd = (const uint8_t (*)[48])zero;
    ck_assert_msg(run(&q, &o, msg) == TDX_VERIFY_STEP_NONE, "%s", msg);
}
END_TEST

START_TEST(step_results_name_every_policy_step)
{
    tdx_verify_options o = TDX_VERIFY_OPTIONS_INIT;
    tdx_error err = TDX_ERROR_INIT;
    tdx_verification *res = NULL;
    tdx_quote *quote = NULL;
    struct testquote q;
    uint8_t *data, value[48] = { 0 };
    char *json = NULL;
    size_t size;

    testquote_init(&q);
    data = testpki_quote(&P, &q, &size);
    ck_assert_int_eq(tdx_quote_parse(&quote, data, size, &err), 0);
    o.mrowner = (const uint8_t (*)[48])value;
    o.mrowner_count = 1;
    ck_assert_int_eq(tdx_verifier_verify(V, quote, &o, &res, &err), 0);
    ck_assert_int_eq(tdx_verification_to_json(res, &json, &err), 0);
    ck_assert_contains(json, "\"td_attributes\":\"passed\"");
    ck_assert_contains(json, "\"mrservicetd\":\"passed\"");
    ck_assert_contains(json, "\"mrowner\":\"passed\"");
    ck_assert_contains(json, "\"mrconfigid\":\"skipped\"");
    ck_assert_contains(json, "\"mrownerconfig\":\"skipped\"");
    ck_assert_contains(json, "\"mrseam\":\"skipped\"");
    ck_assert_contains(json, "\"xfam\":\"skipped\"");
    ck_assert_str_eq(tdx_verify_step_name(TDX_VERIFY_STEP_MRSEAM), "mrseam");
    ck_assert_ptr_null(tdx_verify_step_name(TDX_VERIFY_STEP_MRSEAM + 1));
    tdx_free(json);
    tdx_verification_free(res);

    /* A count without values, or a mask without a value, is the caller's
     * mistake. */
    o.mrowner = NULL;
    ck_assert_int_eq(tdx_verifier_verify(V, quote, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "a value list with a count but no values");
    o.mrowner_count = 0;
    o.xfam_mask = value;
    ck_assert_int_eq(tdx_verifier_verify(V, quote, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "a mask without a value to pin");
    /* A version 1 caller's struct is read only as far as version 1 goes. */
    o = (tdx_verify_options)TDX_VERIFY_OPTIONS_INIT;
    o.version = 1;
    o.allow_sept_ve = 1;        /* beyond version 1: must not be read */
    tdx_quote_free(quote);
    free(data);
    q.body[123] = 0;
    data = testpki_quote(&P, &q, &size);
    ck_assert_int_eq(tdx_quote_parse(&quote, data, size, &err), 0);
    ck_assert_int_eq(tdx_verifier_verify(V, quote, &o, NULL, &err), -EPERM);
    ck_assert_contains(err.message, "td_attributes: TD attribute SEPT_VE_DISABLE (bit 28) is clear");
    o.version = 3;
    ck_assert_int_eq(tdx_verifier_verify(V, quote, &o, NULL, &err), -EINVAL);
    ck_assert_contains(err.message, "tdx_verifier_verify: unsupported options version 3");
    tdx_quote_free(quote);
    free(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("td-policy");
    TCase *tc = tcase_create("td-policy");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, defaults_accept_a_plain_td);
    tcase_add_test(tc, each_attribute_rule_refuses_at_td_attributes);
    tcase_add_loop_test(tc, each_reserved_bit_is_refused_by_number, 0, 64);
    tcase_add_test(tc, attribute_and_xfam_pins);
    tcase_add_loop_test(tc, each_pinned_field_is_refused_at_its_step, 0, (int)(sizeof(fields) / sizeof(fields[0])));
    tcase_add_test(tc, a_tdx10_body_has_no_service_td);
    tcase_add_test(tc, step_results_name_every_policy_step);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
