/* SPDX-License-Identifier: MIT */
/* The verifier, its caches and one verification's outcome. */
#ifndef TDXHOST_QUOTE_VERIFY_INTERNAL_H
#define TDXHOST_QUOTE_VERIFY_INTERNAL_H

#include <openssl/x509.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "collateral.h"
#include "macro.h"
#include "pck-ext.h"
#include "ptrvec.h"
#include "quote-internal.h"
#include "tdxhost/quote.h"

#define STEP_COUNT (TDX_VERIFY_STEP_MRSEAM + 1)
#define CHAIN_CACHE_MAX 64
#define FETCH_CACHE_MAX 16

/* A PCK chain whose signatures verified to the trusted root. What depends
 * on time (validity) and on collateral (CRLs) is checked on every use. */
struct chain_entry {
    uint8_t key[32];            /* SHA-256 of the certification data */
    X509 *leaf, *intermediate;
    EVP_PKEY *leaf_key;
    int64_t not_before, not_after;      /* intersection of the three certificates */
    struct pck_ext ext;
    int ext_status;             /* 0 parsed, negative: ext_error says why */
    char ext_error[160];
    /* The last QE report (and its signature) that verified with leaf_key:
     * every quote of this QE carries the same bytes, so the next one needs
     * no second ECDSA verification for them. */
    bool qe_ok;
    uint8_t qe_signed[QUOTE_QE_REPORT_SIZE + QUOTE_ECDSA_SIG_SIZE];
    /* The attestation key last imported, by its raw X||Y (a parse cache). */
    uint8_t att_raw[QUOTE_ECDSA_KEY_SIZE];
    EVP_PKEY *att_key;
};

struct tdx_collateral {
    atomic_int refs;
    struct collateral *col;     /* sealed: read-only */
    X509 *root;
    X509_STORE *store;
    bool intel_root;
};

/* Seals col against root and wraps it with one reference (taking col, and
 * references to root and store). On failure col is still the caller's. */
int shared_collateral_new(struct collateral *col, X509 *root, X509_STORE *store, bool intel_root,
                          tdx_collateral **out, tdx_error *err);

/* The root: a PEM file, PEM text, or (both NULL) Intel's built-in one. */
int verifier_load_root(const char *root_file, const char *root_pem, X509 **root, bool *intel, tdx_error *err);

struct tdx_verifier {
    X509 *root;
    X509_STORE *store;
    bool intel_root;
    tdx_collateral *shared;     /* from files: a reference */
    struct collateral *files;   /* shared->col, borrowed */
    char *pccs_url;
    bool curl;                  /* curl_global_init() to balance */
    char *cache_dir;
    long timeout;
    ptrvec fetched;             /* struct collateral *, one per FMSPC and CA */
    struct chain_entry *chains[CHAIN_CACHE_MAX];
    size_t next_chain;
};

enum check_state { CHECK_NOT_REACHED = 0, CHECK_PASSED, CHECK_FAILED, CHECK_SKIPPED };

struct tdx_verification {
    int code;                   /* 0 or the negative errno of the failure */
    tdx_verify_step failed;
    char message[TDX_ERROR_MESSAGE_SIZE];
    enum check_state checks[STEP_COUNT];
    int64_t now;
    tdx_tcb_status status, platform_status, module_status, qe_status;
    char **advisories;
    bool have_pck;
    uint8_t fmspc[6], pceid[2];
    const char *ca;             /* "platform", "processor" or NULL */
    long long tcb_evaluation, qe_evaluation;    /* -1: not known */
    char *collateral;           /* where the collateral came from */
    char *measurement_id;
    tdx_quote *quote;
};

/* One verification in progress. */
struct vctx {
    tdx_verifier *v;
    const tdx_quote *q;
    const tdx_verify_options *o;
    tdx_verification *res;
    int64_t now;
    struct chain_entry *chain;
    struct collateral *col;
    struct tcb_info *tcb;
    struct crl *pck_crl;
    EVP_PKEY *tcb_signing_key;          /* borrowed from col->tcb_chain */
    const struct qe_level *qe_level;
    const struct module_level *module_level;
};

/* Records the failure of the running step; returns code. */
int vfail(struct vctx *c, int code, const char *fmt, ...) _printf_(3, 4);

/* pck_chain step: the chain of the quote, verified or from the cache. */
int chain_verify(struct vctx *c);
void chain_cache_free(tdx_verifier *v);

/* collateral step: the verifier's files or a fetch (cached). */
int collateral_for_quote(struct vctx *c);
int collateral_fetch(tdx_verifier *v, const struct pck_ext *ext, const char *ca, int64_t now,
                     struct collateral **out, tdx_error *err);
/* Whether every part of c is inside its window at now (cache reuse). */
bool collateral_current(const struct collateral *c, int64_t now);

/* The collateral steps after "collateral". */
int check_crls(struct vctx *c);
int check_tcb_info(struct vctx *c);
int check_qe_identity(struct vctx *c);
int check_tdx_module(struct vctx *c);
int check_tcb_status(struct vctx *c);

/* The policy steps. */
int check_measurements(struct vctx *c);
int check_td_attributes(struct vctx *c);
int check_xfam(struct vctx *c);
int check_mrservicetd(struct vctx *c);
int check_mrconfigid(struct vctx *c);
int check_mrowner(struct vctx *c);
int check_mrownerconfig(struct vctx *c);
int check_mrseam(struct vctx *c);

/* Moves src's accepted sets to the end of dst's and frees src (on
 * success only). An empty object to merge into: expected_new_empty(). */
int expected_merge(tdx_expected *dst, tdx_expected *src);
tdx_expected *expected_new_empty(void);

/* "2025-07-19T10:16:03Z" */
void fmt_time(int64_t t, char out[32]);


#endif
