/* SPDX-License-Identifier: MIT */
/*
 * Host tools in the lock: a Debian package a build runs on the host (the
 * mkosi backend's mkosi) pinned beside the recipe's inputs, so the tool that
 * made an image is as fixed as what went into it (docs/lockfile.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "lock-internal.h"
#include "macro.h"

bool lock_deb_is_tool(const struct lock_deb *d)
{
    if (!d->used_by || !d->used_by[0])
        return false;
    STRV_FOREACH(u, d->used_by)
        if (strncmp(*u, LOCK_TOOL, strlen(LOCK_TOOL)) != 0)
            return false;
    return true;
}

int lock_pin_tool_deb(tdx_lock *lock, const char *name, const char *arch,
                      const tdx_deb_options *o, tdx_error *err)
{
    char label[128], *labels[2] = { label, NULL };
    struct input_deb want = { (char *)name, (char *)o->release, NULL, labels };
    tdx_deb_package *p = NULL;
    struct lock_deb *d;
    int r;

    if (!o->release)
        return tdx_err(err, -EINVAL, "%s: no release", __func__);
    if (lock_find_deb(lock, name, o->release, arch))
        return 0;
    snprintf(label, sizeof(label), LOCK_TOOL "%s", name);
    r = tdx_deb_resolve(name, o, &p, err);
    if (r < 0)
        return tdx_err_prefix(err, r, "%s from Debian %s", name, o->release);
    d = lock_deb_entry(&want, arch, o->now, p, NULL);
    tdx_deb_package_free(p);
    if (!d || ptrvec_push(&lock->debs, d) < 0) {
        lock_deb_free(d);
        return tdx_err_oom(err);
    }
    lock_sort(lock);
    if (lock_add_change(lock, "+ debian %s (%s/%s): %s %s, a tool", name, o->release, arch,
                        d->f[DEB_NAME], d->f[DEB_VERSION]) < 0)
        return tdx_err_oom(err);
    return 1;
}

int lock_adopt_recipe(tdx_lock *lock, const tdx_image *image, const char *recipe_dir,
                      tdx_error *err)
{
    struct inputs in;
    int r;

    if (lock->digest)
        return 0;
    r = inputs_collect(image, recipe_dir, true, &in, err);
    if (r < 0)
        return r;
    lock_take_recipe(lock, &in);
    inputs_free(&in);
    return 0;
}
