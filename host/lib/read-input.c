/* SPDX-License-Identifier: MIT */
#include "read-input.h"

#include <errno.h>
#include <string.h>

#include "error.h"
#include "fileio.h"

int read_input(const char *path, size_t max, char **data, size_t *size, tdx_error *err)
{
    int r = read_file_bounded(path, max, data, size);
    if (r == -EFBIG)
        return tdx_err(err, r, "%s: larger than %zu bytes", path, max);
    if (r < 0)
        return tdx_err_lib(err, r, TDX_ERROR_LIBRARY_ERRNO, -r, "%s: cannot read: %s", path, strerror(-r));
    return 0;
}
