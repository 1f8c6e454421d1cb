/* SPDX-License-Identifier: MIT */
/*
 * tdx_collateral: collateral files parsed and signature-checked once, with
 * the root they were checked against, shared by reference. Nothing in it is
 * written after tdx_collateral_load() returns (collateral_seal() has done
 * every check and primed OpenSSL's lazy caches), so verifiers on several
 * threads read it without locks; only the reference count changes, and it
 * is atomic.
 */
#include <errno.h>
#include <openssl/err.h>

#include "error.h"
#include "verify-internal.h"

int shared_collateral_new(struct collateral *col, X509 *root, X509_STORE *store, bool intel_root,
                          tdx_collateral **out, tdx_error *err)
{
    tdx_collateral *c;
    int r = collateral_seal(col, root, store, err);

    if (r < 0)
        return r;
    c = calloc(1, sizeof(*c));
    if (!c)
        return tdx_err_oom(err);
    atomic_init(&c->refs, 1);
    c->col = col;
    c->root = root;
    c->store = store;
    c->intel_root = intel_root;
    X509_up_ref(root);
    X509_STORE_up_ref(store);
    *out = c;
    return 0;
}

int tdx_collateral_load(tdx_collateral **out, const char *path, const tdx_collateral_options *opts, tdx_error *err)
{
    static const tdx_collateral_options defaults = TDX_COLLATERAL_OPTIONS_INIT;
    struct collateral *col = NULL;
    X509 *root = NULL;
    X509_STORE *store = NULL;
    bool intel = false;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(path, err);
    tdx_check_options(opts, TDX_COLLATERAL_OPTIONS_VERSION, err);
    if (!opts)
        opts = &defaults;
    if (opts->root_file && opts->root_pem)
        return tdx_err(err, -EINVAL, "tdx_collateral_load: root_file and root_pem are exclusive");
    r = verifier_load_root(opts->root_file, opts->root_pem, &root, &intel, err);
    if (r >= 0 && (!(store = X509_STORE_new()) || !X509_STORE_add_cert(store, root)))
        r = tdx_err_oom(err);
    if (r >= 0)
        r = collateral_load(path, root, &col, err);
    if (r >= 0 && (r = shared_collateral_new(col, root, store, intel, out, err)) < 0)
        collateral_free(col);
    X509_STORE_free(store);
    X509_free(root);
    ERR_clear_error();
    return r < 0 ? r : 0;
}

tdx_collateral *tdx_collateral_ref(tdx_collateral *c)
{
    if (c)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void tdx_collateral_unref(tdx_collateral *c)
{
    if (!c || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    collateral_free(c->col);
    X509_STORE_free(c->store);
    X509_free(c->root);
    free(c);
}
