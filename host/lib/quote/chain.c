/* SPDX-License-Identifier: MIT */
/*
 * The pck_chain step: PCK leaf -> intermediate CA -> the trusted root, three
 * certificates and nothing else. Intel's layout lists them leaf first; they
 * are taken in any order (Intel's own QVL sample lists the root first) and
 * sorted by who issued whom, which the path validation then proves with
 * signatures. Signatures do not depend on the time, so a
 * chain that verified once is cached by the hash of its bytes; the validity
 * windows are checked against each call's "now".
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "error.h"
#include "pki.h"
#include "sim-pki.h"
#include "verify-internal.h"

static void entry_free(struct chain_entry *e)
{
    if (e) {
        X509_free(e->leaf);
        X509_free(e->intermediate);
        EVP_PKEY_free(e->leaf_key);
        EVP_PKEY_free(e->att_key);
        free(e);
    }
}

void chain_cache_free(tdx_verifier *v)
{
    for (size_t i = 0; i < CHAIN_CACHE_MAX; i++)
        entry_free(v->chains[i]);
}

static const char *const cert_role[] = { "PCK certificate", "intermediate CA", "root CA" };

static int window_fail(struct vctx *c, int index, X509 *cert)
{
    char name[256], nb[32], na[32], now[32];
    pki_name(X509_get_subject_name(cert), name, sizeof(name));
    fmt_time(pki_time(X509_get0_notBefore(cert)), nb);
    fmt_time(pki_time(X509_get0_notAfter(cert)), na);
    fmt_time(c->now, now);
    return vfail(c, -EKEYEXPIRED, "%s (%s) is not valid at %s: valid %s to %s", cert_role[index], name, now,
                 nb, na);
}

/* Runs OpenSSL's path validation at c->now with only the trusted root as
 * anchor and the quote's intermediate as the one untrusted certificate. */
static int validate(struct vctx *c, STACK_OF(X509) *certs)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    int ok, r = 0;

    if (!ctx || !untrusted || !sk_X509_push(untrusted, sk_X509_value(certs, 1)) ||
        !X509_STORE_CTX_init(ctx, c->v->store, sk_X509_value(certs, 0), untrusted)) {
        r = -ENOMEM;
        goto out;
    }
    X509_STORE_CTX_set_time(ctx, 0, (time_t)c->now);
    ok = X509_verify_cert(ctx);
    if (ok != 1) {
        int e = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
        X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
        char name[256] = "?";
        if (depth < 0 || depth > 2)
            depth = 0;
        if (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID) {
            r = window_fail(c, depth, sk_X509_value(certs, depth));
            goto out;
        }
        if (bad)
            pki_name(X509_get_subject_name(bad), name, sizeof(name));
        r = vfail(c, -EKEYREJECTED, "%s (%s): %s", cert_role[depth], name, X509_verify_cert_error_string(e));
        goto out;
    }
    /* The path OpenSSL built must be the quote's, certificate for certificate. */
    {
        STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
        if (sk_X509_num(path) != 3)
            r = vfail(c, -EKEYREJECTED, "the chain validated with %d certificates, not the quote's 3",
                      sk_X509_num(path));
        for (int i = 0; r == 0 && i < 3; i++)
            if (!pki_same_cert(sk_X509_value(path, i), sk_X509_value(certs, i)))
                r = vfail(c, -EKEYREJECTED, "the %s is not the one the chain validated with", cert_role[i]);
    }
out:
    if (r == -ENOMEM)
        r = vfail(c, -ENOMEM, "out of memory");
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return r;
}

static const char *ca_kind(X509 *intermediate)
{
    char name[256];
    pki_name(X509_get_subject_name(intermediate), name, sizeof(name));
    if (strstr(name, "Processor"))
        return "processor";
    if (strstr(name, "Platform"))
        return "platform";
    return NULL;
}

static void parse_ext(struct chain_entry *e)
{
    ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int i = oid ? X509_get_ext_by_OBJ(e->leaf, oid, -1) : -1;
    X509_EXTENSION *ext = i >= 0 ? X509_get_ext(e->leaf, i) : NULL;
    ASN1_OCTET_STRING *v = ext ? X509_EXTENSION_get_data(ext) : NULL;

    ASN1_OBJECT_free(oid);
    if (!v) {
        e->ext_status = -ENOENT;
        snprintf(e->ext_error, sizeof(e->ext_error), "no SGX extension (OID 1.2.840.113741.1.13.1)");
    } else if (X509_get_ext_by_OBJ(e->leaf, X509_EXTENSION_get_object(ext), i) >= 0) {
        e->ext_status = -EBADMSG;
        snprintf(e->ext_error, sizeof(e->ext_error), "the SGX extension appears twice");
    } else {
        e->ext_status = pck_ext_parse(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), &e->ext,
                                      e->ext_error, sizeof(e->ext_error));
    }
    ERR_clear_error();
}

static int build_entry(struct vctx *c, STACK_OF(X509) *certs, const uint8_t key[32], struct chain_entry **out)
{
    struct chain_entry *e = calloc(1, sizeof(*e));

    if (!e)
        return vfail(c, -ENOMEM, "out of memory");
    memcpy(e->key, key, 32);
    e->leaf = sk_X509_value(certs, 0);
    e->intermediate = sk_X509_value(certs, 1);
    X509_up_ref(e->leaf);
    X509_up_ref(e->intermediate);
    e->leaf_key = X509_get_pubkey(e->leaf);
    if (!e->leaf_key || !pki_is_p256(e->leaf_key)) {
        entry_free(e);
        ERR_clear_error();
        return vfail(c, -EKEYREJECTED, "PCK certificate: its key is not an EC P-256 key");
    }
    e->not_before = INT64_MIN;
    e->not_after = INT64_MAX;
    for (int i = 0; i < 3; i++) {
        X509 *x = sk_X509_value(certs, i);
        int64_t nb = pki_time(X509_get0_notBefore(x)), na = pki_time(X509_get0_notAfter(x));
        if (nb > e->not_before)
            e->not_before = nb;
        if (na < e->not_after)
            e->not_after = na;
    }
    parse_ext(e);
    *out = e;
    return 0;
}

/* True when name carries the organisation of a `tdxctl dev sim-pki` test PKI. */
static bool sim_name(const X509_NAME *name)
{
    int i = -1;
    while ((i = X509_NAME_get_index_by_NID(name, NID_organizationName, i)) >= 0) {
        const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        if (s && ASN1_STRING_length(s) == (int)strlen(SIM_PKI_ORG) &&
            memcmp(ASN1_STRING_get0_data(s), SIM_PKI_ORG, strlen(SIM_PKI_ORG)) == 0)
            return true;
    }
    return false;
}

static bool issued(X509 *issuer, X509 *cert)
{
    return X509_NAME_cmp(X509_get_subject_name(issuer), X509_get_issuer_name(cert)) == 0;
}

/* Puts the three certificates in the order leaf, intermediate, root: the
 * root is the trusted one, the intermediate the one that named the other as
 * its subject. */
static int sort_chain(struct vctx *c, STACK_OF(X509) *certs)
{
    X509 *x[3], *leaf, *mid, *root = NULL;
    char name[256], fp[65], trusted[65];
    int r = -1;

    for (int i = 0; i < 3; i++) {
        x[i] = sk_X509_value(certs, i);
        if (pki_same_cert(x[i], c->v->root))
            r = i;
    }
    if (r < 0) {
        /* Name the chain's own root: the self-issued one, else the last. */
        X509 *own = x[2];
        for (int i = 0; i < 3; i++)
            if (issued(x[i], x[i]))
                own = x[i];
        pki_name(X509_get_subject_name(own), name, sizeof(name));
        pki_fingerprint(own, fp);
        pki_fingerprint(c->v->root, trusted);
        /* A test root copies Intel's common name; say what it is instead. */
        if (sim_name(X509_get_subject_name(own)) || sim_name(X509_get_issuer_name(own)))
            return vfail(c, -EKEYREJECTED, "the chain's root (%s, O=%s, SHA-256 %s) is the "
                         "test root of a simulated quote, not the trusted root (%sSHA-256 %s); "
                         "verify a simulated quote against its test PKI's root (--root DIR/%s)",
                         name, SIM_PKI_ORG, fp, c->v->intel_root ? "Intel SGX Root CA, " : "",
                         trusted, SIM_PKI_ROOT_CERT);
        return vfail(c, -EKEYREJECTED, "the chain's root (%s, SHA-256 %s) is not the trusted root (%sSHA-256 %s)",
                     name, fp, c->v->intel_root ? "Intel SGX Root CA, " : "", trusted);
    }
    root = x[r];
    leaf = x[(r + 1) % 3];
    mid = x[(r + 2) % 3];
    if (issued(leaf, mid) && !issued(mid, leaf)) {
        X509 *t = leaf;
        leaf = mid;
        mid = t;
    }
    if (!issued(mid, leaf) || !issued(root, mid)) {
        pki_name(X509_get_subject_name(leaf), name, sizeof(name));
        return vfail(c, -EKEYREJECTED, "the certificates do not form a chain to the trusted root (%s, issuer %s)",
                     name, (pki_name(X509_get_issuer_name(leaf), fp, sizeof(fp)), fp));
    }
    /* sk_X509_set() keeps the references; only the order changes. */
    sk_X509_set(certs, 0, leaf);
    sk_X509_set(certs, 1, mid);
    sk_X509_set(certs, 2, root);
    return 0;
}

static struct chain_entry *lookup(tdx_verifier *v, const uint8_t key[32])
{
    for (size_t i = 0; i < CHAIN_CACHE_MAX; i++)
        if (v->chains[i] && memcmp(v->chains[i]->key, key, 32) == 0)
            return v->chains[i];
    return NULL;
}

static void insert(tdx_verifier *v, struct chain_entry *e)
{
    entry_free(v->chains[v->next_chain]);
    v->chains[v->next_chain] = e;
    v->next_chain = (v->next_chain + 1) % CHAIN_CACHE_MAX;
}

int chain_verify(struct vctx *c)
{
    const tdx_quote *q = c->q;
    STACK_OF(X509) *certs = NULL;
    struct chain_entry *e;
    uint8_t key[32];
    tdx_error perr = TDX_ERROR_INIT;
    int r;

    if (!EVP_Digest(quote_at(q, q->pck_chain), q->pck_chain_len, key, NULL, EVP_sha256(), NULL))
        return vfail(c, -ENOMEM, "out of memory");
    e = lookup(c->v, key);
    if (e && c->now >= e->not_before && c->now <= e->not_after) {
        c->chain = e;
        goto found;
    }
    r = pki_parse_certs(quote_at(q, q->pck_chain), q->pck_chain_len, PEM_STRICT, "certification data", &certs, &perr);
    if (r < 0)
        return vfail(c, r, "%s", perr.message);
    if (sk_X509_num(certs) != 3) {
        r = vfail(c, -EBADMSG, "%d certificates, expected 3 (PCK certificate, intermediate CA, root CA)",
                  sk_X509_num(certs));
        goto out;
    }
    r = sort_chain(c, certs);
    if (r < 0)
        goto out;
    r = validate(c, certs);
    if (r >= 0 && !e)
        r = build_entry(c, certs, key, &e);
    if (r >= 0 && !c->chain) {
        if (lookup(c->v, key) != e)
            insert(c->v, e);
        c->chain = e;
    }
out:
    pki_free_certs(certs);
    if (r < 0)
        return r;
found:
    c->res->ca = ca_kind(c->chain->intermediate);
    if (c->chain->ext_status == 0) {
        c->res->have_pck = true;
        memcpy(c->res->fmspc, c->chain->ext.fmspc, 6);
        memcpy(c->res->pceid, c->chain->ext.pceid, 2);
    }
    return 0;
}
