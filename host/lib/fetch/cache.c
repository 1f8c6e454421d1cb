/* SPDX-License-Identifier: MIT */
/* The content-addressed cache: files named by their SHA-256, which enter it
 * only by an atomic rename after their hash was checked. */
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>

#include "error.h"
#include "fetch-internal.h"
#include "fileio.h"
#include "fsutil.h"

/* XDG says a relative $XDG_CACHE_HOME is invalid and must be ignored. */
static int cache_base(char **out)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

    if (xdg && xdg[0] == '/')
        return asprintf(out, "%s/tdxhost", xdg) < 0 ? -ENOMEM : 0;
    if (!home || home[0] != '/') {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || home[0] != '/')
        return -ENOENT;
    return asprintf(out, "%s/.cache/tdxhost", home) < 0 ? -ENOMEM : 0;
}

int cache_dir_open(const char *given, const char *kind, char **dir, tdx_error *err)
{
    _cleanup_free_ char *base = NULL, *path = NULL;
    struct stat st;
    int r;

    if (given) {
        path = strdup(given);
    } else {
        r = cache_base(&base);
        if (r == -ENOENT)
            return tdx_err(err, r, "no cache directory: neither XDG_CACHE_HOME nor a home "
                           "directory is set");
        if (r < 0 || asprintf(&path, "%s/%s", base, kind) < 0)
            path = NULL;
    }
    if (!path)
        return tdx_err_oom(err);
    r = mkdir_p(path, 0755);
    if (r < 0)
        return tdx_err_lib(err, r, TDX_ERROR_LIBRARY_ERRNO, -r,
                           "cannot create cache directory %s: %s", path, strerror(-r));
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return tdx_err(err, -ENOTDIR, "cache directory %s is not a directory", path);
    *dir = TAKE_PTR(path);
    return 0;
}

int cache_temp_file(const char *dir, int *fd, char **path, tdx_error *err)
{
    char *p = NULL;
    int f;

    if (asprintf(&p, "%s/.tmp-XXXXXX", dir) < 0)
        return tdx_err_oom(err);
    f = mkostemp(p, O_CLOEXEC);
    if (f < 0) {
        int e = errno;
        free(p);
        return tdx_err_lib(err, -e, TDX_ERROR_LIBRARY_ERRNO, e,
                           "cannot create a temporary file in %s: %s", dir, strerror(e));
    }
    *fd = f;
    *path = p;
    return 0;
}

int cache_commit(const char *dir, const char *tmp, const char *hex, char **final, tdx_error *err)
{
    _cleanup_free_ char *dest = NULL;

    if (asprintf(&dest, "%s/%s", dir, hex) < 0) {
        dest = NULL;
        unlink(tmp);
        return tdx_err_oom(err);
    }
    if (chmod(tmp, 0444) < 0 || rename(tmp, dest) < 0) {
        int e = errno;
        unlink(tmp);
        return tdx_err_lib(err, -e, TDX_ERROR_LIBRARY_ERRNO, e, "cannot move %s into the cache "
                           "as %s: %s", tmp, dest, strerror(e));
    }
    if (final)
        *final = TAKE_PTR(dest);
    return 0;
}

int cache_store_buffer(const char *dir, const void *data, size_t n, char hex[SHA256_HEX_SIZE],
                       char **final, tdx_error *err)
{
    _cleanup_free_ char *tmp = NULL;
    _cleanup_close_ int fd = -1;
    int r;

    sha256_buffer_hex(data, n, hex);
    r = cache_temp_file(dir, &fd, &tmp, err);
    if (r < 0)
        return r;
    r = write_all(fd, data, n);
    if (r >= 0 && fdatasync(fd) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return tdx_err_lib(err, r, TDX_ERROR_LIBRARY_ERRNO, -r, "cannot write %s: %s", tmp,
                           strerror(-r));
    }
    return cache_commit(dir, tmp, hex, final, err);
}

int copy_file_atomic(const char *src, const char *dest, unsigned mode, tdx_error *err)
{
    _cleanup_free_ char *tmp = NULL;
    _cleanup_close_ int in = -1, out = -1;
    struct stat st;
    int r = 0;

    if (asprintf(&tmp, "%s.tmp-XXXXXX", dest) < 0) {
        tmp = NULL;
        return tdx_err_oom(err);
    }
    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0 || fstat(in, &st) < 0)
        return tdx_err(err, -errno, "%s: cannot read: %s", src, strerror(errno));
    out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0)
        return tdx_err(err, -errno, "cannot create a temporary file next to %s: %s", dest,
                       strerror(errno));
    for (off_t left = st.st_size; left > 0 && r == 0;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
            /* Fall back to read/write through a buffer. */
            char buf[65536];
            n = read(in, buf, sizeof(buf));
            if (n > 0 && write_all(out, buf, (size_t)n) < 0)
                n = -1;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            r = n < 0 ? -errno : -EIO;
        else
            left -= n;
    }
    if (r == 0 && (fchmod(out, mode) < 0 || fdatasync(out) < 0 || rename(tmp, dest) < 0))
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return tdx_err_lib(err, r, TDX_ERROR_LIBRARY_ERRNO, -r, "cannot write %s: %s", dest,
                           strerror(-r));
    }
    return 0;
}
