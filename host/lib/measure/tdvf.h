/* SPDX-License-Identifier: MIT */
/*
 * TDVF metadata: the table in an OVMF/TDVF image that tells the VMM which
 * firmware ranges to load where and which of them to measure into MRTD.
 * It is found through the OVMF GUID table at the end of the image.
 */
#ifndef TDXHOST_MEASURE_TDVF_H
#define TDXHOST_MEASURE_TDVF_H

#include <stddef.h>
#include <stdint.h>

#include "tdxhost/measure.h"

enum {
    TDVF_BFV = 0,       /* boot firmware volume: code, measured into MRTD */
    TDVF_CFV = 1,       /* configuration volume (variable store): measured into RTMR0 */
    TDVF_TD_HOB = 2,    /* where the VMM places the TD HOB */
    TDVF_TEMP_MEM = 3,  /* temporary memory the VMM accepts */
};

#define TDVF_ATTR_MR_EXTEND 0x1u
#define TDVF_ATTR_PAGE_AUG 0x2u
#define TDVF_SECTIONS_MAX 64
#define TDVF_FIRMWARE_MAX (64 * 1024 * 1024)
/* A section's guest memory; MR.EXTEND sections are hashed in full, so they
 * are held to the firmware's size. Real TDVF sections are a few MiB. */
#define TDVF_SECTION_SIZE_MAX ((uint64_t)256 * 1024 * 1024)
#define TDVF_EXTEND_SIZE_MAX ((uint64_t)TDVF_FIRMWARE_MAX)

struct tdvf_section {
    uint32_t data_offset;
    uint32_t raw_size;
    uint64_t address;
    uint64_t size;
    uint32_t type;
    uint32_t attributes;
};

struct tdvf {
    uint64_t descriptor_offset;
    uint32_t n;
    struct tdvf_section *sections;  /* in metadata order */
};

/* Finds and validates the metadata of a firmware image held in memory. */
int tdvf_parse(const uint8_t *fw, size_t size, const char *name, struct tdvf *out, tdx_error *err);
void tdvf_free(struct tdvf *md);

const char *tdvf_type_name(uint32_t type);

/* MRTD as the TDX module computes it from the VMM's TDH.MEM.PAGE.ADD and
 * TDH.MR.EXTEND calls, in the given page order. */
int tdvf_mrtd(const uint8_t *fw, const struct tdvf *md, tdx_mrtd_order order, uint8_t out[48],
              tdx_error *err);

/* The TD HOB QEMU builds for the given memory size: a PHIT followed by one
 * resource descriptor per RAM range, split at the sections QEMU accepts.
 * *address receives the TD_HOB section's guest address. */
int td_hob_build(const struct tdvf *md, uint64_t memory, uint8_t **out, size_t *size,
                 uint64_t *address, tdx_error *err);

#endif
