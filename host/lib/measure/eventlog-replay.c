/* SPDX-License-Identifier: MIT */
/*
 * Replay: every register starts at zero and is extended with each of its
 * events' digests in log order. EV_NO_ACTION records never extend anything,
 * wherever they appear (GKE logs carry them mid-log). A bank is replayed
 * only if every replayed record has a digest for it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "eventlog.h"
#include "measurements.h"

static const uint8_t *record_digest(const struct ev_record *r, uint16_t alg)
{
    for (size_t i = 0; i < r->n_digests; i++)
        if (r->algs[i] == alg)
            return r->digests[i];
    return NULL;
}

/* Banks: SHA-384 first for CC logs, SHA-256 first for TPM logs, then the rest. */
static size_t choose_banks(const tdx_eventlog *log, tdx_hash_alg *banks)
{
    static const tdx_hash_alg cc_order[] = { TDX_HASH_SHA384, TDX_HASH_SHA256, TDX_HASH_SHA512, TDX_HASH_SHA1 };
    static const tdx_hash_alg tpm_order[] = { TDX_HASH_SHA256, TDX_HASH_SHA384, TDX_HASH_SHA512, TDX_HASH_SHA1 };
    const tdx_hash_alg *order = log->kind == TDX_EVENTLOG_CC ? cc_order : tpm_order;
    size_t n = 0;

    for (size_t i = 0; i < 4; i++) {
        bool everywhere = false;
        for (size_t a = 0; a < log->n_algs; a++)
            everywhere |= log->algs[a] == order[i];
        for (size_t k = 0; everywhere && k < log->n; k++)
            if (log->recs[k].reg[0] && !record_digest(&log->recs[k], order[i]))
                everywhere = false;
        if (everywhere)
            banks[n++] = order[i];
    }
    return n;
}

static int add_registers(const tdx_eventlog *log, tdx_measurements *m, tdx_error *err)
{
    int r = 0;

    if (log->kind == TDX_EVENTLOG_CC) {
        for (const char *const *n = (const char *const[]){ "rtmr0", "rtmr1", "rtmr2", "rtmr3", NULL }; r >= 0 && *n; n++)
            r = meas_reg_get(m, *n, NULL, err);
        return r;
    }
    for (unsigned pcr = 0; pcr <= 23; pcr++) {
        char name[8];
        bool used = false;
        for (size_t k = 0; k < log->n && !used; k++)
            used = log->recs[k].reg[0] && log->recs[k].index == pcr;
        snprintf(name, sizeof(name), "pcr%u", pcr);
        if (used && (r = meas_reg_get(m, name, NULL, err)) < 0)
            return r;
    }
    return 0;
}

int tdx_eventlog_replay(const tdx_eventlog *log, tdx_measurements **out, tdx_error *err)
{
    tdx_hash_alg banks[BANKS_MAX];
    tdx_measurements *m = NULL;
    size_t n_banks, skipped = 0, not_replayed = 0;
    int r;

    tdx_check_arg(log && out, err);
    n_banks = choose_banks(log, banks);
    if (n_banks == 0)
        return tdx_err(err, -EINVAL, "%s: no hash algorithm has a digest in every record", log->name);
    r = meas_new(&m, log->kind == TDX_EVENTLOG_CC ? MEAS_TDX : MEAS_TPM, banks, n_banks, err);
    if (r >= 0)
        r = add_registers(log, m, err);
    for (size_t k = 0; r >= 0 && k < log->n; k++) {
        const struct ev_record *rec = &log->recs[k];
        uint8_t d[BANKS_MAX][TDX_DIGEST_MAX];

        if (rec->type == EV_NO_ACTION) {
            skipped++;
            continue;
        }
        if (!rec->reg[0]) {
            not_replayed++;
            r = meas_warn(m, err, "record %zu at offset 0x%zx has index %u, which no register takes: not replayed",
                          k, rec->offset, (unsigned)rec->index);
            continue;
        }
        for (size_t b = 0; b < n_banks; b++)
            memcpy(d[b], record_digest(rec, banks[b]), tdx_hash_alg_size(banks[b]));
        r = meas_extend(m, rec->reg, rec->type, (const uint8_t(*)[TDX_DIGEST_MAX])d, err, "%s", rec->description);
    }
    if (r >= 0)
        r = meas_assume(m, "source", err, "%s", log->name);
    if (r >= 0)
        r = meas_assume(m, "log_kind", err, "%s", log->kind == TDX_EVENTLOG_CC ? "cc" : "tpm");
    if (r >= 0)
        r = meas_assume_int(m, "records", (long long)log->n, err);
    if (r >= 0)
        r = meas_assume_int(m, "no_action_records_skipped", (long long)skipped, err);
    if (r >= 0)
        r = meas_assume_int(m, "records_without_register", (long long)not_replayed, err);
    if (r < 0) {
        tdx_measurements_free(m);
        return r;
    }
    *out = m;
    return 0;
}
