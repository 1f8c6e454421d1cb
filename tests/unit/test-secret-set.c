/* SPDX-License-Identifier: MIT */
/* Secret value sets: the strict JSON reader, the env-file reader, the
 * serialiser, and that no message ever carries a value. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "json-strict.h"
#include "macro.h"
#include "secret-set.h"
#include "utf8.h"

static char msg[512];

static int parse_json(const char *text, bool raw, struct secret_set *s)
{
    msg[0] = '\0';
    return secret_set_parse_json("in.json", text, strlen(text), raw, s, msg, sizeof(msg));
}

static int parse_env(const char *text, struct secret_set *s)
{
    msg[0] = '\0';
    return secret_set_parse_env("in.env", text, strlen(text), s, msg, sizeof(msg));
}

static void expect_value(const struct secret_set *s, const char *name, const char *value,
                         size_t len)
{
    const struct secret_value *v = secret_set_find(s, name);
    ck_assert_msg(v != NULL, "secret %s missing", name);
    ck_assert_uint_eq(v->len, len);
    ck_assert_mem_eq(v->value, value, len);
    ck_assert_uint_eq((unsigned char)v->value[len], 0);
}

START_TEST(utf8_rules)
{
    ck_assert(utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x94\x91", 15));
    ck_assert(!utf8_valid("\xc0\xaf", 2));           /* overlong '/' */
    ck_assert(!utf8_valid("\xe0\x80\xaf", 3));       /* overlong */
    ck_assert(!utf8_valid("\xed\xa0\x80", 3));       /* a surrogate */
    ck_assert(!utf8_valid("\xf4\x90\x80\x80", 4));   /* above U+10FFFF */
    ck_assert(!utf8_valid("\xc3", 1));               /* cut */
    ck_assert(!utf8_valid("\x80", 1));               /* lone continuation */
}
END_TEST

START_TEST(strict_json_values)
{
    static const char *const good[] = {
        "0", "-0.5e+10", "\"x\"", "true", "null", " [1, {\"a\": [false]}] ", "{}", "[]",
        "\"\\ud83d\\udd11\"", "{\"a\":1,\"a\":2}",
    };
    static const struct { const char *text, *why; } bad[] = {
        { "", "unexpected end" }, { "01", "text after" }, { "1.", "decimal point" },
        { "1e", "exponent" }, { "[1,]", "expected a value" }, { "{\"a\" 1}", "':'" },
        { "\"\\u0000\"", "\\u0000" }, { "\"\\ud800\"", "unpaired high" },
        { "\"\\udc00x\"", "unpaired low" }, { "\"\x01\"", "control character" },
        { "\"\xff\"", "UTF-8" }, { "\"abc", "unterminated" }, { "[1] [2]", "text after" },
        { "tru", "expected a value" }, { "\"\\x\"", "escape" }, { "{1:2}", "member name" },
        { "NaN", "expected a value" },
    };
    char deep[200];
    size_t pos;

    for (size_t i = 0; i < ELEMENTSOF(good); i++)
        ck_assert_msg(json_strict_check(good[i], strlen(good[i]), 64, &pos) == NULL, "%s",
                      good[i]);
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        const char *why = json_strict_check(bad[i].text, strlen(bad[i].text), 64, &pos);
        ck_assert_msg(why != NULL, "accepted %s", bad[i].text);
        ck_assert_msg(strstr(why, bad[i].why), "%s: %s", bad[i].text, why);
    }
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    ck_assert_ptr_null(json_strict_check(deep, 200, 100, &pos));
    ck_assert_str_eq(json_strict_check(deep, 200, 99, &pos), "nested too deeply");
}
END_TEST

START_TEST(json_sets)
{
    struct secret_set s = SECRET_SET_INIT;
    char *out;
    size_t len;

    ck_assert_int_eq(parse_json(" { \"jwt\" : \"ab\\u00e9\\n\" , \"api.key\": \"\", "
                                "\"_x-1\": \"\\\"q\\\\\" }\n", false, &s), 0);
    ck_assert_uint_eq(s.n, 3);
    expect_value(&s, "jwt", "ab\xc3\xa9\n", 5);
    expect_value(&s, "api.key", "", 0);
    expect_value(&s, "_x-1", "\"q\\", 3);
    ck_assert_uint_eq(s.total, 8);
    ck_assert_int_eq(secret_set_to_json(&s, &out, &len), 0);
    ck_assert_str_eq(out, "{\"jwt\":\"ab\xc3\xa9\\n\",\"api.key\":\"\",\"_x-1\":\"\\\"q\\\\\"}");
    ck_assert_uint_eq(len, strlen(out));
    secret_set_wipe(&s);
    /* What the serialiser writes, the strict reader reads back. */
    ck_assert_int_eq(parse_json(out, false, &s), 0);
    expect_value(&s, "_x-1", "\"q\\", 3);
    secret_buffer_free(out, len);
    secret_set_wipe(&s);
    ck_assert_uint_eq(s.n, 0);

    /* Control characters come out escaped. */
    ck_assert_int_eq(secret_set_add(&s, "c", "\x01\t\x1f", 3, msg, sizeof(msg)), 0);
    ck_assert_int_eq(secret_set_to_json(&s, &out, &len), 0);
    ck_assert_str_eq(out, "{\"c\":\"\\u0001\\t\\u001f\"}");
    secret_buffer_free(out, len);
    secret_set_wipe(&s);

    /* Raw values: non-strings are taken as written, for kind json. */
    ck_assert_int_eq(parse_json("{\"cfg\": {\"a\": [1, 2]}, \"n\": 12}", true, &s), 0);
    expect_value(&s, "cfg", "{\"a\": [1, 2]}", 13);
    expect_value(&s, "n", "12", 2);
    secret_set_wipe(&s);
    ck_assert_int_eq(parse_json("{}", false, &s), 0);
    ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(json_errors_name_place_not_value)
{
    static const struct { const char *text, *want; int code; } cases[] = {
        { "[]", "line 1, column 1: expected a JSON object", -EINVAL },
        { "{\"a\": 1}", "secret \"a\": expected a string", -EINVAL },
        { "{\"a\": \"s3cr3t\", \"a\": \"other\"}", "secret \"a\" is given twice", -EEXIST },
        { "{\"9bad\": \"s3cr3t\"}", "not a secret name", -EINVAL },
        { "{\"a\": \"s3cr3t\"", "line 1, column 15: expected ',' or '}'", -EINVAL },
        { "{\"a\": \"s3cr3t\"} x", "text after the object", -EINVAL },
        { "{\"a\": \"s3\\u0000cr3t\"}", "\\u0000", -EINVAL },
        { "{\n \"a\": \"s3cr3t\x01\"}", "line 2, column 14: control character", -EINVAL },
        { "{\"a\": \"s3cr3t}", "unterminated", -EINVAL },
    };
    struct secret_set s = SECRET_SET_INIT;
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        ck_assert_int_eq(parse_json(cases[i].text, false, &s), cases[i].code);
        ck_assert_msg(strstr(msg, cases[i].want), "%s -> %s", cases[i].text, msg);
        ck_assert_msg(startswith(msg, "in.json: "), "%s", msg);
        ck_assert_msg(!strstr(msg, "s3cr3t") && !strstr(msg, "other"), "value leaked: %s", msg);
        ck_assert_uint_eq(s.n, 0);
    }
}
END_TEST

START_TEST(env_files)
{
    struct secret_set s = SECRET_SET_INIT;
    const char *text = "# a comment\n"
                       "\n"
                       "   \t\n"
                       "PLAIN=a b = c \n"
                       "  INDENTED=x\n"
                       "EMPTY=\n"
                       "DQ=\"line1\\nline2\\t\\\"q\\\" \\\\\"\n"
                       "SQ='it''s \\n'\n"
                       "LAST=no newline";

    ck_assert_int_eq(parse_env(text, &s), 0);
    ck_assert_uint_eq(s.n, 6);
    expect_value(&s, "PLAIN", "a b = c ", 8);
    expect_value(&s, "INDENTED", "x", 1);
    expect_value(&s, "EMPTY", "", 0);
    expect_value(&s, "DQ", "line1\nline2\t\"q\" \\", 17);
    expect_value(&s, "SQ", "it''s \\n", 8);
    expect_value(&s, "LAST", "no newline", 10);
    secret_set_wipe(&s);
}
END_TEST

START_TEST(env_errors)
{
    static const struct { const char *text, *want; } cases[] = {
        { "A=1\nhunter2\n", "line 2: expected NAME=value" },
        { "9QUJD==\n", "line 1: the text before '=' is not a secret name" },
        { "A=1\r\n", "line 1: carriage return" },
        { "A=1\nA=2\n", "line 2: secret \"A\" is given twice" },
        { "A=\"s3cr3t\\x\"\n", "line 1: unknown escape" },
        { "A=\"s3\"cr3t\"\n", "line 1: a double quote inside" },
        { "A=\"s3cr3t\\\"\n", "line 1: the value ends in a lone backslash" },
        { "A=s3cr3t\xff\n", "line 1: secret \"A\": the value is not valid UTF-8" },
        { " =s3cr3t\n", "line 1: the text before '='" },
        { "A=1\nB=\"s3cr3t\n", "line 2: the value opens a double quote that does not close" },
        { "B='s3cr3t\n", "line 1: the value opens a single quote that does not close" },
        { "B=\"\n", "line 1: the value opens a double quote" },
        { "B='s3cr3t\"\n", "line 1: the value opens a single quote" },
        { "B=\"s3cr3t\nmore\"\n", "line 1: the value opens a double quote" },
    };
    struct secret_set s = SECRET_SET_INIT;
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        ck_assert_msg(parse_env(cases[i].text, &s) < 0, "accepted case %zu", i);
        ck_assert_msg(strstr(msg, cases[i].want), "%s -> %s", cases[i].text, msg);
        ck_assert_msg(!strstr(msg, "s3cr3t") && !strstr(msg, "hunter2") && !strstr(msg, "9QUJD"),
                      "value leaked: %s", msg);
        ck_assert_uint_eq(s.n, 0);
    }
}
END_TEST

START_TEST(bounds)
{
    struct secret_set s = SECRET_SET_INIT;
    char *big = calloc(1, SECRET_SET_BYTES_MAX + 1), name[16];

    memset(big, 'a', SECRET_SET_BYTES_MAX);
    ck_assert_int_eq(secret_set_add(&s, "big", big, SECRET_SET_BYTES_MAX + 1, msg, sizeof(msg)),
                     -E2BIG);
    ck_assert_int_eq(secret_set_add(&s, "big", big, SECRET_SET_BYTES_MAX - 1, msg, sizeof(msg)),
                     0);
    ck_assert_int_eq(secret_set_add(&s, "two", big, 2, msg, sizeof(msg)), -E2BIG);
    ck_assert_str_eq(msg, "secret \"two\": the values add up to more than 1048576 bytes");
    ck_assert_int_eq(secret_set_add(&s, "one", big, 1, msg, sizeof(msg)), 0);
    secret_set_wipe(&s);
    for (int i = 0; i < SECRET_SET_MAX; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        ck_assert_int_eq(secret_set_add(&s, name, "v", 1, msg, sizeof(msg)), 0);
    }
    ck_assert_int_eq(secret_set_add(&s, "more", "v", 1, msg, sizeof(msg)), -E2BIG);
    ck_assert_int_eq(secret_set_add(&s, "s1", "v", 1, msg, sizeof(msg)), -EEXIST);
    secret_set_wipe(&s);
    ck_assert_int_eq(secret_set_add(&s, "x", "a\0b", 3, msg, sizeof(msg)), -EINVAL);
    ck_assert_int_eq(secret_set_add(&s, "bad name", "v", 1, msg, sizeof(msg)), -EINVAL);
    free(big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("secret-set");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, utf8_rules);
    tcase_add_test(tc, strict_json_values);
    tcase_add_test(tc, json_sets);
    tcase_add_test(tc, json_errors_name_place_not_value);
    tcase_add_test(tc, env_files);
    tcase_add_test(tc, env_errors);
    tcase_add_test(tc, bounds);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
