/* SPDX-License-Identifier: MIT */
/* deb822 control data: stanzas of "Field: value" lines, continuation lines
 * start with white space, stanzas are separated by blank lines. */
#include <string.h>
#include <strings.h>

#include "deb-internal.h"
#include "macro.h"

static bool blank_line(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p == end || *p == '\n';
}

static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl : end;
}

bool deb822_next(const char *buf, size_t len, size_t *pos, const char **stanza, size_t *slen)
{
    const char *end = buf + len, *p = buf + *pos, *start;

    while (p < end && blank_line(p, end)) {
        p = line_end(p, end);
        if (p < end)
            p++;
    }
    if (p >= end) {
        *pos = len;
        return false;
    }
    start = p;
    while (p < end && !blank_line(p, end)) {
        p = line_end(p, end);
        if (p < end)
            p++;
    }
    *stanza = start;
    *slen = (size_t)(p - start);
    *pos = (size_t)(p - buf);
    return true;
}

bool deb822_get(const char *stanza, size_t len, const char *field, const char **value,
                size_t *vlen)
{
    const char *end = stanza + len, *p = stanza;
    size_t flen = strlen(field);

    while (p < end) {
        const char *le = line_end(p, end);
        if (*p != ' ' && *p != '\t' && (size_t)(le - p) > flen && p[flen] == ':' &&
            strncasecmp(p, field, flen) == 0) {
            const char *v = p + flen + 1, *ve = le;
            /* Continuation lines belong to the value. */
            while (ve < end && ve + 1 < end && (ve[1] == ' ' || ve[1] == '\t'))
                ve = line_end(ve + 1, end);
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r' || ve[-1] == '\n'))
                ve--;
            *value = v;
            *vlen = (size_t)(ve - v);
            return true;
        }
        p = le < end ? le + 1 : end;
    }
    return false;
}

char *deb822_dup(const char *stanza, size_t len, const char *field, bool *oom)
{
    const char *v;
    size_t n;
    char *s;

    if (!deb822_get(stanza, len, field, &v, &n))
        return NULL;
    s = strndup(v, n);
    if (!s)
        *oom = true;
    return s;
}
