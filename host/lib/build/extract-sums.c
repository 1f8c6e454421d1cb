/* SPDX-License-Identifier: MIT */
/*
 * The cache of unpacked packages is keyed by the .deb's hash, but its files
 * are not: so each tree gets a list of its files' SHA-256 ("HEX  PATH\n",
 * sorted by path) when it is unpacked from a verified .deb, and a build
 * checks the files it takes against it. A tree whose files changed since is
 * refused (and unpacked again from the .deb).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-internal.h"
#include "error.h"
#include "fileio.h"
#include "strbuf.h"

#define SUMS_MAX (64u << 20)

int sums_write(const char *dir, const char *path, tdx_error *err)
{
    struct img files = IMG_INIT;
    strbuf sb = STRBUF_INIT;
    int r = img_add_tree(&files, "", dir, NULL, err);

    img_sort(&files);
    for (size_t i = 0; r >= 0 && i < files.entries.n; i++) {
        const struct img_entry *e = files.entries.items[i];
        char hex[SHA256_HEX_SIZE];
        if (e->kind != IMG_FILE)
            continue;
        r = sha256_file(e->src, hex, NULL, err);
        if (r >= 0)
            strbuf_printf(&sb, "%s  %s\n", hex, e->path);
    }
    img_free(&files);
    if (r >= 0 && strbuf_error(&sb))
        r = tdx_err_oom(err);
    if (r >= 0 && write_file_atomic(path, strbuf_str(&sb), sb.len, 0444) < 0)
        r = tdx_err(err, -errno, "%s: %s", path, strerror(errno));
    strbuf_free(&sb);
    return r;
}

/* The recorded hash of rel, or NULL. text is the sums file, sorted by path. */
static const char *lookup(char **lines, size_t n, const char *rel)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(lines[mid] + 66, rel);
        if (c == 0)
            return lines[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int sums_check(const char *dir, const char *path, char *const *rels, tdx_error *err)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char **lines = NULL;
    struct img files = IMG_INIT;
    size_t len, n = 0, cap = 0, seen = 0;
    int r = read_file_bounded(path, SUMS_MAX, &text, &len);

    if (r < 0)
        return r == -ENOENT ? -ENOENT : tdx_err(err, r, "%s: %s", path, strerror(-r));
    for (char *p = text, *nl; *p; p = nl + 1) {
        if (!(nl = strchr(p, '\n')) || nl - p < 67 || p[64] != ' ' || p[65] != ' ')
            return tdx_err(err, -EBADMSG, "%s: malformed", path);
        *nl = '\0';
        p[64] = '\0';
        if (n == cap) {
            char **nv = realloc(lines, (cap = cap ? cap * 2 : 1024) * sizeof(char *));
            if (!nv)
                return tdx_err_oom(err);
            lines = nv;
        }
        lines[n++] = p;
    }
    if (!rels) {
        /* Every file, and no file more. */
        r = img_add_tree(&files, "", dir, NULL, err);
        for (size_t i = 0; r >= 0 && i < files.entries.n; i++) {
            const struct img_entry *e = files.entries.items[i];
            const char *want;
            char hex[SHA256_HEX_SIZE];
            if (e->kind != IMG_FILE)
                continue;
            seen++;
            if (!(want = lookup(lines, n, e->path)))
                r = tdx_err(err, -EBADMSG, "%s: %s is not one of its files", dir, e->path);
            else if ((r = sha256_file(e->src, hex, NULL, err)) >= 0 && strcmp(hex, want) != 0)
                r = tdx_err(err, -EBADMSG, "%s: %s changed since it was unpacked", dir, e->path);
        }
        img_free(&files);
        if (r >= 0 && seen != n)
            r = tdx_err(err, -EBADMSG, "%s: %zu of its files are missing", dir, n - seen);
        return r;
    }
    STRV_FOREACH(rel, rels) {
        const char *want = lookup(lines, n, *rel);
        char hex[SHA256_HEX_SIZE], full[4096];
        if (!want)
            return tdx_err(err, -EBADMSG, "%s: %s is not one of its files", dir, *rel);
        snprintf(full, sizeof(full), "%s/%s", dir, *rel);
        if ((r = sha256_file(full, hex, NULL, err)) < 0)
            return r;
        if (strcmp(hex, want) != 0)
            return tdx_err(err, -EBADMSG, "%s: %s changed since it was unpacked", dir, *rel);
    }
    return 0;
}
