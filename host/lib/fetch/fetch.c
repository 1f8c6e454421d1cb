/* SPDX-License-Identifier: MIT */
/* tdx_fetch(): a URL pinned by its SHA-256, through the cache. */
#include <stdio.h>
#include <sys/stat.h>

#include "error.h"
#include "fetch-internal.h"

/* 1 when dir/hex is a usable cache entry, 0 when absent (a corrupt entry
 * found by verify_cached is removed and counts as absent). */
static int cache_lookup(const char *path, const char *hex, bool verify, tdx_error *err)
{
    char got[SHA256_HEX_SIZE];
    struct stat st;
    tdx_error ignored = TDX_ERROR_INIT;

    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return tdx_err(err, -errno, "cannot use cache entry %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return tdx_err(err, -EINVAL, "cache entry %s is not a regular file", path);
    if (!verify)
        return 1;
    if (sha256_file(path, got, NULL, &ignored) == 0 && streq(got, hex))
        return 1;
    unlink(path);
    return 0;
}

/* Downloads url into the cache; *got receives the hash of what arrived. When
 * want is given, a different hash deletes the download and fails. */
static int download(const char *url, const char *dir, const char *want, const struct fetch_conf *c,
                    char got[SHA256_HEX_SIZE], uint64_t *size, char **final, tdx_error *err)
{
    _cleanup_free_ char *tmp = NULL;
    _cleanup_close_ int fd = -1;
    sha256_stream *sha;
    int r;

    if (c->offline)
        return tdx_err(err, -ENOENT, "%s: not in the cache %s and offline", url, dir);
    sha = sha256_stream_new();
    if (!sha)
        return tdx_err_oom(err);
    r = cache_temp_file(dir, &fd, &tmp, err);
    if (r < 0) {
        sha256_stream_free(sha);
        return r;
    }
    r = http_to_fd(url, fd, sha, c, size, err);
    if (r < 0) {
        sha256_stream_free(sha);
        unlink(tmp);
        return r;
    }
    sha256_stream_finish_hex(sha, got);
    if (want && !streq(got, want)) {
        unlink(tmp);
        return tdx_err(err, -EBADMSG, "hash mismatch for %s: expected sha256:%s, got sha256:%s "
                       "(%llu bytes); the remote content changed or the pin is wrong", url, want,
                       got, (unsigned long long)*size);
    }
    return cache_commit(dir, tmp, got, final, err);
}

int tdx_fetch(const char *url, const char *sha256, const tdx_fetch_options *opts, char **path,
              tdx_error *err)
{
    _cleanup_free_ char *dir = NULL, *final = NULL;
    char want[SHA256_HEX_SIZE], got[SHA256_HEX_SIZE];
    struct fetch_conf c;
    uint64_t size = 0;
    int r, hit;

    tdx_check_arg(url, err);
    r = fetch_conf_init(&c, opts, __func__, err);
    if (r < 0)
        return r;
    r = url_check(url, err);
    if (r < 0)
        return r;
    r = sha256_parse(sha256, url, want, err);
    if (r < 0)
        return r;
    r = cache_dir_open(c.cache_dir, "fetch", &dir, err);
    if (r < 0)
        return r;
    if (asprintf(&final, "%s/%s", dir, want) < 0) {
        final = NULL;
        return tdx_err_oom(err);
    }
    hit = cache_lookup(final, want, c.verify_cached, err);
    if (hit < 0)
        return hit;
    if (!hit) {
        free(final);
        final = NULL;
        r = download(url, dir, want, &c, got, &size, &final, err);
        if (r < 0)
            return r;
    }
    if (c.output) {
        r = copy_file_atomic(final, c.output, 0644, err);
        if (r < 0)
            return r;
    }
    if (path)
        *path = TAKE_PTR(final);
    return hit;
}

int tdx_fetch_hash(const char *url_or_file, const tdx_fetch_options *opts, char **sha256,
                   uint64_t *size, tdx_error *err)
{
    _cleanup_free_ char *dir = NULL, *copy = NULL;
    char got[SHA256_HEX_SIZE];
    struct fetch_conf c;
    uint64_t n = 0;
    int r;

    tdx_check_arg(url_or_file, err);
    tdx_check_arg(sha256, err);
    r = fetch_conf_init(&c, opts, __func__, err);
    if (r < 0)
        return r;
    if (strstr(url_or_file, "://")) {
        r = url_check(url_or_file, err);
        if (r < 0)
            return r;
        r = cache_dir_open(c.cache_dir, "fetch", &dir, err);
        if (r < 0)
            return r;
        r = download(url_or_file, dir, NULL, &c, got, &n, NULL, err);
    } else {
        r = sha256_file(url_or_file, got, &n, err);
    }
    if (r < 0)
        return r;
    copy = strdup(got);
    if (!copy)
        return tdx_err_oom(err);
    *sha256 = TAKE_PTR(copy);
    if (size)
        *size = n;
    return 0;
}
