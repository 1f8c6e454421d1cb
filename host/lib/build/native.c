/* SPDX-License-Identifier: MIT */
/*
 * tdx_build() and the native backend: lock, fetch, unpack, assemble the
 * initramfs, measure, and write the output directory in one rename.
 *
 * Everything the image holds comes from a pinned input: Debian packages by
 * the hashes tdx.lock records (the signed index vouched for them), the agent
 * and the recipe's files by the hashes build.json records. Nothing from the
 * image runs on the host, and nothing of the host (owners, times, umask,
 * locale, directory order) reaches the image.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build-internal.h"
#include "emit/text.h"
#include "tdxhost/deb.h"
#include "tdxhost/emit.h"
#include "tdxhost/quote.h"
#include "error.h"
#include "fileio.h"
#include "fsutil.h"
#include "json-error.h"
#include "json-text.h"
#include "lock/lock-internal.h"
#include "recipe/paths.h"
#include "recipe/sources.h"
#include "recipe/source-urls.h"

#define TEMPLATE_MAX (16u << 20)
#define CAPTURE_JSON_MAX (64u << 10)
#define ARCH "amd64"

struct build {
    const tdx_image *image;
    const tdx_build_image_options *o;
    struct recipe *r;
    tdx_error *err;
    tdx_build_result *res;
    tdx_lock *lock;
    tdx_fetch_options fo;
    char *cache_root, *fetch_dir, *extract_dir;
    char *recipe_dir, *lock_path;
    struct build_output out;       /* the staging directory beside the output */
    struct img img;
    struct image_accounts acct;
    char *kernel_dir, *kver, *vmlinuz, *firmware;
    char *ovmf_version;
    char **modules, **warnings;
    bool kept_acpi;
    struct timespec t0;
};

static uint64_t ms_since(struct timespec *t)
{
    struct timespec now;
    uint64_t ms;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (uint64_t)(now.tv_sec - t->tv_sec) * 1000 +
         (uint64_t)((now.tv_nsec - t->tv_nsec) / 1000000);
    *t = now;
    return ms;
}

static int step(struct build *b, const char *name)
{
    char what[128];
    if (!b->o || !b->o->progress)
        return 0;
    snprintf(what, sizeof(what), "step: %s", name);
    return b->o->progress(b->o->progress_data, what, 0, 0) ? tdx_err(b->err, -ECANCELED,
                                                                    "build cancelled")
                                                           : 0;
}

static int timed(struct build *b, const char *name)
{
    return build_result_add_timing(b->res, name, ms_since(&b->t0)) < 0 ? tdx_err_oom(b->err) : 0;
}

/* ------------------------------------------------------------------------ */
/* Inputs                                                                    */

static int cache_paths(struct build *b)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int r;

    if (b->o && b->o->cache_dir)
        b->cache_root = strdup(b->o->cache_dir);
    else if (xdg && *xdg == '/')
        r = asprintf(&b->cache_root, "%s/tdxhost", xdg);
    else if (home && *home == '/')
        r = asprintf(&b->cache_root, "%s/.cache/tdxhost", home);
    else
        return tdx_err(b->err, -ENOENT, "no cache directory: set XDG_CACHE_HOME or HOME, or give one");
    (void)r;
    if (!b->cache_root || asprintf(&b->fetch_dir, "%s/fetch", b->cache_root) < 0 ||
        asprintf(&b->extract_dir, "%s/extract", b->cache_root) < 0)
        return tdx_err_oom(b->err);
    if (mkdir_p(b->fetch_dir, 0755) < 0 || mkdir_p(b->extract_dir, 0755) < 0)
        return tdx_err(b->err, -errno, "cache %s: %s", b->cache_root, strerror(errno));
    return 0;
}

static int lock_up_to_date(struct build *b)
{
    tdx_lock_options lo = TDX_LOCK_OPTIONS_INIT;
    int r;

    lo.recipe_dir = b->recipe_dir;
    lo.mirror = b->o ? b->o->mirror : NULL;
    lo.snapshot = b->o ? b->o->snapshot : NULL;
    lo.keyring = b->o ? b->o->keyring : NULL;
    lo.apt_dir = b->o ? b->o->apt_dir : NULL;
    lo.arch = ARCH;
    lo.fetch = &b->fo;
    r = build_lock_load(b->lock_path, b->o, "run tdxctl lock", &b->lock, b->err);
    if (r < 0)
        return r;
    if (b->o && b->o->frozen == 1)
        return tdx_lock_check(b->lock, b->image, &lo, b->err);
    r = tdx_lock_resolve(b->lock, b->image, &lo, b->err);
    if (r < 0 && b->err) {
        /* A toolchain that cannot be fetched: name its pinned hash too. */
        for (size_t i = 0; i < b->r->builds.n; i++) {
            const struct build_spec *bs = &((const struct op *)b->r->builds.items[i])->u.build;
            char url[1024];
            if (!bs->toolchain_sha256 || (!bs->toolchain_url && !bs->toolchain_version))
                continue;
            recipe_toolchain_url(bs, url, sizeof(url));
            if (strstr(b->err->message, url) && !strstr(b->err->message, bs->toolchain_sha256))
                return tdx_err_prefix(b->err, r, "builds.%s: toolchain sha256 %s", bs->name,
                                      bs->toolchain_sha256);
        }
    }
    if (r > 0)
        r = build_lock_save(b->lock, b->lock_path, b->o, true, b->err);
    return r < 0 ? r : 0;
}

static const char *const CHECK_NOTHING[] = { NULL };

/* The unpacked tree of a locked package (locked_deb_tree()), recorded as an
 * input. */
static int deb_tree(struct build *b, const char *requested, const char *release,
                    char *const *rels, char **dir)
{
    const struct lock_deb *d = lock_find_deb(b->lock, requested, release, ARCH);

    *dir = NULL;
    if (!d)
        return tdx_err(b->err, -ENOENT, "package %s (%s): not in %s", requested, release,
                       b->lock_path);
    if (build_result_add_input(b->res, "deb", d->f[DEB_NAME], d->f[DEB_VERSION], d->f[DEB_URL],
                               d->f[DEB_SHA256]) < 0)
        return tdx_err_oom(b->err);
    return locked_deb_tree(b->lock, d, &b->fo, b->extract_dir, rels, dir, b->err);
}

static int find_kernel(struct build *b)
{
    _cleanup_free_ char *pattern = NULL;
    glob_t g;
    const char *base;
    int r;

    if (asprintf(&pattern, "%s/boot/vmlinuz-*", b->kernel_dir) < 0)
        return tdx_err_oom(b->err);
    r = glob(pattern, 0, NULL, &g);
    if (r != 0 || g.gl_pathc != 1) {
        size_t n = r == 0 ? g.gl_pathc : 0;
        if (r == 0)
            globfree(&g);
        return tdx_err(b->err, -ENOENT, "kernel package %s: expected one boot/vmlinuz-*, found %zu",
                       b->r->kernel.package, n);
    }
    base = strrchr(g.gl_pathv[0], '/') + strlen("/vmlinuz-");
    b->vmlinuz = strdup(g.gl_pathv[0]);
    b->kver = strdup(base);
    globfree(&g);
    return b->vmlinuz && b->kver ? 0 : tdx_err_oom(b->err);
}

static int firmware_input(struct build *b)
{
    _cleanup_free_ char *dir = NULL;
    char hex[SHA256_HEX_SIZE];
    int r;

    if (!streq(b->r->firmware, "ovmf")) {
        r = sha256_file(b->r->firmware, hex, NULL, b->err);
        if (r < 0)
            return r;
        b->firmware = strdup(b->r->firmware);
        return b->firmware && build_result_add_input(b->res, "file", "firmware", NULL, NULL,
                                                     hex) == 0 ? 0 : tdx_err_oom(b->err);
    }
    r = deb_tree(b, "ovmf", b->r->release,
                 (char *const *)(const char *const[]){ "usr/share/ovmf/OVMF.fd", NULL }, &dir);
    if (r < 0)
        return r;
    if (asprintf(&b->firmware, "%s/usr/share/ovmf/OVMF.fd", dir) < 0) {
        b->firmware = NULL;
        return tdx_err_oom(b->err);
    }
    if (access(b->firmware, R_OK) < 0)
        return tdx_err(b->err, -ENOENT, "package ovmf: no usr/share/ovmf/OVMF.fd");
    b->ovmf_version = strdup(((struct build_input *)b->res->inputs.items[b->res->inputs.n - 1])
                                 ->version);
    return b->ovmf_version ? 0 : tdx_err_oom(b->err);
}

/* ------------------------------------------------------------------------ */
/* The image                                                                 */

static int owner_ids(struct build *b, const char *where, const char *owner, const char *group,
                     unsigned *uid, unsigned *gid)
{
    const char *g = group ? group : owner ? owner : "root";
    if (image_accounts_uid(&b->acct, owner ? owner : "root", uid) < 0)
        return tdx_err(b->err, -EINVAL, "%s: owner \"%s\" is not a user of the image (users)",
                       where, owner);
    if (image_accounts_gid(&b->acct, g, gid) < 0)
        return tdx_err(b->err, -EINVAL, "%s: group \"%s\" is not a group of the image", where, g);
    return 0;
}

static int add_recipe_file(struct build *b, const struct op *op)
{
    const struct file_spec *f = &op->u.file;
    char where[512], hex[SHA256_HEX_SIZE];
    unsigned uid, gid;
    int r;

    op_where(op, NULL, where, sizeof(where));
    r = owner_ids(b, where, f->owner, f->group, &uid, &gid);
    if (r < 0)
        return r;
    if (f->content)
        return img_add_data(&b->img, f->dest, f->content, f->content_len, (unsigned)f->mode, uid,
                            gid, b->err);
    r = sha256_file(f->src, hex, NULL, b->err);
    if (r < 0)
        return r;
    if (build_result_add_input(b->res, "file", f->dest, NULL, NULL, hex) < 0)
        return tdx_err_oom(b->err);
    if (!f->is_template)
        return img_add_copy(&b->img, f->dest, f->src, (unsigned)f->mode, uid, gid, b->err);
    {
        _cleanup_free_ char *text = NULL;
        strbuf out = STRBUF_INIT;
        size_t len;
        r = read_file_bounded(f->src, TEMPLATE_MAX, &text, &len);
        if (r < 0)
            return tdx_err(b->err, r, "%s: template %s: %s", where, f->src, strerror(-r));
        r = template_render(text, len, f->var_names, f->var_values, f->n_vars, &out, b->err);
        if (r < 0) {
            strbuf_free(&out);
            return tdx_err_prefix(b->err, r, "%s", where);
        }
        len = out.len;
        return img_add_take(&b->img, f->dest, strbuf_steal(&out, NULL), len, (unsigned)f->mode,
                            uid, gid, b->err);
    }
}

/* Applets linked to busybox when the image has it: what scripts and hooks
 * commonly call. busybox decides by argv[0]. */
static const char *const busybox_applets[] = {
    "sh", "ash", "awk", "basename", "cat", "chmod", "chown", "cp", "cut", "date", "dd", "df",
    "dirname", "echo", "env", "false", "find", "grep", "head", "hexdump", "id", "ip", "kill",
    "ln", "ls", "mkdir", "mktemp", "mount", "mv", "nc", "od", "printf", "ps", "pwd", "readlink",
    "rm", "rmdir", "sed", "seq", "sha256sum", "sleep", "sort", "stat", "tail", "tee", "test",
    "touch", "tr", "true", "uname", "uniq", "wc", "wget", "xargs", "[",
};

static const char *const package_skip[] = {
    "usr/share/doc", "usr/share/doc/*", "usr/share/man", "usr/share/man/*", "usr/share/info",
    "usr/share/info/*", "usr/share/lintian", "usr/share/lintian/*", "usr/share/bug",
    "usr/share/bug/*", NULL,
};

static int add_packages(struct build *b)
{
    int r;

    STRV_FOREACH(p, b->r->packages) {
        _cleanup_free_ char *dir = NULL;
        const char *slash = strchr(*p, '/');
        char name[256];

        snprintf(name, sizeof(name), "%.*s", slash ? (int)(slash - *p) : (int)strlen(*p), *p);
        if (strv_contains(b->r->native.exclude, name))
            continue;
        r = deb_tree(b, name, slash ? slash + 1 : b->r->release, NULL, &dir);
        if (r < 0)
            return r;
        r = img_add_tree(&b->img, "", dir, (char *const *)package_skip, b->err);
        if (r < 0)
            return tdx_err_prefix(b->err, r, "package %s", name);
    }
    /* Their Depends/Pre-Depends closure, as the lock records it. */
    {
        char label[256];
        snprintf(label, sizeof(label), "%s: install" LOCK_DEPENDENCY, b->r->profile);
        for (size_t i = 0; i < b->lock->debs.n; i++) {
            const struct lock_deb *d = b->lock->debs.items[i];
            _cleanup_free_ char *dir = NULL;
            if (!strv_contains(d->used_by, label) || !streq(d->f[DEB_RELEASE], b->r->release) ||
                strv_contains(b->r->native.exclude, d->f[DEB_REQUESTED]))
                continue;
            r = deb_tree(b, d->f[DEB_REQUESTED], d->f[DEB_RELEASE], NULL, &dir);
            if (r < 0)
                return r;
            r = img_add_tree(&b->img, "", dir, (char *const *)package_skip, b->err);
            if (r < 0)
                return tdx_err_prefix(b->err, r, "package %s", d->f[DEB_REQUESTED]);
        }
    }
    if (img_find(&b->img, "bin/busybox"))
        for (size_t i = 0; i < ELEMENTSOF(busybox_applets); i++) {
            char path[64];
            snprintf(path, sizeof(path), "bin/%s", busybox_applets[i]);
            if (!img_find(&b->img, path) && (r = img_add_symlink(&b->img, path, "busybox",
                                                                b->err)) < 0)
                return r;
        }
    return 0;
}

static int add_agent(struct build *b)
{
    const char *argv[] = { "objcopy", "--strip-all", b->o->agent, NULL, NULL };
    struct run_result rr = RUN_RESULT_INIT;
    _cleanup_free_ char *stripped = NULL;
    char hex[SHA256_HEX_SIZE];
    int r;

    r = sha256_file(b->o->agent, hex, NULL, b->err);
    if (r < 0)
        return tdx_err_prefix(b->err, r, "agent");
    if (build_result_add_input(b->res, "file", "tdx-agent", NULL, NULL, hex) < 0 ||
        asprintf(&stripped, "%s/tdx-agent", b->out.work) < 0)
        return tdx_err_oom(b->err);
    /* The image never carries the symbol table: strip a copy. */
    argv[3] = stripped;
    r = run_program(argv, NULL, &rr, b->err);
    if (r == -ENOENT)
        r = tdx_err(b->err, -ENOENT, "objcopy (binutils) is needed to strip the agent");
    else if (r >= 0 && rr.status != 0)
        r = tdx_err(b->err, -EIO, "objcopy --strip-all %s: %s", b->o->agent, run_last_line(&rr));
    run_result_free(&rr);
    if (r < 0)
        return r;
    r = img_add_copy(&b->img, NATIVE_INIT, stripped, 0755, 0, 0, b->err);
    if (r >= 0)
        r = img_add_symlink(&b->img, NATIVE_AGENT_LINK, "/" NATIVE_INIT, b->err);
    return r;
}

static int add_skeleton(struct build *b)
{
    static const struct { const char *path; unsigned mode; } dirs[] = {
        { "dev", 0755 }, { "proc", 0555 }, { "sys", 0555 }, { "run", 0755 }, { "tmp", 01777 },
        { "root", 0700 }, { "etc", 0755 }, { "bin", 0755 }, { "usr/bin", 0755 },
        { "var", 0755 }, { NATIVE_HOOKS_DIR, 0755 },
    };
    for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
        int r = img_add_dir(&b->img, dirs[i].path, dirs[i].mode, 0, 0, b->err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int add_accounts(struct build *b)
{
    char *passwd, *group;
    int r = image_accounts_build(b->r, &b->acct, b->err);
    if (r < 0)
        return r;
    passwd = image_accounts_passwd(&b->acct, b->r);
    group = image_accounts_group(&b->acct, b->r);
    if (!passwd || !group) {
        free(passwd);
        free(group);
        return tdx_err_oom(b->err);
    }
    r = img_add_take(&b->img, "etc/passwd", passwd, strlen(passwd), 0644, 0, 0, b->err);
    if (r >= 0)
        r = img_add_take(&b->img, "etc/group", group, strlen(group), 0644, 0, 0, b->err);
    else
        free(group);
    for (size_t i = 0; r >= 0 && i < b->r->users.n; i++) {
        const struct user_spec *u = &((const struct op *)b->r->users.items[i])->u.user;
        unsigned uid, gid;
        if (!u->home)
            continue;
        image_accounts_uid(&b->acct, u->name, &uid);
        image_accounts_gid(&b->acct, u->name, &gid);
        r = img_add_dir(&b->img, u->home, 0750, uid, gid, b->err);
    }
    return r;
}

static int add_hooks(struct build *b)
{
    for (size_t i = 0; i < b->r->on_boot.n; i++) {
        const struct op *op = b->r->on_boot.items[i];
        const char *cmd = op->u.script.commands;
        strbuf sb = STRBUF_INIT;
        char path[256];
        size_t len;
        int r;

        strbuf_printf(&sb, "#!/bin/sh\n# Generated by tdxctl build from the recipe's on_boot.\n"
                           "set -eu\n%s%s", cmd, endswith(cmd, "\n") ? "" : "\n");
        if (strbuf_error(&sb))
            return tdx_err_oom(b->err);
        snprintf(path, sizeof(path), NATIVE_HOOKS_DIR "/%03zu-%s.sh", i,
                 ((const struct profile *)b->image->profiles.items[op->profile])->name);
        len = sb.len;
        r = img_add_take(&b->img, path, strbuf_steal(&sb, NULL), len, 0755, 0, 0, b->err);
        if (r < 0)
            return r;
    }
    if (b->r->on_boot.n && !img_find(&b->img, "bin/sh") &&
        strv_push(&b->warnings, "on_boot: the hooks are shell scripts, but the image has no "
                                "/bin/sh (add busybox-static to install)") < 0)
        return tdx_err_oom(b->err);
    return 0;
}

static int add_modules(struct build *b)
{
    static const struct kmod_want defaults[] = {
        { "tdx_guest", NULL, true, "default module (TDX quotes)" },
        { "tsm", "tsm_report", true, "default module (configfs-tsm)" },
        { "configfs", NULL, true, "default module (configfs-tsm)" },
        { "vsock", NULL, true, "default module (agent over vsock)" },
        { "vmw_vsock_virtio_transport", NULL, true, "default module (agent over vsock)" },
        { "virtio_pci", NULL, true, "default module (virtio devices)" },
        { "virtio_net", NULL, true, "default module (network)" },
        { "qemu_fw_cfg", NULL, true, "default module (test PKI through fw_cfg)" },
        { "button", NULL, true, "default module (ACPI power button: tdxctl stop)" },
        { "evdev", NULL, true, "default module (ACPI power button: tdxctl stop)" },
    };
    struct kmod_want want[ELEMENTSOF(defaults) + 512];
    char moddir[PATH_MAX], **warn = NULL;
    size_t n = 0;
    int r;

    for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
        want[n++] = defaults[i];
    STRV_FOREACH(m, b->r->native.modules)
        want[n++] = (struct kmod_want){ *m, NULL, false, "kernel.modules" };
    snprintf(moddir, sizeof(moddir), "%s/lib/modules/%s", b->kernel_dir, b->kver);
    for (int attempt = 0;; attempt++) {
        _cleanup_free_ char *sums = NULL;
        char **read = NULL, **rels = NULL;
        tdx_error why = TDX_ERROR_INIT;

        r = kmod_resolve_read(moddir, b->kver, want, n, &b->img, &b->modules, &warn, &read,
                              b->err);
        if (r < 0)
            return r;
        /* What was read from the unpacked kernel must be what the .deb held. */
        if (asprintf(&sums, "%s.sums", b->kernel_dir) < 0 ||
            strv_push_take(&rels, strdup(b->vmlinuz + strlen(b->kernel_dir) + 1)) < 0) {
            strv_free(read);
            strv_free(warn);
            return tdx_err_oom(b->err);
        }
        STRV_FOREACH(m, read) {
            char *rel = NULL;
            if (asprintf(&rel, "lib/modules/%s/%s", b->kver, *m) < 0 || strv_push_take(&rels, rel) < 0)
                r = tdx_err_oom(b->err);
        }
        strv_free(read);
        if (r >= 0)
            r = sums_check(b->kernel_dir, sums, rels, attempt ? b->err : &why);
        strv_free(rels);
        if (r >= 0)
            break;
        strv_free(warn);
        warn = NULL;
        if (attempt || (r != -EBADMSG && r != -ENOENT))
            return r == -ENOENT ? tdx_err(b->err, r, "%s.sums: missing", b->kernel_dir)
                                : attempt ? r : tdx_err(b->err, r, "%s", why.message);
        /* Changed since it was unpacked: unpack the kernel again, and read
         * its modules from there. */
        strv_free(b->modules);
        b->modules = NULL;
        locked_deb_tree_drop(b->kernel_dir);
        {
            const struct lock_deb *d = lock_find_deb(b->lock, b->r->kernel.package,
                                                     b->r->kernel.suite ? b->r->kernel.suite
                                                                        : b->r->release, ARCH);
            _cleanup_free_ char *again = NULL;
            if (!d)
                return tdx_err(b->err, -ENOENT, "kernel package: not in the lock");
            /* The same directory (the .deb's hash names it), unpacked anew. */
            if ((r = locked_deb_tree(b->lock, d, &b->fo, b->extract_dir,
                                     (char *const *)CHECK_NOTHING, &again, b->err)) < 0)
                return r;
        }
    }
    STRV_FOREACH(w, warn)
        if (strv_push(&b->warnings, *w) < 0) {
            strv_free(warn);
            return tdx_err_oom(b->err);
        }
    strv_free(warn);
    return 0;
}

static int add_config(struct build *b)
{
    char *text = NULL;
    int r = tdx_image_secrets_manifest(b->image, b->r->profile, &text, b->err);
    if (r < 0)
        return r;
    r = img_add_take(&b->img, NATIVE_MANIFEST, text, strlen(text), 0644, 0, 0, b->err);
    if (r < 0)
        return r;
    r = agent_config_render(b->r, b->modules, &text, b->err);
    if (r < 0)
        return r;
    return img_add_take(&b->img, NATIVE_AGENT_CONFIG, text, strlen(text), 0644, 0, 0, b->err);
}

/* ------------------------------------------------------------------------ */
/* The output directory                                                      */

static int write_text(struct build *b, const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", b->out.stage, name);
    if (write_file_atomic(path, text, strlen(text), 0644) < 0)
        return tdx_err(b->err, -errno, "%s: %s", path, strerror(errno));
    return 0;
}

static int copy_in(struct build *b, const char *src, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", b->out.stage, name);
    return copy_file_atomic(src, path, 0644, b->err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *const acpi_files[] = { "etc-acpi-tables", "etc-acpi-rsdp", "etc-table-loader",
                                          "capture.json" };

/* 1 when capture.json (a file of the previous output, so read bounded and
 * through the shared reader) is for this build's VM shape; 0, with a
 * warning saying why, when it is for another or cannot be read. */
static int capture_for_shape(struct build *b, const char *path)
{
    _cleanup_free_ char *text = NULL, *warning = NULL;
    tdx_error why = TDX_ERROR_INIT;
    struct json_reader R;
    long long mib = 0, cpus = 0;
    json_t *doc = NULL;
    size_t len;
    int r;

    jr_init_err(&R, path, &why);
    r = read_file_bounded(path, CAPTURE_JSON_MAX, &text, &len);
    if (r < 0)
        r = tdx_err(&why, r, "%s: %s", path, r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
    if (r >= 0)
        r = jr_parse(&R, text, len, 4, 1024, &doc);
    if (r >= 0)
        r = jr_int(&R, doc, "", "memory_mib", JR_REQUIRED, 1, LLONG_MAX, &mib);
    if (r >= 0)
        r = jr_int(&R, doc, "", "cpus", JR_REQUIRED, 1, INT_MAX, &cpus);
    json_decref(doc);
    if (r == -ENOMEM)
        return tdx_err_oom(b->err);
    if (r >= 0 && mib == BUILD_MEMORY_MIB && cpus == BUILD_CPUS)
        return 1;
    if (r >= 0)
        r = asprintf(&warning, "acpi/ of the previous output is for another VM shape (%lld MiB, "
                     "%lld vCPUs): not kept (capture it again for RTMR0)", mib, cpus);
    else
        r = asprintf(&warning, "acpi/ of the previous output not kept: %s", why.message);
    if (r < 0) {
        warning = NULL;     /* asprintf() leaves it undefined */
        return tdx_err_oom(b->err);
    }
    if (strv_push_take(&b->warnings, TAKE_PTR(warning)) < 0)
        return tdx_err_oom(b->err);
    return 0;
}

/* QEMU's ACPI tables depend on the VM, not on the image: a capture the
 * previous output holds for the same memory and vCPUs (`tdxctl acpi
 * capture`) is carried over, so RTMR0 stays known across rebuilds. */
static int keep_acpi(struct build *b, const char *outdir)
{
    char path[PATH_MAX], dst[PATH_MAX];
    int r;

    snprintf(path, sizeof(path), "%s/acpi/capture.json", outdir);
    if (access(path, F_OK) < 0)
        return 0;
    r = capture_for_shape(b, path);
    if (r < 0)
        return r;
    if (r == 0)
        return 0;
    snprintf(dst, sizeof(dst), "%s/acpi", b->out.stage);
    if (mkdir(dst, 0755) < 0)
        return tdx_err(b->err, -errno, "%s: %s", dst, strerror(errno));
    for (size_t i = 0; i < ELEMENTSOF(acpi_files); i++) {
        snprintf(path, sizeof(path), "%s/acpi/%s", outdir, acpi_files[i]);
        snprintf(dst, sizeof(dst), "%s/acpi/%s", b->out.stage, acpi_files[i]);
        if ((r = copy_file_atomic(path, dst, 0644, b->err)) < 0)
            return tdx_err_prefix(b->err, r, "keeping acpi/");
    }
    b->kept_acpi = true;
    return 0;
}

/* Every file of the staging directory but build.json, sorted, hashed. */
static int hash_artifacts(struct build *b)
{
    const char *const names[] = { "OVMF.fd", "cmdline", initramfs_name(b->r->native.compression),
                                  "measurements.cbor", "measurements.json", "policy.json",
                                  "vm.json", "vmlinuz" };
    const char *sorted[ELEMENTSOF(names) + ELEMENTSOF(acpi_files)];
    char acpi[ELEMENTSOF(acpi_files)][64];
    size_t n = ELEMENTSOF(names);
    memcpy(sorted, names, sizeof(names));
    for (size_t i = 0; b->kept_acpi && i < ELEMENTSOF(acpi_files); i++) {
        snprintf(acpi[i], sizeof(acpi[i]), "acpi/%s", acpi_files[i]);
        sorted[n++] = acpi[i];
    }
    qsort(sorted, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX], hex[SHA256_HEX_SIZE];
        uint64_t size;
        int r;
        snprintf(path, sizeof(path), "%s/%s", b->out.stage, sorted[i]);
        r = sha256_file(path, hex, &size, b->err);
        if (r < 0)
            return r;
        if (build_result_add_artifact(b->res, sorted[i], size, hex) < 0)
            return tdx_err_oom(b->err);
    }
    return 0;
}

static int write_build_json(struct build *b, const char *recipe_sha256)
{
    json_t *root = build_record_json(b->res, "native", b->r->image_id, b->r->profile,
                                     recipe_sha256);
    json_t *warnings = json_array();

    STRV_FOREACH(w, b->warnings)
        json_array_append_new(warnings, json_string(*w));
    /* json_object_set_new() takes the value even when it fails. */
    if (!root || json_object_set_new(root, "warnings", warnings) < 0 ||
        json_object_set_new(root, "kernel_version", json_string(b->kver)) < 0) {
        if (!root)
            json_decref(warnings);
        json_decref(root);
        root = NULL;
    }
    if (!root)
        return tdx_err_oom(b->err);
    b->res->json = json_canonical_text(root);
    json_decref(root);
    if (!b->res->json)
        return tdx_err_oom(b->err);
    return write_text(b, "build.json", b->res->json);
}

static void build_free(struct build *b)
{
    build_output_free(&b->out);
    recipe_free(b->r);
    tdx_lock_free(b->lock);
    img_free(&b->img);
    image_accounts_free(&b->acct);
    free(b->cache_root);
    free(b->fetch_dir);
    free(b->extract_dir);
    free(b->recipe_dir);
    free(b->lock_path);
    free(b->kernel_dir);
    free(b->kver);
    free(b->vmlinuz);
    free(b->firmware);
    free(b->ovmf_version);
    strv_free(b->modules);
    strv_free(b->warnings);
}

static int check_opts(const tdx_build_image_options *o, tdx_error *err)
{
    if (!o)
        return tdx_err(err, -EINVAL, "tdx_build: options with the agent binary are required");
    int r = tdx_check_options_version(o->version, TDX_BUILD_IMAGE_OPTIONS_VERSION, "tdx_build",
                                      err);
    if (r < 0)
        return r;
    if (o->backend != TDX_UNSET && o->backend != TDX_BUILD_BACKEND_NATIVE &&
        o->backend != TDX_BUILD_BACKEND_MKOSI)
        return tdx_err(err, -EINVAL, "tdx_build: unknown backend %d", o->backend);
    if (!o->agent)
        return tdx_err(err, -EINVAL, "tdx_build: the native backend needs the agent binary "
                       "(options.agent)");
    return 0;
}

static int run(struct build *b, tdx_build_result **out)
{
    _cleanup_free_ char *digest = NULL, *outdir = NULL, *cmdline = NULL, *vm = NULL;
    const tdx_build_image_options *o = b->o;
    const char *kernel_release, *initrd;
    char path[PATH_MAX], cwd[PATH_MAX];
    size_t idx;
    int r;

    clock_gettime(CLOCK_MONOTONIC, &b->t0);
    if ((r = check_opts(o, b->err)) < 0)
        return r;
    if (build_result_new(&b->res) < 0)
        return tdx_err_oom(b->err);
    if ((r = recipe_resolve_profile(b->image, o->profile, &b->r, b->err)) < 0 ||
        (r = native_check_recipe(b->r, b->err)) < 0)
        return r;
    /* The recipe's trust boundary, as emit holds it (docs/recipe.md).
     * Version 1 callers have no allow_outside_src: the boundary holds. */
    if ((r = image_profile_index(b->image, o->profile, &idx, b->err)) < 0 ||
        (r = recipe_check_sources(b->image, idx, o->version >= 2 && o->allow_outside_src == 1,
                                  b->err)) < 0)
        return r;
    if (!getcwd(cwd, sizeof(cwd)))
        return tdx_err(b->err, -errno, "getcwd: %s", strerror(errno));
    b->recipe_dir = strdup(o->recipe_dir ? o->recipe_dir : cwd);
    if (!b->recipe_dir)
        return tdx_err_oom(b->err);
    if ((r = build_lock_path(b->recipe_dir, o, &b->lock_path, b->err)) < 0)
        return r;
    if (o->output_dir)
        outdir = strdup(o->output_dir);
    else if (asprintf(&outdir, "build/%s", b->r->image_id) < 0)
        outdir = NULL;
    if (!outdir)
        return tdx_err_oom(b->err);
    if ((r = cache_paths(b)) < 0)
        return r;
    b->fo.cache_dir = b->fetch_dir;
    b->fo.offline = o->offline == 1 ? 1 : TDX_UNSET;
    b->fo.progress = o->progress;
    b->fo.progress_data = o->progress_data;

    if ((r = step(b, "lock")) < 0 || (r = lock_up_to_date(b)) < 0 || (r = timed(b, "lock")) < 0)
        return r;
    if ((r = tdx_recipe_digest(b->image, &digest, b->err)) < 0)
        return r;

    if ((r = step(b, "inputs")) < 0)
        return r;
    kernel_release = b->r->kernel.suite ? b->r->kernel.suite : b->r->release;
    if ((r = deb_tree(b, b->r->kernel.package, kernel_release, (char *const *)CHECK_NOTHING,
                      &b->kernel_dir)) < 0 ||
        (r = find_kernel(b)) < 0 || (r = firmware_input(b)) < 0 || (r = timed(b, "inputs")) < 0)
        return r;

    if ((r = step(b, "image")) < 0 || (r = build_output_begin(&b->out, outdir, b->err)) < 0)
        return r;
    if ((r = add_skeleton(b)) < 0 || (r = add_accounts(b)) < 0 || (r = add_packages(b)) < 0)
        return r;
    for (size_t i = 0; i < b->r->skeleton.n; i++)
        if ((r = add_recipe_file(b, b->r->skeleton.items[i])) < 0)
            return r;
    for (size_t i = 0; i < b->r->files.n; i++)
        if ((r = add_recipe_file(b, b->r->files.items[i])) < 0)
            return r;
    {
        struct builder_ctx bc = { b->r, b->out.work, b->r->output.source_date_epoch, &b->img, b->res,
                                  b->lock, &b->fo, b->extract_dir, b->err };
        if ((r = step(b, "builds")) < 0 || (r = native_run_builds(&bc)) < 0 ||
            (r = timed(b, "builds")) < 0)
            return r;
    }
    if ((r = add_hooks(b)) < 0 || (r = add_agent(b)) < 0 || (r = timed(b, "image")) < 0)
        return r;
    if ((r = step(b, "modules")) < 0 || (r = add_modules(b)) < 0 || (r = add_config(b)) < 0 ||
        (r = timed(b, "modules")) < 0)
        return r;

    if ((r = step(b, "initramfs")) < 0)
        return r;
    initrd = initramfs_name(b->r->native.compression);
    snprintf(path, sizeof(path), "%s/%s", b->out.stage, initrd);
    r = initramfs_write(&b->img, path, b->r->native.compression, b->r->output.source_date_epoch,
                        b->err);
    if (r < 0 || (r = timed(b, "initramfs")) < 0)
        return r;

    cmdline = strdup(b->r->kernel.cmdline ? b->r->kernel.cmdline : BUILD_DEFAULT_CMDLINE);
    vm = vm_json_render(BUILD_MEMORY_MIB, BUILD_CPUS, vm_event_layout(b->ovmf_version),
                        b->r->native.net_mode, b->r->native.test_provider, b->r->delivery.listen,
                        initrd);
    if (!cmdline || !vm)
        return tdx_err_oom(b->err);
    if ((r = copy_in(b, b->vmlinuz, "vmlinuz")) < 0 || (r = copy_in(b, b->firmware, "OVMF.fd")) < 0 ||
        (r = write_text(b, "cmdline", cmdline)) < 0 || (r = write_text(b, "vm.json", vm)) < 0)
        return r;

    if ((r = keep_acpi(b, outdir)) < 0)
        return r;
    if ((r = step(b, "measure")) < 0 ||
        (r = tdx_build_measure_dir(b->out.stage, &b->res->measurements, b->err)) < 0)
        return tdx_err_prefix(b->err, r, "measure");
    snprintf(path, sizeof(path), "%s/measurements.json", b->out.stage);
    if ((r = tdx_measurements_write_file(b->res->measurements, TDX_FORMAT_JSON, NULL, path,
                                         b->err)) < 0)
        return r;
    snprintf(path, sizeof(path), "%s/measurements.cbor", b->out.stage);
    if ((r = tdx_measurements_write_file(b->res->measurements, TDX_FORMAT_CBOR, NULL, path,
                                         b->err)) < 0 ||
        (r = timed(b, "measure")) < 0)
        return r;

    /* A verifier policy to start from, pointing at measurements.json. */
    {
        _cleanup_free_ char *policy = NULL;
        char *text = NULL;
        if ((r = tdx_policy_starter_json("measurements.json", &text, b->err)) < 0)
            return r;
        policy = text;
        if ((r = write_text(b, "policy.json", policy)) < 0)
            return r;
    }
    if ((r = hash_artifacts(b)) < 0 || (r = write_build_json(b, digest)) < 0)
        return r;
    if ((r = build_output_commit(&b->out, outdir, b->err)) < 0)
        return r;
    b->res->dir = realpath(outdir, NULL);
    b->res->image_id = strdup(b->r->image_id);
    b->res->memory_mib = BUILD_MEMORY_MIB;
    b->res->cpus = BUILD_CPUS;
    if (!b->res->dir || !b->res->image_id)
        return tdx_err_oom(b->err);
    if (out)
        *out = TAKE_PTR(b->res);
    return 0;
}

int tdx_build(const tdx_image *image, const tdx_build_image_options *opts,
              tdx_build_result **out, tdx_error *err)
{
    struct build b = { .image = image, .o = opts, .err = err, .img = IMG_INIT,
                       .out = BUILD_OUTPUT_INIT };
    tdx_fetch_options fo = TDX_FETCH_OPTIONS_INIT;
    int r;

    tdx_check_arg(image, err);
    if (opts && opts->backend == TDX_BUILD_BACKEND_MKOSI) {
        if ((r = tdx_check_options_version(opts->version, TDX_BUILD_IMAGE_OPTIONS_VERSION,
                                           "tdx_build", err)) < 0)
            return r;
        return mkosi_build(image, opts, out, err);
    }
    b.fo = fo;
    r = run(&b, out);
    tdx_build_result_free(b.res);
    build_free(&b);
    return r;
}
