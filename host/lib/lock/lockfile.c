/* SPDX-License-Identifier: MIT */
/* tdx.lock as JSON: strict reading (every field checked, errors name the
 * JSON path) and canonical writing (sorted keys and entries). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"
#include "fetch/fetch-internal.h"
#include "fileio.h"
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

struct reader {
    const char *name;
    tdx_error *err;
};

static int bad(struct reader *R, const char *path, const char *what)
{
    return tdx_err(R->err, -EINVAL, "%s: %s: %s", R->name, path, what);
}

/* Rejects keys outside allowed: a lock written by a newer format must not
 * be half understood. */
static int keys_only(struct reader *R, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            ok = ok || streq(key, *a);
        if (!ok) {
            char where[300];
            snprintf(where, sizeof(where), "%s.%s", path, key);
            return bad(R, where, "unknown key");
        }
    }
    return 0;
}

enum check { ANY, HASH, URL, TIME };

static int get_str(struct reader *R, json_t *obj, const char *path, const char *key, bool required,
                   enum check check, char **out)
{
    json_t *v = json_object_get(obj, key);
    char where[300], hex[SHA256_HEX_SIZE];
    const char *s;
    size_t n;

    snprintf(where, sizeof(where), "%s.%s", path, key);
    if (!v || json_is_null(v)) {
        *out = NULL;
        return required ? bad(R, where, "required") : 0;
    }
    if (!json_is_string(v))
        return bad(R, where, "expected a string");
    s = json_string_value(v);
    n = json_string_length(v);
    if (n == 0 || n > 4096 || strlen(s) != n || strpbrk(s, "\n\r"))
        return bad(R, where, "expected a non-empty one-line string of at most 4096 bytes");
    if (check == HASH && (sha256_parse(s, where, hex, NULL) < 0 || !streq(hex, s)))
        return bad(R, where, "expected 64 lowercase hexadecimal digits");
    if (check == URL && url_check(s, NULL) < 0)
        return bad(R, where, "expected an https://, http:// or file:// URL");
    if (check == TIME && (n != 20 || s[4] != '-' || s[10] != 'T' || s[19] != 'Z'))
        return bad(R, where, "expected a UTC time like 2026-01-31T12:00:00Z");
    *out = strdup(s);
    return *out ? 0 : tdx_err_oom(R->err);
}

static int get_size(struct reader *R, json_t *obj, const char *path, uint64_t *out)
{
    json_t *v = json_object_get(obj, "size");
    char where[300];
    snprintf(where, sizeof(where), "%s.size", path);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(R, where, "expected a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_strv(struct reader *R, json_t *obj, const char *path, const char *key, char ***out)
{
    json_t *v = json_object_get(obj, key), *item;
    char where[300];
    size_t i;

    snprintf(where, sizeof(where), "%s.%s", path, key);
    *out = calloc(1, sizeof(char *));
    if (!*out)
        return tdx_err_oom(R->err);
    if (!v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > LOCK_ENTRIES_MAX)
        return bad(R, where, "expected an array of strings");
    json_array_foreach(v, i, item) {
        if (!json_is_string(item))
            return bad(R, where, "expected an array of strings");
        if (strv_push(out, json_string_value(item)) < 0)
            return tdx_err_oom(R->err);
    }
    return 0;
}

typedef int (*entry_fn)(struct reader *R, json_t *o, const char *path, void **out);

static int read_fetch(struct reader *R, json_t *o, const char *path, void **out)
{
    static const char *const keys[] = { "url", "sha256", "size", "resolved_at", "used_by", NULL };
    struct lock_fetch *f = calloc(1, sizeof(*f));
    int r = f ? keys_only(R, o, path, keys) : tdx_err_oom(R->err);
    if (r >= 0)
        r = get_str(R, o, path, "url", true, URL, &f->url);
    if (r >= 0)
        r = get_str(R, o, path, "sha256", true, HASH, &f->sha256);
    if (r >= 0)
        r = get_size(R, o, path, &f->size);
    if (r >= 0)
        r = get_str(R, o, path, "resolved_at", true, TIME, &f->resolved_at);
    if (r >= 0)
        r = get_strv(R, o, path, "used_by", &f->used_by);
    *out = f;
    return r;
}

static int read_deb(struct reader *R, json_t *o, const char *path, void **out)
{
    static const char *const extra[] = { "size", "used_by", NULL };
    const char *keys[DEB_FIELDS + 3];
    struct lock_deb *d = calloc(1, sizeof(*d));
    int r = d ? 0 : tdx_err_oom(R->err);

    for (size_t i = 0; i < DEB_FIELDS; i++)
        keys[i] = deb_keys[i];
    keys[DEB_FIELDS] = extra[0];
    keys[DEB_FIELDS + 1] = extra[1];
    keys[DEB_FIELDS + 2] = NULL;
    if (r >= 0)
        r = keys_only(R, o, path, keys);
    for (size_t i = 0; r >= 0 && i < DEB_FIELDS; i++) {
        enum check c = i == DEB_SHA256 || i == DEB_INRELEASE_SHA256 ? HASH
                     : i == DEB_URL || i == DEB_MIRROR || i == DEB_INRELEASE_URL ? URL
                     : i == DEB_RESOLVED_AT ? TIME : ANY;
        r = get_str(R, o, path, deb_keys[i], i != DEB_INRELEASE_DATE, c, &d->f[i]);
    }
    if (r >= 0)
        r = get_size(R, o, path, &d->size);
    if (r >= 0)
        r = get_strv(R, o, path, "used_by", &d->used_by);
    *out = d;
    return r;
}

static int read_git(struct reader *R, json_t *o, const char *path, void **out)
{
    static const char *const keys[] = { "url", "tag", "commit", "tree_sha256", "resolved_at", NULL };
    struct lock_git *g = calloc(1, sizeof(*g));
    int r = g ? keys_only(R, o, path, keys) : tdx_err_oom(R->err);
    if (r >= 0)
        r = get_str(R, o, path, "url", true, ANY, &g->url);
    if (r >= 0)
        r = get_str(R, o, path, "tag", false, ANY, &g->tag);
    if (r >= 0)
        r = get_str(R, o, path, "commit", true, ANY, &g->commit);
    if (r >= 0)
        r = get_str(R, o, path, "tree_sha256", true, HASH, &g->tree);
    if (r >= 0)
        r = get_str(R, o, path, "resolved_at", true, TIME, &g->resolved_at);
    *out = g;
    return r;
}

static int read_module(struct reader *R, json_t *o, const char *path, void **out)
{
    static const char *const keys[] = { "path", "tree_sha256", "used_by", NULL };
    struct lock_module *m = calloc(1, sizeof(*m));
    int r = m ? keys_only(R, o, path, keys) : tdx_err_oom(R->err);
    if (r >= 0)
        r = get_str(R, o, path, "path", true, ANY, &m->path);
    if (r >= 0)
        r = get_str(R, o, path, "tree_sha256", true, HASH, &m->tree);
    if (r >= 0)
        r = get_strv(R, o, path, "used_by", &m->used_by);
    *out = m;
    return r;
}

static int read_list(struct reader *R, json_t *root, const char *key, entry_fn fn,
                     void (*free_fn)(void *), ptrvec *into)
{
    json_t *a = json_object_get(root, key), *item;
    size_t i;

    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > LOCK_ENTRIES_MAX)
        return bad(R, key, "expected an array");
    json_array_foreach(a, i, item) {
        char path[64];
        void *entry = NULL;
        int r;
        snprintf(path, sizeof(path), "%s[%zu]", key, i);
        if (!json_is_object(item))
            return bad(R, path, "expected an object");
        r = fn(R, item, path, &entry);
        if (r < 0 || ptrvec_push(into, entry) < 0) {
            free_fn(entry);
            return r < 0 ? r : tdx_err_oom(R->err);
        }
    }
    return 0;
}

static int read_recipe(struct reader *R, json_t *root, tdx_lock *l)
{
    static const char *const keys[] = { "name", "digest", "profiles", NULL };
    json_t *rec = json_object_get(root, "recipe"), *prof, *sec, *v;
    const char *p, *s;
    int r;

    if (!json_is_object(rec))
        return bad(R, "recipe", "expected an object");
    r = keys_only(R, rec, "recipe", keys);
    if (r >= 0)
        r = get_str(R, rec, "recipe", "name", true, ANY, &l->recipe_name);
    if (r >= 0)
        r = get_str(R, rec, "recipe", "digest", true, HASH, &l->digest);
    if (r < 0)
        return r;
    prof = json_object_get(rec, "profiles");
    if (!json_is_object(prof))
        return bad(R, "recipe.profiles", "expected an object");
    json_object_foreach(prof, p, sec) {
        if (!json_is_object(sec))
            return bad(R, "recipe.profiles", "expected an object per profile");
        json_object_foreach(sec, s, v) {
            char hex[SHA256_HEX_SIZE];
            if (!json_is_string(v) || sha256_parse(json_string_value(v), s, hex, NULL) < 0)
                return bad(R, "recipe.profiles", "expected a SHA-256 per section");
        }
    }
    l->sections = json_incref(prof);
    return 0;
}

int tdx_lock_load_buffer(tdx_lock **out, const char *name, const char *data, size_t size,
                         tdx_error *err)
{
    static const char *const keys[] = { "lock_version", "recipe", "fetch", "debian", "git",
                                        "modules", NULL };
    struct reader R = { name ? name : "tdx.lock", err };
    tdx_lock *l = NULL;
    json_error_t jerr;
    json_t *root, *v;
    int r;

    tdx_check_arg(out, err);
    tdx_check_arg(data, err);
    if (size > LOCK_FILE_MAX)
        return tdx_err(err, -EFBIG, "%s: larger than %u MiB", R.name, LOCK_FILE_MAX >> 20);
    root = json_loadb(data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tdx_err_lib(err, -EINVAL, TDX_ERROR_LIBRARY_JANSSON, json_error_code(&jerr),
                           "%s:%d:%d: %s", R.name, jerr.line, jerr.column, jerr.text);
    r = json_is_object(root) ? keys_only(&R, root, "(top)", keys) : bad(&R, "(top)", "expected an object");
    v = json_object_get(root, "lock_version");
    if (r >= 0 && (!json_is_integer(v) || json_integer_value(v) < 1))
        r = bad(&R, "lock_version", "expected a positive integer");
    if (r >= 0 && json_integer_value(v) > TDX_LOCK_FORMAT_VERSION)
        r = tdx_err(err, -EINVAL, "%s: lock_version %lld is newer than this tdxctl understands (%d)",
                    R.name, (long long)json_integer_value(v), TDX_LOCK_FORMAT_VERSION);
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
