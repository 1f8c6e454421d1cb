/* SPDX-License-Identifier: MIT */
/* Hexadecimal, as used for digests and report data on the wire. */
#ifndef TDX_SHARED_HEX_H
#define TDX_SHARED_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*n lowercase hex digits and a NUL to out (2*n+1 bytes). */
void hex_encode(const uint8_t *data, size_t n, char *out);

/* Decodes exactly the digits of s (upper or lower case) into out, which
 * holds max bytes. Returns the number of bytes, or -EINVAL for an odd
 * length or a non-hex character, -E2BIG when the result exceeds max. */
int hex_decode(const char *s, uint8_t *out, size_t max);

#endif
