/* SPDX-License-Identifier: MIT */
/*
 * A Debian package through the build's lock, the one way every backend takes
 * one: the entry the lock pins (pinned there first, through the signed index,
 * when the build may), its .deb by the locked SHA-256, and its unpacked tree
 * from the cache of extracted packages. The native backend takes its kernel,
 * firmware and packages this way, the mkosi backend its mkosi and its
 * firmware (docs/lockfile.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-internal.h"
#include "error.h"
#include "fsutil.h"
#include "lock/lock-internal.h"
#include "macro.h"
#include "tdxhost/deb.h"

int locked_deb_entry(tdx_lock *lock, const char *lock_name, const struct locked_deb_want *w,
                     enum locked_deb_use use, const tdx_deb_options *resolve,
                     const struct lock_deb **out, tdx_error *err)
{
    const struct lock_deb *d = lock_find_deb(lock, w->requested, w->release, w->arch);
    int pinned = 0;

    *out = NULL;
    if (use == LOCKED_DEB_PREFER && !d)
        return 0;
    if (use == LOCKED_DEB_REQUIRE) {
        if (!d)
            return tdx_err(err, -ENOENT, "%s: --frozen: the lock pins no %s (Debian %s); %s",
                           lock_name, w->requested, w->release, w->frozen_hint);
        *out = d;
        return 0;
    }
    if (use == LOCKED_DEB_PIN) {
        pinned = lock_pin_deb(lock, w->requested, w->arch, w->used_by, resolve, err);
        if (pinned < 0)
            return tdx_err_prefix(err, pinned, "%s", lock_name);
        d = lock_find_deb(lock, w->requested, w->release, w->arch);
        if (!d)
            return tdx_err(err, -EIO, "%s: %s was pinned but is not in the lock", lock_name,
                           w->requested);
    }
    *out = d;
    return pinned;
}

int locked_deb_fetch(const tdx_lock *lock, const struct lock_deb *d, const tdx_fetch_options *fo,
                     char **deb, tdx_error *err)
{
    tdx_fetch_options o = *fo;

    /* The .deb is read to unpack it: hash it again first, so a cache entry
     * changed since it was verified is refused. */
    o.verify_cached = 1;
    return tdx_lock_fetch_deb(lock, d->f[DEB_REQUESTED], d->f[DEB_RELEASE], d->f[DEB_ARCH], &o,
                              deb, err);
}

static void rm_rf(const char *path)
{
    _cleanup_free_ char *copy = strdup(path);
    char *slash = copy ? strrchr(copy, '/') : NULL;
    int fd;
    if (!copy)
        return;
    if (!slash) {
        rm_rf_at(AT_FDCWD, copy);
        return;
    }
    *slash = '\0';
    fd = open(*copy ? copy : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        rm_rf_at(fd, slash + 1);
        close(fd);
    }
}

void locked_deb_tree_drop(const char *dir)
{
    _cleanup_free_ char *sums = NULL;

    rm_rf(dir);
    if (asprintf(&sums, "%s.sums", dir) >= 0)
        unlink(sums);
    else
        sums = NULL;
}

/* Unpacks the locked .deb into dir and records its files' hashes beside it. */
static int unpack(const tdx_lock *lock, const struct lock_deb *d, const tdx_fetch_options *fo,
                  const char *dir, const char *sums, tdx_error *err)
{
    const char *requested = d->f[DEB_REQUESTED];
    _cleanup_free_ char *deb = NULL;
    struct stat st;
    int r;

    r = locked_deb_fetch(lock, d, fo, &deb, err);
    if (r < 0)
        return tdx_err_prefix(err, r, "package %s", requested);
    r = tdx_deb_extract(deb, dir, NULL, err);
    /* A concurrent build may have unpacked it first: its rename won. */
    if (r < 0 && !(r == -EEXIST || (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))))
        return tdx_err_prefix(err, r, "package %s", requested);
    r = sums_write(dir, sums, err);
    return r < 0 ? tdx_err_prefix(err, r, "package %s", requested) : 0;
}

int locked_deb_tree(const tdx_lock *lock, const struct lock_deb *d, const tdx_fetch_options *fo,
                    const char *extract_dir, char *const *rels, char **dir, tdx_error *err)
{
    _cleanup_free_ char *sums = NULL;
    tdx_error why = TDX_ERROR_INIT;
    struct stat st;
    int r;

    *dir = NULL;
    if (asprintf(dir, "%s/%s", extract_dir, d->f[DEB_SHA256]) < 0) {
        *dir = NULL;
        return tdx_err_oom(err);
    }
    if (asprintf(&sums, "%s.sums", *dir) < 0) {
        sums = NULL;
        return tdx_err_oom(err);
    }
    if (stat(*dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        r = sums_check(*dir, sums, rels, &why);
        if (r >= 0)
            return 0;
        if (r != -ENOENT && r != -EBADMSG) {
            free(*dir);
            *dir = NULL;
            return tdx_err(err, r, "%s", why.message);
        }
        /* Changed since it was unpacked (or unpacked without the hashes):
         * not used; unpacked again from the verified .deb. */
        locked_deb_tree_drop(*dir);
    }
    r = unpack(lock, d, fo, *dir, sums, err);
    if (r >= 0)
        r = sums_check(*dir, sums, rels, err);
    if (r < 0) {
        free(*dir);
        *dir = NULL;
    }
    return r;
}
