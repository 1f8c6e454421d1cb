/* SPDX-License-Identifier: MIT */
/**
 * @file tdxhost/eventlog.h
 * @brief TCG2 crypto-agile event logs: TDX CCEL logs and vTPM logs.
 *
 * A log starts with the TCG_PCClientPCREvent "Spec ID Event03" header that
 * lists the digest algorithms, followed by TCG_PCR_EVENT2 records. Parsing
 * stops at the unused area (index 0xFFFFFFFF, or an all-zero record).
 * EV_NO_ACTION records are kept for display but never replayed, wherever
 * they appear. In a CCEL log the index is the CC measurement register
 * (1..4 = RTMR0..3); in a TPM log it is the PCR.
 *
 * The log is untrusted: every length is checked against what remains, and
 * errors give the record number and its byte offset.
 */
#ifndef TDXHOST_EVENTLOG_H
#define TDXHOST_EVENTLOG_H

#include "common.h"
#include "measure.h"

TDX_BEGIN_DECLS

typedef struct tdx_eventlog tdx_eventlog;

/** What the record index means. */
typedef enum tdx_eventlog_kind {
    TDX_EVENTLOG_CC = 1,    /**< CC MR index: 1..4 = RTMR0..3 (index 0 is reported, not replayed) */
    TDX_EVENTLOG_TPM = 2    /**< PCR index 0..23 */
} tdx_eventlog_kind;

#define TDX_EVENTLOG_OPTIONS_VERSION 1
typedef struct tdx_eventlog_options {
    unsigned int version;
    /** The CCEL ACPI table (/sys/firmware/acpi/tables/CCEL); NULL: the log
     *  file is a raw log. With a table, the log area's length (LAML) bounds
     *  the log. */
    const char *ccel_table;
    /** A tdx_eventlog_kind; TDX_UNSET: CC when the log's only algorithm is
     *  SHA-384 or a CCEL table is given, TPM otherwise. */
    int kind;
} tdx_eventlog_options;
#define TDX_EVENTLOG_OPTIONS_INIT { TDX_EVENTLOG_OPTIONS_VERSION, NULL, TDX_UNSET }

/**
 * Parses an event log file (at most 16 MiB).
 * @param[out] out receives the log; free it with tdx_eventlog_free().
 * @return 0; -EINVAL (malformed log or table: err names the record, field and
 *         offset); -EFBIG; -ENOENT/-EACCES/...; -ENOMEM.
 */
TDX_EXTERN int tdx_eventlog_load_file(tdx_eventlog **out, const char *path,
                                      const tdx_eventlog_options *opts, tdx_error *err);

/** As tdx_eventlog_load_file() for a raw log in memory (copied); @p name labels messages. */
TDX_EXTERN int tdx_eventlog_parse(tdx_eventlog **out, const char *name, const void *data,
                                  size_t size, int kind, tdx_error *err);

/** Frees a log. NULL is accepted. */
TDX_EXTERN void tdx_eventlog_free(tdx_eventlog *log);

/** The log's kind (resolved when parsing). */
TDX_EXTERN tdx_eventlog_kind tdx_eventlog_get_kind(const tdx_eventlog *log);

/** Number of records after the header, EV_NO_ACTION records included. */
TDX_EXTERN size_t tdx_eventlog_count(const tdx_eventlog *log);

/** One record; pointers are borrowed from the log. */
typedef struct tdx_eventlog_event {
    uint32_t index;             /**< raw register index from the record */
    const char *register_name;  /**< "rtmr0", "pcr7", ...; NULL if not replayable */
    uint32_t type;
    const char *type_name;      /**< "EV_SEPARATOR", or "0x..." */
    const char *description;    /**< decoded event data, one line */
    size_t n_digests;
    const uint16_t *algs;       /**< n_digests TCG algorithm ids */
    const uint8_t *const *digests;  /**< n_digests digests, tdx_hash_alg_size(algs[i]) bytes each */
    const uint8_t *data;        /**< event data */
    size_t data_size;
    size_t offset;              /**< byte offset of the record in the log */
} tdx_eventlog_event;

/** Fills @p out with record @p index. @return 0, -ENOENT (out of range). */
TDX_EXTERN int tdx_eventlog_event_get(const tdx_eventlog *log, size_t index,
                                      tdx_eventlog_event *out);

/**
 * Replays the log: every register starts at zero and is extended with the
 * digests of its events in log order (EV_NO_ACTION skipped). The result holds
 * the registers that any event touched (RTMR0-3 always for CC logs) and the
 * replayed events; its primary bank is SHA-384 for CC logs and SHA-256 for
 * TPM logs that have it.
 * @return 0, -ENOMEM.
 */
TDX_EXTERN int tdx_eventlog_replay(const tdx_eventlog *log, tdx_measurements **out, tdx_error *err);

TDX_END_DECLS

#endif
