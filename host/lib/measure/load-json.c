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
#include "json-error.h"
#include "measurements.h"
#include "read-input.h"

#define DOCUMENT_MAX (16 * 1024 * 1024)

/* A measurement document has a few hundred values at most. */
#define DOCUMENT_DEPTH_MAX 16
#define DOCUMENT_VALUES_MAX (1024 * 1024)

struct loader {
    struct json_reader R;   /* R.file: the document's name */
    tdx_error *err;
};

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

/* The digest member key of obj (obj itself when key is NULL). */
static int digest_of(struct loader *L, json_t *obj, const char *path, const char *key, size_t size,
                     uint8_t *out)
{
    char where[JR_PATH_MAX];
    const char *s = NULL;
    int r = jr_string(&L->R, obj, path, key, JR_REQUIRED, NULL, &s);

    if (r < 0)
        return r;
    if (strlen(s) != 2 * size || hex_decode(s, out, size) != (int)size)
        return jr_fail(&L->R, key ? jr_path_key(where, path, key) : path, "expected %zu hex digits",
                       2 * size);
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
    static const char *const banks[] = { "sha1", "sha256", "sha384", "sha512", NULL };
    static const tdx_hash_alg bank_algs[] = { TDX_HASH_SHA1, TDX_HASH_SHA256, TDX_HASH_SHA384,
                                              TDX_HASH_SHA512 };
    const char *name;
    bool have_alg = false;
    int r, bank = 0;
    json_t *v;

    if ((r = jr_enum(&L->R, root, "", "bank", 0, banks, &bank)) < 0)
        return r;
    if (r > 0) {
        *alg = bank_algs[bank];
        have_alg = true;
    }
    *kind = 0;
    json_object_foreach(regs, name, v) {
        enum meas_kind k;
        if (!valid_register(name, &k))
            return jr_fail(&L->R, "registers", "unknown register \"%s\" (expected mrtd, rtmr0..rtmr3 or pcr0..pcr23)", name);
        if (*kind && k != *kind)
            return jr_fail(&L->R, "registers", "mixes TDX registers and vTPM PCRs");
        *kind = k;
        if (!have_alg && json_is_string(v) && alg_of_length(strlen(json_string_value(v)), alg) == 0)
            have_alg = true;
    }
    if (!*kind)
        return jr_fail(&L->R, "registers", "no registers");
    if (!have_alg)
        *alg = *kind == MEAS_TDX ? TDX_HASH_SHA384 : TDX_HASH_SHA256;
    return 0;
}

static int load_registers(struct loader *L, tdx_measurements *m, json_t *root, json_t *regs)
{
    json_t *unknown = NULL, *v;
    const char *name, *why;
    int r;

    if ((r = jr_object(&L->R, root, "", "unknown", 0, SIZE_MAX, &unknown)) < 0)
        return r;
    json_object_foreach(regs, name, v) {
        /* shape() checked the names: only memory can fail here. */
        struct mreg *reg = meas_reg(m, name, L->err);
        if (!reg)
            return -ENOMEM;
        if (json_is_null(v)) {
            why = json_string_value(json_object_get(unknown, name));
            r = meas_unknown(m, name, L->err, "%s", why ? why : "unknown in the expected measurements");
        } else {
            r = digest_of(L, regs, "registers", name, tdx_hash_alg_size(m->banks[0]), reg->value[0]);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

static int load_event(struct loader *L, tdx_measurements *m, json_t *e, size_t i)
{
    uint8_t d[BANKS_MAX][TDX_DIGEST_MAX] = { { 0 } };
    const char *reg = NULL, *type = NULL, *desc = NULL;
    char path[JR_PATH_MAX];
    long long value = -1;
    uint32_t t = 0;
    int r;

    jr_path_index(path, "events", i);
    if ((r = jr_object(&L->R, e, path, NULL, JR_REQUIRED, SIZE_MAX, &e)) < 0 ||
        (r = jr_string(&L->R, e, path, "register", JR_REQUIRED, NULL, &reg)) < 0 ||
        (r = jr_string(&L->R, e, path, "type", 0, NULL, &type)) < 0 ||
        (r = jr_int(&L->R, e, path, "type_value", 0, 0, UINT32_MAX, &value)) < 0 ||
        (r = jr_string(&L->R, e, path, "description", 0, NULL, &desc)) < 0)
        return r;
    if (!meas_find(m, reg))
        return jr_fail(&L->R, path, "\"register\" is \"%.40s\", not one of the registers", reg);
    if (value >= 0)
        t = (uint32_t)value;
    else if (type && !event_type_from_name(type, &t) && sscanf(type, "0x%x", &t) != 1)
        return jr_fail(&L->R, path, "unknown event type \"%s\"", type);
    r = digest_of(L, e, path, "digest", tdx_hash_alg_size(m->banks[0]), d[0]);
    if (r < 0)
        return r;
    return meas_record(m, reg, t, (const uint8_t(*)[TDX_DIGEST_MAX])d, L->err, "%s", strempty(desc));
}

static int load(struct loader *L, json_t *root, tdx_measurements **out)
{
    json_t *regs = NULL, *events = NULL;
    tdx_measurements *m = NULL;
    enum meas_kind kind = MEAS_TDX;
    tdx_hash_alg alg = TDX_HASH_SHA384;
    int r;

    r = jr_object(&L->R, root, "", "registers", JR_REQUIRED, SIZE_MAX, &regs);
    if (r >= 0)
        r = jr_array(&L->R, root, "", "events", 0, 0, SIZE_MAX, &events);
    if (r >= 0)
        r = shape(L, root, regs, &alg, &kind);
    if (r >= 0)
        r = meas_new(&m, kind, &alg, 1, L->err);
    if (r >= 0)
        r = load_registers(L, m, root, regs);
    for (size_t i = 0; r >= 0 && events && i < json_array_size(events); i++)
        r = load_event(L, m, json_array_get(events, i), i);
    if (r >= 0)
        r = meas_assume(m, "source", L->err, "%s", L->R.file);
    if (r < 0) {
        tdx_measurements_free(m);
        return r;
    }
    *out = m;
    return 0;
}

int tdx_measurements_load_json(tdx_measurements **out, const char *path, tdx_error *err)
{
    struct loader L = { .err = err };
    _cleanup_free_ char *data = NULL;
    json_t *root = NULL;
    size_t size;
    int r;

    tdx_check_arg(out && path, err);
    r = read_input(path, DOCUMENT_MAX, &data, &size, err);
    if (r < 0)
        return r;
    jr_init_err(&L.R, path, err);
    r = jr_parse(&L.R, data, size, DOCUMENT_DEPTH_MAX, DOCUMENT_VALUES_MAX, &root);
    if (r < 0)
        return r;
    r = load(&L, root, out);
    json_decref(root);
    return r;
}
