/* SPDX-License-Identifier: MIT */
/* Files the library reads as input (quotes, collateral, roots, expected
 * measurements): bounded, with errors that name the path. */
#ifndef TDXHOST_LIB_READ_INPUT_H
#define TDXHOST_LIB_READ_INPUT_H

#include <stddef.h>

#include "tdxhost/common.h"

/* Reads at most max bytes of path into a NUL-terminated heap buffer.
 * Errors: "PATH: cannot read: <strerror>" with the errno, or
 * "PATH: larger than MAX bytes" with -EFBIG. */
int read_input(const char *path, size_t max, char **data, size_t *size, tdx_error *err);

#endif
