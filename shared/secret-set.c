/* SPDX-License-Identifier: MIT */
#include "secret-set.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "json-strict.h"
#include "macro.h"
#include "msg.h"
#include "utf8.h"

#define JSON_DEPTH_MAX 64

void secret_buffer_free(void *buf, size_t len)
{
    if (!buf)
        return;
    explicit_bzero(buf, len);
    free(buf);
}

/* Takes value (len + 1 bytes, NUL-terminated) into the set, or wipes it. */
static int add_take(struct secret_set *s, const char *name, char *value, size_t len, char *msg,
                    size_t msg_size)
{
    const char *why = check_secret_name(name);
    int r = 0;

    if (why)
        r = msgf(msg, msg_size, -EINVAL, "secret name: %s", why);
    else if (memchr(value, '\0', len))
        r = msgf(msg, msg_size, -EINVAL, "secret \"%s\": the value contains a NUL byte", name);
    else if (!utf8_valid(value, len))
        r = msgf(msg, msg_size, -EINVAL, "secret \"%s\": the value is not valid UTF-8 text "
                                          "(binary secrets travel as hex or base64)", name);
    else if (secret_set_find(s, name))
        r = msgf(msg, msg_size, -EEXIST, "secret \"%s\" is given twice", name);
    else if (s->n >= SECRET_SET_MAX)
        r = msgf(msg, msg_size, -E2BIG, "more than %d secrets", SECRET_SET_MAX);
    else if (len > SECRET_SET_BYTES_MAX - s->total)
        r = msgf(msg, msg_size, -E2BIG, "secret \"%s\": the values add up to more than %d bytes",
                  name, SECRET_SET_BYTES_MAX);
    if (r == 0 && s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        struct secret_value *items = reallocarray(s->items, cap, sizeof(*items));
        if (!items)
            r = msgf(msg, msg_size, -ENOMEM, "out of memory");
        else
            s->items = items, s->cap = cap;
    }
    if (r < 0) {
        secret_buffer_free(value, len + 1);
        return r;
    }
    snprintf(s->items[s->n].name, sizeof(s->items[s->n].name), "%s", name);
    s->items[s->n].value = value;
    s->items[s->n].len = len;
    s->n++;
    s->total += len;
    return 0;
}

int secret_set_add(struct secret_set *s, const char *name, const char *value, size_t len,
                   char *msg, size_t msg_size)
{
    char *copy;
    if (len > SECRET_SET_BYTES_MAX)
        return msgf(msg, msg_size, -E2BIG, "secret \"%.64s\": longer than %d bytes", name,
                     SECRET_SET_BYTES_MAX);
    copy = malloc(len + 1);
    if (!copy)
        return msgf(msg, msg_size, -ENOMEM, "out of memory");
    memcpy(copy, value, len);
    copy[len] = '\0';
    return add_take(s, name, copy, len, msg, msg_size);
}

const struct secret_value *secret_set_find(const struct secret_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (streq(s->items[i].name, name))
            return &s->items[i];
    return NULL;
}

void secret_set_wipe(struct secret_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        secret_buffer_free(s->items[i].value, s->items[i].len + 1);
    free(s->items);
    *s = (struct secret_set)SECRET_SET_INIT;
}

/* ------------------------------------------------------------------------ */

static int syntax_error(const char *label, const struct json_cursor *c, const char *why,
                        char *msg, size_t msg_size)
{
    unsigned line, column;
    json_line_column(c->s, c->pos, &line, &column);
    return msgf(msg, msg_size, -EINVAL, "%s: line %u, column %u: %s", label, line, column, why);
}

/* Decodes the string at c->pos into a new buffer of its exact size. */
static const char *take_string(struct json_cursor *c, char **out, size_t *out_len)
{
    size_t start = c->pos, n;
    const char *why = json_strict_string(c, NULL, &n);
    if (why)
        return why;
    *out = malloc(n + 1);
    if (!*out)
        return "out of memory";
    c->pos = start;
    json_strict_string(c, *out, out_len);
    return NULL;
}

static int parse_member(const char *label, struct json_cursor *c, bool raw_values,
                        struct secret_set *s, char *msg, size_t msg_size)
{
    char name[SECRET_NAME_MAX + 1], inner[256], *value = NULL;
    size_t start = c->pos, n;
    const char *why;
    int r;

    if (c->pos >= c->len || c->s[c->pos] != '"')
        return syntax_error(label, c, "expected a secret name in double quotes", msg, msg_size);
    if ((why = json_strict_string(c, NULL, &n)))
        return syntax_error(label, c, why, msg, msg_size);
    c->pos = start;
    if (n > SECRET_NAME_MAX)
        return syntax_error(label, c, "a member name is longer than 64 bytes: not a secret name",
                            msg, msg_size);
    json_strict_string(c, name, NULL);
    if (check_secret_name(name) || strlen(name) != n) {
        c->pos = start;
        return syntax_error(label, c, "a member name is not a secret name "
                            "([A-Za-z_][A-Za-z0-9_.-]*, at most 64 characters)", msg, msg_size);
    }
    json_skip_ws(c);
    if (c->pos >= c->len || c->s[c->pos] != ':')
        return syntax_error(label, c, "expected ':'", msg, msg_size);
    c->pos++;
    json_skip_ws(c);
    start = c->pos;
    if (c->pos < c->len && c->s[c->pos] == '"') {
        if ((why = take_string(c, &value, &n)))
            return streq(why, "out of memory") ? msgf(msg, msg_size, -ENOMEM, "out of memory")
                                               : syntax_error(label, c, why, msg, msg_size);
    } else if (!raw_values) {
        snprintf(inner, sizeof(inner), "secret \"%s\": expected a string", name);
        return syntax_error(label, c, inner, msg, msg_size);
    } else {
        if ((why = json_strict_value(c, JSON_DEPTH_MAX)))
            return syntax_error(label, c, why, msg, msg_size);
        n = c->pos - start;
        value = malloc(n + 1);
        if (!value)
            return msgf(msg, msg_size, -ENOMEM, "out of memory");
        memcpy(value, c->s + start, n);
        value[n] = '\0';
    }
    r = add_take(s, name, value, n, inner, sizeof(inner));
    if (r < 0)
        msgf(msg, msg_size, r, "%s: %s", label, inner);
    return r;
}

int secret_set_parse_json(const char *label, const char *text, size_t len, bool raw_values,
                          struct secret_set *s, char *msg, size_t msg_size)
{
    struct json_cursor c = { text, len, 0 };
    int r = 0;

    json_skip_ws(&c);
    if (c.pos >= len || text[c.pos] != '{')
        return syntax_error(label, &c, "expected a JSON object of secret names and values", msg,
                            msg_size);
    c.pos++;
    json_skip_ws(&c);
    if (c.pos < len && text[c.pos] == '}') {
        c.pos++;
    } else {
        for (;;) {
            if ((r = parse_member(label, &c, raw_values, s, msg, msg_size)) < 0)
                break;
            json_skip_ws(&c);
            if (c.pos < len && text[c.pos] == '}') {
                c.pos++;
                break;
            }
            if (c.pos >= len || text[c.pos] != ',') {
                r = syntax_error(label, &c, "expected ',' or '}'", msg, msg_size);
                break;
            }
            c.pos++;
            json_skip_ws(&c);
        }
    }
    if (r == 0) {
        json_skip_ws(&c);
        if (c.pos != len)
            r = syntax_error(label, &c, "text after the object", msg, msg_size);
    }
    if (r < 0)
        secret_set_wipe(s);
    return r;
}

/* ------------------------------------------------------------------------ */

/* Decodes a double-quoted env value (without its quotes) in place. */
static const char *unquote_double(char *v, size_t *len)
{
    size_t o = 0;
    for (size_t i = 0; i < *len; i++) {
        char ch = v[i];
        if (ch == '"')
            return "a double quote inside a double-quoted value must be escaped as \\\"";
        if (ch == '\\') {
            if (++i == *len)
                return "the value ends in a lone backslash";
            switch (v[i]) {
            case '\\': ch = '\\'; break;
            case '"': ch = '"'; break;
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            default: return "unknown escape in a double-quoted value (known: \\\\ \\\" \\n \\t)";
            }
        }
        v[o++] = ch;
    }
    *len = o;
    return NULL;
}

static int env_line(const char *label, unsigned lineno, const char *line, size_t n,
                    struct secret_set *s, char *msg, size_t msg_size)
{
    const char *eq = memchr(line, '=', n), *why;
    char name[SECRET_NAME_MAX + 1], inner[256], *value;
    size_t name_len, len, alloc;
    int r;

    if (!eq)
        return msgf(msg, msg_size, -EINVAL, "%s: line %u: expected NAME=value", label, lineno);
    name_len = (size_t)(eq - line);
    if (name_len == 0 || name_len > SECRET_NAME_MAX ||
        (memcpy(name, line, name_len), name[name_len] = '\0', check_secret_name(name)))
        return msgf(msg, msg_size, -EINVAL, "%s: line %u: the text before '=' is not a secret "
                     "name ([A-Za-z_][A-Za-z0-9_.-]*, at most 64 characters)", label, lineno);
    len = n - name_len - 1;
    /* A value that opens a quote and never closes it is a typo (a lost
     * closing quote, a multi-line value), not a value that starts with a
     * quote: taking it literally would deliver the wrong secret. */
    if (len >= 1 && (eq[1] == '"' || eq[1] == '\'') && (len < 2 || eq[len] != eq[1]))
        return msgf(msg, msg_size, -EINVAL, "%s: line %u: the value opens a %s quote that does "
                    "not close on this line (a value starting with a quote must be quoted "
                    "whole)", label, lineno, eq[1] == '"' ? "double" : "single");
    alloc = len + 1;
    value = malloc(alloc);
    if (!value)
        return msgf(msg, msg_size, -ENOMEM, "out of memory");
    memcpy(value, eq + 1, len);
    value[len] = '\0';
    if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0]) {
        bool dq = value[0] == '"';
        memmove(value, value + 1, len - 2);
        len -= 2;
        if (dq && (why = unquote_double(value, &len))) {
            secret_buffer_free(value, alloc);
            return msgf(msg, msg_size, -EINVAL, "%s: line %u: %s", label, lineno, why);
        }
        /* Shortening left copies of the value's last bytes behind it. */
        explicit_bzero(value + len, alloc - len);
    }
    r = add_take(s, name, value, len, inner, sizeof(inner));
    if (r < 0)
        msgf(msg, msg_size, r, "%s: line %u: %s", label, lineno, inner);
    return r;
}

int secret_set_parse_env(const char *label, const char *text, size_t len, struct secret_set *s,
                         char *msg, size_t msg_size)
{
    unsigned lineno = 0;
    size_t pos = 0;
    int r = 0;

    while (pos < len && r == 0) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos, lead;
        pos += n + (nl ? 1 : 0);
        lineno++;
        if (memchr(line, '\r', n)) {
            r = msgf(msg, msg_size, -EINVAL, "%s: line %u: carriage return (save the file with "
                      "Unix line endings)", label, lineno);
            break;
        }
        if (memchr(line, '\0', n)) {
            r = msgf(msg, msg_size, -EINVAL, "%s: line %u: NUL byte", label, lineno);
            break;
        }
        lead = 0;
        while (lead < n && (line[lead] == ' ' || line[lead] == '\t'))
            lead++;
        if (lead == n || line[lead] == '#')
            continue;
        r = env_line(label, lineno, line + lead, n - lead, s, msg, msg_size);
    }
    if (r < 0)
        secret_set_wipe(s);
    return r;
}

/* ------------------------------------------------------------------------ */

/* Bytes of c escaped in a JSON string; writes them when out is not NULL. */
static size_t escape_char(unsigned char c, char *out)
{
    static const char hexd[] = "0123456789abcdef";
    char buf[6];
    size_t n;

    switch (c) {
    case '"': buf[0] = '\\', buf[1] = '"', n = 2; break;
    case '\\': buf[0] = '\\', buf[1] = '\\', n = 2; break;
    case '\n': buf[0] = '\\', buf[1] = 'n', n = 2; break;
    case '\t': buf[0] = '\\', buf[1] = 't', n = 2; break;
    case '\r': buf[0] = '\\', buf[1] = 'r', n = 2; break;
    default:
        if (c < 0x20) {
            memcpy(buf, "\\u00", 4);
            buf[4] = hexd[c >> 4];
            buf[5] = hexd[c & 15];
            n = 6;
        } else {
            buf[0] = (char)c;
            n = 1;
        }
    }
    if (out)
        memcpy(out, buf, n);
    explicit_bzero(buf, sizeof(buf));
    return n;
}

static size_t put_string(const char *s, size_t len, char *out)
{
    size_t n = 0;
    if (out)
        out[n] = '"';
    n++;
    for (size_t i = 0; i < len; i++)
        n += escape_char((unsigned char)s[i], out ? out + n : NULL);
    if (out)
        out[n] = '"';
    return n + 1;
}

int secret_set_to_json(const struct secret_set *s, char **out, size_t *out_len)
{
    size_t total = 2, n = 0;
    char *buf;

    for (size_t i = 0; i < s->n; i++)
        total += (i ? 1 : 0) + put_string(s->items[i].name, strlen(s->items[i].name), NULL) + 1 +
                 put_string(s->items[i].value, s->items[i].len, NULL);
    buf = malloc(total + 1);
    if (!buf)
        return -ENOMEM;
    buf[n++] = '{';
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            buf[n++] = ',';
        n += put_string(s->items[i].name, strlen(s->items[i].name), buf + n);
        buf[n++] = ':';
        n += put_string(s->items[i].value, s->items[i].len, buf + n);
    }
    buf[n++] = '}';
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
}
