/* SPDX-License-Identifier: MIT */
/*
 * Expected MRTD/RTMR values (the measurements step): our measurement JSON
 * or a cvm-reverse-proxy measurements list, and the comparison.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>

#include "error.h"
#include "hex.h"
#include "json-reader.h"
#include "read-input.h"
#include "verify-internal.h"

#define EXPECTED_FILE_MAX (16 * 1024 * 1024)
#define REGISTERS 5

static const char *const reg_names[REGISTERS] = { "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3" };
static const tdx_quote_field reg_fields[REGISTERS] = {
    TDX_QUOTE_MRTD, TDX_QUOTE_RTMR0, TDX_QUOTE_RTMR1, TDX_QUOTE_RTMR2, TDX_QUOTE_RTMR3,
};

struct expected_set {
    char *id;                   /* measurement_id, or NULL */
    bool check[REGISTERS];
    uint8_t value[REGISTERS][48];
};

struct tdx_expected {
    struct expected_set *sets;
    size_t n;
};

void tdx_expected_free(tdx_expected *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++)
        free(e->sets[i].id);
    free(e->sets);
    free(e);
}

static int set_register(struct expected_set *s, int reg, json_t *v, const char *name, const char *path,
                        tdx_error *err)
{
    if (!json_is_string(v) || json_string_length(v) != 96 || hex_decode(json_string_value(v), s->value[reg], 48) != 48)
        return tdx_err(err, -EINVAL, "%s: %s: expected 96 hex digits (48 bytes)", name, path);
    s->check[reg] = true;
    return 0;
}

static bool checks_something(const struct expected_set *s)
{
    for (int i = 0; i < REGISTERS; i++)
        if (s->check[i])
            return true;
    return false;
}

/* {"registers": {"mrtd": HEX|null, "rtmr0": ..., ...}, ...} */
static int load_registers(tdx_expected *e, json_t *root, const char *name, tdx_error *err)
{
    json_t *regs = json_object_get(root, "registers"), *v;
    const char *key;
    char path[128];
    int r;

    if (!json_is_object(regs))
        return tdx_err(err, -EINVAL, "%s: registers: required, an object mapping mrtd and rtmr0..rtmr3 to hex", name);
    e->sets = calloc(1, sizeof(*e->sets));
    if (!e->sets)
        return tdx_err_oom(err);
    e->n = 1;
    json_object_foreach(regs, key, v) {
        int reg = -1;
        for (int i = 0; i < REGISTERS; i++)
            if (streq(key, reg_names[i]))
                reg = i;
        snprintf(path, sizeof(path), "registers.%.64s", key);
        if (reg < 0)
            return tdx_err(err, -EINVAL, "%s: %s: unknown register (expected mrtd, rtmr0, rtmr1, rtmr2, rtmr3)", name, path);
        if (json_is_null(v))
            continue;
        if ((r = set_register(&e->sets[0], reg, v, name, path, err)) < 0)
            return r;
    }
    if (!checks_something(&e->sets[0]))
        return tdx_err(err, -EINVAL, "%s: registers: every register is null, nothing to check", name);
    return 0;
}

/* [{"measurement_id": ..., "attestation_type": "dcap-tdx",
 *   "measurements": {"0": {"expected": HEX}, ..., "4": {...}}}, ...] */
static int load_list(tdx_expected *e, json_t *root, const char *name, tdx_error *err)
{
    json_t *entry;
    size_t i;
    int r;

    e->sets = calloc(json_array_size(root) + 1, sizeof(*e->sets));
    if (!e->sets)
        return tdx_err_oom(err);
    json_array_foreach(root, i, entry) {
        json_t *type = json_object_get(entry, "attestation_type"), *id = json_object_get(entry, "measurement_id");
        json_t *m = json_object_get(entry, "measurements"), *v;
        struct expected_set *s = &e->sets[e->n];
        const char *key;
        char path[160];

        if (!json_is_object(entry) || !json_is_string(type))
            return tdx_err(err, -EINVAL, "%s: [%zu]: expected an object with \"attestation_type\"", name, i);
        if (!streq(json_string_value(type), "dcap-tdx"))
            continue;
        if (!json_is_string(id) || !json_is_object(m))
            return tdx_err(err, -EINVAL, "%s: [%zu]: expected \"measurement_id\" (a string) and \"measurements\" (an object)",
                           name, i);
        if (!(s->id = strdup(json_string_value(id))))
            return tdx_err_oom(err);
        e->n++;
        json_object_foreach(m, key, v) {
            int reg = strlen(key) == 1 && key[0] >= '0' && key[0] <= '4' ? key[0] - '0' : -1;
            snprintf(path, sizeof(path), "[%zu].measurements.%.64s", i, key);
            if (reg < 0)
                return tdx_err(err, -EINVAL, "%s: %s: unknown index (expected 0 = MRTD, 1..4 = RTMR0..3)", name, path);
            snprintf(path, sizeof(path), "[%zu].measurements.%s.expected", i, key);
            if ((r = set_register(s, reg, json_object_get(v, "expected"), name, path, err)) < 0)
                return r;
        }
        if (!checks_something(s))
            return tdx_err(err, -EINVAL, "%s: [%zu].measurements: empty, nothing to check", name, i);
    }
    if (e->n == 0)
        return tdx_err(err, -EINVAL, "%s: no entry with \"attestation_type\": \"dcap-tdx\"", name);
    return 0;
}

int tdx_expected_load_buffer(tdx_expected **out, const char *name, const char *data, size_t size,
                             tdx_error *err)
{
    tdx_expected *e;
    char why[256];
    json_error_t jerr;
    json_t *root;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(name, err);
    tdx_check_arg(data || size == 0, err);
    if (size > EXPECTED_FILE_MAX)
        return tdx_err(err, -EFBIG, "%s: larger than %d bytes", name, EXPECTED_FILE_MAX);
    root = json_loadb(data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root)
        return tdx_err_lib(err, -EINVAL, TDX_ERROR_LIBRARY_JANSSON, json_error_code(&jerr),
                           "%s:%d:%d: %s", name, jerr.line, jerr.column,
                           jr_syntax_text(&jerr, why, sizeof(why)));
    e = calloc(1, sizeof(*e));
    if (!e)
        r = tdx_err_oom(err);
    else if (json_is_object(root))
        r = load_registers(e, root, name, err);
    else if (json_is_array(root))
        r = load_list(e, root, name, err);
    else
        r = tdx_err(err, -EINVAL, "%s: expected a measurement object or a measurements list", name);
    json_decref(root);
    if (r < 0) {
        tdx_expected_free(e);
        return r;
    }
    *out = e;
    return 0;
}

int tdx_expected_load_file(tdx_expected **out, const char *path, tdx_error *err)
{
    _cleanup_free_ char *data = NULL;
    size_t size;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(path, err);
    r = read_input(path, EXPECTED_FILE_MAX, &data, &size, err);
    if (r < 0)
        return r;
    return tdx_expected_load_buffer(out, path, data, size, err);
}

/* The first register of s the quote does not match; -1 if all match. */
static int mismatch(const struct expected_set *s, const tdx_quote *q)
{
    for (int i = 0; i < REGISTERS; i++) {
        const uint8_t *p;
        size_t n;
        if (s->check[i] && (tdx_quote_get_field(q, reg_fields[i], &p, &n) < 0 || memcmp(p, s->value[i], 48) != 0))
            return i;
    }
    return -1;
}

int check_measurements(struct vctx *c)
{
    const tdx_expected *e = c->o->expected;
    char want[97], got[97], label[160] = "";
    const struct expected_set *s;
    const uint8_t *p;
    size_t n;
    int reg;

    for (size_t i = 0; i < e->n; i++)
        if (mismatch(&e->sets[i], c->q) < 0) {
            if (e->sets[i].id && !(c->res->measurement_id = strdup(e->sets[i].id)))
                return vfail(c, -ENOMEM, "out of memory");
            return 0;
        }
    s = &e->sets[0];
    reg = mismatch(s, c->q);
    tdx_quote_get_field(c->q, reg_fields[reg], &p, &n);
    hex_encode(s->value[reg], 48, want);
    hex_encode(p, 48, got);
    if (s->id)
        snprintf(label, sizeof(label), "no expected entry matches (%zu tried); the first, \"%.80s\": ", e->n, s->id);
    return vfail(c, -EPERM, "%s%s is %s, expected %s", label, reg_names[reg], got, want);
}

int expected_merge(tdx_expected *dst, tdx_expected *src)
{
    struct expected_set *sets = reallocarray(dst->sets, dst->n + src->n + 1, sizeof(*sets));
    if (!sets)
        return -ENOMEM;
    memcpy(sets + dst->n, src->sets, src->n * sizeof(*sets));
    dst->sets = sets;
    dst->n += src->n;
    free(src->sets);
    free(src);
    return 0;
}

tdx_expected *expected_new_empty(void)
{
    return calloc(1, sizeof(tdx_expected));
}
