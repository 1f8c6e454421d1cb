/* SPDX-License-Identifier: MIT */
#include "json-strict.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

static bool at_end(const struct json_cursor *c)
{
    return c->pos >= c->len;
}

static char peek(const struct json_cursor *c)
{
    return at_end(c) ? '\0' : c->s[c->pos];
}

void json_skip_ws(struct json_cursor *c)
{
    while (!at_end(c)) {
        char ch = c->s[c->pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
            break;
        c->pos++;
    }
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Four hex digits at c->pos. */
static const char *read_u16(struct json_cursor *c, uint32_t *out)
{
    uint32_t v = 0;
    if (c->len - c->pos < 4)
        return "incomplete \\u escape";
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(c->s[c->pos + (size_t)i]);
        if (d < 0)
            return "\\u escape: expected four hex digits";
        v = (v << 4) | (uint32_t)d;
    }
    c->pos += 4;
    *out = v;
    return NULL;
}

static const char *read_escape(struct json_cursor *c, uint8_t buf[4], size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *p, *why;
    uint32_t cp, low;
    char e;

    if (at_end(c))
        return "unterminated string";
    e = c->s[c->pos++];
    if (e != 'u') {
        if (!(p = strchr(from, e)) || !e) {
            c->pos--;
            return "invalid escape sequence";
        }
        buf[0] = (uint8_t)to[p - from];
        *n = 1;
        return NULL;
    }
    if ((why = read_u16(c, &cp)))
        return why;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return "\\u escape: unpaired low surrogate";
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (c->len - c->pos < 2 || c->s[c->pos] != '\\' || c->s[c->pos + 1] != 'u')
            return "\\u escape: unpaired high surrogate";
        c->pos += 2;
        if ((why = read_u16(c, &low)))
            return why;
        if (low < 0xdc00 || low > 0xdfff)
            return "\\u escape: unpaired high surrogate";
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    if (cp == 0)
        return "\\u0000 is not allowed";
    *n = utf8_put_codepoint(cp, buf);
    return NULL;
}

const char *json_strict_string(struct json_cursor *c, char *out, size_t *out_len)
{
    size_t n = 0;

    if (peek(c) != '"')
        return "expected a string";
    c->pos++;
    for (;;) {
        const uint8_t *p = (const uint8_t *)c->s + c->pos;
        size_t len;
        if (at_end(c))
            return "unterminated string";
        if (*p == '"') {
            c->pos++;
            break;
        }
        if (*p < 0x20)
            return "control character in a string (escape it)";
        if (*p == '\\') {
            uint8_t buf[4];
            c->pos++;
            const char *why = read_escape(c, buf, &len);
            if (why)
                return why;
            if (out)
                memcpy(out + n, buf, len);
            n += len;
            continue;
        }
        len = utf8_sequence_len(p, c->len - c->pos);
        if (len == 0)
            return "invalid UTF-8 in a string";
        if (out)
            memcpy(out + n, p, len);
        n += len;
        c->pos += len;
    }
    if (out)
        out[n] = '\0';
    if (out_len)
        *out_len = n;
    return NULL;
}

static const char *number(struct json_cursor *c)
{
    size_t digits;
    if (peek(c) == '-')
        c->pos++;
    if (peek(c) == '0') {
        c->pos++;
    } else if (peek(c) >= '1' && peek(c) <= '9') {
        while (peek(c) >= '0' && peek(c) <= '9')
            c->pos++;
    } else {
        return "expected a value";
    }
    if (peek(c) == '.') {
        c->pos++;
        for (digits = 0; peek(c) >= '0' && peek(c) <= '9'; digits++)
            c->pos++;
        if (!digits)
            return "expected digits after the decimal point";
    }
    if (peek(c) == 'e' || peek(c) == 'E') {
        c->pos++;
        if (peek(c) == '+' || peek(c) == '-')
            c->pos++;
        for (digits = 0; peek(c) >= '0' && peek(c) <= '9'; digits++)
            c->pos++;
        if (!digits)
            return "expected digits in the exponent";
    }
    return NULL;
}

static const char *literal(struct json_cursor *c, const char *word)
{
    size_t n = strlen(word);
    if (c->len - c->pos < n || memcmp(c->s + c->pos, word, n) != 0)
        return "expected a value";
    c->pos += n;
    return NULL;
}

const char *json_strict_value(struct json_cursor *c, unsigned depth_left)
{
    const char *why;
    char open = peek(c), close;

    switch (open) {
    case '"':
        return json_strict_string(c, NULL, NULL);
    case 't':
        return literal(c, "true");
    case 'f':
        return literal(c, "false");
    case 'n':
        return literal(c, "null");
    case '[':
    case '{':
        break;
    default:
        return at_end(c) ? "unexpected end of text" : number(c);
    }
    if (depth_left == 0)
        return "nested too deeply";
    close = open == '[' ? ']' : '}';
    c->pos++;
    json_skip_ws(c);
    if (peek(c) == close) {
        c->pos++;
        return NULL;
    }
    for (;;) {
        if (open == '{') {
            if ((why = json_strict_string(c, NULL, NULL)))
                return peek(c) == '"' ? why : "expected a member name";
            json_skip_ws(c);
            if (peek(c) != ':')
                return "expected ':'";
            c->pos++;
            json_skip_ws(c);
        }
        if ((why = json_strict_value(c, depth_left - 1)))
            return why;
        json_skip_ws(c);
        if (peek(c) == close) {
            c->pos++;
            return NULL;
        }
        if (peek(c) != ',')
            return open == '[' ? "expected ',' or ']'" : "expected ',' or '}'";
        c->pos++;
        json_skip_ws(c);
    }
}

const char *json_strict_check(const char *s, size_t len, unsigned max_depth, size_t *err_pos)
{
    struct json_cursor c = { s, len, 0 };
    const char *why;

    json_skip_ws(&c);
    why = json_strict_value(&c, max_depth);
    if (!why) {
        json_skip_ws(&c);
        if (!at_end(&c))
            why = "text after the value";
    }
    if (why && err_pos)
        *err_pos = c.pos;
    return why;
}

void json_line_column(const char *s, size_t pos, unsigned *line, unsigned *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < pos; i++) {
        if (s[i] == '\n')
            (*line)++, *column = 1;
        else
            (*column)++;
    }
}
