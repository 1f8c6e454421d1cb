/* SPDX-License-Identifier: MIT */
/* Internals of tdx_eventlog, shared by the parser, the event describer and replay. */
#ifndef TDXHOST_MEASURE_EVENTLOG_H
#define TDXHOST_MEASURE_EVENTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxhost/eventlog.h"

#define EVENTLOG_MAX (16 * 1024 * 1024)
#define EVENTLOG_RECORDS_MAX 100000
#define EVENTLOG_ALGS_MAX 8
#define EV_NO_ACTION 3

struct ev_record {
    uint32_t index, type;
    size_t offset;
    size_t n_digests;
    uint16_t algs[EVENTLOG_ALGS_MAX];
    const uint8_t *digests[EVENTLOG_ALGS_MAX];
    const uint8_t *data;
    size_t data_size;
    char reg[8];            /* "" when the record is not replayed */
    char type_buf[12];
    const char *type_name;
    char *description;
};

struct tdx_eventlog {
    char *name;
    uint8_t *buf;
    size_t size;
    tdx_eventlog_kind kind;
    size_t n_algs;
    uint16_t algs[EVENTLOG_ALGS_MAX];
    uint16_t alg_sizes[EVENTLOG_ALGS_MAX];
    size_t n;
    struct ev_record *recs;
    size_t header_size;
};

/* One line saying what a record's data is (variable name, action text, path...). */
char *eventlog_describe(uint32_t type, const uint8_t *data, size_t size);

/* The CCEL ACPI table: checks it and returns the log area length (LAML). */
int ccel_table_parse(const uint8_t *p, size_t size, const char *name, uint64_t *laml, tdx_error *err);

#endif
