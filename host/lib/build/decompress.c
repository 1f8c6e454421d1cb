/* SPDX-License-Identifier: MIT */
/* Kernel modules arrive compressed (.ko.xz in Debian's 6.12 kernels, .ko.zst
 * elsewhere); the image carries them decompressed, so init needs no
 * decompressor and the kernel no MODULE_DECOMPRESS. libarchive's raw format
 * with its filters does the work. */
#include <archive.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build-internal.h"
#include "error.h"
#include "fileio.h"

int decompress_file(const char *path, size_t max, char **out, size_t *len, tdx_error *err)
{
    struct archive *a = archive_read_new();
    struct archive_entry *ae;
    char *buf = NULL;
    size_t used = 0, cap = 0;
    int r = 0;

    if (!a)
        return tdx_err_oom(err);
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK ||
        archive_read_next_header(a, &ae) != ARCHIVE_OK) {
        r = tdx_err_lib(err, archive_errno(a) > 0 ? -archive_errno(a) : -EBADMSG,
                        TDX_ERROR_LIBRARY_ARCHIVE, archive_errno(a), "%s: %s", path,
                        archive_error_string(a) ? archive_error_string(a) : "unreadable");
        goto out;
    }
    for (;;) {
        la_ssize_t n;
        if (cap - used < 64 * 1024) {
            size_t ncap = cap ? cap * 2 : 256 * 1024;
            char *nb;
            if (ncap > max + 64 * 1024)
                ncap = max + 64 * 1024;
            if (ncap <= used) {
                r = tdx_err(err, -EFBIG, "%s: larger than %zu bytes decompressed", path, max);
                goto out;
            }
            nb = realloc(buf, ncap);
            if (!nb) {
                r = tdx_err_oom(err);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        n = archive_read_data(a, buf + used, cap - used);
        if (n < 0) {
            r = tdx_err_lib(err, -EBADMSG, TDX_ERROR_LIBRARY_ARCHIVE, archive_errno(a),
                            "%s: %s", path, archive_error_string(a));
            goto out;
        }
        if (n == 0)
            break;
        used += (size_t)n;
        if (used > max) {
            r = tdx_err(err, -EFBIG, "%s: larger than %zu bytes decompressed", path, max);
            goto out;
        }
    }
    *out = buf;
    *len = used;
    buf = NULL;
out:
    free(buf);
    archive_read_free(a);
    return r;
}
