/* SPDX-License-Identifier: MIT */
/* EFI GUIDs in their in-memory form: the first three fields little-endian,
 * the last eight bytes as written. */
#ifndef TDXHOST_MEASURE_GUID_H
#define TDXHOST_MEASURE_GUID_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct efi_guid {
    uint8_t b[16];
} efi_guid;

#define EFI_GUID(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7)                                       \
    { { (uint8_t)(a), (uint8_t)((a) >> 8), (uint8_t)((a) >> 16), (uint8_t)((a) >> 24),        \
        (uint8_t)(b), (uint8_t)((b) >> 8), (uint8_t)(c), (uint8_t)((c) >> 8), d0, d1, d2, d3, \
        d4, d5, d6, d7 } }

static inline bool guid_eq(const uint8_t *p, const efi_guid *g)
{
    return memcmp(p, g->b, 16) == 0;
}

#define GUID_STRING_SIZE 37

/* Writes "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lowercase) and a NUL. */
void guid_format(const uint8_t *p, char out[GUID_STRING_SIZE]);

#endif
