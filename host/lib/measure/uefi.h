/* SPDX-License-Identifier: MIT */
/*
 * UEFI structures that firmware measures: UEFI_VARIABLE_DATA, QEMU's boot
 * variables, UTF-16 strings, and the variable store inside a firmware's
 * configuration volume (CFV).
 */
#ifndef TDXHOST_MEASURE_UEFI_H
#define TDXHOST_MEASURE_UEFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guid.h"
#include "strbuf.h"
#include "tdxhost/common.h"

extern const efi_guid efi_global_variable_guid;
extern const efi_guid efi_image_security_database_guid;

/* UEFI_VARIABLE_DATA: VariableName GUID, u64 name length (characters, no
 * NUL), u64 data length, UTF-16LE name, data. */
int uefi_variable_data(strbuf *out, const efi_guid *vendor, const char *name, const void *data,
                       size_t size);

/* Appends s[0..n) widened byte by byte to UTF-16LE (what edk2's %a does). */
void utf16_widen(strbuf *out, const char *s, size_t n);

/* Appends UTF-8 s[0..n) as UTF-16LE; -EINVAL on invalid UTF-8. */
int utf16_from_utf8(strbuf *out, const char *s, size_t n);

/* Appends UTF-16LE p[0..n bytes) as ASCII, '?' for anything else, stopping at NUL. */
void utf16_to_ascii(strbuf *out, const uint8_t *p, size_t n);

/* The EFI_LOAD_OPTION of Boot0000 that OVMF creates for QEMU's direct
 * kernel boot: "UiApp" in the firmware volume, attributes 0x109. */
extern const uint8_t qemu_boot0000[62];

/* A variable read from a variable store; pointers into the store. */
struct uefi_var {
    const uint8_t *data;
    size_t size;
    bool found;
};

struct varstore {
    const uint8_t *base;
    size_t size;
    size_t first;       /* offset of the first variable header */
    bool authenticated; /* authenticated variable headers (60 bytes) */
};

/* Checks the firmware-volume and variable-store headers of a CFV. */
int varstore_open(struct varstore *vs, const uint8_t *cfv, size_t size, const char *name,
                  tdx_error *err);

/* Finds the live copy of a variable (State VAR_ADDED). */
int varstore_get(const struct varstore *vs, const efi_guid *vendor, const char *name,
                 struct uefi_var *out, const char *fwname, tdx_error *err);

#endif
