/* SPDX-License-Identifier: MIT */
/*
 * The tdx_measurements object: registers in one or more banks, the events
 * that extended them, the assumptions behind them, and register values
 * recorded at named points (PCR 11 after each boot phase).
 */
#ifndef TDXHOST_MEASURE_MEASUREMENTS_H
#define TDXHOST_MEASURE_MEASUREMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "macro.h"
#include "ptrvec.h"
#include "tdxhost/measure.h"

enum meas_kind {
    MEAS_TDX = 1,   /* mrtd, rtmr0..rtmr3 */
    MEAS_TPM = 2,   /* pcrN */
};

#define REG_NAME_SIZE 8

struct mreg {
    char name[REG_NAME_SIZE];
    bool known;
    uint8_t value[BANKS_MAX][TDX_DIGEST_MAX];
    char *reason;               /* why the value is unknown */
};

struct mevent {
    char reg[REG_NAME_SIZE];
    uint32_t type;
    char type_buf[12];          /* type name when the type has none */
    const char *type_name;
    char *description;
    uint8_t digest[BANKS_MAX][TDX_DIGEST_MAX];
};

enum assumption_type { ASSUME_STRING, ASSUME_INTEGER, ASSUME_BOOL };

struct assumption {
    char *key;
    enum assumption_type type;
    char *text;
    long long number;
};

struct snapshot {
    char reg[REG_NAME_SIZE];
    char *label;
    uint8_t value[BANKS_MAX][TDX_DIGEST_MAX];
};

struct tdx_measurements {
    enum meas_kind kind;
    size_t n_banks;
    tdx_hash_alg banks[BANKS_MAX];  /* banks[0] is primary */
    ptrvec regs;                    /* struct mreg *, in output order */
    ptrvec events;                  /* struct mevent * */
    ptrvec assumptions;             /* struct assumption *, in insertion order */
    ptrvec snapshots;               /* struct snapshot * */
    char **warnings;
};

int meas_new(tdx_measurements **out, enum meas_kind kind, const tdx_hash_alg *banks, size_t n,
             tdx_error *err);

/* Adds a register at zero (or finds it). */
int meas_reg_get(tdx_measurements *m, const char *name, struct mreg **out, tdx_error *err);
/* Pointer form of meas_reg_get(), NULL on failure. Its failure code is lost,
 * so new code uses meas_reg_get(); kept for measure/load-json.c until its
 * JSON reader is rewritten (issue 10, item 4), then deleted. */
struct mreg *meas_reg(tdx_measurements *m, const char *name, tdx_error *err);
struct mreg *meas_find(const tdx_measurements *m, const char *name);
int meas_bank_index(const tdx_measurements *m, int bank);

/* Marks a register unknown; later extends of it only record their events. */
int meas_unknown(tdx_measurements *m, const char *name, tdx_error *err, const char *fmt, ...)
    _printf_(4, 5);

/* Records an event with one digest per bank and extends its register. */
int meas_extend(tdx_measurements *m, const char *reg, uint32_t type,
                const uint8_t digest[][TDX_DIGEST_MAX], tdx_error *err, const char *fmt, ...)
    _printf_(6, 7);

/* Records an event without extending (registers loaded from a document). */
int meas_record(tdx_measurements *m, const char *reg, uint32_t type,
                const uint8_t digest[][TDX_DIGEST_MAX], tdx_error *err, const char *fmt, ...)
    _printf_(6, 7);

/* The same for an event whose digest is the hash of data, in every bank. */
int meas_extend_data(tdx_measurements *m, const char *reg, uint32_t type, const void *data,
                     size_t size, tdx_error *err, const char *fmt, ...) _printf_(7, 8);

int meas_assume(tdx_measurements *m, const char *key, tdx_error *err, const char *fmt, ...)
    _printf_(4, 5);
int meas_assume_int(tdx_measurements *m, const char *key, long long value, tdx_error *err);
int meas_assume_bool(tdx_measurements *m, const char *key, bool value, tdx_error *err);
int meas_warn(tdx_measurements *m, tdx_error *err, const char *fmt, ...) _printf_(3, 4);

/* Records the current value of a register under a label. */
int meas_snapshot(tdx_measurements *m, const char *reg, const char *label, tdx_error *err);

/* "EV_SEPARATOR", "EV_EFI_ACTION", ... or NULL for types without a name. */
const char *event_type_name(uint32_t type);
/* The reverse; false for unknown names. */
bool event_type_from_name(const char *name, uint32_t *type);

/* tdx_measure_direct_boot() recording the input paths below strip ("DIR/",
 * or NULL) relative to it in events and assumptions, so that the
 * measurements of a build directory do not depend on where it is. */
/* tdx_measure_uki_tpm() with events and messages naming the UKI @p label
 * (a build directory's file name) instead of its path. */
int measure_uki_tpm_labelled(tdx_measurements **out, const char *uki, const char *label,
                             const tdx_uki_options *opts, tdx_error *err);

int measure_direct_boot_labelled(tdx_measurements **out, const char *firmware, const char *kernel,
                                 const char *strip, const tdx_measure_options *opts,
                                 tdx_error *err);

/* tdx_measure_uki_disk_boot() recording the paths below strip ("DIR/", or
 * NULL) relative to it, as measure_direct_boot_labelled(). */
int measure_uki_disk_boot_labelled(tdx_measurements **out, const char *firmware, const char *disk,
                                   const char *uki, const char *strip, const tdx_measure_options *opts,
                                   const tdx_uki_options *uki_opts, tdx_error *err);

#endif
