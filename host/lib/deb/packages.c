/* SPDX-License-Identifier: MIT */
/* Packages files: decompressed once, indexed by package name. */
#include <archive.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deb-internal.h"
#include "error.h"
#include "strbuf.h"

void packages_free(struct packages *p)
{
    free(p->text);
    free(p->entries);
    memset(p, 0, sizeof(*p));
}

static int entry_cmp(const void *a, const void *b)
{
    const struct pkg_entry *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    if (c)
        return c;
    if (x->name_len != y->name_len)
        return x->name_len < y->name_len ? -1 : 1;
    return x->stanza < y->stanza ? -1 : x->stanza > y->stanza;
}

int packages_index(char *text, size_t len, const char *label, struct packages *out,
                   tdx_error *err)
{
    struct packages p = { text, len, NULL, 0 };
    size_t pos = 0, cap = 0, slen, nlen;
    const char *stanza, *name;

    while (deb822_next(text, len, &pos, &stanza, &slen)) {
        if (slen > STANZA_MAX) {
            size_t at = (size_t)(stanza - text);
            packages_free(&p);
            return tdx_err(err, -EFBIG, "%s: entry at byte %zu is larger than %u bytes", label,
                           at, STANZA_MAX);
        }
        if (!deb822_get(stanza, slen, "Package", &name, &nlen) || nlen == 0)
            continue;
        if (p.n == cap) {
            struct pkg_entry *grown;
            if (cap >= PACKAGES_ENTRIES_MAX) {
                packages_free(&p);
                return tdx_err(err, -EFBIG, "%s: more than %d entries", label,
                               PACKAGES_ENTRIES_MAX);
            }
            cap = cap ? cap * 2 : 1024;
            grown = realloc(p.entries, cap * sizeof(*grown));
            if (!grown) {
                packages_free(&p);
                return tdx_err_oom(err);
            }
            p.entries = grown;
        }
        p.entries[p.n++] = (struct pkg_entry){ stanza, slen, name, nlen };
    }
    if (p.n > 1)
        qsort(p.entries, p.n, sizeof(*p.entries), entry_cmp);
    *out = p;
    return 0;
}

static bool field_is(const struct pkg_entry *e, const char *field, const char *want)
{
    const char *v;
    size_t n;
    return deb822_get(e->stanza, e->len, field, &v, &n) && n == strlen(want) &&
           memcmp(v, want, n) == 0;
}

static char *field_dup(const struct pkg_entry *e, const char *field)
{
    bool oom = false;
    return deb822_dup(e->stanza, e->len, field, &oom);
}

const struct pkg_entry *packages_best(const struct packages *p, const char *name,
                                      const char *arch)
{
    struct pkg_entry key = { NULL, 0, name, strlen(name) };
    const struct pkg_entry *best = NULL;
    char *best_version = NULL;
    size_t lo = 0, hi = p->n;

    /* First entry not below the name (stanza NULL sorts before all). */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (entry_cmp(&p->entries[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < p->n; i++) {
        const struct pkg_entry *e = &p->entries[i];
        char *version;
        if (e->name_len != key.name_len || memcmp(e->name, name, key.name_len) != 0)
            break;
        if (!field_is(e, "Architecture", arch) && !field_is(e, "Architecture", "all"))
            continue;
        version = field_dup(e, "Version");
        if (!version)
            continue;
        if (!best || deb_version_compare(version, best_version) > 0) {
            free(best_version);
            best_version = version;
            best = e;
        } else {
            free(version);
        }
    }
    free(best_version);
    return best;
}

bool packages_single_exact_depends(const struct pkg_entry *e, char **name, char **version)
{
    const char *v, *open, *close;
    size_t n, nlen;
    char buf[512];

    if (!deb822_get(e->stanza, e->len, "Depends", &v, &n) || n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, v, n);
    buf[n] = '\0';
    if (strchr(buf, ',') || strchr(buf, '|'))
        return false;
    open = strchr(buf, '(');
    close = open ? strchr(open, ')') : NULL;
    if (!open || !close || strncmp(open, "(=", 2) != 0)
        return false;
    nlen = strcspn(buf, " :(");
    v = open + 2;
    while (*v == ' ')
        v++;
    n = (size_t)(close - v);
    while (n > 0 && v[n - 1] == ' ')
        n--;
    if (nlen == 0 || n == 0)
        return false;
    *name = strndup(buf, nlen);
    *version = strndup(v, n);
    if (!*name || !*version) {
        free(*name);
        free(*version);
        return false;
    }
    return true;
}

bool deb_filename_safe(const char *s)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+~/-";
    if (isempty(s) || strspn(s, ok) != strlen(s))
        return false;
    /* Components: none empty (so no leading or trailing '/'), no "." or "..". */
    for (const char *p = s;;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += n;
        if (!*p)
            return true;
        p++;
    }
}

int packages_read(const char *path, const char *label, char **text, size_t *len, tdx_error *err)
{
    struct archive *a = archive_read_new();
    struct archive_entry *entry;
    strbuf sb = STRBUF_INIT;
    char buf[65536];
    int r = 0;

    if (!a)
        return tdx_err_oom(err);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_xz(a);
    archive_read_support_format_raw(a);
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK ||
        archive_read_next_header(a, &entry) != ARCHIVE_OK) {
        r = tdx_err_lib(err, -EBADMSG, TDX_ERROR_LIBRARY_ARCHIVE, archive_errno(a),
                        "%s: cannot read: %s", label, archive_error_string(a));
        goto out;
    }
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
        if (n < 0) {
            r = tdx_err_lib(err, -EBADMSG, TDX_ERROR_LIBRARY_ARCHIVE, archive_errno(a),
                            "%s: cannot decompress: %s", label, archive_error_string(a));
            goto out;
        }
        if (n == 0)
            break;
        if (sb.len + (size_t)n > PACKAGES_MAX) {
            r = tdx_err(err, -EFBIG, "%s: larger than %u MiB uncompressed", label,
                        PACKAGES_MAX >> 20);
            goto out;
        }
        if (strbuf_append(&sb, buf, (size_t)n) < 0) {
            r = tdx_err_oom(err);
            goto out;
        }
    }
    *len = sb.len;
    *text = strbuf_steal(&sb, NULL);
    if (!*text)
        r = tdx_err_oom(err);
out:
    strbuf_free(&sb);
    archive_read_free(a);
    return r;
}
