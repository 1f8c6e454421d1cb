/* SPDX-License-Identifier: MIT */
/*
 * QEMU's rewrite of the Linux setup header (x86_load_linux() up to QEMU
 * 10.1; QEMU 10.2 stopped doing it for confidential guests, commit
 * a7542a38f399). OVMF measures the kernel as QEMU serves it, so these bytes
 * decide RTMR1. Offsets are those of Documentation/arch/x86/boot.rst.
 */
#include "linux-boot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "error.h"

#define HDR_VID_MODE 0x1fa
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_KERNEL_VERSION 0x20e
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_XLOADFLAGS 0x236
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x40
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80

/* QEMU's constants for a "high and recent" kernel and for q35/pc. */
#define REAL_ADDR 0x10000u
#define CMDLINE_ADDR 0x20000u
#define ACPI_DATA_SIZE 0x28000u
#define LOWMEM_SPLIT 0xB0000000ULL
#define LOWMEM_HIGH_RAM 0x80000000ULL

/* QEMU's "vga=" handling; -EINVAL where QEMU exits. */
static int vga_mode(const char *cmdline, bool *found, uint16_t *mode)
{
    const char *v = strstr(cmdline, "vga=");
    char *end;
    unsigned long n;

    *found = v != NULL;
    if (!v)
        return 0;
    v += 4;
    if (!strncmp(v, "normal", 6))
        *mode = 0xffff;
    else if (!strncmp(v, "ext", 3))
        *mode = 0xfffe;
    else if (!strncmp(v, "ask", 3))
        *mode = 0xfffd;
    else {
        errno = 0;
        n = strtoul(v, &end, 0);
        if (errno || end == v || (*end && *end != ' ') || n > 0xffffffffUL || *v == '-')
            return -EINVAL;
        *mode = (uint16_t)n;
    }
    return 0;
}

int qemu_setup_header_patch(const struct source *kernel, const struct qemu_load *load,
                            uint8_t h[SETUP_PATCH_SIZE], char *changed, size_t changed_size,
                            tdx_error *err)
{
    uint16_t protocol, mode;
    uint64_t initrd_max, below4g, addr;
    bool vga;
    int r;

    r = source_read(kernel, 0, h, SETUP_PATCH_SIZE, "Linux setup header", err);
    if (r < 0)
        return r;
    if (get_le32(h + HDR_MAGIC) != 0x53726448)
        return tdx_err(err, -EINVAL, "%s: no Linux setup header (\"HdrS\" at 0x202): not a bzImage", kernel->name);
    protocol = get_le16(h + HDR_VERSION);
    if (protocol < 0x202 || !(h[HDR_LOADFLAGS] & LOADED_HIGH))
        return tdx_err(err, -EINVAL, "%s: boot protocol %u.%02u%s: QEMU loads such old kernels at low addresses, "
                       "which TDX guests do not support", kernel->name, protocol >> 8, protocol & 0xff,
                       h[HDR_LOADFLAGS] & LOADED_HIGH ? "" : " without LOADED_HIGH");

    put_le32(h + HDR_CMD_LINE_PTR, CMDLINE_ADDR);
    if (vga_mode(load->cmdline, &vga, &mode) < 0)
        return tdx_err(err, -EINVAL, "invalid \"vga=\" in the kernel command line (QEMU refuses it)");
    if (vga)
        put_le16(h + HDR_VID_MODE, mode);
    h[HDR_TYPE_OF_LOADER] = 0xb0;
    h[HDR_LOADFLAGS] |= CAN_USE_HEAP;
    put_le32(h + HDR_HEAP_END_PTR, CMDLINE_ADDR - REAL_ADDR - 0x200);
    snprintf(changed, changed_size, "cmd_line_ptr, %stype_of_loader, loadflags, heap_end_ptr", vga ? "vid_mode, " : "");
    if (!load->has_initrd)
        return 0;

    if (protocol >= 0x20c && (get_le16(h + HDR_XLOADFLAGS) & XLF_CAN_BE_LOADED_ABOVE_4G))
        initrd_max = UINT32_MAX;
    else if (protocol >= 0x203)
        initrd_max = get_le32(h + HDR_INITRD_ADDR_MAX);
    else
        initrd_max = 0x37ffffff;
    below4g = load->memory >= LOWMEM_SPLIT ? LOWMEM_HIGH_RAM : load->memory;
    if (below4g <= ACPI_DATA_SIZE)
        return tdx_err(err, -EINVAL, "guest memory of %" PRIu64 " bytes leaves no room for an initrd", load->memory);
    if (initrd_max >= below4g - ACPI_DATA_SIZE)
        initrd_max = below4g - ACPI_DATA_SIZE - 1;
    if (load->initrd_size >= initrd_max)
        return tdx_err(err, -EFBIG, "the initrd (%" PRIu64 " bytes) does not fit below 0x%" PRIx64
                       " in %" PRIu64 " MiB of guest memory (QEMU refuses to boot)",
                       load->initrd_size, initrd_max, load->memory >> 20);
    addr = (initrd_max - load->initrd_size) & ~(uint64_t)4095;
    put_le32(h + HDR_RAMDISK_IMAGE, (uint32_t)addr);
    put_le32(h + HDR_RAMDISK_SIZE, (uint32_t)load->initrd_size);
    snprintf(changed + strlen(changed), changed_size - strlen(changed),
             ", ramdisk_image=0x%" PRIx64 ", ramdisk_size=0x%" PRIx64, addr, load->initrd_size);
    return 0;
}

int linux_kernel_version(const struct source *kernel, char *buf, size_t size, tdx_error *err)
{
    uint8_t h[0x210];
    uint16_t off;
    char v[128];
    size_t n = 0;
    int r;

    buf[0] = '\0';
    if (kernel->size < sizeof(h))
        return 0;
    r = source_read(kernel, 0, h, sizeof(h), "Linux setup header", err);
    if (r < 0)
        return r;
    if (get_le32(h + HDR_MAGIC) != 0x53726448 || get_le16(h + HDR_VERSION) < 0x200)
        return 0;
    off = get_le16(h + HDR_KERNEL_VERSION);
    if (off == 0 || 0x200ULL + off + sizeof(v) > kernel->size)
        return 0;
    r = source_read(kernel, 0x200ULL + off, v, sizeof(v), "kernel version string", err);
    if (r < 0)
        return r;
    while (n < sizeof(v) && n + 1 < size && v[n] > ' ' && v[n] < 0x7f) {
        buf[n] = v[n];
        n++;
    }
    buf[n] = '\0';
    return 0;
}
