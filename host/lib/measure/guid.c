/* SPDX-License-Identifier: MIT */
#include "guid.h"

#include <stdio.h>

#include "bytes.h"

void guid_format(const uint8_t *p, char out[GUID_STRING_SIZE])
{
    snprintf(out, GUID_STRING_SIZE, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", get_le32(p),
             get_le16(p + 4), get_le16(p + 6), p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
}
