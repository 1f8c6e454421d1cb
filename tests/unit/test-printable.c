/* SPDX-License-Identifier: MIT */
/* The one sanitiser for text from outside (shared/printable.h). */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "printable.h"

static const struct printable_case {
    const char *in, *out;
    size_t changed;
} cases[] = {
    { "plain text, 1.2.3", "plain text, 1.2.3", 0 },
    { "", "", 0 },
    { "two\nlines\r\tand a tab", "two lines  and a tab", 3 },
    /* A terminal escape: the ESC goes, so the rest is inert text. */
    { "\x1b]0;owned\x07title", " ]0;owned title", 2 },
    { "\x1b[2J\x1b[H", " [2J [H", 2 },
    { "del\x7f", "del ", 1 },
    /* UTF-8 stays; U+009B (CSI as C1, C2 9B) and U+0085 (NEL) do not. */
    { "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x94\x91", "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x94\x91", 0 },
    { "a\xc2\x9b" "2Jb", "a??2Jb", 2 },
    { "\xc2\x85next", "??next", 2 },
    { "\xc2\xa0nbsp", "\xc2\xa0nbsp", 0 },
    /* Bytes that are not UTF-8: a lone 8-bit CSI, a truncated sequence, an
     * overlong form and a surrogate. */
    { "x\x9by", "x?y", 1 },
    { "end\xe2\x82", "end??", 2 },
    { "\xc0\xaf", "??", 2 },
    { "\xed\xa0\x80", "???", 3 },
};

START_TEST(printable_rewrites_controls_in_place)
{
    const struct printable_case *c = &cases[_i];
    char buf[64];
    size_t n;

    snprintf(buf, sizeof(buf), "%s", c->in);
    n = printable_inplace(buf, 0);
    ck_assert_str_eq(buf, c->out);
    ck_assert_uint_eq(strlen(buf), strlen(c->in));
    ck_assert_uint_eq(n, c->changed);
}
END_TEST

/* The wire protocol's messages: printable ASCII only. */
START_TEST(printable_ascii_drops_every_high_byte)
{
    char buf[] = "gr\xc3\xbc\xc3\x9f\n\x1b[0m ok";
    ck_assert_uint_eq(printable_inplace(buf, PRINTABLE_ASCII), 6);
    ck_assert_str_eq(buf, "gr????  [0m ok");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("printable");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, printable_rewrites_controls_in_place, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, printable_ascii_drops_every_high_byte);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
