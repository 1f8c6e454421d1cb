/* SPDX-License-Identifier: MIT */
/*
 * The build's lock, the same for every backend: where it is (as `tdxctl
 * lock` finds it), what an absent one means, and when it is written (when
 * the build changed it, never when frozen). The native backend brings the
 * recipe's inputs up to date in it; the mkosi backend pins its mkosi there.
 */
#include <errno.h>
#include <unistd.h>

#include "build-internal.h"
#include "error.h"

int build_lock_path(const char *recipe_dir, const tdx_build_image_options *o, char **path,
                    tdx_error *err)
{
    tdx_lock_options lo = TDX_LOCK_OPTIONS_INIT;

    lo.recipe_dir = recipe_dir;
    lo.lockfile = o ? o->lock_file : NULL;
    return tdx_lock_file_path(&lo, path, err);
}

int build_lock_load(const char *path, const tdx_build_image_options *o, const char *hint,
                    tdx_lock **out, tdx_error *err)
{
    /* tdx_lock_load() says "cannot read" for a missing file; an absent lock
     * is no failure here, and err is only touched by a real one. */
    if (access(path, F_OK) < 0 && errno == ENOENT) {
        if (o && o->frozen == 1)
            return tdx_err(err, -ENOENT, "--frozen: no lock file %s (%s)", path, hint);
        return tdx_lock_new(out, err);
    }
    return tdx_lock_load(out, path, err);
}

int build_lock_save(const tdx_lock *lock, const char *path, const tdx_build_image_options *o,
                    bool changed, tdx_error *err)
{
    if (!changed || (o && o->frozen == 1))
        return 0;
    return tdx_lock_save(lock, path, err);
}
