/* SPDX-License-Identifier: MIT */
/*
 * Reading .deb files with libarchive: the outer ar archive, then data.tar
 * streamed from inside it. Extraction creates each path component with
 * openat(O_NOFOLLOW) from the output directory, so no member can write
 * through a symlink (its own or one made by an earlier member), and refuses
 * absolute paths, "..", devices and duplicate members.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deb-internal.h"
#include "fsutil.h"
#include "staging.h"
#include "error.h"
#include "fileio.h"

#define MEMBERS_MAX 200000
#define DEPTH_MAX 64
#define DEFAULT_MAX_SIZE (8LL << 30)

static int archive_fail(struct archive *a, const char *label, const char *what, tdx_error *err)
{
    return tdx_err_lib(err, -EBADMSG, TDX_ERROR_LIBRARY_ARCHIVE, archive_errno(a), "%s: %s: %s",
                       label, what, archive_error_string(a) ? archive_error_string(a) : "invalid");
}

int deb_open_file(const char *path, struct archive **out, tdx_error *err)
{
    struct archive *a = archive_read_new();
    if (!a)
        return tdx_err_oom(err);
    archive_read_support_format_ar(a);
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        int r = archive_errno(a) == ENOENT ? -ENOENT : -EBADMSG;
        tdx_err_lib(err, r, TDX_ERROR_LIBRARY_ARCHIVE, archive_errno(a), "%s: not a .deb: %s",
                    path, archive_error_string(a));
        archive_read_free(a);
        return r;
    }
    *out = a;
    return 0;
}

int deb_open_memory(const void *data, size_t size, struct archive **out, tdx_error *err)
{
    struct archive *a = archive_read_new();
    if (!a)
        return tdx_err_oom(err);
    archive_read_support_format_ar(a);
    if (archive_read_open_memory(a, data, size) != ARCHIVE_OK) {
        archive_fail(a, "(memory)", "not an ar archive", err);
        archive_read_free(a);
        return -EBADMSG;
    }
    *out = a;
    return 0;
}

/* Normalises a member path into buf: relative, no empty, "." or ".."
 * components. Returns the length (0 for the archive root), or -1. */
static int normalise(const char *in, char *buf, size_t size)
{
    size_t n = 0, depth = 0;
    const char *p = in;

    if (!in || in[0] == '/')
        return -1;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return -1;
        if (len && !(len == 1 && p[0] == '.')) {
            if (n + len + 2 > size || ++depth > DEPTH_MAX)
                return -1;
            if (n)
                buf[n++] = '/';
            memcpy(buf + n, p, len);
            n += len;
        }
        p += len;
        while (*p == '/')
            p++;
    }
    buf[n] = '\0';
    return (int)n;
}

struct inner_src {
    struct archive *outer;
    char buf[65536];
};

static la_ssize_t inner_read(struct archive *a, void *ctx, const void **out)
{
    struct inner_src *s = ctx;
    la_ssize_t n = archive_read_data(s->outer, s->buf, sizeof(s->buf));
    (void)a;
    *out = s->buf;
    return n;
}

static int walk_data(struct archive *outer, const char *label, const char *member,
                     deb_visit_fn visit, void *ctx, tdx_error *err)
{
    struct archive *in = archive_read_new();
    struct inner_src *src = malloc(sizeof(*src));
    struct archive_entry *e;
    char path[PATH_MAX], link[PATH_MAX];
    size_t count = 0;
    int r = 0, ar;

    if (!in || !src) {
        archive_read_free(in);
        free(src);
        return tdx_err_oom(err);
    }
    src->outer = outer;
    /* Named filters only: "all" would include ones that run external programs. */
    archive_read_support_filter_gzip(in);
    archive_read_support_filter_xz(in);
    archive_read_support_filter_zstd(in);
    archive_read_support_filter_bzip2(in);
    archive_read_support_filter_lzma(in);
    archive_read_support_format_tar(in);
    if (archive_read_open(in, src, NULL, inner_read, NULL) != ARCHIVE_OK) {
        r = archive_fail(in, label, member, err);
        goto out;
    }
    while ((ar = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
        struct deb_member m = { 0 };
        mode_t type = archive_entry_filetype(e);
        const char *hard = archive_entry_hardlink(e);
        int n = normalise(archive_entry_pathname(e), path, sizeof(path));

        if (++count > MEMBERS_MAX) {
            r = tdx_err(err, -EFBIG, "%s: %s: more than %d members", label, member, MEMBERS_MAX);
            goto out;
        }
        if (n < 0) {
            r = tdx_err(err, -EBADMSG, "%s: %s: unsafe member path \"%.200s\"", label, member,
                        strempty(archive_entry_pathname(e)));
            goto out;
        }
        if (n == 0)
            continue;   /* "./" itself */
        m.path = path;
        m.mode = archive_entry_perm(e) & 0777;
        m.size = archive_entry_size(e);
        m.mtime = archive_entry_mtime(e);
        if (hard) {
            if (normalise(hard, link, sizeof(link)) <= 0) {
                r = tdx_err(err, -EBADMSG, "%s: %s: %s: unsafe hard link target \"%.200s\"",
                            label, member, path, hard);
                goto out;
            }
            m.type = 'h';
            m.link = link;
        } else if (type == AE_IFREG) {
            m.type = 'f';
        } else if (type == AE_IFDIR) {
            m.type = 'd';
        } else if (type == AE_IFLNK) {
            m.type = 'l';
            m.link = archive_entry_symlink(e);
            if (isempty(m.link)) {
                r = tdx_err(err, -EBADMSG, "%s: %s: %s: empty symlink", label, member, path);
                goto out;
            }
        } else {
            r = tdx_err(err, -EBADMSG, "%s: %s: %s: unsupported member type (devices, fifos and "
                        "sockets are refused)", label, member, path);
            goto out;
        }
        r = visit(ctx, in, &m, err);
        if (r < 0)
            goto out;
    }
    if (ar != ARCHIVE_EOF)
        r = archive_fail(in, label, member, err);
out:
    archive_read_free(in);
    free(src);
    return r;
}

int deb_walk(struct archive *outer, const char *label, deb_visit_fn visit, void *ctx,
             tdx_error *err)
{
    struct archive_entry *e;
    bool seen_version = false, seen_data = false;
    int ar, r;

    while ((ar = archive_read_next_header(outer, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (!name)
            name = "";
        if (!seen_version) {
            char v[16] = "";
            la_ssize_t n;
            if (!streq(name, "debian-binary"))
                return tdx_err(err, -EBADMSG, "%s: not a .deb: the first member is \"%.80s\", "
                               "not debian-binary", label, name);
            n = archive_read_data(outer, v, sizeof(v) - 1);
            if (n < 2 || strncmp(v, "2.", 2) != 0)
                return tdx_err(err, -EBADMSG, "%s: unsupported .deb format version", label);
            seen_version = true;
        } else if (startswith(name, "data.tar")) {
            if (seen_data)
                return tdx_err(err, -EBADMSG, "%s: two data members", label);
            seen_data = true;
            r = walk_data(outer, label, name, visit, ctx, err);
            if (r < 0)
                return r;
        } else if (!startswith(name, "control.tar") && name[0] != '_') {
            return tdx_err(err, -EBADMSG, "%s: unexpected member \"%.80s\"", label, name);
        }
    }
    if (ar != ARCHIVE_EOF)
        return archive_fail(outer, label, "reading the ar archive", err);
    if (!seen_data)
        return tdx_err(err, -EBADMSG, "%s: not a .deb: no data.tar member", label);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Extraction                                                               */

struct extract {
    int root;
    const char *label;
    const char *const *patterns;
    long long max, total;
};

/* Opens (creating when asked) the directory holding path's last component;
 * *leaf points at that component. */
static int open_parent(int root, const char *path, bool create, const char **leaf)
{
    char buf[PATH_MAX];
    int fd = dup(root);
    char *p = buf, *slash;

    if (fd < 0)
        return -errno;
    snprintf(buf, sizeof(buf), "%s", path);
    while ((slash = strchr(p, '/'))) {
        int next;
        *slash = '\0';
        next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST) {
                close(fd);
                return -errno;
            }
            next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        close(fd);
        if (next < 0)
            return errno == ELOOP ? -ENOTDIR : -errno;
        fd = next;
        p = slash + 1;
    }
    *leaf = path + (p - buf);
    return fd;
}

static bool wanted(const struct extract *x, const char *path)
{
    if (!x->patterns)
        return true;
    for (const char *const *p = x->patterns; *p; p++)
        if (fnmatch(*p, path, 0) == 0)
            return true;
    return false;
}

static int write_data(struct archive *a, int fd, struct extract *x, const char *path,
                      tdx_error *err)
{
    char buf[65536];
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
        if (n < 0)
            return tdx_err_lib(err, -EBADMSG, TDX_ERROR_LIBRARY_ARCHIVE, archive_errno(a),
                               "%s: %s: %s", x->label, path, archive_error_string(a));
        if (n == 0)
            return 0;
        x->total += n;
        if (x->total > x->max)
            return tdx_err(err, -EFBIG, "%s: more than %lld bytes of files", x->label, x->max);
        if (write_all(fd, buf, (size_t)n) < 0)
            return tdx_err(err, -errno, "%s: cannot write %s: %s", x->label, path, strerror(errno));
    }
}

static int extract_member(void *ctx, struct archive *a, const struct deb_member *m, tdx_error *err)
{
    struct extract *x = ctx;
    struct timespec ts[2] = { { m->mtime, 0 }, { m->mtime, 0 } };
    _cleanup_close_ int dir = -1, fd = -1, target_dir = -1;
    const char *leaf, *target_leaf;
    struct stat st;

    if (!wanted(x, m->path))
        return 0;
    dir = open_parent(x->root, m->path, true, &leaf);
    if (dir < 0)
        return tdx_err(err, dir, "%s: %s: a parent directory is a symlink or a file, or cannot "
                       "be created (%s)", x->label, m->path, strerror(-dir));
    switch (m->type) {
    case 'd':
        if (mkdirat(dir, leaf, 0755) < 0 &&
            (errno != EEXIST || fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
             !S_ISDIR(st.st_mode)))
            return tdx_err(err, -EBADMSG, "%s: %s: cannot create directory: %s", x->label,
                           m->path, errno == EEXIST ? "something else has that name" : strerror(errno));
        fchmodat(dir, leaf, m->mode | 0700, 0);
        return 0;
    case 'l':
        if (symlinkat(m->link, dir, leaf) < 0)
            return tdx_err(err, -EBADMSG, "%s: %s: cannot create symlink: %s", x->label, m->path,
                           errno == EEXIST ? "duplicate member" : strerror(errno));
        utimensat(dir, leaf, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
    case 'h':
        target_dir = open_parent(x->root, m->link, false, &target_leaf);
        if (target_dir < 0 || fstatat(target_dir, target_leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode) || linkat(target_dir, target_leaf, dir, leaf, 0) < 0)
            return tdx_err(err, -EBADMSG, "%s: %s: hard link to %s, which is not an extracted "
                           "regular file", x->label, m->path, m->link);
        return 0;
    default:
        fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return tdx_err(err, -EBADMSG, "%s: %s: cannot create: %s", x->label, m->path,
                           errno == EEXIST ? "duplicate member" : strerror(errno));
        int r = write_data(a, fd, x, m->path, err);
        if (r < 0)
            return r;
        if (fchmod(fd, m->mode) < 0 || futimens(fd, ts) < 0)
            return tdx_err(err, -errno, "%s: %s: %s", x->label, m->path, strerror(errno));
        return 0;
    }
}

/* 1 if path is absent or an empty directory, 0 if not, negative errno. */
static int usable_outdir(const char *path)
{
    struct dirent *de;
    struct stat st;
    DIR *d;
    int r = 1;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 1 : -errno;
    if (!S_ISDIR(st.st_mode) || !(d = opendir(path)))
        return 0;
    while ((de = readdir(d)))
        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
            r = 0;
    closedir(d);
    return r;
}

int tdx_deb_extract(const char *deb, const char *outdir, const tdx_deb_extract_options *opts,
                    tdx_error *err)
{
    tdx_deb_extract_options defaults = TDX_DEB_EXTRACT_OPTIONS_INIT;
    _cleanup_free_ char *parent = NULL, *base = NULL;
    struct staging stage = STAGING_INIT;
    struct extract x = { -1, deb, NULL, 0, 0 };
    struct archive *a = NULL;
    int r;

    tdx_check_arg(deb, err);
    tdx_check_arg(!isempty(outdir), err);
    tdx_check_options(opts, TDX_DEB_EXTRACT_OPTIONS_VERSION, err);
    if (!opts)
        opts = &defaults;
    x.patterns = opts->paths;
    x.max = opts->max_size == TDX_UNSET ? DEFAULT_MAX_SIZE : opts->max_size;
    r = usable_outdir(outdir);
    if (r <= 0)
        return tdx_err(err, r < 0 ? r : -EEXIST, "%s: %s", outdir,
                       r < 0 ? strerror(-r) : "exists and is not an empty directory");
    if (path_split(outdir, &parent, &base) < 0)
        return tdx_err_oom(err);
    r = staging_create(&stage, parent, base, err);
    if (r < 0)
        return r;
    x.root = openat(stage.parent_fd, stage.name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    r = x.root < 0 ? tdx_err(err, -errno, "%s/%s: %s", parent, stage.name, strerror(errno))
                   : deb_open_file(deb, &a, err);
    if (r >= 0)
        r = deb_walk(a, deb, extract_member, &x, err);
    if (r >= 0 && fchmod(x.root, 0755) < 0)
        r = tdx_err(err, -errno, "%s/%s: %s", parent, stage.name, strerror(errno));
    if (r >= 0)
        staging_test_pause();
    /* An empty outdir is replaced; anything that appeared meanwhile is kept. */
    if (r >= 0 &&
        renameat2(stage.parent_fd, stage.name, stage.parent_fd, base, RENAME_NOREPLACE) < 0 &&
        (errno != EEXIST || unlinkat(stage.parent_fd, base, AT_REMOVEDIR) < 0 ||
         renameat2(stage.parent_fd, stage.name, stage.parent_fd, base, RENAME_NOREPLACE) < 0))
        r = tdx_err(err, -errno, "cannot move the extracted files to %s: %s", outdir,
                    strerror(errno));
    if (a)
        archive_read_free(a);
    if (x.root >= 0)
        close(x.root);
    if (r < 0)
        staging_remove(&stage);
    else
        staging_done(&stage);
    return r < 0 ? r : 0;
}
