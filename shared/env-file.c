/* SPDX-License-Identifier: MIT */
#include "env-file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define WHITESPACE " \t\n\r"
#define NEWLINE "\n\r"
#define COMMENTS "#;"
#define SHELL_NEED_ESCAPE "\"\\`$"

int env_file_append(strbuf *out, const char *name, const char *value, size_t len)
{
    if (memchr(value, '\0', len) || !utf8_valid(value, len))
        return -EINVAL;
    strbuf_printf(out, "%s=\"", name);
    for (size_t i = 0; i < len; i++) {
        if (strchr(SHELL_NEED_ESCAPE, value[i]))
            strbuf_putc(out, '\\');
        strbuf_putc(out, value[i]);
    }
    strbuf_puts(out, "\"\n");
    return strbuf_error(out);
}

struct buf {
    char *p;
    size_t n, cap;
};

static int put(struct buf *b, char c)
{
    if (b->n + 2 > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        char *p = realloc(b->p, cap);
        if (!p)
            return -ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    b->p[b->n++] = c;
    b->p[b->n] = '\0';
    return 0;
}

static bool in(const char *set, char c)
{
    return c && strchr(set, c);
}

/* Ends an assignment: trailing key whitespace cut, the value cut at
 * cut_value (SIZE_MAX: not), both checked to be UTF-8, then pushed. */
static int finish(struct buf *key, size_t cut_key, struct buf *value, size_t cut_value,
                  env_file_push push, void *userdata)
{
    int r = 0;
    if (put(key, '\0') < 0 || put(value, '\0') < 0)
        return -ENOMEM;
    key->n--, value->n--;
    if (cut_key != SIZE_MAX)
        key->p[key->n = cut_key] = '\0';
    if (cut_value != SIZE_MAX)
        value->p[value->n = cut_value] = '\0';
    if (utf8_valid(key->p, key->n) && utf8_valid(value->p, value->n))
        r = push(key->p, value->p, value->n, userdata);
    key->n = value->n = 0;
    return r;
}

int env_file_parse(const char *text, size_t len, env_file_push push, void *userdata)
{
    enum {
        PRE_KEY, KEY, PRE_VALUE, VALUE, VALUE_ESCAPE, SINGLE_QUOTE_VALUE, DOUBLE_QUOTE_VALUE,
        DOUBLE_QUOTE_VALUE_ESCAPE, COMMENT, COMMENT_ESCAPE
    } state = PRE_KEY;
    struct buf key = { 0 }, value = { 0 };
    size_t last_key_ws = SIZE_MAX, last_value_ws = SIZE_MAX;
    int r = 0;

    for (size_t i = 0; i < len && text[i] && r >= 0; i++) {
        char c = text[i];
        switch (state) {
        case PRE_KEY:
            if (in(COMMENTS, c)) {
                state = COMMENT;
            } else if (!in(WHITESPACE, c)) {
                state = KEY;
                last_key_ws = SIZE_MAX;
                r = put(&key, c);
            }
            break;
        case KEY:
            if (in(NEWLINE, c)) {
                state = PRE_KEY;
                key.n = 0;
            } else if (c == '=') {
                state = PRE_VALUE;
                last_value_ws = SIZE_MAX;
            } else {
                if (!in(WHITESPACE, c))
                    last_key_ws = SIZE_MAX;
                else if (last_key_ws == SIZE_MAX)
                    last_key_ws = key.n;
                r = put(&key, c);
            }
            break;
        case PRE_VALUE:
            if (in(NEWLINE, c)) {
                state = PRE_KEY;
                r = finish(&key, last_key_ws, &value, SIZE_MAX, push, userdata);
            } else if (c == '\'') {
                state = SINGLE_QUOTE_VALUE;
            } else if (c == '"') {
                state = DOUBLE_QUOTE_VALUE;
            } else if (c == '\\') {
                state = VALUE_ESCAPE;
            } else if (!in(WHITESPACE, c)) {
                state = VALUE;
                r = put(&value, c);
            }
            break;
        case VALUE:
            if (in(NEWLINE, c)) {
                state = PRE_KEY;
                r = finish(&key, last_key_ws, &value, last_value_ws, push, userdata);
            } else if (c == '\\') {
                state = VALUE_ESCAPE;
                last_value_ws = SIZE_MAX;
            } else {
                if (!in(WHITESPACE, c))
                    last_value_ws = SIZE_MAX;
                else if (last_value_ws == SIZE_MAX)
                    last_value_ws = value.n;
                r = put(&value, c);
            }
            break;
        case VALUE_ESCAPE:
            state = VALUE;
            if (!in(NEWLINE, c))   /* escaped newlines are eaten */
                r = put(&value, c);
            break;
        case SINGLE_QUOTE_VALUE:
            if (c == '\'')
                state = PRE_VALUE;
            else
                r = put(&value, c);
            break;
        case DOUBLE_QUOTE_VALUE:
            if (c == '"')
                state = PRE_VALUE;
            else if (c == '\\')
                state = DOUBLE_QUOTE_VALUE_ESCAPE;
            else
                r = put(&value, c);
            break;
        case DOUBLE_QUOTE_VALUE_ESCAPE:
            state = DOUBLE_QUOTE_VALUE;
            if (in(SHELL_NEED_ESCAPE, c))
                r = put(&value, c);
            else if (c != '\n' && (r = put(&value, '\\')) == 0)   /* the shell keeps it */
                r = put(&value, c);
            break;
        case COMMENT:
            if (c == '\\')
                state = COMMENT_ESCAPE;
            else if (in(NEWLINE, c))
                state = PRE_KEY;
            break;
        case COMMENT_ESCAPE:
            state = in(NEWLINE, c) ? PRE_KEY : COMMENT;
            break;
        }
    }
    if (r >= 0 && (state == PRE_VALUE || state == VALUE || state == VALUE_ESCAPE ||
                   state == SINGLE_QUOTE_VALUE || state == DOUBLE_QUOTE_VALUE ||
                   state == DOUBLE_QUOTE_VALUE_ESCAPE))
        r = finish(&key, last_key_ws, &value, state == VALUE ? last_value_ws : SIZE_MAX, push,
                   userdata);
    if (value.p)
        explicit_bzero(value.p, value.cap);
    free(key.p);
    free(value.p);
    return r;
}
