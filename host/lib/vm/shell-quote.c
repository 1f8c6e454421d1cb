/* SPDX-License-Identifier: MIT */
/* A whole argv as one POSIX shell line: what --dry-run prints and run.sh
 * runs must be the same words, whatever bytes a path or the kernel command
 * line holds. */
#include <errno.h>

#include "emit/text.h"
#include "vm-internal.h"

int shell_quote_argv(const char *const *argv, char **out)
{
    strbuf sb = STRBUF_INIT;

    for (const char *const *a = argv; a && *a; a++) {
        if (a != argv)
            strbuf_putc(&sb, ' ');
        sh_quote(&sb, *a);
    }
    if (strbuf_error(&sb)) {
        strbuf_free(&sb);
        return -ENOMEM;
    }
    *out = strbuf_steal(&sb, NULL);
    return *out ? 0 : -ENOMEM;
}
