/* SPDX-License-Identifier: MIT */
/* tdx.lock as JSON: strict reading (every field checked, errors name the
 * JSON path) and canonical writing (sorted keys and entries). */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"
#include "fetch/fetch-internal.h"
#include "fileio.h"
#include "json-error.h"
#include "json-text.h"
#include "lock-internal.h"

const char *const deb_keys[DEB_FIELDS] = {
    "requested", "release", "arch", "name", "version", "architecture", "component", "sha256",
    "path", "url", "mirror", "inrelease_url", "inrelease_sha256", "inrelease_date", "resolved_at",
};

void lock_fetch_free(void *p)
{
    struct lock_fetch *f = p;
    if (!f)
        return;
    free(f->url);
    free(f->sha256);
    free(f->resolved_at);
    strv_free(f->used_by);
    free(f);
}

void lock_deb_free(void *p)
{
    struct lock_deb *d = p;
    if (!d)
        return;
    for (size_t i = 0; i < DEB_FIELDS; i++)
        free(d->f[i]);
    strv_free(d->used_by);
    free(d);
}

void lock_git_free(void *p)
{
    struct lock_git *g = p;
    if (!g)
        return;
    free(g->url);
    free(g->tag);
    free(g->commit);
    free(g->tree);
    free(g->resolved_at);
    free(g);
}

void lock_module_free(void *p)
{
    struct lock_module *m = p;
    if (!m)
        return;
    free(m->path);
    free(m->tree);
    strv_free(m->used_by);
    free(m);
}

void lock_clear_entries(tdx_lock *lock)
{
    ptrvec_free_all(&lock->fetches, lock_fetch_free);
    ptrvec_free_all(&lock->debs, lock_deb_free);
    ptrvec_free_all(&lock->gits, lock_git_free);
    ptrvec_free_all(&lock->modules, lock_module_free);
}

int tdx_lock_new(tdx_lock **out, tdx_error *err)
{
    tdx_lock *l;
    tdx_check_arg(out, err);
    l = calloc(1, sizeof(*l));
    if (!l || !(l->changes = calloc(1, sizeof(char *)))) {
        free(l);
        return tdx_err_oom(err);
    }
    *out = l;
    return 0;
}

void tdx_lock_free(tdx_lock *lock)
{
    if (!lock)
        return;
    free(lock->recipe_name);
    free(lock->digest);
    json_decref(lock->sections);
    lock_clear_entries(lock);
    strv_free(lock->changes);
    free(lock);
}

const char *const *tdx_lock_changes(const tdx_lock *lock)
{
    static const char *const none[] = { NULL };
    return lock && lock->changes ? (const char *const *)lock->changes : none;
}

int lock_add_changev(tdx_lock *lock, const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return -ENOMEM;
    return strv_push_take(&lock->changes, s);
}

int lock_add_change(tdx_lock *lock, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = lock_add_changev(lock, fmt, ap);
    va_end(ap);
    return r;
}

struct lock_fetch *lock_find_fetch(const tdx_lock *lock, const char *url)
{
    for (size_t i = 0; i < lock->fetches.n; i++) {
        struct lock_fetch *f = lock->fetches.items[i];
        if (streq(f->url, url))
            return f;
    }
    return NULL;
}

struct lock_deb *lock_find_deb(const tdx_lock *lock, const char *requested, const char *release,
                               const char *arch)
{
    for (size_t i = 0; i < lock->debs.n; i++) {
        struct lock_deb *d = lock->debs.items[i];
        if (streq(d->f[DEB_REQUESTED], requested) && streq(d->f[DEB_RELEASE], release) &&
            streq(d->f[DEB_ARCH], arch))
            return d;
    }
    return NULL;
}

struct lock_module *lock_find_module(const tdx_lock *lock, const char *path)
{
    for (size_t i = 0; i < lock->modules.n; i++) {
        struct lock_module *m = lock->modules.items[i];
        if (streq(m->path, path))
            return m;
    }
    return NULL;
}

static int cmp_fetch(const void *a, const void *b)
{
    return strcmp((*(struct lock_fetch *const *)a)->url, (*(struct lock_fetch *const *)b)->url);
}

static int cmp_deb(const void *a, const void *b)
{
    const struct lock_deb *x = *(struct lock_deb *const *)a, *y = *(struct lock_deb *const *)b;
    for (int i = DEB_REQUESTED; i <= DEB_ARCH; i++) {
        int c = strcmp(x->f[i], y->f[i]);
        if (c)
            return c;
    }
    return 0;
}

static int cmp_git(const void *a, const void *b)
{
    const struct lock_git *x = *(struct lock_git *const *)a, *y = *(struct lock_git *const *)b;
    int c = strcmp(x->url, y->url);
    return c ? c : strcmp(x->commit, y->commit);
}

static int cmp_module(const void *a, const void *b)
{
    return strcmp((*(struct lock_module *const *)a)->path, (*(struct lock_module *const *)b)->path);
}

static void sort(ptrvec *v, int (*cmp)(const void *, const void *))
{
    /* An empty vector has no array, and qsort() must not see NULL. */
    if (v->n > 1)
        qsort(v->items, v->n, sizeof(void *), cmp);
}

void lock_sort(tdx_lock *lock)
{
    sort(&lock->fetches, cmp_fetch);
    sort(&lock->debs, cmp_deb);
    sort(&lock->gits, cmp_git);
    sort(&lock->modules, cmp_module);
}

char *lock_timestamp(long long t)
{
    time_t tt = t == TDX_UNSET ? time(NULL) : (time_t)t;
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&tt, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return strdup("1970-01-01T00:00:00Z");
    return strdup(buf);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */

/* Lock strings are one non-empty line each; these say what else they are. */
#define LOCK_STRING (JR_NONEMPTY | JR_ONE_LINE)

static const char *check_hash(const char *s)
{
    return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64
               ? NULL : "expected 64 lowercase hexadecimal digits";
}

static const char *check_url(const char *s)
{
    return url_check(s, NULL) < 0 ? "expected an https://, http:// or file:// URL" : NULL;
}

static const char *check_time(const char *s)
{
    return strlen(s) != 20 || s[4] != '-' || s[10] != 'T' || s[19] != 'Z'
               ? "expected a UTC time like 2026-01-31T12:00:00Z" : NULL;
}

/* used_by: an optional list of strings, copied; absent gives an empty list. */
static int get_used_by(struct json_reader *R, json_t *obj, const char *path, char ***out)
{
    _cleanup_free_ const char **list = NULL;
    int r = jr_strv(R, obj, path, "used_by", 0, 0, LOCK_ENTRIES_MAX, NULL, &list);

    if (r < 0)
        return r;
    *out = calloc(1, sizeof(char *));
    if (!*out)
        return jr_oom(R);
    for (size_t i = 0; list && list[i]; i++)
        if (strv_push(out, list[i]) < 0)
            return jr_oom(R);
    return 0;
}

typedef int (*entry_fn)(struct json_reader *R, json_t *o, const char *path, void **out);

static int read_fetch(struct json_reader *R, json_t *o, const char *path, void **out)
{
    static const char *const keys[] = { "url", "sha256", "size", "resolved_at", "used_by", NULL };
    struct lock_fetch *f = calloc(1, sizeof(*f));
    int r;

    if (!f)
        return jr_oom(R);
    *out = f;
    if ((r = jr_keys(R, o, path, keys)) < 0 ||
        (r = jr_strdup(R, o, path, "url", JR_REQUIRED | LOCK_STRING, check_url, &f->url)) < 0 ||
        (r = jr_strdup(R, o, path, "sha256", JR_REQUIRED | LOCK_STRING, check_hash, &f->sha256)) < 0 ||
        (r = jr_uint(R, o, path, "size", JR_REQUIRED, 0, INT64_MAX, &f->size)) < 0 ||
        (r = jr_strdup(R, o, path, "resolved_at", JR_REQUIRED | LOCK_STRING, check_time,
                       &f->resolved_at)) < 0)
        return r;
    return get_used_by(R, o, path, &f->used_by);
}

static const char *(*deb_check(size_t i))(const char *)
{
    switch (i) {
    case DEB_SHA256:
    case DEB_INRELEASE_SHA256:
        return check_hash;
    case DEB_URL:
    case DEB_MIRROR:
    case DEB_INRELEASE_URL:
        return check_url;
    case DEB_RESOLVED_AT:
        return check_time;
    default:
        return NULL;
    }
}

static int read_deb(struct json_reader *R, json_t *o, const char *path, void **out)
{
    const char *keys[DEB_FIELDS + 3];
    struct lock_deb *d = calloc(1, sizeof(*d));
    int r;

    if (!d)
        return jr_oom(R);
    *out = d;
    for (size_t i = 0; i < DEB_FIELDS; i++)
        keys[i] = deb_keys[i];
    keys[DEB_FIELDS] = "size";
    keys[DEB_FIELDS + 1] = "used_by";
    keys[DEB_FIELDS + 2] = NULL;
    if ((r = jr_keys(R, o, path, keys)) < 0)
        return r;
    for (size_t i = 0; i < DEB_FIELDS; i++) {
        unsigned flags = LOCK_STRING | (i != DEB_INRELEASE_DATE ? JR_REQUIRED : 0);
        if ((r = jr_strdup(R, o, path, deb_keys[i], flags, deb_check(i), &d->f[i])) < 0)
            return r;
    }
    if ((r = jr_uint(R, o, path, "size", JR_REQUIRED, 0, INT64_MAX, &d->size)) < 0)
        return r;
    return get_used_by(R, o, path, &d->used_by);
}

static int read_git(struct json_reader *R, json_t *o, const char *path, void **out)
{
    static const char *const keys[] = { "url", "tag", "commit", "tree_sha256", "resolved_at", NULL };
    struct lock_git *g = calloc(1, sizeof(*g));
    int r;

    if (!g)
        return jr_oom(R);
    *out = g;
    if ((r = jr_keys(R, o, path, keys)) < 0 ||
        (r = jr_strdup(R, o, path, "url", JR_REQUIRED | LOCK_STRING, NULL, &g->url)) < 0 ||
        (r = jr_strdup(R, o, path, "tag", LOCK_STRING, NULL, &g->tag)) < 0 ||
        (r = jr_strdup(R, o, path, "commit", JR_REQUIRED | LOCK_STRING, NULL, &g->commit)) < 0 ||
        (r = jr_strdup(R, o, path, "tree_sha256", JR_REQUIRED | LOCK_STRING, check_hash,
                       &g->tree)) < 0 ||
        (r = jr_strdup(R, o, path, "resolved_at", JR_REQUIRED | LOCK_STRING, check_time,
                       &g->resolved_at)) < 0)
        return r;
    return 0;
}

static int read_module(struct json_reader *R, json_t *o, const char *path, void **out)
{
    static const char *const keys[] = { "path", "tree_sha256", "used_by", NULL };
    struct lock_module *m = calloc(1, sizeof(*m));
    int r;

    if (!m)
        return jr_oom(R);
    *out = m;
    if ((r = jr_keys(R, o, path, keys)) < 0 ||
        (r = jr_strdup(R, o, path, "path", JR_REQUIRED | LOCK_STRING, NULL, &m->path)) < 0 ||
        (r = jr_strdup(R, o, path, "tree_sha256", JR_REQUIRED | LOCK_STRING, check_hash,
                       &m->tree)) < 0)
        return r;
    return get_used_by(R, o, path, &m->used_by);
}

static int read_list(struct json_reader *R, json_t *root, const char *key, entry_fn fn,
                     void (*free_fn)(void *), ptrvec *into)
{
    char path[JR_PATH_MAX];
    json_t *a = NULL, *item;
    size_t i;
    int r;

    if ((r = jr_array(R, root, "", key, 0, 0, LOCK_ENTRIES_MAX, &a)) <= 0)
        return r;
    json_array_foreach(a, i, item) {
        void *entry = NULL;
        jr_path_index(path, key, i);
        if ((r = jr_object(R, item, path, NULL, JR_REQUIRED, SIZE_MAX, &item)) < 0)
            return r;
        r = fn(R, item, path, &entry);
        if (r >= 0 && ptrvec_push(into, entry) < 0)
            r = jr_oom(R);
        if (r < 0) {
            free_fn(entry);
            return r;
        }
    }
    return 0;
}

static int read_recipe(struct json_reader *R, json_t *root, tdx_lock *l)
{
    static const char *const keys[] = { "name", "digest", "profiles", NULL };
    char where[JR_PATH_MAX], sw[JR_PATH_MAX];
    json_t *rec = NULL, *prof = NULL, *sec, *v;
    const char *p, *s, *digest;
    int r;

    if ((r = jr_object(R, root, "", "recipe", JR_REQUIRED, SIZE_MAX, &rec)) < 0 ||
        (r = jr_keys(R, rec, "recipe", keys)) < 0 ||
        (r = jr_strdup(R, rec, "recipe", "name", JR_REQUIRED | LOCK_STRING, NULL,
                       &l->recipe_name)) < 0 ||
        (r = jr_strdup(R, rec, "recipe", "digest", JR_REQUIRED | LOCK_STRING, check_hash,
                       &l->digest)) < 0 ||
        (r = jr_object(R, rec, "recipe", "profiles", JR_REQUIRED, SIZE_MAX, &prof)) < 0)
        return r;
    /* profiles: {"PROFILE": {"SECTION": "SHA-256", ...}, ...} */
    json_object_foreach(prof, p, sec) {
        jr_path_key(where, "recipe.profiles", p);
        if ((r = jr_object(R, sec, where, NULL, JR_REQUIRED, SIZE_MAX, &sec)) < 0)
            return r;
        json_object_foreach(sec, s, v)
            if ((r = jr_string(R, v, jr_path_key(sw, where, s), NULL, JR_REQUIRED, check_hash,
                               &digest)) < 0)
                return r;
    }
    l->sections = json_incref(prof);
    return 0;
}

int tdx_lock_load_buffer(tdx_lock **out, const char *name, const char *data, size_t size,
                         tdx_error *err)
{
    static const char *const keys[] = { "lock_version", "recipe", "fetch", "debian", "git",
                                        "modules", NULL };
    struct json_reader R;
    tdx_lock *l = NULL;
    long long version = 0;
    json_t *root = NULL;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(data, err);
    jr_init_err(&R, name ? name : "tdx.lock", err);
    if (size > LOCK_FILE_MAX)
        return tdx_err(err, -EFBIG, "%s: larger than %u MiB", R.file, LOCK_FILE_MAX >> 20);
    /* Every entry is a few dozen values; deeper or larger texts are not locks. */
    r = jr_parse(&R, data, size, 8, 64 * LOCK_ENTRIES_MAX, &root);
    if (r < 0)
        return r;
    if ((r = jr_keys(&R, root, "", keys)) >= 0)
        r = jr_int(&R, root, "", "lock_version", JR_REQUIRED, 1, INT_MAX, &version);
    if (r >= 0 && version > TDX_LOCK_FORMAT_VERSION)
        r = jr_fail(&R, "lock_version", "%lld is newer than this tdxctl understands (%d)",
                    version, TDX_LOCK_FORMAT_VERSION);
    if (r >= 0)
        r = tdx_lock_new(&l, err);
    if (r >= 0)
        r = read_recipe(&R, root, l);
    if (r >= 0)
        r = read_list(&R, root, "fetch", read_fetch, lock_fetch_free, &l->fetches);
    if (r >= 0)
        r = read_list(&R, root, "debian", read_deb, lock_deb_free, &l->debs);
    if (r >= 0)
        r = read_list(&R, root, "git", read_git, lock_git_free, &l->gits);
    if (r >= 0)
        r = read_list(&R, root, "modules", read_module, lock_module_free, &l->modules);
    json_decref(root);
    if (r < 0) {
        tdx_lock_free(l);
        return r;
    }
    lock_sort(l);
    *out = l;
    return 0;
}

int tdx_lock_load(tdx_lock **out, const char *path, tdx_error *err)
{
    _cleanup_free_ char *data = NULL;
    size_t n;
    int r;

    tdx_check_arg(path, err);
    r = read_file_bounded(path, LOCK_FILE_MAX, &data, &n);
    if (r == -EFBIG)
        return tdx_err(err, r, "%s: larger than %u MiB", path, LOCK_FILE_MAX >> 20);
    if (r < 0)
        return tdx_err(err, r, "%s: cannot read: %s", path, strerror(-r));
    return tdx_lock_load_buffer(out, path, data, n, err);
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */

static json_t *jstrv(char *const *v)
{
    json_t *a = json_array();
    STRV_FOREACH(s, v)
        json_array_append_new(a, json_string(*s));
    return a;
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *render(const tdx_lock *l)
{
    json_t *fetch = json_array(), *deb = json_array(), *git = json_array(), *mods = json_array();

    for (size_t i = 0; i < l->fetches.n; i++) {
        const struct lock_fetch *f = l->fetches.items[i];
        json_array_append_new(fetch, json_pack("{s:s, s:s, s:I, s:s, s:o}", "url", f->url,
                                               "sha256", f->sha256, "size", (json_int_t)f->size,
                                               "resolved_at", f->resolved_at, "used_by",
                                               jstrv(f->used_by)));
    }
    for (size_t i = 0; i < l->debs.n; i++) {
        const struct lock_deb *d = l->debs.items[i];
        json_t *o = json_pack("{s:I, s:o}", "size", (json_int_t)d->size, "used_by",
                              jstrv(d->used_by));
        for (size_t k = 0; o && k < DEB_FIELDS; k++)
            if (d->f[k])
                json_object_set_new(o, deb_keys[k], json_string(d->f[k]));
        json_array_append_new(deb, o);
    }
    for (size_t i = 0; i < l->gits.n; i++) {
        const struct lock_git *g = l->gits.items[i];
        json_array_append_new(git, json_pack("{s:s, s:o, s:s, s:s, s:s}", "url", g->url, "tag",
                                             jstr(g->tag), "commit", g->commit, "tree_sha256",
                                             g->tree, "resolved_at", g->resolved_at));
    }
    for (size_t i = 0; i < l->modules.n; i++) {
        const struct lock_module *m = l->modules.items[i];
        json_array_append_new(mods, json_pack("{s:s, s:s, s:o}", "path", m->path, "tree_sha256",
                                              m->tree, "used_by", jstrv(m->used_by)));
    }
    return json_pack("{s:i, s:{s:o, s:o, s:o}, s:o, s:o, s:o, s:o}", "lock_version",
                     TDX_LOCK_FORMAT_VERSION, "recipe", "name", jstr(l->recipe_name), "digest",
                     jstr(l->digest), "profiles",
                     l->sections ? json_incref(l->sections) : json_object(),
                     "fetch", fetch, "debian", deb, "git", git, "modules", mods);
}

int tdx_lock_to_json(const tdx_lock *lock, char **out, tdx_error *err)
{
    json_t *root;
    char *text;

    tdx_check_arg(lock, err);
    tdx_check_arg(out, err);
    root = render(lock);
    text = root ? json_canonical_text(root) : NULL;
    json_decref(root);
    if (!text)
        return tdx_err_oom(err);
    *out = text;
    return 0;
}

int tdx_lock_save(const tdx_lock *lock, const char *path, tdx_error *err)
{
    _cleanup_free_ char *text = NULL, *tmp = NULL;
    _cleanup_close_ int fd = -1;
    int r;

    tdx_check_arg(path, err);
    r = tdx_lock_to_json(lock, &text, err);
    if (r < 0)
        return r;
    if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
        tmp = NULL;
        return tdx_err_oom(err);
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return tdx_err(err, -errno, "cannot write %s: %s", path, strerror(errno));
    r = write_all(fd, text, strlen(text));
    if (r >= 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0))
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return tdx_err(err, r, "cannot write %s: %s", path, strerror(-r));
    }
    return 0;
}
