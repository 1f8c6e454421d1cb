/* SPDX-License-Identifier: MIT */
/* The configfs-tsm quote provider against the fake kernel of fake-tsm.c:
 * the happy path, generation races, EBUSY, empty outblobs, a missing or
 * foreign provider, and the errors a real TDX guest reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-tsm.h"
#include "helpers.h"
#include "macro.h"
#include "quote-provider.h"

/* Short waits so the failure cases stay fast. */
static const struct tsm_options fast = { 3, 1, 3, 50 };

struct run {
    int r;
    uint8_t *quote;
    size_t len;
    char msg[400];
};

static struct run request(struct fake_tsm *f, const char *base, uint8_t fill)
{
    struct tsm_fs fs = fake_tsm_fs(f);
    struct quote_provider *p = NULL;
    struct run out = { 0 };
    uint8_t data[REPORT_DATA_SIZE];

    memset(data, fill, sizeof(data));
    ck_assert_int_eq(quote_configfs_new(base ? base : f->root, &fs, &fast, &p, out.msg,
                                        sizeof(out.msg)), 0);
    ck_assert_str_eq(p->name, "configfs");
    ck_assert(!p->simulated);
    out.r = p->get(p, data, &out.quote, &out.len, out.msg, sizeof(out.msg));
    quote_provider_free(p);
    ck_assert_msg(!strchr(out.msg, '\n'), "multi-line message: %s", out.msg);
    return out;
}

START_TEST(a_quote_goes_through_a_fresh_directory)
{
    struct fake_tsm *f = fake_tsm_new();
    struct run r = request(f, NULL, 0x5a);

    ck_assert_msg(r.r == 0, "%s", r.msg);
    ck_assert_uint_eq(r.len, FAKE_TSM_QUOTE_SIZE);
    ck_assert_uint_eq(f->inblob_len, 64);   /* exactly 64 bytes, as the TDX provider demands */
    for (int i = 0; i < 64; i++)
        ck_assert_uint_eq(r.quote[568 + i], 0x5a);
    ck_assert_uint_eq(f->mkdirs, 1);
    ck_assert_uint_eq(f->rmdirs, 1);
    ck_assert_int_eq(fake_tsm_leftovers(f), 0);
    free(r.quote);
    fake_tsm_free(f);
}
END_TEST

START_TEST(a_generation_race_is_retried)
{
    struct fake_tsm *f = fake_tsm_new();
    struct run r;

    f->interfere = 1;
    r = request(f, NULL, 1);
    ck_assert_msg(r.r == 0, "%s", r.msg);
    ck_assert_uint_eq(f->mkdirs, 2);   /* the interfered report was dropped */
    ck_assert_uint_eq(f->commits, 2);
    ck_assert_int_eq(fake_tsm_leftovers(f), 0);
    free(r.quote);

    f->interfere = 100;
    r = request(f, NULL, 1);
    ck_assert_int_eq(r.r, -EBUSY);
    ck_assert_contains(r.msg, "another writer changed the report 4 times in a row");
    ck_assert_ptr_null(r.quote);
    ck_assert_int_eq(fake_tsm_leftovers(f), 0);
    fake_tsm_free(f);
}
END_TEST

START_TEST(ebusy_is_retried_a_bounded_number_of_times)
{
    struct fake_tsm *f = fake_tsm_new();
    struct run r;

    f->busy_writes = 2;
    f->busy_reads = 2;
    r = request(f, NULL, 2);
    ck_assert_msg(r.r == 0, "%s", r.msg);
    ck_assert_uint_eq(f->busy_writes, 0);
    ck_assert_uint_eq(f->busy_reads, 0);
    free(r.quote);

    f->busy_writes = 100;
    r = request(f, NULL, 2);
    ck_assert_int_eq(r.r, -EBUSY);
    ck_assert_contains(r.msg, "/inblob: cannot write 64 bytes: Device or resource busy (still busy after retries)");
    ck_assert_uint_eq(f->busy_writes, 100 - 4);   /* the first try and three retries */

    f->busy_writes = 0;
    f->busy_reads = 100;
    r = request(f, NULL, 2);
    ck_assert_int_eq(r.r, -EBUSY);
    ck_assert_contains(r.msg, "/outblob: cannot read");
    ck_assert_int_eq(fake_tsm_leftovers(f), 0);
    fake_tsm_free(f);
}
END_TEST

START_TEST(an_empty_outblob_is_an_error)
{
    struct fake_tsm *f = fake_tsm_new();
    struct run r;
    f->empty_outblob = true;
    r = request(f, NULL, 3);
    ck_assert_int_eq(r.r, -EIO);
    ck_assert_contains(r.msg, "/outblob is empty: the host's quote generation service returned no quote");
    ck_assert_ptr_null(r.quote);
    ck_assert_int_eq(fake_tsm_leftovers(f), 0);
    fake_tsm_free(f);
}
END_TEST

START_TEST(the_provider_must_be_tdx_guest)
{
    struct fake_tsm *f = fake_tsm_new();
    struct run r;

    f->provider = NULL;
    r = request(f, NULL, 4);
    ck_assert_int_eq(r.r, -ENXIO);
    ck_assert_contains(r.msg, "has no provider attribute: no TSM provider is registered");
    f->provider = "sev_guest\n";
    r = request(f, NULL, 4);
    ck_assert_int_eq(r.r, -ENXIO);
    ck_assert_contains(r.msg, "the TSM provider is \"sev_guest\", not tdx_guest");
    ck_assert_uint_eq(f->commits, 0);   /* nothing written to a foreign provider */
    ck_assert_int_eq(fake_tsm_leftovers(f), 0);
    fake_tsm_free(f);
}
END_TEST

START_TEST(kernel_errors_get_clear_messages)
{
    struct fake_tsm *f = fake_tsm_new();
    char missing[4200];
    struct run r;

    f->mkdir_errno = ENXIO;
    r = request(f, NULL, 5);
    ck_assert_int_eq(r.r, -ENXIO);
    ck_assert_contains(r.msg, "no TSM provider (not a TDX guest?)");
    f->mkdir_errno = 0;

    snprintf(missing, sizeof(missing), "%s/absent", f->root);
    r = request(f, missing, 5);
    ck_assert_int_eq(r.r, -ENOENT);
    ck_assert_contains(r.msg, "does not exist: configfs is not mounted");

    f->outblob_errno = ETIMEDOUT;
    r = request(f, NULL, 5);
    ck_assert_int_eq(r.r, -ETIMEDOUT);
    ck_assert_contains(r.msg, "did not answer in time (is the QGS running");
    f->outblob_errno = EINVAL;
    r = request(f, NULL, 5);
    ck_assert_int_eq(r.r, -EINVAL);
    ck_assert_contains(r.msg, "exactly 64 bytes");
    f->outblob_errno = EIO;
    r = request(f, NULL, 5);
    ck_assert_int_eq(r.r, -EIO);
    ck_assert_contains(r.msg, "GetQuote hypercall or TDREPORT call failed");
    f->outblob_errno = 0;

    f->stuck_generation = true;
    r = request(f, NULL, 5);
    ck_assert_int_eq(r.r, -EIO);
    ck_assert_contains(r.msg, "generation did not advance after writing inblob");
    ck_assert_int_eq(fake_tsm_leftovers(f), 0);
    fake_tsm_free(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("configfs");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, a_quote_goes_through_a_fresh_directory);
    tcase_add_test(tc, a_generation_race_is_retried);
    tcase_add_test(tc, ebusy_is_retried_a_bounded_number_of_times);
    tcase_add_test(tc, an_empty_outblob_is_an_error);
    tcase_add_test(tc, the_provider_must_be_tdx_guest);
    tcase_add_test(tc, kernel_errors_get_clear_messages);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
