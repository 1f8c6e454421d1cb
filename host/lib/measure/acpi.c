/* SPDX-License-Identifier: MIT */
#include "acpi.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "error.h"

#define LOADER_COMMAND_SIZE 128
#define LOADER_ALLOCATE 1
#define MADT_ENTRIES 44
#define MADT_LOCAL_APIC 0
#define MADT_LOCAL_X2APIC 9
#define MADT_ENABLED 0x1

static unsigned madt_cpus(const uint8_t *t, size_t len)
{
    unsigned n = 0;
    for (size_t off = MADT_ENTRIES; off + 2 <= len;) {
        uint8_t type = t[off], elen = t[off + 1];
        if (elen < 2 || elen > len - off)
            break;
        if (type == MADT_LOCAL_APIC && elen >= 8)
            n += (get_le32(t + off + 4) & MADT_ENABLED) != 0;
        else if (type == MADT_LOCAL_X2APIC && elen >= 16)
            n += (get_le32(t + off + 8) & MADT_ENABLED) != 0;
        off += elen;
    }
    return n;
}

int acpi_check_tables(const uint8_t *p, size_t size, const char *name, unsigned *cpus, tdx_error *err)
{
    bool madt = false, dsdt = false;
    size_t off = 0;

    if (size >= 8 && memcmp(p, "RSD PTR ", 8) == 0)
        return tdx_err(err, -EINVAL, "%s: this is an RSDP (etc/acpi/rsdp), not etc/acpi/tables", name);
    *cpus = 0;
    while (off + 8 <= size) {
        const uint8_t *t = p + off;
        uint32_t len = get_le32(t + 4);
        char sig[5] = { 0 };

        if (get_le32(t) == 0)
            break;      /* QEMU pads the blob with zeros */
        memcpy(sig, t, 4);
        for (int i = 0; i < 4; i++)
            if (sig[i] < 0x20 || sig[i] > 0x7e)
                return tdx_err(err, -EINVAL, "%s: no ACPI table signature at offset 0x%zx: not etc/acpi/tables",
                               name, off);
        if (len < 8 || len > size - off)
            return tdx_err(err, -EINVAL, "%s: ACPI table \"%s\" at offset 0x%zx: length %u runs past the blob "
                           "(%zu bytes)", name, sig, off, len, size);
        if (!strcmp(sig, "APIC")) {
            madt = true;
            *cpus += madt_cpus(t, len);
        }
        dsdt |= !strcmp(sig, "DSDT");
        off += len;
    }
    if (!madt || !dsdt)
        return tdx_err(err, -EINVAL, "%s: no %s table: not QEMU's etc/acpi/tables", name, madt ? "DSDT" : "MADT (APIC)");
    return 0;
}

int acpi_check_rsdp(const uint8_t *p, size_t size, const char *name, tdx_error *err)
{
    if ((size != 20 && size != 36) || memcmp(p, "RSD PTR ", 8) != 0)
        return tdx_err(err, -EINVAL, "%s: not an RSDP (etc/acpi/rsdp): expected 20 or 36 bytes starting "
                       "with \"RSD PTR \"", name);
    return 0;
}

int acpi_check_loader(const uint8_t *p, size_t size, const char *name, tdx_error *err)
{
    if (size == 0 || size % LOADER_COMMAND_SIZE || get_le32(p) != LOADER_ALLOCATE)
        return tdx_err(err, -EINVAL, "%s: not a QEMU table loader (etc/table-loader): expected 128-byte "
                       "commands starting with ALLOCATE", name);
    return 0;
}
