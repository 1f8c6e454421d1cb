/* SPDX-License-Identifier: MIT */
/*
 * One-line descriptions of event data, for `eventlog show` and for naming
 * the first divergent event. Every structure is untrusted: a field that
 * does not fit falls back to "N bytes", never a read past the data.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "eventlog.h"
#include "guid.h"
#include "strbuf.h"
#include "uefi.h"

#define DESCRIPTION_MAX 200

enum {
    EV_SEPARATOR = 0x4,
    EV_ACTION = 0x5,
    EV_EVENT_TAG = 0x6,
    EV_S_CRTM_VERSION = 0x8,
    EV_PLATFORM_CONFIG_FLAGS = 0xa,
    EV_IPL = 0xd,
    EV_NONHOST_INFO = 0x11,
    EV_EFI_VARIABLE_DRIVER_CONFIG = 0x80000001,
    EV_EFI_VARIABLE_BOOT = 0x80000002,
    EV_EFI_BOOT_SERVICES_APPLICATION = 0x80000003,
    EV_EFI_BOOT_SERVICES_DRIVER = 0x80000004,
    EV_EFI_RUNTIME_SERVICES_DRIVER = 0x80000005,
    EV_EFI_GPT_EVENT = 0x80000006,
    EV_EFI_ACTION = 0x80000007,
    EV_EFI_PLATFORM_FIRMWARE_BLOB2 = 0x8000000a,
    EV_EFI_HANDOFF_TABLES2 = 0x8000000b,
    EV_EFI_VARIABLE_BOOT2 = 0x8000000c,
    EV_EFI_VARIABLE_AUTHORITY = 0x800000e0,
};

/* Printable ASCII, or UTF-16LE text when every other byte is zero. */
static void text(strbuf *sb, const uint8_t *p, size_t n)
{
    bool utf16 = n >= 2 && n % 2 == 0;
    for (size_t i = 1; utf16 && i < n; i += 2)
        utf16 = p[i] == 0;
    if (utf16) {
        utf16_to_ascii(sb, p, n);
        return;
    }
    for (size_t i = 0; i < n && p[i]; i++)
        strbuf_putc(sb, p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.');
}

static bool variable(strbuf *sb, const uint8_t *p, size_t n)
{
    uint64_t name_len, data_len;
    char guid[GUID_STRING_SIZE];

    if (n < 32)
        return false;
    name_len = get_le64(p + 16);
    data_len = get_le64(p + 24);
    if (name_len > (n - 32) / 2 || data_len > n - 32 - 2 * name_len)
        return false;
    utf16_to_ascii(sb, p + 32, 2 * name_len);
    guid_format(p, guid);
    strbuf_printf(sb, " (%" PRIu64 " bytes, vendor %s)", data_len, guid);
    return true;
}

/* UEFI_IMAGE_LOAD_EVENT: location, length, link address, device path length, path. */
static bool image(strbuf *sb, const uint8_t *p, size_t n)
{
    uint64_t len, dp_len;
    size_t off;

    if (n < 32)
        return false;
    len = get_le64(p + 8);
    dp_len = get_le64(p + 24);
    if (dp_len > n - 32)
        return false;
    strbuf_printf(sb, "image of %" PRIu64 " bytes", len);
    /* Name the file path (MEDIA_FILEPATH_DP) or vendor media node. */
    for (off = 32; off + 4 <= 32 + dp_len;) {
        uint8_t type = p[off], sub = p[off + 1];
        uint16_t nlen = get_le16(p + off + 2);
        if (nlen < 4 || nlen > 32 + dp_len - off || (type == 0x7f && sub == 0xff))
            break;
        if (type == 4 && sub == 4) {
            strbuf_puts(sb, " path ");
            utf16_to_ascii(sb, p + off + 4, nlen - 4u);
        } else if (type == 4 && sub == 3 && nlen >= 20) {
            char guid[GUID_STRING_SIZE];
            guid_format(p + off + 4, guid);
            strbuf_printf(sb, " VenMedia(%s)", guid);
        }
        off += nlen;
    }
    return true;
}

static bool described(strbuf *sb, uint32_t type, const uint8_t *p, size_t n)
{
    switch (type) {
    case EV_NO_ACTION:
        if (n >= 16 && !memcmp(p, "Spec ID Event03", 16))
            strbuf_puts(sb, "Spec ID Event03");
        else if (n >= 16 && !memcmp(p, "SP800-155 Event", 15))
            strbuf_puts(sb, "SP800-155 Event3 (reference manifest)");
        else if (n >= 16 && !memcmp(p, "StartupLocality", 16))
            strbuf_printf(sb, "StartupLocality %u", n > 16 ? p[16] : 0);
        else
            return false;
        return true;
    case EV_SEPARATOR:
        if (n != 4)
            return false;
        strbuf_printf(sb, "separator (0x%08" PRIx32 ")", get_le32(p));
        return true;
    case EV_EVENT_TAG:
        if (n < 8 || get_le32(p + 4) > n - 8)
            return false;
        strbuf_printf(sb, "tag 0x%08" PRIx32 ": ", get_le32(p));
        text(sb, p + 8, get_le32(p + 4));
        return true;
    case EV_EFI_VARIABLE_DRIVER_CONFIG:
    case EV_EFI_VARIABLE_BOOT:
    case EV_EFI_VARIABLE_BOOT2:
    case EV_EFI_VARIABLE_AUTHORITY:
        return variable(sb, p, n);
    case EV_EFI_BOOT_SERVICES_APPLICATION:
    case EV_EFI_BOOT_SERVICES_DRIVER:
    case EV_EFI_RUNTIME_SERVICES_DRIVER:
        return image(sb, p, n);
    case EV_EFI_PLATFORM_FIRMWARE_BLOB2:
        if (n < 1 || n != 1u + p[0] + 16)
            return false;
        text(sb, p + 1, p[0]);
        strbuf_printf(sb, " 0x%" PRIx64 " bytes at 0x%" PRIx64, get_le64(p + 1 + p[0] + 8), get_le64(p + 1 + p[0]));
        return true;
    case EV_EFI_HANDOFF_TABLES2:
        if (n < 1 || p[0] > n - 1)
            return false;
        text(sb, p + 1, p[0]);
        return true;
    case EV_EFI_GPT_EVENT:
        if (n < 100)
            return false;
        strbuf_printf(sb, "GPT with %" PRIu64 " partitions", get_le64(p + 92));
        return true;
    case EV_ACTION:
    case EV_EFI_ACTION:
    case EV_PLATFORM_CONFIG_FLAGS:
    case EV_S_CRTM_VERSION:
    case EV_IPL:
    case EV_NONHOST_INFO:
        text(sb, p, n);
        return true;
    }
    return false;
}

char *eventlog_describe(uint32_t type, const uint8_t *data, size_t size)
{
    strbuf sb = STRBUF_INIT;

    if (!described(&sb, type, data, size)) {
        strbuf_truncate(&sb, 0);
        strbuf_printf(&sb, "%zu bytes", size);
    } else if (sb.len == 0) {
        strbuf_printf(&sb, "%zu bytes", size);
    }
    if (sb.len > DESCRIPTION_MAX) {
        strbuf_truncate(&sb, DESCRIPTION_MAX - 3);
        strbuf_puts(&sb, "...");
    }
    if (strbuf_error(&sb) < 0) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_steal(&sb, NULL);
}
