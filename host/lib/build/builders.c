/* SPDX-License-Identifier: MIT */
/*
 * The recipe's builds for a native image, run on the host: each in a
 * scratch copy of its source directory, with $DESTDIR, SOURCE_DATE_EPOCH,
 * a fixed locale, time zone and umask, and -ffile-prefix-map in CFLAGS and
 * CXXFLAGS, so the scratch path does not reach the binaries. What the build
 * installs below $DESTDIR and the artifacts it names go into the image.
 * Toolchain builders (go, rust, dotnet) need their toolchain pinned through
 * the lock; they are not run natively yet.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-internal.h"
#include "error.h"
#include "recipe/source-urls.h"
#include "tdxhost/lock.h"

static const char *kind_name(tdx_build_kind k)
{
    switch (k) {
    case TDX_BUILD_GO: return "go";
    case TDX_BUILD_RUST: return "rust";
    case TDX_BUILD_DOTNET: return "dotnet";
    case TDX_BUILD_C: return "c";
    case TDX_BUILD_SCRIPT: return "script";
    }
    return "?";
}

static int run(const struct builder_ctx *c, const char *where, const char *const *argv,
               const char *const *env)
{
    struct run_result rr = RUN_RESULT_INIT;
    int r = run_program(argv, env, &rr, c->err);
    if (r == -ENOENT)
        r = tdx_err(c->err, -ENOENT, "%s: %s is not installed", where, argv[0]);
    else if (r >= 0 && rr.status != 0)
        r = tdx_err(c->err, -EIO, "%s: exited with status %d: %s", where, rr.status,
                    run_last_line(&rr) ? run_last_line(&rr) : "no message");
    run_result_free(&rr);
    return r < 0 ? r : 0;
}

/* A toolchain is an input like any download: only through the lock. */
static int toolchain(const struct builder_ctx *c, const struct op *op, const char *where)
{
    const struct build_spec *b = &op->u.build;
    _cleanup_free_ char *path = NULL;
    char url[1024];
    int r;

    if (!b->toolchain_version && !b->toolchain_url)
        return tdx_err(c->err, -EOPNOTSUPP, "%s: a %s build for a native image needs a pinned "
                       "toolchain (toolchain.version or toolchain.url, and toolchain.sha256); use "
                       "--backend mkosi for Debian's", where, kind_name(b->kind));
    recipe_toolchain_url(b, url, sizeof(url));
    r = tdx_lock_fetch_url(c->lock, url, c->fo, &path, c->err);
    if (r < 0)
        return tdx_err_prefix(c->err, r, "%s: toolchain %s (sha256 %s)", where, url,
                              b->toolchain_sha256 ? b->toolchain_sha256 : "none");
    return tdx_err(c->err, -EOPNOTSUPP, "%s: the toolchain %s (sha256 %s) is pinned and cached, "
                   "but %s builds do not run on the host yet; use --backend mkosi", where, url,
                   b->toolchain_sha256, kind_name(b->kind));
}

static int copy_tree(const struct builder_ctx *c, const char *where, const char *from,
                     const char *to)
{
    const char *argv[] = { "cp", "-R", "--no-preserve=ownership", from, to, NULL };
    return run(c, where, argv, NULL);
}

static int one(const struct builder_ctx *c, const struct op *op)
{
    const struct build_spec *b = &op->u.build;
    _cleanup_free_ char *dir = NULL, *src = NULL, *dest = NULL, *tree = NULL, *flags = NULL;
    _cleanup_free_ char *sde = NULL, *destenv = NULL, *script = NULL, *srcenv = NULL;
    char where[512];
    char **env = NULL;
    int r;

    op_where(op, NULL, where, sizeof(where));
    if (b->kind != TDX_BUILD_C && b->kind != TDX_BUILD_SCRIPT)
        return toolchain(c, op, where);
    if (!b->build_script)
        return tdx_err(c->err, -EINVAL, "%s.build_script: required for %s builds", where,
                       kind_name(b->kind));
    r = tdx_tree_hash(b->src, &tree, c->err);
    if (r < 0)
        return tdx_err_prefix(c->err, r, "%s", where);
    if (build_result_add_input(c->res, "file", b->name, NULL, NULL, tree) < 0)
        return tdx_err_oom(c->err);
    if (asprintf(&dir, "%s/build-%s", c->work, b->name) < 0 ||
        asprintf(&src, "%s/src", dir) < 0 || asprintf(&dest, "%s/dest", dir) < 0)
        return tdx_err_oom(c->err);
    if (mkdir(dir, 0755) < 0 || mkdir(dest, 0755) < 0)
        return tdx_err(c->err, -errno, "%s: %s: %s", where, dir, strerror(errno));
    r = copy_tree(c, where, b->src, src);
    if (r < 0)
        return r;

    /* The scratch path must not reach the binaries: it differs per build. */
    if (asprintf(&flags, "-ffile-prefix-map=%s=/usr/src/%s", src, b->name) < 0 ||
        asprintf(&sde, "SOURCE_DATE_EPOCH=%lld", c->sde) < 0 ||
        asprintf(&destenv, "DESTDIR=%s", dest) < 0 || asprintf(&srcenv, "TDX_SRC=%s", src) < 0 ||
        asprintf(&script, "TDX_BUILD_SCRIPT=%s", b->build_script) < 0)
        return tdx_err_oom(c->err);
    {
        _cleanup_free_ char *cflags = NULL, *cxxflags = NULL, *home = NULL;
        if (asprintf(&cflags, "CFLAGS=%s", b->reproducible ? flags : "") < 0 ||
            asprintf(&cxxflags, "CXXFLAGS=%s", b->reproducible ? flags : "") < 0 ||
            asprintf(&home, "HOME=%s", dir) < 0)
            return tdx_err_oom(c->err);
        if (strv_push(&env, "LC_ALL=C.UTF-8") < 0 || strv_push(&env, "LANG=C.UTF-8") < 0 ||
            strv_push(&env, "TZ=UTC") < 0 || strv_push(&env, sde) < 0 ||
            strv_push(&env, destenv) < 0 || strv_push(&env, srcenv) < 0 ||
            strv_push(&env, script) < 0 || strv_push(&env, cflags) < 0 ||
            strv_push(&env, cxxflags) < 0 || strv_push(&env, home) < 0 ||
            strv_extend(&env, (const char *const *)b->env) < 0) {
            strv_free(env);
            return tdx_err_oom(c->err);
        }
    }
    {
        const char *argv[] = { "sh", "-c", "umask 022 && cd \"$TDX_SRC\" && eval \"$TDX_BUILD_SCRIPT\"",
                               NULL };
        r = run(c, where, argv, (const char *const *)env);
    }
    strv_free(env);
    if (r < 0)
        return r;

    /* Everything installed below $DESTDIR, then the named artifacts. */
    r = img_add_tree(c->img, "", dest, NULL, c->err);
    for (size_t i = 0; r >= 0 && i < b->n_artifacts; i++) {
        char from[PATH_MAX];
        struct stat st;
        if (snprintf(from, sizeof(from), "%s/%s", src, b->artifacts[i].from) >= (int)sizeof(from))
            return tdx_err(c->err, -ENAMETOOLONG, "%s.artifacts: path too long", where);
        if (stat(from, &st) < 0 || !S_ISREG(st.st_mode))
            return tdx_err(c->err, -ENOENT, "%s.artifacts: the build made no file \"%s\"", where,
                           b->artifacts[i].from);
        /* Modes normalised, as tdx_tree_hash() sees them: executable or not. */
        r = img_add_copy(c->img, b->artifacts[i].to, from, st.st_mode & 0111 ? 0755 : 0644, 0, 0,
                         c->err);
    }
    return r;
}

int native_run_builds(const struct builder_ctx *c)
{
    for (size_t i = 0; i < c->r->builds.n; i++) {
        int r = one(c, c->r->builds.items[i]);
        if (r < 0)
            return r;
    }
    return 0;
}
