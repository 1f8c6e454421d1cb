/* SPDX-License-Identifier: MIT */
/* The shared JSON member reader: each getter, its bounds, absence, the
 * unknown-key rule, syntax errors in plain words, and paths into nested
 * arrays. Every message is checked whole. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "json-error.h"
#include "json-reader.h"

static char msg[512];
static struct json_reader R;

static json_t *doc(const char *text)
{
    json_t *root = NULL;
    jr_init(&R, "t.json", msg, sizeof(msg));
    msg[0] = '\0';
    ck_assert_msg(jr_parse(&R, text, strlen(text), 0, 0, &root) == 0, "%s", msg);
    return root;
}

/* text must be refused by jr_parse with exactly want. */
static void parse_fails(const char *text, size_t len, const char *want)
{
    json_t *root = NULL;
    jr_init(&R, "t.json", msg, sizeof(msg));
    ck_assert_int_eq(jr_parse(&R, text, len, 8, 100, &root), -EINVAL);
    ck_assert_ptr_null(root);
    ck_assert_str_eq(msg, want);
}

START_TEST(syntax_errors_are_plain_words_with_line_and_column)
{
    static const char nul[] = "{\"a\": \"x\\u0000y\"}";
    static const char nul_key[] = "{\"a\": 1, \"b\\u0000\": 2}";

    parse_fails(nul, strlen(nul), "t.json:1:16: NUL byte in string");
    parse_fails(nul_key, strlen(nul_key), "t.json:1:18: NUL byte in a member name");
    parse_fails("{\"a\": 1,\n \"a\": 2}", 16, "t.json:2:4: duplicate member name near '\"a\"'");
    parse_fails("{\"a\": 1", 7, "t.json:1:7: unexpected end of text");
    parse_fails("{} x", 4, "t.json:1:4: text after the JSON value");
    parse_fails("{\"a\": 99999999999999999999}", 27, "t.json:1:26: number out of range near '99999999999999999999'");
    parse_fails("{\"a\": \"\xff\"}", 10, "t.json:1:7: invalid UTF-8");
    parse_fails("{\"a\" 1}", 7, "t.json:1:6: ':' expected near '1'");
    parse_fails("[1]", 3, "t.json: expected a JSON object at the top level, got an array");
    parse_fails("{\"a\": [[[[[[[[[1]]]]]]]]]}", 25, "t.json: JSON nested too deeply");
    /* Nothing any message says comes from jansson's flags. */
    ck_assert(!strstr(msg, "JSON_"));
}
END_TEST

START_TEST(strings_and_absence)
{
    json_t *o = doc("{\"s\": \"x\", \"e\": \"\", \"n\": null, \"i\": 1, \"nl\": \"a\\nb\"}");
    const char *s = "untouched";
    char *copy = NULL;

    ck_assert_int_eq(jr_string(&R, o, "", "s", 0, NULL, &s), 1);
    ck_assert_str_eq(s, "x");
    s = "untouched";
    ck_assert_int_eq(jr_string(&R, o, "", "missing", 0, NULL, &s), 0);
    ck_assert_int_eq(jr_string(&R, o, "", "n", 0, NULL, &s), 0);   /* null is absent */
    ck_assert_str_eq(s, "untouched");
    ck_assert_int_eq(jr_string(&R, o, "top", "n", JR_REQUIRED, NULL, &s), -EINVAL);
    ck_assert_str_eq(msg, "t.json: top.n: required");
    ck_assert_int_eq(jr_string(&R, o, "", "i", 0, NULL, &s), -EINVAL);
    ck_assert_str_eq(msg, "t.json: i: expected a string, got an integer");
    ck_assert_int_eq(jr_string(&R, o, "", "e", JR_NONEMPTY, NULL, &s), -EINVAL);
    ck_assert_str_eq(msg, "t.json: e: expected a non-empty string");
    ck_assert_int_eq(jr_string(&R, o, "", "nl", JR_ONE_LINE, NULL, &s), -EINVAL);
    ck_assert_str_eq(msg, "t.json: nl: expected one line of at most 4096 bytes");
    ck_assert_int_eq(jr_strdup(&R, o, "", "s", JR_REQUIRED, NULL, &copy), 1);
    ck_assert_str_eq(copy, "x");
    free(copy);
    /* key NULL: the value itself, where null is a wrong type. */
    ck_assert_int_eq(jr_string(&R, json_object_get(o, "n"), "n", NULL, 0, NULL, &s), -EINVAL);
    ck_assert_str_eq(msg, "t.json: n: expected a string, got null");
    json_decref(o);
}
END_TEST

static const char *want_abc(const char *s)
{
    return streq(s, "abc") ? NULL : "expected abc";
}

START_TEST(string_checks_quote_the_value_on_one_line)
{
    json_t *o = doc("{\"s\": \"x\\u001b[31my\"}");
    const char *s = NULL;

    ck_assert_int_eq(jr_string(&R, o, "", "s", 0, want_abc, &s), -EINVAL);
    /* The escape character never reaches the message. */
    ck_assert_str_eq(msg, "t.json: s: expected abc, got \"x [31my\"");
    json_decref(o);
}
END_TEST

START_TEST(numbers_booleans_modes_and_enums)
{
    json_t *o = doc("{\"b\": true, \"i\": 7, \"neg\": -1, \"r\": 1.5, \"m\": \"0640\", \"m3\": \"755\","
                    " \"bad\": \"0800\", \"k\": \"hex\", \"big\": 9223372036854775807}");
    static const char *const kinds[] = { "string", "hex", NULL };
    long long n = 0;
    uint64_t u = 0;
    int b = -1, m = 0, k = -1;

    ck_assert_int_eq(jr_bool(&R, o, "", "b", 0, &b), 1);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(jr_bool(&R, o, "", "i", 0, &b), -EINVAL);
    ck_assert_str_eq(msg, "t.json: i: expected a boolean, got an integer");
    ck_assert_int_eq(jr_int(&R, o, "", "i", 0, 1, 7, &n), 1);
    ck_assert_int_eq(n, 7);
    ck_assert_int_eq(jr_int(&R, o, "", "i", 0, 8, 9, &n), -EINVAL);
    ck_assert_str_eq(msg, "t.json: i: expected an integer from 8 to 9, got 7");
    ck_assert_int_eq(jr_int(&R, o, "", "r", 0, 0, 9, &n), -EINVAL);
    ck_assert_str_eq(msg, "t.json: r: expected an integer, got a number");
    ck_assert_int_eq(jr_uint(&R, o, "", "big", 0, 0, UINT64_MAX, &u), 1);
    ck_assert(u == 9223372036854775807ULL);
    ck_assert_int_eq(jr_uint(&R, o, "", "neg", 0, 0, 10, &u), -EINVAL);
    ck_assert_str_eq(msg, "t.json: neg: expected an integer from 0 to 10, got -1");
    ck_assert_int_eq(jr_mode(&R, o, "", "m", 0, &m), 1);
    ck_assert_int_eq(m, 0640);
    ck_assert_int_eq(jr_mode(&R, o, "", "m3", 0, &m), 1);
    ck_assert_int_eq(m, 0755);
    ck_assert_int_eq(jr_mode(&R, o, "", "bad", 0, &m), -EINVAL);
    ck_assert_str_eq(msg, "t.json: bad: expected 3 or 4 octal digits such as \"0644\"; got \"0800\"");
    ck_assert_int_eq(jr_mode(&R, o, "", "i", 0, &m), -EINVAL);
    ck_assert_str_eq(msg, "t.json: i: expected a string of octal digits such as \"0644\", got an integer");
    ck_assert_int_eq(jr_enum(&R, o, "", "k", 0, kinds, &k), 1);
    ck_assert_int_eq(k, 1);
    ck_assert_int_eq(jr_enum(&R, o, "", "m", 0, kinds, &k), -EINVAL);
    ck_assert_str_eq(msg, "t.json: m: expected one of \"string\", \"hex\"; got \"0640\"");
    json_decref(o);
}
END_TEST

START_TEST(arrays_objects_and_paths_into_nested_arrays)
{
    json_t *o = doc("{\"list\": [\"a\", \"b\"], \"mixed\": [\"a\", [1]], \"empty\": [\"\"],"
                    " \"obj\": {\"x\": 1, \"y\": 2}, \"deep\": {\"rows\": [[0, {\"v\": [true, 5]}]]}}");
    const char **v = NULL;
    json_t *a = NULL, *row, *cell;
    char p1[JR_PATH_MAX], p2[JR_PATH_MAX], p3[JR_PATH_MAX];
    int b = 0;

    ck_assert_int_eq(jr_strv(&R, o, "", "list", 0, 0, 2, NULL, &v), 1);
    ck_assert_str_eq(v[0], "a");
    ck_assert_str_eq(v[1], "b");
    ck_assert_ptr_null(v[2]);
    free(v);
    ck_assert_int_eq(jr_strv(&R, o, "", "list", 0, 3, 5, NULL, &v), -EINVAL);
    ck_assert_str_eq(msg, "t.json: list: expected 3 to 5 entries, got 2");
    ck_assert_int_eq(jr_strv(&R, o, "", "list", 0, 0, 1, NULL, &v), -EINVAL);
    ck_assert_str_eq(msg, "t.json: list: expected at most 1 entry, got 2");
    ck_assert_int_eq(jr_strv(&R, o, "top", "mixed", 0, 0, 9, NULL, &v), -EINVAL);
    ck_assert_str_eq(msg, "t.json: top.mixed[1]: expected a string, got an array");
    ck_assert_int_eq(jr_strv(&R, o, "", "empty", JR_NONEMPTY, 0, 9, NULL, &v), -EINVAL);
    ck_assert_str_eq(msg, "t.json: empty[0]: expected a non-empty string");
    ck_assert_int_eq(jr_strv(&R, o, "", "obj", 0, 0, 9, NULL, &v), -EINVAL);
    ck_assert_str_eq(msg, "t.json: obj: expected an array of strings, got an object");
    ck_assert_int_eq(jr_object(&R, o, "", "obj", 0, 1, &a), -EINVAL);
    ck_assert_str_eq(msg, "t.json: obj: expected at most 1 member, got 2");
    ck_assert_int_eq(jr_array(&R, o, "", "list", 0, 2, 2, &a), 1);
    ck_assert_int_eq(jr_array(&R, o, "", "list", 0, 16, 16, &a), -EINVAL);
    ck_assert_str_eq(msg, "t.json: list: expected 16 entries, got 2");
    ck_assert_int_eq(jr_array(&R, o, "", "obj", 0, 0, 9, &a), -EINVAL);
    ck_assert_str_eq(msg, "t.json: obj: expected an array, got an object");
    /* A member of something that is not an object. */
    ck_assert_int_eq(jr_bool(&R, json_object_get(o, "list"), "list", "x", 0, &b), -EINVAL);
    ck_assert_str_eq(msg, "t.json: list: expected an object, got an array");

    /* deep.rows[0][1].v[1] */
    ck_assert_int_eq(jr_object(&R, o, "", "deep", JR_REQUIRED, 9, &a), 1);
    ck_assert_int_eq(jr_array(&R, a, "deep", "rows", JR_REQUIRED, 1, 1, &a), 1);
    jr_path_index(p1, "deep.rows", 0);
    ck_assert_int_eq(jr_array(&R, json_array_get(a, 0), p1, NULL, JR_REQUIRED, 2, 2, &row), 1);
    jr_path_index(p2, p1, 1);
    ck_assert_int_eq(jr_object(&R, json_array_get(row, 1), p2, NULL, 0, 9, &cell), 1);
    ck_assert_int_eq(jr_array(&R, cell, p2, "v", 0, 0, 9, &a), 1);
    jr_path_key(p3, p2, "v");
    ck_assert_int_eq(jr_bool(&R, json_array_get(a, 0), jr_path_index(p1, p3, 0), NULL, 0, &b), 1);
    ck_assert_int_eq(jr_bool(&R, json_array_get(a, 1), jr_path_index(p1, p3, 1), NULL, 0, &b), -EINVAL);
    ck_assert_str_eq(msg, "t.json: deep.rows[0][1].v[1]: expected a boolean, got an integer");
    json_decref(o);
}
END_TEST

START_TEST(unknown_keys_suggest_the_nearest)
{
    json_t *o = doc("{\"restrat\": 1}"), *p = doc("{\"zzzzzzzz\": 1}");
    static const char *const allowed[] = { "name", "restart", "user", NULL };

    ck_assert_int_eq(jr_keys(&R, o, "services[0]", allowed), -EINVAL);
    ck_assert_str_eq(msg, "t.json: services[0].restrat: unknown key; did you mean \"restart\"?");
    ck_assert_int_eq(jr_keys(&R, p, "", allowed), -EINVAL);
    ck_assert_str_eq(msg, "t.json: zzzzzzzz: unknown key; expected one of \"name\", \"restart\", \"user\"");
    ck_assert_int_eq(jr_key_distance("restrat", "restart"), 2);
    ck_assert_int_eq(jr_key_distance("", "abc"), 3);
    ck_assert_int_eq(jr_key_distance("same", "same"), 0);
    json_decref(o);
    json_decref(p);
}
END_TEST

START_TEST(long_paths_are_marked_cut)
{
    char key[400], buf[JR_PATH_MAX];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    jr_path_key(buf, "a", key);
    ck_assert_uint_eq(strlen(buf), JR_PATH_MAX - 1);
    ck_assert(endswith(buf, "..."));
}
END_TEST

START_TEST(the_library_reader_fills_tdx_error)
{
    tdx_error err = TDX_ERROR_INIT;
    struct json_reader L;
    json_t *root = NULL;

    jr_init_err(&L, "lib.json", &err);
    ck_assert_int_eq(jr_parse(&L, "{\"a\": 1,}", 9, 0, 0, &root), -EINVAL);
    ck_assert_int_eq(err.code, -EINVAL);
    ck_assert_int_eq(err.library, TDX_ERROR_LIBRARY_JANSSON);
    ck_assert_int_eq(err.library_code, json_error_invalid_syntax);
    ck_assert_str_eq(err.message, "lib.json:1:9: string or '}' expected near '}'");
    ck_assert_int_eq(jr_fail_code(&L, -ENOENT, "x", "gone"), -ENOENT);
    ck_assert_int_eq(err.code, -ENOENT);
    ck_assert_int_eq(err.library, TDX_ERROR_LIBRARY_NONE);
    ck_assert_str_eq(err.message, "lib.json: x: gone");
    /* err == NULL: the code is still returned. */
    jr_init_err(&L, "lib.json", NULL);
    ck_assert_int_eq(jr_parse(&L, "[", 1, 0, 0, &root), -EINVAL);
    ck_assert_int_eq(jr_oom(&L), -ENOMEM);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json-reader");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, syntax_errors_are_plain_words_with_line_and_column);
    tcase_add_test(tc, strings_and_absence);
    tcase_add_test(tc, string_checks_quote_the_value_on_one_line);
    tcase_add_test(tc, numbers_booleans_modes_and_enums);
    tcase_add_test(tc, arrays_objects_and_paths_into_nested_arrays);
    tcase_add_test(tc, unknown_keys_suggest_the_nearest);
    tcase_add_test(tc, long_paths_are_marked_cut);
    tcase_add_test(tc, the_library_reader_fills_tdx_error);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
