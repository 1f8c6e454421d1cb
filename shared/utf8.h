/* SPDX-License-Identifier: MIT */
/* UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing
 * above U+10FFFF. */
#ifndef TDX_SHARED_UTF8_H
#define TDX_SHARED_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid sequence starting at s (1 to 4), or 0 when s[0..n)
 * does not start with one. */
size_t utf8_sequence_len(const uint8_t *s, size_t n);

bool utf8_valid(const void *s, size_t n);

/* Writes code point cp (at most U+10FFFF, not a surrogate) to out (4 bytes
 * of room); returns the number of bytes. */
size_t utf8_put_codepoint(uint32_t cp, uint8_t out[4]);

#endif
