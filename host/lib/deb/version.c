/* SPDX-License-Identifier: MIT */
/* Debian version ordering (deb-version(7)): [epoch:]upstream[-revision];
 * non-digit runs compare with letters before other characters and '~'
 * before everything, even the end; digit runs compare as numbers. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "deb-internal.h"

static int order(int c)
{
    if (isdigit(c))
        return 0;
    if (isalpha(c))
        return c;
    if (c == '~')
        return -1;
    if (c)
        return c + 256;
    return 0;
}

/* Compares [a, ae) with [b, be). */
static int part_compare(const char *a, const char *ae, const char *b, const char *be)
{
    while (a < ae || b < be) {
        int first_diff = 0;
        while ((a < ae && !isdigit((unsigned char)*a)) || (b < be && !isdigit((unsigned char)*b))) {
            int ac = a < ae ? order((unsigned char)*a) : 0;
            int bc = b < be ? order((unsigned char)*b) : 0;
            if (ac != bc)
                return ac - bc;
            a += a < ae;
            b += b < be;
        }
        while (a < ae && *a == '0')
            a++;
        while (b < be && *b == '0')
            b++;
        while (a < ae && b < be && isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            if (!first_diff)
                first_diff = *a - *b;
            a++;
            b++;
        }
        if (a < ae && isdigit((unsigned char)*a))
            return 1;
        if (b < be && isdigit((unsigned char)*b))
            return -1;
        if (first_diff)
            return first_diff;
    }
    return 0;
}

struct version {
    unsigned long epoch;
    const char *up, *up_end, *rev, *rev_end;
};

static void split(const char *s, struct version *v)
{
    const char *colon = strchr(s, ':'), *end = s + strlen(s), *dash;

    v->epoch = 0;
    if (colon && colon > s && strspn(s, "0123456789") == (size_t)(colon - s)) {
        v->epoch = strtoul(s, NULL, 10);
        s = colon + 1;
    }
    dash = strrchr(s, '-');
    v->up = s;
    v->up_end = dash ? dash : end;
    v->rev = dash ? dash + 1 : end;
    v->rev_end = end;
}

int deb_version_compare(const char *a, const char *b)
{
    struct version x, y;
    int r;

    split(a, &x);
    split(b, &y);
    if (x.epoch != y.epoch)
        return x.epoch < y.epoch ? -1 : 1;
    r = part_compare(x.up, x.up_end, y.up, y.up_end);
    if (r)
        return r;
    return part_compare(x.rev, x.rev_end, y.rev, y.rev_end);
}
