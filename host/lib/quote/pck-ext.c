/* SPDX-License-Identifier: MIT */
/*
 * A DER walk over exactly what the SGX extension holds:
 *
 *   SEQUENCE OF SEQUENCE { OID 1.2.840.113741.1.13.1.N, value }
 *     N=1 PPID, N=2 TCB (SEQUENCE OF { OID .2.M, INTEGER or, for M=18,
 *     the CPUSVN OCTET STRING }), N=3 PCE-ID, N=4 FMSPC, N=5 SGX type, ...
 *
 * Unknown members are skipped; the four this library uses must each appear
 * exactly once with the right size.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "pck-ext.h"

#define TAG_INTEGER 0x02
#define TAG_OCTET_STRING 0x04
#define TAG_OID 0x06
#define TAG_SEQUENCE 0x30

/* 1.2.840.113741.1.13.1 */
static const uint8_t sgx_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };

struct der {
    const uint8_t *p, *end;
};

/* Reads one TLV with a definite length that fits in what is left. */
static int der_next(struct der *d, uint8_t *tag, struct der *value)
{
    size_t len, left = (size_t)(d->end - d->p);
    const uint8_t *p = d->p;

    if (left < 2)
        return -EBADMSG;
    *tag = p[0];
    len = p[1];
    p += 2;
    left -= 2;
    if (len & 0x80) {
        size_t n = len & 0x7f;
        if (n == 0 || n > 3 || n > left)
            return -EBADMSG;
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = len << 8 | p[i];
        p += n;
        left -= n;
    }
    if (len > left)
        return -EBADMSG;
    value->p = p;
    value->end = p + len;
    d->p = p + len;
    return 0;
}

/* The arc after the SGX OID: 1 for ".1", 2*256+17 for ".2.17"; -1 when the
 * OID is not below the SGX OID. */
static int sgx_arc(const struct der *oid)
{
    size_t n = (size_t)(oid->end - oid->p), base = sizeof(sgx_oid);
    if (n <= base || n > base + 2 || memcmp(oid->p, sgx_oid, base) != 0)
        return -1;
    for (size_t i = base; i < n; i++)
        if (oid->p[i] & 0x80)
            return -1;
    return n == base + 1 ? oid->p[base] : oid->p[base] * 256 + oid->p[base + 1];
}

/* An INTEGER 0..max (DER: no superfluous leading zero, not negative). */
static int small_uint(const struct der *v, unsigned max, unsigned *out)
{
    size_t n = (size_t)(v->end - v->p);
    unsigned x = 0;
    if (n == 0 || n > 3 || (v->p[0] & 0x80) || (n > 1 && v->p[0] == 0 && !(v->p[1] & 0x80)))
        return -EBADMSG;
    for (size_t i = 0; i < n; i++)
        x = x << 8 | v->p[i];
    if (x > max)
        return -EBADMSG;
    *out = x;
    return 0;
}

static int octets(const struct der *v, uint8_t tag, uint8_t *out, size_t size)
{
    if (tag != TAG_OCTET_STRING || (size_t)(v->end - v->p) != size)
        return -EBADMSG;
    memcpy(out, v->p, size);
    return 0;
}

static int parse_tcb(struct der seq, struct pck_ext *out, char *why, size_t why_size)
{
    unsigned seen = 0;   /* bit m-1 for component m, bit 16 PCESVN, bit 17 CPUSVN */
    uint8_t tag;
    struct der item;

    while (seq.p < seq.end) {
        struct der oid, value;
        uint8_t vtag;
        unsigned x;
        int arc;

        if (der_next(&seq, &tag, &item) < 0 || tag != TAG_SEQUENCE || der_next(&item, &tag, &oid) < 0 ||
            tag != TAG_OID || der_next(&item, &vtag, &value) < 0 || item.p != item.end)
            return msgf(why, why_size, -EBADMSG, "malformed TCB entry");
        arc = sgx_arc(&oid);
        if (arc < 2 * 256 + 1 || arc > 2 * 256 + 18)
            continue;
        arc -= 2 * 256;
        if (seen & 1u << (arc - 1))
            return msgf(why, why_size, -EBADMSG, "TCB entry %d appears twice", arc);
        seen |= 1u << (arc - 1);
        if (arc == 18) {
            if (octets(&value, vtag, out->cpusvn, 16) < 0)
                return msgf(why, why_size, -EBADMSG, "CPUSVN is not a 16-byte OCTET STRING");
        } else if (vtag != TAG_INTEGER || small_uint(&value, arc == 17 ? 65535 : 255, &x) < 0) {
            return msgf(why, why_size, -EBADMSG, "TCB entry %d is not an INTEGER in range", arc);
        } else if (arc == 17) {
            out->pcesvn = (uint16_t)x;
        } else {
            out->comp_svn[arc - 1] = (uint8_t)x;
        }
    }
    if (seen != (1u << 18) - 1)
        return msgf(why, why_size, -EBADMSG, "TCB lacks entries (have mask 0x%05x of 0x3ffff)", seen);
    return 0;
}

int pck_ext_parse(const uint8_t *der, size_t size, struct pck_ext *out, char *why, size_t why_size)
{
    struct der d = { der, der + size }, top;
    bool tcb = false, pceid = false, fmspc = false;
    uint8_t tag;

    memset(out, 0, sizeof(*out));
    if (der_next(&d, &tag, &top) < 0 || tag != TAG_SEQUENCE || d.p != d.end)
        return msgf(why, why_size, -EBADMSG, "not a DER SEQUENCE");
    while (top.p < top.end) {
        struct der item, oid, value;
        uint8_t vtag;
        int arc;

        if (der_next(&top, &tag, &item) < 0 || tag != TAG_SEQUENCE || der_next(&item, &tag, &oid) < 0 ||
            tag != TAG_OID || der_next(&item, &vtag, &value) < 0 || item.p != item.end)
            return msgf(why, why_size, -EBADMSG, "malformed entry");
        arc = sgx_arc(&oid);
        if ((arc == 2 && tcb) || (arc == 3 && pceid) || (arc == 4 && fmspc))
            return msgf(why, why_size, -EBADMSG, "entry %d appears twice", arc);
        switch (arc) {
        case 2:
            if (vtag != TAG_SEQUENCE || parse_tcb(value, out, why, why_size) < 0)
                return vtag != TAG_SEQUENCE ? msgf(why, why_size, -EBADMSG, "TCB is not a SEQUENCE") : -EBADMSG;
            tcb = true;
            break;
        case 3:
            if (octets(&value, vtag, out->pceid, 2) < 0)
                return msgf(why, why_size, -EBADMSG, "PCE-ID is not a 2-byte OCTET STRING");
            pceid = true;
            break;
        case 4:
            if (octets(&value, vtag, out->fmspc, 6) < 0)
                return msgf(why, why_size, -EBADMSG, "FMSPC is not a 6-byte OCTET STRING");
            fmspc = true;
            break;
        default:
            break;
        }
    }
    if (!tcb || !pceid || !fmspc)
        return msgf(why, why_size, -EBADMSG, "no %s", !tcb ? "TCB" : !pceid ? "PCE-ID" : "FMSPC");
    return 0;
}
