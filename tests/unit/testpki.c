/* SPDX-License-Identifier: MIT */
#include "testpki.h"

#include <check.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hex.h"

/* Intel's QE MRSIGNER, so collateral written like Intel's reads naturally. */
static const uint8_t qe_mrsigner[32] = {
    0xdc, 0x9e, 0x2a, 0x7c, 0x6f, 0x94, 0x8f, 0x17, 0x47, 0x4e, 0x34, 0xa7, 0xfc, 0x43, 0xed, 0x03,
    0x0f, 0x7c, 0x15, 0x63, 0xf1, 0xba, 0xbd, 0xdf, 0x63, 0x40, 0xc8, 0x2e, 0x0e, 0x54, 0xa8, 0xc5,
};
static const uint8_t intel_vendor[16] = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07,
};

struct bytes {
    uint8_t *p;
    size_t n;
};

static void put(struct bytes *b, const void *data, size_t n)
{
    b->p = realloc(b->p, b->n + n + 1);
    ck_assert_ptr_nonnull(b->p);
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_u16(struct bytes *b, uint16_t v)
{
    uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    put(b, x, 2);
}

static void put_u32(struct bytes *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    put(b, x, 4);
}

/* tag, DER length, content (content is freed). */
static struct bytes tlv(uint8_t tag, struct bytes content)
{
    struct bytes out = { NULL, 0 };
    uint8_t hdr[4] = { tag };
    size_t h = 2;
    if (content.n < 0x80) {
        hdr[1] = (uint8_t)content.n;
    } else if (content.n < 0x100) {
        hdr[1] = 0x81;
        hdr[2] = (uint8_t)content.n;
        h = 3;
    } else {
        hdr[1] = 0x82;
        hdr[2] = (uint8_t)(content.n >> 8);
        hdr[3] = (uint8_t)content.n;
        h = 4;
    }
    put(&out, hdr, h);
    put(&out, content.p, content.n);
    free(content.p);
    return out;
}

static struct bytes raw(const void *p, size_t n)
{
    struct bytes b = { NULL, 0 };
    put(&b, p, n);
    return b;
}

static struct bytes sgx_oid(int a, int b)
{
    uint8_t oid[11] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01, (uint8_t)a, (uint8_t)b };
    return tlv(0x06, raw(oid, b ? 11 : 10));
}

static struct bytes der_int(unsigned v)
{
    uint8_t x[3];
    size_t n = 0;
    if (v >= 0x8000)
        x[n++] = (uint8_t)(v >> 16);
    if (v >= 0x80)
        x[n++] = (uint8_t)(v >> 8);
    x[n++] = (uint8_t)v;
    if (x[0] & 0x80) {
        uint8_t y[4] = { 0 };
        memcpy(y + 1, x, n);
        return tlv(0x02, raw(y, n + 1));
    }
    return tlv(0x02, raw(x, n));
}

static struct bytes cat(struct bytes a, struct bytes b)
{
    put(&a, b.p, b.n);
    free(b.p);
    return a;
}

static struct bytes pair(struct bytes oid, struct bytes value)
{
    return tlv(0x30, cat(oid, value));
}

static struct bytes sgx_extension(const struct testpki_options *o)
{
    struct bytes tcb = { NULL, 0 }, all = { NULL, 0 };
    uint8_t ppid[16] = { 1, 2, 3 }, sgx_type = 0;

    for (int i = 0; i < 16; i++)
        tcb = cat(tcb, pair(sgx_oid(2, i + 1), der_int(o->comp[i])));
    tcb = cat(tcb, pair(sgx_oid(2, 17), der_int(o->pcesvn)));
    tcb = cat(tcb, pair(sgx_oid(2, 18), tlv(0x04, raw(o->comp, 16))));
    all = cat(all, pair(sgx_oid(1, 0), tlv(0x04, raw(ppid, 16))));
    all = cat(all, pair(sgx_oid(2, 0), tlv(0x30, tcb)));
    all = cat(all, pair(sgx_oid(3, 0), tlv(0x04, raw(o->pceid, 2))));
    all = cat(all, pair(sgx_oid(4, 0), tlv(0x04, raw(o->fmspc, 6))));
    all = cat(all, pair(sgx_oid(5, 0), tlv(0x0a, raw(&sgx_type, 1))));
    return tlv(0x30, all);
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *e;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ck_assert_ptr_nonnull(e);
    ck_assert(X509_add_ext(x, e, -1));
    X509_EXTENSION_free(e);
}

static X509 *make_cert(const char *cn, X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, bool ca,
                       const struct testpki_options *o, long serial, bool sgx, const char *crl_url)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();

    ck_assert(X509_set_version(x, 2));
    ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"libtdxhost tests", -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_NAME_free(name);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)o->not_before);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)o->not_after);
    X509_set_pubkey(x, key);
    add_ext(x, issuer ? issuer : x, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_ext(x, issuer ? issuer : x, NID_key_usage,
            ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
    add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
    if (crl_url) {
        char dp[512];
        snprintf(dp, sizeof(dp), "URI:%s", crl_url);
        add_ext(x, issuer ? issuer : x, NID_crl_distribution_points, dp);
    }
    if (sgx) {
        struct bytes der = sgx_extension(o);
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
        ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
        X509_EXTENSION *e;
        ASN1_OCTET_STRING_set(os, der.p, (int)der.n);
        e = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
        ck_assert(X509_add_ext(x, e, -1));
        X509_EXTENSION_free(e);
        ASN1_OBJECT_free(oid);
        ASN1_OCTET_STRING_free(os);
        free(der.p);
    }
    ck_assert(X509_sign(x, issuer_key, EVP_sha256()) > 0);
    return x;
}

void testpki_init(struct testpki *p, const struct testpki_options *opts)
{
    struct testpki_options o = *opts;
    time_t now = time(NULL);

    if (!o.not_before && !o.not_after) {
        o.not_before = now - 86400;
        o.not_after = now + 10LL * 365 * 86400;
    }
    memset(p, 0, sizeof(*p));
    p->root_key = EVP_EC_gen("P-256");
    p->ca_key = EVP_EC_gen("P-256");
    p->pck_key = EVP_EC_gen("P-256");
    p->tcb_key = EVP_EC_gen("P-256");
    p->att_key = EVP_EC_gen("P-256");
    ck_assert(p->root_key && p->ca_key && p->pck_key && p->tcb_key && p->att_key);
    p->root = make_cert("Test SGX Root CA", NULL, p->root_key, p->root_key, true, &o, 1, false, o.root_crl_url);
    p->ca = make_cert("Test SGX PCK Platform CA", p->root, p->root_key, p->ca_key, true, &o, 2, false, NULL);
    p->pck = make_cert("Test SGX PCK Certificate", p->ca, p->ca_key, p->pck_key, false, &o, 3,
                       !o.no_sgx_extension, NULL);
    p->tcb = make_cert("Test SGX TCB Signing", p->root, p->root_key, p->tcb_key, false, &o, 4, false, NULL);
}

void testpki_free(struct testpki *p)
{
    EVP_PKEY_free(p->root_key);
    EVP_PKEY_free(p->ca_key);
    EVP_PKEY_free(p->pck_key);
    EVP_PKEY_free(p->tcb_key);
    EVP_PKEY_free(p->att_key);
    X509_free(p->root);
    X509_free(p->ca);
    X509_free(p->pck);
    X509_free(p->tcb);
}

char *testpki_pem(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out;
    long n;
    PEM_write_bio_X509(bio, cert);
    n = BIO_get_mem_data(bio, &data);
    /* Not strndup(): the BIO's memory has no NUL after the text. */
    out = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(out);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    BIO_free(bio);
    return out;
}

void testpki_sign_raw(EVP_PKEY *key, const void *msg, size_t size, uint8_t sig[64])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t der[128];
    const uint8_t *p = der;
    size_t len = sizeof(der);
    ECDSA_SIG *s;
    const BIGNUM *r, *sv;

    ck_assert(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1);
    ck_assert(EVP_DigestSign(ctx, der, &len, msg, size) == 1);
    s = d2i_ECDSA_SIG(NULL, &p, (long)len);
    ck_assert_ptr_nonnull(s);
    ECDSA_SIG_get0(s, &r, &sv);
    BN_bn2binpad(r, sig, 32);
    BN_bn2binpad(sv, sig + 32, 32);
    ECDSA_SIG_free(s);
    EVP_MD_CTX_free(ctx);
}

static void raw_pubkey(EVP_PKEY *key, uint8_t xy[64])
{
    unsigned char *enc = NULL;
    size_t n = EVP_PKEY_get1_encoded_public_key(key, &enc);
    ck_assert_uint_eq(n, 65);
    memcpy(xy, enc + 1, 64);
    OPENSSL_free(enc);
}

void testquote_init(struct testquote *q)
{
    memset(q, 0, sizeof(*q));
    q->version = 4;
    q->body_type = 2;
    q->body[120 + 3] = 0x10;        /* TDATTRIBUTES: SEPT_VE_DISABLE (bit 28) */
    q->body[128] = 0xe7;            /* XFAM */
    q->body[128 + 1] = 0x02;
    q->body[128 + 2] = 0x06;
    memcpy(q->qe_report + 128, qe_mrsigner, 32);
    q->qe_report[48] = 0x15;        /* QE attributes as Intel's QE has them */
    q->qe_report[56] = 0xe7;
    q->qe_report[256] = 2;          /* ISVPRODID */
    q->qe_report[258] = 8;          /* ISVSVN */
    for (int i = 0; i < 32; i++)
        q->auth_data[i] = (uint8_t)i;
    q->auth_len = 32;
    q->order[0] = 0;
    q->order[1] = 1;
    q->order[2] = 2;
}

static struct bytes chain_bytes(struct testpki *p, const struct testquote *q)
{
    X509 *certs[3] = { p->pck, p->ca, p->root };
    struct bytes b = { NULL, 0 };
    for (int i = 0; i < 3; i++) {
        X509 *x = certs[q->order[i]];
        if (q->der_chain) {
            unsigned char *der = NULL;
            int n = i2d_X509(x, &der);
            put(&b, der, (size_t)n);
            OPENSSL_free(der);
        } else {
            char *pem = testpki_pem(x);
            put(&b, pem, strlen(pem));
            free(pem);
        }
    }
    if (!q->der_chain)
        put(&b, "", 1);
    return b;
}

uint8_t *testpki_quote(struct testpki *p, const struct testquote *q, size_t *size)
{
    struct bytes out = { NULL, 0 }, chain = chain_bytes(p, q);
    size_t body_size = q->body_type == 3 ? 648 : 584;
    uint8_t qe[384], att[64], sig[64], qe_sig[64], user[20] = { 0 }, zero4[4] = { 0 };
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    put_u16(&out, (uint16_t)q->version);
    put_u16(&out, 2);
    put_u32(&out, 0x81);
    put(&out, zero4, 4);
    put(&out, intel_vendor, 16);
    put(&out, user, 20);
    if (q->version == 5) {
        put_u16(&out, (uint16_t)q->body_type);
        put_u32(&out, (uint32_t)body_size);
    }
    put(&out, q->body, body_size);

    raw_pubkey(p->att_key, att);
    if (q->att_key)
        memcpy(att, q->att_key, 64);
    memcpy(qe, q->qe_report, 384);
    memset(qe + 320, 0, 64);
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, att, 64);
    EVP_DigestUpdate(md, q->auth_data, q->auth_len);
    EVP_DigestFinal_ex(md, qe + 320, NULL);
    EVP_MD_CTX_free(md);
    testpki_sign_raw(p->att_key, out.p, out.n, sig);
    testpki_sign_raw(p->pck_key, qe, 384, qe_sig);

    put_u32(&out, (uint32_t)(64 + 64 + 6 + 384 + 64 + 2 + q->auth_len + 6 + chain.n));
    put(&out, sig, 64);
    put(&out, att, 64);
    put_u16(&out, 6);
    put_u32(&out, (uint32_t)(384 + 64 + 2 + q->auth_len + 6 + chain.n));
    put(&out, qe, 384);
    put(&out, qe_sig, 64);
    put_u16(&out, (uint16_t)q->auth_len);
    put(&out, q->auth_data, q->auth_len);
    put_u16(&out, 5);
    put_u32(&out, (uint32_t)chain.n);
    put(&out, chain.p, chain.n);
    for (size_t i = 0; i < q->trailing; i++)
        put(&out, "", 1);
    free(chain.p);
    *size = out.n;
    return out.p;
}

char *testpki_sign_json(struct testpki *p, const char *member, const char *text)
{
    uint8_t sig[64];
    char hex[129], *out = NULL;
    testpki_sign_raw(p->tcb_key, text, strlen(text), sig);
    hex_encode(sig, 64, hex);
    ck_assert(asprintf(&out, "{\"%s\":%s,\"signature\":\"%s\"}", member, text, hex) > 0);
    return out;
}

uint8_t *testpki_crl(X509 *issuer, EVP_PKEY *key, X509 *const *revoked, size_t n, int64_t this_update,
                     int64_t next_update, size_t *size)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *t = ASN1_TIME_new();
    unsigned char *der = NULL;
    int len;

    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
    ASN1_TIME_set(t, (time_t)this_update);
    X509_CRL_set1_lastUpdate(crl, t);
    ASN1_TIME_set(t, (time_t)next_update);
    X509_CRL_set1_nextUpdate(crl, t);
    for (size_t i = 0; i < n; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked[i]));
        ASN1_TIME_set(t, (time_t)this_update);
        X509_REVOKED_set_revocationDate(r, t);
        X509_CRL_add0_revoked(crl, r);
    }
    X509_CRL_sort(crl);
    ck_assert(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
    len = i2d_X509_CRL(crl, &der);
    ck_assert_int_gt(len, 0);
    *size = (size_t)len;
    {
        uint8_t *copy = malloc((size_t)len);
        memcpy(copy, der, (size_t)len);
        OPENSSL_free(der);
        der = copy;
    }
    ASN1_TIME_free(t);
    X509_CRL_free(crl);
    return der;
}
