/* SPDX-License-Identifier: MIT */
/* The native image as a list of entries, before it is written as a cpio. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-internal.h"
#include "error.h"

#define IMG_ENTRIES_MAX 500000
#define TREE_DEPTH_MAX 64

static void entry_free(void *p)
{
    struct img_entry *e = p;
    if (!e)
        return;
    free(e->path);
    free(e->src);
    free(e->data);
    free(e->target);
    free(e);
}

void img_free(struct img *img)
{
    ptrvec_free_all(&img->entries, entry_free);
}

/* "/a//b/" -> "a/b"; refuses "." and ".." components and empty paths. */
static char *normalise(const char *path)
{
    char *out = malloc(strlen(path) + 1), *o = out;
    const char *p = path;

    if (!out)
        return NULL;
    while (*p) {
        const char *end;
        size_t n;
        while (*p == '/')
            p++;
        if (!*p)
            break;
        end = strchrnul(p, '/');
        n = (size_t)(end - p);
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            free(out);
            errno = EINVAL;
            return NULL;
        }
        if (o != out)
            *o++ = '/';
        memcpy(o, p, n);
        o += n;
        p = end;
    }
    *o = '\0';
    if (o == out) {
        free(out);
        errno = EINVAL;
        return NULL;
    }
    return out;
}

static ssize_t find_index(const struct img *img, const char *path)
{
    for (size_t i = img->entries.n; i > 0; i--)
        if (strcmp(((struct img_entry *)img->entries.items[i - 1])->path, path) == 0)
            return (ssize_t)(i - 1);
    return -1;
}

const struct img_entry *img_find(const struct img *img, const char *path)
{
    _cleanup_free_ char *p = normalise(path);
    ssize_t i = p ? find_index(img, p) : -1;
    return i < 0 ? NULL : img->entries.items[i];
}

static int ensure_parents(struct img *img, const char *path, tdx_error *err);

/* Takes e in all cases. */
static int put(struct img *img, struct img_entry *e, const char *path, tdx_error *err)
{
    ssize_t i;
    int r;

    if (!e) {
        return tdx_err_oom(err);
    }
    e->path = normalise(path);
    if (!e->path) {
        r = errno == EINVAL ? tdx_err(err, -EINVAL, "image path \"%s\": empty, or with \".\" "
                                      "or \"..\" components", path)
                            : tdx_err_oom(err);
        entry_free(e);
        return r;
    }
    r = ensure_parents(img, e->path, err);
    if (r < 0) {
        entry_free(e);
        return r;
    }
    i = find_index(img, e->path);
    if (i >= 0) {
        struct img_entry *old = img->entries.items[i];
        if (old->kind == IMG_DIR && e->kind == IMG_DIR) {
            entry_free(e);
            return 0;
        }
        entry_free(old);
        img->entries.items[i] = e;
        return 0;
    }
    if (img->entries.n >= IMG_ENTRIES_MAX) {
        entry_free(e);
        return tdx_err(err, -E2BIG, "image: more than %d entries", IMG_ENTRIES_MAX);
    }
    if (ptrvec_push(&img->entries, e) < 0) {
        entry_free(e);
        return tdx_err_oom(err);
    }
    return 0;
}

static struct img_entry *entry_new(enum img_kind kind, unsigned mode, unsigned uid, unsigned gid)
{
    struct img_entry *e = calloc(1, sizeof(*e));
    if (e) {
        e->kind = kind;
        e->mode = mode & 07777;
        e->uid = uid;
        e->gid = gid;
    }
    return e;
}

static int ensure_parents(struct img *img, const char *path, tdx_error *err)
{
    char buf[PATH_MAX];
    char *slash;

    if (strlen(path) >= sizeof(buf))
        return tdx_err(err, -ENAMETOOLONG, "image path too long: %s", path);
    strcpy(buf, path);
    for (slash = strchr(buf, '/'); slash; slash = strchr(slash + 1, '/')) {
        ssize_t i;
        *slash = '\0';
        i = find_index(img, buf);
        if (i < 0) {
            struct img_entry *e = entry_new(IMG_DIR, 0755, 0, 0);
            if (!e || !(e->path = strdup(buf)) || ptrvec_push(&img->entries, e) < 0) {
                entry_free(e);
                return tdx_err_oom(err);
            }
        } else if (((struct img_entry *)img->entries.items[i])->kind != IMG_DIR) {
            return tdx_err(err, -ENOTDIR, "image path \"/%s\": \"/%s\" is not a directory",
                           path, buf);
        }
        *slash = '/';
    }
    return 0;
}

int img_add_dir(struct img *img, const char *path, unsigned mode, unsigned uid, unsigned gid,
                tdx_error *err)
{
    return put(img, entry_new(IMG_DIR, mode, uid, gid), path, err);
}

int img_add_copy(struct img *img, const char *path, const char *src, unsigned mode, unsigned uid,
                 unsigned gid, tdx_error *err)
{
    struct img_entry *e = entry_new(IMG_FILE, mode, uid, gid);
    if (e && !(e->src = strdup(src))) {
        entry_free(e);
        e = NULL;
    }
    return put(img, e, path, err);
}

int img_add_take(struct img *img, const char *path, char *data, size_t size, unsigned mode,
                 unsigned uid, unsigned gid, tdx_error *err)
{
    struct img_entry *e = entry_new(IMG_FILE, mode, uid, gid);
    if (!e) {
        free(data);
        return tdx_err_oom(err);
    }
    e->data = data;
    e->size = size;
    return put(img, e, path, err);
}

int img_add_data(struct img *img, const char *path, const void *data, size_t size, unsigned mode,
                 unsigned uid, unsigned gid, tdx_error *err)
{
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return tdx_err_oom(err);
    memcpy(copy, data, size);
    return img_add_take(img, path, copy, size, mode, uid, gid, err);
}

int img_add_symlink(struct img *img, const char *path, const char *target, tdx_error *err)
{
    struct img_entry *e = entry_new(IMG_SYMLINK, 0777, 0, 0);
    if (e && !(e->target = strdup(target))) {
        entry_free(e);
        e = NULL;
    }
    return put(img, e, path, err);
}

void img_remove(struct img *img, const char *path)
{
    _cleanup_free_ char *p = normalise(path);
    size_t n, j = 0;

    if (!p)
        return;
    n = strlen(p);
    for (size_t i = 0; i < img->entries.n; i++) {
        struct img_entry *e = img->entries.items[i];
        if (strcmp(e->path, p) == 0 || (strncmp(e->path, p, n) == 0 && e->path[n] == '/'))
            entry_free(e);
        else
            img->entries.items[j++] = e;
    }
    img->entries.n = j;
}

static int cmp_path(const void *a, const void *b)
{
    const struct img_entry *x = *(const struct img_entry *const *)a;
    const struct img_entry *y = *(const struct img_entry *const *)b;
    return strcmp(x->path, y->path);
}

void img_sort(struct img *img)
{
    if (img->entries.n)
        qsort(img->entries.items, img->entries.n, sizeof(void *), cmp_path);
}

static bool skipped(char *const *skip, const char *rel)
{
    STRV_FOREACH(s, skip)
        if (fnmatch(*s, rel, 0) == 0)
            return true;
    return false;
}

static int add_tree_at(struct img *img, const char *prefix, const char *dir, const char *rel,
                       char *const *skip, int depth, tdx_error *err)
{
    _cleanup_free_ struct dirent **names = NULL;
    int n, r = 0;

    if (depth > TREE_DEPTH_MAX)
        return tdx_err(err, -ELOOP, "%s: nested deeper than %d", dir, TREE_DEPTH_MAX);
    /* scandir with alphasort would depend on the locale; order does not
     * matter here (the image is sorted before it is written). */
    n = scandir(dir, &names, NULL, NULL);
    if (n < 0)
        return tdx_err(err, -errno, "%s: %s", dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        char src[PATH_MAX], sub[PATH_MAX], ipath[PATH_MAX];
        struct stat st;
        const char *name = names[i]->d_name;

        if (r < 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            free(names[i]);
            continue;
        }
        if (snprintf(src, sizeof(src), "%s/%s", dir, name) >= (int)sizeof(src) ||
            snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", name) >= (int)sizeof(sub) ||
            snprintf(ipath, sizeof(ipath), "%s/%s", prefix, sub) >= (int)sizeof(ipath)) {
            r = tdx_err(err, -ENAMETOOLONG, "%s/%s: path too long", dir, name);
            free(names[i]);
            continue;
        }
        free(names[i]);
        if (skipped(skip, sub))
            continue;
        if (lstat(src, &st) < 0) {
            r = tdx_err(err, -errno, "%s: %s", src, strerror(errno));
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            r = img_add_dir(img, ipath, st.st_mode & 0777, 0, 0, err);
            if (r >= 0)
                r = add_tree_at(img, prefix, src, sub, skip, depth + 1, err);
        } else if (S_ISREG(st.st_mode)) {
            r = img_add_copy(img, ipath, src, st.st_mode & 0777, 0, 0, err);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t len = readlink(src, target, sizeof(target) - 1);
            if (len < 0)
                r = tdx_err(err, -errno, "%s: %s", src, strerror(errno));
            else {
                target[len] = '\0';
                r = img_add_symlink(img, ipath, target, err);
            }
        }
        /* Anything else (devices, sockets) never comes out of tdx_deb_extract(). */
    }
    return r;
}

int img_add_tree(struct img *img, const char *prefix, const char *src, char *const *skip,
                 tdx_error *err)
{
    return add_tree_at(img, prefix, src, "", skip, 0, err);
}
