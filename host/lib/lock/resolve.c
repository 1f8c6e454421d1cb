/* SPDX-License-Identifier: MIT */
/* tdx_lock_resolve() (`tdxctl lock`) and tdx_lock_check() (`--frozen`). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "error.h"
#include "lock-internal.h"
#include "strbuf.h"
#include "tdxhost/deb.h"
#include "deb/deb-internal.h"

static void reset_changes(tdx_lock *lock)
{
    STRV_FOREACH(s, lock->changes)
        free(*s);
    if (lock->changes)
        lock->changes[0] = NULL;
}

/* One change per profile whose effective recipe changed, naming the sections. */
static int recipe_changes(tdx_lock *lock, json_t *now, const char *prefix)
{
    const char *p, *key;
    json_t *sec, *v;

    json_object_foreach(now, p, sec) {
        json_t *old = lock->sections ? json_object_get(lock->sections, p) : NULL;
        strbuf sb = STRBUF_INIT;
        int r = 0;

        if (!old) {
            r = lock_add_change(lock, "%sprofile %s is new", prefix, p);
            if (r < 0)
                return r;
            continue;
        }
        json_object_foreach(sec, key, v) {
            json_t *o = json_object_get(old, key);
            if (!o || !json_equal(o, v))
                strbuf_printf(&sb, "%s%s", sb.len ? ", " : "", key);
        }
        json_object_foreach(old, key, v)
            if (!json_object_get(sec, key))
                strbuf_printf(&sb, "%s%s", sb.len ? ", " : "", key);
        if (strbuf_error(&sb) < 0)
            r = -ENOMEM;
        else if (sb.len)
            r = lock_add_change(lock, "%sprofile %s changed: %s", prefix, p, sb.data);
        strbuf_free(&sb);
        if (r < 0)
            return r;
    }
    if (lock->sections)
        json_object_foreach(lock->sections, p, sec)
            if (!json_object_get(now, p) && lock_add_change(lock, "%sprofile %s was removed",
                                                            prefix, p) < 0)
                return -ENOMEM;
    return 0;
}

static bool wants_update(const tdx_lock_options *o, const char *a, const char *b)
{
    if (o->update_all == 1)
        return true;
    for (const char *const *u = o->update; u && *u; u++)
        if (streq(*u, a) || (b && streq(*u, b)))
            return true;
    return false;
}

/* Takes an entry out of *v (it moves to the new list); NULL stays NULL. */
static void *take(ptrvec *v, void *found)
{
    for (size_t i = 0; found && i < v->n; i++)
        if (v->items[i] == found) {
            memmove(v->items + i, v->items + i + 1, (v->n - i - 1) * sizeof(void *));
            v->n--;
            return found;
        }
    return NULL;
}

static int replace_used_by(char ***dst, char **src)
{
    char **copy = strv_copy((const char *const *)src);
    if (!copy)
        return -ENOMEM;
    strv_free(*dst);
    *dst = copy;
    return 0;
}

struct resolver {
    tdx_lock *lock;
    const tdx_lock_options *o;
    const char *arch;
    tdx_error *err;
    ptrvec indexes;      /* struct index_slot* */
    int changes;
    char **fresh;        /* Debian packages resolved from an index in this run */
};

struct index_slot {
    char *mirror, *release;
    tdx_deb_index *index;
};

static void index_slot_free(void *p)
{
    struct index_slot *s = p;
    free(s->mirror);
    free(s->release);
    tdx_deb_index_free(s->index);
    free(s);
}

static int change(struct resolver *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int change(struct resolver *R, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = lock_add_changev(R->lock, fmt, ap);
    va_end(ap);
    if (r < 0)
        return tdx_err_oom(R->err);
    R->changes++;
    return 0;
}

static int resolve_fetches(struct resolver *R, const struct inputs *in, ptrvec *out)
{
    for (size_t i = 0; i < in->fetches.n; i++) {
        const struct input_fetch *want = in->fetches.items[i];
        struct lock_fetch *old = take(&R->lock->fetches, lock_find_fetch(R->lock, want->url));
        bool same = old && streq(old->sha256, want->sha256);
        struct lock_fetch *f;
        int r;

        if (same && !wants_update(R->o, want->url, NULL)) {
            if (replace_used_by(&old->used_by, want->used_by) < 0 || ptrvec_push(out, old) < 0) {
                lock_fetch_free(old);
                return tdx_err_oom(R->err);
            }
            continue;
        }
        f = calloc(1, sizeof(*f));
        if (!f || !(f->url = strdup(want->url)) || !(f->sha256 = strdup(want->sha256)) ||
            !(f->resolved_at = same ? strdup(old->resolved_at) : lock_timestamp(R->o->now)) ||
            replace_used_by(&f->used_by, want->used_by) < 0 || ptrvec_push(out, f) < 0) {
            lock_fetch_free(f);
            lock_fetch_free(old);
            return tdx_err_oom(R->err);
        }
        f->size = old && same ? old->size : 0;
        if (R->o->dry_run != 1) {
            char *path = NULL;
            struct stat st;
            r = tdx_fetch(want->url, want->sha256, R->o->fetch, &path, R->err);
            if (r >= 0 && stat(path, &st) == 0)
                f->size = (uint64_t)st.st_size;
            free(path);
            if (r < 0) {
                lock_fetch_free(old);
                return tdx_err_prefix(R->err, r, "%s", want->used_by[0]);
            }
        }
        r = same ? 0
            : old ? change(R, "~ fetch %s: sha256:%s -> sha256:%s", want->url, old->sha256, want->sha256)
                  : change(R, "+ fetch %s (sha256:%s, %s)", want->url, want->sha256, want->used_by[0]);
        lock_fetch_free(old);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < R->lock->fetches.n; i++) {
        struct lock_fetch *gone = R->lock->fetches.items[i];
        if (change(R, "- fetch %s", gone->url) < 0)
            return -ENOMEM;
    }
    ptrvec_free_all(&R->lock->fetches, lock_fetch_free);
    return 0;
}

static tdx_deb_index *index_for(struct resolver *R, const struct input_deb *d, int *rc)
{
    const char *mirror = R->o->mirror ? R->o->mirror : d->mirror;
    tdx_deb_options o = TDX_DEB_OPTIONS_INIT;
    struct index_slot *s;

    for (size_t i = 0; i < R->indexes.n; i++) {
        s = R->indexes.items[i];
        if (streq_ptr(s->mirror, mirror) && streq(s->release, d->release))
            return s->index;
    }
    o.release = d->release;
    o.arch = R->arch;
    o.mirror = R->o->snapshot ? NULL : mirror;
    o.snapshot = R->o->snapshot;
    o.keyring = R->o->keyring;
    o.apt_dir = R->o->apt_dir;
    o.fetch = R->o->fetch;
    s = calloc(1, sizeof(*s));
    if (!s || (mirror && !(s->mirror = strdup(mirror))) || !(s->release = strdup(d->release))) {
        if (s)
            index_slot_free(s);
        *rc = tdx_err_oom(R->err);
        return NULL;
    }
    *rc = tdx_deb_index_open(&s->index, &o, R->err);
    if (*rc < 0 || ptrvec_push(&R->indexes, s) < 0) {
        index_slot_free(s);
        if (*rc >= 0)
            *rc = tdx_err_oom(R->err);
        return NULL;
    }
    return s->index;
}

struct lock_deb *lock_deb_entry(const struct input_deb *want, const char *arch, long long now,
                                const tdx_deb_package *p, const struct lock_deb *old)
{
    static const struct { int key; tdx_deb_field f; } map[] = {
        { DEB_NAME, TDX_DEB_NAME }, { DEB_VERSION, TDX_DEB_VERSION },
        { DEB_ARCHITECTURE, TDX_DEB_ARCHITECTURE }, { DEB_COMPONENT, TDX_DEB_COMPONENT },
        { DEB_SHA256, TDX_DEB_SHA256 }, { DEB_PATH, TDX_DEB_FILENAME }, { DEB_URL, TDX_DEB_URL },
        { DEB_MIRROR, TDX_DEB_MIRROR }, { DEB_INRELEASE_URL, TDX_DEB_INRELEASE_URL },
        { DEB_INRELEASE_SHA256, TDX_DEB_INRELEASE_SHA256 },
        { DEB_INRELEASE_DATE, TDX_DEB_INRELEASE_DATE },
    };
    struct lock_deb *d = calloc(1, sizeof(*d));
    bool ok = d != NULL;
    bool same = old && streq(old->f[DEB_SHA256], tdx_deb_package_get(p, TDX_DEB_SHA256));

    if (ok) {
        d->f[DEB_REQUESTED] = strdup(want->name);
        d->f[DEB_RELEASE] = strdup(want->release);
        d->f[DEB_ARCH] = strdup(arch);
        d->f[DEB_RESOLVED_AT] = same ? strdup(old->f[DEB_RESOLVED_AT]) : lock_timestamp(now);
        ok = d->f[DEB_REQUESTED] && d->f[DEB_RELEASE] && d->f[DEB_ARCH] && d->f[DEB_RESOLVED_AT];
    }
    for (size_t i = 0; ok && i < ELEMENTSOF(map); i++) {
        const char *v = tdx_deb_package_get(p, map[i].f);
        if (v && !(d->f[map[i].key] = strdup(v)))
            ok = false;
    }
    if (ok) {
        d->size = tdx_deb_package_size(p);
        ok = replace_used_by(&d->used_by, want->used_by) == 0;
    }
    if (!ok) {
        lock_deb_free(d);
        return NULL;
    }
    return d;
}

static struct lock_deb *out_find(ptrvec *out, const char *name, const char *release)
{
    for (size_t i = 0; i < out->n; i++) {
        struct lock_deb *d = out->items[i];
        if (streq(d->f[DEB_REQUESTED], name) && streq(d->f[DEB_RELEASE], release))
            return d;
    }
    return NULL;
}

/* Records that d is needed as a dependency by label's profile. */
static int add_label(struct lock_deb *d, const char *label)
{
    return strv_contains(d->used_by, label) ? 0 : strv_push(&d->used_by, label);
}

/* The lock's dependency entries of a closure, kept as they are: none of its
 * roots was resolved again, so the closure cannot have changed (frozen
 * semantics for what the index says; --update recomputes it). */
static int keep_closure(struct resolver *R, const struct input_closure *cl, const char *label,
                        ptrvec *out)
{
    for (size_t i = 0; i < R->lock->debs.n;) {
        struct lock_deb *d = R->lock->debs.items[i], *have;
        if (!strv_contains(d->used_by, label) || !streq(d->f[DEB_RELEASE], cl->release)) {
            i++;
            continue;
        }
        take(&R->lock->debs, d);
        if ((have = out_find(out, d->f[DEB_REQUESTED], cl->release))) {
            int r = add_label(have, label);
            lock_deb_free(d);
            if (r < 0)
                return tdx_err_oom(R->err);
            continue;
        }
        strv_free(d->used_by);
        d->used_by = NULL;
        if (add_label(d, label) < 0 || ptrvec_push(out, d) < 0) {
            lock_deb_free(d);
            return tdx_err_oom(R->err);
        }
    }
    return 0;
}

static int resolve_closures(struct resolver *R, const struct inputs *in, ptrvec *out)
{
    for (size_t i = 0; i < in->closures.n; i++) {
        const struct input_closure *cl = in->closures.items[i];
        struct input_deb want = { NULL, cl->release, cl->mirror, NULL };
        bool recompute = R->o->update_all == 1;
        char label[256], *labels[2] = { label, NULL }, **deps = NULL;
        tdx_deb_index *idx;
        int r = 0;

        snprintf(label, sizeof(label), "%s: install" LOCK_DEPENDENCY, cl->profile);
        STRV_FOREACH(root, cl->roots)
            recompute = recompute || strv_contains(R->fresh, *root);
        if (!recompute) {
            if ((r = keep_closure(R, cl, label, out)) < 0)
                return r;
            continue;
        }
        idx = index_for(R, &want, &r);
        if (idx)
            r = deb_closure(idx, cl->roots, cl->exclude, &deps, R->err);
        if (r < 0)
            return tdx_err_prefix(R->err, r, "profile %s: install", cl->profile);
        want.used_by = labels;
        STRV_FOREACH(dep, deps) {
            struct lock_deb *have = out_find(out, *dep, cl->release), *old, *d;
            tdx_deb_package *p = NULL;
            if (have) {
                if (add_label(have, label) < 0)
                    r = tdx_err_oom(R->err);
                continue;
            }
            old = take(&R->lock->debs, lock_find_deb(R->lock, *dep, cl->release, R->arch));
            want.name = *dep;
            r = tdx_deb_index_find(idx, *dep, &p, R->err);
            d = r < 0 ? NULL : lock_deb_entry(&want, R->arch, R->o->now, p, old);
            tdx_deb_package_free(p);
            if (r >= 0 && (!d || ptrvec_push(out, d) < 0)) {
                lock_deb_free(d);
                r = tdx_err_oom(R->err);
            }
            if (r >= 0 && !old)
                r = change(R, "+ debian %s (%s/%s): %s %s, a dependency", *dep, cl->release,
                           R->arch, d->f[DEB_NAME], d->f[DEB_VERSION]);
            else if (r >= 0 && !streq(old->f[DEB_SHA256], d->f[DEB_SHA256]))
                r = change(R, "~ debian %s (%s/%s): %s -> %s, a dependency", *dep, cl->release,
                           R->arch, old->f[DEB_VERSION], d->f[DEB_VERSION]);
            lock_deb_free(old);
            if (r < 0)
                break;
        }
        strv_free(deps);
        if (r < 0)
            return r;
    }
    return 0;
}

static int resolve_debs(struct resolver *R, const struct inputs *in, ptrvec *out)
{
    int r0;

    for (size_t i = 0; i < in->debs.n; i++) {
        const struct input_deb *want = in->debs.items[i];
        struct lock_deb *old = take(&R->lock->debs, lock_find_deb(R->lock, want->name,
                                                                  want->release, R->arch));
        tdx_deb_package *p = NULL;
        struct lock_deb *d;
        tdx_deb_index *idx;
        int r = 0;

        if (old && !wants_update(R->o, want->name, old->f[DEB_NAME])) {
            if (replace_used_by(&old->used_by, want->used_by) < 0 || ptrvec_push(out, old) < 0) {
                lock_deb_free(old);
                return tdx_err_oom(R->err);
            }
            continue;
        }
        idx = index_for(R, want, &r);
        if (idx)
            r = tdx_deb_index_find(idx, want->name, &p, R->err);
        if (r < 0) {
            lock_deb_free(old);
            return tdx_err_prefix(R->err, r, "%s", want->used_by[0]);
        }
        d = lock_deb_entry(want, R->arch, R->o->now, p, old);
        tdx_deb_package_free(p);
        if (!d || ptrvec_push(out, d) < 0) {
            lock_deb_free(d);
            lock_deb_free(old);
            return tdx_err_oom(R->err);
        }
        if (strv_push(&R->fresh, want->name) < 0) {
            lock_deb_free(old);
            return tdx_err_oom(R->err);
        }
        if (!old)
            r = change(R, "+ debian %s (%s/%s): %s %s", want->name, want->release, R->arch,
                       d->f[DEB_NAME], d->f[DEB_VERSION]);
        else if (!streq(old->f[DEB_SHA256], d->f[DEB_SHA256]))
            r = change(R, "~ debian %s (%s/%s): %s %s -> %s %s", want->name, want->release,
                       R->arch, old->f[DEB_NAME], old->f[DEB_VERSION], d->f[DEB_NAME],
                       d->f[DEB_VERSION]);
        lock_deb_free(old);
        if (r < 0)
            return r;
    }
    if ((r0 = resolve_closures(R, in, out)) < 0)
        return r0;
    /* Host tools a build pinned (lock_pin_deb()) are no input of the
     * recipe: kept as they are, unless --update names one (the next build
     * that needs it pins it again). */
    for (size_t i = 0; i < R->lock->debs.n;) {
        struct lock_deb *d = R->lock->debs.items[i];
        bool named = false;
        for (const char *const *u = R->o->update; u && *u; u++)
            named = named || streq(*u, d->f[DEB_REQUESTED]) || streq_ptr(*u, d->f[DEB_NAME]);
        if (!lock_deb_is_tool(d) || named) {
            i++;
            continue;
        }
        take(&R->lock->debs, d);
        if (ptrvec_push(out, d) < 0) {
            lock_deb_free(d);
            return tdx_err_oom(R->err);
        }
    }
    for (size_t i = 0; i < R->lock->debs.n; i++) {
        struct lock_deb *gone = R->lock->debs.items[i];
        if (change(R, "- debian %s (%s/%s)", gone->f[DEB_REQUESTED], gone->f[DEB_RELEASE],
                   gone->f[DEB_ARCH]) < 0)
            return -ENOMEM;
    }
    ptrvec_free_all(&R->lock->debs, lock_deb_free);
    return 0;
}

static int resolve_modules(struct resolver *R, const struct inputs *in, ptrvec *out)
{
    for (size_t i = 0; i < in->modules.n; i++) {
        const struct input_module *want = in->modules.items[i];
        struct lock_module *old = take(&R->lock->modules, lock_find_module(R->lock, want->path));
        struct lock_module *m = calloc(1, sizeof(*m));
        int r = 0;

        if (!m || !(m->path = strdup(want->path)) || !(m->tree = strdup(want->tree)) ||
            replace_used_by(&m->used_by, want->used_by) < 0 || ptrvec_push(out, m) < 0) {
            lock_module_free(m);
            lock_module_free(old);
            return tdx_err_oom(R->err);
        }
        if (!old)
            r = change(R, "+ module %s (sha256:%s, %s)", want->path, want->tree, want->used_by[0]);
        else if (!streq(old->tree, want->tree))
            r = change(R, "~ module %s: sha256:%s -> sha256:%s", want->path, old->tree, want->tree);
        lock_module_free(old);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < R->lock->modules.n; i++) {
        struct lock_module *gone = R->lock->modules.items[i];
        if (change(R, "- module %s", gone->path) < 0)
            return -ENOMEM;
    }
    ptrvec_free_all(&R->lock->modules, lock_module_free);
    return 0;
}

void lock_take_recipe(tdx_lock *lock, struct inputs *in)
{
    free(lock->recipe_name);
    free(lock->digest);
    json_decref(lock->sections);
    lock->recipe_name = TAKE_PTR(in->recipe_name);
    lock->digest = TAKE_PTR(in->digest);
    lock->sections = in->sections;
    in->sections = NULL;
}

int tdx_lock_resolve(tdx_lock *lock, const tdx_image *image, const tdx_lock_options *opts,
                     tdx_error *err)
{
    tdx_lock_options defaults = TDX_LOCK_OPTIONS_INIT;
    struct resolver R = { lock, opts ? opts : &defaults, NULL, err, PTRVEC_INIT, 0, NULL };
    ptrvec fetches = PTRVEC_INIT, debs = PTRVEC_INIT, modules = PTRVEC_INIT;
    char dirbuf[PATH_MAX];
    const char *dir;
    struct inputs in;
    int r;

    tdx_check_arg(lock, err);
    tdx_check_arg(image, err);
    tdx_check_options(opts, TDX_LOCK_OPTIONS_VERSION, err);
    R.arch = R.o->arch ? R.o->arch : "amd64";
    r = lock_recipe_dir(R.o, dirbuf, &dir, err);
    if (r < 0)
        return r;
    reset_changes(lock);
    r = inputs_collect(image, dir, false, &in, err);
    if (r < 0)
        return r;
    if (!streq_ptr(lock->digest, in.digest)) {
        r = lock->digest ? recipe_changes(lock, in.sections, "~ recipe: ")
                         : lock_add_change(lock, "+ recipe %s (sha256:%s)", in.recipe_name, in.digest);
        if (r < 0)
            goto out;
        R.changes += (int)strv_length(lock->changes);
    }
    r = resolve_fetches(&R, &in, &fetches);
    if (r >= 0)
        r = resolve_debs(&R, &in, &debs);
    if (r >= 0)
        r = resolve_modules(&R, &in, &modules);
    if (r < 0)
        goto out;
    lock_take_recipe(lock, &in);
    lock->fetches = fetches;
    lock->debs = debs;
    lock->modules = modules;
    fetches = debs = modules = (ptrvec)PTRVEC_INIT;
    lock_sort(lock);
    r = R.changes;
out:
    ptrvec_free_all(&fetches, lock_fetch_free);
    ptrvec_free_all(&debs, lock_deb_free);
    ptrvec_free_all(&modules, lock_module_free);
    ptrvec_free_all(&R.indexes, index_slot_free);
    strv_free(R.fresh);
    inputs_free(&in);
    return r;
}

int tdx_lock_check(tdx_lock *lock, const tdx_image *image, const tdx_lock_options *opts,
                   tdx_error *err)
{
    tdx_lock_options defaults = TDX_LOCK_OPTIONS_INIT;
    char dirbuf[PATH_MAX];
    const char *arch, *dir;
    struct inputs in;
    size_t n;
    int r;

    tdx_check_arg(lock, err);
    tdx_check_arg(image, err);
    if (!opts)
        opts = &defaults;
    tdx_check_options(opts, TDX_LOCK_OPTIONS_VERSION, err);
    arch = opts->arch ? opts->arch : "amd64";
    r = lock_recipe_dir(opts, dirbuf, &dir, err);
    if (r < 0)
        return r;
    reset_changes(lock);
    if (!lock->digest)
        return tdx_err(err, -ENODATA, "the lock is empty: run tdxctl lock first");
    r = inputs_collect(image, dir, false, &in, err);
    if (r < 0)
        return r;
    if (!streq(lock->digest, in.digest))
        r = recipe_changes(lock, in.sections, "recipe ");
    for (size_t i = 0; r >= 0 && i < in.fetches.n; i++) {
        const struct input_fetch *f = in.fetches.items[i];
        const struct lock_fetch *l = lock_find_fetch(lock, f->url);
        if (!l)
            r = lock_add_change(lock, "fetch %s (%s) is not in the lock", f->url, f->used_by[0]);
        else if (!streq(l->sha256, f->sha256))
            r = lock_add_change(lock, "fetch %s: the recipe pins sha256:%s, the lock has sha256:%s",
                                f->url, f->sha256, l->sha256);
    }
    for (size_t i = 0; r >= 0 && i < lock->fetches.n; i++) {
        const struct lock_fetch *l = lock->fetches.items[i];
        bool used = false;
        for (size_t k = 0; k < in.fetches.n; k++)
            used = used || streq(((struct input_fetch *)in.fetches.items[k])->url, l->url);
        if (!used)
            r = lock_add_change(lock, "the lock has fetch %s, which the recipe no longer uses", l->url);
    }
    for (size_t i = 0; r >= 0 && i < in.debs.n; i++) {
        const struct input_deb *d = in.debs.items[i];
        if (!lock_find_deb(lock, d->name, d->release, arch))
            r = lock_add_change(lock, "Debian package %s (%s/%s, %s) is not in the lock", d->name,
                                d->release, arch, d->used_by[0]);
    }
    for (size_t i = 0; r >= 0 && i < lock->debs.n; i++) {
        const struct lock_deb *l = lock->debs.items[i];
        bool used = true;
        /* Dependencies of a native image's packages are not inputs of the
         * recipe itself: they change only with the packages (and so with
         * the recipe digest) or with --update. */
        STRV_FOREACH(u, l->used_by)
            used = used && endswith(*u, LOCK_DEPENDENCY);
        if (used && l->used_by)
            continue;
        /* Nor are the host tools a build pinned. */
        if (lock_deb_is_tool(l))
            continue;
        used = false;
        for (size_t k = 0; k < in.debs.n; k++) {
            const struct input_deb *d = in.debs.items[k];
            used = used || (streq(d->name, l->f[DEB_REQUESTED]) && streq(d->release, l->f[DEB_RELEASE]) &&
                            streq(arch, l->f[DEB_ARCH]));
        }
        if (!used)
            r = lock_add_change(lock, "the lock has Debian package %s (%s/%s), which the recipe no "
                                "longer uses", l->f[DEB_REQUESTED], l->f[DEB_RELEASE], l->f[DEB_ARCH]);
    }
    for (size_t i = 0; r >= 0 && i < in.modules.n; i++) {
        const struct input_module *m = in.modules.items[i];
        const struct lock_module *l = lock_find_module(lock, m->path);
        if (!l)
            r = lock_add_change(lock, "module %s (%s) is not in the lock", m->path, m->used_by[0]);
        else if (!streq(l->tree, m->tree))
            r = lock_add_change(lock, "module %s changed: the lock has sha256:%s, the directory is "
                                "sha256:%s", m->path, l->tree, m->tree);
    }
    for (size_t i = 0; r >= 0 && i < lock->modules.n; i++) {
        const struct lock_module *l = lock->modules.items[i];
        bool used = false;
        for (size_t k = 0; k < in.modules.n; k++)
            used = used || streq(((struct input_module *)in.modules.items[k])->path, l->path);
        if (!used)
            r = lock_add_change(lock, "the lock has module %s, which the recipe no longer uses", l->path);
    }
    inputs_free(&in);
    if (r < 0)
        return tdx_err_oom(err);
    n = strv_length(lock->changes);
    if (n == 0)
        return 0;
    if (n == 1)
        return tdx_err(err, -ESTALE, "the lock is stale: %s", lock->changes[0]);
    return tdx_err(err, -ESTALE, "the lock is stale: %s (and %zu more)", lock->changes[0], n - 1);
}
