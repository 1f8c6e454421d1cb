/* SPDX-License-Identifier: MIT */
/* The layout of a parsed TDX quote (reference/agent.md §2; Intel's
 * sgx_quote_4.h / sgx_quote_5.h). Offsets are from the start of the quote. */
#ifndef TDXHOST_QUOTE_INTERNAL_H
#define TDXHOST_QUOTE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxhost/quote.h"

#define QUOTE_MAX_SIZE (1024 * 1024)
#define QUOTE_HEADER_SIZE 48
#define QUOTE_BODY_V4_SIZE 584          /* TDX 1.0 TD report */
#define QUOTE_BODY_V15_SIZE 648         /* TDX 1.5 TD report */
#define QUOTE_V5_DESCRIPTOR_SIZE 6      /* body type (2) + body size (4) */
#define QUOTE_ECDSA_SIG_SIZE 64
#define QUOTE_ECDSA_KEY_SIZE 64
#define QUOTE_QE_REPORT_SIZE 384
#define QUOTE_TEE_TDX 0x81
#define QUOTE_ATT_KEY_ECDSA_P256 2
#define QUOTE_CERT_QE_REPORT 6          /* ECDSA_SIG_AUX_DATA */
#define QUOTE_CERT_PCK_CHAIN 5

/* Offsets inside a TD report body. */
#define BODY_TEE_TCB_SVN 0
#define BODY_MRSEAM 16
#define BODY_MRSIGNERSEAM 64
#define BODY_SEAM_ATTRIBUTES 112
#define BODY_TD_ATTRIBUTES 120
#define BODY_XFAM 128
#define BODY_MRTD 136
#define BODY_MRCONFIGID 184
#define BODY_MROWNER 232
#define BODY_MROWNERCONFIG 280
#define BODY_RTMR0 328
#define BODY_REPORT_DATA 520
#define BODY_TEE_TCB_SVN2 584
#define BODY_MRSERVICETD 600

/* Offsets inside the QE report (an SGX report body). */
#define QE_CPUSVN 0
#define QE_MISCSELECT 16
#define QE_ATTRIBUTES 48
#define QE_MRENCLAVE 64
#define QE_MRSIGNER 128
#define QE_ISVPRODID 256
#define QE_ISVSVN 258
#define QE_REPORT_DATA 320

struct tdx_quote {
    uint8_t *data;
    size_t size;

    uint16_t version;
    uint16_t body_type;
    size_t body;            /* offset of the TD report body */
    size_t body_size;
    size_t signed_size;     /* header (+ v5 descriptor) + body */

    size_t sig_data;        /* offset of the signature data (after its u32 length) */
    size_t sig_data_len;
    size_t signature;       /* ECDSA signature over [0, signed_size) */
    size_t att_key;
    size_t qe_report;
    size_t qe_report_sig;
    size_t auth_data;
    size_t auth_data_len;
    size_t pck_chain;
    size_t pck_chain_len;
    size_t end;             /* first byte after the signature data */
};

/* Parses size bytes at data into q, pointing into data (not copied).
 * Errors are "quote: offset N: ..." with -EBADMSG. */
int quote_layout(struct tdx_quote *q, const uint8_t *data, size_t size, tdx_error *err);

/* A private copy of q. */
int quote_dup(const tdx_quote *q, tdx_quote **out);

/* The quote as tdx_quote_to_json() renders it; NULL on allocation failure. */
struct json_t;
struct json_t *quote_json(const tdx_quote *q);

static inline const uint8_t *quote_at(const tdx_quote *q, size_t off)
{
    return q->data + off;
}

static inline uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
