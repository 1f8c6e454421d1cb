/* SPDX-License-Identifier: MIT */
/*
 * The mkosi backend's firmware. MRTD and RTMR0 are computed from OVMF.fd, so
 * it comes through the build's lock like every other input: for "ovmf", the
 * ovmf package of the recipe's release, in the very entry the native backend
 * and `tdxctl lock` use (identity ovmf/RELEASE/amd64, used_by "PROFILE:
 * firmware"), so one lock serves both backends and a point release of the
 * host's ovmf changes nothing (docs/build.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-internal.h"
#include "error.h"
#include "fileio.h"
#include "fsutil.h"
#include "lock/lock-internal.h"
#include "macro.h"
#include "tdxhost/deb.h"

/* The entry's architecture: the one the native backend and `tdxctl lock`
 * resolve recipe inputs for (ovmf itself is "all"). */
#define FIRMWARE_ARCH "amd64"
#define OVMF_FD "usr/share/ovmf/OVMF.fd"
#define FROZEN_HINT "build once without --frozen to pin it"

void mkosi_firmware_free(struct mkosi_firmware *fw)
{
    free(fw->path);
    free(fw->lock_path);
    *fw = (struct mkosi_firmware){ 0 };
}

/* A recipe's firmware file: an input by its hash, as in the native backend. */
static int firmware_file(const struct recipe *r, tdx_build_result *res, struct mkosi_firmware *fw,
                         tdx_error *err)
{
    char hex[SHA256_HEX_SIZE];
    int q = sha256_file(r->firmware, hex, NULL, err);

    if (q < 0)
        return tdx_err_prefix(err, q, "firmware");
    fw->event_layout = vm_event_layout(NULL);
    if (!(fw->path = strdup(r->firmware)) ||
        build_result_add_input(res, "file", "firmware", NULL, NULL, hex) < 0)
        return tdx_err_oom(err);
    return 0;
}

/* The pinned ovmf's tree, OVMF.fd checked against the hashes taken when it
 * was unpacked. */
static int ovmf_tree(const tdx_lock *lock, const struct lock_deb *d, const tdx_fetch_options *fo,
                     const char *extract_dir, tdx_build_result *res, struct mkosi_firmware *fw,
                     tdx_error *err)
{
    static const char *const rels[] = { OVMF_FD, NULL };
    _cleanup_free_ char *dir = NULL;
    int q;

    if (build_result_add_input(res, "deb", d->f[DEB_NAME], d->f[DEB_VERSION], d->f[DEB_URL],
                               d->f[DEB_SHA256]) < 0)
        return tdx_err_oom(err);
    q = locked_deb_tree(lock, d, fo, extract_dir, (char *const *)rels, &dir, err);
    if (q < 0)
        return tdx_err_prefix(err, q, "ovmf pinned in %s", fw->lock_path);
    if (asprintf(&fw->path, "%s/" OVMF_FD, dir) < 0) {
        fw->path = NULL;
        return tdx_err_oom(err);
    }
    if (access(fw->path, R_OK) < 0)
        return tdx_err(err, -ENOENT, "package ovmf %s: no " OVMF_FD, d->f[DEB_VERSION]);
    fw->event_layout = vm_event_layout(d->f[DEB_VERSION]);
    return 0;
}

int mkosi_firmware(const tdx_image *image, const struct recipe *r,
                   const tdx_build_image_options *o, const char *cache, tdx_build_result *res,
                   struct mkosi_firmware *fw, tdx_error *err)
{
    _cleanup_free_ char *fetch_dir = NULL, *extract_dir = NULL, *label = NULL;
    tdx_fetch_options fo = TDX_FETCH_OPTIONS_INIT;
    tdx_deb_options dopt = TDX_DEB_OPTIONS_INIT;
    struct locked_deb_want want = { "ovmf", r->release, FIRMWARE_ARCH, NULL, FROZEN_HINT };
    const struct lock_deb *d;
    tdx_lock *lock = NULL;
    bool frozen = o->frozen == 1;
    int pinned, q;

    if (!streq(r->firmware, "ovmf"))
        return firmware_file(r, res, fw, err);
    /* The lock pins Debian packages only (docs/lockfile.md), and Debian's
     * signed index vouches for nothing of another distribution. */
    if (!streq(r->distribution, "debian"))
        return tdx_err(err, -EINVAL, "profile %s: firmware \"ovmf\" is Debian's package, locked "
                       "for debian/ bases only (base is %s/%s): name a firmware file",
                       r->profile, r->distribution, r->release);

    if (asprintf(&fetch_dir, "%s/fetch", cache) < 0 || asprintf(&extract_dir, "%s/extract", cache) < 0 ||
        asprintf(&label, "%s: firmware", r->profile) < 0)
        return tdx_err_oom(err);
    if (mkdir_p(fetch_dir, 0755) < 0 || mkdir_p(extract_dir, 0755) < 0)
        return tdx_err(err, -errno, "cache %s: %s", cache, strerror(errno));
    want.used_by = label;
    fo.cache_dir = fetch_dir;
    fo.offline = o->offline == 1 ? 1 : TDX_UNSET;
    fo.progress = o->progress;
    fo.progress_data = o->progress_data;
    /* The index the native backend's lock step reads: the caller's mirror
     * (or snapshot), else the recipe's. */
    dopt.release = r->release;
    dopt.arch = FIRMWARE_ARCH;
    dopt.mirror = o->snapshot ? NULL : o->mirror ? o->mirror : r->mirror;
    dopt.snapshot = o->snapshot;
    dopt.keyring = o->keyring;
    dopt.apt_dir = o->apt_dir;
    dopt.fetch = &fo;

    if ((q = build_lock_path(o->recipe_dir, o, &fw->lock_path, err)) < 0 ||
        (q = build_lock_load(fw->lock_path, o, "so no pinned ovmf: " FROZEN_HINT, &lock, err)) < 0)
        return q;
    pinned = locked_deb_entry(lock, fw->lock_path, &want,
                              frozen ? LOCKED_DEB_REQUIRE : LOCKED_DEB_PIN, &dopt, &d, err);
    q = pinned;
    if (q >= 0)
        q = ovmf_tree(lock, d, &fo, extract_dir, res, fw, err);
    /* A new lock file gets the recipe's name and digest, so it reads back;
     * saved before mkosi runs, so a build that fails later keeps the pin. */
    if (q >= 0 && pinned > 0)
        q = lock_adopt_recipe(lock, image, o->recipe_dir, err);
    if (q >= 0)
        q = build_lock_save(lock, fw->lock_path, o, pinned > 0, err);
    tdx_lock_free(lock);
    return q < 0 ? q : 0;
}
