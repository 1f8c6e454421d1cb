/* SPDX-License-Identifier: MIT */
/*
 * Intel's collateral for TDX quotes (reference/agent.md §2.6): TCB info,
 * QE identity, the TCB signing chain that signs both, the root CA CRL and
 * the PCK CRLs. Loaded from files or fetched, then verified per quote.
 */
#ifndef TDXHOST_QUOTE_COLLATERAL_H
#define TDXHOST_QUOTE_COLLATERAL_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "ptrvec.h"
#include "tdxhost/quote.h"

#define COLLATERAL_FILE_MAX (1024 * 1024)

struct tcb_level {
    uint8_t sgx[16];
    uint16_t pcesvn;
    uint8_t tdx[16];
    tdx_tcb_status status;
    char **advisories;
};

struct module_level {
    uint8_t isvsvn;
    tdx_tcb_status status;
    char **advisories;
};

struct module_identity {
    char id[16];
    uint8_t mrsigner[48];
    uint8_t attributes[8];
    uint8_t attributes_mask[8];
    struct module_level *levels;
    size_t n_levels;
};

/* What TCB info and QE identity share: a JSON text Intel signed, checked
 * as a whole, with its window and evaluation number. */
struct signed_doc {
    const char *what;           /* "TCB info", "QE identity" */
    char *origin;               /* where it came from, for messages */
    char *raw;                  /* the signed JSON text */
    size_t raw_len;
    uint8_t signature[64];
    int64_t issue_date, next_update;
    long long evaluation;
    bool signature_ok;          /* set once by collateral_seal(): verified with the TCB signing key */
};

struct tcb_info {
    struct signed_doc doc;
    uint8_t fmspc[6];
    uint8_t pceid[2];
    struct module_identity module;  /* "tdxModule": the default; levels unused */
    struct module_identity *identities;
    size_t n_identities;
    struct tcb_level *levels;
    size_t n_levels;
};

struct qe_level {
    uint16_t isvsvn;
    tdx_tcb_status status;
    char **advisories;
};

struct qe_identity {
    struct signed_doc doc;
    uint8_t miscselect[4], miscselect_mask[4];
    uint8_t attributes[16], attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    struct qe_level *levels;
    size_t n_levels;
};

struct crl {
    char *origin;
    X509_CRL *crl;
    X509 *verified_by;          /* set once by collateral_seal(): the issuer whose signature checked out */
};

struct collateral {
    char *origin;               /* directory, file or URL */
    ptrvec tcb_infos;           /* struct tcb_info * */
    struct qe_identity *qe_identity;
    STACK_OF(X509) *tcb_chain;  /* TCB signing certificate first */
    char *tcb_chain_origin;
    STACK_OF(X509) *pck_cas;    /* first certificates of PCK CRL issuer chains */
    struct crl *root_crl;
    ptrvec pck_crls;            /* struct crl *, one per PCK CA */
    /* Set once by collateral_seal(), read-only after: whether the TCB
     * signing chain's signatures lead to the root (0, or the code and
     * message of the failure), its validity window and its key. */
    bool sealed;
    int tcb_chain_status;
    char tcb_chain_error[400];
    int64_t tcb_chain_not_before, tcb_chain_not_after;
    EVP_PKEY *tcb_signing_key;  /* borrowed from tcb_chain */
};

/* Checks, once, every signature of c that does not depend on the quote or
 * the time, against root: the TCB signing chain, the TCB infos' and the QE
 * identity's signatures, the root CA CRL and the PCK CRLs (against the CA
 * certificates of their issuer chains, themselves signed by the root), and
 * primes OpenSSL's lazily computed caches (certificate extensions, sorted
 * CRL entries), so that c is never written again and verifiers on several
 * threads may share it. A signature that does not verify is recorded, not
 * returned: the step it belongs to reports it. Returns 0 or -ENOMEM. */
int collateral_seal(struct collateral *c, X509 *root, X509_STORE *store, tdx_error *err);

void collateral_free(struct collateral *c);
struct collateral *collateral_new(const char *origin);

/* Parse a TCB info or QE identity from its signed JSON text and hex
 * signature; origin labels messages ("DIR/file: tcbInfo.tcbLevels[2]..."). */
int tcb_info_parse(const char *raw, size_t raw_len, const char *signature_hex, const char *origin,
                   struct tcb_info **out, tdx_error *err);
int qe_identity_parse(const char *raw, size_t raw_len, const char *signature_hex, const char *origin,
                      struct qe_identity **out, tdx_error *err);
void tcb_info_free(struct tcb_info *t);
void qe_identity_free(struct qe_identity *q);

/* A PCS response body {"tcbInfo": {...}, "signature": "..."} or
 * {"enclaveIdentity": {...}, "signature": "..."}: the member's exact text is
 * what Intel signed. Adds it to c. */
int collateral_add_response(struct collateral *c, const char *text, size_t len, const char *origin,
                            tdx_error *err);
int collateral_add_chain(struct collateral *c, STACK_OF(X509) *certs, const char *origin, tdx_error *err);
int collateral_add_crl(struct collateral *c, X509_CRL *crl, X509 *root, const char *origin, tdx_error *err);
/* Any of the above, recognised by its content (as in a directory). */
int collateral_add_file(struct collateral *c, const char *path, const char *data, size_t size, X509 *root,
                        tdx_error *err);

/* Reads a directory of PCS responses, issuer chains and CRLs, or one
 * dcap-qvl collateral JSON file. root tells the root CA CRL from PCK CRLs. */
int collateral_load(const char *path, X509 *root, struct collateral **out, tdx_error *err);
int collateral_load_buffer(const char *name, const char *data, size_t size, X509 *root,
                           struct collateral **out, tdx_error *err);

/* The byte range of a top-level member's value in a JSON object text
 * (validated by the caller). Returns 0 or -ENOENT. */
int json_member_span(const char *text, size_t len, const char *key, size_t *start, size_t *end);

/* Intel's status name to its value; -EINVAL for anything else. */
int tcb_status_from_name(const char *name, tdx_tcb_status *out);

struct tcb_info *collateral_tcb_info(const struct collateral *c, const uint8_t fmspc[6]);

#endif
