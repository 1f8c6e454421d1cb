/* SPDX-License-Identifier: MIT */
/* Environment files as the agent writes them: every value a service can
 * receive reads back byte for byte with systemd's EnvironmentFile= rules
 * (shared/env-file.c's parser; its rules are tested in test-init.c), and
 * what would not survive is refused rather than mangled. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env-file.h"
#include "helpers.h"
#include "macro.h"
#include "strbuf.h"

struct got {
    char keys[32][64], values[32][256];
    size_t n;
};

static int collect(const char *key, const char *value, void *userdata)
{
    struct got *g = userdata;
    ck_assert_uint_lt(g->n, 32);
    ck_assert_uint_lt(strlen(value), 256);
    snprintf(g->keys[g->n], sizeof(g->keys[0]), "%s", key);
    snprintf(g->values[g->n++], sizeof(g->values[0]), "%s", value);
    return 0;
}

START_TEST(written_values_read_back_exactly)
{
    static const char *const values[] = {
        "plain", "", " leading and trailing spaces ", "say \"hi\"", "it's", "$HOME and ${X}",
        "back\\slash", "trailing backslash\\", "\\\n backslash before newline",
        "two\nlines\n", "\n", "tab\there\t", "`cmd` $(cmd)", "#not a comment", ";nor this",
        "ünïcødé ✓", "=\"='\\$`", "\\\\\\\"", "a\\\"b\\\\\"c",
    };
    strbuf sb = STRBUF_INIT;
    struct got g = { 0 };
    char name[16], msg[256];

    for (size_t i = 0; i < ELEMENTSOF(values); i++) {
        snprintf(name, sizeof(name), "V%zu", i);
        ck_assert_int_eq(env_file_append(&sb, name, values[i], strlen(values[i])), 0);
    }
    ck_assert_msg(env_file_parse(strbuf_str(&sb), sb.len, collect, &g, msg, sizeof(msg)) == 0,
                  "%s", msg);
    ck_assert_uint_eq(g.n, ELEMENTSOF(values));
    for (size_t i = 0; i < ELEMENTSOF(values); i++) {
        snprintf(name, sizeof(name), "V%zu", i);
        ck_assert_str_eq(g.keys[i], name);
        ck_assert_str_eq(g.values[i], values[i]);
    }
    /* What would not reach a service intact is refused. */
    ck_assert_int_eq(env_file_append(&sb, "X", "a\0b", 3), -EINVAL);
    ck_assert_int_eq(env_file_append(&sb, "X", "\xff", 1), -EINVAL);
    ck_assert_int_eq(env_file_append(&sb, "X", "cr\r", 3), -EINVAL);
    ck_assert_int_eq(env_file_append(&sb, "X", "esc\x1b", 4), -EINVAL);
    ck_assert_int_eq(env_file_append(&sb, "1X", "v", 1), -EINVAL);
    ck_assert_int_eq(env_file_append(&sb, "X Y", "v", 1), -EINVAL);
    strbuf_free(&sb);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("env-file");
    TCase *tc = tcase_create("env-file");
    tcase_add_test(tc, written_values_read_back_exactly);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
