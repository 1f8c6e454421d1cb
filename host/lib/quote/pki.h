/* SPDX-License-Identifier: MIT */
/* OpenSSL helpers for quotes: certificate and CRL parsing, raw P-256 keys
 * and signatures as Intel's formats carry them, names and times for
 * messages. */
#ifndef TDXHOST_QUOTE_PKI_H
#define TDXHOST_QUOTE_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxhost/common.h"

#define PKI_MAX_CERTS 8

extern const char intel_root_pem[];
extern const uint8_t intel_root_sha256[32];

/* How much may surround PEM blocks. */
enum pem_text {
    PEM_STRICT,     /* quotes: whitespace between blocks, NULs after the last */
    PEM_FILE,       /* files and headers: any text outside blocks (RFC 7468) */
};

/* Certificates from PEM blocks or from concatenated DER. @what labels
 * messages: "<what>: certificate 2 at byte 1306: ...". Returns 0 and the
 * stack in *out, or -EBADMSG / -ENOMEM. */
int pki_parse_certs(const uint8_t *data, size_t size, enum pem_text text, const char *what,
                    STACK_OF(X509) **out, tdx_error *err);

/* The built-in Intel SGX Root CA, after its fingerprint check. */
int pki_intel_root(X509 **out, tdx_error *err);

/* Exactly one certificate from PEM or DER text. */
int pki_load_root(const uint8_t *data, size_t size, const char *what, X509 **out, tdx_error *err);

/* A CRL from DER, PEM or hex-encoded DER (PCCS serves hex). NULL if none. */
X509_CRL *pki_parse_crl(const uint8_t *data, size_t size);

/* An EC P-256 public key from raw X||Y (64 bytes). NULL if not on the curve. */
EVP_PKEY *pki_p256_key(const uint8_t xy[64]);

/* Verifies a raw r||s ECDSA signature over SHA-256(msg). Returns 1 (valid),
 * 0 (invalid) or -ENOMEM. */
int pki_verify_p256(EVP_PKEY *key, const uint8_t sig[64], const uint8_t *msg, size_t size);

/* Whether key is an EC key on P-256. */
bool pki_is_p256(EVP_PKEY *key);

/* The CN of a name (else its one-line form), for messages. */
void pki_name(const X509_NAME *name, char *buf, size_t size);

/* Unix time of an ASN.1 time; INT64_MIN if it cannot be read. */
int64_t pki_time(const ASN1_TIME *t);

/* SHA-256 of the DER encoding, as hex. */
void pki_fingerprint(X509 *cert, char out[65]);

/* Serial number as hex, for messages. */
void pki_serial(const ASN1_INTEGER *serial, char *buf, size_t size);

/* Same DER encoding. */
bool pki_same_cert(X509 *a, X509 *b);

/* Frees a stack and its certificates (NULL-safe). */
void pki_free_certs(STACK_OF(X509) *certs);

#endif
