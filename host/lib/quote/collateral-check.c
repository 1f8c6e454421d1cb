/* SPDX-License-Identifier: MIT */
/*
 * The collateral, crl, tcb_info and qe_identity steps: pick the collateral
 * for the quote's platform, then check every signature, chain, window and
 * revocation it involves. Signatures hold at any time, so collateral_seal()
 * checks them once when the collateral is made and records the results;
 * windows and revocations are checked against each call's "now".
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#include "error.h"
#include "hex.h"
#include "pki.h"
#include "verify-internal.h"

static bool inside(int64_t now, int64_t from, int64_t to)
{
    return from != INT64_MIN && to != INT64_MIN && now >= from && now <= to;
}

static int64_t crl_next(const struct crl *c)
{
    return pki_time(X509_CRL_get0_nextUpdate(c->crl));
}

static int64_t crl_this(const struct crl *c)
{
    return pki_time(X509_CRL_get0_lastUpdate(c->crl));
}

bool collateral_current(const struct collateral *c, int64_t now)
{
    for (size_t i = 0; i < c->tcb_infos.n; i++) {
        const struct tcb_info *t = c->tcb_infos.items[i];
        if (!inside(now, t->doc.issue_date, t->doc.next_update))
            return false;
    }
    if (c->qe_identity && !inside(now, c->qe_identity->doc.issue_date, c->qe_identity->doc.next_update))
        return false;
    if (c->root_crl && !inside(now, crl_this(c->root_crl), crl_next(c->root_crl)))
        return false;
    for (size_t i = 0; i < c->pck_crls.n; i++)
        if (!inside(now, crl_this(c->pck_crls.items[i]), crl_next(c->pck_crls.items[i])))
            return false;
    return true;
}

/* "<what> expired: nextUpdate X is before now Y" and the like. */
static int window(struct vctx *c, const char *what, const char *origin, int64_t from, const char *from_name,
                  int64_t to, const char *to_name)
{
    char a[32], b[32], now[32];
    if (inside(c->now, from, to))
        return 0;
    fmt_time(from, a);
    fmt_time(to, b);
    fmt_time(c->now, now);
    if (from == INT64_MIN || to == INT64_MIN)
        return vfail(c, -EBADMSG, "%s (%s) has no readable %s", what, origin, from == INT64_MIN ? from_name : to_name);
    if (c->now > to)
        return vfail(c, -EKEYEXPIRED, "%s (%s) expired: %s %s is before now %s", what, origin, to_name, b, now);
    return vfail(c, -EKEYEXPIRED, "%s (%s) is not yet valid: %s %s is after now %s", what, origin, from_name, a, now);
}

static struct collateral *fetched_lookup(tdx_verifier *v, const char *origin)
{
    for (size_t i = 0; i < v->fetched.n; i++) {
        struct collateral *col = v->fetched.items[i];
        if (streq(col->origin, origin))
            return col;
    }
    return NULL;
}

static int fetched_replace(tdx_verifier *v, struct collateral *old, struct collateral *col)
{
    for (size_t i = 0; i < v->fetched.n; i++)
        if (v->fetched.items[i] == old) {
            collateral_free(old);
            v->fetched.items[i] = col;
            return 0;
        }
    if (v->fetched.n >= FETCH_CACHE_MAX) {
        collateral_free(v->fetched.items[0]);
        memmove(v->fetched.items, v->fetched.items + 1, (v->fetched.n - 1) * sizeof(void *));
        v->fetched.n--;
    }
    return ptrvec_push(&v->fetched, col);
}

static int obtain(struct vctx *c, struct collateral **out)
{
    tdx_verifier *v = c->v;
    const struct pck_ext *ext = &c->chain->ext;
    struct collateral *col, *old;
    tdx_error err = TDX_ERROR_INIT;
    char fmspc[13], origin[1200];
    int r;

    if (v->files) {
        *out = v->files;
        return 0;
    }
    hex_encode(ext->fmspc, 6, fmspc);
    snprintf(origin, sizeof(origin), "%s (FMSPC %s, %s CA)", v->pccs_url, fmspc, strempty(c->res->ca));
    old = fetched_lookup(v, origin);
    if (old && collateral_current(old, c->now)) {
        *out = old;
        return 0;
    }
    r = collateral_fetch(v, ext, c->res->ca, c->now, &col, &err);
    if (r >= 0 && (r = collateral_seal(col, v->root, v->store, &err)) < 0)
        collateral_free(col);
    if (r < 0)
        return vfail(c, r, "%s", err.message);
    /* The disk cache names its origin by directory; keep ours. */
    free(col->origin);
    col->origin = strdup(origin);
    if (!col->origin || fetched_replace(v, old, col) < 0) {
        collateral_free(col);
        return vfail(c, -ENOMEM, "out of memory");
    }
    *out = col;
    return 0;
}

int collateral_for_quote(struct vctx *c)
{
    struct collateral *col = NULL;
    X509_NAME *issuer = X509_get_issuer_name(c->chain->leaf);
    char fmspc[13], name[256];
    int r;

    if (c->chain->ext_status < 0)
        return vfail(c, -EBADMSG, "PCK certificate: %s", c->chain->ext_error);
    r = obtain(c, &col);
    if (r < 0)
        return r;
    free(c->res->collateral);
    c->res->collateral = strdup(col->origin);
    hex_encode(c->chain->ext.fmspc, 6, fmspc);
    c->tcb = collateral_tcb_info(col, c->chain->ext.fmspc);
    if (!c->tcb)
        return vfail(c, -ENOENT, "no TCB info for FMSPC %s in %s", fmspc, col->origin);
    if (!col->qe_identity)
        return vfail(c, -ENOENT, "no QE identity in %s", col->origin);
    if (!col->tcb_chain)
        return vfail(c, -ENOENT, "no TCB signing chain (the TCB info issuer chain) in %s", col->origin);
    if (!col->root_crl)
        return vfail(c, -ENOENT, "no root CA CRL in %s", col->origin);
    for (size_t i = 0; i < col->pck_crls.n; i++) {
        struct crl *crl = col->pck_crls.items[i];
        if (X509_NAME_cmp(X509_CRL_get_issuer(crl->crl), issuer) == 0)
            c->pck_crl = crl;
    }
    if (!c->pck_crl) {
        pki_name(issuer, name, sizeof(name));
        return vfail(c, -ENOENT, "no PCK CRL issued by %s in %s", name, col->origin);
    }
    c->col = col;
    return 0;
}

static bool crl_verifies(struct crl *crl, X509 *issuer)
{
    EVP_PKEY *key = X509_get0_pubkey(issuer);
    bool ok = key && X509_NAME_cmp(X509_CRL_get_issuer(crl->crl), X509_get_subject_name(issuer)) == 0 &&
              X509_CRL_verify(crl->crl, key) == 1;
    ERR_clear_error();
    return ok;
}

/* Checked once by collateral_seal() against the issuer it knew; any other
 * issuer (a PCK CRL whose issuer chain was not in the collateral) is
 * checked here, every time: the collateral is not written after sealing. */
static int crl_signed_by(struct vctx *c, struct crl *crl, X509 *issuer, const char *what)
{
    char name[256];

    if (crl->verified_by && pki_same_cert(crl->verified_by, issuer))
        return 0;
    if (!crl_verifies(crl, issuer)) {
        pki_name(X509_get_subject_name(issuer), name, sizeof(name));
        return vfail(c, -EKEYREJECTED, "%s (%s) is not signed by %s", what, crl->origin, name);
    }
    return 0;
}

static int not_revoked(struct vctx *c, struct crl *crl, X509 *cert, const char *what, const char *crl_what)
{
    X509_REVOKED *rev = NULL;
    char serial[80], when[32];

    if (X509_CRL_get0_by_cert(crl->crl, &rev, cert) != 1)
        return 0;
    pki_serial(X509_get0_serialNumber(cert), serial, sizeof(serial));
    fmt_time(pki_time(X509_REVOKED_get0_revocationDate(rev)), when);
    return vfail(c, -EKEYREVOKED, "%s (serial %s) is revoked by the %s (%s) since %s", what, serial, crl_what,
                 crl->origin, when);
}

int check_crls(struct vctx *c)
{
    struct crl *root_crl = c->col->root_crl, *pck_crl = c->pck_crl;
    X509 *signer = sk_X509_value(c->col->tcb_chain, 0);
    int r;

    if ((r = crl_signed_by(c, root_crl, c->v->root, "root CA CRL")) < 0 ||
        (r = window(c, "root CA CRL", root_crl->origin, crl_this(root_crl), "thisUpdate", crl_next(root_crl),
                    "nextUpdate")) < 0 ||
        (r = crl_signed_by(c, pck_crl, c->chain->intermediate, "PCK CRL")) < 0 ||
        (r = window(c, "PCK CRL", pck_crl->origin, crl_this(pck_crl), "thisUpdate", crl_next(pck_crl),
                    "nextUpdate")) < 0)
        return r;
    if ((r = not_revoked(c, pck_crl, c->chain->leaf, "PCK certificate", "PCK CRL")) < 0 ||
        (r = not_revoked(c, root_crl, c->chain->intermediate, "intermediate CA", "root CA CRL")) < 0 ||
        (r = not_revoked(c, root_crl, signer, "TCB signing certificate", "root CA CRL")) < 0)
        return r;
    return 0;
}

/* The TCB signing chain as collateral_seal() found it, at "now". */
static int signing_chain(struct vctx *c)
{
    struct collateral *col = c->col;
    X509 *signer = sk_X509_value(col->tcb_chain, 0);
    char name[256], nb[32], na[32], now[32];

    if (col->tcb_chain_status < 0)
        return vfail(c, col->tcb_chain_status, "%s", col->tcb_chain_error);
    if (!inside(c->now, col->tcb_chain_not_before, col->tcb_chain_not_after)) {
        pki_name(X509_get_subject_name(signer), name, sizeof(name));
        fmt_time(col->tcb_chain_not_before, nb);
        fmt_time(col->tcb_chain_not_after, na);
        fmt_time(c->now, now);
        return vfail(c, -EKEYEXPIRED, "TCB signing chain (%s, %s) is not valid at %s: valid %s to %s",
                     col->tcb_chain_origin, name, now, nb, na);
    }
    c->tcb_signing_key = col->tcb_signing_key;
    return 0;
}

/* The TCB signing chain: its first certificate signed by the trusted root
 * (through any certificates between), the last one the root itself.
 * Signatures only; the windows are checked per verification at "now". */
static int seal_chain(struct collateral *col, X509 *root, X509_STORE *store)
{
    int n = sk_X509_num(col->tcb_chain), ok = 0, e = 0;
    X509 *signer = sk_X509_value(col->tcb_chain, 0);
    X509_STORE_CTX *ctx;
    STACK_OF(X509) *untrusted;

    col->tcb_chain_status = -EKEYREJECTED;
    if (n < 2 || !pki_same_cert(sk_X509_value(col->tcb_chain, n - 1), root)) {
        snprintf(col->tcb_chain_error, sizeof(col->tcb_chain_error),
                 "TCB signing chain (%.300s): its last certificate is not the trusted root", col->tcb_chain_origin);
        return 0;
    }
    ctx = X509_STORE_CTX_new();
    untrusted = sk_X509_dup(col->tcb_chain);
    if (!ctx || !untrusted) {
        X509_STORE_CTX_free(ctx);
        sk_X509_free(untrusted);
        return -ENOMEM;
    }
    if (X509_STORE_CTX_init(ctx, store, signer, untrusted)) {
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
        ok = X509_verify_cert(ctx) == 1;
        e = X509_STORE_CTX_get_error(ctx);
    }
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    ERR_clear_error();
    if (!ok) {
        snprintf(col->tcb_chain_error, sizeof(col->tcb_chain_error), "TCB signing chain (%.300s): %s",
                 col->tcb_chain_origin, X509_verify_cert_error_string(e));
        return 0;
    }
    col->tcb_chain_not_before = INT64_MIN;
    col->tcb_chain_not_after = INT64_MAX;
    for (int i = 0; i < n; i++) {
        X509 *x = sk_X509_value(col->tcb_chain, i);
        int64_t from = pki_time(X509_get0_notBefore(x)), to = pki_time(X509_get0_notAfter(x));
        col->tcb_chain_not_before = from > col->tcb_chain_not_before ? from : col->tcb_chain_not_before;
        col->tcb_chain_not_after = to < col->tcb_chain_not_after ? to : col->tcb_chain_not_after;
    }
    col->tcb_signing_key = X509_get0_pubkey(signer);
    if (!col->tcb_signing_key || !pki_is_p256(col->tcb_signing_key)) {
        snprintf(col->tcb_chain_error, sizeof(col->tcb_chain_error),
                 "TCB signing chain (%.300s): the signing key is not EC P-256", col->tcb_chain_origin);
        return 0;
    }
    col->tcb_chain_status = 0;
    return 0;
}

static int seal_doc(struct collateral *col, struct signed_doc *d)
{
    int ok;
    if (col->tcb_chain_status < 0)
        return 0;
    ok = pki_verify_p256(col->tcb_signing_key, d->signature, (const uint8_t *)d->raw, d->raw_len);
    if (ok < 0)
        return -ENOMEM;
    d->signature_ok = ok == 1;
    return 0;
}

/* Computes what OpenSSL would otherwise compute, and store, on first use:
 * a certificate's extension cache, a CRL's sorted entries. */
static void prime_cert(X509 *x)
{
    if (x)
        X509_check_purpose(x, -1, 0);
}

static void prime_crl(struct crl *crl, X509 *any)
{
    X509_REVOKED *rev;
    if (crl && any)
        X509_CRL_get0_by_cert(crl->crl, &rev, any);
}

int collateral_seal(struct collateral *c, X509 *root, X509_STORE *store, tdx_error *err)
{
    int r;

    if (c->sealed)
        return 0;
    prime_cert(root);
    for (int i = 0; i < sk_X509_num(c->tcb_chain); i++)
        prime_cert(sk_X509_value(c->tcb_chain, i));
    for (int i = 0; i < sk_X509_num(c->pck_cas); i++)
        prime_cert(sk_X509_value(c->pck_cas, i));
    if (c->tcb_chain && (r = seal_chain(c, root, store)) < 0)
        return tdx_err_oom(err);
    for (size_t i = 0; i < c->tcb_infos.n; i++)
        if (seal_doc(c, &((struct tcb_info *)c->tcb_infos.items[i])->doc) < 0)
            return tdx_err_oom(err);
    if (c->qe_identity && c->tcb_chain && seal_doc(c, &c->qe_identity->doc) < 0)
        return tdx_err_oom(err);
    if (c->root_crl && crl_verifies(c->root_crl, root) && X509_up_ref(root))
        c->root_crl->verified_by = root;
    prime_crl(c->root_crl, root);
    for (size_t i = 0; i < c->pck_crls.n; i++) {
        struct crl *crl = c->pck_crls.items[i];
        for (int k = 0; k < sk_X509_num(c->pck_cas) && !crl->verified_by; k++) {
            X509 *ca = sk_X509_value(c->pck_cas, k);
            EVP_PKEY *root_key = X509_get0_pubkey(root);
            /* The CA must be the root's before its signature on the CRL counts. */
            if (root_key && X509_verify(ca, root_key) == 1 && crl_verifies(crl, ca) && X509_up_ref(ca))
                crl->verified_by = ca;
            ERR_clear_error();
        }
        prime_crl(crl, root);
    }
    c->sealed = true;
    return 0;
}

/* The signing chain, the signature over the exact text, the window. */
static int check_doc(struct vctx *c, struct signed_doc *d)
{
    int r = signing_chain(c);

    if (r < 0)
        return r;
    if (!d->signature_ok)
        return vfail(c, -EKEYREJECTED, "%s (%s): the signature does not verify with the TCB signing key",
                     d->what, d->origin);
    return window(c, d->what, d->origin, d->issue_date, "issueDate", d->next_update, "nextUpdate");
}

int check_tcb_info(struct vctx *c)
{
    struct tcb_info *t = c->tcb;
    const struct pck_ext *ext = &c->chain->ext;
    char a[8], b[8];
    int r;

    if ((r = check_doc(c, &t->doc)) < 0)
        return r;
    if (memcmp(t->pceid, ext->pceid, 2) != 0) {
        hex_encode(ext->pceid, 2, a);
        hex_encode(t->pceid, 2, b);
        return vfail(c, -EKEYREJECTED, "the PCK certificate's PCE ID %s differs from the TCB info's %s (%s)", a, b,
                     t->doc.origin);
    }
    c->res->tcb_evaluation = t->doc.evaluation;
    return 0;
}

static int masked_equal(const uint8_t *got, const uint8_t *want, const uint8_t *mask, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((got[i] & mask[i]) != (want[i] & mask[i]))
            return 0;
    return 1;
}

int check_qe_identity(struct vctx *c)
{
    struct qe_identity *id = c->col->qe_identity;
    const uint8_t *qe = quote_at(c->q, c->q->qe_report);
    uint16_t isvsvn = le16(qe + QE_ISVSVN), prodid = le16(qe + QE_ISVPRODID);
    char got[65], want[65];
    int r;

    if ((r = check_doc(c, &id->doc)) < 0)
        return r;
    if (memcmp(qe + QE_MRSIGNER, id->mrsigner, 32) != 0) {
        hex_encode(qe + QE_MRSIGNER, 32, got);
        hex_encode(id->mrsigner, 32, want);
        return vfail(c, -EKEYREJECTED, "QE report MRSIGNER %s differs from the QE identity's %s", got, want);
    }
    if (prodid != id->isvprodid)
        return vfail(c, -EKEYREJECTED, "QE report ISVPRODID %u differs from the QE identity's %u", prodid,
                     id->isvprodid);
    if (!masked_equal(qe + QE_MISCSELECT, id->miscselect, id->miscselect_mask, 4)) {
        hex_encode(qe + QE_MISCSELECT, 4, got);
        hex_encode(id->miscselect, 4, want);
        return vfail(c, -EKEYREJECTED, "QE report MISCSELECT %s does not match the QE identity's %s under its mask",
                     got, want);
    }
    if (!masked_equal(qe + QE_ATTRIBUTES, id->attributes, id->attributes_mask, 16)) {
        hex_encode(qe + QE_ATTRIBUTES, 16, got);
        hex_encode(id->attributes, 16, want);
        return vfail(c, -EKEYREJECTED, "QE report ATTRIBUTES %s do not match the QE identity's %s under its mask",
                     got, want);
    }
    for (size_t i = 0; i < id->n_levels; i++)
        if (isvsvn >= id->levels[i].isvsvn) {
            c->qe_level = &id->levels[i];
            break;
        }
    if (!c->qe_level)
        return vfail(c, -EKEYREJECTED, "QE report ISVSVN %u is below every TCB level of the QE identity", isvsvn);
    c->res->qe_status = c->qe_level->status;
    c->res->qe_evaluation = id->doc.evaluation;
    return 0;
}
