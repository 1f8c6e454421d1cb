/* SPDX-License-Identifier: MIT */
/*
 * Collateral from files. A directory may hold Intel PCS responses under any
 * names (go-tdx-guest's test data, a PCCS dump, our own cache): each file is
 * recognised by its content. One JSON file in dcap-qvl's shape holds
 * everything at once.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <sys/stat.h>

#include "collateral.h"
#include "error.h"
#include "json-error.h"
#include "pki.h"
#include "read-input.h"

struct collateral *collateral_new(const char *origin)
{
    struct collateral *c = calloc(1, sizeof(*c));
    if (c && !(c->origin = strdup(origin))) {
        free(c);
        return NULL;
    }
    return c;
}

static void crl_free(void *p)
{
    struct crl *c = p;
    if (c) {
        X509_CRL_free(c->crl);
        X509_free(c->verified_by);
        free(c->origin);
        free(c);
    }
}

static void tcb_info_free_item(void *p)
{
    tcb_info_free(p);
}

void collateral_free(struct collateral *c)
{
    if (!c)
        return;
    ptrvec_free_all(&c->tcb_infos, tcb_info_free_item);
    qe_identity_free(c->qe_identity);
    pki_free_certs(c->tcb_chain);
    pki_free_certs(c->pck_cas);
    free(c->tcb_chain_origin);
    crl_free(c->root_crl);
    ptrvec_free_all(&c->pck_crls, crl_free);
    free(c->origin);
    free(c);
}

struct tcb_info *collateral_tcb_info(const struct collateral *c, const uint8_t fmspc[6])
{
    for (size_t i = 0; i < c->tcb_infos.n; i++) {
        struct tcb_info *t = c->tcb_infos.items[i];
        if (memcmp(t->fmspc, fmspc, 6) == 0)
            return t;
    }
    return NULL;
}

/* Skips one JSON string starting at its opening quote. */
static size_t skip_string(const char *s, size_t i, size_t len)
{
    for (i++; i < len && s[i] != '"'; i++)
        if (s[i] == '\\')
            i++;
    return i + 1;
}

static size_t skip_space(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

static size_t skip_value(const char *s, size_t i, size_t len)
{
    int depth = 0;
    if (i < len && s[i] == '"')
        return skip_string(s, i, len);
    if (i < len && s[i] != '{' && s[i] != '[') {
        while (i < len && !strchr(",}] \t\r\n", s[i]))
            i++;
        return i;
    }
    while (i < len) {
        if (s[i] == '"') {
            i = skip_string(s, i, len);
            continue;
        }
        if (s[i] == '{' || s[i] == '[')
            depth++;
        else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
            return i + 1;
        i++;
    }
    return i;
}

int json_member_span(const char *text, size_t len, const char *key, size_t *start, size_t *end)
{
    size_t i = skip_space(text, 0, len), klen = strlen(key);

    if (i >= len || text[i] != '{')
        return -ENOENT;
    i = skip_space(text, i + 1, len);
    while (i < len && text[i] == '"') {
        size_t k = i + 1, kend = skip_string(text, i, len) - 1, v;
        bool match = kend - k == klen && memcmp(text + k, key, klen) == 0;
        i = skip_space(text, kend + 1, len);
        if (i >= len || text[i] != ':')
            return -ENOENT;
        v = skip_space(text, i + 1, len);
        i = skip_value(text, v, len);
        if (match) {
            *start = v;
            *end = i;
            return 0;
        }
        i = skip_space(text, i, len);
        if (i < len && text[i] == ',')
            i = skip_space(text, i + 1, len);
    }
    return -ENOENT;
}

static int add_tcb_info(struct collateral *c, struct tcb_info *t, tdx_error *err)
{
    struct tcb_info *old = collateral_tcb_info(c, t->fmspc);
    if (old) {
        int r = tdx_err(err, -EINVAL, "%s: a second TCB info for FMSPC %02x%02x%02x%02x%02x%02x (first: %s)",
                        t->doc.origin, t->fmspc[0], t->fmspc[1], t->fmspc[2], t->fmspc[3], t->fmspc[4],
                        t->fmspc[5], old->doc.origin);
        tcb_info_free(t);
        return r;
    }
    if (ptrvec_push(&c->tcb_infos, t) < 0) {
        tcb_info_free(t);
        return tdx_err_oom(err);
    }
    return 0;
}

static int add_qe_identity(struct collateral *c, struct qe_identity *q, tdx_error *err)
{
    if (c->qe_identity) {
        int r = tdx_err(err, -EINVAL, "%s: a second QE identity (first: %s)", q->doc.origin,
                        c->qe_identity->doc.origin);
        qe_identity_free(q);
        return r;
    }
    c->qe_identity = q;
    return 0;
}

int collateral_add_response(struct collateral *c, const char *text, size_t len, const char *origin,
                            tdx_error *err)
{
    struct json_reader R;
    json_t *root = NULL;
    const char *key, *sig = NULL;
    size_t start, end;
    int r;

    jr_init_err(&R, origin, err);
    R.code = -EBADMSG;
    if ((r = jr_parse(&R, text, len, 0, 0, &root)) < 0)
        return r;
    key = json_object_get(root, "tcbInfo") ? "tcbInfo" : json_object_get(root, "enclaveIdentity") ? "enclaveIdentity" : NULL;
    sig = json_string_value(json_object_get(root, "signature"));
    if (!key || !sig || json_member_span(text, len, key, &start, &end) < 0) {
        json_decref(root);
        return jr_fail(&R, NULL, "not a PCS response (expected \"tcbInfo\" or \"enclaveIdentity\" and \"signature\")");
    }
    if (streq(key, "tcbInfo")) {
        struct tcb_info *t = NULL;
        r = tcb_info_parse(text + start, end - start, sig, origin, &t, err);
        if (r >= 0)
            r = add_tcb_info(c, t, err);
    } else {
        struct qe_identity *q = NULL;
        r = qe_identity_parse(text + start, end - start, sig, origin, &q, err);
        if (r >= 0)
            r = add_qe_identity(c, q, err);
    }
    json_decref(root);
    return r;
}

/* The TCB signing chain (a leaf that is no CA, then the root) signs TCB info
 * and QE identity. A chain that starts with a CA is a PCK CRL issuer chain:
 * its CA certificate lets collateral_seal() check the PCK CRL once; the
 * quote's own verified intermediate is what the crl step compares with. */
int collateral_add_chain(struct collateral *c, STACK_OF(X509) *certs, const char *origin, tdx_error *err)
{
    X509 *leaf = sk_X509_value(certs, 0);

    if (X509_check_ca(leaf)) {
        if ((!c->pck_cas && !(c->pck_cas = sk_X509_new_null())) || !sk_X509_push(c->pck_cas, leaf)) {
            pki_free_certs(certs);
            return tdx_err_oom(err);
        }
        X509_up_ref(leaf);
        pki_free_certs(certs);
        return 0;
    }
    if (c->tcb_chain) {
        bool same = pki_same_cert(sk_X509_value(c->tcb_chain, 0), leaf);
        pki_free_certs(certs);
        if (!same)
            return tdx_err(err, -EINVAL, "%s: a different TCB signing chain than %s", origin, c->tcb_chain_origin);
        return 0;
    }
    c->tcb_chain_origin = strdup(origin);
    if (!c->tcb_chain_origin) {
        pki_free_certs(certs);
        return tdx_err_oom(err);
    }
    c->tcb_chain = certs;
    return 0;
}

int collateral_add_crl(struct collateral *c, X509_CRL *crl, X509 *root, const char *origin, tdx_error *err)
{
    bool is_root = X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(root)) == 0;
    struct crl *entry = calloc(1, sizeof(*entry));
    char name[256];

    if (!entry || !(entry->origin = strdup(origin))) {
        free(entry);
        X509_CRL_free(crl);
        return tdx_err_oom(err);
    }
    entry->crl = crl;
    if (is_root) {
        if (c->root_crl) {
            crl_free(entry);
            return tdx_err(err, -EINVAL, "%s: a second root CA CRL (first: %s)", origin, c->root_crl->origin);
        }
        c->root_crl = entry;
        return 0;
    }
    for (size_t i = 0; i < c->pck_crls.n; i++) {
        struct crl *old = c->pck_crls.items[i];
        if (X509_NAME_cmp(X509_CRL_get_issuer(old->crl), X509_CRL_get_issuer(crl)) == 0) {
            pki_name(X509_CRL_get_issuer(crl), name, sizeof(name));
            crl_free(entry);
            return tdx_err(err, -EINVAL, "%s: a second CRL of %s (first: %s)", origin, name, old->origin);
        }
    }
    if (ptrvec_push(&c->pck_crls, entry) < 0) {
        crl_free(entry);
        return tdx_err_oom(err);
    }
    return 0;
}

static bool looks_like_json(const char *data, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (!strchr(" \t\r\n", data[i]))
            return data[i] == '{';
    return false;
}

int collateral_add_file(struct collateral *c, const char *path, const char *data, size_t size, X509 *root,
                        tdx_error *err)
{
    X509_CRL *crl;

    if (looks_like_json(data, size))
        return collateral_add_response(c, data, size, path, err);
    if (memmem(data, size, "-----BEGIN CERTIFICATE-----", 27)) {
        STACK_OF(X509) *certs = NULL;
        int r = pki_parse_certs((const uint8_t *)data, size, PEM_FILE, path, &certs, err);
        return r < 0 ? r : collateral_add_chain(c, certs, path, err);
    }
    crl = pki_parse_crl((const uint8_t *)data, size);
    if (crl)
        return collateral_add_crl(c, crl, root, path, err);
    return tdx_err(err, -EBADMSG,
                   "%s: not collateral (expected a TCB info or QE identity response, a PEM issuer chain or a CRL)",
                   path);
}

static int load_dir(struct collateral *c, const char *dir, X509 *root, tdx_error *err)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort), r = 0;

    if (n < 0)
        return tdx_err_lib(err, -errno, TDX_ERROR_LIBRARY_ERRNO, errno, "%s: cannot list: %s", dir,
                           strerror(errno));
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t size;

        if (r >= 0 && ents[i]->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                r = read_input(path, COLLATERAL_FILE_MAX, &data, &size, err);
                if (r >= 0)
                    r = collateral_add_file(c, path, data, size, root, err);
            }
        }
        free(ents[i]);
    }
    free(ents);
    return r;
}

/* dcap-qvl's QuoteCollateralV3 as JSON: the signed texts as strings, the
 * signatures and CRLs as hex, the chains as PEM. */
static int load_dcap_json(struct collateral *c, struct json_reader *R, json_t *root, X509 *root_ca,
                          tdx_error *err)
{
    enum { TCB_INFO, TCB_INFO_SIGNATURE, QE_IDENTITY, QE_IDENTITY_SIGNATURE, TCB_INFO_CHAIN,
           QE_IDENTITY_CHAIN, ROOT_CA_CRL, PCK_CRL, PCK_CRL_CHAIN, N_MEMBERS };
    static const char *const names[N_MEMBERS] = {
        "tcb_info", "tcb_info_signature", "qe_identity", "qe_identity_signature",
        "tcb_info_issuer_chain", "qe_identity_issuer_chain", "root_ca_crl", "pck_crl",
        "pck_crl_issuer_chain",
    };
    static const int chains[] = { TCB_INFO_CHAIN, QE_IDENTITY_CHAIN, PCK_CRL_CHAIN };
    static const int crls[] = { ROOT_CA_CRL, PCK_CRL };
    const char *v[N_MEMBERS] = { NULL };
    char origin[PATH_MAX + 64];
    struct tcb_info *t = NULL;
    struct qe_identity *q = NULL;
    int r;

    for (size_t i = 0; i < N_MEMBERS; i++)
        if ((r = jr_string(R, root, "", names[i], i == PCK_CRL_CHAIN ? 0 : JR_REQUIRED, NULL,
                           &v[i])) < 0)
            return r;
    snprintf(origin, sizeof(origin), "%s: tcb_info", R->file);
    r = tcb_info_parse(v[TCB_INFO], strlen(v[TCB_INFO]), v[TCB_INFO_SIGNATURE], origin, &t, err);
    if (r < 0 || (r = add_tcb_info(c, t, err)) < 0)
        return r;
    snprintf(origin, sizeof(origin), "%s: qe_identity", R->file);
    r = qe_identity_parse(v[QE_IDENTITY], strlen(v[QE_IDENTITY]), v[QE_IDENTITY_SIGNATURE], origin,
                          &q, err);
    if (r < 0 || (r = add_qe_identity(c, q, err)) < 0)
        return r;
    for (size_t i = 0; i < ELEMENTSOF(chains); i++) {
        STACK_OF(X509) *certs = NULL;
        const char *pem = v[chains[i]];
        if (!pem)
            continue;
        snprintf(origin, sizeof(origin), "%s: %s", R->file, names[chains[i]]);
        r = pki_parse_certs((const uint8_t *)pem, strlen(pem), PEM_FILE, origin, &certs, err);
        if (r < 0 || (r = collateral_add_chain(c, certs, origin, err)) < 0)
            return r;
    }
    for (size_t i = 0; i < ELEMENTSOF(crls); i++) {
        const char *hex = v[crls[i]];
        X509_CRL *crl = pki_parse_crl((const uint8_t *)hex, strlen(hex));
        if (!crl)
            return jr_fail(R, names[crls[i]], "not a hex-encoded DER CRL");
        snprintf(origin, sizeof(origin), "%s: %s", R->file, names[crls[i]]);
        if ((r = collateral_add_crl(c, crl, root_ca, origin, err)) < 0)
            return r;
    }
    return 0;
}

int collateral_load_buffer(const char *name, const char *data, size_t size, X509 *root,
                           struct collateral **out, tdx_error *err)
{
    struct collateral *c = collateral_new(name);
    struct json_reader R;
    json_t *j = NULL;
    int r;

    if (!c)
        return tdx_err_oom(err);
    jr_init_err(&R, name, err);
    R.code = -EBADMSG;
    r = jr_parse(&R, data, size, 0, 0, &j);
    if (r >= 0)
        r = load_dcap_json(c, &R, j, root, err);
    json_decref(j);
    if (r < 0) {
        collateral_free(c);
        return r;
    }
    *out = c;
    return 0;
}

int collateral_load(const char *path, X509 *root, struct collateral **out, tdx_error *err)
{
    struct stat st;
    struct collateral *c;
    int r;

    if (stat(path, &st) < 0)
        return tdx_err_lib(err, -errno, TDX_ERROR_LIBRARY_ERRNO, errno, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        r = read_input(path, COLLATERAL_FILE_MAX, &data, &size, err);
        if (r < 0)
            return r;
        return collateral_load_buffer(path, data, size, root, out, err);
    }
    c = collateral_new(path);
    if (!c)
        return tdx_err_oom(err);
    r = load_dir(c, path, root, err);
    if (r < 0) {
        collateral_free(c);
        return r;
    }
    *out = c;
    return 0;
}
