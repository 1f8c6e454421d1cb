/* SPDX-License-Identifier: MIT */
/*
 * Toolchain archives for native go, rust and dotnet builds: fetched only
 * through the lock (so by their pinned hash), unpacked once into the cache
 * of extracted inputs under that hash, with libarchive refusing absolute
 * paths, ".." and writes through symlinks.
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
#include "fsutil.h"
#include "staging.h"

#define TOOLCHAIN_ENTRIES_MAX 500000

/* Relative, without ".." components. */
static bool safe_name(const char *p)
{
    if (!p || !*p || *p == '/')
        return false;
    for (const char *s = p; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return false;
        s += n;
        while (*s == '/')
            s++;
    }
    return true;
}

static int unpack(const char *archive_path, const char *dir, tdx_error *err)
{
    struct archive *a = archive_read_new(), *w = archive_write_disk_new();
    struct archive_entry *e;
    size_t n = 0;
    int r = 0;

    if (!a || !w) {
        archive_read_free(a);
        archive_write_free(w);
        return tdx_err_oom(err);
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    /* Entry names are checked here (they are rewritten below dir, which is
     * absolute); libarchive still refuses ".." and writes through symlinks. */
    archive_write_disk_set_options(w, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                          ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    if (archive_read_open_filename(a, archive_path, 256 * 1024) != ARCHIVE_OK) {
        r = tdx_err_lib(err, -EBADMSG, TDX_ERROR_LIBRARY_ARCHIVE, archive_errno(a), "%s: %s",
                        archive_path, archive_error_string(a));
        goto out;
    }
    for (;;) {
        char path[PATH_MAX];
        int s = archive_read_next_header(a, &e);
        if (s == ARCHIVE_EOF)
            break;
        if (s != ARCHIVE_OK || ++n > TOOLCHAIN_ENTRIES_MAX) {
            r = tdx_err(err, -EBADMSG, "%s: %s", archive_path,
                        s != ARCHIVE_OK ? archive_error_string(a) : "too many entries");
            goto out;
        }
        if (!safe_name(archive_entry_pathname(e)) ||
            (archive_entry_hardlink(e) && !safe_name(archive_entry_hardlink(e)))) {
            r = tdx_err(err, -EBADMSG, "%s: unsafe member \"%.200s\" (absolute, or with \"..\")",
                        archive_path, archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
            goto out;
        }
        if (snprintf(path, sizeof(path), "%s/%s", dir, archive_entry_pathname(e)) >= (int)sizeof(path)) {
            r = tdx_err(err, -ENAMETOOLONG, "%s: path too long", archive_path);
            goto out;
        }
        archive_entry_set_pathname(e, path);
        if (archive_entry_hardlink(e)) {
            char link[PATH_MAX];
            snprintf(link, sizeof(link), "%s/%s", dir, archive_entry_hardlink(e));
            archive_entry_set_hardlink(e, link);
        }
        if (archive_write_header(w, e) != ARCHIVE_OK) {
            r = tdx_err(err, -EBADMSG, "%s: %s", archive_path, archive_error_string(w));
            goto out;
        }
        for (;;) {
            const void *buf;
            size_t size;
            la_int64_t off;
            s = archive_read_data_block(a, &buf, &size, &off);
            if (s == ARCHIVE_EOF)
                break;
            if (s != ARCHIVE_OK || archive_write_data_block(w, buf, size, off) != ARCHIVE_OK) {
                r = tdx_err(err, -EIO, "%s: %s", archive_path, archive_error_string(a));
                goto out;
            }
        }
    }
    if (archive_write_finish_entry(w) != ARCHIVE_OK)
        r = tdx_err(err, -EIO, "%s: %s", dir, archive_error_string(w));
out:
    archive_read_free(a);
    archive_write_free(w);
    return r;
}

/* Removes extract_dir/name (a tree or a file); errors are ignored: what
 * is left is checked again before it is used. */
static void remove_in(const char *extract_dir, const char *name)
{
    int fd = open(extract_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        rm_rf_at(fd, name);
        close(fd);
    }
}

int toolchain_tree(const char *archive_path, const char *sha256, const char *extract_dir,
                   char **out, tdx_error *err)
{
    _cleanup_free_ char *dir = NULL, *tmp = NULL, *sums = NULL, *sums_name = NULL;
    struct staging stage = STAGING_INIT;
    tdx_error why = TDX_ERROR_INIT;
    struct stat st;
    int r;

    if (asprintf(&dir, "%s/%s", extract_dir, sha256) < 0 ||
        asprintf(&sums, "%s.sums", dir) < 0 || asprintf(&sums_name, "%s.sums", sha256) < 0)
        return tdx_err_oom(err);
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* The tree's name is the archive's hash, its files are not: they
         * are checked against the hashes taken when it was unpacked. */
        r = sums_check(dir, sums, NULL, &why);
        if (r >= 0) {
            *out = TAKE_PTR(dir);
            return 0;
        }
        if (r != -ENOENT && r != -EBADMSG)
            return tdx_err(err, r, "%s", why.message);
        /* Changed since (or unpacked without the hashes): unpacked again
         * from the archive, which the caller verified. */
        remove_in(extract_dir, sha256);
        remove_in(extract_dir, sums_name);
    }
    /* A staging directory: an interrupted unpack is removed by
     * tdx_staging_cleanup(), or by the next build when its process died. */
    r = staging_create(&stage, extract_dir, sha256, err);
    if (r < 0)
        return r;
    if (asprintf(&tmp, "%s/%s", extract_dir, stage.name) < 0) {
        tmp = NULL;
        staging_remove(&stage);
        return tdx_err_oom(err);
    }
    r = unpack(archive_path, tmp, err);
    /* The hashes of what was unpacked, before the tree is in place: a tree
     * under its final name always has them (a build racing this one
     * unpacked the same verified archive, so writes the same list). */
    if (r >= 0)
        r = sums_write(tmp, sums, err);
    if (r >= 0 && renameat(stage.parent_fd, stage.name, stage.parent_fd, sha256) == 0) {
        staging_done(&stage);
    } else {
        if (r >= 0 && errno != ENOTEMPTY && errno != EEXIST)
            r = tdx_err(err, -errno, "%s: %s", dir, strerror(errno));
        /* Failed, or another build renamed its copy first. */
        staging_remove(&stage);
    }
    if (r < 0)
        return r;
    *out = TAKE_PTR(dir);
    return 0;
}
