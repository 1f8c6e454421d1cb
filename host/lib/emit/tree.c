/* SPDX-License-Identifier: MIT */
#include "tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "macro.h"
#include "staging.h"
#include "strv.h"

#define DIR_COPY_FILES_MAX 100000
#define DIR_COPY_DEPTH_MAX 64
#define COPY_FILE_MAX (1024ULL * 1024 * 1024)

static void entry_free(void *v)
{
    struct tree_entry *e = v;
    if (!e)
        return;
    free(e->path);
    free(e->data);
    free(e->src);
    free(e->target);
    free(e);
}

void tree_free(struct tree *t)
{
    ptrvec_free_all(&t->entries, entry_free);
    t->sorted = false;
}

static int push(struct tree *t, struct tree_entry *e)
{
    if (!e->path || ptrvec_push(&t->entries, e) < 0) {
        entry_free(e);
        return -ENOMEM;
    }
    t->sorted = false;
    return 0;
}

int tree_add_take(struct tree *t, const char *path, char *data, size_t size, unsigned mode)
{
    struct tree_entry *e = calloc(1, sizeof(*e));
    if (!e) {
        free(data);
        return -ENOMEM;
    }
    e->path = strdup(path);
    e->kind = TREE_FILE;
    e->mode = mode;
    e->data = data;
    e->size = size;
    if (!data) {
        entry_free(e);
        return -ENOMEM;
    }
    return push(t, e);
}

int tree_add_data(struct tree *t, const char *path, const void *data, size_t size, unsigned mode)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return -ENOMEM;
    if (size)
        memcpy(copy, data, size);
    copy[size] = '\0';
    return tree_add_take(t, path, copy, size, mode);
}

int tree_add_copy(struct tree *t, const char *path, const char *src, unsigned mode)
{
    struct tree_entry *e = calloc(1, sizeof(*e));
    struct stat st;
    if (!e)
        return -ENOMEM;
    e->path = strdup(path);
    e->kind = TREE_COPY;
    e->mode = mode;
    e->src = strdup(src);
    if (stat(src, &st) == 0)
        e->size = (size_t)st.st_size;
    if (!e->src) {
        entry_free(e);
        return -ENOMEM;
    }
    return push(t, e);
}

int tree_add_symlink(struct tree *t, const char *path, const char *target)
{
    struct tree_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->path = strdup(path);
    e->kind = TREE_SYMLINK;
    e->mode = 0777;
    e->target = strdup(target);
    if (!e->target) {
        entry_free(e);
        return -ENOMEM;
    }
    return push(t, e);
}

int tree_add_entry_as(struct tree *t, const struct tree_entry *e, const char *path)
{
    switch (e->kind) {
    case TREE_FILE:
        return tree_add_data(t, path, e->data, e->size, e->mode);
    case TREE_COPY:
        return tree_add_copy(t, path, e->src, e->mode);
    case TREE_SYMLINK:
        return tree_add_symlink(t, path, e->target);
    }
    return -EINVAL;
}

/* Recursion over a host directory; entries are visited in sorted order so
 * the resulting tree does not depend on readdir order. */
static int copy_dir(struct tree *t, const char *prefix, const char *src, int depth, size_t *count,
                    tdx_error *err)
{
    static const char *const skip[] = { ".git", NULL };
    char **names = NULL;
    size_t n = 0;
    int r;

    if (depth > DIR_COPY_DEPTH_MAX)
        return tdx_err(err, -ELOOP, "%s: directories nested more than %d deep", src,
                       DIR_COPY_DEPTH_MAX);
    r = dir_list_sorted(src, skip, DIR_COPY_FILES_MAX, &names, &n);
    if (r == -ENOMEM)
        return tdx_err_oom(err);
    if (r == -EFBIG)
        return tdx_err(err, r, "%s: more than %d entries", src, DIR_COPY_FILES_MAX);
    if (r < 0)
        return tdx_err(err, r, "cannot read directory \"%s\": %s", src, strerror(-r));

    for (size_t i = 0; i < n && r >= 0; i++) {
        _cleanup_free_ char *full = NULL, *rel = NULL;
        struct stat st;

        if (asprintf(&full, "%s/%s", src, names[i]) < 0 ||
            asprintf(&rel, "%s/%s", prefix, names[i]) < 0) {
            full = rel = NULL;
            r = tdx_err_oom(err);
            break;
        }
        if (lstat(full, &st) < 0) {
            r = tdx_err(err, -errno, "cannot read \"%s\": %s", full, strerror(errno));
            break;
        }
        if (++*count > DIR_COPY_FILES_MAX) {
            r = tdx_err(err, -EFBIG, "%s: more than %d entries", src, DIR_COPY_FILES_MAX);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            r = copy_dir(t, rel, full, depth + 1, count, err);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t len = readlink(full, target, sizeof(target) - 1);
            if (len < 0) {
                r = tdx_err(err, -errno, "cannot read link \"%s\": %s", full, strerror(errno));
                break;
            }
            target[len] = '\0';
            if (tree_add_symlink(t, rel, target) < 0)
                r = tdx_err_oom(err);
        } else if (S_ISREG(st.st_mode)) {
            if ((unsigned long long)st.st_size > COPY_FILE_MAX)
                r = tdx_err(err, -EFBIG, "\"%s\" is larger than 1 GiB", full);
            else if (tree_add_copy(t, rel, full, (st.st_mode & 0111) ? 0755 : 0644) < 0)
                r = tdx_err_oom(err);
        }
        /* Sockets, fifos and devices are not sources; skip them. */
    }
    dir_names_free(names, n);
    return r;
}

int tree_add_dir_copy(struct tree *t, const char *prefix, const char *src, tdx_error *err)
{
    size_t count = 0;
    return copy_dir(t, prefix, src, 0, &count, err);
}

static int cmp_entry(const void *a, const void *b)
{
    const struct tree_entry *x = *(const struct tree_entry *const *)a;
    const struct tree_entry *y = *(const struct tree_entry *const *)b;
    return strcmp(x->path, y->path);
}

int tree_sort(struct tree *t, tdx_error *err)
{
    if (t->entries.n > 1)
        qsort(t->entries.items, t->entries.n, sizeof(void *), cmp_entry);
    for (size_t i = 1; i < t->entries.n; i++) {
        const struct tree_entry *a = t->entries.items[i - 1], *b = t->entries.items[i];
        size_t la = strlen(a->path);
        if (streq(a->path, b->path))
            return tdx_err(err, -EEXIST, "two generated files at \"%s\"", a->path);
        /* A file cannot also be a directory of another entry. */
        if (strncmp(a->path, b->path, la) == 0 && b->path[la] == '/')
            return tdx_err(err, -EEXIST, "\"%s\" is both a file and a directory", a->path);
    }
    t->sorted = true;
    return 0;
}

const struct tree_entry *tree_find(const struct tree *t, const char *path)
{
    size_t lo = 0, hi = t->entries.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct tree_entry *e = t->entries.items[mid];
        int c = strcmp(e->path, path);
        if (c == 0)
            return e;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool tree_entry_equal(const struct tree_entry *a, const struct tree_entry *b)
{
    if (a->kind != b->kind || a->mode != b->mode)
        return false;
    switch (a->kind) {
    case TREE_FILE:
        return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
    case TREE_COPY:
        return streq(a->src, b->src);
    case TREE_SYMLINK:
        return streq(a->target, b->target);
    }
    return false;
}

/* ------------------------------------------------------------------------ */

/* Creates the parents of path below root, remembering the ones it made so
 * their mode and time can be set after their contents are written. */
static int mkdir_entry_parents(int root, const char *path, ptrvec *made, tdx_error *err)
{
    int r = mkdir_parents_at(root, path, 0755, made);
    if (r == -ENOMEM)
        return tdx_err_oom(err);
    if (r < 0)
        return tdx_err(err, r, "cannot create the directories of \"%s\": %s", path, strerror(-r));
    return 0;
}

static int copy_into(int out, const char *src, const char *path, tdx_error *err)
{
    _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    unsigned long long total = 0;
    char buf[65536];
    struct stat st;

    if (in < 0)
        return tdx_err(err, -errno, "cannot read \"%s\" (for %s): %s", src, path, strerror(errno));
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
        return tdx_err(err, -EINVAL, "\"%s\" (for %s) is no longer a regular file", src, path);
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        int r;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return tdx_err(err, -errno, "cannot read \"%s\": %s", src, strerror(errno));
        }
        if (n == 0)
            return 0;
        total += (unsigned long long)n;
        if (total > COPY_FILE_MAX)
            return tdx_err(err, -EFBIG, "\"%s\" grew larger than 1 GiB", src);
        r = write_all(out, buf, (size_t)n);
        if (r < 0)
            return tdx_err(err, r, "cannot write \"%s\": %s", path, strerror(-r));
    }
}

static int write_entry(int root, const struct tree_entry *e, time_t mtime, tdx_error *err)
{
    struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
    _cleanup_close_ int fd = -1;
    int r;

    if (e->kind == TREE_SYMLINK) {
        if (symlinkat(e->target, root, e->path) < 0)
            return tdx_err(err, -errno, "cannot create symlink \"%s\": %s", e->path, strerror(errno));
        utimensat(root, e->path, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
    }
    fd = openat(root, e->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return tdx_err(err, -errno, "cannot create \"%s\": %s", e->path, strerror(errno));
    if (e->kind == TREE_FILE) {
        r = write_all(fd, e->data, e->size);
        if (r < 0)
            return tdx_err(err, r, "cannot write \"%s\": %s", e->path, strerror(-r));
    } else {
        r = copy_into(fd, e->src, e->path, err);
        if (r < 0)
            return r;
    }
    /* fchmod, not the open mode: the umask must not change what we emit. */
    if (fchmod(fd, e->mode) < 0 || futimens(fd, ts) < 0)
        return tdx_err(err, -errno, "cannot set mode or time of \"%s\": %s", e->path,
                       strerror(errno));
    return 0;
}

static int cmp_depth_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

static int write_all_entries(int root, struct tree *t, time_t mtime, tdx_error *err)
{
    struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
    ptrvec made = PTRVEC_INIT;
    int r = 0;

    for (size_t i = 0; i < t->entries.n && r >= 0; i++) {
        const struct tree_entry *e = t->entries.items[i];
        const struct tree_entry *prev = i ? t->entries.items[i - 1] : NULL;
        const char *slash = strrchr(e->path, '/');
        size_t dirlen = slash ? (size_t)(slash - e->path) : 0;
        /* Entries are sorted, so siblings follow each other: their parents
         * exist already. */
        bool same_dir = prev && strncmp(prev->path, e->path, dirlen) == 0 &&
                        prev->path[dirlen] == '/' && !strchr(prev->path + dirlen + 1, '/');
        if (dirlen && !same_dir)
            r = mkdir_entry_parents(root, e->path, &made, err);
        if (r >= 0)
            r = write_entry(root, e, mtime, err);
    }
    /* Deepest first, so a parent's time is set after its children change it. */
    if (made.n > 1)
        qsort(made.items, made.n, sizeof(void *), cmp_depth_desc);
    for (size_t i = 0; i < made.n; i++) {
        if (r >= 0 && (fchmodat(root, made.items[i], 0755, 0) < 0 ||
                       utimensat(root, made.items[i], ts, 0) < 0))
            r = tdx_err(err, -errno, "cannot set mode or time of \"%s\": %s",
                        (char *)made.items[i], strerror(errno));
        free(made.items[i]);
    }
    ptrvec_free(&made);
    if (r >= 0 && (fchmod(root, 0755) < 0 || futimens(root, ts) < 0))
        r = tdx_err(err, -errno, "cannot set mode or time of the tree: %s", strerror(errno));
    return r;
}

static bool looks_emitted(const char *outdir)
{
    _cleanup_free_ char *conf = NULL, *data = NULL;
    size_t n;
    if (asprintf(&conf, "%s/mkosi.conf", outdir) < 0)
        return false;
    if (read_file_bounded(conf, 1024 * 1024, &data, &n) < 0)
        return false;
    return startswith(data, TREE_SIGNATURE);
}

/* Moving kept entries in changed the times of their parent directories;
 * the tree's own directories keep mtime. */
static void retime_parents(int root, char *const *keep, time_t mtime)
{
    struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

    for (size_t i = 0; keep && keep[i]; i++) {
        _cleanup_free_ char *p = strdup(keep[i]);
        for (char *s = p ? strrchr(p, '/') : NULL; s; s = strrchr(p, '/')) {
            *s = '\0';
            utimensat(root, p, ts, AT_SYMLINK_NOFOLLOW);
        }
    }
    futimens(root, ts);
}

int tree_write(struct tree *t, const char *outdir, bool force, time_t mtime, tdx_error *err)
{
    _cleanup_free_ char *parent = NULL, *base = NULL;
    _cleanup_(strv_freep) char **keep = NULL;
    _cleanup_close_ int root = -1, old = -1;
    struct staging stage = STAGING_INIT;
    bool replacing = false, stranded = false, protected = false;
    sigset_t sigs;
    struct stat st;
    int r;

    if (!t->sorted && (r = tree_sort(t, err)) < 0)
        return r;
    if (isempty(outdir))
        return tdx_err(err, -EINVAL, "no output directory given");
    if (path_split(outdir, &parent, &base) < 0)
        return tdx_err_oom(err);
    if (streq(base, ".") || streq(base, "..") || streq(base, "/"))
        return tdx_err(err, -EINVAL, "%s: name a new directory to write the tree into", outdir);

    if (stat(outdir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return tdx_err(err, -ENOTDIR, "%s exists and is not a directory", outdir);
        r = dir_is_empty(outdir);
        if (r < 0)
            return tdx_err(err, r, "cannot read %s: %s", outdir, strerror(-r));
        if (r == 0 && !force)
            return tdx_err(err, -EEXIST, "%s exists and is not empty (use --force to replace a "
                           "tree emitted earlier)", outdir);
        if (r == 0 && !looks_emitted(outdir))
            return tdx_err(err, -EEXIST, "%s is not empty and is not a tree emitted by tdxctl; "
                           "refusing to replace it", outdir);
        replacing = r == 0;
    } else if (errno != ENOENT) {
        return tdx_err(err, -errno, "cannot use %s: %s", outdir, strerror(errno));
    }
    /* Only what the old tree's record claims is replaced; the rest (a
     * build's mkosi.output/, mkosi.cache/, mkosi.local.conf) moves over. */
    if (replacing && (r = tree_plan_keep(t, outdir, &keep, err)) < 0)
        return r;

    r = staging_create(&stage, parent, base, err);
    if (r < 0)
        return r;
    root = openat(stage.parent_fd, stage.name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        r = tdx_err(err, -errno, "cannot open %s/%s: %s", parent, stage.name, strerror(errno));
        goto fail;
    }
    r = write_all_entries(root, t, mtime, err);
    if (r < 0)
        goto fail;
    staging_test_pause();
    if (keep) {
        /* From here until the swap the staging tree holds the user's files:
         * no signal-time cleanup, and signals wait (a few renames). */
        old = openat(stage.parent_fd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (old < 0) {
            r = tdx_err(err, -errno, "cannot open %s: %s", outdir, strerror(errno));
            goto fail;
        }
        r = staging_protect(&stage, root, &sigs);
        if (r < 0) {
            r = tdx_err(err, r, "cannot mark %s/%s: %s", parent, stage.name, strerror(-r));
            goto fail;
        }
        protected = true;
        r = tree_move_kept(old, root, keep, &stranded, err);
        if (r < 0)
            goto fail;
        retime_parents(root, keep, mtime);
    }

    if (renameat2(stage.parent_fd, stage.name, stage.parent_fd, base, RENAME_NOREPLACE) == 0) {
        staging_done(&stage);
        return 0;
    }
    if (errno == EEXIST || errno == ENOTEMPTY) {
        /* Swap atomically, then remove the old tree now under the staging name. */
        if (renameat2(stage.parent_fd, stage.name, stage.parent_fd, base, RENAME_EXCHANGE) == 0) {
            if (protected) {
                struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
                staging_unprotect(&stage, root);   /* root is the new tree, now outdir */
                futimens(root, ts);                /* the marker's removal changed it */
                staging_remove(&stage);
                pthread_sigmask(SIG_SETMASK, &sigs, NULL);
            } else {
                staging_remove(&stage);
            }
            return 0;
        }
    }
    if ((errno == EINVAL || errno == ENOSYS) && !keep) {
        /* File system without renameat2 flags: empty target only. */
        if (unlinkat(stage.parent_fd, base, AT_REMOVEDIR) < 0 && errno != ENOENT) {
            r = tdx_err(err, -errno, "cannot replace %s on this file system: %s", outdir,
                        strerror(errno));
            goto fail;
        }
        if (renameat(stage.parent_fd, stage.name, stage.parent_fd, base) == 0) {
            staging_done(&stage);
            return 0;
        }
    }
    r = tdx_err(err, -errno, "cannot move the tree into place at %s: %s", outdir, strerror(errno));
    if (keep) {
        tdx_error back = TDX_ERROR_INIT;
        /* On any failure here the kept files are (partly) in the staging
         * directory: it must stay. */
        if (tree_move_kept(root, old, keep, &stranded, &back) < 0 && (stranded = true))
            r = tdx_err(err, r, "cannot move the tree into place at %s, nor the kept files back: "
                        "%s", outdir, back.message);
    }
fail:
    if (stranded) {
        /* Files the user had in outdir are in the staging directory now:
         * leave it (its marker keeps later runs off it), and say where. */
        r = tdx_err_prefix(err, r, "%s: some of its files are now in %s/%s", outdir, parent,
                           stage.name);
        staging_done(&stage);
    } else {
        if (protected)
            staging_unprotect(&stage, root);
        staging_remove(&stage);
    }
    if (protected)
        pthread_sigmask(SIG_SETMASK, &sigs, NULL);
    return r;
}
