/* SPDX-License-Identifier: MIT */
/*
 * What every OVMF/TDVF boot of a TD measures, whatever it then starts: MRTD
 * from the TDVF metadata, RTMR0's firmware events (TD HOB, CFV, Secure Boot
 * variables, separator) and QEMU's ACPI blobs, the ReadyToBoot and
 * ExitBootServices events, what the kernel's EFI stub measures into RTMR2,
 * and the runtime events of RTMR3. tdx_measure_direct_boot() (direct-boot.c)
 * and tdx_measure_uki_disk_boot() (disk-boot.c) put their own events between
 * these steps, in boot order.
 */
#ifndef TDXHOST_MEASURE_FIRMWARE_BOOT_H
#define TDXHOST_MEASURE_FIRMWARE_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "measurements.h"
#include "source.h"
#include "tdvf.h"

#define EV_SEPARATOR 0x00000004
#define EV_EVENT_TAG 0x00000006
#define EV_EFI_VARIABLE_BOOT 0x80000002
#define EV_EFI_BOOT_SERVICES_APPLICATION 0x80000003

struct boot {
    tdx_measure_options o;          /* defaults resolved */
    unsigned qemu_major, qemu_minor;
    const char *qemu_version;
    const char *firmware;
    uint8_t *fw;
    size_t fw_size;
    struct tdvf md;
    struct source kernel, initrd;   /* kernel: the bzImage, or a window on a UKI's .linux */
    const char *strip;              /* "DIR/": recorded paths below it are shown relative, or NULL */
    const char *boot;               /* the "boot" assumption, e.g. "QEMU direct kernel boot ..." */
    bool direct;                    /* QEMU -kernel: kernel header, command line and initrd apply */
    bool rtmr2_measured;
    char kernel_version[64];
    tdx_measurements *m;
    tdx_error *err;
};

#define BOOT_INIT(e, s) { .kernel = SOURCE_INIT, .initrd = SOURCE_INIT, .strip = (s), .err = (e) }

/* Checks opts (NULL: defaults) into b->o. */
int boot_resolve_options(struct boot *b, const tdx_measure_options *opts);
/* Makes b->m with the registers mrtd, rtmr0..rtmr3; reads and parses b->firmware. */
int boot_begin(struct boot *b);
/* Records what the options resolved to, b->boot first (the kernel header,
 * command line and initrd only for a direct boot, whose names b->kernel and
 * b->initrd then hold). */
int boot_assumptions(struct boot *b);
void boot_free(struct boot *b);

/* A path as measurements record it: relative to b->strip when below it. */
const char *boot_shown(const struct boot *b, const char *path);

int boot_mrtd(struct boot *b);
/* TD HOB, CFV, Secure Boot variables and their separator, the ACPI blobs. */
int boot_rtmr0(struct boot *b);
/* "Calling EFI Application from Boot Option" and the ReadyToBoot separator
 * (RTMR0 or RTMR1 by the event layout). */
int boot_ready_to_boot(struct boot *b);
int boot_action(struct boot *b, const char *reg, const char *text);
int boot_exit_boot_services(struct boot *b);
/* Whether the kernel in b->kernel measures its LoadOptions and initrd into
 * RTMR2 (Linux >= 6.9, or as the options say); sets b->rtmr2_measured. */
int boot_decide_rtmr2(struct boot *b);
int boot_rtmr3(struct boot *b);

#endif
