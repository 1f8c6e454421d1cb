/* SPDX-License-Identifier: MIT */
/*
 * A unified kernel image as systemd-stub boots it, for two callers: the
 * vTPM PCRs of tdx_measure_uki_tpm() (uki.c) and the RTMRs of a disk boot
 * (disk-boot.c). Each step extends the register its caller names, in the
 * caller's banks.
 */
#ifndef TDXHOST_MEASURE_UKI_H
#define TDXHOST_MEASURE_UKI_H

#include "measurements.h"
#include "pe.h"

struct uki {
    const char *path;           /* the name events and messages use */
    struct source src;
    struct pe_image pe;
    tdx_uki_options o;
    int stub;                   /* systemd-stub major version whose rules apply */
    tdx_measurements *m;
    tdx_error *err;
    const char *reg_boot;       /* what the firmware measures: PCR 4 / RTMR1 */
    const char *reg_kernel;     /* what the kernel's EFI stub measures: PCR 9 / RTMR2 */
    const char *reg_stub;       /* what systemd-stub measures: PCR 11 / RTMR2 */
};

/* Opens and parses `file` (u->path names it); refuses multi-profile UKIs and
 * PE files without .linux. */
int uki_open(struct uki *u, const char *file);
void uki_close(struct uki *u);

/* Sets u->stub from the options or the .sdmagic section. */
int uki_stub_version(struct uki *u);

/* [u->o.boot_loader,] the UKI and, for stubs that start the kernel with
 * LoadImage(), the embedded kernel: Authenticode digests into reg_boot. */
int uki_boot_images(struct uki *u);

/* The sections systemd-stub measures, name with NUL then data, into reg_stub. */
int uki_stub_sections(struct uki *u);

/* The kernel's EFI stub: the LoadOptions systemd-stub passes (stubs >= 252)
 * and the initrd it serves (.ucode then .initrd), into reg_kernel. */
int uki_kernel_events(struct uki *u);

#endif
