/* SPDX-License-Identifier: MIT */
#include "quote-check.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char why[256];

static const char *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return why;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

/* ECDSA-P256 r||s over SHA-256(data) against key. */
static int verify_rs(EVP_PKEY *key, const uint8_t *data, size_t n, const uint8_t rs[64])
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    unsigned char *der = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int len, ok = 0;

    if (sig && ECDSA_SIG_set0(sig, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL)) &&
        (len = i2d_ECDSA_SIG(sig, &der)) > 0 && ctx &&
        EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1)
        ok = EVP_DigestVerify(ctx, der, (size_t)len, data, n) == 1;
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(ctx);
    return ok;
}

static EVP_PKEY *raw_p256(const uint8_t xy[64])
{
    uint8_t point[65] = { 0x04 };
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    OSSL_PARAM params[3];

    memcpy(point + 1, xy, 64);
    params[0] = OSSL_PARAM_construct_utf8_string("group", (char *)"P-256", 0);
    params[1] = OSSL_PARAM_construct_octet_string("pub", point, sizeof(point));
    params[2] = OSSL_PARAM_construct_end();
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* Parses the PEM chain and verifies it up to the root in root_pem_path;
 * returns the leaf (PCK) certificate. */
static const char *check_chain(const uint8_t *pem, size_t n, const char *root_pem_path, X509 **leaf)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509 *certs[3] = { NULL }, *root = NULL;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    FILE *f = fopen(root_pem_path, "r");
    const char *r = NULL;
    int count = 0;

    while (count < 3 && (certs[count] = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
        count++;
    if (count != 3)
        r = fail("PCK chain holds %s certificates, expected 3", count == 0 ? "no" : "too few");
    if (!r && (!f || !(root = PEM_read_X509(f, NULL, NULL, NULL))))
        r = fail("cannot read the trusted root %s", root_pem_path);
    if (!r && X509_cmp(root, certs[2]) != 0)
        r = fail("%s", "the chain's last certificate is not the trusted root");
    if (!r) {
        X509_STORE_add_cert(store, root);
        sk_X509_push(untrusted, certs[1]);
        X509_STORE_CTX_init(ctx, store, certs[0], untrusted);
        if (X509_verify_cert(ctx) != 1)
            r = fail("PCK chain does not verify: %s",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    }
    if (!r) {
        *leaf = certs[0];
        certs[0] = NULL;
    }
    for (int i = 0; i < 3; i++)
        X509_free(certs[i]);
    X509_free(root);
    if (f)
        fclose(f);
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    BIO_free(bio);
    return r;
}

const char *quote_check(const uint8_t *q, size_t n, const char *root_pem_path,
                        const uint8_t report_data[64], const struct sim_measurements *m)
{
    static const uint8_t intel_vendor[16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                              0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };
    const uint8_t *s, *cert, *qe, *auth, *inner;
    uint32_t sig_len, cert_len, inner_len;
    uint16_t auth_len;
    uint8_t hash[32], hashed[64 + 256];
    EVP_PKEY *ak = NULL, *pck_key;
    X509 *pck = NULL;
    const char *r = NULL;

    if (n < 636)
        return fail("quote of %s bytes is shorter than header, body and length", "few");
    if (le16(q) != 4 || le16(q + 2) != 2 || le32(q + 4) != 0x81 || le32(q + 8) != 0)
        return fail("%s", "header: expected version 4, key type 2 (ECDSA P-256), TEE type 0x81");
    if (memcmp(q + 12, intel_vendor, 16) != 0)
        return fail("%s", "header: QE vendor id is not Intel's");
    if (report_data && memcmp(q + 568, report_data, 64) != 0)
        return fail("%s", "body: REPORTDATA differs from the request");
    if (m && (memcmp(q + 184, m->mrtd, 48) || memcmp(q + 376, m->rtmr[0], 48) ||
              memcmp(q + 424, m->rtmr[1], 48) || memcmp(q + 472, m->rtmr[2], 48) ||
              memcmp(q + 520, m->rtmr[3], 48) || memcmp(q + 168, m->td_attributes, 8) ||
              memcmp(q + 176, m->xfam, 8) || memcmp(q + 48, m->tee_tcb_svn, 16)))
        return fail("%s", "body: MRTD, RTMRs, attributes or TCB SVN differ from measurements.json");
    sig_len = le32(q + 632);
    if ((size_t)sig_len != n - 636)
        return fail("%s", "signature data length does not match the quote's size");
    s = q + 636;
    if (le16(s + 128) != 6)
        return fail("%s", "certification data type is not 6 (QE report)");
    cert_len = le32(s + 130);
    if ((size_t)cert_len + 134 != sig_len)
        return fail("%s", "certification data size is inconsistent");
    cert = s + 134;
    qe = cert;
    auth_len = le16(cert + 448);
    if (auth_len > 256 || (size_t)450 + auth_len + 6 > cert_len)
        return fail("%s", "QE auth data overruns the certification data");
    auth = cert + 450;
    inner = auth + auth_len;
    if (le16(inner) != 5)
        return fail("%s", "inner certification data type is not 5 (PCK chain)");
    inner_len = le32(inner + 2);
    if ((size_t)(inner + 6 - cert) + inner_len != cert_len)
        return fail("%s", "PCK chain size is inconsistent");
    if (inner_len == 0 || inner[6 + inner_len - 1] != '\0')
        return fail("%s", "PCK chain does not end in a NUL byte as real quotes do");

    ak = raw_p256(s + 64);
    if (!ak)
        return fail("%s", "attestation key is not a P-256 point");
    if (!verify_rs(ak, q, 632, s))
        r = fail("%s", "quote signature does not verify with the attestation key");
    memcpy(hashed, s + 64, 64);
    memcpy(hashed + 64, auth, auth_len);
    if (!r && (EVP_Digest(hashed, 64 + (size_t)auth_len, hash, NULL, EVP_sha256(), NULL) != 1 ||
               memcmp(qe + 320, hash, 32) != 0))
        r = fail("%s", "QE report data is not SHA-256(attestation key || auth data)");
    if (!r) {
        static const uint8_t zero[32];
        if (memcmp(qe + 352, zero, 32) != 0)
            r = fail("%s", "QE report data's second half is not zero");
    }
    if (!r)
        r = check_chain(inner + 6, inner_len, root_pem_path, &pck);
    if (!r) {
        pck_key = X509_get0_pubkey(pck);
        if (!pck_key || !verify_rs(pck_key, qe, 384, qe + 384))
            r = fail("%s", "QE report signature does not verify with the PCK key");
    }
    X509_free(pck);
    EVP_PKEY_free(ak);
    return r;
}
