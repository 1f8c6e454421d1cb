/* SPDX-License-Identifier: MIT */
/* The Linux x86 boot protocol as QEMU's -kernel loader uses it. */
#ifndef TDXHOST_MEASURE_LINUX_BOOT_H
#define TDXHOST_MEASURE_LINUX_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "source.h"

#define SETUP_PATCH_SIZE 0x300

struct qemu_load {
    uint64_t memory;        /* guest RAM in bytes */
    const char *cmdline;    /* -append, "" when absent */
    bool has_initrd;
    uint64_t initrd_size;
};

/* The first SETUP_PATCH_SIZE bytes of the kernel as QEMU <= 10.1 rewrites
 * them (hw/i386/x86-common.c, x86_load_linux()). *changed receives a
 * description of the fields written. */
int qemu_setup_header_patch(const struct source *kernel, const struct qemu_load *load,
                            uint8_t patch[SETUP_PATCH_SIZE], char *changed, size_t changed_size,
                            tdx_error *err);

/* The version string of a bzImage ("6.1.0-54-amd64 (debian-kernel@...) ..."),
 * first word only; "" when the header has none. */
int linux_kernel_version(const struct source *kernel, char *buf, size_t size, tdx_error *err);

#endif
