/* SPDX-License-Identifier: MIT */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* Large enough that syscalls do not dominate, small enough to stay far
 * below the memory budget (bench/measure checks peak RSS). */
#define CHUNK (1024 * 1024)

int source_open(struct source *s, const char *path, tdx_error *err)
{
    struct stat st;
    int fd;

    *s = (struct source)SOURCE_INIT;
    s->name = path;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return tdx_err_lib(err, -errno, TDX_ERROR_LIBRARY_ERRNO, errno, "%s: cannot open: %s", path,
                           strerror(errno));
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return tdx_err_lib(err, -e, TDX_ERROR_LIBRARY_ERRNO, e, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return tdx_err(err, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL, "%s: not a regular file", path);
    }
    /* The kernel reads ahead more eagerly for a sequential scan. */
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    s->fd = fd;
    s->size = s->avail = (uint64_t)st.st_size;
    return 0;
}

void source_buffer(struct source *s, const char *name, const void *data, size_t size)
{
    *s = (struct source)SOURCE_INIT;
    s->name = name;
    s->mem = data;
    s->size = s->avail = size;
}

void source_window(struct source *dst, const struct source *src, uint64_t off, uint64_t raw,
                   uint64_t size, const char *name)
{
    *dst = *src;
    dst->name = name;
    dst->patch = NULL;
    dst->patch_size = 0;
    dst->base = src->base + off;
    dst->size = size;
    dst->avail = raw < size ? raw : size;
}

void source_close(struct source *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

int source_check(const struct source *s, uint64_t off, uint64_t len, const char *what, tdx_error *err)
{
    if (off > s->size || len > s->size - off)
        return tdx_err(err, -EINVAL,
                       "%s: %s (offset 0x%" PRIx64 ", 0x%" PRIx64 " bytes) lies outside the file "
                       "(0x%" PRIx64 " bytes)",
                       s->name, what, off, len, s->size);
    return 0;
}

/* Copies the patched bytes over a buffer that holds [off, off+n). */
static void apply_patch(const struct source *s, uint64_t off, uint8_t *buf, size_t n)
{
    if (!s->patch || off >= s->patch_size)
        return;
    size_t k = (size_t)(s->patch_size - off);
    memcpy(buf, s->patch + off, k < n ? k : n);
}

static int read_raw(const struct source *s, uint64_t off, void *buf, size_t n, tdx_error *err)
{
    size_t done = 0;

    if (off + n > s->avail) {
        size_t backed = off >= s->avail ? 0 : (size_t)(s->avail - off);
        memset((uint8_t *)buf + backed, 0, n - backed);
        n = backed;
    }
    if (s->fd < 0) {
        memcpy(buf, s->mem + s->base + off, n);
        return 0;
    }
    while (done < n) {
        ssize_t r = pread(s->fd, (uint8_t *)buf + done, n - done, (off_t)(s->base + off + done));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return tdx_err_lib(err, -errno, TDX_ERROR_LIBRARY_ERRNO, errno, "%s: read error at 0x%" PRIx64 ": %s",
                               s->name, off + done, strerror(errno));
        }
        if (r == 0)
            return tdx_err(err, -EIO, "%s: file shrank while being read (at 0x%" PRIx64 ")", s->name,
                           off + done);
        done += (size_t)r;
    }
    return 0;
}

int source_read(const struct source *s, uint64_t off, void *buf, size_t n, const char *what,
                tdx_error *err)
{
    int r = source_check(s, off, n, what, err);
    if (r < 0)
        return r;
    r = read_raw(s, off, buf, n, err);
    if (r < 0)
        return r;
    apply_patch(s, off, buf, n);
    return 0;
}

int source_hash(const struct source *s, uint64_t off, uint64_t len, struct hashset *hs,
                const char *what, tdx_error *err)
{
    _cleanup_free_ uint8_t *buf = NULL;
    int r = source_check(s, off, len, what, err);

    if (r < 0)
        return r;
    /* A buffer without a patch needs no copy. */
    if (s->fd < 0 && (!s->patch || off >= s->patch_size) && off + len <= s->avail)
        return hashset_update(hs, s->mem + s->base + off, (size_t)len, err);

    buf = malloc(len < CHUNK ? (size_t)len + 1 : CHUNK);
    if (!buf)
        return tdx_err_oom(err);
    while (len > 0) {
        size_t n = len < CHUNK ? (size_t)len : CHUNK;
        r = read_raw(s, off, buf, n, err);
        if (r < 0)
            return r;
        apply_patch(s, off, buf, n);
        r = hashset_update(hs, buf, n, err);
        if (r < 0)
            return r;
        off += n;
        len -= n;
    }
    return 0;
}

int hash_zeros(struct hashset *hs, uint64_t n, tdx_error *err)
{
    static const uint8_t zeros[4096];
    while (n > 0) {
        size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);
        int r = hashset_update(hs, zeros, k, err);
        if (r < 0)
            return r;
        n -= k;
    }
    return 0;
}
