/* SPDX-License-Identifier: MIT */
/*
 * The TD policy steps: what the TD report says about the TD itself beyond
 * its measurements. Safe by default, as dcap-qvl's validate_attrs is: a
 * debug TD, a TD that takes EPT-violation #VEs (SEPT_VE_DISABLE clear), a
 * migratable TD, any reserved attribute bit and a bound service TD are
 * refused unless the caller allows or expects them. Bits as the TDX module
 * ABI defines TDATTRIBUTES: TUD 7:0 (bit 0 DEBUG), SEC 31:8 (28
 * SEPT_VE_DISABLE, 29 MIGRATABLE, 30 PKS, 31 KL), OTHER 63:32 (63 PERFMON).
 */
#include <errno.h>
#include <stdio.h>

#include "hex.h"
#include "macro.h"
#include "verify-internal.h"

#define ATTR_DEBUG 0
#define ATTR_SEPT_VE_DISABLE 28
#define ATTR_MIGRATABLE 29

static const struct {
    int bit;
    const char *name;
} known_bits[] = {
    { 0, "DEBUG" }, { 28, "SEPT_VE_DISABLE" }, { 29, "MIGRATABLE" }, { 30, "PKS" }, { 31, "KL" }, { 63, "PERFMON" },
};

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static bool known(int bit)
{
    for (size_t i = 0; i < ELEMENTSOF(known_bits); i++)
        if (known_bits[i].bit == bit)
            return true;
    return false;
}

/* "DEBUG (bit 0), PKS (bit 30), reserved bit 5" for the bits set in v;
 * "bit 9, bit 17" when they are not TD attributes. */
static void name_bits(uint64_t v, bool attributes, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int bit = 0; bit < 64 && len < size; bit++) {
        const char *name = NULL;
        if (!(v >> bit & 1))
            continue;
        for (size_t i = 0; i < ELEMENTSOF(known_bits); i++)
            if (known_bits[i].bit == bit)
                name = known_bits[i].name;
        if (!attributes)
            len += (size_t)snprintf(buf + len, size - len, "%sbit %d", len ? ", " : "", bit);
        else if (name)
            len += (size_t)snprintf(buf + len, size - len, "%s%s (bit %d)", len ? ", " : "", name, bit);
        else
            len += (size_t)snprintf(buf + len, size - len, "%sreserved bit %d", len ? ", " : "", bit);
    }
    if (!buf[0])
        snprintf(buf, size, "none");
}

/* value/mask pin of an 8-byte field as stored. */
static int check_pin(struct vctx *c, const char *what, bool attributes, const uint8_t *got, const uint8_t *value,
                     const uint8_t *mask)
{
    static const uint8_t all[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    char g[17], w[17], m[17], names[400];
    const uint8_t *msk = mask ? mask : all;

    for (int i = 0; i < 8; i++)
        if ((got[i] & msk[i]) != (value[i] & msk[i])) {
            hex_encode(got, 8, g);
            hex_encode(value, 8, w);
            hex_encode(msk, 8, m);
            name_bits((le64(got) ^ le64(value)) & le64(msk), attributes, names, sizeof(names));
            return vfail(c, -EPERM, "%s %s differs from the pinned %s under mask %s: bits %s", what, g, w, m,
                         names);
        }
    return 0;
}

int check_td_attributes(struct vctx *c)
{
    const uint8_t *p = quote_at(c->q, c->q->body) + BODY_TD_ATTRIBUTES;
    uint64_t attrs = le64(p), reserved = 0;
    char names[400], hex[17];

    hex_encode(p, 8, hex);
    if ((attrs >> ATTR_DEBUG & 1) && c->o->allow_debug <= 0)
        return vfail(c, -EPERM, "TD attribute DEBUG (bit 0) is set: the host can read and change the TD's memory; "
                                "refused unless debug TDs are allowed (allow_debug)");
    for (int bit = 0; bit < 64; bit++)
        if ((attrs >> bit & 1) && !known(bit))
            reserved |= (uint64_t)1 << bit;
    if (reserved) {
        name_bits(reserved, true, names, sizeof(names));
        return vfail(c, -EPERM, "TD attributes %s: %s set; reserved bits must be zero", hex, names);
    }
    if (!(attrs >> ATTR_SEPT_VE_DISABLE & 1) && c->o->allow_sept_ve <= 0)
        return vfail(c, -EPERM,
                     "TD attribute SEPT_VE_DISABLE (bit 28) is clear (attributes %s): EPT violations reach the TD "
                     "as #VE, which the host can raise at will; refused unless allowed (allow_sept_ve)", hex);
    if ((attrs >> ATTR_MIGRATABLE & 1) && c->o->allow_migratable <= 0)
        return vfail(c, -EPERM,
                     "TD attribute MIGRATABLE (bit 29) is set: a migration TD may export the TD's state; refused "
                     "unless allowed (allow_migratable)");
    if (c->o->td_attributes)
        return check_pin(c, "TD attributes", true, p, c->o->td_attributes, c->o->td_attributes_mask);
    return 0;
}

int check_xfam(struct vctx *c)
{
    return check_pin(c, "XFAM", false, quote_at(c->q, c->q->body) + BODY_XFAM, c->o->xfam, c->o->xfam_mask);
}

/* One of n accepted 48-byte values. */
static int check_one_of(struct vctx *c, const char *what, const uint8_t *got, const uint8_t (*want)[48], size_t n)
{
    char g[97], w[97];

    for (size_t i = 0; i < n; i++)
        if (memcmp(got, want[i], 48) == 0)
            return 0;
    hex_encode(got, 48, g);
    if (n == 1) {
        hex_encode(want[0], 48, w);
        return vfail(c, -EPERM, "%s is %s, expected %s", what, g, w);
    }
    return vfail(c, -EPERM, "%s %s is none of the %zu expected values", what, g, n);
}

int check_mrservicetd(struct vctx *c)
{
    static const uint8_t zero[48];
    const uint8_t *got = c->q->body_type == 3 ? quote_at(c->q, c->q->body) + BODY_MRSERVICETD : zero;
    char g[97];

    if (c->o->mrservicetd_count)
        return check_one_of(c, "MRSERVICETD", got, c->o->mrservicetd, c->o->mrservicetd_count);
    if (memcmp(got, zero, 48) == 0)
        return 0;
    hex_encode(got, 48, g);
    return vfail(c, -EPERM, "MRSERVICETD is %s: a service TD is bound to this TD and can read or change it; "
                            "refused unless its value is expected (mrservicetd)", g);
}

int check_mrconfigid(struct vctx *c)
{
    return check_one_of(c, "MRCONFIGID", quote_at(c->q, c->q->body) + BODY_MRCONFIGID, c->o->mrconfigid,
                        c->o->mrconfigid_count);
}

int check_mrowner(struct vctx *c)
{
    return check_one_of(c, "MROWNER", quote_at(c->q, c->q->body) + BODY_MROWNER, c->o->mrowner,
                        c->o->mrowner_count);
}

int check_mrownerconfig(struct vctx *c)
{
    return check_one_of(c, "MROWNERCONFIG", quote_at(c->q, c->q->body) + BODY_MROWNERCONFIG, c->o->mrownerconfig,
                        c->o->mrownerconfig_count);
}

int check_mrseam(struct vctx *c)
{
    return check_one_of(c, "MRSEAM", quote_at(c->q, c->q->body) + BODY_MRSEAM, c->o->mrseam, c->o->mrseam_count);
}
