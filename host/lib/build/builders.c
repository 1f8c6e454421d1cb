/* SPDX-License-Identifier: MIT */
/*
 * The recipe's builds for a native image, run on the host: each in a
 * scratch copy of its source directory, with $DESTDIR, SOURCE_DATE_EPOCH,
 * a fixed locale, time zone and umask, and -ffile-prefix-map in CFLAGS and
 * CXXFLAGS, so the scratch path does not reach the binaries. What the build
 * installs below $DESTDIR and the artifacts it names go into the image.
 * Toolchain builders (go, rust, dotnet) take their toolchain only through
 * the lock (pinned by hash), unpacked once into the extract cache.
 */
#include <dirent.h>
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

/* A toolchain is an input like any download: only through the lock; then
 * unpacked once into the cache of extracted inputs. */
static int toolchain(const struct builder_ctx *c, const struct op *op, const char *where,
                     char **tree)
{
    const struct build_spec *b = &op->u.build;
    _cleanup_free_ char *path = NULL;
    tdx_fetch_options fo;
    char url[1024];
    int r;

    if (!b->toolchain_version && !b->toolchain_url)
        return tdx_err(c->err, -EOPNOTSUPP, "%s: a %s build for a native image needs a pinned "
                       "toolchain (toolchain.version or toolchain.url, and toolchain.sha256); use "
                       "--backend mkosi for Debian's", where, kind_name(b->kind));
    recipe_toolchain_url(b, url, sizeof(url));
    /* The archive is read to unpack it: hash the cached copy again first,
     * as for .debs, so an entry changed since it was fetched is refused. */
    fo = *c->fo;
    fo.verify_cached = 1;
    r = tdx_lock_fetch_url(c->lock, url, &fo, &path, c->err);
    if (r < 0)
        return tdx_err_prefix(c->err, r, "%s: toolchain %s (sha256 %s)", where, url,
                              b->toolchain_sha256 ? b->toolchain_sha256 : "none");
    if (build_result_add_input(c->res, "fetch", url, b->toolchain_version, url,
                               strrchr(path, '/') + 1) < 0)
        return tdx_err_oom(c->err);
    r = toolchain_tree(path, strrchr(path, '/') + 1, c->extract_dir, tree, c->err);
    return r < 0 ? tdx_err_prefix(c->err, r, "%s: toolchain %s", where, url) : 0;
}

/* The directory of an unpacked toolchain that holds rel ("bin/go"): the
 * tree itself or its single top-level directory. */
static char *toolchain_root(const char *tree, const char *rel)
{
    _cleanup_free_ struct dirent **names = NULL;
    char path[PATH_MAX], *found = NULL;
    int n;

    snprintf(path, sizeof(path), "%s/%s", tree, rel);
    if (access(path, F_OK) == 0)
        return strdup(tree);
    n = scandir(tree, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        if (!found && names[i]->d_name[0] != '.' &&
            snprintf(path, sizeof(path), "%s/%s/%s", tree, names[i]->d_name, rel) < (int)sizeof(path) &&
            access(path, F_OK) == 0 && asprintf(&found, "%s/%s", tree, names[i]->d_name) < 0)
            found = NULL;
        free(names[i]);
    }
    return found;
}

static int copy_tree(const struct builder_ctx *c, const char *where, const char *from,
                     const char *to)
{
    const char *argv[] = { "cp", "-R", "--no-preserve=ownership", from, to, NULL };
    return run(c, where, argv, NULL);
}

static int push_env(char ***env, const char *key, const char *value)
{
    char *s;
    if (asprintf(&s, "%s=%s", key, value) < 0)
        return -ENOMEM;
    return strv_push_take(env, s);
}

/* What each kind runs, as a shell command over $TDX_* variables set in env. */
static int kind_command(const struct builder_ctx *c, const struct op *op, const char *where,
                        const char *dir, const char *src, char ***env, const char **cmd)
{
    const struct build_spec *b = &op->u.build;
    _cleanup_free_ char *tree = NULL, *root = NULL, *remap = NULL, *path_env = NULL;
    const char *path = getenv("PATH");
    int r = 0;

    if (b->kind == TDX_BUILD_C || b->kind == TDX_BUILD_SCRIPT) {
        if (!b->build_script)
            return tdx_err(c->err, -EINVAL, "%s.build_script: required for %s builds", where,
                           kind_name(b->kind));
        *cmd = "eval \"$TDX_BUILD_SCRIPT\"";
        return push_env(env, "TDX_BUILD_SCRIPT", b->build_script) < 0 ? tdx_err_oom(c->err) : 0;
    }
    if (!b->output)
        return tdx_err(c->err, -EINVAL, "%s.output: required for %s builds", where,
                       kind_name(b->kind));
    if ((r = toolchain(c, op, where, &tree)) < 0)
        return r;
    root = toolchain_root(tree, b->kind == TDX_BUILD_GO       ? "bin/go"
                                : b->kind == TDX_BUILD_RUST   ? "install.sh"
                                                              : "dotnet");
    if (!root)
        return tdx_err(c->err, -ENOENT, "%s: the toolchain archive has no %s", where,
                       b->kind == TDX_BUILD_GO ? "bin/go" : b->kind == TDX_BUILD_RUST
                                                                ? "install.sh" : "dotnet");
    if (asprintf(&remap, "%s=/usr/src/%s", src, b->name) < 0)
        return tdx_err_oom(c->err);
    r = push_env(env, "TDX_OUTPUT", b->output) | push_env(env, "TDX_TOOLCHAIN", root) |
        push_env(env, "TDX_TARGET", b->target ? b->target : b->kind == TDX_BUILD_RUST ? b->name : ".") |
        push_env(env, "TDX_REMAP", remap);
    switch (b->kind) {
    case TDX_BUILD_GO:
        if (asprintf(&path_env, "%s/bin:%s", root, path ? path : "/usr/bin:/bin") < 0)
            return tdx_err_oom(c->err);
        r |= push_env(env, "GOROOT", root) | push_env(env, "PATH", path_env) |
             push_env(env, "GOTOOLCHAIN", "local") | push_env(env, "CGO_ENABLED", "0") |
             push_env(env, "GOFLAGS", "-modcacherw") |
             push_env(env, "TDX_LDFLAGS", b->ldflags ? b->ldflags : "");
        {
            _cleanup_free_ char *gopath = NULL, *gocache = NULL;
            if (asprintf(&gopath, "%s/gopath", dir) < 0 || asprintf(&gocache, "%s/gocache", dir) < 0)
                return tdx_err_oom(c->err);
            r |= push_env(env, "GOPATH", gopath) | push_env(env, "GOCACHE", gocache);
        }
        *cmd = b->reproducible
                   ? "go build -trimpath -buildvcs=false -ldflags \"-buildid= $TDX_LDFLAGS\" "
                     "-o \"$DESTDIR$TDX_OUTPUT\" \"$TDX_TARGET\""
                   : "go build -ldflags \"$TDX_LDFLAGS\" -o \"$DESTDIR$TDX_OUTPUT\" \"$TDX_TARGET\"";
        break;
    case TDX_BUILD_RUST: {
        /* The standalone installer into a prefix of the scratch directory;
         * cargo and rustc run from there. */
        _cleanup_free_ char *prefix = NULL, *features = NULL;
        strbuf fb = STRBUF_INIT;
        STRV_FOREACH(f, b->features)
            strbuf_printf(&fb, "%s%s", fb.len ? "," : "", *f);
        features = strbuf_steal(&fb, NULL);
        if (asprintf(&prefix, "%s/rust", dir) < 0 ||
            asprintf(&path_env, "%s/bin:%s", prefix, path ? path : "/usr/bin:/bin") < 0 || !features)
            return tdx_err_oom(c->err);
        r |= push_env(env, "TDX_PREFIX", prefix) | push_env(env, "PATH", path_env) |
             push_env(env, "TDX_FEATURES", features) | push_env(env, "CARGO_HOME", prefix) |
             push_env(env, "CARGO_TARGET_DIR", "target");
        if (b->reproducible) {
            _cleanup_free_ char *rf = NULL;
            if (asprintf(&rf, "--remap-path-prefix=%s -C link-arg=-Wl,--build-id=none", remap) < 0)
                return tdx_err_oom(c->err);
            r |= push_env(env, "RUSTFLAGS", rf);
        }
        *cmd = "sh \"$TDX_TOOLCHAIN/install.sh\" --prefix=\"$TDX_PREFIX\" --disable-ldconfig >/dev/null && "
               "cargo build --release --bin \"$TDX_TARGET\" ${TDX_FEATURES:+--features \"$TDX_FEATURES\"} && "
               "mkdir -p \"$DESTDIR$(dirname \"$TDX_OUTPUT\")\" && "
               "cp \"target/release/$TDX_TARGET\" \"$DESTDIR$TDX_OUTPUT\"";
        break;
    }
    default: /* dotnet */
        if (asprintf(&path_env, "%s:%s", root, path ? path : "/usr/bin:/bin") < 0)
            return tdx_err_oom(c->err);
        r |= push_env(env, "DOTNET_ROOT", root) | push_env(env, "PATH", path_env) |
             push_env(env, "DOTNET_CLI_TELEMETRY_OPTOUT", "1") | push_env(env, "DOTNET_NOLOGO", "1") |
             push_env(env, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1") |
             push_env(env, "TDX_SELF_CONTAINED", b->self_contained ? "1" : "");
        *cmd = b->reproducible
                   ? "dotnet publish \"$TDX_TARGET\" -c Release -o \"$DESTDIR$TDX_OUTPUT\" "
                     "-p:Deterministic=true -p:ContinuousIntegrationBuild=true \"-p:PathMap=$TDX_SRC=/build\" "
                     "${TDX_SELF_CONTAINED:+--self-contained true -r linux-x64}"
                   : "dotnet publish \"$TDX_TARGET\" -c Release -o \"$DESTDIR$TDX_OUTPUT\" "
                     "${TDX_SELF_CONTAINED:+--self-contained true -r linux-x64}";
        break;
    }
    return r < 0 ? tdx_err_oom(c->err) : 0;
}

static int one(const struct builder_ctx *c, const struct op *op)
{
    const struct build_spec *b = &op->u.build;
    _cleanup_free_ char *dir = NULL, *src = NULL, *dest = NULL, *tree = NULL, *flags = NULL;
    _cleanup_free_ char *sde = NULL, *shell = NULL;
    const char *cmd = NULL;
    char where[512];
    char **env = NULL;
    int r;

    op_where(op, NULL, where, sizeof(where));
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
        asprintf(&sde, "%lld", c->sde) < 0)
        return tdx_err_oom(c->err);
    if (push_env(&env, "LC_ALL", "C.UTF-8") < 0 || push_env(&env, "LANG", "C.UTF-8") < 0 ||
        push_env(&env, "TZ", "UTC") < 0 || push_env(&env, "SOURCE_DATE_EPOCH", sde) < 0 ||
        push_env(&env, "DESTDIR", dest) < 0 || push_env(&env, "TDX_SRC", src) < 0 ||
        push_env(&env, "HOME", dir) < 0 ||
        push_env(&env, "CFLAGS", b->reproducible ? flags : "") < 0 ||
        push_env(&env, "CXXFLAGS", b->reproducible ? flags : "") < 0) {
        strv_free(env);
        return tdx_err_oom(c->err);
    }
    r = kind_command(c, op, where, dir, src, &env, &cmd);
    /* The recipe's env last: it may override anything but the layout. */
    if (r >= 0 && strv_extend(&env, (const char *const *)b->env) < 0)
        r = tdx_err_oom(c->err);
    if (r >= 0 && asprintf(&shell, "umask 022 && cd \"$TDX_SRC\" && %s", cmd) < 0)
        r = tdx_err_oom(c->err);
    if (r >= 0) {
        const char *argv[] = { "sh", "-c", shell, NULL };
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
