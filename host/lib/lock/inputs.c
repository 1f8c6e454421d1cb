/* SPDX-License-Identifier: MIT */
/*
 * What a recipe pulls in from outside, across all its profiles, and the
 * recipe digest.
 *
 * The digest hashes each profile's effective recipe (tdx_image_effective_json)
 * after two changes that make it independent of the checkout's location:
 * the "origin" labels (which hold file names as typed) are dropped, and every
 * absolute source path (src, keyring, config_file, file, firmware) is
 * replaced by the hash of what it names: "sha256:<hex>" for a file,
 * "tree-sha256:<hex>" for a directory. So moving the checkout keeps the
 * digest; editing a source file changes it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "error.h"
#include "fetch/fetch-internal.h"
#include "lock-internal.h"
#include "recipe/model.h"
#include "recipe/source-urls.h"

static const char *const path_keys[] = { "src", "keyring", "config_file", "file", "firmware", NULL };

struct collect {
    const tdx_image *image;
    const char *recipe_dir;
    struct inputs *in;
    json_t *hashes;          /* absolute path -> replacement, so each source is read once */
    tdx_error *err;
};

static void input_fetch_free(void *p)
{
    struct input_fetch *f = p;
    free(f->url);
    free(f->sha256);
    strv_free(f->used_by);
    free(f);
}

static void input_deb_free(void *p)
{
    struct input_deb *d = p;
    free(d->name);
    free(d->release);
    free(d->mirror);
    strv_free(d->used_by);
    free(d);
}

static void input_module_free(void *p)
{
    struct input_module *m = p;
    free(m->path);
    free(m->abs);
    free(m->tree);
    strv_free(m->used_by);
    free(m);
}

static void input_closure_free(void *p)
{
    struct input_closure *c = p;
    free(c->profile);
    free(c->release);
    free(c->mirror);
    strv_free(c->roots);
    strv_free(c->exclude);
    free(c);
}

void inputs_free(struct inputs *in)
{
    free(in->recipe_name);
    free(in->digest);
    json_decref(in->sections);
    ptrvec_free_all(&in->fetches, input_fetch_free);
    ptrvec_free_all(&in->debs, input_deb_free);
    ptrvec_free_all(&in->modules, input_module_free);
    ptrvec_free_all(&in->closures, input_closure_free);
    memset(in, 0, sizeof(*in));
}

/* "sha256:<hex>" or "tree-sha256:<hex>" for a source path, into *out
 * (borrowed from c->hashes). */
static int source_hash(struct collect *c, const char *path, const char **out)
{
    json_t *known = json_object_get(c->hashes, path);
    char hex[SHA256_HEX_SIZE], buf[80];
    char *tree = NULL;
    struct stat st;
    int r;

    if (known) {
        *out = json_string_value(known);
        return 0;
    }
    if (stat(path, &st) < 0) {
        r = -errno;
        return tdx_err(c->err, r, "%s: %s", path, strerror(-r));
    }
    if (S_ISDIR(st.st_mode)) {
        if ((r = tdx_tree_hash(path, &tree, c->err)) < 0)
            return r;
        snprintf(buf, sizeof(buf), "tree-sha256:%s", tree);
        free(tree);
    } else {
        if ((r = sha256_file(path, hex, NULL, c->err)) < 0)
            return r;
        snprintf(buf, sizeof(buf), "sha256:%s", hex);
    }
    if (json_object_set_new(c->hashes, path, json_string(buf)) < 0)
        return tdx_err_oom(c->err);
    *out = json_string_value(json_object_get(c->hashes, path));
    return 0;
}

static int transform(struct collect *c, json_t *v)
{
    const char *key;
    json_t *child;
    void *tmp;
    size_t i;
    int r;

    if (json_is_array(v)) {
        json_array_foreach(v, i, child)
            if ((r = transform(c, child)) < 0)
                return r;
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    json_object_del(v, "origin");
    json_object_foreach_safe(v, tmp, key, child) {
        bool is_path = false;
        for (const char *const *k = path_keys; *k; k++)
            is_path = is_path || streq(key, *k);
        if (is_path && json_is_string(child) && json_string_value(child)[0] == '/') {
            const char *h = NULL;
            if ((r = source_hash(c, json_string_value(child), &h)) < 0)
                return r;
            if (json_object_set_new(v, key, json_string(h)) < 0)
                return tdx_err_oom(c->err);
        } else if ((r = transform(c, child)) < 0) {
            return r;
        }
    }
    return 0;
}

static char *dump_hash(json_t *v)
{
    char hex[SHA256_HEX_SIZE];
    char *text = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        return NULL;
    sha256_buffer_hex(text, strlen(text), hex);
    free(text);
    return strdup(hex);
}

/* The transformed effective recipe of profile p, and its section digests. */
static int profile_json(struct collect *c, size_t p, json_t **out, json_t **sections)
{
    _cleanup_free_ char *text = NULL;
    const char *key;
    json_t *root, *v;
    int r;

    r = tdx_image_effective_json(c->image, tdx_image_profile_name(c->image, p), &text, c->err);
    if (r < 0)
        return r;
    root = json_loads(text, 0, NULL);
    if (!root)
        return tdx_err_oom(c->err);
    if ((r = transform(c, root)) < 0) {
        json_decref(root);
        return r;
    }
    *sections = json_object();
    json_object_foreach(root, key, v) {
        char *h = dump_hash(v);
        if (!*sections || !h || json_object_set_new(*sections, key, json_string(h)) < 0) {
            free(h);
            json_decref(root);
            json_decref(*sections);
            *sections = NULL;
            return tdx_err_oom(c->err);
        }
        free(h);
    }
    *out = root;
    return 0;
}

static int add_used_by(char ***v, const char *profile, const char *what)
{
    char *s = NULL;
    if (asprintf(&s, "%s: %s", profile, what) < 0)
        return -ENOMEM;
    return strv_push_take(v, s);
}

static int add_fetch(struct collect *c, const char *profile, const char *what, const char *url,
                     const char *sha256)
{
    struct input_fetch *f;
    char hex[SHA256_HEX_SIZE];
    char label[300];
    int r;

    snprintf(label, sizeof(label), "profile %s: %s", profile, what);
    if ((r = sha256_parse(sha256, label, hex, c->err)) < 0)
        return r;
    for (size_t i = 0; i < c->in->fetches.n; i++) {
        f = c->in->fetches.items[i];
        if (!streq(f->url, url))
            continue;
        if (!streq(f->sha256, hex))
            return tdx_err(c->err, -EINVAL, "%s is pinned to two hashes: %s (%s) and %s (%s)", url,
                           f->sha256, f->used_by[0], hex, label);
        return add_used_by(&f->used_by, profile, what) < 0 ? tdx_err_oom(c->err) : 0;
    }
    f = calloc(1, sizeof(*f));
    if (!f || !(f->url = strdup(url)) || !(f->sha256 = strdup(hex)) ||
        add_used_by(&f->used_by, profile, what) < 0 || ptrvec_push(&c->in->fetches, f) < 0) {
        if (f)
            input_fetch_free(f);
        return tdx_err_oom(c->err);
    }
    return 0;
}

static int add_deb(struct collect *c, const struct recipe *r, const char *what, const char *name,
                   const char *release)
{
    struct input_deb *d;

    if (!streq(r->distribution, "debian"))
        return tdx_err(c->err, -EINVAL, "profile %s: %s \"%s\": Debian packages are locked for "
                       "debian/ bases only (base is %s/%s)", r->profile, what, name,
                       r->distribution, r->release);
    for (size_t i = 0; i < c->in->debs.n; i++) {
        d = c->in->debs.items[i];
        if (streq(d->name, name) && streq(d->release, release))
            return add_used_by(&d->used_by, r->profile, what) < 0 ? tdx_err_oom(c->err) : 0;
    }
    d = calloc(1, sizeof(*d));
    if (!d || !(d->name = strdup(name)) || !(d->release = strdup(release)) ||
        (r->mirror && !(d->mirror = strdup(r->mirror))) ||
        add_used_by(&d->used_by, r->profile, what) < 0 || ptrvec_push(&c->in->debs, d) < 0) {
        if (d)
            input_deb_free(d);
        return tdx_err_oom(c->err);
    }
    return 0;
}

/* path relative to base (both absolute), e.g. "src/app" or "../other". */
static char *relative_to(const char *path, const char *base)
{
    char a[PATH_MAX], b[PATH_MAX];
    strbuf sb = STRBUF_INIT;
    size_t common = 0;

    if (!realpath(path, a) || !realpath(base, b))
        return strdup(path);
    if (streq(b, "/"))
        return strdup(a[1] ? a + 1 : ".");
    for (size_t i = 0;; i++) {
        bool end_a = a[i] == '\0' || a[i] == '/', end_b = b[i] == '\0' || b[i] == '/';
        if (end_a && end_b)
            common = i;
        if (a[i] != b[i] || !a[i] || !b[i])
            break;
    }
    for (const char *p = b + common; *p; p++)
        if (*p == '/')
            strbuf_puts(&sb, sb.len ? "/.." : "..");
    if (a[common] == '/')
        strbuf_printf(&sb, "%s%s", sb.len ? "/" : "", a + common + 1);
    if (sb.len == 0)
        strbuf_putc(&sb, '.');
    return strbuf_steal(&sb, NULL);
}

static int add_module(struct collect *c, const char *profile, const char *what, const char *abs)
{
    struct input_module *m;
    const char *h = NULL;
    int r;

    for (size_t i = 0; i < c->in->modules.n; i++) {
        m = c->in->modules.items[i];
        if (streq(m->abs, abs))
            return add_used_by(&m->used_by, profile, what) < 0 ? tdx_err_oom(c->err) : 0;
    }
    if ((r = source_hash(c, abs, &h)) < 0)
        return r;
    if (!startswith(h, "tree-sha256:"))
        return tdx_err(c->err, -ENOTDIR, "profile %s: %s: %s is not a directory", profile, what, abs);
    m = calloc(1, sizeof(*m));
    if (!m || !(m->abs = strdup(abs)) || !(m->tree = strdup(h + 12)) ||
        !(m->path = relative_to(abs, c->recipe_dir)) || add_used_by(&m->used_by, profile, what) < 0 ||
        ptrvec_push(&c->in->modules, m) < 0) {
        if (m)
            input_module_free(m);
        return tdx_err_oom(c->err);
    }
    return 0;
}

static int collect_profile(struct collect *c, const struct recipe *r)
{
    char url[1024], what[256];
    int q = 0;

    if (r->kernel.source_version) {
        recipe_kernel_source_url(r, url, sizeof(url));
        q = add_fetch(c, r->profile, "kernel.url", url, r->kernel.source_sha256);
    } else {
        q = add_deb(c, r, "kernel.package", r->kernel.package,
                    r->kernel.suite ? r->kernel.suite : r->release);
    }
    if (q >= 0 && streq(r->firmware, "ovmf"))
        q = add_deb(c, r, "firmware", "ovmf", r->release);
    /* A native image (init tdx-agent) unpacks its packages from the archive
     * itself, so they are inputs like the kernel; an mkosi image installs
     * them with apt (pin those with a snapshot mirror). */
    if (streq(r->init, "tdx-agent")) {
        struct input_closure *cl = calloc(1, sizeof(*cl));
        if (!cl || !(cl->profile = strdup(r->profile)) || !(cl->release = strdup(r->release)) ||
            (r->mirror && !(cl->mirror = strdup(r->mirror))) ||
            (r->native.exclude && !(cl->exclude = strv_copy((const char *const *)r->native.exclude))))
            q = tdx_err_oom(c->err);
        STRV_FOREACH(p, r->packages) {
            const char *slash = strchr(*p, '/');
            char name[256];
            if (q < 0 || strchr(*p, '='))
                continue;
            snprintf(name, sizeof(name), "%.*s", slash ? (int)(slash - *p) : (int)strlen(*p), *p);
            if (strv_contains(r->native.exclude, name))
                continue;
            q = add_deb(c, r, "install", name, slash ? slash + 1 : r->release);
            /* Dependencies are followed within the base release. */
            if (q >= 0 && !slash && strv_push(&cl->roots, name) < 0)
                q = tdx_err_oom(c->err);
        }
        if (q >= 0 && cl->roots && ptrvec_push(&c->in->closures, cl) == 0)
            cl = NULL;
        else if (q >= 0 && cl->roots)
            q = tdx_err_oom(c->err);
        if (cl)
            input_closure_free(cl);
    }
    for (size_t i = 0; q >= 0 && i < r->builds.n; i++) {
        const struct op *op = r->builds.items[i];
        const struct build_spec *b = &op->u.build;
        if (b->toolchain_version || b->toolchain_url) {
            recipe_toolchain_url(b, url, sizeof(url));
            snprintf(what, sizeof(what), "builds.%s.toolchain", b->name);
            q = add_fetch(c, r->profile, what, url, b->toolchain_sha256);
        }
        snprintf(what, sizeof(what), "builds.%s.src", b->name);
        if (q >= 0)
            q = add_module(c, r->profile, what, b->src);
    }
    return q;
}

int inputs_collect(const tdx_image *image, const char *recipe_dir, bool digest_only,
                   struct inputs *out, tdx_error *err)
{
    char cwd[PATH_MAX];
    struct collect c = { image, recipe_dir, out, json_object(), err };
    json_t *profiles = json_object(), *all;
    int q = 0;

    memset(out, 0, sizeof(*out));
    if (!recipe_dir)
        c.recipe_dir = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
    out->sections = json_object();
    out->recipe_name = strdup(tdx_image_name(image));
    if (!c.hashes || !profiles || !out->sections || !out->recipe_name)
        q = tdx_err_oom(err);
    for (size_t p = 0; q >= 0 && p < tdx_image_profile_count(image); p++) {
        const char *name = tdx_image_profile_name(image, p);
        json_t *pj = NULL, *sec = NULL;
        struct recipe *r = NULL;

        q = profile_json(&c, p, &pj, &sec);
        if (q >= 0) {
            json_object_set_new(profiles, name, pj);
            json_object_set_new(out->sections, name, sec);
            if (!digest_only)
                q = recipe_resolve(image, p, &r, err);
        }
        if (q >= 0 && r)
            q = collect_profile(&c, r);
        recipe_free(r);
    }
    if (q >= 0) {
        all = json_pack("{s:s, s:O}", "name", out->recipe_name, "profiles", profiles);
        out->digest = all ? dump_hash(all) : NULL;
        json_decref(all);
        if (!out->digest)
            q = tdx_err_oom(err);
    }
    json_decref(profiles);
    json_decref(c.hashes);
    if (q < 0)
        inputs_free(out);
    return q < 0 ? q : 0;
}

int tdx_recipe_digest(const tdx_image *image, char **sha256, tdx_error *err)
{
    struct inputs in;
    int r;

    tdx_check_arg(image, err);
    tdx_check_arg(sha256, err);
    r = inputs_collect(image, NULL, true, &in, err);
    if (r < 0)
        return r;
    *sha256 = TAKE_PTR(in.digest);
    inputs_free(&in);
    return 0;
}
