/* SPDX-License-Identifier: MIT */
/*
 * The CCEL ACPI table (ACPI 6.5, "Confidential Computing Event Log"): the
 * standard 36-byte header, CC type and subtype, then the log area's length
 * (LAML) and address (LASA). Linux exposes it at /sys/firmware/acpi/tables/CCEL
 * and the log area at /sys/firmware/acpi/tables/data/CCEL.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "bytes.h"
#include "error.h"
#include "eventlog.h"

#define CCEL_SIZE 56

int ccel_table_parse(const uint8_t *p, size_t size, const char *name, uint64_t *laml, tdx_error *err)
{
    uint8_t sum = 0;
    uint32_t len;

    if (size < CCEL_SIZE || memcmp(p, "CCEL", 4) != 0)
        return tdx_err(err, -EINVAL, "%s: not a CCEL ACPI table (expected at least %d bytes starting with \"CCEL\")",
                       name, CCEL_SIZE);
    len = get_le32(p + 4);
    if (len < CCEL_SIZE || len > size)
        return tdx_err(err, -EINVAL, "%s: CCEL table length %" PRIu32 " at offset 4 does not match the file (%zu bytes)",
                       name, len, size);
    for (uint32_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    if (sum != 0)
        return tdx_err(err, -EINVAL, "%s: CCEL table checksum (offset 9) is wrong", name);
    *laml = get_le64(p + 40);
    if (*laml == 0 || *laml > EVENTLOG_MAX)
        return tdx_err(err, -EINVAL, "%s: CCEL log area length (LAML, offset 40) of %" PRIu64 " bytes is out of range",
                       name, *laml);
    return 0;
}
