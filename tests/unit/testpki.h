/* SPDX-License-Identifier: MIT */
/*
 * A test PKI shaped like Intel's (root -> PCK CA -> PCK certificate with the
 * SGX extension; root -> TCB signing certificate) and the means to sign TDX
 * quotes, TCB info, QE identities and CRLs with it. Everything is made with
 * OpenSSL at run time; nothing here is a fixed answer.
 */
#ifndef TDX_TESTS_TESTPKI_H
#define TDX_TESTS_TESTPKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct testpki_options {
    int64_t not_before, not_after;      /* every certificate; 0: now - 1 day .. now + 10 years */
    uint8_t fmspc[6];
    uint8_t pceid[2];
    uint8_t comp[16];                   /* PCK SGX TCB components */
    uint16_t pcesvn;
    bool no_sgx_extension;
    const char *root_crl_url;           /* CRL distribution point of the root, optional */
};

struct testpki {
    EVP_PKEY *root_key, *ca_key, *pck_key, *tcb_key, *att_key;
    X509 *root, *ca, *pck, *tcb;
};

void testpki_init(struct testpki *p, const struct testpki_options *o);
void testpki_free(struct testpki *p);

/* PEM text of a certificate (heap). */
char *testpki_pem(X509 *cert);

/* What the quote says; fields are set by the caller, offsets as Intel's. */
struct testquote {
    int version;                /* 4 or 5 */
    int body_type;              /* 2 or 3 (v5 only) */
    uint8_t body[648];          /* TD report body */
    uint8_t qe_report[384];     /* QE report; its report data is filled in */
    uint8_t auth_data[32];
    size_t auth_len;
    int order[3];               /* chain order: indexes into { pck, ca, root }; default 0,1,2 */
    bool der_chain;             /* DER certificates instead of PEM */
    size_t trailing;            /* zero bytes appended */
    const uint8_t *att_key;     /* raw X||Y to put in instead of the real key (the QE binds it) */
};

/* A quote with sensible defaults: v4, SEPT_VE_DISABLE, QE mrsigner of
 * Intel's QE, ISVPRODID 2, ISVSVN 8. */
void testquote_init(struct testquote *q);

/* Signs and lays out the quote. Returns heap bytes. */
uint8_t *testpki_quote(struct testpki *p, const struct testquote *q, size_t *size);

/* {"<member>": <text>, "signature": "<hex r||s by the TCB key>"} */
char *testpki_sign_json(struct testpki *p, const char *member, const char *text);

/* A DER CRL by issuer (root or CA), listing the given certificates. */
uint8_t *testpki_crl(X509 *issuer, EVP_PKEY *key, X509 *const *revoked, size_t n, int64_t this_update,
                     int64_t next_update, size_t *size);

/* ECDSA P-256 over SHA-256, as raw r||s. */
void testpki_sign_raw(EVP_PKEY *key, const void *msg, size_t size, uint8_t sig[64]);

#endif
