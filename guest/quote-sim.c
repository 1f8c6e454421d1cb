/* SPDX-License-Identifier: MIT */
/*
 * The test-only quote simulator. It writes quotes in the real TDX v4 layout
 * (../shared/reference/agent.md §2) so the host verifier runs its normal
 * path on them, but every key comes from a test PKI directory (sim-pki.h):
 *
 *   header (48) | TD 1.0 body (584) | u32 signature data length
 *   | ECDSA-P256 r||s over header+body, by the attestation key
 *   | attestation public key X||Y
 *   | u16 6, u32 size: QE report (384) | its r||s by the "PCK" key
 *                    | u16 32, QE auth data (32)
 *                    | u16 5, u32 size: PEM chain PCK, intermediate, root, NUL
 *
 * with the QE report's report_data = SHA-256(attestation key || auth data)
 * followed by 32 zero bytes. Everything after the quote signature is the
 * same for every quote, so it is built once.
 */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "msg.h"
#include "quote-provider.h"
#include "sim-pki.h"
#include "strbuf.h"

#define HEADER_SIZE 48
#define BODY_SIZE 584
#define SIGNED_SIZE (HEADER_SIZE + BODY_SIZE)
#define QE_REPORT_SIZE 384
#define AUTH_DATA_SIZE 32

/* Body field offsets from the start of the quote. */
#define OFF_TEE_TCB_SVN 48
#define OFF_MRSEAM 64
#define OFF_TD_ATTRIBUTES 168
#define OFF_XFAM 176
#define OFF_MRTD 184
#define OFF_MRCONFIGID 232
#define OFF_MROWNER 280
#define OFF_MROWNERCONFIG 328
#define OFF_RTMR0 376
#define OFF_REPORT_DATA 568

static const uint8_t intel_qe_vendor_id[16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                                0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };

struct sim {
    struct quote_provider base;
    EVP_PKEY *attestation_key;
    uint8_t signed_template[SIGNED_SIZE];
    uint8_t attestation_pub[64];
    uint8_t *tail;        /* certification data, from its type field on */
    size_t tail_len;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static int ossl_fail(char *msg, size_t n, const char *what)
{
    return msgf(msg, n, -EIO, "%s: %s", what, ERR_reason_error_string(ERR_get_error()) ?: "OpenSSL error");
}

/* ECDSA-P256 over SHA-256(data), as 32-byte big-endian r and s. */
static int sign_rs(EVP_PKEY *key, const uint8_t *data, size_t n, uint8_t rs[64])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t der[80];
    size_t der_len = sizeof(der);
    const uint8_t *p = der;
    ECDSA_SIG *sig = NULL;
    const BIGNUM *r, *s;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(ctx, der, &der_len, data, n) == 1 &&
             (sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) != NULL;
    if (ok) {
        ECDSA_SIG_get0(sig, &r, &s);
        ok = BN_bn2binpad(r, rs, 32) == 32 && BN_bn2binpad(s, rs + 32, 32) == 32;
    }
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -EIO;
}

static int load_text(const char *dir, const char *name, char **text, size_t *len, char *msg,
                     size_t n)
{
    char path[4200];
    int r;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    r = read_file_bounded(path, SIM_PKI_FILE_MAX, text, len);
    if (r < 0)
        return msgf(msg, n, r, "%s: cannot read: %s", path, strerror(-r));
    return r;
}

static int load_key(const char *dir, const char *name, EVP_PKEY **key, char *msg, size_t n)
{
    char *pem = NULL;
    size_t len;
    BIO *bio;
    int r = load_text(dir, name, &pem, &len, msg, n);

    if (r < 0)
        return r;
    bio = BIO_new_mem_buf(pem, (int)len);
    *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (!*key || !EVP_PKEY_is_a(*key, "EC")) {
        msgf(msg, n, -EINVAL, "%s/%s: expected a PEM EC P-256 private key", dir, name);
        EVP_PKEY_free(*key);
        *key = NULL;
        return -EINVAL;
    }
    return 0;
}

static int public_xy(EVP_PKEY *key, uint8_t xy[64])
{
    BIGNUM *x = NULL, *y = NULL;
    int ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
             EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
             BN_bn2binpad(x, xy, 32) == 32 && BN_bn2binpad(y, xy + 32, 32) == 32;
    BN_free(x);
    BN_free(y);
    return ok ? 0 : -EIO;
}

static void fill_template(struct sim *s, const struct sim_measurements *m)
{
    uint8_t *q = s->signed_template;

    memset(q, 0, SIGNED_SIZE);
    put16(q, 4);                        /* version */
    put16(q + 2, 2);                    /* attestation key type: ECDSA-256 with P-256 */
    put32(q + 4, 0x81);                 /* TEE type: TDX */
    memcpy(q + 12, intel_qe_vendor_id, sizeof(intel_qe_vendor_id));
    memcpy(q + 28, "tdx-agent sim   ", 16);   /* user data: a marker any reader can see */
    memcpy(q + OFF_TEE_TCB_SVN, m->tee_tcb_svn, 16);
    memcpy(q + OFF_MRSEAM, m->mrseam, 48);
    memcpy(q + OFF_TD_ATTRIBUTES, m->td_attributes, 8);
    memcpy(q + OFF_XFAM, m->xfam, 8);
    memcpy(q + OFF_MRTD, m->mrtd, 48);
    memcpy(q + OFF_MRCONFIGID, m->mrconfigid, 48);
    memcpy(q + OFF_MROWNER, m->mrowner, 48);
    memcpy(q + OFF_MROWNERCONFIG, m->mrownerconfig, 48);
    for (int i = 0; i < 4; i++)
        memcpy(q + OFF_RTMR0 + 48 * i, m->rtmr[i], 48);
}

/* The QE report certification data: constant for a given attestation key. */
static int build_tail(struct sim *s, EVP_PKEY *pck, const char *chain, size_t chain_len,
                      char *msg, size_t n)
{
    size_t qe_data = QE_REPORT_SIZE + 64 + 2 + AUTH_DATA_SIZE + 2 + 4 + chain_len + 1;
    uint8_t auth[AUTH_DATA_SIZE], hashed[64 + AUTH_DATA_SIZE], *p;

    s->tail_len = 2 + 4 + qe_data;
    s->tail = calloc(1, s->tail_len);
    if (!s->tail) {
        return msgf(msg, n, -ENOMEM, "out of memory");
    }
    for (int i = 0; i < AUTH_DATA_SIZE; i++)
        auth[i] = (uint8_t)i;
    p = s->tail;
    put16(p, 6);
    put32(p + 2, (uint32_t)qe_data);
    p += 6;

    /* QE report (sgx_report_body_t): fixed, recognisable field values. */
    memset(p, 0x5a, 16);                              /* cpu_svn */
    p[48] = 0x11;                                     /* attributes: INIT | MODE64BIT */
    memset(p + 64, 0xa5, 32);                         /* mr_enclave */
    memset(p + 128, 0x3c, 32);                        /* mr_signer */
    put16(p + 256, 2);                                /* isv_prod_id: TD quoting enclave */
    put16(p + 258, 8);                                /* isv_svn */
    memcpy(hashed, s->attestation_pub, 64);
    memcpy(hashed + 64, auth, AUTH_DATA_SIZE);
    if (EVP_Digest(hashed, sizeof(hashed), p + 320, NULL, EVP_sha256(), NULL) != 1 ||
        sign_rs(pck, p, QE_REPORT_SIZE, p + QE_REPORT_SIZE) < 0)
        return ossl_fail(msg, n, "signing the simulated QE report");
    p += QE_REPORT_SIZE + 64;
    put16(p, AUTH_DATA_SIZE);
    memcpy(p + 2, auth, AUTH_DATA_SIZE);
    p += 2 + AUTH_DATA_SIZE;
    put16(p, 5);
    put32(p + 2, (uint32_t)(chain_len + 1));
    memcpy(p + 6, chain, chain_len);   /* and a NUL, as real quotes end their chain */
    return 0;
}

/* PCK, intermediate and root certificates, concatenated; the PCK certificate
 * must belong to the PCK key. */
static int load_chain(const char *dir, EVP_PKEY *pck, strbuf *chain, char *msg, size_t n)
{
    static const char *const names[] = { SIM_PKI_PCK_CERT, SIM_PKI_INTERMEDIATE_CERT,
                                         SIM_PKI_ROOT_CERT };
    for (size_t i = 0; i < ELEMENTSOF(names); i++) {
        char *pem = NULL;
        size_t len;
        int r = load_text(dir, names[i], &pem, &len, msg, n);
        if (r < 0)
            return r;
        if (i == 0) {
            BIO *bio = BIO_new_mem_buf(pem, (int)len);
            X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
            bool match = cert && X509_check_private_key(cert, pck) == 1;
            X509_free(cert);
            BIO_free(bio);
            if (!match) {
                free(pem);
                return msgf(msg, n, -EINVAL, "%s/%s: not a certificate of %s", dir, names[i],
                            SIM_PKI_PCK_KEY);
            }
        }
        strbuf_append(chain, pem, len);
        free(pem);
    }
    return strbuf_error(chain);
}

static int sim_get(struct quote_provider *p, const uint8_t report_data[REPORT_DATA_SIZE],
                   uint8_t **quote, size_t *len, char *msg, size_t msg_size)
{
    struct sim *s = (struct sim *)p;
    size_t n = SIGNED_SIZE + 4 + 128 + s->tail_len;
    uint8_t *q = malloc(n);

    if (!q) {
        return msgf(msg, msg_size, -ENOMEM, "out of memory");
    }
    memcpy(q, s->signed_template, SIGNED_SIZE);
    memcpy(q + OFF_REPORT_DATA, report_data, REPORT_DATA_SIZE);
    put32(q + SIGNED_SIZE, (uint32_t)(128 + s->tail_len));
    if (sign_rs(s->attestation_key, q, SIGNED_SIZE, q + SIGNED_SIZE + 4) < 0) {
        free(q);
        return ossl_fail(msg, msg_size, "signing the simulated quote");
    }
    memcpy(q + SIGNED_SIZE + 4 + 64, s->attestation_pub, 64);
    memcpy(q + SIGNED_SIZE + 4 + 128, s->tail, s->tail_len);
    log_warning("SIMULATED quote issued (sim provider, test PKI): it proves nothing about this "
                "machine");
    *quote = q;
    *len = n;
    return 0;
}

static void sim_free(struct quote_provider *p)
{
    struct sim *s = (struct sim *)p;
    EVP_PKEY_free(s->attestation_key);
    free(s->tail);
    free(s);
}

int quote_sim_new(const char *dir, struct quote_provider **out, char *msg, size_t msg_size)
{
    struct sim *s = calloc(1, sizeof(*s));
    struct sim_measurements m;
    strbuf chain = STRBUF_INIT;
    EVP_PKEY *pck = NULL;
    char *text = NULL, label[4200];
    size_t len;
    int r;

    if (!s) {
        return msgf(msg, msg_size, -ENOMEM, "out of memory");
    }
    s->base.name = "sim";
    s->base.simulated = true;
    s->base.get = sim_get;
    s->base.free = sim_free;

    sim_measurements_default(&m);
    snprintf(label, sizeof(label), "%s/%s", dir, SIM_PKI_MEASUREMENTS);
    r = load_text(dir, SIM_PKI_MEASUREMENTS, &text, &len, msg, msg_size);
    if (r >= 0)
        r = sim_measurements_parse(label, text, len, &m, msg, msg_size);
    free(text);
    if (r >= 0)
        r = load_key(dir, SIM_PKI_ATTESTATION_KEY, &s->attestation_key, msg, msg_size);
    if (r >= 0)
        r = load_key(dir, SIM_PKI_PCK_KEY, &pck, msg, msg_size);
    if (r >= 0 && public_xy(s->attestation_key, s->attestation_pub) < 0)
        r = ossl_fail(msg, msg_size, "reading the attestation public key");
    if (r >= 0)
        r = load_chain(dir, pck, &chain, msg, msg_size);
    if (r >= 0) {
        fill_template(s, &m);
        r = build_tail(s, pck, strbuf_str(&chain), chain.len, msg, msg_size);
    }
    EVP_PKEY_free(pck);
    strbuf_free(&chain);
    if (r < 0) {
        sim_free(&s->base);
        return r;
    }
    *out = &s->base;
    return 0;
}
