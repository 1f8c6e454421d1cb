/* SPDX-License-Identifier: MIT */
/*
 * Builders for the synthetic images the measurement tests feed the library:
 * an OVMF-style firmware carrying TDVF metadata (the GUID table layout of
 * OvmfPkg/ResetVector), and a minimal PE32+ with a Linux setup header.
 * Header-only so that a Check suite and tests/tools/make-tdvf.c share it.
 */
#ifndef TDX_TESTS_IMAGE_BUILDER_H
#define TDX_TESTS_IMAGE_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct synth_section {
    uint32_t type;          /* 0 BFV, 1 CFV, 2 TD_HOB, 3 TempMem */
    uint32_t attributes;    /* 1 MR.EXTEND, 2 PAGE.AUG */
    uint64_t address, size;
    const uint8_t *data;    /* BFV/CFV contents */
    size_t data_size;
};

static inline void ib_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void ib_le32(uint8_t *p, uint32_t v) { ib_le16(p, (uint16_t)v); ib_le16(p + 2, (uint16_t)(v >> 16)); }
static inline void ib_le64(uint8_t *p, uint64_t v) { ib_le32(p, (uint32_t)v); ib_le32(p + 4, (uint32_t)(v >> 32)); }

/* GUIDs in memory order (first three fields little-endian). */
static const uint8_t ib_tdx_metadata_guid[16] = { 0xf3, 0xf9, 0xea, 0xe9, 0x8e, 0x16, 0xd5, 0x44,
                                                  0xa8, 0xeb, 0x7f, 0x4d, 0x87, 0x38, 0xf6, 0xae };
static const uint8_t ib_metadata_offset_guid[16] = { 0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
                                                     0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2 };
static const uint8_t ib_table_footer_guid[16] = { 0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
                                                  0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d };

/*
 * An image: the sections' data one after the other, the metadata GUID and
 * descriptor, then the GUID table (one TDX metadata offset entry and the
 * footer entry) ending 0x20 bytes before the end. Returns malloc()ed bytes.
 */
static inline uint8_t *ib_tdvf(const struct synth_section *s, size_t n, size_t *out_size)
{
    size_t data = 0, desc, table, size;
    uint8_t *fw;

    for (size_t i = 0; i < n; i++)
        data += s[i].data_size;
    desc = data + 16;
    table = desc + 16 + 32 * n;
    size = table + 22 + 18 + 32;
    fw = calloc(1, size);
    if (!fw)
        return NULL;
    data = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = fw + desc + 16 + 32 * i;
        if (s[i].data_size)
            memcpy(fw + data, s[i].data, s[i].data_size);
        ib_le32(e, s[i].data_size ? (uint32_t)data : 0);
        ib_le32(e + 4, (uint32_t)s[i].data_size);
        ib_le64(e + 8, s[i].address);
        ib_le64(e + 16, s[i].size);
        ib_le32(e + 24, s[i].type);
        ib_le32(e + 28, s[i].attributes);
        data += s[i].data_size;
    }
    memcpy(fw + desc - 16, ib_tdx_metadata_guid, 16);
    memcpy(fw + desc, "TDVF", 4);
    ib_le32(fw + desc + 4, (uint32_t)(16 + 32 * n));
    ib_le32(fw + desc + 8, 1);
    ib_le32(fw + desc + 12, (uint32_t)n);
    /* entry: u32 offset-from-end, u16 length 22, GUID; footer: u16 table length, GUID */
    ib_le32(fw + table, (uint32_t)(size - desc));
    ib_le16(fw + table + 4, 22);
    memcpy(fw + table + 6, ib_metadata_offset_guid, 16);
    ib_le16(fw + table + 22, 22 + 18);
    memcpy(fw + table + 24, ib_table_footer_guid, 16);
    *out_size = size;
    return fw;
}

/* An empty edk2 variable store, as a CFV: a firmware volume header ("_FVH",
 * HeaderLength 0x48) and an authenticated variable store header, then 0xFF. */
static inline void ib_empty_varstore(uint8_t *p, size_t size)
{
    static const uint8_t auth_store[16] = { 0x78, 0x2c, 0xf3, 0xaa, 0x7b, 0x94, 0x9a, 0x43,
                                            0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92 };
    memset(p, 0xff, size);
    memset(p, 0, 0x48);
    ib_le64(p + 32, size);
    memcpy(p + 40, "_FVH", 4);
    ib_le16(p + 48, 0x48);
    memcpy(p + 0x48, auth_store, 16);
    ib_le32(p + 0x48 + 16, (uint32_t)(size - 0x48));
    p[0x48 + 20] = 0x5a;
    p[0x48 + 21] = 0xfe;
    memset(p + 0x48 + 22, 0, 6);
}

/*
 * A PE32+ that looks like an x86 bzImage to QEMU's loader: e_lfanew 0x40,
 * six data directories, two sections, "HdrS" protocol 2.15 at 0x202 with
 * LOADED_HIGH, XLF_CAN_BE_LOADED_ABOVE_4G and a kernel version string.
 * With cert_size > 0, a certificate table of that many bytes ends the file.
 */
static inline uint8_t *ib_bzimage(const char *version, size_t payload, size_t cert_size, size_t *out_size)
{
    const size_t headers = 0x1000, sec1 = 0x1000, sec2 = payload;
    size_t size = headers + sec1 + sec2 + cert_size;
    uint8_t *k = calloc(1, size), *opt, *sec;

    if (!k)
        return NULL;
    for (size_t i = headers; i < headers + sec1 + sec2; i++)
        k[i] = (uint8_t)(i * 7 + 3);
    k[0] = 'M';
    k[1] = 'Z';
    ib_le32(k + 0x3c, 0x40);
    memcpy(k + 0x40, "PE\0\0", 4);
    ib_le16(k + 0x44, 0x8664);
    ib_le16(k + 0x46, 2);                   /* NumberOfSections */
    ib_le16(k + 0x54, 112 + 6 * 8);         /* SizeOfOptionalHeader */
    opt = k + 0x58;
    ib_le16(opt, 0x20b);
    ib_le32(opt + 60, (uint32_t)headers);   /* SizeOfHeaders */
    ib_le32(opt + 64, 0x12345678);          /* CheckSum: excluded from the digest */
    ib_le32(opt + 108, 6);                  /* NumberOfRvaAndSizes */
    if (cert_size) {
        ib_le32(opt + 112 + 32, (uint32_t)(size - cert_size));
        ib_le32(opt + 112 + 36, (uint32_t)cert_size);
    }
    sec = opt + 112 + 6 * 8;
    memcpy(sec, ".setup", 6);
    ib_le32(sec + 8, (uint32_t)sec1);
    ib_le32(sec + 12, 0x1000);
    ib_le32(sec + 16, (uint32_t)sec1);
    ib_le32(sec + 20, (uint32_t)headers);
    memcpy(sec + 40, ".text", 5);
    ib_le32(sec + 48, (uint32_t)sec2);
    ib_le32(sec + 52, 0x2000);
    ib_le32(sec + 56, (uint32_t)sec2);
    ib_le32(sec + 60, (uint32_t)(headers + sec1));
    memcpy(k + 0x202, "HdrS", 4);
    ib_le16(k + 0x206, 0x20f);
    ib_le16(k + 0x20e, 0x300);              /* kernel_version at 0x200 + 0x300 */
    k[0x211] = 0x01;                        /* LOADED_HIGH */
    ib_le32(k + 0x22c, 0x7fffffff);         /* initrd_addr_max */
    ib_le16(k + 0x236, 0x40 | 0x1);         /* XLF_CAN_BE_LOADED_ABOVE_4G | XLF_KERNEL_64 */
    strcpy((char *)k + 0x500, version);
    for (size_t i = size - cert_size; i < size; i++)
        k[i] = 0xc5;
    *out_size = size;
    return k;
}

/* ------------------------------------------------------------------------ */
/* A raw GPT disk: protective MBR, primary header at LBA 1, entries from LBA 2 */

/* CRC32 (IEEE, reflected) with a table: an implementation independent of the
 * library's, so a test of its CRC checks compares two. */
static inline uint32_t ib_crc32(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    uint32_t crc = 0xffffffff;

    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffff;
}

struct ib_gpt_part {
    const uint8_t *type;        /* 16 bytes in memory order; NULL: an unused (zero) entry */
    uint64_t first, last;
};

/* The EFI System Partition and Linux root (x86-64) type GUIDs in memory order. */
static const uint8_t ib_esp_type[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                         0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };
static const uint8_t ib_root_type[16] = { 0xe3, 0xbc, 0x68, 0x4f, 0xcd, 0xe8, 0xb1, 0x4d,
                                          0x96, 0xe7, 0xfb, 0xca, 0xf9, 0x84, 0xb7, 0x09 };

/* Recomputes the header CRC32 of a disk made by ib_gpt_disk() after a test changed the header. */
static inline void ib_gpt_fix_header_crc(uint8_t *disk)
{
    uint8_t *h = disk + 512;
    uint32_t size = (uint32_t)h[12] | (uint32_t)h[13] << 8 | (uint32_t)h[14] << 16 | (uint32_t)h[15] << 24;

    ib_le32(h + 16, 0);
    ib_le32(h + 16, ib_crc32(h, size <= 512 ? size : 92));
}

/*
 * A disk of `count` entries of `entry_size` bytes, parts[i] in entry i, each
 * with a unique GUID and a UTF-16 name, followed by 8 spare sectors. Returns
 * malloc()ed bytes.
 */
static inline uint8_t *ib_gpt_disk(const struct ib_gpt_part *parts, size_t n, uint32_t count, uint32_t entry_size,
                                   size_t *out_size)
{
    size_t array = (size_t)count * entry_size, sectors = 2 + (array + 511) / 512 + 8, size = sectors * 512;
    uint8_t *d = calloc(1, size), *h, *e;

    if (!d)
        return NULL;
    d[446 + 4] = 0xee;                          /* protective MBR */
    ib_le32(d + 446 + 8, 1);
    ib_le32(d + 446 + 12, (uint32_t)(sectors - 1));
    d[510] = 0x55;
    d[511] = 0xaa;
    for (size_t i = 0; i < n && i < count; i++) {
        e = d + 1024 + i * entry_size;
        if (!parts[i].type)
            continue;
        memcpy(e, parts[i].type, 16);
        for (int k = 0; k < 16; k++)
            e[16 + k] = (uint8_t)(0x40 + i * 16 + k);
        ib_le64(e + 32, parts[i].first);
        ib_le64(e + 40, parts[i].last);
        e[56] = (uint8_t)('a' + i);             /* name "a", "b", ... as UTF-16 */
    }
    h = d + 512;
    memcpy(h, "EFI PART", 8);
    ib_le32(h + 8, 0x00010000);
    ib_le32(h + 12, 92);
    ib_le64(h + 24, 1);
    ib_le64(h + 32, sectors - 1);
    ib_le64(h + 40, 2 + (array + 511) / 512);
    ib_le64(h + 48, sectors - 2);
    for (int k = 0; k < 16; k++)
        h[56 + k] = (uint8_t)(0x10 + k);        /* disk GUID */
    ib_le64(h + 72, 2);
    ib_le32(h + 80, count);
    ib_le32(h + 84, entry_size);
    ib_le32(h + 88, ib_crc32(d + 1024, array));
    ib_gpt_fix_header_crc(d);
    *out_size = size;
    return d;
}

/* ------------------------------------------------------------------------ */
/* A unified kernel image: PE32+ with systemd-stub's sections                */

struct ib_section {
    const char *name;           /* at most 8 characters */
    const uint8_t *data;
    size_t size;                /* VirtualSize; the raw data is rounded up to 0x200 */
};

/*
 * A PE32+ with 16 data directories and the given sections, each at a
 * 0x200-aligned file offset and its own 0x1000-aligned RVA. Returns
 * malloc()ed bytes.
 */
static inline uint8_t *ib_pe(const struct ib_section *secs, size_t n, size_t *out_size)
{
    const size_t headers = 0x400, opt_size = 112 + 16 * 8;
    size_t size = headers, off;
    uint8_t *p, *opt, *sec;

    for (size_t i = 0; i < n; i++)
        size += (secs[i].size + 0x1ff) & ~(size_t)0x1ff;
    p = calloc(1, size);
    if (!p)
        return NULL;
    p[0] = 'M';
    p[1] = 'Z';
    ib_le32(p + 0x3c, 0x40);
    memcpy(p + 0x40, "PE\0\0", 4);
    ib_le16(p + 0x44, 0x8664);
    ib_le16(p + 0x46, (uint16_t)n);
    ib_le16(p + 0x54, (uint16_t)opt_size);
    opt = p + 0x58;
    ib_le16(opt, 0x20b);
    ib_le32(opt + 32, 0x1000);                  /* SectionAlignment */
    ib_le32(opt + 36, 0x200);                   /* FileAlignment */
    ib_le32(opt + 56, (uint32_t)(0x1000 * (n + 1)));    /* SizeOfImage */
    ib_le32(opt + 60, (uint32_t)headers);
    ib_le16(opt + 68, 10);                      /* EFI application */
    ib_le32(opt + 108, 16);
    sec = opt + opt_size;
    off = headers;
    for (size_t i = 0; i < n; i++, sec += 40) {
        size_t raw = (secs[i].size + 0x1ff) & ~(size_t)0x1ff;
        memcpy(sec, secs[i].name, strlen(secs[i].name));
        ib_le32(sec + 8, (uint32_t)secs[i].size);
        ib_le32(sec + 12, (uint32_t)(0x1000 * (i + 1)));
        ib_le32(sec + 16, (uint32_t)raw);
        ib_le32(sec + 20, (uint32_t)off);
        memcpy(p + off, secs[i].data, secs[i].size);
        off += raw;
    }
    *out_size = size;
    return p;
}

#endif
