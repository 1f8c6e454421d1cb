/* SPDX-License-Identifier: MIT */
/*
 * The bytes being measured: a file read on demand with pread() (so a 1 GiB
 * initrd never sits in memory) or a buffer. Every read is bounds-checked
 * against the size and fails with a message naming the file, what was being
 * read and where. An optional patch replaces the first bytes, for QEMU's
 * rewritten Linux setup header.
 */
#ifndef TDXHOST_MEASURE_SOURCE_H
#define TDXHOST_MEASURE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "tdxhost/common.h"

struct source {
    const char *name;       /* file name for messages; borrowed */
    int fd;                 /* -1 for a buffer */
    const uint8_t *mem;     /* the buffer, when fd < 0 */
    uint64_t size;
    const uint8_t *patch;   /* replaces bytes [0, patch_size) when not NULL */
    size_t patch_size;
    uint64_t base;          /* offset of byte 0 in the file or buffer */
    uint64_t avail;         /* bytes backed by the file; the rest up to size reads as zeros */
};

#define SOURCE_INIT { NULL, -1, NULL, 0, NULL, 0, 0, 0 }

/* Opens a regular file; name is kept for messages (borrowed). */
int source_open(struct source *s, const char *path, tdx_error *err);
void source_buffer(struct source *s, const char *name, const void *data, size_t size);
void source_close(struct source *s);

/* A view of a PE section as loaded: size bytes whose first `raw` come from
 * [off, off+raw) of src, the rest zeros. It shares src's descriptor: never
 * close a window. */
void source_window(struct source *dst, const struct source *src, uint64_t off, uint64_t raw,
                   uint64_t size, const char *name);

/* Checks that [off, off+len) lies inside the source; `what` names the range. */
int source_check(const struct source *s, uint64_t off, uint64_t len, const char *what, tdx_error *err);

/* Reads exactly n bytes at off. */
int source_read(const struct source *s, uint64_t off, void *buf, size_t n, const char *what,
                tdx_error *err);

/* Feeds [off, off+len) to every context of hs, in chunks. */
int source_hash(const struct source *s, uint64_t off, uint64_t len, struct hashset *hs,
                const char *what, tdx_error *err);

/* Feeds n zero bytes (memory past a section's raw data). */
int hash_zeros(struct hashset *hs, uint64_t n, tdx_error *err);

#endif
