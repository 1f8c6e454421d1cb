/* SPDX-License-Identifier: MIT */
/*
 * The firmware's boot variables as a capture recorded them (BootOrder and
 * the Boot#### it lists, one file each, the data without efivarfs'
 * attribute bytes), measured as edk2's TdTcg2Dxe MeasureAllBootVariables()
 * does at ReadyToBoot. The files come from a guest: every one is bounded
 * and every EFI_LOAD_OPTION checked before it is measured.
 */
#ifndef TDXHOST_MEASURE_BOOT_VARS_H
#define TDXHOST_MEASURE_BOOT_VARS_H

#include <stddef.h>
#include <stdint.h>

#include "measurements.h"
#include "strbuf.h"

/* Bounds of a capture (the agent's too): OVMF makes a handful of options. */
#define BOOT_VARS_OPTIONS_MAX 64
#define BOOT_VAR_SIZE_MAX 4096

/* Checks an EFI_LOAD_OPTION (UEFI 2.10 3.1.3): u32 Attributes, u16
 * FilePathListLength, a NUL-terminated UTF-16 Description, device path
 * nodes of exactly FilePathListLength bytes ending with End Entire, then
 * OptionalData. Puts the attributes and the description (ASCII, '?' for
 * anything else, at most 64 characters) out; -EINVAL naming @p name. */
int load_option_parse(const uint8_t *p, size_t n, const char *name, uint32_t *attributes,
                      strbuf *description, tdx_error *err);

/* Reads @p dir/BootOrder and the Boot#### it lists, extends each into @p reg
 * as EV_EFI_VARIABLE_BOOT (SHA-384 of the data) in the firmware's order and
 * records an assumption "boot_variables". @p shown names dir in messages. */
int boot_vars_measure(tdx_measurements *m, const char *reg, const char *dir, const char *shown,
                      tdx_error *err);

#endif
