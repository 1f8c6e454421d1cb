/* SPDX-License-Identifier: MIT */
/*
 * The firmware's event logs, read from sysfs/securityfs and handed out in
 * chunks so each reply fits a frame: the confidential-computing event log
 * (the ACPI CCEL table ACPI_PATH/CCEL and the log area it points to,
 * ACPI_PATH/data/CCEL) and the TPM's (binary_bios_measurements: the same
 * firmware's TCG2 log, which the kernel has merged with the final events).
 */
#ifndef TDX_AGENT_CCEL_H
#define TDX_AGENT_CCEL_H

#include <stddef.h>
#include <stdint.h>

#define CCEL_TABLE_MAX 4096
#define CCEL_CHUNK_MAX (512 * 1024)
/* securityfs reports size 0 for the TPM log, so it is read whole on every
 * chunk; firmware logs are tens of KiB, this bound is far above them. */
#define TPM_LOG_MAX (16 * 1024 * 1024)

struct ccel_chunk {
    uint8_t *table;        /* NULL for the TPM log, which has no table */
    size_t table_len;
    uint8_t *log;          /* bytes [offset, offset + log_len) of the log */
    size_t log_len;
    uint64_t log_size;     /* the whole log */
};

/* Reads the table and up to max bytes of the log from offset. Returns 0 or
 * a negative errno with a message: -ENOENT when there is no CCEL table. */
int ccel_read(const char *acpi_path, uint64_t offset, size_t max, struct ccel_chunk *out,
                  char *msg, size_t msg_size);
/* Same for the TPM log file at path (no table). -ENOENT when the file does
 * not exist (no TPM, or securityfs not mounted); -EFBIG above TPM_LOG_MAX. */
int tpm_log_read(const char *path, uint64_t offset, size_t max, struct ccel_chunk *out,
                 char *msg, size_t msg_size);
void ccel_chunk_done(struct ccel_chunk *c);

#endif
