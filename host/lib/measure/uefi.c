/* SPDX-License-Identifier: MIT */
#include "uefi.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"

const efi_guid efi_global_variable_guid =
    EFI_GUID(0x8be4df61, 0x93ca, 0x11d2, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c);
const efi_guid efi_image_security_database_guid =
    EFI_GUID(0xd719b2cb, 0x3d3a, 0x4596, 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f);

void utf16_widen(strbuf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c[2] = { s[i], 0 };
        strbuf_append(out, c, 2);
    }
}

int utf16_from_utf8(strbuf *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        uint32_t cp;
        size_t len;
        uint8_t u[4];

        if (p[i] < 0x80) {
            cp = p[i];
            len = 1;
        } else if ((p[i] & 0xe0) == 0xc0) {
            cp = p[i] & 0x1f;
            len = 2;
        } else if ((p[i] & 0xf0) == 0xe0) {
            cp = p[i] & 0x0f;
            len = 3;
        } else if ((p[i] & 0xf8) == 0xf0) {
            cp = p[i] & 0x07;
            len = 4;
        } else {
            return -EINVAL;
        }
        if (len > n - i)
            return -EINVAL;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return -EINVAL;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return -EINVAL;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            put_le16(u, (uint16_t)(0xd800 | cp >> 10));
            put_le16(u + 2, (uint16_t)(0xdc00 | (cp & 0x3ff)));
            strbuf_append(out, u, 4);
        } else {
            put_le16(u, (uint16_t)cp);
            strbuf_append(out, u, 2);
        }
        i += len;
    }
    return 0;
}

void utf16_to_ascii(strbuf *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        uint16_t c = get_le16(p + i);
        if (c == 0)
            break;
        strbuf_putc(out, c >= 0x20 && c < 0x7f ? (char)c : '?');
    }
}

int uefi_variable_data(strbuf *out, const efi_guid *vendor, const char *name, const void *data,
                       size_t size)
{
    uint8_t hdr[32];
    size_t chars = strlen(name);

    memcpy(hdr, vendor->b, 16);
    put_le64(hdr + 16, chars);
    put_le64(hdr + 24, size);
    strbuf_append(out, hdr, sizeof(hdr));
    utf16_widen(out, name, chars);
    strbuf_append(out, data, size);
    return strbuf_error(out);
}

/* Attributes LOAD_OPTION_ACTIVE | LOAD_OPTION_HIDDEN | LOAD_OPTION_CATEGORY_APP,
 * FilePathListLength 0x2c, L"UiApp", then MEDIA_PIWG_FW_VOL_DP (OVMF's DXE FV
 * 7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1), MEDIA_PIWG_FW_FILE_DP (UiApp
 * 462caa21-7614-4503-836e-8ab6f4662331) and the end node. */
const uint8_t qemu_boot0000[62] = {
    0x09, 0x01, 0x00, 0x00, 0x2c, 0x00,
    'U', 0, 'i', 0, 'A', 0, 'p', 0, 'p', 0, 0, 0,
    0x04, 0x07, 0x14, 0x00,
    0xc9, 0xbd, 0xb8, 0x7c, 0xeb, 0xf8, 0x34, 0x4f, 0xaa, 0xea, 0x3e, 0xe4, 0xaf, 0x65, 0x16, 0xa1,
    0x04, 0x06, 0x14, 0x00,
    0x21, 0xaa, 0x2c, 0x46, 0x14, 0x76, 0x03, 0x45, 0x83, 0x6e, 0x8a, 0xb6, 0xf4, 0x66, 0x23, 0x31,
    0x7f, 0xff, 0x04, 0x00,
};
