/* SPDX-License-Identifier: MIT */
/*
 * Pins a build makes itself: a Debian package a build runs on the host (the
 * mkosi backend's mkosi) pinned beside the recipe's inputs, so the tool that
 * made an image is as fixed as what went into it, and a recipe input a build
 * pins on first use (the mkosi backend's ovmf) in the entry `tdxctl lock`
 * would write (docs/lockfile.md).
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

int lock_pin_deb(tdx_lock *lock, const char *name, const char *arch, const char *used_by,
                 const tdx_deb_options *o, tdx_error *err)
{
    char *labels[2] = { (char *)used_by, NULL };
    struct input_deb want = { (char *)name, (char *)o->release, NULL, labels };
    bool tool = strncmp(used_by, LOCK_TOOL, strlen(LOCK_TOOL)) == 0;
    tdx_deb_package *p = NULL;
    struct lock_deb *d;
    int r;

    if (!o->release)
        return tdx_err(err, -EINVAL, "%s: no release", __func__);
    if ((d = lock_find_deb(lock, name, o->release, arch))) {
        /* Pinned for another profile: this one uses it too, as `tdxctl
         * lock` would record. */
        if (strv_contains(d->used_by, used_by))
            return 0;
        if (strv_push(&d->used_by, used_by) < 0)
            return tdx_err_oom(err);
        strv_sort_uniq(d->used_by);
        return 1;
    }
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
    if (lock_add_change(lock, "+ debian %s (%s/%s): %s %s%s", name, o->release, arch,
                        d->f[DEB_NAME], d->f[DEB_VERSION], tool ? ", a tool" : "") < 0)
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
