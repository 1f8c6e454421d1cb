/* SPDX-License-Identifier: MIT */
/*
 * The firmware's boot variables, BootOrder and each Boot#### it lists, read
 * from efivarfs for the `bootvars` op: what OVMF measured into RTMR0 at
 * ReadyToBoot, which for a disk boot depends on the VM's devices, so the
 * host captures it from a reference VM (docs/run.md, "ACPI capture").
 */
#ifndef TDX_AGENT_EFIVARS_H
#define TDX_AGENT_EFIVARS_H

#include <stddef.h>
#include <stdint.h>

/* The EFI global variable GUID, as efivarfs names files NAME-GUID. */
#define EFIVARS_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
/* Bounds (the host's too): OVMF makes a handful of options of ~100 bytes. */
#define EFIVARS_OPTIONS_MAX 64
#define EFIVARS_VAR_MAX 4096

struct efivar {
    char name[16];          /* "BootOrder", "Boot0001" */
    uint8_t *data;          /* without efivarfs' 4 attribute bytes */
    size_t len;
};

struct efivars_boot {
    struct efivar var[1 + EFIVARS_OPTIONS_MAX];   /* BootOrder first */
    size_t n;
};

/* Reads DIR/BootOrder-GUID and, in BootOrder's order, each Boot####-GUID
 * it lists (once; a listed option without a variable is left out, as the
 * firmware skips it). Returns 0, or a negative errno with a message:
 * -ENOENT when DIR or BootOrder is missing (efivarfs not mounted, not a
 * UEFI boot), -EFBIG past a bound, -EINVAL for a malformed BootOrder.
 * Nothing is allocated on failure. */
int efivars_boot_read(const char *dir, struct efivars_boot *out, char *msg, size_t msg_size);
void efivars_boot_done(struct efivars_boot *b);

#endif
