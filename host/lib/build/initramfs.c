/* SPDX-License-Identifier: MIT */
/*
 * The initramfs: a newc cpio written with libarchive, byte for byte the same
 * for the same entries. Nothing of the host leaks in: no owners but the ones
 * the recipe sets, no times but SOURCE_DATE_EPOCH, inode numbers counted in
 * path order, device numbers 0, gzip without a file name or time stamp.
 */
#include <archive.h>
#include <archive_entry.h>
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

#define COPY_CHUNK (256 * 1024)

static int lib_err(struct archive *a, tdx_error *err, const char *what, const char *path)
{
    int code = archive_errno(a) > 0 ? -archive_errno(a) : -EIO;
    int r = tdx_err(err, code, "%s: %s: %s", path, what, archive_error_string(a)
                                                            ? archive_error_string(a)
                                                            : "libarchive error");
    if (err) {
        err->library = TDX_ERROR_LIBRARY_ARCHIVE;
        err->library_code = archive_errno(a);
    }
    return r;
}

static int set_filter(struct archive *a, const char *compression, const char *path,
                      tdx_error *err)
{
    if (strcmp(compression, "none") == 0)
        return 0;
    if (strcmp(compression, "gzip") == 0) {
        /* No original file name and a zero time stamp: gzip -n. */
        if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
            archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
            archive_write_set_filter_option(a, "gzip", "compression-level", "6") != ARCHIVE_OK)
            return lib_err(a, err, "gzip", path);
        return 0;
    }
    if (strcmp(compression, "zstd") == 0) {
        if (archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
            archive_write_set_filter_option(a, "zstd", "compression-level", "9") != ARCHIVE_OK)
            return lib_err(a, err, "zstd", path);
        return 0;
    }
    return tdx_err(err, -EINVAL, "initramfs compression \"%s\": expected gzip, zstd or none",
                   compression);
}

static int write_data_fd(struct archive *a, int fd, const char *src, int64_t size,
                         const char *path, tdx_error *err)
{
    _cleanup_free_ char *buf = malloc(COPY_CHUNK);
    int64_t left = size;

    if (!buf)
        return tdx_err_oom(err);
    while (left > 0) {
        ssize_t n = read(fd, buf, (size_t)(left < COPY_CHUNK ? left : COPY_CHUNK));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return tdx_err(err, -errno, "%s: %s", src, strerror(errno));
        if (n == 0)
            return tdx_err(err, -EIO, "%s: changed while the image was written (shorter)", src);
        if (archive_write_data(a, buf, (size_t)n) != n)
            return lib_err(a, err, "write", path);
        left -= n;
    }
    return 0;
}

static int write_entry(struct archive *a, struct archive_entry *ae, const struct img_entry *e,
                       unsigned ino, long long mtime, const char *path, tdx_error *err)
{
    int fd = -1, r = 0;
    int64_t size = 0;

    archive_entry_clear(ae);
    archive_entry_set_pathname(ae, e->path);
    archive_entry_set_ino(ae, ino);
    archive_entry_set_dev(ae, 0);
    archive_entry_set_uid(ae, e->uid);
    archive_entry_set_gid(ae, e->gid);
    archive_entry_set_mtime(ae, (time_t)mtime, 0);
    switch (e->kind) {
    case IMG_DIR:
        archive_entry_set_filetype(ae, AE_IFDIR);
        archive_entry_set_perm(ae, e->mode);
        archive_entry_set_nlink(ae, 2);
        break;
    case IMG_SYMLINK:
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_perm(ae, 0777);
        archive_entry_set_nlink(ae, 1);
        archive_entry_set_symlink(ae, e->target);
        size = (int64_t)strlen(e->target);
        break;
    case IMG_FILE:
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, e->mode);
        archive_entry_set_nlink(ae, 1);
        if (e->src) {
            struct stat st;
            fd = open(e->src, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || fstat(fd, &st) < 0) {
                r = tdx_err(err, -errno, "%s: %s", e->src, strerror(errno));
                goto out;
            }
            if (!S_ISREG(st.st_mode)) {
                r = tdx_err(err, -EINVAL, "%s: not a regular file", e->src);
                goto out;
            }
            size = st.st_size;
        } else {
            size = (int64_t)e->size;
        }
        break;
    }
    archive_entry_set_size(ae, e->kind == IMG_DIR ? 0 : size);
    if (archive_write_header(a, ae) != ARCHIVE_OK) {
        r = lib_err(a, err, e->path, path);
        goto out;
    }
    if (e->kind == IMG_FILE) {
        if (fd >= 0)
            r = write_data_fd(a, fd, e->src, size, path, err);
        else if (e->size && archive_write_data(a, e->data, e->size) != (la_ssize_t)e->size)
            r = lib_err(a, err, "write", path);
    }
out:
    if (fd >= 0)
        close(fd);
    return r;
}

const char *initramfs_name(const char *compression)
{
    if (streq(compression, "zstd"))
        return "initrd.cpio.zst";
    if (streq(compression, "none"))
        return "initrd.cpio";
    return "initrd.cpio.gz";
}

int initramfs_write(struct img *img, const char *path, const char *compression, long long mtime,
                    tdx_error *err)
{
    _cleanup_free_ char *tmp = NULL;
    struct archive *a = NULL;
    struct archive_entry *ae = NULL;
    int fd = -1, r = 0;

    if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
        return tdx_err_oom(err);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return tdx_err(err, -errno, "%s: %s", tmp, strerror(errno));
    a = archive_write_new();
    ae = archive_entry_new();
    if (!a || !ae) {
        r = tdx_err_oom(err);
        goto out;
    }
    if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK) {
        r = lib_err(a, err, "newc", path);
        goto out;
    }
    /* The last block padded to 512 bytes, as cpio(1) does; no larger block. */
    archive_write_set_bytes_per_block(a, 512);
    archive_write_set_bytes_in_last_block(a, 1);
    if ((r = set_filter(a, compression, path, err)) < 0)
        goto out;
    if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
        r = lib_err(a, err, "open", path);
        goto out;
    }
    img_sort(img);
    for (size_t i = 0; i < img->entries.n && r >= 0; i++)
        r = write_entry(a, ae, img->entries.items[i], (unsigned)(i + 1), mtime, path, err);
    if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
        r = lib_err(a, err, "close", path);
    if (r >= 0 && fchmod(fd, 0644) < 0)
        r = tdx_err(err, -errno, "%s: %s", tmp, strerror(errno));
    if (r >= 0 && rename(tmp, path) < 0)
        r = tdx_err(err, -errno, "%s: %s", path, strerror(errno));
out:
    if (a)
        archive_write_free(a);
    archive_entry_free(ae);
    close(fd);
    if (r < 0)
        unlink(tmp);
    return r;
}
