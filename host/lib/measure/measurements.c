/* SPDX-License-Identifier: MIT */
#include "measurements.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "strbuf.h"
#include "strv.h"

static const struct {
    uint32_t type;
    const char *name;
} event_types[] = {
    { 0x00000000, "EV_PREBOOT_CERT" },
    { 0x00000001, "EV_POST_CODE" },
    { 0x00000003, "EV_NO_ACTION" },
    { 0x00000004, "EV_SEPARATOR" },
    { 0x00000005, "EV_ACTION" },
    { 0x00000006, "EV_EVENT_TAG" },
    { 0x00000007, "EV_S_CRTM_CONTENTS" },
    { 0x00000008, "EV_S_CRTM_VERSION" },
    { 0x00000009, "EV_CPU_MICROCODE" },
    { 0x0000000a, "EV_PLATFORM_CONFIG_FLAGS" },
    { 0x0000000b, "EV_TABLE_OF_DEVICES" },
    { 0x0000000c, "EV_COMPACT_HASH" },
    { 0x0000000d, "EV_IPL" },
    { 0x0000000e, "EV_IPL_PARTITION_DATA" },
    { 0x0000000f, "EV_NONHOST_CODE" },
    { 0x00000010, "EV_NONHOST_CONFIG" },
    { 0x00000011, "EV_NONHOST_INFO" },
    { 0x00000012, "EV_OMIT_BOOT_DEVICE_EVENTS" },
    { 0x00000013, "EV_POST_CODE2" },
    { 0x08000001, "DSTACK_RUNTIME_EVENT" },
    { 0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG" },
    { 0x80000002, "EV_EFI_VARIABLE_BOOT" },
    { 0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION" },
    { 0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER" },
    { 0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER" },
    { 0x80000006, "EV_EFI_GPT_EVENT" },
    { 0x80000007, "EV_EFI_ACTION" },
    { 0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB" },
    { 0x80000009, "EV_EFI_HANDOFF_TABLES" },
    { 0x8000000a, "EV_EFI_PLATFORM_FIRMWARE_BLOB2" },
    { 0x8000000b, "EV_EFI_HANDOFF_TABLES2" },
    { 0x8000000c, "EV_EFI_VARIABLE_BOOT2" },
    { 0x8000000d, "EV_EFI_GPT_EVENT2" },
    { 0x80000010, "EV_EFI_HCRTM_EVENT" },
    { 0x800000e0, "EV_EFI_VARIABLE_AUTHORITY" },
    { 0x800000e1, "EV_EFI_SPDM_FIRMWARE_BLOB" },
    { 0x800000e2, "EV_EFI_SPDM_FIRMWARE_CONFIG" },
};

const char *event_type_name(uint32_t type)
{
    for (size_t i = 0; i < ELEMENTSOF(event_types); i++)
        if (event_types[i].type == type)
            return event_types[i].name;
    return NULL;
}

bool event_type_from_name(const char *name, uint32_t *type)
{
    for (size_t i = 0; i < ELEMENTSOF(event_types); i++)
        if (streq(event_types[i].name, name)) {
            *type = event_types[i].type;
            return true;
        }
    return false;
}

static void free_reg(void *p)
{
    struct mreg *r = p;
    free(r->reason);
    free(r);
}

static void free_event(void *p)
{
    struct mevent *e = p;
    free(e->description);
    free(e);
}

static void free_assumption(void *p)
{
    struct assumption *a = p;
    free(a->key);
    free(a->text);
    free(a);
}

static void free_snapshot(void *p)
{
    struct snapshot *s = p;
    free(s->label);
    free(s);
}

void tdx_measurements_free(tdx_measurements *m)
{
    if (!m)
        return;
    ptrvec_free_all(&m->regs, free_reg);
    ptrvec_free_all(&m->events, free_event);
    ptrvec_free_all(&m->assumptions, free_assumption);
    ptrvec_free_all(&m->snapshots, free_snapshot);
    strv_free(m->warnings);
    free(m);
}

int meas_new(tdx_measurements **out, enum meas_kind kind, const tdx_hash_alg *banks, size_t n,
             tdx_error *err)
{
    tdx_measurements *m;

    if (n == 0 || n > BANKS_MAX)
        return tdx_err(err, -EINVAL, "%zu hash banks (1 to %d supported)", n, BANKS_MAX);
    m = calloc(1, sizeof(*m));
    if (!m)
        return tdx_err_oom(err);
    m->kind = kind;
    m->n_banks = n;
    memcpy(m->banks, banks, n * sizeof(*banks));
    *out = m;
    return 0;
}

struct mreg *meas_find(const tdx_measurements *m, const char *name)
{
    for (size_t i = 0; i < m->regs.n; i++) {
        struct mreg *r = m->regs.items[i];
        if (streq(r->name, name))
            return r;
    }
    return NULL;
}

int meas_reg_get(tdx_measurements *m, const char *name, struct mreg **out, tdx_error *err)
{
    struct mreg *r = meas_find(m, name);

    if (!r) {
        if (strlen(name) >= REG_NAME_SIZE)
            return tdx_err(err, -EINVAL, "register name \"%s\" is too long", name);
        r = calloc(1, sizeof(*r));
        if (!r || ptrvec_push(&m->regs, r) < 0) {
            free(r);
            return tdx_err_oom(err);
        }
        strcpy(r->name, name);
        r->known = true;
    }
    if (out)
        *out = r;
    return 0;
}

struct mreg *meas_reg(tdx_measurements *m, const char *name, tdx_error *err)
{
    struct mreg *r = NULL;
    return meas_reg_get(m, name, &r, err) < 0 ? NULL : r;
}

int meas_bank_index(const tdx_measurements *m, int bank)
{
    if (bank == 0)
        return 0;
    for (size_t i = 0; i < m->n_banks; i++)
        if ((int)m->banks[i] == bank)
            return (int)i;
    return -1;
}

int meas_unknown(tdx_measurements *m, const char *name, tdx_error *err, const char *fmt, ...)
{
    struct mreg *r;
    va_list ap;
    char *reason;
    int ret = meas_reg_get(m, name, &r, err);

    if (ret < 0)
        return ret;
    va_start(ap, fmt);
    if (vasprintf(&reason, fmt, ap) < 0)
        reason = NULL;
    va_end(ap);
    if (!reason)
        return tdx_err_oom(err);
    free(r->reason);
    r->reason = reason;
    r->known = false;
    memset(r->value, 0, sizeof(r->value));
    return 0;
}

static int add_event(tdx_measurements *m, const char *reg, uint32_t type,
                     const uint8_t digest[][TDX_DIGEST_MAX], bool extend, tdx_error *err,
                     const char *fmt, va_list ap)
{
    struct mreg *r;
    struct mevent *e;
    int ret = meas_reg_get(m, reg, &r, err);

    if (ret < 0)
        return ret;
    e = calloc(1, sizeof(*e));
    if (!e)
        return tdx_err_oom(err);
    strcpy(e->reg, r->name);
    e->type = type;
    e->type_name = event_type_name(type);
    if (!e->type_name) {
        snprintf(e->type_buf, sizeof(e->type_buf), "0x%08x", (unsigned)type);
        e->type_name = e->type_buf;
    }
    if (vasprintf(&e->description, fmt, ap) < 0)
        e->description = NULL;
    if (!e->description || ptrvec_push(&m->events, e) < 0) {
        free_event(e);
        return tdx_err_oom(err);
    }
    for (size_t b = 0; b < m->n_banks; b++) {
        memcpy(e->digest[b], digest[b], tdx_hash_alg_size(m->banks[b]));
        if (!r->known || !extend)
            continue;
        ret = digest_extend(m->banks[b], r->value[b], digest[b], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int meas_extend(tdx_measurements *m, const char *reg, uint32_t type,
                const uint8_t digest[][TDX_DIGEST_MAX], tdx_error *err, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = add_event(m, reg, type, digest, true, err, fmt, ap);
    va_end(ap);
    return r;
}

int meas_record(tdx_measurements *m, const char *reg, uint32_t type,
                const uint8_t digest[][TDX_DIGEST_MAX], tdx_error *err, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = add_event(m, reg, type, digest, false, err, fmt, ap);
    va_end(ap);
    return r;
}

int meas_extend_data(tdx_measurements *m, const char *reg, uint32_t type, const void *data,
                     size_t size, tdx_error *err, const char *fmt, ...)
{
    uint8_t d[BANKS_MAX][TDX_DIGEST_MAX];
    va_list ap;
    int r = 0;

    for (size_t b = 0; b < m->n_banks && r >= 0; b++)
        r = digest_buf(m->banks[b], data, size, d[b], err);
    if (r < 0)
        return r;
    va_start(ap, fmt);
    r = add_event(m, reg, type, (const uint8_t(*)[TDX_DIGEST_MAX])d, true, err, fmt, ap);
    va_end(ap);
    return r;
}

static int add_assumption(tdx_measurements *m, const char *key, struct assumption *a, tdx_error *err)
{
    a->key = strdup(key);
    if (!a->key || ptrvec_push(&m->assumptions, a) < 0) {
        free_assumption(a);
        return tdx_err_oom(err);
    }
    return 0;
}

int meas_assume(tdx_measurements *m, const char *key, tdx_error *err, const char *fmt, ...)
{
    struct assumption *a = calloc(1, sizeof(*a));
    va_list ap;

    if (!a)
        return tdx_err_oom(err);
    a->type = ASSUME_STRING;
    va_start(ap, fmt);
    if (vasprintf(&a->text, fmt, ap) < 0)
        a->text = NULL;
    va_end(ap);
    if (!a->text) {
        free(a);
        return tdx_err_oom(err);
    }
    return add_assumption(m, key, a, err);
}

int meas_assume_int(tdx_measurements *m, const char *key, long long value, tdx_error *err)
{
    struct assumption *a = calloc(1, sizeof(*a));
    if (!a)
        return tdx_err_oom(err);
    a->type = ASSUME_INTEGER;
    a->number = value;
    return add_assumption(m, key, a, err);
}

int meas_assume_bool(tdx_measurements *m, const char *key, bool value, tdx_error *err)
{
    struct assumption *a = calloc(1, sizeof(*a));
    if (!a)
        return tdx_err_oom(err);
    a->type = ASSUME_BOOL;
    a->number = value;
    return add_assumption(m, key, a, err);
}

int meas_warn(tdx_measurements *m, tdx_error *err, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (!s || strv_push_take(&m->warnings, s) < 0)
        return tdx_err_oom(err);
    return 0;
}

int meas_snapshot(tdx_measurements *m, const char *reg, const char *label, tdx_error *err)
{
    struct mreg *r = meas_find(m, reg);
    struct snapshot *s;

    if (!r)
        return tdx_err(err, -ENOENT, "no register \"%s\"", reg);
    s = calloc(1, sizeof(*s));
    if (!s)
        return tdx_err_oom(err);
    strcpy(s->reg, r->name);
    memcpy(s->value, r->value, sizeof(s->value));
    s->label = strdup(label);
    if (!s->label || ptrvec_push(&m->snapshots, s) < 0) {
        free_snapshot(s);
        return tdx_err_oom(err);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Public accessors                                                          */

size_t tdx_measurements_register_count(const tdx_measurements *m)
{
    return m ? m->regs.n : 0;
}

const char *tdx_measurements_register_name(const tdx_measurements *m, size_t index)
{
    if (!m || index >= m->regs.n)
        return NULL;
    return ((const struct mreg *)m->regs.items[index])->name;
}

tdx_hash_alg tdx_measurements_bank(const tdx_measurements *m)
{
    return m ? m->banks[0] : TDX_HASH_SHA384;
}

int tdx_measurements_register(const tdx_measurements *m, const char *name, int bank,
                              const uint8_t **value, size_t *size, const char **reason)
{
    const struct mreg *r;
    int b;

    if (!m || !name)
        return -EINVAL;
    r = meas_find(m, name);
    b = meas_bank_index(m, bank);
    if (!r || b < 0)
        return -ENOENT;
    if (!r->known) {
        if (reason)
            *reason = r->reason;
        return -ENODATA;
    }
    if (value)
        *value = r->value[b];
    if (size)
        *size = tdx_hash_alg_size(m->banks[b]);
    return 0;
}

size_t tdx_measurements_event_count(const tdx_measurements *m)
{
    return m ? m->events.n : 0;
}

int tdx_measurements_event(const tdx_measurements *m, size_t index, tdx_measurement_event *out)
{
    const struct mevent *e;

    if (!m || !out || index >= m->events.n)
        return -ENOENT;
    e = m->events.items[index];
    out->register_name = e->reg;
    out->type = e->type;
    out->type_name = e->type_name;
    out->description = e->description;
    out->digest = e->digest[0];
    out->digest_size = tdx_hash_alg_size(m->banks[0]);
    return 0;
}

size_t tdx_measurements_warning_count(const tdx_measurements *m)
{
    return m ? strv_length(m->warnings) : 0;
}

const char *tdx_measurements_warning(const tdx_measurements *m, size_t index)
{
    if (!m || index >= strv_length(m->warnings))
        return NULL;
    return m->warnings[index];
}
