/* SPDX-License-Identifier: MIT */
/*
 * The JSON forms of tdx_measurements. Our own document keeps "registers"
 * as a flat map of lowercase hex or null: quote verifiers read exactly that
 * member as the expected values. The others follow the tools that consume
 * them: cvm-reverse-proxy's measurements list and dstack-mr's output.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>

#include "error.h"
#include "hex.h"
#include "serialize.h"
#include "strv.h"

void reg_hex(const tdx_measurements *m, const struct mreg *r, size_t b, char *buf)
{
    hex_encode(r->value[b], tdx_hash_alg_size(m->banks[b]), buf);
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char buf[2 * TDX_DIGEST_MAX + 1];
    hex_encode(p, n, buf);
    return json_string(buf);
}

static json_t *registers(const tdx_measurements *m, size_t b)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < m->regs.n; i++) {
        const struct mreg *r = m->regs.items[i];
        json_object_set_new(o, r->name, r->known ? hex_json(r->value[b], tdx_hash_alg_size(m->banks[b])) : json_null());
    }
    return o;
}

static json_t *assumptions(const tdx_measurements *m)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < m->assumptions.n; i++) {
        const struct assumption *a = m->assumptions.items[i];
        json_object_set_new(o, a->key, a->type == ASSUME_STRING ? json_string(a->text)
                                       : a->type == ASSUME_BOOL  ? json_boolean(a->number)
                                                                 : json_integer(a->number));
    }
    return o;
}

static json_t *digests(const tdx_measurements *m, const uint8_t v[][TDX_DIGEST_MAX])
{
    json_t *o = json_object();
    for (size_t b = 0; o && b < m->n_banks; b++)
        json_object_set_new(o, tdx_hash_alg_name(m->banks[b]), hex_json(v[b], tdx_hash_alg_size(m->banks[b])));
    return o;
}

static json_t *events(const tdx_measurements *m)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < m->events.n; i++) {
        const struct mevent *e = m->events.items[i];
        json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:o}", "register", e->reg, "type", e->type_name,
                              "type_value", (json_int_t)e->type, "description", e->description, "digest",
                              hex_json(e->digest[0], tdx_hash_alg_size(m->banks[0])));
        if (o && m->n_banks > 1)
            json_object_set_new(o, "digests", digests(m, (const uint8_t(*)[TDX_DIGEST_MAX])e->digest));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *measurements_json(const tdx_measurements *m)
{
    json_t *o = json_object(), *unknown = json_object(), *warnings = json_array();

    json_object_set_new(o, "kind", json_string(m->kind == MEAS_TDX ? "tdx" : "tpm"));
    json_object_set_new(o, "bank", json_string(tdx_hash_alg_name(m->banks[0])));
    json_object_set_new(o, "registers", registers(m, 0));
    for (size_t i = 0; i < m->regs.n; i++) {
        const struct mreg *r = m->regs.items[i];
        if (!r->known)
            json_object_set_new(unknown, r->name, json_string(r->reason));
    }
    json_object_set_new(o, "unknown", unknown);
    if (m->n_banks > 1) {
        json_t *banks = json_object();
        for (size_t b = 0; b < m->n_banks; b++)
            json_object_set_new(banks, tdx_hash_alg_name(m->banks[b]), registers(m, b));
        json_object_set_new(o, "banks", banks);
    }
    json_object_set_new(o, "assumptions", assumptions(m));
    STRV_FOREACH(w, m->warnings)
        json_array_append_new(warnings, json_string(*w));
    json_object_set_new(o, "warnings", warnings);
    if (m->snapshots.n) {
        json_t *phases = json_array();
        for (size_t i = 0; i < m->snapshots.n; i++) {
            const struct snapshot *s = m->snapshots.items[i];
            json_array_append_new(phases, json_pack("{s:s, s:s, s:o}", "register", s->reg, "phase", s->label,
                                                    "digests", digests(m, (const uint8_t(*)[TDX_DIGEST_MAX])s->value)));
        }
        json_object_set_new(o, "phases", phases);
    }
    json_object_set_new(o, "events", events(m));
    return o;
}

static int dump(json_t *o, size_t flags, strbuf *out, tdx_error *err)
{
    char *text;

    if (!o)
        return tdx_err_oom(err);
    text = json_dumps(o, flags);
    json_decref(o);
    if (!text)
        return tdx_err_oom(err);
    strbuf_puts(out, text);
    strbuf_putc(out, '\n');
    free(text);
    return strbuf_error(out) < 0 ? tdx_err_oom(err) : 0;
}

int serialize_json(const tdx_measurements *m, strbuf *out, tdx_error *err)
{
    return dump(measurements_json(m), JSON_INDENT(2) | JSON_PRESERVE_ORDER, out, err);
}

/* dcap-tdx: 0 = MRTD, 1..4 = RTMR0..3; azure-tdx: the PCR number. */
static const char *cvm_index(const struct mreg *r, char *buf, size_t size)
{
    if (streq(r->name, "mrtd"))
        return "0";
    if (startswith(r->name, "rtmr")) {
        snprintf(buf, size, "%d", r->name[4] - '0' + 1);
        return buf;
    }
    return r->name + 3;  /* "pcrN" */
}

int serialize_cvm_reverse_proxy(const tdx_measurements *m, const char *id, strbuf *out, tdx_error *err)
{
    json_t *values = json_object();

    if (m->kind == MEAS_TPM && m->banks[0] != TDX_HASH_SHA256)
        return tdx_err(err, -EINVAL, "cvm-reverse-proxy compares vTPM PCRs in the SHA-256 bank; these are %s",
                       tdx_hash_alg_name(m->banks[0]));
    for (size_t i = 0; values && i < m->regs.n; i++) {
        const struct mreg *r = m->regs.items[i];
        char idx[8], hex[2 * TDX_DIGEST_MAX + 1];
        if (!r->known)
            continue;
        reg_hex(m, r, 0, hex);
        json_object_set_new(values, cvm_index(r, idx, sizeof(idx)), json_pack("{s:s}", "expected", hex));
    }
    return dump(json_pack("[{s:s, s:s, s:o}]", "measurement_id", id, "attestation_type",
                          m->kind == MEAS_TDX ? "dcap-tdx" : "azure-tdx", "measurements", values),
                JSON_INDENT(2) | JSON_PRESERVE_ORDER, out, err);
}

int serialize_dstack(const tdx_measurements *m, strbuf *out, tdx_error *err)
{
    json_t *o;

    if (m->kind != MEAS_TDX)
        return tdx_err(err, -EINVAL, "the dstack-mr format holds MRTD and RTMRs, not vTPM PCRs");
    o = json_object();
    for (size_t i = 0; o && i < m->regs.n; i++) {
        const struct mreg *r = m->regs.items[i];
        char hex[2 * TDX_DIGEST_MAX + 1];
        if (streq(r->name, "rtmr3"))
            continue;  /* dstack-mr leaves RTMR3 to runtime events */
        reg_hex(m, r, 0, hex);
        json_object_set_new(o, r->name, r->known ? json_string(hex) : json_null());
    }
    return dump(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER, out, err);
}
