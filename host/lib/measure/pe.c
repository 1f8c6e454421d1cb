/* SPDX-License-Identifier: MIT */
#include "pe.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "error.h"

#define DOS_HEADER_SIZE 0x40
#define COFF_HEADER_SIZE 20
#define SECTION_HEADER_SIZE 40
#define MAGIC_PE32 0x10b
#define MAGIC_PE32PLUS 0x20b
#define DIR_SECURITY 4

int pe_parse(const struct source *s, struct pe_image *pe, tdx_error *err)
{
    uint8_t dos[DOS_HEADER_SIZE], coff[4 + COFF_HEADER_SIZE], opt[256];
    uint32_t lfanew, ndd;
    uint16_t n_sections, opt_size, magic;
    uint64_t opt_off, table_off, dd_off;
    _cleanup_free_ uint8_t *table = NULL;
    int r;

    memset(pe, 0, sizeof(*pe));
    if (s->size < DOS_HEADER_SIZE)
        return tdx_err(err, -EINVAL, "%s: not a PE image: %" PRIu64 " bytes is too short for a DOS header",
                       s->name, s->size);
    r = source_read(s, 0, dos, sizeof(dos), "DOS header", err);
    if (r < 0)
        return r;
    if (dos[0] != 'M' || dos[1] != 'Z')
        return tdx_err(err, -EINVAL, "%s: not a PE image: no \"MZ\" signature at offset 0", s->name);
    lfanew = get_le32(dos + 0x3c);
    r = source_read(s, lfanew, coff, sizeof(coff), "PE signature and COFF header (e_lfanew at 0x3c)", err);
    if (r < 0)
        return r;
    if (memcmp(coff, "PE\0\0", 4) != 0)
        return tdx_err(err, -EINVAL, "%s: not a PE image: no \"PE\\0\\0\" signature at 0x%" PRIx32 " (e_lfanew)",
                       s->name, lfanew);
    n_sections = get_le16(coff + 4 + 2);
    opt_size = get_le16(coff + 4 + 16);
    opt_off = (uint64_t)lfanew + 4 + COFF_HEADER_SIZE;
    if (opt_size < 2 || opt_size > sizeof(opt))
        return tdx_err(err, -EINVAL, "%s: SizeOfOptionalHeader %u at 0x%" PRIx64 " is not plausible (2..%zu)",
                       s->name, opt_size, (uint64_t)lfanew + 4 + 16, sizeof(opt));
    r = source_read(s, opt_off, opt, opt_size, "optional header", err);
    if (r < 0)
        return r;
    magic = get_le16(opt);
    if (magic == MAGIC_PE32PLUS) {
        pe->pe32plus = true;
        dd_off = 112;
    } else if (magic == MAGIC_PE32) {
        dd_off = 96;
    } else {
        return tdx_err(err, -EINVAL, "%s: optional header magic 0x%04x at 0x%" PRIx64
                       " is neither PE32 (0x10b) nor PE32+ (0x20b)", s->name, magic, opt_off);
    }
    if (opt_size < dd_off)
        return tdx_err(err, -EINVAL, "%s: SizeOfOptionalHeader %u is smaller than the fixed part (%" PRIu64 " bytes)",
                       s->name, opt_size, dd_off);
    ndd = get_le32(opt + dd_off - 4);
    if (ndd > 16 || dd_off + 8ULL * ndd > opt_size)
        return tdx_err(err, -EINVAL, "%s: NumberOfRvaAndSizes %" PRIu32 " at 0x%" PRIx64
                       " does not fit SizeOfOptionalHeader %u", s->name, ndd, opt_off + dd_off - 4, opt_size);

    pe->size_of_headers = get_le32(opt + 60);
    pe->checksum_off = opt_off + 64;
    if (ndd > DIR_SECURITY) {
        pe->has_cert_entry = true;
        pe->cert_entry_off = opt_off + dd_off + 8 * DIR_SECURITY;
        pe->cert_offset = get_le32(opt + dd_off + 8 * DIR_SECURITY);
        pe->cert_size = get_le32(opt + dd_off + 8 * DIR_SECURITY + 4);
    }
    if (pe->size_of_headers < opt_off + opt_size || pe->size_of_headers > PE_HEADERS_MAX ||
        pe->size_of_headers > s->size)
        return tdx_err(err, -EINVAL, "%s: SizeOfHeaders 0x%" PRIx32 " at 0x%" PRIx64
                       " must cover the optional header (to 0x%" PRIx64 ") and lie inside the file (0x%" PRIx64 " bytes)",
                       s->name, pe->size_of_headers, opt_off + 60, opt_off + opt_size, s->size);
    if (pe->cert_size > 0) {
        r = source_check(s, pe->cert_offset, pe->cert_size, "certificate table (data directory 4)", err);
        if (r < 0)
            return r;
    }

    if (n_sections > PE_SECTIONS_MAX)
        return tdx_err(err, -EINVAL, "%s: NumberOfSections %u exceeds %d", s->name, n_sections, PE_SECTIONS_MAX);
    table_off = opt_off + opt_size;
    table = malloc((size_t)n_sections * SECTION_HEADER_SIZE + 1);
    if (!table)
        return tdx_err_oom(err);
    r = source_read(s, table_off, table, (size_t)n_sections * SECTION_HEADER_SIZE, "section table", err);
    if (r < 0)
        return r;
    pe->sections = calloc(n_sections + 1, sizeof(*pe->sections));
    if (!pe->sections)
        return tdx_err_oom(err);
    uint64_t raw_total = 0;
    for (uint16_t i = 0; i < n_sections; i++) {
        const uint8_t *h = table + (size_t)i * SECTION_HEADER_SIZE;
        struct pe_section *sec = &pe->sections[i];

        memcpy(sec->name, h, 8);
        sec->name[8] = '\0';
        sec->index = i;
        sec->virtual_size = get_le32(h + 8);
        sec->virtual_address = get_le32(h + 12);
        sec->raw_size = get_le32(h + 16);
        sec->raw_offset = get_le32(h + 20);
        pe->n_sections = (uint16_t)(i + 1);
        if (sec->raw_size > 0 &&
            ((uint64_t)sec->raw_offset > s->size || sec->raw_size > s->size - sec->raw_offset)) {
            int code = tdx_err(err, -EINVAL,
                               "%s: section %u \"%s\": raw data (PointerToRawData 0x%" PRIx32
                               ", SizeOfRawData 0x%" PRIx32 ") lies outside the file (0x%" PRIx64 " bytes)",
                               s->name, i, sec->name, sec->raw_offset, sec->raw_size, s->size);
            pe_image_free(pe);
            return code;
        }
        /* Sections may not share bytes: overlapping ones would have us hash
         * the file over and over. */
        raw_total += sec->raw_size;
        if (raw_total > s->size) {
            int code = tdx_err(err, -EINVAL, "%s: section %u \"%s\": the sections' raw data adds up to more than "
                               "the file (0x%" PRIx64 " bytes): they overlap", s->name, i, sec->name, s->size);
            pe_image_free(pe);
            return code;
        }
    }
    return 0;
}

int pe_check_memory_size(const struct source *s, const struct pe_section *sec, tdx_error *err)
{
    if (sec->virtual_size > sec->raw_size && sec->virtual_size - sec->raw_size > PE_ZERO_FILL_MAX)
        return tdx_err(err, -EINVAL, "%s: section \"%s\": VirtualSize 0x%" PRIx32 " exceeds its raw data "
                       "(0x%" PRIx32 " bytes) by more than %d MiB", s->name, sec->name, sec->virtual_size,
                       sec->raw_size, PE_ZERO_FILL_MAX >> 20);
    return 0;
}

void pe_image_free(struct pe_image *pe)
{
    free(pe->sections);
    pe->sections = NULL;
    pe->n_sections = 0;
}

const struct pe_section *pe_find_section(const struct pe_image *pe, const char *name)
{
    for (uint16_t i = 0; i < pe->n_sections; i++)
        if (streq(pe->sections[i].name, name))
            return &pe->sections[i];
    return NULL;
}

size_t pe_count_sections(const struct pe_image *pe, const char *name)
{
    size_t n = 0;
    for (uint16_t i = 0; i < pe->n_sections; i++)
        n += streq(pe->sections[i].name, name);
    return n;
}

int pe_hash_section_memory(const struct source *s, const struct pe_section *sec,
                           struct hashset *hs, tdx_error *err)
{
    uint32_t raw = sec->raw_size < sec->virtual_size ? sec->raw_size : sec->virtual_size;
    char what[48];
    int r;

    snprintf(what, sizeof(what), "section \"%s\"", sec->name);
    r = pe_check_memory_size(s, sec, err);
    if (r >= 0)
        r = source_hash(s, sec->raw_offset, raw, hs, what, err);
    if (r < 0)
        return r;
    return hash_zeros(hs, sec->virtual_size - raw, err);
}

int pe_read_section_memory(const struct source *s, const struct pe_section *sec, size_t max,
                           uint8_t **out, size_t *size, tdx_error *err)
{
    uint32_t raw = sec->raw_size < sec->virtual_size ? sec->raw_size : sec->virtual_size;
    uint8_t *buf;
    int r;

    if (sec->virtual_size > max)
        return tdx_err(err, -EFBIG, "%s: section \"%s\" holds 0x%" PRIx32 " bytes, more than the 0x%zx expected",
                       s->name, sec->name, sec->virtual_size, max);
    buf = calloc(1, (size_t)sec->virtual_size + 1);
    if (!buf)
        return tdx_err_oom(err);
    r = source_read(s, sec->raw_offset, buf, raw, "section data", err);
    if (r < 0) {
        free(buf);
        return r;
    }
    *out = buf;
    *size = sec->virtual_size;
    return 0;
}
