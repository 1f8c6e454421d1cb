/* SPDX-License-Identifier: MIT */
/*
 * tdx_sim_pki_create(): a root CA, an intermediate CA, a "PCK" certificate
 * and an attestation key, all ECDSA P-256, shaped like Intel's chain
 * (names, extensions, the SGX extension of PCK certificates) so verifiers
 * written for real quotes take the simulator's path through the same code.
 * The organisation of every certificate says it is a simulation.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emit/tree.h"
#include "error.h"
#include "hex.h"
#include "json-text.h"
#include "sim-pki.h"
#include "strbuf.h"
#include "tdxhost/sim.h"

#define SGX_EXT_OID "1.2.840.113741.1.13.1"

static int ossl_err(tdx_error *err, const char *what)
{
    unsigned long e = ERR_get_error();
    return tdx_err_lib(err, -EIO, TDX_ERROR_LIBRARY_OPENSSL, (long)e, "sim-pki: %s: %s", what,
                       e ? ERR_reason_error_string(e) : "OpenSSL error");
}

/* DER: tag, length, content. */
static void der(strbuf *out, uint8_t tag, const void *content, size_t n)
{
    uint8_t head[4] = { tag };
    size_t h = 2;
    if (n < 0x80) {
        head[1] = (uint8_t)n;
    } else if (n < 0x100) {
        head[1] = 0x81;
        head[2] = (uint8_t)n;
        h = 3;
    } else {
        head[1] = 0x82;
        head[2] = (uint8_t)(n >> 8);
        head[3] = (uint8_t)n;
        h = 4;
    }
    strbuf_append(out, head, h);
    strbuf_append(out, content, n);
}

static void der_oid(strbuf *out, const char *dotted)
{
    ASN1_OBJECT *o = OBJ_txt2obj(dotted, 1);
    unsigned char *p = NULL;
    int n = o ? i2d_ASN1_OBJECT(o, &p) : -1;
    if (n > 0)
        strbuf_append(out, p, (size_t)n);
    else
        out->failed = -EIO;
    OPENSSL_free(p);
    ASN1_OBJECT_free(o);
}

/* SEQUENCE { OID, value } where value is already DER. */
static void der_pair(strbuf *out, const char *oid, const strbuf *value)
{
    strbuf inner = STRBUF_INIT;
    der_oid(&inner, oid);
    strbuf_append(&inner, value->data, value->len);
    der(out, 0x30, inner.data, inner.len);
    if (inner.failed || value->failed)
        out->failed = -ENOMEM;
    strbuf_free(&inner);
}

static void der_pair_bytes(strbuf *out, const char *oid, uint8_t tag, const void *v, size_t n)
{
    strbuf value = STRBUF_INIT;
    der(&value, tag, v, n);
    der_pair(out, oid, &value);
    strbuf_free(&value);
}

/* Intel's SGX extension of PCK certificates: PPID, TCB (16 component SVNs,
 * PCESVN, CPUSVN), PCE-ID, FMSPC, SGX type. */
static int sgx_extension(strbuf *out)
{
    static const uint8_t ppid[16] = { 0x53, 0x49, 0x4d }, pceid[2] = { 0 },
                         fmspc[6] = { 0x53, 0x49, 0x4d }, type = 0;   /* "SIM" */
    uint8_t cpusvn[16];
    strbuf items = STRBUF_INIT, tcb = STRBUF_INIT, seq = STRBUF_INIT;
    char oid[64];

    for (int i = 0; i < 16; i++) {
        uint8_t svn = (uint8_t)(i < 2 ? 3 : 1);
        cpusvn[i] = svn;
        snprintf(oid, sizeof(oid), SGX_EXT_OID ".2.%d", i + 1);
        der_pair_bytes(&tcb, oid, 0x02, &svn, 1);
    }
    {
        static const uint8_t pcesvn = 13;
        der_pair_bytes(&tcb, SGX_EXT_OID ".2.17", 0x02, &pcesvn, 1);
    }
    der_pair_bytes(&tcb, SGX_EXT_OID ".2.18", 0x04, cpusvn, sizeof(cpusvn));
    der(&seq, 0x30, tcb.data, tcb.len);

    der_pair_bytes(&items, SGX_EXT_OID ".1", 0x04, ppid, sizeof(ppid));
    der_pair(&items, SGX_EXT_OID ".2", &seq);
    der_pair_bytes(&items, SGX_EXT_OID ".3", 0x04, pceid, sizeof(pceid));
    der_pair_bytes(&items, SGX_EXT_OID ".4", 0x04, fmspc, sizeof(fmspc));
    der_pair_bytes(&items, SGX_EXT_OID ".5", 0x0a, &type, 1);
    der(out, 0x30, items.data, items.len);
    int r = items.failed || tcb.failed || seq.failed || out->failed ? -ENOMEM : 0;
    strbuf_free(&items);
    strbuf_free(&tcb);
    strbuf_free(&seq);
    return r;
}

static X509_NAME *name_for(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    if (n && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
        X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)SIM_PKI_ORG, -1, -1, 0) &&
        X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"US", -1, -1, 0))
        return n;
    X509_NAME_free(n);
    return NULL;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ok = ext && X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -EIO;
}

enum cert_kind { CERT_ROOT, CERT_INTERMEDIATE, CERT_PCK };

/* A certificate for key, signed by issuer_key (the key itself for the root). */
static X509 *make_cert(enum cert_kind kind, const char *cn, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key)
{
    X509 *c = X509_new();
    X509_NAME *subject = name_for(cn);
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    ASN1_INTEGER *sn = NULL;
    strbuf sgx = STRBUF_INIT;
    int ok = c && subject && RAND_bytes(serial, sizeof(serial)) == 1;

    serial[0] &= 0x7f;   /* positive */
    ok = ok && (bn = BN_bin2bn(serial, sizeof(serial), NULL)) && (sn = BN_to_ASN1_INTEGER(bn, NULL)) &&
         X509_set_version(c, 2) && X509_set_serialNumber(c, sn) &&
         X509_set_subject_name(c, subject) &&
         X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : subject) &&
         ASN1_TIME_set_string(X509_getm_notBefore(c), "20200101000000Z") &&
         ASN1_TIME_set_string(X509_getm_notAfter(c), "20491231235959Z") &&
         X509_set_pubkey(c, key);
    if (ok && kind != CERT_PCK)
        ok = add_ext(c, issuer ? issuer : c, NID_basic_constraints,
                     kind == CERT_ROOT ? "critical,CA:TRUE,pathlen:1" : "critical,CA:TRUE,pathlen:0") == 0 &&
             add_ext(c, issuer ? issuer : c, NID_key_usage, "critical,keyCertSign,cRLSign") == 0;
    if (ok && kind == CERT_PCK)
        ok = add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
             add_ext(c, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation") == 0;
    ok = ok && add_ext(c, issuer ? issuer : c, NID_subject_key_identifier, "hash") == 0;
    if (ok && issuer)
        ok = add_ext(c, issuer, NID_authority_key_identifier, "keyid:always") == 0;
    if (ok && kind == CERT_PCK) {
        ASN1_OBJECT *oid = OBJ_txt2obj(SGX_EXT_OID, 1);
        ASN1_OCTET_STRING *data = ASN1_OCTET_STRING_new();
        X509_EXTENSION *ext = NULL;
        ok = oid && data && sgx_extension(&sgx) == 0 &&
             ASN1_OCTET_STRING_set(data, (unsigned char *)sgx.data, (int)sgx.len) &&
             (ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, data)) && X509_add_ext(c, ext, -1);
        X509_EXTENSION_free(ext);
        ASN1_OCTET_STRING_free(data);
        ASN1_OBJECT_free(oid);
    }
    ok = ok && X509_sign(c, issuer_key, EVP_sha256()) > 0;
    strbuf_free(&sgx);
    ASN1_INTEGER_free(sn);
    BN_free(bn);
    X509_NAME_free(subject);
    if (!ok) {
        X509_free(c);
        return NULL;
    }
    return c;
}

/* Adds PEM text written by fn(bio, obj) to the tree. */
static int add_pem(struct tree *t, const char *name, unsigned mode, X509 *cert, EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long n;
    int ok = bio && (cert ? PEM_write_bio_X509(bio, cert)
                          : PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL));
    int r = -EIO;

    if (ok && (n = BIO_get_mem_data(bio, &data)) > 0)
        r = tree_add_data(t, name, data, (size_t)n, mode);
    BIO_free(bio);   /* BIO_s_mem clears its buffer when freed */
    return r;
}

/* {"registers": {"mrtd": HEX, "rtmr0": HEX, ...}}: what a verifier of the
 * simulated TD expects (tdx_expected_load_file()). */
static char *expected_json(const struct sim_measurements *m)
{
    char hex[5][2 * 48 + 1], *text;
    json_t *o;

    hex_encode(m->mrtd, 48, hex[0]);
    for (int i = 0; i < 4; i++)
        hex_encode(m->rtmr[i], 48, hex[i + 1]);
    o = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}}", "registers", "mrtd", hex[0], "rtmr0", hex[1],
                  "rtmr1", hex[2], "rtmr2", hex[3], "rtmr3", hex[4]);
    text = o ? json_canonical_text(o) : NULL;
    json_decref(o);
    return text;
}

int tdx_sim_pki_create(const char *dir, const tdx_sim_pki_options *opts, tdx_error *err)
{
    static const char *const key_files[] = { SIM_PKI_ROOT_KEY, SIM_PKI_INTERMEDIATE_KEY,
                                             SIM_PKI_PCK_KEY, SIM_PKI_ATTESTATION_KEY };
    static const char *const cert_files[] = { SIM_PKI_ROOT_CERT, SIM_PKI_INTERMEDIATE_CERT,
                                              SIM_PKI_PCK_CERT };
    EVP_PKEY *keys[4] = { NULL };
    X509 *certs[3] = { NULL };
    struct sim_measurements m;
    struct tree t = TREE_INIT;
    char *measurements;
    int r = 0;

    tdx_check_arg(dir, err);
    tdx_check_options(opts, TDX_SIM_PKI_OPTIONS_VERSION, err);
    sim_measurements_default(&m);
    if (opts && opts->mrtd)
        memcpy(m.mrtd, opts->mrtd, sizeof(m.mrtd));
    for (int i = 0; opts && i < 4; i++)
        if (opts->rtmr[i])
            memcpy(m.rtmr[i], opts->rtmr[i], sizeof(m.rtmr[i]));

    for (int i = 0; i < 4 && r == 0; i++)
        if (!(keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")))
            r = ossl_err(err, "generating a P-256 key");
    if (r == 0 && !(certs[0] = make_cert(CERT_ROOT, "Intel SGX Root CA", keys[0], NULL, keys[0])))
        r = ossl_err(err, "making the root certificate");
    if (r == 0 && !(certs[1] = make_cert(CERT_INTERMEDIATE, "Intel SGX PCK Platform CA", keys[1],
                                         certs[0], keys[0])))
        r = ossl_err(err, "making the intermediate certificate");
    if (r == 0 && !(certs[2] = make_cert(CERT_PCK, "Intel SGX PCK Certificate", keys[2], certs[1],
                                         keys[1])))
        r = ossl_err(err, "making the PCK certificate");
    for (int i = 0; i < 4 && r == 0; i++)
        if ((r = add_pem(&t, key_files[i], 0600, NULL, keys[i])) < 0)
            r = ossl_err(err, "writing a key");
    for (int i = 0; i < 3 && r == 0; i++)
        if ((r = add_pem(&t, cert_files[i], 0644, certs[i], NULL)) < 0)
            r = ossl_err(err, "writing a certificate");
    if (r == 0) {
        measurements = sim_measurements_format(&m);
        r = measurements ? tree_add_take(&t, SIM_PKI_MEASUREMENTS, measurements,
                                         strlen(measurements), 0644)
                         : -ENOMEM;
        if (r < 0)
            r = tdx_err_oom(err);
    }
    if (r == 0) {
        char *expected = expected_json(&m);
        r = expected ? tree_add_take(&t, SIM_PKI_EXPECTED, expected, strlen(expected), 0644)
                     : -ENOMEM;
        if (r < 0)
            r = tdx_err_oom(err);
    }
    if (r == 0)
        r = tree_write(&t, dir, false, time(NULL), err);
    /* tree_write()'s hint names emit's --force, which dev sim-pki does not
     * take: a PKI is never written over (its keys may be in use). */
    if (r == -EEXIST)
        r = tdx_err(err, r, "%s exists and is not empty; a test PKI goes into a new directory "
                    "(remove this one first to make it again)", dir);
    for (int i = 0; i < 4; i++)
        EVP_PKEY_free(keys[i]);
    for (int i = 0; i < 3; i++)
        X509_free(certs[i]);
    /* The tree held private keys in memory. */
    for (size_t i = 0; i < t.entries.n; i++) {
        struct tree_entry *e = t.entries.items[i];
        if (e->data)
            OPENSSL_cleanse(e->data, e->size);
    }
    tree_free(&t);
    return r;
}
