/* SPDX-License-Identifier: MIT */
/*
 * A build's output directory, written whole for every backend: a registered
 * staging directory beside the output holds out/ (the new output) and work/
 * (what is thrown away); the commit swaps out/ onto the output in one
 * renameat2(RENAME_EXCHANGE), so the output path always names a whole tree,
 * and the old tree, now in the staging directory, goes with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-internal.h"
#include "error.h"
#include "fsutil.h"
#include "macro.h"

int build_output_begin(struct build_output *bo, const char *out, tdx_error *err)
{
    _cleanup_free_ char *parent = strdup(out);
    const char *base, *dir;
    char *slash;
    int r;

    if (!parent)
        return tdx_err_oom(err);
    for (size_t n = strlen(parent); n > 1 && parent[n - 1] == '/'; n--)
        parent[n - 1] = '\0';
    slash = strrchr(parent, '/');
    if (slash) {
        *slash = '\0';
        base = slash + 1;
        dir = *parent ? parent : "/";
        if (mkdir_p(dir, 0755) < 0)
            return tdx_err(err, -errno, "%s: %s", dir, strerror(errno));
    } else {
        base = parent;
        dir = ".";
    }
    if (!*base || streq(base, ".") || streq(base, ".."))
        return tdx_err(err, -EINVAL, "output directory %s: expected a directory name", out);
    if (!(bo->base = strdup(base)))
        return tdx_err_oom(err);
    r = staging_create(&bo->staging, dir, base, err);
    if (r < 0)
        return r;
    if (asprintf(&bo->top, "%s/%s", dir, bo->staging.name) < 0) {
        bo->top = NULL;
        return tdx_err_oom(err);
    }
    if (asprintf(&bo->stage, "%s/out", bo->top) < 0) {
        bo->stage = NULL;
        return tdx_err_oom(err);
    }
    if (asprintf(&bo->work, "%s/work", bo->top) < 0) {
        bo->work = NULL;
        return tdx_err_oom(err);
    }
    if (mkdir(bo->stage, 0755) < 0 || mkdir(bo->work, 0700) < 0)
        return tdx_err(err, -errno, "%s: %s", bo->top, strerror(errno));
    /* The output's own mode does not depend on the umask. */
    if (chmod(bo->stage, 0755) < 0)
        return tdx_err(err, -errno, "%s: %s", bo->stage, strerror(errno));
    return 0;
}

/* Without RENAME_EXCHANGE (a file system without renameat2 flags): the old
 * output moves into the staging directory, the new one takes its name, and
 * a failure moves the old one back. Only here is there a moment without
 * the output. */
int build_output_commit_by_renames(struct build_output *bo, const char *out, bool exists,
                                   tdx_error *err)
{
    int fd = bo->staging.parent_fd, e, back;
    char old[PATH_MAX], stage[PATH_MAX];

    snprintf(stage, sizeof(stage), "%s/out", bo->staging.name);
    snprintf(old, sizeof(old), "%s/previous", bo->staging.name);
    if (exists && renameat(fd, bo->base, fd, old) < 0)
        return tdx_err(err, -errno, "%s: %s", out, strerror(errno));
    if (renameat(fd, stage, fd, bo->base) == 0)
        return 0;
    e = errno;
    if (!exists)
        return tdx_err(err, -e, "%s: %s", out, strerror(e));
    back = renameat(fd, old, fd, bo->base);
    if (back == 0)
        return tdx_err(err, -e, "%s: %s", out, strerror(e));
    /* The old output must survive the staging directory's removal. */
    back = errno;
    staging_done(&bo->staging);
    return tdx_err(err, -e, "%s: %s; the previous output could not be put back (%s) and is "
                   "kept in %s/previous", out, strerror(e), strerror(back), bo->top);
}

int build_output_commit(struct build_output *bo, const char *out, tdx_error *err)
{
    char stage[PATH_MAX];
    struct stat st;
    bool exists;
    int fd = bo->staging.parent_fd;

    if (fd < 0 || !bo->staging.name || !bo->base)
        return tdx_err(err, -EINVAL, "%s: no staging directory", __func__);
    staging_test_pause();
    if (fstatat(fd, bo->base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISDIR(st.st_mode))
            return tdx_err(err, -ENOTDIR, "%s: exists and is not a directory", out);
        exists = true;
    } else if (errno == ENOENT) {
        exists = false;
    } else {
        return tdx_err(err, -errno, "%s: %s", out, strerror(errno));
    }
    snprintf(stage, sizeof(stage), "%s/out", bo->staging.name);
    if (!exists)
        return build_output_commit_by_renames(bo, out, false, err);
    /* The old tree lands at out/ in the staging directory, removed with it. */
    if (renameat2(fd, stage, fd, bo->base, RENAME_EXCHANGE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return tdx_err(err, -errno, "%s: cannot replace: %s", out, strerror(errno));
    return build_output_commit_by_renames(bo, out, true, err);
}

void build_output_free(struct build_output *bo)
{
    staging_remove(&bo->staging);
    free(bo->base);
    free(bo->top);
    free(bo->stage);
    free(bo->work);
    *bo = (struct build_output)BUILD_OUTPUT_INIT;
}
