/* SPDX-License-Identifier: MIT */
#include "base64.h"

#include <errno.h>
#include <stdbool.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void base64_encode(const uint8_t *data, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < n ? (uint32_t)data[i + 1] << 8 : 0);
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
}

static int value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long base64_decode(const char *s, size_t len, uint8_t *out, size_t max)
{
    size_t o = 0, pad = 0;

    if (len % 4)
        return -EINVAL;
    if (len >= 1 && s[len - 1] == '=')
        pad = len >= 2 && s[len - 2] == '=' ? 2 : 1;
    if (len / 4 * 3 - pad > max)
        return -E2BIG;
    for (size_t i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        int v[4];
        for (int k = 0; k < 4; k++) {
            v[k] = value(s[i + k]);
            if (v[k] < 0 && !(last && s[i + k] == '=' && k >= 4 - (int)pad))
                return -EINVAL;
        }
        out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
        if (last && pad == 2) {
            if (v[1] & 15)
                return -EINVAL;
            break;
        }
        out[o++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
        if (last && pad == 1) {
            if (v[2] & 3)
                return -EINVAL;
            break;
        }
        out[o++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
    }
    return (long)o;
}
