/* SPDX-License-Identifier: MIT */
#include "env-file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"
#include "utf8.h"

#define WHITESPACE " \t\n\r"
#define NEWLINE "\n\r"
#define COMMENTS "#;"
#define SHELL_NEED_ESCAPE "\"\\`$"

/* strchr() is true for the terminating NUL; the loop never passes one. */
static bool in(const char *set, char c)
{
    return c != '\0' && strchr(set, c);
}

enum state {
    PRE_KEY,
    KEY,
    PRE_VALUE,
    VALUE,
    VALUE_ESCAPE,
    SINGLE_QUOTE_VALUE,
    DOUBLE_QUOTE_VALUE,
    DOUBLE_QUOTE_VALUE_ESCAPE,
    COMMENT,
    COMMENT_ESCAPE,
};

struct parser {
    strbuf key, value;
    size_t key_ws, value_ws;   /* where trailing whitespace starts; SIZE_MAX: none */
    unsigned line;
    size_t pushed;
    env_file_push_fn push;
    void *userdata;
    char *msg;
    size_t msg_size;
};

/* One assignment ends: cut the trailing whitespace (of the value only when
 * it was unquoted, which the caller says), check and hand it out. */
static int emit(struct parser *p, bool cut_value)
{
    const char *key, *value;
    int r;

    if (p->key_ws != SIZE_MAX)
        strbuf_truncate(&p->key, p->key_ws);
    if (cut_value && p->value_ws != SIZE_MAX)
        strbuf_truncate(&p->value, p->value_ws);
    if (strbuf_error(&p->key) || strbuf_error(&p->value)) {
        snprintf(p->msg, p->msg_size, "out of memory");
        return -ENOMEM;
    }
    key = strbuf_str(&p->key);
    value = strbuf_str(&p->value);
    if (!utf8_valid(key, strlen(key))) {
        snprintf(p->msg, p->msg_size, "line %u: invalid UTF-8 in a key", p->line);
        return -EINVAL;
    }
    if (!utf8_valid(value, strlen(value))) {
        snprintf(p->msg, p->msg_size, "line %u: invalid UTF-8 in the value of %.64s", p->line, key);
        return -EINVAL;
    }
    if (++p->pushed > ENV_FILE_MAX_VARS) {
        snprintf(p->msg, p->msg_size, "line %u: more than %d assignments", p->line,
                 ENV_FILE_MAX_VARS);
        return -E2BIG;
    }
    r = p->push(key, value, p->userdata);
    if (r < 0)
        snprintf(p->msg, p->msg_size, "line %u: %.64s: %s", p->line, key, strerror(-r));
    strbuf_truncate(&p->key, 0);
    strbuf_truncate(&p->value, 0);
    return r < 0 ? r : 0;
}

/* The states and transitions are systemd's parse_env_file_internal(). */
static int run(struct parser *p, const char *text, size_t len)
{
    enum state state = PRE_KEY;
    int r;

    for (size_t i = 0; i < len && text[i]; i++) {
        char c = text[i];
        switch (state) {
        case PRE_KEY:
            if (in(COMMENTS, c))
                state = COMMENT;
            else if (!in(WHITESPACE, c)) {
                state = KEY;
                p->key_ws = SIZE_MAX;
                strbuf_putc(&p->key, c);
            }
            break;
        case KEY:
            if (in(NEWLINE, c)) {
                state = PRE_KEY;
                p->line++;
                strbuf_truncate(&p->key, 0);
            } else if (c == '=') {
                state = PRE_VALUE;
                p->value_ws = SIZE_MAX;
            } else {
                if (!in(WHITESPACE, c))
                    p->key_ws = SIZE_MAX;
                else if (p->key_ws == SIZE_MAX)
                    p->key_ws = p->key.len;
                strbuf_putc(&p->key, c);
            }
            break;
        case PRE_VALUE:
            if (in(NEWLINE, c)) {
                state = PRE_KEY;
                p->line++;
                if ((r = emit(p, false)) < 0)
                    return r;
            } else if (c == '\'')
                state = SINGLE_QUOTE_VALUE;
            else if (c == '"')
                state = DOUBLE_QUOTE_VALUE;
            else if (c == '\\')
                state = VALUE_ESCAPE;
            else if (!in(WHITESPACE, c)) {
                state = VALUE;
                strbuf_putc(&p->value, c);
            }
            break;
        case VALUE:
            if (in(NEWLINE, c)) {
                state = PRE_KEY;
                p->line++;
                if ((r = emit(p, true)) < 0)
                    return r;
            } else if (c == '\\') {
                state = VALUE_ESCAPE;
                p->value_ws = SIZE_MAX;
            } else {
                if (!in(WHITESPACE, c))
                    p->value_ws = SIZE_MAX;
                else if (p->value_ws == SIZE_MAX)
                    p->value_ws = p->value.len;
                strbuf_putc(&p->value, c);
            }
            break;
        case VALUE_ESCAPE:
            state = VALUE;
            if (!in(NEWLINE, c))   /* an escaped newline is dropped */
                strbuf_putc(&p->value, c);
            break;
        case SINGLE_QUOTE_VALUE:
            if (c == '\'')
                state = PRE_VALUE;
            else
                strbuf_putc(&p->value, c);
            break;
        case DOUBLE_QUOTE_VALUE:
            if (c == '"')
                state = PRE_VALUE;
            else if (c == '\\')
                state = DOUBLE_QUOTE_VALUE_ESCAPE;
            else
                strbuf_putc(&p->value, c);
            break;
        case DOUBLE_QUOTE_VALUE_ESCAPE:
            state = DOUBLE_QUOTE_VALUE;
            if (in(SHELL_NEED_ESCAPE, c))
                strbuf_putc(&p->value, c);
            else if (c != '\n') {   /* only \n: a "\\\r" keeps both bytes */
                strbuf_putc(&p->value, '\\');
                strbuf_putc(&p->value, c);
            }
            break;
        case COMMENT:
            if (c == '\\')
                state = COMMENT_ESCAPE;
            else if (in(NEWLINE, c)) {
                state = PRE_KEY;
                p->line++;
            }
            break;
        case COMMENT_ESCAPE:
            /* Since systemd 254 a backslash does not continue a comment. */
            if (in(NEWLINE, c)) {
                state = PRE_KEY;
                p->line++;
            } else
                state = COMMENT;
            break;
        }
        if (strbuf_error(&p->key) || strbuf_error(&p->value)) {
            snprintf(p->msg, p->msg_size, "out of memory");
            return -ENOMEM;
        }
    }
    switch (state) {
    case PRE_VALUE:
    case VALUE:
    case VALUE_ESCAPE:
    case SINGLE_QUOTE_VALUE:
    case DOUBLE_QUOTE_VALUE:
    case DOUBLE_QUOTE_VALUE_ESCAPE:
        /* The last line without its newline; an open quote just ends. */
        return emit(p, state == VALUE);
    default:
        return 0;
    }
}

int env_file_parse(const char *text, size_t len, env_file_push_fn push, void *userdata,
                   char *msg, size_t msg_size)
{
    struct parser p = {
        .key = STRBUF_SECRET_INIT,
        .value = STRBUF_SECRET_INIT,
        .key_ws = SIZE_MAX,
        .value_ws = SIZE_MAX,
        .line = 1,
        .push = push,
        .userdata = userdata,
        .msg = msg,
        .msg_size = msg_size,
    };
    int r = run(&p, text, len);
    /* Values may be secrets. */
    strbuf_wipe_free(&p.key);
    strbuf_wipe_free(&p.value);
    return r;
}

bool env_name_valid(const char *name)
{
    if (!name[0] || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (const char *s = name; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return strlen(name) <= 4096;
}

bool env_value_valid(const char *value)
{
    for (const char *s = value; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n') || *s == 0x7f)
            return false;
    return utf8_valid(value, strlen(value));
}

int env_file_append(strbuf *out, const char *name, const char *value, size_t len)
{
    if (!env_name_valid(name) || memchr(value, '\0', len) || !env_value_valid(value))
        return -EINVAL;
    strbuf_printf(out, "%s=\"", name);
    for (size_t i = 0; i < len; i++) {
        if (in(SHELL_NEED_ESCAPE, value[i]))
            strbuf_putc(out, '\\');
        strbuf_putc(out, value[i]);
    }
    strbuf_puts(out, "\"\n");
    return strbuf_error(out);
}
