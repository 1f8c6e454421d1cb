/* SPDX-License-Identifier: MIT */
/*
 * The EV_EFI_GPT_EVENT data of a raw disk image, as edk2's
 * Tcg2MeasureGptTable() builds it (SecurityPkg DxeTpm2MeasureBootLib, also in
 * edk2-stable202211): it copies the first 92 bytes of LBA 1, counts the
 * entries of the primary entry array whose type GUID is not zero, and appends
 * them. edk2 itself checks little there; we check the whole primary table
 * (UEFI 2.10 §5.3.2) and refuse a disk that firmware's partition driver would
 * not accept either, so the event is one the firmware would really measure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "error.h"
#include "gpt-event.h"

/* Offsets in EFI_PARTITION_TABLE_HEADER. */
#define HDR_SIGNATURE 0
#define HDR_SIZE 12
#define HDR_CRC 16
#define HDR_MY_LBA 24
#define HDR_ENTRY_LBA 72
#define HDR_ENTRY_COUNT 80
#define HDR_ENTRY_SIZE 84
#define HDR_ENTRY_CRC 88

uint32_t gpt_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffff;

    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
    }
    return ~crc;
}

static bool zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static int check_header(const struct source *s, uint8_t *h, uint32_t *count, uint32_t *size,
                        uint64_t *lba, uint32_t *crc, tdx_error *err)
{
    uint32_t hsize = get_le32(h + HDR_SIZE), want = get_le32(h + HDR_CRC), got;
    uint64_t my_lba = get_le64(h + HDR_MY_LBA);

    if (memcmp(h + HDR_SIGNATURE, "EFI PART", 8) != 0)
        return tdx_err(err, -EINVAL, "%s: no GPT: LBA 1 does not start with \"EFI PART\"", s->name);
    if (hsize < GPT_HEADER_SIZE || hsize > GPT_SECTOR_SIZE)
        return tdx_err(err, -EINVAL, "%s: GPT header size %" PRIu32 ": expected %d to %d", s->name, hsize,
                       GPT_HEADER_SIZE, GPT_SECTOR_SIZE);
    /* The CRC covers HeaderSize bytes with its own field taken as zero. */
    memset(h + HDR_CRC, 0, 4);
    got = gpt_crc32(h, hsize);
    put_le32(h + HDR_CRC, want);
    if (got != want)
        return tdx_err(err, -EINVAL, "%s: GPT header CRC32 mismatch (header says 0x%08" PRIx32 ", computed 0x%08"
                       PRIx32 ")", s->name, want, got);
    if (my_lba != 1)
        return tdx_err(err, -EINVAL, "%s: GPT header at LBA 1 says MyLBA is %" PRIu64 ": not a primary header",
                       s->name, my_lba);
    *lba = get_le64(h + HDR_ENTRY_LBA);
    *count = get_le32(h + HDR_ENTRY_COUNT);
    *size = get_le32(h + HDR_ENTRY_SIZE);
    *crc = get_le32(h + HDR_ENTRY_CRC);
    if (*size < GPT_ENTRY_SIZE_MIN || *size > GPT_ENTRY_SIZE_MAX || *size % 8)
        return tdx_err(err, -EINVAL, "%s: GPT SizeOfPartitionEntry %" PRIu32 ": expected a multiple of 8 from %d "
                       "to %d", s->name, *size, GPT_ENTRY_SIZE_MIN, GPT_ENTRY_SIZE_MAX);
    if (*count > GPT_ENTRIES_MAX)
        return tdx_err(err, -EINVAL, "%s: GPT NumberOfPartitionEntries %" PRIu32 ": more than %d", s->name, *count,
                       GPT_ENTRIES_MAX);
    if (*lba < 2 || *lba > s->size / GPT_SECTOR_SIZE ||
        (uint64_t)*count * *size > s->size - *lba * GPT_SECTOR_SIZE)
        return tdx_err(err, -EINVAL, "%s: GPT entry array (%" PRIu32 " x %" PRIu32 " bytes at LBA %" PRIu64 ") "
                       "lies outside the %" PRIu64 "-byte disk or over the header", s->name, *count, *size, *lba,
                       s->size);
    return 0;
}

int gpt_event_build(const struct source *s, struct gpt_event *out, tdx_error *err)
{
    uint8_t header[GPT_SECTOR_SIZE];
    _cleanup_free_ uint8_t *entries = NULL;
    uint32_t count = 0, size = 0, crc = 0, got;
    uint64_t lba = 0, used = 0;
    uint8_t *ev, *p;
    size_t n;
    int r;

    if (s->size < 2 * GPT_SECTOR_SIZE)
        return tdx_err(err, -EINVAL, "%s: %" PRIu64 " bytes: too small for a GPT disk (LBA 0 and 1 of 512 bytes)",
                       s->name, s->size);
    r = source_read(s, GPT_SECTOR_SIZE, header, sizeof(header), "the GPT header", err);
    if (r >= 0)
        r = check_header(s, header, &count, &size, &lba, &crc, err);
    if (r < 0)
        return r;
    n = (size_t)count * size;
    entries = malloc(n ? n : 1);
    if (!entries)
        return tdx_err_oom(err);
    r = source_read(s, lba * GPT_SECTOR_SIZE, entries, n, "the GPT entry array", err);
    if (r < 0)
        return r;
    got = gpt_crc32(entries, n);
    if (got != crc)
        return tdx_err(err, -EINVAL, "%s: GPT entry array CRC32 mismatch (header says 0x%08" PRIx32 ", computed "
                       "0x%08" PRIx32 ")", s->name, crc, got);
    for (uint32_t i = 0; i < count; i++)
        used += !zero(entries + (size_t)i * size, 16);
    ev = malloc(GPT_HEADER_SIZE + 8 + used * size);
    if (!ev)
        return tdx_err_oom(err);
    memcpy(ev, header, GPT_HEADER_SIZE);
    put_le64(ev + GPT_HEADER_SIZE, used);
    p = ev + GPT_HEADER_SIZE + 8;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = entries + (size_t)i * size;
        if (zero(e, 16))
            continue;
        memcpy(p, e, size);
        p += size;
    }
    *out = (struct gpt_event){ ev, (size_t)(p - ev), count, size, used };
    return 0;
}

void gpt_event_free(struct gpt_event *ev)
{
    if (!ev)
        return;
    free(ev->data);
    ev->data = NULL;
}
