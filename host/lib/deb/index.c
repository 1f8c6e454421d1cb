/* SPDX-License-Identifier: MIT */
/* Resolving a package through the signed index: InRelease (gpgv) -> Packages
 * by its signed hash -> the entry's SHA256 for the .deb. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deb-internal.h"
#include "staging.h"
#include "error.h"
#include "fetch/fetch-internal.h"
#include "fileio.h"
#include "strv.h"

#define FIELD_COUNT (TDX_DEB_INDEX_ARCH + 1)
#define DEFAULT_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"
#define SNAPSHOT_BASE "https://snapshot.debian.org/archive/debian/"

struct tdx_deb_package {
    char *f[FIELD_COUNT];
    uint64_t size;
};

struct component {
    char *name;
    struct packages pk;
};

struct tdx_deb_index {
    char *mirror, *release, *arch, *inrelease_url, *inrelease_sha256, *date;
    bool follow;
    struct component *comps;
    size_t n_comps;
};

void tdx_deb_index_free(tdx_deb_index *x)
{
    if (!x)
        return;
    free(x->mirror);
    free(x->release);
    free(x->arch);
    free(x->inrelease_url);
    free(x->inrelease_sha256);
    free(x->date);
    for (size_t i = 0; i < x->n_comps; i++) {
        free(x->comps[i].name);
        packages_free(&x->comps[i].pk);
    }
    free(x->comps);
    free(x);
}

void tdx_deb_package_free(tdx_deb_package *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < FIELD_COUNT; i++)
        free(p->f[i]);
    free(p);
}

const char *tdx_deb_package_get(const tdx_deb_package *p, tdx_deb_field field)
{
    if (!p || (unsigned)field >= FIELD_COUNT)
        return NULL;
    return p->f[field];
}

uint64_t tdx_deb_package_size(const tdx_deb_package *p)
{
    return p ? p->size : 0;
}

static bool word_ok(const char *s, const char *chars)
{
    return !isempty(s) && strlen(s) <= 64 && strspn(s, chars) == strlen(s) && s[0] != '-' &&
           s[0] != '.';
}

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789"
#define RELEASE_CHARS NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ._-"

static int check_options(const tdx_deb_options *o, tdx_error *err)
{
    if (o->release && !word_ok(o->release, RELEASE_CHARS))
        return tdx_err(err, -EINVAL, "release \"%.80s\": expected letters, digits, '.', '_', '-'",
                       o->release);
    if (o->arch && !word_ok(o->arch, NAME_CHARS "-"))
        return tdx_err(err, -EINVAL, "architecture \"%.80s\": expected lowercase letters, digits, '-'",
                       o->arch);
    for (const char *const *c = o->components; c && *c; c++)
        if (!word_ok(*c, NAME_CHARS "-"))
            return tdx_err(err, -EINVAL, "component \"%.80s\": expected lowercase letters, digits, '-'",
                           *c);
    if (o->snapshot && (strlen(o->snapshot) != 16 || o->snapshot[8] != 'T' || o->snapshot[15] != 'Z' ||
                        strspn(o->snapshot, "0123456789") != 8 ||
                        strspn(o->snapshot + 9, "0123456789") != 6))
        return tdx_err(err, -EINVAL, "snapshot \"%.80s\": expected YYYYMMDDTHHMMSSZ", o->snapshot);
    if (o->snapshot && o->mirror)
        return tdx_err(err, -EINVAL, "give a mirror or a snapshot, not both");
    return 0;
}

/* The mirror URL without trailing slashes, and the keyring to trust. */
static int pick_mirror(const tdx_deb_options *o, const char *release, char **mirror,
                       char **keyring, tdx_error *err)
{
    _cleanup_free_ char *from_apt = NULL, *apt_keyring = NULL;
    size_t n;
    int r;

    if (o->snapshot)
        r = asprintf(mirror, SNAPSHOT_BASE "%s", o->snapshot) < 0 ? -ENOMEM : 0;
    else if (o->mirror)
        r = (*mirror = strdup(o->mirror)) ? 0 : -ENOMEM;
    else {
        r = apt_sources_find(o->apt_dir ? o->apt_dir : "/etc/apt", release, &from_apt,
                             &apt_keyring, err);
        if (r < 0)
            return r;
        *mirror = TAKE_PTR(from_apt);
    }
    if (r < 0)
        return tdx_err_oom(err);
    n = strlen(*mirror);
    while (n > 0 && (*mirror)[n - 1] == '/')
        (*mirror)[--n] = '\0';
    r = url_check(*mirror, err);
    if (r < 0)
        return r;
    *keyring = strdup(o->keyring ? o->keyring : apt_keyring ? apt_keyring : DEFAULT_KEYRING);
    if (!*keyring)
        return tdx_err_oom(err);
    if (access(*keyring, R_OK) < 0)
        return tdx_err(err, -ENOENT, "keyring %s: %s%s", *keyring, strerror(errno),
                       streq(*keyring, DEFAULT_KEYRING) ? " (install debian-archive-keyring)" : "");
    return 0;
}

static int check_release(const struct release *rel, const tdx_deb_options *o,
                         const tdx_deb_index *x, tdx_error *err)
{
    /* A snapshot's index is old by design; its signature still holds. */
    bool snapshot = o->snapshot || strstr(x->mirror, "://snapshot.debian.org/");
    const char *release = x->release, *arch = x->arch, *label = x->inrelease_url;
    time_t until, now = o->now == TDX_UNSET ? time(NULL) : (time_t)o->now;

    /* A validly signed InRelease of another suite must not stand in for this one. */
    if (!streq_ptr(rel->suite, release) && !streq_ptr(rel->codename, release))
        return tdx_err(err, -EBADMSG, "%s: signed for suite \"%s\", codename \"%s\", not \"%s\"",
                       label, strempty(rel->suite), strempty(rel->codename), release);
    if (rel->valid_until && (o->check_valid_until == 1 || (o->check_valid_until == TDX_UNSET && !snapshot))) {
        if (release_parse_date(rel->valid_until, &until) < 0)
            return tdx_err(err, -EBADMSG, "%s: Valid-Until \"%s\" is not a date", label,
                           rel->valid_until);
        if (now > until)
            return tdx_err(err, -ESTALE, "%s: expired (Valid-Until %s); the mirror is outdated "
                           "or replays an old index", label, rel->valid_until);
    }
    if (rel->architectures && !strv_contains(rel->architectures, arch))
        return tdx_err(err, -ENOENT, "%s: release \"%s\" has no architecture \"%s\"", label,
                       release, arch);
    return 0;
}

static int load_component(tdx_deb_index *x, const struct release *rel, const char *comp,
                          const tdx_fetch_options *fo, const struct fetch_conf *conf,
                          struct component *out, tdx_error *err)
{
    static const char *const suffixes[] = { ".xz", ".gz", "" };
    const struct release_file *f = NULL;
    tdx_fetch_options o = fo ? *fo : (tdx_fetch_options)TDX_FETCH_OPTIONS_INIT;
    _cleanup_free_ char *url = NULL, *path = NULL, *text = NULL;
    char rel_path[256], label[600];
    size_t len;
    int r;

    for (size_t i = 0; i < ELEMENTSOF(suffixes) && !f; i++) {
        snprintf(rel_path, sizeof(rel_path), "%s/binary-%s/Packages%s", comp, x->arch, suffixes[i]);
        f = release_find(rel, rel_path);
    }
    if (!f)
        return tdx_err(err, -ENOENT, "%s: no %s/binary-%s/Packages index (component or "
                       "architecture not in the release)", x->inrelease_url, comp, x->arch);
    if (rel->by_hash)
        r = asprintf(&url, "%s/dists/%s/%s/binary-%s/by-hash/SHA256/%s", x->mirror, x->release,
                     comp, x->arch, f->sha256);
    else
        r = asprintf(&url, "%s/dists/%s/%s", x->mirror, x->release, f->path);
    if (r < 0) {
        url = NULL;
        return tdx_err_oom(err);
    }
    snprintf(label, sizeof(label), "Packages index %s of %s", f->path, x->inrelease_url);
    o.max_size = (long long)f->size;
    o.cache_dir = conf->cache_dir;
    r = tdx_fetch(url, f->sha256, &o, &path, err);
    if (r < 0)
        return tdx_err_prefix(err, r, "%s", label);
    r = packages_read(path, label, &text, &len, err);
    if (r < 0)
        return r;
    out->name = strdup(comp);
    if (!out->name)
        return tdx_err_oom(err);
    return packages_index(TAKE_PTR(text), len, label, &out->pk, err);
}

/* Fetches InRelease, verifies it and parses the signed text. */
static int load_release(tdx_deb_index *x, const char *keyring, const char *cache,
                        const struct fetch_conf *conf, struct release *rel, tdx_error *err)
{
    _cleanup_free_ char *raw = NULL, *text = NULL, *work = NULL, *file = NULL;
    struct staging stage = STAGING_INIT;
    char hex[SHA256_HEX_SIZE];
    size_t raw_len, len;
    int fd, r;

    if (conf->offline)
        return tdx_err(err, -ENOENT, "%s: cannot resolve packages offline (a lock names "
                       "what to fetch without the index)", x->inrelease_url);
    r = http_to_memory(x->inrelease_url, conf, RELEASE_MAX, &raw, &raw_len, err);
    if (r < 0)
        return r;
    r = staging_create(&stage, cache, "gpgv", err);
    if (r < 0)
        return r;
    if (asprintf(&work, "%s/%s", cache, stage.name) < 0) {
        work = NULL;
        r = tdx_err_oom(err);
    } else if (asprintf(&file, "%s/InRelease", work) < 0) {
        file = NULL;
        r = tdx_err_oom(err);
    } else if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
               write_all(fd, raw, raw_len) < 0 || close(fd) < 0) {
        r = tdx_err(err, -errno, "cannot write %s: %s", file, strerror(errno));
    } else {
        r = release_verify(file, keyring, work, x->inrelease_url, &text, &len, err);
    }
    staging_remove(&stage);
    if (r < 0)
        return r;
    /* Kept in the cache so a lock's record of it can be checked later. */
    r = cache_store_buffer(cache, raw, raw_len, hex, NULL, err);
    if (r < 0)
        return r;
    x->inrelease_sha256 = strdup(hex);
    if (!x->inrelease_sha256)
        return tdx_err_oom(err);
    return release_parse(text, len, x->inrelease_url, rel, err);
}

int tdx_deb_index_open(tdx_deb_index **out, const tdx_deb_options *opts, tdx_error *err)
{
    static const char *const main_only[] = { "main", NULL };
    tdx_deb_options defaults = TDX_DEB_OPTIONS_INIT;
    _cleanup_free_ char *keyring = NULL, *cache = NULL;
    struct release rel = { 0 };
    struct fetch_conf conf;
    tdx_deb_index *x;
    const char *const *comps;
    int r;

    tdx_check_arg(out, err);
    tdx_check_options(opts, TDX_DEB_OPTIONS_VERSION, err);
    if (!opts)
        opts = &defaults;
    r = check_options(opts, err);
    if (r < 0)
        return r;
    r = fetch_conf_init(&conf, opts->fetch, __func__, err);
    if (r < 0)
        return r;
    x = calloc(1, sizeof(*x));
    if (!x)
        return tdx_err_oom(err);
    x->release = strdup(opts->release ? opts->release : "bookworm");
    x->arch = strdup(opts->arch ? opts->arch : "amd64");
    x->follow = opts->follow != 0;
    if (!x->release || !x->arch) {
        r = tdx_err_oom(err);
        goto fail;
    }
    r = pick_mirror(opts, x->release, &x->mirror, &keyring, err);
    if (r < 0)
        goto fail;
    r = cache_dir_open(conf.cache_dir, "fetch", &cache, err);
    if (r < 0)
        goto fail;
    if (asprintf(&x->inrelease_url, "%s/dists/%s/InRelease", x->mirror, x->release) < 0) {
        x->inrelease_url = NULL;
        r = tdx_err_oom(err);
        goto fail;
    }
    r = load_release(x, keyring, cache, &conf, &rel, err);
    if (r < 0)
        goto fail;
    r = check_release(&rel, opts, x, err);
    if (r < 0)
        goto fail;
    if (rel.date && !(x->date = strdup(rel.date))) {
        r = tdx_err_oom(err);
        goto fail;
    }
    comps = opts->components ? opts->components : main_only;
    x->comps = calloc(strv_length((char *const *)comps) + 1, sizeof(*x->comps));
    if (!x->comps) {
        r = tdx_err_oom(err);
        goto fail;
    }
    for (; *comps; comps++, x->n_comps++) {
        /* The cache directory resolved once, so every file lands in one place. */
        struct fetch_conf c = conf;
        c.cache_dir = cache;
        r = load_component(x, &rel, *comps, opts->fetch, &c, &x->comps[x->n_comps], err);
        if (r < 0) {
            x->n_comps++;
            goto fail;
        }
    }
    release_free(&rel);
    *out = x;
    return 0;
fail:
    release_free(&rel);
    tdx_deb_index_free(x);
    return r;
}

static int set(tdx_deb_package *p, tdx_deb_field f, const char *v, size_t n)
{
    p->f[f] = strndup(v, n);
    return p->f[f] ? 0 : -ENOMEM;
}

static int from_entry(const tdx_deb_index *x, const struct component *c,
                      const struct pkg_entry *e, const char *requested, tdx_deb_package **out,
                      tdx_error *err)
{
    static const struct { const char *field; tdx_deb_field f; } copy[] = {
        { "Version", TDX_DEB_VERSION }, { "Architecture", TDX_DEB_ARCHITECTURE },
        { "SHA256", TDX_DEB_SHA256 }, { "Filename", TDX_DEB_FILENAME },
    };
    tdx_deb_package *p = calloc(1, sizeof(*p));
    const char *v;
    size_t n;
    char *end;
    int r = p ? 0 : -ENOMEM;
    char name[128];

    snprintf(name, sizeof(name), "%.*s", (int)(e->name_len < 100 ? e->name_len : 100), e->name);
    for (size_t i = 0; r == 0 && i < ELEMENTSOF(copy); i++) {
        if (!deb822_get(e->stanza, e->len, copy[i].field, &v, &n) || n == 0) {
            tdx_deb_package_free(p);
            return tdx_err(err, -EBADMSG, "%s: package %s has no %s", x->inrelease_url, name,
                           copy[i].field);
        }
        r = set(p, copy[i].f, v, n);
    }
    if (r == 0)
        r = set(p, TDX_DEB_NAME, e->name, e->name_len);
    if (r == 0)
        r = set(p, TDX_DEB_REQUESTED, requested, strlen(requested));
    if (r == 0 && asprintf(&p->f[TDX_DEB_URL], "%s/%s", x->mirror, p->f[TDX_DEB_FILENAME]) < 0)
        p->f[TDX_DEB_URL] = NULL, r = -ENOMEM;
    for (size_t i = 0; r == 0 && i < 6; i++) {
        const struct { tdx_deb_field f; const char *v; } more[] = {
            { TDX_DEB_MIRROR, x->mirror }, { TDX_DEB_RELEASE, x->release },
            { TDX_DEB_COMPONENT, c->name }, { TDX_DEB_INRELEASE_URL, x->inrelease_url },
            { TDX_DEB_INRELEASE_SHA256, x->inrelease_sha256 }, { TDX_DEB_INDEX_ARCH, x->arch },
        };
        r = set(p, more[i].f, more[i].v, strlen(more[i].v));
    }
    if (r == 0 && x->date)
        r = set(p, TDX_DEB_INRELEASE_DATE, x->date, strlen(x->date));
    if (r < 0) {
        tdx_deb_package_free(p);
        return tdx_err_oom(err);
    }
    if (!deb_filename_safe(p->f[TDX_DEB_FILENAME]) || strlen(p->f[TDX_DEB_SHA256]) != 64 ||
        strspn(p->f[TDX_DEB_SHA256], "0123456789abcdef") != 64 ||
        !deb822_get(e->stanza, e->len, "Size", &v, &n) || n == 0 || n > 19 ||
        strspn(v, "0123456789") != n) {
        r = tdx_err(err, -EBADMSG, "%s: package %s: unusable Filename \"%.100s\", SHA256 or Size",
                    x->inrelease_url, name, p->f[TDX_DEB_FILENAME]);
        tdx_deb_package_free(p);
        return r;
    }
    p->size = strtoull(v, &end, 10);
    *out = p;
    return 0;
}

/* The first component having name; NULL if none. */
static const struct pkg_entry *find(const tdx_deb_index *x, const char *name,
                                    const struct component **comp)
{
    for (size_t i = 0; i < x->n_comps; i++) {
        const struct pkg_entry *e = packages_best(&x->comps[i].pk, name, x->arch);
        if (e) {
            *comp = &x->comps[i];
            return e;
        }
    }
    return NULL;
}

int tdx_deb_index_find(const tdx_deb_index *x, const char *name, tdx_deb_package **out,
                       tdx_error *err)
{
    const struct component *comp = NULL;
    const struct pkg_entry *e;
    _cleanup_free_ char *dep = NULL, *dep_version = NULL;
    int r;

    tdx_check_arg(x, err);
    tdx_check_arg(out, err);
    if (!word_ok(name, NAME_CHARS "+.-") || strlen(name) < 2)
        return tdx_err(err, -EINVAL, "package name \"%.80s\": expected [a-z0-9][a-z0-9+.-]+",
                       strempty(name));
    e = find(x, name, &comp);
    if (!e)
        return tdx_err(err, -ENOENT, "package \"%s\" is not in %s %s for %s", name, x->mirror,
                       x->release, x->arch);
    if (x->follow && packages_single_exact_depends(e, &dep, &dep_version)) {
        const struct component *dcomp = NULL;
        const struct pkg_entry *d = find(x, dep, &dcomp);
        const char *v;
        size_t n;
        if (!d || !deb822_get(d->stanza, d->len, "Version", &v, &n) ||
            n != strlen(dep_version) || memcmp(v, dep_version, n) != 0)
            return tdx_err(err, -ENOENT, "metapackage %s depends on %s (= %s), which is not in "
                           "%s %s for %s", name, dep, dep_version, x->mirror, x->release, x->arch);
        e = d;
        comp = dcomp;
    }
    r = from_entry(x, comp, e, name, out, err);
    return r;
}

int tdx_deb_resolve(const char *name, const tdx_deb_options *opts, tdx_deb_package **out,
                    tdx_error *err)
{
    tdx_deb_index *x = NULL;
    int r;

    tdx_check_options(opts, TDX_DEB_OPTIONS_VERSION, err);
    r = tdx_deb_index_open(&x, opts, err);
    if (r >= 0)
        r = tdx_deb_index_find(x, name, out, err);
    tdx_deb_index_free(x);
    return r;
}

int tdx_deb_download(const tdx_deb_package *pkg, const tdx_fetch_options *opts, char **path,
                     tdx_error *err)
{
    tdx_fetch_options o = TDX_FETCH_OPTIONS_INIT;
    int r;

    tdx_check_arg(pkg, err);
    tdx_check_options(opts, TDX_FETCH_OPTIONS_VERSION, err);
    if (opts)
        memcpy(&o, opts, sizeof(o));
    if (o.max_size == TDX_UNSET || (uint64_t)o.max_size > pkg->size)
        o.max_size = pkg->size ? (long long)pkg->size : 1;
    r = tdx_fetch(pkg->f[TDX_DEB_URL], pkg->f[TDX_DEB_SHA256], &o, path, err);
    return tdx_err_prefix(err, r, "package %s %s", pkg->f[TDX_DEB_NAME], pkg->f[TDX_DEB_VERSION]);
}

const char *deb_index_arch(const tdx_deb_index *x)
{
    return x->arch;
}

size_t deb_index_component_count(const tdx_deb_index *x)
{
    return x->n_comps;
}

const struct packages *deb_index_packages(const tdx_deb_index *x, size_t i)
{
    return i < x->n_comps ? &x->comps[i].pk : NULL;
}

const struct pkg_entry *deb_index_best(const tdx_deb_index *x, const char *name)
{
    const struct component *comp;
    return find(x, name, &comp);
}

int deb_index_from_packages(tdx_deb_index **out, struct packages *pk, const char *arch)
{
    tdx_deb_index *x = calloc(1, sizeof(*x));
    if (!x || !(x->arch = strdup(arch)) || !(x->mirror = strdup("memory:")) ||
        !(x->release = strdup("memory")) || !(x->comps = calloc(1, sizeof(*x->comps))) ||
        !(x->comps[0].name = strdup("main"))) {
        packages_free(pk);
        tdx_deb_index_free(x);
        return -ENOMEM;
    }
    x->comps[0].pk = *pk;
    x->n_comps = 1;
    memset(pk, 0, sizeof(*pk));
    *out = x;
    return 0;
}
