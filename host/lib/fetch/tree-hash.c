/* SPDX-License-Identifier: MIT */
/*
 * The tree hash (docs/lockfile.md): the seeds' dirhash rule, per file
 * SHA-256(relative path ‖ 0x00 ‖ content), with one type byte before each
 * per-file digest so that the executable bit and symlinks count and every
 * record has the same length. The files are exactly those the emitter
 * copies from a source directory (tree_add_dir_copy), so the hash covers
 * what goes into an image.
 */
#include <fcntl.h>

#include "emit/tree.h"
#include "error.h"
#include "fetch-internal.h"

static int hash_entry(const struct tree_entry *e, const char *rel, uint8_t digest[32],
                      tdx_error *err)
{
    _cleanup_close_ int fd = -1;
    sha256_stream *s = sha256_stream_new();
    int r = 0;

    if (!s)
        return tdx_err_oom(err);
    sha256_stream_add(s, rel, strlen(rel) + 1);
    if (e->kind == TREE_SYMLINK) {
        sha256_stream_add(s, e->target, strlen(e->target));
    } else {
        fd = open(e->src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        r = fd < 0 ? -errno : sha256_stream_add_fd(s, fd, NULL);
    }
    if (r < 0) {
        sha256_stream_free(s);
        return tdx_err(err, r, "%s: cannot read: %s", e->src, strerror(-r));
    }
    sha256_stream_finish(s, digest);
    return 0;
}

int tdx_tree_hash(const char *dir, char **sha256, tdx_error *err)
{
    struct tree t = TREE_INIT;
    char hex[SHA256_HEX_SIZE];
    sha256_stream *all;
    int r;

    tdx_check_arg(dir, err);
    tdx_check_arg(sha256, err);
    /* An empty prefix makes every path "/<relative path>". */
    r = tree_add_dir_copy(&t, "", dir, err);
    if (r >= 0)
        r = tree_sort(&t, err);
    if (r < 0) {
        tree_free(&t);
        return r;
    }
    all = sha256_stream_new();
    if (!all) {
        tree_free(&t);
        return tdx_err_oom(err);
    }
    for (size_t i = 0; i < t.entries.n && r >= 0; i++) {
        const struct tree_entry *e = t.entries.items[i];
        uint8_t record[33];
        record[0] = e->kind == TREE_SYMLINK ? 'l' : e->mode & 0111 ? 'x' : 'f';
        r = hash_entry(e, e->path + 1, record + 1, err);
        if (r >= 0)
            sha256_stream_add(all, record, sizeof(record));
    }
    tree_free(&t);
    if (r < 0) {
        sha256_stream_free(all);
        return r;
    }
    sha256_stream_finish_hex(all, hex);
    *sha256 = strdup(hex);
    return *sha256 ? 0 : tdx_err_oom(err);
}
