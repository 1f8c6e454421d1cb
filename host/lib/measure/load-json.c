/* SPDX-License-Identifier: MIT */
/*
 * Reading measurements back from JSON: our own documents, or any object
 * whose "registers" maps register names to hex digests or null (what a
 * verifier or `eventlog diff` takes as the expected values).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "hex.h"
#include "measurements.h"
#include "read-input.h"

#define DOCUMENT_MAX (16 * 1024 * 1024)

struct loader {
    const char *file;
    tdx_error *err;
};

static int jerr(struct loader *L, const char *path, const char *fmt, ...) _printf_(3, 4);
static int jerr(struct loader *L, const char *path, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tdx_err(L->err, -EINVAL, "%s: %s: %s", L->file, path, msg);
}

static bool valid_register(const char *name, enum meas_kind *kind)
{
    const char *d = name + 3;

    if (streq(name, "mrtd") || (startswith(name, "rtmr") && strlen(name) == 5 && name[4] >= '0' && name[4] <= '3')) {
        *kind = MEAS_TDX;
        return true;
    }
    /* pcr0 .. pcr23, no leading zeros */
    if (startswith(name, "pcr") && d[0] >= '0' && d[0] <= '9' &&
        (d[1] == '\0' || (d[0] != '0' && d[1] >= '0' && d[1] <= '9' && d[2] == '\0' && (d[0] - '0') * 10 + d[1] - '0' <= 23))) {
        *kind = MEAS_TPM;
        return true;
    }
    return false;
}

static int digest_of(struct loader *L, json_t *v, const char *path, size_t size, uint8_t *out)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) != 2 * size || hex_decode(s, out, size) != (int)size)
        return jerr(L, path, "expected %zu hex digits", 2 * size);
    return 0;
}

static int alg_of_length(size_t hexlen, tdx_hash_alg *alg)
{
    static const tdx_hash_alg algs[] = { TDX_HASH_SHA1, TDX_HASH_SHA256, TDX_HASH_SHA384, TDX_HASH_SHA512 };
    for (size_t i = 0; i < ELEMENTSOF(algs); i++)
        if (hexlen == 2 * tdx_hash_alg_size(algs[i])) {
            *alg = algs[i];
            return 0;
        }
    return -EINVAL;
}

/* Primary bank ("bank", else the length of the first digest) and kind. */
static int shape(struct loader *L, json_t *root, json_t *regs, tdx_hash_alg *alg, enum meas_kind *kind)
{
    json_t *v, *b = json_object_get(root, "bank");
    const char *name;
    bool have_alg = false;

    if (b) {
        if (!json_is_string(b) || tdx_hash_alg_from_name(json_string_value(b), alg, NULL) < 0)
            return jerr(L, "bank", "expected sha1, sha256, sha384 or sha512");
        have_alg = true;
    }
    *kind = 0;
    json_object_foreach(regs, name, v) {
        enum meas_kind k;
        if (!valid_register(name, &k))
            return jerr(L, "registers", "unknown register \"%s\" (expected mrtd, rtmr0..rtmr3 or pcr0..pcr23)", name);
        if (*kind && k != *kind)
            return jerr(L, "registers", "mixes TDX registers and vTPM PCRs");
        *kind = k;
        if (!have_alg && json_is_string(v) && alg_of_length(strlen(json_string_value(v)), alg) == 0)
            have_alg = true;
    }
    if (!*kind)
        return jerr(L, "registers", "no registers");
    if (!have_alg)
        *alg = *kind == MEAS_TDX ? TDX_HASH_SHA384 : TDX_HASH_SHA256;
    return 0;
}

static int load_registers(struct loader *L, tdx_measurements *m, json_t *root, json_t *regs)
{
    json_t *unknown = json_object_get(root, "unknown"), *v;
    const char *name;
    char path[64];
    int r;

    json_object_foreach(regs, name, v) {
        struct mreg *reg = meas_reg(m, name, L->err);
        if (!reg)
            return L->err ? L->err->code : -ENOMEM;
        snprintf(path, sizeof(path), "registers.%s", name);
        if (json_is_null(v)) {
            const char *why = json_string_value(json_object_get(unknown, name));
            r = meas_unknown(m, name, L->err, "%s", why ? why : "unknown in the expected measurements");
        } else {
            r = digest_of(L, v, path, tdx_hash_alg_size(m->banks[0]), reg->value[0]);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

static int load_event(struct loader *L, tdx_measurements *m, json_t *e, size_t i)
{
    uint8_t d[BANKS_MAX][TDX_DIGEST_MAX] = { { 0 } };
    json_t *reg = json_object_get(e, "register"), *type = json_object_get(e, "type"),
           *value = json_object_get(e, "type_value"), *desc = json_object_get(e, "description");
    uint32_t t = 0;
    char path[64];
    int r;

    snprintf(path, sizeof(path), "events[%zu]", i);
    if (!json_is_object(e) || !json_is_string(reg) || !meas_find(m, json_string_value(reg)))
        return jerr(L, path, "expected an object whose \"register\" is one of the registers");
    if (json_is_integer(value) && json_integer_value(value) >= 0 && json_integer_value(value) <= UINT32_MAX)
        t = (uint32_t)json_integer_value(value);
    else if (json_is_string(type) && !event_type_from_name(json_string_value(type), &t) &&
             sscanf(json_string_value(type), "0x%x", &t) != 1)
        return jerr(L, path, "unknown event type \"%s\"", json_string_value(type));
    snprintf(path, sizeof(path), "events[%zu].digest", i);
    r = digest_of(L, json_object_get(e, "digest"), path, tdx_hash_alg_size(m->banks[0]), d[0]);
    if (r < 0)
        return r;
    return meas_record(m, json_string_value(reg), t, (const uint8_t(*)[TDX_DIGEST_MAX])d, L->err, "%s",
                       json_is_string(desc) ? json_string_value(desc) : "");
}

static int load(struct loader *L, json_t *root, tdx_measurements **out)
{
    json_t *regs = json_object_get(root, "registers"), *events = json_object_get(root, "events");
    tdx_measurements *m = NULL;
    enum meas_kind kind = MEAS_TDX;
    tdx_hash_alg alg = TDX_HASH_SHA384;
    int r;

    if (!json_is_object(root) || !json_is_object(regs))
        return jerr(L, "registers", "expected an object mapping register names to hex digests or null");
    r = shape(L, root, regs, &alg, &kind);
    if (r >= 0)
        r = meas_new(&m, kind, &alg, 1, L->err);
    if (r >= 0)
        r = load_registers(L, m, root, regs);
    if (r >= 0 && events && !json_is_array(events))
        r = jerr(L, "events", "expected an array");
    for (size_t i = 0; r >= 0 && events && i < json_array_size(events); i++)
        r = load_event(L, m, json_array_get(events, i), i);
    if (r >= 0)
        r = meas_assume(m, "source", L->err, "%s", L->file);
    if (r < 0) {
        tdx_measurements_free(m);
        return r;
    }
    *out = m;
    return 0;
}

int tdx_measurements_load_json(tdx_measurements **out, const char *path, tdx_error *err)
{
    struct loader L = { path, err };
    _cleanup_free_ char *data = NULL;
    json_error_t jerror;
    json_t *root;
    size_t size;
    int r;

    tdx_check_arg(out && path, err);
    r = read_input(path, DOCUMENT_MAX, &data, &size, err);
    if (r < 0)
        return r;
    root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &jerror);
    if (!root)
        return tdx_err_lib(err, -EINVAL, TDX_ERROR_LIBRARY_JANSSON, json_error_code(&jerror),
                           "%s:%d:%d: %s", path, jerror.line, jerror.column, jerror.text);
    r = load(&L, root, out);
    json_decref(root);
    return r;
}
