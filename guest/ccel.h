/* SPDX-License-Identifier: MIT */
/*
 * The firmware's confidential-computing event log: the ACPI CCEL table
 * (ACPI_PATH/CCEL) and the log area it points to (ACPI_PATH/data/CCEL),
 * read from sysfs and handed out in chunks so each reply fits a frame.
 */
#ifndef TDX_AGENT_CCEL_H
#define TDX_AGENT_CCEL_H

#include <stddef.h>
#include <stdint.h>

#define CCEL_TABLE_MAX 4096
#define CCEL_CHUNK_MAX (512 * 1024)

struct ccel_chunk {
    uint8_t *table;
    size_t table_len;
    uint8_t *log;          /* bytes [offset, offset + log_len) of the log */
    size_t log_len;
    uint64_t log_size;     /* the whole log */
};

/* Reads the table and up to max bytes of the log from offset. Returns 0 or
 * a negative errno with a message: -ENOENT when there is no CCEL table. */
int ccel_read(const char *acpi_path, uint64_t offset, size_t max, struct ccel_chunk *out,
                  char *msg, size_t msg_size);
void ccel_chunk_done(struct ccel_chunk *c);

#endif
