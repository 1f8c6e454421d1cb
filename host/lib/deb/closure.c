/* SPDX-License-Identifier: MIT */
/*
 * The Depends/Pre-Depends closure of packages in a verified index, the way
 * a minimal unpack (mmdebstrap's "extract" variant) needs it: for each
 * dependency group the first alternative that is satisfiable — a real
 * package whose highest version meets the version constraint, or a package
 * that Provides the name (with a version when the constraint has one) —
 * unless a package already chosen satisfies the group. Excluded packages
 * count as satisfied (the recipe drops them on purpose). Recommends and
 * Suggests are not followed; nothing runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deb-internal.h"
#include "error.h"
#include "strbuf.h"
#include "strv.h"

#define CLOSURE_MAX 10000
#define DEP_MAX 4096

struct provide {
    char *virt, *by, *version;   /* version NULL: unversioned Provides */
};

struct closure {
    const tdx_deb_index *x;
    char *const *exclude;
    struct provide *prov;
    size_t n_prov, cap;
    bool prov_loaded;
    char **chosen;
    char **queue;
    tdx_error *err;
};

struct alt {
    char name[256], op[3], version[256];
};

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n'))
        s++;
    return s;
}

/* "name[:arch] [(op version)] [\[archs\]] [<profiles>]" -> alt; false when malformed. */
static bool parse_alt(const char *s, const char *end, struct alt *a)
{
    size_t n = 0;
    memset(a, 0, sizeof(*a));
    s = skip_ws(s, end);
    while (s < end && !strchr(" \t\n(:[<", *s) && n + 1 < sizeof(a->name))
        a->name[n++] = *s++;
    if (n == 0)
        return false;
    if (s < end && *s == ':')       /* :any, :native, :amd64 */
        while (s < end && !strchr(" \t\n([<", *s))
            s++;
    s = skip_ws(s, end);
    if (s < end && *s == '(') {
        size_t k = 0;
        s = skip_ws(s + 1, end);
        while (s < end && strchr("<>=", *s) && k < 2)
            a->op[k++] = *s++;
        if (k == 0)
            return false;
        s = skip_ws(s, end);
        k = 0;
        while (s < end && *s != ')' && !strchr(" \t\n", *s) && k + 1 < sizeof(a->version))
            a->version[k++] = *s++;
        s = skip_ws(s, end);
        if (k == 0 || s >= end || *s != ')')
            return false;
    }
    return true;
}

static bool version_ok(const char *have, const struct alt *a)
{
    int c;
    if (!a->op[0])
        return true;
    if (!have)
        return false;
    c = deb_version_compare(have, a->version);
    if (streq(a->op, "<<") || streq(a->op, "<"))
        return c < 0;
    if (streq(a->op, "<="))
        return c <= 0;
    if (streq(a->op, "="))
        return c == 0;
    if (streq(a->op, ">=") || streq(a->op, ">"))
        return c >= 0;
    if (streq(a->op, ">>"))
        return c > 0;
    return false;
}

static char *version_of(const struct pkg_entry *e)
{
    bool oom = false;
    return deb822_dup(e->stanza, e->len, "Version", &oom);
}

static int add_provide(struct closure *c, const char *virt, size_t vlen, const char *by,
                       size_t blen, const char *version)
{
    struct provide *p;
    if (c->n_prov == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        p = realloc(c->prov, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        c->prov = p;
        c->cap = cap;
    }
    p = &c->prov[c->n_prov];
    p->virt = strndup(virt, vlen);
    p->by = strndup(by, blen);
    p->version = version ? strdup(version) : NULL;
    if (!p->virt || !p->by || (version && !p->version)) {
        free(p->virt);
        free(p->by);
        free(p->version);
        return -ENOMEM;
    }
    c->n_prov++;
    return 0;
}

static int cmp_provide(const void *a, const void *b)
{
    const struct provide *x = a, *y = b;
    int d = strcmp(x->virt, y->virt);
    return d ? d : strcmp(x->by, y->by);
}

/* Every Provides of the index, once, sorted by virtual name then provider. */
static int load_provides(struct closure *c)
{
    const char *arch = deb_index_arch(c->x);
    if (c->prov_loaded)
        return 0;
    c->prov_loaded = true;
    for (size_t i = 0; i < deb_index_component_count(c->x); i++) {
        const struct packages *pk = deb_index_packages(c->x, i);
        for (size_t j = 0; j < pk->n; j++) {
            const struct pkg_entry *e = &pk->entries[j];
            const char *v, *end, *a;
            size_t n, an;
            if (!deb822_get(e->stanza, e->len, "Provides", &v, &n))
                continue;
            if (!deb822_get(e->stanza, e->len, "Architecture", &a, &an) ||
                !((an == strlen(arch) && memcmp(a, arch, an) == 0) || (an == 3 && memcmp(a, "all", 3) == 0)))
                continue;
            for (end = v + n; v < end;) {
                const char *comma = memchr(v, ',', (size_t)(end - v));
                const char *stop = comma ? comma : end;
                struct alt alt;
                if (parse_alt(v, stop, &alt) &&
                    add_provide(c, alt.name, strlen(alt.name), e->name, e->name_len,
                                streq(alt.op, "=") ? alt.version : NULL) < 0)
                    return tdx_err_oom(c->err);
                v = stop + 1;
            }
        }
    }
    if (c->n_prov)
        qsort(c->prov, c->n_prov, sizeof(*c->prov), cmp_provide);
    return 0;
}

/* A provider of a.name meeting a's constraint: one already chosen first, else
 * the first by name. NULL when none. */
static const char *provider(struct closure *c, const struct alt *a)
{
    const char *first = NULL;
    for (size_t i = 0; i < c->n_prov; i++) {
        const struct provide *p = &c->prov[i];
        if (!streq(p->virt, a->name) || strv_contains(c->exclude, p->by))
            continue;
        if (a->op[0] && !version_ok(p->version, a))
            continue;
        if (strv_contains(c->chosen, p->by) || strv_contains(c->queue, p->by))
            return p->by;
        if (!first)
            first = p->by;
    }
    return first;
}

/* 1 when the group is met by what is chosen (or excluded). */
static int group_met(struct closure *c, const struct alt *alts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct pkg_entry *e;
        if (strv_contains(c->exclude, alts[i].name))
            return 1;
        if (!strv_contains(c->chosen, alts[i].name) && !strv_contains(c->queue, alts[i].name))
            continue;
        e = deb_index_best(c->x, alts[i].name);
        if (e) {
            _cleanup_free_ char *v = version_of(e);
            if (version_ok(v, &alts[i]))
                return 1;
        }
    }
    return 0;
}

static int satisfy(struct closure *c, const char *pkg, const char *group, size_t glen)
{
    struct alt alts[32];
    size_t n = 0;
    const char *s = group, *end = group + glen;
    int r;

    while (s < end && n < 32) {
        const char *bar = memchr(s, '|', (size_t)(end - s));
        const char *stop = bar ? bar : end;
        if (!parse_alt(s, stop, &alts[n]))
            return tdx_err(c->err, -EBADMSG, "package %s: malformed dependency \"%.*s\"", pkg,
                           (int)glen, group);
        n++;
        s = stop + 1;
    }
    if (group_met(c, alts, n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        const struct pkg_entry *e = deb_index_best(c->x, alts[i].name);
        const char *by;
        if (e) {
            _cleanup_free_ char *v = version_of(e);
            if (version_ok(v, &alts[i]))
                return strv_push(&c->queue, alts[i].name) < 0 ? tdx_err_oom(c->err) : 0;
        }
        if ((r = load_provides(c)) < 0)
            return r;
        if ((by = provider(c, &alts[i])))
            return strv_contains(c->chosen, by) || strv_contains(c->queue, by)
                       ? 0
                       : strv_push(&c->queue, by) < 0 ? tdx_err_oom(c->err) : 0;
    }
    return tdx_err(c->err, -ENOENT, "package %s: nothing in the index satisfies \"%.*s\"", pkg,
                   (int)glen, group);
}

static int follow(struct closure *c, const char *pkg)
{
    static const char *const fields[] = { "Pre-Depends", "Depends" };
    const struct pkg_entry *e = deb_index_best(c->x, pkg);
    int r;

    if (!e)
        return tdx_err(c->err, -ENOENT, "package \"%s\" is not in the index", pkg);
    for (size_t f = 0; f < 2; f++) {
        const char *v, *end;
        size_t n;
        if (!deb822_get(e->stanza, e->len, fields[f], &v, &n))
            continue;
        if (n > 64 * 1024)
            return tdx_err(c->err, -EBADMSG, "package %s: %s longer than 64 KiB", pkg, fields[f]);
        for (end = v + n; v < end;) {
            const char *comma = memchr(v, ',', (size_t)(end - v));
            const char *stop = comma ? comma : end;
            const char *a = skip_ws(v, stop);
            if (a < stop && (r = satisfy(c, pkg, a, (size_t)(stop - a))) < 0)
                return r;
            v = stop + 1;
        }
    }
    return 0;
}

int deb_closure(const tdx_deb_index *x, char *const *roots, char *const *exclude, char ***out,
                tdx_error *err)
{
    struct closure c = { .x = x, .exclude = exclude, .err = err };
    char **deps = NULL;
    int r = 0;

    STRV_FOREACH(p, roots)
        if (!strv_contains(exclude, *p) && strv_push(&c.queue, *p) < 0)
            r = tdx_err_oom(err);
    while (r >= 0 && c.queue && c.queue[0]) {
        char *pkg = strdup(c.queue[0]);
        if (!pkg) {
            r = tdx_err_oom(err);
            break;
        }
        strv_remove(c.queue, pkg);
        if (!strv_contains(c.chosen, pkg)) {
            if (strv_length(c.chosen) >= CLOSURE_MAX)
                r = tdx_err(err, -E2BIG, "more than %d packages in the closure", CLOSURE_MAX);
            else if (strv_push(&c.chosen, pkg) < 0)
                r = tdx_err_oom(err);
            else
                r = follow(&c, pkg);
        }
        free(pkg);
    }
    if (r >= 0) {
        STRV_FOREACH(p, c.chosen)
            if (!strv_contains(roots, *p) && strv_push(&deps, *p) < 0)
                r = tdx_err_oom(err);
        strv_sort_uniq(deps);
    }
    for (size_t i = 0; i < c.n_prov; i++) {
        free(c.prov[i].virt);
        free(c.prov[i].by);
        free(c.prov[i].version);
    }
    free(c.prov);
    strv_free(c.chosen);
    strv_free(c.queue);
    if (r < 0) {
        strv_free(deps);
        return r;
    }
    if (!deps && !(deps = calloc(1, sizeof(char *))))
        return tdx_err_oom(err);
    *out = deps;
    return 0;
}
