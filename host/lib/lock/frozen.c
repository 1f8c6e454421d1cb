/* SPDX-License-Identifier: MIT */
/* Frozen access: inputs come from the lock's entries and nowhere else. */
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "fetch/fetch-internal.h"
#include "lock-internal.h"

int tdx_lock_fetch_url(const tdx_lock *lock, const char *url, const tdx_fetch_options *opts,
                       char **path, tdx_error *err)
{
    const struct lock_fetch *f;

    tdx_check_arg(lock, err);
    tdx_check_arg(url, err);
    tdx_check_options(opts, TDX_FETCH_OPTIONS_VERSION, err);
    f = lock_find_fetch(lock, url);
    if (!f)
        return tdx_err(err, -ENOENT, "frozen: %s is not in the lock; run tdxctl lock", url);
    return tdx_fetch(f->url, f->sha256, opts, path, err);
}

static int fetch_deb_entry(const struct lock_deb *d, const tdx_fetch_options *opts, char **path,
                           tdx_error *err)
{
    tdx_fetch_options o = TDX_FETCH_OPTIONS_INIT;
    int r;

    if (opts)
        o = *opts;
    if (o.max_size == TDX_UNSET || (uint64_t)o.max_size > d->size)
        o.max_size = d->size ? (long long)d->size : 1;
    r = tdx_fetch(d->f[DEB_URL], d->f[DEB_SHA256], &o, path, err);
    return tdx_err_prefix(err, r, "locked package %s %s", d->f[DEB_NAME], d->f[DEB_VERSION]);
}

int tdx_lock_fetch_deb(const tdx_lock *lock, const char *name, const char *release,
                       const char *arch, const tdx_fetch_options *opts, char **path,
                       tdx_error *err)
{
    const struct lock_deb *d;

    tdx_check_arg(lock, err);
    tdx_check_arg(name, err);
    tdx_check_arg(release, err);
    tdx_check_options(opts, TDX_FETCH_OPTIONS_VERSION, err);
    if (!arch)
        arch = "amd64";
    d = lock_find_deb(lock, name, release, arch);
    if (!d)
        return tdx_err(err, -ENOENT, "frozen: Debian package %s (%s/%s) is not in the lock; run "
                       "tdxctl lock", name, release, arch);
    return fetch_deb_entry(d, opts, path, err);
}

int tdx_lock_fetch_all(const tdx_lock *lock, const tdx_fetch_options *opts, tdx_error *err)
{
    int n = 0, r;

    tdx_check_arg(lock, err);
    tdx_check_options(opts, TDX_FETCH_OPTIONS_VERSION, err);
    for (size_t i = 0; i < lock->fetches.n; i++, n++) {
        const struct lock_fetch *f = lock->fetches.items[i];
        r = tdx_fetch(f->url, f->sha256, opts, NULL, err);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < lock->debs.n; i++, n++) {
        r = fetch_deb_entry(lock->debs.items[i], opts, NULL, err);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < lock->gits.n; i++, n++) {
        const struct lock_git *g = lock->gits.items[i];
        tdx_git_options o = TDX_GIT_OPTIONS_INIT;
        o.commit = g->commit;
        o.offline = opts ? opts->offline : TDX_UNSET;
        r = tdx_fetch_git(g->url, g->tree, &o, NULL, NULL, err);
        if (r < 0)
            return tdx_err_prefix(err, r, "locked git source %s", g->url);
    }
    return n;
}

int tdx_lock_add_git(tdx_lock *lock, const char *url, const char *tree_sha256,
                     const tdx_git_options *opts, long long now, tdx_error *err)
{
    _cleanup_free_ char *commit = NULL;
    struct lock_git *g;
    char hex[SHA256_HEX_SIZE];
    int r;

    tdx_check_arg(lock, err);
    tdx_check_arg(url, err);
    tdx_check_options(opts, TDX_GIT_OPTIONS_VERSION, err);
    r = tdx_fetch_git(url, tree_sha256, opts, NULL, &commit, err);
    if (r < 0)
        return r;
    sha256_parse(tree_sha256, url, hex, NULL);   /* checked by tdx_fetch_git() */
    for (size_t i = 0; i < lock->gits.n; i++) {
        g = lock->gits.items[i];
        if (streq(g->url, url) && streq(g->commit, commit)) {
            lock_git_free(g);
            memmove(lock->gits.items + i, lock->gits.items + i + 1,
                    (lock->gits.n - i - 1) * sizeof(void *));
            lock->gits.n--;
            break;
        }
    }
    g = calloc(1, sizeof(*g));
    if (!g || !(g->url = strdup(url)) || !(g->commit = strdup(commit)) || !(g->tree = strdup(hex)) ||
        !(g->resolved_at = lock_timestamp(now)) ||
        (opts && opts->tag && !(g->tag = strdup(opts->tag))) || ptrvec_push(&lock->gits, g) < 0) {
        lock_git_free(g);
        return tdx_err_oom(err);
    }
    lock_sort(lock);
    return r;
}
