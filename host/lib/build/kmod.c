/* SPDX-License-Identifier: MIT */
/*
 * Which kernel modules an image carries, in the order init loads them.
 * Debian's kernel packages ship no modules.dep (depmod runs in their
 * postinst), so dependencies come from each module's own modinfo
 * (depends=), which is what depmod reads too. Soft dependencies
 * (softdep=) are not followed: name them in kernel.modules.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build-internal.h"
#include "error.h"
#include "fileio.h"

#define MODULE_MAX (64u << 20)
#define MODULES_MAX 100000
#define BUILTIN_MAX (8u << 20)

struct kmod_file {
    char *name;     /* '-' folded to '_' */
    char *rel;      /* path below moddir, as in the package */
};

struct kmod_ctx {
    const char *moddir, *kver;
    struct kmod_file *files;
    size_t n_files, cap;
    char **builtin;       /* folded names */
    char **done, **visiting;
    char **order;
    char **read;          /* files read, relative to moddir */
    struct img *img;
    tdx_error *err;
};

static void fold(char *s)
{
    for (; *s; s++)
        if (*s == '-')
            *s = '_';
}

/* "drivers/net/virtio_net.ko.xz" -> "virtio_net"; NULL when not a module. */
static char *module_name(const char *file)
{
    static const char *const exts[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };
    const char *base = strrchr(file, '/');
    size_t n;
    base = base ? base + 1 : file;
    n = strlen(base);
    for (size_t i = 0; i < ELEMENTSOF(exts); i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcmp(base + n - e, exts[i]) == 0) {
            char *name = strndup(base, n - e);
            if (name)
                fold(name);
            return name;
        }
    }
    return NULL;
}

static int scan(struct kmod_ctx *c, const char *rel, int depth)
{
    _cleanup_free_ struct dirent **names = NULL;
    char dir[PATH_MAX];
    int n, r = 0;

    if (depth > 32)
        return tdx_err(c->err, -ELOOP, "%s/%s: nested too deep", c->moddir, rel);
    snprintf(dir, sizeof(dir), "%s/%s", c->moddir, rel);
    n = scandir(dir, &names, NULL, NULL);
    if (n < 0)
        return tdx_err(c->err, -errno, "%s: %s", dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        char sub[PATH_MAX];
        const char *nm = names[i]->d_name;
        unsigned char type = names[i]->d_type;
        if (r >= 0 && strcmp(nm, ".") && strcmp(nm, "..")) {
            if (snprintf(sub, sizeof(sub), "%s/%s", rel, nm) >= (int)sizeof(sub)) {
                r = tdx_err(c->err, -ENAMETOOLONG, "%s/%s: path too long", dir, nm);
                free(names[i]);
                continue;
            }
            if (type == DT_UNKNOWN) {
                struct stat st;
                char full[PATH_MAX];
                if (snprintf(full, sizeof(full), "%s/%s", c->moddir, sub) >= (int)sizeof(full))
                    type = DT_REG;
                else
                    type = lstat(full, &st) == 0 && S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
            }
            if (type == DT_DIR)
                r = scan(c, sub, depth + 1);
            else if (type == DT_REG) {
                char *name = module_name(nm);
                if (name) {
                    if (c->n_files >= MODULES_MAX) {
                        free(name);
                        r = tdx_err(c->err, -E2BIG, "%s: more than %u modules", c->moddir,
                                    MODULES_MAX);
                    } else if (c->n_files == c->cap) {
                        size_t cap = c->cap ? c->cap * 2 : 1024;
                        struct kmod_file *f = realloc(c->files, cap * sizeof(*f));
                        if (!f) {
                            free(name);
                            r = tdx_err_oom(c->err);
                        } else {
                            c->files = f;
                            c->cap = cap;
                        }
                    }
                    if (r >= 0) {
                        c->files[c->n_files].name = name;
                        c->files[c->n_files].rel = strdup(sub);
                        if (!c->files[c->n_files++].rel)
                            r = tdx_err_oom(c->err);
                    }
                }
            }
        }
        free(names[i]);
    }
    return r;
}

static int cmp_file(const void *a, const void *b)
{
    const struct kmod_file *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->rel, y->rel);
}

static const struct kmod_file *find(const struct kmod_ctx *c, const char *name)
{
    size_t lo = 0, hi = c->n_files;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int d = strcmp(c->files[mid].name, name);
        if (d == 0) {
            /* The first of equal names: the sort made it deterministic. */
            while (mid > 0 && strcmp(c->files[mid - 1].name, name) == 0)
                mid--;
            return &c->files[mid];
        }
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int read_builtin(struct kmod_ctx *c)
{
    _cleanup_free_ char *text = NULL;
    char path[PATH_MAX];
    size_t len;
    int r;

    snprintf(path, sizeof(path), "%s/modules.builtin", c->moddir);
    r = read_file_bounded(path, BUILTIN_MAX, &text, &len);
    if (r == -ENOENT)
        return 0;       /* a kernel without built-in modules (or an old package) */
    if (r < 0)
        return tdx_err(c->err, r, "%s: %s", path, strerror(-r));
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line) {
            char *name = module_name(line);
            if (name && strv_push_take(&c->builtin, name) < 0)
                return tdx_err_oom(c->err);
        }
    }
    return 0;
}

static int visit(struct kmod_ctx *c, const char *name, const char *needed_by);

static int load_one(struct kmod_ctx *c, const struct kmod_file *f)
{
    _cleanup_free_ char *data = NULL, *modname = NULL;
    char **deps = NULL, path[PATH_MAX], ipath[PATH_MAX], *dot;
    size_t len;
    int r;

    snprintf(path, sizeof(path), "%s/%s", c->moddir, f->rel);
    r = decompress_file(path, MODULE_MAX, &data, &len, c->err);
    if (r < 0)
        return r;
    if (strv_push(&c->read, f->rel) < 0)
        return tdx_err_oom(c->err);
    r = modinfo_parse(data, len, f->rel, &modname, &deps, c->err);
    if (r < 0)
        return r;
    for (char **d = deps; *d && r >= 0; d++) {
        fold(*d);
        r = visit(c, *d, f->name);
    }
    strv_free(deps);
    if (r < 0)
        return r;
    /* The image path without the compression suffix: what init loads. */
    snprintf(ipath, sizeof(ipath), "/lib/modules/%s/%s", c->kver, f->rel);
    dot = strrchr(ipath, '.');
    if (dot && (streq(dot, ".xz") || streq(dot, ".zst") || streq(dot, ".gz")))
        *dot = '\0';
    r = img_add_take(c->img, ipath, TAKE_PTR(data), len, 0644, 0, 0, c->err);
    if (r < 0)
        return r;
    return strv_push(&c->order, ipath) < 0 ? tdx_err_oom(c->err) : 0;
}

static int visit(struct kmod_ctx *c, const char *name, const char *needed_by)
{
    const struct kmod_file *f;
    int r;

    if (strv_contains(c->done, name) || strv_contains(c->builtin, name))
        return 0;
    if (strv_contains(c->visiting, name))
        return tdx_err(c->err, -ELOOP, "kernel module %s: circular dependency through %s", name,
                       needed_by ? needed_by : name);
    f = find(c, name);
    if (!f)
        return tdx_err(c->err, -ENOENT, "kernel module \"%s\"%s%s%s: not in %s (neither a module "
                       "file nor built in)", name, needed_by ? " (needed by " : "",
                       needed_by ? needed_by : "", needed_by ? ")" : "", c->moddir);
    if (strv_push(&c->visiting, name) < 0)
        return tdx_err_oom(c->err);
    r = load_one(c, f);
    strv_remove(c->visiting, name);
    if (r < 0)
        return r;
    return strv_push(&c->done, name) < 0 ? tdx_err_oom(c->err) : 0;
}

int kmod_resolve(const char *moddir, const char *kver, const struct kmod_want *want, size_t n,
                 struct img *img, char ***order, char ***warnings, tdx_error *err)
{
    char **read = NULL;
    int r = kmod_resolve_read(moddir, kver, want, n, img, order, warnings, &read, err);
    strv_free(read);
    return r;
}

int kmod_resolve_read(const char *moddir, const char *kver, const struct kmod_want *want,
                      size_t n, struct img *img, char ***order, char ***warnings, char ***read,
                      tdx_error *err)
{
    struct kmod_ctx c = { .moddir = moddir, .kver = kver, .img = img, .err = err };
    char **warn = NULL;
    int r;

    r = scan(&c, "kernel", 0);
    if (r >= 0) {
        if (c.n_files)
            qsort(c.files, c.n_files, sizeof(*c.files), cmp_file);
        r = read_builtin(&c);
    }
    for (size_t i = 0; i < n && r >= 0; i++) {
        _cleanup_free_ char *name = strdup(want[i].name), *alt = want[i].alt ? strdup(want[i].alt)
                                                                             : NULL;
        if (!name || (want[i].alt && !alt)) {
            r = tdx_err_oom(err);
            break;
        }
        fold(name);
        if (alt)
            fold(alt);
        if (!find(&c, name) && !strv_contains(c.builtin, name) && alt &&
            (find(&c, alt) || strv_contains(c.builtin, alt))) {
            free(name);
            name = TAKE_PTR(alt);
        }
        if (want[i].optional && !find(&c, name) && !strv_contains(c.builtin, name)) {
            char *w;
            if (asprintf(&w, "kernel module %s (%s): not in this kernel, left out", name,
                         want[i].why) < 0 || strv_push_take(&warn, w) < 0)
                r = tdx_err_oom(err);
            continue;
        }
        r = visit(&c, name, NULL);
        if (r < 0)
            tdx_err_prefix(err, r, "%s", want[i].why);
    }
    for (size_t i = 0; i < c.n_files; i++) {
        free(c.files[i].name);
        free(c.files[i].rel);
    }
    free(c.files);
    strv_free(c.builtin);
    strv_free(c.done);
    strv_free(c.visiting);
    if (r < 0) {
        strv_free(c.order);
        strv_free(c.read);
        strv_free(warn);
        return r;
    }
    *read = c.read;
    if (!c.order && !(c.order = calloc(1, sizeof(char *)))) {
        strv_free(warn);
        return tdx_err_oom(err);
    }
    *order = c.order;
    *warnings = warn;
    return 0;
}
