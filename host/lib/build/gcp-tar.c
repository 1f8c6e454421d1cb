/* SPDX-License-Identifier: MIT */
/*
 * GCP's image import format: a file named disk.raw in a GNU (oldgnu
 * magic) tar archive, gzip-compressed. Written with libarchive so that the
 * bytes depend on the disk and the epoch alone: one member, mtime the
 * epoch, owner and group 0 without names, mode 0644, and a gzip header
 * without a time stamp or file name.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-internal.h"
#include "error.h"
#include "macro.h"
#include "tdxhost/build.h"

static int arch_err(tdx_error *err, struct archive *a, const char *what)
{
    int e = archive_errno(a);
    return tdx_err_lib(err, -EIO, TDX_ERROR_LIBRARY_ERRNO, e, "%s: %s", what,
                       archive_error_string(a) ? archive_error_string(a) : "libarchive failed");
}

int tdx_gcp_tar_write(const char *raw, const char *out, long long epoch, tdx_error *err)
{
    _cleanup_free_ char *tmp = NULL;
    struct archive *a = NULL;
    struct archive_entry *e = NULL;
    struct stat st;
    char buf[1 << 16];
    int in = -1, fd = -1, r = 0;
    ssize_t n;

    tdx_check_arg(raw, err);
    tdx_check_arg(out, err);
    if (asprintf(&tmp, "%s.tmp-XXXXXX", out) < 0)
        return tdx_err_oom(err);
    in = open(raw, O_RDONLY | O_CLOEXEC);
    if (in < 0 || fstat(in, &st) < 0) {
        r = tdx_err(err, -errno, "%s: %s", raw, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        r = tdx_err(err, -EINVAL, "%s: not a disk image (empty or not a file)", raw);
        goto done;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        r = tdx_err(err, -errno, "cannot create a file next to %s: %s", out, strerror(errno));
        goto done;
    }
    a = archive_write_new();
    e = archive_entry_new();
    if (!a || !e) {
        r = tdx_err_oom(err);
        goto done;
    }
    if (archive_write_set_format_gnutar(a) != ARCHIVE_OK ||
        archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
        archive_write_open_fd(a, fd) != ARCHIVE_OK) {
        r = arch_err(err, a, out);
        goto done;
    }
    archive_entry_set_pathname(e, "disk.raw");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, epoch, 0);
    archive_entry_set_size(e, st.st_size);
    if (archive_write_header(a, e) != ARCHIVE_OK) {
        r = arch_err(err, a, out);
        goto done;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (archive_write_data(a, buf, (size_t)n) != n) {
            r = arch_err(err, a, out);
            goto done;
        }
    if (n < 0) {
        r = tdx_err(err, -errno, "%s: %s", raw, strerror(errno));
        goto done;
    }
    if (archive_write_close(a) != ARCHIVE_OK) {
        r = arch_err(err, a, out);
        goto done;
    }
    if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0) {
        fd = -1;
        r = tdx_err(err, -errno, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, out) < 0)
        r = tdx_err(err, -errno, "%s: %s", out, strerror(errno));
done:
    archive_entry_free(e);
    if (a)
        archive_write_free(a);
    if (in >= 0)
        close(in);
    if (fd >= 0)
        close(fd);
    if (r < 0)
        unlink(tmp);
    return r;
}
