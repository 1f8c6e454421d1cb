/* SPDX-License-Identifier: MIT */
#include "kcmdline.h"

#include <string.h>

bool kcmdline_has(const char *text, const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value);
    const char *p = text;
    while (*p) {
        size_t n;
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        n = strcspn(p, " \t\n");
        if (n == klen + 1 + vlen && memcmp(p, key, klen) == 0 && p[klen] == '=' &&
            memcmp(p + klen + 1, value, vlen) == 0)
            return true;
        p += n;
    }
    return false;
}
