/* SPDX-License-Identifier: MIT */
/* RFC 4648 base64 (standard alphabet, '=' padding), strict: no whitespace,
 * no missing or extra padding, no non-zero bits after the data. */
#ifndef TDX_SHARED_BASE64_H
#define TDX_SHARED_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Length of the encoding of n bytes, without the NUL. */
size_t base64_encoded_len(size_t n);

/* Writes the encoding and a NUL to out (base64_encoded_len(n) + 1 bytes). */
void base64_encode(const uint8_t *data, size_t n, char *out);

/* Decodes len characters of s into out (max bytes). Returns the number of
 * bytes, -EINVAL for anything that is not canonical base64, -E2BIG when the
 * result exceeds max. */
long base64_decode(const char *s, size_t len, uint8_t *out, size_t max);

#endif
