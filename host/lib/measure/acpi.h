/* SPDX-License-Identifier: MIT */
/* Sanity checks on QEMU's ACPI fw_cfg blobs, so that a swapped or wrong
 * file is reported instead of producing a silently wrong RTMR0. */
#ifndef TDXHOST_MEASURE_ACPI_H
#define TDXHOST_MEASURE_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "tdxhost/common.h"

/* etc/acpi/tables: a sequence of ACPI tables (FACS first), zero padded.
 * *cpus receives the number of enabled processors in the MADT. */
int acpi_check_tables(const uint8_t *p, size_t size, const char *name, unsigned *cpus, tdx_error *err);
/* etc/acpi/rsdp: "RSD PTR " and 20 (ACPI 1.0) or 36 (2.0) bytes. */
int acpi_check_rsdp(const uint8_t *p, size_t size, const char *name, tdx_error *err);
/* etc/table-loader: 128-byte commands, the first an ALLOCATE. */
int acpi_check_loader(const uint8_t *p, size_t size, const char *name, tdx_error *err);

#endif
