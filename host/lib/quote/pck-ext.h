/* SPDX-License-Identifier: MIT */
/* The SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1): the
 * platform's FMSPC, PCE ID and TCB, which select and match Intel's TCB info. */
#ifndef TDXHOST_QUOTE_PCK_EXT_H
#define TDXHOST_QUOTE_PCK_EXT_H

#include <stddef.h>
#include <stdint.h>

struct pck_ext {
    uint8_t fmspc[6];
    uint8_t pceid[2];
    uint8_t comp_svn[16];   /* SGX TCB components 1..16 */
    uint16_t pcesvn;
    uint8_t cpusvn[16];
};

/* Parses the DER value of the extension (the OCTET STRING's contents).
 * Returns 0 or -EBADMSG with a reason ("FMSPC is 5 bytes, expected 6") in
 * why. Every TLV is bounded by its parent. */
int pck_ext_parse(const uint8_t *der, size_t size, struct pck_ext *out, char *why, size_t why_size);

#endif
