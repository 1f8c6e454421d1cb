/* SPDX-License-Identifier: MIT */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int strbuf_grow(strbuf *sb, size_t extra)
{
    size_t need, cap;
    char *p;

    if (sb->failed)
        return sb->failed;
    if (__builtin_add_overflow(sb->len, extra, &need) || __builtin_add_overflow(need, 1, &need))
        return sb->failed = -ENOMEM;
    if (need <= sb->cap)
        return 0;

    cap = sb->cap ? sb->cap : 64;
    while (cap < need) {
        if (__builtin_mul_overflow(cap, 2, &cap))
            return sb->failed = -ENOMEM;
    }
    if (sb->wipe) {
        p = malloc(cap);
        if (!p)
            return sb->failed = -ENOMEM;
        if (sb->data) {
            memcpy(p, sb->data, sb->len + 1);
            explicit_bzero(sb->data, sb->cap);
            free(sb->data);
        }
    } else {
        p = realloc(sb->data, cap);
    }
    if (!p)
        return sb->failed = -ENOMEM;
    if (!sb->data)
        p[0] = '\0';
    sb->data = p;
    sb->cap = cap;
    return 0;
}

int strbuf_append(strbuf *sb, const void *data, size_t n)
{
    int r = strbuf_grow(sb, n);
    if (r < 0)
        return r;
    if (n)
        memcpy(sb->data + sb->len, data, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
    return 0;
}

int strbuf_puts(strbuf *sb, const char *s)
{
    return strbuf_append(sb, s, strlen(s));
}

int strbuf_putc(strbuf *sb, char c)
{
    return strbuf_append(sb, &c, 1);
}

int strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap)
{
    va_list aq;
    int n, r;

    if (sb->failed)
        return sb->failed;

    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
        return sb->failed = -EINVAL;

    r = strbuf_grow(sb, (size_t)n);
    if (r < 0)
        return r;
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int strbuf_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
    return r;
}

void strbuf_truncate(strbuf *sb, size_t len)
{
    if (len < sb->len) {
        sb->len = len;
        sb->data[len] = '\0';
    }
}

char *strbuf_steal(strbuf *sb, size_t *len)
{
    char *p;

    if (sb->failed) {
        strbuf_free(sb);
        return NULL;
    }
    if (!sb->data && strbuf_grow(sb, 0) < 0)
        return NULL;
    p = sb->data;
    if (len)
        *len = sb->len;
    sb->data = NULL;
    sb->len = sb->cap = 0;
    return p;
}

void strbuf_free(strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
    sb->failed = 0;
}

void strbuf_wipe_free(strbuf *sb)
{
    if (sb->data)
        explicit_bzero(sb->data, sb->cap);
    strbuf_free(sb);
}
