/* SPDX-License-Identifier: MIT */
/*
 * The UEFI_GPT_DATA event edk2 measures before the first image it loads from
 * a GPT disk (DxeTpm2MeasureBootLib, Tcg2MeasureGptTable(); EV_EFI_GPT_EVENT
 * into PCR 5, RTMR1 in a TD): the primary header as the packed 92-byte
 * EFI_PARTITION_TABLE_HEADER, a UINT64 count of the entries whose
 * PartitionTypeGUID is not zero, and those entries, SizeOfPartitionEntry
 * bytes each, in table order.
 *
 * The disk is untrusted: the header and the entry array are checked (signature,
 * sizes, CRC32s, bounds) before anything is copied, and an error names the
 * disk and what is wrong.
 */
#ifndef TDXHOST_MEASURE_GPT_EVENT_H
#define TDXHOST_MEASURE_GPT_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

#define GPT_SECTOR_SIZE 512
#define GPT_HEADER_SIZE 92            /* sizeof (EFI_PARTITION_TABLE_HEADER), packed */
#define GPT_ENTRY_SIZE_MIN 128
#define GPT_ENTRY_SIZE_MAX 4096       /* UEFI: 128 x 2^n; more is not a disk we boot */
#define GPT_ENTRIES_MAX 1024
#define EV_EFI_GPT_EVENT 0x80000006

struct gpt_event {
    uint8_t *data;                  /* the event bytes; free() */
    size_t size;
    uint32_t entries;               /* NumberOfPartitionEntries in the header */
    uint32_t entry_size;
    uint64_t used;                  /* entries with a non-zero type GUID */
};

/* Reads the primary GPT of a raw disk image (512-byte sectors) from s and
 * builds its event. */
int gpt_event_build(const struct source *s, struct gpt_event *out, tdx_error *err);
void gpt_event_free(struct gpt_event *ev);

/* CRC32 as UEFI uses it (IEEE 802.3, reflected, initial and final XOR ~0). */
uint32_t gpt_crc32(const uint8_t *p, size_t n);

#endif
