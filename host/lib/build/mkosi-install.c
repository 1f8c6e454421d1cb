/* SPDX-License-Identifier: MIT */
/* A pinned mkosi without pip: Debian's package through the signed index,
 * unpacked into the cache, run by a launcher with the host's python3. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-internal.h"
#include "error.h"
#include "fileio.h"
#include "fsutil.h"
#include "macro.h"
#include "tdxhost/build.h"
#include "tdxhost/deb.h"
#include "lock/lock-internal.h"
#include "tdxhost/lock.h"

#define MKOSI_RELEASE "trixie"
#define MKOSI_MIRROR "http://deb.debian.org/debian"
/* The lock entry's architecture: the package is "all", a host tool for any image. */
#define MKOSI_LOCK_ARCH "all"

int mkosi_cache_root(const char *given, char **out, tdx_error *err)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char *root = NULL;
    int r = 0;

    if (given)
        root = strdup(given);
    else if (xdg && *xdg == '/')
        r = asprintf(&root, "%s/tdxhost", xdg);
    else if (home && *home == '/')
        r = asprintf(&root, "%s/.cache/tdxhost", home);
    else
        return tdx_err(err, -ENOENT, "no cache directory: set XDG_CACHE_HOME or HOME, or give one");
    if (r < 0 || !root)
        return tdx_err_oom(err);
    *out = root;
    return 0;
}

/* "mkosi 25.3" (and nothing else on the line) -> "25.3", major 25. */
static int parse_version(const char *text, char **version, int *major)
{
    const char *p;
    char *end;
    size_t n;
    long m;

    if (strncmp(text, "mkosi ", 6) != 0)
        return -EBADMSG;
    p = text + 6;
    n = strcspn(p, "\n");
    if (n == 0 || n > 64)
        return -EBADMSG;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789.~+-abcdefghijklmnopqrstuvwxyz", p[i]))
            return -EBADMSG;
    errno = 0;
    m = strtol(p, &end, 10);
    if (errno || end == p || m < 0 || m > 100000)
        return -EBADMSG;
    *major = (int)m;
    *version = strndup(p, n);
    return *version ? 0 : -ENOMEM;
}

int tdx_mkosi_check(const char *mkosi, char **version, tdx_error *err)
{
    const char *argv[] = { mkosi, "--version", NULL };
    struct run_result res = RUN_RESULT_INIT;
    _cleanup_free_ char *v = NULL;
    int major = 0, r;

    tdx_check_arg(mkosi, err);
    r = run_program(argv, NULL, &res, err);
    if (r < 0) {
        run_result_free(&res);
        return r;
    }
    if (res.status != 0) {
        r = tdx_err(err, -ENOENT, "%s --version: exit status %d: %s", mkosi, res.status,
                    run_last_line(&res));
        run_result_free(&res);
        return r;
    }
    r = res.out.data ? parse_version(res.out.data, &v, &major) : -EBADMSG;
    if (r == -ENOMEM) {
        run_result_free(&res);
        return tdx_err_oom(err);
    }
    if (r < 0) {
        r = tdx_err(err, -EBADMSG, "%s --version: expected \"mkosi VERSION\", got \"%.60s\"", mkosi,
                    res.out.data ? res.out.data : "");
        run_result_free(&res);
        return r;
    }
    run_result_free(&res);
    if (major < TDX_MKOSI_MIN_MAJOR)
        return tdx_err(err, -EPROTONOSUPPORT,
                       "%s is mkosi %s; the emitted trees need mkosi %d or newer: run \"tdxctl mkosi "
                       "install\" (Debian trixie's mkosi 25, run with this host's python3) or pass "
                       "--mkosi PATH",
                       mkosi, v, TDX_MKOSI_MIN_MAJOR);
    if (version)
        *version = TAKE_PTR(v);
    return major;
}

/* The launcher: the unpacked package's modules on PYTHONPATH, the host's
 * python3, and the package's own data (mkosi finds its resources through
 * its module path). Written through a temporary file and a rename. */
static int write_launcher(const char *dir, const char *version, const char *sha256,
                          tdx_error *err)
{
    _cleanup_free_ char *path = NULL, *bin = NULL, *text = NULL;
    int r;

    if (strchr(dir, '\'') || strchr(dir, '\n'))
        return tdx_err(err, -EINVAL, "cache directory %s: a quote or newline in the path", dir);
    if (asprintf(&bin, "%s/bin", dir) < 0 || asprintf(&path, "%s/mkosi", bin) < 0 ||
        asprintf(&text,
                 "#!/bin/sh\n"
                 "# mkosi %s from Debian (.deb SHA-256 %s), written by tdxctl mkosi install.\n"
                 "# It runs with the host's python3 (3.9 or newer); nothing was installed.\n"
                 "PYTHONPATH='%s/root/usr/lib/python3/dist-packages'${PYTHONPATH:+:$PYTHONPATH}\n"
                 "export PYTHONPATH\n"
                 "exec python3 -m mkosi \"$@\"\n",
                 version, sha256, dir) < 0)
        return tdx_err_oom(err);
    if (mkdir(bin, 0755) < 0 && errno != EEXIST)
        return tdx_err(err, -errno, "cannot create %s: %s", bin, strerror(errno));
    r = write_file_atomic(path, text, strlen(text), 0755);
    if (r < 0)
        return tdx_err(err, r, "cannot write %s: %s", path, strerror(-r));
    return 0;
}

static tdx_fetch_options fetch_options(const tdx_mkosi_options *opts, const char *fetch_dir)
{
    tdx_fetch_options fo = TDX_FETCH_OPTIONS_INIT;
    if (opts && opts->fetch)
        fo = *opts->fetch;
    if (!fo.cache_dir)
        fo.cache_dir = fetch_dir;
    return fo;
}

static void deb_options(const tdx_mkosi_options *opts, const char *release,
                        const tdx_fetch_options *fo, tdx_deb_options *o)
{
    o->release = release;
    o->mirror = opts && opts->mirror ? opts->mirror : MKOSI_MIRROR;
    o->keyring = opts ? opts->keyring : NULL;
    o->follow = 0;
    o->fetch = fo;
}

/* The package from the signed index, unpinned. */
static int index_deb(const tdx_mkosi_options *opts, const char *release, const char *fetch_dir,
                     char **deb, struct mkosi_installed *mi, tdx_error *err)
{
    tdx_fetch_options fo = fetch_options(opts, fetch_dir);
    tdx_deb_options o = TDX_DEB_OPTIONS_INIT;
    tdx_deb_package *pkg = NULL;
    int r;

    deb_options(opts, release, &fo, &o);
    r = tdx_deb_resolve("mkosi", &o, &pkg, err);
    if (r < 0)
        return tdx_err_prefix(err, r, "mkosi from Debian %s", release);
    mi->deb_version = strdup(tdx_deb_package_get(pkg, TDX_DEB_VERSION));
    mi->deb_sha256 = strdup(tdx_deb_package_get(pkg, TDX_DEB_SHA256));
    mi->deb_url = strdup(tdx_deb_package_get(pkg, TDX_DEB_URL));
    if (!mi->deb_version || !mi->deb_sha256 || !mi->deb_url) {
        tdx_deb_package_free(pkg);
        return tdx_err_oom(err);
    }
    r = tdx_deb_download(pkg, &fo, deb, err);
    tdx_deb_package_free(pkg);
    return r < 0 ? r : 0;
}

/* The package the lock pins (pinned there first for MKOSI_LOCK_PIN), by its
 * locked SHA-256. *deb stays NULL when the lock has none and use allows
 * that. */
static int lock_deb(const tdx_mkosi_options *opts, tdx_lock *lock, const char *lock_name,
                    enum mkosi_lock_use use, const char *release, const char *fetch_dir,
                    char **deb, struct mkosi_installed *mi, tdx_error *err)
{
    const struct locked_deb_want want = {
        "mkosi", release, MKOSI_LOCK_ARCH, LOCK_TOOL "mkosi",
        "build once without --frozen to pin it, or pass --mkosi PATH",
    };
    tdx_fetch_options fo = fetch_options(opts, fetch_dir);
    tdx_deb_options o = TDX_DEB_OPTIONS_INIT;
    const struct lock_deb *d;
    int r;

    deb_options(opts, release, &fo, &o);
    r = locked_deb_entry(lock, lock_name, &want, (enum locked_deb_use)use, &o, &d, err);
    if (r < 0)
        return r;
    mi->pinned = r > 0;
    if (!d)
        return 0;
    r = locked_deb_fetch(lock, d, &fo, deb, err);
    if (r < 0)
        return tdx_err_prefix(err, r, "mkosi pinned in %s", lock_name);
    mi->locked = true;
    mi->deb_version = strdup(d->f[DEB_VERSION]);
    mi->deb_sha256 = strdup(d->f[DEB_SHA256]);
    mi->deb_url = strdup(d->f[DEB_URL]);
    if (!mi->deb_version || !mi->deb_sha256 || !mi->deb_url)
        return tdx_err_oom(err);
    return 0;
}

void mkosi_installed_free(struct mkosi_installed *mi)
{
    free(mi->launcher);
    free(mi->version);
    free(mi->deb_version);
    free(mi->deb_sha256);
    free(mi->deb_url);
    *mi = (struct mkosi_installed){ 0 };
}

int mkosi_install_locked(const tdx_mkosi_options *opts, tdx_lock *lock, const char *lock_name,
                         enum mkosi_lock_use use, struct mkosi_installed *out, tdx_error *err)
{
    _cleanup_free_ char *root = NULL, *fetch_dir = NULL, *dir = NULL, *unpacked = NULL,
                        *deb = NULL;
    struct mkosi_installed mi = { 0 };
    const char *release;
    struct stat st;
    int r;

    release = opts && opts->release ? opts->release : MKOSI_RELEASE;
    r = mkosi_cache_root(opts ? opts->cache_dir : NULL, &root, err);
    if (r < 0)
        return r;
    if (asprintf(&fetch_dir, "%s/fetch", root) < 0) {
        fetch_dir = NULL;
        return tdx_err_oom(err);
    }
    if (lock)
        r = lock_deb(opts, lock, lock_name, use, release, fetch_dir, &deb, &mi, err);
    if (r >= 0 && !deb)
        r = index_deb(opts, release, fetch_dir, &deb, &mi, err);
    if (r < 0)
        goto fail;

    if (asprintf(&dir, "%s/mkosi/%s", root, mi.deb_sha256) < 0 ||
        asprintf(&unpacked, "%s/root", dir) < 0 || asprintf(&mi.launcher, "%s/bin/mkosi", dir) < 0) {
        r = tdx_err_oom(err);
        goto fail;
    }
    if (mkdir_p(dir, 0755) < 0) {
        r = tdx_err(err, -errno, "cannot create %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (stat(unpacked, &st) < 0) {
        tdx_deb_extract_options xo = TDX_DEB_EXTRACT_OPTIONS_INIT;
        const char *paths[] = { "usr/lib/python3/dist-packages/*", NULL };
        xo.paths = paths;
        r = tdx_deb_extract(deb, unpacked, &xo, err);
        if (r < 0) {
            r = tdx_err_prefix(err, r, "mkosi %s", mi.deb_version);
            goto fail;
        }
    }
    if ((r = write_launcher(dir, mi.deb_version, mi.deb_sha256, err)) < 0 ||
        (r = tdx_mkosi_check(mi.launcher, &mi.version, err)) < 0)
        goto fail;
    *out = mi;
    return 0;
fail:
    mkosi_installed_free(&mi);
    return r;
}

int tdx_mkosi_install(const tdx_mkosi_options *opts, char **mkosi, char **version, tdx_error *err)
{
    struct mkosi_installed mi = { 0 };
    tdx_lock *lock = NULL;
    int r;

    tdx_check_options(opts, TDX_MKOSI_OPTIONS_VERSION, err);
    tdx_check_arg(mkosi, err);
    if (opts && opts->lock_file) {
        /* A lock that is not there pins nothing: the index decides. */
        r = access(opts->lock_file, F_OK) < 0 && errno == ENOENT
                ? 0 : tdx_lock_load(&lock, opts->lock_file, err);
        if (r < 0)
            return r;
    }
    r = mkosi_install_locked(opts, lock, opts ? opts->lock_file : NULL, MKOSI_LOCK_PREFER, &mi,
                             err);
    tdx_lock_free(lock);
    if (r < 0)
        return r;
    *mkosi = TAKE_PTR(mi.launcher);
    if (version)
        *version = TAKE_PTR(mi.version);
    mkosi_installed_free(&mi);
    return 0;
}
