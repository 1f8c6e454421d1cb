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
#include <pthread.h>
#include <signal.h>
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
    _cleanup_free_ char *dir = NULL, *base = NULL;
    int r;

    if (path_split(out, &dir, &base) < 0)
        return tdx_err_oom(err);
    if (!*base || streq(base, ".") || streq(base, ".."))
        return tdx_err(err, -EINVAL, "output directory %s: expected a directory name", out);
    if ((r = mkdir_p(dir, 0755)) < 0)
        return tdx_err(err, r, "cannot create the output's parent directory %s: %s", dir,
                       strerror(-r));
    bo->base = TAKE_PTR(base);
    r = staging_create(&bo->staging, dir, bo->base, err);
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
    if (mkdir(bo->stage, 0755) < 0)
        return tdx_err(err, -errno, "cannot create %s: %s", bo->stage, strerror(errno));
    if (mkdir(bo->work, 0700) < 0)
        return tdx_err(err, -errno, "cannot create %s: %s", bo->work, strerror(errno));
    /* The output's own mode does not depend on the umask. */
    if (chmod(bo->stage, 0755) < 0)
        return tdx_err(err, -errno, "cannot chmod %s: %s", bo->stage, strerror(errno));
    return 0;
}

int (*build_output_renameat)(int, const char *, int, const char *) = renameat;

/* The old output is in TOP/previous and could not be put back: the staging
 * directory is let go of with the keep marker in it, so that neither this
 * process's cleanup nor a later build's staging_remove_stale() removes it.
 * Its scratch work/ goes. */
static int keep_previous(struct build_output *bo, const char *out, int e, int back,
                         tdx_error *err)
{
    int fd = bo->staging.parent_fd, tree, p;
    sigset_t saved;

    sigemptyset(&saved);
    tree = openat(fd, bo->staging.name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (tree >= 0) {
        rm_rf_at(tree, "work");
        p = staging_protect(&bo->staging, tree, &saved);
        close(tree);
    } else {
        p = -errno;
    }
    staging_done(&bo->staging);
    if (p == 0)
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (p < 0)
        return tdx_err(err, -e, "cannot rename %s/out to %s: %s; the previous output could not "
                       "be put back (%s) and is in %s/previous, but could not be marked to be "
                       "kept (%s): move it away before the next build of %s", bo->top, out,
                       strerror(e), strerror(back), bo->top, strerror(-p), out);
    return tdx_err(err, -e, "cannot rename %s/out to %s: %s; the previous output could not be "
                   "put back (%s) and is kept in %s/previous", bo->top, out, strerror(e),
                   strerror(back), bo->top);
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
    if (exists && build_output_renameat(fd, bo->base, fd, old) < 0)
        return tdx_err(err, -errno, "cannot move %s aside to %s/previous: %s", out, bo->top,
                       strerror(errno));
    if (build_output_renameat(fd, stage, fd, bo->base) == 0)
        return 0;
    e = errno;
    if (!exists || build_output_renameat(fd, old, fd, bo->base) == 0)
        return tdx_err(err, -e, "cannot rename %s/out to %s: %s", bo->top, out, strerror(e));
    back = errno;
    return keep_previous(bo, out, e, back, err);
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
        return tdx_err(err, -errno, "cannot stat %s: %s", out, strerror(errno));
    }
    snprintf(stage, sizeof(stage), "%s/out", bo->staging.name);
    if (!exists)
        return build_output_commit_by_renames(bo, out, false, err);
    /* The old tree lands at out/ in the staging directory, removed with it. */
    if (renameat2(fd, stage, fd, bo->base, RENAME_EXCHANGE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return tdx_err(err, -errno, "cannot exchange %s/out with %s: %s", bo->top, out,
                       strerror(errno));
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
