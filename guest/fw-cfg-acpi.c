/* SPDX-License-Identifier: MIT */
#include "fw-cfg-acpi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "msg.h"

static const struct {
    const char *name, *member;
    size_t max;
} blobs[FW_CFG_ACPI_N] = {
    { "etc/acpi/tables", "tables", FW_CFG_ACPI_TABLES_MAX },
    { "etc/acpi/rsdp", "rsdp", FW_CFG_ACPI_RSDP_MAX },
    { "etc/table-loader", "table_loader", FW_CFG_ACPI_LOADER_MAX },
};

const char *fw_cfg_acpi_name(int i)
{
    return blobs[i].name;
}

const char *fw_cfg_acpi_member(int i)
{
    return blobs[i].member;
}

int fw_cfg_acpi_read(const char *dir, struct fw_cfg_acpi *out, char *msg, size_t msg_size)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < FW_CFG_ACPI_N; i++) {
        char path[4200], *data = NULL;
        int r;

        snprintf(path, sizeof(path), "%s/%s/raw", dir, blobs[i].name);
        /* sysfs gives fw_cfg files no size: the read itself is bounded. */
        r = read_file_bounded(path, blobs[i].max, &data, &out->len[i]);
        if (r < 0) {
            if (r == -ENOENT)
                msgf(msg, msg_size, r, "acpi: no fw_cfg entry %s in %s (not a QEMU guest, or "
                     "the qemu_fw_cfg module is not loaded)", blobs[i].name, dir);
            else if (r == -EFBIG)
                msgf(msg, msg_size, r, "acpi: %s is larger than %zu bytes", blobs[i].name,
                     blobs[i].max);
            else
                msgf(msg, msg_size, r, "acpi: %s: %s", path, strerror(-r));
            fw_cfg_acpi_done(out);
            return r;
        }
        out->blob[i] = (uint8_t *)data;
    }
    return 0;
}

void fw_cfg_acpi_done(struct fw_cfg_acpi *a)
{
    for (int i = 0; i < FW_CFG_ACPI_N; i++) {
        free(a->blob[i]);
        a->blob[i] = NULL;
        a->len[i] = 0;
    }
}
