/* SPDX-License-Identifier: MIT */
/*
 * TCG2 crypto-agile event logs (TCG PC Client Platform Firmware Profile,
 * section 10): a TCG_PCClientPCREvent carrying the TCG_EfiSpecIdEvent, then
 * TCG_PCR_EVENT2 records. Every length is checked against what is left.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "digest.h"
#include "error.h"
#include "eventlog.h"
#include "measurements.h"
#include "read-input.h"

#define SPEC_ID_SIGNATURE "Spec ID Event03"

/* "LOG: offset 0x...: message" */
static int at(tdx_error *err, const tdx_eventlog *log, size_t off, const char *fmt, ...) _printf_(4, 5);
static int at(tdx_error *err, const tdx_eventlog *log, size_t off, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tdx_err(err, -EINVAL, "%s: offset 0x%zx: %s", log->name, off, msg);
}

static int parse_header(tdx_eventlog *log, tdx_error *err)
{
    const uint8_t *p = log->buf;
    size_t size = log->size, ev_size, n_algs, off;

    if (size < 32)
        return at(err, log, 0, "too short for the TCG_PCClientPCREvent header (32 bytes)");
    if (get_le32(p + 4) != EV_NO_ACTION)
        return at(err, log, 4, "the first record is not EV_NO_ACTION: not a TCG2 crypto-agile log");
    ev_size = get_le32(p + 28);
    if (ev_size > size - 32 || ev_size < 16 + 12 + 4 + 1)
        return at(err, log, 28, "Spec ID event size is out of range");
    p += 32;
    if (memcmp(p, SPEC_ID_SIGNATURE, sizeof(SPEC_ID_SIGNATURE)) != 0)
        return at(err, log, 32, "no \"Spec ID Event03\" signature: not a TCG2 crypto-agile log");
    n_algs = get_le32(p + 24);
    if (n_algs == 0 || n_algs > EVENTLOG_ALGS_MAX || 28 + 4 * n_algs + 1 > ev_size)
        return at(err, log, 32 + 24, "Spec ID event lists %zu algorithms (1 to %d that fit the event)", n_algs,
                  EVENTLOG_ALGS_MAX);
    for (size_t i = 0; i < n_algs; i++) {
        uint16_t alg = get_le16(p + 28 + 4 * i), dsize = get_le16(p + 30 + 4 * i);
        size_t known = tdx_hash_alg_size(alg);
        off = 32 + 28 + 4 * i;
        if (dsize == 0 || dsize > TDX_DIGEST_MAX || (known && known != dsize))
            return at(err, log, off, "algorithm 0x%04x has digest size %u", alg, dsize);
        for (size_t j = 0; j < i; j++)
            if (log->algs[j] == alg)
                return at(err, log, off, "an algorithm is listed twice");
        log->algs[i] = alg;
        log->alg_sizes[i] = dsize;
    }
    off = 28 + 4 * n_algs;
    if (off + 1 + p[off] > ev_size)
        return at(err, log, 32 + off, "vendorInfoSize runs past the Spec ID event");
    log->n_algs = n_algs;
    log->header_size = 32 + ev_size;
    return 0;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

static void assign_register(const tdx_eventlog *log, struct ev_record *r)
{
    r->reg[0] = '\0';
    if (r->type == EV_NO_ACTION)
        return;
    if (log->kind == TDX_EVENTLOG_CC) {
        if (r->index >= 1 && r->index <= 4)
            snprintf(r->reg, sizeof(r->reg), "rtmr%u", (unsigned)(r->index - 1));
    } else if (r->index <= 23) {
        snprintf(r->reg, sizeof(r->reg), "pcr%u", (unsigned)r->index);
    }
}

static int parse_record(tdx_eventlog *log, size_t *off, struct ev_record *r, bool *end, tdx_error *err)
{
    const uint8_t *p = log->buf;
    size_t o = *off, left = log->size - o, k;

    *end = left < 12 || all_bytes(p + o, left < 12 ? left : 12, 0xff) || all_bytes(p + o, 12, 0) ||
           get_le32(p + o) == UINT32_MAX;
    if (*end)
        return 0;
    memset(r, 0, sizeof(*r));
    r->offset = o;
    r->index = get_le32(p + o);
    r->type = get_le32(p + o + 4);
    r->n_digests = get_le32(p + o + 8);
    if (r->n_digests == 0 || r->n_digests > log->n_algs)
        return at(err, log, o + 8, "record %zu: digest count %zu (1 to %zu)", log->n, r->n_digests, log->n_algs);
    o += 12;
    for (size_t i = 0; i < r->n_digests; i++) {
        uint16_t alg;
        if (log->size - o < 2)
            return at(err, log, o, "record truncated in its digests");
        alg = get_le16(p + o);
        for (k = 0; k < log->n_algs && log->algs[k] != alg; k++)
            ;
        if (k == log->n_algs)
            return at(err, log, o, "record %zu: digest algorithm 0x%04x is not in the Spec ID event", log->n, alg);
        if (log->size - o - 2 < log->alg_sizes[k])
            return at(err, log, o, "record truncated in its digests");
        r->algs[i] = alg;
        r->digests[i] = p + o + 2;
        o += 2 + log->alg_sizes[k];
    }
    if (log->size - o < 4)
        return at(err, log, o, "record truncated before its event size");
    r->data_size = get_le32(p + o);
    o += 4;
    if (r->data_size > log->size - o)
        return at(err, log, o - 4, "record %zu: event size %zu runs past the end of the log", log->n, r->data_size);
    r->data = p + o;
    *off = o + r->data_size;
    r->type_name = event_type_name(r->type);
    if (!r->type_name) {
        snprintf(r->type_buf, sizeof(r->type_buf), "0x%08x", (unsigned)r->type);
        r->type_name = r->type_buf;
    }
    r->description = eventlog_describe(r->type, r->data, r->data_size);
    if (!r->description)
        return tdx_err_oom(err);
    assign_register(log, r);
    return 0;
}

static int parse(tdx_eventlog *log, int kind, bool have_table, tdx_error *err)
{
    size_t off, cap = 0;
    int r = parse_header(log, err);

    if (r < 0)
        return r;
    if (kind == TDX_UNSET)
        kind = have_table || (log->n_algs == 1 && log->algs[0] == TDX_HASH_SHA384) ? TDX_EVENTLOG_CC : TDX_EVENTLOG_TPM;
    if (kind != TDX_EVENTLOG_CC && kind != TDX_EVENTLOG_TPM)
        return tdx_err(err, -EINVAL, "event log kind %d is not a tdx_eventlog_kind", kind);
    log->kind = (tdx_eventlog_kind)kind;
    for (off = log->header_size; off < log->size;) {
        struct ev_record rec;
        bool end;

        if (log->n == EVENTLOG_RECORDS_MAX)
            return tdx_err(err, -EINVAL, "%s: more than %d records", log->name, EVENTLOG_RECORDS_MAX);
        r = parse_record(log, &off, &rec, &end, err);
        if (r < 0 || end)
            return r;
        if (log->n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            struct ev_record *n = realloc(log->recs, ncap * sizeof(*n));
            if (!n) {
                free(rec.description);
                return tdx_err_oom(err);
            }
            log->recs = n;
            cap = ncap;
        }
        log->recs[log->n++] = rec;
    }
    return 0;
}

void tdx_eventlog_free(tdx_eventlog *log)
{
    if (!log)
        return;
    for (size_t i = 0; i < log->n; i++)
        free(log->recs[i].description);
    free(log->recs);
    free(log->buf);
    free(log->name);
    free(log);
}

static int create(tdx_eventlog **out, const char *name, uint8_t *buf, size_t size, int kind, bool have_table,
                  tdx_error *err)
{
    tdx_eventlog *log = calloc(1, sizeof(*log));
    int r;

    if (!log || !(log->name = strdup(name))) {
        free(log);
        free(buf);
        return tdx_err_oom(err);
    }
    log->buf = buf;
    log->size = size;
    r = parse(log, kind, have_table, err);
    if (r < 0) {
        tdx_eventlog_free(log);
        return r;
    }
    *out = log;
    return 0;
}

int tdx_eventlog_parse(tdx_eventlog **out, const char *name, const void *data, size_t size, int kind,
                       tdx_error *err)
{
    uint8_t *copy;

    tdx_check_arg(out && (data || size == 0), err);
    if (size > EVENTLOG_MAX)
        return tdx_err(err, -EFBIG, "%s: event log larger than %d MiB", name ? name : "event log", EVENTLOG_MAX >> 20);
    copy = malloc(size + 1);
    if (!copy)
        return tdx_err_oom(err);
    if (size)
        memcpy(copy, data, size);
    return create(out, name ? name : "event log", copy, size, kind, false, err);
}

int tdx_eventlog_load_file(tdx_eventlog **out, const char *path, const tdx_eventlog_options *opts,
                           tdx_error *err)
{
    static const tdx_eventlog_options defaults = TDX_EVENTLOG_OPTIONS_INIT;
    char *data = NULL;
    size_t size;
    int r;

    tdx_check_arg(out && path, err);
    tdx_check_options(opts, TDX_EVENTLOG_OPTIONS_VERSION, err);
    if (!opts)
        opts = &defaults;
    if (opts->ccel_table) {
        _cleanup_free_ char *table = NULL;
        size_t tsize;
        uint64_t laml;

        r = read_input(opts->ccel_table, 4096, &table, &tsize, err);
        if (r >= 0)
            r = ccel_table_parse((uint8_t *)table, tsize, opts->ccel_table, &laml, err);
        if (r >= 0)
            r = read_input(path, EVENTLOG_MAX, &data, &size, err);
        if (r < 0)
            return r;
        if (size < laml) {
            free(data);
            return tdx_err(err, -EINVAL, "%s: %zu bytes, but the CCEL table %s gives a log area of %" PRIu64 " bytes",
                           path, size, opts->ccel_table, laml);
        }
        size = (size_t)laml;
    } else {
        r = read_input(path, EVENTLOG_MAX, &data, &size, err);
        if (r < 0)
            return r;
    }
    return create(out, path, (uint8_t *)data, size, opts->kind, opts->ccel_table != NULL, err);
}

tdx_eventlog_kind tdx_eventlog_get_kind(const tdx_eventlog *log)
{
    return log ? log->kind : TDX_EVENTLOG_CC;
}

size_t tdx_eventlog_count(const tdx_eventlog *log)
{
    return log ? log->n : 0;
}

int tdx_eventlog_event_get(const tdx_eventlog *log, size_t index, tdx_eventlog_event *out)
{
    const struct ev_record *r;

    if (!log || !out || index >= log->n)
        return -ENOENT;
    r = &log->recs[index];
    out->index = r->index;
    out->register_name = r->reg[0] ? r->reg : NULL;
    out->type = r->type;
    out->type_name = r->type_name;
    out->description = r->description;
    out->n_digests = r->n_digests;
    out->algs = r->algs;
    out->digests = r->digests;
    out->data = r->data;
    out->data_size = r->data_size;
    out->offset = r->offset;
    return 0;
}
