/* SPDX-License-Identifier: MIT */
/*
 * Comparing measurements (usually a replayed log) with expected ones,
 * register by register; for a register that differs, the events of both
 * sides are walked together to the first one whose digest differs.
 */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "hex.h"
#include "measurements.h"
#include "strbuf.h"

static const struct mevent *nth_event(const tdx_measurements *m, const char *reg, size_t n)
{
    for (size_t i = 0; i < m->events.n; i++) {
        const struct mevent *e = m->events.items[i];
        if (streq(e->reg, reg) && n-- == 0)
            return e;
    }
    return NULL;
}

static void hex(strbuf *sb, const uint8_t *p, size_t n)
{
    char buf[2 * TDX_DIGEST_MAX + 1];
    hex_encode(p, n, buf);
    strbuf_puts(sb, buf);
}

static void describe(strbuf *sb, const struct mevent *e, size_t size)
{
    strbuf_printf(sb, "%s \"%s\" ", e->type_name, e->description);
    hex(sb, e->digest[0], size);
}

/* Explains why register `name` differs; ab is actual's index of the bank. */
static void divergence(strbuf *sb, const tdx_measurements *actual, size_t ab, const tdx_measurements *expected,
                       const char *name)
{
    size_t size = tdx_hash_alg_size(expected->banks[0]);
    bool have_expected = nth_event(expected, name, 0) != NULL;

    if (!have_expected) {
        strbuf_puts(sb, " (the expected document lists no events for it)");
        return;
    }
    for (size_t i = 0;; i++) {
        const struct mevent *a = nth_event(actual, name, i), *e = nth_event(expected, name, i);
        if (!a && !e) {
            strbuf_puts(sb, "; every event matches, so the expected value does not follow from its events");
            return;
        }
        if (a && e && !memcmp(a->digest[ab], e->digest[0], size))
            continue;
        strbuf_printf(sb, "; first divergent event is #%zu of %s: ", i + 1, name);
        if (a) {
            strbuf_puts(sb, "actual ");
            strbuf_printf(sb, "%s \"%s\" ", a->type_name, a->description);
            hex(sb, a->digest[ab], size);
        } else {
            strbuf_puts(sb, "actual has no more events");
        }
        strbuf_puts(sb, ", expected ");
        if (e)
            describe(sb, e, size);
        else
            strbuf_puts(sb, "no more events");
        return;
    }
}

int tdx_measurements_compare(const tdx_measurements *actual, const tdx_measurements *expected, char **report,
                             tdx_error *err)
{
    strbuf sb = STRBUF_INIT;
    size_t size;
    int ab, differ = 0;

    tdx_check_arg(actual && expected, err);
    if (actual->kind != expected->kind)
        return tdx_err(err, -EINVAL, "cannot compare %s registers with %s registers",
                       actual->kind == MEAS_TDX ? "TDX" : "vTPM", expected->kind == MEAS_TDX ? "TDX" : "vTPM");
    ab = meas_bank_index(actual, expected->banks[0]);
    if (ab < 0)
        return tdx_err(err, -EINVAL, "the expected values are %s, which the other side does not have",
                       tdx_hash_alg_name(expected->banks[0]));
    size = tdx_hash_alg_size(expected->banks[0]);

    for (size_t i = 0; i < expected->regs.n; i++) {
        const struct mreg *e = expected->regs.items[i], *a = meas_find(actual, e->name);
        if (!e->known) {
            strbuf_printf(&sb, "%s: not compared: the expected value is unknown (%s)\n", e->name, e->reason);
            continue;
        }
        if (!a && streq(e->name, "mrtd")) {
            strbuf_printf(&sb, "mrtd: not compared: event logs do not carry MRTD (compare it with the quote)\n");
            continue;
        }
        if (!a || !a->known) {
            strbuf_printf(&sb, "%s: differs: the other side has no value for it\n", e->name);
            differ = 1;
            continue;
        }
        if (!memcmp(a->value[ab], e->value[0], size)) {
            strbuf_printf(&sb, "%s: matches ", e->name);
            hex(&sb, e->value[0], size);
            strbuf_putc(&sb, '\n');
            continue;
        }
        differ = 1;
        strbuf_printf(&sb, "%s: differs: actual ", e->name);
        hex(&sb, a->value[ab], size);
        strbuf_puts(&sb, ", expected ");
        hex(&sb, e->value[0], size);
        divergence(&sb, actual, (size_t)ab, expected, e->name);
        strbuf_putc(&sb, '\n');
    }
    if (strbuf_error(&sb) < 0) {
        strbuf_free(&sb);
        return tdx_err_oom(err);
    }
    if (report)
        *report = strbuf_steal(&sb, NULL);
    else
        strbuf_free(&sb);
    return differ;
}
