/* SPDX-License-Identifier: MIT */
/*
 * The quote's byte layout. Every length is checked against what is left
 * before anything behind it is read; nested lengths must add up exactly, so
 * a quote has one reading. Only what follows the signature data is allowed
 * to be anything (trailing bytes).
 */
#include <errno.h>

#include "error.h"
#include "macro.h"
#include "quote-internal.h"

/* Intel's certification data types (sgx_quote_3.h, "QE Certification
 * Data"). A TDX quote carries type 6 outside and type 5 inside it; the
 * others need a PCCS lookup by platform ID, or carry no chain at all, and
 * are refused by name. */
static const char *const cert_type_names[] = {
    [1] = "PPID in clear text (PCK_ID_PLAIN_PPID)",
    [2] = "PPID encrypted with RSA-2048-OAEP (PCK_ID_ENCRYPTED_PPID_2048)",
    [3] = "PPID encrypted with RSA-3072-OAEP (PCK_ID_ENCRYPTED_PPID_3072)",
    [4] = "PCK leaf certificate in clear text (PCK_ID_PCK_CERTIFICATE)",
    [5] = "PCK certificate chain (PCK_ID_PCK_CERT_CHAIN)",
    [6] = "QE report certification data (ECDSA_SIG_AUX_DATA)",
    [7] = "platform manifest (PCK_ID_PLATFORM_MANIFEST)",
};

static const char *cert_type_name(unsigned type)
{
    return type < ELEMENTSOF(cert_type_names) && cert_type_names[type] ? cert_type_names[type] : "unknown";
}

/* The next n bytes must exist at off; names the field that does not fit. */
static int need(size_t off, size_t n, size_t limit, const char *what, tdx_error *err)
{
    if (off > limit || n > limit - off)
        return tdx_err(err, -EBADMSG, "quote: offset %zu: %s needs %zu bytes, %zu left", off, what,
                       n, off > limit ? 0 : limit - off);
    return 0;
}

static int parse_header(struct tdx_quote *q, tdx_error *err)
{
    const uint8_t *d = q->data;
    uint16_t key_type;
    uint32_t tee;

    if (q->size < QUOTE_HEADER_SIZE)
        return tdx_err(err, -EBADMSG, "quote: %zu bytes, shorter than the %d-byte header", q->size,
                       QUOTE_HEADER_SIZE);
    q->version = le16(d);
    key_type = le16(d + 2);
    tee = le32(d + 4);
    if (q->version != 4 && q->version != 5)
        return tdx_err(err, -EBADMSG, "quote: offset 0: version %u is not a TDX quote version (4 or 5)",
                       q->version);
    if (key_type != QUOTE_ATT_KEY_ECDSA_P256)
        return tdx_err(err, -EBADMSG,
                       "quote: offset 2: attestation key type %u is not supported (only 2, ECDSA P-256)",
                       key_type);
    if (tee != QUOTE_TEE_TDX)
        return tdx_err(err, -EBADMSG, "quote: offset 4: TEE type 0x%x is not TDX (0x81)", tee);
    return 0;
}

static int parse_body(struct tdx_quote *q, tdx_error *err)
{
    uint32_t size;

    if (q->version == 4) {
        q->body_type = 2;
        q->body = QUOTE_HEADER_SIZE;
        q->body_size = QUOTE_BODY_V4_SIZE;
    } else {
        if (need(QUOTE_HEADER_SIZE, QUOTE_V5_DESCRIPTOR_SIZE, q->size, "the body descriptor", err) < 0)
            return -EBADMSG;
        q->body_type = le16(q->data + QUOTE_HEADER_SIZE);
        size = le32(q->data + QUOTE_HEADER_SIZE + 2);
        if (q->body_type != 2 && q->body_type != 3)
            return tdx_err(err, -EBADMSG, "quote: offset 48: body type %u is not a TD report (2 or 3)%s",
                           q->body_type, q->body_type == 1 ? "; 1 is an SGX enclave report" : "");
        q->body_size = q->body_type == 2 ? QUOTE_BODY_V4_SIZE : QUOTE_BODY_V15_SIZE;
        if (size != q->body_size)
            return tdx_err(err, -EBADMSG, "quote: offset 50: body size %u does not match body type %u (%zu bytes)",
                           size, q->body_type, q->body_size);
        q->body = QUOTE_HEADER_SIZE + QUOTE_V5_DESCRIPTOR_SIZE;
    }
    q->signed_size = q->body + q->body_size;
    return need(q->body, q->body_size, q->size, "the TD report body", err);
}

/* Certification data type 6: QE report, its signature, QE auth data and the
 * inner certification data (type 5, the PCK chain), which must end exactly
 * where the outer data ends. */
static int parse_qe_cert_data(struct tdx_quote *q, size_t off, size_t end, tdx_error *err)
{
    uint16_t inner_type;
    uint32_t inner_size;

    if (need(off, QUOTE_QE_REPORT_SIZE + QUOTE_ECDSA_SIG_SIZE + 2, end, "the QE report, its signature and auth data size", err) < 0)
        return -EBADMSG;
    q->qe_report = off;
    q->qe_report_sig = off + QUOTE_QE_REPORT_SIZE;
    off = q->qe_report_sig + QUOTE_ECDSA_SIG_SIZE;
    q->auth_data_len = le16(q->data + off);
    off += 2;
    if (need(off, q->auth_data_len, end, "the QE auth data", err) < 0)
        return -EBADMSG;
    q->auth_data = off;
    off += q->auth_data_len;
    if (need(off, 6, end, "the PCK certification data type and size", err) < 0)
        return -EBADMSG;
    inner_type = le16(q->data + off);
    inner_size = le32(q->data + off + 2);
    if (inner_type != QUOTE_CERT_PCK_CHAIN)
        return tdx_err(err, -EBADMSG,
                       "quote: offset %zu: inner certification data type %u, %s, is not supported (only 5, PCK "
                       "certificate chain)", off, inner_type, cert_type_name(inner_type));
    off += 6;
    if (inner_size != end - off)
        return tdx_err(err, -EBADMSG,
                       "quote: offset %zu: PCK certificate chain size %u does not match the %zu bytes of certification data left",
                       off - 4, inner_size, end - off);
    if (inner_size == 0)
        return tdx_err(err, -EBADMSG, "quote: offset %zu: empty PCK certificate chain", off - 4);
    q->pck_chain = off;
    q->pck_chain_len = inner_size;
    return 0;
}

static int parse_signature_data(struct tdx_quote *q, tdx_error *err)
{
    size_t off = q->signed_size, fixed = QUOTE_ECDSA_SIG_SIZE + QUOTE_ECDSA_KEY_SIZE + 6;
    uint32_t len, cert_size;
    uint16_t cert_type;

    if (need(off, 4, q->size, "the signature data length", err) < 0)
        return -EBADMSG;
    len = le32(q->data + off);
    off += 4;
    if (len > q->size - off)
        return tdx_err(err, -EBADMSG, "quote: offset %zu: signature data length %u exceeds the %zu bytes left",
                       off - 4, len, q->size - off);
    if (len < fixed)
        return tdx_err(err, -EBADMSG, "quote: offset %zu: signature data length %u is less than the %zu fixed bytes",
                       off - 4, len, fixed);
    q->sig_data = off;
    q->sig_data_len = len;
    q->end = off + len;
    q->signature = off;
    q->att_key = off + QUOTE_ECDSA_SIG_SIZE;
    off = q->att_key + QUOTE_ECDSA_KEY_SIZE;
    cert_type = le16(q->data + off);
    cert_size = le32(q->data + off + 2);
    if (cert_type != QUOTE_CERT_QE_REPORT)
        return tdx_err(err, -EBADMSG,
                       "quote: offset %zu: certification data type %u, %s, is not supported (only 6, QE report "
                       "certification data)", off, cert_type, cert_type_name(cert_type));
    if (cert_size != q->end - (off + 6))
        return tdx_err(err, -EBADMSG,
                       "quote: offset %zu: certification data size %u does not match the %zu bytes of signature data left",
                       off + 2, cert_size, q->end - (off + 6));
    return parse_qe_cert_data(q, off + 6, q->end, err);
}

int quote_layout(struct tdx_quote *q, const uint8_t *data, size_t size, tdx_error *err)
{
    int r;

    *q = (struct tdx_quote){ .data = (uint8_t *)data, .size = size };
    if (size > QUOTE_MAX_SIZE)
        return tdx_err(err, -EFBIG, "quote: %zu bytes, more than the %d accepted", size, QUOTE_MAX_SIZE);
    r = parse_header(q, err);
    if (r >= 0)
        r = parse_body(q, err);
    if (r >= 0)
        r = parse_signature_data(q, err);
    return r;
}
