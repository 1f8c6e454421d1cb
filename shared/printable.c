/* SPDX-License-Identifier: MIT */
#include "printable.h"

#include <stdint.h>
#include <string.h>

#include "utf8.h"

size_t printable_inplace(char *s, unsigned flags)
{
    size_t changed = 0, n = strlen(s), i = 0;
    uint8_t *p = (uint8_t *)s;

    while (i < n) {
        size_t len;

        if (p[i] < 0x20 || p[i] == 0x7f) {
            p[i++] = ' ';
            changed++;
            continue;
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        if (flags & PRINTABLE_ASCII) {
            p[i++] = '?';
            changed++;
            continue;
        }
        len = utf8_sequence_len(p + i, n - i);
        /* U+0080..U+009F are C2 80..C2 9F: 8-bit controls (CSI is U+009B). */
        if (len == 0 || (len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
            size_t bad = len ? len : 1;
            memset(p + i, '?', bad);
            changed += bad;
            i += bad;
            continue;
        }
        i += len;
    }
    return changed;
}
