/* SPDX-License-Identifier: MIT */
/* Small helpers for the measurement suites: hex comparison, test data paths. */
#ifndef TDX_TESTS_MEASURE_HELPERS_H
#define TDX_TESTS_MEASURE_HELPERS_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "hex.h"


static inline const char *to_hex(const uint8_t *p, size_t n, char *buf)
{
    hex_encode(p, n, buf);
    return buf;
}

/* Writes data to dir/name; returns the path (free() it). */
static inline char *save_file(const char *dir, const char *name, const void *data, size_t size)
{
    char *path;
    int fd;

    ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, size), (ssize_t)size);
    close(fd);
    return path;
}

#define ck_assert_hex(ptr, n, expected)                                 \
    do {                                                                \
        char hex_buf_[2 * 64 + 1];                                      \
        ck_assert_str_eq(to_hex((ptr), (n), hex_buf_), (expected));     \
    } while (0)

#endif
