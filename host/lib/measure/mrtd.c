/* SPDX-License-Identifier: MIT */
/*
 * MRTD: one SHA-384 over the records the TDX module appends for each
 * TDH.MEM.PAGE.ADD (128 bytes: "MEM.PAGE.ADD", GPA at byte 16) and each
 * TDH.MR.EXTEND (128 bytes: "MR.EXTEND", GPA at byte 16, then the 256
 * bytes of the chunk). Pages of PAGE.AUG sections are not added; only
 * MR.EXTEND sections are extended. Memory past a section's raw data is
 * zero, as QEMU leaves it.
 */
#include <string.h>

#include "bytes.h"
#include "digest.h"
#include "error.h"
#include "tdvf.h"

#define PAGE 4096u
#define CHUNK 256u

static int page_add(struct hashset *hs, uint64_t gpa, tdx_error *err)
{
    uint8_t rec[128] = { 0 };
    memcpy(rec, "MEM.PAGE.ADD", 12);
    put_le64(rec + 16, gpa);
    return hashset_update(hs, rec, sizeof(rec), err);
}

static int page_extend(struct hashset *hs, const uint8_t *fw, const struct tdvf_section *s,
                       uint64_t page, tdx_error *err)
{
    for (uint64_t off = page * PAGE; off < (page + 1) * PAGE; off += CHUNK) {
        uint8_t rec[128 + CHUNK] = { 0 };
        int r;

        memcpy(rec, "MR.EXTEND", 9);
        put_le64(rec + 16, s->address + off);
        if (off < s->raw_size)
            memcpy(rec + 128, fw + s->data_offset + off, s->raw_size - off < CHUNK ? s->raw_size - off : CHUNK);
        r = hashset_update(hs, rec, sizeof(rec), err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int section(struct hashset *hs, const uint8_t *fw, const struct tdvf_section *s,
                   tdx_mrtd_order order, tdx_error *err)
{
    uint64_t pages = s->size / PAGE;
    bool add = !(s->attributes & TDVF_ATTR_PAGE_AUG), extend = s->attributes & TDVF_ATTR_MR_EXTEND;
    int r = 0;

    if (order == TDX_MRTD_TWO_PASS) {
        for (uint64_t p = 0; add && p < pages && r >= 0; p++)
            r = page_add(hs, s->address + p * PAGE, err);
        for (uint64_t p = 0; extend && p < pages && r >= 0; p++)
            r = page_extend(hs, fw, s, p, err);
        return r;
    }
    for (uint64_t p = 0; p < pages && r >= 0; p++) {
        if (add)
            r = page_add(hs, s->address + p * PAGE, err);
        if (r >= 0 && extend)
            r = page_extend(hs, fw, s, p, err);
    }
    return r;
}

int tdvf_mrtd(const uint8_t *fw, const struct tdvf *md, tdx_mrtd_order order, uint8_t out[48],
              tdx_error *err)
{
    struct hashset hs = HASHSET_INIT;
    tdx_hash_alg alg = TDX_HASH_SHA384;
    uint8_t d[1][TDX_DIGEST_MAX];
    int r = hashset_init(&hs, &alg, 1, err);

    for (uint32_t i = 0; i < md->n && r >= 0; i++)
        r = section(&hs, fw, &md->sections[i], order, err);
    if (r >= 0)
        r = hashset_final(&hs, d, err);
    hashset_free(&hs);
    if (r >= 0)
        memcpy(out, d[0], 48);
    return r;
}
