/* SPDX-License-Identifier: MIT */
/*
 * What an emitted tree owns. Every tree emit writes carries TREE_RECORD, the
 * list of the paths it wrote; `emit --force` replaces exactly those and
 * carries everything else in the old directory (mkosi.output/, mkosi.cache/,
 * mkosi.local.conf, ...) over into the new tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "fileio.h"
#include "fsutil.h"
#include "macro.h"
#include "strbuf.h"
#include "strv.h"
#include "tree.h"

#define RECORD_HEADER "# Written by tdxctl emit: the files it owns here, one per line. emit --force replaces these and keeps everything else."
#define RECORD_FILE_MAX (64 * 1024 * 1024)
#define RECORD_DIR_ENTRIES_MAX 1000000
#define LIST_SHOWN_MAX 5

int tree_add_record(struct tree *t, tdx_error *err)
{
    strbuf sb = STRBUF_INIT;
    char *data;
    size_t len;
    int r;

    if (!t->sorted && (r = tree_sort(t, err)) < 0)
        return r;
    strbuf_puts(&sb, RECORD_HEADER "\n");
    for (size_t i = 0; i < t->entries.n; i++) {
        const struct tree_entry *e = t->entries.items[i];
        if (strchr(e->path, '\n')) {
            strbuf_free(&sb);
            return tdx_err(err, -EINVAL, "a file name with a newline cannot be recorded: \"%.200s\"",
                           e->path);
        }
        strbuf_printf(&sb, "%s\n", e->path);
    }
    if (strbuf_error(&sb) < 0) {
        strbuf_free(&sb);
        return tdx_err_oom(err);
    }
    data = strbuf_steal(&sb, &len);
    if (!data || tree_add_take(t, TREE_RECORD, data, len, 0644) < 0)
        return tdx_err_oom(err);
    return tree_sort(t, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The old tree's record as a sorted list; NULL (and 0) when it has none. */
static int read_record(const char *outdir, char ***owned, tdx_error *err)
{
    _cleanup_free_ char *path = NULL, *data = NULL;
    char **v = NULL, *line, *next;
    size_t n;
    int r;

    *owned = NULL;
    if (asprintf(&path, "%s/%s", outdir, TREE_RECORD) < 0)
        return tdx_err_oom(err);
    r = read_file_bounded(path, RECORD_FILE_MAX, &data, &n);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return tdx_err(err, r, "%s: cannot read: %s", path, strerror(-r));
    if (!startswith(data, RECORD_HEADER "\n"))
        return 0;
    for (line = data + strlen(RECORD_HEADER "\n"); *line; line = next) {
        next = strchrnul(line, '\n');
        if (*next)
            *next++ = '\0';
        if (*line && strv_push(&v, line) < 0) {
            strv_free(v);
            return tdx_err_oom(err);
        }
    }
    if (!v && !(v = calloc(1, sizeof(char *))))
        return tdx_err_oom(err);
    qsort(v, strv_length(v), sizeof(char *), cmp_str);
    *owned = v;
    return 0;
}

/* True when sorted list v has an element starting with prefix. */
static bool has_prefix(char *const *v, size_t n, const char *prefix)
{
    size_t lo = 0, hi = n, len = strlen(prefix);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(v[mid], prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strncmp(v[lo], prefix, len) == 0;
}

static bool has_exact(char *const *v, size_t n, const char *s)
{
    return bsearch(&s, v, n, sizeof(char *), cmp_str) != NULL;
}

/* Does the new tree write p, something below p, or a file where one of p's
 * parent directories is? Then p cannot be carried over. */
static bool tree_claims(const struct tree *t, const char *p)
{
    _cleanup_free_ char *below = NULL, *copy = strdup(p);
    size_t lo = 0, hi = t->entries.n;

    if (!copy || asprintf(&below, "%s/", p) < 0)
        return true;   /* out of memory: say "conflict", never lose a file */
    if (tree_find(t, p))
        return true;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(((struct tree_entry *)t->entries.items[mid])->path, below) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < t->entries.n && startswith(((struct tree_entry *)t->entries.items[lo])->path, below))
        return true;
    for (char *s = strrchr(copy, '/'); s; s = strrchr(copy, '/')) {
        *s = '\0';
        if (tree_find(t, copy))
            return true;
    }
    return false;
}

struct plan {
    const struct tree *t;
    char **owned;           /* sorted */
    size_t n_owned;
    char ***keep, **conflicts;
    size_t seen;
};

static int walk(struct plan *P, const char *outdir, const char *rel, tdx_error *err)
{
    _cleanup_free_ char *dir = NULL;
    char **names = NULL;
    size_t n = 0;
    int r;

    if (asprintf(&dir, "%s%s%s", outdir, *rel ? "/" : "", rel) < 0)
        return tdx_err_oom(err);
    r = dir_list_sorted(dir, NULL, RECORD_DIR_ENTRIES_MAX, &names, &n);
    if (r < 0)
        return tdx_err(err, r, "cannot read directory %s: %s", dir, strerror(-r));
    for (size_t i = 0; i < n && r >= 0; i++) {
        _cleanup_free_ char *p = NULL, *full = NULL, *below = NULL;
        struct stat st;

        if (asprintf(&p, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0 ||
            asprintf(&full, "%s/%s", dir, names[i]) < 0 || asprintf(&below, "%s/", p) < 0) {
            r = tdx_err_oom(err);
            break;
        }
        if (streq(p, TREE_RECORD))
            continue;
        if (lstat(full, &st) < 0) {
            r = tdx_err(err, -errno, "cannot read %s: %s", full, strerror(errno));
            break;
        }
        if (++P->seen > RECORD_DIR_ENTRIES_MAX) {
            r = tdx_err(err, -EFBIG, "%s: more than %d entries", outdir, RECORD_DIR_ENTRIES_MAX);
            break;
        }
        if (S_ISDIR(st.st_mode) && has_prefix(P->owned, P->n_owned, below))
            r = walk(P, outdir, p, err);
        else if (!S_ISDIR(st.st_mode) && has_exact(P->owned, P->n_owned, p))
            continue;   /* emit wrote it: replaced */
        else if (strv_push(tree_claims(P->t, p) ? &P->conflicts : P->keep, p) < 0)
            r = tdx_err_oom(err);
    }
    dir_names_free(names, n);
    return r;
}

/* "a, b, c and 4 more" */
static void list_some(char *const *v, char *buf, size_t size)
{
    size_t n = strv_length(v), used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < LIST_SHOWN_MAX; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", v[i]);
        if (w < 0 || (size_t)w >= size - used)
            return;
        used += (size_t)w;
    }
    if (n > LIST_SHOWN_MAX)
        snprintf(buf + used, size - used, " and %zu more", n - LIST_SHOWN_MAX);
}

int tree_plan_keep(const struct tree *t, const char *outdir, char ***keep, tdx_error *err)
{
    _cleanup_(strv_freep) char **owned = NULL, **conflicts = NULL, **kept = NULL;
    struct plan P = { t, NULL, 0, &kept, NULL, 0 };
    bool recorded;
    char shown[300];
    int r;

    *keep = NULL;
    r = read_record(outdir, &owned, err);
    if (r < 0)
        return r;
    recorded = owned != NULL;
    if (!recorded) {
        /* A tree from before the record: what this tree writes is emit's;
         * anything else may be the user's or a stale file of ours, and
         * there is no telling which. */
        for (size_t i = 0; i < t->entries.n; i++)
            if (strv_push(&owned, ((struct tree_entry *)t->entries.items[i])->path) < 0)
                return tdx_err_oom(err);
        if (!owned)
            return tdx_err_oom(err);
    }
    P.owned = owned;
    P.n_owned = strv_length(owned);
    r = walk(&P, outdir, "", err);
    conflicts = P.conflicts;
    if (r < 0)
        return r;
    if (conflicts) {
        list_some(conflicts, shown, sizeof(shown));
        return tdx_err(err, -EEXIST, "%s: not replaced: the new tree writes where files emit did "
                       "not write are (%s); move them away first", outdir, shown);
    }
    if (!recorded && kept) {
        list_some(kept, shown, sizeof(shown));
        return tdx_err(err, -EEXIST, "%s: not replaced: it was emitted by an older tdxctl that "
                       "kept no record of its files, and it holds files this tree does not write "
                       "(%s), which would be lost; move them away or remove %s", outdir, shown,
                       outdir);
    }
    *keep = TAKE_PTR(kept);
    return 0;
}

int tree_move_kept(int from_fd, int to_fd, char *const *keep, bool *stranded, tdx_error *err)
{
    size_t n = strv_length(keep), moved;
    int r = 0;

    *stranded = false;
    for (moved = 0; moved < n; moved++) {
        r = mkdir_parents_at(to_fd, keep[moved], 0755, NULL);
        if (r >= 0 && renameat(from_fd, keep[moved], to_fd, keep[moved]) < 0)
            r = -errno;
        if (r < 0)
            break;
    }
    if (r >= 0)
        return 0;
    r = tdx_err(err, r, "cannot move %s: %s", keep[moved], strerror(-r));
    while (moved-- > 0)
        if (renameat(to_fd, keep[moved], from_fd, keep[moved]) < 0) {
            *stranded = true;
            return tdx_err_prefix(err, r, "and cannot move %s back (%s)", keep[moved],
                                  strerror(errno));
        }
    return r;
}
