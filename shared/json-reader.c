/* SPDX-License-Identifier: MIT */
#include "json-reader.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-bounds.h"

#define MESSAGE_MAX 512

void jr_init(struct json_reader *R, const char *file, char *msg, size_t msg_size)
{
    *R = (struct json_reader){ .file = file, .code = -EINVAL, .msg = msg, .msg_size = msg_size };
}

/* One line of printable text: values quoted from a document may carry
 * newlines or escape sequences that must not reach a log or a terminal. */
static void one_line(char *s)
{
    for (unsigned char *p = (unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

static int deliver(struct json_reader *R, int code, int jansson_code, char *text)
{
    one_line(text);
    if (R->report)
        R->report(R->report_ctx, code, jansson_code, text);
    else if (R->msg && R->msg_size)
        snprintf(R->msg, R->msg_size, "%s", text);
    return code;
}

static int failv(struct json_reader *R, int code, const char *path, const char *fmt, va_list ap)
{
    char what[MESSAGE_MAX], text[2 * MESSAGE_MAX];
    const char *file = R->file ? R->file : "(JSON)";

    vsnprintf(what, sizeof(what), fmt, ap);
    if (isempty(path))
        snprintf(text, sizeof(text), "%s: %s", file, what);
    else
        snprintf(text, sizeof(text), "%s: %s: %s", file, path, what);
    return deliver(R, code, -1, text);
}

int jr_fail(struct json_reader *R, const char *path, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = failv(R, R->code, path, fmt, ap);
    va_end(ap);
    return r;
}

int jr_fail_code(struct json_reader *R, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    code = failv(R, code, path, fmt, ap);
    va_end(ap);
    return code;
}

int jr_oom(struct json_reader *R)
{
    char text[] = "out of memory";
    return deliver(R, -ENOMEM, -1, text);
}

/* jansson's message in plain words: its own phrases name parser flags
 * ("without JSON_ALLOW_NUL") or speak of "objects" where users see members.
 * The " near '...'" jansson appends quotes the input, which helps. */
static const char *syntax_phrase(const json_error_t *e, const char **near)
{
    const char *n = strstr(e->text, " near ");

    *near = n && (json_error_code(e) == json_error_invalid_syntax ||
                  json_error_code(e) == json_error_duplicate_key ||
                  json_error_code(e) == json_error_numeric_overflow) ? n : "";
    switch (json_error_code(e)) {
    case json_error_out_of_memory:
        return "out of memory";
    case json_error_stack_overflow:
        return "nested too deeply";
    case json_error_invalid_utf8:
        return "invalid UTF-8";
    case json_error_premature_end_of_input:
        return "unexpected end of text";
    case json_error_end_of_input_expected:
        return "text after the JSON value";
    case json_error_null_character:
        return "NUL byte in string";
    case json_error_null_byte_in_key:
        return "NUL byte in a member name";
    case json_error_duplicate_key:
        return "duplicate member name";
    case json_error_numeric_overflow:
        return "number out of range";
    case json_error_invalid_syntax:
        *near = "";   /* jansson's phrase already ends in its "near" */
        return e->text;
    default:
        *near = "";
        return "not valid JSON";
    }
}

const char *jr_syntax_text(const json_error_t *e, char *buf, size_t size)
{
    const char *near, *phrase = syntax_phrase(e, &near);
    snprintf(buf, size, "%s%s", phrase, near);
    return buf;
}

int jr_parse(struct json_reader *R, const char *text, size_t len, unsigned max_depth,
             size_t max_values, json_t **out)
{
    char msg[2 * MESSAGE_MAX], what[MESSAGE_MAX];
    const char *bound;
    json_error_t e;
    json_t *root;
    int code;

    if (max_depth || max_values) {
        bound = json_bounds_check(text, len, max_depth ? max_depth : ~0u,
                                  max_values ? max_values : (size_t)-1);
        if (bound)
            return jr_fail(R, NULL, "%s", bound);
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!root) {
        code = json_error_code(&e) == json_error_out_of_memory ? -ENOMEM : R->code;
        snprintf(msg, sizeof(msg), "%s:%d:%d: %s", R->file ? R->file : "(JSON)", e.line,
                 e.column, jr_syntax_text(&e, what, sizeof(what)));
        return deliver(R, code, (int)json_error_code(&e), msg);
    }
    if (!json_is_object(root)) {
        code = jr_fail(R, NULL, "expected a JSON object at the top level, got %s",
                       jr_type_name(root));
        json_decref(root);
        return code;
    }
    *out = root;
    return 0;
}

/* A path too long for buf ends in "..." rather than silently cut. */
static const char *mark_cut(char buf[JR_PATH_MAX], int n)
{
    if (n >= JR_PATH_MAX)
        memcpy(buf + JR_PATH_MAX - 4, "...", 4);
    return buf;
}

const char *jr_path_key(char buf[JR_PATH_MAX], const char *path, const char *key)
{
    if (isempty(path))
        return mark_cut(buf, snprintf(buf, JR_PATH_MAX, "%s", key));
    return mark_cut(buf, snprintf(buf, JR_PATH_MAX, "%s.%s", path, key));
}

const char *jr_path_index(char buf[JR_PATH_MAX], const char *path, size_t i)
{
    return mark_cut(buf, snprintf(buf, JR_PATH_MAX, "%s[%zu]", strempty(path), i));
}

size_t jr_key_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[65];

    if (la > 64 || lb > 64)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

void jr_choices(const char *const *list, char *buf, size_t size)
{
    size_t used;
    int n;

    n = snprintf(buf, size, "one of ");
    used = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; list[i] && used < size; i++) {
        n = snprintf(buf + used, size - used, "%s\"%s\"", i ? ", " : "", list[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

const char *jr_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

static bool in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (streq(s, list[i]))
            return true;
    return false;
}

int jr_keys(struct json_reader *R, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v) {
        char where[JR_PATH_MAX], choices[300];
        const char *hint = NULL;
        size_t best = 99;

        if (in_list(key, allowed))
            continue;
        for (size_t i = 0; allowed[i]; i++) {
            size_t d = jr_key_distance(key, allowed[i]);
            if (d < best) {
                best = d;
                hint = allowed[i];
            }
        }
        jr_path_key(where, path, key);
        if (hint && best <= 2)
            return jr_fail(R, where, "unknown key; did you mean \"%s\"?", hint);
        jr_choices(allowed, choices, sizeof(choices));
        return jr_fail(R, where, "unknown key; expected %s", choices);
    }
    return 0;
}

/* The value the getters read, when it is of type t (JSON_TRUE: a boolean;
 * what names the type in the message): 1 with *v and where set, 0 when
 * absent (an error if required), or the negative errno. */
static int typed(struct json_reader *R, json_t *obj, const char *path, const char *key,
                 unsigned flags, json_type t, const char *what, char where[JR_PATH_MAX],
                 json_t **v)
{
    *v = obj;
    if (key) {
        if (obj && !json_is_object(obj))
            return jr_fail(R, path, "expected an object, got %s", jr_type_name(obj));
        jr_path_key(where, path, key);
        *v = json_object_get(obj, key);
        if (json_is_null(*v))
            *v = NULL;
    } else {
        /* The value itself: null is then a value of the wrong type. */
        snprintf(where, JR_PATH_MAX, "%s", strempty(path));
    }
    if (!*v)
        return flags & JR_REQUIRED ? jr_fail(R, where, "required") : 0;
    if (t == JSON_TRUE ? !json_is_boolean(*v) : json_typeof(*v) != t)
        return jr_fail(R, where, "expected %s, got %s", what, jr_type_name(*v));
    return 1;
}

static int string_checks(struct json_reader *R, json_t *v, const char *where, unsigned flags,
                         const char *(*check)(const char *), const char **out)
{
    const char *s = json_string_value(v), *why;

    if ((flags & JR_NONEMPTY) && !*s)
        return jr_fail(R, where, "expected a non-empty string");
    if ((flags & JR_ONE_LINE) && (strpbrk(s, "\n\r") || json_string_length(v) > JR_LINE_MAX))
        return jr_fail(R, where, "expected one line of at most %d bytes", JR_LINE_MAX);
    if (check && (why = check(s)))
        return jr_fail(R, where, "%s, got \"%.200s\"", why, s);
    *out = s;
    return 1;
}

int jr_string(struct json_reader *R, json_t *obj, const char *path, const char *key,
              unsigned flags, const char *(*check)(const char *), const char **out)
{
    char where[JR_PATH_MAX];
    json_t *v;
    int r = typed(R, obj, path, key, flags, JSON_STRING, "a string", where, &v);

    return r <= 0 ? r : string_checks(R, v, where, flags, check, out);
}

int jr_strdup(struct json_reader *R, json_t *obj, const char *path, const char *key,
              unsigned flags, const char *(*check)(const char *), char **out)
{
    const char *s = NULL;
    char *copy;
    int r = jr_string(R, obj, path, key, flags, check, &s);

    if (r <= 0)
        return r;
    copy = strdup(s);
    if (!copy)
        return jr_oom(R);
    *out = copy;
    return 1;
}

int jr_bool(struct json_reader *R, json_t *obj, const char *path, const char *key,
            unsigned flags, int *out)
{
    char where[JR_PATH_MAX];
    json_t *v;
    int r = typed(R, obj, path, key, flags, JSON_TRUE, "a boolean", where, &v);

    if (r > 0)
        *out = json_is_true(v);
    return r;
}

int jr_int(struct json_reader *R, json_t *obj, const char *path, const char *key,
           unsigned flags, long long min, long long max, long long *out)
{
    char where[JR_PATH_MAX];
    json_t *v;
    int r = typed(R, obj, path, key, flags, JSON_INTEGER, "an integer", where, &v);
    long long n = r > 0 ? json_integer_value(v) : 0;

    if (r <= 0)
        return r;
    if (n < min || n > max)
        return jr_fail(R, where, "expected an integer from %lld to %lld, got %lld", min, max, n);
    *out = n;
    return 1;
}

int jr_uint(struct json_reader *R, json_t *obj, const char *path, const char *key,
            unsigned flags, uint64_t min, uint64_t max, uint64_t *out)
{
    char where[JR_PATH_MAX];
    json_t *v;
    int r = typed(R, obj, path, key, flags, JSON_INTEGER, "an integer", where, &v);
    long long n = r > 0 ? json_integer_value(v) : 0;

    if (r <= 0)
        return r;
    if (n < 0 || (uint64_t)n < min || (uint64_t)n > max)
        return jr_fail(R, where, "expected an integer from %llu to %llu, got %lld",
                       (unsigned long long)min, (unsigned long long)max, n);
    *out = (uint64_t)n;
    return 1;
}

int jr_mode(struct json_reader *R, json_t *obj, const char *path, const char *key,
            unsigned flags, int *out)
{
    char where[JR_PATH_MAX];
    const char *s;
    json_t *v;
    int m = 0, r = typed(R, obj, path, key, flags, JSON_STRING,
                         "a string of octal digits such as \"0644\"", where, &v);

    if (r <= 0)
        return r;
    s = json_string_value(v);
    if (strlen(s) < 3 || strlen(s) > 4 || strspn(s, "01234567") != strlen(s))
        return jr_fail(R, where, "expected 3 or 4 octal digits such as \"0644\"; got \"%.16s\"", s);
    for (const char *p = s; *p; p++)
        m = m * 8 + (*p - '0');
    *out = m;
    return 1;
}

int jr_enum(struct json_reader *R, json_t *obj, const char *path, const char *key,
            unsigned flags, const char *const *choices, int *out)
{
    char where[JR_PATH_MAX], list[300];
    const char *s;
    json_t *v;
    int r = typed(R, obj, path, key, flags, JSON_STRING, "a string", where, &v);

    if (r <= 0)
        return r;
    s = json_string_value(v);
    for (int i = 0; choices[i]; i++)
        if (streq(s, choices[i])) {
            *out = i;
            return 1;
        }
    jr_choices(choices, list, sizeof(list));
    return jr_fail(R, where, "expected %s; got \"%.32s\"", list, s);
}

static const char *entries(size_t n)
{
    return n == 1 ? "entry" : "entries";
}

static int count_in(struct json_reader *R, const char *where, size_t n, size_t min, size_t max)
{
    if (n >= min && n <= max)
        return 0;
    if (min == max)
        return jr_fail(R, where, "expected %zu %s, got %zu", min, entries(min), n);
    if (min == 0)
        return jr_fail(R, where, "expected at most %zu %s, got %zu", max, entries(max), n);
    return jr_fail(R, where, "expected %zu to %zu entries, got %zu", min, max, n);
}

int jr_strv(struct json_reader *R, json_t *obj, const char *path, const char *key,
            unsigned flags, size_t min, size_t max, const char *(*check)(const char *),
            const char ***out)
{
    char where[JR_PATH_MAX], ewhere[JR_PATH_MAX];
    const char **list;
    json_t *v, *e;
    size_t i;
    int r = typed(R, obj, path, key, flags, JSON_ARRAY, "an array of strings", where, &v);

    if (r <= 0 || (r = count_in(R, where, json_array_size(v), min, max)) < 0)
        return r;
    list = calloc(json_array_size(v) + 1, sizeof(*list));
    if (!list)
        return jr_oom(R);
    json_array_foreach(v, i, e) {
        jr_path_index(ewhere, where, i);
        r = json_is_string(e) ? string_checks(R, e, ewhere, flags, check, &list[i])
                              : jr_fail(R, ewhere, "expected a string, got %s", jr_type_name(e));
        if (r < 0) {
            free(list);
            return r;
        }
    }
    *out = list;
    return 1;
}

int jr_object(struct json_reader *R, json_t *obj, const char *path, const char *key,
              unsigned flags, size_t max, json_t **out)
{
    char where[JR_PATH_MAX];
    json_t *v;
    int r = typed(R, obj, path, key, flags, JSON_OBJECT, "an object", where, &v);

    if (r <= 0)
        return r;
    if (json_object_size(v) > max)
        return jr_fail(R, where, "expected at most %zu %s, got %zu", max,
                       max == 1 ? "member" : "members", json_object_size(v));
    *out = v;
    return 1;
}

int jr_array(struct json_reader *R, json_t *obj, const char *path, const char *key,
             unsigned flags, size_t min, size_t max, json_t **out)
{
    char where[JR_PATH_MAX];
    json_t *v;
    int r = typed(R, obj, path, key, flags, JSON_ARRAY, "an array", where, &v);

    if (r <= 0 || (r = count_in(R, where, json_array_size(v), min, max)) < 0)
        return r;
    *out = v;
    return 1;
}
