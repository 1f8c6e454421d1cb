/* SPDX-License-Identifier: MIT */
/*
 * PE/COFF headers and section table, checked against the file size before
 * anything uses them. Offsets follow the PE format specification (the
 * optional header's CheckSum and data directories, 40-byte section headers).
 */
#ifndef TDXHOST_MEASURE_PE_H
#define TDXHOST_MEASURE_PE_H

#include <stdbool.h>
#include <stdint.h>

#include "source.h"

#define PE_SECTIONS_MAX 1024
#define PE_HEADERS_MAX (1024 * 1024)
/* How far a loaded section may extend past its raw data (zero fill, e.g.
 * .bss); more would only make us hash zeros. */
#define PE_ZERO_FILL_MAX (64 * 1024 * 1024)

struct pe_section {
    char name[9];           /* NUL-terminated, at most 8 characters */
    uint16_t index;         /* position in the section table */
    uint32_t virtual_size;
    uint32_t virtual_address;
    uint32_t raw_size;
    uint32_t raw_offset;
};

struct pe_image {
    bool pe32plus;
    uint32_t size_of_headers;
    uint64_t checksum_off;      /* file offset of OptionalHeader.CheckSum */
    bool has_cert_entry;        /* NumberOfRvaAndSizes > 4 */
    uint64_t cert_entry_off;    /* file offset of the Certificate Table entry */
    uint32_t cert_offset;
    uint32_t cert_size;
    uint16_t n_sections;
    struct pe_section *sections;    /* in section table order */
};

int pe_parse(const struct source *s, struct pe_image *pe, tdx_error *err);
void pe_image_free(struct pe_image *pe);

/* First section called name, or NULL. */
const struct pe_section *pe_find_section(const struct pe_image *pe, const char *name);
size_t pe_count_sections(const struct pe_image *pe, const char *name);

/* Authenticode over every context of hs (see tdxhost/pe.h for the rules). */
int pe_authenticode(const struct source *s, const struct pe_image *pe, struct hashset *hs,
                    tdx_error *err);

/* Checks that a section's loaded size stays within PE_ZERO_FILL_MAX of its data. */
int pe_check_memory_size(const struct source *s, const struct pe_section *sec, tdx_error *err);

/* Feeds a section as loaded in memory: VirtualSize bytes, the raw data then
 * zeros (what systemd-stub hashes). */
int pe_hash_section_memory(const struct source *s, const struct pe_section *sec,
                           struct hashset *hs, tdx_error *err);

/* Copies a loaded section (VirtualSize bytes) into a new buffer of at most max bytes. */
int pe_read_section_memory(const struct source *s, const struct pe_section *sec, size_t max,
                           uint8_t **out, size_t *size, tdx_error *err);

#endif
