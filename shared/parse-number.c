/* SPDX-License-Identifier: MIT */
#include "parse-number.h"

#include <errno.h>
#include <stddef.h>

/* Digits of s[0..len) into *out; -EINVAL without digits, -ERANGE on overflow. */
static int digits(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int in_range(uint64_t v, uint64_t min, uint64_t max, uint64_t *out)
{
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    size_t len = 0;
    if (!s || !out)
        return -EINVAL;
    while (s[len])
        len++;
    int r = digits(s, len, &v);
    return r < 0 ? r : in_range(v, min, max, out);
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    static const char suffixes[] = "KMGT";
    uint64_t v;
    unsigned shift = 0;
    size_t len = 0;
    if (!s || !out)
        return -EINVAL;
    while (s[len])
        len++;
    if (len > 0) {
        char c = s[len - 1];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        for (unsigned i = 0; suffixes[i]; i++)
            if (c == suffixes[i]) {
                shift = 10 * (i + 1);
                len--;
                break;
            }
    }
    int r = digits(s, len, &v);
    if (r < 0)
        return r;
    if (shift && v > (UINT64_MAX >> shift))
        return -ERANGE;
    return in_range(v << shift, min, max, out);
}
