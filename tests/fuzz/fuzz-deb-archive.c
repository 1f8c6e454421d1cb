/* SPDX-License-Identifier: MIT */
/* libFuzzer target: .deb reading — the ar container, the compressed
 * data.tar inside it, member paths and types; every file's data is read. */
#include <archive.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deb/deb-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int visit(void *ctx, struct archive *a, const struct deb_member *m, tdx_error *err)
{
    char buf[4096];
    size_t *total = ctx;
    (void)err;
    /* Paths handed out are already normalised: relative, no "..". */
    if (m->path[0] == '/' || strstr(m->path, "..") == m->path || strstr(m->path, "/../"))
        abort();
    if (m->type != 'f')
        return 0;
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
        if (n <= 0)
            return 0;
        *total += (size_t)n;
        if (*total > (64u << 20))
            return -EFBIG;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tdx_error err = TDX_ERROR_INIT;
    struct archive *a = NULL;
    size_t total = 0;

    if (deb_open_memory(data, size, &a, &err) < 0)
        return 0;
    deb_walk(a, "fuzz.deb", visit, &total, &err);
    archive_read_free(a);
    return 0;
}
