/* SPDX-License-Identifier: MIT */
/*
 * Where the lock file is and when it is written: the decisions `tdxctl
 * lock` used to make itself (tdx.lock beside the recipe; written when
 * something changed or there was none yet; never on a dry run), here so
 * every caller makes them the same way.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "lock-internal.h"
#include "macro.h"

#define LOCK_FILE_NAME "tdx.lock"

/* v2 fields are read only from a v2 struct: a program built against v1
 * passes a shorter one. */
static const char *opt_recipe_file(const tdx_lock_options *o)
{
    return o && o->version >= 2 ? o->recipe_file : NULL;
}

static const char *opt_lockfile(const tdx_lock_options *o)
{
    return o && o->version >= 2 ? o->lockfile : NULL;
}

int lock_recipe_dir(const tdx_lock_options *o, char buf[PATH_MAX], const char **dir,
                    tdx_error *err)
{
    const char *file = opt_recipe_file(o);
    char copy[PATH_MAX];

    if (o && o->recipe_dir) {
        *dir = o->recipe_dir;
        return 0;
    }
    if (!file) {
        *dir = NULL;
        return 0;
    }
    /* The recipe's real directory, so a lock made through a symlink or a
     * relative path records the same source paths. */
    if (!realpath(file, copy)) {
        if (strlen(file) >= sizeof(copy))
            return tdx_err(err, -ENAMETOOLONG, "%s: path too long", file);
        memcpy(copy, file, strlen(file) + 1);
    }
    snprintf(buf, PATH_MAX, "%s", dirname(copy));
    *dir = buf;
    return 0;
}

int tdx_lock_file_path(const tdx_lock_options *opts, char **path, tdx_error *err)
{
    char buf[PATH_MAX];
    const char *dir, *given = opt_lockfile(opts);
    char *p;
    int r;

    tdx_check_arg(path, err);
    tdx_check_options(opts, TDX_LOCK_OPTIONS_VERSION, err);
    if (given) {
        if (!*given)
            return tdx_err(err, -EINVAL, "%s: lockfile: empty path", __func__);
        p = strdup(given);
    } else {
        r = lock_recipe_dir(opts, buf, &dir, err);
        if (r < 0)
            return r;
        if (dir && asprintf(&p, "%s/%s", dir, LOCK_FILE_NAME) < 0)
            p = NULL;
        else if (!dir)
            p = strdup(LOCK_FILE_NAME);
    }
    if (!p)
        return tdx_err_oom(err);
    *path = p;
    return 0;
}

int tdx_lock_open(tdx_lock **out, const tdx_lock_options *opts, tdx_error *err)
{
    _cleanup_free_ char *path = NULL;
    int r;

    tdx_check_arg(out, err);
    r = tdx_lock_file_path(opts, &path, err);
    if (r < 0)
        return r;
    return tdx_lock_load(out, path, err);
}

int tdx_lock_update(tdx_lock **out, const tdx_image *image, const tdx_lock_options *opts,
                    int *written, tdx_error *err)
{
    _cleanup_free_ char *path = NULL;
    tdx_lock *lock = NULL;
    bool existed;
    int r, changes;

    tdx_check_arg(out, err);
    tdx_check_arg(image, err);
    r = tdx_lock_file_path(opts, &path, err);
    if (r < 0)
        return r;
    r = tdx_lock_load(&lock, path, err);
    existed = r >= 0;
    if (r == -ENOENT) {
        tdx_error_clear(err);
        r = tdx_lock_new(&lock, err);
    }
    if (r < 0)
        return r;
    changes = tdx_lock_resolve(lock, image, opts, err);
    if (changes < 0) {
        tdx_lock_free(lock);
        return changes;
    }
    /* An up-to-date lock is not rewritten (its bytes and time stay). */
    if ((!opts || opts->dry_run != 1) && (changes > 0 || !existed)) {
        r = tdx_lock_save(lock, path, err);
        if (r < 0) {
            tdx_lock_free(lock);
            return r;
        }
        if (written)
            *written = 1;
    } else if (written) {
        *written = 0;
    }
    *out = lock;
    return changes;
}
