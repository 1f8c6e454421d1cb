/* SPDX-License-Identifier: MIT */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "strbuf.h"

int read_fd_bounded(int fd, size_t max, char **ret, size_t *ret_len)
{
    /* Files read here include secret values (NAME=value files, environment
     * files): growing must not leave copies in freed memory. */
    strbuf sb = STRBUF_SECRET_INIT;
    struct stat st;
    int r;

    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
        return -EINVAL;
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max)
        return -EFBIG;

    for (;;) {
        ssize_t n;

        r = strbuf_grow(&sb, 65536);
        if (r < 0)
            goto fail;
        n = read(fd, sb.data + sb.len, sb.cap - sb.len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            goto fail;
        }
        if (n == 0)
            break;
        sb.len += (size_t)n;
        sb.data[sb.len] = '\0';
        if (sb.len > max) {
            r = -EFBIG;
            goto fail;
        }
    }

    *ret = strbuf_steal(&sb, ret_len);
    return *ret ? 0 : -ENOMEM;
fail:
    strbuf_wipe_free(&sb);
    return r;
}

int read_file_bounded(const char *path, size_t max, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    return read_fd_bounded(fd, max, ret, ret_len);
}

int write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int write_close_synced(int fd, const void *data, size_t n, unsigned mode)
{
    int r = write_all(fd, data, n);
    if (r >= 0 && fchmod(fd, (mode_t)mode) < 0)
        r = -errno;
    if (r >= 0 && fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r >= 0)
        r = -errno;
    return r;
}

int write_file_atomic(const char *path, const void *data, size_t n, unsigned mode)
{
    size_t len = strlen(path);
    _cleanup_free_ char *tmp = malloc(len + sizeof(".XXXXXX"));
    int fd, r;

    if (!tmp)
        return -ENOMEM;
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".XXXXXX", sizeof(".XXXXXX"));
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    r = write_close_synced(fd, data, n, mode);
    if (r >= 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0)
        unlink(tmp);
    return r;
}
