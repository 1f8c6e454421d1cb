/* SPDX-License-Identifier: MIT */
#include "pki.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "error.h"
#include "hex.h"
#include "macro.h"

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const uint8_t *find(const uint8_t *p, const uint8_t *end, const char *s)
{
    size_t n = strlen(s);
    for (; (size_t)(end - p) >= n; p++)
        if (memcmp(p, s, n) == 0)
            return p;
    return NULL;
}

/* One DER certificate that must use exactly size bytes. */
static X509 *der_cert(const uint8_t *der, size_t size)
{
    const unsigned char *p = der;
    X509 *c = d2i_X509(NULL, &p, (long)size);
    if (c && p != der + size) {
        X509_free(c);
        return NULL;
    }
    return c;
}

static int push(STACK_OF(X509) *certs, X509 *c, const char *what, size_t at, tdx_error *err)
{
    if (!c)
        return tdx_err_lib(err, -EBADMSG, TDX_ERROR_LIBRARY_OPENSSL, (long)ERR_peek_last_error(),
                           "%s: certificate %d at byte %zu is not a valid DER certificate", what,
                           sk_X509_num(certs) + 1, at);
    if (sk_X509_num(certs) >= PKI_MAX_CERTS) {
        X509_free(c);
        return tdx_err(err, -EBADMSG, "%s: more than %d certificates", what, PKI_MAX_CERTS);
    }
    if (!sk_X509_push(certs, c)) {
        X509_free(c);
        return tdx_err_oom(err);
    }
    return 0;
}

static int parse_pem(STACK_OF(X509) *certs, const uint8_t *data, size_t size, enum pem_text mode,
                     const char *what, tdx_error *err)
{
    const uint8_t *p = data, *end = data + size;

    for (;;) {
        const uint8_t *b, *e;
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ uint8_t *der = NULL;
        size_t n = 0;
        long len;
        int r;

        while (p < end && is_space(*p))
            p++;
        if (mode == PEM_FILE) {
            const uint8_t *next = find(p, end, pem_begin);
            if (!next)
                return 0;
            p = next;
        }
        if (p == end || *p == '\0')
            break;
        if ((size_t)(end - p) < sizeof(pem_begin) - 1 || memcmp(p, pem_begin, sizeof(pem_begin) - 1))
            return tdx_err(err, -EBADMSG, "%s: byte %zu: expected \"%s\"", what, (size_t)(p - data),
                           pem_begin);
        b = p + sizeof(pem_begin) - 1;
        e = find(b, end, pem_end);
        if (!e)
            return tdx_err(err, -EBADMSG, "%s: certificate %d at byte %zu has no \"%s\"", what,
                           sk_X509_num(certs) + 1, (size_t)(p - data), pem_end);
        text = malloc((size_t)(e - b) + 1);
        der = malloc((size_t)(e - b));
        if (!text || !der)
            return tdx_err_oom(err);
        for (const uint8_t *q = b; q < e; q++)
            if (!is_space(*q))
                text[n++] = (char)*q;
        text[n] = '\0';
        len = base64_decode(text, n, der, (size_t)(e - b));
        if (len <= 0)
            return tdx_err(err, -EBADMSG, "%s: certificate %d at byte %zu: invalid base64", what,
                           sk_X509_num(certs) + 1, (size_t)(p - data));
        r = push(certs, der_cert(der, (size_t)len), what, (size_t)(p - data), err);
        if (r < 0)
            return r;
        p = e + sizeof(pem_end) - 1;
    }
    /* NULs may pad the end (real quotes end their chain with one). */
    for (; p < end; p++)
        if (*p != '\0')
            return tdx_err(err, -EBADMSG, "%s: byte %zu: unexpected data after the last certificate",
                           what, (size_t)(p - data));
    return 0;
}

/* DER certificates back to back; each one's outer length says where the
 * next starts. */
static int parse_der(STACK_OF(X509) *certs, const uint8_t *data, size_t size, const char *what,
                     tdx_error *err)
{
    size_t off = 0;
    while (off < size) {
        const uint8_t *p = data + off;
        size_t left = size - off, len = 0, hdr = 2;
        int r;

        if (left < 2 || p[0] != 0x30 || p[1] == 0x80 || p[1] > 0x83)
            return tdx_err(err, -EBADMSG, "%s: byte %zu: expected a DER certificate", what, off);
        if (p[1] < 0x80) {
            len = p[1];
        } else {
            hdr += p[1] & 0x7f;
            if (hdr > left)
                return tdx_err(err, -EBADMSG, "%s: byte %zu: truncated DER length", what, off);
            for (size_t i = 2; i < hdr; i++)
                len = len << 8 | p[i];
        }
        if (len > left - hdr)
            return tdx_err(err, -EBADMSG, "%s: byte %zu: certificate length %zu exceeds the %zu bytes left",
                           what, off, len, left - hdr);
        r = push(certs, der_cert(p, hdr + len), what, off, err);
        if (r < 0)
            return r;
        off += hdr + len;
    }
    return 0;
}

int pki_parse_certs(const uint8_t *data, size_t size, enum pem_text text, const char *what,
                    STACK_OF(X509) **out, tdx_error *err)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    size_t i = 0;
    int r;

    if (!certs)
        return tdx_err_oom(err);
    while (i < size && is_space(data[i]))
        i++;
    if (i < size && data[i] == 0x30)
        r = parse_der(certs, data + i, size - i, what, err);
    else
        r = parse_pem(certs, data, size, text, what, err);
    if (r == 0 && sk_X509_num(certs) == 0)
        r = tdx_err(err, -EBADMSG, "%s: no certificate", what);
    ERR_clear_error();
    if (r < 0) {
        pki_free_certs(certs);
        return r;
    }
    *out = certs;
    return 0;
}

void pki_free_certs(STACK_OF(X509) *certs)
{
    sk_X509_pop_free(certs, X509_free);
}

int pki_load_root(const uint8_t *data, size_t size, const char *what, X509 **out, tdx_error *err)
{
    STACK_OF(X509) *certs = NULL;
    int n, r;

    r = pki_parse_certs(data, size, PEM_FILE, what, &certs, err);
    if (r < 0)
        return r;
    n = sk_X509_num(certs);
    if (n != 1) {
        pki_free_certs(certs);
        return tdx_err(err, -EINVAL, "%s: holds %d certificates, expected one root certificate", what, n);
    }
    *out = sk_X509_shift(certs);
    sk_X509_free(certs);
    return 0;
}

int pki_intel_root(X509 **out, tdx_error *err)
{
    uint8_t md[32];
    unsigned int len = 0;
    X509 *root = NULL;
    int r;

    r = pki_load_root((const uint8_t *)intel_root_pem, strlen(intel_root_pem), "built-in Intel SGX Root CA",
                      &root, err);
    if (r < 0)
        return r;
    if (!X509_digest(root, EVP_sha256(), md, &len) || len != 32 ||
        memcmp(md, intel_root_sha256, 32) != 0) {
        X509_free(root);
        return tdx_err(err, -EBADMSG, "built-in Intel SGX Root CA: SHA-256 fingerprint mismatch");
    }
    *out = root;
    return 0;
}

X509_CRL *pki_parse_crl(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509_CRL *crl = NULL;

    if (size > 0 && data[0] == 0x30) {
        crl = d2i_X509_CRL(NULL, &p, (long)size);
        if (crl && p != data + size) {
            X509_CRL_free(crl);
            crl = NULL;
        }
    } else if (size > 0 && data[0] == '-') {
        BIO *bio = BIO_new_mem_buf(data, (int)size);
        crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
    } else {
        /* hex: trailing whitespace allowed */
        size_t n = size;
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ uint8_t *der = NULL;
        int len;
        while (n > 0 && is_space(data[n - 1]))
            n--;
        text = malloc(n + 1);
        der = malloc(n / 2 + 1);
        if (text && der && n > 0) {
            memcpy(text, data, n);
            text[n] = '\0';
            len = hex_decode(text, der, n / 2 + 1);
            if (len > 0 && der[0] == 0x30)
                crl = pki_parse_crl(der, (size_t)len);
        }
    }
    ERR_clear_error();
    return crl;
}

EVP_PKEY *pki_p256_key(const uint8_t xy[64])
{
    uint8_t point[65] = { 0x04 };
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;

    memcpy(point + 1, xy, 64);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
    params[2] = OSSL_PARAM_construct_end();
    /* Importing the point checks that it lies on the curve. Not d2i_PUBKEY():
     * OpenSSL 3's decoder framework makes that ~6x slower, which is most of
     * a verification once the chain is cached. */
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return key;
}

bool pki_is_p256(EVP_PKEY *key)
{
    char group[32];
    size_t len = 0;
    return EVP_PKEY_is_a(key, "EC") &&
           EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) &&
           (streq(group, "prime256v1") || streq(group, "P-256"));
}

int pki_verify_p256(EVP_PKEY *key, const uint8_t sig[64], const uint8_t *msg, size_t size)
{
    uint8_t md[32], der[80], *q = der;
    unsigned int md_len = 0;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *sv = BN_bin2bn(sig + 32, 32, NULL);
    EVP_PKEY_CTX *ctx = NULL;
    int der_len, ok = -ENOMEM;

    if (!s || !r || !sv || !ECDSA_SIG_set0(s, r, sv)) {
        BN_free(r);
        BN_free(sv);
        goto out;
    }
    r = sv = NULL;
    der_len = i2d_ECDSA_SIG(s, &q);
    if (der_len <= 0 || !EVP_Digest(msg, size, md, &md_len, EVP_sha256(), NULL))
        goto out;
    ctx = EVP_PKEY_CTX_new(key, NULL);
    if (!ctx || EVP_PKEY_verify_init(ctx) <= 0 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0)
        goto out;
    ok = EVP_PKEY_verify(ctx, der, (size_t)der_len, md, md_len) == 1;
out:
    EVP_PKEY_CTX_free(ctx);
    ECDSA_SIG_free(s);
    ERR_clear_error();
    return ok;
}

void pki_name(const X509_NAME *name, char *buf, size_t size)
{
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    const ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)) : NULL;

    if (s && ASN1_STRING_length(s) > 0) {
        snprintf(buf, size, "CN=%.*s", ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
        for (char *p = buf; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
                *p = '?';
    } else {
        X509_NAME_oneline(name, buf, (int)size);
    }
}

int64_t pki_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return INT64_MIN;
    return (int64_t)timegm(&tm);
}

void pki_fingerprint(X509 *cert, char out[65])
{
    uint8_t md[32];
    unsigned int len = 0;
    if (!X509_digest(cert, EVP_sha256(), md, &len) || len != 32)
        memset(md, 0, sizeof(md));
    hex_encode(md, 32, out);
}

void pki_serial(const ASN1_INTEGER *serial, char *buf, size_t size)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    snprintf(buf, size, "%s", hex ? hex : "?");
    for (char *p = buf; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    OPENSSL_free(hex);
    BN_free(bn);
}

bool pki_same_cert(X509 *a, X509 *b)
{
    return X509_cmp(a, b) == 0;
}
