/* SPDX-License-Identifier: MIT */
/*
 * The TD HOB that QEMU writes for TDVF (hw/i386/tdvf-hob.c) and OVMF
 * measures into RTMR0: a PHIT HOB, then one resource descriptor per RAM
 * range. RAM is [0, below 4 GiB) and, for 2816 MiB (0xB0000000) or more,
 * 2 GiB below and the rest from 4 GiB (q35's split). Every TD_HOB and
 * TempMem section is "accepted" in metadata order, splitting the range it
 * lies in; ranges are emitted by address and never merged. The END_OF_HOB
 * record is not part of the measured bytes, but EfiEndOfHobList counts it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "error.h"
#include "tdvf.h"

#define LOWMEM_SPLIT 0xB0000000ULL
#define LOWMEM_HIGH_RAM 0x80000000ULL
#define FOUR_GIB 0x100000000ULL
#define PHIT_SIZE 56
#define RESOURCE_SIZE 48
#define END_OF_HOB_SIZE 8
#define RANGES_MAX (2 + 2 * TDVF_SECTIONS_MAX)

enum { HOB_HANDOFF = 1, HOB_RESOURCE = 3 };
enum { RESOURCE_SYSTEM_MEMORY = 0, RESOURCE_MEMORY_UNACCEPTED = 7 };
#define RESOURCE_ATTRIBUTES 0x7 /* PRESENT | INITIALIZED | TESTED */

struct range {
    uint64_t start, length;
    bool accepted;
};

static int cmp_range(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* QEMU's tdx_accept_ram_range(): the section must lie inside one range. */
static int accept(struct range *r, size_t *n, const struct tdvf_section *s, uint32_t idx,
                  uint64_t memory, tdx_error *err)
{
    uint64_t end = s->address + s->size;

    for (size_t i = 0; i < *n; i++) {
        struct range *e = &r[i], old;
        if (end <= e->start || s->address >= e->start + e->length)
            continue;
        if (e->start > s->address || e->start + e->length < end)
            break;
        if (e->accepted)
            return 0;
        old = *e;
        *e = (struct range){ s->address, s->size, true };
        if (s->address > old.start)
            r[(*n)++] = (struct range){ old.start, s->address - old.start, false };
        if (end < old.start + old.length)
            r[(*n)++] = (struct range){ end, old.start + old.length - end, false };
        return 0;
    }
    return tdx_err(err, -EINVAL,
                   "TDVF section %" PRIu32 " (%s, 0x%" PRIx64 "+0x%" PRIx64 ") does not lie inside the "
                   "guest RAM of %" PRIu64 " MiB",
                   idx, tdvf_type_name(s->type), s->address, s->size, memory >> 20);
}

int td_hob_build(const struct tdvf *md, uint64_t memory, uint8_t **out, size_t *size,
                 uint64_t *address, tdx_error *err)
{
    struct range r[RANGES_MAX];
    const struct tdvf_section *hob = NULL;
    uint64_t below = memory >= LOWMEM_SPLIT ? LOWMEM_HIGH_RAM : memory;
    size_t n = 0, len;
    uint8_t *buf, *p;
    int ret;

    for (uint32_t i = 0; i < md->n; i++)
        if (md->sections[i].type == TDVF_TD_HOB)
            hob = &md->sections[i];
    if (!hob)
        return tdx_err(err, -EINVAL, "the TDVF metadata has no TD_HOB section");

    r[n++] = (struct range){ 0, below, false };
    if (memory > below)
        r[n++] = (struct range){ FOUR_GIB, memory - below, false };
    for (uint32_t i = 0; i < md->n; i++) {
        const struct tdvf_section *s = &md->sections[i];
        if (s->type != TDVF_TD_HOB && s->type != TDVF_TEMP_MEM)
            continue;
        ret = accept(r, &n, s, i, memory, err);
        if (ret < 0)
            return ret;
    }
    qsort(r, n, sizeof(r[0]), cmp_range);

    len = PHIT_SIZE + n * RESOURCE_SIZE;
    if (len + END_OF_HOB_SIZE > hob->size)
        return tdx_err(err, -EINVAL, "the TD HOB (%zu bytes) does not fit the TD_HOB section (0x%" PRIx64 " bytes)",
                       len + END_OF_HOB_SIZE, hob->size);
    buf = calloc(1, len);
    if (!buf)
        return tdx_err_oom(err);

    put_le16(buf, HOB_HANDOFF);
    put_le16(buf + 2, PHIT_SIZE);
    put_le32(buf + 8, 9);  /* EFI_HOB_HANDOFF_TABLE_VERSION */
    put_le64(buf + 48, hob->address + len + END_OF_HOB_SIZE);  /* EfiEndOfHobList */
    p = buf + PHIT_SIZE;
    for (size_t i = 0; i < n; i++, p += RESOURCE_SIZE) {
        put_le16(p, HOB_RESOURCE);
        put_le16(p + 2, RESOURCE_SIZE);
        put_le32(p + 24, r[i].accepted ? RESOURCE_SYSTEM_MEMORY : RESOURCE_MEMORY_UNACCEPTED);
        put_le32(p + 28, RESOURCE_ATTRIBUTES);
        put_le64(p + 32, r[i].start);
        put_le64(p + 40, r[i].length);
    }
    *out = buf;
    *size = len;
    *address = hob->address;
    return 0;
}
