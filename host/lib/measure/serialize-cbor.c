/* SPDX-License-Identifier: MIT */
/*
 * CBOR form of tdx_measurements: the same members as the JSON document,
 * with digests as byte strings instead of hex and definite-length items
 * only, so two runs with the same inputs give the same bytes.
 */
#include <cbor.h>
#include <errno.h>

#include "error.h"
#include "serialize.h"
#include "strv.h"

/* Builders that own what they are given: on failure everything is freed
 * and NULL comes back, so a tree is built without checks at every level. */
static cbor_item_t *put(cbor_item_t *map, const char *key, cbor_item_t *value)
{
    cbor_item_t *k = cbor_build_string(key);
    bool ok = map && k && value && cbor_map_add(map, (struct cbor_pair){ .key = k, .value = value });

    if (k)
        cbor_decref(&k);
    if (value)
        cbor_decref(&value);
    if (!ok && map)
        cbor_decref(&map);
    return ok ? map : NULL;
}

static cbor_item_t *push(cbor_item_t *array, cbor_item_t *value)
{
    bool ok = array && value && cbor_array_push(array, value);

    if (value)
        cbor_decref(&value);
    if (!ok && array)
        cbor_decref(&array);
    return ok ? array : NULL;
}

static cbor_item_t *bytes(const uint8_t *p, size_t n)
{
    return cbor_build_bytestring(p, n);
}

static cbor_item_t *registers(const tdx_measurements *m, size_t b)
{
    cbor_item_t *o = cbor_new_definite_map(m->regs.n);
    for (size_t i = 0; o && i < m->regs.n; i++) {
        const struct mreg *r = m->regs.items[i];
        o = put(o, r->name, r->known ? bytes(r->value[b], tdx_hash_alg_size(m->banks[b])) : cbor_new_null());
    }
    return o;
}

static cbor_item_t *integer(long long v)
{
    return v >= 0 ? cbor_build_uint64((uint64_t)v) : cbor_build_negint64((uint64_t)(-(v + 1)));
}

static cbor_item_t *assumptions(const tdx_measurements *m)
{
    cbor_item_t *o = cbor_new_definite_map(m->assumptions.n);
    for (size_t i = 0; o && i < m->assumptions.n; i++) {
        const struct assumption *a = m->assumptions.items[i];
        o = put(o, a->key, a->type == ASSUME_STRING ? cbor_build_string(a->text)
                           : a->type == ASSUME_BOOL ? cbor_build_bool(a->number != 0)
                                                    : integer(a->number));
    }
    return o;
}

static cbor_item_t *digests(const tdx_measurements *m, const uint8_t v[][TDX_DIGEST_MAX])
{
    cbor_item_t *o = cbor_new_definite_map(m->n_banks);
    for (size_t b = 0; o && b < m->n_banks; b++)
        o = put(o, tdx_hash_alg_name(m->banks[b]), bytes(v[b], tdx_hash_alg_size(m->banks[b])));
    return o;
}

static cbor_item_t *event(const tdx_measurements *m, const struct mevent *e)
{
    cbor_item_t *o = cbor_new_definite_map(m->n_banks > 1 ? 6 : 5);
    o = put(o, "register", cbor_build_string(e->reg));
    o = put(o, "type", cbor_build_string(e->type_name));
    o = put(o, "type_value", cbor_build_uint32(e->type));
    o = put(o, "description", cbor_build_string(e->description));
    o = put(o, "digest", bytes(e->digest[0], tdx_hash_alg_size(m->banks[0])));
    if (m->n_banks > 1)
        o = put(o, "digests", digests(m, (const uint8_t(*)[TDX_DIGEST_MAX])e->digest));
    return o;
}

static cbor_item_t *document(const tdx_measurements *m)
{
    size_t n_unknown = 0, n = 7 + (m->n_banks > 1) + (m->snapshots.n > 0);
    cbor_item_t *o = cbor_new_definite_map(n), *unknown, *warnings, *events;

    for (size_t i = 0; i < m->regs.n; i++)
        n_unknown += !((const struct mreg *)m->regs.items[i])->known;
    o = put(o, "kind", cbor_build_string(m->kind == MEAS_TDX ? "tdx" : "tpm"));
    o = put(o, "bank", cbor_build_string(tdx_hash_alg_name(m->banks[0])));
    o = put(o, "registers", registers(m, 0));
    unknown = cbor_new_definite_map(n_unknown);
    for (size_t i = 0; unknown && i < m->regs.n; i++) {
        const struct mreg *r = m->regs.items[i];
        if (!r->known)
            unknown = put(unknown, r->name, cbor_build_string(r->reason));
    }
    o = put(o, "unknown", unknown);
    if (m->n_banks > 1) {
        cbor_item_t *banks = cbor_new_definite_map(m->n_banks);
        for (size_t b = 0; banks && b < m->n_banks; b++)
            banks = put(banks, tdx_hash_alg_name(m->banks[b]), registers(m, b));
        o = put(o, "banks", banks);
    }
    o = put(o, "assumptions", assumptions(m));
    warnings = cbor_new_definite_array(strv_length(m->warnings));
    for (char **w = m->warnings; warnings && w && *w; w++)
        warnings = push(warnings, cbor_build_string(*w));
    o = put(o, "warnings", warnings);
    if (m->snapshots.n) {
        cbor_item_t *phases = cbor_new_definite_array(m->snapshots.n);
        for (size_t i = 0; phases && i < m->snapshots.n; i++) {
            const struct snapshot *s = m->snapshots.items[i];
            cbor_item_t *p = cbor_new_definite_map(3);
            p = put(p, "register", cbor_build_string(s->reg));
            p = put(p, "phase", cbor_build_string(s->label));
            p = put(p, "digests", digests(m, (const uint8_t(*)[TDX_DIGEST_MAX])s->value));
            phases = push(phases, p);
        }
        o = put(o, "phases", phases);
    }
    events = cbor_new_definite_array(m->events.n);
    for (size_t i = 0; events && i < m->events.n; i++)
        events = push(events, event(m, m->events.items[i]));
    return put(o, "events", events);
}

int serialize_cbor(const tdx_measurements *m, strbuf *out, tdx_error *err)
{
    cbor_item_t *doc = document(m);
    unsigned char *buf = NULL;
    size_t cap = 0, len;

    if (!doc)
        return tdx_err_oom(err);
    len = cbor_serialize_alloc(doc, &buf, &cap);
    cbor_decref(&doc);
    if (len == 0) {
        free(buf);
        return tdx_err_oom(err);
    }
    strbuf_append(out, buf, len);
    free(buf);
    return strbuf_error(out) < 0 ? tdx_err_oom(err) : 0;
}
