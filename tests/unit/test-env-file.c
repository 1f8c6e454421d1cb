/* SPDX-License-Identifier: MIT */
/* Environment files: what the agent writes reads back byte for byte with
 * systemd's EnvironmentFile= rules (quotes, $, backslashes, newlines), and
 * the reader follows those rules on text the agent did not write. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env-file.h"
#include "helpers.h"
#include "macro.h"

struct got {
    char keys[32][64], values[32][256];
    size_t lens[32], n;
};

static int collect(const char *key, const char *value, size_t len, void *userdata)
{
    struct got *g = userdata;
    ck_assert_uint_lt(g->n, 32);
    ck_assert_uint_lt(len, 256);
    snprintf(g->keys[g->n], sizeof(g->keys[0]), "%s", key);
    memcpy(g->values[g->n], value, len + 1);
    g->lens[g->n++] = len;
    return 0;
}

START_TEST(written_values_read_back_exactly)
{
    static const char *const values[] = {
        "plain", "", " leading and trailing spaces ", "say \"hi\"", "it's", "$HOME and ${X}",
        "back\\slash", "trailing backslash\\", "\\\n backslash before newline",
        "two\nlines\n", "cr\rlf\r\n", "tab\there", "`cmd`", "#not a comment", ";nor this",
        "ünïcødé ✓", "=\"='\\$`", "\\\\\\\"",
    };
    strbuf sb = STRBUF_INIT;
    struct got g = { 0 };
    char name[16];

    for (size_t i = 0; i < ELEMENTSOF(values); i++) {
        snprintf(name, sizeof(name), "V%zu", i);
        ck_assert_int_eq(env_file_append(&sb, name, values[i], strlen(values[i])), 0);
    }
    ck_assert_int_eq(env_file_parse(strbuf_str(&sb), sb.len, collect, &g), 0);
    ck_assert_uint_eq(g.n, ELEMENTSOF(values));
    for (size_t i = 0; i < ELEMENTSOF(values); i++) {
        snprintf(name, sizeof(name), "V%zu", i);
        ck_assert_str_eq(g.keys[i], name);
        ck_assert_uint_eq(g.lens[i], strlen(values[i]));
        ck_assert_mem_eq(g.values[i], values[i], g.lens[i]);
    }
    /* What cannot survive is refused, not mangled. */
    ck_assert_int_eq(env_file_append(&sb, "X", "a\0b", 3), -EINVAL);
    ck_assert_int_eq(env_file_append(&sb, "X", "\xff", 1), -EINVAL);
    strbuf_free(&sb);
}
END_TEST

/* Text as people write it, read as systemd's parse_env_file_internal()
 * reads it (src/basic/env-file.c). */
START_TEST(systemd_rules)
{
    static const char text[] =
        "# comment\n"
        "; also a comment\n"
        "  A = unquoted value   \n"
        "B='single $quoted \\n kept'\n"
        "C=\"double \\q \\$ \\\\ \\` \\\" end\"\n"
        "D=line\\\n"
        "continued\n"
        "E=\"multi\n"
        "line\"\n"
        "F=\"cont\\\n"
        "inued\"\n"
        "G=\"a\"'b'c \"d\"\n"
        "no equals sign here\n"
        "H=\n"
        "A=again\n"
        "I=\\ escaped space\n"
        "J=last";
    struct got g = { 0 };

    ck_assert_int_eq(env_file_parse(text, sizeof(text) - 1, collect, &g), 0);
    ck_assert_uint_eq(g.n, 11);
    ck_assert_str_eq(g.keys[0], "A");
    ck_assert_str_eq(g.values[0], "unquoted value");
    ck_assert_str_eq(g.values[1], "single $quoted \\n kept");
    ck_assert_str_eq(g.values[2], "double \\q $ \\ ` \" end");
    ck_assert_str_eq(g.values[3], "linecontinued");
    ck_assert_str_eq(g.values[4], "multi\nline");
    ck_assert_str_eq(g.values[5], "continued");
    /* Quotes open only where a value starts; inside an unquoted one they are text. */
    ck_assert_str_eq(g.values[6], "abc \"d\"");
    ck_assert_str_eq(g.keys[7], "H");
    ck_assert_str_eq(g.values[7], "");
    ck_assert_str_eq(g.keys[8], "A");   /* the caller keeps the last one */
    ck_assert_str_eq(g.values[8], "again");
    ck_assert_str_eq(g.values[9], " escaped space");
    ck_assert_str_eq(g.keys[10], "J");
    ck_assert_str_eq(g.values[10], "last");
    /* A NUL ends the text; a value that is not UTF-8 is skipped. */
    g.n = 0;
    ck_assert_int_eq(env_file_parse("K=1\nL=\xff\nM=2\0N=3\n", 15, collect, &g), 0);
    ck_assert_uint_eq(g.n, 2);
    ck_assert_str_eq(g.keys[1], "M");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("env-file");
    TCase *tc = tcase_create("env-file");
    tcase_add_test(tc, written_values_read_back_exactly);
    tcase_add_test(tc, systemd_rules);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
