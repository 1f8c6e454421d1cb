/* SPDX-License-Identifier: MIT */
/*
 * QEMU's ACPI blobs as the guest's firmware received them over fw_cfg
 * (etc/acpi/tables, etc/acpi/rsdp, etc/table-loader), read from sysfs
 * (module qemu_fw_cfg) for the `acpi` op: what RTMR0 needs, captured with
 * a stock QEMU (docs/run.md, "ACPI capture").
 */
#ifndef TDX_AGENT_FW_CFG_ACPI_H
#define TDX_AGENT_FW_CFG_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* Bounds: base64 of all three must fit one reply frame (1 MiB). QEMU's
 * tables blob is 128 KiB for common machines and grows with vCPUs. */
#define FW_CFG_ACPI_TABLES_MAX (512 * 1024)
#define FW_CFG_ACPI_RSDP_MAX 4096
#define FW_CFG_ACPI_LOADER_MAX (128 * 1024)

enum { FW_CFG_ACPI_TABLES, FW_CFG_ACPI_RSDP, FW_CFG_ACPI_LOADER, FW_CFG_ACPI_N };

struct fw_cfg_acpi {
    uint8_t *blob[FW_CFG_ACPI_N];
    size_t len[FW_CFG_ACPI_N];
};

/* The fw_cfg name and the reply member of blob i. */
const char *fw_cfg_acpi_name(int i);
const char *fw_cfg_acpi_member(int i);

/* Reads the three blobs below dir (DIR/etc/acpi/tables/raw, ...). Returns 0,
 * or a negative errno with a message: -ENOENT when an entry is missing (not
 * a QEMU guest, or qemu_fw_cfg not loaded), -EFBIG when one exceeds its
 * bound. Nothing is allocated on failure. */
int fw_cfg_acpi_read(const char *dir, struct fw_cfg_acpi *out, char *msg, size_t msg_size);
void fw_cfg_acpi_done(struct fw_cfg_acpi *a);

#endif
