/* SPDX-License-Identifier: MIT */
/*
 * Locating and validating TDVF metadata. The layout is OVMF's
 * (OvmfPkg/ResetVector): a GUIDed table that ends 0x20 bytes before the end
 * of the image and is walked backwards, then the TDVF descriptor the TDX
 * entry points to. The checks are QEMU's (hw/i386/tdvf.c): what QEMU would
 * refuse to load, we refuse to measure.
 */
#include "tdvf.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "bytes.h"
#include "error.h"
#include "guid.h"

#define TABLE_END_OFFSET 0x20       /* the footer GUID ends this far before the end */
#define ENTRY_TRAILER 18            /* u16 length + GUID after each entry's data */
#define DESCRIPTOR_SIZE 16
#define SECTION_SIZE 32
#define PAGE 4096u

static const efi_guid table_footer_guid =
    EFI_GUID(0x96b582de, 0x1fb2, 0x45f7, 0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d);
static const efi_guid tdx_metadata_offset_guid =
    EFI_GUID(0xe47a6535, 0x984a, 0x4798, 0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2);
static const efi_guid tdx_metadata_guid =
    EFI_GUID(0xe9eaf9f3, 0x168e, 0x44d5, 0xa8, 0xeb, 0x7f, 0x4d, 0x87, 0x38, 0xf6, 0xae);

const char *tdvf_type_name(uint32_t type)
{
    switch (type) {
    case TDVF_BFV: return "BFV";
    case TDVF_CFV: return "CFV";
    case TDVF_TD_HOB: return "TD_HOB";
    case TDVF_TEMP_MEM: return "TempMem";
    }
    return "unknown";
}

/* Returns the offset of the TDVF descriptor named by the GUID table. */
static int find_descriptor(const uint8_t *fw, size_t size, const char *name, uint64_t *out,
                           tdx_error *err)
{
    size_t footer_end, table_len, start, p;

    if (size < TABLE_END_OFFSET + ENTRY_TRAILER)
        return tdx_err(err, -EINVAL, "%s: %zu bytes is too small for an OVMF firmware image", name, size);
    footer_end = size - TABLE_END_OFFSET;
    if (!guid_eq(fw + footer_end - 16, &table_footer_guid))
        return tdx_err(err, -EINVAL, "%s: no OVMF GUID table: footer GUID 96b582de-1fb2-45f7-baea-a366c55a082d "
                       "missing at offset 0x%zx", name, footer_end - 16);
    table_len = get_le16(fw + footer_end - ENTRY_TRAILER);
    if (table_len < ENTRY_TRAILER || table_len > footer_end)
        return tdx_err(err, -EINVAL, "%s: OVMF GUID table length %zu at offset 0x%zx is out of range", name,
                       table_len, footer_end - ENTRY_TRAILER);
    start = footer_end - table_len;

    /* Entries are data || u16 length || GUID; the length covers all three. */
    for (p = footer_end - ENTRY_TRAILER; p > start;) {
        size_t len;
        if (p - start < ENTRY_TRAILER)
            return tdx_err(err, -EINVAL, "%s: OVMF GUID table: truncated entry ending at offset 0x%zx", name, p);
        len = get_le16(fw + p - ENTRY_TRAILER);
        if (len < ENTRY_TRAILER || len > p - start)
            return tdx_err(err, -EINVAL, "%s: OVMF GUID table: entry length %zu at offset 0x%zx is out of range",
                           name, len, p - ENTRY_TRAILER);
        if (guid_eq(fw + p - 16, &tdx_metadata_offset_guid)) {
            uint32_t back;
            if (len < ENTRY_TRAILER + 4)
                return tdx_err(err, -EINVAL, "%s: TDX metadata offset entry at 0x%zx has no offset field", name,
                               p - len);
            back = get_le32(fw + p - ENTRY_TRAILER - 4);
            if (back < DESCRIPTOR_SIZE || back > size - 16)
                return tdx_err(err, -EINVAL, "%s: TDX metadata offset 0x%" PRIx32 " at 0x%zx points outside the image",
                               name, back, p - ENTRY_TRAILER - 4);
            *out = size - back;
            if (!guid_eq(fw + *out - 16, &tdx_metadata_guid))
                return tdx_err(err, -EINVAL, "%s: TDX metadata GUID e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae missing "
                               "before the descriptor at offset 0x%" PRIx64, name, *out);
            return 0;
        }
        p -= len;
    }
    return tdx_err(err, -EINVAL, "%s: not a TDX firmware: the OVMF GUID table has no TDX metadata entry "
                   "(e47a6535-984a-4798-865e-4685a7bf8ec2)", name);
}

static int check_section(const struct tdvf_section *s, uint32_t i, size_t fw_size, const char *name,
                         tdx_error *err)
{
    const char *t = tdvf_type_name(s->type);

    if (s->type > TDVF_TEMP_MEM)
        return tdx_err(err, -EINVAL, "%s: TDVF section %" PRIu32 ": unknown type %" PRIu32, name, i, s->type);
    if (s->attributes & ~(TDVF_ATTR_MR_EXTEND | TDVF_ATTR_PAGE_AUG))
        return tdx_err(err, -EINVAL, "%s: TDVF section %" PRIu32 " (%s): unknown attributes 0x%" PRIx32, name, i,
                       t, s->attributes);
    if (s->address % PAGE || s->size % PAGE || s->size == 0)
        return tdx_err(err, -EINVAL, "%s: TDVF section %" PRIu32 " (%s): address 0x%" PRIx64 " and size 0x%" PRIx64
                       " must be non-empty multiples of 4 KiB", name, i, t, s->address, s->size);
    if (s->address + s->size < s->address)
        return tdx_err(err, -EINVAL, "%s: TDVF section %" PRIu32 " (%s): range wraps around", name, i, t);
    if (s->size > TDVF_SECTION_SIZE_MAX ||
        ((s->attributes & TDVF_ATTR_MR_EXTEND) && s->size > TDVF_EXTEND_SIZE_MAX))
        return tdx_err(err, -EINVAL, "%s: TDVF section %" PRIu32 " (%s): MemoryDataSize 0x%" PRIx64
                       " is larger than any firmware section (at most 0x%" PRIx64 "%s)", name, i, t, s->size,
                       s->attributes & TDVF_ATTR_MR_EXTEND ? TDVF_EXTEND_SIZE_MAX : TDVF_SECTION_SIZE_MAX,
                       s->attributes & TDVF_ATTR_MR_EXTEND ? " with MR.EXTEND" : "");
    if (s->raw_size > s->size)
        return tdx_err(err, -EINVAL, "%s: TDVF section %" PRIu32 " (%s): RawDataSize 0x%" PRIx32
                       " exceeds MemoryDataSize 0x%" PRIx64, name, i, t, s->raw_size, s->size);
    if ((uint64_t)s->data_offset + s->raw_size > fw_size)
        return tdx_err(err, -EINVAL, "%s: TDVF section %" PRIu32 " (%s): data (offset 0x%" PRIx32 ", 0x%" PRIx32
                       " bytes) lies outside the image", name, i, t, s->data_offset, s->raw_size);
    if ((s->type == TDVF_TD_HOB || s->type == TDVF_TEMP_MEM) && (s->raw_size || s->attributes & TDVF_ATTR_MR_EXTEND))
        return tdx_err(err, -EINVAL, "%s: TDVF section %" PRIu32 " (%s) must carry no data and no MR.EXTEND",
                       name, i, t);
    if ((s->type == TDVF_BFV || s->type == TDVF_CFV) && s->raw_size == 0)
        return tdx_err(err, -EINVAL, "%s: TDVF section %" PRIu32 " (%s) has no data", name, i, t);
    return 0;
}

int tdvf_parse(const uint8_t *fw, size_t size, const char *name, struct tdvf *out, tdx_error *err)
{
    uint64_t d = 0;
    uint32_t len, version, n, hobs = 0;
    int r;

    memset(out, 0, sizeof(*out));
    r = find_descriptor(fw, size, name, &d, err);
    if (r < 0)
        return r;
    if (size - d < DESCRIPTOR_SIZE || memcmp(fw + d, "TDVF", 4) != 0)
        return tdx_err(err, -EINVAL, "%s: no \"TDVF\" signature at offset 0x%" PRIx64, name, d);
    len = get_le32(fw + d + 4);
    version = get_le32(fw + d + 8);
    n = get_le32(fw + d + 12);
    if (version != 1)
        return tdx_err(err, -EINVAL, "%s: TDVF metadata version %" PRIu32 " at 0x%" PRIx64 " (only 1 is known)",
                       name, version, d + 8);
    if (n == 0 || n > TDVF_SECTIONS_MAX)
        return tdx_err(err, -EINVAL, "%s: TDVF metadata at 0x%" PRIx64 " lists %" PRIu32 " sections (1 to %d)",
                       name, d, n, TDVF_SECTIONS_MAX);
    if (len != DESCRIPTOR_SIZE + SECTION_SIZE * n || len > size - d)
        return tdx_err(err, -EINVAL, "%s: TDVF metadata length %" PRIu32 " at 0x%" PRIx64
                       " does not match %" PRIu32 " sections or runs past the image", name, len, d + 4, n);

    out->sections = calloc(n, sizeof(*out->sections));
    if (!out->sections)
        return tdx_err_oom(err);
    out->descriptor_offset = d;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p = fw + d + DESCRIPTOR_SIZE + (size_t)i * SECTION_SIZE;
        struct tdvf_section *s = &out->sections[i];

        s->data_offset = get_le32(p);
        s->raw_size = get_le32(p + 4);
        s->address = get_le64(p + 8);
        s->size = get_le64(p + 16);
        s->type = get_le32(p + 24);
        s->attributes = get_le32(p + 28);
        out->n = i + 1;
        r = check_section(s, i, size, name, err);
        if (r < 0) {
            tdvf_free(out);
            return r;
        }
        hobs += s->type == TDVF_TD_HOB;
    }
    if (hobs > 1) {
        tdvf_free(out);
        return tdx_err(err, -EINVAL, "%s: TDVF metadata lists %" PRIu32 " TD_HOB sections (at most one)", name, hobs);
    }
    return 0;
}

void tdvf_free(struct tdvf *md)
{
    free(md->sections);
    md->sections = NULL;
    md->n = 0;
}
